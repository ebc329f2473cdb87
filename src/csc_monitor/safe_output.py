"""Text that leaves the warehouse for a spreadsheet, a Slack message or a shell: made inert here, once.

Team and worker names are free text in the case-management system and file names come from a share, so
any of them may hold a formula, a Slack link or mention, or shell syntax.
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Iterable
from typing import IO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SLACK_TEXT_LIMIT = 80
SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Bidirectional controls and marks: they can make a name read differently from what it is.
BIDI_CONTROLS = dict.fromkeys([0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (OWASP CSV injection);
    numbers and dates are left as they are, so a negative number stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(handle: IO[str], columns: Iterable[str], rows: Iterable[dict]) -> None:
    """Every CSV the product writes goes through here: the named columns, every cell spreadsheet-safe."""
    columns = tuple(columns)
    writer = csv.writer(handle, lineterminator="\r\n")  # RFC 4180; also makes a CR or LF inside a cell quoted
    writer.writerow(columns)
    writer.writerows([spreadsheet_safe(row.get(column)) for column in columns] for row in rows)


def slack_text(value: object, limit: int = SLACK_TEXT_LIMIT) -> str:
    """Free text for a Slack mrkdwn field: `&`, `<`, `>` escaped (so no `<!channel>`, link or mention can form),
    line breaks flattened, bidirectional controls dropped, a bare URL defanged, and cut to `limit` characters before escaping (an ellipsis marks the cut)."""
    flat = " ".join(str(value).translate(BIDI_CONTROLS).split()).replace("://", "[:]//")  # Slack links bare URLs
    return slack_escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def slack_escape(text: str) -> str:
    """The three characters Slack's mrkdwn reads as control: what is left can form no link, mention or `<!here>`."""
    return "".join(SLACK_ESCAPES.get(ch, ch) for ch in text)


def shell_command(*arguments: object) -> str:
    """A command line safe to paste into a POSIX shell: every argument quoted where it needs it."""
    return " ".join(shlex.quote(str(a)) for a in arguments)
