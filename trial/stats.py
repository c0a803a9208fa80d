"""Per-visit summaries of a measure and paired tests against baseline.

All functions take and return DataFrames and never modify their inputs.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .model import Trial

Scale = Literal["value", "change", "pct_change"]
Test = Literal["paired_t", "wilcoxon"]

SCALE_LABELS = {
    "value": "Value",
    "change": "Change from baseline",
    "pct_change": "% change from baseline",
}
TEST_LABELS = {
    "paired_t": "paired t-test",
    "wilcoxon": "Wilcoxon signed-rank test",
}
BASELINE_MONTH = 0


def measure_values(trial: Trial, code: str, patients: pd.DataFrame) -> pd.DataFrame:
    """Long values of one measure for the given patients, restricted to the measure's population.

    Columns: patient_id, month, day, value, provenance, plus baseline and the two change scales.
    """
    measure = trial.study.measure(code)
    if measure.population and measure.population in patients:
        patients = patients.loc[patients[measure.population].eq(True)]
    m = trial.measurements
    rows = m.loc[(m["measure"] == code) & m["patient_id"].isin(patients["patient_id"])]
    cols = [c for c in ("patient_id", "month", "day", "value", "provenance") if c in rows]
    return with_change_from_baseline(rows[cols])


def with_change_from_baseline(values: pd.DataFrame) -> pd.DataFrame:
    """Add `baseline`, `change` and `pct_change`. Patients without a baseline get NaN changes."""
    base = values.loc[values["month"] == BASELINE_MONTH].set_index("patient_id")["value"]
    out = values.assign(baseline=values["patient_id"].map(base))
    out["change"] = out["value"] - out["baseline"]
    # A zero baseline has no defined percentage change.
    out["pct_change"] = 100 * out["change"] / out["baseline"].where(out["baseline"] != 0)
    return out.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def paired_p_value(before: np.ndarray, after: np.ndarray, test: Test) -> float:
    """Two-sided p-value of a paired test; NaN when it is undefined (n < 2 or no variation)."""
    diff = after - before
    if len(diff) < 2 or (test == "paired_t" and np.allclose(diff, diff[0])):
        return float("nan")
    if test == "wilcoxon":
        if np.all(diff == 0):
            return float("nan")
        return wilcoxon_p_value(diff)
    return float(stats.ttest_rel(after, before).pvalue)


def wilcoxon_p_value(diff: np.ndarray) -> float:
    """Wilcoxon signed-rank p-value with R's `wilcox.test` conventions.

    Exact when there are fewer than 50 non-zero differences and no ties or zeros; otherwise the
    normal approximation with continuity correction (zeros dropped), as R does.
    """
    nonzero = diff[diff != 0]
    exact = len(nonzero) < 50 and len(nonzero) == len(diff) and \
        len(np.unique(np.abs(nonzero))) == len(nonzero)
    if exact:
        return float(stats.wilcoxon(diff, method="exact").pvalue)
    return float(stats.wilcoxon(diff, zero_method="wilcox", correction=True,
                                method="approx").pvalue)


def _describe(values: pd.Series) -> dict:
    """Mean, SD, mean 95 % t-interval, median and quartiles of one visit."""
    v = values.dropna().to_numpy(dtype=float)
    n = len(v)
    if n == 0:
        return {"n": 0}
    mean = v.mean()
    sd = v.std(ddof=1) if n > 1 else float("nan")
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else float("nan")
    q1, median, q3 = np.percentile(v, [25, 50, 75])
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half,
            "median": median, "q1": q1, "q3": q3}


SUMMARY_COLUMNS = ["month", "n", "mean", "sd", "ci_low", "ci_high", "median", "q1", "q3",
                   "n_paired", "p_vs_baseline"]


def visit_summary(values: pd.DataFrame, months: list[int] | tuple[int, ...],
                  scale: Scale = "value", test: Test = "paired_t") -> pd.DataFrame:
    """One row per scheduled visit: descriptive statistics of `scale` and the paired test.

    The test compares each visit's value with the same patients' baseline value (patients with
    both values only, `n_paired`). On the change scales the test is the same, as testing a mean
    change of zero is the paired test. Visits without data keep a row with n = 0.
    """
    rows = []
    by_month = {m: g for m, g in values.groupby("month")}
    for month in months:
        visit = by_month.get(month, values.iloc[0:0])
        row = {"month": month, **_describe(visit[scale])}
        paired = visit.dropna(subset=["value", "baseline"])
        row["n_paired"] = len(paired) if month != BASELINE_MONTH else 0
        row["p_vs_baseline"] = (
            paired_p_value(paired["baseline"].to_numpy(float), paired["value"].to_numpy(float), test)
            if month != BASELINE_MONTH else float("nan")
        )
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    out["n"] = out["n"].fillna(0).astype(int)
    return out


def grouped_visit_summary(values: pd.DataFrame, patients: pd.DataFrame, group_col: str | None,
                          months, scale: Scale = "value", test: Test = "paired_t") -> pd.DataFrame:
    """`visit_summary` per level of a patient column (or once, group "All", when None)."""
    if group_col is None:
        return visit_summary(values, months, scale, test).assign(group="All")
    groups = values["patient_id"].map(patients.set_index("patient_id")[group_col])
    parts = [visit_summary(values.loc[groups == level], months, scale, test).assign(group=level)
             for level in pd.unique(groups.dropna())]
    if not parts:
        return pd.DataFrame(columns=SUMMARY_COLUMNS + ["group"])
    return pd.concat(parts, ignore_index=True)


def headline_counts(patients: pd.DataFrame, day: float = 365) -> dict:
    """Counts for the headline cards, as recorded, for the selected patients."""
    died_by = patients["death"] & (patients["death_day"].astype(float) <= day)
    return {
        "patients": len(patients),
        "alive_at_day": int((~died_by).sum()),
        "deaths": int(patients["death"].sum()),
        "mcr": int((patients["response"] == "MCR").sum()),
        "pcr": int((patients["response"] == "PCR").sum()),
        "nr": int((patients["response"] == "NR").sum()),
        "relapses": int(patients["relapse"].sum()),
    }
