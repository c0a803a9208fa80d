"""load_trial(path) -> Trial: read the folder, validate it, build the study and derive outcomes."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .design import EFFICACY_FLAGS, POPULATION_FLAGS, SAFETY_FLAGS
from .io import read_tables
from .model import (
    ROLES,
    DataError,
    Design,
    Measure,
    Population,
    Study,
    Trial,
    Visit,
    derive_outcomes,
)
from .validate import validate

YES = {"y", "yes", "true", "1"}


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


def native_populations(patients: pd.DataFrame) -> tuple[pd.DataFrame, Design]:
    """Analysis populations of the native format: optional patients columns named as the ADaM
    flags (saffl, ittfl, fasfl, efffl, pprotfl; Y/N, yes/no or true/false). Without any, the
    design is empty and every analysis uses every patient, as before."""
    flags = [f for f in POPULATION_FLAGS if f.lower() in patients.columns]
    if not flags:
        return patients, Design()
    pops = []
    out = patients.copy()
    for flag in flags:
        col = f"_pop_{flag.lower()}"
        out[col] = patients[flag.lower()].map(lambda v: str(v).strip().lower() in YES
                                              if v is not None and not pd.isna(v) else False)
        pops.append(Population(flag, POPULATION_FLAGS[flag], col,
                               f"patients column {flag.lower()} = yes", int(out[col].sum())))
    defaults = []
    for role, candidates in zip(ROLES, (EFFICACY_FLAGS, SAFETY_FLAGS), strict=True):
        chosen = next((c for c in candidates if c in flags), "all")
        defaults.append((role, chosen))
    return out, Design(populations=tuple(pops), default_population=tuple(defaults))


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
    patients, design = native_populations(patients)
    study = build_study(raw.study)
    if design.populations:
        study = replace(study, design=replace(design, origin=study.origin))
    return Trial(study=study,
                 patients=derive_outcomes(patients, events),
                 measurements=measurements, events=events,
                 findings=tuple(checked.findings), source=str(path),
                 fingerprint=raw.fingerprint)
