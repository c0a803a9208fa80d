"""Headline figures of a trial as plain data, for `python -m trial summary` and the tests.

Every statistic comes from the analysis engine (trial/analysis), the same functions the
dashboard's views and exports read, so the JSON and the screen cannot disagree.
"""
from __future__ import annotations

from .analysis.cohort import NO_GROUP, Cohort
from .analysis.published import relapses_by_month
from .analysis.records import records
from .analysis.survival import survival_summary
from .analysis.trajectories import TrajectoryRequest, analyse_trajectories
from .model import Trial
from .stats import headline_counts

VISIT_KEYS = ("month", "n", "mean", "sd", "ci_low", "ci_high", "median", "q1", "q3",
              "n_paired", "p_vs_baseline")


def measure_summary(trial: Trial, code: str, test: str = "paired_t", by: str | None = None,
                    cohort: Cohort = Cohort()) -> dict:
    """Per-visit statistics of one measure (values, paired test against baseline); with `by`,
    per group as well (`groups`: group label -> visits)."""
    measure = trial.study.measure(code)
    out = {"label": measure.label, "unit": measure.unit, "unit_assumed": measure.unit_assumed,
           "population": measure.population, "test": test,
           "visits": _visits(trial, code, test, NO_GROUP, cohort)[0]["visits"]
           if len(cohort.patients(trial)) else []}
    if by is not None:
        out["by"] = by
        out["groups"] = {g["group"]: g["visits"] for g in _visits(trial, code, test, by,
                                                                  cohort)}
    return out


def _visits(trial: Trial, code: str, test: str, group: str, cohort: Cohort) -> list[dict]:
    result = analyse_trajectories(trial, TrajectoryRequest(cohort, code, group, "value", test))
    out = []
    for panel in result.panels:
        for g, rows in panel.summary.groupby("group", sort=False):
            out.append({"group": g, "visits": records(rows[list(VISIT_KEYS)])})
    return out


def build_summary(trial: Trial, by: str | None = None) -> dict:
    patients = trial.patients
    counts = headline_counts(patients)
    return {
        "study": trial.study.short_title,
        "registry_id": trial.study.registry_id,
        "data_status": trial.study.data_status,
        "patients": counts["patients"],
        "centers": {c: int((patients["center"] == c).sum()) for c in trial.centers},
        "response": {"MCR": counts["mcr"], "PCR": counts["pcr"], "NR": counts["nr"]},
        "deaths": counts["deaths"],
        "alive_at_12_months": counts["alive_at_day"],
        "relapses": counts["relapses"],
        "relapses_by_month": relapses_by_month(patients, (9, 12)),
        "measures": {code: measure_summary(trial, code, by=by) for code in trial.measure_codes},
        "warnings": [str(f) for f in trial.warnings],
        "survival": survival_summary(trial, by=by),
    }
