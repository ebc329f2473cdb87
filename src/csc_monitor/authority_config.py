"""Per-authority settings in one documented file: config/authority.yml (or the file CSC_MONITOR_AUTHORITY_CONFIG names,
so an authority can keep its own copy, with its users, outside the checkout).

Indicator parameters (CP visit frequency, population for rates, local timescales) are read here so
an analyst changes a number in one place; the YAML beside each indicator holds the defaults.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

from .config import project_dir


@lru_cache(maxsize=1)
def _document() -> dict:
    path = Path(os.environ.get("CSC_MONITOR_AUTHORITY_CONFIG") or project_dir() / "config" / "authority.yml")
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def authority_section(authority: str) -> dict:
    return ((_document().get("authorities") or {}).get(str(authority)) or {})


def indicator_parameters(authority: str, indicator_id: str, defaults: dict) -> dict:
    """The indicator's default parameters, overridden by the authority's `parameters.<indicator_id>`."""
    overrides = (authority_section(authority).get("parameters") or {}).get(indicator_id) or {}
    return {**defaults, **overrides}


def dashboard_access() -> dict:
    """The dashboard's allow-list (`dashboard_access.users`): who may see child-level lists, which teams and authorities."""
    return _document().get("dashboard_access") or {}
