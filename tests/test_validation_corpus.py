"""The bad-input corpus, whole files: a clean generated authority passes every suite; a census that is empty or cut
short is rejected at ingest and the figures stay; a census breaking its schema sets aside only the child concerned.
The rules' cases are in test_validation_rules_*.py; the corpus itself in tests/support/validation_corpus.py."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.warehouse import make_engine
from tests.support.validation_corpus import AS_AT, published_figures, base, case_settings, clean_authority  # noqa: F401 (fixtures)


def test_a_clean_generated_authority_passes_every_suite(base):
    outcome = base["outcome"]
    assert [r for r in outcome.results if not r.success] == []
    assert {r.suite for r in outcome.results} == {
        "allocation", "assessment", "child", "cp_plan", "cp_review", "indicator_result", "referral", "section47_enquiry",
        "care_episode", "la_review", "visit", "review_event", "health_check", "missing_episode", "return_interview",
        "care_leaver_status", "adoption", "annex_a_latest", "uasc", "la_outcome",
        "previous_permanence", "social_worker_episode", "cp_visit_frequency", "placement_arrangement"}
    assert base["published"]


def _census(base) -> str:
    return next(base["archive"].glob("*cin_census_999_2025.xml")).read_text()


FILE_CASES = [
    ("empty census", "cin_census_empty.xml", lambda census: "", "cin_census_empty.xml: whole file: file is empty"),
    ("truncated census", "cin_census_truncated.xml", lambda census: census[: len(census) // 2],
     "cin_census_truncated.xml: line 1337, column 53: not well-formed XML: expected '>'"),
]


@pytest.mark.parametrize("name,file_name,corrupt,expected", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file_is_rejected_and_figures_stay(name, file_name, corrupt, expected, case_settings, base):
    """Rejected at ingest (XSD or XML rule, file and line named); nothing loads, the figures stay."""
    case_settings.landing_dir.mkdir(parents=True, exist_ok=True)
    (case_settings.landing_dir / file_name).write_text(corrupt(_census(base)))
    assert [str(e) for e in pipeline.ingest(case_settings).rejected] == [expected]
    pipeline.run(case_settings, AS_AT, "after-bad-file", send=False)
    engine = pipeline.warehouse(case_settings)
    assert [r[:7] for r in published_figures(engine)] == [r[:7] for r in base["published"]]


SCHEMA_CASES = [
    ("unknown referral source in the file", "cin_census_code.xml", lambda census: census.replace("<ReferralSource>", "<ReferralSource>Z", 1),
     "cin_census_code.xml: line 30, /Message/Children/Child[1]/CINdetails/ReferralSource: value 'Z5A' not a code the 2025 schema allows "
     "(child set aside; 2025 schema)"),
    ("day and month swapped into a month past 12", "cin_census_swapped.xml",
     lambda census: re.sub(r"<CINreferralDate>(\d{4})-(\d{2})-(1[3-9]|2\d|3[01])<", r"<CINreferralDate>\1-\3-\2<", census, count=1),
     "cin_census_swapped.xml: line 94, /Message/Children/Child[4]/CINdetails/CINreferralDate: value shaped '9999-99-99' not a valid xs:date "
     "(child set aside; 2025 schema)"),
]


@pytest.mark.parametrize("name,file_name,corrupt,expected", SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_a_schema_violation_sets_aside_only_its_child(name, file_name, corrupt, expected, case_settings, base):
    """The corrected census replaces the one loaded before (same scope); the child that breaks the schema is set aside
    (quarantined, its referrals gone from the figures) and every other child's referrals are exactly as before."""
    case_settings.landing_dir.mkdir(parents=True, exist_ok=True)
    (case_settings.landing_dir / file_name).write_text(corrupt(_census(base)))
    report = pipeline.ingest(case_settings)
    assert (report.rejected, report.warnings) == ([], [expected])
    engine = pipeline.warehouse(case_settings)
    referrals = "SELECT child_id, referral_date FROM referral WHERE authority = '999' ORDER BY 1, 2"
    with engine.connect() as conn:
        (set_aside,) = [json.loads(row)["child_id"] for row in conn.execute(text(
            "SELECT row_json FROM quarantine WHERE table_name = 'child' AND rule LIKE 'cin-census-2025-schema%'")).scalars()]
        after = conn.execute(text(referrals)).all()
    with make_engine(base["url"]).connect() as conn:
        before = conn.execute(text(referrals)).all()
    assert set_aside in {child for child, _ in before}
    assert after == [row for row in before if row[0] != set_aside]
