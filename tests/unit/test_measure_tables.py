"""The measurements split by measure (`Trial.measure_tables`): slices of one frame when the
loaders have grouped it by measure, copies otherwise, the same rows in the same order either
way."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from trial.loader import load_trial
from trial.model import Trial, grouped_by_measure

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


def test_grouped_measurements_are_sliced_not_copied(demo):
    grouped = grouped_by_measure(_shuffled(demo))
    trial = replace(demo, measurements=grouped)
    values = grouped["value"].to_numpy()
    assert set(trial.measure_tables) == set(grouped["measure"])
    for code, table in trial.measure_tables.items():
        pd.testing.assert_frame_equal(table, _expected(grouped, code), check_exact=True)
        assert np.shares_memory(table["value"].to_numpy(), values), code


def test_measurements_in_any_order_are_split_alike(demo):
    shuffled = _shuffled(demo)
    trial = replace(demo, measurements=shuffled)
    for code, table in trial.measure_tables.items():
        pd.testing.assert_frame_equal(table, _expected(shuffled, code), check_exact=True)
        assert not np.shares_memory(table["value"].to_numpy(), shuffled["value"].to_numpy())


def test_a_measure_split_in_two_runs_is_copied_whole(demo):
    m = grouped_by_measure(demo.measurements)
    first = m["measure"].iloc[0]
    # the first measure's rows, then the others, then the first's again at the end
    moved = pd.concat([m.iloc[1:], m.iloc[:1]], ignore_index=True)
    trial = replace(demo, measurements=moved)
    pd.testing.assert_frame_equal(trial.measure_tables[first], _expected(moved, first))
    assert len(trial.measure_tables[first]) == int((m["measure"] == first).sum())
