"""The synthetic authority: exports in every format with the figures planted in them.

Used by `csc-monitor generate` and `demo`, the tests and the benchmark; nothing on the production
path imports it. `cin` builds the children in need and writes the census and allocations,
`looked_after` the SSDA903 return and the event extracts, `annex_a` the same authority as an Ofsted
Annex A workbook, and `truth` the planted figures (from the row-by-row reference in `csc_reference`).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from datetime import date
from pathlib import Path

from ..dates import add_months
from .annex_a import write_annex_a
from .cin import Allocation, all_facts, build_authority, icpc_truth, write_allocations, write_cin_census
from .looked_after import build_looked_after, case_visits, write_events, write_ssda903
from .truth import planted_figures, planted_schedules


def generate(out_dir: Path, children: int, seed: int, reference_date: date, code: str = "999", truth_path: Path | None = None,
             looked_after: int | None = None, years: int = 1, annex_a_dir: Path | None = None) -> dict:
    """Write the exports into out_dir and the planted ground truth beside it (never into the landing folder).

    `children` sizes the CIN census; `looked_after` (default a quarter of it) the SSDA903 return and
    the event extracts (visits, reviews, health checks, return interviews) for the same authority.
    `years` writes one CIN census per collection year, the latest ending on `reference_date`.
    `annex_a_dir`, if given, receives the same authority as an Ofsted Annex A workbook (lists 3-8): an
    alternative source for the same facts, so it is kept out of the landing folder.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    authority = build_authority(children, seed, reference_date, code, years)
    la_facts = build_looked_after(seed, code, reference_date, children // 4 if looked_after is None else looked_after)
    visits, frequencies = case_visits(random.Random(seed + 1), authority)
    la_facts["visit"] += visits
    la_facts["cp_visit_frequency"] = frequencies
    authority.allocations += [Allocation(r["child_id"], r["team"], r["worker"], r["start_date"], r["end_date"]) for r in la_facts.pop("allocation")]
    for back in range(years):
        census_date = add_months(reference_date, -12 * back)
        write_cin_census(authority, out_dir / f"cin_census_{code}_{census_date.year}.xml", census_date)
    write_allocations(authority, out_dir / f"allocations_{code}_{reference_date.isoformat()}.csv")
    write_ssda903(la_facts, out_dir, code, reference_date.year)
    write_events(la_facts, out_dir, code, reference_date)
    if annex_a_dir:
        write_annex_a(authority, annex_a_dir / f"annex_a_{code}_{reference_date.isoformat()}.xlsx", reference_date,
                      seed=seed, looked_after={"child": la_facts["child"], "care_episode": la_facts["care_episode"]})
    truth = {
        "authority": code,
        "seed": seed,
        "reference_date": reference_date.isoformat(),
        "children": len(authority.children),
        "icpc_within_15_working_days": icpc_truth(authority, reference_date),
        "enquiries": [
            {"child_id": c.child_id, **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(e).items()}}
            for c in authority.children
            for e in c.episode.enquiries
        ],
        "row_counts": {table: len(rows) for table, rows in la_facts.items()},
        "figures": planted_figures(all_facts(authority, la_facts), reference_date, code),
        "schedules": planted_schedules(all_facts(authority, la_facts), reference_date, code),   # counted beside the figure
        # nine months on, inside the next collection year: OC3 age groups must not move (birthday in the year)
        "figures_nine_months_on": planted_figures(all_facts(authority, la_facts), add_months(reference_date, 9), code),
    }
    truth_path = truth_path or out_dir.parent / f"ground_truth_{code}_{reference_date.isoformat()}.json"
    truth_path.write_text(json.dumps(truth, indent=2))
    return truth
