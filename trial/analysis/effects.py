"""Effect estimates beside the curves of a time-to-event analysis: hazard ratios (Cox), Gray's
test of cumulative incidences, the guarantee-time check of a grouping only known after the
origin and the landmark population that removes that bias.

The statistics are in cox.py, competing.py and landmark.py (tested against R); this module only
says which of them an analysis asks for and on which rows, so that the Survival tab, its exports
and `trial summary --json` read the same numbers (`trial.analysis.survival` calls it).

Conventions
    * hazard ratio of each level of the grouping against the reference level (default: the
      first level in the trial's order), Cox PH with Efron ties, Wald 95 % CI and p; optionally
      stratified by center (a baseline hazard per center) and adjusted for patient columns.
      For the cumulative incidence of relapse it is the cause-specific hazard ratio (deaths
      censored), named so.
    * a grouping is "known after the origin" when the patients table has its day (`<col>_day`,
      e.g. response -> response_day) and that day is after the origin for some patient.
    * landmark at L months (L * 30.4375 days): patients still followed after L; the group is the
      status reached on or before L; time since L.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from .. import survival as sv
from ..model import Trial
from .cohort import NOT_GROUPS, survival_group_options
from .competing import GrayTest, gray_test
from .cox import CoxResult, cox_model
from .landmark import GROUP as LANDMARK_GROUP
from .landmark import TIME as LANDMARK_TIME
from .landmark import GuaranteeTimeCheck, guarantee_time_check, landmark_population
from .records import records

LANDMARK_CHOICES = (3, 6)  # months
STRATUM = "center"
METHOD = "Cox proportional hazards (Efron ties), Wald 95 % CI"
# Patient columns that are not baseline characteristics a model could adjust for.
NOT_COVARIATES = NOT_GROUPS | {"last_followup_day", "followup_end_day"}
_KNOWN = "_known_since_origin"
NOT_REACHED_LABELS = {"response": "No response by month {m}"}


def known_column(patients: pd.DataFrame, group: str | None) -> str | None:
    """The day a grouping's value becomes known (`<col>_day`), if the data record it."""
    if not group:
        return None
    col = f"{group}_day"
    return col if col in patients and patients[col].notna().any() else None


def covariate_options(trial: Trial) -> dict[str, str]:
    """Patient columns a Cox model may adjust for: the categorical groupings of a survival
    analysis and numeric baseline columns (age, ...); never a status reached later (a column
    with a day, e.g. response) nor identifiers."""
    p = trial.patients
    out = {
        k: v
        for k, v in survival_group_options(trial).items()
        if k in p and known_column(p, k) is None
    }
    for col in p.columns:
        numeric = pd.api.types.is_numeric_dtype(p[col]) and not pd.api.types.is_bool_dtype(p[col])
        if (
            numeric
            and col not in out
            and col not in NOT_COVARIATES
            and not col.endswith("_day")
            and p[col].nunique() > 2
            and known_column(p, col) is None
        ):
            out[col] = trial.study.column_label(col)
    return out


# --- Guarantee time and landmark -----------------------------------------------------------------


def guarantee_check(
    frame: pd.DataFrame, group: str | None, label: str | None
) -> GuaranteeTimeCheck | None:
    """Whether the grouping is known only after the origin of `frame` (None: it has no day)."""
    col = known_column(frame, group)
    if col is None or frame.empty:
        return None
    origin = frame["origin_day"].astype(float) if "origin_day" in frame else 0.0
    known = frame[col].astype(float) - origin
    return guarantee_time_check(frame.assign(**{_KNOWN: known}), _KNOWN, label=label or group)


@dataclass(frozen=True)
class Landmark:
    """Who the landmark analysis leaves out and why; who reached the status later."""

    months: int
    day: float
    excluded: pd.DataFrame  # reason, n
    n: int  # patients in the landmark population
    reached_later: int  # in it, status reached after the landmark ("not yet" at L)
    not_label: str

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["n"].sum())

    def to_dict(self) -> dict:
        return {
            "months": self.months,
            "day": self.day,
            "n": self.n,
            "excluded": records(self.excluded),
            "n_excluded": self.n_excluded,
            "reached_after_landmark": self.reached_later,
            "reference": self.not_label,
        }


def not_reached_label(group: str, label: str | None, months: int) -> str:
    template = NOT_REACHED_LABELS.get(group, "{label}: not by month {m}")
    return template.format(m=months, label=label or group)


def landmark_frame(
    frame: pd.DataFrame, group: str, group_col: str, months: int, label: str | None
) -> tuple[pd.DataFrame, Landmark]:
    """The landmark population of an endpoint frame (its `time` since the origin, `any_event`):
    `group_col` becomes the status at L (an ordered categorical, "not by L" first), `time` the
    time since L."""
    day = float(sv.months_to_days(months))
    known = known_column(frame, group)
    origin = frame["origin_day"].astype(float) if "origin_day" in frame else 0.0
    not_label = not_reached_label(group, label, months)
    pop, excluded = landmark_population(
        frame.assign(**{_KNOWN: frame[known].astype(float) - origin}),
        day,
        _KNOWN,
        "time",
        "any_event",
        group_col,
        not_label=not_label,
    )
    later = int((pop[_KNOWN].astype(float) > day).sum())
    pop = pop.assign(**{"time": pop[LANDMARK_TIME], group_col: pop[LANDMARK_GROUP]})
    pop = pop.drop(columns=[LANDMARK_TIME, LANDMARK_GROUP, _KNOWN, "landmark_event"])
    return pop, Landmark(months, day, excluded, len(pop), later, not_label)


# --- Hazard ratios and Gray's test ---------------------------------------------------------------


@dataclass(frozen=True)
class HazardRatios:
    """The Cox model of an analysis and what it was asked for."""

    cox: CoxResult
    group: str  # the grouping's patients column (the model's own column is internal)
    strata: str | None
    covariates: tuple[str, ...]
    cause_specific: bool
    messages: tuple[str, ...] = ()

    @property
    def levels(self) -> pd.DataFrame:
        return self.cox.levels

    @property
    def ph_global(self) -> dict | None:
        """The global Schoenfeld (cox.zph) test: chisq, df, p; None without a fit."""
        ph = self.cox.ph_test
        row = ph.loc[ph["term"] == "GLOBAL"]
        return records(row)[0] if len(row) else None

    def to_dict(self) -> dict:
        out = self.cox.to_dict()
        inner = f"{self.cox.group}="
        for row in out["coefficients"]:
            row["term"] = row["term"].replace(inner, f"{self.group}=", 1)
        out.update(
            group=self.group,
            method=METHOD,
            strata=self.strata,
            covariates=list(self.covariates),
            cause_specific=self.cause_specific,
            messages=list(self.messages) + out["messages"],
        )
        return out


def stratum_of(frame: pd.DataFrame, group: str, strata: bool) -> tuple[str | None, list[str]]:
    """The strata column an analysis asks for (center), and why it is not used, if so."""
    if not strata:
        return None, []
    if STRATUM not in frame:
        return None, ["not stratified: the data have no center column"]
    if group == STRATUM:
        return None, ["not stratified by center: the groups are the centers"]
    return STRATUM, []


def hazard_ratios(
    frame: pd.DataFrame,
    group_col: str,
    group: str,
    event_col: str,
    reference: str | None,
    strata: bool,
    covariates,
    cif: bool,
) -> HazardRatios | None:
    """Cox HRs of the levels of `group_col` (labels) against `reference` (unknown or None: the
    first level); None with fewer than two levels."""
    levels = [g for g in frame[group_col].cat.categories if (frame[group_col] == g).any()]
    if len(levels) < 2:
        return None
    stratum, msgs = stratum_of(frame, group, strata)
    if reference not in levels:
        if reference:
            msgs.append(f"reference {reference!r} is not among the groups: {levels[0]!r} used")
        reference = levels[0]
    covs = tuple(c for c in covariates or () if c in frame and c not in (group, stratum))
    dropped = [c for c in covariates or () if c not in covs]
    if dropped:
        msgs.append(
            "not adjusted for " + ", ".join(dropped) + " (the grouping, the strata or "
            "not a column of these data)"
        )
    cox = cox_model(
        frame,
        group_col,
        "time",
        event_col,
        reference=reference,
        covariates=list(covs),
        strata=stratum,
    )
    return HazardRatios(cox, group, stratum, covs, cif, tuple(msgs))


def gray(frame: pd.DataFrame, group_col: str, group: str, strata: bool) -> GrayTest | None:
    """Gray's test of the cumulative incidence of relapse across the groups (stratified by
    center when the Cox model is), or None with fewer than two groups."""
    if frame[group_col].nunique() < 2:
        return None
    stratum = stratum_of(frame, group, strata)[0]
    return gray_test(frame, group_col, "time", "status", sv.RELAPSE, strata=stratum)


def check_json(check: GuaranteeTimeCheck | None) -> dict | None:
    return None if check is None else asdict(check)
