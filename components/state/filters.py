"""The filter widgets' values and what they mean: a `PatientFilter` (pure, no layout).

`FILTER_INPUTS` are the inputs every view listens to; `current_filter(*values)` turns their
values into the filter of the request's dataset. Besides the fixed filters (center, arm, sex,
age, ...) they carry the analysis set (population and arm basis; "default" leaves each view its
own, see trial.model.Design) and filters on any subject-level variable (`FILTER_VARIABLES`:
{column: {"values": [...]}} or {column: {"range": [low, high]}}).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import flask
import pandas as pd
from dash import Input

from trial.analysis.subgroups import AGE_GROUP, age_group_bounds
from trial.filters import PatientFilter, VariableFilter
from trial.model import RESPONSE_GROUPS, Trial
from trial.sessions import Dataset

from .. import ids
from ..context import SessionGone, current_dataset

ANY = "any"
DEFAULT = "default"  # population / arm basis: each view's own (efficacy or safety)
YES_NO_ANY = [
    {"label": "Any", "value": ANY},
    {"label": "Yes", "value": "yes"},
    {"label": "No", "value": "no"},
]

# The inputs every view listens to, in the order of `filter_from_values`: (id, property).
_FILTER_PROPS = [
    (ids.FILTER_CENTER, "value"),
    (ids.FILTER_RESPONSE, "value"),
    (ids.FILTER_RELAPSE, "value"),
    (ids.FILTER_SEX, "value"),
    (ids.FILTER_LN, "value"),
    (ids.FILTER_AGE, "value"),
    (ids.FILTER_ARM, "value"),
    (ids.FILTER_POPULATION, "value"),
    (ids.FILTER_ARM_BASIS, "value"),
    (ids.FILTER_VARIABLES, "data"),
]
FILTER_INPUTS = [Input(cid, prop) for cid, prop in _FILTER_PROPS]
FILTER_IDS = [cid for cid, _ in _FILTER_PROPS]  # their component ids, in the same order
# The linked selection (shell/selection): every analysis is of the selected patients when
# some are selected. Callbacks list it last (after any view-specific input) so that
# `cohort_filter` finds it as the value after the filters and the view's own values.
SELECTION_INPUT = Input(ids.SELECTION_STORE, "data")
COHORT_INPUTS = [*FILTER_INPUTS, SELECTION_INPUT]
COHORT_IDS = [*FILTER_IDS, ids.SELECTION_STORE]  # their component ids, in the same order
# Columns with a widget of their own, and columns that are not subject characteristics.
OWN_WIDGET = {
    "patient_id",
    "center",
    "arm",
    "arm_planned",
    "arm_actual",
    "sex",
    "age",
    "response",
    "relapse",
    "lupus_nephritis",
    "provenance",
    "published_fields",
    "prior_treatment",
    "manifestations",
    "response_day",
    "relapse_day",
    "death_day",
    "followup_end_day",
    "last_followup_day",
}
MAX_LEVELS = 60  # a text column with more values is free text: not offered


def people(trial: Trial) -> str:
    """What the data call the people in it: ADaM says subjects."""
    return "subjects" if trial.study.source_format == "adam" else "patients"


def _yes_no(value) -> bool | None:
    return None if value in (None, ANY) else value == "yes"


@dataclass(frozen=True)
class Variable:
    """A subject-level variable offered as a filter: its levels with their counts
    (categorical) or its range (numeric)."""

    column: str
    label: str
    kind: str  # "values" or "range"
    levels: tuple[tuple[str, int], ...] = ()  # (level, subjects)
    bounds: tuple[float, float] | None = None

    def as_data(self) -> dict:
        return {
            "column": self.column,
            "label": self.label,
            "kind": self.kind,
            "levels": [lv for lv, _ in self.levels],
            "bounds": list(self.bounds) if self.bounds else None,
        }


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
    populations: tuple[tuple[str, str], ...] = ()  # (key, label)
    arm_bases: tuple[tuple[str, str], ...] = ()  # (key, label)
    variables: tuple[Variable, ...] = ()

    def variable(self, column: str) -> Variable | None:
        return next((v for v in self.variables if v.column == column), None)


def filter_choices(trial: Trial) -> FilterChoices:
    p = trial.patients
    design = trial.study.design
    return FilterChoices(
        centers=tuple(trial.centers),
        responses=RESPONSE_GROUPS,
        sexes=tuple(sorted(p["sex"].dropna().unique())) if "sex" in p else (),
        age_bounds=age_bounds(trial),
        arms=tuple(sorted(map(str, p["arm"].dropna().unique()))) if "arm" in p else (),
        show_response=trial.has_response,
        show_relapse=trial.has_relapse or trial.has_response,
        show_ln="lupus_nephritis" in p,
        populations=tuple((pop.key, pop.label) for pop in design.populations),
        arm_bases=tuple((a.key, a.label) for a in design.arms),
        variables=subject_variables(trial),
    )


def subject_variables(trial: Trial) -> tuple[Variable, ...]:
    """Every subject-level column a filter can be put on, named as the data name it: text and
    true/false columns with up to 60 values (tick boxes, with the number of subjects of each),
    numeric columns (a range)."""
    out = []
    p = trial.patients
    for col in p.columns:
        if col in OWN_WIDGET or col.startswith("_"):
            continue
        s = p[col]
        label = trial.study.column_label(col)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values = pd.to_numeric(s, errors="coerce").dropna()
            if values.nunique() >= 2:
                out.append(
                    Variable(
                        col,
                        label,
                        "range",
                        bounds=(float(math.floor(values.min())), float(math.ceil(values.max()))),
                    )
                )
            continue
        counts = s.astype("string").fillna("missing").value_counts()
        if 2 <= len(counts) <= MAX_LEVELS:
            levels = tuple((str(k), int(counts[k])) for k in sorted(counts.index, key=str))
            out.append(Variable(col, label, "values", levels=levels))
    return tuple(out)


def age_bounds(trial: Trial) -> tuple[int, int] | None:
    if "age" not in trial.patients or trial.patients["age"].isna().all():
        return None
    ages = trial.patients["age"].dropna()
    return int(math.floor(ages.min())), int(math.ceil(ages.max()))


def _restriction(selected, offered: tuple) -> tuple | None:
    """The ticked options, or None (no restriction) when all are ticked."""
    chosen = tuple(v for v in offered if v in set(selected or ()))
    return None if len(chosen) == len(offered) else chosen


def variable_filters(data: Mapping | None, choices: FilterChoices) -> tuple[VariableFilter, ...]:
    """The restrictions of the variables store: columns not offered, unknown levels and a full
    range (no restriction: subjects with a missing value stay in) are left out."""
    out = []
    for column, spec in (data or {}).items():
        var = choices.variable(str(column))
        if var is None or not isinstance(spec, Mapping):
            continue
        if var.kind == "values" and isinstance(spec.get("values"), list):
            chosen = _restriction(spec["values"], tuple(lv for lv, _ in var.levels))
            if chosen is not None:
                out.append(VariableFilter(var.column, values=chosen, label=var.label))
        elif (
            var.kind == "range"
            and isinstance(spec.get("range"), list)
            and len(spec["range"]) == 2
            and var.bounds
        ):
            lo, hi = (float(x) for x in spec["range"])
            if (lo, hi) != tuple(var.bounds):
                out.append(
                    VariableFilter(
                        var.column,
                        low=max(lo, var.bounds[0]),
                        high=min(hi, var.bounds[1]),
                        label=var.label,
                    )
                )
    return tuple(out)


def filter_from_values(
    centers,
    responses,
    relapse,
    sexes,
    ln,
    age_range,
    arms=None,
    population=None,
    arm_basis=None,
    variables=None,
    *,
    choices: FilterChoices,
) -> PatientFilter:
    """Translate the widgets' values into a `PatientFilter`.

    An age range equal to the data's full range is no restriction either, so that patients with
    unknown age are not excluded by an untouched slider.
    """
    age_min = age_max = None
    if age_range and choices.age_bounds and tuple(age_range) != tuple(choices.age_bounds):
        age_min, age_max = age_range
    known_pops = {k for k, _ in choices.populations} | {"all"}
    return PatientFilter(
        centers=_restriction(centers, choices.centers),
        responses=_restriction(responses, choices.responses),
        relapse=_yes_no(relapse),
        sexes=_restriction(sexes, choices.sexes),
        lupus_nephritis=_yes_no(ln),
        age_min=age_min,
        age_max=age_max,
        arms=_restriction(arms, choices.arms) if arms is not None else None,
        population=population if population in known_pops else None,
        arm_basis=arm_basis if arm_basis in {k for k, _ in choices.arm_bases} else None,
        variables=variable_filters(variables, choices),
    )


def dataset_choices(dataset: Dataset) -> FilterChoices:
    # The choices depend only on the trial: computed once per dataset and kept with it.
    return dataset.derived("filter_choices", lambda ds: filter_choices(ds.trial))


def current_choices() -> FilterChoices:
    return dataset_choices(current_dataset())


def choices_of(trial: Trial) -> FilterChoices:
    """`trial`'s filter choices: those kept with the request's dataset when it holds this
    trial (0.7 s to compute at 1,000,000 patients), else computed (outside a request)."""
    if flask.has_request_context():
        try:
            if current_dataset().trial is trial:
                return current_choices()
        except SessionGone:  # the view that asked reports it; the choices are still these
            pass
    return filter_choices(trial)


def current_filter(*values) -> PatientFilter:
    return filter_from_values(*values, choices=current_choices())


def selection_ids(selection) -> tuple[str, ...] | None:
    """The selection store's value as the filter's patient ids (None: nobody selected)."""
    picked = tuple(dict.fromkeys(str(p) for p in selection or () if p not in (None, "")))
    return picked or None


def with_selection(flt: PatientFilter, selection) -> PatientFilter:
    """The filter restricted to the linked selection (unchanged when nobody is selected)."""
    return replace(flt, patient_ids=selection_ids(selection))


def current_cohort_filter(*values) -> PatientFilter:
    """The filter of COHORT_INPUTS' values: the filters, then (optionally) the selection."""
    n = len(FILTER_INPUTS)
    return cohort_filter(values[:n], values[n] if len(values) > n else None)


def cohort_filter(filter_values, selection=None) -> PatientFilter:
    """The filter of the widgets' values (FILTER_INPUTS order) and the linked selection."""
    return with_selection(current_filter(*tuple(filter_values)[: len(FILTER_INPUTS)]), selection)


def filter_of(trial: Trial, filters: Mapping[str, Any]) -> PatientFilter:
    """The filter of a view spec's `filters` ({component id: widget value}); empty: none."""
    if not filters:
        return PatientFilter()
    values = [filters.get(cid) for cid in FILTER_IDS]
    if not any(cid in filters for cid in FILTER_IDS):
        return with_selection(PatientFilter(), filters.get(ids.SELECTION_STORE))
    flt = filter_from_values(*values, choices=choices_of(trial))
    return with_selection(flt, filters.get(ids.SELECTION_STORE))


# --- A subgroup of the forest plot as filter values ------------------------------------------

# Subgroup columns the sidebar can filter, and the widget holding each.
SUBGROUP_FILTERS = {
    "center": ids.FILTER_CENTER,
    "arm": ids.FILTER_ARM,
    "response": ids.FILTER_RESPONSE,
    "sex": ids.FILTER_SEX,
    "lupus_nephritis": ids.FILTER_LN,
    "relapse": ids.FILTER_RELAPSE,
    AGE_GROUP: ids.FILTER_AGE,
}
YES_NO = {True: "yes", False: "no"}


def _yes_no_level(level: str) -> str | None:
    """ "Lupus nephritis: yes" (cohort.group_labels' text of a true/false column) -> "yes"."""
    answer = str(level).rsplit(": ", 1)[-1].strip().lower()
    return answer if answer in YES_NO.values() else None


def filterable(trial: Trial, column: str) -> bool:
    """Whether the sidebar has a widget that selects the levels of `column`."""
    choices = choices_of(trial)
    shown = {
        "arm": bool(choices.arms),
        "response": choices.show_response,
        "sex": bool(choices.sexes),
        "lupus_nephritis": choices.show_ln,
        "relapse": choices.show_relapse,
        AGE_GROUP: choices.age_bounds is not None,
    }
    return column in SUBGROUP_FILTERS and shown.get(column, True)


def subgroup_filter(trial: Trial, column: str, level: str) -> dict[str, Any] | None:
    """{widget id: value} that restricts the sidebar to one subgroup level (the other widgets
    are left as they are), or None when no widget can (an unfiltered column, "missing")."""
    if not filterable(trial, column) or level == "missing":
        return None
    widget = SUBGROUP_FILTERS[column]
    if column in ("lupus_nephritis", "relapse"):
        answer = _yes_no_level(level)
        return None if answer is None else {widget: answer}
    if column == AGE_GROUP:
        bounds = age_group_bounds(trial, level)
        return None if bounds is None else {widget: list(bounds)}
    return {widget: [level]}
