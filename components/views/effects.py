"""Effects tab: a forest plot of the outcome by subgroup (hazard ratios, response rates, their
differences or odds ratios, or a single arm's own estimates), with the interaction tests.

A click on a line of the forest restricts the sidebar's filter to that subgroup, so every view
(the count, the trajectories, the survival curves, the forest itself) shows those patients; the
callback only maps the line's subgroup to filter values, it computes nothing. A tab of its own
rather than a section of the Survival tab: the forest has its own controls (outcome, subgroup
variables, arms), serves the response rate as well as time-to-event outcomes, and is read as
one figure, as in a paper's subgroup analysis.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from trial.analysis.cohort import NO_GROUP, Cohort
from trial.analysis.subgroups import (
    MEASURES,
    RESPONSE,
    ForestRequest,
    analyse_forest,
    arm_levels,
    compare_options,
    default_compare,
    default_outcome,
    default_subgroups,
    outcome_choices,
    subgroup_label,
    subgroup_options,
)
from trial.model import Trial

from .. import ids
from ..attrs import attrs
from ..context import current_trial, only_when_visible
from ..export.toolbar import export_toolbar, method_panel
from ..figures.forest import ForestView, forest_view
from ..state.filters import (
    COHORT_INPUTS,
    current_cohort_filter,
    filterable,
    people,
    subgroup_filter,
)
from .controls import control

CONTROL_IDS = [
    ids.EFFECTS_OUTCOME,
    ids.EFFECTS_SUBGROUPS,
    ids.EFFECTS_COMPARE,
    ids.EFFECTS_REFERENCE,
    ids.EFFECTS_MEASURE,
]
FILTER_OUTPUTS = [
    ids.FILTER_CENTER,
    ids.FILTER_RESPONSE,
    ids.FILTER_RELAPSE,
    ids.FILTER_SEX,
    ids.FILTER_LN,
    ids.FILTER_AGE,
    ids.FILTER_ARM,
]
CLICK_PROMPT = (
    "Click a line of the forest to filter the whole dashboard to that subgroup "
    "(Reset filters in the sidebar to undo)."
)


def forest_request(
    outcome, subgroups, compare, reference, measure, cohort: Cohort
) -> ForestRequest:
    """The analysis the Effects controls ask for (None: the control's default)."""
    return ForestRequest(
        cohort,
        outcome or "os",
        tuple(subgroups or ()),
        compare or NO_GROUP,
        reference or None,
        measure if measure in MEASURES else "rd",
    )


def view_of(
    trial: Trial, outcome, subgroups, compare, reference, measure, cohort: Cohort
) -> ForestView:
    """Controls and cohort -> the forest view (pure but for the trial)."""
    request = forest_request(outcome, subgroups, compare, reference, measure, cohort)
    result = analyse_forest(trial, request)
    unfiltered = [subgroup_label(trial, c) for c in request.subgroups if not filterable(trial, c)]
    return forest_view(trial, result, cohort.describe(), unfiltered, people(trial))


def reference_options(trial: Trial, compare) -> list[dict]:
    return [{"label": a, "value": a} for a in arm_levels(trial, compare)]


def measure_options(outcome, compare) -> list[dict]:
    """Risk difference or odds ratio: only for the response rate with arms compared."""
    off = outcome != RESPONSE or compare in (None, NO_GROUP)
    return [{"label": label, "value": value, "disabled": off} for value, label in MEASURES.items()]


# --- Layout -------------------------------------------------------------------------------------


def layout(trial: Trial) -> html.Div:
    compare = default_compare(trial)
    arms = reference_options(trial, compare)
    controls = dbc.Row(
        [
            control(
                "Outcome",
                dcc.Dropdown(
                    id=ids.EFFECTS_OUTCOME,
                    clearable=False,
                    value=default_outcome(trial),
                    options=[{"label": v, "value": k} for k, v in outcome_choices(trial).items()],
                ),
                3,
            ),
            control(
                "Subgroups",
                dcc.Dropdown(
                    id=ids.EFFECTS_SUBGROUPS,
                    multi=True,
                    value=default_subgroups(trial),
                    options=[{"label": v, "value": k} for k, v in subgroup_options(trial).items()],
                ),
                5,
            ),
            control(
                "Compare within subgroups",
                dcc.Dropdown(
                    id=ids.EFFECTS_COMPARE,
                    clearable=False,
                    value=compare,
                    options=[{"label": v, "value": k} for k, v in compare_options(trial).items()],
                ),
                4,
            ),
            control(
                "Reference arm",
                dcc.Dropdown(
                    id=ids.EFFECTS_REFERENCE,
                    clearable=False,
                    options=arms,
                    value=arms[0]["value"] if arms else None,
                    disabled=not arms,
                    placeholder="no arms compared",
                ),
                3,
            ),
            control(
                "Response with arms",
                dbc.RadioItems(
                    id=ids.EFFECTS_MEASURE,
                    value="rd",
                    inline=True,
                    className="control-radio",
                    options=measure_options(default_outcome(trial), compare),
                ),
                4,
            ),
        ],
        className="g-2 mb-2 controls",
    )
    return html.Div(
        [
            controls,
            html.Div(
                CLICK_PROMPT,
                id=ids.EFFECTS_CLICKED,
                className="surv-patients",
                **attrs({"aria-live": "polite"}),
            ),
            dcc.Loading(
                dcc.Graph(
                    id=ids.EFFECTS_GRAPH,
                    config={
                        "displaylogo": False,
                        "toImageButtonOptions": {"scale": 3, "filename": "forest"},
                    },
                ),
                type="dot",
                delay_show=300,
            ),
            html.Ul(id=ids.EFFECTS_NOTE, className="figure-note"),
            export_toolbar(ids.VIEW_EFFECTS),
            method_panel(ids.VIEW_EFFECTS),
            html.H6("Numbers behind the figure", className="mt-3"),
            html.Div(id=ids.EFFECTS_TABLE),
        ]
    )


def numbers_table(view: ForestView):
    if not view.rows:
        return html.Div("No rows.", className="text-muted")
    return dbc.Table.from_dataframe(
        pd.DataFrame(view.rows),
        striped=True,
        bordered=False,
        hover=True,
        size="sm",
        className="effects-table",
    )


# --- Callbacks ----------------------------------------------------------------------------------


@only_when_visible(ids.TAB_EFFECTS)
def update_effects(outcome, subgroups, compare, reference, measure, *filter_values):
    trial = current_trial()
    view = view_of(
        trial,
        outcome,
        subgroups,
        compare,
        reference,
        measure,
        Cohort(current_cohort_filter(*filter_values)),
    )
    # clickData is reset so that a click on the same line again is a new click
    return view.figure, [html.Li(n) for n in view.notes], numbers_table(view), None


def update_reference(compare, outcome, reference):
    """The reference choices follow the compared column (the chosen one kept if offered); the
    effect measure applies to the response rate with arms only."""
    options = reference_options(current_trial(), compare)
    values = [o["value"] for o in options]
    value = reference if reference in values else (values[0] if values else None)
    return options, value, not options, measure_options(outcome, compare)


def filter_to_clicked(click):
    """A click on a forest line -> the sidebar filter values of its subgroup (the other filters
    are kept), and what was done, in words. Nothing is computed here."""
    points = (click or {}).get("points") or []
    custom = next((p.get("customdata") for p in points if p.get("customdata")), None)
    if not custom:
        return (no_update,) * (len(FILTER_OUTPUTS) + 1)
    trial = current_trial()
    column, level = str(custom[0]), str(custom[1])
    label = subgroup_label(trial, column)
    values = subgroup_filter(trial, column, level)
    if values is None:
        why = (
            "the sidebar has no filter for this column"
            if level != "missing"
            else "“missing” is not a value a filter can select"
        )
        note = f"{label}: {level} cannot filter the dashboard: {why}."
        return (*[no_update] * len(FILTER_OUTPUTS), note)
    out = [values.get(cid, no_update) for cid in FILTER_OUTPUTS]
    return (
        *out,
        f"Filtered every view to {label}: {level} (with the other filters as they "
        "were). Reset filters in the sidebar to undo.",
    )


def register(app: Dash) -> None:
    app.callback(
        Output(ids.EFFECTS_GRAPH, "figure"),
        Output(ids.EFFECTS_NOTE, "children"),
        Output(ids.EFFECTS_TABLE, "children"),
        Output(ids.EFFECTS_GRAPH, "clickData"),
        Input(ids.VISIBLE_TAB, "data"),
        *[Input(i, "value") for i in CONTROL_IDS],
        *COHORT_INPUTS,
    )(update_effects)
    app.callback(
        Output(ids.EFFECTS_REFERENCE, "options"),
        Output(ids.EFFECTS_REFERENCE, "value"),
        Output(ids.EFFECTS_REFERENCE, "disabled"),
        Output(ids.EFFECTS_MEASURE, "options"),
        Input(ids.EFFECTS_COMPARE, "value"),
        Input(ids.EFFECTS_OUTCOME, "value"),
        State(ids.EFFECTS_REFERENCE, "value"),
    )(update_reference)
    app.callback(
        *[Output(cid, "value", allow_duplicate=True) for cid in FILTER_OUTPUTS],
        Output(ids.EFFECTS_CLICKED, "children"),
        Input(ids.EFFECTS_GRAPH, "clickData"),
        prevent_initial_call=True,
    )(filter_to_clicked)
