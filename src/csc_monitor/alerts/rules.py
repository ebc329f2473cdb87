"""Which severity a figure earns against its definition's thresholds."""

from __future__ import annotations

from ..indicators.definitions import Definition


def severity_of(definition: Definition, value: float | None, denominator: int) -> str | None:
    """'critical', 'warning' or None; no alert on small numbers (below min_denominator)."""
    thresholds = definition.thresholds
    if value is None or denominator < thresholds.get("min_denominator", 0):
        return None
    for level in ("critical", "warning"):
        limit = thresholds.get(level)
        if limit is None:
            continue
        if (value < limit) if definition.higher_is_better else (value > limit):
            return level
    return None
