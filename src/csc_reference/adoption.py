"""Plain-Python reference implementation of adoption A1, A2 and A10, row by row.

Returns {"numerator" (within the legacy threshold), "denominator", "overdue", "value" (mean days)}.
The date placed for adoption is Annex A's, else the start of the period's first A3-A6 placement (the 903
PlacedAdoption DATE_PLACED is the decision date).
"""

from __future__ import annotations

from datetime import date

from csc_monitor.dates import add_months
from .looked_after import care_periods, period_placements

CARER_CHANGES = ("S", "P", "B")
PLACED_FOR_ADOPTION = ("A3", "A4", "A5", "A6")


def adoption_measure(adoptions, episodes, as_at: date, measure: str, legacy_threshold_days: int) -> dict:
    periods = care_periods(episodes)
    days = []
    for adoption in adoptions:
        child = adoption["child_id"]
        adopted_on = adoption["adoption_order_date"] or max(
            (p["end_date"] for p in periods if p["child_id"] == child and p["reason_ceased"] in ("E11", "E12")),
            default=None)
        if adopted_on is None or not add_months(as_at, -12) < adopted_on <= as_at:
            continue
        reference_day = adoption["placed_date"] or adopted_on
        period = next((p for p in periods if p["child_id"] == child and p["start_date"] <= reference_day
                       and (p["end_date"] is None or p["end_date"] >= reference_day)), None)
        if measure == "a2":
            e1 = [e["start_date"] for e in (period["episodes"] if period else []) if e["legal_status"] == "E1"]
            start = adoption["placement_order_date"] or min(e1, default=None)
            stop = adoption["match_date"]
        else:
            start = period["start_date"] if period else None
            placements = period_placements(period) if period else []
            stop = adoption["placed_date"] or min(
                (p["start_date"] for p in placements if p["placement_type"] in PLACED_FOR_ADOPTION), default=None)
            if measure == "a10" and adoption["adopted_by_foster_carer"] and stop:
                carer_starts = [p["start_date"] for p in placements
                                if p["start_date"] <= stop and p["reason_new_episode"] in CARER_CHANGES]
                stop = max(carer_starts, default=stop)
        if start is not None and stop is not None:
            days.append(max((stop - start).days, 0))
    return {"numerator": sum(d <= legacy_threshold_days for d in days), "denominator": len(days), "overdue": 0,
            "value": sum(days) / len(days) if days else None}
