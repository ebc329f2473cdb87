"""From the drop folder to warehouse tables: detect, parse, load in one transaction, archive."""
