"""Run the suites in expectations/ and turn GX results into a summary a person can read.

Suites are GX 1.x JSON, versioned with the code; a suite for a new table is just a new file. Each
expectation carries GX's own `severity` (critical stops the run; warning publishes with a caveat)
and `meta.rule`, the name people see; one that implements a DfE 903 or CIN validator rule also
carries `meta.dfe_rule` (e.g. 903-302) and `meta.dfe_label`, shown on its summary line. Suite meta
names the table, its natural key, its date columns and any derived columns (SQL the suite sees as
ordinary columns, e.g. an overlap flag).
`stage` is `facts` (before computing) or `results` (the figures a run just computed).

On PostgreSQL the checks run in the warehouse (a GX SQL data source over one query per suite); on
DuckDB, whose GX SQL source fails, the same query is read into pandas. Failing rows are named by
source file and the place in it. Rows failing an expectation marked `meta.quarantine` are moved to
the quarantine table (see quarantine.py); every rule's outcome is stored in validation_result. A suite over
no rows with no earlier volume (an optional export not supplied) passes every rule without calling GX, as GX
would find, and is left out of that run's Data Docs.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from ..config import Settings
from ..warehouse import insert_rows
from ..workdays import CALENDAR_START
from .code_lists import code_lists
from .quarantine import quarantine_rows
from .suites import suite_files

MAX_EXAMPLES = 5
ROW_ID = ["source_file", "source_ref"]
ROW_LEVEL_TYPES = ("expect_column_values_", "expect_column_pair_values_")
VOLUME_TYPE = "expect_table_row_count_to_be_between"
DUPLICATE_TYPE = "expect_compound_columns_to_be_unique"


@dataclass(frozen=True)
class RuleResult:
    suite: str
    rule: str
    severity: str
    success: bool
    failing_rows: int
    examples: tuple[str, ...] = ()
    error: str | None = None
    quarantined: int = 0


@dataclass
class ValidationOutcome:
    run_id: str
    results: list[RuleResult] = field(default_factory=list)
    report_dir: Path | None = None

    @property
    def critical_failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity != "critical"]

    def summary(self) -> str:
        failed = [r for r in self.results if not r.success]
        dfe = dfe_labels()
        lines = [f"validation {self.run_id}: {len(self.results)} rules, {len(self.critical_failures)} critical failures, {len(self.warnings)} warnings"]
        for r in sorted(failed, key=lambda r: (r.severity != "critical", r.suite, r.rule)):
            quarantined = f", {r.quarantined} quarantined" if r.quarantined else ""
            label = f" [{dfe[r.suite, r.rule]}]" if (r.suite, r.rule) in dfe else ""
            lines.append(f"  {r.severity.upper():8} {r.suite}.{r.rule}: {r.failing_rows} rows failing{quarantined}{label}"
                         + (f" ({r.error})" if r.error else ""))
            lines += [f"           e.g. {example}" for example in r.examples]
        if self.report_dir:
            lines.append(f"report: {self.report_dir / 'summary.txt'}" + (f" (Data Docs: {self.report_dir / 'index.html'})" if (self.report_dir / "index.html").exists() else ""))
        return "\n".join(lines)

    def raise_if_critical(self) -> None:
        if self.critical_failures:
            raise ValidationFailed(self)


class ValidationFailed(Exception):
    def __init__(self, outcome: ValidationOutcome):
        self.outcome = outcome
        super().__init__(outcome.summary())


def stored_outcome(engine: Engine, run_id: str) -> ValidationOutcome:
    """A run's outcome so far, read back from validation_result (a later Airflow task adds its stage to it)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT suite, rule, severity, success, failing_rows, examples FROM validation_result "
                                 "WHERE run_id = :r ORDER BY suite, rule"), {"r": run_id}).all()
    return ValidationOutcome(run_id, [
        RuleResult(r.suite, r.rule, r.severity, bool(r.success), r.failing_rows,
                   () if r.success or not r.examples else tuple(r.examples.split("\n")))
        for r in rows])


@dataclass(frozen=True)
class Suite:
    path: Path
    gx_suite: object
    meta: dict
    expectations: tuple[dict, ...]

    @property
    def name(self) -> str:
        return self.gx_suite.name

    @property
    def table(self) -> str:
        return self.meta["table"]

    def expectation(self, rule: str) -> dict:
        return next(e for e in self.expectations if e["meta"]["rule"] == rule)


def dfe_labels() -> dict[tuple[str, str], str]:
    """(suite, rule) -> the DfE validator rule it implements, e.g. '903-302 first episode before date of birth'.

    Read from each expectation's `meta.dfe_rule` and `meta.dfe_label`, so a summary read back from the
    warehouse (a later Airflow task) names the DfE rule too.
    """
    labels = {}
    for path in suite_files():
        raw = json.loads(path.read_text())
        for e in raw["expectations"]:
            if e["meta"].get("dfe_rule"):
                labels[raw["name"], e["meta"]["rule"]] = f"{e['meta']['dfe_rule']} {e['meta']['dfe_label']}"
    return labels


def _load_suite(path: Path) -> Suite:
    import great_expectations as gx

    raw = json.loads(path.read_text())
    suite = gx.ExpectationSuite(**raw)
    if len(suite.expectations) != len(raw["expectations"]):  # GX drops unknown expectation types silently
        raise ValueError(f"{path.name}: an expectation type is unknown to Great Expectations")
    for e in raw["expectations"]:
        if e["meta"].get("quarantine") and (e.get("severity") != "warning" or not e["type"].startswith(ROW_LEVEL_TYPES)):
            raise ValueError(f"{path.name}: {e['meta']['rule']}: only row-level warning rules may quarantine")
        if bool(e["meta"].get("dfe_rule")) != bool(e["meta"].get("dfe_label")):
            raise ValueError(f"{path.name}: {e['meta']['rule']}: a DfE rule needs both dfe_rule and dfe_label")
    return Suite(path, suite, raw["meta"], tuple(raw["expectations"]))


def load_suites(stage: str, tables: Collection[str] | None = None) -> list[Suite]:
    """The stage's suites; with `tables`, only those whose rows read one of them (its own table, or another in a
    derived column or filter), so checking one corrected export leaves out suites its rows cannot change."""
    suites = [s for s in map(_load_suite, suite_files()) if s.meta.get("stage", "facts") == stage]
    if tables is None:
        return suites
    return [s for s in suites if any(re.search(rf"\b{re.escape(t)}\b", relation_sql(s.meta, defaultdict(str))) for t in tables)]


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _literal(value) -> str:
    """A SQL literal for a run value (GX query assets take no bound parameters)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_literal, value)) or "NULL"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def relation_sql(meta: dict, values: dict) -> str:
    """The rows a suite sees: its table, filtered to the authority (and run), plus derived columns."""
    derived = "".join(f", ({expression}) AS {name}" for name, expression in meta.get("derived_columns", {}).items())
    where = " AND ".join(["t.authority = :authority", *([meta["where"]] if meta.get("where") else [])])
    sql = f"SELECT t.*{derived} FROM {meta['table']} t WHERE {where}"
    return re.sub(r"(?<![:\w]):(\w+)", lambda m: _literal(values[m.group(1)]), sql)


class _PandasSource:
    """DuckDB (and any non-PostgreSQL warehouse): read the suite's rows into pandas."""

    def __init__(self, context, engine: Engine):
        self.engine = engine
        self.asset = context.data_sources.add_pandas("warehouse").add_dataframe_asset("rows")
        self.batch_definition = self.asset.add_batch_definition_whole_dataframe("whole")

    def batch(self, suite: Suite, sql: str):
        with self.engine.connect() as conn:
            frame = pd.read_sql(text(sql), conn)
        for column in suite.meta.get("date_columns", []):
            frame[column] = pd.to_datetime(frame[column])
        return self.batch_definition.get_batch(batch_parameters={"dataframe": frame})

    def close(self) -> None:
        pass


class _PostgresSource:
    """PostgreSQL: GX sends each check to the warehouse as SQL over the suite's query."""

    def __init__(self, context, engine: Engine):
        self.source = context.data_sources.add_postgres("warehouse", connection_string=engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        """GX keeps its own engine per data source: release its connections."""
        self.source.get_engine().dispose()

    def batch(self, suite: Suite, sql: str):
        return self.source.add_query_asset(name=suite.name, query=sql).add_batch_definition_whole_table("whole").get_batch()


def _source(context, engine: Engine):
    return _PostgresSource(context, engine) if engine.dialect.name == "postgresql" else _PandasSource(context, engine)


def _reference_date(engine: Engine, settings: Settings, as_at: date) -> date:
    """No event may be dated after the extract date: the setting, else the latest export's reference date, else as-at."""
    if settings.extract_date:
        return settings.extract_date
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT MAX(reference_date) FROM load_file WHERE authority = :a"), {"a": settings.authority}
        ).scalar()
    return latest or as_at


def _collection_year(engine: Engine, authority: str, as_at: date) -> int:
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT MAX(collection_year) FROM load_file WHERE authority = :a AND kind = 'cin_census'"), {"a": authority}
        ).scalar()
    return latest or (as_at.year + (as_at.month > 3))


def _previous_volume(engine: Engine, authority: str, table: str, run_id: str) -> int | None:
    """Rows in the table at the last run whose validation passed (a failed run's count is no baseline)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT row_count FROM table_volume WHERE authority = :a AND table_name = :t AND passed AND run_id <> :r "
            "ORDER BY recorded_at DESC LIMIT 1"), {"a": authority, "t": table, "r": run_id}).scalar()


def _percentage_indicators() -> list[str]:
    from ..indicators.definitions import load_definitions

    return [d.id for d in load_definitions() if d.spec.get("aggregate", "percentage") == "percentage"]


def _error(result) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message")
    return next((v["exception_message"] for v in info.values() if isinstance(v, dict) and v.get("raised_exception")), None)


def _describe(row: dict, file_names: dict[str, str]) -> str:
    return f"{file_names.get(row['source_file'], row['source_file'])} {row['source_ref']}"


def _duplicates(engine: Engine, relation: str, columns: list[str]) -> list[dict]:
    """Rows sharing a key (GX names no rows for compound uniqueness on SQL, so ask the warehouse)."""
    on = " AND ".join(f"r.{c} = d.{c}" for c in columns)
    keys = ", ".join(columns)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            f"SELECT r.source_file, r.source_ref FROM ({relation}) r "
            f"JOIN (SELECT {keys} FROM ({relation}) k GROUP BY {keys} HAVING COUNT(*) > 1) d ON {on} "
            "ORDER BY r.source_file, r.source_ref")).mappings()]


def _severity(config) -> str:
    return config.severity.value if hasattr(config.severity, "value") else str(config.severity)


def _has_rows(engine: Engine, relation: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT 1 FROM ({relation}) r LIMIT 1")).first() is not None


def _rules_holding_of_no_rows(suite: Suite) -> list[RuleResult]:
    """A suite over no rows, with no earlier volume to fall from (an optional export not supplied): every rule holds,
    as GX itself finds (tests/test_validation.py compares the two), without GX's fixed cost of about 0.1 s per suite."""
    return [RuleResult(suite=suite.name, rule=e.meta["rule"], severity=_severity(e), success=True, failing_rows=0)
            for e in suite.gx_suite.expectations]


def _parameters(engine: Engine, settings: Settings, as_at: date, run_id: str) -> dict:
    return {
        "reference_date": pd.Timestamp(_reference_date(engine, settings, as_at)),
        "calendar_start": pd.Timestamp(CALENDAR_START),
        "min_denominator_percent_of_previous": 100.0 - settings.denominator_band_percent,
        **code_lists(_collection_year(engine, settings.authority, as_at)),
    }


def _sql_values(settings: Settings, as_at: date, run_id: str) -> dict:
    return {"authority": settings.authority, "as_at": as_at, "run_id": run_id,
            "small_number_limit": settings.small_number_limit, "percentage_indicators": _percentage_indicators()}


def validate_warehouse(engine: Engine, settings: Settings, as_at: date, run_id: str, stage: str = "facts",
                       outcome: ValidationOutcome | None = None, tables: Collection[str] | None = None) -> ValidationOutcome:
    """Run one stage's suites (with `tables`, those reading these tables); store each rule's outcome, quarantine
    failing rows, record volumes, write the report."""
    context = _context()
    source = _source(context, engine)
    parameters = _parameters(engine, settings, as_at, run_id)
    sql_values = _sql_values(settings, as_at, run_id)
    with engine.connect() as conn:
        file_names = dict(conn.execute(text("SELECT sha256, file_name FROM load_file")).all())
    outcome = outcome or ValidationOutcome(run_id)
    suites = load_suites(stage, tables)
    validations, volumes, results = [], [], []
    try:
        for suite in suites:
            relation = relation_sql(suite.meta, sql_values)
            previous = _previous_volume(engine, settings.authority, suite.table, run_id)
            band = 1 - settings.volume_band_percent / 100
            suite_parameters = {**parameters, "volume_min_rows": math.ceil(previous * band) if previous else 0}
            if not previous and not _has_rows(engine, relation):
                results += _rules_holding_of_no_rows(suite)
                volumes += [(suite.table, 0) for e in suite.expectations if e["type"] == VOLUME_TYPE]
                continue
            validation = source.batch(suite, relation).validate(
                suite.gx_suite, expectation_parameters=suite_parameters,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ROW_ID},
            )
            validations.append((suite, validation))
            for result in validation.results:
                config = result.expectation_config
                rule = config.meta["rule"]
                raw = suite.expectation(rule)
                rows = [{k: r[k] for k in ROW_ID} for r in result.result.get("unexpected_index_list") or []]
                failing = int(result.result.get("unexpected_count") or 0)
                if raw["type"] == DUPLICATE_TYPE and not result.success:
                    rows = _duplicates(engine, relation, raw["kwargs"]["column_list"])
                    failing = len(rows)
                if raw["type"] == VOLUME_TYPE:
                    observed = result.result.get("observed_value")
                    failing = max(0, (previous or 0) - (observed or 0)) if not result.success else 0
                    if observed is not None:
                        volumes.append((suite.table, int(observed)))
                quarantined = 0
                if raw["meta"].get("quarantine") and rows:
                    quarantined = quarantine_rows(engine, settings.authority, run_id, suite.table, rule, rows)
                results.append(RuleResult(
                    suite=suite.name, rule=rule, severity=_severity(config), success=bool(result.success), failing_rows=failing,
                    examples=tuple(_describe(r, file_names) for r in rows[:MAX_EXAMPLES]), error=_error(result),
                    quarantined=quarantined,
                ))
    finally:
        source.close()
    results.sort(key=lambda r: (r.suite, r.rule))
    names = {s.name for s in suites}
    outcome.results = [r for r in outcome.results if r.suite not in names] + results  # a repeated stage replaces itself
    passed = not any(r.severity == "critical" and not r.success for r in results)
    with engine.begin() as conn:
        for name in names:
            conn.execute(text("DELETE FROM validation_result WHERE run_id = :r AND suite = :s"), {"r": run_id, "s": name})
        insert_rows(conn, "validation_result", [{
            "run_id": run_id, "suite": r.suite, "rule": r.rule, "severity": r.severity, "success": r.success,
            "failing_rows": r.failing_rows, "examples": "\n".join(r.examples) or r.error,
        } for r in results])
        for table, _ in volumes:
            conn.execute(text("DELETE FROM table_volume WHERE run_id = :r AND table_name = :t"), {"r": run_id, "t": table})
        insert_rows(conn, "table_volume", [{
            "run_id": run_id, "authority": settings.authority, "table_name": table, "row_count": count,
            "passed": passed, "recorded_at": datetime.now(),
        } for table, count in volumes])
    from .report import write_report

    write_report(context, settings, outcome, validations)
    return outcome
