"""The figures planted in generated data, computed by the plain-Python reference implementations.

The generator knows every fact it wrote (in warehouse-row form); applying the row-by-row reference
functions (src/csc_reference/) to those facts gives the figures the SQL must reproduce
exactly after the exports have gone through ingest. Two independent implementations, one answer.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from ..authority_config import indicator_parameters
from ..indicators.definitions import load_definitions
from csc_reference import adoption, care_leavers, child_protection, front_door, looked_after

Facts = dict[str, list[dict]]


def _split(value) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _care_leaver(f: Facts, d: date, p: dict) -> dict:
    return care_leavers.care_leaver_measure(f["care_leaver_status"], f["child"], f["care_episode"], f["visit"], f["review_event"],
                                            d, p["measure"], p["min_age"], p["max_age"], p.get("contact_days", 56))


def _health_check(f: Facts, d: date, p: dict) -> dict:
    return looked_after.cla_annual_check(f["care_episode"], f["health_check"], f["la_outcome"], d, _split(p["check_kinds"]),
                                         p["oc2_flag"], f["child"], p["under_five_interval_months"], p["measured_from"])


REFERENCES: dict[str, Callable[[Facts, date, dict], dict]] = {
    "re_referrals_within_12_months": lambda f, d, p: front_door.re_referrals_within_12_months(f["referral"], d),
    "assessments_within_45_working_days_from_referral": lambda f, d, p: front_door.assessments_within_45_working_days_from_referral(
        f["assessment"], f["referral"], d, p["timescale_working_days"]),
    "assessments_within_45_working_days_dfe": lambda f, d, p: front_door.assessments_within_45_working_days_dfe(
        f["assessment"], f["referral"], d, p["timescale_working_days"]),
    "child_seen_within_n_working_days": lambda f, d, p: front_door.child_seen_within_n_working_days(f["assessment"], f["visit"], d, p["working_days"]),
    "referrals_rate": lambda f, d, p: front_door.referrals_rate(f["referral"], d, p["population"]),
    "cin_rate": lambda f, d, p: front_door.cin_rate(f["referral"], d, p["population"]),
    "cp_visits_in_line_with_plan": lambda f, d, p: child_protection.cp_visits_in_line_with_plan(
        f["cp_plan"], f["visit"], f["cp_visit_frequency"], d, p["every_working_days"]),
    "cp_visits_seen_alone": lambda f, d, p: child_protection.cp_visits_seen_alone(f["visit"], d),
    "cp_reviews_on_time": lambda f, d, p: child_protection.cp_reviews_on_time(f["cp_plan"], f["cp_review"], d),
    "repeat_cp_plans_ever": lambda f, d, p: child_protection.repeat_cp_plans_ever(f["cp_plan"], d),
    "repeat_cp_plans_within_2_years": lambda f, d, p: child_protection.repeat_cp_plans_within_2_years(f["cp_plan"], d),
    "cp_plans_ceased_two_years_or_more": lambda f, d, p: child_protection.cp_plans_ceased_two_years_or_more(f["cp_plan"], d),
    "cp_plans_open_two_years_or_more": lambda f, d, p: child_protection.cp_plans_open_two_years_or_more(f["cp_plan"], d),
    "cp_rate": lambda f, d, p: child_protection.cp_rate(f["cp_plan"], d, p["population"]),
    "cla_visits_reg28": lambda f, d, p: looked_after.cla_visits_reg28(
        f["care_episode"], f["visit"], d, f["annex_a_latest"], _split(p["long_term_placement_types"]),
        la_reviews=f["la_review"], review_events=f["review_event"], arrangements=f["placement_arrangement"]),
    "cla_reviews_on_time": lambda f, d, p: looked_after.cla_reviews_on_time(
        f["care_episode"], f["la_review"], f["review_event"], d, p["first_review_working_days"], f["annex_a_latest"]),
    "placement_stability_short_term": lambda f, d, p: looked_after.placement_stability_short_term(f["care_episode"], d, p["placements_threshold"]),
    "placement_stability_long_term": lambda f, d, p: looked_after.placement_stability_long_term(f["care_episode"], f["child"], d),
    "cla_initial_health_assessment_20_working_days": lambda f, d, p: looked_after.cla_initial_health_assessment(
        f["care_episode"], f["health_check"], d, p["timescale_working_days"]),
    **{indicator_id: _health_check for indicator_id in (
        "cla_annual_health_assessment", "cla_dental_check", "cla_health_assessment_oc2_dfe")},
    "return_interview_offered_within_72_hours": lambda f, d, p: looked_after.return_interview_within_72_hours(
        f["missing_episode"], f["return_interview"], d),
    "cla_rate": lambda f, d, p: looked_after.cla_rate(f["care_episode"], d, p["population"]),
    "adoption_a1": lambda f, d, p: adoption.adoption_measure(f["adoption"], f["care_episode"], d, p["measure"], p["legacy_threshold_days"]),
    "adoption_a2": lambda f, d, p: adoption.adoption_measure(f["adoption"], f["care_episode"], d, p["measure"], p["legacy_threshold_days"]),
    "adoption_a10": lambda f, d, p: adoption.adoption_measure(f["adoption"], f["care_episode"], d, p["measure"], p["legacy_threshold_days"]),
    **{indicator_id: _care_leaver for indicator_id in (
        "care_leavers_in_touch_17_18", "care_leavers_in_touch_19_21", "care_leavers_eet_17_18", "care_leavers_eet_19_21",
        "care_leavers_suitable_accommodation_17_18", "care_leavers_suitable_accommodation_19_21",
        "care_leavers_contact_within_8_weeks", "pathway_plan_reviewed_within_6_months")},
}


def planted_figures(facts: Facts, as_at: date, authority: str) -> dict[str, dict]:
    """indicator_id -> {numerator, denominator, overdue} for every indicator with a reference implementation."""
    figures = {}
    for definition in load_definitions():
        reference = REFERENCES.get(definition.id)
        if reference:
            parameters = indicator_parameters(authority, definition.id, definition.parameters)
            result = reference(facts, as_at, parameters)
            figures[definition.id] = {k: result[k] for k in ("numerator", "denominator", "overdue")}
    return figures


def planted_schedules(facts: Facts, as_at: date, authority: str) -> dict[str, dict]:
    """indicator_id -> {schedule: {numerator, denominator, overdue}} for every indicator whose units follow several schedules."""
    figures = {}
    for definition in load_definitions():
        if definition.schedules and definition.id in REFERENCES:
            parameters = indicator_parameters(authority, definition.id, definition.parameters)
            figures[definition.id] = REFERENCES[definition.id](facts, as_at, parameters).get("schedules", {})
    return figures
