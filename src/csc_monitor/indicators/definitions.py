"""Indicator definitions are data: a performance analyst edits the YAML, not Python."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from ..config import project_dir

REQUIRED_FIELDS = (
    "id", "version", "title", "family", "source", "unit", "start_event", "end_event", "timescale",
    "period", "denominator", "numerator", "exclusions", "polarity", "thresholds", "owner", "channel",
)
FAMILIES = ("statutory", "dfe_comparable")
AGGREGATES = ("percentage", "mean_elapsed", "rate_per_10000")


class DefinitionError(ValueError):
    pass


@dataclass(frozen=True)
class Definition:
    spec: dict
    path: Path

    @property
    def id(self) -> str:
        return self.spec["id"]

    @property
    def version(self) -> int:
        return int(self.spec["version"])

    @property
    def title(self) -> str:
        return self.spec["title"]

    @property
    def thresholds(self) -> dict:
        return self.spec["thresholds"]

    @property
    def higher_is_better(self) -> bool:
        return self.spec["polarity"] == "higher_is_better"

    @property
    def channel(self) -> str:
        return self.spec["channel"]

    @property
    def aggregate(self) -> str:
        """percentage (default), mean_elapsed or rate_per_10000: what the published value means."""
        return self.spec.get("aggregate", "percentage")

    @property
    def retired(self) -> str | None:
        """Why and when the definition stopped being computed (its published figures stay readable), or None."""
        return self.spec.get("retired")

    @property
    def version_history(self) -> dict[int, str]:
        """What each version measured, so a figure stored under an older version can still be read."""
        return {int(k): v for k, v in (self.spec.get("version_history") or {}).items()}

    @property
    def schedules(self) -> dict[str, str]:
        """The schedules its units follow, if more than one (code -> meaning): each is counted beside the figure."""
        return dict(self.spec.get("schedules") or {})

    @property
    def parameters(self) -> dict:
        return dict(self.spec.get("parameters") or {})

    @cached_property
    def sql(self) -> str:
        """The indicator's SQL without `--` comments (so a `:name` in a comment is not taken for a parameter)."""
        text = sql_path(self.spec).read_text()
        return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def sql_path(spec: dict) -> Path:
    """sql/indicators/<id>.sql, or the shared file named by `sql_file` (indicators differing only in parameters)."""
    return project_dir() / "sql" / "indicators" / spec.get("sql_file", f"{spec['id']}.sql")


def _check(spec: dict, path: Path) -> None:
    missing = [f for f in REQUIRED_FIELDS if f not in spec]
    if missing:
        raise DefinitionError(f"{path.name}: missing {', '.join(missing)}")
    if spec["id"] != path.stem:
        raise DefinitionError(f"{path.name}: id '{spec['id']}' does not match the file name")
    if spec["family"] not in FAMILIES:
        raise DefinitionError(f"{path.name}: family must be one of {FAMILIES}")
    if spec.get("aggregate", "percentage") not in AGGREGATES:
        raise DefinitionError(f"{path.name}: aggregate must be one of {AGGREGATES}")
    if spec["polarity"] not in ("higher_is_better", "lower_is_better"):
        raise DefinitionError(f"{path.name}: polarity must be higher_is_better or lower_is_better")
    if not spec.get("retired") and not sql_path(spec).exists():   # a retired definition is read, never computed
        raise DefinitionError(f"{path.name}: no sql/indicators/{sql_path(spec).name}")


@lru_cache(maxsize=256)
def _parsed(path: str, mtime_ns: int, size: int) -> dict:
    return yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read_spec(path: Path) -> dict:
    """A definition's YAML, parsed once per version of the file: a run reads the definitions several times, and an
    analyst's edit (a new modification time or size) is read on the next call. A copy, so no caller changes the cache."""
    stat = path.stat()
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


def load_definitions(ids: list[str] | None = None, include_retired: bool = False) -> list[Definition]:
    """The definitions to compute; include_retired also gives those whose stored figures are only read."""
    definitions = []
    for path in sorted((project_dir() / "indicators").glob("*.yml")):
        spec = _read_spec(path)
        _check(spec, path)
        if (ids is None or spec["id"] in ids) and (include_retired or not spec.get("retired")):
            definitions.append(Definition(spec, path))
    return definitions
