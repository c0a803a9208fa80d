"""Per-visit summaries of a measure and paired tests against baseline.

All functions take and return DataFrames and never modify their inputs.
"""

from __future__ import annotations

from typing import Literal, cast

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
    m = trial.measure_table(code)
    rows = m.loc[m["patient_id"].isin(patients["patient_id"])]
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
    exact = (
        len(nonzero) < 50
        and len(nonzero) == len(diff)
        and len(np.unique(np.abs(nonzero))) == len(nonzero)
    )
    if exact:
        return float(stats.wilcoxon(diff, method="exact").pvalue)
    return float(
        stats.wilcoxon(diff, zero_method="wilcox", correction=True, method="approx").pvalue
    )


SUMMARY_COLUMNS = [
    "month",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "median",
    "q1",
    "q3",
    "n_paired",
    "p_vs_baseline",
]


def _descriptives(values: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """n, mean, SD, mean 95 % t-interval, median and quartiles per (group, month)."""
    x = values.dropna(subset=[scale]).groupby(["group", "month"], sort=False)[scale]
    # named aggregation gives a DataFrame (one column per name); pandas-stubs say Series
    out = cast(pd.DataFrame, x.agg(n="count", mean="mean", sd="std", median="median"))
    # linear interpolation, as R's type 7; no values at all (a measure without baseline, on a
    # change scale): no quartile columns, hence the reindex
    quartiles = x.quantile(np.array([0.25, 0.75])).unstack().reindex(columns=[0.25, 0.75])
    out["q1"], out["q3"] = quartiles[0.25], quartiles[0.75]
    n = out["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.975, n - 1) * out["sd"] / np.sqrt(n)
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out


def _paired_tests(values: pd.DataFrame, test: Test) -> pd.DataFrame:
    """n and p of the paired test of each follow-up visit against baseline, per group."""
    paired = values.loc[values["month"] != BASELINE_MONTH].dropna(subset=["value", "baseline"])
    diff = (paired["value"] - paired["baseline"]).groupby(
        [paired["group"], paired["month"]], sort=False
    )
    if test == "wilcoxon":
        p = diff.apply(lambda d: paired_p_value(np.zeros(len(d)), d.to_numpy(float), test))
        return pd.DataFrame({"n_paired": diff.size(), "p_vs_baseline": p})
    # Paired t-test, vectorised over all groups and visits: t = mean(d) / (sd(d) / sqrt(n)).
    agg = diff.agg(["size", "mean", "std"])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = agg["mean"] / (agg["std"] / np.sqrt(agg["size"]))
    p = pd.Series(2 * stats.t.sf(np.abs(t), agg["size"] - 1), index=agg.index)
    undefined = (agg["size"] < 2) | ~(agg["std"] > 0)
    return pd.DataFrame({"n_paired": agg["size"], "p_vs_baseline": p.mask(undefined)})


def _summarise(values: pd.DataFrame, months, scale: Scale, test: Test) -> pd.DataFrame:
    """One row per group and scheduled visit, visits without data included with n = 0."""
    levels = list(pd.unique(values["group"]))
    grid = pd.MultiIndex.from_product([levels, list(months)], names=["group", "month"])
    out = _descriptives(values, scale).reindex(grid).join(_paired_tests(values, test).reindex(grid))
    out = out.reset_index()
    out["n"] = out["n"].fillna(0).astype(int)
    out["n_paired"] = out["n_paired"].fillna(0).astype(int)
    return out[SUMMARY_COLUMNS + ["group"]]


def visit_summary(
    values: pd.DataFrame,
    months: list[int] | tuple[int, ...],
    scale: Scale = "value",
    test: Test = "paired_t",
) -> pd.DataFrame:
    """One row per scheduled visit: descriptive statistics of `scale` and the paired test.

    The test compares each visit's value with the same patients' baseline value (patients with
    both values only, `n_paired`). On the change scales the test is the same, as testing a mean
    change of zero is the paired test. Visits without data keep a row with n = 0.
    """
    return _summarise(values.assign(group="All"), months, scale, test).drop(columns="group")


def grouped_visit_summary(
    values: pd.DataFrame,
    patients: pd.DataFrame,
    group_col: str | None,
    months,
    scale: Scale = "value",
    test: Test = "paired_t",
) -> pd.DataFrame:
    """`visit_summary` per level of a patient column (or once, group "All", when None)."""
    groups: str | pd.Series
    if group_col is None:
        groups = "All"
    else:
        groups = values["patient_id"].map(patients.set_index("patient_id")[group_col])
    labelled = values.assign(group=groups).dropna(subset=["group"])
    if labelled.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS + ["group"])
    return _summarise(labelled, months, scale, test)


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
