"""What `csc-monitor` exits with, so a scheduler (cron, Airflow's BashOperator, a Windows task) can tell outcomes apart."""

from __future__ import annotations

OK = 0
REJECTED = 1        # ingest: at least one export was rejected (the others loaded; reasons in rejected/)
USAGE = 2           # the command line was wrong (argparse's own code)
NOT_PUBLISHED = 3   # run, validate, backfill: a critical data check failed; nothing was published, the last good figures stay
NOTHING_TO_DO = 4   # nothing to work on: no as-at dates in a backfill range
NO_DATA = 5         # no exports are loaded for the authority asked for (the message names those that are)
BUSY = 75           # EX_TEMPFAIL: another ingest or run holds the warehouse; try again later

MEANINGS = {
    OK: "success",
    REJECTED: "ingest: an export was rejected (every other file loaded; the reason is beside it in rejected/); docs --check: out of date",
    USAGE: "the command line was wrong",
    NOT_PUBLISHED: "run, validate, backfill: a critical data check failed; nothing was published and the last good figures stay",
    NOTHING_TO_DO: "backfill: no as-at dates in the range",
    NO_DATA: "run, validate, results, exceptions, alerts: no exports are loaded for that authority (the message names those that are); "
             "demo: nothing was published",
    BUSY: "ingest, run, backfill, alerts silence, alerts preview: another of these holds the warehouse (the message names "
          "it, its pid and since when); nothing was done, try again later",
}


def epilog() -> str:
    return "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in MEANINGS.items())
