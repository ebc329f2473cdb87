"""Synthetic exports for one authority, with the ground truth that was planted in them.

Timings are planted in working days (so tests can compare figures exactly): most initial
conferences within 15 working days, some exactly on 15 and 16, some late, some enquiries with no
conference required, some still waiting, and strategy discussions falling on weekends and bank
holidays. The same seed always writes the same files.
"""

from __future__ import annotations

import csv
import random
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from ..dates import add_months
from ..workdays import add_working_days, working_days_between

ASSESSMENT_TEAMS = {"Assessment North": ["Asha Khan", "Ben Lewis"], "Assessment South": ["Cara Doyle", "Dev Patel"]}
CP_TEAMS = {"Child Protection East": ["Eve Morris", "Femi Adeyemi"], "Child Protection West": ["Gus Taylor", "Hana Novak"]}
ETHNICITIES = ["WBRI", "WOTH", "MWBC", "ABAN", "APKN", "BAFR", "BCRB", "CHNE", "OOTH"]
ICPC_TIMESCALE = 15


@dataclass
class Enquiry:
    strategy_discussion_date: date
    icpc_not_required: bool
    planted_working_days: int | None  # None: no conference planned yet
    icpc_date: date | None  # planned date; only written to the census if on or before the reference date


@dataclass
class Episode:
    referral_date: date
    referral_source: str
    primary_need: str
    assessment_start: date
    assessment_authorised: date | None
    closure_date: date | None
    enquiries: list[Enquiry] = field(default_factory=list)
    plan_start: date | None = None
    plan_end: date | None = None
    plan_reviews: list[date] = field(default_factory=list)


@dataclass
class Allocation:
    child_id: str
    team: str
    worker: str
    start_date: date
    end_date: date | None


@dataclass
class Child:
    child_id: str
    upn: str
    birth_date: date
    sex: str
    ethnicity: str
    episode: Episode


@dataclass
class Authority:
    code: str
    reference_date: date
    children: list[Child]
    allocations: list[Allocation]


def _random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _planted_icpc_working_days(rng: random.Random) -> int:
    """Mostly on time, with the 15/16 boundary and late conferences well represented."""
    draw = rng.random()
    if draw < 0.50:
        return rng.randint(4, 14)
    if draw < 0.62:
        return ICPC_TIMESCALE
    if draw < 0.72:
        return ICPC_TIMESCALE + 1
    return rng.randint(17, 45)


def _episode(rng: random.Random, reference_date: date, history_months: int) -> Episode:
    if rng.random() < 0.1:   # referred long enough ago for a child protection plan to reach 2 years
        referral = _random_day(rng, add_months(reference_date, -history_months - 24), add_months(reference_date, -24))
    else:
        referral = _random_day(rng, add_months(reference_date, -history_months), reference_date - timedelta(days=1))
    start = add_working_days(referral, rng.randint(0, 2))
    authorised = add_working_days(start, rng.randint(5, 60))
    episode = Episode(
        referral_date=referral,
        referral_source=rng.choice(["1A", "2A", "3A", "5A", "6"]),
        primary_need=rng.choice(["N1", "N2", "N3", "N4"]),
        assessment_start=min(start, reference_date),
        assessment_authorised=authorised if authorised <= reference_date else None,
        closure_date=None,
    )
    if rng.random() < 0.45:
        strategy = episode.assessment_start + timedelta(days=rng.randint(0, 12))
        if strategy <= reference_date:
            episode.enquiries.append(_enquiry(rng, strategy))
    _plan_and_closure(rng, episode, reference_date)
    return episode


def _enquiry(rng: random.Random, strategy: date) -> Enquiry:
    draw = rng.random()
    if draw < 0.25:
        return Enquiry(strategy, True, None, None)
    if draw < 0.32:
        return Enquiry(strategy, False, None, None)
    days = _planted_icpc_working_days(rng)
    return Enquiry(strategy, False, days, add_working_days(strategy, days))


def _plan_and_closure(rng: random.Random, episode: Episode, reference_date: date) -> None:
    held = [e.icpc_date for e in episode.enquiries if e.icpc_date and e.icpc_date <= reference_date]
    if held and rng.random() < 0.8:
        episode.plan_start = held[0]
        review = add_months(episode.plan_start, 3)
        while review <= reference_date and len(episode.plan_reviews) < 6:
            episode.plan_reviews.append(review)
            review = add_months(review, 6)
        two_years = add_months(episode.plan_start, 24)
        if two_years <= reference_date:   # the 2-years boundary: ending a day short of it, exactly on it, later, or still open
            shift = rng.choice([-1, 0, 0, 150, None, None])
            end = None if shift is None else two_years + timedelta(days=shift)
        else:
            end = add_months(episode.plan_start, rng.randint(4, 14)) if rng.random() < 0.3 else None
        if end is not None and end <= reference_date:
            episode.plan_end = end
            episode.closure_date = end
        return
    waiting = any(not e.icpc_not_required and (e.icpc_date is None or e.icpc_date > reference_date) for e in episode.enquiries)
    if not waiting and episode.assessment_authorised and rng.random() < 0.6:
        last_event = max([episode.assessment_authorised, *held])
        closure = last_event + timedelta(days=rng.randint(0, 30))
        if closure <= reference_date:
            episode.closure_date = closure


def _allocations(rng: random.Random, child_id: str, episode: Episode, reference_date: date) -> list[Allocation]:
    """An assessment team from referral; a move to a child protection team some days after the strategy discussion."""
    team = rng.choice(sorted(ASSESSMENT_TEAMS))
    first = Allocation(child_id, team, rng.choice(ASSESSMENT_TEAMS[team]), episode.referral_date, episode.closure_date)
    if not episode.enquiries or episode.enquiries[0].icpc_not_required:
        return [first]
    moved = episode.enquiries[0].strategy_discussion_date + timedelta(days=rng.randint(1, 30))
    if moved > reference_date or (episode.closure_date and moved > episode.closure_date):
        return [first]
    first.end_date = moved - timedelta(days=1)
    cp_team = rng.choice(sorted(CP_TEAMS))
    return [first, Allocation(child_id, cp_team, rng.choice(CP_TEAMS[cp_team]), moved, episode.closure_date)]


def build_authority(children: int, seed: int, reference_date: date, code: str = "999", years: int = 1) -> Authority:
    """`children` referrals spread over `years` collection years (plus six months before the first)."""
    rng = random.Random(seed)
    people, allocations = [], []
    year_start = add_months(reference_date, -12 * years) + timedelta(days=1)
    for index in range(1, children + 1):
        episode = _episode(rng, reference_date, 6 + 12 * years)
        if episode.closure_date and episode.closure_date < year_start:
            continue  # closed before the collection year: not in this census
        child_id = f"C{seed % 1000:03d}{index:06d}"
        child = Child(
            child_id=child_id,
            upn=f"A{rng.randint(10**10, 10**11 - 1):011d}{rng.choice('ABCDEFGH')}",
            birth_date=_random_day(rng, reference_date - timedelta(days=17 * 365), episode.referral_date - timedelta(days=1)),
            sex=rng.choice("MF"),
            ethnicity=rng.choice(ETHNICITIES),
            episode=episode,
        )
        people.append(child)
        allocations += _allocations(rng, child_id, episode, reference_date)
    return Authority(code, reference_date, people, allocations)


# --- writers -----------------------------------------------------------------------------------


def _sub(parent, tag: str, value=None):
    element = etree.SubElement(parent, tag)
    if value is not None:
        element.text = value.isoformat() if isinstance(value, date) else str(value)
    return element


def write_cin_census(authority: Authority, path: Path, reference_date: date | None = None) -> None:
    """The DfE CIN census XML for the year ending on `reference_date` (default the authority's), in XSD element order.

    Only episodes open during that collection year appear, and nothing dated after its reference date.
    """
    reference_date = reference_date or authority.reference_date
    year_start = add_months(reference_date, -12) + timedelta(days=1)
    year = reference_date.year
    root = etree.Element("Message")
    header = _sub(root, "Header")
    details = _sub(header, "CollectionDetails")
    _sub(details, "Collection", "CIN")
    _sub(details, "Year", year)
    _sub(details, "ReferenceDate", reference_date)
    source = _sub(header, "Source")
    _sub(source, "SourceLevel", "L")
    _sub(source, "LEA", authority.code)
    _sub(source, "SoftwareCode", "csc-monitor synthetic")
    _sub(source, "Release", "1")
    _sub(source, "SerialNo", "001")
    children = _sub(root, "Children")
    for child in authority.children:
        episode = child.episode
        if episode.referral_date <= reference_date and not (episode.closure_date and episode.closure_date < year_start):
            _write_child(_sub(children, "Child"), child, reference_date, sex_element="Sex" if year >= 2025 else "GenderCurrent")
    path.write_bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


def _write_child(element, child: Child, reference_date: date, sex_element: str) -> None:
    ids = _sub(element, "ChildIdentifiers")
    _sub(ids, "LAchildID", child.child_id)
    _sub(ids, "UPN", child.upn)
    _sub(ids, "PersonBirthDate", child.birth_date)
    _sub(ids, sex_element, child.sex if sex_element == "Sex" else {"M": "1", "F": "2"}[child.sex])
    _sub(_sub(element, "ChildCharacteristics"), "Ethnicity", child.ethnicity)
    episode = child.episode
    cin = _sub(element, "CINdetails")
    _sub(cin, "CINreferralDate", episode.referral_date)
    _sub(cin, "ReferralSource", episode.referral_source)
    _sub(cin, "PrimaryNeedCode", episode.primary_need)
    if episode.closure_date and episode.closure_date <= reference_date:
        _sub(cin, "CINclosureDate", episode.closure_date)
        _sub(cin, "ReasonForClosure", "RC8")
    assessment = _sub(cin, "Assessments")
    _sub(assessment, "AssessmentActualStartDate", episode.assessment_start)
    if episode.assessment_authorised and episode.assessment_authorised <= reference_date:
        _sub(assessment, "AssessmentAuthorisationDate", episode.assessment_authorised)
    for enquiry in (e for e in episode.enquiries if e.strategy_discussion_date <= reference_date):
        s47 = _sub(cin, "Section47")
        _sub(s47, "S47ActualStartDate", enquiry.strategy_discussion_date)
        _sub(s47, "InitialCPCtarget", add_working_days(enquiry.strategy_discussion_date, ICPC_TIMESCALE))
        if enquiry.icpc_date and enquiry.icpc_date <= reference_date:
            _sub(s47, "DateOfInitialCPC", enquiry.icpc_date)
        _sub(s47, "ICPCnotRequired", int(enquiry.icpc_not_required))
    _sub(cin, "ReferralNFA", 0)
    if episode.plan_start and episode.plan_start <= reference_date:
        plan = _sub(cin, "ChildProtectionPlans")
        _sub(plan, "CPPstartDate", episode.plan_start)
        if episode.plan_end and episode.plan_end <= reference_date:
            _sub(plan, "CPPendDate", episode.plan_end)
        _sub(plan, "InitialCategoryOfAbuse", "NEG")
        _sub(plan, "LatestCategoryOfAbuse", "NEG")
        _sub(plan, "NumberOfPreviousCPP", 0)
        held_reviews = [r for r in episode.plan_reviews if r <= reference_date]
        if held_reviews:
            reviews = _sub(plan, "Reviews")
            for review in held_reviews:
                _sub(reviews, "CPPreviewDate", review)


def write_allocations(authority: Authority, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["child_id", "team", "worker", "start_date", "end_date"])  # the allocations contract (ingest/events.py)
        for a in authority.allocations:
            writer.writerow([a.child_id, a.team, a.worker, a.start_date.isoformat(), a.end_date.isoformat() if a.end_date else ""])


# --- ground truth ------------------------------------------------------------------------------


def cin_facts(authority: Authority) -> dict[str, list[dict]]:
    """What the censuses tell the warehouse, in warehouse-row form (nothing dated after the reference date)."""
    ref = authority.reference_date

    def known(day: date | None) -> date | None:
        return day if day is not None and day <= ref else None

    facts: dict[str, list[dict]] = {t: [] for t in ("child", "referral", "assessment", "section47_enquiry", "cp_plan", "cp_review")}
    for child in authority.children:
        e, key = child.episode, {"authority": authority.code, "child_id": child.child_id}
        facts["child"].append({**key, "birth_date": child.birth_date, "sex": child.sex, "ethnicity": child.ethnicity, "death_date": None})
        facts["referral"].append({**key, "referral_date": e.referral_date, "referral_source": e.referral_source,
                                  "primary_need": e.primary_need, "closure_date": known(e.closure_date),
                                  "closure_reason": "RC8" if known(e.closure_date) else None, "referral_nfa": False})
        facts["assessment"].append({**key, "referral_date": e.referral_date, "start_date": e.assessment_start,
                                    "authorisation_date": known(e.assessment_authorised)})
        for q in e.enquiries:
            facts["section47_enquiry"].append({**key, "referral_date": e.referral_date, "strategy_discussion_date": q.strategy_discussion_date,
                                               "icpc_target_date": add_working_days(q.strategy_discussion_date, ICPC_TIMESCALE),
                                               "icpc_date": known(q.icpc_date), "icpc_not_required": q.icpc_not_required})
        if known(e.plan_start):
            facts["cp_plan"].append({**key, "start_date": e.plan_start, "end_date": known(e.plan_end), "initial_category": "NEG",
                                     "latest_category": "NEG", "previous_plans": 0})
            facts["cp_review"] += [{**key, "plan_start_date": e.plan_start, "review_date": r} for r in e.plan_reviews if r <= ref]
    return facts


def _team_on(allocations: list[Allocation], child_id: str, day: date) -> str:
    for a in allocations:
        if a.child_id == child_id and a.start_date <= day and (a.end_date is None or a.end_date >= day):
            return a.team
    return "Unallocated"


def icpc_truth(authority: Authority, as_at: date) -> dict:
    """ICPC timeliness as planted: conferences held in the 12 months to `as_at`, judged by planted working days."""
    window_start = add_months(as_at, -12)
    totals = {"numerator": 0, "denominator": 0, "overdue": 0}
    teams: dict[str, dict[str, int]] = {}
    for child in authority.children:
        episode = child.episode
        for enquiry in episode.enquiries:
            held = enquiry.icpc_date is not None and enquiry.icpc_date <= min(as_at, authority.reference_date)
            if held and enquiry.icpc_date > window_start:
                team = teams.setdefault(_team_on(authority.allocations, child.child_id, enquiry.icpc_date), {"numerator": 0, "denominator": 0})
                met = enquiry.planted_working_days <= ICPC_TIMESCALE
                for bucket in (totals, team):
                    bucket["denominator"] += 1
                    bucket["numerator"] += met
            elif (
                not held
                and not enquiry.icpc_not_required
                and enquiry.strategy_discussion_date > window_start
                and (episode.closure_date is None or episode.closure_date > as_at)
                and working_days_between(enquiry.strategy_discussion_date, as_at) > ICPC_TIMESCALE
            ):
                totals["overdue"] += 1
    return {"as_at": as_at.isoformat(), **totals, "by_team": dict(sorted(teams.items()))}


def all_facts(authority: Authority, la_facts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    facts = {table: list(rows) for table, rows in la_facts.items()}
    for table, rows in cin_facts(authority).items():
        facts[table] = facts.get(table, []) + rows
    facts["allocation"] = [{"authority": authority.code, **asdict(a)} for a in authority.allocations]
    for empty in ("la_outcome", "annex_a_latest"):
        facts.setdefault(empty, [])
    return facts
