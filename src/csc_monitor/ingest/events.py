"""csc-monitor's event-level CSV contract (in the spirit of the Standard Safeguarding Dataset).

Only a case management system holds visit and review histories; these files carry them. Dates are
ISO (yyyy-mm-dd), times `yyyy-mm-dd hh:mm`, flags Y/N. The README documents each file with an example row.
"""

from __future__ import annotations

from .csv_contract import Column, CsvTable

VISIT_KINDS = frozenset({"CP", "CIN", "CLA", "CL"})
REVIEW_KINDS = frozenset({"CP", "CLA", "PATHWAY"})
HEALTH_KINDS = frozenset({"IHA", "RHA", "DENTAL"})
PLACEMENT_ARRANGEMENTS = frozenset({"REG24_TEMPORARY_APPROVAL", "REG19_BEFORE_ASSESSMENT"})

EVENT_TABLES = (
    CsvTable("allocations", "allocation", (
        Column("child_id", "child_id", required=True),
        Column("team", "team", required=True),
        Column("worker", "worker", required=True),
        Column("start_date", "start_date", "date", required=True),
        Column("end_date", "end_date", "date"),
    )),
    CsvTable("visits", "visit", (
        Column("child_id", "child_id", required=True),
        Column("visit_kind", "visit_kind", required=True, codes=VISIT_KINDS),
        Column("visit_date", "visit_date", "date", required=True),
        Column("seen", "seen", "bool", required=True),
        Column("seen_alone", "seen_alone", "bool"),
        Column("worker", "worker"),
    )),
    CsvTable("reviews", "review_event", (
        Column("child_id", "child_id", required=True),
        Column("review_kind", "review_kind", required=True, codes=REVIEW_KINDS),
        Column("due_date", "due_date", "date"),
        Column("review_date", "review_date", "date"),
        Column("cancelled", "cancelled", "bool", required=True),
    )),
    CsvTable("health_checks", "health_check", (
        Column("child_id", "child_id", required=True),
        Column("check_kind", "check_kind", required=True, codes=HEALTH_KINDS),
        Column("check_date", "check_date", "date", required=True),
    )),
    CsvTable("return_interviews", "return_interview", (
        Column("child_id", "child_id", required=True),
        Column("missing_start_date", "missing_start_date", "date", required=True),
        Column("returned_at", "returned_at", "datetime", required=True),
        Column("offered_at", "offered_at", "datetime"),
        Column("accepted", "accepted", "bool"),
    )),
    CsvTable("cp_visit_frequency", "cp_visit_frequency", (
        Column("child_id", "child_id", required=True),
        Column("plan_start_date", "plan_start_date", "date", required=True),
        Column("every_working_days", "every_working_days", "int", required=True),
    )),
    CsvTable("placement_arrangements", "placement_arrangement", (
        Column("child_id", "child_id", required=True),
        Column("placement_start_date", "placement_start_date", "date", required=True),
        Column("arrangement", "arrangement", required=True, codes=PLACEMENT_ARRANGEMENTS),
    )),
)
