"""Time-to-event statistics: overall survival, relapse after response (lifelines).

Everything here is a pure function: frames in, new frames (or plain dicts) out. Times are in
days from the endpoint's origin; `days_to_months` converts for display (1 month = 30.4375 days,
so a tick at month m sits at day 30.4375 * m in every table and on every axis).

Endpoints (built from a `Trial`'s patients, with the derived outcome columns)
    overall survival    all patients, origin day 0 (first infusion); event = death; time = day of
                        death, else last follow-up (`followup_end_day`).
    relapse             responders only; event of interest = first relapse after the response,
                        competing event = death before relapse; origin day 0 or the response day.
                        Analysed as a cumulative incidence (Aalen-Johansen) and as relapse-free
                        survival (Kaplan-Meier, relapse or death = event).

Rule for events recorded after death (the published patient 9 conflict, trial-facts.md §5)
    An event recorded after the patient's death is not counted in time-to-event analyses
    (an event on the day of death is counted). A response recorded after death therefore does not
    make the patient a responder "as analysed": the patient is left out of the responder risk set
    of the relapse analysis, and their relapse is not counted either. Death still counts in overall
    survival. `reconciliation` gives the counts "as recorded" and "as analysed" side by side, and
    `analysis_exclusions` the patients and reasons behind every difference. A relapse is counted
    only if it is recorded strictly after a counted response.

Conventions (checked against R's survival package in tests/test_survival.py)
    * KM estimate, numbers at risk/events/censored: lifelines `KaplanMeierFitter`. Pointwise 95 %
      CI: Greenwood variance on the log(-log S) scale, lifelines' only method and the default of
      SAS PROC LIFETEST; equal to R `survfit(conf.type = "log-log")`. Where S = 0 the CI is
      undefined and reported as NaN (as R does); where S = 1 it is [1, 1].
    * Median and its CI: the first time the curve (resp. the lower/upper CI band) is <= 0.5;
      when the curve equals 0.5 exactly on an interval, the midpoint of that interval (R
      `quantile.survfit` and SAS, Klein & Moeschberger). This is not lifelines' own median, which
      has no such rule and no tolerance (a curve equal to 0.5 up to rounding, e.g.
      0.5000000000000001, is read by lifelines as "not reached"). Not reached -> NaN, shown "NR".
    * Landmarks: the step function at the time; NaN beyond the last observed time.
    * Risk table (KMunicate): at tick t, at_risk = number with time >= t (R's n.risk), events and
      censored = cumulative numbers with time < t, so at_risk + events + censored = n.
    * Cumulative incidence: lifelines `AalenJohansenFitter`; 95 % CI from its delta-method
      (Greenwood-type, Marubini & Valsecchi) variance on the log(-log F) scale. lifelines
      randomly jitters tied event times of different causes; we switch that off (see
      `_AalenJohansen`) because its estimator handles ties exactly, which R confirms.
    * Log-rank: lifelines `multivariate_logrank_test` (equal to R `survdiff`, rho = 0), chi-square
      with (number of groups - 1) df, for two or more groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import cast

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
ALL = "All"
MISSING = "Missing"
CENSORED, RELAPSE, DEATH = 0, 1, 2  # codes of `status` in the relapse endpoint
ORIGINS = ("day0", "response")


# --- Time units --------------------------------------------------------------------------------


def days_to_months(days):
    """Days -> months (30.4375 days each). Works on scalars, arrays and Series."""
    return days / DAYS_PER_MONTH


def months_to_days(months):
    """Months -> days (30.4375 days each)."""
    return months * DAYS_PER_MONTH


def month_ticks(max_day: float, step_months: int = 3) -> list[float]:
    """Tick positions in days at every `step_months` months from 0 up to `max_day`."""
    n = int(math.floor(max_day / months_to_days(step_months) + 1e-9))
    return [months_to_days(step_months * k) for k in range(n + 1)]


def format_time(value, unit: str = "days", digits: int = 0) -> str:
    """A median or CI limit for display: "NR" (not reached) for None/NaN, never "inf"."""
    if value is None or not np.isfinite(value):
        return "NR"
    x = days_to_months(value) if unit == "months" else value
    return f"{x:.{digits}f}"


def format_median(median, lower, upper, unit: str = "days", digits: int = 0) -> str:
    """E.g. "36 (23–46)" or "NR (23–NR)"."""
    f = lambda v: format_time(v, unit, digits)  # noqa: E731
    return f"{f(median)} ({f(lower)}–{f(upper)})"


# --- The analysis rule for events after death --------------------------------------------------


def analysis_flags(patients: pd.DataFrame) -> pd.DataFrame:
    """Per patient (same index): what is counted as recorded and as analysed.

    Columns: patient_id, responder_recorded, responder_analysed, relapse_recorded,
    relapse_analysed, death.
    """
    death = patients["death_day"].astype(float)
    resp = patients["response_day"].astype(float)
    rel = patients["relapse_day"].astype(float)
    alive_at = lambda day: death.isna() | (day <= death)  # noqa: E731  (NaN day -> False below)
    responder_rec = patients["response"].isin(("MCR", "PCR")) & resp.notna()
    responder_an = responder_rec & alive_at(resp)
    relapse_rec = patients["relapse"].astype(bool) & rel.notna()
    relapse_an = relapse_rec & responder_an & (rel > resp) & alive_at(rel)
    return pd.DataFrame(
        {
            "patient_id": patients["patient_id"],
            "responder_recorded": responder_rec,
            "responder_analysed": responder_an,
            "relapse_recorded": relapse_rec,
            "relapse_analysed": relapse_an,
            "death": patients["death"].astype(bool),
        },
        index=patients.index,
    )


def _day(x) -> str:
    return f"{float(x):g}"


def analysis_exclusions(patients: pd.DataFrame) -> pd.DataFrame:
    """Every recorded response or relapse that the time-to-event analyses do not count, with why.

    Columns: patient_id, item ("response" or "relapse"), day, death_day, reason.
    """
    fl = analysis_flags(patients)
    days = ["response_day", "relapse_day", "death_day"]
    patients = patients.astype({c: float for c in days})  # pandas NA -> NaN
    rows = []
    for i in patients.index[fl["responder_recorded"] & ~fl["responder_analysed"]]:
        p = patients.loc[i]
        rows.append(
            (
                p["patient_id"],
                "response",
                p["response_day"],
                p["death_day"],
                f"response recorded on day {_day(p['response_day'])}, after death on day "
                f"{_day(p['death_day'])}: an event recorded after death is not counted; "
                "the patient is not in the responder risk set",
            )
        )
    for i in patients.index[fl["relapse_recorded"] & ~fl["relapse_analysed"]]:
        p = patients.loc[i]
        rel, dd, resp = p["relapse_day"], p["death_day"], p["response_day"]
        if not fl.loc[i, "responder_recorded"]:
            why = "no recorded response: not a relapse after response"
        elif not fl.loc[i, "responder_analysed"]:
            why = "the patient is not a responder as analysed (response recorded after death)"
        elif rel <= resp:
            why = f"recorded on or before the response (day {_day(resp)}): not after response"
        else:
            why = "an event recorded after death is not counted"
        if np.isfinite(dd) and rel > dd:
            why = f"recorded after death on day {_day(dd)}; " + why
        rows.append(
            (
                p["patient_id"],
                "relapse",
                p["relapse_day"],
                p["death_day"],
                f"relapse recorded on day {_day(rel)}: {why}",
            )
        )
    out = pd.DataFrame(rows, columns=["patient_id", "item", "day", "death_day", "reason"])
    return out.astype({"day": float, "death_day": float})


def reconciliation(patients: pd.DataFrame) -> pd.DataFrame:
    """Counts "as recorded" vs "as analysed" for the survival and relapse analyses.

    Columns: quantity, as_recorded, as_analysed, patients (ids that differ, ", "-joined), reason.
    """
    fl = analysis_flags(patients)
    exc = analysis_exclusions(patients)
    resp_rec, resp_an = fl["responder_recorded"], fl["responder_analysed"]

    def row(quantity, rec, an, item=None):
        diff = fl.loc[rec & ~an, "patient_id"].astype(str).tolist()
        mine = (exc["item"] == item) & exc["patient_id"].astype(str).isin(diff)
        reasons = exc.loc[mine, "reason"]
        return (quantity, int(rec.sum()), int(an.sum()), ", ".join(diff), "; ".join(reasons))

    rows = [
        row("Patients", pd.Series(True, index=fl.index), pd.Series(True, index=fl.index)),
        row("Deaths (overall survival)", fl["death"], fl["death"]),
        row("Responders (MCR or PCR): relapse risk set", resp_rec, resp_an, "response"),
        row("Relapses after response", fl["relapse_recorded"], fl["relapse_analysed"], "relapse"),
        row("Deaths among responders", resp_rec & fl["death"], resp_an & fl["death"], "response"),
    ]
    return pd.DataFrame(
        rows, columns=["quantity", "as_recorded", "as_analysed", "patients", "reason"]
    )


# --- Endpoints ---------------------------------------------------------------------------------


def overall_survival(patients: pd.DataFrame) -> pd.DataFrame:
    """All patients with `time` (days from day 0 to death or last follow-up), `event` (1 = death).

    Keeps every patient column (patient_id, grouping columns) so that the patients behind any step
    can be listed.
    """
    out = patients.copy()
    out["time"] = patients["followup_end_day"].astype(float)
    out["event"] = patients["death"].astype(bool).astype(int)
    return out


def relapse_endpoint(patients: pd.DataFrame, origin: str = "day0") -> pd.DataFrame:
    """Responders as analysed, with the relapse endpoint columns added.

    origin "day0": time from the first infusion; "response": time from the response day.
    Columns added: origin_day, end_day (study day the observation ends), time (end_day -
    origin_day), status (0 censored, 1 relapse, 2 death before relapse), rfs_event (1 = relapse or
    death). A responder whose last follow-up is recorded before the response is followed at least
    to the response day.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    fl = analysis_flags(patients)
    out = patients.loc[fl["responder_analysed"]].copy()
    counted = fl.loc[out.index, "relapse_analysed"]
    resp = out["response_day"].astype(float)
    # np.maximum of two Series is a Series (pandas __array_ufunc__); numpy's stubs say ndarray
    end = cast(pd.Series, np.maximum(out["followup_end_day"].astype(float), resp))
    out["end_day"] = end.where(~counted, out["relapse_day"].astype(float))
    out["status"] = np.where(counted, RELAPSE, np.where(out["death"].astype(bool), DEATH, CENSORED))
    out["origin_day"] = resp if origin == "response" else 0.0
    out["time"] = out["end_day"] - out["origin_day"]
    out["rfs_event"] = (out["status"] != CENSORED).astype(int)
    return out


# --- Grouping ----------------------------------------------------------------------------------


def groups_of(df: pd.DataFrame, group_col: str | None) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows) per group; missing values form a "Missing" group; no group is dropped."""
    if group_col is None:
        return [(ALL, df)]
    col = df[group_col]
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [c for c in col.cat.categories if (col == c).any()]
    else:
        levels = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v))
    out = [(str(v), df.loc[col == v]) for v in levels]
    if col.isna().any():
        out.append((MISSING, df.loc[col.isna()]))
    return out


def _per_group(fn, df, group_col, **kw) -> pd.DataFrame:
    frames = [fn(d, **kw).assign(group=g) for g, d in groups_of(df, group_col) if len(d)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["group"] + [c for c in out.columns if c != "group"]]


# --- Kaplan-Meier ------------------------------------------------------------------------------


def _check_ci(ci: str) -> None:
    if ci != "log-log":
        raise ValueError("only ci='log-log' is available (lifelines' exponential Greenwood CI)")


def _km_one(d: pd.DataFrame, time_col: str, event_col: str, alpha: float) -> pd.DataFrame:
    kmf = KaplanMeierFitter(alpha=alpha).fit(
        d[time_col].astype(float), d[event_col].astype(bool).astype(int)
    )
    et = kmf.event_table
    ci = kmf.confidence_interval_survival_function_.reindex(et.index)
    est = kmf.survival_function_.iloc[:, 0].reindex(et.index)
    out = pd.DataFrame(
        {
            "time": et.index.astype(float),
            "at_risk": et["at_risk"].to_numpy(),
            "events": et["observed"].to_numpy(),
            "censored": et["censored"].to_numpy(),
            "estimate": est.to_numpy(),
            "lower": ci.iloc[:, 0].to_numpy(),
            "upper": ci.iloc[:, 1].to_numpy(),
        }
    )
    undefined = out["estimate"] <= 0  # log(-log 0): no CI, as in R
    out.loc[undefined, ["lower", "upper"]] = np.nan
    return out


def km_table(
    df: pd.DataFrame,
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
    ci: str = "log-log",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan-Meier table, one row per group and distinct time (plus time 0).

    Columns: group ("All" without grouping), time, at_risk, events, censored, estimate, lower,
    upper (pointwise 1 - alpha CI, log(-log) transform).
    """
    _check_ci(ci)
    return _per_group(_km_one, df, group_col, time_col=time_col, event_col=event_col, alpha=alpha)


def _quantile_time(times, values, q: float = 0.5, tol: float = 1e-8) -> float:
    """First time a step curve is <= q; midpoint of a plateau exactly at q (R's rule); NaN if
    never reached."""
    t, v = np.asarray(times, float), np.asarray(values, float)
    hit = np.flatnonzero(v <= q + tol)
    if hit.size == 0:
        return float("nan")
    i = hit[0]
    if abs(v[i] - q) < tol:
        below = np.flatnonzero(v < q - tol)
        if below.size:
            return float((t[i] + t[below[0]]) / 2)
    return float(t[i])


def _median_one(d, time_col, event_col, alpha):
    tab = _km_one(d, time_col, event_col, alpha)
    q = {
        k: _quantile_time(tab["time"], tab[c])
        for k, c in (("median", "estimate"), ("lower", "lower"), ("upper", "upper"))
    }
    return pd.DataFrame([{"n": len(d), "events": int(d[event_col].astype(bool).sum()), **q}])


def km_median(
    df: pd.DataFrame,
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
    ci: str = "log-log",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Median survival time per group with its CI (where the CI bands cross 0.5).

    Columns: group, n, events, median, lower, upper. Not reached -> NaN (`format_time` -> "NR").
    """
    _check_ci(ci)
    return _per_group(
        _median_one, df, group_col, time_col=time_col, event_col=event_col, alpha=alpha
    )


def _step_lookup(table: pd.DataFrame, times: Iterable[float], cols: list[str]) -> pd.DataFrame:
    """Values of a right-continuous step table at `times`; NaN beyond its last time, unless the
    last observation is not censored (then no one is left: the curve is final, e.g. S = 0)."""
    times = np.asarray(list(times), float)
    idx = np.searchsorted(table["time"].to_numpy(), times, side="right") - 1
    out = table.iloc[np.clip(idx, 0, None)][cols].reset_index(drop=True)
    open_end = table["censored"].iloc[-1] > 0
    out.loc[(idx < 0) | (open_end & (times > table["time"].max())), cols] = np.nan
    return out.assign(time=times)[["time"] + cols]


def _at_risk(d: pd.DataFrame, time_col: str, t: np.ndarray) -> np.ndarray:
    return (d[time_col].to_numpy(float)[None, :] >= np.asarray(t, float)[:, None]).sum(axis=1)


def _landmark_one(d, time_col, event_col, times, alpha):
    tab = _km_one(d, time_col, event_col, alpha)
    out = _step_lookup(tab, times, ["estimate", "lower", "upper"])
    return out.assign(at_risk=_at_risk(d, time_col, out["time"]))


def landmarks(
    df: pd.DataFrame,
    times: Iterable[float],
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """KM estimate with CI at fixed times (days), e.g. months_to_days(6), months_to_days(12).

    Columns: group, time, estimate, lower, upper, at_risk. NaN beyond the last observed time
    when that is a censoring (as R's summary.survfit, which drops such times).
    """
    return _per_group(
        _landmark_one,
        df,
        group_col,
        time_col=time_col,
        event_col=event_col,
        times=list(times),
        alpha=alpha,
    )


def _risk_one(d, time_col, event_col, ticks):
    t = d[time_col].to_numpy(float)
    e = d[event_col].astype(bool).to_numpy()
    ticks = np.asarray(list(ticks), float)
    before = t[None, :] < ticks[:, None]
    return pd.DataFrame(
        {
            "tick": ticks,
            "at_risk": (~before).sum(axis=1),
            "events": (before & e).sum(axis=1),
            "censored": (before & ~e).sum(axis=1),
        }
    )


def risk_table(
    df: pd.DataFrame,
    ticks: Iterable[float],
    time_col: str = "time",
    event_col: str = "event",
    group_col: str | None = None,
) -> pd.DataFrame:
    """KMunicate table under the plot: per group and tick (days), at_risk (time >= tick), and the
    cumulative events and censored before the tick. at_risk + events + censored = n.

    For a competing-risks endpoint pass event_col = any event (e.g. `rfs_event`).
    Columns: group, tick, at_risk, events, censored.
    """
    return _per_group(
        _risk_one, df, group_col, time_col=time_col, event_col=event_col, ticks=list(ticks)
    )


def patients_at(
    df: pd.DataFrame,
    time: float,
    time_col: str = "time",
    group_col: str | None = None,
    group: str | None = None,
) -> pd.DataFrame:
    """The rows (patients) whose observation ends at `time` (their event or censoring), e.g. for a
    clicked step or censor mark."""
    key = group if group_col else ALL
    empty = df.iloc[0:0]
    rows = dict(groups_of(df, group_col)).get(key, empty) if key is not None else empty
    return rows.loc[np.isclose(rows[time_col].astype(float), time)]


# --- Competing risks ---------------------------------------------------------------------------


class _AalenJohansen(AalenJohansenFitter):
    """lifelines' Aalen-Johansen without the random jitter of tied event times.

    lifelines jitters event times when events of different causes share a time. That is not
    needed: its estimate uses the at-risk count, all-cause events and cause-specific events at
    each distinct time, which is the Aalen-Johansen estimator with ties (tests: equal to R's
    survfit to 1e-10). The jitter would instead reseed numpy's global RNG, give non-reproducible
    times, and move events past censorings at the same time (changing the risk sets).
    """

    @staticmethod
    def _check_for_duplicates(durations, events):
        return False


def _cif_one(d, time_col, status_col, event_of_interest, alpha):
    t = d[time_col].astype(float).to_numpy()
    s = d[status_col].astype(int).to_numpy()
    if ((t <= 0) & (s == event_of_interest)).any():
        raise ValueError("event of interest at time <= 0: lifelines sets the CIF to 0 at time 0")
    ajf = _AalenJohansen(alpha=alpha).fit(t, s, event_of_interest=event_of_interest)
    et = ajf.event_table
    ci = ajf.confidence_interval_.reindex(et.index)
    own = et[f"observed_{event_of_interest}"]
    out = pd.DataFrame(
        {
            "time": et.index.astype(float),
            "at_risk": et["at_risk"].to_numpy(),
            "events": own.to_numpy(),
            "competing": (et["observed"] - own).to_numpy(),
            "censored": et["censored"].to_numpy(),
            "estimate": ajf.cumulative_density_.iloc[:, 0].reindex(et.index).to_numpy(),
            # lifelines labels the bands "upper"/"lower" of log(-log F): take min/max to be safe
            "lower": ci.min(axis=1, skipna=False).to_numpy(),
            "upper": ci.max(axis=1, skipna=False).to_numpy(),
        }
    )
    zero = out["estimate"] <= 0
    out.loc[zero, ["lower", "upper"]] = 0.0
    return out


def cumulative_incidence(
    df: pd.DataFrame,
    time_col: str = "time",
    status_col: str = "status",
    event_of_interest: int = RELAPSE,
    group_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of `event_of_interest`; other non-zero codes of
    `status_col` compete, 0 is censored.

    Columns: group, time, at_risk, events (of interest), competing, censored, estimate, lower,
    upper (delta-method CI on log(-log F); [0, 0] while F = 0; NaN where the variance is
    undefined, i.e. when everyone at risk has an event).
    """
    return _per_group(
        _cif_one,
        df,
        group_col,
        time_col=time_col,
        status_col=status_col,
        event_of_interest=event_of_interest,
        alpha=alpha,
    )


def cif_landmarks(
    df: pd.DataFrame,
    times: Iterable[float],
    time_col: str = "time",
    status_col: str = "status",
    event_of_interest: int = RELAPSE,
    group_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cumulative incidence with CI at fixed times. Columns as `landmarks`."""

    def one(d):
        tab = _cif_one(d, time_col, status_col, event_of_interest, alpha)
        out = _step_lookup(tab, times, ["estimate", "lower", "upper"])
        return out.assign(at_risk=_at_risk(d, time_col, out["time"]))

    return _per_group(one, df, group_col)


# --- Log-rank ----------------------------------------------------------------------------------


def logrank(
    df: pd.DataFrame, time_col: str = "time", event_col: str = "event", group_col: str | None = None
) -> dict | None:
    """Log-rank test across the groups of `group_col` (missing values form a group).

    Returns {"chi2", "df", "p", "groups"}; None with fewer than two groups.
    """
    if group_col is None:
        return None
    groups = groups_of(df, group_col)
    if len(groups) < 2:
        return None
    labels = pd.concat([pd.Series(g, index=d.index) for g, d in groups])
    d = df.loc[labels.index]
    res = multivariate_logrank_test(
        d[time_col].astype(float), labels, d[event_col].astype(bool).astype(int)
    )
    return {
        "chi2": float(res.test_statistic),
        "df": int(res.degrees_of_freedom),
        "p": float(res.p_value),
        "groups": [g for g, _ in groups],
    }


# --- Endpoints given as data (ADaM ADTTE, `Trial.tte`) -----------------------------------------


def tte_endpoint(patients: pd.DataFrame, tte: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """The patients (with every patient column, for grouping) who have a record of `endpoint` in
    `tte`, with `time` (in the endpoint's unit, usually days) and `event` (1 = event, 0 =
    censored) added. Patients without a record are not in the analysis of that endpoint."""
    rows = tte.loc[tte["endpoint"] == endpoint, ["patient_id", "time", "event"]]
    out = patients.drop(columns=[c for c in ("time", "event") if c in patients]).merge(
        rows, on="patient_id", how="inner"
    )
    return out.astype({"time": float, "event": int})
