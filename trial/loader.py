"""load_trial(path) -> Trial: read the folder, validate it, build the study and derive outcomes."""
from __future__ import annotations

from pathlib import Path

from .io import read_tables
from .model import DataError, Measure, Study, Trial, Visit, derive_outcomes
from .validate import validate


def _num(v) -> float | None:
    return None if v is None else float(v)


def build_study(d: dict) -> Study:
    """A `Study` from a study.json mapping that passed `validate_study`."""
    visits = tuple(sorted((Visit(int(v["month"]), str(v["label"]), int(v["day"]))
                           for v in d["visits"]), key=lambda v: v.month))
    measures = tuple(
        Measure(code=m["code"], label=m["label"], unit=m.get("unit") or "",
                unit_assumed=bool(m.get("unit_assumed", False)),
                better=m.get("better") or "none", ref_low=_num(m.get("ref_low")),
                ref_high=_num(m.get("ref_high")), min=_num(m.get("min")),
                max=_num(m.get("max")), key=bool(m.get("key", False)),
                population=m.get("population"), log_scale=bool(m.get("log_scale", False)),
                category=m.get("category") or "")
        for m in d["measures"])
    return Study(title=d["title"], short_title=d.get("short_title") or d["title"],
                 registry_id=d.get("registry_id") or "", citation=d.get("citation") or "",
                 data_status=d["data_status"], data_note=d.get("data_note") or "",
                 time_origin=d.get("time_origin") or "Day 0",
                 centers=tuple(d.get("centers") or ()), visits=visits, measures=measures)


def load_trial(path: str | Path, config: dict | str | Path | None = None) -> Trial:
    """Read and validate the trial folder `path`: the native format (study.json and three
    tables) or a folder of CDISC ADaM datasets (detected by its ADSL; see trial/adam.py, whose
    optional configuration `config` overrides the folder's adam.json).

    Raises `DataError` listing every finding when the files cannot be read (`unreadable=True`)
    or when any error is found; otherwise returns the `Trial`, its warnings in `findings`.
    """
    from .adam import is_adam_folder, load_adam
    if is_adam_folder(path):
        return load_adam(path, config)
    raw = read_tables(path)
    checked = validate(raw)
    if checked.errors:
        raise DataError(checked.findings)
    patients = checked.patients.reset_index(drop=True)
    events = checked.events.reset_index(drop=True)
    measurements = checked.measurements.reset_index(drop=True)
    return Trial(study=build_study(raw.study),
                 patients=derive_outcomes(patients, events),
                 measurements=measurements, events=events,
                 findings=tuple(checked.findings), source=str(path),
                 fingerprint=raw.fingerprint)
