"""Forest-plot numbers: the effect of the arm (or group) within each subgroup, and whether it
differs between subgroups (interaction).

Time to event (`tte_forest`)
    * two or more arms: per subgroup level and non-reference arm, n, events and the Cox hazard
      ratio vs the reference arm with its Wald 95 % CI and p (`trial.analysis.cox.cox_model` on
      the subgroup's patients; "not estimable" and why when an arm has no events there, or
      when no patient of the subgroup has the reference arm);
      interaction: likelihood-ratio test of arm x subgroup, Cox model arm + subgroup vs
      arm * subgroup (R: `anova(coxph(~ arm + sub), coxph(~ arm * sub))`).
    * one arm: per level, n, events, the KM median with its CI (`trial.survival.km_median`)
      and the crude event rate events / n with its exact (Clopper-Pearson) CI.
Response, a binary outcome per patient (`response_forest`)
    * per level and arm: n, responders, rate with exact CI (`trial.tables.exact_ci`, R
      `binom.test`);
    * with arms, vs the reference arm: risk difference with Newcombe's hybrid score interval
      (Wilson score limits of each rate, no continuity correction; Newcombe 1998 method 10),
      odds ratio from a logistic regression with its Wald CI exp(b +- z se) (R `glm(binomial)`,
      `confint.default`); a subgroup with 0 % or 100 % responders in an arm has no finite odds
      ratio: "not estimable"; interaction: likelihood-ratio test of arm x subgroup in logistic
      regression (R `anova(glm1, glm2, test = "LRT")`).
Rows with a missing arm, subgroup, time, event or response are left out of that subgroup's rows
and counted in `messages`. Interaction terms for empty cells are dropped (aliased, as R does), so
the df is that of the terms that can be estimated.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

# The modules themselves, not statsmodels.api: that one also imports the time-series and
# graphics modules, about 0.4 s of every start of the app.
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.tools.tools import add_constant

from ..survival import km_median
from ..tables import exact_ci
from .cox import cox_model, design_matrix, fit_cox, level_labels

INTERACTION_COLUMNS = ["subgroup", "statistic", "df", "p", "note"]


@dataclass(frozen=True)
class ForestResult:
    """`rows`: one per subgroup level (and non-reference arm); `interactions`: one per
    subgroup; `messages`: rows left out."""

    rows: pd.DataFrame
    interactions: pd.DataFrame
    messages: tuple[str, ...]


def _complete(df: pd.DataFrame, cols: list[str], sub: str) -> tuple[pd.DataFrame, list[str]]:
    bad = df[cols].isna().any(axis=1)
    msg = [f"{sub}: {int(bad.sum())} row(s) left out (missing values)"] if bad.any() else []
    return df.loc[~bad], msg


def _full_rank(x: pd.DataFrame) -> pd.DataFrame:
    """Columns kept in order while they add rank (aliased and all-zero columns dropped)."""
    keep: list[str] = []
    for c in x.columns:
        trial = x[keep + [c]].to_numpy(float)
        if np.linalg.matrix_rank(trial) == len(keep) + 1:
            keep.append(c)
    return x[keep]


def _interaction_design(
    df: pd.DataFrame, arm: str, sub: str, references: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(main effects, main effects + products) design matrices, both full rank."""
    d = design_matrix(df, [arm, sub], references=references)
    main = d.x
    products = {f"{a}:{s}": main[a] * main[s] for a in d.terms[arm] for s in d.terms[sub]}
    return _full_rank(main), _full_rank(pd.concat([main, pd.DataFrame(products)], axis=1))


def _lr_row(sub: str, ll0: float, ll1: float, df: int, note: str = "") -> tuple:
    if df == 0 or not np.isfinite(ll0 + ll1):
        return (sub, np.nan, df, np.nan, note or "no interaction term can be estimated")
    stat = 2 * (ll1 - ll0)
    return (sub, stat, df, float(stats.chi2.sf(stat, df)), note)


# --- Time to event -------------------------------------------------------------------------------


def _cox_interaction(d, arm, sub, time_col, event_col, reference) -> tuple:
    main, full = _interaction_design(d, arm, sub, {arm: reference})
    t, e = d[time_col].astype(float), d[event_col].astype(bool)
    f0, f1 = fit_cox(main, t, e), fit_cox(full, t, e)
    note = "; ".join(f0.messages + f1.messages)
    return _lr_row(sub, f0.loglik, f1.loglik, full.shape[1] - main.shape[1], note)


def _without_reference(part, arm, event_col, reference) -> pd.DataFrame:
    """The arm rows of a subgroup level in which no patient has the reference arm."""
    labels = level_labels(part, arm)
    e = part[event_col].astype(bool)
    arms = [a for a in labels.cat.categories if a != reference]
    return pd.DataFrame(
        {
            "level": arms,
            "reference": reference,
            "n": [int((labels == a).sum()) for a in arms],
            "events": [int((e & (labels == a)).sum()) for a in arms],
            **{c: np.nan for c in ("coef", "se", "hr", "lower", "upper", "p")},
            "estimable": False,
            "note": f"no patient of the reference arm {reference!r} in this subgroup: not "
            "estimable",
        }
    )


def _tte_arm_rows(d, arm, sub, time_col, event_col, reference) -> list[pd.DataFrame]:
    rows = []
    for level in level_labels(d, sub).cat.categories:
        part = d.loc[level_labels(d, sub) == level]
        if reference not in set(level_labels(part, arm).astype(str)):
            levels = _without_reference(part, arm, event_col, reference)
        else:
            levels = cox_model(part, arm, time_col, event_col, reference=reference).levels
        rows.append(
            levels.rename(columns={"level": "arm"}).assign(
                subgroup=sub,
                level=level,
                n_subgroup=len(part),
                events_subgroup=int(part[event_col].astype(bool).sum()),
            )
        )
    return rows


def _tte_single_rows(d, sub, time_col, event_col) -> list[pd.DataFrame]:
    med = km_median(d.assign(_level=level_labels(d, sub)), time_col, event_col, "_level")
    ci = [exact_ci(int(e), int(n)) for e, n in zip(med["events"], med["n"])]
    return [
        med.rename(columns={"group": "level"}).assign(
            subgroup=sub,
            event_rate=med["events"] / med["n"],
            rate_lower=[c[0] for c in ci],
            rate_upper=[c[1] for c in ci],
        )
    ]


def tte_forest(
    df: pd.DataFrame,
    subgroups: Iterable[str],
    arm: str | None = None,
    time_col: str = "time",
    event_col: str = "event",
    reference: str | None = None,
) -> ForestResult:
    """Per subgroup level: the HR of each arm vs `reference` (Cox) and the interaction LR test;
    without `arm`, medians and event rates (see the module docstring)."""
    parts, inter, msgs = [], [], []
    for sub in subgroups:
        cols = [time_col, event_col, sub] + ([arm] if arm else [])
        d, m = _complete(df, cols, sub)
        msgs += m
        if arm is None:
            parts += _tte_single_rows(d, sub, time_col, event_col)
            continue
        ref = reference if reference is not None else level_labels(d, arm).cat.categories[0]
        parts += _tte_arm_rows(d, arm, sub, time_col, event_col, ref)
        inter.append(_cox_interaction(d, arm, sub, time_col, event_col, ref))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    first = [c for c in ("subgroup", "level", "arm", "reference") if c in rows]
    return ForestResult(
        rows[first + [c for c in rows.columns if c not in first]],
        pd.DataFrame(inter, columns=INTERACTION_COLUMNS),
        tuple(msgs),
    )


# --- Response --------------------------------------------------------------------------------


def _logistic(x: pd.DataFrame, y: np.ndarray):
    """statsmodels GLM binomial fit with an intercept; None when it cannot be fitted.

    IRLS is run to a deviance change of 1e-13: at the default 1e-8 (statsmodels' and R's) the
    standard errors can be off by 1e-6 relative to the exact 2 x 2 (Woolf) value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return GLM(
                y,
                add_constant(x.to_numpy(float), has_constant="add"),
                family=Binomial(),
            ).fit(tol=1e-13, maxiter=100)
        except (np.linalg.LinAlgError, ValueError):
            return None


def _odds_ratio(part: pd.DataFrame, arm: str, y_col: str, level: str, ref: str, z: float) -> dict:
    two = part.loc[level_labels(part, arm).isin([level, ref])]
    y = two[y_col].astype(bool)
    by_arm = y.groupby(level_labels(two, arm).astype(str), observed=True).agg(["sum", "size"])
    if len(by_arm) < 2 or ((by_arm["sum"] == 0) | (by_arm["sum"] == by_arm["size"])).any():
        return {
            "or": np.nan,
            "or_lower": np.nan,
            "or_upper": np.nan,
            "or_p": np.nan,
            "or_note": "0 % or 100 % responders in an arm: the odds ratio is 0 or "
            "infinite; not estimable",
        }
    x = pd.DataFrame({"arm": (level_labels(two, arm) == level).astype(float)})
    fit = _logistic(x, y.to_numpy(float))
    b, se = fit.params[1], fit.bse[1]
    return {
        "or": np.exp(b),
        "or_lower": np.exp(b - z * se),
        "or_upper": np.exp(b + z * se),
        "or_p": float(2 * stats.norm.sf(abs(b / se))),
        "or_note": "",
    }


def _rates(part: pd.DataFrame, y_col: str, labels: pd.Series) -> pd.DataFrame:
    y = part[y_col].astype(bool)
    out = []
    for a in labels.cat.categories:
        k, n = int(y[labels == a].sum()), int((labels == a).sum())
        lo, hi = exact_ci(k, n)
        out.append(
            {
                "arm": a,
                "n": n,
                "responders": k,
                "rate": k / n if n else np.nan,
                "rate_lower": lo,
                "rate_upper": hi,
            }
        )
    return pd.DataFrame(out)


def _response_rows(d, sub, y_col, arm, ref, alpha) -> pd.DataFrame:
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for level in level_labels(d, sub).cat.categories:
        part = d.loc[level_labels(d, sub) == level]
        labels = (
            level_labels(part, arm)
            if arm
            else pd.Series(pd.Categorical(["All"] * len(part)), index=part.index)
        )
        rates = _rates(part, y_col, labels).assign(subgroup=sub, level=level)
        if arm:
            rates = _versus_reference(rates, part, arm, y_col, ref, z, alpha)
        rows.append(rates)
    return pd.concat(rows, ignore_index=True)


def _versus_reference(rates, part, arm, y_col, ref, z, alpha) -> pd.DataFrame:
    base = rates.set_index("arm")
    rates["reference"] = ref
    extra: list[dict] = []
    for a in rates["arm"]:
        if a == ref or ref not in base.index or base.loc[ref, "n"] == 0 or base.loc[a, "n"] == 0:
            extra.append({})
            continue
        lo, hi = confint_proportions_2indep(
            base.loc[a, "responders"],
            base.loc[a, "n"],
            base.loc[ref, "responders"],
            base.loc[ref, "n"],
            method="newcomb",
            compare="diff",
            alpha=alpha,
        )
        extra.append(
            {
                "rd": base.loc[a, "rate"] - base.loc[ref, "rate"],
                "rd_lower": lo,
                "rd_upper": hi,
                **_odds_ratio(part, arm, y_col, a, ref, z),
            }
        )
    return pd.concat([rates, pd.DataFrame(extra, index=rates.index)], axis=1)


def _logistic_interaction(d, arm, sub, y_col, ref) -> tuple:
    main, full = _interaction_design(d, arm, sub, {arm: ref})
    y = d[y_col].astype(bool).to_numpy(float)
    f0, f1 = _logistic(main, y), _logistic(full, y)
    if f0 is None or f1 is None:
        return (sub, np.nan, 0, np.nan, "the logistic model could not be fitted")
    return _lr_row(sub, f0.llf, f1.llf, full.shape[1] - main.shape[1])


def response_forest(
    df: pd.DataFrame,
    subgroups: Iterable[str],
    response_col: str,
    arm: str | None = None,
    reference: str | None = None,
    alpha: float = 0.05,
) -> ForestResult:
    """Per subgroup level (and arm): response rate with exact CI; with `arm`, risk difference
    (Newcombe) and odds ratio (logistic, Wald) vs `reference`, and the interaction LR test."""
    parts, inter, msgs = [], [], []
    for sub in subgroups:
        d, m = _complete(df, [response_col, sub] + ([arm] if arm else []), sub)
        msgs += m
        ref = None
        if arm:
            ref = reference if reference is not None else level_labels(d, arm).cat.categories[0]
            inter.append(_logistic_interaction(d, arm, sub, response_col, ref))
        parts.append(_response_rows(d, sub, response_col, arm, ref, alpha))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    first = ["subgroup", "level", "arm"]
    return ForestResult(
        rows[first + [c for c in rows.columns if c not in first]],
        pd.DataFrame(inter, columns=INTERACTION_COLUMNS),
        tuple(msgs),
    )
