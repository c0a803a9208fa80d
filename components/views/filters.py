"""The filter sidebar: which patients every view shows, and how many they are.

Besides the fixed filters, the analysis set (population and arm: planned or actual, each view's
default unless chosen here) and filters on any subject-level variable: "Add a filter on…" puts
tick boxes (with the number of subjects of each value) or a range under it. The variables'
filters live in one store (`ids.FILTER_VARIABLES`, part of the URL); the widgets are drawn from
it, and write it back.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from trial.analysis.cohort import Cohort
from trial.filters import listed_patients
from trial.model import ROLES, SEX_LABELS, Trial

from .. import ids
from ..attrs import attrs
from ..context import current_trial
from ..state.filters import (
    ANY,
    COHORT_INPUTS,
    DEFAULT,
    YES_NO_ANY,
    FilterChoices,
    Variable,
    choices_of,
    current_choices,
    current_cohort_filter,
    people,
)


def _checklist(id_, options) -> dbc.Checklist:
    return dbc.Checklist(
        id=id_, options=options, value=[o["value"] for o in options], className="filter-checklist"
    )


def _section(title: str, control, shown: bool = True) -> html.Div:
    # A section whose column is absent stays in the layout (its input feeds every view) but is
    # hidden, at its "no restriction" value.
    return html.Div(
        [html.Div(title, className="filter-title"), control], className="mb-3", hidden=not shown
    )


def _analysis_section(trial: Trial, choices: FilterChoices) -> html.Div:
    """Population and arm basis; "Each view's default" is what the study definition says."""
    design = trial.study.design
    defaults = []
    for role in ROLES:
        pop = design.population_for(role)
        arm = design.arm_for(role)
        defaults.append(
            f"{role}: {pop.label if pop else 'all subjects'}"
            + (f", {arm.label.split(' (')[0]}" if arm else "")
        )
    populations = (
        [{"label": "Each view's default", "value": DEFAULT}]
        + [{"label": f"{label} ({key})", "value": key} for key, label in choices.populations]
        + [{"label": "All subjects", "value": "all"}]
    )
    bases = [{"label": "Each view's default", "value": DEFAULT}] + [
        {"label": label[:1].upper() + label[1:], "value": key} for key, label in choices.arm_bases
    ]
    shown = bool(choices.populations or choices.arm_bases)
    return html.Div(
        [
            html.Div("Analysis set", className="filter-title"),
            html.Div("Population", className="filter-subtitle"),
            dcc.Dropdown(
                id=ids.FILTER_POPULATION,
                options=populations,
                value=DEFAULT,
                clearable=False,
                searchable=False,
                className="mb-2",
            ),
            html.Div("Arm", className="filter-subtitle"),
            dbc.RadioItems(id=ids.FILTER_ARM_BASIS, options=bases, value=DEFAULT),
            html.Div("Default: " + "; ".join(defaults), className="figure-note"),
        ],
        id=ids.FILTER_ANALYSIS,
        className="mb-3",
        hidden=not shown,
    )


def _variables_section(choices: FilterChoices) -> html.Div:
    return html.Div(
        [
            html.Div("More filters", className="filter-title"),
            dcc.Dropdown(
                id=ids.FILTER_VARIABLE_ADD,
                placeholder="Add a filter on…",
                options=[{"label": v.label, "value": v.column} for v in choices.variables],
                value=None,
                clearable=True,
                className="mb-2",
            ),
            html.Div(id=ids.FILTER_VARIABLE_LIST),
            dcc.Store(id=ids.FILTER_VARIABLES, data={}),
            dcc.Store(id=ids.FILTER_VARIABLES_SHOWN, data={}),
            dcc.Store(
                id=ids.FILTER_VARIABLE_CHOICES, data=[v.as_data() for v in choices.variables]
            ),
        ],
        className="mb-3",
        hidden=not choices.variables,
    )


def layout(trial: Trial, choices: FilterChoices | None = None) -> html.Div:
    """The filter panel; `choices`: the trial's (kept with its dataset), else found."""
    choices = choices or choices_of(trial)
    sections = [
        _analysis_section(trial, choices),
        _section(
            trial.study.center_label,
            _checklist(ids.FILTER_CENTER, [{"label": c, "value": c} for c in choices.centers]),
        ),
        _section(
            trial.study.column_label("arm", "Arm"),
            _checklist(ids.FILTER_ARM, [{"label": a, "value": a} for a in choices.arms]),
            shown=bool(choices.arms),
        ),
        _section(
            "Responder group",
            _checklist(ids.FILTER_RESPONSE, [{"label": r, "value": r} for r in choices.responses]),
            shown=choices.show_response,
        ),
        _section(
            "Relapse",
            dbc.RadioItems(id=ids.FILTER_RELAPSE, options=YES_NO_ANY, value=ANY, inline=True),
            shown=choices.show_relapse,
        ),
    ]
    sections.append(
        _section(
            "Sex",
            _checklist(
                ids.FILTER_SEX, [{"label": SEX_LABELS.get(s, s), "value": s} for s in choices.sexes]
            ),
            shown=bool(choices.sexes),
        )
    )
    sections.append(
        _section(
            "Lupus nephritis",
            dbc.RadioItems(id=ids.FILTER_LN, options=YES_NO_ANY, value=ANY, inline=True),
            shown=choices.show_ln,
        )
    )
    bounds = choices.age_bounds
    lo, hi = bounds or (0, 100)
    sections.append(
        _section(
            "Age (years)",
            dcc.RangeSlider(
                id=ids.FILTER_AGE,
                min=lo,
                max=hi,
                step=1,
                value=[lo, hi],
                allowCross=False,
                disabled=bounds is None,
                marks={lo: str(lo), hi: str(hi)},
                tooltip={"placement": "bottom", "always_visible": False},
            ),
        )
    )
    sections.append(_variables_section(choices))
    return html.Div(
        [
            html.Div(
                id=ids.SELECTED_COUNT, className="selected-count", **attrs({"aria-live": "polite"})
            ),
            *sections,
            dbc.Button(
                "Reset filters", id=ids.FILTER_RESET, color="secondary", outline=True, size="sm"
            ),
        ],
        className="filter-panel",
    )


def update_selected_count(*values):
    trial = current_trial()
    flt = current_cohort_filter(*values)
    n = len(listed_patients(trial, flt))
    sets = [Cohort(flt, role=role).analysis_set(trial) for role in ROLES]
    lines = [
        html.Div(f"{role.capitalize()}: {text}", className="selected-desc")
        for role, text in zip(ROLES, sets, strict=True)
        if text
    ]
    return [
        html.Span(f"{n:,}", className="selected-n"),
        html.Span(f" of {len(trial.patients):,} {people(trial)} selected"),
        html.Div(flt.describe(), className="selected-desc"),
        *lines,
    ]


def reset_filters(_clicks):
    choices = current_choices()
    return (
        list(choices.centers),
        list(choices.responses),
        ANY,
        list(choices.sexes),
        ANY,
        list(choices.age_bounds or (0, 100)),
        list(choices.arms),
        DEFAULT,
        DEFAULT,
        {},
    )


# --- Filters on any variable ----------------------------------------------------------------


def variable_widget(index: int, var: Variable, spec: dict) -> html.Div:
    """The tick boxes (with counts) or range of one variable's filter, and its remove button."""
    if var.kind == "values":
        chosen = spec.get("values", [lv for lv, _ in var.levels])
        control = dbc.Checklist(
            id={"type": ids.FILTER_VAR_VALUES, "index": index},
            options=[{"label": f"{lv} ({n})", "value": lv} for lv, n in var.levels],
            value=chosen,
            className="filter-checklist",
        )
    else:
        lo, hi = var.bounds or (0.0, 1.0)
        span = hi - lo
        step = 1 if span >= 20 else round(span / 100, 6) or 0.01
        control = dcc.RangeSlider(
            id={"type": ids.FILTER_VAR_RANGE, "index": index},
            min=lo,
            max=hi,
            step=step,
            value=spec.get("range", [lo, hi]),
            allowCross=False,
            marks={lo: f"{lo:g}", hi: f"{hi:g}"},
            tooltip={"placement": "bottom", "always_visible": False},
        )
    return html.Div(
        [
            html.Div(
                [
                    html.Span(var.label, className="filter-subtitle"),
                    dbc.Button(
                        "×",
                        id={"type": ids.FILTER_VAR_REMOVE, "index": index},
                        color="link",
                        size="sm",
                        className="filter-remove p-0 ms-1",
                        title=f"Remove the filter on {var.label}",
                    ),
                ],
                className="d-flex justify-content-between align-items-center",
            ),
            control,
        ],
        className="filter-variable mb-2",
    )


def _index(choices: FilterChoices, column: str) -> int | None:
    return next((i for i, v in enumerate(choices.variables) if v.column == column), None)


def add_variable(column, data):
    """A new filter on `column`, every value ticked (or the whole range): no restriction yet."""
    choices = current_choices()
    var = choices.variable(column) if column else None
    if var is None:
        raise PreventUpdate
    data = dict(data or {})
    if column not in data:
        data[column] = (
            {"values": [lv for lv, _ in var.levels]}
            if var.kind == "values"
            else {"range": list(var.bounds or (0, 1))}
        )
    return data, None


def render_variables(data, shown):
    """The widgets of the store's filters, when the store holds something they do not show
    (a filter added or removed, a link opened, Reset)."""
    data = data or {}
    if data == (shown or {}):
        raise PreventUpdate
    choices = current_choices()
    widgets = []
    for column, spec in data.items():
        i = _index(choices, column)
        if i is not None and isinstance(spec, dict):
            widgets.append(variable_widget(i, choices.variables[i], spec))
    return widgets, data


def collect_variables(values, ranges, value_ids, range_ids, data):
    """The widgets' values into the store (which then need not redraw them)."""
    choices = current_choices()
    new = dict(data or {})
    for v, cid in zip(values, value_ids, strict=True):
        var = choices.variables[cid["index"]]
        new[var.column] = {"values": list(v or [])}
    for r, cid in zip(ranges, range_ids, strict=True):
        var = choices.variables[cid["index"]]
        new[var.column] = {"range": list(r)}
    if new == (data or {}):
        raise PreventUpdate
    return new, new


def remove_variable(clicks, data):
    trigger = ctx.triggered_id
    if not trigger or not any(clicks):
        raise PreventUpdate
    var = current_choices().variables[trigger["index"]]
    return {k: v for k, v in (data or {}).items() if k != var.column}


def register(app: Dash) -> None:
    app.callback(Output(ids.SELECTED_COUNT, "children"), *COHORT_INPUTS)(update_selected_count)
    app.callback(
        Output(ids.FILTER_CENTER, "value"),
        Output(ids.FILTER_RESPONSE, "value"),
        Output(ids.FILTER_RELAPSE, "value"),
        Output(ids.FILTER_SEX, "value"),
        Output(ids.FILTER_LN, "value"),
        Output(ids.FILTER_AGE, "value"),
        Output(ids.FILTER_ARM, "value"),
        Output(ids.FILTER_POPULATION, "value"),
        Output(ids.FILTER_ARM_BASIS, "value"),
        Output(ids.FILTER_VARIABLES, "data"),
        Input(ids.FILTER_RESET, "n_clicks"),
        prevent_initial_call=True,
    )(reset_filters)
    app.callback(
        Output(ids.FILTER_VARIABLES, "data", allow_duplicate=True),
        Output(ids.FILTER_VARIABLE_ADD, "value"),
        Input(ids.FILTER_VARIABLE_ADD, "value"),
        State(ids.FILTER_VARIABLES, "data"),
        prevent_initial_call=True,
    )(add_variable)
    app.callback(
        Output(ids.FILTER_VARIABLE_LIST, "children"),
        Output(ids.FILTER_VARIABLES_SHOWN, "data"),
        Input(ids.FILTER_VARIABLES, "data"),
        State(ids.FILTER_VARIABLES_SHOWN, "data"),
    )(render_variables)
    app.callback(
        Output(ids.FILTER_VARIABLES, "data", allow_duplicate=True),
        Output(ids.FILTER_VARIABLES_SHOWN, "data", allow_duplicate=True),
        Input({"type": ids.FILTER_VAR_VALUES, "index": ALL}, "value"),
        Input({"type": ids.FILTER_VAR_RANGE, "index": ALL}, "value"),
        State({"type": ids.FILTER_VAR_VALUES, "index": ALL}, "id"),
        State({"type": ids.FILTER_VAR_RANGE, "index": ALL}, "id"),
        State(ids.FILTER_VARIABLES, "data"),
        prevent_initial_call=True,
    )(collect_variables)
    app.callback(
        Output(ids.FILTER_VARIABLES, "data", allow_duplicate=True),
        Input({"type": ids.FILTER_VAR_REMOVE, "index": ALL}, "n_clicks"),
        State(ids.FILTER_VARIABLES, "data"),
        prevent_initial_call=True,
    )(remove_variable)
