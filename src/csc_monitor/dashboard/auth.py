"""Who may see what. Plugin apps are not behind Airflow's login, so every route depends on one of these.

The user comes from Airflow's own resolver (bearer token, or the `_token` cookie the Airflow UI
sets), and the decision from Airflow's configured auth manager: any user allowed into the Airflow
UI sees the figures; the child-level list needs the custom view `csc_children` (granted per role
in FAB or Keycloak; the Simple auth manager grants custom views to every viewer).
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, status

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import get_user

CHILDREN_RESOURCE = "csc_children"


def can_see_children(user: BaseUser) -> bool:
    return get_auth_manager().is_authorized_custom_view(method="GET", resource_name=CHILDREN_RESOURCE, user=user)


async def dashboard_user(user: BaseUser = Depends(get_user)) -> BaseUser:
    """Any signed-in user who may use the Airflow UI: figures, trends, teams, alerts (no child identifiers)."""
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "You may not use the Airflow UI")
    return user


async def children_user(user: BaseUser = Depends(dashboard_user)) -> BaseUser:
    """Child-level pages: the user's role must hold the csc_children view."""
    if not can_see_children(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Child-level lists need the {CHILDREN_RESOURCE} permission")
    return user
