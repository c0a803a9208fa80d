"""A linear mixed model for repeated measures, as an option beside the observed means per visit.

Model (REML; R: `nlme::lme(y ~ visit * group, random = ~ 1 | id, method = "REML")`,
`lme4::lmer(y ~ visit * group + (1 | id))`):
    values   y = visit x group (visit categorical; first visit and first group the reference
             levels) + a random intercept per patient + residual error.
    change   change from baseline at the follow-up visits: y = visit x group + baseline (numeric
             covariate), same random intercept (the ANCOVA form of a repeated-measures analysis).
Estimated marginal means per visit and group (as R's emmeans): the model's prediction for that
cell with the baseline covariate at its mean over the observations used, SE from the fixed
effects' covariance; 95 % CI with the NORMAL reference (estimate +- 1.96 SE), as statsmodels
reports its own tests. emmeans on an lme fit would use t with "containment" degrees of freedom,
which gives slightly wider intervals at small n; the tests compare with the normal reference
computed by hand in R from fixef() and vcov().

Fit: the REML likelihood profiled on the one variance ratio lambda = patient variance / residual
variance (fixed effects and residual variance in closed form, as lme4 profiles), maximised over
sqrt(lambda) >= 0 by a grid and Brent's method, so that a patient variance at the boundary (0) is
reached exactly. Milliseconds per fit (statsmodels' `MixedLM` took 1-10 s on these data, too
slow for a view that refits on every filter change); the tests compare with nlme and lme4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

Scale = Literal["value", "change"]

ASSUMPTIONS = (
    "Random intercept per patient: compound symmetry, i.e. the same variance at every visit and "
    "the same correlation between any two visits of a patient (intraclass correlation = "
    "patient variance / total variance). This is not an unstructured MMRM (a separate variance "
    "per visit and covariance per pair of visits, e.g. SAS PROC MIXED TYPE=UN or R's mmrm). "
    "Patients with missing visits contribute the visits they have (valid if the data are "
    "missing at random). Fitted by REML; CIs use the normal reference."
)


BOUNDARY = (
    "the patient variance is estimated at 0 (the boundary): the visits of a patient are "
    "modelled as uncorrelated"
)


@dataclass(frozen=True)
class MixedResult:
    """`fixed`: term (R's names, e.g. "visit3:groupPCR"), estimate, se, z, p; `variance`:
    component (patient, residual), variance; `emm`: visit, group, estimate, se, lower, upper."""

    scale: str
    n_patients: int
    n_observations: int
    fixed: pd.DataFrame
    variance: pd.DataFrame
    emm: pd.DataFrame
    reml_loglik: float
    converged: bool
    assumptions: str
    messages: tuple[str, ...]


def _prepare(values: pd.DataFrame, group_col: str, scale: Scale) -> tuple[pd.DataFrame, str]:
    """The model's rows (id, visit, group, the outcome, baseline for "change"; visit and group
    as categoricals of the levels present) and the outcome's column."""
    cols = {"patient_id": "id", "month": "visit", group_col: "group"}
    d = values.rename(columns=cols)
    y = "value" if scale == "value" else "change"
    keep = ["id", "visit", "group", y] + (["baseline"] if scale == "change" else [])
    if scale == "change":
        d = d.loc[d["visit"] != 0]
    d = d[keep].dropna()
    for c, original in (("visit", "month"), ("group", group_col)):
        if isinstance(values[original].dtype, pd.CategoricalDtype):
            levels = list(values[original].cat.categories)
        else:
            levels = sorted(d[c].unique(), key=lambda v: (str(type(v)), v))
        present = set(d[c].unique())
        d[c] = pd.Categorical(d[c], [v for v in levels if v in present])
    return d.reset_index(drop=True), y


def _design(d: pd.DataFrame) -> pd.DataFrame:
    """R's model matrix of y ~ visit * group (+ baseline): treatment contrasts against the
    first levels, columns named and ordered as R names them ("visit3:groupPCR")."""
    visits, groups = list(d["visit"].cat.categories), list(d["group"].cat.categories)
    vc, gc = d["visit"].cat.codes.to_numpy(), d["group"].cat.codes.to_numpy()
    cols: dict[str, np.ndarray] = {"(Intercept)": np.ones(len(d))}
    cols.update({f"visit{v}": (vc == i).astype(float) for i, v in enumerate(visits) if i})
    cols.update({f"group{g}": (gc == j).astype(float) for j, g in enumerate(groups) if j})
    if "baseline" in d:
        cols["baseline"] = d["baseline"].to_numpy(float)
    cols.update(
        {
            f"visit{v}:group{g}": ((vc == i) & (gc == j)).astype(float)
            for j, g in enumerate(groups)
            if j
            for i, v in enumerate(visits)
            if i
        }
    )
    return pd.DataFrame(cols, index=d.index)


def patient_sums(x: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows per patient and the column sums of `x` (n x p, or n) per patient, in the order of
    np.unique(ids) (sorted segments summed with reduceat: np.add.at is ~100 times slower)."""
    codes = np.unique(ids, return_inverse=True)[1]
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    return sizes.astype(float), np.add.reduceat(np.asarray(x, float)[order], starts, axis=0)


def gls_covariance(x: np.ndarray, ids: np.ndarray, tau2: float, sigma2: float) -> np.ndarray:
    """(X' V^-1 X)^-1 with V = sigma2 I + tau2 J per patient: the covariance of the fixed effects
    that R's lme/lmer and SAS report. (statsmodels' own `cov_params` inverts the Hessian of the
    REML likelihood in all parameters, which differs by ~1e-4 in unbalanced data.)"""
    x = np.asarray(x, float)
    sizes, sums = patient_sums(x, ids)  # n_i and X_i' 1 per patient
    w = tau2 / (sigma2 * (sigma2 + sizes * tau2))
    info = x.T @ x / sigma2 - (sums * w[:, None]).T @ sums
    return np.linalg.inv(info)


def _emm(beta: np.ndarray, d: pd.DataFrame, fe_cov: np.ndarray, z: float) -> pd.DataFrame:
    grid = pd.DataFrame(
        [(v, g) for g in d["group"].cat.categories for v in d["visit"].cat.categories],
        columns=["visit", "group"],
    )
    grid["visit"] = pd.Categorical(grid["visit"], d["visit"].cat.categories)
    grid["group"] = pd.Categorical(grid["group"], d["group"].cat.categories)
    if "baseline" in d:
        grid["baseline"] = d["baseline"].mean()
    x = _design(grid).to_numpy(float)
    est = x @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, fe_cov, x))
    return (
        grid[["visit", "group"]]
        .astype(object)
        .assign(estimate=est, se=se, lower=est - z * se, upper=est + z * se)
    )


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    tau2: float
    sigma2: float
    reml_loglik: float
    converged: bool


class _ProfiledReml:
    """The REML log-likelihood of the random-intercept model as a function of the variance ratio
    lambda = tau2 / sigma2 alone (beta and sigma2 profiled out, as lme4 does): with
    V = sigma2 (I + lambda J) per patient, every term needs only X'X, X'y, y'y and the
    per-patient sums of X and y, so one evaluation costs O(patients * p^2)."""

    def __init__(self, y: np.ndarray, x: np.ndarray, ids: np.ndarray):
        self.sizes, self.sx = patient_sums(x, ids)
        self.sy = patient_sums(y, ids)[1]
        self.xtx, self.xty, self.yty = x.T @ x, x.T @ y, float(y @ y)
        self.n, self.p = x.shape

    def parts(self, lam: float) -> tuple[np.ndarray, float, float, float]:
        """(beta, residual sum of squares r' V*^-1 r, -2 REML log-likelihood, its derivative
        in lambda) at lambda. The derivative: d log|I + lambda J| + tr(A^-1 dA) + (N - p)
        d rss / rss, with A = X' V*^-1 X and d rss = r' (dV*^-1) r (beta at its optimum)."""
        c = lam / (1 + self.sizes * lam)
        dc = 1 / (1 + self.sizes * lam) ** 2
        a = self.xtx - (self.sx * c[:, None]).T @ self.sx
        rhs = self.xty - (self.sx * c[:, None]).T @ self.sy
        beta = np.linalg.solve(a, rhs)
        rss = self.yty - float((c * self.sy**2).sum()) - float(beta @ rhs)
        dof = self.n - self.p
        m2ll = (
            float(np.log1p(self.sizes * lam).sum())
            + np.linalg.slogdet(a)[1]
            + dof * (1 + np.log(2 * np.pi * rss / dof))
        )
        leverage = np.einsum("ij,ij->i", self.sx, np.linalg.solve(a, self.sx.T).T)
        resid = self.sy - self.sx @ beta
        slope = (
            float((self.sizes / (1 + self.sizes * lam)).sum())
            - float((dc * leverage).sum())
            - dof * float((dc * resid**2).sum()) / rss
        )
        return beta, rss, m2ll, slope

    def fit(self) -> _Fit:
        """Maximise over lambda >= 0: a grid in sqrt(lambda) (0 included), then the root of the
        derivative next to the best grid point (Brent); at 0 when the likelihood falls from 0.
        The root of the derivative, not the maximum of the flat likelihood, fixes lambda to
        1e-12 (function values alone leave it uncertain at 1e-7)."""
        grid = np.r_[0.0, np.logspace(-3, 2.5, 23)] ** 2
        values = [self.parts(lam)[2] for lam in grid]
        i = int(np.argmin(values))
        lam, converged = 0.0, True
        if self.parts(0.0)[3] < 0 or i > 0:
            lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
            g_lo, g_hi = self.parts(lo)[3], self.parts(hi)[3]
            if g_lo < 0 < g_hi:
                lam = optimize.brentq(
                    lambda x: self.parts(x)[3],
                    lo,
                    hi,
                    xtol=1e-14,
                    rtol=4 * np.finfo(float).eps,
                    maxiter=500,
                )
            else:  # no sign change around the best point (e.g. the grid's end): take it
                lam, converged = float(grid[i]), i < len(grid) - 1
        beta, rss, m2ll, _ = self.parts(lam)
        sigma2 = rss / (self.n - self.p)
        return _Fit(beta, lam * sigma2, sigma2, -m2ll / 2, converged)


def _empty_cells(d: pd.DataFrame) -> list[str]:
    """ "group at visit" of every visit x group cell without an observation (not estimable)."""
    counts = d.groupby(["group", "visit"], observed=False).size()
    return [f"{g} at visit {v}" for g, v in counts.index[(counts == 0).to_numpy()]]


def mixed_model(
    values: pd.DataFrame, group_col: str = "group", scale: Scale = "value", alpha: float = 0.05
) -> MixedResult:
    """Fit the repeated-measures mixed model to long `values` (patient_id, month, value, and for
    scale "change" change and baseline, as `trial.stats.measure_values` gives, plus the
    `group_col` column). See the module docstring."""
    d, outcome = _prepare(values, group_col, scale)
    base: dict = {
        "scale": scale,
        "n_patients": int(d["id"].nunique()),
        "n_observations": len(d),
        "assumptions": ASSUMPTIONS,
    }

    def failed(why: str) -> MixedResult:
        return MixedResult(
            **base,
            fixed=pd.DataFrame(),
            variance=pd.DataFrame(),
            emm=pd.DataFrame(),
            reml_loglik=np.nan,
            converged=False,
            messages=(f"the mixed model could not be fitted: {why}",),
        )

    empty = _empty_cells(d) if len(d) else []
    if empty:
        return failed("no values of " + ", ".join(empty[:5]) + (" …" if len(empty) > 5 else ""))
    x = _design(d)
    xtx = x.to_numpy(float).T @ x.to_numpy(float)
    if len(d) <= x.shape[1] or np.linalg.matrix_rank(xtx, hermitian=True) < x.shape[1]:
        return failed("too few observations for the model's terms")
    try:
        fit = _ProfiledReml(d[outcome].to_numpy(float), x.to_numpy(float), d["id"].to_numpy()).fit()
    except (np.linalg.LinAlgError, ValueError) as err:
        return failed(str(err))
    fe_cov = gls_covariance(x.to_numpy(float), d["id"].to_numpy(), fit.tau2, fit.sigma2)
    msgs = (BOUNDARY,) if fit.tau2 < 1e-6 * (fit.tau2 + fit.sigma2) else ()
    se = np.sqrt(np.diag(fe_cov))
    zval = fit.beta / se
    fixed = pd.DataFrame(
        {
            "term": list(x.columns),
            "estimate": fit.beta,
            "se": se,
            "z": zval,
            "p": 2 * stats.norm.sf(np.abs(zval)),
        }
    )
    variance = pd.DataFrame(
        {"component": ["patient (intercept)", "residual"], "variance": [fit.tau2, fit.sigma2]}
    )
    z = stats.norm.ppf(1 - alpha / 2)
    emm = _emm(fit.beta, d, fe_cov, z)
    return MixedResult(
        **base,
        fixed=fixed,
        variance=variance,
        emm=emm,
        reml_loglik=fit.reml_loglik,
        converged=fit.converged,
        messages=msgs,
    )
