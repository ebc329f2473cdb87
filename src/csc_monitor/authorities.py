"""Whose figures: the authority setting checked against the authorities the loaded exports name.

The authority is never guessed and never silently wrong. With `CSC_MONITOR_AUTHORITY` left unset, an
installation whose exports all name one authority (a census LEA) uses it and says so; a command for
an authority with no loaded data, while others have some, is an error naming them and the setting.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from sqlalchemy import Engine, inspect, text

from .config import Settings, load_settings
from .warehouse import reader

SETTING = "CSC_MONITOR_AUTHORITY"


class AuthorityError(Exception):
    """A command asked for figures of an authority the warehouse holds no exports for."""


def loaded_authorities(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("load_file"):  # a warehouse nothing was ever loaded into
            return []
        return list(conn.execute(text("SELECT DISTINCT authority FROM load_file ORDER BY authority")).scalars())


def inferred_authority(engine: Engine, settings: Settings) -> str | None:
    """With the setting left at its default: the one authority the loaded exports name, if there is exactly one."""
    if settings.authority_configured or settings.authorities:
        return None
    loaded = loaded_authorities(engine)
    return loaded[0] if len(loaded) == 1 else None


def lea_note(parsed, settings: Settings) -> list[str]:
    """For the loaded line: a census naming an authority (LEA) other than the configured one."""
    named = parsed.authority
    if parsed.kind != "cin_census" or named == settings.authority or settings.authorities:
        return []
    if settings.authority_configured:
        return [f"LEA {named} is not the configured authority {settings.authority} ({SETTING})"]
    return [f"LEA {named}; {SETTING} is not set, so {named} is used while it is the only authority loaded"]


def settings_for(requested: str | None = None) -> Settings:
    """Settings for a command on one authority's figures: --authority, else the setting, else the only one loaded."""
    settings = load_settings(**({"authority": requested} if requested else {}))
    engine = reader(settings.warehouse_url)  # a read: never waits for, nor blocks, a run writing the warehouse
    if (only := inferred_authority(engine, settings)) and only != settings.authority:
        print(f"using authority {only}: the only one the loaded exports name ({SETTING} is not set)", file=sys.stderr)
        settings = replace(settings, authority=only)
    loaded = loaded_authorities(engine)
    if loaded and settings.authority not in loaded:
        raise AuthorityError(f"no exports are loaded for authority {settings.authority}; exports are loaded for {', '.join(loaded)}: "
                             f"set {SETTING} (or pass --authority) to one of them")
    return settings
