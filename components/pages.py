"""Routing: "/" is the dashboard, "/patients/<id>" a patient's page; and click-through to patients.

The dashboard is never re-rendered on navigation: both pages are in the layout and the router only
toggles which one is visible, so the controls of every view keep their state and "back" returns
to the dashboard exactly as it was left. The filter sidebar is outside both pages.

Patient ids in URLs are percent-encoded; a path is resolved only by looking the decoded id up in
the loaded trial (never used to build a file path or echoed as HTML).
"""
from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote, unquote

from dash import Input, Output, callback, ctx, dcc, html, no_update

from . import ids
from .context import current_trial

PATIENTS_PREFIX = "/patients/"
MAX_ID_CHARS = 64
_PATIENT_PATH = re.compile(r"^/patients/([^/]+)/?$")

Route = Literal["dashboard", "patient", "not_found"]


def patient_path(patient_id) -> str:
    """The URL path of a patient's page (the id percent-encoded, so any text id is safe)."""
    return PATIENTS_PREFIX + quote(str(patient_id), safe="")


def route(pathname: str | None) -> tuple[Route, str | None]:
    """Which page a path shows, and the (decoded, not yet looked up) patient id if any."""
    if pathname in (None, "", "/"):
        return "dashboard", None
    match = _PATIENT_PATH.match(pathname)
    if not match:
        return "not_found", None
    try:
        raw = unquote(match.group(1), errors="strict")
    except UnicodeDecodeError:
        return "not_found", None
    if not raw or len(raw) > MAX_ID_CHARS or not raw.isprintable() or raw != raw.strip():
        return "not_found", None
    return "patient", raw


def resolve_patient(pathname: str | None, patient_ids) -> str | None:
    """The id of an existing patient addressed by `pathname`, else None."""
    kind, raw = route(pathname)
    if kind != "patient":
        return None
    return raw if raw in set(map(str, patient_ids)) else None


def layout(dashboard: list, patient_page) -> html.Div:
    """Both pages, one of them hidden, and the Location that chooses between them."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        html.Div(dashboard, id=ids.DASHBOARD_PAGE),
        html.Div(patient_page, id=ids.PATIENT_PAGE, hidden=True),
    ])


@callback(Output(ids.DASHBOARD_PAGE, "hidden"), Output(ids.PATIENT_PAGE, "hidden"),
          Input(ids.URL, "pathname"))
def show_page(pathname):
    on_dashboard = route(pathname)[0] == "dashboard"
    return not on_dashboard, on_dashboard


# --- click-through -------------------------------------------------------------------------

def _point_patient(click_data) -> str | None:
    """The patient id of the first clicked point that carries one (customdata)."""
    for point in (click_data or {}).get("points") or []:
        custom = point.get("customdata")
        if isinstance(custom, list):  # a bar or marker with several custom values: id first
            custom = custom[0] if custom else None
        if custom not in (None, ""):
            return str(custom)
    return None


def _cell_patient(cell) -> str | None:
    if not cell or str(cell.get("colId", "")).startswith("ag-Grid-"):  # selection checkbox
        return None
    row_id = cell.get("rowId")
    return None if row_id in (None, "") else str(row_id)


def clicked_patient(source: str | None, traj_click, swimmer_click, cell) -> str | None:
    """The patient a click in one of the views points at (pure)."""
    if source == ids.TRAJ_GRAPH:
        return _point_patient(traj_click)
    if source == ids.SWIMMER_GRAPH:
        return _point_patient(swimmer_click)
    if source == ids.PATIENT_GRID:
        return _cell_patient(cell)
    # No trigger known (a direct call): the one payload given.
    return _point_patient(traj_click) or _point_patient(swimmer_click) or _cell_patient(cell)


def _triggered() -> str | None:
    try:
        return ctx.triggered_id
    except Exception:  # called directly, outside a callback
        return None


@callback(
    Output(ids.URL, "pathname", allow_duplicate=True),
    Output(ids.TRAJ_GRAPH, "clickData"), Output(ids.SWIMMER_GRAPH, "clickData"),
    Input(ids.TRAJ_GRAPH, "clickData"), Input(ids.SWIMMER_GRAPH, "clickData"),
    Input(ids.PATIENT_GRID, "cellClicked"),
    prevent_initial_call=True,
)
def open_patient(traj_click, swimmer_click, cell):
    """A click on a patient's mark anywhere opens that patient's page.

    The graphs' clickData is reset, so that clicking the same mark again after coming back
    navigates again (Dash only fires on changed values).
    """
    pid = clicked_patient(_triggered(), traj_click, swimmer_click, cell)
    known = set(current_trial().patients["patient_id"].astype(str))
    reset = (None if traj_click else no_update, None if swimmer_click else no_update)
    if pid is None or pid not in known:
        return (no_update, *reset)
    return (patient_path(pid), *reset)
