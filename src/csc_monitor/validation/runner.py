"""Run every suite in expectations/ and turn GX results into a summary a person can read.

Suites are GX 1.x JSON, versioned with the code. Each expectation carries GX's own `severity`
(critical stops the run; warning publishes with a caveat) and `meta.rule`, the name people see.
Failing rows are named by their source file and the place in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from ..config import Settings, project_dir
from ..warehouse import insert_rows
from ..workdays import CALENDAR_START

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class RuleResult:
    suite: str
    rule: str
    severity: str
    success: bool
    failing_rows: int
    examples: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class ValidationOutcome:
    run_id: str
    results: list[RuleResult] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity != "critical"]

    def summary(self) -> str:
        failed = [r for r in self.results if not r.success]
        lines = [f"validation {self.run_id}: {len(self.results)} rules, {len(self.critical_failures)} critical failures, {len(self.warnings)} warnings"]
        for r in sorted(failed, key=lambda r: (r.severity != "critical", r.suite, r.rule)):
            lines.append(f"  {r.severity.upper():8} {r.suite}.{r.rule}: {r.failing_rows} rows failing" + (f" ({r.error})" if r.error else ""))
            lines += [f"           e.g. {example}" for example in r.examples]
        return "\n".join(lines)

    def raise_if_critical(self) -> None:
        if self.critical_failures:
            raise ValidationFailed(self)


class ValidationFailed(Exception):
    def __init__(self, outcome: ValidationOutcome):
        self.outcome = outcome
        super().__init__(outcome.summary())


def suite_files() -> list[Path]:
    return sorted((project_dir() / "expectations").glob("*.json"))


def _load_suite(path: Path):
    import great_expectations as gx

    raw = json.loads(path.read_text())
    suite = gx.ExpectationSuite(**raw)
    if len(suite.expectations) != len(raw["expectations"]):  # GX drops unknown expectation types silently
        raise ValueError(f"{path.name}: an expectation type is unknown to Great Expectations")
    return suite, raw["meta"]


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _reference_date(engine: Engine, authority: str, as_at: date) -> date:
    """The latest export's reference date (no event may be dated after it); the as-at date if none is known."""
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT MAX(reference_date) FROM load_file WHERE authority = :a"), {"a": authority}
        ).scalar()
    return latest or as_at


def _examples(result, file_names: dict[str, str]) -> tuple[str, ...]:
    rows = result.result.get("unexpected_index_list") or []
    return tuple(f"{file_names.get(r.get('source_file'), r.get('source_file'))} {r.get('source_ref')}" for r in rows[:MAX_EXAMPLES])


def _error(result) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message")
    return next((v["exception_message"] for v in info.values() if isinstance(v, dict) and v.get("raised_exception")), None)


def validate_warehouse(engine: Engine, settings: Settings, as_at: date, run_id: str) -> ValidationOutcome:
    context = _context()
    batch_definition = (
        context.data_sources.add_pandas("warehouse").add_dataframe_asset("table").add_batch_definition_whole_dataframe("whole")
    )
    parameters = {
        "reference_date": pd.Timestamp(_reference_date(engine, settings.authority, as_at)),
        "calendar_start": pd.Timestamp(CALENDAR_START),
    }
    with engine.connect() as conn:
        file_names = dict(conn.execute(text("SELECT sha256, file_name FROM load_file")).all())
    outcome = ValidationOutcome(run_id)
    for path in suite_files():
        suite, meta = _load_suite(path)
        with engine.connect() as conn:
            frame = pd.read_sql(text(f"SELECT * FROM {meta['table']} WHERE authority = :a"), conn, params={"a": settings.authority})
        for column in meta.get("date_columns", []):
            frame[column] = pd.to_datetime(frame[column])
        validation = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite,
            expectation_parameters=parameters,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_file", "source_ref"]},
        )
        for result in validation.results:
            config = result.expectation_config
            outcome.results.append(RuleResult(
                suite=suite.name, rule=config.meta["rule"], severity=str(config.severity.value if hasattr(config.severity, "value") else config.severity),
                success=bool(result.success), failing_rows=int(result.result.get("unexpected_count") or 0),
                examples=_examples(result, file_names), error=_error(result),
            ))
    outcome.results.sort(key=lambda r: (r.suite, r.rule))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM validation_result WHERE run_id = :r"), {"r": run_id})
        insert_rows(conn, "validation_result", [{
            "run_id": run_id, "suite": r.suite, "rule": r.rule, "severity": r.severity, "success": r.success,
            "failing_rows": r.failing_rows, "examples": "\n".join(r.examples) or r.error,
        } for r in outcome.results])
    return outcome
