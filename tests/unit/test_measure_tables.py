"""The measurements grouped by measure by the loaders (so that the store's file keeps each
measure's rows together), and read back by patient and measure through the engine
(`Trial.measurement_rows`): the loaded rows, in their order, from memory or from the file."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trial.loader import load_trial
from trial.model import StoredTable, Trial, _measures_in, grouped_by_measure
from trial.store import Store

from conftest import DEMO


@pytest.fixture(scope="module")
def demo() -> Trial:
    return load_trial(DEMO)


def _shuffled(trial: Trial) -> pd.DataFrame:
    return trial.measurements.sample(frac=1, random_state=7).reset_index(drop=True)


def _expected(measurements: pd.DataFrame, code: str) -> pd.DataFrame:
    return measurements.loc[measurements["measure"] == code].reset_index(drop=True)


def _is_grouped(measurements: pd.DataFrame) -> bool:
    codes = measurements["measure"].to_numpy()
    changes = int((codes[1:] != codes[:-1]).sum())
    return changes == measurements["measure"].nunique() - 1


def test_the_loader_groups_the_measurements_by_measure(demo):
    assert _is_grouped(demo.measurements)
    raw = pd.read_csv(DEMO / "measurements.csv")
    assert not _is_grouped(raw)  # the file is by patient and visit: the grouping is the loader's
    assert len(demo.measurements) == len(raw)


def test_grouping_keeps_each_measures_rows_in_their_order(demo):
    shuffled = _shuffled(demo)
    grouped = grouped_by_measure(shuffled)
    assert _is_grouped(grouped)
    assert list(grouped["measure"].unique()) == list(shuffled["measure"].unique())
    for code in shuffled["measure"].unique():
        pd.testing.assert_frame_equal(_expected(grouped, code), _expected(shuffled, code))


def _rows_of(measurements: pd.DataFrame, patients: pd.DataFrame, code=None) -> pd.DataFrame:
    keep = measurements["patient_id"].isin(patients["patient_id"])
    if code is not None:
        keep &= measurements["measure"] == code
    return measurements.loc[keep].reset_index(drop=True)


@pytest.fixture(scope="module")
def stored(demo, tmp_path_factory) -> Trial:
    """The demo with its measurements shuffled, through the store: left in its file."""
    shuffled = replace(demo, measurements=_shuffled(demo))
    store = Store(tmp_path_factory.mktemp("store"))
    assert store.put("k" * 64, shuffled)
    got = store.get("k" * 64, demo.source)
    assert isinstance(got.measurements, StoredTable)
    return got


@pytest.mark.parametrize("where", ["memory", "file"])
def test_measurement_rows_are_the_loaded_rows_in_their_order(demo, stored, where):
    """A measure's rows of some patients, from the engine, are the loaded table's rows of
    those patients, in the table's order and with its types, whether the table is in memory
    or left in the store's file (rows in no particular order: shuffled)."""
    shuffled = _shuffled(demo)
    trial = replace(demo, measurements=shuffled) if where == "memory" else stored
    some = demo.patients.iloc[::3]
    for code in demo.measure_codes:
        got = trial.measurement_rows(some, code)
        pd.testing.assert_frame_equal(got, _rows_of(shuffled, some, code), check_exact=True)
    pd.testing.assert_frame_equal(trial.measurement_rows(some), _rows_of(shuffled, some))


def test_no_patients_or_no_such_measure_give_no_rows(demo):
    empty = demo.measurement_rows(demo.patients.iloc[0:0])
    assert empty.empty and list(empty.columns) == list(demo.measurements.columns)
    assert demo.measurement_rows(demo.patients, "no such measure").empty


def test_patients_of_another_trial_are_refused(demo):
    with pytest.raises(ValueError, match="not in this trial"):
        demo.measurement_rows(pd.DataFrame({"patient_id": ["nobody"]}))


@pytest.mark.parametrize("grouped", [True, False])
def test_measure_codes_of_a_stored_file_are_its_distinct_codes_in_order(tmp_path, grouped):
    # Row groups of one code (told by their statistics), groups spanning several codes, a
    # group of missing codes and a code that returns after others: read by statistics and by
    # row group, the codes are those pandas finds in the whole column, in the same order.
    codes = ["c3"] * 7 + ["sledai"] * 5 + ["c3", "dsdna", None, "alb"] + [None] * 4 + ["alb"] * 3
    if not grouped:
        codes = codes[::-1]
    path = tmp_path / "measurements.parquet"
    pq.write_table(pa.table({"measure": codes}), path, row_group_size=4)
    stats = [pq.ParquetFile(path).metadata.row_group(g).column(0).statistics for g in range(6)]
    assert any(s.min == s.max for s in stats if s.has_min_max)  # both ways are exercised
    assert any(s.min != s.max for s in stats if s.has_min_max)
    assert _measures_in(stored_table(path)) == list(pd.Series(codes).dropna().unique())


def stored_table(path) -> StoredTable:
    frame = pd.read_parquet(path)
    return StoredTable(str(path), frame.iloc[0:0], len(frame), lambda: frame)
