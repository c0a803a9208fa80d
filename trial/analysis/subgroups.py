"""Effects by subgroup, as a forest plot shows them: one request (cohort, outcome, subgroup
variables, the arms compared) in, one row per subgroup level (and compared arm) out.

    result = analyse_forest(trial, ForestRequest(cohort, outcome="os",
                                                 subgroups=("sex", "age_group")))

Outcomes
    a time-to-event endpoint (`trial.analysis.survival`, except the cumulative incidence of
    relapse: a Kaplan-Meier median of it would ignore the competing deaths; relapse-free
    survival is offered instead), or `RESPONSE`: best response MCR or PCR as recorded.
Effects (the statistics are trial.analysis.forest's, tested against R)
    with arms compared (`compare`, e.g. the ADaM arm): per level and arm, the Cox hazard ratio
    against the reference arm, or the risk difference (Newcombe) or odds ratio (logistic) of
    responding; per subgroup variable, the likelihood-ratio test of arm x subgroup interaction.
    single arm: per level, the crude event rate (events / n, exact CI) and the Kaplan-Meier
    median, or the response rate (exact CI); for a time-to-event outcome the log-rank test
    across the levels (descriptive: the levels are not randomised).
Subgroup variables: any categorical patient column that is a grouping choice
(`cohort.group_options`, no two-way groupings), and, when the data have an age but no age
group, `AGE_GROUP`: age at or below the trial's median age (whole years) or above it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import survival as sv
from ..model import SEX_LABELS, Trial
from .cohort import (
    CENTER_PREFIX,
    MAX_GROUP_LEVELS,
    NO_GROUP,
    OUTCOME_COLUMNS,
    Cohort,
    group_options,
    labelled,
)
from .effects import known_column
from .forest import ForestResult as Forest
from .forest import response_forest, tte_forest
from .records import records
from .survival import (
    SurvivalRequest,
    default_endpoint,
    endpoint_choices,
    endpoint_for,
    study_frame,
)

RESPONSE = "response_rate"  # the outcome key of the response forest
AGE_GROUP = "age_group"  # the derived age group (when the data have none)
ALL = "all"  # the subgroup "variable" of the all-patients row
ALL_LABEL = "All patients"
_RESPONDER = "_responder"
MEASURES = {"rd": "Risk difference", "or": "Odds ratio"}
DEFAULT_SUBGROUPS = ("center", "sex", "lupus_nephritis", "agegr1", AGE_GROUP, "race")
# How a level is shown where the data use a code (the level itself stays the code: it is what
# a filter selects).
LEVEL_NAMES = {"sex": SEX_LABELS}
# Outcomes a subgroup may not be defined by: its own outcome (circular).
CIRCULAR = {RESPONSE: {"response", "relapse"}}


@dataclass(frozen=True)
class ForestRequest:
    cohort: Cohort = Cohort()
    outcome: str = "os"  # an endpoint key, or RESPONSE
    subgroups: tuple[str, ...] = ()
    compare: str = NO_GROUP  # the arms compared within each subgroup, or none
    reference: str | None = None  # the reference arm (None: the first)
    measure: str = "rd"  # response with arms: "rd" or "or"
    origin: str = "day0"  # relapse-free survival: from day 0 or the response


@dataclass(frozen=True)
class ForestResult:
    """One row per subgroup level (and non-reference arm), the all-patients row first.

    `rows`: subgroup, subgroup_label, level, level_label (how it is shown), arm, reference, n,
    events, estimate, lower, upper, p, estimable, note, median, median_lower, median_upper;
    `tests`: subgroup,
    subgroup_label, test, statistic, df, p, note (interaction, or log-rank across levels).
    `kind`: "hr", "or", "rd" (effects against `reference`), "event_rate" or "rate" (single
    arm); `null`: the value of no effect (1, 0) or, for rates, the all-patients rate."""

    request: ForestRequest
    outcome_label: str
    kind: str
    rows: pd.DataFrame
    tests: pd.DataFrame
    n_patients: int
    reference: str | None
    null: float | None
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    empty: str | None = None

    @property
    def compared(self) -> bool:
        return self.kind in ("hr", "or", "rd")


# --- Choices ----------------------------------------------------------------------------------


def age_cut(trial: Trial) -> int | None:
    """The derived age group's cut (the trial's median age, whole years), or None."""
    p = trial.patients
    if "age" not in p or p["age"].isna().all() or any(str(c).startswith("agegr") for c in p):
        return None
    return int(math.floor(p["age"].median()))


def age_group_labels(cut: int) -> tuple[str, str]:
    return f"Age ≤ {cut}", f"Age > {cut}"


def age_group_bounds(trial: Trial, level: str) -> tuple[int, int] | None:
    """The age range (inclusive, whole years) of a derived age-group level."""
    cut = age_cut(trial)
    if cut is None:
        return None
    ages = trial.patients["age"].dropna()
    lo, hi = int(math.floor(ages.min())), int(math.ceil(ages.max()))
    low, high = age_group_labels(cut)
    return {low: (lo, cut), high: (cut + 1, hi)}.get(level)


def subgroup_options(trial: Trial) -> dict[str, str]:
    """Subgroup variables: the one-way groupings of the data, and the derived age group."""
    out = {
        k: v
        for k, v in group_options(trial).items()
        if k != NO_GROUP and not k.startswith(CENTER_PREFIX)
    }
    cut = age_cut(trial)
    if cut is not None:
        out[AGE_GROUP] = f"Age group (split at the median, {cut} years)"
    return out


def default_subgroups(trial: Trial) -> list[str]:
    offered = subgroup_options(trial)
    primary = trial.study.primary_group
    return [
        c
        for c in DEFAULT_SUBGROUPS
        if c in offered
        and c != primary
        and (c != "center" or len(trial.centers) <= MAX_GROUP_LEVELS)
    ]


def outcome_choices(trial: Trial) -> dict[str, str]:
    """Outcomes of the forest: the time-to-event endpoints but the cumulative incidence, and
    the response rate when the data record responses."""
    out = {k: v for k, v in endpoint_choices(trial).items() if not endpoint_for(trial, k).cif}
    if trial.has_response:
        out[RESPONSE] = "Response (MCR or PCR)"
    return out


def default_outcome(trial: Trial) -> str:
    """The response rate where the data record responses (a single-arm trial's main effect
    by subgroup; its few deaths make a poor forest), else the first time-to-event endpoint."""
    return RESPONSE if trial.has_response else default_endpoint(trial)


def compare_options(trial: Trial) -> dict[str, str]:
    """What can be compared within subgroups: nothing (single arm), or the study's arms."""
    out = {NO_GROUP: "None (each subgroup's own estimate)"}
    primary = trial.study.primary_group
    if primary and primary in trial.patients:
        out[primary] = trial.study.column_label(primary)
    return out


def default_compare(trial: Trial) -> str:
    return next((k for k in compare_options(trial) if k != NO_GROUP), NO_GROUP)


def arm_levels(trial: Trial, compare: str) -> list[str]:
    """The levels of the compared column, in the trial's order (the reference choices)."""
    if compare in (None, NO_GROUP) or compare not in trial.patients:
        return []
    return list(labelled(trial, trial.patients, compare).cat.categories)


# --- Labels ---------------------------------------------------------------------------------


def _number_key(label: str):
    """Age bands such as "<65", "65-80", ">80" in numeric order; other labels keep theirs."""
    found = re.search(r"(\d+(?:\.\d+)?)", label)
    if not found:
        return None
    x = float(found.group(1))
    return (
        x - 0.5
        if label.lstrip().startswith("<")
        else x + 0.5
        if label.lstrip().startswith(">")
        else x
    )


def subgroup_labels(trial: Trial, frame: pd.DataFrame, col: str) -> pd.Series:
    """An ordered categorical of the rows' subgroup labels (trial order; numeric bands in
    numeric order)."""
    if col == AGE_GROUP:
        cut = age_cut(trial)
        low, high = age_group_labels(cut or 0)
        age = frame["age"].astype(float)
        values = pd.Series(np.where(age <= (cut or 0), low, high), index=frame.index)
        values = values.where(age.notna(), "missing")
        levels = [low, high] + (["missing"] if age.isna().any() else [])
        return pd.Series(pd.Categorical(values, levels), index=frame.index)
    out = labelled(trial, frame, col)
    cats = list(out.cat.categories)
    keys = [_number_key(c) for c in cats]
    if cats and all(k is not None for k in keys) and col not in ("center", "response"):
        out = out.cat.reorder_categories([c for _, c in sorted(zip(keys, cats, strict=True))])
    return out


def subgroup_label(trial: Trial, col: str) -> str:
    if col == ALL:
        return ALL_LABEL
    return subgroup_options(trial).get(col, trial.study.column_label(col))


# --- The analysis -----------------------------------------------------------------------------


def _frame(trial: Trial, request: ForestRequest) -> pd.DataFrame:
    """One row per patient of the outcome's population (time-to-event: its endpoint frame)."""
    if request.outcome == RESPONSE:
        p = request.cohort.patients(trial)
        return p.assign(**{_RESPONDER: p["response"].isin(("MCR", "PCR")).astype(int)})
    return study_frame(
        trial, SurvivalRequest(request.cohort, request.outcome, NO_GROUP, request.origin)
    )


def _usable(
    trial: Trial, request: ForestRequest, frame: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """The subgroup variables that can be analysed, and why the others cannot."""
    circular = CIRCULAR.get(request.outcome, OUTCOME_COLUMNS)
    offered = subgroup_options(trial)
    keep, msgs = [], []
    for col in request.subgroups:
        if col not in offered or (col != AGE_GROUP and col not in frame):
            msgs.append(f"{col}: not a subgroup variable of these data")
        elif col == request.compare:
            msgs.append(f"{offered[col]}: it is the comparison itself, not a subgroup")
        elif col in circular:
            msgs.append(f"{offered[col]}: defined by the outcome itself, not a subgroup of it")
        else:
            keep.append(col)
    return keep, msgs


def _guarantee_warnings(trial: Trial, request: ForestRequest, subgroups: list[str]) -> list[str]:
    if request.outcome == RESPONSE:
        return []
    known = [c for c in subgroups if known_column(trial.patients, c)]
    return [
        f"{subgroup_label(trial, c)} is known only after day 0: comparing the time to "
        "event by it from day 0 credits its subgroups with the time needed to reach it "
        "(guarantee-time bias); the Survival tab's landmark option fixes the groups at 3 "
        "or 6 months."
        for c in known
    ]


def _tte_rows(forest: Forest, compared: bool) -> pd.DataFrame:
    r = forest.rows
    if compared:
        # per line the two arms compared: the arm's patients and the reference arm's (the
        # level's patients less those of every other arm)
        by_level = r.groupby(["subgroup", "level"], sort=False)
        ref_n = r["n_subgroup"] - by_level["n"].transform("sum")
        ref_events = r["events_subgroup"] - by_level["events"].transform("sum")
        return pd.DataFrame(
            {
                "subgroup": r["subgroup"],
                "level": r["level"],
                "arm": r["arm"],
                "reference": r["reference"],
                "n": r["n"] + ref_n,
                "events": r["events"] + ref_events,
                "n_arm": r["n"],
                "events_arm": r["events"],
                "n_reference": ref_n,
                "events_reference": ref_events,
                "n_subgroup": r["n_subgroup"],
                "estimate": r["hr"],
                "lower": r["lower"],
                "upper": r["upper"],
                "p": r["p"],
                "estimable": r["estimable"],
                "note": r["note"],
            }
        )
    return pd.DataFrame(
        {
            "subgroup": r["subgroup"],
            "level": r["level"],
            "arm": "",
            "reference": "",
            "n": r["n"],
            "events": r["events"],
            "estimate": r["event_rate"],
            "lower": r["rate_lower"],
            "upper": r["rate_upper"],
            "p": np.nan,
            "estimable": r["n"] > 0,
            "note": "",
            "median": r["median"],
            "median_lower": r["lower"],
            "median_upper": r["upper"],
        }
    )


def _response_rows(forest: Forest, compared: bool, measure: str) -> pd.DataFrame:
    r = forest.rows
    if not compared:
        return pd.DataFrame(
            {
                "subgroup": r["subgroup"],
                "level": r["level"],
                "arm": "",
                "reference": "",
                "n": r["n"],
                "events": r["responders"],
                "estimate": r["rate"],
                "lower": r["rate_lower"],
                "upper": r["rate_upper"],
                "p": np.nan,
                "estimable": r["n"] > 0,
                "note": "",
            }
        )
    base = r.loc[r["arm"] == r["reference"]].set_index(["subgroup", "level"])
    rows = r.loc[r["arm"] != r["reference"]].reset_index(drop=True)
    key = list(zip(rows["subgroup"], rows["level"], strict=True))
    ref_n = [int(base["n"].get(k, 0)) for k in key]
    ref_k = [int(base["responders"].get(k, 0)) for k in key]
    col = {"rd": ("rd", "rd_lower", "rd_upper"), "or": ("or", "or_lower", "or_upper")}[measure]
    est = rows.reindex(columns=list(col))
    note = (
        rows.get("or_note", pd.Series("", index=rows.index)).fillna("")
        if measure == "or"
        else pd.Series("", index=rows.index)
    )
    return pd.DataFrame(
        {
            "subgroup": rows["subgroup"],
            "level": rows["level"],
            "arm": rows["arm"],
            "reference": rows["reference"],
            "n": rows["n"] + np.asarray(ref_n),
            "events": rows["responders"] + np.asarray(ref_k),
            "n_arm": rows["n"],
            "events_arm": rows["responders"],
            "n_reference": ref_n,
            "events_reference": ref_k,
            "rate_arm": rows["rate"],
            "rate_reference": [k / n if n else np.nan for k, n in zip(ref_k, ref_n, strict=True)],
            "estimate": est[col[0]],
            "lower": est[col[1]],
            "upper": est[col[2]],
            "p": rows["or_p"] if measure == "or" else np.nan,
            "estimable": np.isfinite(est[col[0]].astype(float)),
            "note": note,
        }
    )


def _single_arm_tests(frame, subgroups, event_col) -> list[dict]:
    out = []
    for sub in subgroups:
        test = sv.logrank(frame, "time", event_col, sub)
        out.append(
            {
                "subgroup": sub,
                "test": "log-rank across the levels",
                "statistic": test["chi2"] if test else np.nan,
                "df": test["df"] if test else 0,
                "p": test["p"] if test else np.nan,
                "note": "" if test else "a single level",
            }
        )
    return out


def _kind(request: ForestRequest, compared: bool) -> str:
    if request.outcome == RESPONSE:
        return request.measure if compared else "rate"
    return "hr" if compared else "event_rate"


def _run(
    frame: pd.DataFrame,
    subs: list[str],
    request: ForestRequest,
    arm: str | None,
    reference: str | None,
    event_col: str,
) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """(rows, tests, messages) of the forest of `subs` (ALL: every patient in one level)."""
    compared = arm is not None
    if request.outcome == RESPONSE:
        forest = response_forest(frame, subs, _RESPONDER, arm, reference)
        rows = _response_rows(forest, compared, request.measure)
        tests = forest.interactions.assign(test="interaction (likelihood ratio, logistic)")
    else:
        forest = tte_forest(frame, subs, arm, "time", event_col, reference)
        rows = _tte_rows(forest, compared)
        tests = (
            forest.interactions.assign(test="interaction (likelihood ratio, Cox)")
            if compared
            else pd.DataFrame(_single_arm_tests(frame, subs, event_col))
        )
    return rows, tests, list(forest.messages)


def analyse_forest(trial: Trial, request: ForestRequest) -> ForestResult:
    """The forest's rows and tests of the request (see the module docstring)."""
    arm = request.compare if request.compare not in (None, NO_GROUP) else None
    compared = arm is not None and arm in trial.patients
    kind = _kind(request, compared)
    label = outcome_choices(trial).get(request.outcome, request.outcome)
    frame = _frame(trial, request)
    result = functools.partial(
        ForestResult,
        request=request,
        outcome_label=label,
        kind=kind,
        n_patients=len(frame),
        reference=None,
        null=None,
    )
    empty_rows = pd.DataFrame(
        columns=[
            "subgroup",
            "subgroup_label",
            "level",
            "arm",
            "n",
            "events",
            "estimate",
            "lower",
            "upper",
            "p",
        ]
    )
    if frame.empty:
        return result(
            rows=empty_rows,
            tests=pd.DataFrame(),
            empty="No patients with this outcome among the selected patients.",
        )
    subs, msgs = _usable(trial, request, frame)
    frame = frame.assign(
        **{c: subgroup_labels(trial, frame, c) for c in subs},
        **{ALL: pd.Categorical([ALL_LABEL] * len(frame))},
    )
    reference = None
    if compared and arm is not None:  # compared: arm is a column
        frame = frame.assign(**{arm: labelled(trial, frame, arm)})
        present = [a for a in frame[arm].cat.categories if (frame[arm] == a).any()]
        if len(present) < 2:
            return result(
                rows=empty_rows,
                tests=pd.DataFrame(),
                empty=("Fewer than two arms among the selected patients: nothing to compare."),
            )
        reference = request.reference if request.reference in present else present[0]
    event_col = (
        "" if request.outcome == RESPONSE else endpoint_for(trial, request.outcome).event_col
    )
    rows, tests, more = _run(
        frame, [ALL, *subs], request, arm if compared else None, reference, event_col
    )
    labels = {c: subgroup_label(trial, c) for c in [ALL, *subs]}
    names = [
        LEVEL_NAMES.get(s, {}).get(lv, lv)
        for s, lv in zip(rows["subgroup"], rows["level"], strict=True)
    ]
    rows = rows.assign(subgroup_label=rows["subgroup"].map(labels), level_label=names)
    tests = (
        tests.loc[tests["subgroup"] != ALL].assign(
            subgroup_label=lambda t: t["subgroup"].map(labels)
        )
        if len(tests)
        else tests
    )
    null = {"hr": 1.0, "or": 1.0, "rd": 0.0}.get(kind)
    if null is None:  # single arm: the all-patients estimate is the line to read rows against
        null = float(rows.loc[rows["subgroup"] == ALL, "estimate"].iloc[0])
    return result(
        reference=reference,
        null=null,
        rows=rows,
        tests=tests,
        messages=tuple(msgs + more),
        warnings=tuple(_guarantee_warnings(trial, request, subs)),
    )


def forest_json(result: ForestResult) -> dict:
    """The forest as plain data (`trial summary --json`)."""
    return {
        "outcome": result.request.outcome,
        "label": result.outcome_label,
        "kind": result.kind,
        "compare": None if result.request.compare == NO_GROUP else result.request.compare,
        "reference": result.reference,
        "null": result.null,
        "n_patients": result.n_patients,
        "rows": records(result.rows),
        "tests": records(result.tests) if len(result.tests) else [],
        "messages": list(result.messages),
        "warnings": list(result.warnings),
        "empty": result.empty,
    }


def forest_summary(trial: Trial, by: str | None = None, cohort: Cohort | None = None) -> dict:
    """The forests of the dashboard's default view, for every outcome: the default subgroups
    (and `by`, when it is a subgroup variable), the study's arms compared when it has them."""
    subs = default_subgroups(trial)
    if by and by in subgroup_options(trial) and by not in subs:
        subs.append(by)
    compare = default_compare(trial)
    out: dict = {
        "subgroups": subs,
        "compare": None if compare == NO_GROUP else compare,
        "outcomes": {},
    }
    for key in outcome_choices(trial):
        request = ForestRequest(cohort or Cohort(), key, tuple(subs), compare)
        out["outcomes"][key] = forest_json(analyse_forest(trial, request))
    return out
