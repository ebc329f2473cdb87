"""Property over generated authorities: no Slack payload carries a child's identity or a count below the small-number limit.

A seeded loop over several synthetic authorities (each with its own small-number limit), with
thresholds set so that almost every figure alerts, down to teams of one or two conferences.
"""

import json
import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from csc_monitor import pipeline
from csc_monitor.alerts import config as alert_config_module
from csc_monitor.alerts.outbox import deliver
from csc_monitor.synthetic import generate
from csc_monitor.synthetic.cin import build_authority
from csc_monitor.warehouse import insert_rows
from tests.test_alert_lifecycle import INDICATOR, TITLE, slack  # noqa: F401 (the fixture)

REFERENCE = date(2025, 3, 31)
AS_AT_DATES = [date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28), REFERENCE]
CHILDREN = 80
AUTHORITIES = [(301, 1, 5), (302, 2, 7), (303, 3, 10)]  # code, seed, small-number limit
# dates, percentages, points, thresholds, versions, chart file names and Slack's file ids
NOT_COUNTS = re.compile(r"\d{4}-\d{2}-\d{2}|\d+\.\d+|\d+%|\bv\d+\b|trend-[0-9a-f]{16}\.png|\bF\d{10}\b")


def eager_config(limit: int) -> dict:
    """Every rule switched on and sensitive: warnings at 99.5%, a comparator, a change rule, no minimum denominator."""
    return {
        "alerting": {"small_number_limit": limit, "for_runs": 1, "clear_runs": 1, "repeat_every_days": 1},
        "thresholds": {INDICATOR: {"warning": 99.5, "critical": 90, "min_denominator": 1,
                                   "comparator": {"geography": "england", "margin": 0}, "change_rule": {"worse_by": 0.1}}},
        "routing": {INDICATOR: {"channel": "C0PRIVACY", "mentions": ["<!subteam^SHEADS>"]}, "validation": {"channel": "C0PRIVACY"}},
    }


def payload_texts(slack) -> list[str]:
    """What people read: message text and blocks, file comments, titles and names."""
    texts = []
    for request in slack.requests:
        if request.method == "chat.postMessage":
            texts += [request.args["text"], json.dumps(request.args["blocks"], ensure_ascii=False)]
        elif request.method == "files.completeUploadExternal":
            texts += [request.args.get("initial_comment", ""), json.dumps(request.args["files"], ensure_ascii=False)]
        elif request.method == "files.getUploadURLExternal":
            texts.append(request.args["filename"])
    return texts


@pytest.mark.parametrize("code, seed, limit", AUTHORITIES)
def test_no_payload_identifies_a_child_or_shows_a_small_count(settings, slack, monkeypatch, code, seed, limit):  # noqa: F811
    authority = str(code)
    settings = replace(settings, authority=authority, slack_token="xoxb-test", slack_base_url=slack.base_url)
    monkeypatch.setattr(alert_config_module, "authority_section", lambda _: eager_config(limit))
    generate(settings.landing_dir, children=CHILDREN, seed=seed, reference_date=REFERENCE, code=authority,
             truth_path=settings.landing_dir.parent / "truth.json")
    pipeline.ingest(settings)
    engine = pipeline.warehouse(settings)
    with engine.begin() as conn:
        insert_rows(conn, "comparator_value", [{"indicator_id": INDICATOR, "geography": "england", "period_end": date(2024, 3, 31), "value": 99.9}])
    pipeline.compute(settings, AS_AT_DATES, f"prop-{authority}", indicator_ids=[INDICATOR])
    for as_at in AS_AT_DATES:
        pipeline.alert(settings, as_at, f"prop-{as_at}", send=False)
        deliver(engine, settings, backoff_seconds=0, per_channel_interval=0)

    texts = payload_texts(slack)
    assert len(slack.calls("chat.postMessage")) >= len(AS_AT_DATES)  # the property was exercised: something alerted nightly
    assert any("fewer than" in t for t in texts)  # and small numbers were met, and suppressed
    children = build_authority(CHILDREN, seed, REFERENCE, authority).children
    identities = [c.child_id for c in children] + [c.upn for c in children] + [c.birth_date.strftime("%d/%m/%Y") for c in children]
    readable = "\n".join(texts)
    assert [i for i in identities if i in readable] == []
    known_dates = {d.isoformat() for d in AS_AT_DATES} | {"2024-03-31", "2024-04-01", "2025-03-31"}  # as-at dates, the comparator, the period
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", readable)) <= known_dates  # so no date of birth either
    for t in texts:
        counts = [int(n) for n in re.findall(r"\d+", NOT_COUNTS.sub(" ", t.replace(TITLE, "").replace("YYYY-MM-DD", "")))]
        assert [n for n in counts if n < limit] == [], t

    with engine.connect() as conn:  # chart points: only figures whose counts may be shown
        charts = conn.execute(text("SELECT delivery_key, chart_json FROM slack_outbox WHERE chart_json IS NOT NULL")).all()
        figures = {(r.scope, r.as_at.isoformat()): (r.numerator, r.denominator) for r in conn.execute(text(
            "SELECT scope, as_at, numerator, denominator FROM indicator_result WHERE scope_type IN ('authority', 'team')"))}
    assert charts
    for key, chart in charts:
        scope = key.split("|")[3]
        for when, value in json.loads(chart)["points"]:
            assert value is None or min(figures[(scope, when)]) >= limit, (key, when)
