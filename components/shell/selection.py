"""Linked selection: patients picked in one view (box or lasso in the trajectories or the swimmer
plot, ticked rows in the patient list) are highlighted in all views.

The selection is a list of patient ids in a `dcc.Store`. It is independent of the filters: a
selected patient that the filters hide stays selected. A chip "N selected ×" clears it.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html, no_update

from trial.analysis.patients import natural_key

from .. import ids
from ..attrs import attrs
from ..context import current_trial


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.SELECTION_STORE, data=[]),
            html.Button(
                id=ids.SELECTION_CLEAR,
                className="selection-chip",
                hidden=True,
                title="Clear the selection",
                **attrs({"aria-label": "Clear the selection"}),
            ),
        ],
        id=ids.SELECTION_CHIP,
    )


def points_patients(selected_data) -> list[str]:
    """Patient ids of the selected points that carry one (individual lines, bars)."""
    out = []
    for point in (selected_data or {}).get("points") or []:
        custom = point.get("customdata")
        if isinstance(custom, list):
            custom = custom[0] if custom else None
        if custom not in (None, ""):
            out.append(str(custom))
    return out


def rows_patients(selected_rows) -> list[str]:
    """Patient ids of the grid's selected rows (row objects or {"ids": [...]})."""
    if isinstance(selected_rows, dict):
        return [str(i) for i in selected_rows.get("ids") or []]
    return [str(r["patient_id"]) for r in selected_rows or [] if r and "patient_id" in r]


def merge_grid_selection(
    current: list[str], grid_selected: list[str], visible: list[str]
) -> list[str]:
    """The grid only knows the rows it shows: keep the selected patients it does not show."""
    shown = set(visible)
    return [p for p in current if p not in shown] + list(grid_selected)


def normalise(selection, known) -> list[str]:
    """Unique, existing ids in the patient list's order."""
    known = set(map(str, known))
    return sorted({str(p) for p in selection or [] if str(p) in known}, key=natural_key)


def _triggered():
    from dash import ctx

    try:
        return ctx.triggered_id
    except Exception:  # called directly, outside a callback
        return None


def update_selection(
    traj_selected, swimmer_selected, grid_rows, _clear, current, row_data, trigger=None
):
    """New selection from whichever view changed it; the grid's ticks follow the selection."""
    trigger = trigger or _triggered()
    known = current_trial().patients["patient_id"].astype(str)
    current = normalise(current, known)
    if trigger == ids.SELECTION_CLEAR:
        new = []
    elif trigger in (ids.TRAJ_GRAPH, ids.SWIMMER_GRAPH):
        picked = points_patients(traj_selected if trigger == ids.TRAJ_GRAPH else swimmer_selected)
        if not picked:  # an empty box or a deselect: keep the selection (the chip clears it)
            return no_update, no_update
        new = normalise(picked, known)
    elif trigger == ids.PATIENT_GRID:
        visible = [str(r.get("patient_id")) for r in row_data or []]
        new = normalise(merge_grid_selection(current, rows_patients(grid_rows), visible), known)
        return (no_update if new == current else new), no_update
    else:
        return no_update, no_update
    return new, {"ids": new}


def update_chip(selection):
    n = len(selection or [])
    if not n:
        return [], True
    return [
        html.Span(f"{n} selected", className="selection-chip-text"),
        html.Span("×", className="selection-chip-x", **attrs({"aria-hidden": "true"})),
    ], False


def register(app: Dash) -> None:
    app.callback(
        Output(ids.SELECTION_STORE, "data"),
        Output(ids.PATIENT_GRID, "selectedRows"),
        Input(ids.TRAJ_GRAPH, "selectedData"),
        Input(ids.SWIMMER_GRAPH, "selectedData"),
        Input(ids.PATIENT_GRID, "selectedRows"),
        Input(ids.SELECTION_CLEAR, "n_clicks"),
        State(ids.SELECTION_STORE, "data"),
        State(ids.PATIENT_GRID, "rowData"),
        prevent_initial_call=True,
    )(update_selection)
    app.callback(
        Output(ids.SELECTION_CLEAR, "children"),
        Output(ids.SELECTION_CLEAR, "hidden"),
        Input(ids.SELECTION_STORE, "data"),
    )(update_chip)
