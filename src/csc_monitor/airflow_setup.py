"""`csc-monitor airflow setup`: everything the DAGs need from Airflow, created by one idempotent command.

The DAGs' warehouse tasks share a pool; without it Airflow leaves them scheduled for ever. The command
also records that it ran (variable `csc_monitor_setup`), which the nightly DAG's first task checks, so a
missing setup fails the run with this command's name instead of leaving it waiting. The warehouse
connection and landing-folder variable stay optional: tasks fall back to the CSC_MONITOR_* environment.
Nothing heavy is imported at module level: the DAG files import the pool name from here.
"""

from __future__ import annotations

import json

WAREHOUSE_POOL = "csc_warehouse"  # bounds concurrent warehouse work across nightly, event and backfill runs
SETUP_VARIABLE = "csc_monitor_setup"
SETUP_COMMAND = "csc-monitor airflow setup"
DEFAULT_POOL_SLOTS = 1  # a DuckDB warehouse takes one writer at a time; raise it for PostgreSQL


def setup(pool_slots: int = DEFAULT_POOL_SLOTS) -> str:
    """Create or resize the pool and record the setup in the Airflow metadata database; returns what was done."""
    from airflow.models.pool import Pool
    from airflow.models.variable import Variable

    Pool.create_or_update_pool(WAREHOUSE_POOL, pool_slots, "csc-monitor warehouse work", include_deferred=False)
    Variable.set(SETUP_VARIABLE, json.dumps({"pool": WAREHOUSE_POOL, "pool_slots": pool_slots}),
                 description=f"written by `{SETUP_COMMAND}`; csc_nightly checks it before it starts")
    return f"pool {WAREHOUSE_POOL}: {pool_slots} slot(s); variable {SETUP_VARIABLE} set"


def missing_setup_message() -> str:
    return (f"Airflow is not set up for csc-monitor: run `{SETUP_COMMAND}` "
            f"(it creates the {WAREHOUSE_POOL} pool every warehouse task waits for)")


def cmd_setup(args) -> int:
    print(setup(args.pool_slots))
    return 0


def register(sub) -> None:
    """Add `csc-monitor airflow setup` to the csc-monitor parser."""
    airflow = sub.add_parser("airflow", help="prepare the Airflow install the DAGs run on")
    commands = airflow.add_subparsers(dest="airflow_command", required=True)
    p = commands.add_parser("setup", help="create the csc_warehouse pool and record the setup (idempotent)")
    p.add_argument("--pool-slots", type=int, default=DEFAULT_POOL_SLOTS,
                   help=f"warehouse tasks running at once (default {DEFAULT_POOL_SLOTS}: one DuckDB writer)")
    p.set_defaults(func=cmd_setup)
