"""Plain-Python reference for the front-door indicators and the rates: row by row, no SQL.

An analyst's baseline written straight from the definitions in indicators/*.yml. Every function takes
the warehouse rows it needs (lists of dicts, one per table), the as-at date and the indicator's parameters, and returns
{"numerator", "denominator", "overdue"}. The generator writes its planted ground truth with these, and the tests
check that the SQL agrees with them.
"""

from __future__ import annotations

from datetime import date

from csc_monitor.dates import add_months
from csc_monitor.workdays import working_days_between


def period_contains(day: date | None, as_at: date) -> bool:
    """The rolling 12 months ending on the as-at date: (as_at - 12 months, as_at]."""
    return day is not None and add_months(as_at, -12) < day <= as_at


def known(day: date | None, as_at: date) -> date | None:
    """A date as known at the as-at date: later dates have not happened yet."""
    return day if day is not None and day <= as_at else None


def figure(numerator: int, denominator: int, overdue: int = 0) -> dict:
    return {"numerator": numerator, "denominator": denominator, "overdue": overdue}


def re_referrals_within_12_months(referrals: list[dict], as_at: date) -> dict:
    numerator = denominator = 0
    for referral in referrals:
        if not period_contains(referral["referral_date"], as_at):
            continue
        denominator += 1
        window_start = add_months(referral["referral_date"], -12)
        if any(other["child_id"] == referral["child_id"] and window_start <= other["referral_date"] < referral["referral_date"]
               for other in referrals):
            numerator += 1
    return figure(numerator, denominator)


def _episode_closed(referrals: list[dict], assessment: dict, as_at: date) -> bool:
    for referral in referrals:
        if referral["child_id"] == assessment["child_id"] and referral["referral_date"] == assessment["referral_date"]:
            return known(referral["closure_date"], as_at) is not None
    return False


def _assessments_within(assessments: list[dict], referrals: list[dict], as_at: date, clock_start_field: str,
                        timescale_working_days: int) -> dict:
    numerator = denominator = overdue = 0
    for assessment in assessments:
        if assessment["start_date"] > as_at:
            continue
        clock_start = assessment[clock_start_field]
        authorised = known(assessment["authorisation_date"], as_at)
        if authorised is not None:
            if period_contains(authorised, as_at):
                denominator += 1
                numerator += working_days_between(clock_start, authorised) <= timescale_working_days
        elif (not _episode_closed(referrals, assessment, as_at)
              and working_days_between(clock_start, as_at) > timescale_working_days):
            overdue += 1
    return figure(numerator, denominator, overdue)


def assessments_within_45_working_days_from_referral(assessments: list[dict], referrals: list[dict], as_at: date,
                                                     timescale_working_days: int = 45) -> dict:
    return _assessments_within(assessments, referrals, as_at, "referral_date", timescale_working_days)


def assessments_within_45_working_days_dfe(assessments: list[dict], referrals: list[dict], as_at: date,
                                           timescale_working_days: int = 45) -> dict:
    return _assessments_within(assessments, referrals, as_at, "start_date", timescale_working_days)


def child_seen_within_n_working_days(assessments: list[dict], visits: list[dict], as_at: date, working_days: int = 5) -> dict:
    numerator = denominator = overdue = 0
    for assessment in assessments:
        if not period_contains(assessment["start_date"], as_at):
            continue
        seen_dates = [v["visit_date"] for v in visits
                      if v["child_id"] == assessment["child_id"] and v["visit_kind"] in ("CIN", "CP") and v["seen"]
                      and assessment["start_date"] <= v["visit_date"] <= as_at]
        if seen_dates:
            denominator += 1
            numerator += working_days_between(assessment["start_date"], min(seen_dates)) <= working_days
        elif working_days_between(assessment["start_date"], as_at) > working_days:
            overdue += 1
    return figure(numerator, denominator, overdue)


def referrals_rate(referrals: list[dict], as_at: date, population: int) -> dict:
    count = sum(period_contains(r["referral_date"], as_at) for r in referrals)
    return {**figure(count, count), "value": 10000 * count / population}


def cin_rate(referrals: list[dict], as_at: date, population: int) -> dict:
    children = {r["child_id"] for r in referrals
                if r["referral_date"] <= as_at and known(r["closure_date"], as_at) is None and not r["referral_nfa"]}
    return {**figure(len(children), len(children)), "value": 10000 * len(children) / population}

