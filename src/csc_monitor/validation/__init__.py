"""Great Expectations suites (expectations/*.json) run against the warehouse before anything is published."""
