"""The measurement checks look only at the rows DuckDB finds they may report
(trial/suspects.py): their findings must be exactly those of the same checks run on every row,
on every malformed dataset of the bad-input suite and on a simulated trial with every kind of
measurement problem injected, in Parquet (typed columns) and in CSV (text columns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_bad_input import CASES, _case_folder

import trial.suspects as suspects_module
import trial.validate as validate_module
from trial.io import read_tables
from trial.model import DataError
from trial.simulate import simulate
from trial.suspects import find_suspects
from trial.validate import validate

from factories import study_dict, valid_tables, write_trial

MEASUREMENT_RULES = {
    "unknown_patient",
    "duplicate",
    "unscheduled_visit",
    "unknown_measure",
    "out_of_range",
    "population",
    "outside_population",
    "measurement_after_death",
    "no_baseline",
}


def _every_row(*_args):
    return None  # what find_suspects gives when it cannot query: the checks read every row


def _findings(folder: Path, monkeypatch, suspects: bool) -> list:
    with monkeypatch.context() as patch:
        if not suspects:
            patch.setattr(validate_module, "find_suspects", _every_row)
        return validate(read_tables(folder)).findings


def _same_findings(folder: Path, monkeypatch) -> list:
    by_suspects = _findings(folder, monkeypatch, suspects=True)
    by_every_row = _findings(folder, monkeypatch, suspects=False)
    assert by_suspects == by_every_row
    return by_suspects


def _read(folder: Path):
    try:
        return read_tables(folder)
    except DataError as err:
        assert err.unreadable
        return None


@pytest.mark.parametrize("name, builder", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_datasets_give_the_same_findings(tmp_path, monkeypatch, name, builder):
    folder = _case_folder(tmp_path, builder)
    if _read(folder) is None:
        return  # unreadable: the cross-table checks never run (test_bad_input covers it)
    _same_findings(folder, monkeypatch)


def test_the_demo_gives_the_same_findings(monkeypatch):
    demo = Path(__file__).resolve().parents[2] / "data"
    _same_findings(demo, monkeypatch)


def test_most_bad_input_datasets_reach_the_checks(tmp_path):
    readable = [c[0] for c in CASES if _read(_case_folder(tmp_path / c[0], c[1])) is not None]
    assert len(readable) >= 25, readable


def _injected(n: int = 400) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A simulated trial with every kind of measurement problem, several times each."""
    study, p, m, e = simulate(n, 4, seed=7)
    m = m.copy()
    rng = np.random.default_rng(3)
    pick = lambda k: rng.choice(len(m), size=k, replace=False)  # noqa: E731
    m.loc[pick(4), "patient_id"] = ["X1", "X2", "X1", "S999999"]  # unknown patients
    m.loc[pick(3), "month"] = [2, 5, 24]  # not visits of study.json
    m.loc[pick(3), "measure"] = ["ldl", "sledai2k", "ldl"]  # not measures of study.json
    sledai = np.flatnonzero(m["measure"].to_numpy() == "sledai")
    m.loc[sledai[[10, 200, 900]], "value"] = [106.0, -1.0, 1e6]  # outside 0-105
    # proteinuria of patients without lupus nephritis: outside the population
    no_ln = p.loc[~p["lupus_nephritis"], "patient_id"].iloc[:2]
    extra = m.loc[(m["measure"] == "sledai") & m["patient_id"].isin(no_ln)].head(5)
    m = pd.concat([m, extra.assign(measure="proteinuria", value=1.0)], ignore_index=True)
    # no baseline: a patient's month-0 creatinine removed
    lost = (m["patient_id"] == p["patient_id"].iloc[5]) & (m["measure"] == "creatinine")
    m = m.loc[~(lost & (m["month"] == 0))]
    # and another's C3 kept at month 1 only
    lone = (m["patient_id"] == p["patient_id"].iloc[6]) & (m["measure"] == "c3")
    m = m.loc[~(lone & (m["month"] != 1))]
    # duplicates: rows repeated, one of them three times
    m = pd.concat([m, m.iloc[[17, 17, 4000, 9000]]], ignore_index=True)
    # a measurement after death: a dead patient's month-0 value moved to month 12, day 365
    dead = e.loc[e["event"] == "death", "patient_id"].iloc[0]
    base = np.flatnonzero((m["patient_id"] == dead).to_numpy() & (m["month"] == 0).to_numpy())
    m.loc[m.index[base[:1]], ["month", "day"]] = [12, 365]
    return study, p, m.reset_index(drop=True), e


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_injected_problems_give_the_same_findings(tmp_path, monkeypatch, fmt):
    study, p, m, e = _injected()
    folder = write_trial(tmp_path, study=study, patients=p, measurements=m, events=e, fmt=fmt)
    findings = _same_findings(folder, monkeypatch)
    rules = {f.rule for f in findings}
    assert MEASUREMENT_RULES - {"population"} <= rules, rules  # every problem was found
    # and each check looked at a few rows, not at all of them
    typed = validate(read_tables(folder))
    limits = validate_module.measure_limits(study)
    inside = validate_module.inside_populations(typed.patients, limits)
    known = set(typed.patients["patient_id"])
    sus = find_suspects(typed.measurements, known, _months(study), limits, inside)
    assert sus is not None
    assert 0 < len(sus.rows) < 100
    assert 0 < len(sus.duplicates) < 10
    assert 0 < len(sus.population) < 10


def _months(study: dict) -> list[int]:
    return [v["month"] for v in study["visits"]]


def test_a_valid_trial_has_no_suspects():
    study, p, m, _ = simulate(200, 3, seed=2)
    limits = validate_module.measure_limits(study)
    inside = {"proteinuria": set(p.loc[p["lupus_nephritis"], "patient_id"])}
    sus = find_suspects(m, set(p["patient_id"]), _months(study), limits, inside)
    assert sus is not None
    assert (len(sus.rows), len(sus.duplicates), len(sus.no_baseline)) == (0, 0, 0)
    assert len(sus.population) == 0
    # with nobody inside, every proteinuria value is from outside the population
    sus = find_suspects(m, set(p["patient_id"]), _months(study), limits, {"proteinuria": set()})
    assert sus is not None
    expected = np.flatnonzero((m["measure"] == "proteinuria").to_numpy())
    assert len(expected) and np.array_equal(sus.population, expected)


def _limits_of_c3() -> pd.DataFrame:
    return pd.DataFrame(
        {"min": [0.0, 0.0], "max": [5.0, None], "population": [None, "ln"]},
        index=pd.Index(["c3", "upcr"]),
    )


def test_suspect_rows_are_positions_in_the_table():
    m = pd.DataFrame(
        {
            "patient_id": ["A", "B", "A", "Z", "A", "B", "A", "B"],
            "month": [0, 0, 3, 0, 3, 7, 0, 0],
            "measure": ["c3", "c3", "c3", "c3", "c3", "ldl", "upcr", "upcr"],
            "value": [1.0, 1.0, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],  # labels are not positions
    )
    sus = find_suspects(m, {"A", "B"}, [0, 3], _limits_of_c3(), {"upcr": {"A"}})
    assert sus is not None
    assert sus.rows.tolist() == [2, 3, 5]  # out of range, unknown patient, month 7 and ldl
    assert sus.duplicates.tolist() == [2, 4]  # A, month 3, c3 twice
    assert sus.population.tolist() == [7]  # B is not inside upcr's population
    assert sus.no_baseline.tolist() == []  # B's ldl is not a measure of the study
    assert sus.of_patients(["B"]).tolist() == [1, 5, 7]
    assert sus.of_patients(["A", "Z"]).tolist() == [0, 2, 3, 4, 6]
    assert sus.of_patients(["nobody"]).tolist() == []


def test_a_missing_id_belongs_to_no_patient():
    m = pd.DataFrame(
        {
            "patient_id": ["A", None, "A"],
            "month": [0, 0, 3],
            "measure": ["upcr", "upcr", "upcr"],
            "value": [1.0, 1.0, 1.0],
        }
    )
    sus = find_suspects(m, {"A"}, [0, 3], _limits_of_c3(), {"upcr": {"A"}})
    assert sus is not None
    assert sus.of_patients(["A"]).tolist() == [0, 2]
    assert sus.population.tolist() == [1]  # no id: not inside the population
    assert sus.rows.tolist() == []  # a missing id is reported by the cell checks


def test_combined_keys_are_equal_exactly_when_the_pairs_are():
    """Codes too large to multiply in int64 are renumbered first."""
    cases = [
        ([3, 5, 3, 5, 0], [2**30, 1, 2**30, 2, 1]),
        ([2**34, 0, 0, 2**34], [0, 2**30 - 1, 0, 0]),  # 2**34 * 2**30 wraps to 0 in int64
    ]
    for a, b in cases:
        keys = suspects_module._combine(np.array(a), np.array(b))
        pairs = list(zip(a, b))
        for i in range(len(a)):
            for j in range(len(a)):
                assert (keys[i] == keys[j]) == (pairs[i] == pairs[j]), (a, b, i, j)


def test_a_patient_without_a_baseline_is_a_suspect_with_all_their_rows():
    m = pd.DataFrame(
        {
            "patient_id": ["A", "B", "B", "A", "B"],
            "month": [0, 1, 3, 3, 0],
            "measure": ["c3", "c3", "c3", "c3", "upcr"],
            "value": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    sus = find_suspects(m, {"A", "B"}, [0, 1, 3], _limits_of_c3(), {})
    assert sus is not None
    assert sus.no_baseline.tolist() == [1, 2, 4]  # B has c3 at months 1 and 3, none at 0


@pytest.mark.parametrize(
    "column, values",
    [
        ("patient_id", ["A", 1, "A"]),  # a number among the ids
        ("measure", ["c3", None, 3.5]),
        ("month", ["0", 3, 3]),  # text among the months
        ("value", ["1", 2.0, 3.0]),
    ],
)
def test_columns_of_mixed_kinds_are_checked_row_by_row(column, values):
    m = pd.DataFrame(
        {"patient_id": ["A"] * 3, "month": [0, 3, 3], "measure": ["c3"] * 3, "value": 1.0}
    )
    m[column] = pd.Series(values, dtype=object)
    assert find_suspects(m, {"A"}, [0, 3], _limits_of_c3(), {}) is None


def test_ids_that_are_not_text_are_checked_row_by_row():
    m = pd.DataFrame({"patient_id": ["A"], "month": [0], "measure": ["c3"]})
    assert find_suspects(m, {"A", 7}, [0], _limits_of_c3(), {}) is None
    assert find_suspects(m, {"A"}, [0], _limits_of_c3(), {"upcr": {7}}) is None
    assert find_suspects(m, {"A"}, [0], _limits_of_c3(), {}) is not None


def test_the_small_trial_with_problems_gives_the_same_findings(tmp_path, monkeypatch):
    """The hand-made trial of the factories, with a measurement problem of each kind."""
    t = valid_tables()
    m = t["measurements"]
    m.loc[0, "patient_id"] = "P99"
    m.loc[1, "month"] = "2"
    m.loc[2, "measure"] = "ldl"
    m.loc[3, "value"] = "200"
    m = pd.concat([m, m.iloc[[5]]], ignore_index=True)
    t["measurements"] = m
    folder = write_trial(tmp_path, study=study_dict(), **t)
    rules = {f.rule for f in _same_findings(folder, monkeypatch)}
    assert {"unknown_patient", "unscheduled_visit", "unknown_measure", "duplicate"} <= rules


def test_when_every_row_is_a_suspect_the_table_is_not_copied():
    frame = pd.DataFrame({"patient_id": ["A", "B", "C"], "month": [0, 1, 3]})
    assert validate_module._subset(frame, np.arange(3)) is frame
    assert validate_module._subset(frame, None) is frame
    assert validate_module._subset(frame, np.array([0, 2]))["patient_id"].tolist() == ["A", "C"]


def test_measure_codes_that_all_differ_from_the_study_give_the_same_findings(tmp_path, monkeypatch):
    """Every measurement is a suspect (codes in upper case): the case that must not copy."""
    t = valid_tables()
    t["measurements"]["measure"] = t["measurements"]["measure"].str.upper()
    folder = write_trial(tmp_path, study=study_dict(), **t)
    findings = _same_findings(folder, monkeypatch)
    assert "unknown_measure" in {f.rule for f in findings}
