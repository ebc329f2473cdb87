"""Plain-Python reference for the child protection indicators and the start-event check: row by row, no SQL.

Written straight from the definitions in indicators/*.yml, independent of the SQL: the generator's planted
ground truth and the analyst's baseline in the benchmark. Each function takes the warehouse rows it needs (lists
of dicts), the as-at date and the indicator's parameters, and returns {"numerator", "denominator", "overdue"}.
"""

from __future__ import annotations

from datetime import date, timedelta

from csc_monitor.dates import add_months
from csc_monitor.workdays import add_working_days, working_days_between
from .front_door import figure, known, period_contains


def _seen_cp_visits(visits: list[dict], child_id: str, first: date, last: date) -> list[date]:
    return [v["visit_date"] for v in visits
            if v["child_id"] == child_id and v["visit_kind"] == "CP" and v["seen"] and first <= v["visit_date"] <= last]


def _open_at(plan: dict, as_at: date) -> bool:
    return plan["start_date"] <= as_at and known(plan["end_date"], as_at) is None


def cp_visits_in_line_with_plan(plans: list[dict], visits: list[dict], frequencies: list[dict], as_at: date,
                                every_working_days: int = 10) -> dict:
    numerator = denominator = overdue = 0
    for plan in plans:
        if plan["start_date"] > as_at:
            continue
        every = next((f["every_working_days"] for f in frequencies
                      if f["child_id"] == plan["child_id"] and f["plan_start_date"] == plan["start_date"]), every_working_days)
        window_start, window_end = plan["start_date"], add_working_days(plan["start_date"], every)
        while window_end <= as_at and (plan["end_date"] is None or window_end <= plan["end_date"]):
            if period_contains(window_end, as_at):
                denominator += 1
                numerator += bool(_seen_cp_visits(visits, plan["child_id"], window_start, window_end))
            window_start, window_end = window_end + timedelta(days=1), add_working_days(window_end, every)
        if _open_at(plan, as_at):
            last_seen = max(_seen_cp_visits(visits, plan["child_id"], plan["start_date"], as_at), default=plan["start_date"])
            overdue += working_days_between(last_seen, as_at) > every
    return figure(numerator, denominator, overdue)


def cp_visits_seen_alone(visits: list[dict], as_at: date) -> dict:
    seen = [v for v in visits if v["visit_kind"] == "CP" and v["seen"] and period_contains(v["visit_date"], as_at)]
    return figure(sum(bool(v["seen_alone"]) for v in seen), len(seen))


def _held_reviews(reviews: list[dict], plan: dict, as_at: date) -> list[date]:
    return sorted(r["review_date"] for r in reviews
                  if r["child_id"] == plan["child_id"] and r["plan_start_date"] == plan["start_date"] and r["review_date"] <= as_at)


def cp_reviews_on_time(plans: list[dict], reviews: list[dict], as_at: date) -> dict:
    numerator = denominator = overdue = 0
    for plan in plans:
        if plan["start_date"] > as_at:
            continue
        held = _held_reviews(reviews, plan, as_at)
        previous = None
        for review_date in held:
            due = add_months(plan["start_date"], 3) if previous is None else add_months(previous, 6)
            if period_contains(due, as_at):
                denominator += 1
                numerator += review_date <= due
            previous = review_date
        next_due = add_months(plan["start_date"], 3) if previous is None else add_months(previous, 6)
        ended = known(plan["end_date"], as_at)
        if ended is None and next_due < as_at:
            overdue += 1
        elif ended is not None and ended > next_due and period_contains(next_due, as_at):
            denominator += 1
    return figure(numerator, denominator, overdue)


def cp_reviews_on_time_dfe(plans: list[dict], reviews: list[dict], as_at: date) -> dict:
    numerator = denominator = 0
    for plan in plans:
        if add_months(plan["start_date"], 3) > as_at or not _open_at(plan, as_at):
            continue
        denominator += 1
        held = _held_reviews(reviews, plan, as_at)
        all_on_time, previous = True, None
        for review_date in held:
            due = add_months(plan["start_date"], 3) if previous is None else add_months(previous, 6)
            all_on_time = all_on_time and review_date <= due
            previous = review_date
        next_due = add_months(plan["start_date"], 3) if previous is None else add_months(previous, 6)
        numerator += all_on_time and next_due >= as_at
    return figure(numerator, denominator)


def _previous_plan_end(plans: list[dict], plan: dict) -> date | None:
    """The latest end (start, if still open) of the child's plans that started before this one."""
    earlier = [p["end_date"] or p["start_date"] for p in plans
               if p["child_id"] == plan["child_id"] and p["start_date"] < plan["start_date"]]
    return max(earlier, default=None)


def repeat_cp_plans_ever(plans: list[dict], as_at: date) -> dict:
    starting = [p for p in plans if period_contains(p["start_date"], as_at)]
    repeats = sum(_previous_plan_end(plans, p) is not None or (p["previous_plans"] or 0) > 0 for p in starting)
    return figure(repeats, len(starting))


def repeat_cp_plans_within_2_years(plans: list[dict], as_at: date) -> dict:
    starting = [p for p in plans if period_contains(p["start_date"], as_at)]
    repeats = 0
    for plan in starting:
        previous_end = _previous_plan_end(plans, plan)
        repeats += previous_end is not None and previous_end >= add_months(plan["start_date"], -24)
    return figure(repeats, len(starting))


def cp_plans_ceased_two_years_or_more(plans: list[dict], as_at: date) -> dict:
    """DfE D7: plans ended in the 12 months to the as-at date that had lasted 24 calendar months or more."""
    ceased = [p for p in plans if p["start_date"] <= as_at and period_contains(known(p["end_date"], as_at), as_at)]
    return figure(sum(p["end_date"] >= add_months(p["start_date"], 24) for p in ceased), len(ceased))


def cp_plans_open_two_years_or_more(plans: list[dict], as_at: date) -> dict:
    """Plans open at the as-at date that had lasted 24 calendar months or more by then."""
    open_plans = [p for p in plans if _open_at(p, as_at)]
    return figure(sum(as_at >= add_months(p["start_date"], 24) for p in open_plans), len(open_plans))


def cp_rate(plans: list[dict], as_at: date, population: int) -> dict:
    children = {p["child_id"] for p in plans if _open_at(p, as_at)}
    return {**figure(len(children), len(children)), "value": 10000 * len(children) / population}


def icpc_start_event_check(enquiries: list[dict], as_at: date, target_working_days: int = 15) -> dict:
    """Enquiries with a strategy discussion in the period, and those whose recorded start is later than the evidence."""
    checked = affected = 0
    for enquiry in enquiries:
        start = enquiry["strategy_discussion_date"]
        if not period_contains(start, as_at):
            continue
        checked += 1
        target, icpc = enquiry["icpc_target_date"], known(enquiry["icpc_date"], as_at)
        affected += ((target is not None and (target < start or working_days_between(start, target) < target_working_days))
                     or (icpc is not None and icpc < start))
    return {"checked": checked, "affected": affected}
