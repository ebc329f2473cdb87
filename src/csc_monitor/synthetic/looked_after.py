"""Synthetic looked-after children, care leavers, adoptions and the event-level extracts.

Facts are built directly in warehouse-row form (one dict per row, keyed by table), so a round-trip
test can compare the warehouse with what was generated; writers then render them as the SSDA903
CSVs (dd/mm/yyyy, one file per table) and csc-monitor's event CSV contract (ISO dates).
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from ..dates import add_months
from .cin import Authority
from ..workdays import add_working_days

CIC_TEAMS = {"Children in Care North": ["Ivy Clarke", "Jon Reid"], "Children in Care South": ["Kemi Bello", "Liam Shaw"]}
LEAVING_CARE_TEAM = {"Leaving Care": ["Mo Ahmed", "Nia Jones"]}
FOSTER_PLACEMENTS = ["U1", "U3", "U4", "U5", "U6"]
OTHER_PLACEMENTS = ["K2", "R1", "P1", "S1"]
LEGAL_STATUSES = ["C2", "C2", "C1", "V2", "E1"]
IN_TOUCH = ["YES"] * 8 + ["NO", "REFU", "NREQ", "DIED", "RHOM"]
ACTIVITY = ["F1", "F2", "P1", "P2", "G4", "G5", "G6", "0"]
ACCOMMODATION = ["B1", "C1", "D1", "E1", "K2", "S2", "T2"]

# Placements visited more often than reg 28(2) (reg 28(3)-(5)), planted in a quarter of the children: an interim care
# order at home, an interim order followed by a care order at home (RNE L), with parents before assessment (reg 19), a
# temporarily approved connected person (reg 24); never a child later adopted -> (legal status, placement type, arrangement code)
AT_HOME_AND_TEMPORARY = {
    "ico_at_home": ("C1", "P1", None),
    "ico_then_co_at_home": ("C1", "P1", None),
    "before_assessment": ("C2", "P1", "REG19_BEFORE_ASSESSMENT"),
    "temporary_approval": ("V2", "U3", "REG24_TEMPORARY_APPROVAL"),
}
TABLES = ("child", "care_episode", "la_review", "care_leaver_status", "adoption", "missing_episode",
          "visit", "review_event", "health_check", "return_interview", "allocation", "placement_arrangement")


def participation_code(birth: date, review: date) -> str:
    """PN0 for a child under 4 on the review date, else PN1 (903 rules 440 and 441)."""
    return "PN0" if review < add_months(birth, 48) else "PN1"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


class LookedAfterBuilder:
    """Plants the facts of one authority's looked-after children up to its reference date."""

    def __init__(self, rng: random.Random, code: str, reference_date: date, history_years: int, case_rng: random.Random):
        # the reg 28(3)-(5) cases draw from case_rng, so every other planted fact stays as it was before they were added
        self.rng, self.case_rng, self.code, self.reference_date = rng, case_rng, code, reference_date
        self.earliest = add_months(reference_date, -12 * history_years)
        self.facts: dict[str, list[dict]] = {name: [] for name in TABLES}
        self.births: dict[str, date] = {}

    def _row(self, table: str, child_id: str, ref: str, **values) -> None:
        self.facts[table].append({"authority": self.code, "child_id": child_id, **values, "source_ref": ref})

    def child(self, index: int) -> None:
        rng, ref_date = self.rng, self.reference_date
        child_id = f"L{index:07d}"
        care_leaver = rng.random() < 0.2
        if care_leaver:
            birth = _day(rng, ref_date - timedelta(days=int(21 * 365.25)), ref_date - timedelta(days=int(17 * 365.25)))
            if rng.random() < 0.3:   # OC3 age groups: birthdays on and just after the collection year's 31 March
                birth = date(ref_date.year - rng.choice([18, 19, 22]), 3, rng.choice([30, 31])) + timedelta(days=rng.choice([0, 1, 2]))
            start = _day(rng, max(self.earliest, birth + timedelta(days=int(13 * 365.25))), birth + timedelta(days=int(16.5 * 365.25)))
        else:
            birth = _day(rng, ref_date - timedelta(days=int(17 * 365.25)), ref_date - timedelta(days=60))
            if rng.random() < 0.15:   # turned 5 in the last months: assessed at 4, due again 6 months later
                birth = add_months(ref_date, -60) - timedelta(days=rng.randint(1, 150))
            start = _day(rng, max(self.earliest, birth), ref_date - timedelta(days=1))
        self.births[child_id] = birth
        self._row("child", child_id, "generated", birth_date=birth, sex=rng.choice("MF"), ethnicity=rng.choice(["WBRI", "BAFR", "MWBC"]),
                  death_date=None)
        end_of_care = birth + timedelta(days=int(18 * 365.25)) if care_leaver else None
        team = rng.choice(sorted(CIC_TEAMS))
        moved_on = end_of_care if end_of_care and end_of_care <= ref_date else None
        self._row("allocation", child_id, "generated", team=team, worker=rng.choice(CIC_TEAMS[team]), start_date=start,
                  end_date=moved_on - timedelta(days=1) if moved_on else None)
        if moved_on:
            self._row("allocation", child_id, "generated", team="Leaving Care", worker=rng.choice(LEAVING_CARE_TEAM["Leaving Care"]),
                      start_date=moved_on, end_date=None)
        if not care_leaver and rng.random() < 0.06:
            self._short_breaks(child_id, start)
            return
        self._episodes(child_id, start, end_of_care, adoption=not care_leaver and rng.random() < 0.08)
        self._reviews(child_id, birth, start, end_of_care)
        if care_leaver:
            self._care_leaver(child_id, birth)
        if rng.random() < 0.1:
            self._missing(child_id, start, end_of_care)

    def _episodes(self, child_id: str, start: date, end_of_care: date | None, adoption: bool) -> None:
        rng, limit = self.rng, min(self.reference_date, end_of_care or self.reference_date)
        legal, place, rne, episode_start = rng.choice(LEGAL_STATUSES), rng.choice(FOSTER_PLACEMENTS + OTHER_PLACEMENTS), "S", start
        case = self.case_rng.choice(sorted(AT_HOME_AND_TEMPORARY)) if self.case_rng.random() < 0.25 and not adoption else None
        if case:
            legal, place, arrangement = AT_HOME_AND_TEMPORARY[case]
            if arrangement:
                self._row("placement_arrangement", child_id, "generated", placement_start_date=start, arrangement=arrangement)
        placement_starts = []
        for _ in range(rng.randint(1, 4)):
            if rne != "L":
                placement_starts.append(episode_start)
            gap = rng.randint(30, 500)
            next_start = episode_start + timedelta(days=gap)
            if next_start > limit:
                break
            self._episode(child_id, episode_start, rne, legal, place, next_start, "X1")
            staying = place
            if rng.random() < 0.3:
                rne, legal = "L", rng.choice(["C2", "E1"])
            else:
                rne, place = "P", rng.choice(FOSTER_PLACEMENTS + OTHER_PLACEMENTS)
            if case == "ico_then_co_at_home" and episode_start == start:   # the care order made while the child stays at home
                rne, legal, place = "L", "C2", staying
            episode_start = next_start
        ended = end_of_care if end_of_care and end_of_care <= self.reference_date else None
        if adoption:
            decision = episode_start + timedelta(days=rng.randint(60, 200))
            placed = decision + timedelta(days=rng.randint(60, 250))
            if placed < self.reference_date:
                self._episode(child_id, episode_start, rne, legal, place, placed, "X1")
                placement_starts.append(placed)
                order = placed + timedelta(days=rng.randint(90, 300))
                adopted = order if order <= self.reference_date else None
                # placed with new carers (RNE P: A4/A6, not A3/A5 which are with the current foster carer); the 903
                # carries the date placed only as this episode's start (PlacedAdoption DATE_PLACED is the decision)
                self._episode(child_id, placed, "P", "E1", rng.choice(["A4", "A6"]), adopted, "E11" if adopted else None)
                self._row("adoption", child_id, "generated", decision_date=decision, placement_order_date=None,  # the 903 has no placement order date
                          match_date=placed - timedelta(days=rng.randint(7, 40)), placed_date=placed, placed_ceased_date=None,
                          reason_placed_ceased=None, adoption_order_date=adopted, adopted_by_foster_carer=False, decision_reversed_date=None)
                self._visits(child_id, placement_starts, adopted)
                return
        self._episode(child_id, episode_start, rne, legal, place, ended, "E8" if ended else None)
        self._visits(child_id, placement_starts, ended)
        if case:
            self._weekly_visits(child_id, start, ended)
        self._health(child_id, start, ended)

    def _short_breaks(self, child_id: str, start: date) -> None:
        """Reg 48: a series of short breaks (each a V3 period of care of 2-3 days), reviewed 3 months after the
        first, then 6-monthly (some on the due day, some late)."""
        rng, ref_date = self.rng, self.reference_date
        stay = start
        while stay <= ref_date:
            end = stay + timedelta(days=rng.choice([2, 3]))
            self._episode(child_id, stay, "S", "V3", "U3", end if end <= ref_date else None, "E13" if end <= ref_date else None)
            stay += timedelta(days=rng.randint(28, 60))
        review = add_months(start, 3) + timedelta(days=rng.choice([-5, 0, 0, 7]))
        while review <= ref_date:
            self._row("la_review", child_id, "generated", review_date=review, review_code=participation_code(self.births[child_id], review))
            review = add_months(review, 6) + timedelta(days=rng.choice([-5, 0, 0, 7]))

    def _episode(self, child_id, start, rne, legal, place, end, reason) -> None:
        self._row("care_episode", child_id, "generated", start_date=start, reason_new_episode=rne, legal_status=legal, cin_code="N1",
                  placement_type=place, placement_provider="PR1", end_date=end, reason_ceased=reason if end else None,
                  reason_place_change=None, placement_postcode=None, urn=None, collection_year=None)

    def _visits(self, child_id: str, placement_starts: list[date], ended: date | None) -> None:
        """A visit within a week of each placement start, then roughly every 6 weeks (some late)."""
        rng, stop = self.rng, min(self.reference_date, ended or self.reference_date)
        for index, placement_start in enumerate(placement_starts):
            next_start = placement_starts[index + 1] if index + 1 < len(placement_starts) else stop
            visit = placement_start + timedelta(days=rng.choice([2, 5, 7, 9]))
            while visit <= min(next_start, stop):
                self._row("visit", child_id, "generated", visit_kind="CLA", visit_date=visit, seen=rng.random() < 0.95,
                          seen_alone=rng.random() < 0.6, worker=None)
                visit += timedelta(days=rng.choice([28, 35, 40, 42, 42, 49]))

    def _weekly_visits(self, child_id: str, start: date, ended: date | None) -> None:
        """More visits in the first five weeks of a placement visited weekly until its first review (reg 28(3)-(4))."""
        rng, stop = self.case_rng, min(self.reference_date, ended or self.reference_date, start + timedelta(days=35))
        made = {v["visit_date"] for v in self.facts["visit"] if v["child_id"] == child_id}
        visit = start + timedelta(days=rng.choice([3, 5, 7]))
        while visit <= stop:
            if visit not in made:
                self._row("visit", child_id, "generated", visit_kind="CLA", visit_date=visit, seen=True, seen_alone=None, worker=None)
            visit += timedelta(days=rng.choice([4, 7, 7, 10]))

    def _reviews(self, child_id: str, birth: date, start: date, end_of_care: date | None) -> None:
        """First within 20 working days, second within 3 months, then 6-monthly (some late); PN0 while under 4 (903-440/441)."""
        rng, stop = self.rng, min(self.reference_date, end_of_care or self.reference_date)
        review = add_working_days(start, rng.choice([10, 15, 18, 20, 20, 24]))
        due_next = [3, 6]
        while review <= stop:
            self._row("la_review", child_id, "generated", review_date=review, review_code=participation_code(birth, review))
            months = due_next[0] if len(due_next) == 2 else 6
            due_next = due_next[1:] or [6]
            review = add_months(review, months) + timedelta(days=rng.choice([-10, -3, 0, 0, 5, 20]))

    def _health(self, child_id: str, start: date, ended: date | None) -> None:
        rng, stop = self.rng, min(self.reference_date, ended or self.reference_date)
        initial = add_working_days(start, rng.choice([10, 15, 20, 25, 35]))
        if initial <= stop:
            self._row("health_check", child_id, "generated", check_kind="IHA", check_date=initial)
        check = add_months(initial, 12) - timedelta(days=rng.randint(0, 40))
        while check <= stop:
            self._row("health_check", child_id, "generated", check_kind="RHA", check_date=check)
            dental = check + timedelta(days=rng.randint(0, 60))
            if rng.random() < 0.85 and dental <= stop:
                self._row("health_check", child_id, "generated", check_kind="DENTAL", check_date=dental)
            check = add_months(check, 12) + timedelta(days=rng.randint(-30, 30))
        # "within 12 (6 under five) months" is inclusive: plant the boundary days
        six_months_before = add_months(self.reference_date, -6)
        under_five = add_months(self.births[child_id], 60) > six_months_before
        boundary = six_months_before if under_five else add_months(self.reference_date, -12)
        if rng.random() < 0.3 and start <= boundary <= stop:
            self._row("health_check", child_id, "generated", check_kind=rng.choice(["RHA", "DENTAL"]), check_date=boundary)

    def _care_leaver(self, child_id: str, birth: date) -> None:
        rng = self.rng
        year = self.reference_date.year
        self._row("care_leaver_status", child_id, "generated", collection_year=year, birth_date=birth, in_touch=rng.choice(IN_TOUCH),
                  activity=rng.choice(ACTIVITY), accommodation=rng.choice(ACCOMMODATION))
        contact = _day(rng, add_months(self.reference_date, -6), self.reference_date - timedelta(days=40))
        while contact <= self.reference_date:
            self._row("visit", child_id, "generated", visit_kind="CL", visit_date=contact, seen=True, seen_alone=True, worker=None)
            contact += timedelta(days=rng.choice([30, 45, 56, 70]))
        plan_review = rng.choice([_day(rng, add_months(self.reference_date, -9), self.reference_date),
                                  add_months(self.reference_date, -6)])   # the inclusive boundary day
        self._row("review_event", child_id, "generated", review_kind="PATHWAY", due_date=None, review_date=plan_review, cancelled=False)

    def _missing(self, child_id: str, start: date, end_of_care: date | None) -> None:
        rng = self.rng
        missing_start = _day(rng, start, min(self.reference_date, end_of_care or self.reference_date) - timedelta(days=2))
        if missing_start < start:
            return
        returned = datetime.combine(missing_start + timedelta(days=1), datetime.min.time()) + timedelta(hours=rng.randint(0, 23))
        self._row("missing_episode", child_id, "generated", missing_type=rng.choice("MA"), start_date=missing_start, end_date=returned.date())
        offered = returned + timedelta(hours=rng.choice([12, 24, 48, 70, 80, 120]))
        self._row("return_interview", child_id, "generated", missing_start_date=missing_start, returned_at=returned, offered_at=offered,
                  accepted=rng.random() < 0.6)


def case_visits(rng: random.Random, authority: Authority) -> tuple[list[dict], list[dict]]:
    """Visits to children in the CIN census model, and per-plan CP visit frequencies.

    A CIN visit soon after each assessment starts (sometimes late, sometimes not seen); CP visits mostly
    every 10 working days with gaps, and a few plans whose frequency is set to every 5 working days.
    """
    rows, frequencies = [], []
    for child in authority.children:
        episode = child.episode
        seen_on = add_working_days(episode.assessment_start, rng.choice([0, 1, 2, 3, 5, 5, 6, 8]))
        if seen_on <= authority.reference_date:
            rows.append({"authority": authority.code, "child_id": child.child_id, "visit_kind": "CIN", "visit_date": seen_on,
                         "seen": rng.random() < 0.9, "seen_alone": rng.random() < 0.5, "worker": None, "source_ref": "generated"})
        if not episode.plan_start or episode.plan_start > authority.reference_date:
            continue
        if rng.random() < 0.1:
            frequencies.append({"authority": authority.code, "child_id": child.child_id, "plan_start_date": episode.plan_start,
                                "every_working_days": 5, "source_ref": "generated"})
        stop = min(authority.reference_date, episode.plan_end or authority.reference_date)
        visit = add_working_days(episode.plan_start, rng.choice([3, 5, 8]))
        while visit <= stop:
            rows.append({"authority": authority.code, "child_id": child.child_id, "visit_kind": "CP", "visit_date": visit,
                         "seen": rng.random() < 0.93, "seen_alone": rng.random() < 0.55, "worker": None, "source_ref": "generated"})
            visit = add_working_days(visit, rng.choice([5, 8, 10, 10, 10, 12, 15]))
    return rows, frequencies


def build_looked_after(seed: int, code: str, reference_date: date, children: int, history_years: int = 5) -> dict[str, list[dict]]:
    builder = LookedAfterBuilder(random.Random(seed * 7919 + 1), code, reference_date, history_years, random.Random(seed * 7919 + 2))
    for index in range(1, children + 1):
        builder.child(index)
    return builder.facts


# --- writers -----------------------------------------------------------------------------------

def _dmy(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, date) else str(value)


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_ssda903(facts: dict[str, list[dict]], out_dir: Path, code: str, year: int) -> list[Path]:
    """The 903 tables for one collection year, named so the year is in the file name."""
    dob = {row["child_id"]: row["birth_date"] for row in facts["child"]}
    sex = {"M": "1", "F": "2"} if year < 2025 else {"M": "M", "F": "F"}
    files = {
        "header": (["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                   [[r["child_id"], sex[r["sex"]], _dmy(r["birth_date"]), r["ethnicity"], "", "", ""] for r in facts["child"]]),
        "episodes": (["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
                     [[r["child_id"], _dmy(r["start_date"]), r["reason_new_episode"], r["legal_status"], r["cin_code"], r["placement_type"],
                       r["placement_provider"], _dmy(r["end_date"]), r["reason_ceased"] or "", "", "", "", ""] for r in facts["care_episode"]]),
        "reviews": (["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
                    [[r["child_id"], _dmy(dob[r["child_id"]]), _dmy(r["review_date"]), r["review_code"]] for r in facts["la_review"]]),
        "oc3": (["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
                [[r["child_id"], _dmy(r["birth_date"]), r["in_touch"], r["activity"], r["accommodation"]] for r in facts["care_leaver_status"]]),
        "ad1": (["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
                [[r["child_id"], _dmy(dob[r["child_id"]]), _dmy(r["decision_date"]), _dmy(r["match_date"]),
                  "1" if r["adopted_by_foster_carer"] else "0", "2", "MF", "L0"] for r in facts["adoption"]]),
        "placed_adoption": (["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
                            [[r["child_id"], _dmy(dob[r["child_id"]]), _dmy(r["decision_date"]), "", ""] for r in facts["adoption"]]),
        "missing": (["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
                    [[r["child_id"], _dmy(dob[r["child_id"]]), r["missing_type"], _dmy(r["start_date"]), _dmy(r["end_date"])]
                     for r in facts["missing_episode"]]),
    }
    paths = []
    for name, (header, rows) in files.items():
        path = out_dir / f"ssda903_{code}_{year}_{name}.csv"
        _write(path, header, rows)
        paths.append(path)
    return paths


EVENT_FILES = {
    "visits": ("visit", ["child_id", "visit_kind", "visit_date", "seen", "seen_alone", "worker"]),
    "reviews": ("review_event", ["child_id", "review_kind", "due_date", "review_date", "cancelled"]),
    "health_checks": ("health_check", ["child_id", "check_kind", "check_date"]),
    "return_interviews": ("return_interview", ["child_id", "missing_start_date", "returned_at", "offered_at", "accepted"]),
    "cp_visit_frequency": ("cp_visit_frequency", ["child_id", "plan_start_date", "every_working_days"]),
    "placement_arrangements": ("placement_arrangement", ["child_id", "placement_start_date", "arrangement"]),
}


def write_events(facts: dict[str, list[dict]], out_dir: Path, code: str, extract_date: date) -> list[Path]:
    paths = []
    for name, (table, header) in EVENT_FILES.items():
        path = out_dir / f"{name}_{code}_{extract_date.isoformat()}.csv"
        _write(path, header, [[_iso(row[c]) for c in header] for row in facts[table]])
        paths.append(path)
    return paths
