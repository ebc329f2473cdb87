"""The triggerer routes each landed file to its export kind's asset (ingest still checks the whole file)."""

from datetime import date

from csc_monitor.export_kinds import EXPORT_KINDS, matches
from csc_monitor.synthetic import generate


def test_every_generated_export_matches_exactly_one_kind(tmp_path):
    generate(tmp_path / "landing", children=30, seed=2, reference_date=date(2025, 3, 31), looked_after=10,
             truth_path=tmp_path / "truth.json", annex_a_dir=tmp_path / "landing")
    kinds = {path.name: [k for k in EXPORT_KINDS if matches(k, path)] for path in (tmp_path / "landing").iterdir()}
    assert {name: found for name, found in kinds.items() if len(found) != 1} == {}
    assert kinds["cin_census_999_2025.xml"] == ["cin_census"]
    assert kinds["ssda903_999_2025_episodes.csv"] == ["ssda903"]
    assert kinds["allocations_999_2025-03-31.csv"] == ["allocations"]
    assert kinds["visits_999_2025-03-31.csv"] == ["events"]
    assert kinds["annex_a_999_2025-03-31.xlsx"] == ["annex_a"]
    assert sorted({found[0] for found in kinds.values()}) == sorted(EXPORT_KINDS)
