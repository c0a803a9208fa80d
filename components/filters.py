"""The filter sidebar: which patients every view shows, and how many they are."""
from __future__ import annotations

import math
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html, dcc

from trial.filters import PatientFilter, select_patients
from trial.model import RESPONSE_GROUPS, Trial

from . import ids
from .context import current_dataset, current_trial

ANY = "any"
YES_NO_ANY = [{"label": "Any", "value": ANY}, {"label": "Yes", "value": "yes"},
              {"label": "No", "value": "no"}]
SEX_LABELS = {"F": "Female", "M": "Male"}

# The inputs every view listens to, in the order of `filter_from_values`.
FILTER_INPUTS = [
    Input(ids.FILTER_CENTER, "value"),
    Input(ids.FILTER_RESPONSE, "value"),
    Input(ids.FILTER_RELAPSE, "value"),
    Input(ids.FILTER_SEX, "value"),
    Input(ids.FILTER_LN, "value"),
    Input(ids.FILTER_AGE, "value"),
    Input(ids.FILTER_ARM, "value"),
]


def people(trial: Trial) -> str:
    """What the data call the people in it: ADaM says subjects."""
    return "subjects" if trial.study.source_format == "adam" else "patients"


def _yes_no(value) -> bool | None:
    return None if value in (None, ANY) else value == "yes"


@dataclass(frozen=True)
class FilterChoices:
    """Everything the widgets offer for one trial: ticking all of a list means no restriction."""

    centers: tuple[str, ...]
    responses: tuple[str, ...]
    sexes: tuple[str, ...]
    age_bounds: tuple[int, int] | None
    arms: tuple[str, ...] = ()
    show_response: bool = True  # the data record responses (MCR/PCR)
    show_relapse: bool = True
    show_ln: bool = True  # a lupus_nephritis column exists


def filter_choices(trial: Trial) -> FilterChoices:
    p = trial.patients
    return FilterChoices(
        centers=tuple(trial.centers),
        responses=RESPONSE_GROUPS,
        sexes=tuple(sorted(p["sex"].dropna().unique())) if "sex" in p else (),
        age_bounds=age_bounds(trial),
        arms=tuple(sorted(map(str, p["arm"].dropna().unique()))) if "arm" in p else (),
        show_response=trial.has_response,
        show_relapse=trial.has_relapse or trial.has_response,
        show_ln="lupus_nephritis" in p,
    )


def age_bounds(trial: Trial) -> tuple[int, int] | None:
    if "age" not in trial.patients or trial.patients["age"].isna().all():
        return None
    ages = trial.patients["age"].dropna()
    return int(math.floor(ages.min())), int(math.ceil(ages.max()))


def _restriction(selected, offered: tuple) -> tuple | None:
    """The ticked options, or None (no restriction) when all are ticked."""
    chosen = tuple(v for v in offered if v in set(selected or ()))
    return None if len(chosen) == len(offered) else chosen


def filter_from_values(centers, responses, relapse, sexes, ln, age_range, arms=None, *,
                       choices: FilterChoices) -> PatientFilter:
    """Translate the widgets' values into a `PatientFilter`.

    An age range equal to the data's full range is no restriction either, so that patients with
    unknown age are not excluded by an untouched slider.
    """
    age_min = age_max = None
    if age_range and choices.age_bounds and tuple(age_range) != tuple(choices.age_bounds):
        age_min, age_max = age_range
    return PatientFilter(
        centers=_restriction(centers, choices.centers),
        responses=_restriction(responses, choices.responses),
        relapse=_yes_no(relapse),
        sexes=_restriction(sexes, choices.sexes),
        lupus_nephritis=_yes_no(ln),
        age_min=age_min,
        age_max=age_max,
        arms=_restriction(arms, choices.arms) if arms is not None else None,
    )


def current_choices() -> FilterChoices:
    # The choices depend only on the trial: computed once per dataset and kept with it.
    return current_dataset().derived("filter_choices", lambda ds: filter_choices(ds.trial))


def current_filter(*values) -> PatientFilter:
    return filter_from_values(*values, choices=current_choices())


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


@callback(Output(ids.SELECTED_COUNT, "children"), *FILTER_INPUTS)
def update_selected_count(*values):
    trial = current_trial()
    flt = current_filter(*values)
    n = len(select_patients(trial.patients, flt))
    return [html.Span(f"{n}", className="selected-n"),
            html.Span(f" of {len(trial.patients)} {people(trial)} selected"),
            html.Div(flt.describe(), className="selected-desc")]


@callback(
    Output(ids.FILTER_CENTER, "value"), Output(ids.FILTER_RESPONSE, "value"),
    Output(ids.FILTER_RELAPSE, "value"), Output(ids.FILTER_SEX, "value"),
    Output(ids.FILTER_LN, "value"), Output(ids.FILTER_AGE, "value"),
    Output(ids.FILTER_ARM, "value"),
    Input(ids.FILTER_RESET, "n_clicks"), prevent_initial_call=True,
)
def reset_filters(_clicks):
    choices = current_choices()
    return (list(choices.centers), list(choices.responses), ANY, list(choices.sexes), ANY,
            list(choices.age_bounds or (0, 100)), list(choices.arms))
