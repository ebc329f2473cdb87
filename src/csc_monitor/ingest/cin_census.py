"""The DfE children in need census (XML), validated against its own collection year's XSD.

A census that is not well-formed, or not a census, is rejected. One that breaks its schema in places
is not: each violation becomes a finding (file, line, element, value shape, rule), and the child it sits
in is set aside (quarantined) unless removing the offending element alone leaves the child valid, in
which case only that element is set aside. Text where the schema allows only elements is ignored.
`strict` keeps whole-file rejection at the first violation.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
from lxml import etree

from ..config import PACKAGE_DIR
from .errors import ExportError, quoted, without_values
from .model import ParsedExport

XSD_DIR = PACKAGE_DIR / "data" / "cin_census_xsd"
FLAG_ELEMENTS = ("ReferralNFA", "ICPCnotRequired")
FIRST_NUMERIC_FLAG_YEAR = 2024  # censuses before 2023/24 may write their flags true/false (the DfE validator reads them)
IDENTIFIERS = frozenset({"LAchildID", "UPN", "FormerUPN"})  # never quoted in a finding
CENSUS_TABLES = ("child", "referral", "assessment", "section47_enquiry", "cp_plan", "cp_review")  # the rows a census child fills
RECORD_ELEMENTS = {  # an element that is a warehouse row of its own: (table, key column, element holding its date)
    "CINdetails": ("referral", "referral_date", "CINreferralDate"),
    "Assessments": ("assessment", "start_date", "AssessmentActualStartDate"),
    "Section47": ("section47_enquiry", "strategy_discussion_date", "S47ActualStartDate"),
    "ChildProtectionPlans": ("cp_plan", "start_date", "CPPstartDate"),
}
STRAY_TEXT = "SCHEMAV_CVC_COMPLEX_TYPE_2_3"  # character content where only elements are allowed
CHILD_PATH = re.compile(r"^/Message/Children/Child(?:\[(\d+)\])?(/.*)?$")


def schema_years() -> list[int]:
    return sorted(int(p.stem.removeprefix("cin")) for p in XSD_DIR.glob("cin*.xsd"))


def schema_year(year: int) -> int:
    """The year's own schema, else the nearest one (the later of two equally near)."""
    return min(schema_years(), key=lambda y: (abs(y - year), -y))


@lru_cache(maxsize=None)
def schema_codes(type_name: str) -> frozenset[str]:
    """Every code any shipped census schema allows for an enumerated type (e.g. ethnicitytype)."""
    return frozenset(code for path in XSD_DIR.glob("cin*.xsd")
                     for simple in etree.parse(str(path)).iter("{http://www.w3.org/2001/XMLSchema}simpleType")
                     if simple.get("name") == type_name for code in (e.get("value") for e in simple.iter("{*}enumeration")))


@lru_cache(maxsize=None)
def _schema(year: int) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"cin{year}.xsd")))


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _date(element, path: str) -> date | None:
    value = _text(element, path)
    return date.fromisoformat(value) if value else None


def _exported_at(value: str | None) -> datetime | None:
    """Header/Source/DateTime (schema-valid by now), as naive UTC like the file times it is compared with."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _where(tree, element) -> str:
    return f"{tree.getpath(element)} (line {element.sourceline})"


def _read_word_flags(root) -> None:
    """Before 2023/24 some systems wrote flags as true/false; read them as the 1/0 the schema names."""
    for name in FLAG_ELEMENTS:
        for flag in root.iter(name):
            word = (flag.text or "").strip().lower()
            if word in ("true", "false"):
                flag.text = "1" if word == "true" else "0"


def _shape(value: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", value))[:80]


def _value(element) -> str:
    """What a finding may say about the value: a code itself, anything else (dates, identifiers) only its shape."""
    if len(element):
        return ""
    value = (element.text or "").strip()
    if not value:
        return "empty value"
    if element.tag in IDENTIFIERS or "Date" in element.tag or element.tag.endswith("target"):
        return f"value shaped '{_shape(value)}'"
    return f"value {quoted(value)}"


def _rule(error, year: int) -> str:
    if error.type_name == "SCHEMAV_CVC_ENUMERATION_VALID":
        return f"not a code the {year} schema allows"
    if error.type_name.startswith("SCHEMAV_CVC_DATATYPE_VALID"):
        kind = re.search(r"atomic type '([^']+)'", error.message)
        return f"not a valid {kind.group(1) if kind else 'value'}"
    if error.type_name == "SCHEMAV_CVC_PATTERN_VALID":
        return "does not match the schema's pattern"
    if error.type_name == STRAY_TEXT:
        return "text where the schema allows only elements"
    if error.type_name in ("SCHEMAV_ELEMENT_CONTENT", "SCHEMAV_CVC_COMPLEX_TYPE_2_4"):
        return re.sub(r"^Element '[^']+': ", "", error.message)
    return f"breaks the {year} schema ({error.type_name})"


def _valid_alone(child, schema: etree.XMLSchema) -> bool:
    message = etree.Element("Message")
    etree.SubElement(message, "Children").append(copy.deepcopy(child))
    return schema.validate(etree.ElementTree(message))


def _repair(child, targets: list) -> bool:
    """Ignore stray text and remove each offending element; False if the offence is the child element itself."""
    for error, element in targets:
        if error.type_name == STRAY_TEXT:
            element.text = None
            for part in element:
                part.tail = None
        elif element is child:
            return False
    for error, element in targets:
        if error.type_name != STRAY_TEXT and element.getparent() is not None:
            element.getparent().remove(element)
    return True


def _iso_date(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def _resolve(child, inner: str):
    """The element at a path inside the child (as lxml reports it, e.g. /CINdetails[2]/ReferralNFA)."""
    return child.xpath("." + inner)[0] if inner else child


def _set_aside(path: Path, tree, schema: etree.XMLSchema, year: int, authority: str | None) -> tuple[list[str], list[dict], set[int]]:
    """Take out what breaks the schema: the element alone where the child stands without it, else the whole child.

    Returns the findings (one per violation), the quarantine records and the indexes of the children set aside."""
    children = tree.getroot().findall("Children/Child")
    by_child: dict[int, list] = {}
    for error in schema.error_log:
        match = CHILD_PATH.match(error.path or "")
        if not match:
            raise ExportError(path.name, f"line {error.line} ({error.path})", without_values(error.message))
        by_child.setdefault(int(match.group(1) or 1), []).append((error, match.group(2) or ""))
    findings, quarantined, set_aside = [], [], set()
    for index, errors in sorted(by_child.items()):
        child = children[index - 1]
        child_id = _text(child, "ChildIdentifiers/LAchildID")
        elements = [(error, inner, _resolve(child, inner)) for error, inner in errors]  # before anything moves
        values = [_value(element) for _error, _inner, element in elements]
        trial = copy.deepcopy(child)
        kept = _repair(trial, [(error, _resolve(trial, inner)) for error, inner in errors]) and _valid_alone(trial, schema)
        if kept:
            _repair(child, [(error, element) for error, _inner, element in elements])
        place = f"/Message/Children/Child[{index}]"
        for (error, inner, _element), what in zip(elements, values):
            outcome = "text ignored" if error.type_name == STRAY_TEXT else "element set aside" if kept else "child set aside"
            findings.append(f"line {error.line}, {place}{inner}: {what + ' ' if what else ''}{_rule(error, year)} ({outcome}; {year} schema)")
        base = {"authority": authority, "child_id": child_id}
        rule = f"cin-census-{year}-schema: {_rule(errors[0][0], year)}"
        if not kept:
            set_aside.add(index)
            quarantined.append({"table": "child", "rule": rule, "source_ref": f"{place} (line {child.sourceline})",
                                "row": {**base, "element": "Child", "tables": list(CENSUS_TABLES)}})  # all its records stay out
            continue
        for error, inner, element in elements:
            if error.type_name == STRAY_TEXT:
                continue
            table, key, date_element = RECORD_ELEMENTS.get(element.tag, ("child", None, None))
            keyed = _iso_date(_text(element, date_element)) if key else None
            record = {**base, "element": element.tag, **({key: keyed} if keyed else {})}
            quarantined.append({"table": table if keyed else "child", "rule": rule, "source_ref": f"{place}{inner} (line {element.sourceline})", "row": record})
    return findings, quarantined, set_aside


def read_xml(path: Path):
    """The parsed document; a file that is not well-formed XML is rejected naming its line and column."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
    except etree.XMLSyntaxError as error:
        line, column = error.position
        problem = re.sub(r", line \d+, column \d+$", "", error.msg)
        raise ExportError(path.name, f"line {line}, column {column}", f"not well-formed XML: {problem}") from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise ExportError(path.name, "DOCTYPE declaration", "declares a DOCTYPE: a census has none, and its entities are never read")
    return tree


def root_tag(path: Path) -> str | None:
    """The root element's name, read without parsing the whole file (None if the file does not start as XML)."""
    try:
        for _event, element in etree.iterparse(str(path), events=("start",), resolve_entities=False, no_network=True):
            return element.tag
    except etree.XMLSyntaxError:
        return None
    return None


def parse_cin_census(path: Path, strict: bool = False) -> ParsedExport:
    tree = read_xml(path)
    root = tree.getroot()
    year_text = _text(root, "Header/CollectionDetails/Year")
    if root.tag != "Message" or year_text is None:
        raise ExportError(path.name, _where(tree, root), "not a CIN census: expected Message/Header/CollectionDetails/Year")
    if not re.fullmatch(r"20\d\d", year_text):
        raise ExportError(path.name, "/Message/Header/CollectionDetails/Year", "not a collection year (expected yyyy, e.g. 2025)")
    year, authority = int(year_text), _text(root, "Header/Source/LEA")
    against = schema_year(year)
    notes = [f"CIN census {year - 1}/{str(year)[2:]}"] + ([] if against == year else [f"no {year} schema: validated against {against}"])
    if year < FIRST_NUMERIC_FLAG_YEAR:
        _read_word_flags(root)
    schema = _schema(against)
    findings, quarantined, set_aside = [], [], set()
    if not schema.validate(tree):
        if strict:
            first = schema.error_log[0]
            raise ExportError(path.name, f"line {first.line} ({first.path})", f"{_rule(first, against)} (ingest --strict)")
        findings, quarantined, set_aside = _set_aside(path, tree, schema, against, authority)
        elements = sum(record["row"]["element"] != "Child" for record in quarantined)
        notes += [f"{len(set_aside)} of {len(tree.getroot().findall('Children/Child'))} children set aside"] if set_aside else []
        notes += [f"{elements} element{'s' if elements > 1 else ''} set aside"] if elements else []

    source = {"authority": authority, "source_file": None}  # source_file is set by the loader (sha256)
    tables: dict[str, list[dict]] = {name: [] for name in CENSUS_TABLES}
    for index, child in enumerate(root.iterfind("Children/Child"), start=1):
        if index in set_aside:
            continue
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
            keyed = {**source, "child_id": child_id, "collection_year": year}
            tables["referral"].append({
                **keyed, "referral_date": referral_date,
                "referral_source": _text(cin, "ReferralSource"),
                "primary_need": _text(cin, "PrimaryNeedCode"),
                "closure_date": _date(cin, "CINclosureDate"),
                "closure_reason": _text(cin, "ReasonForClosure"),
                "referral_nfa": _text(cin, "ReferralNFA") == "1",
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
                    "icpc_not_required": _text(s47, "ICPCnotRequired") == "1",
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
        collection_year=year,
        reference_date=_date(root, "Header/CollectionDetails/ReferenceDate"),
        exported_at=_exported_at(_text(root, "Header/Source/DateTime")),
        tables={name: pd.DataFrame(rows) for name, rows in tables.items()},
        warnings=findings,
        notes=notes,
        quarantined=quarantined,
    )
