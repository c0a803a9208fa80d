"""A linear mixed model for repeated measures, as an option beside the observed means per visit.

Model (statsmodels `MixedLM`, REML; R: `nlme::lme(y ~ visit * group, random = ~ 1 | id,
method = "REML")`):
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
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf
from scipy import stats

Scale = Literal["value", "change"]
# BFGS to a gradient of 1e-10 (statsmodels' default L-BFGS stops with variances off by ~1e-5
# and fails on a patient variance at the boundary, where BFGS reaches it)
FIT_OPTIONS = {"method": ["bfgs"], "gtol": 1e-10, "maxiter": 1000}

ASSUMPTIONS = (
    "Random intercept per patient: compound symmetry, i.e. the same variance at every visit and "
    "the same correlation between any two visits of a patient (intraclass correlation = "
    "patient variance / total variance). This is not an unstructured MMRM (a separate variance "
    "per visit and covariance per pair of visits, e.g. SAS PROC MIXED TYPE=UN or R's mmrm). "
    "Patients with missing visits contribute the visits they have (valid if the data are "
    "missing at random). Fitted by REML; CIs use the normal reference.")


BOUNDARY = ("the patient variance is estimated at 0 (the boundary): the visits of a patient are "
            "modelled as uncorrelated")


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


def _r_name(term: str) -> str:
    """patsy's "visit[T.3]:group[T.PCR]" -> R's "visit3:groupPCR"."""
    return re.sub(r"\[T\.(.*?)\]", r"\1", term).replace("Intercept", "(Intercept)")


def _prepare(values: pd.DataFrame, group_col: str, scale: Scale) -> tuple[pd.DataFrame, str]:
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
        d[c] = pd.Categorical(d[c], [v for v in levels if (d[c] == v).any()])
    formula = f"{y} ~ visit * group" + (" + baseline" if scale == "change" else "")
    return d.reset_index(drop=True), formula


def gls_covariance(x: np.ndarray, ids: np.ndarray, tau2: float, sigma2: float) -> np.ndarray:
    """(X' V^-1 X)^-1 with V = sigma2 I + tau2 J per patient: the covariance of the fixed effects
    that R's lme/lmer and SAS report. (statsmodels' own `cov_params` inverts the Hessian of the
    REML likelihood in all parameters, which differs by ~1e-4 in unbalanced data.)"""
    x = np.asarray(x, float)
    codes = np.unique(ids, return_inverse=True)[1]
    sizes = np.bincount(codes).astype(float)
    sums = np.zeros((len(sizes), x.shape[1]))
    np.add.at(sums, codes, x)  # X_i' 1 per patient
    w = tau2 / (sigma2 * (sigma2 + sizes * tau2))
    info = x.T @ x / sigma2 - (sums * w[:, None]).T @ sums
    return np.linalg.inv(info)


def _emm(fit, d: pd.DataFrame, fe_cov: np.ndarray, z: float) -> pd.DataFrame:
    grid = pd.DataFrame([(v, g) for g in d["group"].cat.categories
                         for v in d["visit"].cat.categories], columns=["visit", "group"])
    grid["visit"] = pd.Categorical(grid["visit"], d["visit"].cat.categories)
    grid["group"] = pd.Categorical(grid["group"], d["group"].cat.categories)
    if "baseline" in d:
        grid["baseline"] = d["baseline"].mean()
    rhs = fit.model.formula.split("~", 1)[1]
    # the same formula and categories give the fit's columns; taken by name to be sure
    x = patsy.dmatrix(rhs, grid, return_type="dataframe")[list(fit.fe_params.index)]
    x = x.to_numpy(float)
    est = x @ fit.fe_params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, fe_cov, x))
    return grid[["visit", "group"]].astype(object).assign(
        estimate=est, se=se, lower=est - z * se, upper=est + z * se)


def mixed_model(values: pd.DataFrame, group_col: str = "group", scale: Scale = "value",
                alpha: float = 0.05) -> MixedResult:
    """Fit the repeated-measures mixed model to long `values` (patient_id, month, value, and for
    scale "change" change and baseline, as `trial.stats.measure_values` gives, plus the
    `group_col` column). See the module docstring."""
    d, formula = _prepare(values, group_col, scale)
    base: dict = {"scale": scale, "n_patients": int(d["id"].nunique()),
                  "n_observations": len(d), "assumptions": ASSUMPTIONS}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = smf.mixedlm(formula, d, groups=d["id"]).fit(reml=True, **FIT_OPTIONS)
        except (np.linalg.LinAlgError, ValueError) as err:
            return MixedResult(**base, fixed=pd.DataFrame(), variance=pd.DataFrame(),
                               emm=pd.DataFrame(), reml_loglik=np.nan, converged=False,
                               messages=(f"the mixed model could not be fitted: {err}",))
    msgs = [str(w.message).split("\n")[0] for w in caught][-1:]  # statsmodels' last word
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    fe_cov = gls_covariance(fit.model.exog, d["id"].to_numpy(), tau2, sigma2)
    if tau2 < 1e-6 * (tau2 + sigma2):
        msgs = [BOUNDARY]
    se = np.sqrt(np.diag(fe_cov))
    zval = fit.fe_params.to_numpy() / se
    fixed = pd.DataFrame({"term": [_r_name(t) for t in fit.fe_params.index],
                          "estimate": fit.fe_params.to_numpy(), "se": se, "z": zval,
                          "p": 2 * stats.norm.sf(np.abs(zval))})
    variance = pd.DataFrame({"component": ["patient (intercept)", "residual"],
                             "variance": [tau2, sigma2]})
    z = stats.norm.ppf(1 - alpha / 2)
    return MixedResult(**base, fixed=fixed, variance=variance, emm=_emm(fit, d, fe_cov, z),
                       reml_loglik=float(fit.llf), converged=bool(fit.converged),
                       messages=tuple(msgs))
