"""One patient's data as the patient page reads it: the record (row, events, values, findings),
the neighbours in the patient list's order, and the group medians the page compares with.
Pure: a `Trial` in, plain values and frames out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from ..model import Finding, Trial
from ..stats import BASELINE_MONTH, measure_values

DEFAULT_PROVENANCE = "recorded"


def natural_key(patient_id) -> tuple:
    """Sort key: "2" before "10", text ids alphabetically after numbers' runs."""
    parts = re.split(r"(\d+)", str(patient_id))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def ordered_ids(ids) -> list[str]:
    return sorted((str(i) for i in ids), key=natural_key)


@dataclass(frozen=True)
class Neighbours:
    previous: str | None
    next: str | None
    position: int | None  # 1-based position among the filtered patients, None if outside
    count: int


def neighbours(all_ids, filtered_ids, patient_id: str) -> Neighbours:
    """Previous and next patient within the filtered ones, in the patient list's order.

    A patient outside the filters still gets the filtered patients around it in that order.
    """
    order = ordered_ids(all_ids)
    keep = set(map(str, filtered_ids))
    filtered = [p for p in order if p in keep]
    key = natural_key(patient_id)
    before = [p for p in filtered if natural_key(p) < key]
    after = [p for p in filtered if natural_key(p) > key]
    position = filtered.index(patient_id) + 1 if patient_id in keep else None
    return Neighbours(
        before[-1] if before else None, after[0] if after else None, position, len(filtered)
    )


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str
    row: dict  # the patient's row, derived outcome columns included
    events: pd.DataFrame  # patient's events, in day order
    values: pd.DataFrame  # measure, month, day, value, provenance
    findings: tuple[Finding, ...]

    @property
    def group(self) -> str:
        return str(self.row.get("response", "NR"))

    @property
    def arm(self) -> str | None:
        return text(self.row.get("arm"))

    @property
    def death_day(self) -> float | None:
        return number(self.row.get("death_day"))


def number(x) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def text(x) -> str | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    s = str(x).strip()
    return s or None


def _of(frame: pd.DataFrame, patient_id: str) -> pd.DataFrame:
    """The rows of one patient (ids are text in every validated frame: no conversion)."""
    ids = frame["patient_id"]
    return frame.loc[(ids if ids.dtype == object else ids.astype(str)) == str(patient_id)]


def patient_record(trial: Trial, patient_id: str) -> PatientRecord | None:
    rows = _of(trial.patients, patient_id)
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    ev = _of(trial.events, patient_id).sort_values("day", kind="stable")
    values = trial.measurement_rows(rows)
    cols = [c for c in ("measure", "month", "day", "value", "provenance") if c in values]
    findings = tuple(
        f
        for f in trial.findings
        if f.patient_id is not None and str(f.patient_id) == str(patient_id)
    )
    return PatientRecord(
        str(patient_id),
        row,
        ev.reset_index(drop=True),
        values[cols].reset_index(drop=True),
        findings,
    )


def provenance(value) -> str:
    """A value's provenance; missing means recorded."""
    return text(value) or DEFAULT_PROVENANCE


def provenance_counts(record: PatientRecord) -> dict[str, int]:
    """How many of the patient's measurements and events have each provenance."""
    parts = [
        record.values.get("provenance", pd.Series(dtype=object)),
        record.events.get("provenance", pd.Series(dtype=object)),
    ]
    s = pd.concat(parts, ignore_index=True).map(provenance)
    return {k: int(v) for k, v in s.value_counts().items()}


@dataclass(frozen=True)
class Peers:
    """The patients a patient page compares with: the patient's responder group where the data
    record responses, else the patient's arm (as planned), else none."""

    column: str | None
    value: str | None
    label: str  # "MCR group", "Placebo", ""

    @property
    def exists(self) -> bool:
        return self.column is not None


def peers_of(trial: Trial, record: PatientRecord) -> Peers:
    if trial.has_response:
        return Peers("response", record.group, f"{record.group} group")
    if record.arm is not None and "arm" in trial.patients:
        return Peers("arm", record.arm, record.arm)
    return Peers(None, None, "")


def group_medians(
    trial: Trial, group: str | None, column: str = "response", codes: list[str] | None = None
) -> pd.DataFrame:
    """Median (and n) of every measure (or of `codes`) at every visit among all patients whose
    `column` is `group` (a responder group by default)."""
    if group is None or column not in trial.patients:
        return pd.DataFrame(columns=["measure", "month", "median", "count"])
    pts = trial.patients.loc[trial.patients[column].astype(str) == str(group)]
    parts = []
    for code in trial.measure_codes if codes is None else codes:
        v = measure_values(trial, code, pts)
        if v.empty:
            continue
        s = v.groupby("month")["value"].agg(["median", "count"]).reset_index()
        parts.append(s.assign(measure=code))
    if not parts:
        return pd.DataFrame(columns=["measure", "month", "median", "count"])
    return pd.concat(parts, ignore_index=True)


CHANGE_COLUMNS = [
    "measure",
    "baseline_month",
    "baseline",
    "last_month",
    "last",
    "change",
    "pct_change",
    "n_values",
    "simulated",
]


def baseline_changes(trial: Trial, record: PatientRecord, codes: list[str]) -> pd.DataFrame:
    """One row per measure of `codes`: the patient's baseline value (the baseline visit,
    `stats.with_change_from_baseline`), the last post-baseline value, the change and % change
    between them (NaN where there is no baseline, no later value or a zero baseline), how many
    values the patient has, and how many of them are simulated."""
    row = trial.patients.loc[trial.patients["patient_id"].astype(str) == record.patient_id]
    out = []
    for code in codes:
        v = measure_values(trial, code, row).dropna(subset=["value"])
        base = v.loc[v["month"] == BASELINE_MONTH, "value"]
        post = v.loc[v["month"] > BASELINE_MONTH]
        last = post.iloc[-1] if len(post) else None
        prov = v["provenance"].map(provenance) if "provenance" in v else pd.Series(dtype=object)
        out.append(
            {
                "measure": code,
                "baseline_month": BASELINE_MONTH if len(base) else None,
                "baseline": float(base.iloc[0]) if len(base) else math.nan,
                "last_month": None if last is None else float(last["month"]),
                "last": math.nan if last is None else float(last["value"]),
                "change": math.nan if last is None else float(last["change"]),
                "pct_change": math.nan if last is None else float(last["pct_change"]),
                "n_values": len(v),
                "simulated": int((prov == "simulated").sum()),
            }
        )
    return pd.DataFrame(out, columns=CHANGE_COLUMNS)
