"""Which severities a figure earns against its (merged) threshold rules.

Three kinds of rule, each optional except the levels:
- levels: `warning` / `critical` limits, read with the indicator's polarity;
- `comparator: {geography: england | statistical_neighbours, margin: points, severity: warning}`:
  worse than the published comparator by more than `margin` points;
- `change_rule: {worse_by: points, severity: warning}`: worse than the previous period's figure
  (the previous as-at date in indicator_result) by at least `worse_by` points.
Below `min_denominator` nothing fires (small numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("critical", "warning")  # most severe first


@dataclass(frozen=True)
class Judgement:
    severities: frozenset[str]  # every level breached; a critical breach also breaches warning
    reasons: tuple[str, ...]  # which rules fired, for the message


def _worse_by(value: float, reference: float, higher_is_better: bool) -> float:
    """Points by which value is worse than reference (negative when better)."""
    return reference - value if higher_is_better else value - reference


def judge(thresholds: dict, higher_is_better: bool, value: float | None, denominator: int,
          previous_value: float | None = None, comparator_value: float | None = None) -> Judgement:
    if value is None or denominator < thresholds.get("min_denominator", 0):
        return Judgement(frozenset(), ())
    fired: dict[str, list[str]] = {level: [] for level in SEVERITIES}
    for level in SEVERITIES:
        limit = thresholds.get(level)
        if limit is not None and _worse_by(value, limit, higher_is_better) > 0 and not fired["critical"]:
            fired[level].append(f"{level} threshold")  # a critical breach implies the warning one: named once
    comparator = thresholds.get("comparator")
    if comparator and comparator_value is not None and _worse_by(value, comparator_value, higher_is_better) > comparator.get("margin", 0):
        fired[comparator.get("severity", "warning")].append(f"more than {float(comparator.get('margin', 0)):.1f} points worse than {_geography(comparator)}")
    change = thresholds.get("change_rule")
    if change and previous_value is not None and _worse_by(value, previous_value, higher_is_better) >= change["worse_by"]:
        fired[change.get("severity", "warning")].append(f"at least {float(change['worse_by']):.1f} points worse than the previous period")
    severities = {level for level, reasons in fired.items() if reasons}
    if fired["critical"]:
        severities.add("warning")
    return Judgement(frozenset(severities), tuple(r for level in SEVERITIES for r in fired[level]))


def _geography(comparator: dict) -> str:
    return {"england": "England", "statistical_neighbours": "statistical neighbours"}[comparator["geography"]]
