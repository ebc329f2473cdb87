"""`csc-monitor alerts list | silence | preview`: look at, pause and rehearse the alerts."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

from sqlalchemy import text

from .. import pipeline
from ..authorities import settings_for
from ..ingest.lock import exclusive
from ..warehouse import insert_rows, publish_copy, reader
from .config import ALL
from .lifecycle import evaluate_all


def _date(value: str) -> date:
    return date.fromisoformat(value)


def cmd_list(args) -> int:
    """Alerts not ok (pending or firing) and silences still in force on the as-at date (default: today)."""
    settings = settings_for(args.authority)
    with reader(settings.warehouse_url).connect() as conn:
        states = conn.execute(text(
            "SELECT indicator_id, scope, severity, status, breaching_since, last_notified_as_at, channel FROM alert_state "
            "WHERE authority = :a AND status <> 'ok'"), {"a": settings.authority}).all()
        silences = conn.execute(text(
            "SELECT indicator_id, team, until_date, created_by, reason FROM alert_silence WHERE authority = :a AND until_date >= :d "
            "ORDER BY indicator_id, team, until_date"), {"a": settings.authority, "d": args.as_at}).all()
    print(f"{'indicator':<32} {'scope':<24} {'severity':<9} {'status':<8} {'since':<10} {'last told':<10} channel")
    for s in sorted(states, key=lambda s: (s.indicator_id, s.scope != ALL, s.scope, s.severity)):
        print(f"{s.indicator_id:<32} {s.scope:<24} {s.severity:<9} {s.status:<8} {str(s.breaching_since or ''):<10} "
              f"{str(s.last_notified_as_at or '-'):<10} {s.channel}")
    print(f"\nsilences in force on {args.as_at.isoformat()}:" if silences else f"\nno silence in force on {args.as_at.isoformat()}")
    for s in silences:
        print(f"  {s.indicator_id} · {s.team or 'all scopes'} · until {s.until_date} · by {s.created_by}: {s.reason}")
    return 0


def cmd_silence(args) -> int:
    """Record a silence, holding the writer lock (beside a run it says who is busy and writes nothing)."""
    settings = settings_for(args.authority)
    with exclusive(settings, "alerts silence"):
        with pipeline.warehouse(settings).begin() as conn:
            insert_rows(conn, "alert_silence", [{
                "silence_id": uuid.uuid4().hex, "authority": settings.authority, "indicator_id": args.indicator, "team": args.team,
                "until_date": args.until, "created_by": args.who, "reason": args.why, "created_at": datetime.now(),
            }])
        publish_copy(pipeline.warehouse(settings))  # the dashboard shows the silence at once
    print(f"silenced {args.indicator} ({args.team or 'all scopes'}) until {args.until.isoformat()} inclusive")
    return 0


def preview(settings, as_at: date, run_id: str) -> list[dict]:
    """Exactly the messages tonight's run would queue for as_at, evaluated in a transaction that is rolled back.
    It writes before rolling back, so it takes the writer lock: beside a run it says who is busy (exit 75)."""
    with exclusive(settings, "alerts preview"), pipeline.warehouse(settings).connect() as conn:
        transaction = conn.begin()
        try:
            keys = evaluate_all(conn, settings, as_at, run_id)
            rows = [dict(r) for r in conn.execute(text("SELECT * FROM slack_outbox")).mappings() if r["delivery_key"] in keys]
        finally:
            transaction.rollback()
    return sorted(rows, key=lambda r: keys.index(r["delivery_key"]))


def cmd_preview(args) -> int:
    messages = preview(settings_for(args.authority), args.as_at, f"preview__{args.as_at.isoformat()}")
    for m in messages:
        thread = f" (in the thread of {m['thread_key']})" if m["thread_key"] else ""
        print(f"--- to {m['channel']}{thread} [{m['delivery_key']}]")
        print(m["text"])
        if m["chart_json"]:
            print("chart:", m["chart_json"])
        else:
            print(json.dumps(json.loads(m["blocks_json"]), indent=2))
    print(f"{len(messages) or 'no'} message(s) would be posted; nothing was posted or changed")
    return 0


def register(subparsers) -> None:
    """Add `alerts` and its subcommands to the csc-monitor parser."""
    alerts = subparsers.add_parser("alerts", help="list, silence or preview alerts").add_subparsers(dest="alerts_command", required=True)

    p = alerts.add_parser("list", help="alerts pending or firing, and silences in force")
    p.add_argument("--as-at", type=_date, default=date.today(), help="date the silences are checked against (default today)")
    p.add_argument("--authority", help="whose alerts (default CSC_MONITOR_AUTHORITY; unset, the only authority loaded)")
    p.set_defaults(func=cmd_list)

    p = alerts.add_parser("silence", help="hold back an indicator's alerts (or one team's) until a date, inclusive")
    p.add_argument("--indicator", required=True)
    p.add_argument("--team", help="only this team's alerts (default: every scope of the indicator)")
    p.add_argument("--until", type=_date, required=True)
    p.add_argument("--who", required=True)
    p.add_argument("--why", required=True)
    p.add_argument("--authority", help="whose alerts (default CSC_MONITOR_AUTHORITY; unset, the only authority loaded)")
    p.set_defaults(func=cmd_silence)

    p = alerts.add_parser("preview", help="print exactly what would be posted for a date, without posting or changing state")
    p.add_argument("--as-at", type=_date, required=True)
    p.add_argument("--authority", help="whose alerts (default CSC_MONITOR_AUTHORITY; unset, the only authority loaded)")
    p.set_defaults(func=cmd_preview)
