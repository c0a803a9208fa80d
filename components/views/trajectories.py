"""Trajectories view: a measure over the visits, by center and responder group; observed
summaries or a mixed model's estimated means, * marks unadjusted or adjusted across visits.

The callback takes the controls, the filters, the linked selection and then the multiplicity
control (`ids.TRAJ_ADJUST`, which may be left out: unadjusted)."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from trial.analysis.cohort import Cohort, default_group, group_options
from trial.analysis.trajectories import KEY_MEASURES, analyse_trajectories
from trial.model import Trial
from trial.stats import SCALE_LABELS, TEST_LABELS

from .. import ids
from ..context import current_trial, only_when_visible
from ..export.toolbar import export_toolbar, method_panel
from ..figures.trajectory import (
    ADJUST_LABELS,
    STATISTIC_LABELS,
    TrajectoryOptions,
    trajectory_view,
)
from ..state.filters import FILTER_INPUTS, cohort_filter
from ..state.viewspec import trajectory_request
from .controls import control, radio

CONTROL_INPUTS = [
    Input(ids.TRAJ_MEASURE, "value"),
    Input(ids.TRAJ_GROUP, "value"),
    Input(ids.TRAJ_STATISTIC, "value"),
    Input(ids.TRAJ_SCALE, "value"),
    Input(ids.TRAJ_TEST, "value"),
    Input(ids.TRAJ_INDIVIDUAL, "value"),
]
TABLE_COLUMNS = [
    ("panel", "Panel"),
    ("group", "Group"),
    ("visit", "Visit"),
    ("n", "n"),
    ("estimate", "Estimate"),
    ("lower", "Lower"),
    ("upper", "Upper"),
    ("n_paired", "n paired"),
    ("p_vs_baseline", "p vs baseline"),
    ("p_adjusted", "p adjusted"),
]
DEFAULT_ADJUST = "holm"


def layout(trial: Trial) -> html.Div:
    measures = [{"label": "Key measures (small multiples)", "value": KEY_MEASURES}] + [
        {"label": trial.study.measure(c).label, "value": c} for c in trial.measure_codes
    ]
    first = trial.measure_codes[0] if trial.measure_codes else KEY_MEASURES
    groups = group_options(trial)
    controls = dbc.Row(
        [
            control(
                "Measure",
                dcc.Dropdown(id=ids.TRAJ_MEASURE, options=measures, value=first, clearable=False),
                4,
            ),
            control(
                "Group by",
                dcc.Dropdown(
                    id=ids.TRAJ_GROUP,
                    options=[{"label": v, "value": k} for k, v in groups.items()],
                    value=default_group(trial),
                    clearable=False,
                ),
                3,
            ),
            control("Summary", radio(ids.TRAJ_STATISTIC, STATISTIC_LABELS, "mean_sd"), 5),
            # Two rows of controls, so that the figure starts high enough to be seen whole on
            # a 1080p screen.
            control("Scale", radio(ids.TRAJ_SCALE, SCALE_LABELS, "value"), 4),
            control("Test vs baseline", radio(ids.TRAJ_TEST, TEST_LABELS, "paired_t"), 3),
            control(
                "* marks across visits", radio(ids.TRAJ_ADJUST, ADJUST_LABELS, DEFAULT_ADJUST), 3
            ),
            control(
                "Patients",
                dbc.Switch(id=ids.TRAJ_INDIVIDUAL, label="Individual lines", value=False),
                2,
            ),
        ],
        className="g-2 mb-2 controls",
    )
    grid = dag.AgGrid(
        id=ids.TRAJ_TABLE,
        rowData=[],
        columnSize="sizeToFit",
        columnDefs=[{"field": f, "headerName": h} for f, h in TABLE_COLUMNS],
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 12},
        className="summary-grid",
    )
    return html.Div(
        [
            controls,
            dcc.Loading(
                dcc.Graph(
                    id=ids.TRAJ_GRAPH,
                    config={"displaylogo": False, "toImageButtonOptions": {"scale": 3}},
                ),
                type="dot",
                delay_show=300,
            ),
            html.Div(id=ids.TRAJ_NOTE, className="figure-note"),
            export_toolbar(ids.VIEW_TRAJECTORIES),
            method_panel(ids.VIEW_TRAJECTORIES),
            html.H6("Numbers behind the figure", className="mt-3"),
            grid,
        ]
    )


@only_when_visible(ids.TAB_TRAJECTORIES)
def update_trajectories(measure, group, statistic, scale, test, individual, *values):
    # `values`: the filter values, the linked selection of patients, the adjustment.
    filter_values, rest = values[: len(FILTER_INPUTS)], values[len(FILTER_INPUTS) :]
    selected = tuple(str(p) for p in (rest[0] if rest else None) or ())
    adjust = rest[1] if len(rest) > 1 else None
    trial = current_trial()
    cohort = Cohort(cohort_filter(filter_values, selected), selected)
    result = analyse_trajectories(
        trial, trajectory_request(measure, group, scale, test, cohort, adjust, statistic)
    )
    options = TrajectoryOptions(
        statistic=statistic or "mean_sd", show_individual=bool(individual), selected=selected
    )
    view = trajectory_view(trial, result, options)
    return view.figure, view.rows, [html.Div(t) for t in view.notes]


def register(app: Dash) -> None:
    app.callback(
        Output(ids.TRAJ_GRAPH, "figure"),
        Output(ids.TRAJ_TABLE, "rowData"),
        Output(ids.TRAJ_NOTE, "children"),
        Input(ids.VISIBLE_TAB, "data"),
        *CONTROL_INPUTS,
        *FILTER_INPUTS,
        Input(ids.SELECTION_STORE, "data"),
        Input(ids.TRAJ_ADJUST, "value"),
    )(update_trajectories)
