"""The screen of the measurements in DuckDB (trial/screen.py): where it vouches for a Parquet
file, the trial is exactly the validator's; for every kind of row the validator would report,
and for every file it cannot read as the validator does, it declines, and the findings are the
validator's, every one of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import trial.loader
from trial.io import read_tables
from trial.limits import Limits
from trial.loader import load_trial, load_trial_bounded
from trial.model import DataError, StoredTable
from trial.precheck import inspect, parquet_structure
from trial.screen import Declined, screen_for
from trial.simulate import write_simulation
from trial.store import PATIENT_ROW, Store
from trial.validate import validate

from factories import assert_same_trial, valid_tables, write_trial

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data"
QUICK = Limits(seconds=60, memory_mb=2048)


def typed(m: pd.DataFrame | None = None) -> pd.DataFrame:
    """The valid measurements (or `m`, text cells) with the types a Parquet writer gives."""
    m = valid_tables()["measurements"] if m is None else m
    return m.assign(
        month=pd.to_numeric(m["month"]).astype("int64"),
        day=pd.to_numeric(m["day"]).astype("Int64"),
        value=pd.to_numeric(m["value"]).astype("float64"),
    )


def write(folder: Path, measurements: pd.DataFrame, **tables) -> Path:
    """The valid trial, its measurements `measurements` in Parquet, the rest in CSV."""
    return write_trial(folder, fmt={"measurements": "parquet"}, measurements=measurements, **tables)


def screened(folder: Path, work: Path) -> bool:
    """Whether the screen vouches for the folder's measurements (else it declines)."""
    screen = screen_for(folder, Limits(), work)
    if screen is None:
        return False
    try:
        validate(read_tables(folder, left_in_file=("measurements",)), screen=screen)
    except Declined:
        return False
    return screen.target.is_file()


def outcome(folder: Path):
    """The loaded trial, or the findings of the error."""
    try:
        return load_trial(folder)
    except DataError as e:
        return [str(f) for f in e.findings]


def by_the_validator(folder: Path, monkeypatch):
    """The outcome with the screen switched off: the validator reads every table."""
    with monkeypatch.context() as m:
        m.setattr(trial.loader, "screen_for", lambda *a, **k: None)
        return outcome(folder)


def assert_same_outcome(got, want) -> None:
    if isinstance(want, list):
        assert got == want
    else:
        assert not isinstance(got, list), got
        assert_same_trial(got, want)


# --- files the screen vouches for ------------------------------------------------------------


def _no_day(m):
    return m.drop(columns="day")


def _no_provenance(m):
    return m.drop(columns="provenance")


def _only_required(m):
    return m[["measure", "value", "month", "patient_id"]]


def _whole_values(m):
    return m.assign(value=m["value"].round().astype("int64"))


def _months_as_floats(m):
    return m.assign(month=m["month"].astype("float64"))


def _days_as_floats(m):
    return m.assign(day=m["day"].astype("float64"))


def _shuffled(m):
    return m.sample(frac=1.0, random_state=3).reset_index(drop=True)


def _text_as_dictionary(m):
    return m.astype({"patient_id": "category", "measure": "category", "provenance": "category"})


VOUCHED = {
    "as given": lambda m: m,
    "no day column": _no_day,
    "no provenance column": _no_provenance,
    "required columns only, in another order": _only_required,
    "whole-number values": _whole_values,
    "months as floats": _months_as_floats,
    "days as floats": _days_as_floats,
    "rows in another order": _shuffled,
    "text as dictionaries": _text_as_dictionary,
}


@pytest.mark.parametrize("case", list(VOUCHED))
def test_a_clean_file_is_screened_and_loads_as_the_validator_loads_it(tmp_path, monkeypatch, case):
    folder = write(tmp_path / "trial", VOUCHED[case](typed()))
    assert screened(folder, tmp_path)
    got = outcome(folder)
    assert_same_outcome(got, by_the_validator(folder, monkeypatch))
    assert got.warnings == ()  # the valid trial: nothing to report


def _as_native_parquet(source: Path, folder: Path) -> Path:
    """The demo with its measurements as the typed Parquet file a registry would give."""
    shutil.copytree(source, folder)
    measurements = load_trial(source).frame("measurements")
    (folder / "measurements.csv").unlink()
    measurements.to_parquet(folder / "measurements.parquet", index=False)
    return folder


def test_the_demo_in_parquet_is_screened_and_loads_as_the_validator_loads_it(tmp_path, monkeypatch):
    folder = _as_native_parquet(DEMO, tmp_path / "demo")
    assert screened(folder, tmp_path)
    got = outcome(folder)
    assert_same_outcome(got, by_the_validator(folder, monkeypatch))
    assert [f.rule for f in got.findings] == ["event_after_death"]  # the demo's one warning


def test_a_simulated_registry_is_screened_and_loads_as_the_validator_loads_it(
    tmp_path, monkeypatch
):
    folder = tmp_path / "sim"
    write_simulation(folder, 300, k=4, seed=5)
    assert screened(folder, tmp_path)
    assert_same_outcome(outcome(folder), by_the_validator(folder, monkeypatch))


def test_the_screened_file_is_the_stores_and_is_linked_into_its_entry(tmp_path, monkeypatch):
    folder = _as_native_parquet(DEMO, tmp_path / "demo")
    work = tmp_path / "work"
    work.mkdir()
    left = load_trial(folder, work=work)
    assert isinstance(left.measurements, StoredTable)
    assert PATIENT_ROW in pq.read_schema(left.measurements.path).names
    store = Store(tmp_path / "store")
    stored = load_trial_bounded(folder, QUICK, store=store)
    assert_same_trial(stored, by_the_validator(folder, monkeypatch))
    entry = next(p for p in store.root.iterdir() if not p.name.startswith("."))
    assert [p.name for p in store.root.iterdir()] == [entry.name]  # no scratch folder left
    rows = pq.read_table(entry / "measurements.parquet", columns=[PATIENT_ROW]).column(0)
    ids = stored.patients["patient_id"].to_numpy(dtype=object)
    assert list(ids[rows.to_numpy()]) == list(stored.frame("measurements")["patient_id"])


# --- rows the validator reports: the screen declines -----------------------------------------


def _set(row: int, column: str, value):
    def change(m):
        m = m.astype({column: object}) if not isinstance(value, int | float) else m.copy()
        m.loc[row, column] = value
        return m

    return change


def _float_column(column: str, row: int, value: float):
    def change(m):
        m = m.assign(**{column: m[column].astype("float64")})
        m.loc[row, column] = value
        return m

    return change


def _append(row: list):
    def change(m):
        extra = pd.DataFrame([row], columns=list(m.columns)).astype(m.dtypes.to_dict())
        return pd.concat([m, extra], ignore_index=True)

    return change


def _duplicate_visit(m):
    return pd.concat([m, m.iloc[[0]]], ignore_index=True)


def _no_baseline(m):
    return m.loc[~((m["patient_id"] == "P01") & (m["measure"] == "sledai") & (m["month"] == 0))]


def _blank_row(m):
    m = m.astype({"month": "Int64"})  # a column of whole numbers with a missing cell
    blank = pd.DataFrame({c: [None] for c in m.columns}).astype(m.dtypes.to_dict())
    return pd.concat([m.iloc[:3], blank, m.iloc[3:]], ignore_index=True)


def _extra_column(m):
    return m.assign(note="x")


def _months_as_text(m):
    return m.assign(month=m["month"].astype(str))


def _values_as_booleans(m):
    return m.assign(value=m["value"] > 1)


def _ids_as_numbers(m):
    return m.assign(patient_id=np.arange(len(m)))


DECLINED_ROWS = {
    "unknown patient": _set(0, "patient_id", "P99"),
    "patient id with a trailing space": _set(0, "patient_id", "P01 "),
    "unscheduled month": _set(3, "month", 2),
    "negative month": _set(3, "month", -1),
    "fraction of a month": _float_column("month", 3, 1.5),
    "unknown measure": _set(0, "measure", "crp"),
    "measure code in another case": _set(0, "measure", "SLEDAI"),
    "missing value": _float_column("value", 3, np.nan),
    "infinite value": _float_column("value", 3, np.inf),
    "value above the measure's maximum": _set(0, "value", 200.0),
    "value below the measure's minimum": _set(0, "value", -1.0),
    "value beyond any trial's": _set(1, "value", 1e16),  # proteinuria: no maximum
    "fraction of a day": _float_column("day", 0, 7.5),
    "day beyond 100 years": _set(0, "day", 40_000),
    "provenance not one of the words": _set(0, "provenance", "guessed"),
    "provenance missing": _set(0, "provenance", None),
    "provenance in another case": _set(0, "provenance", "Simulated"),
    "a visit twice": _duplicate_visit,
    "no baseline": _no_baseline,
    "measured after death": _append(["P03", 6, 180, "c3", 0.9, "simulated"]),
    "dated after death by its day": _set(
        int(typed().index[(typed()["patient_id"] == "P03") & (typed()["month"] == 3)][0]),
        "day",
        160,
    ),
    "outside the measure's population": _append(["P04", 0, 3, "proteinuria", 1.0, "simulated"]),
    "a blank row": _blank_row,
    "a column outside the format": _extra_column,
    "months as text": _months_as_text,
    "values as booleans": _values_as_booleans,
    "patient ids as numbers": _ids_as_numbers,
}


READ_PAST = ("patient id with a trailing space", "a blank row", "months as text")


@pytest.mark.parametrize("case", list(DECLINED_ROWS))
def test_a_row_the_validator_reports_makes_the_screen_decline(tmp_path, monkeypatch, case):
    folder = write(tmp_path / "trial", DECLINED_ROWS[case](typed()))
    assert not screened(folder, tmp_path)
    got = outcome(folder)
    assert_same_outcome(got, by_the_validator(folder, monkeypatch))
    # the change is one the validator reports, or one it reads past as plain (a space around
    # an id, a blank row, months written as text): the screen declines those too
    findings = got if isinstance(got, list) else got.warnings
    assert bool(findings) != (case in READ_PAST)


def _formula_ids(tables):
    def rename(df):
        return df.assign(patient_id=df["patient_id"].replace({"P01": "=P01"}))

    return {name: rename(df) for name, df in tables.items()}


def _error_in_patients(tables):
    tables["patients"].loc[0, "age"] = "130"
    return tables


def _error_in_events(tables):
    tables["events"].loc[0, "event"] = "visit"
    return tables


def _population_not_a_column(tables):
    tables["patients"] = tables["patients"].drop(columns="lupus_nephritis")
    return tables


DECLINED_ELSEWHERE = {
    "a patient id that reads as a formula": _formula_ids,
    "an error in the patients": _error_in_patients,
    "an error in the events": _error_in_events,
    "a population that is not a column": _population_not_a_column,
}


@pytest.mark.parametrize("case", list(DECLINED_ELSEWHERE))
def test_the_screen_declines_when_other_tables_need_every_finding(tmp_path, monkeypatch, case):
    tables = valid_tables()
    tables = DECLINED_ELSEWHERE[case](tables)
    tables["measurements"] = typed(tables["measurements"])
    folder = write(tmp_path / "trial", **tables)
    assert not screened(folder, tmp_path)
    assert_same_outcome(outcome(folder), by_the_validator(folder, monkeypatch))


def test_a_damaged_measurements_file_is_reported_as_the_validator_reports_it(tmp_path, monkeypatch):
    folder = write(tmp_path / "trial", typed())
    data = (folder / "measurements.parquet").read_bytes()
    (folder / "measurements.parquet").write_bytes(data[:100] + data[-2000:])
    got = outcome(folder)
    assert isinstance(got, list) and got == by_the_validator(folder, monkeypatch)


# --- what the screen builds on ---------------------------------------------------------------


def test_a_file_left_unread_is_fingerprinted_as_when_read(tmp_path):
    folder = write(tmp_path / "trial", typed())
    left = read_tables(folder, left_in_file=("measurements",))
    whole = read_tables(folder)
    assert left.fingerprint == whole.fingerprint
    assert left.measurements.empty and len(whole.measurements) == len(typed())


def test_the_footer_check_of_a_file_is_the_check_of_its_bytes(tmp_path):
    path = write(tmp_path / "trial", typed()) / "measurements.parquet"
    small = Limits(rows=10)
    from_path = parquet_structure(path.name, path, small)
    assert from_path == inspect(path, path.read_bytes(), small)
    assert from_path.refused  # 62 rows > 10
