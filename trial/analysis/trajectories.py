"""Trajectories: a measure (or the key measures) over the visits, summarised per visit and
group, with the paired test of each visit against baseline.

    result = analyse_trajectories(trial, TrajectoryRequest(cohort, measure="sledai",
                                                           group="response"))

Every view, export, method snippet and `trial summary --json` reads these panels; the figure
builders only draw them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model import ARM_COLUMNS, Measure, Trial
from ..stats import Scale, Test, grouped_visit_summary, measure_values
from . import compare
from .cohort import Cohort, facet_column, group_label, labelled, level_order, line_column

KEY_MEASURES = "__key__"
GROUP = "_group"  # patients column holding the group label of each patient


@dataclass(frozen=True)
class TrajectoryRequest:
    cohort: Cohort = Cohort()
    measure: str = KEY_MEASURES   # a measure code, or KEY_MEASURES for the key measures
    group: str = "none"           # a grouping key (cohort.group_options)
    scale: Scale = "value"
    test: Test = "paired_t"


@dataclass(frozen=True)
class Panel:
    """One measure (and, with panels per center, one center) summarised per group and visit."""

    title: str
    measure: Measure
    values: pd.DataFrame   # patient_id, month, day, value, baseline, change, pct_change, group
    summary: pd.DataFrame  # trial.stats summary rows (month, n, mean, sd, ...) with `group`
    facet: str | None = None
    # Between arms at each visit (trial.analysis.compare): empty unless grouped by arm.
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    lsmeans: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class TrajectoryResult:
    request: TrajectoryRequest
    codes: tuple[str, ...]         # the measures analysed (empty: none in the data)
    panels: tuple[Panel, ...]
    n_patients: int                # the selected patients
    levels: tuple[str, ...]        # the group levels of the whole trial, in order
    group_label: str | None        # how the data name the grouping (None without one)
    analysis_set: str = ""         # "Intent-to-treat population, n = 254, by planned ..."
    comparison_model: str = ""     # the between-arm test, when the panels have one

    @property
    def line_column(self) -> str | None:
        return line_column(self.request.group)


def measure_codes(trial: Trial, measure: str) -> list[str]:
    """The codes a request's measure stands for: the key measures, one measure, or none."""
    if measure == KEY_MEASURES:
        return list(trial.key_measure_codes)
    return [measure] if measure in trial.measure_codes else []


def _facets(trial: Trial, patients: pd.DataFrame, group: str) -> list[tuple[str | None,
                                                                              pd.DataFrame]]:
    if facet_column(group) is None:
        return [(None, patients)]
    return [(c, patients.loc[patients["center"] == c]) for c in trial.centers
            if (patients["center"] == c).any()]


def _panel(trial: Trial, code: str, facet: str | None, patients: pd.DataFrame,
           request: TrajectoryRequest, order: list[str]) -> Panel:
    measure = trial.study.measure(code)
    values = measure_values(trial, code, patients)
    values = values.assign(group=values["patient_id"].map(
        patients.set_index("patient_id")[GROUP]).astype(str))
    months = tuple(v.month for v in trial.study.measure_visits(code))
    summary = grouped_visit_summary(values, patients, GROUP, months, request.scale, request.test)
    summary = summary.assign(group=pd.Categorical(summary["group"].astype(str), order))
    summary = summary.sort_values(["group", "month"]).assign(
        group=lambda d: d["group"].astype(str)).reset_index(drop=True)
    lsmeans, comparison = (compare.ancova(values, [g for g in order if g in set(values["group"])])
                           if compares_arms(request) else (pd.DataFrame(), pd.DataFrame()))
    return Panel(measure.label if facet is None else facet, measure, values, summary, facet,
                 comparison, lsmeans)


def compares_arms(request: TrajectoryRequest) -> bool:
    """Whether the panels compare arms at each visit: when the lines are the arms."""
    return line_column(request.group) in ARM_COLUMNS


def analyse_trajectories(trial: Trial, request: TrajectoryRequest) -> TrajectoryResult:
    """Per-visit summaries of the request's measures for its cohort, per group (and center)."""
    patients = request.cohort.patients(trial)
    codes = measure_codes(trial, request.measure)
    col = line_column(request.group)
    groups = labelled(trial, patients, col)
    levels = list(groups.cat.categories)
    panels: list[Panel] = []
    if codes and len(patients):
        labelled_patients = patients.assign(**{GROUP: groups.astype(str)})
        panels = [_panel(trial, code, facet, pts, request, levels)
                  for code in codes for facet, pts in _facets(trial, labelled_patients,
                                                              request.group)]
    compared = any(len(p.comparison) for p in panels)
    return TrajectoryResult(request, tuple(codes), tuple(panels), len(patients),
                            tuple(level_order(trial, col)) if col else tuple(levels),
                            group_label(trial, request.group, request.cohort),
                            request.cohort.analysis_set(trial, len(patients)),
                            compare.SHORT_NAME if compared else "")
