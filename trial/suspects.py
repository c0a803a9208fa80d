"""Which measurements each cross-table check must look at, found on integer codes.

The cross-table checks of `trial.validate` word their findings in pandas (file, row, column,
value, message). Run on every row, they made about twenty passes over the measurements' text
columns: at 1,000,000 patients (27 million measurements) half of a dataset's validation.
Here the ids and measure codes are factorized once (each distinct text looked up once in
Python), and a few vectorized passes over the integer codes find the rows that can give a
finding; the checks then run unchanged on those rows only. Each set of suspects holds every
row its check reports *and every row the wording of its finding reads* (the first row of a
duplicate, all the measurements of a patient without a baseline), in the table's order, so the
findings are the ones the checks make on the whole table. In a valid trial the sets are empty
and the checks look at nothing.

Why not SQL: DuckDB found the same rows as fast, but its allocator keeps the address space of
a 27-million-row aggregation (about 2 GB, its memory limit notwithstanding) after the query
and after the connection is closed; the bounded check's address-space limit counts it, and the
1,000,000-patient trial was then refused for memory. Sorting integer keys with numpy costs
about the same time and gives its memory back.

When a column cannot be compared here as the checks compare it in Python (an id or measure
that is not text, a month or value that is not a number), `find_suspects` gives None and the
checks look at every row, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .io import as_lookup

# keys combined into one integer stay below this (int64, with room for the last factor)
_KEY_LIMIT = 2**62


@dataclass(frozen=True)
class Suspects:
    """Row positions (sorted) in the measurements of the rows each check must look at."""

    rows: np.ndarray  # unknown patient, unscheduled visit, unknown measure, out of range
    duplicates: np.ndarray  # every row of a (patient, month, measure) that appears twice
    population: np.ndarray  # values of a measure from patients outside its population
    no_baseline: np.ndarray  # all rows of a patient with a measure that has no baseline
    pid: np.ndarray  # each row's patient code (-1: missing)
    patient_ids: pd.Index  # the id of each code

    def of_patients(self, patient_ids: Collection) -> np.ndarray:
        """Row positions of the measurements of these patients."""
        return np.flatnonzero(_lookup(self.patient_ids.isin(as_lookup(patient_ids)), self.pid))


@dataclass(frozen=True)
class _Columns:
    """The measurement columns the checks read: ids and measures as codes (-1: missing)."""

    pid: np.ndarray
    patient_ids: pd.Index  # the text of each pid
    mcode: np.ndarray
    measures: pd.Index  # the text of each mcode
    month: np.ndarray  # float, NaN: missing
    value: np.ndarray | None  # float, NaN: missing; None: no value column


def find_suspects(
    measurements: pd.DataFrame,
    patient_ids: Collection,
    visit_months: Collection[int],
    limits: pd.DataFrame,
    inside: Mapping[str, Collection],
) -> Suspects | None:
    """The suspects of each measurement check (see the module's docstring), or None when they
    cannot be found as the checks compare (then every row is to be looked at).

    `patient_ids`: the patients' known ids; `visit_months`: the months of study.json's visits
    (empty: no visit check); `limits`: study.json's measures (index code; min, max,
    population), as `trial.validate.measure_limits` gives them; `inside`: per measure with a
    population, the ids of the patients in it (a measure left out is not checked)."""
    if not _all_text(patient_ids) or not all(_all_text(ids) for ids in inside.values()):
        return None
    cols = _encode(measurements)
    if cols is None:
        return None
    known = cols.patient_ids.isin(as_lookup(patient_ids))
    return Suspects(
        rows=np.flatnonzero(_row_problems(cols, known, visit_months, limits)),
        duplicates=_duplicates(cols),
        population=np.flatnonzero(_outside_populations(cols, inside)),
        no_baseline=_without_baseline(cols, known, limits),
        pid=cols.pid,
        patient_ids=cols.patient_ids,
    )


def _all_text(values: Collection) -> bool:
    return all(isinstance(v, str) for v in values)


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """Codes of a text column (-1 for a missing cell) and the text of each, or None when a
    cell is neither text nor missing."""
    codes, uniques = pd.factorize(s)
    if not _all_text(uniques):
        return None
    return codes, pd.Index(uniques, dtype=object)


def _numbers(s: pd.Series) -> np.ndarray | None:
    """A numeric column as floats (NaN: missing), or None when it is not one."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return None
    return s.to_numpy(dtype=float, na_value=np.nan)


def _encode(frame: pd.DataFrame) -> _Columns | None:
    if not {"patient_id", "month", "measure"} <= set(frame.columns):
        return None
    pid, measure = _codes(frame["patient_id"]), _codes(frame["measure"])
    month = _numbers(frame["month"])
    value = _numbers(frame["value"]) if "value" in frame else None
    if pid is None or measure is None or month is None or ("value" in frame and value is None):
        return None
    return _Columns(pid[0], pid[1], measure[0], measure[1], month, value)


def _lookup(per_code: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """`per_code[codes]`, False where the code is -1 (missing)."""
    return np.append(np.asarray(per_code, dtype=bool), False)[codes]


def _row_problems(
    cols: _Columns, known: np.ndarray, visit_months: Collection[int], limits: pd.DataFrame
) -> np.ndarray:
    """Unknown patient, month not a visit, measure not in study.json, value out of range."""
    bad = (cols.pid >= 0) & ~_lookup(known, cols.pid)
    if visit_months:
        bad |= ~np.isnan(cols.month) & ~np.isin(cols.month, np.asarray(list(visit_months), float))
    if len(limits):
        bad |= (cols.mcode >= 0) & ~_lookup(cols.measures.isin(limits.index), cols.mcode)
        if cols.value is not None:
            at = limits.reindex(cols.measures)
            lo = np.append(pd.to_numeric(at["min"], errors="coerce").to_numpy(float), np.nan)
            hi = np.append(pd.to_numeric(at["max"], errors="coerce").to_numpy(float), np.nan)
            with np.errstate(invalid="ignore"):  # NaN compares False, as in pandas
                bad |= (cols.value < lo[cols.mcode]) | (cols.value > hi[cols.mcode])
    return bad


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 key per row for the pairs (a, b) of non-negative codes, equal exactly when
    both are equal."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    nb = int(b.max(initial=0)) + 1
    if (int(a.max(initial=0)) + 1) * nb >= _KEY_LIMIT:
        a = pd.factorize(a)[0].astype(np.int64)  # at most one code per row: fits
    return a * nb + b


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Positions of the keys that occur more than once."""
    ordered = np.sort(keys)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(twice):
        return np.array([], dtype=np.int64)
    return np.flatnonzero(np.isin(keys, pd.unique(twice)))


def _duplicates(cols: _Columns) -> np.ndarray:
    """Every row of a (patient, month, measure) that appears twice (all three known)."""
    whole = np.flatnonzero((cols.pid >= 0) & (cols.mcode >= 0) & ~np.isnan(cols.month))
    month = pd.factorize(cols.month[whole])[0]
    keys = _combine(_combine(cols.pid[whole], month), cols.mcode[whole])
    return whole[_repeated(keys)]


def _outside_populations(cols: _Columns, inside: Mapping[str, Collection]) -> np.ndarray:
    """Values of each checked measure from patients not inside its population."""
    out = np.zeros(len(cols.pid), dtype=bool)
    for code, ids in inside.items():
        mcode = cols.measures.get_indexer(pd.Index([code]))[0]
        if mcode >= 0:
            members = cols.patient_ids.isin(as_lookup(ids))
            out |= (cols.mcode == mcode) & ~_lookup(members, cols.pid)
    return out


def _without_baseline(cols: _Columns, known: np.ndarray, limits: pd.DataFrame) -> np.ndarray:
    """All rows of the (known) patients with later values of a measure of study.json but
    none at month 0."""
    defined = _lookup(cols.measures.isin(limits.index), cols.mcode)
    use = _lookup(known, cols.pid) & defined & ~np.isnan(cols.month)
    pid, mcode, month = cols.pid[use], cols.mcode[use], cols.month[use]
    keys = _combine(pid, mcode)
    # pandas' hash table: numpy's unique took 15 times as long on 20 million keys
    later = pd.unique(keys[month > 0])
    missing = later[~np.isin(later, pd.unique(keys[month == 0]), assume_unique=True)]
    lacking = np.zeros(len(cols.patient_ids), dtype=bool)
    lacking[pid[np.isin(keys, missing)]] = True
    return np.flatnonzero(_lookup(lacking, cols.pid))
