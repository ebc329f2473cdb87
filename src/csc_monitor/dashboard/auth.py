"""Who may see what. Plugin apps are not behind Airflow's login, so every route depends on one of these.

The user comes from Airflow's own resolver (bearer token, or the `_token` cookie the Airflow UI sets) and must
be allowed into the Airflow UI: that alone shows figures. Anything more is granted per user name in the
explicit allow-list `dashboard_access` of config/authority.yml: `children` (child-level lists and their CSV),
and optionally `teams` and `authorities` that limit everything the user sees. The Simple auth manager grants
custom views to every viewer, so the allow-list, not the Airflow role, decides; where an auth manager
grants views per role (FAB, Keycloak) its `csc_children` view is required as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, status

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import get_user

from ..authority_config import dashboard_access
from ..config import load_settings

CHILDREN_RESOURCE = "csc_children"


@dataclass(frozen=True)
class Grants:
    """What one signed-in user may see; `teams` or `authorities` of None means every one."""

    user: str
    children: bool = False
    teams: frozenset[str] | None = None
    authorities: frozenset[str] | None = None

    def may_see_team(self, team: str) -> bool:
        return self.teams is None or team in self.teams

    def visible(self, rows: Iterable[dict], key: str = "scope", authority_wide: tuple = ()) -> list[dict]:
        """The rows (team figures, children, alert states, silences) whose `key` is a team this user may see, or
        one of the `authority_wide` values (an alert state's 'all', a silence's null team)."""
        return [row for row in rows if row[key] in authority_wide or self.may_see_team(row[key])]

    def require_team(self, team: str | None) -> None:
        if team and not self.may_see_team(team):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"This needs a grant for team {team!r} in dashboard_access")

    def require_authority(self, authority: str) -> None:
        if self.authorities is not None and authority not in self.authorities:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"This needs a grant for authority {authority} in dashboard_access")


def grants_for(user: BaseUser) -> Grants:
    """The user's entry in the allow-list; a user not listed sees figures only, for every team."""
    entry = (dashboard_access().get("users") or {}).get(user.get_name()) or {}
    limits = {key: frozenset(str(v) for v in entry[key]) for key in ("teams", "authorities") if entry.get(key) is not None}
    children = entry.get("children") is True and get_auth_manager().is_authorized_custom_view(
        method="GET", resource_name=CHILDREN_RESOURCE, user=user)
    return Grants(user=user.get_name(), children=children, **limits)


async def dashboard_user(user: BaseUser = Depends(get_user)) -> Grants:
    """Any signed-in user who may use the Airflow UI and see this authority: figures, trends, teams, alerts."""
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "You may not use the Airflow UI")
    grants = grants_for(user)
    grants.require_authority(load_settings().authority)
    return grants


async def children_user(grants: Grants = Depends(dashboard_user)) -> Grants:
    """Child-level pages: the user needs the `children` grant."""
    if not grants.children:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"Child-level lists need the {CHILDREN_RESOURCE} grant (children: true in dashboard_access)")
    return grants
