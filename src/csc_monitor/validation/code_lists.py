"""The collection year's code lists, read from the DfE CIN census XSD that ingest validates against.

Each enumerated simple type becomes a suite parameter `codes_<typename>` (e.g. codes_referralsourcetype),
so a suite names the list and next year's XSD changes the codes without editing the suite.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from ..ingest.cin_census import XSD_DIR, schema_year

XS = "{http://www.w3.org/2001/XMLSchema}"


def xsd_year(collection_year: int) -> int:
    """The XSD ingest checks a census of that collection year against (its own, else the nearest)."""
    return schema_year(collection_year)


@lru_cache(maxsize=None)
def code_lists(collection_year: int) -> dict[str, list[str]]:
    tree = etree.parse(str(XSD_DIR / f"cin{xsd_year(collection_year)}.xsd"))
    lists = {}
    for simple_type in tree.iter(f"{XS}simpleType"):
        values = [e.get("value") for e in simple_type.iter(f"{XS}enumeration")]
        if simple_type.get("name") and values:
            lists[f"codes_{simple_type.get('name')}"] = values
    return lists
