"""`csc-monitor alerts list | silence | preview` on a real warehouse."""

from datetime import date

from sqlalchemy import text

from csc_monitor.cli import main
from csc_monitor.ingest.lock import exclusive
from tests.test_alert_lifecycle import CP, EAST, NIGHTS, alerting, night, publish, run_night, slack  # noqa: F401 (fixtures)


def test_preview_prints_what_the_run_then_posts_and_changes_nothing(alerting, slack, engine, capsys):  # noqa: F811
    for n in (1, 2, 3):
        publish(engine, night(n), NIGHTS[n])
    run_night(alerting, 1)
    run_night(alerting, 2)
    capsys.readouterr()
    with engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM alert_state ORDER BY scope, severity")).all()

    assert main(["alerts", "preview", "--as-at", "2025-04-03"]) == 0
    printed = capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM alert_state ORDER BY scope, severity")).all() == before
        assert conn.execute(text("SELECT COUNT(*) FROM slack_outbox")).scalar_one() == 0
    assert slack.calls("chat.postMessage") == []

    run_night(alerting, 3)
    posted = {(p["channel"], p["text"]) for p in slack.calls("chat.postMessage")}
    assert len(posted) == 2
    for channel, message in posted:
        assert f"--- to {channel} [digest|999|{channel}|2025-04-03]\n{message}\n" in printed
    assert printed.count("--- to ") == 5  # two digests and three trend charts in their threads
    assert printed.endswith("5 message(s) would be posted; nothing was posted or changed\n")


def test_silence_then_list(alerting, slack, engine, capsys):  # noqa: F811
    for n in (1, 2, 3):
        publish(engine, night(n), NIGHTS[n])
        run_night(alerting, n)
    assert main(["alerts", "silence", "--indicator", "icpc_within_15_working_days", "--team", "East", "--until", "2025-04-06",
                 "--who", "Ann Lead", "--why", "figures being re-checked"]) == 0
    capsys.readouterr()
    assert main(["alerts", "list", "--as-at", "2025-04-04"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{'indicator':<32} {'scope':<24} {'severity':<9} {'status':<8} {'since':<10} {'last told':<10} channel",
        f"{'icpc_within_15_working_days':<32} {'all':<24} {'warning':<9} {'firing':<8} 2025-04-02 2025-04-03 {CP}",
        f"{'icpc_within_15_working_days':<32} {'East':<24} {'warning':<9} {'firing':<8} 2025-04-02 2025-04-03 {EAST}",
        f"{'icpc_within_15_working_days':<32} {'West':<24} {'warning':<9} {'firing':<8} 2025-04-02 2025-04-03 {CP}",
        "",
        "silences in force on 2025-04-04:",
        "  icpc_within_15_working_days · East · until 2025-04-06 · by Ann Lead: figures being re-checked",
    ]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT until_date FROM alert_silence")).scalar_one() == date(2025, 4, 6)


def test_preview_and_silence_beside_a_run_say_who_holds_the_warehouse_and_write_nothing(alerting, slack, engine, capsys):  # noqa: F811
    publish(engine, night(1), NIGHTS[1])
    capsys.readouterr()
    with exclusive(alerting, "run writing figures"):
        assert main(["alerts", "preview", "--as-at", "2025-04-01"]) == 75
        assert main(["alerts", "silence", "--indicator", "icpc_within_15_working_days", "--until", "2025-04-06",
                     "--who", "Ann Lead", "--why", "re-checking"]) == 75
    refusals = capsys.readouterr().err.splitlines()
    assert len(refusals) == 2 and all(line.startswith("another run writing figures is running (pid ") and
                                      line.endswith("; nothing done (CSC_MONITOR_LOCK_WAIT_SECONDS sets how long to wait)")
                                      for line in refusals)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM alert_silence")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM alert_state")).scalar_one() == 0
    assert main(["alerts", "preview", "--as-at", "2025-04-01"]) == 0  # once the run has finished
