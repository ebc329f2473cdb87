"""`make demo`, the first of the two commands, as a newcomer's shell runs it: no test settings, exports written just now."""

import json
import os
import subprocess
import sys
from pathlib import Path

from csc_monitor.indicators.definitions import load_definitions


def test_demo_publishes_the_planted_icpc_figure_from_exports_it_has_just_written(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CSC_MONITOR_", "AIRFLOW", "SLACK_", "GX_"))}
    env["CSC_MONITOR_DATA_DIR"] = str(tmp_path / "data")  # everything else as a fresh shell has it (30 s settle included)
    demo = subprocess.run([str(Path(sys.executable).with_name("csc-monitor")), "demo", "--children", "150"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr[-2000:]
    planted = json.loads((tmp_path / "data" / "ground_truth.json").read_text())["icpc_within_15_working_days"]
    outbox = tmp_path / "data" / "outbox" / "slack_messages.jsonl"
    summary = demo.stdout[demo.stdout.index("\n== authority 999"):].splitlines()
    assert summary[1] == "== authority 999, figures as at 2025-03-31 =="
    assert summary[2].endswith(f"({planted['numerator']} of {planted['denominator']}), which equals the planted "
                               f"{planted['numerator']} of {planted['denominator']}")
    # every indicator but the three adoption ones and OC2's, whose cohorts 150 children do not reach
    assert summary[3].startswith(f"{len(load_definitions()) - 4} indicators published: ")
    assert f"Slack: {len(outbox.read_text().splitlines())} messages written to {outbox}" in summary
    # each breaching indicator is counted once, at its worst severity
    listed = {line.split(": ")[0].strip(): line.split(": ")[1].split(", ") for line in summary[4:6]}
    assert summary[3].endswith(f"{len(listed['critical'])} breaching critical, {len(listed['warning'])} breaching warning")
    assert not set(listed["critical"]) & set(listed["warning"])
