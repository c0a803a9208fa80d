"""Response tab: the waterfall (each patient's best % change from baseline of a measure, sorted,
coloured by group) and the spider plot (the % change at every visit, a line per patient),
chosen by a switch; the same measure and grouping controls for both.

A click on a bar or a line opens that patient's page, as in the other views: the callback only
reads the patient id the mark carries (customdata) and checks it against the trial; the
graph's clickData is reset, so that the same bar clicked again after coming back opens it
again (Dash fires only on changed values). The numbers come from
`trial.analysis.response.best_change`, as in the exports and `trial summary --json`.
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html, no_update

from trial.analysis.cohort import Cohort, default_group
from trial.analysis.response import (
    best_change,
    default_measure,
    group_choices,
    measure_choices,
    request_for,
)
from trial.model import Trial

from .. import ids
from ..context import current_trial, only_when_visible
from ..export.toolbar import export_toolbar, method_panel
from ..figures.response import PLOTS, WATERFALL, ResponseView, response_view
from ..state.filters import COHORT_INPUTS, current_cohort_filter, people
from ..state.routes import patient_path
from .controls import control

CONTROL_IDS = [ids.RESP_PLOT, ids.RESP_MEASURE, ids.RESP_GROUP]


def view_of(trial: Trial, plot, measure, group, cohort: Cohort) -> ResponseView:
    """Controls and cohort -> the waterfall or spider view (pure but for the trial)."""
    result = best_change(trial, request_for(trial, cohort, measure, group))
    return response_view(
        trial, result, plot or WATERFALL, cohort.describe(), people(trial), every_row=False
    )


# --- Layout -------------------------------------------------------------------------------------


def layout(trial: Trial) -> html.Div:
    groups = group_choices(trial)
    group = default_group(trial)
    controls = dbc.Row(
        [
            control(
                "Plot",
                dbc.RadioItems(
                    id=ids.RESP_PLOT,
                    value=WATERFALL,
                    inline=True,
                    className="control-radio",
                    options=[{"label": v, "value": k} for k, v in PLOTS.items()],
                ),
                4,
            ),
            control(
                "Measure",
                dcc.Dropdown(
                    id=ids.RESP_MEASURE,
                    clearable=False,
                    value=default_measure(trial),
                    options=[{"label": v, "value": k} for k, v in measure_choices(trial).items()],
                ),
                4,
            ),
            control(
                "Colour by",
                dcc.Dropdown(
                    id=ids.RESP_GROUP,
                    clearable=False,
                    value=group if group in groups else "none",
                    options=[{"label": v, "value": k} for k, v in groups.items()],
                ),
                4,
            ),
        ],
        className="g-2 mb-2 controls",
    )
    return html.Div(
        [
            controls,
            dcc.Loading(
                dcc.Graph(
                    id=ids.RESP_GRAPH,
                    config={
                        "displaylogo": False,
                        "toImageButtonOptions": {"scale": 3, "filename": "response"},
                    },
                ),
                type="dot",
                delay_show=300,
            ),
            html.Ul(id=ids.RESP_NOTE, className="figure-note"),
            export_toolbar(ids.VIEW_RESPONSE),
            method_panel(ids.VIEW_RESPONSE),
            html.H6("Numbers behind the figure (one row per patient drawn)", className="mt-3"),
            dag.AgGrid(
                id=ids.RESP_TABLE,
                rowData=[],
                columnDefs=[],
                columnSize="responsiveSizeToFit",  # the columns come with each answer
                defaultColDef={
                    "sortable": True,
                    "filter": True,
                    "resizable": True,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                },
                # column names carry units ("10^9/L", "g/24 h"): a dot is not a nested field
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "pagination": True,
                    "paginationPageSize": 20,
                    "suppressFieldDotNotation": True,
                },
                className="summary-grid",
            ),
        ]
    )


def numbers_grid(view: ResponseView) -> tuple[list[dict], list[dict]]:
    """The grid's rows, one per patient plotted, in the plot's order (every patient up to the
    plot's limit; the export has them all), and its columns."""
    rows = view.rows
    return rows, [{"field": k, "headerName": k} for k in (rows[0] if rows else {})]


# --- Callbacks ----------------------------------------------------------------------------------


@only_when_visible(ids.TAB_RESPONSE)
def update_response(plot, measure, group, *filter_values):
    trial = current_trial()
    view = view_of(trial, plot, measure, group, Cohort(current_cohort_filter(*filter_values)))
    return view.figure, [html.Li(n) for n in view.notes], *numbers_grid(view)


def open_clicked_patient(click):
    """A click on a bar or a line -> that patient's page (and clickData reset)."""
    points = (click or {}).get("points") or []
    custom = next((p.get("customdata") for p in points if p.get("customdata")), None)
    pid = str(custom[0]) if isinstance(custom, list) and custom else None
    known = set(current_trial().patients["patient_id"].astype(str))
    if pid is None or pid not in known:
        return no_update, no_update
    return patient_path(pid), None


def register(app: Dash) -> None:
    app.callback(
        Output(ids.RESP_GRAPH, "figure"),
        Output(ids.RESP_NOTE, "children"),
        Output(ids.RESP_TABLE, "rowData"),
        Output(ids.RESP_TABLE, "columnDefs"),
        Input(ids.VISIBLE_TAB, "data"),
        *[Input(i, "value") for i in CONTROL_IDS],
        *COHORT_INPUTS,
    )(update_response)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.RESP_GRAPH, "clickData"),
        Input(ids.RESP_GRAPH, "clickData"),
        prevent_initial_call=True,
    )(open_clicked_patient)
