"""Trajectories: a measure (or the key measures) over the visits, summarised per visit and
group, with the paired test of each visit against baseline.

    result = analyse_trajectories(trial, TrajectoryRequest(cohort, measure="sledai",
                                                           group="response"))

Every view, export, method snippet and `trial summary --json` reads these panels; the figure
builders only draw them.

Per-visit tests (trial.analysis.multiplicity): no test where a group has fewer than
`MIN_PAIRED` patients with both values at a visit (`too_few`), and the p-values adjusted across
the follow-up visits of each group (unadjusted, Holm or Hochberg: `p_adjusted`), which the *
marks follow. With `model`, each panel also holds the linear mixed model's estimated means per
visit and group (trial.analysis.mixed; values, or change from baseline with baseline as a
covariate; not for % change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property

import pandas as pd

from ..model import ARM_COLUMNS, Measure, Trial
from ..stats import Scale, Test, engine_visit_summaries, measure_patients, measure_values
from . import compare
from .cohort import Cohort, facet_column, group_label, labelled, level_order, line_column
from .mixed import MixedResult, mixed_model
from .mixed import Scale as ModelScale
from .multiplicity import MIN_PAIRED, Method, visit_p_values

KEY_MEASURES = "__key__"
GROUP = "_group"  # patients column holding the group label of each patient
ADJUSTMENTS = ("none", "holm", "hochberg")
MODEL = "model"  # the summary statistic that asks for the mixed model's estimated means
MODEL_SCALES = ("value", "change")


@dataclass(frozen=True)
class TrajectoryRequest:
    cohort: Cohort = Cohort()
    measure: str = KEY_MEASURES  # a measure code, or KEY_MEASURES for the key measures
    group: str = "none"  # a grouping key (cohort.group_options)
    scale: Scale = "value"
    test: Test = "paired_t"
    adjust: Method = "none"  # multiplicity across visits: none, holm, hochberg
    model: bool = False  # fit the mixed model (estimated means per visit and group)


@dataclass(frozen=True)
class Panel:
    """One measure (and, with panels per center, one center) summarised per group and visit.
    Its patients' own values are read when first asked for (`values`)."""

    title: str
    measure: Measure
    read_values: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    summary: pd.DataFrame  # trial.stats summary rows (month, n, mean, sd, ...) with `group`,
    #                        too_few, p_adjusted (multiplicity.visit_p_values)
    facet: str | None = None
    model: MixedResult | None = None  # the mixed model, when asked for and possible
    model_notes: tuple[str, ...] = ()  # why there is none, or groups left out of it
    # Between arms at each visit (trial.analysis.compare): empty unless grouped by arm.
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    lsmeans: pd.DataFrame = field(default_factory=pd.DataFrame)

    @cached_property
    def values(self) -> pd.DataFrame:
        """patient_id, month, day, value, baseline, change, pct_change, group: only drawing
        patients' own lines and the models need them, and a registry's are millions of rows
        (20 s of the key measures' 46 s at 1,000,000 patients when they were always read)."""
        return self.read_values()

    @property
    def has_values(self) -> bool:
        """Whether any patient of the panel has a value of its measure."""
        return bool((self.summary["n"] > 0).any()) if len(self.summary) else False


@dataclass(frozen=True)
class TrajectoryResult:
    request: TrajectoryRequest
    codes: tuple[str, ...]  # the measures analysed (empty: none in the data)
    panels: tuple[Panel, ...]
    n_patients: int  # the selected patients
    levels: tuple[str, ...]  # the group levels of the whole trial, in order
    group_label: str | None  # how the data name the grouping (None without one)
    analysis_set: str = ""  # "Intent-to-treat population, n = 254, by planned ..."
    comparison_model: str = ""  # the between-arm test, when the panels have one

    @property
    def line_column(self) -> str | None:
        return line_column(self.request.group)


def measure_codes(trial: Trial, measure: str) -> list[str]:
    """The codes a request's measure stands for: the key measures, one measure, or none."""
    if measure == KEY_MEASURES:
        return list(trial.key_measure_codes)
    return [measure] if measure in trial.measure_codes else []


def _facets(
    trial: Trial, patients: pd.DataFrame, group: str
) -> list[tuple[str | None, pd.DataFrame]]:
    if facet_column(group) is None:
        return [(None, patients)]
    return [
        (c, patients.loc[patients["center"] == c])
        for c in trial.centers
        if (patients["center"] == c).any()
    ]


def _summaries(
    trial: Trial, cells: list[tuple[str, str | None, pd.DataFrame]], request: TrajectoryRequest
) -> list[pd.DataFrame]:
    """The per-visit summaries of every panel (measure, facet, patients), in one query."""
    panels = []
    for code, _, patients in cells:
        cohort = measure_patients(trial, code, patients)
        cohort = pd.DataFrame({"patient_id": cohort["patient_id"], "grp": cohort[GROUP]})
        months = tuple(v.month for v in trial.study.measure_visits(code))
        panels.append((code, cohort, months))
    return engine_visit_summaries(trial, panels, request.scale, request.test)


def _panel(
    trial: Trial,
    code: str,
    facet: str | None,
    patients: pd.DataFrame,
    summary: pd.DataFrame,
    request: TrajectoryRequest,
    order: list[str],
) -> Panel:
    measure = trial.study.measure(code)

    @cache  # read once, by the models below or when the figure draws lines
    def read_values() -> pd.DataFrame:
        values = measure_values(trial, code, patients)
        return values.assign(
            group=values["patient_id"].map(patients.set_index("patient_id")[GROUP]).astype(str)
        )

    summary = summary.assign(group=pd.Categorical(summary["group"].astype(str), order))
    summary = (
        summary.sort_values(["group", "month"])
        .assign(group=lambda d: d["group"].astype(str))
        .reset_index(drop=True)
    )
    summary = visit_p_values(summary, request.adjust, MIN_PAIRED)
    values = read_values() if request.model or compares_arms(request) else None
    model, model_notes = (
        panel_model(values, request.scale, order)
        if values is not None and request.model
        else (None, ())
    )
    lsmeans, comparison = (
        compare.ancova(values, [g for g in order if g in set(values["group"])])
        if values is not None and compares_arms(request)
        else (pd.DataFrame(), pd.DataFrame())
    )
    return Panel(
        measure.label if facet is None else facet,
        measure,
        read_values,
        summary,
        facet,
        model,
        model_notes,
        comparison,
        lsmeans,
    )


def panel_model(
    values: pd.DataFrame, scale: Scale, order: list[str]
) -> tuple[MixedResult | None, tuple[str, ...]]:
    """The mixed model of one panel's values by group. A group without values at a visit that
    others have would make that cell not estimable: it is left out of the model, and said."""
    if scale not in MODEL_SCALES:
        return None, (
            "No mixed model on the % change scale (a ratio to baseline): choose "
            "values or change from baseline.",
        )
    column: ModelScale = "value" if scale == "value" else "change"  # = scale, narrowed
    rows = values.dropna(subset=[column] + (["baseline"] if scale == "change" else []))
    if scale == "change":
        rows = rows.loc[rows["month"] != 0]
    cells = rows.groupby(["group", "month"]).size().unstack(fill_value=0)
    incomplete = [g for g in cells.index if (cells.loc[g] == 0).any()]
    notes = tuple(f"{g}: not in the mixed model (no values at every visit)" for g in incomplete)
    keep = [g for g in order if g in cells.index and g not in incomplete]
    if rows.empty:
        return None, ("No values on this scale: no mixed model.",)
    if not keep:
        return None, notes + ("No group has values at every visit: no mixed model.",)
    data = values.loc[values["group"].isin(keep)]
    data = data.assign(group=pd.Categorical(data["group"], keep))
    result = mixed_model(data, "group", column)
    return (result if len(result.emm) else None), notes + result.messages


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
        cells = [
            (code, facet, pts)
            for code in codes
            for facet, pts in _facets(trial, labelled_patients, request.group)
        ]
        summaries = _summaries(trial, cells, request)
        panels = [
            _panel(trial, code, facet, pts, summary, request, levels)
            for (code, facet, pts), summary in zip(cells, summaries)
        ]
    compared = any(len(p.comparison) for p in panels)
    return TrajectoryResult(
        request,
        tuple(codes),
        tuple(panels),
        len(patients),
        tuple(level_order(trial, col)) if col else tuple(levels),
        group_label(trial, request.group, request.cohort),
        request.cohort.analysis_set(trial, len(patients)),
        compare.SHORT_NAME if compared else "",
    )
