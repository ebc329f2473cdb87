"""Trend chart for an alert: the last 12 as-at dates with the threshold lines, as a PNG.

The chart's data is stored in the outbox (JSON) and drawn when delivered, so the warehouse holds
no binary and a retry draws the same picture. Points from small numbers are left out (gaps).
"""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import Connection, text

from .messages import UNITS, Figure, value_shown

PERIODS = 12


def chart_data(conn: Connection, indicator_id: str, authority: str, scope_type: str, scope: str, as_at: date,
               title: str, thresholds: dict, limit: int, aggregate: str) -> dict:
    rows = conn.execute(text(
        "SELECT as_at, scope, numerator, denominator, value, overdue FROM indicator_result "
        "WHERE indicator_id = :i AND authority = :a AND scope_type = :t AND scope = :s AND as_at <= :d "
        "ORDER BY as_at DESC LIMIT :n"
    ), {"i": indicator_id, "a": authority, "t": scope_type, "s": scope, "d": as_at, "n": PERIODS}).all()
    points = []
    for row in reversed(rows):
        figure = Figure(*row[1:])
        points.append([row.as_at.isoformat(), round(figure.value, 1) if value_shown(figure, limit, aggregate) else None])
    levels = {level: thresholds[level] for level in ("warning", "critical") if thresholds.get(level) is not None}
    return {"title": title, "points": points, "thresholds": levels, "unit": UNITS[aggregate]}


def render_png(data: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure as PlotFigure

    figure = PlotFigure(figsize=(7, 3.2), dpi=80)
    axes = figure.subplots()
    labels = [when for when, _ in data["points"]]
    values = [float("nan") if value is None else value for _, value in data["points"]]
    axes.plot(range(len(labels)), values, marker="o", color="#1d3557", label="figure")
    for level, colour in (("warning", "#f4a261"), ("critical", "#e63946")):
        if level in data["thresholds"]:
            axes.axhline(data["thresholds"][level], linestyle="--", color=colour, label=f"{level} {data['thresholds'][level]}{data['unit']}")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
    axes.set_ylabel(data["unit"].strip())
    axes.set_title(data["title"], fontsize=9)
    axes.legend(fontsize=7, loc="lower left")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.28)  # room for the dates; cheaper than tight_layout
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
