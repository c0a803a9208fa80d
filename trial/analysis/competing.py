"""Gray's test: do the cumulative incidence functions of one cause differ between groups?

Gray RJ (1988), "A class of K-sample tests for comparing the cumulative incidence of a competing
risk", Ann Stat 16:1141-1154, as computed by R's `cmprsk::cuminc(ftime, fstatus, group, strata,
rho)$Tests` (Fortran routine `crstm`). No maintained Python implementation was found (lifelines
and scikit-survival have none; the packages on PyPI that offer it are young one-author ports or
wrappers that need R), so it is written here from the paper's score and variance, vectorised
over event times, and tested against cmprsk to 1e-8.

Conventions
    status: 0 censored, `event_of_interest` (default 1) the cause tested, any other code a
    competing event. rho: the weight (1 - F(t-))^rho of the pooled CIF; rho = 0 (cmprsk's default)
    gives a log-rank-like test of the subdistribution hazards. With strata, the scores and
    variances are summed over strata (the CIFs are estimated within strata). Statistic
    s' V^-1 s on the scores of the first K - 1 groups (invariant to which group is left out),
    chi-square with K - 1 df. Missing group values form a "Missing" group, as in
    `trial.survival`; the group order is that of `trial.survival._groups`.

Conventions check (tests/test_gray.py): cuminc's CIF estimates equal our Aalen-Johansen
(`trial.survival.cumulative_incidence`) at every event time. Its variances do not equal ours:
cuminc uses an Aalen-type variance (d/n^2 terms), our CIs the delta-method (Greenwood-type,
d(n-d)/n^3) variance of lifelines; the two differ by O(1/n^2) and both are consistent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..survival import RELAPSE, groups_of


@dataclass(frozen=True)
class GrayTest:
    """Gray's K-sample test of one cause: statistic, df, p, the groups compared, a message."""

    statistic: float
    df: int
    p: float
    groups: tuple[str, ...]
    event_of_interest: int
    rho: float
    message: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["groups"] = list(self.groups)
        for k in ("statistic", "p"):
            d[k] = d[k] if np.isfinite(d[k]) else None
        return d


def _counts(t, cause, g, n_groups):
    """Event times of any cause, and per time and group: at risk, cause-1 and other deaths."""
    times = np.unique(t[cause > 0])
    at_risk = np.zeros((len(times), n_groups))
    d1 = np.zeros_like(at_risk)
    d2 = np.zeros_like(at_risk)
    for k in range(n_groups):
        tk = np.sort(t[g == k])
        at_risk[:, k] = len(tk) - np.searchsorted(tk, times, side="left")
    rows = np.searchsorted(times, t)
    for d, code in ((d1, 1), (d2, 2)):
        hit = cause == code
        np.add.at(d, (rows[hit], g[hit]), 1)
    return at_risk, d1, d2


def _lag(x: np.ndarray, first: float) -> np.ndarray:
    """x at the previous event time (left-continuous), `first` before the first."""
    return np.concatenate([np.full((1,) + x.shape[1:], first), x[:-1]], axis=0)


def _stratum_score(t, cause, g, n_groups, rho):
    """Score vector (K - 1) and its variance (K - 1, K - 1) in one stratum."""
    n, d1, d2 = _counts(t, cause, g, n_groups)
    live = n > 0
    safe_n = np.where(live, n, 1.0)
    surv = np.cumprod(1 - np.where(live, (d1 + d2) / safe_n, 0), axis=0)  # KM, all causes
    surv_m = _lag(surv, 1.0)
    cif_m = _lag(np.cumsum(surv_m * np.where(live, d1 / safe_n, 0), axis=0), 0.0)
    h = np.where(live, n / np.where(live, surv_m, 1.0), 0.0)  # at risk / S(t-)
    risk = h * (1 - cif_m)  # Gray's R_k: the subdistribution risk set, reweighted
    tr, tq = h.sum(1), risk.sum(1)
    nd1 = d1.sum(1)
    f = np.cumsum(nd1 / tr)  # pooled CIF under the null
    fm = _lag(f, 0.0)
    w = (1 - fm) ** rho
    score = (w[:, None] * (d1 - nd1[:, None] * risk / tq[:, None])).sum(0)
    # a[j] = w h_i (delta_ik - h_k / tr): derivative of the score in the group's CIF increments
    a = (
        w[:, None, None]
        * h[:, :, None]
        * (np.eye(n_groups)[None] - h[:, None, :] / tr[:, None, None])
    )
    c = np.cumsum(a * (nd1 / (tr * (1 - fm)))[:, None, None], axis=0)
    c_end = c[-1]
    var = _cause1_variance(a, c, c_end, surv, surv_m, f, n, tr, nd1)
    var += _other_cause_variance(c, c_end, surv, surv_m, f, n, d2)
    return score[:-1], var[:-1, :-1]


def _cause1_variance(a, c, c_end, surv, surv_m, f, n, tr, nd1):
    live = (n > 0) & (nd1 > 0)[:, None]
    pos = surv > 0
    t4 = np.where(pos, 1 - (1 - f)[:, None] / np.where(pos, surv, 1.0), 1.0)
    ties = np.where(
        nd1[:, None] > 1,
        1 - (nd1[:, None] - 1) / (tr[:, None] * surv_m - 1 + (nd1[:, None] <= 1)),
        1.0,
    )  # correction for tied events
    t3 = np.where(live, ties * surv_m * nd1[:, None] / (tr[:, None] * np.where(live, n, 1.0)), 0.0)
    w = a - t4[:, None, :] * (c - c_end[None])
    return np.einsum("jik,jlk,jk->il", w, w, t3)


def _other_cause_variance(c, c_end, surv, surv_m, f, n, d2):
    hit = (surv > 0) & (d2 > 0)
    t4 = np.where(hit, (1 - f)[:, None] / np.where(hit, surv, 1.0), 0.0)
    safe_n = np.where(hit, n, 2.0)
    ties = np.where(d2 > 1, 1 - (d2 - 1) / (safe_n - 1), 1.0)
    t3 = np.where(hit, ties * surv_m**2 * d2 / safe_n**2, 0.0)
    w = t4[:, None, :] * (c_end[None] - c)
    return np.einsum("jik,jlk,jk->il", w, w, t3)


def _summed_over_strata(t, cause, g, st, k, rho):
    score, var = np.zeros(k - 1), np.zeros((k - 1, k - 1))
    for s in pd.unique(st):
        m = st == s
        if (cause[m] > 0).any():
            sc, v = _stratum_score(t[m], cause[m], g[m], k, rho)
            score, var = score + sc, var + v
    return score, var


def gray_test(
    df: pd.DataFrame,
    group_col: str,
    time_col: str = "time",
    status_col: str = "status",
    event_of_interest: int = RELAPSE,
    strata: str | None = None,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's test that the CIF of `event_of_interest` is the same in every group of
    `group_col` (see the module docstring). Fewer than two groups: NaN with a message."""
    groups = groups_of(df, group_col)
    labels = tuple(g for g, _ in groups)
    k = len(groups)
    if k < 2:
        return GrayTest(
            np.nan, 0, np.nan, labels, event_of_interest, rho, "fewer than two groups: no test"
        )
    rows = pd.concat([d.assign(_g=i) for i, (_, d) in enumerate(groups)])
    status = rows[status_col].astype(int).to_numpy()
    cause = np.where(status == event_of_interest, 1, np.where(status == 0, 0, 2))
    t = rows[time_col].astype(float).to_numpy()
    g = rows["_g"].to_numpy()
    st = np.zeros(len(rows)) if strata is None else rows[strata].astype(str).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        score, var = _summed_over_strata(t, cause, g, st, k, rho)
    if not np.isfinite(var).all() or np.linalg.matrix_rank(var) < k - 1:
        return GrayTest(
            np.nan,
            k - 1,
            np.nan,
            labels,
            event_of_interest,
            rho,
            "the variance matrix is singular (e.g. a group without any event of "
            "interest or competing event): no test",
        )
    stat = float(score @ np.linalg.solve(var, score))
    return GrayTest(stat, k - 1, float(stats.chi2.sf(stat, k - 1)), labels, event_of_interest, rho)
