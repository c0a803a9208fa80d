"""Landmark analysis of a grouping that is only known after day 0, and a guarantee-time check.

Comparing survival from day 0 by a status reached later (responder, relapsed, transplanted)
credits the group with the time its members had to survive to reach the status: guarantee-time
(immortal-time) bias (Anderson, Cain & Gelber, J Clin Oncol 1983; Dafni, Circ Cardiovasc Qual
Outcomes 2011). The landmark method fixes the groups at a chosen time L:

    population  patients still followed after L: time > L. Those with the event or censored on
                or before L are left out and counted, with the reason.
    group       the status at L: reached on or before L (`known_col` <= L) or not (not yet, or
                never: NaN). A status reached after L counts as "not by L".
    time        re-based to the landmark: time - L.
Then Kaplan-Meier curves, log-rank and the Cox hazard ratio on that population, with the
conventions of `trial.survival` and `trial.analysis.cox` (tested against R's survfit, survdiff
and coxph on the subset R builds itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..survival import km_median, km_table, logrank
from .cox import CoxResult, cox_model

GROUP, TIME, EVENT = "landmark_group", "landmark_time", "landmark_event"


@dataclass(frozen=True)
class LandmarkResult:
    """The landmark population and its analyses. `excluded`: reason, n (every patient left out is
    in one row); `population`: the kept rows with GROUP, TIME (days since L) and EVENT added."""

    landmark: float
    population: pd.DataFrame
    excluded: pd.DataFrame
    curves: pd.DataFrame
    medians: pd.DataFrame
    logrank: dict | None
    cox: CoxResult | None


def landmark_population(
    df: pd.DataFrame,
    landmark: float,
    known_col: str,
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
    known_label: str = "by landmark",
    not_label: str = "not by landmark",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(population, excluded) at `landmark` days: see the module docstring.

    The group is `known_label` (or, with `group_col`, that column's value, e.g. MCR/PCR) when
    `known_col` <= landmark, else `not_label`; a Categorical with `not_label` first (the
    reference of the hazard ratio).
    """
    t = df[time_col].astype(float)
    e = df[event_col].astype(bool)
    gone = t <= landmark
    excluded = pd.DataFrame(
        {
            "reason": [
                f"event on or before the landmark (day {landmark:g})",
                f"censored on or before the landmark (day {landmark:g})",
            ],
            "n": [int((gone & e).sum()), int((gone & ~e).sum())],
        }
    )
    kept = df.loc[~gone].copy()
    known = kept[known_col].astype(float) <= landmark  # NaN (never) -> False
    labels = kept[group_col].astype(str) if group_col else pd.Series(known_label, kept.index)
    values = labels.where(known, not_label)
    levels = [not_label] + sorted(set(values) - {not_label})
    kept[GROUP] = pd.Categorical(values, levels)
    kept[TIME] = t[~gone] - landmark
    kept[EVENT] = e[~gone].astype(int)
    return kept, excluded


def landmark_analysis(
    df: pd.DataFrame,
    landmark: float,
    known_col: str,
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
    known_label: str = "by landmark",
    not_label: str = "not by landmark",
) -> LandmarkResult:
    """KM curves (log-log CIs), medians, log-rank and Cox HR (vs `not_label`) by status at L."""
    pop, excluded = landmark_population(
        df, landmark, known_col, time_col, event_col, group_col, known_label, not_label
    )
    if pop.empty:
        return LandmarkResult(landmark, pop, excluded, pd.DataFrame(), pd.DataFrame(), None, None)
    return LandmarkResult(
        landmark,
        pop,
        excluded,
        curves=km_table(pop, TIME, EVENT, GROUP),
        medians=km_median(pop, TIME, EVENT, GROUP),
        logrank=logrank(pop, TIME, EVENT, GROUP),
        cox=cox_model(pop, GROUP, TIME, EVENT, reference=not_label)
        if pop[GROUP].nunique() > 1 and (pop[GROUP] == not_label).any()
        else None,
    )


@dataclass(frozen=True)
class GuaranteeTimeCheck:
    """Whether a grouping is only known after baseline, so that comparing from day 0 is biased."""

    post_baseline: bool
    n_known_after_baseline: int
    first_known_day: float | None
    median_known_day: float | None
    message: str


def guarantee_time_check(
    df: pd.DataFrame, known_col: str, *, baseline_day: float = 0.0, label: str | None = None
) -> GuaranteeTimeCheck:
    """Post-baseline if any patient's status is known only after `baseline_day` (`known_col` >
    baseline_day; NaN = never reached, not counted). The message is for the UI's warning."""
    days = df[known_col].astype(float).dropna()
    after = days[days > baseline_day]
    name = label or known_col
    if after.empty:
        return GuaranteeTimeCheck(
            False,
            0,
            _num(days.min()),
            _num(days.median()),
            f"{name} is known at baseline: no guarantee-time bias",
        )
    return GuaranteeTimeCheck(
        True,
        len(after),
        _num(after.min()),
        _num(after.median()),
        f"{name} is known only after baseline (for {len(after)} patients, from day "
        f"{after.min():g}, median day {after.median():g}): comparing survival by it from day 0 "
        "credits its group with the time needed to reach it (guarantee-time, or immortal-time, "
        "bias). Use a landmark analysis (groups fixed at a landmark, e.g. 3 or 6 months) or a "
        "time-dependent Cox model.",
    )


def _num(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
