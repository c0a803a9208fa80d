"""Who is analysed and how they are grouped: the patient selection and the grouping choices
every analysis shares (trajectories, survival, tables, exports, `trial summary --by`).

A grouping is named by a key: "none", a patients column ("center", "response", "sex", "arm",
...), or "center+<column>" (one panel per center, one line per level of the column; the
demo's "center+response"). Levels keep the order of the whole trial, so that a group keeps
its place (and colour) whatever the filters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..filters import PatientFilter, analysis_patients
from ..model import ARM_COLUMN, RESPONSE_GROUPS, Role, Trial

NO_GROUP = "none"
BOTH = "center+response"
ALL = "All"  # the one group of an ungrouped analysis (as trial.survival.ALL)
CENTER_PREFIX = "center+"
BASE_GROUPS = {
    NO_GROUP: "None",
    "center": "Center",
    "response": "Responder group",
    BOTH: "Center × responder group",
}
# Patient columns never offered as groups: identifiers, free text and derived numbers; the
# planned and actual arm are offered as "arm", whose basis the analysis chooses.
NOT_GROUPS = {
    "patient_id",
    "center",
    "response",
    "provenance",
    "published_fields",
    "prior_treatment",
    "manifestations",
    "arm_planned",
    "arm_actual",
}
# Outcomes are not groups of a time-to-event analysis: grouping by its own outcome is circular.
OUTCOME_COLUMNS = {"relapse", "death"}
MAX_GROUP_LEVELS = 12


@dataclass(frozen=True)
class Cohort:
    """The patients an analysis is about: the sidebar's filter, which carries the linked
    selection (`PatientFilter.patient_ids`: with patients selected, every analysis is of them),
    and `selected`, the ids drawn highlighted (the trajectories' bold lines). `role` is the kind
    of analysis, whose population and arm the study definition gives (efficacy: ITT/FAS by
    planned arm; safety: safety population by actual treatment), unless the filter chooses
    others."""

    filter: PatientFilter = PatientFilter()
    selected: tuple[str, ...] = ()
    role: Role = "efficacy"

    def patients(self, trial: Trial) -> pd.DataFrame:
        return analysis_patients(trial, self.filter, self.role)

    def describe(self) -> str:
        return self.filter.describe()

    def analysis_set(self, trial: Trial, n: int | None = None) -> str:
        """ "Safety population, n = 254, by actual treatment (TRT01A)": who is analysed and by
        which arm; "" for a trial without populations or arms (the native format)."""
        design = trial.study.design
        if not design.populations and not design.arms:
            return ""
        pop = design.population_for(self.role, self.filter.population)
        arm = design.arm_for(self.role, self.filter.arm_basis)
        size = len(self.patients(trial)) if n is None else n
        who = pop.label if pop else "All subjects"
        return f"{who}, n = {size:,}" + (f", by {arm.label}" if arm else "")

    def arm_label(self, trial: Trial) -> str | None:
        """How the arm of this analysis is named: "Planned treatment (TRT01P)"."""
        arm = trial.study.design.arm_for(self.role, self.filter.arm_basis)
        return arm.label[:1].upper() + arm.label[1:] if arm else None


def group_options(trial: Trial) -> dict[str, str]:
    """Grouping choices: the fixed ones plus any categorical patient column, named as the data
    name them (`Study.column_label`). Responder groups only when the data record responses;
    "<center> × <primary group>" (e.g. Site × arm) when the study has a primary group."""
    study = trial.study
    options = dict(BASE_GROUPS)
    options["center"] = study.center_label
    if not trial.has_response:
        del options["response"], options[BOTH]
    primary = study.primary_group
    if primary and primary in trial.patients:
        options[primary] = study.column_label(primary)
        options[f"{CENTER_PREFIX}{primary}"] = (
            f"{study.center_label} × {study.column_label(primary)}"
        )
    p = trial.patients
    for col in p.columns:
        if (
            col in NOT_GROUPS
            or col in options
            or col.endswith("_day")
            or col == BOTH
            or col.startswith("_")
        ):
            continue
        levels = p[col].dropna().unique()
        if 2 <= len(levels) <= MAX_GROUP_LEVELS and not pd.api.types.is_float_dtype(p[col]):
            options[col] = study.column_label(col)
    return options


def survival_group_options(trial: Trial) -> dict[str, str]:
    """The grouping choices of a time-to-event analysis: no two-way panels, no outcomes."""
    return {
        k: v
        for k, v in group_options(trial).items()
        if not k.startswith(CENTER_PREFIX) and k not in OUTCOME_COLUMNS
    }


def default_group(trial: Trial) -> str:
    if trial.has_response:
        return "response"
    primary = trial.study.primary_group
    return primary if primary and primary in trial.patients else NO_GROUP


def line_column(group: str | None) -> str | None:
    """The column whose levels are the lines: "center+arm" -> "arm" (panels per center)."""
    if group in (None, NO_GROUP):
        return None
    return group.split("+", 1)[1] if group.startswith(CENTER_PREFIX) else group


def facet_column(group: str | None) -> str | None:
    """The column whose levels are the panels: "center" for "center+<column>", else none."""
    return "center" if group and group.startswith(CENTER_PREFIX) else None


def group_labels(patients: pd.DataFrame, col: str) -> pd.Series:
    """Text labels of a grouping column (booleans read as "<Name>: yes / no", missing values
    as "missing")."""
    values = patients[col]
    if pd.api.types.is_bool_dtype(values):
        name = col.replace("_", " ").capitalize()
        return values.map({True: f"{name}: yes", False: f"{name}: no"})
    return values.astype("string").fillna("missing").astype(str)


def level_order(trial: Trial, col: str | None) -> list[str]:
    """The levels of a grouping column in the whole trial, in display order: responder groups
    MCR, PCR, NR; centers in the study's order; other columns sorted."""
    if col is None:
        return [ALL]
    if col not in trial.patients:
        return []
    # the labels of the distinct values only (1,000,000 patients: 0.15 s a call otherwise)
    labels = set(group_labels(trial.patients[[col]].drop_duplicates(), col))
    if col == "response":
        return [r for r in RESPONSE_GROUPS if r in labels]
    if col == "center":
        return [c for c in trial.centers if c in labels]
    return sorted(labels)


def group_label(trial: Trial, group: str | None, cohort: Cohort | None = None) -> str | None:
    """How the data name a grouping ("Responder group", "Planned treatment (TRT01P)"); the arm
    as the cohort's analysis assigns it; None without a grouping."""
    if group in (None, NO_GROUP):
        return None
    arm = (cohort or Cohort()).arm_label(trial) if ARM_COLUMN in trial.patients else None
    if arm and group == ARM_COLUMN:
        return arm
    if arm and group == f"{CENTER_PREFIX}{ARM_COLUMN}":
        return f"{trial.study.center_label} × {arm}"
    return group_options(trial).get(group) or trial.study.column_label(group)


def resolve_group(trial: Trial, name: str | None) -> str | None:
    """The grouping key a name stands for: a key of `group_options`, a patients column, or the
    data's own variable name ("TRT01A", "agegr1"); None when it is none of these."""
    if name in (None, NO_GROUP):
        return NO_GROUP
    if name in group_options(trial) or name in trial.patients.columns:
        return name
    return trial.study.column_of(name)


def labelled(trial: Trial, patients: pd.DataFrame, col: str | None) -> pd.Series:
    """An ordered categorical of the patients' group labels (one level "All" without a
    column); levels in the whole trial's order, then any level not in the trial."""
    if col is None:
        return pd.Series(pd.Categorical([ALL] * len(patients), [ALL]), index=patients.index)
    labels = group_labels(patients, col)
    order = level_order(trial, col)
    order += sorted(set(labels) - set(order))
    return pd.Series(pd.Categorical(labels, order), index=patients.index)
