"""Slack messages with Block Kit and fallback text. Counts only: no child's identity ever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..indicators.definitions import Definition

ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "resolved": ":white_check_mark:"}


@dataclass(frozen=True)
class Figure:
    scope: str
    numerator: int
    denominator: int
    value: float | None
    overdue: int


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _threshold_text(definition: Definition) -> str:
    sign = "below" if definition.higher_is_better else "above"
    t = definition.thresholds
    return f"warning {sign} {t['warning']}%, critical {sign} {t['critical']}%"


def breach_message(
    definition: Definition, kind: str, severity: str, as_at: date, overall: Figure, teams: list[Figure],
    breaching_since: date, run_id: str, min_count: int,
) -> tuple[str, list[dict]]:
    """A new or repeated breach: what, how far off, since when, which teams drive it."""
    heading = f"{severity.capitalize()}{' (still breaching)' if kind == 'repeat' else ''}: {definition.title}"
    text = (
        f"{heading}: {_pct(overall.value)} ({overall.numerator} of {overall.denominator}) as at {as_at.isoformat()}; "
        f"{_threshold_text(definition)}"
    )
    worst = [t for t in teams if t.denominator >= min_count and t.value is not None]
    worst.sort(key=lambda t: (t.value if definition.higher_is_better else -t.value, t.scope))
    team_lines = "\n".join(f"• {t.scope}: {_pct(t.value)} ({t.numerator} of {t.denominator})" for t in worst[:3])
    fields = [
        f"*Value*\n{_pct(overall.value)} ({overall.numerator} of {overall.denominator})",
        f"*Thresholds*\n{_threshold_text(definition)}",
        f"*Period*\n{definition.spec['period']}",
        f"*Breaching since*\n{breaching_since.isoformat()}",
    ]
    if overall.overdue >= min_count:
        fields.append(f"*Still waiting, past timescale*\n{overall.overdue}")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{heading}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{ICONS[severity]} As at *{as_at.isoformat()}*"},
         "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if team_lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Teams furthest from the standard*\n{team_lines}"}})
    blocks.append(_context(definition, as_at, run_id))
    return text, blocks


def resolved_message(definition: Definition, as_at: date, overall: Figure, breaching_since: date, run_id: str) -> tuple[str, list[dict]]:
    text = (
        f"Resolved: {definition.title} is back within its thresholds at {_pct(overall.value)} "
        f"({overall.numerator} of {overall.denominator}) as at {as_at.isoformat()}, after breaching since {breaching_since.isoformat()}"
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{ICONS['resolved']} {text}"}},
        _context(definition, as_at, run_id),
    ]
    return text, blocks


def _context(definition: Definition, as_at: date, run_id: str) -> dict:
    return {
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": (
                f"Definition `{definition.id}` v{definition.version} ({definition.spec['family']}) · run `{run_id}` · "
                f"children behind the figure: `csc-monitor exceptions {definition.id} --as-at {as_at.isoformat()}` (inside the authority only)"
            ),
        }],
    }
