"""Between-arm comparison at each visit: analysis of covariance of the change from baseline.

    model  change = intercept + beta * baseline + arm effects (treatment contrasts)
    at each post-baseline visit, in the patients with a baseline and a value at that visit.

`ancova(values)` fits it with least squares and returns, per visit, the arms' least-squares
means (at the mean baseline of the patients analysed, as R's emmeans), each arm's difference
from the reference arm (placebo where an arm is so named, else the first) with its standard
error, 95 % t interval and p-value, and the overall F test of no difference between arms
(k - 1 and n - k - 1 degrees of freedom). The same numbers as R's
`lm(chg ~ base + arm)`, `anova()` and `emmeans(fit, "arm")` (tools/r_reference/ancova_reference.R).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from ..model import BASELINE_MONTH

MODEL = (
    "ANCOVA of the change from baseline, with baseline as covariate and arm as factor, "
    "at each visit (patients with both values)"
)
SHORT_NAME = "ANCOVA (change ~ baseline + arm)"
LEVEL = 0.95
REFERENCE_WORDS = re.compile(r"placebo|control|vehicle|standard of care|sham", re.I)
LSMEAN_COLUMNS = ["month", "group", "n", "lsmean", "se", "lower", "upper"]
CONTRAST_COLUMNS = [
    "month",
    "term",
    "group",
    "reference",
    "n",
    "estimate",
    "se",
    "lower",
    "upper",
    "df",
    "statistic",
    "p",
]


def reference_level(levels: list[str]) -> str:
    """The arm the others are compared with: one named placebo (control, vehicle...), else the
    first."""
    return next((lv for lv in levels if REFERENCE_WORDS.search(str(lv))), levels[0])


def _design(base: np.ndarray, groups: pd.Categorical) -> np.ndarray:
    """Columns: intercept, baseline, one indicator per non-reference level."""
    dummies = [(groups.codes == i).astype(float) for i in range(1, len(groups.categories))]
    return np.column_stack([np.ones(len(base)), base, *dummies])


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Least squares: coefficients, their covariance, residual sum of squares, residual df."""
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    df = len(y) - x.shape[1]
    rss = float(resid @ resid)
    sigma2 = rss / df if df > 0 else np.nan
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    return coef, cov, rss, df


def _one_visit(
    month, d: pd.DataFrame, levels: list[str], reference: str
) -> tuple[list[dict], list[dict]]:
    present = [lv for lv in levels if (d["group"] == lv).any()]
    order = (
        [reference] + [lv for lv in present if lv != reference] if reference in present else present
    )
    groups = pd.Categorical(d["group"], order)
    base = d["baseline"].to_numpy(float)
    y = d["change"].to_numpy(float)
    x = _design(base, groups)
    k = len(order)
    n = len(y)
    if k < 2 or n - x.shape[1] < 1 or np.linalg.matrix_rank(x) < x.shape[1]:
        return [], []
    coef, cov, rss, df = _fit(x, y)
    t_crit = stats.t.ppf(0.5 + LEVEL / 2, df)
    lsmeans, contrasts = [], []
    mean_base = base.mean()
    for i, lv in enumerate(order):
        c = np.zeros(x.shape[1])
        c[0], c[1] = 1.0, mean_base
        if i:
            c[1 + i] = 1.0
        est, se = float(c @ coef), float(np.sqrt(c @ cov @ c))
        lsmeans.append(
            {
                "month": month,
                "group": lv,
                "n": int((groups.codes == i).sum()),
                "lsmean": est,
                "se": se,
                "lower": est - t_crit * se,
                "upper": est + t_crit * se,
            }
        )
        if i:
            d_est, d_se = float(coef[1 + i]), float(np.sqrt(cov[1 + i, 1 + i]))
            t = d_est / d_se
            contrasts.append(
                {
                    "month": month,
                    "term": "difference",
                    "group": lv,
                    "reference": reference,
                    "n": n,
                    "estimate": d_est,
                    "se": d_se,
                    "lower": d_est - t_crit * d_se,
                    "upper": d_est + t_crit * d_se,
                    "df": df,
                    "statistic": t,
                    "p": float(2 * stats.t.sf(abs(t), df)),
                }
            )
    # Overall F test: the model without arm (change ~ baseline) against the full model.
    _, _, rss0, _ = _fit(x[:, :2], y)
    f = ((rss0 - rss) / (k - 1)) / (rss / df)
    contrasts.insert(
        0,
        {
            "month": month,
            "term": "overall",
            "group": None,
            "reference": reference,
            "n": n,
            "estimate": np.nan,
            "se": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "df": df,
            "statistic": float(f),
            "p": float(stats.f.sf(f, k - 1, df)),
        },
    )
    return lsmeans, contrasts


def ancova(
    values: pd.DataFrame, levels: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Least-squares means and contrasts (see the module) of `values`: one row per patient and
    visit with columns month, group, baseline, change (as `trial.stats.measure_values` gives,
    with the patient's group). `levels`: the arms in display order (default: as they come)."""
    d = values.loc[values["month"] != BASELINE_MONTH].dropna(subset=["baseline", "change", "group"])
    levels = list(levels) if levels is not None else list(pd.unique(d["group"]))
    if d.empty or len(levels) < 2:
        return pd.DataFrame(columns=LSMEAN_COLUMNS), pd.DataFrame(columns=CONTRAST_COLUMNS)
    reference = reference_level([lv for lv in levels if (d["group"] == lv).any()] or levels)
    lsm, con = [], []
    for month, g in d.groupby("month", sort=True):
        a, b = _one_visit(month, g, levels, reference)
        lsm += a
        con += b
    return (pd.DataFrame(lsm, columns=LSMEAN_COLUMNS), pd.DataFrame(con, columns=CONTRAST_COLUMNS))
