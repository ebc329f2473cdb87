"""What each page shows, built from the definitions and the queries; the templates only lay it out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection

from ..alerts.config import ALL, alert_config
from ..alerts.rules import judge
from ..config import project_dir
from ..indicators.definitions import Definition
from ..validation.quarantine import still_set_aside
from . import queries

UNITS = {"percentage": "%", "mean_elapsed": " days", "rate_per_10000": " per 10,000"}
# What an outbox message was, from the first (or, in older keys, the last) part of its delivery key.
ALERT_KINDS = {
    "new": "fired", "repeat": "repeated", "digest": "fired or repeated", "resolved": "resolved", "chart": "trend chart",
    "validation": "validation failed", "validation-passed": "validation passed again", "rejected": "export rejected",
}


def aggregate_of(definition: Definition) -> str:
    return definition.spec.get("aggregate", "percentage")


def format_value(definition: Definition, value: float | None) -> str:
    return "no figure" if value is None else f"{value:.1f}{UNITS.get(aggregate_of(definition), '')}"


def counts_text(definition: Definition, figure: dict, with_overdue: bool = True) -> str:
    """'8 of 10' for a percentage; a mean or a rate is read from its count alone ('174 counted')."""
    counted = (f"{figure['numerator']} of {figure['denominator']}" if aggregate_of(definition) == "percentage"
               else f"{figure['denominator']} counted")
    return f"{counted}; {figure['overdue']} overdue" if with_overdue and figure["overdue"] else counted


def threshold_status(thresholds: dict, definition: Definition, figure: dict, previous: float | None,
                     comparators: list[dict]) -> str:
    """critical, warning or within, judged as the alerts judge it; too few under the minimum denominator."""
    if figure["value"] is None or figure["denominator"] < thresholds.get("min_denominator", 0):
        return "too few"
    geography = (thresholds.get("comparator") or {}).get("geography")
    comparator = next((c["value"] for c in comparators if c["geography"] == geography), None)
    severities = judge(thresholds, definition.higher_is_better, figure["value"], figure["denominator"], previous, comparator).severities
    return next((level for level in ("critical", "warning") if level in severities), "within")


def timescale_of(definition: Definition) -> tuple[int, str] | None:
    """The timescale parameter (e.g. timescale_working_days: 15) as (15, 'working days'), if the definition has one."""
    for key, number in definition.parameters.items():
        if key.startswith("timescale_") and isinstance(number, int):
            return number, key.removeprefix("timescale_").replace("_", " ")
    return None


def change_text(definition: Definition, current: float | None, previous: float | None) -> str:
    if current is None or previous is None:
        return "no earlier figure"
    delta = current - previous
    if abs(delta) < 0.05:
        return "no change"
    better = (delta > 0) == definition.higher_is_better
    unit = " points" if aggregate_of(definition) == "percentage" else UNITS.get(aggregate_of(definition), "")
    return f"{delta:+.1f}{unit} ({'better' if better else 'worse'})"


def latest_comparators(conn: Connection, definition: Definition, as_at: date) -> list[dict]:
    """Each geography's latest published value on or before the date."""
    return [{"geography": geography, **series[-1]}
            for geography, series in queries.comparators(conn, definition.id, as_at).items() if series]


def _rule_meta() -> dict[tuple[str, str], dict]:
    """Each expectation's meta (description, and `caveat` wording where one is written) by (suite, rule)."""
    found = {}
    for path in sorted((project_dir() / "expectations").glob("*.json")):
        suite = json.loads(path.read_text())
        found.update({(suite["name"], e["meta"]["rule"]): e["meta"] for e in suite["expectations"]})
    return found


def caveat_texts(warnings: list[dict]) -> list[str]:
    """Failed warning rules in words a manager reads: the rule's `caveat` wording with its count, else the count and
    the rule's description; a check stored outside the suites (the ICPC start-event check) carries its own sentence."""
    rules, texts = _rule_meta(), []
    for warning in warnings:
        n, meta = warning["failing_rows"], rules.get((warning["suite"], warning["rule"]))
        if meta and meta.get("caveat"):
            texts.append(meta["caveat"].format(n=n, s="" if n == 1 else "s"))
        elif meta:
            texts.append(f"{n} record{'' if n == 1 else 's'} did not pass the data check “{meta['description'].rstrip('.')}”.")
        else:
            texts.append(warning["examples"] or f"{n} record{'' if n == 1 else 's'} did not pass a data check.")
    return texts


def set_aside_texts(set_aside: dict[tuple[tuple[str, ...], str], int], definition: Definition) -> list[str]:
    """Rows of the tables the indicator reads that a data check set aside and no correction has replaced yet."""
    rules, reads, texts = _rule_meta(), set(definition.spec.get("reads", [])), []
    for (tables, rule), n in sorted(set_aside.items()):
        if reads & set(tables):
            meta = rules.get((tables[0], rule))
            check = meta["description"].rstrip(".") if meta else rule
            texts.append(f"{n} record{'' if n == 1 else 's'} set aside by the data check “{check}” "
                         f"{'is' if n == 1 else 'are'} left out of the figures until a corrected export arrives.")
    return texts


@dataclass
class IndicatorSummary:
    definition: Definition
    as_at: date
    figure: dict | None
    previous: dict | None
    history: list[dict]
    status: str
    change: str
    comparators: list[dict] = field(default_factory=list)
    thresholds: dict = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)  # the run's data caveats, in words

    @property
    def trend_points(self) -> list[tuple[date, float | None]]:
        return [(p["as_at"], p["value"]) for p in self.history]

    @property
    def value_text(self) -> str:
        return format_value(self.definition, self.figure["value"] if self.figure else None)


def summarise(conn: Connection, definition: Definition, authority: str, as_at: date,
              team: str | None = None, set_aside: dict[tuple[tuple[str, ...], str], int] | None = None) -> IndicatorSummary:
    """One indicator's figure on a date, with its trend, status, comparators and caveats (a page showing many
    indicators passes `still_set_aside` once as set_aside)."""
    scope_type, scope = ("team", team) if team else ("authority", "all")
    history = queries.history(conn, authority, definition.id, scope_type, scope, as_at)
    figure = history[-1] if history and history[-1]["as_at"] == as_at else None
    previous = (history[-2] if len(history) > 1 else None) if figure else None
    previous_value = previous["value"] if previous else None
    comparators = latest_comparators(conn, definition, as_at)
    thresholds = alert_config(authority, "").thresholds(definition, team or ALL)
    caveats = []
    if figure:
        set_aside = still_set_aside(conn, authority) if set_aside is None else set_aside
        caveats = caveat_texts(queries.validation_warnings(conn, figure["run_id"])) + set_aside_texts(set_aside, definition)
    return IndicatorSummary(
        definition=definition, as_at=as_at, figure=figure, previous=previous, history=history,
        status=threshold_status(thresholds, definition, figure, previous_value, comparators) if figure else "no figure",
        change=change_text(definition, figure["value"] if figure else None, previous_value),
        comparators=comparators, thresholds=thresholds,
        caveats=caveats,
    )


def _iso_date(text_: str) -> bool:
    try:
        date.fromisoformat(text_)
    except ValueError:
        return False
    return True


def alert_history(conn: Connection, definitions: list[Definition], authority: str, teams: frozenset[str] | None,
                  limit: int, offset: int = 0) -> tuple[list[dict], int]:
    """One page of the authority's outbox messages (only those naming one of `teams`, when the user is limited to
    teams) read as events (what kind, which indicator and as-at date their delivery key names), newest first, and
    how many such messages there are in all."""
    titles = {d.id: d.title for d in definitions}
    messages, total = queries.alert_messages(conn, authority, teams, limit, offset)
    events = []
    for message in messages:
        parts = message["delivery_key"].split("|")
        indicator_id = next((p for p in parts if p in titles), None)
        kind = parts[-1] if parts[-1] in ALERT_KINDS else parts[0]
        events.append({
            **message, "indicator_id": indicator_id, "title": titles.get(indicator_id, ""),
            "as_at": next((p for p in reversed(parts) if _iso_date(p)), None), "event": ALERT_KINDS.get(kind, kind),
        })
    return events, total
