"""Routing: show the dashboard or a patient's page, and click-through to patients.

The dashboard is never re-rendered on navigation: both pages are in the layout and the router only
toggles which one is visible, so the controls of every view keep their state and "back" returns
to the dashboard exactly as it was left. The filter sidebar is outside both pages. The routes
themselves are in components/state/routes.py.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update

from .. import ids
from ..context import current_trial
from ..state.routes import patient_path, route


def layout(dashboard: list, patient_page) -> html.Div:
    """Both pages, one of them hidden, and the Location that chooses between them."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.VISIBLE_TAB),
            html.Div(dashboard, id=ids.DASHBOARD_PAGE),
            html.Div(patient_page, id=ids.PATIENT_PAGE, hidden=True),
        ]
    )


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


def register(app: Dash) -> None:
    app.callback(
        Output(ids.DASHBOARD_PAGE, "hidden"),
        Output(ids.PATIENT_PAGE, "hidden"),
        Input(ids.URL, "pathname"),
    )(show_page)
    # In the browser (assets/pages.js), so that the views wait on no round trip: the views
    # compute for the tab on screen only, and nothing while a patient's page is shown.
    app.clientside_callback(
        ClientsideFunction(namespace="pages", function_name="visibleTab"),
        Output(ids.VISIBLE_TAB, "data"),
        Input(ids.TABS, "active_tab"),
        Input(ids.URL, "pathname"),
        State(ids.VISIBLE_TAB, "data"),
    )
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.TRAJ_GRAPH, "clickData"),
        Output(ids.SWIMMER_GRAPH, "clickData"),
        Input(ids.TRAJ_GRAPH, "clickData"),
        Input(ids.SWIMMER_GRAPH, "clickData"),
        Input(ids.PATIENT_GRID, "cellClicked"),
        prevent_initial_call=True,
    )(open_patient)
