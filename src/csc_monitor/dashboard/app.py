"""The dashboard's FastAPI app, mounted by the Airflow plugin under /csc on the api-server.

Routes are plain functions (FastAPI runs them in its thread pool, so warehouse reads never block the
api-server's event loop); pages are server-rendered HTML with inline SVG and CSS, no script.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import load_settings
from ..indicators.definitions import Definition, load_definitions
from ..indicators.exceptions import exception_rows
from ..safe_output import write_csv
from ..validation.quarantine import still_set_aside
from ..warehouse import reader
from . import model, queries
from .auth import Grants, children_user, dashboard_user
from .charts import sparkline, trend_chart

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
TEMPLATES.globals.update(sparkline=sparkline, format_value=model.format_value, counts_text=model.counts_text)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MESSAGES_PER_PAGE = 25
EXCEPTION_COLUMNS = ("child_id", "status", "team", "worker", "start_date", "end_date", "elapsed", "late_by")


def _context() -> tuple[Engine, str]:
    """The warehouse as the last finished run left it (see warehouse.reader): a page never waits for or blocks a run."""
    settings = load_settings()
    return reader(settings.warehouse_url), settings.authority


def _definition(indicator_id: str) -> Definition:
    found = load_definitions([indicator_id], include_retired=True)
    if not found:
        raise HTTPException(404, f"No indicator called {indicator_id}")
    return found[0]


def _page(request: Request, template: str, status_code: int = 200, **values) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(root=request.scope.get("root_path", ""), **values)
    return HTMLResponse(html, status_code=status_code)


def _public_url(request: Request) -> str:
    """Where to come back to after signing in: under CSC_MONITOR_DASHBOARD_URL, else relative; never from the
    request's Host header, which a client chooses."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    base = load_settings().dashboard_url
    return f"{base.rstrip('/')}{path}" if base else path


def _as_at(conn, authority: str, definition: Definition, as_at: date | None) -> date:
    chosen = as_at or queries.published_as_at(conn, authority)
    if chosen is None:
        raise HTTPException(404, f"No figures yet for {definition.id}")
    return chosen


def _exception_rows(definition: Definition, as_at: date | None, team: str | None, grants: Grants) -> tuple[date, list[dict]]:
    grants.require_team(team)
    engine, authority = _context()
    with engine.connect() as conn:
        chosen = _as_at(conn, authority, definition, as_at)
        rows = exception_rows(conn, definition.id, authority, chosen, team or None)
    return chosen, grants.visible(rows, "team")


def create_app() -> FastAPI:
    app = FastAPI(title="CSC performance", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def locked_down(request: Request, call_next):
        """Pages hold names and, on child-level pages, identifiers: nothing external loads, nothing is cached."""
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException):
        login = None
        if error.status_code == 401:
            from airflow.api_fastapi.app import get_auth_manager
            login = get_auth_manager().get_url_login(next_url=_public_url(request))
        return _page(request, "error.html", error.status_code, status=error.status_code, detail=error.detail, login=login)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, grants: Grants = Depends(dashboard_user)):
        engine, authority = _context()
        with engine.connect() as conn:
            as_at = queries.published_as_at(conn, authority)
            summaries = []
            if as_at:
                set_aside = still_set_aside(conn, authority)  # once for the page, not once per indicator
                summaries = [model.summarise(conn, d, authority, as_at, set_aside=set_aside) for d in load_definitions()]
        caveats = list(dict.fromkeys(c for s in summaries for c in s.caveats))  # caveats shared by indicators, once per page
        return _page(request, "overview.html", as_at=as_at, summaries=summaries, caveats=caveats)

    @app.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    def indicator(request: Request, indicator_id: str, as_at: date | None = None, team: str | None = None,
                  grants: Grants = Depends(dashboard_user)):
        definition = _definition(indicator_id)
        engine, authority = _context()
        team = team or None
        grants.require_team(team)
        with engine.connect() as conn:
            chosen = _as_at(conn, authority, definition, as_at)
            summary = model.summarise(conn, definition, authority, chosen, team)
            if summary.figure is None:
                raise HTTPException(404, f"No figure for {team or 'the authority'} as at {chosen.isoformat()}")
            teams = grants.visible(queries.breakdown(conn, authority, definition.id, chosen, "team"))
            workers = queries.breakdown(conn, authority, definition.id, chosen, "worker")
            if team or grants.teams is not None:
                in_teams = {worker for t in ([team] if team else sorted(grants.teams))
                            for worker in queries.workers_in_team(conn, authority, definition.id, chosen, t)}
                workers = [w for w in workers if w["scope"] in in_teams]
            schedules = queries.breakdown(conn, authority, definition.id, chosen, "schedule") if definition.schedules else []
            series = queries.comparators(conn, definition.id, chosen)
        thresholds = {k: v for k, v in summary.thresholds.items() if k in ("warning", "critical") and v is not None}
        chart = trend_chart(
            f"{definition.title}: {team or 'whole authority'}, last {len(summary.history)} figures to {chosen.isoformat()}",
            summary.trend_points, thresholds,
            {g: [(p["period_end"], p["value"]) for p in s] for g, s in series.items()},
            model.aggregate_of(definition) == "percentage",
        )
        return _page(request, "indicator.html", d=definition, s=summary, team=team, teams=teams, workers=workers,
                     schedules=schedules, chart=chart, timescale=model.timescale_of(definition), children=grants.children)

    @app.get("/indicators/{indicator_id}/exceptions", response_class=HTMLResponse)
    def exceptions(request: Request, indicator_id: str, as_at: date | None = None, team: str | None = None,
                   grants: Grants = Depends(children_user)):
        definition = _definition(indicator_id)
        chosen, rows = _exception_rows(definition, as_at, team, grants)
        return _page(request, "exceptions.html", d=definition, as_at=chosen, team=team or None, rows=rows,
                     timescale=model.timescale_of(definition))

    @app.get("/indicators/{indicator_id}/exceptions.csv")
    def exceptions_csv(indicator_id: str, as_at: date | None = None, team: str | None = None,
                       grants: Grants = Depends(children_user)):
        definition = _definition(indicator_id)
        chosen, rows = _exception_rows(definition, as_at, team, grants)
        out = io.StringIO()
        write_csv(out, EXCEPTION_COLUMNS, rows)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{definition.id}_{chosen.isoformat()}{'_' + team if team else ''}_exceptions.csv")
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/alerts", response_class=HTMLResponse)
    def alerts(request: Request, page: int = Query(1, ge=1), grants: Grants = Depends(dashboard_user)):
        engine, authority = _context()
        definitions = load_definitions()
        with engine.connect() as conn:
            evaluated, ok = queries.alerts_evaluated(conn, authority)
            states = grants.visible(queries.alert_states(conn, authority), authority_wide=("all",))
            silences = grants.visible(queries.silences(conn, authority, evaluated), "team", authority_wide=(None,)) if evaluated else []
            events, total = model.alert_history(conn, definitions, authority, grants.teams, MESSAGES_PER_PAGE,
                                                (page - 1) * MESSAGES_PER_PAGE)
        return _page(request, "alerts.html", evaluated=evaluated, ok=ok, states=states, silences=silences, events=events,
                     page=page, pages=max(1, -(-total // MESSAGES_PER_PAGE)), total=total,
                     titles={d.id: d.title for d in definitions})

    return app
