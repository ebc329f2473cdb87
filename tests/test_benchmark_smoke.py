"""The benchmark runs end to end at tiny sizes: every row is printed and the baseline agrees with the SQL (no times asserted)."""

from benchmarks import run as benchmark


def test_benchmark_smoke_prints_every_row_and_identical_figures(capsys):
    assert benchmark.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    table = {line[:36].strip(): line[36:].split() for line in lines[:lines.index(next(l for l in lines if l.startswith("growth")))]}
    for stage in benchmark.STAGES:  # one cell per data set: seconds, ratio to the parse floor, peak memory
        assert [cell[-1] for cell in table[stage]] == ["s", "x", "B"] * 3, stage
    for ratio in ("baseline / SQL (3 indicators)", "backfill / one date"):
        assert [cell.endswith("x") for cell in table[ratio]] == [True] * 3
    assert all(int(cell.replace(",", "")) > 0 for cell in table["rows parsed"] + table["3 indicators: denominators compared"])
    assert table["baseline and SQL figures identical"] == ["yes", "yes", "yes"] and "MISMATCH" not in out
    machine = next(line for line in lines if line.startswith("machine: "))
    assert " cores, " in machine and "DuckDB " in machine and "Python " in machine
    assert sum(line.startswith("  ") and " time " in line and " memory " in line for line in lines) == len(benchmark.STAGES)
    assert [line.split()[-1] in ("met", "MISSED") for line in lines if line.startswith("  ") and ("<=" in line or ">=" in line)] == [True] * 3
