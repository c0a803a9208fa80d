"""Headline figures of a trial as plain data, for `python -m trial summary` and the tests."""
from __future__ import annotations

import math

from .model import Trial
from .stats import headline_counts, measure_values, visit_summary


def _clean(x):
    """JSON has no NaN: report undefined statistics as null."""
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def measure_summary(trial: Trial, code: str, test: str = "paired_t") -> dict:
    measure = trial.study.measure(code)
    values = measure_values(trial, code, trial.patients)
    table = visit_summary(values, trial.study.visit_months, "value", test)
    visits = [
        {k: _clean(v.item() if hasattr(v, "item") else v) for k, v in row.items()
         if k in ("month", "n", "mean", "sd", "median", "q1", "q3", "n_paired", "p_vs_baseline")}
        for row in table.to_dict("records")
    ]
    return {"label": measure.label, "unit": measure.unit, "unit_assumed": measure.unit_assumed,
            "population": measure.population, "test": test, "visits": visits}


def relapses_by_month(patients, months) -> dict:
    """Cumulative relapses recorded by each visit's target day (e.g. 9 months = day 273)."""
    days = patients.loc[patients["relapse"], "relapse_day"].astype(float)
    return {str(m): int((days <= VISIT_DAYS.get(m, m * 30.4375)).sum()) for m in months}


# Target days of the scheduled visits in the trial's protocol (month -> day).
VISIT_DAYS = {1: 30, 3: 91, 6: 182, 9: 273, 12: 365}


def build_summary(trial: Trial, by: str | None = None) -> dict:
    patients = trial.patients
    counts = headline_counts(patients)
    summary = {
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
        "measures": {code: measure_summary(trial, code) for code in trial.measure_codes},
        "warnings": [str(f) for f in trial.warnings],
    }
    try:
        from .survival import survival_summary
    except ImportError:  # survival statistics are optional for this summary
        return summary
    summary["survival"] = survival_summary(trial, by=by)
    return summary
