"""Run ids in regional mode: each authority's share of a run has its own id, and links still find the run."""

SEPARATOR = "@"  # Airflow's own run ids use "__" and ":", never "@"


def authority_run_id(run_id: str, authority: str) -> str:
    """The id under which one authority's checks, figures and report of a run are stored."""
    return f"{run_id}{SEPARATOR}{authority}"


def parent_run_id(run_id: str) -> str:
    """The run (e.g. the Airflow DAG run) an authority's share belongs to."""
    return run_id.split(SEPARATOR, 1)[0]
