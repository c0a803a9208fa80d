"""Multiplicity across visits and a small-numbers rule for the per-visit paired tests.

`adjust_p` matches R's `p.adjust(p, method)` for "none", "holm" and "hochberg", computed as R
does (cumulative max, resp. min, of (m - i + 1) p_(i) over the sorted p-values, capped at 1;
statsmodels' `multipletests` gives the same numbers but runs a full garbage collection on every
call, 0.1-0.5 s each: too slow for a view with a family per group and panel); missing p-values
stay missing and are not counted in the number of tests, as R does by default (n = number of
non-missing p).

`visit_p_values` applies to the frame of `trial.stats.visit_summary`/`grouped_visit_summary`
(columns group, month, n, n_paired, p_vs_baseline):
    * small numbers: where n_paired < `min_paired` the p-value is set to NaN and `too_few` to
      True. Default 6: with fewer than 6 pairs the two-sided exact Wilcoxon signed-rank p-value
      cannot go below 2 / 2^n (0.0625 for n = 5), so no result could be significant whatever the
      data, and a paired t-test on 4 degrees of freedom or fewer rests wholly on a normality that
      cannot be checked; a p-value shown there would be read as evidence it is not.
    * the adjusted p-values (`p_adjusted`), per group across its follow-up visits (the family
      of tests shown as stars on one curve), after the small-numbers rule.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Method = Literal["none", "holm", "hochberg"]
METHODS = ("holm", "hochberg")
MIN_PAIRED = 6


def _step(p: np.ndarray, method: str) -> np.ndarray:
    """R's p.adjust for non-missing p: Holm step-down, Hochberg step-up."""
    m = len(p)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    else:
        order = np.argsort(p, kind="stable")[::-1]  # largest first
        adjusted = np.minimum(1.0, np.minimum.accumulate((np.arange(m) + 1) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust_p(p, method: Method = "holm") -> np.ndarray:
    """Adjusted p-values (same order); NaN stays NaN and does not count as a test."""
    p = np.asarray(p, float)
    if method == "none":
        return p.copy()
    if method not in METHODS:
        raise ValueError(f"method must be 'none', 'holm' or 'hochberg', not {method!r}")
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = _step(p[ok], method)
    return out


def visit_p_values(
    summary: pd.DataFrame, method: Method = "holm", min_paired: int = MIN_PAIRED
) -> pd.DataFrame:
    """A copy of `summary` with p_vs_baseline NaN where n_paired < min_paired, `too_few`, and
    `p_adjusted` (per group across visits; no `group` column: one family)."""
    out = summary.copy()
    too_few = (out["n_paired"] < min_paired) & (out["month"] != 0)
    out["too_few"] = too_few
    out["p_vs_baseline"] = out["p_vs_baseline"].mask(too_few)
    by = out["group"] if "group" in out else pd.Series("All", index=out.index)
    out["p_adjusted"] = np.nan
    for idx in out.groupby(by, sort=False).groups.values():
        out.loc[idx, "p_adjusted"] = adjust_p(out.loc[idx, "p_vs_baseline"], method)
    out["adjustment"] = method
    return out
