"""docs/indicators.md, written from indicators/README.md and every definition, so the catalogue cannot drift from the YAML."""

from __future__ import annotations

from ..config import project_dir
from .definitions import Definition, load_definitions, sql_path

FAMILY_NAMES = {"statutory": "statutory / local compliance", "dfe_comparable": "DfE-comparable"}
FIELDS = (  # (YAML field, heading) in the order a reader wants them
    ("retired", "Retired"), ("family", "Family"), ("source", "Source"), ("unit", "Unit"), ("start_event", "Start event"), ("end_event", "End event"),
    ("timescale", "Timescale"), ("period", "Period"), ("denominator", "Denominator"), ("numerator", "Numerator"),
    ("exclusions", "Exclusions"), ("schedules", "Schedules"), ("assumed_when_absent", "Assumed when data is absent"),
    ("also_reported", "Also reported"), ("team_rule", "Team and worker"),
    ("polarity", "Polarity"), ("thresholds", "Thresholds"), ("parameters", "Parameters"), ("method", "Method"),
    ("owner", "Owner"), ("channel", "Channel"), ("worked_example", "Worked example"), ("version_history", "Versions"),
)


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    if isinstance(value, list):
        return " ".join(_plain(item) for item in value)
    return " ".join(str(value).split())


def _entry(definition: Definition) -> list[str]:
    spec = definition.spec
    lines = [f"## `{definition.id}`", "", f"**{definition.title}** (version {definition.version}; "
             f"`indicators/{definition.id}.yml`, `sql/indicators/{sql_path(spec).name}`)", ""]
    if spec.get("description"):
        lines += [_plain(spec["description"]), ""]
    for field, heading in FIELDS:
        if spec.get(field) in (None, "", [], {}):
            continue
        value = FAMILY_NAMES.get(spec[field], spec[field]) if field == "family" else spec[field]
        if isinstance(value, list):
            lines.append(f"- **{heading}**:")
            lines += [f"  - {_plain(item)}" for item in value]
        else:
            lines.append(f"- **{heading}**: {_plain(value)}")
    return lines + [""]


def render_catalogue() -> str:
    definitions = load_definitions(include_retired=True)
    intro = (project_dir() / "indicators" / "README.md").read_text().rstrip()
    table = ["| id | title | family | version |", "|---|---|---|---|"]
    table += [f"| [`{d.id}`](#{d.id}) | {_plain(d.title)} | {FAMILY_NAMES[d.spec['family']]} | {d.version}{' (retired)' if d.retired else ''} |"
              for d in definitions]
    header = "<!-- Written by `csc-monitor docs` from indicators/README.md and indicators/*.yml: edit those, not this file. -->"
    body = [line for d in definitions for line in _entry(d)]
    return "\n".join([header, "", intro, "", *table, "", *body]).rstrip() + "\n"


def catalogue_path():
    return project_dir() / "docs" / "indicators.md"
