"""Plain-Python reference implementations of the looked-after indicators, row by row.

Independent of the SQL on purpose: the generator's ground truth and the analyst's baseline in the
benchmark. Each function takes lists of fact dicts (warehouse rows) and an as-at date and returns
{"numerator", "denominator", "overdue"} (plus "method" where the definition has a fallback).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from csc_monitor.dates import add_months
from csc_monitor.workdays import add_working_days, working_days_between

SHORT_BREAK_LEGAL_STATUSES = ("V3", "V4")
ADOPTION_WITH_CARER = ("A3", "A5")


def _result(numerator: int, denominator: int, overdue: int = 0, **extra) -> dict:
    return {"numerator": numerator, "denominator": denominator, "overdue": overdue, **extra}


def _by_child(rows) -> dict[str, list[dict]]:
    children: dict[str, list[dict]] = {}
    for row in rows:
        children.setdefault(row["child_id"], []).append(row)
    return children


def care_periods(episodes) -> list[dict]:
    """Periods of care: a new one starts at each RNE S; ends when its last episode ends."""
    periods = []
    for child, rows in _by_child(episodes).items():
        for episode in sorted(rows, key=lambda r: r["start_date"]):
            if episode["reason_new_episode"] == "S" or not periods or periods[-1]["child_id"] != child:
                periods.append({"child_id": child, "start_date": episode["start_date"], "episodes": []})
            periods[-1]["episodes"].append(episode)
            periods[-1]["end_date"] = episode["end_date"]
            periods[-1]["reason_ceased"] = episode["reason_ceased"]
    return periods


def period_placements(period: dict) -> list[dict]:
    """A period's placements: every episode starts one except RNE L (a legal status change only)."""
    result: list[dict] = []
    for episode in period["episodes"]:
        if episode["reason_new_episode"] != "L" or not result:
            result.append({"child_id": period["child_id"], "start_date": episode["start_date"],
                           "reason_new_episode": episode["reason_new_episode"],
                           "placement_type": episode["placement_type"], "episodes": []})
        result[-1]["end_date"] = episode["end_date"]
        result[-1]["episodes"].append(episode)
    return result


def placements(episodes) -> list[dict]:
    return [p for period in care_periods(episodes) for p in period_placements(period)]


def looked_after_on(episodes, day: date) -> list[dict]:
    """Periods of care open on `day` (an episode ending on `day` means not looked after that day)."""
    return [p for p in care_periods(episodes)
            if p["start_date"] <= day and (p["end_date"] is None or p["end_date"] > day)]


AT_HOME_ORDER_SCHEDULES = ("reg28_ico_at_home", "reg28_co_at_home")


def visit_schedule(episode: dict, arrangement: str | None) -> str:
    """The reg 28 schedule an episode of a placement is visited by; where several apply, the most frequent."""
    at_home = episode["placement_type"] == "P1"
    if episode["legal_status"] in SHORT_BREAK_LEGAL_STATUSES:
        return "short_break"
    if arrangement == "REG24_TEMPORARY_APPROVAL":
        return "reg28_reg24"
    if at_home and episode["legal_status"] == "C1":
        return "reg28_ico_at_home"
    if arrangement == "REG19_BEFORE_ASSESSMENT":
        return "reg28_reg19"
    if at_home and episode["legal_status"] == "C2":
        return "reg28_co_at_home"
    return "reg28_2"


def cla_visits_reg28(episodes, visits, as_at: date, annex_a=(), long_term_types=("U1", "U4"),
                     annex_a_measure="last_social_work_visit", annex_a_max_days=42,
                     la_reviews=(), review_events=(), arrangements=()) -> dict:
    """Reg 28 visits; the result also has "schedules": {schedule: {numerator, denominator, overdue}}."""
    if not any(v["visit_kind"] == "CLA" and v["visit_date"] <= as_at for v in visits):
        return _annex_a_latest(annex_a, as_at, annex_a_measure,
                               lambda last, extract: (extract - last).days <= annex_a_max_days)
    seen = _by_child(v for v in visits if v["visit_kind"] == "CLA" and v["seen"])
    reviews = cla_reviews_held(la_reviews, review_events)
    arranged: dict[tuple, str] = {}
    for row in arrangements:   # two rows for one placement: the stricter (reg 24 sorts after reg 19)
        key = (row["child_id"], row["placement_start_date"])
        arranged[key] = max(arranged.get(key, ""), row["arrangement"])
    period_start = add_months(as_at, -12)
    by_schedule: dict[str, list[int]] = {}
    for placement in placements(episodes):
        child, start, end = placement["child_id"], placement["start_date"], placement["end_date"]
        arrangement = arranged.get((child, start))
        in_force = [(e["start_date"], visit_schedule(e, arrangement)) for e in placement["episodes"]]
        orders = [day for (day, schedule), (_, before) in zip(in_force[1:], in_force)
                  if schedule in AT_HOME_ORDER_SCHEDULES and schedule != before]
        visit_days = sorted({v["visit_date"] for v in seen.get(child, [])
                             if v["visit_date"] >= start and (end is None or v["visit_date"] <= end)})
        windows = [(day, False) for day in [start] + orders] + [(day, True) for day in visit_days]
        for opened, by_visit in windows:
            schedule = [s for day, s in in_force if day <= opened][-1]
            if schedule == "short_break":
                continue
            began = max(day for day in [start] + orders if day <= opened)
            first_review = min((r for r in reviews.get(child, []) if r >= began), default=None)
            before_review = first_review is None or opened < first_review
            if not by_visit:
                due = opened + timedelta(days=7)
            elif schedule in ("reg28_reg24", "reg28_ico_at_home", "reg28_reg19") and before_review:
                due = opened + timedelta(days=7)
            elif schedule in ("reg28_reg24", "reg28_ico_at_home"):
                due = opened + timedelta(days=28)
            elif schedule in ("reg28_reg19", "reg28_co_at_home"):
                due = opened + timedelta(days=42)
            elif opened < add_months(start, 12) or placement["placement_type"] not in long_term_types:
                due = opened + timedelta(days=42)
            else:
                due = add_months(opened, 3)
            following = min((day for day in visit_days if day > opened or (day == opened and not by_visit)), default=None)
            status = _window_status(due, following, end, as_at, period_start)
            if status:
                counts = by_schedule.setdefault(schedule, [0, 0, 0])
                counts[0] += status == "met"
                counts[1] += status != "overdue"
                counts[2] += status == "overdue"
    totals = [sum(c[i] for c in by_schedule.values()) for i in range(3)]
    return _result(*totals, method="events", schedules={s: dict(zip(("numerator", "denominator", "overdue"), c))
                                                        for s, c in by_schedule.items()})


def _annex_a_latest(annex_a, as_at, measure, in_time) -> dict:
    """Annex A list 8 fallback: one unit per child in the latest extract; in_time(last date, extract date)."""
    extracts = [r["extract_date"] for r in annex_a if r["list_number"] == 8 and r["extract_date"] <= as_at]
    if not extracts:
        return _result(0, 0, method="annex_a_snapshot")
    latest = max(extracts)
    rows = [r for r in annex_a if r["list_number"] == 8 and r["extract_date"] == latest and r["measure"] == measure]
    met = sum(1 for r in rows if r["value_date"] is not None and in_time(r["value_date"], latest))
    return _result(met, len(rows), method="annex_a_snapshot")


def _window_status(due, following, end, as_at, period_start) -> str | None:
    """met / not_met / overdue for a window due in the period; None when not due in it (or due after the end, unvisited)."""
    if not period_start < due <= as_at or (following is None and end is not None and due > end):
        return None
    if following is not None and following <= due:
        return "met"
    if (following is not None and following <= as_at) or (end is not None and end <= as_at):
        return "not_met"
    return "overdue"


def _timed_windows(anchors, due_of, end, as_at, period_start):
    """Count (met, denominator, overdue) over the windows anchor[i] -> anchor[i+1] due in the period."""
    statuses = [_window_status(due_of(index, anchor), anchors[index + 1] if index + 1 < len(anchors) else None,
                               end, as_at, period_start) for index, anchor in enumerate(anchors)]
    return (statuses.count("met"), statuses.count("met") + statuses.count("not_met"), statuses.count("overdue"))


def cla_reviews_held(la_reviews, review_events) -> dict[str, list[date]]:
    """Looked-after reviews held, per child and sorted: the 903's and the CLA review events not cancelled, merged by date."""
    held = _by_child(list(la_reviews) + [e for e in review_events if e["review_kind"] == "CLA"
                                         and e["review_date"] is not None and not e["cancelled"]])
    return {child: sorted({r["review_date"] for r in rows}) for child, rows in held.items()}


def cla_reviews_on_time(episodes, la_reviews, review_events, as_at: date, first_review_working_days=20,
                        annex_a=(), annex_a_measure="latest_statutory_review") -> dict:
    held = cla_reviews_held(la_reviews, review_events)
    if not any(day <= as_at for days in held.values() for day in days):
        return _annex_a_latest(annex_a, as_at, annex_a_measure, lambda last, extract: last >= add_months(extract, -6))

    def due_of(index, anchor):
        if index == 0:
            return add_working_days(anchor, first_review_working_days)
        return add_months(anchor, 3 if index == 1 else 6)

    def short_break_due_of(index, anchor):
        return add_months(anchor, 3 if index == 0 else 6)

    totals = [0, 0, 0]
    for period in review_spells(episodes):
        start, end = period["start_date"], period["end_date"]
        reviews = [day for day in held.get(period["child_id"], [])
                   if day >= start and (end is None or day <= end or period["short_breaks"])]
        counts = _timed_windows([start] + reviews, short_break_due_of if period["short_breaks"] else due_of,
                                end, as_at, add_months(as_at, -12))
        totals = [a + b for a, b in zip(totals, counts)]
    return _result(*totals, method="events")


def review_spells(episodes) -> list[dict]:
    """Periods of care, except that a child's short-break periods (starting V3/V4, reg 48) are one spell from the
    start of the first to the end of the last (open while any is)."""
    spells, series = [], {}
    for period in care_periods(episodes):
        if period["episodes"][0]["reason_new_episode"] == "S" and period["episodes"][0]["legal_status"] in SHORT_BREAK_LEGAL_STATUSES:
            series.setdefault(period["child_id"], []).append(period)
        else:
            spells.append({**period, "short_breaks": False})
    for child, periods in series.items():
        ends = [p["end_date"] for p in periods]
        spells.append({"child_id": child, "start_date": min(p["start_date"] for p in periods),
                       "end_date": None if None in ends else max(ends), "short_breaks": True})
    return spells


def placement_stability_short_term(episodes, as_at: date, placements_threshold=3) -> dict:
    year_before = add_months(as_at, -12)
    met = denominator = 0
    for period in looked_after_on(episodes, as_at):
        child = period["child_id"]
        in_year = [e for e in episodes if e["child_id"] == child and e["start_date"] <= as_at
                   and (e["end_date"] is None or e["end_date"] > year_before)]
        if all(e["legal_status"] in SHORT_BREAK_LEGAL_STATUSES for e in in_year):
            continue
        moves = [p for p in placements(episodes) if p["child_id"] == child and p["start_date"] <= as_at
                 and (p["end_date"] is None or p["end_date"] > year_before)
                 and not (p["reason_new_episode"] in ("T", "U") and p["placement_type"] in ADOPTION_WITH_CARER)]
        denominator += 1
        met += len(moves) >= placements_threshold
    return _result(met, denominator)


def placement_stability_long_term(episodes, children, as_at: date) -> dict:
    birth = {c["child_id"]: c["birth_date"] for c in children}
    met = denominator = 0
    for period in looked_after_on(episodes, as_at):
        born = birth.get(period["child_id"])
        if period["start_date"] > add_months(as_at, -30) or born is None or add_months(born, 16 * 12) <= as_at:
            continue
        in_period = period_placements(period)
        current = max((p for p in in_period if p["start_date"] <= as_at), key=lambda p: p["start_date"])
        stable_since = current["start_date"]
        earlier = [p["start_date"] for p in in_period if p["start_date"] < stable_since]
        if current["placement_type"] in ("A3", "A4", "A5", "A6") and earlier:
            stable_since = max(earlier)
        denominator += 1
        met += stable_since <= add_months(as_at, -24)
    return _result(met, denominator)


def cla_initial_health_assessment(episodes, health_checks, as_at: date, timescale_working_days=20) -> dict:
    period_start = add_months(as_at, -12)
    met = denominator = overdue = 0
    for period in care_periods(episodes):
        start, end = period["start_date"], period["end_date"]
        due = add_working_days(start, timescale_working_days)
        assessments = [h["check_date"] for h in health_checks if h["child_id"] == period["child_id"]
                       and h["check_kind"] == "IHA" and h["check_date"] >= start and (end is None or h["check_date"] <= end)]
        first = min(assessments, default=None)
        if not period_start < due <= as_at or (first is None and end is not None and end < due):
            continue
        if period["episodes"][0]["legal_status"] in SHORT_BREAK_LEGAL_STATUSES:
            continue
        if first is not None and first <= as_at:
            denominator += 1
            met += working_days_between(start, first) <= timescale_working_days
        elif end is not None and end <= as_at:
            denominator += 1
        else:
            overdue += 1
    return _result(met, denominator, overdue)


def reporting_year(as_at: date) -> int:
    """The latest collection year (ending 31 March) that has ended on or before the as-at date."""
    return as_at.year if (as_at.month, as_at.day) >= (3, 31) else as_at.year - 1


def cla_annual_check(episodes, health_checks, outcomes, as_at: date, check_kinds=("IHA", "RHA"),
                     oc2_flag="health_assessment", children=(), under_five_months=12, measured_from="events_else_oc2") -> dict:
    """Health assessment (check_kinds IHA, RHA; under_five_months=6) or dental check (("DENTAL",), "teeth_check").

    The next check is due under_five_months after one held before the fifth birthday, else 12 months after it
    (no check yet: from the period start). measured_from="oc2" gives DfE's OC2 figure whatever events exist."""
    checks = [h for h in health_checks if h["check_kind"] in check_kinds and h["check_date"] <= as_at]
    if not checks or measured_from == "oc2":
        years = [o["collection_year"] for o in outcomes if o["collection_year"] <= reporting_year(as_at)]
        cohort = [o for o in outcomes if years and o["collection_year"] == max(years)]
        return _result(sum(1 for o in cohort if o[oc2_flag]), len(cohort), method="ssda903")
    birth = {c["child_id"]: c["birth_date"] for c in children}
    met = denominator = 0
    for period in looked_after_on(episodes, as_at):
        child, born = period["child_id"], birth.get(period["child_id"])
        last = max((h["check_date"] for h in checks if h["child_id"] == child), default=None)
        under_five = born is not None and (last or period["start_date"]) < add_months(born, 60)
        interval_before = add_months(as_at, -(under_five_months if under_five else 12))
        if period["start_date"] > interval_before:
            continue
        denominator += 1
        met += last is not None and last >= interval_before
    return _result(met, denominator, method="events")


def return_interview_within_72_hours(missing_episodes, return_interviews, as_at: date) -> dict:
    period_start = add_months(as_at, -12)
    as_at_end = datetime.combine(as_at + timedelta(days=1), time())
    interviews = {(r["child_id"], r["missing_start_date"]): r for r in return_interviews}
    met = denominator = 0
    for episode in missing_episodes:
        if episode["missing_type"] != "M" or episode["end_date"] is None or not period_start < episode["end_date"] <= as_at:
            continue
        interview = interviews.get((episode["child_id"], episode["start_date"]), {})
        returned = interview.get("returned_at") or datetime.combine(episode["end_date"], time())
        offered = interview.get("offered_at")
        offered = offered if offered is not None and offered < as_at_end else None
        deadline = returned + timedelta(hours=72)
        if offered is None and deadline >= as_at_end:
            continue
        denominator += 1
        met += offered is not None and offered <= deadline
    return _result(met, denominator)


def cla_rate(episodes, as_at: date, population: int) -> dict:
    """Children looked after at the as-at date (not on a short break); value per 10,000 children."""
    counted = {e["child_id"] for e in episodes if e["start_date"] <= as_at
               and (e["end_date"] is None or e["end_date"] > as_at) and e["legal_status"] not in SHORT_BREAK_LEGAL_STATUSES}
    return _result(len(counted), len(counted), value=10000 * len(counted) / population)
