"""The internal model of one trial: study metadata, three tables and the data-quality findings.

Everything downstream (statistics, figures, the command line) works on a `Trial`. A `Trial` is
built once by the loader and then treated as read-only: functions that need a different view of
the data return new frames, they never modify these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

# Copy-on-write makes accidental in-place edits of a shared frame affect only the local copy.
pd.set_option("mode.copy_on_write", True)

PROVENANCES = ("published", "inferred", "simulated", "recorded")
EVENT_TYPES = ("infusion", "response", "relapse", "death", "adverse_event")
RESPONSE_GRADES = ("MCR", "PCR")
RESPONSE_GROUPS = ("MCR", "PCR", "NR")


@dataclass(frozen=True)
class Visit:
    month: int
    label: str
    day: int


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str = ""
    unit_assumed: bool = False
    better: Literal["lower", "higher", "none"] = "none"
    ref_low: float | None = None
    ref_high: float | None = None
    min: float | None = None
    max: float | None = None
    key: bool = False
    population: str | None = None
    log_scale: bool = False
    category: str = ""

    @property
    def axis_title(self) -> str:
        unit = f"{self.unit}{', assumed' if self.unit_assumed else ''}"
        return f"{self.label} ({unit})" if self.unit else self.label


@dataclass(frozen=True)
class Study:
    title: str
    short_title: str
    registry_id: str = ""
    citation: str = ""
    data_status: Literal["real", "simulated"] = "real"
    data_note: str = ""
    time_origin: str = "Day 0"
    centers: tuple[str, ...] = ()
    visits: tuple[Visit, ...] = ()
    measures: tuple[Measure, ...] = ()

    @property
    def is_simulated(self) -> bool:
        return self.data_status == "simulated"

    def measure(self, code: str) -> Measure:
        for m in self.measures:
            if m.code == code:
                return m
        raise KeyError(code)

    @property
    def visit_months(self) -> tuple[int, ...]:
        return tuple(v.month for v in self.visits)

    def visit_label(self, month: int) -> str:
        for v in self.visits:
            if v.month == month:
                return v.label
        return f"Month {month}"


@dataclass(frozen=True)
class Finding:
    """One problem found in the input files, located as precisely as the data allow."""

    level: Literal["error", "warning"]
    file: str
    message: str
    row: int | None = None  # spreadsheet row number: header = 1, first data row = 2
    column: str | None = None
    value: str | None = None
    patient_id: str | None = None
    rule: str = ""
    key: str | None = None  # for study.json: the key path, e.g. "measures[2].min"

    def __str__(self) -> str:
        where = [self.file]
        if self.key:
            where.append(f"key '{self.key}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.value is not None:
            where.append(f"value '{self.value}'")
        return f"{self.level.upper()}: {', '.join(where)}: {self.message}"


class DataError(Exception):
    """The files cannot be used. `findings` lists every problem, not only the first."""

    def __init__(self, findings: list[Finding], unreadable: bool = False):
        self.findings = list(findings)
        self.unreadable = unreadable
        super().__init__("\n".join(str(f) for f in self.findings))


@dataclass(frozen=True)
class Trial:
    """A validated trial. `patients` carries the derived outcome columns (see `derive_outcomes`)."""

    study: Study
    patients: pd.DataFrame
    measurements: pd.DataFrame
    events: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    source: str = ""
    fingerprint: str = ""

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "warning")

    @property
    def centers(self) -> list[str]:
        present = list(pd.unique(self.patients["center"]))
        ordered = [c for c in self.study.centers if c in present]
        return ordered + sorted(c for c in present if c not in ordered)

    @property
    def measure_codes(self) -> list[str]:
        present = set(self.measurements["measure"].unique())
        return [m.code for m in self.study.measures if m.code in present]


def _first_day(events: pd.DataFrame, mask: pd.Series) -> pd.Series:
    return events.loc[mask].groupby("patient_id")["day"].min()


def derive_outcomes(patients: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Return `patients` with the outcome columns derived from the events, as recorded.

    response: best recorded response (MCR over PCR over NR); response_day: first response;
    relapse/relapse_day: first relapse; death/death_day; followup_end_day: death day if any, else
    last follow-up. No event is dropped here: rules for analyses (such as ignoring events recorded
    after death) are applied by the analyses, which say so.
    """
    ids = patients["patient_id"]
    is_resp = events["event"] == "response"
    mcr_day = _first_day(events, is_resp & (events["term"] == "MCR"))
    resp_day = _first_day(events, is_resp)
    relapse_day = _first_day(events, events["event"] == "relapse")
    death_day = _first_day(events, events["event"] == "death")

    out = patients.copy()
    out["response"] = np.where(
        ids.isin(mcr_day.index), "MCR", np.where(ids.isin(resp_day.index), "PCR", "NR")
    )
    out["response_day"] = ids.map(resp_day).astype("Float64")
    out["relapse"] = ids.isin(relapse_day.index)
    out["relapse_day"] = ids.map(relapse_day).astype("Float64")
    out["death"] = ids.isin(death_day.index)
    out["death_day"] = ids.map(death_day).astype("Float64")
    out["followup_end_day"] = out["death_day"].fillna(out["last_followup_day"]).astype(float)
    return out
