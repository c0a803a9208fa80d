"""Cox proportional hazards: hazard ratios of a grouping's levels against a reference level.

Matches R's `survival::coxph` (default Efron ties), `summary(coxph)` and `cox.zph`:
    * fit: lifelines `CoxPHFitter` (Efron ties, Newton-Raphson, tightened tolerances);
      optionally stratified (`strata`: a separate baseline hazard per stratum, e.g. center) and
      adjusted for covariates (numeric as is; categorical dummy-coded against their first level,
      in the order of `trial.survival.groups_of`: categorical order, else sorted).
    * hazard ratio exp(b) with Wald 95 % CI exp(b +- z se) and two-sided Wald p, per level of the
      grouping against the reference (default: the first level).
    * global tests, as `summary(coxph)`: likelihood ratio 2 (l(b) - l(0)); Wald b' V^-1 b; score
      U(0)' I(0)^-1 U(0) with Efron ties (R's "Score (logrank) test").
    * proportional hazards: `ph_test`, R >= 3 `cox.zph`: per term (a categorical covariate is one
      term with as many df as dummies) and global, the score test of adding x * g(t) to the model,
      g = the transformed time centred on its mean over events; transform "km" (R's default,
      g = 1 - KM(t-) of all patients pooled), or "identity", "log", "rank".

Reviewer's edge cases (reported in `messages`/`note`, never as an exception or garbage number):
    * a level with no events: its HR would be 0 (or, for the reference level, every HR infinite)
      and is "not estimable"; its patients are left out of the model, which is the limit of the
      full fit as that coefficient goes to minus infinity, so the other levels keep their HRs;
    * fewer than two levels with events: no hazard ratio;
    * rows with a missing time, event, group, covariate or stratum are left out and counted;
    * a fit that does not converge (e.g. a covariate that separates events): the message, NaNs;
    * a singular information matrix in a test (a tiny subgroup): that test's statistic is NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError
from scipy import stats

from ..survival import groups_of
from .efron import efron_terms, score_test
from .records import records

_T, _E, _S = "__time", "__event", "__stratum"
# tighter than lifelines' defaults, which can stop with a score of 1e-5 (R: 1e-10)
FIT_OPTIONS = {"precision": 1e-14, "r_precision": 1e-15, "max_steps": 100}
TRANSFORMS = ("km", "identity", "log", "rank")


@dataclass(frozen=True)
class Design:
    """Model matrix with readable column names ("group=B", "age"), and the columns of each term."""

    x: pd.DataFrame
    terms: dict[str, list[str]]
    references: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CoxFit:
    """A fitted model (or why there is none): coefficients, covariance, log-likelihoods."""

    params: pd.Series
    covariance: pd.DataFrame
    loglik: float
    loglik_null: float
    lr_df: int
    linear_predictor: np.ndarray
    messages: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(len(self.params)) and bool(np.isfinite(self.params).all())


@dataclass(frozen=True)
class CoxResult:
    """Per level of the grouping: n, events, coef, se, hr, lower, upper, p, estimable, note;
    the global tests (likelihood ratio, Wald, score); the PH test; what was left out and why."""

    group: str
    reference: str | None
    n: int
    events: int
    levels: pd.DataFrame
    coefficients: pd.DataFrame
    tests: pd.DataFrame
    ph_test: pd.DataFrame
    messages: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-safe: frames as lists of records, NaN -> None."""
        return {
            "group": self.group,
            "reference": self.reference,
            "n": self.n,
            "events": self.events,
            "levels": records(self.levels),
            "coefficients": records(self.coefficients),
            "tests": records(self.tests),
            "ph_test": records(self.ph_test),
            "messages": list(self.messages),
        }


def level_labels(df: pd.DataFrame, col: str) -> pd.Series:
    """The level label (str) of every row, in `trial.survival._groups` order (as a Categorical)."""
    groups = groups_of(df, col)
    labels = pd.concat([pd.Series(g, index=d.index) for g, d in groups]).reindex(df.index)
    return pd.Series(pd.Categorical(labels, [g for g, _ in groups]), index=df.index)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def design_matrix(
    df: pd.DataFrame,
    factors: Iterable[str],
    numeric: Iterable[str] = (),
    references: dict[str, str] | None = None,
) -> Design:
    """Dummy-coded `factors` (reference: given, else the first level) and `numeric` columns.

    A dummy is named "col=level". Levels absent from `df` get no column.
    """
    references = dict(references or {})
    cols: dict[str, np.ndarray] = {}
    terms: dict[str, list[str]] = {}
    refs: dict[str, str] = {}
    for f in factors:
        labels = level_labels(df, f)
        present = [c for c in labels.cat.categories if (labels == c).any()]
        ref = str(references.get(f, present[0] if present else ""))
        refs[f] = ref
        terms[f] = []
        for level in present:
            if level != ref:
                name = f"{f}={level}"
                cols[name] = (labels == level).astype(float).to_numpy()
                terms[f].append(name)
    for c in numeric:
        cols[c] = df[c].astype(float).to_numpy()
        terms[c] = [c]
    return Design(pd.DataFrame(cols, index=df.index), terms, refs)


def fit_cox(x: pd.DataFrame, time, event, strata=None) -> CoxFit:
    """Fit with lifelines (Efron ties); never raises for a failed fit: see `messages`."""
    data = x.assign(**{_T: np.asarray(time, float), _E: np.asarray(event).astype(int)})
    if strata is not None:
        data[_S] = np.asarray(strata)
    empty = CoxFit(
        pd.Series(np.nan, index=x.columns),
        pd.DataFrame(),
        np.nan,
        np.nan,
        x.shape[1],
        np.zeros(len(x)),
    )
    if x.shape[1] == 0:
        return empty
    fitter = CoxPHFitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter.fit(
                data, _T, _E, strata=[_S] if strata is not None else None, fit_options=FIT_OPTIONS
            )
        except (ConvergenceError, np.linalg.LinAlgError, ValueError) as err:
            return _with_messages(empty, f"the Cox model could not be fitted: {err}")
    notes = tuple(
        dict.fromkeys(
            _first_sentence(w.message) for w in caught if "converge" in str(w.message).lower()
        )
    )
    if any("failed to converge" in n for n in notes):
        return _with_messages(
            empty,
            "the Cox model did not converge (a coefficient may be "
            "infinite, e.g. a covariate that separates the events): " + "; ".join(notes),
        )
    params = fitter.params_.reindex(x.columns)
    eta = x.to_numpy(float) @ params.to_numpy(float)
    lr = fitter.log_likelihood_ratio_test()
    ll0 = fitter.log_likelihood_ - lr.test_statistic / 2
    return CoxFit(
        params,
        fitter.variance_matrix_.loc[x.columns, x.columns],
        float(fitter.log_likelihood_),
        float(ll0),
        int(lr.degrees_freedom),
        eta,
        notes,
    )


def _first_sentence(message) -> str:
    """lifelines' warning without its links and advice: the first sentence."""
    return str(message).split(". ")[0].split("\n")[0].strip().rstrip(".") + "."


def _with_messages(fit: CoxFit, *msgs: str) -> CoxFit:
    return CoxFit(
        fit.params,
        fit.covariance,
        fit.loglik,
        fit.loglik_null,
        fit.lr_df,
        fit.linear_predictor,
        fit.messages + msgs,
    )


def wald_table(fit: CoxFit, alpha: float = 0.05) -> pd.DataFrame:
    """Per coefficient: coef, se, hr, lower, upper, z, p (R's summary(coxph) conf.int)."""
    b = fit.params.to_numpy(float)
    se = np.sqrt(np.diag(fit.covariance.to_numpy(float))) if fit.ok else np.full(len(b), np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(over="ignore"):  # a diverging coefficient: an infinite limit, reported
        return pd.DataFrame(
            {
                "term": fit.params.index,
                "coef": b,
                "se": se,
                "hr": np.exp(b),
                "lower": np.exp(b - z * se),
                "upper": np.exp(b + z * se),
                "z": b / se,
                "p": 2 * stats.norm.sf(np.abs(b / se)),
            }
        )


def global_tests(fit: CoxFit, design: Design, time, event, strata=None) -> pd.DataFrame:
    """Likelihood ratio, Wald and score (logrank) tests of all coefficients, as summary(coxph)."""
    p = design.x.shape[1]
    rows = []
    if fit.ok:
        b = fit.params.to_numpy(float)
        try:
            wald = float(b @ np.linalg.solve(fit.covariance.to_numpy(float), b))
        except np.linalg.LinAlgError:
            wald = np.nan
        lr = 2 * (fit.loglik - fit.loglik_null)
        try:
            score = score_test(efron_terms(time, event, design.x.to_numpy(float), None, strata))
        except np.linalg.LinAlgError:
            score = np.nan
        rows = [("likelihood ratio", lr), ("Wald", wald), ("score (logrank)", score)]
    return pd.DataFrame(
        [(n, s, p, float(stats.chi2.sf(s, p))) for n, s in rows],
        columns=["test", "statistic", "df", "p"],
    )


def _time_transform(time, event, how: str) -> np.ndarray:
    """g(t) of every row before centring, as cox.zph's `transform`."""
    t = np.asarray(time, float)
    if how == "identity":
        return t
    if how == "log":
        return np.log(t)
    if how == "rank":
        return stats.rankdata(t)
    if how != "km":
        raise ValueError(f"transform must be one of {TRANSFORMS}, not {how!r}")
    e = np.asarray(event).astype(bool)
    ut = np.unique(t)
    at_risk = len(t) - np.searchsorted(np.sort(t), ut, side="left")
    deaths = np.bincount(np.searchsorted(ut, t[e]), minlength=len(ut))
    surv = np.cumprod(1 - deaths / at_risk)
    before = np.searchsorted(ut, t, side="left")  # number of distinct times < t
    return 1 - np.r_[1.0, surv][before]


def ph_test(
    fit: CoxFit, design: Design, time, event, strata=None, transform: str = "km"
) -> pd.DataFrame:
    """Proportional-hazards test per term and GLOBAL (R >= 3 `cox.zph`): chisq, df, p.

    The score test, at the fitted coefficients, of adding x * (g(t) - mean g over events).
    """
    cols = ["term", "chisq", "df", "p"]
    if not fit.ok:
        return pd.DataFrame(columns=cols)
    e = np.asarray(event).astype(bool)
    g_all = _time_transform(time, event, transform)
    g_all = g_all - g_all[e].mean()
    pieces = efron_terms(time, event, design.x.to_numpy(float), fit.linear_predictor, strata)
    t = np.asarray(time, float)
    g = pd.Series(g_all[e], index=t[e]).groupby(level=0).first().reindex(pieces.time).to_numpy()
    p = design.x.shape[1]
    info = pieces.information
    imat = np.block(
        [
            [info.sum(0), np.einsum("m,mij->ij", g, info)],
            [np.einsum("m,mij->ij", g, info), np.einsum("m,mij->ij", g * g, info)],
        ]
    )
    u = np.r_[np.zeros(p), (g[:, None] * pieces.score).sum(0)]
    where = {c: i for i, c in enumerate(design.x.columns)}
    rows = []
    for term, tcols in list(design.terms.items()) + [("GLOBAL", list(design.x.columns))]:
        if not tcols:
            continue
        kk = np.r_[np.arange(p), [p + where[c] for c in tcols]]
        try:
            chisq = float(u[kk] @ np.linalg.solve(imat[np.ix_(kk, kk)], u[kk]))
        except np.linalg.LinAlgError:  # e.g. a tiny subgroup whose events share one time
            rows.append((term, np.nan, len(tcols), np.nan))
            continue
        rows.append((term, chisq, len(tcols), float(stats.chi2.sf(chisq, len(tcols)))))
    return pd.DataFrame(rows, columns=cols)


def _complete_rows(df: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rows with every used column present, and a message counting the others."""
    missing = df[cols].isna().any(axis=1)
    if not missing.any():
        return df, []
    which = ", ".join(c for c in cols if df[c].isna().any())
    return df.loc[~missing], [f"{int(missing.sum())} row(s) left out: missing {which}"]


def _level_counts(labels: pd.Series, event: pd.Series) -> pd.DataFrame:
    """level, n, events of every level present."""
    e = event.astype(bool).to_numpy()
    cats = list(labels.cat.categories)
    return pd.DataFrame(
        {
            "level": cats,
            "n": [int((labels == c).sum()) for c in cats],
            "events": [int((e & (labels == c).to_numpy()).sum()) for c in cats],
        }
    )


def _not_estimable(counts: pd.DataFrame, reference: str) -> dict[str, str]:
    """Level -> why its hazard ratio is not estimable (no events in it or in the reference)."""
    n = counts.set_index("level")["n"]
    zero = counts.loc[counts["events"] == 0, "level"].tolist()
    if reference in zero:
        return {
            lv: f"no events in the reference level {reference!r}: the hazard ratio would be "
            "infinite; not estimable"
            for lv in counts["level"]
            if lv != reference
        }
    return {
        lv: f"no events in {lv!r} (n={int(n[lv])}): the hazard ratio would be 0; not "
        "estimable, its patients are left out of the model"
        for lv in zero
    }


def _level_rows(
    counts: pd.DataFrame, reference: str, wald: pd.DataFrame, group_col: str, why: dict[str, str]
) -> pd.DataFrame:
    """One row per non-reference level: n, events, coef, se, hr, lower, upper, p, estimable,
    note."""
    out = counts.loc[counts["level"] != reference].reset_index(drop=True)
    out.insert(1, "reference", reference)
    w = wald.set_index("term")
    terms = [f"{group_col}={lv}" for lv in out["level"]]
    for c in ("coef", "se", "hr", "lower", "upper", "p"):
        out[c] = [float(w[c][t]) if t in w.index else np.nan for t in terms]
    out["estimable"] = np.isfinite(out["hr"].to_numpy(float)) & np.isfinite(
        out["se"].to_numpy(float)
    )
    out["note"] = [
        why.get(lv, "" if ok else "not estimated: see messages")
        for lv, ok in zip(out["level"], out["estimable"])
    ]
    return out


WALD_COLUMNS = ["term", "coef", "se", "hr", "lower", "upper", "z", "p"]


def cox_model(
    df: pd.DataFrame,
    group_col: str,
    time_col: str = "time",
    event_col: str = "event",
    reference: str | None = None,
    covariates: Iterable[str] = (),
    strata: str | None = None,
    alpha: float = 0.05,
    ph_transform: str = "km",
) -> CoxResult:
    """Cox model of `time_col`/`event_col` on the levels of `group_col` against `reference`
    (default: the first level), adjusted for `covariates`, stratified by `strata`.

    `levels`: one row per non-reference level (HR with CI and p, or "not estimable" and why);
    `coefficients`: every coefficient of the model (covariates too); see the module docstring.
    """
    covariates = list(covariates)
    used = [time_col, event_col, group_col] + covariates + ([strata] if strata else [])
    d, msgs = _complete_rows(df, used)
    labels = level_labels(d, group_col)
    counts = _level_counts(labels, d[event_col])
    present = counts["level"].tolist()
    if reference is None and present:
        reference = present[0]
    if reference is None or reference not in present:
        raise ValueError(f"reference level {reference!r} is not among the levels {present}")
    why = _not_estimable(counts, reference)
    reference_empty = bool(counts.set_index("level")["events"][reference] == 0)
    keep: pd.DataFrame = d.iloc[0:0] if reference_empty else d.loc[~labels.isin(list(why))]
    msgs += list(dict.fromkeys(why.values()))
    tests = pd.DataFrame(columns=["test", "statistic", "df", "p"])
    zph = pd.DataFrame(columns=["term", "chisq", "df", "p"])
    wald = pd.DataFrame(columns=WALD_COLUMNS)
    if keep.empty or level_labels(keep, group_col).nunique() < 2:
        msgs.append("fewer than two levels with events: no hazard ratio can be estimated")
    else:
        factors = [group_col] + [c for c in covariates if not _is_numeric(d[c])]
        numeric = [c for c in covariates if _is_numeric(d[c])]
        design = design_matrix(keep, factors, numeric, {group_col: reference})
        time, event = keep[time_col].astype(float), keep[event_col].astype(bool)
        st = keep[strata].astype(str).to_numpy() if strata else None
        fit = fit_cox(design.x, time, event, st)
        msgs += list(fit.messages)
        wald = wald_table(fit, alpha)
        tests = global_tests(fit, design, time, event, st)
        zph = ph_test(fit, design, time, event, st, ph_transform)
    return CoxResult(
        group=group_col,
        reference=reference,
        n=len(d),
        events=int(d[event_col].astype(bool).sum()),
        levels=_level_rows(counts, reference, wald, group_col, why),
        coefficients=wald,
        tests=tests,
        ph_test=zph,
        messages=tuple(msgs),
    )
