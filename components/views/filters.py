"""The filter sidebar: which patients every view shows, and how many they are."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from trial.filters import select_patients
from trial.model import Trial

from .. import ids
from ..context import current_trial
from ..state.filters import (
    ANY,
    FILTER_INPUTS,
    SEX_LABELS,
    YES_NO_ANY,
    current_choices,
    current_filter,
    filter_choices,
    people,
)


def _checklist(id_, options) -> dbc.Checklist:
    return dbc.Checklist(id=id_, options=options, value=[o["value"] for o in options],
                         className="filter-checklist")


def _section(title: str, control, shown: bool = True) -> html.Div:
    # A section whose column is absent stays in the layout (its input feeds every view) but is
    # hidden, at its "no restriction" value.
    return html.Div([html.Div(title, className="filter-title"), control], className="mb-3",
                    hidden=not shown)


def layout(trial: Trial) -> html.Div:
    choices = filter_choices(trial)
    sections = [
        _section(trial.study.center_label, _checklist(
            ids.FILTER_CENTER, [{"label": c, "value": c} for c in choices.centers])),
        _section(trial.study.column_label("arm", "Arm"), _checklist(
            ids.FILTER_ARM, [{"label": a, "value": a} for a in choices.arms]),
            shown=bool(choices.arms)),
        _section("Responder group", _checklist(
            ids.FILTER_RESPONSE, [{"label": r, "value": r} for r in choices.responses]),
            shown=choices.show_response),
        _section("Relapse", dbc.RadioItems(id=ids.FILTER_RELAPSE, options=YES_NO_ANY, value=ANY,
                                           inline=True), shown=choices.show_relapse),
    ]
    sections.append(_section("Sex", _checklist(
        ids.FILTER_SEX, [{"label": SEX_LABELS.get(s, s), "value": s} for s in choices.sexes]),
        shown=bool(choices.sexes)))
    sections.append(_section("Lupus nephritis", dbc.RadioItems(
        id=ids.FILTER_LN, options=YES_NO_ANY, value=ANY, inline=True), shown=choices.show_ln))
    bounds = choices.age_bounds
    lo, hi = bounds or (0, 100)
    sections.append(_section("Age (years)", dcc.RangeSlider(
        id=ids.FILTER_AGE, min=lo, max=hi, step=1, value=[lo, hi], allowCross=False,
        disabled=bounds is None, marks={lo: str(lo), hi: str(hi)},
        tooltip={"placement": "bottom", "always_visible": False})))
    return html.Div([
        html.Div(id=ids.SELECTED_COUNT, className="selected-count", **{"aria-live": "polite"}),
        *sections,
        dbc.Button("Reset filters", id=ids.FILTER_RESET, color="secondary", outline=True,
                   size="sm"),
    ], className="filter-panel")


def update_selected_count(*values):
    trial = current_trial()
    flt = current_filter(*values)
    n = len(select_patients(trial.patients, flt))
    return [html.Span(f"{n}", className="selected-n"),
            html.Span(f" of {len(trial.patients)} {people(trial)} selected"),
            html.Div(flt.describe(), className="selected-desc")]


def reset_filters(_clicks):
    choices = current_choices()
    return (list(choices.centers), list(choices.responses), ANY, list(choices.sexes), ANY,
            list(choices.age_bounds or (0, 100)), list(choices.arms))


def register(app: Dash) -> None:
    app.callback(Output(ids.SELECTED_COUNT, "children"), *FILTER_INPUTS)(update_selected_count)
    app.callback(
        Output(ids.FILTER_CENTER, "value"), Output(ids.FILTER_RESPONSE, "value"),
        Output(ids.FILTER_RELAPSE, "value"), Output(ids.FILTER_SEX, "value"),
        Output(ids.FILTER_LN, "value"), Output(ids.FILTER_AGE, "value"),
        Output(ids.FILTER_ARM, "value"),
        Input(ids.FILTER_RESET, "n_clicks"), prevent_initial_call=True)(reset_filters)
