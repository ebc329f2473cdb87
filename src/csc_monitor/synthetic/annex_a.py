"""Ofsted Annex A for a synthetic authority: the lists the CIN census also carries (3-7), as an xlsx.

Each list holds what Ofsted asks for over the `months` before the extract date: referrals,
assessments and section 47 enquiries started in that period, and children in need and child
protection plans open at any time in it (six months by default; *(check)* against the current
Annex A guidance). Headers, sheet names and coded values vary from workbook to workbook (chosen
from the ingest vocabulary by `seed`), as they do between authorities, so the ingest is exercised on
variants. Lists 8-10 are written with headers only until the generator models looked-after children.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from ..dates import add_months
from .cin import Authority, Child
from ..ingest.annex_a_vocabulary import LISTS

SEX_STYLES = ({"M": "a) Male", "F": "b) Female"}, {"M": "M", "F": "F"}, {"M": "1 - Male", "F": "2 - Female"}, {"M": "Male", "F": "Female"})
YES_NO_STYLES = (("Yes", "No"), ("Y", "N"), ("a) Yes", "b) No"), ("YES", "NO"))


def _in_period(day: date | None, start: date, end: date) -> bool:
    return day is not None and start < day <= end


def _visible(day: date | None, extract_date: date) -> date | None:
    """Nothing dated after the extract date is known on it."""
    return day if day is not None and day <= extract_date else None


def _looked_after_rows(facts: dict[str, list[dict]], extract_date: date) -> list[tuple[dict, date, dict]]:
    """(child, date started to be looked after, episode open on the extract date) for children in care that day."""
    children = {c["child_id"]: c for c in facts["child"]}
    rows = []
    by_child: dict[str, list[dict]] = {}
    for episode in facts["care_episode"]:
        by_child.setdefault(episode["child_id"], []).append(episode)
    for child_id, episodes in by_child.items():
        episodes.sort(key=lambda e: e["start_date"])
        open_now = [e for e in episodes if e["start_date"] <= extract_date and (e["end_date"] is None or e["end_date"] > extract_date)]
        if open_now:
            started = max(e["start_date"] for e in episodes if e["reason_new_episode"] == "S" and e["start_date"] <= extract_date)
            rows.append((children[child_id], started, open_now[-1]))
    return rows


def write_annex_a(authority: Authority, path: Path, extract_date: date, months: int = 6, seed: int = 0,
                  looked_after: dict[str, list[dict]] | None = None) -> None:
    """Lists 3-7 from the CIN census model; list 8 from the looked-after facts when given (children in care on the extract date)."""
    rng = random.Random(seed)
    period_start = add_months(extract_date, -months)
    sex = rng.choice(SEX_STYLES)
    yes, no = rng.choice(YES_NO_STYLES)
    allocated = {a.child_id: a for a in authority.allocations
                 if a.start_date <= extract_date and (a.end_date is None or a.end_date >= extract_date)}

    def common(child: Child) -> list:
        allocation = allocated.get(child.child_id)
        return [child.child_id, sex[child.sex], child.ethnicity, child.birth_date,
                allocation.team if allocation else None, allocation.worker if allocation else None]

    def yes_no(flag: bool) -> str:
        return yes if flag else no

    rows: dict[int, list[list]] = {n: [] for n in range(3, 11)}
    for child in authority.children:
        e = child.episode
        if e.referral_date > extract_date:
            continue
        closure = _visible(e.closure_date, extract_date)
        if _in_period(e.referral_date, period_start, extract_date):
            rows[3].append(common(child) + [e.referral_date, e.referral_source, no])
        in_lists_4_5 = False
        if _in_period(e.assessment_start, period_start, extract_date):
            rows[4].append(common(child) + [e.assessment_start, _visible(e.assessment_authorised, extract_date)])
            in_lists_4_5 = True
        for enquiry in e.enquiries:
            if _in_period(enquiry.strategy_discussion_date, period_start, extract_date):
                icpc = _visible(enquiry.icpc_date, extract_date)
                rows[5].append(common(child) + [enquiry.strategy_discussion_date, yes_no(enquiry.icpc_not_required), icpc,
                                                yes_no(icpc is not None and icpc == e.plan_start) if icpc else None])
                in_lists_4_5 = True
        if in_lists_4_5 or closure is None or closure > period_start:  # open in the period, or the episode of a list 4/5 row
            rows[6].append(common(child) + [e.referral_date, e.primary_need, closure, "RC8" if closure else None,
                                            "Closed" if closure else "Open"])
        plan_start, plan_end = _visible(e.plan_start, extract_date), _visible(e.plan_end, extract_date)
        if plan_start and (plan_end is None or plan_end > period_start):
            reviews = [r for r in e.plan_reviews if r <= extract_date]
            rows[7].append(common(child) + [plan_start, "NEG", "NEG", max(reviews) if reviews else None, plan_end, 0])

    for child, started, episode in _looked_after_rows(looked_after, extract_date) if looked_after else []:
        allocation = allocated.get(child["child_id"])
        rows[8].append([child["child_id"], sex[child["sex"]], child["ethnicity"], child["birth_date"],
                        allocation.team if allocation else None, allocation.worker if allocation else None,
                        started, episode["legal_status"], episode["placement_type"]])

    fields = {
        3: ("referral_date", "referral_source", "referral_nfa"),
        4: ("assessment_start", "assessment_authorised"),
        5: ("strategy_discussion_date", "icpc_not_required", "icpc_date", "icpc_led_to_plan"),
        6: ("cin_start", "primary_need", "cin_closure", "closure_reason", "case_status"),
        7: ("plan_start", "initial_category", "latest_category", "latest_review_conference", "plan_end", "previous_plans"),
        8: ("date_started_looked_after", "legal_status", "placement_type"),
        9: ("latest_pathway_plan_review", "in_touch", "latest_contact"),
        10: ("entered_care", "decision_date", "placement_order_date", "adoption_order_date"),
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, names in fields.items():
        spec = LISTS[number]
        headers = {f.name: rng.choice(f.headers) for f in spec.fields}
        shared = ["child_id", "sex", "ethnicity", "birth_date"] + (["allocated_team", "allocated_worker"] if number <= 8 else [])
        short = spec.sheet_names[0].title()
        sheet = workbook.create_sheet(rng.choice((f"List {number}", f"List {number} - {short}", f"L{number} {short}")))
        if rng.random() < 0.5:  # many authorities put a title above the header row
            sheet.append([f"Annex A List {number}: {spec.title} (extract {extract_date.isoformat()})"])
        sheet.append([headers[n] for n in shared[:4] + list(names) + shared[4:]])
        for row in rows.get(number, []) if number <= 8 else []:
            base, allocation = row[:4], row[4:6]
            sheet.append(base + row[6:] + allocation)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
