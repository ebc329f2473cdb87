"""Slack messages with Block Kit and fallback text. Counts only: no child's identity ever.

Every free text (team, indicator title, reason) passes through `slack_text`, so a team named
`<!channel>` or `<https://x|Open>` reads as itself and mentions or links nobody; the suggested command
is quoted for the shell argument by argument.

Every count passes through `count_text` and every value through `value_text`, so a count
below the small-number limit is never shown (it reads "fewer than 5"), nor is a percentage from
which one could be worked out, nor the counts of a percentage whose complement is small (`counts_shown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..dashboard.links import indicator_url
from ..indicators.definitions import Definition
from ..run_ids import parent_run_id
from ..safe_output import SLACK_TEXT_LIMIT, shell_command, slack_escape, slack_text
from .config import ALL

ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "resolved": ":white_check_mark:", "validation": ":no_entry:"}
GEOGRAPHIES = {"england": "England", "statistical_neighbours": "Statistical neighbours"}
UNITS = {"percentage": "%", "mean_elapsed": " days", "rate_per_10000": " per 10,000"}
CHANGE_UNITS = {"percentage": " points", "mean_elapsed": " days", "rate_per_10000": " per 10,000"}
TITLE_LIMIT = 150  # indicator titles run to about 120 characters


@dataclass(frozen=True)
class Figure:
    scope: str
    numerator: int
    denominator: int
    value: float | None
    overdue: int


@dataclass(frozen=True)
class AlertItem:
    """One alert to tell a channel about in tonight's digest."""

    definition: Definition
    scope: str  # ALL or a team
    severity: str
    kind: str  # new | repeat
    figure: Figure
    thresholds: dict
    reasons: tuple[str, ...]
    since: date
    previous: tuple[date, Figure] | None
    comparators: dict[str, tuple[date, float]]  # geography -> (period end, value)
    teams: tuple[Figure, ...]  # the teams behind an authority-wide figure


@dataclass(frozen=True)
class Links:
    run_id: str
    run_link_base: str | None
    dashboard_url: str | None = None

    def figure(self, indicator_id: str, as_at: date, scope: str) -> str:
        """The dashboard page of this figure (and team), where the trend, teams and children are."""
        if not self.dashboard_url:
            return ""
        url = indicator_url(self.dashboard_url, indicator_id, as_at, None if scope == ALL else scope)
        return f" · <{url}|trend, teams and children in the dashboard>"

    def run(self) -> str:
        if self.run_link_base:
            return f"run <{self.run_link_base.rstrip('/')}/{parent_run_id(self.run_id)}|{self.run_id}>"
        return f"run `{self.run_id}`"

    def report(self) -> str:
        """Where validation writes this run's report (Data Docs), inside the monitor's data folder."""
        return f"validation report: `reports/{self.run_id}/` in the monitor's data folder"


def count_text(count: int, limit: int) -> str:
    return str(count) if count >= limit else f"fewer than {limit}"


def aggregate_of(definition: Definition) -> str:
    """What a figure's value is: percentage (default), mean_elapsed (days) or rate_per_10000."""
    return definition.spec.get("aggregate", "percentage")


def value_shown(figure: Figure, limit: int, aggregate: str = "percentage") -> bool:
    """No value from small numbers: a percentage would give a small numerator away, any value a small denominator."""
    small = figure.denominator < limit or (aggregate == "percentage" and figure.numerator < limit)
    return figure.value is not None and not small


def value_text(figure: Figure, limit: int, aggregate: str = "percentage") -> str:
    if figure.value is None:
        return "n/a"
    return f"{figure.value:.1f}{UNITS[aggregate]}" if value_shown(figure, limit, aggregate) else "suppressed (small numbers)"


def counts_shown(figure: Figure, limit: int, aggregate: str = "percentage") -> bool:
    """Complementary suppression (ONS/GSS practice for counts): '5 of 7' would tell that 2 were not, so the counts
    of a percentage are shown only when the numerator and the rest of the denominator are each zero or at least
    the limit."""
    if aggregate != "percentage":
        return figure.denominator >= limit
    return all(count == 0 or count >= limit for count in (figure.numerator, figure.denominator - figure.numerator))


def figure_text(figure: Figure, limit: int, aggregate: str = "percentage") -> str:
    counts = (f"{count_text(figure.numerator, limit)} of {count_text(figure.denominator, limit)}" if aggregate == "percentage"
              else f"{count_text(figure.denominator, limit)} counted")
    if figure.value is not None and not value_shown(figure, limit, aggregate):
        return f"small numbers: {counts}"
    if figure.value is not None and not counts_shown(figure, limit, aggregate):
        return f"{value_text(figure, limit, aggregate)} (counts withheld: small numbers)"
    return f"{value_text(figure, limit, aggregate)} ({counts})"


def threshold_text(thresholds: dict, higher_is_better: bool, aggregate: str = "percentage") -> str:
    sign = "below" if higher_is_better else "above"
    return ", ".join(f"{level} {sign} {thresholds[level]}{UNITS[aggregate]}" for level in ("warning", "critical")
                     if thresholds.get(level) is not None)


def _scope_name(scope: str) -> str:
    return "all teams" if scope == ALL else slack_text(scope)


def _title(definition: Definition) -> str:
    return slack_text(definition.title, TITLE_LIMIT)


def figure_title(definition: Definition, scope: str) -> str:
    """'<indicator title> · <team or all teams>', escaped and capped for Slack."""
    return f"{_title(definition)} · {_scope_name(scope)}"


def _heading(item: AlertItem) -> str:
    still = " (still breaching)" if item.kind == "repeat" else ""
    return f"{item.severity.capitalize()}{still}: {figure_title(item.definition, item.scope)}"


def exceptions_command(definition: Definition, as_at: date, scope: str) -> str:
    """The command that lists the children behind a figure, quoted for the shell and escaped for Slack. A team name
    that could not be copied intact from a code span (too long, a backtick, a line break or an invisible control)
    is left out: the authority-wide list, with its team column, is the fallback."""
    copyable = scope != ALL and len(scope) <= SLACK_TEXT_LIMIT and scope.isprintable() and "`" not in scope
    team = ("--team", scope) if copyable else ()
    return slack_escape(shell_command("csc-monitor", "exceptions", definition.id, "--as-at", as_at.isoformat(), *team))


def _change_text(item: AlertItem, limit: int) -> str:
    if item.previous is None:
        return "no earlier figure"
    when, before = item.previous
    aggregate = aggregate_of(item.definition)
    if not (value_shown(before, limit, aggregate) and value_shown(item.figure, limit, aggregate)):
        return f"not shown (small numbers) since {when.isoformat()}"
    return f"{item.figure.value - before.value:+.1f}{CHANGE_UNITS[aggregate]} since {when.isoformat()} ({value_text(before, limit, aggregate)})"


def _item_blocks(item: AlertItem, as_at: date, limit: int, links: Links) -> list[dict]:
    definition, aggregate = item.definition, aggregate_of(item.definition)
    fields = [
        f"*Value*\n{figure_text(item.figure, limit, aggregate)}",
        f"*Thresholds*\n{threshold_text(item.thresholds, definition.higher_is_better, aggregate)}",
        f"*Change*\n{_change_text(item, limit)}",
        f"*Breaching since*\n{item.since.isoformat()}",
    ]
    if item.comparators:
        fields.append("*Comparators*\n" + "\n".join(
            f"{GEOGRAPHIES[g]} {value:.1f}{UNITS[aggregate]} ({end.isoformat()})" for g, (end, value) in sorted(item.comparators.items())))
    if item.figure.overdue >= limit:
        fields.append(f"*Still waiting, past timescale*\n{item.figure.overdue}")
    blocks = [{
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"{ICONS[item.severity]} *{_heading(item)}*\nBreached: {slack_text(', '.join(item.reasons), TITLE_LIMIT)}"},
        "fields": [{"type": "mrkdwn", "text": f} for f in fields],
    }]
    shown = sorted((t for t in item.teams if t.value is not None and t.denominator >= limit),
                   key=lambda t: (t.value if definition.higher_is_better else -t.value, t.scope))[:3]
    if shown:
        lines = "\n".join(f"• {_scope_name(t.scope)}: {figure_text(t, limit, aggregate)}" for t in shown)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Teams furthest from the standard*\n{lines}"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"Definition `{definition.id}` v{definition.version} ({definition.spec['family']}), {definition.spec['period']} · "
        f"children behind the figure: `{exceptions_command(definition, as_at, item.scope)}` (inside the authority only)"
        f"{links.figure(definition.id, as_at, item.scope)}"
    )}]})
    return blocks


def digest_message(items: list[AlertItem], as_at: date, mentions: tuple[str, ...], links: Links, limit: int) -> tuple[str, list[dict]]:
    """One message per channel per run: every alert for the channel, most severe first."""
    lines = [f"{_heading(i)}: {figure_text(i.figure, limit, aggregate_of(i.definition))}; "
             f"{threshold_text(i.thresholds, i.definition.higher_is_better, aggregate_of(i.definition))}" for i in items]
    prefix = f"{' '.join(mentions)} " if mentions else ""
    text = f"{prefix}Performance alerts as at {as_at.isoformat()}: " + " | ".join(lines)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": f"Performance alerts as at {as_at.isoformat()}"}}]
    if mentions:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"For the attention of {' '.join(mentions)}"}})
    for item in items:
        blocks += _item_blocks(item, as_at, limit, links)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"{links.run()} · {links.report()} · "
        f"pause an alert: `csc-monitor alerts silence --indicator ID [--team T] --until YYYY-MM-DD --who NAME --why TEXT`"
    )}]})
    return text, blocks


def resolved_message(definition: Definition, scope: str, severity: str, as_at: date, figure: Figure, since: date,
                     still_breaching: str | None, links: Links, limit: int) -> tuple[str, list[dict]]:
    """Posted in the thread of the message that first told the channel."""
    where, shown = ("" if scope == ALL else f" for {_scope_name(scope)}"), figure_text(figure, limit, aggregate_of(definition))
    if still_breaching:
        text = (f"No longer {severity}: {_title(definition)}{where} is at {shown} as at {as_at.isoformat()} "
                f"({severity} since {since.isoformat()}); still breaching its {still_breaching} threshold")
    else:
        text = (f"Resolved: {_title(definition)}{where} is back within its thresholds at {shown} "
                f"as at {as_at.isoformat()}, after breaching since {since.isoformat()}")
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{ICONS['resolved']} {text}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Definition `{definition.id}` v{definition.version} · {links.run()}"}]},
    ]


def validation_message(failures: list[tuple[str, int]], as_at: date, mentions: tuple[str, ...], links: Links, limit: int) -> tuple[str, list[dict]]:
    """A critical data check failed: nothing was published, so no figure alert is sent for this run."""
    prefix = f"{' '.join(mentions)} " if mentions else ""
    text = (f"{prefix}Data checks failed as at {as_at.isoformat()}: nothing was published and the last good figures stand; "
            f"figure alerts are held back until the data passes. Failed: {', '.join(slack_text(rule) for rule, _ in failures)}")
    lines = "\n".join(f"• {slack_text(rule)}: {count_text(rows, limit)} rows failing" for rule, rows in failures)
    return text, [
        {"type": "header", "text": {"type": "plain_text", "text": f"Data checks failed as at {as_at.isoformat()}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{ICONS['validation']} Nothing was published; the last good figures stand.\n{lines}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{links.run()} · {links.report()}, or `csc-monitor validate --as-at {as_at.isoformat()}` (inside the authority only)")}]},
    ]


def validation_passed_message(as_at: date, links: Links) -> tuple[str, list[dict]]:
    text = f"Resolved: data checks pass again as at {as_at.isoformat()}; figures are published"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": f"{ICONS['resolved']} {text}"}},
                  {"type": "context", "elements": [{"type": "mrkdwn", "text": links.run()}]}]


def rejected_exports_message(errors: list, as_at: date) -> tuple[str, list[dict]]:
    """A rejected export is itself an alert to the data owner: file and place only, no values from the file."""
    text = f"{len(errors)} export(s) rejected on {as_at.isoformat()}; the figures use the files that loaded."
    lines = "\n".join(f"• {slack_text(e.file_name)}: {slack_text(e.location)}" for e in errors)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": (
        f":warning: *{text}*\n{lines}\nReasons are in the rejected/ folder beside each file.")}}]
