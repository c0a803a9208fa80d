"""Trajectories view: a measure over the visits, by center and responder group."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from trial.filters import select_patients
from trial.model import RESPONSE_GROUPS, Trial
from trial.stats import SCALE_LABELS, TEST_LABELS, grouped_visit_summary, measure_values

from . import ids
from .context import current_trial, only_when_visible
from .export_toolbar import export_toolbar, method_panel
from .filters import FILTER_INPUTS, current_filter
from .theme import group_colors
from .trajectory_figure import (STATISTIC_LABELS, Panel, TrajectoryOptions, empty_figure,
                                summary_table_rows, trajectory_figure)

KEY_MEASURES = "__key__"
NO_GROUP = "none"
BOTH = "center+response"
BASE_GROUPS = {NO_GROUP: "None", "center": "Center", "response": "Responder group",
               BOTH: "Center × responder group"}
# Patient columns never offered as groups: identifiers, free text and derived numbers.
NOT_GROUPS = {"patient_id", "center", "response", "provenance", "published_fields",
              "prior_treatment", "manifestations"}
MAX_GROUP_LEVELS = 8


def group_options(trial: Trial) -> dict[str, str]:
    """Grouping choices: the fixed ones plus any categorical patient column, named as the data
    name them (`Study.column_label`). Responder groups only when the data record responses;
    "<center> × <primary group>" (e.g. Site × arm) when the study has a primary group."""
    study = trial.study
    options = dict(BASE_GROUPS)
    options["center"] = study.center_label
    if not trial.has_response:
        del options["response"], options[BOTH]
    primary = study.primary_group
    if primary and primary in trial.patients:
        options[primary] = study.column_label(primary)
        options[f"center+{primary}"] = f"{study.center_label} × {study.column_label(primary)}"
    p = trial.patients
    for col in p.columns:
        if col in NOT_GROUPS or col in options or col.endswith("_day") or col == BOTH:
            continue
        levels = p[col].dropna().unique()
        if 2 <= len(levels) <= MAX_GROUP_LEVELS and not pd.api.types.is_float_dtype(p[col]):
            options[col] = study.column_label(col)
    return options


def default_group(trial: Trial) -> str:
    if trial.has_response:
        return "response"
    primary = trial.study.primary_group
    return primary if primary and primary in trial.patients else NO_GROUP


def _line_column(group: str) -> str | None:
    """The column whose levels are the lines: "center+arm" -> "arm" (panels per center)."""
    if group == NO_GROUP:
        return None
    return group.split("+", 1)[1] if group.startswith("center+") else group


def level_order(trial: Trial, col: str, labels: pd.Series) -> list[str]:
    if col == "response":
        return [r for r in RESPONSE_GROUPS if r in set(labels)]
    if col == "center":
        return [c for c in trial.centers if c in set(labels)]
    return sorted(set(labels.dropna()))


def group_labels(patients: pd.DataFrame, col: str) -> pd.Series:
    """Text labels of a grouping column (booleans read as yes / no)."""
    values = patients[col]
    if pd.api.types.is_bool_dtype(values):
        name = col.replace("_", " ").capitalize()
        return values.map({True: f"{name}: yes", False: f"{name}: no"})
    return values.astype("string").fillna("missing").astype(str)


def build_panels(trial: Trial, patients: pd.DataFrame, codes: list[str], group: str,
                 options: TrajectoryOptions) -> list[Panel]:
    """One panel per measure, or per center when grouping by center × responder group."""
    line_col = _line_column(group)
    facet_col = "center" if group.startswith("center+") else None
    labels = group_labels(patients, line_col) if line_col else pd.Series("All", patients.index)
    labelled = patients.assign(_group=labels)
    facets = [(None, labelled)] if facet_col is None else [
        (c, labelled.loc[labelled["center"] == c]) for c in trial.centers
        if (labelled["center"] == c).any()]
    order = level_order(trial, line_col, labels) if line_col else ["All"]
    panels = []
    for code in codes:
        measure = trial.study.measure(code)
        for facet, pts in facets:
            values = measure_values(trial, code, pts)
            values = values.assign(group=values["patient_id"].map(pts.set_index("patient_id")["_group"]))
            summary = grouped_visit_summary(values, pts, "_group", trial.study.visit_months,
                                            options.scale, options.test)
            summary = summary.assign(group=pd.Categorical(summary["group"], order)).sort_values(
                ["group", "month"]).assign(group=lambda d: d["group"].astype(str))
            title = measure.label if facet is None else f"{facet}"
            panels.append(Panel(title=title, measure=measure, values=values, summary=summary))
    return panels


def figure_title(trial: Trial, codes: list[str], group: str, options: TrajectoryOptions) -> str:
    what = "Key measures" if len(codes) > 1 else trial.study.measure(codes[0]).label
    name = group_options(trial).get(group, group)
    name = name if trial.study.source_format == "adam" else name.lower()
    by = "" if group == NO_GROUP else f" by {name}"
    scale = "" if options.scale == "value" else f" ({SCALE_LABELS[options.scale].lower()})"
    return f"{what}{scale}{by}"


def _radio(id_, options: dict, value) -> dbc.RadioItems:
    return dbc.RadioItems(id=id_, options=[{"label": v, "value": k} for k, v in options.items()],
                          value=value, inline=True, className="control-radio")


def _control(label: str, control, width: int, **col_props) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="control-label"), control], md=width, **col_props)


def layout(trial: Trial) -> html.Div:
    measures = [{"label": "Key measures (small multiples)", "value": KEY_MEASURES}] + [
        {"label": trial.study.measure(c).label, "value": c} for c in trial.measure_codes]
    first = trial.measure_codes[0] if trial.measure_codes else KEY_MEASURES
    groups = group_options(trial)
    controls = dbc.Row([
        _control("Measure", dcc.Dropdown(id=ids.TRAJ_MEASURE, options=measures, value=first,
                                         clearable=False), 4),
        _control("Group by", dcc.Dropdown(
            id=ids.TRAJ_GROUP, options=[{"label": v, "value": k} for k, v in groups.items()],
            value=default_group(trial), clearable=False), 3),
        _control("Summary", _radio(ids.TRAJ_STATISTIC, STATISTIC_LABELS, "mean_sd"), 5),
        _control("Scale", _radio(ids.TRAJ_SCALE, SCALE_LABELS, "value"), 5),
        _control("Test vs baseline", _radio(ids.TRAJ_TEST, TEST_LABELS, "paired_t"), 4),
        _control("Patients", dbc.Switch(id=ids.TRAJ_INDIVIDUAL, label="Individual lines",
                                        value=False), 3),
    ], className="g-2 mb-2 controls")
    grid = dag.AgGrid(
        id=ids.TRAJ_TABLE, rowData=[], columnSize="sizeToFit",
        columnDefs=[{"field": f, "headerName": h} for f, h in [
            ("panel", "Panel"), ("group", "Group"), ("visit", "Visit"), ("n", "n"),
            ("estimate", "Estimate"), ("lower", "Lower"), ("upper", "Upper"),
            ("n_paired", "n paired"), ("p_vs_baseline", "p vs baseline")]],
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 12},
        className="summary-grid")
    return html.Div([
        controls,
        dcc.Loading(dcc.Graph(id=ids.TRAJ_GRAPH, config={"displaylogo": False,
                                                         "toImageButtonOptions": {"scale": 3}}),
                    type="dot", delay_show=300),
        html.Div(id=ids.TRAJ_NOTE, className="figure-note"),
        export_toolbar(ids.VIEW_TRAJECTORIES),
        method_panel(ids.VIEW_TRAJECTORIES),
        html.H6("Numbers behind the figure", className="mt-3"),
        grid,
    ])


def trajectory_view(trial: Trial, patients: pd.DataFrame, measure: str, group: str,
                    options: TrajectoryOptions):
    """Figure, table rows and note for one state of the controls (pure)."""
    if measure == KEY_MEASURES:
        codes = trial.key_measure_codes
    else:
        codes = [measure] if measure in trial.measure_codes else []
    title = figure_title(trial, codes, group, options) if codes else "Trajectories"
    if patients.empty:
        return empty_figure(title, "No patients match the filters."), [], _note(trial, codes, 0)
    if not codes:
        return empty_figure(title, "This measure is not in the dataset."), [], []
    panels = build_panels(trial, patients, codes, group, options)
    line = _line_column(group)
    # Colours follow the whole trial's levels, so a center keeps its colour whatever the filters.
    colors = group_colors(list(pd.unique(pd.concat([p.summary["group"] for p in panels]))),
                          line, order=level_order(trial, line, group_labels(trial.patients, line))
                          if line in trial.patients else None)
    visits = list(trial.study.visits)
    line_col = _line_column(group)
    legend = "" if line_col is None else group_options(trial).get(line_col, line_col)
    fig = trajectory_figure(panels, options, colors, visits, title, len(patients), legend,
                            x_title=trial.study.visit_axis_title,
                            visit_unit=trial.study.visit_unit)
    return fig, summary_table_rows(panels, options, visits), _note(trial, codes, len(patients))


def _note(trial: Trial, codes: list[str], n: int) -> list:
    """What is in the denominators, said below the figure."""
    notes = []
    for code in codes:
        m = trial.study.measure(code)
        if m.population:
            notes.append(f"{m.label}: only patients with {m.population.replace('_', ' ')} "
                         "(the measure's population).")
        if m.unit_assumed:
            notes.append(f"{m.label}: unit {m.unit} assumed (not published).")
    notes.append("Tests compare each visit with baseline in patients who have both values; "
                 "patients without a baseline value are not in the tests.")
    return [html.Div(t) for t in notes]


@callback(
    Output(ids.TRAJ_GRAPH, "figure"), Output(ids.TRAJ_TABLE, "rowData"),
    Output(ids.TRAJ_NOTE, "children"),
    Input(ids.TABS, "active_tab"), Input(ids.TRAJ_MEASURE, "value"), Input(ids.TRAJ_GROUP, "value"),
    Input(ids.TRAJ_STATISTIC, "value"), Input(ids.TRAJ_SCALE, "value"),
    Input(ids.TRAJ_TEST, "value"), Input(ids.TRAJ_INDIVIDUAL, "value"),
    *FILTER_INPUTS, Input(ids.SELECTION_STORE, "data"),
)
@only_when_visible(ids.TAB_TRAJECTORIES)
def update_trajectories(measure, group, statistic, scale, test, individual, *values):
    # `values`: the filter values, then (from the app) the linked selection of patients.
    filter_values, rest = values[:len(FILTER_INPUTS)], values[len(FILTER_INPUTS):]
    selected = tuple(str(p) for p in (rest[0] if rest else None) or ())
    trial = current_trial()
    patients = select_patients(trial.patients, current_filter(*filter_values))
    options = TrajectoryOptions(statistic=statistic, scale=scale, test=test,
                                show_individual=bool(individual), selected=selected)
    return trajectory_view(trial, patients, measure, group, options)
