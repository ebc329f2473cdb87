"""Plain-Python reference implementations of the care leaver indicators, row by row.

One function covers the OC3 measures (in touch, EET, suitable accommodation) and the event measures
(contact in the last 8 weeks, pathway plan reviewed in the last 6 months), as the SQL does; it returns
{"numerator", "denominator", "overdue"}.
"""

from __future__ import annotations

from datetime import date

from csc_monitor.dates import add_months
from .looked_after import care_periods, looked_after_on, reporting_year

EVENT_MEASURES = ("contact", "pathway")


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _met(measure: str, status: dict, child: str, visits, review_events, as_at: date, contact_days: int) -> bool:
    if measure == "in_touch":
        return status["in_touch"] == "YES"
    if measure == "eet":
        return (status["activity"] or "")[:1] in ("F", "P")
    if measure == "accommodation":
        return (status["accommodation"] or "")[1:2] == "1"
    if measure == "contact":
        return any(v["child_id"] == child and v["visit_kind"] == "CL" and v["seen"]
                   and 0 <= (as_at - v["visit_date"]).days <= contact_days for v in visits)
    return any(r["child_id"] == child and r["review_kind"] == "PATHWAY" and not r["cancelled"]
               and r["review_date"] is not None and add_months(as_at, -6) <= r["review_date"] <= as_at
               for r in review_events)


def care_leaver_measure(statuses, children, episodes, visits, review_events, as_at: date, measure: str,
                        min_age: int, max_age: int, contact_days: int = 56) -> dict:
    known = [s for s in statuses if s["collection_year"] <= reporting_year(as_at)]
    latest_year = max((s["collection_year"] for s in known), default=None)
    latest: dict[str, dict] = {}
    for s in known:
        if s["child_id"] not in latest or s["collection_year"] > latest[s["child_id"]]["collection_year"]:
            latest[s["child_id"]] = s
    birth = {c["child_id"]: c["birth_date"] for c in children if c["birth_date"] is not None}
    periods = care_periods(episodes)
    in_care_on: dict[date, set[str]] = {}
    met = denominator = 0
    for child, status in latest.items():
        if measure not in EVENT_MEASURES and status["collection_year"] != latest_year:
            continue
        # OC3 measures: on the collection year's 31 March (the birthday in the year decides the age group)
        on = as_at if measure in EVENT_MEASURES else date(status["collection_year"], 3, 31)
        born = birth.get(child, status["birth_date"])
        if on not in in_care_on:
            in_care_on[on] = {p["child_id"] for p in looked_after_on(episodes, on)}
        if born is None or not min_age <= age_on(born, on) <= max_age or child in in_care_on[on]:
            continue
        transferred = any(p["child_id"] == child and p["end_date"] is not None and p["end_date"] <= on
                          and p["reason_ceased"] == "E3" for p in periods)
        if status["in_touch"] in ("DIED", "RHOM") or transferred:
            continue
        denominator += 1
        met += _met(measure, status, child, visits, review_events, as_at, contact_days)
    return {"numerator": met, "denominator": denominator, "overdue": 0}
