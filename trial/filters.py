"""Patient selection shared by every view."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PatientFilter:
    """None means "no restriction" for that field; an empty tuple selects nobody."""

    centers: tuple[str, ...] | None = None
    responses: tuple[str, ...] | None = None
    relapse: bool | None = None
    sexes: tuple[str, ...] | None = None
    lupus_nephritis: bool | None = None
    age_min: float | None = None
    age_max: float | None = None
    arms: tuple[str, ...] | None = None  # values of the patients column "arm" (ADaM: TRT01A)

    @property
    def is_empty(self) -> bool:
        return self == PatientFilter()

    def describe(self) -> str:
        """A one-line description for titles, footers and exports."""
        parts = [f"{name}: {', '.join(chosen) or 'none'}"
                 for name, chosen in (("center", self.centers), ("arm", self.arms),
                                      ("response", self.responses), ("sex", self.sexes))
                 if chosen is not None]
        if self.relapse is not None:
            parts.append("relapsed" if self.relapse else "no relapse")
        if self.lupus_nephritis is not None:
            parts.append("lupus nephritis" if self.lupus_nephritis else "no lupus nephritis")
        if self.age_min is not None or self.age_max is not None:
            lo = "" if self.age_min is None else f"{self.age_min:g}"
            hi = "" if self.age_max is None else f"{self.age_max:g}"
            parts.append(f"age {lo}–{hi}")
        return "; ".join(parts) if parts else "all patients"


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
    return patients.loc[keep]
