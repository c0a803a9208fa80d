"""The typed fast path (trial/io.py, trial/validate.py): Parquet columns that are already numbers
or booleans are validated as they are, not as text. Every check must still run and give exactly
the finding the same value gives in a CSV: file, row, column, value and message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trial.io import read_tables
from trial.loader import load_trial
from trial.model import DataError

from factories import study_dict, valid_tables, write_trial

BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def to_type(text: pd.Series, dtype: str) -> pd.Series:
    """A text column as a Parquet writer would type it ("" = missing)."""
    if dtype == "boolean":
        return text.str.lower().map(BOOL_WORDS).astype("boolean")
    return pd.to_numeric(text, errors="coerce").astype(dtype)


# Native types of the valid tables' number and boolean columns.
NATIVE = {
    "patients": {
        "last_followup_day": "int64",
        "age": "float64",
        "disease_duration_months": "float64",
        "lupus_nephritis": "boolean",
    },
    "measurements": {"month": "int64", "day": "Int64", "value": "float64"},
    "events": {"day": "int64"},
}

# (table, column, row or None for the whole column, text value(s), Parquet type of the column)
CASES = {
    "infinite value": ("measurements", "value", 3, "inf", "float64"),
    "missing required value": ("measurements", "value", 3, "", "float64"),
    "fraction in a whole-number column": ("measurements", "month", 3, "1.5", "float64"),
    "whole number below its minimum": ("measurements", "month", 3, "-1", "int64"),
    "unscheduled visit": ("measurements", "month", 3, "2", "int64"),
    "outside the measure's min/max": ("measurements", "value", 0, "200", "float64"),
    "fraction in an optional day": ("measurements", "day", 3, "7.5", "float64"),
    "number above its maximum": ("patients", "age", 0, "130.5", "float64"),
    "whole number too large": ("patients", "last_followup_day", 0, str(2**60), "int64"),
    "numbers in a boolean column": (
        "patients",
        "lupus_nephritis",
        None,
        ["2", "1", "1", "0", "0", "1"],
        "int64",
    ),
    "missing boolean (population)": ("patients", "lupus_nephritis", 5, "", "boolean"),
    "numbers in a text column": (
        "patients",
        "prior_treatment",
        None,
        ["1", "", "2.5", "", "", "3"],
        "float64",
    ),
    "missing required day": ("events", "day", 2, "", "Int64"),
    "negative day": ("events", "day", 2, "-3", "int64"),
    "event after the last follow-up": ("events", "day", 16, "400", "int64"),
}


def outcome(folder) -> tuple[list[str], dict | None]:
    """Findings (file names as for CSV) and, when the folder loads, its typed frames."""
    try:
        trial = load_trial(folder)
    except DataError as e:
        return [str(f).replace(".parquet", ".csv") for f in e.findings], None
    frames = {
        "patients": trial.patients,
        "measurements": trial.measurements,
        "events": trial.events,
    }
    return [str(f).replace(".parquet", ".csv") for f in trial.findings], frames


def case_tables(table: str, column: str, row: int | None, value, dtype: str):
    """The valid tables with the change, as text (CSV) and with native types (Parquet)."""
    text = valid_tables()
    if row is None:
        text[table][column] = value
    else:
        text[table].loc[row, column] = value
    typed = {name: df.copy() for name, df in text.items()}
    for name, columns in NATIVE.items():
        for c, t in (columns | ({column: dtype} if name == table else {})).items():
            typed[name][c] = to_type(text[name][c], t)
    return text, typed


@pytest.mark.parametrize("case", list(CASES))
def test_typed_parquet_gives_the_findings_of_csv(tmp_path, case):
    text, typed = case_tables(*CASES[case])
    want_lines, want_frames = outcome(write_trial(tmp_path / "csv", **text))
    got_lines, got_frames = outcome(write_trial(tmp_path / "pq", fmt="parquet", **typed))
    assert got_lines == want_lines
    assert (got_frames is None) == (want_frames is None)
    for name in got_frames or {}:
        pd.testing.assert_frame_equal(got_frames[name], want_frames[name])


def test_typed_findings_name_file_row_column_and_value(tmp_path):
    _, typed = case_tables(*CASES["infinite value"])
    with pytest.raises(DataError) as info:
        load_trial(write_trial(tmp_path, fmt="parquet", **typed))
    assert [str(f) for f in info.value.findings] == [
        (
            "ERROR: measurements.parquet, row 5, column 'value', value 'inf': expected a number; "
            "NaN and infinity are not accepted"
        )
    ]


def test_parquet_numbers_and_booleans_stay_typed(tmp_path):
    """The fast path is taken: no text round trip for columns already typed."""
    _, typed = case_tables(*CASES["negative day"])
    raw = read_tables(write_trial(tmp_path, fmt="parquet", **typed))
    assert raw.measurements["value"].dtype == np.float64
    assert raw.measurements["month"].dtype == np.int64
    assert str(raw.patients["lupus_nephritis"].dtype) == "boolean"
    assert raw.measurements["patient_id"].map(type).eq(str).all()


def test_blank_typed_rows_are_dropped_and_rows_keep_their_numbers(tmp_path):
    """A row empty in every column (NA in typed columns, "" in text ones) is skipped, as a blank
    CSV line is, and the rows after it keep their spreadsheet numbers."""
    text = valid_tables()["events"]
    blank = pd.DataFrame([[""] * len(text.columns)], columns=text.columns)
    text = pd.concat([text.iloc[:2], blank, text.iloc[2:]], ignore_index=True)
    text.loc[3, "day"] = "-3"
    typed = text.assign(day=to_type(text["day"], "Int64"))
    csv_lines, _ = outcome(write_trial(tmp_path / "csv", events=text))
    pq_lines, _ = outcome(write_trial(tmp_path / "pq", fmt="parquet", events=typed))
    assert (
        pq_lines
        == csv_lines
        == ["ERROR: events.csv, row 5, column 'day', value '-3': expected a whole number ≥ 0"]
    )


@pytest.mark.parametrize(
    "values, dtype",
    [(["1", "1", "0", "0", "", "1"], "boolean"), (["1", "1", "2", "0", "0", "1"], "int64")],
)
def test_typed_population_column_outside_the_format(tmp_path, values, dtype):
    """An extra patients column that study.json uses as a population is boolean: checked as
    booleans when typed so, as text otherwise (2 is not a boolean), as in a CSV."""
    study = study_dict()
    study["measures"][1]["population"] = "renal"
    text = valid_tables()["patients"].assign(renal=values)
    typed = text.assign(renal=to_type(text["renal"], dtype))
    csv = outcome(write_trial(tmp_path / "csv", study=study, patients=text))
    pq = outcome(write_trial(tmp_path / "pq", study=study, fmt="parquet", patients=typed))
    assert pq[0] == csv[0] and csv[0]
    for name in csv[1] or {}:
        pd.testing.assert_frame_equal(pq[1][name], csv[1][name])


def test_validated_text_is_plain_text_with_none_for_blanks(tmp_path):
    """The cell checks look at text columns as categories (one look per distinct text); what
    they hand on is plain text, None where a cell was empty, as the analyses expect."""
    from trial.validate import validate

    checked = validate(read_tables(write_trial(tmp_path)))
    treatment = checked.patients["prior_treatment"]
    assert treatment.dtype == object
    assert treatment.tolist() == ["CYC 0.8 g/mo × 28 mo", None, "MMF", None, None, None]
    for frame in (checked.patients, checked.measurements, checked.events):
        assert not [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
