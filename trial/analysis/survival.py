"""Time-to-event analyses as the dashboard shows them: an endpoint, a cohort, a grouping in;
curves, risk table, per-group estimates (medians, landmarks) and the log-rank test out.

    result = analyse_survival(trial, SurvivalRequest(cohort, endpoint="os", group="center"))

The same function serves the Survival tab, its exports, the method panel and `python -m trial
summary --json` (`survival_summary`), so that a number can only be computed one way. The
statistics themselves (Kaplan-Meier, Aalen-Johansen, log-rank, the rule for events after death)
are in trial/survival.py, with their conventions. Times are in days; `unit` only chooses where
the risk table is counted (the x-axis ticks: whole months or round numbers of days).

Endpoints
    os      overall survival: all patients, Kaplan-Meier, death = event.
    cif     relapse after response: responders as analysed, Aalen-Johansen cumulative incidence
            of relapse, death before relapse competing; origin day 0 or the response day.
    rfs     relapse-free survival: responders as analysed, Kaplan-Meier, relapse or death.
    tte:<CODE>  an endpoint given as data (ADaM ADTTE PARAMCD), Kaplan-Meier, from its start.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from .. import survival as sv
from ..model import Trial
from . import published as pub
from .cohort import NO_GROUP, Cohort, group_label, labelled
from .competing import GrayTest
from .effects import (
    LANDMARK_CHOICES,
    HazardRatios,
    Landmark,
    check_json,
    gray,
    guarantee_check,
    hazard_ratios,
    landmark_frame,
)
from .landmark import GuaranteeTimeCheck
from .records import records

GROUP = "_group"  # column of the endpoint frame holding the (ordered, categorical) group label
MIN_N = 2  # smallest group that gets a curve; smaller groups are listed as not estimable
LANDMARK_MONTHS = (6, 12)
TTE_PREFIX = "tte:"
UNITS = ("months", "days")
_RISK = (("at_risk", "At risk"),)


@dataclass(frozen=True)
class Endpoint:
    """One time-to-event endpoint and how to read it."""

    key: str
    title: str
    y_title: str
    estimator: str
    event_col: str  # 1 = event (KM) or event of interest (CIF) in the endpoint frame
    event_word: str  # plural, for counts: "deaths", "relapses"
    risk_rows: tuple  # (column of the risk frame, row label) under the plot
    cif: bool = False
    relapse: bool = True
    tte: str = ""  # the endpoint code in `Trial.tte` (ADaM ADTTE PARAMCD), if any
    json_key: str = ""  # its name in `trial summary --json`

    @property
    def population(self) -> str:
        return "responders" if self.relapse else "patients"


ENDPOINTS = {
    "os": Endpoint(
        "os",
        "Overall survival",
        "Overall survival",
        "Kaplan-Meier",
        "event",
        "deaths",
        _RISK + (("events", "Deaths"), ("censored", "Censored")),
        relapse=False,
        json_key="overall_survival",
    ),
    "cif": Endpoint(
        "cif",
        "Relapse after response, cumulative incidence",
        "Cumulative incidence of relapse",
        "Aalen-Johansen, death before relapse as competing risk",
        "relapse_event",
        "relapses",
        _RISK + (("events", "Relapses"), ("competing", "Deaths"), ("censored", "Censored")),
        cif=True,
        json_key="relapse_cumulative_incidence",
    ),
    "rfs": Endpoint(
        "rfs",
        "Relapse-free survival",
        "Relapse-free survival",
        "Kaplan-Meier, relapse or death as event",
        "rfs_event",
        "relapses or deaths",
        _RISK + (("events", "Relapses or deaths"), ("censored", "Censored")),
        json_key="relapse_free_survival",
    ),
}
ENDPOINT_LABELS = {
    "os": "Overall survival",
    "cif": "Relapse: cumulative incidence",
    "rfs": "Relapse-free survival",
}
# Patient columns each kind of endpoint is built from (trial.survival).
REQUIRED = {
    False: ("death", "death_day", "followup_end_day"),
    True: (
        "response",
        "response_day",
        "relapse",
        "relapse_day",
        "death",
        "death_day",
        "followup_end_day",
    ),
}


def tte_endpoint(code: str, label: str) -> Endpoint:
    """An endpoint given as data (`Trial.tte`, e.g. ADaM ADTTE): Kaplan-Meier, 1 = event."""
    y_title = (
        f"Free of {label[8:].lower()}"
        if label.lower().startswith("time to")
        else f"Without the event: {label.lower()}"
    )
    return Endpoint(
        f"{TTE_PREFIX}{code}",
        label,
        y_title,
        "Kaplan-Meier",
        "event",
        "events",
        _RISK + (("events", "Events"), ("censored", "Censored")),
        relapse=False,
        tte=code,
        json_key=code,
    )


def endpoint_choices(trial: Trial) -> dict[str, str]:
    """Endpoint key -> label: the derived endpoints the data support (relapse ones only with
    responses), then the endpoints given as data (ADaM ADTTE), keyed "tte:<PARAMCD>"."""
    # A study with its own overall survival (ADaM ADTTE OS) is analysed with it, not with one
    # derived from the death records (trial.model.Design.overall_survival).
    own_os = bool(trial.study.design.overall_survival)
    out = {
        k: v
        for k, v in ENDPOINT_LABELS.items()
        if (not ENDPOINTS[k].relapse or trial.has_response) and not (k == "os" and own_os)
    }
    out.update({f"{TTE_PREFIX}{code}": label for code, label in trial.tte_endpoints})
    return out


def default_endpoint(trial: Trial) -> str:
    """The first endpoint given as data, if any (ADaM), else overall survival."""
    return next((k for k in endpoint_choices(trial) if k.startswith(TTE_PREFIX)), "os")


def default_unit(endpoint: str) -> str:
    """Days for endpoints given as data (their own unit, usually days), else months."""
    return "days" if endpoint.startswith(TTE_PREFIX) else "months"


def endpoint_for(trial: Trial, key: str | None) -> Endpoint:
    if key and key.startswith(TTE_PREFIX):
        code = key[len(TTE_PREFIX) :]
        return tte_endpoint(code, dict(trial.tte_endpoints).get(code, code))
    return ENDPOINTS.get(key or "os", ENDPOINTS["os"])


def tte_unit(trial: Trial, endpoint: Endpoint) -> str:
    """The unit of an endpoint's times in the data: days for the derived ones."""
    if not endpoint.tte:
        return "days"
    units = trial.tte.loc[trial.tte["endpoint"] == endpoint.tte, "unit"]
    return str(units.iloc[0]) if len(units) else "days"


@dataclass(frozen=True)
class SurvivalRequest:
    cohort: Cohort = Cohort()
    endpoint: str = "os"
    group: str = NO_GROUP
    origin: str = "day0"  # relapse endpoints: "day0" or "response"
    unit: str = "months"  # where the risk table is counted: month or day ticks
    reference: str | None = None  # the hazard ratios' reference group (None: the first)
    strata: bool = False  # Cox model (and Gray's test) stratified by center
    covariates: tuple[str, ...] = ()  # patient columns the Cox model adjusts for
    landmark: int | None = None  # months: groups fixed at the landmark, time since it


@dataclass(frozen=True)
class SurvivalResult:
    """Everything one state of the Survival tab shows (times in days). `empty` says why there
    is nothing to estimate (then the frames are empty)."""

    request: SurvivalRequest
    endpoint: Endpoint
    n_patients: int  # the selected patients
    denominator: str  # "40 patients", "23 responders as analysed (24 as recorded)"
    group_label: str | None
    empty: str | None = None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per patient
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # estimable groups' curves
    ticks: tuple[float, ...] = ()  # risk-table times (days)
    risk: pd.DataFrame = field(default_factory=pd.DataFrame)  # group, tick, counts
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)  # per group: n, median, ...
    test: dict | None = None  # log-rank chi2, df, p
    levels: tuple[str, ...] = ()  # the trial's group levels
    hazard: HazardRatios | None = None  # Cox HRs against the reference, PH test
    gray: GrayTest | None = None  # cumulative incidence: Gray's test
    guarantee: GuaranteeTimeCheck | None = None  # is the grouping known after the origin?
    landmark: Landmark | None = None  # the landmark analysis, when one was applied
    published: pd.DataFrame | None = None  # the paper's relapse counts beside the estimate
    notices: tuple[str, ...] = ()  # what the request asked for that does not apply

    @property
    def groups(self) -> list[str]:
        return list(self.summary["group"]) if len(self.summary) else []

    @property
    def origin(self) -> str:
        """ "start" (endpoints given as data), "response" or "day0"."""
        if self.endpoint.tte:
            return "start"
        return self.request.origin if self.endpoint.relapse else "day0"


# --- Building blocks -----------------------------------------------------------------------------


def missing_columns(patients: pd.DataFrame, relapse: bool) -> list[str]:
    return [c for c in REQUIRED[relapse] if c not in patients.columns]


def axis_ticks(max_day: float, unit: str) -> list[float]:
    """Tick positions in days: whole months (every 1, 3 or 12) or round numbers of days."""
    if unit == "months":
        months = sv.days_to_months(max_day)
        return sv.month_ticks(max_day, 1 if months <= 6 else 3 if months <= 36 else 12)
    step = next((s for s in (7, 14, 30, 60, 90, 180, 365, 730) if max_day / s <= 6), 1825)
    return [float(x) for x in np.arange(0, max_day + 1e-9, step)]


def endpoint_frame(
    trial: Trial, patients: pd.DataFrame, endpoint: Endpoint, origin: str = "day0"
) -> pd.DataFrame:
    """One row per patient in the endpoint's population: time (days), status (0 censored,
    1 relapse, 2 death), any_event, and the endpoint's event column; patient columns kept.
    An endpoint given as data takes time and event from `trial.tte`; its status is the event
    (1) or censored (0)."""
    if endpoint.tte:
        df = sv.tte_endpoint(patients, trial.tte, endpoint.tte)
        return df.assign(any_event=df["event"], status=df["event"])
    if not endpoint.relapse:
        df = sv.overall_survival(patients)
        return df.assign(any_event=df["event"], status=df["event"] * sv.DEATH)
    df = sv.relapse_endpoint(patients, origin)
    return df.assign(
        any_event=df["rfs_event"], relapse_event=(df["status"] == sv.RELAPSE).astype(int)
    )


def denominator(patients: pd.DataFrame, relapse: bool) -> str:
    """E.g. "40 patients" or "23 responders as analysed (24 as recorded)"."""
    if not relapse:
        return f"{len(patients):,} patients"
    flags = sv.analysis_flags(patients)
    an, rec = int(flags["responder_analysed"].sum()), int(flags["responder_recorded"].sum())
    same = "as recorded and analysed" if an == rec else f"as analysed ({rec:,} as recorded)"
    return f"{an:,} responders {same}"


def _present(frame: pd.DataFrame) -> list[str]:
    """Group labels present in the frame, in the categorical order."""
    present = set(frame[GROUP].dropna())
    return [g for g in frame[GROUP].cat.categories if g in present]


def _subset(frame: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    sub = frame.loc[frame[GROUP].isin(groups)]
    return sub.assign(**{GROUP: sub[GROUP].cat.remove_unused_categories()})


def _curves(frame: pd.DataFrame, endpoint: Endpoint) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(
            columns=["group", "time", "at_risk", "events", "censored", "estimate", "lower", "upper"]
        )
    if endpoint.cif:
        return sv.cumulative_incidence(frame, "time", "status", sv.RELAPSE, GROUP)
    return sv.km_table(frame, "time", endpoint.event_col, GROUP)


def _risk(frame: pd.DataFrame, ticks: list[float], endpoint: Endpoint) -> pd.DataFrame:
    """Risk table per group and tick; for the CIF, relapses and competing deaths apart."""
    risk = sv.risk_table(frame, ticks, "time", "any_event", GROUP)
    if endpoint.cif:
        own = sv.risk_table(frame, ticks, "time", "relapse_event", GROUP)
        risk = risk.assign(competing=risk["events"] - own["events"], events=own["events"])
    return risk


def _landmark_columns(frame: pd.DataFrame, endpoint: Endpoint) -> pd.DataFrame:
    """group, then m{M}_estimate/lower/upper for each landmark month."""
    marks = [sv.months_to_days(m) for m in LANDMARK_MONTHS]
    if endpoint.cif:
        lm = sv.cif_landmarks(frame, marks, group_col=GROUP)
    else:
        lm = sv.landmarks(frame, marks, "time", endpoint.event_col, GROUP)
    lm = lm.assign(month=np.round(sv.days_to_months(lm["time"])).astype(int))
    wide = lm.pivot(index="group", columns="month", values=["estimate", "lower", "upper"])
    # values x months: a MultiIndex (pandas-stubs type columns as Index[str])
    wide.columns = [f"m{m}_{stat}" for stat, m in cast(pd.MultiIndex, wide.columns)]
    order = [f"m{m}_{s}" for m in LANDMARK_MONTHS for s in ("estimate", "lower", "upper")]
    return wide.reindex(columns=order).reset_index()


def _summary(
    frame: pd.DataFrame, estimable: list[str], endpoint: Endpoint, landmarks: bool
) -> pd.DataFrame:
    """Per group (every group, estimable or not): counts, median with CI, landmarks."""
    counts = (
        frame.groupby(GROUP, observed=True)
        .agg(
            n=("time", "size"), events=(endpoint.event_col, "sum"), any_events=("any_event", "sum")
        )
        .reset_index()
        .rename(columns={GROUP: "group"})
    )
    counts["group"] = counts["group"].astype(str)
    counts["competing"] = counts["any_events"] - counts["events"]
    counts["censored"] = counts["n"] - counts["any_events"]
    counts["estimable"] = counts["group"].isin(estimable)
    out = counts.drop(columns="any_events")
    sub = _subset(frame, estimable)
    if sub.empty:
        return out
    if not endpoint.cif:
        med = sv.km_median(sub, "time", endpoint.event_col, GROUP)[
            ["group", "median", "lower", "upper"]
        ]
        out = out.merge(
            med.rename(columns={"lower": "median_lower", "upper": "median_upper"}),
            on="group",
            how="left",
        )
    if not landmarks:
        return out
    return out.merge(_landmark_columns(sub, endpoint), on="group", how="left")


def grouped(trial: Trial, frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """The endpoint frame with an ordered GROUP column (the whole trial's level order)."""
    col = None if group in (None, NO_GROUP) else group
    return frame.assign(**{GROUP: labelled(trial, frame, col)})


def _why_empty(
    trial: Trial, patients: pd.DataFrame, endpoint: Endpoint, frame: pd.DataFrame | None
) -> str | None:
    missing = missing_columns(patients, endpoint.relapse)
    if missing:
        return "The data do not record " + ", ".join(missing) + "."
    if patients.empty:
        return "No patients match the filters."
    if frame is not None and frame.empty:
        why = "No responders" if endpoint.relapse else "No records of this endpoint"
        return f"{why} among the selected patients."
    return None


# --- The analysis --------------------------------------------------------------------------------


def study_frame(trial: Trial, request: SurvivalRequest) -> pd.DataFrame:
    """The request's endpoint frame with its GROUP column: one row per patient analysed."""
    endpoint = endpoint_for(trial, request.endpoint)
    patients = request.cohort.patients(trial)
    if missing_columns(patients, endpoint.relapse) or patients.empty:
        return pd.DataFrame()
    return grouped(trial, endpoint_frame(trial, patients, endpoint, request.origin), request.group)


def published_rows(trial: Trial, endpoint: Endpoint, origin: str) -> pd.DataFrame | None:
    """The paper's relapse counts beside the estimate for all responders: only for the
    cumulative incidence of relapse, and only on this trial's data (its registry id)."""
    if (
        not endpoint.cif
        or trial.study.registry_id != pub.REGISTRY_ID
        or missing_columns(trial.patients, True)
    ):
        return None
    return pub.published_vs_estimated(trial.patients, (9, 12), origin)


def _with_landmark(
    trial: Trial, request: SurvivalRequest, frame: pd.DataFrame, check: GuaranteeTimeCheck | None
) -> tuple[pd.DataFrame, Landmark | None, list[str]]:
    """The frame of the landmark analysis the request asks for, if it applies."""
    if not request.landmark:
        return frame, None, []
    if check is None or not check.post_baseline:
        return (
            frame,
            None,
            [
                "No landmark: the grouping is known at the origin, so the curves "
                "start at the origin."
            ],
        )
    lm_frame, landmark = landmark_frame(
        frame, request.group, GROUP, int(request.landmark), group_label(trial, request.group)
    )
    return lm_frame, landmark, []


def analyse_survival(trial: Trial, request: SurvivalRequest) -> SurvivalResult:
    """Curves, risk table, per-group estimates, log-rank test, hazard ratios (and Gray's test)
    of the request; with a landmark, all of them from the landmark."""
    endpoint = endpoint_for(trial, request.endpoint)
    patients = request.cohort.patients(trial)
    label = group_label(trial, request.group, request.cohort)
    result = functools.partial(
        SurvivalResult,
        request=request,
        endpoint=endpoint,
        n_patients=len(patients),
        group_label=label,
        published=published_rows(trial, endpoint, request.origin),
    )
    empty = _why_empty(trial, patients, endpoint, None)
    if empty and missing_columns(patients, endpoint.relapse):
        return result(denominator="", empty=empty)
    # Who is analysed: the study's analysis set where it defines one (ADaM populations).
    denom = (
        not endpoint.relapse and request.cohort.analysis_set(trial, len(patients))
    ) or denominator(patients, endpoint.relapse)
    frame = study_frame(trial, request)
    empty = empty or _why_empty(trial, patients, endpoint, frame)
    if empty:
        return result(denominator=denom, empty=empty)
    check = guarantee_check(frame, None if request.group == NO_GROUP else request.group, label)
    frame, landmark, notices = _with_landmark(trial, request, frame, check)
    if frame.empty:
        return result(
            guarantee=check,
            landmark=landmark,
            notices=tuple(notices),
            denominator=denom,
            empty=(f"No patient is followed beyond the landmark (month {request.landmark})."),
        )
    groups = _present(frame)
    sizes = frame[GROUP].value_counts()
    estimable = [g for g in groups if sizes[g] >= MIN_N]
    ticks = axis_ticks(frame["time"].max(), request.unit)
    landmarks = tte_unit(trial, endpoint) == "days"
    summary = _summary(frame, estimable, endpoint, landmarks)
    summary = summary.set_index("group").loc[groups].reset_index()
    several = len(groups) >= 2
    test = sv.logrank(frame, "time", endpoint.event_col, GROUP) if several else None
    hazard = (
        hazard_ratios(
            frame,
            GROUP,
            request.group,
            endpoint.event_col,
            request.reference,
            request.strata,
            request.covariates,
            endpoint.cif,
        )
        if several
        else None
    )
    return result(
        guarantee=check,
        landmark=landmark,
        notices=tuple(notices),
        denominator=denom,
        frame=frame,
        curves=_curves(_subset(frame, estimable), endpoint),
        ticks=tuple(ticks),
        risk=_risk(frame, ticks, endpoint),
        summary=summary,
        test=test,
        levels=tuple(frame[GROUP].cat.categories),
        hazard=hazard,
        gray=gray(frame, GROUP, request.group, request.strata)
        if endpoint.cif and several
        else None,
    )


def analysis_frame(trial: Trial, request: SurvivalRequest) -> pd.DataFrame:
    """The rows the request's curves are drawn from: the endpoint frame, or, with a landmark
    that applies, the landmark population (time since the landmark)."""
    frame = study_frame(trial, request)
    if frame.empty or not request.landmark:
        return frame
    group = None if request.group == NO_GROUP else request.group
    check = guarantee_check(frame, group, group_label(trial, request.group))
    return _with_landmark(trial, request, frame, check)[0]


def patients_at(trial: Trial, request: SurvivalRequest, day: float, group: str) -> pd.DataFrame:
    """The patients whose observation ends at `day` in `group` (a clicked step or mark): the
    endpoint frame only, no curve is fitted. Columns: patient_id, time, status."""
    frame = analysis_frame(trial, request)
    if frame.empty:
        return pd.DataFrame(columns=["patient_id", "time", "status"])
    rows = frame.loc[
        (frame[GROUP].astype(str) == group) & np.isclose(frame["time"].astype(float), day)
    ]
    return rows[["patient_id", "time", "status"]].sort_values("patient_id")


# --- Counts the view states in words -------------------------------------------------------------


def headline_counts(result: SurvivalResult, patients: pd.DataFrame) -> dict:
    """The endpoint's counts among the selected patients (`patients`): events and censored
    (endpoints given as data), deaths by 12 months (overall survival), relapses among
    responders as recorded and as analysed (relapse endpoints)."""
    f = result.frame
    if result.endpoint.tte:
        return {
            "events": int(f["event"].sum()),
            "censored": int((f["event"] == 0).sum()),
            "with_record": len(f),
            "selected": len(patients),
        }
    if not result.endpoint.relapse:
        died = patients["death"].astype(bool)
        by12 = int((died & (patients["death_day"].astype(float) <= sv.months_to_days(12))).sum())
        return {
            "selected": len(patients),
            "deaths_by_12_months": by12,
            "deaths_later": int(died.sum()) - by12,
        }
    flags = sv.analysis_flags(patients)
    return {
        "relapses_analysed": int(flags["relapse_analysed"].sum()),
        "responders_analysed": int(flags["responder_analysed"].sum()),
        "relapses_recorded": int(flags["relapse_recorded"].sum()),
        "responders_recorded": int(flags["responder_recorded"].sum()),
        "competing_deaths": int((f["status"] == sv.DEATH).sum()),
    }


# --- `python -m trial summary --json` ------------------------------------------------------------


def _by_group(frame: pd.DataFrame) -> dict[str, list[dict]]:
    if frame.empty:
        return {}
    groups = frame.groupby("group", sort=False)
    return {str(g): records(d.drop(columns="group")) for g, d in groups}


MEDIAN_KEYS = {"median": "median", "median_lower": "lower", "median_upper": "upper"}


def _group_json(result: SurvivalResult, row: dict, curves: dict, risks: dict) -> dict:
    g = row["group"]
    out = {
        "group": g,
        "n": row["n"],
        "events": row["events"],
        "censored": row["censored"],
        "estimable": row["estimable"],
        "table": curves.get(g, []),
        "risk_table": risks.get(g, []),
    }
    if result.endpoint.cif:
        out["competing"] = row["competing"]
    else:
        out["median"] = {
            "n": row["n"],
            "events": row["events"],
            **{v: row.get(k) for k, v in MEDIAN_KEYS.items()},
        }
    out["landmarks"] = [
        {
            "months": m,
            "time": sv.months_to_days(m),
            "estimate": row.get(f"m{m}_estimate"),
            "lower": row.get(f"m{m}_lower"),
            "upper": row.get(f"m{m}_upper"),
        }
        for m in LANDMARK_MONTHS
        if f"m{m}_estimate" in row
    ]
    return out


def result_json(trial: Trial, result: SurvivalResult) -> dict:
    """One analysis as plain data: per group its curve, median, landmarks and risk table
    (times in days), the log-rank test, the hazard ratios with the PH test, Gray's test
    (cumulative incidence), the guarantee-time check, the landmark and the published counts."""
    ep = result.endpoint
    out: dict[str, Any] = {
        "label": ep.title,
        "estimator": ep.estimator,
        "endpoint": ep.key,
        "time_unit": tte_unit(trial, ep),
        "origin": result.origin,
        "population": f"{ep.population} as analysed (n={len(result.frame)})"
        if ep.relapse
        else f"{result.denominator}"
        if not ep.tte
        else f"patients with a record of {ep.tte} (n={len(result.frame)})",
        "risk_table_ticks": list(result.ticks),
        "empty": result.empty,
        "groups": [],
        "logrank": result.test,
        "hazard_ratios": result.hazard.to_dict() if result.hazard else None,
        "guarantee_time": check_json(result.guarantee),
        "landmark": result.landmark.to_dict() if result.landmark else None,
        "notices": list(result.notices),
    }
    if ep.cif:
        out["gray"] = result.gray.to_dict() if result.gray else None
    if result.published is not None:
        out["published"] = records(result.published)
    if result.empty:
        return out
    curves, risks = _by_group(result.curves), _by_group(result.risk)
    out["groups"] = [_group_json(result, r, curves, risks) for r in records(result.summary)]
    if ep.cif:
        out["logrank_note"] = (
            "log-rank on the cause-specific hazard of relapse (deaths "
            "censored); Gray's test compares the cumulative incidences"
        )
    return out


CONVENTIONS = {
    "ci": "95 % pointwise, log(-log) transform; Greenwood variance (KM), delta method (CIF)",
    "median_ci": "times where the CI bands cross 0.5 (R/SAS); null = not reached",
    "risk_table": "at_risk = time >= tick; events, censored = cumulative before tick; "
    "ticks as on the dashboard's x axis",
    "events_after_death": "an event recorded after death is not counted",
    "min_group": f"groups with fewer than {MIN_N} patients are listed, not estimated",
    "hazard_ratio": "Cox PH (Efron ties) of each group vs the first (reference), Wald 95 % CI "
    "and p; PH check: cox.zph (KM transform); cumulative incidence: "
    "cause-specific (deaths censored)",
    "gray": "Gray's test (cmprsk::cuminc, rho = 0) of the cumulative incidence of relapse",
    "landmark": "groups = status reached by L months (L x 30.4375 days); patients with the "
    "event or censored on or before L left out; time since L",
}


def survival_summary(
    trial: Trial, by: str | None = None, relapse_origin: str = "day0", cohort: Cohort = Cohort()
) -> dict:
    """Every endpoint of the trial as `analyse_survival` computes it for the dashboard's default
    view (months for derived endpoints, days for those given as data), grouped by the patients
    column `by` (hazard ratios against its first level); for a grouping known only after the
    origin, the landmark analyses too (`landmark_analyses`, by month); the "as recorded" / "as
    analysed" reconciliation and the conventions."""
    if by is not None and by not in trial.patients.columns:
        raise KeyError(f"no patient column {by!r}")
    group = by or NO_GROUP
    out: dict = {
        "time_unit": "days",
        "days_per_month": sv.DAYS_PER_MONTH,
        "by": by,
        "landmark_months": list(LANDMARK_MONTHS),
        "conventions": CONVENTIONS,
    }
    for key in endpoint_choices(trial):
        request = SurvivalRequest(cohort, key, group, relapse_origin, default_unit(key))
        result = analyse_survival(trial, request)
        data = result_json(trial, result)
        if result.guarantee is not None and result.guarantee.post_baseline:
            data["landmark_analyses"] = {
                str(m): result_json(trial, analyse_survival(trial, replace(request, landmark=m)))
                for m in LANDMARK_CHOICES
            }
        ep = endpoint_for(trial, key)
        if ep.tte:
            out.setdefault("time_to_event", {})[ep.tte] = data
        else:
            out[ep.json_key] = data
    if not missing_columns(trial.patients, True):
        out["reconciliation"] = records(sv.reconciliation(trial.patients))
        out["exclusions"] = records(sv.analysis_exclusions(trial.patients))
    return out
