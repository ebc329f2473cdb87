"""Small SVG charts drawn on the server: nothing loads from the internet and the page needs no script."""

from __future__ import annotations

from datetime import date
from html import escape

SERIES_COLOUR = "#1d4f91"      # 8.6:1 on white
THRESHOLD_COLOURS = {"warning": "#8a4b00", "critical": "#b00020"}
COMPARATOR_COLOURS = ("#2e6b30", "#5b3f8c", "#00626b")


def _scale(values: list[float], percentage: bool) -> tuple[float, float]:
    high = max([100.0] if percentage else [v * 1.1 for v in values] or [1.0])
    return 0.0, high or 1.0


def sparkline(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """The last periods' figures as one line; the numbers themselves are beside it in the page."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    points = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in enumerate(values) if v is not None
    )
    return (f'<svg class="sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-hidden="true" '
            f'focusable="false"><polyline fill="none" stroke="{SERIES_COLOUR}" stroke-width="2" points="{points}"/></svg>')


def trend_chart(title: str, points: list[tuple[date, float | None]], thresholds: dict[str, float],
                comparators: dict[str, list[tuple[date, float]]], percentage: bool) -> str:
    """Trend with dashed threshold lines and a step line per comparator (the latest published value at each date)."""
    width, height, left, right, top, bottom = 640, 260, 48, 12, 12, 36
    values = [v for _, v in points if v is not None]
    extra = list(thresholds.values()) + [v for series in comparators.values() for _, v in series]
    low, high = _scale(values + extra, percentage)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    parts = [f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">',
             f'<title id="chart-title">{escape(title)}</title>']
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#d0d0d0"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">{tick:g}</text>')
    for name, limit in thresholds.items():
        colour = THRESHOLD_COLOURS.get(name, "#444")
        parts.append(f'<line class="threshold" data-threshold="{escape(name)}" x1="{left}" x2="{width - right}" '
                     f'y1="{y(limit):.1f}" y2="{y(limit):.1f}" stroke="{colour}" stroke-dasharray="6 4" stroke-width="1.5"/>'
                     f'<text x="{width - right}" y="{y(limit) - 4:.1f}" text-anchor="end" font-size="11" fill="{colour}">'
                     f'{escape(name)} {limit:g}</text>')
    for colour, (name, series) in zip(COMPARATOR_COLOURS, comparators.items()):
        steps = [(i, next((v for end, v in reversed(series) if end <= d), None)) for i, (d, _) in enumerate(points)]
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in steps if v is not None)
        if line:
            parts.append(f'<polyline class="comparator" data-geography="{escape(name)}" fill="none" stroke="{colour}" '
                         f'stroke-width="2" stroke-dasharray="2 3" points="{line}"/>')
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None)
    parts.append(f'<polyline class="series" fill="none" stroke="{SERIES_COLOUR}" stroke-width="2.5" points="{line}"/>')
    for i, (d, v) in enumerate(points):
        if v is not None:
            parts.append(f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{SERIES_COLOUR}">'
                         f'<title>{d.isoformat()}: {v:.1f}</title></circle>')
    for i, anchor in ({0: "start", len(points) - 1: "end"} if len(points) > 1 else {0: "middle"}).items():
        if points:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="11">{points[i][0].isoformat()}</text>')
    parts.append("</svg>")
    return "".join(parts)
