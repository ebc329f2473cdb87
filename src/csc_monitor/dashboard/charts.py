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


def _time_axis(dates: list[date], left: float, width: float):
    """x for a date: proportional to the days since the first date, so a gap in the figures shows as a gap."""
    first, days = dates[0], (dates[-1] - dates[0]).days
    return lambda d: left + ((d - first).days / days * width if days else width / 2)


def date_ticks(first: date, last: date, most: int = 6) -> list[date]:
    """The first days of months between two dates, evenly thinned to at most `most`; the two ends if none falls between."""
    months, cursor = [], date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    if len(months) < 2:
        return [first, last] if first != last else [first]
    step = -(-len(months) // most)
    return months[::step]


def sparkline(points: list[tuple[date, float | None]], width: int = 120, height: int = 28) -> str:
    """The last periods' figures as one line, spaced by date; the numbers themselves are beside it in the page.

    Inset by twice the stroke and drawn with round joins, so a peak's corner never passes the edge."""
    known = [(d, v) for d, v in points if v is not None]
    if len(known) < 2:
        return ""
    inset = 4
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1.0
    x = _time_axis([d for d, _ in known], inset, width - 2 * inset)
    line = " ".join(f"{x(d):.1f},{height - inset - (v - low) / span * (height - 2 * inset):.1f}" for d, v in known)
    return (f'<svg class="sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-hidden="true" '
            f'focusable="false"><polyline fill="none" stroke="{SERIES_COLOUR}" stroke-width="2" stroke-linejoin="round" '
            f'stroke-linecap="round" points="{line}"/></svg>')


def trend_chart(title: str, points: list[tuple[date, float | None]], thresholds: dict[str, float],
                comparators: dict[str, list[tuple[date, float]]], percentage: bool) -> str:
    """Trend with dashed threshold lines and a step line per comparator (the latest published value at each date)."""
    width, height, left, right, top, bottom = 640, 260, 48, 16, 12, 36
    values = [v for _, v in points if v is not None]
    extra = list(thresholds.values()) + [v for series in comparators.values() for _, v in series]
    low, high = _scale(values + extra, percentage)
    plot_w, plot_h = width - left - right, height - top - bottom
    x = _time_axis([d for d, _ in points], left, plot_w) if points else None

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
    if not points:
        return "".join(parts + ["</svg>"])
    for tick in date_ticks(points[0][0], points[-1][0]):
        at = x(tick)  # a label near either end is anchored inward so it stays inside the chart
        anchor = "start" if at < left + 30 else "end" if at > width - right - 30 else "middle"
        parts.append(f'<line class="date-tick" x1="{at:.1f}" x2="{at:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
                     f'stroke="#444"/><text x="{at:.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="11">'
                     f'{tick.day} {tick.strftime("%b %Y")}</text>')
    for colour, (name, series) in zip(COMPARATOR_COLOURS, comparators.items()):
        steps = [(d, next((v for end, v in reversed(series) if end <= d), None)) for d, _ in points]
        line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in steps if v is not None)
        if line:
            parts.append(f'<polyline class="comparator" data-geography="{escape(name)}" fill="none" stroke="{colour}" '
                         f'stroke-width="2" stroke-dasharray="2 3" points="{line}"/>')
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points if v is not None)
    parts.append(f'<polyline class="series" fill="none" stroke="{SERIES_COLOUR}" stroke-width="2.5" stroke-linejoin="round" '
                 f'points="{line}"/>')
    for d, v in points:
        if v is not None:
            parts.append(f'<circle class="point" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="{SERIES_COLOUR}">'
                         f'<title>{d.isoformat()}: {v:.1f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
