"""The DfE children in need census (XML), validated against the collection year's XSD."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from lxml import etree

from ..config import PACKAGE_DIR
from .errors import ExportError, without_values
from .model import ParsedExport

XSD_DIR = PACKAGE_DIR / "data" / "cin_census_xsd"


@lru_cache(maxsize=None)
def _schema(year: int) -> etree.XMLSchema:
    available = sorted(int(p.stem.removeprefix("cin")) for p in XSD_DIR.glob("cin*.xsd"))
    chosen = max([y for y in available if y <= year], default=available[0])
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"cin{chosen}.xsd")))


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _date(element, path: str) -> date | None:
    value = _text(element, path)
    return date.fromisoformat(value) if value else None


def _where(tree, element) -> str:
    return f"{tree.getpath(element)} (line {element.sourceline})"


def parse_cin_census(path: Path) -> ParsedExport:
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        line, column = error.position
        problem = re.sub(r", line \d+, column \d+$", "", error.msg)
        raise ExportError(path.name, f"line {line}, column {column}", f"not well-formed XML: {problem}") from None
    root = tree.getroot()
    year_text = _text(root, "Header/CollectionDetails/Year")
    if root.tag != "Message" or year_text is None:
        raise ExportError(path.name, _where(tree, root), "not a CIN census: expected Message/Header/CollectionDetails/Year")
    if not re.fullmatch(r"20\d\d", year_text):
        raise ExportError(path.name, "/Message/Header/CollectionDetails/Year", "not a collection year (expected yyyy, e.g. 2025)")
    schema = _schema(int(year_text))
    if not schema.validate(tree):
        first = schema.error_log[0]
        raise ExportError(path.name, f"line {first.line} ({first.path})", without_values(first.message))

    authority = _text(root, "Header/Source/LEA")
    source = {"authority": authority, "source_file": None}  # source_file is set by the loader (sha256)
    tables: dict[str, list[dict]] = {name: [] for name in ("child", "referral", "assessment", "section47_enquiry", "cp_plan", "cp_review")}
    for index, child in enumerate(root.iterfind("Children/Child"), start=1):
        # a path built from the child's own index: lxml's getpath on the whole tree is quadratic in the children
        child_tree = etree.ElementTree(child)

        def where(element, index=index, child=child, child_tree=child_tree) -> str:
            inner = "" if element is child else child_tree.getpath(element).removeprefix("/Child")
            return f"/Message/Children/Child[{index}]{inner} (line {element.sourceline})"

        child_id = _text(child, "ChildIdentifiers/LAchildID")
        ids = child.find("ChildIdentifiers")
        tables["child"].append({
            **source, "child_id": child_id,
            "birth_date": _date(ids, "PersonBirthDate"),
            "sex": _text(ids, "Sex") or {"1": "M", "2": "F", "0": "U", "9": "U"}.get(_text(ids, "GenderCurrent") or "", "U"),
            "ethnicity": _text(child, "ChildCharacteristics/Ethnicity"),
            "death_date": _date(ids, "PersonDeathDate"),
            "source_ref": where(child),
        })
        for cin in child.iterfind("CINdetails"):
            referral_date = _date(cin, "CINreferralDate")
            keyed = {**source, "child_id": child_id, "collection_year": int(year_text)}
            tables["referral"].append({
                **keyed, "referral_date": referral_date,
                "referral_source": _text(cin, "ReferralSource"),
                "primary_need": _text(cin, "PrimaryNeedCode"),
                "closure_date": _date(cin, "CINclosureDate"),
                "closure_reason": _text(cin, "ReasonForClosure"),
                "referral_nfa": _text(cin, "ReferralNFA") in ("1", "true"),
                "source_ref": where(cin),
            })
            for assessment in cin.iterfind("Assessments"):
                tables["assessment"].append({
                    **keyed, "referral_date": referral_date,
                    "start_date": _date(assessment, "AssessmentActualStartDate"),
                    "authorisation_date": _date(assessment, "AssessmentAuthorisationDate"),
                    "source_ref": where(assessment),
                })
            for s47 in cin.iterfind("Section47"):
                tables["section47_enquiry"].append({
                    **keyed, "referral_date": referral_date,
                    "strategy_discussion_date": _date(s47, "S47ActualStartDate"),
                    "icpc_target_date": _date(s47, "InitialCPCtarget"),
                    "icpc_date": _date(s47, "DateOfInitialCPC"),
                    "icpc_not_required": _text(s47, "ICPCnotRequired") in ("1", "true"),
                    "source_ref": where(s47),
                })
            for plan in cin.iterfind("ChildProtectionPlans"):
                start = _date(plan, "CPPstartDate")
                tables["cp_plan"].append({
                    **keyed, "start_date": start,
                    "end_date": _date(plan, "CPPendDate"),
                    "initial_category": _text(plan, "InitialCategoryOfAbuse"),
                    "latest_category": _text(plan, "LatestCategoryOfAbuse"),
                    "previous_plans": int(_text(plan, "NumberOfPreviousCPP") or 0),
                    "source_ref": where(plan),
                })
                for review in plan.iterfind("Reviews/CPPreviewDate"):
                    tables["cp_review"].append({
                        **keyed, "plan_start_date": start,
                        "review_date": date.fromisoformat(review.text.strip()),
                        "source_ref": where(review),
                    })
    return ParsedExport(
        kind="cin_census",
        authority=authority,
        collection_year=int(year_text),
        reference_date=_date(root, "Header/CollectionDetails/ReferenceDate"),
        tables={name: pd.DataFrame(rows) for name, rows in tables.items()},
    )
