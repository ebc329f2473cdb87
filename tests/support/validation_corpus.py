"""The bad-input corpus: one generated authority per engine (built once per test module, on first use), a copy of
it per case, the mutations, and the cases with the exact rules each must fire. The cases are split across test modules
by kind of rule (keys, dates, codes and volumes) so the two test workers share them."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.config import load_settings
from csc_monitor.dashboard.queries import validation_warnings
from csc_monitor.synthetic import generate
from tests.conftest import new_warehouse_url

AS_AT = date(2025, 3, 31)
GOOD_RUN = "good-run"


def published_figures(engine):
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT indicator_id, as_at, scope_type, scope, numerator, denominator, overdue, run_id FROM indicator_result ORDER BY 1, 2, 3, 4"
        )).all()


def failed_warnings(engine, run_id: str) -> list[str]:
    """The warning rules a run failed, as `suite.rule: n rows failing`."""
    with engine.connect() as conn:
        return [f"{w['suite']}.{w['rule']}: {w['failing_rows']} rows failing"
                for w in validation_warnings(conn, run_id) if w["severity"] == "warning"]


def _settings(url, folder):
    return load_settings(warehouse_url=url, data_dir=folder / "data", landing_dir=folder / "landing",
                         slack_token=None, slack_base_url=None, authority="999", data_docs=False)


ENGINES = ["duckdb", "postgresql"]


@pytest.fixture(scope="module")
def clean_authority(request, tmp_path_factory):
    """A clean generated authority, ingested, validated and published once per engine, on first use."""
    built = {}

    def build(kind: str) -> dict:
        if kind not in built:
            folder = tmp_path_factory.mktemp(f"base-{kind}")
            url, _schema = new_warehouse_url(request, kind, folder)
            settings = _settings(url, folder)
            generate(settings.landing_dir, children=120, seed=3, reference_date=AS_AT, truth_path=folder / "truth.json")
            pipeline.ingest(settings)
            outcome = pipeline.run(settings, AS_AT, GOOD_RUN, send=False)
            engine = pipeline.warehouse(settings)
            if kind == "duckdb":
                with engine.begin() as conn:
                    conn.execute(text("CHECKPOINT"))
            built[kind] = {"kind": kind, "url": url, "folder": folder, "outcome": outcome, "published": published_figures(engine),
                           "archive": settings.archive_dir}
        return built[kind]
    return build


@pytest.fixture(params=ENGINES)
def base(request, clean_authority):
    return clean_authority(request.param)


@pytest.fixture
def case_settings(base, tmp_path):
    """A copy of the base warehouse for one case."""
    if base["kind"] == "duckdb":
        shutil.copy(base["folder"] / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        database, base_schema = base["url"].split("?options=-csearch_path%3D")
        schema = f"c_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(database)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            tables = conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND table_type = 'BASE TABLE'"
            ), {"s": base_schema}).scalars().all()
            for table in tables:
                conn.execute(text(f"CREATE TABLE {schema}.{table} AS SELECT * FROM {base_schema}.{table}"))
        admin.dispose()
        url = f"{database}?options=-csearch_path%3D{schema}"
    settings = _settings(url, tmp_path)
    yield settings
    pipeline.warehouse(settings).dispose()  # one engine per case URL: release its connections


# --- mutations ---------------------------------------------------------------------------------

def _row(conn, sql: str) -> dict:
    row = conn.execute(text(sql)).mappings().first()
    assert row is not None, sql
    return dict(row)


def _update(conn, table: str, row: dict, **values) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(text(f"UPDATE {table} SET {sets} WHERE source_file = :sf AND source_ref = :sr"),
                 {**values, "sf": row["source_file"], "sr": row["source_ref"]})


def _duplicate(table: str, new_ref: bool = False):
    def mutate(conn):
        row = _row(conn, f"SELECT * FROM {table} ORDER BY source_ref LIMIT 1")
        if new_ref:
            row["source_ref"] = "row 9999"
        conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    return mutate


def _set(table: str, where: str, **changes: Callable[[dict], object]):
    """Change one row (the first by source_ref matching `where`); each change is computed from the row."""
    def mutate(conn):
        row = _row(conn, f"SELECT * FROM {table} WHERE {where} ORDER BY source_ref LIMIT 1")
        _update(conn, table, row, **{k: f(row) for k, f in changes.items()})
    return mutate


def _add(table: str, copies: int = 1, **values: Callable[[dict], object]):
    """Rows of a table the generator leaves empty (903 UASC, OC2, PrevPerm, SWEpisodes; plan visit frequencies at this
    size), for the first looked-after child; values from its child row."""
    def mutate(conn):
        child = _row(conn, "SELECT c.* FROM child c WHERE c.child_id IN (SELECT child_id FROM care_episode) ORDER BY c.child_id LIMIT 1")
        row = {"authority": child["authority"], "child_id": child["child_id"], "source_file": f"{table}.csv", "source_ref": "row 2",
               **{k: f(child) for k, f in values.items()}}
        for _ in range(copies):
            conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    return mutate


def _shrink(table: str, keep_percent: int):
    def mutate(conn):
        refs = conn.execute(text(f"SELECT source_ref FROM {table} ORDER BY source_ref")).scalars().all()
        for ref in refs[len(refs) * keep_percent // 100:]:
            conn.execute(text(f"DELETE FROM {table} WHERE source_ref = :r"), {"r": ref})
    return mutate


def _swap_day_month(value: date) -> date:
    return date(value.year, value.day, value.month)


def _icpc_swapped_before_strategy(conn):
    """An ICPC date keyed with day and month swapped, landing before its strategy discussion."""
    rows = conn.execute(text("SELECT * FROM section47_enquiry WHERE icpc_date IS NOT NULL ORDER BY source_ref")).mappings().all()
    row = next(r for r in rows if r["icpc_date"].day <= 12 and _swap_day_month(r["icpc_date"]) < r["strategy_discussion_date"])
    _update(conn, "section47_enquiry", row, icpc_date=_swap_day_month(row["icpc_date"]))


def _referral_swapped_into_future(conn):
    """A referral date with day and month swapped that lands after the extract date."""
    rows = conn.execute(text("SELECT * FROM referral WHERE closure_date IS NULL ORDER BY source_ref")).mappings().all()
    row = next(r for r in rows if r["referral_date"].day <= 12 and _swap_day_month(r["referral_date"]) > AS_AT)
    _update(conn, "referral", row, referral_date=_swap_day_month(row["referral_date"]))


def _overlapping_allocations(conn):
    """A child's first allocation is extended 5 days past the start of the next one."""
    row = _row(conn, "SELECT a.* FROM allocation a JOIN allocation b ON b.child_id = a.child_id AND b.start_date = a.end_date + 1 "
                     "ORDER BY a.source_ref LIMIT 1")
    _update(conn, "allocation", row, end_date=row["end_date"] + timedelta(days=6))


def _overlapping_care_episodes(conn):
    """A child's episode is extended 10 days past the start of the next one (903 DEC keyed wrongly)."""
    row = _row(conn, "SELECT a.* FROM care_episode a JOIN care_episode b ON b.child_id = a.child_id AND b.start_date = a.end_date "
                     "ORDER BY a.source_ref LIMIT 1")
    _update(conn, "care_episode", row, end_date=row["end_date"] + timedelta(days=10))


DAY = timedelta(days=1)


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable
    failing: dict[str, tuple[str, int]]  # suite.rule -> (severity, rows failing)
    quarantined: int = 0
    extra: dict = field(default_factory=dict)
    changes: tuple[str, ...] = ()  # the tables the mutation changes, when not those of the failing rules

    @property
    def changed_tables(self) -> list[str]:
        return list(self.changes or {rule.split(".")[0] for rule in self.failing})


CASES = [
    Case("duplicated child", _duplicate("child"), {"child.child_key_unique": ("warning", 2)}),
    Case("overlapping care episodes", _overlapping_care_episodes, {"care_episode.care_episodes_do_not_overlap": ("warning", 2)}, quarantined=2),
    Case("duplicated care episode", _duplicate("care_episode"), {"care_episode.episode_key_unique": ("warning", 2)}),
    Case("duplicated care leaver record", _duplicate("care_leaver_status"), {"care_leaver_status.care_leaver_key_unique": ("warning", 2)}),
    Case("duplicated enquiry", _duplicate("section47_enquiry"), {"section47_enquiry.enquiry_key_unique": ("warning", 2)}),
    Case("duplicated referral", _duplicate("referral"), {"referral.referral_key_unique": ("warning", 2)}),
    Case("duplicated assessment", _duplicate("assessment"), {"assessment.assessment_key_unique": ("warning", 2)}),
    Case("duplicated plan", _duplicate("cp_plan"), {"cp_plan.cp_plan_key_unique": ("warning", 2)}),
    Case("duplicated review", _duplicate("cp_review"), {"cp_review.cp_review_key_unique": ("warning", 2)}),
    Case("duplicated allocation line", _duplicate("allocation", new_ref=True),
         {"allocation.allocation_key_unique": ("warning", 2), "allocation.allocations_do_not_overlap": ("warning", 2)}, quarantined=2),
    Case("ICPC before strategy discussion (and so before its referral, three days before)",
         _set("section47_enquiry", "icpc_date IS NOT NULL", icpc_date=lambda r: r["strategy_discussion_date"] - 3 * DAY),
         {"section47_enquiry.icpc_not_before_strategy_discussion": ("critical", 1), "section47_enquiry.icpc_not_before_referral": ("critical", 1)}),
    Case("ICPC date with day and month swapped", _icpc_swapped_before_strategy,
         {"section47_enquiry.icpc_not_before_strategy_discussion": ("critical", 1), "section47_enquiry.icpc_not_before_referral": ("critical", 1)}),
    Case("future strategy discussion", _set("section47_enquiry", "icpc_date IS NULL", strategy_discussion_date=lambda r: AS_AT + 10 * DAY),
         {"section47_enquiry.strategy_discussion_date_in_range": ("critical", 1)}),
    Case("strategy discussion before the calendar", _set("section47_enquiry", "icpc_date IS NULL", strategy_discussion_date=lambda r: date(2009, 6, 1)),
         {"section47_enquiry.strategy_discussion_date_in_range": ("critical", 1)}),
    Case("future ICPC", _set("section47_enquiry", "icpc_date IS NOT NULL", icpc_date=lambda r: AS_AT + 2 * DAY),
         {"section47_enquiry.icpc_date_not_after_reference_date": ("critical", 1)}),
    Case("ICPC target before the calendar", _set("section47_enquiry", "icpc_target_date IS NOT NULL", icpc_target_date=lambda r: date(2009, 1, 5)),
         {"section47_enquiry.icpc_target_date_in_calendar": ("warning", 1)}),
    Case("enquiries collapsed to a third", _shrink("section47_enquiry", 33), {"section47_enquiry.volume_within_band": ("critical", None)}),
    Case("allocations emptied", _shrink("allocation", 0), {"allocation.volume_within_band": ("critical", None)}),
    Case("children halved and a bit", _shrink("child", 45), {"child.volume_within_band": ("critical", None)}),
    Case("overlapping allocations", _overlapping_allocations, {"allocation.allocations_do_not_overlap": ("warning", 2)}, quarantined=2),
    Case("allocation ending before it starts", _set("allocation", "end_date IS NOT NULL", end_date=lambda r: r["start_date"] - DAY),
         {"allocation.allocation_end_not_before_start": ("warning", 1)}, quarantined=1),
    Case("referral date with day and month swapped into the future", _referral_swapped_into_future,
         {"referral.referral_date_not_after_reference_date": ("warning", 1)}, quarantined=1),
    Case("unknown referral source", _set("referral", "1 = 1", referral_source=lambda r: "1Z"), {"referral.referral_source_in_code_list": ("warning", 1)}),
    Case("unknown primary need", _set("referral", "1 = 1", primary_need=lambda r: "N11"), {"referral.primary_need_in_code_list": ("warning", 1)}),
    Case("unknown closure reason", _set("referral", "closure_reason IS NOT NULL", closure_reason=lambda r: "RC99"),
         {"referral.closure_reason_in_code_list": ("warning", 1)}),
    Case("unknown category of abuse", _set("cp_plan", "1 = 1", initial_category=lambda r: "NEGLECT"), {"cp_plan.initial_category_in_code_list": ("warning", 1)}),
    Case("unknown latest category", _set("cp_plan", "1 = 1", latest_category=lambda r: "XXX"), {"cp_plan.latest_category_in_code_list": ("warning", 1)}),
    Case("unknown ethnicity", _set("child", "1 = 1", ethnicity=lambda r: "ZZZZ"), {"child.ethnicity_in_code_list": ("warning", 1)}),
    Case("unknown sex", _set("child", "1 = 1", sex=lambda r: "X"), {"child.sex_in_code_list": ("warning", 1)}),
    Case("future date of birth", _set("child", "1 = 1", birth_date=lambda r: date(2026, 1, 1)),
         {"child.birth_date_not_after_reference_date": ("warning", 1)}, quarantined=1),
    Case("death before birth", _set("child", "1 = 1", death_date=lambda r: r["birth_date"] - DAY), {"child.death_not_before_birth": ("warning", 1)}, quarantined=1),
    Case("referral before birth", lambda conn: conn.execute(text(
        "UPDATE child SET birth_date = (SELECT MIN(r.referral_date) + 1 FROM referral r WHERE r.child_id = child.child_id) "
        "WHERE child_id = (SELECT MIN(child_id) FROM child)")),
         {"referral.referral_not_before_birth": ("warning", 1)}, quarantined=1, changes=("child",)),
    Case("episode closed before referral", _set("referral", "closure_date IS NOT NULL", closure_date=lambda r: r["referral_date"] - DAY),
         {"referral.closure_not_before_referral": ("warning", 1)}, quarantined=1),
    Case("assessment before referral", _set("assessment", "1 = 1", start_date=lambda r: r["referral_date"] - 2 * DAY),
         {"assessment.assessment_not_before_referral": ("warning", 1)}, quarantined=1),
    Case("assessment authorised before it started", _set("assessment", "authorisation_date IS NOT NULL", authorisation_date=lambda r: r["start_date"] - DAY),
         {"assessment.authorisation_not_before_start": ("warning", 1)}, quarantined=1),
    Case("future authorisation", _set("assessment", "authorisation_date IS NOT NULL", authorisation_date=lambda r: AS_AT + 30 * DAY),
         {"assessment.authorisation_not_after_reference_date": ("warning", 1)}, quarantined=1),
    Case("plan ending before it starts", _set("cp_plan", "end_date IS NOT NULL", end_date=lambda r: r["start_date"] - 10 * DAY),
         {"cp_plan.plan_end_not_before_start": ("warning", 1)}, quarantined=1),
    Case("future plan end", _set("cp_plan", "end_date IS NOT NULL", end_date=lambda r: AS_AT + 5 * DAY),
         {"cp_plan.plan_end_not_after_reference_date": ("warning", 1)}, quarantined=1),
    Case("review before its plan", _set("cp_review", "1 = 1", review_date=lambda r: r["plan_start_date"] - DAY),
         {"cp_review.review_not_before_plan_start": ("warning", 1)}, quarantined=1),
    Case("future review", _set("cp_review", "1 = 1", review_date=lambda r: AS_AT + DAY),
         {"cp_review.review_date_not_after_reference_date": ("warning", 1)}, quarantined=1),
    Case("duplicated UASC record", _add("uasc", copies=2, uasc_ceased=lambda c: c["birth_date"] + timedelta(days=16 * 365)),
         {"uasc.uasc_key_unique": ("warning", 2)}),
    Case("UASC ceased before birth", _add("uasc", uasc_ceased=lambda c: c["birth_date"] - DAY),
         {"uasc.uasc_ceased_not_before_birth": ("warning", 1)}, quarantined=1),
    Case("future UASC end (the child is already over 18)", _add("uasc", uasc_ceased=lambda c: AS_AT + 40 * DAY),
         {"uasc.uasc_ceased_not_after_reference_date": ("warning", 1), "uasc.uasc_ceased_not_after_18th_birthday": ("warning", 1)}, quarantined=1),
    Case("duplicated OC2 record", _add("la_outcome", copies=2, collection_year=lambda c: 2025, sdq_score=lambda c: 12),
         {"la_outcome.la_outcome_key_unique": ("warning", 2)}),
    Case("SDQ score out of range", _add("la_outcome", collection_year=lambda c: 2025, sdq_score=lambda c: 41),
         {"la_outcome.sdq_score_between_0_and_40": ("warning", 1)}, quarantined=1),
    Case("duplicated PrevPerm record", _add("previous_permanence", copies=2, previous_permanence=lambda c: "P2"),
         {"previous_permanence.previous_permanence_key_unique": ("warning", 2)}),
    Case("unknown previous permanence", _add("previous_permanence", previous_permanence=lambda c: "P9"),
         {"previous_permanence.previous_permanence_in_code_list": ("warning", 1)}),
    Case("duplicated social worker episode", _add("social_worker_episode", copies=2, worker_id=lambda c: "SW1", start_date=lambda c: date(2024, 5, 1)),
         {"social_worker_episode.social_worker_episode_key_unique": ("warning", 2)}),
    Case("social worker episode ending before it starts",
         _add("social_worker_episode", worker_id=lambda c: "SW1", start_date=lambda c: date(2024, 5, 1), end_date=lambda c: date(2024, 4, 1)),
         {"social_worker_episode.social_worker_episode_end_not_before_start": ("warning", 1)}, quarantined=1),
    Case("duplicated visit frequency", _add("cp_visit_frequency", copies=2, plan_start_date=lambda c: date(2024, 9, 2), every_working_days=lambda c: 5),
         {"cp_visit_frequency.frequency_key_unique": ("warning", 2)}),
    Case("visit frequency of zero", _add("cp_visit_frequency", plan_start_date=lambda c: date(2024, 9, 2), every_working_days=lambda c: 0),
         {"cp_visit_frequency.every_working_days_between_1_and_65": ("warning", 1)}, quarantined=1),
]


# One case for each kind of rule is checked on PostgreSQL as well as DuckDB (GX runs its checks in the warehouse there).
ON_POSTGRESQL = {
    "duplicated child",                          # compound key unique
    "duplicated allocation line",                # key unique and overlapping periods, quarantined
    "overlapping care episodes",                 # overlapping episodes
    "ICPC before strategy discussion (and so before its referral, three days before)",  # column pair, critical
    "future strategy discussion",                # date in range, critical
    "enquiries collapsed to a third",            # volume band, critical
    "unknown sex",                               # code list
    "referral before birth",                     # across tables, quarantined
    "SDQ score out of range",                    # number between, quarantined
    "future UASC end (the child is already over 18)",  # two rules on one row
}
# A critical and a warning case run the whole pipeline on both engines: the published figures kept and marked stale,
# or replaced with the rows quarantined and a caveat. The others run the suites reading the tables they change: what
# the pipeline does with a failing rule is the same for every rule of a severity.
END_TO_END = {"ICPC before strategy discussion (and so before its referral, three days before)", "duplicated allocation line"}


def _kind(case: Case) -> str:
    rules = list(case.failing)
    if any(r.endswith("_unique") or r.endswith("_do_not_overlap") for r in rules):
        return "keys"
    if any(r.endswith("_in_code_list") or r.endswith("volume_within_band") or "_between_" in r for r in rules):
        return "codes_and_volumes"
    return "dates"


def engine_cases(kind: str) -> list:
    """The cases of one kind of rule: every one on DuckDB, those in ON_POSTGRESQL on PostgreSQL too."""
    return [pytest.param(engine, case, id=f"{engine}-{case.name}") for engine in ENGINES for case in CASES
            if _kind(case) == kind and (engine == "duckdb" or case.name in ON_POSTGRESQL)]


def fires_exactly_its_rule(case: Case, case_settings, base) -> None:
    engine = pipeline.warehouse(case_settings)
    with engine.begin() as conn:
        case.mutate(conn)
    critical = any(severity == "critical" for severity, _ in case.failing.values())
    if case.name not in END_TO_END:
        outcome = pipeline.validate(case_settings, AS_AT, "bad-run", stop_on_critical=False, tables=case.changed_tables)
    elif critical:
        with pytest.raises(pipeline.ValidationFailed) as failure:
            pipeline.run(case_settings, AS_AT, "bad-run", send=False)
        outcome = failure.value.outcome
    else:
        outcome = pipeline.run(case_settings, AS_AT, "bad-run", send=False)

    failing = {f"{r.suite}.{r.rule}": (r.severity, r.failing_rows) for r in outcome.results if not r.success}
    expected = {rule: (severity, failing[rule][1] if rows is None and rule in failing else rows) for rule, (severity, rows) in case.failing.items()}
    assert failing == expected
    assert sum(r.quarantined for r in outcome.results) == case.quarantined
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM quarantine WHERE run_id = 'bad-run'")).scalar_one() == case.quarantined
        stale_since = conn.execute(text("SELECT stale_since FROM result_staleness WHERE run_id = :r"), {"r": GOOD_RUN}).scalar_one()
    if case.name not in END_TO_END:
        assert published_figures(engine) == base["published"] and stale_since is None
    elif critical:
        assert published_figures(engine) == base["published"]
        assert stale_since is not None
    else:
        assert {r.run_id for r in published_figures(engine)} == {"bad-run"} and stale_since is None
        assert failed_warnings(engine, "bad-run") == [f"{rule}: {rows} rows failing" for rule, (_, rows) in sorted(case.failing.items())]
