"""Alerting settings for one authority: the indicator's YAML gives the defaults, config/authority.yml overrides them.

Thresholds merge in three layers (indicator -> authority -> team), so a manager's local standard
for one team is one line in one file. Routing sends an indicator, or one team's alerts for it, to a
channel (give channel IDs, e.g. C0123ABCD: files_upload_v2 accepts only IDs) with optional mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..authority_config import authority_section
from ..indicators.definitions import Definition

LIFECYCLE_DEFAULTS = {"for_runs": 1, "clear_runs": 1, "repeat_every_days": 7}
DEFAULT_SMALL_NUMBER_LIMIT = 5
ALL = "all"  # the scope of the authority-wide figure; every other scope is a team name


@dataclass(frozen=True)
class Route:
    channel: str
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertConfig:
    section: dict  # the authority's entry in config/authority.yml
    default_channel: str

    @property
    def _alerting(self) -> dict:
        return self.section.get("alerting") or {}

    @property
    def small_number_limit(self) -> int:
        return int(self._alerting.get("small_number_limit", DEFAULT_SMALL_NUMBER_LIMIT))

    @property
    def fallback_channel(self) -> str:
        """Where unrouted alerts and validation failures go."""
        return self._alerting.get("default_channel") or self.default_channel

    def lifecycle(self, definition: Definition | None = None) -> dict:
        """for_runs, clear_runs, repeat_every_days: defaults < the indicator's `alerting` < the authority's `alerting`."""
        own = (definition.spec.get("alerting") or {}) if definition else {}
        merged = {**LIFECYCLE_DEFAULTS, **own, **self._alerting}
        return {key: int(merged[key]) for key in LIFECYCLE_DEFAULTS}

    def thresholds(self, definition: Definition, scope: str = ALL) -> dict:
        """The indicator's thresholds, then the authority's overrides, then the team's (if scope is a team)."""
        local = dict((self.section.get("thresholds") or {}).get(definition.id) or {})
        teams = local.pop("teams", None) or {}
        merged = {**definition.thresholds, **local}
        return {**merged, **(teams.get(scope) or {})} if scope != ALL else merged

    def route(self, name: str, scope: str = ALL, channel: str | None = None) -> Route:
        """`routing.<name>` (an indicator id, or `validation`): team route, else its route, else `channel`, else the fallback."""
        entry = (self.section.get("routing") or {}).get(name) or {}
        team = ((entry.get("teams") or {}).get(scope) or {}) if scope != ALL else {}
        mentions = team.get("mentions") if "mentions" in team else entry.get("mentions")
        return Route(team.get("channel") or entry.get("channel") or channel or self.fallback_channel, tuple(mentions or ()))


def alert_config(authority: str, default_channel: str) -> AlertConfig:
    return AlertConfig(authority_section(authority), default_channel)
