"""Regional mode: two authorities in one warehouse, one run; figures, exceptions and alerts never mix."""

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from csc_monitor import authority_config, pipeline
from csc_monitor.alerts.messages import Figure, figure_text
from csc_monitor.config import load_settings
from csc_monitor.dates import add_months
from csc_monitor.synthetic import generate
from csc_monitor.indicators.exceptions import exception_rows
from csc_monitor.ingest.errors import ExportError
from csc_monitor.ingest.landing import file_authority, ingest_landing
from csc_monitor.workdays import working_days_between

AS_AT = date(2025, 3, 31)
ICPC = "icpc_within_15_working_days"
ICPC_TITLE = "Initial child protection conferences within 15 working days"
# Thresholds no figure can meet, so both authorities alert on ICPC: 801 at critical, 802 at warning only,
# each to its own channel (per-authority overrides, as an authority would write them in config/authority.yml).
REGIONAL_CONFIG = {"authorities": {
    "801": {"thresholds": {ICPC: {"warning": 101, "critical": 100.5}}, "routing": {ICPC: {"channel": "C0801ICPC"}},
            "alerting": {"default_channel": "C0801DFLT"}},
    "802": {"thresholds": {ICPC: {"warning": 101, "critical": None}}, "routing": {ICPC: {"channel": "C0802ICPC"}},
            "alerting": {"default_channel": "C0802DFLT"}},
}}


@pytest.fixture
def regional(settings, monkeypatch):
    """Authorities 801 and 802 generated into one landing folder and ingested in regional mode."""
    monkeypatch.setattr(authority_config, "_document", lambda: REGIONAL_CONFIG)
    regional = replace(settings, authorities=("801", "802"), data_docs=False)
    truths = {code: generate(regional.landing_dir, children=200, seed=seed, reference_date=AS_AT, code=code, looked_after=30,
                             truth_path=regional.data_dir.parent / f"truth_{code}.json")
              for code, seed in (("801", 11), ("802", 13))}
    exports = sorted(p.name for p in regional.landing_dir.iterdir())
    report = ingest_landing(pipeline.warehouse(regional), regional)
    # a header-only table (e.g. no adoptions) is byte-identical for both authorities: loaded once, then a no-op duplicate
    assert report.rejected == [] and sorted(report.loaded + report.duplicates) == exports
    return regional, truths


def _late_enquiries(truth: dict) -> set[str]:
    """ICPCs held in the 12 months to AS_AT more than 15 working days after the strategy discussion, from the planted facts."""
    late = set()
    for e in truth["enquiries"]:
        held = e["icpc_date"] and date.fromisoformat(e["icpc_date"])
        start = date.fromisoformat(e["strategy_discussion_date"])
        if held and add_months(AS_AT, -12) < held <= AS_AT and working_days_between(start, held) > 15:
            late.add(f"{e['child_id']}/{start.isoformat()}")
    return late


def test_each_authority_gets_its_own_figures_exceptions_and_alerts(regional):
    settings, truths = regional
    engine = pipeline.warehouse(settings)
    with engine.connect() as conn:
        tagged = conn.execute(text("SELECT file_name, authority FROM load_file")).all()
    assert sorted({a for _, a in tagged}) == ["801", "802"] and all(f"_{a}_" in name for name, a in tagged)

    outcomes = pipeline.run_all_authorities(settings, AS_AT, "regional", send=True)
    assert sorted(outcomes) == ["801", "802"] and not any(o.critical_failures for o in outcomes.values())

    published = {}
    with engine.connect() as conn:
        for r in conn.execute(text("SELECT authority, indicator_id, numerator, denominator, overdue, run_id FROM indicator_result "
                                   "WHERE scope_type = 'authority' AND as_at = :d"), {"d": AS_AT}):
            published.setdefault(r.authority, {})[r.indicator_id] = {"numerator": r.numerator, "denominator": r.denominator, "overdue": r.overdue}
            assert r.run_id == f"regional@{r.authority}"
        late = {code: exception_rows(conn, ICPC, code, AS_AT) for code in truths}
    assert sorted(published) == ["801", "802"]
    for code, truth in truths.items():
        planted = {**truth["figures"], ICPC: {k: truth[ICPC][k] for k in ("numerator", "denominator", "overdue")}}
        assert {i: published[code].get(i, {"numerator": 0, "denominator": 0, "overdue": 0}) for i in planted} == planted
        assert {r["unit_key"] for r in late[code] if r["status"] == "not_met"} == _late_enquiries(truth)
        assert sum(r["status"] == "overdue" for r in late[code]) == truth[ICPC]["overdue"]
        assert {r["source_file"] for r in late[code]} == {f"cin_census_{code}_2025.xml"}
    assert published["801"][ICPC] != published["802"][ICPC]

    messages = [json.loads(line) for line in settings.outbox_file.read_text().splitlines()]
    for message in messages:  # every message is one authority's: its key names it; a channel ID of the region's is that authority's
        (owner,) = {code for code in ("801", "802") if f"|{code}|" in message["delivery_key"]}
        assert message["channel"].startswith(f"C0{owner}") or message["channel"].startswith("#")
    icpc_digests = {m["channel"]: m["text"] for m in messages if m["channel"].endswith("ICPC") and m["delivery_key"].startswith("digest|")}
    assert sorted(icpc_digests) == ["C0801ICPC", "C0802ICPC"]
    for code, severity, thresholds in (("801", "Critical", "warning below 101%, critical below 100.5%"), ("802", "Warning", "warning below 101%")):
        own = truths[code][ICPC]
        figure = Figure("all", own["numerator"], own["denominator"], 100 * own["numerator"] / own["denominator"], own["overdue"])
        line = f"{severity}: {ICPC_TITLE} · all teams: {figure_text(figure, 5)}; {thresholds}"
        assert line in icpc_digests[f"C0{code}ICPC"]
        other = "802" if code == "801" else "801"
        assert figure_text(figure, 5) not in icpc_digests[f"C0{other}ICPC"]
        assert all(f"|{other}|" not in m["delivery_key"] for m in messages if m["channel"] == f"C0{code}ICPC")


def test_a_csv_belongs_to_the_one_authority_its_name_carries(tmp_path):
    single = load_settings(data_dir=tmp_path, authority="999")
    region = replace(single, authorities=("801", "802"))
    assert file_authority(Path("visits_801_2025-03-31.csv"), region) == "801"
    assert file_authority(Path("ssda903_802_2025_episodes.csv"), region) == "802"
    assert file_authority(Path("visits_801_2025-03-31.csv"), single) == "999"
    for ambiguous in ("visits_2025-03-31.csv", "visits_8010_2025.csv", "allocations_801_802.csv"):
        with pytest.raises(ExportError, match="name the authority in the file name, one of 801, 802"):
            file_authority(Path(ambiguous), region)
