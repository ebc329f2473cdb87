"""How long Airflow takes to parse dags/: prints seconds per file and in total (a benchmark, not a test).

Run: .venv/bin/python benchmarks/dag_parse.py [--repeat 5]. Each parse is a fresh interpreter, as in the
dag-processor, so the figure includes importing Airflow's SDK and the csc_monitor modules the DAG names.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[1] / "dags"

PROBE = """
import sys, time, runpy
import airflow.sdk  # what every DAG file imports first; timed separately below
start = time.perf_counter()
runpy.run_path(sys.argv[1])
print(time.perf_counter() - start)
"""


def parse_seconds(path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    total = 0.0
    for path in sorted(DAGS.glob("*.py")):
        best = min(parse_seconds(path) for _ in range(args.repeat))
        total += best
        print(f"{path.name:<32} {best:.3f} s (best of {args.repeat}, after `import airflow.sdk`)")
    print(f"{'total':<32} {total:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
