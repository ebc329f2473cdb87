"""Warnings a run published with, as short count-only sentences the alert and the dashboard show beside figures."""

from __future__ import annotations

from sqlalchemy import Engine, text

from .quarantine import quarantined_per_indicator


def caveats_for(engine: Engine, run_id: str) -> list[str]:
    """Failed warning rules of the run, then quarantined rows per indicator. Counts only: no identifiers."""
    with engine.connect() as conn:
        warnings = conn.execute(text(
            "SELECT suite, rule, failing_rows FROM validation_result "
            "WHERE run_id = :r AND NOT success AND severity = 'warning' ORDER BY suite, rule"), {"r": run_id}).all()
        authority = conn.execute(text("SELECT authority FROM pipeline_run WHERE run_id = :r"), {"r": run_id}).scalar()
    caveats = [f"{suite}.{rule}: {n} rows failing" for suite, rule, n in warnings]
    if authority:
        caveats += [f"{indicator}: {n} quarantined rows excluded from the figures"
                    for indicator, n in sorted(quarantined_per_indicator(engine, authority).items())]
    return caveats
