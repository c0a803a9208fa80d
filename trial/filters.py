"""Patient selection shared by every view: the sidebar's filter, and the analysis set of a kind
of analysis (its population and arm, `analysis_patients`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .model import ARM_COLUMN, Population, Role, Trial


@dataclass(frozen=True)
class VariableFilter:
    """A restriction on any patients column: the ticked levels of a categorical column, or a
    range of a numeric one (either bound may be open). Patients whose value is missing are
    excluded only by a range, as for age."""

    column: str
    values: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    label: str = ""  # how the data name the column, for descriptions

    def describe(self) -> str:
        name = self.label or self.column
        if self.values is not None:
            return f"{name}: {', '.join(self.values) or 'none'}"
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        return f"{name} {lo}–{hi}"

    def mask(self, patients: pd.DataFrame) -> pd.Series:
        if self.column not in patients:
            return pd.Series(True, index=patients.index)
        s = patients[self.column]
        if self.values is not None:
            return s.astype("string").fillna("missing").isin(self.values).astype(bool)
        keep = pd.Series(True, index=patients.index)
        num = pd.to_numeric(s, errors="coerce")
        if self.low is not None:
            keep &= num >= self.low
        if self.high is not None:
            keep &= num <= self.high
        return keep.fillna(False).astype(bool)


@dataclass(frozen=True)
class PatientFilter:
    """None means "no restriction" for that field; an empty tuple selects nobody.

    `population` and `arm_basis` choose the analysis set instead of each analysis's default
    (`trial.model.Design`): a population key (e.g. "SAFFL", "all") and "planned" or "actual".
    """

    centers: tuple[str, ...] | None = None
    responses: tuple[str, ...] | None = None
    relapse: bool | None = None
    sexes: tuple[str, ...] | None = None
    lupus_nephritis: bool | None = None
    age_min: float | None = None
    age_max: float | None = None
    arms: tuple[str, ...] | None = None  # values of the patients column "arm"
    population: str | None = None
    arm_basis: str | None = None
    variables: tuple[VariableFilter, ...] = ()
    # The linked selection (patients ticked or drawn round): when given, only these patients,
    # within the other restrictions. None: no selection.
    patient_ids: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return self == PatientFilter()

    def describe(self) -> str:
        """A one-line description for titles, footers and exports."""
        parts = [
            f"{name}: {', '.join(chosen) or 'none'}"
            for name, chosen in (
                ("center", self.centers),
                ("arm", self.arms),
                ("response", self.responses),
                ("sex", self.sexes),
            )
            if chosen is not None
        ]
        if self.relapse is not None:
            parts.append("relapsed" if self.relapse else "no relapse")
        if self.lupus_nephritis is not None:
            parts.append("lupus nephritis" if self.lupus_nephritis else "no lupus nephritis")
        if self.age_min is not None or self.age_max is not None:
            lo = "" if self.age_min is None else f"{self.age_min:g}"
            hi = "" if self.age_max is None else f"{self.age_max:g}"
            parts.append(f"age {lo}–{hi}")
        parts += [v.describe() for v in self.variables]
        if self.patient_ids is not None:
            n = len(self.patient_ids)
            parts.append(f"{n} selected patient{'' if n == 1 else 's'}")
        return "; ".join(parts) if parts else "all patients"

    def without_selection(self) -> PatientFilter:
        """The same filter without the linked selection (views that offer the selection)."""
        return replace(self, patient_ids=None)


def select_patients(patients: pd.DataFrame, flt: PatientFilter) -> pd.DataFrame:
    """Rows of `patients` (with derived outcome columns) that pass the filter."""
    keep = pd.Series(True, index=patients.index)
    if flt.centers is not None:
        keep &= patients["center"].isin(flt.centers)
    if flt.arms is not None and "arm" in patients:
        keep &= patients["arm"].isin(flt.arms)
    if flt.responses is not None:
        keep &= patients["response"].isin(flt.responses)
    if flt.relapse is not None:
        keep &= patients["relapse"] == flt.relapse
    if flt.sexes is not None and "sex" in patients:
        keep &= patients["sex"].isin(flt.sexes)
    if flt.lupus_nephritis is not None and "lupus_nephritis" in patients:
        keep &= patients["lupus_nephritis"] == flt.lupus_nephritis
    if "age" in patients:
        # Patients with unknown age are excluded only when an age bound is set.
        if flt.age_min is not None:
            keep &= patients["age"] >= flt.age_min
        if flt.age_max is not None:
            keep &= patients["age"] <= flt.age_max
    for v in flt.variables:
        keep &= v.mask(patients)
    if flt.patient_ids is not None:
        keep &= patients["patient_id"].astype(str).isin(flt.patient_ids)
    return patients.loc[keep]


def _restricted(
    trial: Trial, population: Population | None, flt: PatientFilter, role: Role
) -> pd.DataFrame:
    """The patients of `population` (all without one), `arm` holding the arm `role` uses (or
    the filter's basis)."""
    patients = trial.patients
    if population is not None and population.column in patients:
        patients = patients.loc[patients[population.column]]
    arm = trial.study.design.arm_for(role, flt.arm_basis)
    if arm is not None and arm.column in patients and ARM_COLUMN in patients:
        patients = patients.assign(**{ARM_COLUMN: patients[arm.column]})
    return patients


def analysis_set(trial: Trial, flt: PatientFilter, role: Role = "efficacy") -> pd.DataFrame:
    """The patients of an analysis of `role` before the sidebar's other filters: the role's
    population (or the filter's), with `arm` holding the role's arm (planned or actual)."""
    population = trial.study.design.population_for(role, flt.population)
    return _restricted(trial, population, flt, role)


def analysis_patients(trial: Trial, flt: PatientFilter, role: Role = "efficacy") -> pd.DataFrame:
    """The patients an analysis of `role` is about: its analysis set, then the filter."""
    return select_patients(analysis_set(trial, flt, role), flt)


def listed_patients(trial: Trial, flt: PatientFilter) -> pd.DataFrame:
    """The patients lists and counts show (patient list, cards, the sidebar's count): every
    patient loaded, or the population the filter chooses, then the filter; `arm` is the
    arm of efficacy analyses unless the filter chooses the basis."""
    population = trial.study.design.population(flt.population)
    return select_patients(_restricted(trial, population, flt, "efficacy"), flt)
