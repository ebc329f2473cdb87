"""The DfE 903 and CIN validator rules on the tables the indicators read: one small clean world, one wrong fact per rule.

Each case changes one fact of the clean world (most at the rule's boundary: a review on the plan's start day,
a child starting care on the 18th birthday, a missing period starting on the date of birth) and validates that
changed table's suites: exactly the DfE rule fires, at its severity, naming its rule number on the summary line, and a
quarantining rule moves the row out. The clean world passes every suite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor.config import load_settings, project_dir
from csc_monitor.validation import runner
from csc_monitor.warehouse import ensure_schema, make_engine
from tests.conftest import new_warehouse_url
from tests.support.facts_cp import add_assessment, add_plan, add_reviews
from tests.support.facts_la import Facts

AS_AT = date(2025, 3, 31)  # no export loaded: the extract date is the as-at date
WORLD_TABLES = ("child", "allocation", "care_episode", "la_review", "missing_episode", "adoption", "uasc", "referral", "assessment",
                "section47_enquiry", "cp_plan", "cp_review", "quarantine", "validation_result", "table_volume")


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def warehouse(request, tmp_path_factory):
    """One warehouse per engine for the module (the schema and calendar are built once); each test resets it."""
    folder = tmp_path_factory.mktemp(f"dfe-{request.param}")
    url, _schema = new_warehouse_url(request, request.param, folder)
    settings = load_settings(warehouse_url=url, data_dir=folder / "data", landing_dir=folder / "landing", slack_token=None,
                             slack_base_url=None, authority="999")
    engine = make_engine(url)
    ensure_schema(engine)
    yield engine, settings
    engine.dispose()


@pytest.fixture
def world(warehouse):
    """The clean world, freshly built: the warehouse engine and settings."""
    engine, settings = warehouse
    with engine.begin() as conn:
        for table in WORLD_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    _clean_world(engine)
    return engine, settings


def _clean_world(engine) -> None:
    """A looked-after child (two episodes, a review, two missing periods), an adopted toddler, a UASC child and a child on a plan."""
    facts = Facts(engine)
    facts.child("L1", birth="2015-06-01")
    facts.add("care_episode", "E1", child_id="L1", start_date="2023-04-03", reason_new_episode="S", legal_status="C2", cin_code="N1",
              placement_type="U3", placement_provider="PR1", end_date="2023-09-01", reason_ceased="X1")
    facts.add("care_episode", "E2", child_id="L1", start_date="2023-09-01", reason_new_episode="P", legal_status="C2", cin_code="N1",
              placement_type="U4", placement_provider="PR1", end_date=None, reason_ceased=None)
    facts.add("la_review", "R1", child_id="L1", review_date="2023-05-01", review_code="PN1")
    facts.add("missing_episode", "M1", child_id="L1", missing_type="M", start_date="2023-06-10", end_date="2023-06-12")
    facts.add("missing_episode", "M2", child_id="L1", missing_type="A", start_date="2023-07-01", end_date="2023-07-02")
    facts.child("A1", birth="2020-01-15")
    facts.add("la_review", "R2", child_id="A1", review_date="2022-06-01", review_code="PN0")
    facts.add("adoption", "AD", child_id="A1", decision_date="2022-05-01", match_date="2022-09-01", placed_date="2022-09-20")
    facts.child("U1", birth="2008-05-01")
    facts.add("uasc", "UA", child_id="U1", uasc_ceased="2024-06-01")
    facts.child("K1", birth="2012-03-01")
    facts.add("section47_enquiry", child_id="K1", referral_date="2024-05-01", strategy_discussion_date="2024-05-06",
              icpc_target_date="2024-05-24", icpc_date="2024-05-14", icpc_not_required=False)
    with engine.begin() as conn:
        add_assessment(conn, "K1", referral="2024-05-01", start="2024-05-03", authorised="2024-05-20")
        add_plan(conn, "K1", "2024-05-14", end="2024-09-10")
        add_plan(conn, "K1", "2024-11-01")
        add_reviews(conn, "K1", "2024-05-14", "2024-08-01")
        conn.execute(text("UPDATE cp_plan SET collection_year = 2025"))  # from the 2024/25 census (CIN-1105 checks census plans)


@dataclass(frozen=True)
class Case:
    dfe: str
    suite: str
    rule: str
    change: str  # one SQL statement: the one wrong fact
    severity: str = "warning"
    rows: int = 1
    quarantined: int = 1


EPISODE_1, EPISODE_2 = "source_ref = 'E1'", "source_ref = 'E2'"
CASES = [
    Case("903-302", "care_episode", "first_episode_not_before_birth", f"UPDATE care_episode SET start_date = DATE '2015-05-01' WHERE {EPISODE_1}"),
    Case("903-352", "care_episode", "not_started_to_be_looked_after_at_18", "UPDATE child SET birth_date = DATE '2005-04-03' WHERE child_id = 'L1'"),
    Case("903-356", "care_episode", "episode_end_not_before_start", f"UPDATE care_episode SET end_date = DATE '2023-03-01' WHERE {EPISODE_1}"),
    Case("903-501", "care_episode", "care_episodes_do_not_overlap", f"UPDATE care_episode SET end_date = DATE '2023-09-15' WHERE {EPISODE_1}",
         rows=2, quarantined=2),
    Case("903-142", "care_episode", "open_episode_is_the_latest",
         f"UPDATE care_episode SET end_date = NULL, reason_ceased = NULL WHERE {EPISODE_1}"),
    Case("903-148", "care_episode", "end_date_and_reason_ceased_together", f"UPDATE care_episode SET reason_ceased = NULL WHERE {EPISODE_1}"),
    Case("903-385", "care_episode", "episode_end_not_after_reference_date",
         f"UPDATE care_episode SET end_date = DATE '2025-04-02', reason_ceased = 'E8' WHERE {EPISODE_2}"),
    Case("903-354", "care_episode", "episode_start_not_after_reference_date", f"UPDATE care_episode SET start_date = DATE '2025-04-01' WHERE {EPISODE_2}"),
    Case("903-143", "care_episode", "rne_in_code_list", f"UPDATE care_episode SET reason_new_episode = 'Z' WHERE {EPISODE_2}", quarantined=0),
    Case("903-144", "care_episode", "legal_status_in_code_list", f"UPDATE care_episode SET legal_status = 'Q1' WHERE {EPISODE_2}", quarantined=0),
    Case("903-149", "care_episode", "reason_ceased_in_code_list", f"UPDATE care_episode SET reason_ceased = 'E99' WHERE {EPISODE_1}", quarantined=0),
    Case("903-567", "missing_episode", "missing_end_not_before_start", "UPDATE missing_episode SET end_date = DATE '2023-06-09' WHERE source_ref = 'M1'"),
    Case("903-570", "missing_episode", "missing_start_not_after_reference_date",
         "UPDATE missing_episode SET start_date = DATE '2025-04-05', end_date = NULL WHERE source_ref = 'M2'"),
    Case("903-571", "missing_episode", "missing_end_not_after_reference_date", "UPDATE missing_episode SET end_date = DATE '2025-04-05' WHERE source_ref = 'M2'"),
    Case("903-586", "missing_episode", "missing_not_before_birth", "UPDATE missing_episode SET start_date = DATE '2015-06-01' WHERE source_ref = 'M1'"),
    Case("903-574", "missing_episode", "missing_periods_do_not_overlap", "UPDATE missing_episode SET start_date = DATE '2023-06-11' WHERE source_ref = 'M2'"),
    Case("903-1006", "missing_episode", "missing_type_in_code_list", "UPDATE missing_episode SET missing_type = 'X' WHERE source_ref = 'M2'"),
    Case("903-167", "la_review", "review_code_in_code_list", "UPDATE la_review SET review_code = 'PN9' WHERE source_ref = 'R1'", quarantined=0),
    Case("903-440", "la_review", "pn0_only_under_4", "UPDATE la_review SET review_date = DATE '2024-01-16' WHERE source_ref = 'R2'", quarantined=0),
    Case("903-441", "la_review", "pn1_to_pn7_only_from_4", "UPDATE la_review SET review_code = 'PN1' WHERE source_ref = 'R2'", quarantined=0),
    Case("903-333", "adoption", "decision_not_after_match", "UPDATE adoption SET decision_date = DATE '2022-09-02'"),
    Case("903-522", "adoption", "decision_not_after_placed_ceased", "UPDATE adoption SET placed_ceased_date = DATE '2022-04-30'"),
    Case("903-184", "adoption", "decision_not_before_birth", "UPDATE child SET birth_date = DATE '2022-05-02' WHERE child_id = 'A1'"),
    Case("903-304", "uasc", "uasc_ceased_not_after_18th_birthday", "UPDATE child SET birth_date = DATE '2006-05-01' WHERE child_id = 'U1'",
         quarantined=0),
    Case("CIN-1103", "assessment", "assessment_not_before_referral", "UPDATE assessment SET start_date = DATE '2024-04-30'"),
    Case("CIN-8608", "assessment", "authorisation_not_before_start", "UPDATE assessment SET authorisation_date = DATE '2024-05-02'"),
    Case("CIN-1104", "section47_enquiry", "icpc_not_before_referral", "UPDATE section47_enquiry SET referral_date = DATE '2024-05-20'",
         severity="critical", quarantined=0),
    Case("CIN-8615", "section47_enquiry", "icpc_not_before_strategy_discussion", "UPDATE section47_enquiry SET icpc_date = DATE '2024-05-03'",
         severity="critical", quarantined=0),
    Case("CIN-8630", "referral", "closure_not_before_referral", "UPDATE referral SET closure_date = DATE '2024-04-01'"),
    Case("CIN-1105", "cp_plan", "plan_not_before_referral", "UPDATE cp_plan SET start_date = DATE '2024-04-20' WHERE start_date = DATE '2024-05-14'"),
    Case("CIN-8925", "cp_plan", "plan_end_not_before_start", "UPDATE cp_plan SET end_date = DATE '2024-05-01' WHERE start_date = DATE '2024-05-14'"),
    Case("CIN-8840", "cp_plan", "plan_not_ending_on_its_start_day", "UPDATE cp_plan SET end_date = start_date WHERE start_date = DATE '2024-05-14'"),
    Case("CIN-8940", "cp_plan", "plans_do_not_overlap", "UPDATE cp_plan SET start_date = DATE '2024-09-10' WHERE start_date = DATE '2024-11-01'"),
    Case("CIN-8841", "cp_review", "review_not_before_plan_start", "UPDATE cp_review SET review_date = plan_start_date"),
]


def _validate_suites_reading(world, table: str):
    """Validate the world with the suites reading the changed table only (the others cannot change)."""
    engine, settings = world
    return runner.validate_warehouse(engine, settings, AS_AT, "one-wrong-fact", tables=[table])


def test_the_clean_world_passes_every_suite(world):
    engine, settings = world
    outcome = runner.validate_warehouse(engine, settings, AS_AT, "clean")
    assert [r for r in outcome.results if not r.success] == []
    assert {r.suite for r in outcome.results} >= {c.suite for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.dfe for c in CASES])
def test_one_wrong_fact_fires_its_dfe_rule(case, world):
    engine, _ = world
    with engine.begin() as conn:
        conn.execute(text(case.change))
    outcome = _validate_suites_reading(world, re.match(r"UPDATE (\w+)", case.change).group(1))

    assert {(r.rule, r.severity, r.failing_rows, r.quarantined) for r in outcome.results if not r.success} == {
        (case.rule, case.severity, case.rows, case.quarantined)}
    quarantined = f", {case.quarantined} quarantined" if case.quarantined else ""
    (line,) = [line for line in outcome.summary().splitlines() if f".{case.rule}:" in line]
    assert re.fullmatch(rf"  {case.severity.upper():8} {case.suite}\.{case.rule}: {case.rows} rows failing{quarantined} "
                        rf"\[{case.dfe} [^\]]+\]", line), line
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM quarantine WHERE rule = :r"), {"r": case.rule}).scalar_one() == case.quarantined


def test_every_dfe_rule_is_tested_here_and_listed_in_the_docs():
    labels = runner.dfe_labels()
    numbers = sorted(label.split()[0] for label in labels.values())
    assert numbers == sorted(c.dfe for c in CASES)
    docs = (project_dir() / "docs" / "validation.md").read_text()
    listed = re.findall(r"^\| (903-\w+|CIN-\w+) \|", docs, flags=re.M)
    assert sorted(listed) == numbers
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in docs.splitlines() if re.match(r"\| (903|CIN)-", line)}
    for (suite, rule), label in labels.items():
        assert f"| `{suite}.{rule}` |" in rows[label.split()[0]]


def test_a_future_uasc_end_the_day_before_the_18th_birthday_passes_903_304_but_is_set_aside_until_it_comes(world):
    """DfE accepts a DUC up to the 18th birthday however far ahead; a figure as at a date is not built on a date still to come."""
    engine, _ = world
    with engine.begin() as conn:
        conn.execute(text("UPDATE uasc SET uasc_ceased = DATE '2026-04-30'"))  # U1 is 18 on 2026-05-01
    outcome = _validate_suites_reading(world, "uasc")
    assert {(r.rule, r.success, r.quarantined) for r in outcome.results if r.rule.startswith("uasc_ceased_not_after")} == {
        ("uasc_ceased_not_after_18th_birthday", True, 0), ("uasc_ceased_not_after_reference_date", False, 1)}


def test_the_suites_reading_a_table_are_its_own_and_those_that_join_it():
    """`validate --table child` runs the child suite and every suite whose derived columns read child (a date of birth)."""
    assert sorted(s.name for s in runner.load_suites("facts", ["child"])) == [
        "adoption", "care_episode", "child", "la_review", "missing_episode", "referral", "uasc"]
    assert sorted(s.name for s in runner.load_suites("facts", ["referral"])) == ["cp_plan", "referral"]
    assert [s.name for s in runner.load_suites("facts", ["section47_enquiry"])] == ["section47_enquiry"]
