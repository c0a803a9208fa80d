"""load_trial(path) -> Trial: read the folder, validate it, build the study and derive outcomes.

`load_trial_bounded(path, limits)` does the same in a separate process under `limits` (time,
memory; trial/bounded.py): what the command line, `python app.py` and the upload route use, so
that no input can exhaust the process that serves the dashboard. It keeps what it loaded in the
store of validated trials (trial/store.py), so each dataset version is checked once.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd

from .adam import dataset_kind, is_adam_folder, load_adam
from .bounded import run_bounded
from .design import EFFICACY_FLAGS, POPULATION_FLAGS, SAFETY_FLAGS
from .io import STUDY_FILE, TABLES, RawTables, read_tables
from .limits import Limits, Progress
from .model import (
    ROLES,
    DataError,
    Design,
    Finding,
    Measure,
    Population,
    StoredTable,
    Study,
    Trial,
    Visit,
    derive_outcomes,
    grouped_by_measure,
)
from .screen import Declined, Screen, screen_for
from .store import Store, dataset_key, read_table, stored_table
from .upload import DATA_SUFFIXES
from .validate import Validated, validate

YES = {"y", "yes", "true", "1"}


def _num(v) -> float | None:
    return None if v is None else float(v)


def build_study(d: dict) -> Study:
    """A `Study` from a study.json mapping that passed `validate_study`."""
    visits = tuple(
        sorted(
            (Visit(int(v["month"]), str(v["label"]), int(v["day"])) for v in d["visits"]),
            key=lambda v: v.month,
        )
    )
    measures = tuple(
        Measure(
            code=m["code"],
            label=m["label"],
            unit=m.get("unit") or "",
            unit_assumed=bool(m.get("unit_assumed", False)),
            better=m.get("better") or "none",
            ref_low=_num(m.get("ref_low")),
            ref_high=_num(m.get("ref_high")),
            min=_num(m.get("min")),
            max=_num(m.get("max")),
            key=bool(m.get("key", False)),
            population=m.get("population"),
            log_scale=bool(m.get("log_scale", False)),
            category=m.get("category") or "",
        )
        for m in d["measures"]
    )
    return Study(
        title=d["title"],
        short_title=d.get("short_title") or d["title"],
        registry_id=d.get("registry_id") or "",
        citation=d.get("citation") or "",
        data_status=d["data_status"],
        data_note=d.get("data_note") or "",
        time_origin=d.get("time_origin") or "Day 0",
        centers=tuple(d.get("centers") or ()),
        visits=visits,
        measures=measures,
    )


def _other_files(folder: Path) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) about data files of a native folder that it does not read: ADaM
    datasets beside study.json are an error (which of the two trials is meant cannot be told,
    and showing the wrong one under a right-looking title is worse than asking); any other
    data file is a warning (it is not read)."""
    if not folder.is_dir():
        return [], []
    native = {STUDY_FILE} | {f"{t}{ext}" for t in TABLES for ext in (".csv", ".xlsx", ".parquet")}
    others = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.name not in native
        and p.suffix.lower() in DATA_SUFFIXES
        and not p.name.startswith(".")
    )
    adam = [p.name for p in others if dataset_kind(p)]
    rest = [p.name for p in others if not dataset_kind(p)]
    errors = (
        [
            Finding(
                "error",
                adam[0],
                f"ADaM datasets ({', '.join(adam[:8])}) are beside "
                f"study.json: a folder holds one trial, in one format. "
                f"Remove study.json (and the native tables) to read "
                f"the ADaM datasets, or move them out",
                rule="mixed_formats",
            )
        ]
        if adam
        else []
    )
    warnings = (
        [
            Finding(
                "warning",
                rest[0],
                f"not read: {', '.join(rest[:8])}"
                f"{' …' if len(rest) > 8 else ''} (the native "
                f"format reads study.json, patients, measurements "
                f"and events)",
                rule="unread_file",
            )
        ]
        if rest
        else []
    )
    return errors, warnings


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
        out[col] = patients[flag.lower()].map(
            lambda v: str(v).strip().lower() in YES if v is not None and not pd.isna(v) else False
        )
        pops.append(
            Population(
                flag,
                POPULATION_FLAGS[flag],
                col,
                f"patients column {flag.lower()} = yes",
                int(out[col].sum()),
            )
        )
    defaults = []
    for role, candidates in zip(ROLES, (EFFICACY_FLAGS, SAFETY_FLAGS), strict=True):
        chosen = next((c for c in candidates if c in flags), "all")
        defaults.append((role, chosen))
    return out, Design(populations=tuple(pops), default_population=tuple(defaults))


def _checked(
    path: str | Path, limits: Limits, progress: Progress, work: Path
) -> tuple[RawTables, Validated, Screen | None]:
    """The folder read and validated; its measurements left in their file and screened in
    DuckDB when they can be (trial/screen.py: written to `work`, the screen returned). When the
    screen declines, or another file cannot be read, every file is read and checked again by
    the validator, so that the findings are always all of the validator's."""
    screen = screen_for(Path(path), limits, work)
    if screen is not None:
        try:
            raw = read_tables(path, limits, progress, left_in_file=("measurements",))
            return raw, validate(raw, limits, progress, screen=screen), screen
        except (DataError, Declined):
            pass
    raw = read_tables(path, limits, progress)
    return raw, validate(raw, limits, progress), None


@contextmanager
def _work_folder(work: Path | None):
    if work is not None:
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="trial-") as folder:  # private (0700)
        yield Path(folder)


def load_trial(
    path: str | Path,
    config: dict | str | Path | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    work: Path | None = None,
) -> Trial:
    """Read and validate the trial folder `path`: the native format (study.json and three
    tables) or a folder of CDISC ADaM datasets (detected by its ADSL; see trial/adam.py, whose
    optional configuration `config` overrides the folder's adam.json).

    Every file is checked against `limits` (default `Limits()`) before it is parsed; `progress`
    is told which file is being worked on. Raises `DataError` listing every finding when the
    files cannot be read (`unreadable=True`) or when any error is found (an unexpected failure
    too, naming the file); otherwise returns the `Trial`, its warnings in `findings`.

    A large measurements table in Parquet is checked and converted where it lies (trial/
    screen.py), into the folder `work`: the trial's measurements are then left in that file
    (`StoredTable`, for the store to link in) and the caller keeps `work` while it needs them.
    Without `work` they are read into memory from a temporary folder.
    """
    limits = limits or Limits()
    progress = progress or Progress()
    if is_adam_folder(path):
        return load_adam(path, config, limits, progress)
    refused, unread = _other_files(Path(path))
    if refused:
        raise DataError(refused, unreadable=True)
    with _work_folder(work) as folder:
        raw, checked, screen = _checked(path, limits, progress, folder)
        if checked.errors:
            raise DataError(checked.findings)
        with progress.working_on(", ".join(raw.files.values()), "loading"):
            return _trial(path, raw, checked, unread, screen, keep=work is not None)


def _trial(
    path: str | Path,
    raw: RawTables,
    checked: Validated,
    unread: list[Finding],
    screen: Screen | None,
    keep: bool,
) -> Trial:
    """The `Trial` of a folder that validated (`unread`: warnings about files not read); its
    screened measurements left in their file when `keep`, else read into memory."""
    patients = checked.patients.reset_index(drop=True)
    events = checked.events.reset_index(drop=True)
    measurements: pd.DataFrame | StoredTable
    if screen is None:
        measurements = grouped_by_measure(checked.measurements.reset_index(drop=True))
    else:
        ids = patients["patient_id"].to_numpy(dtype=object)
        measurements = (
            stored_table(screen.target, ids, []) if keep else read_table(screen.target, ids)
        )
    patients, design = native_populations(patients)
    study = build_study(raw.study)
    if design.populations:
        study = replace(study, design=replace(design, origin=study.origin))
    return Trial(
        study=study,
        patients=derive_outcomes(patients, events),
        measurements=measurements,
        events=events,
        findings=tuple(checked.findings + unread),
        source=str(path),
        fingerprint=raw.fingerprint,
    )


def _convert(
    path: str, config, limits: Limits, root: str | None, key: str | None, progress: Progress
) -> dict | None:
    """In the bounded child: load and validate, then keep the trial in the store, so that
    only a word comes back through the pipe and the caller reads Parquet. Its fields come back
    (pickled) only when there is no store to keep it in or it cannot be written there."""
    if root is None or key is None:
        return _fields(load_trial(path, config, limits, progress))
    store = Store(Path(root))
    with store.scratch() as work:  # the screened measurements are written there, then linked
        trial = load_trial(path, config, limits, progress, work)
        return None if store.put(key, trial) else _fields(trial)


def _fields(trial: Trial) -> dict:
    """The trial's fields, to be sent through the pipe: every table in memory (a file left in
    a scratch folder is gone once the child ends)."""
    out = {f.name: getattr(trial, f.name) for f in fields(Trial)}
    return out | {"measurements": trial.frame("measurements")}


def load_trial_bounded(
    path: str | Path,
    limits: Limits | None = None,
    config: dict | str | Path | None = None,
    store: Store | None = None,
) -> Trial:
    """`load_trial` in a separate process bounded by `limits` (wall clock, memory): a check
    that would run away is stopped and reported as a `DataError` naming the file it was
    working on and the limit, and the calling process is never at risk.

    A dataset version already converted is read from `store` (default `Store.default()`,
    trial/store.py) without reading or checking its files again, only hashing them; the check
    of a new one writes it there. Errors are never stored: they are found again at every load.
    """
    limits = limits or Limits()
    store = store or Store.default()
    key = dataset_key(path, config, limits)
    try:
        if key is not None and (trial := store.get(key, path)) is not None:
            return trial
    except OSError:  # a store folder that cannot be made or read: check without keeping it
        key = None
    name = Path(path).name or str(path)
    args = (str(path), config, limits, str(store.root), key)
    found = run_bounded(_convert, args, limits, name)
    if found is None:
        trial = store.get(key, path) if key is not None else None
        if trial is not None:
            return trial
        # Gone between the check and now (the store cleared meanwhile): once more, by pipe.
        found = run_bounded(_convert, (*args[:3], None, None), limits, name)
    return Trial(**found)
