"""Reading and validating a trial folder: trial/io.py, trial/validate.py, trial/loader.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trial.io import read_tables
from trial.loader import load_trial
from trial.model import DataError, Finding

from factories import study_dict, valid_tables, write_table, write_trial


def findings_of(folder) -> list[Finding]:
    """All findings of a folder, whether it loads or not."""
    try:
        return list(load_trial(folder).findings)
    except DataError as e:
        return e.findings


def lines(findings) -> list[str]:
    return [str(f) for f in findings]


def load_error(folder) -> DataError:
    with pytest.raises(DataError) as info:
        load_trial(folder)
    return info.value


# -- valid data ---------------------------------------------------------------------------------


def test_valid_trial_loads_without_findings(tmp_path):
    trial = load_trial(write_trial(tmp_path))
    assert trial.findings == ()
    assert len(trial.patients) == 6 and len(trial.events) == 17
    assert trial.source == str(tmp_path) and len(trial.fingerprint) == 12
    p, m, e = trial.patients, trial.measurements, trial.events
    assert p["last_followup_day"].dtype == "int64"
    assert p["age"].dtype == float and np.isnan(p.loc[4, "age"])
    assert p["lupus_nephritis"].dtype == bool
    assert p["lupus_nephritis"].tolist() == [True, True, True, False, False, True]
    assert p["sex"].tolist()[-1] is None  # empty optional cell = missing
    assert m["month"].dtype == "int64" and m["value"].dtype == float
    assert str(m["day"].dtype) == "Int64" and m["day"].isna().sum() == 23  # c3 rows have no day
    assert e["day"].dtype == "int64"
    assert isinstance(p.index, pd.RangeIndex) and isinstance(m.index, pd.RangeIndex)
    # derived outcomes
    assert p.set_index("patient_id")["response"].to_dict() == {
        "P01": "MCR",
        "P02": "PCR",
        "P03": "NR",
        "P04": "NR",
        "P05": "NR",
        "P06": "NR",
    }
    assert p.loc[2, "death"] and p.loc[2, "death_day"] == 150
    assert trial.study.visit_months == (0, 1, 3, 6)
    assert trial.study.measure("proteinuria").population == "lupus_nephritis"
    assert trial.study.measure("sledai").max == 105


def test_provenance_defaults_to_recorded_when_the_column_is_absent(tmp_path):
    t = valid_tables()
    trial = load_trial(
        write_trial(
            tmp_path,
            measurements=t["measurements"].drop(columns="provenance"),
            events=t["events"].drop(columns="provenance"),
        )
    )
    assert set(trial.measurements["provenance"]) == {"recorded"}
    assert set(trial.events["provenance"]) == {"recorded"}
    assert trial.findings == ()


def test_empty_provenance_cells_are_recorded_with_a_warning(tmp_path):
    ev = valid_tables()["events"]
    ev.loc[[0, 3], "provenance"] = ""
    trial = load_trial(write_trial(tmp_path, events=ev))
    assert trial.events.loc[[0, 3], "provenance"].tolist() == ["recorded", "recorded"]
    assert lines(trial.findings) == [
        "WARNING: events.csv, column 'provenance': 2 row(s) without provenance are taken as "
        "'recorded' (rows 2, 5)"
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "parquet", {"patients": "xlsx", "events": "parquet"}])
def test_excel_and_parquet_give_the_same_trial(tmp_path, fmt):
    ref = load_trial(write_trial(tmp_path / "csv"))
    trial = load_trial(write_trial(tmp_path / "other", fmt=fmt))
    assert trial.findings == ()
    pd.testing.assert_frame_equal(trial.patients, ref.patients)
    pd.testing.assert_frame_equal(trial.measurements, ref.measurements)
    pd.testing.assert_frame_equal(trial.events, ref.events)


def test_parquet_with_native_types(tmp_path):
    """Parquet written by pandas with numbers, booleans and NaN (not text) reads the same."""
    t = valid_tables()
    p = t["patients"].copy()
    p["last_followup_day"] = p["last_followup_day"].astype(int)
    p["age"] = pd.to_numeric(p["age"])  # float with NaN
    p["lupus_nephritis"] = [True, True, True, False, False, True]
    m = t["measurements"].copy()
    m["month"] = m["month"].astype(int)
    m["value"] = m["value"].astype(float)
    m["day"] = pd.to_numeric(m["day"]).astype("Int64")
    folder = write_trial(tmp_path / "pq", fmt="parquet", patients=p, measurements=m)
    ref = load_trial(write_trial(tmp_path / "csv"))
    trial = load_trial(folder)
    assert trial.findings == ()
    pd.testing.assert_frame_equal(trial.patients, ref.patients)
    pd.testing.assert_frame_equal(trial.measurements, ref.measurements)


def test_bom_is_accepted(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "patients.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    trial = load_trial(folder)
    assert trial.findings == () and trial.patients.columns[0] == "patient_id"


def test_blank_lines_keep_row_numbers(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "events.csv"
    text = p.read_text().splitlines()
    text.insert(3, "")  # a blank line 4: the next data row is row 5
    text[4] = text[4].replace("P02,0,", "P02,x,")
    p.write_text("\n".join(text) + "\n\n")
    assert lines(load_error(folder).findings) == [
        "ERROR: events.csv, row 5, column 'day', value 'x': expected a whole number"
    ]


def test_fingerprint_follows_the_bytes(tmp_path):
    a = load_trial(write_trial(tmp_path / "a")).fingerprint
    assert load_trial(write_trial(tmp_path / "b")).fingerprint == a
    ev = valid_tables()["events"]
    ev.loc[0, "term"] = "UC-MSC"
    assert load_trial(write_trial(tmp_path / "c", events=ev)).fingerprint != a


# -- unreadable files ---------------------------------------------------------------------------


def unreadable(folder) -> list[str]:
    err = load_error(folder)
    assert err.unreadable
    return lines(err.findings)


def test_empty_file(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "events.csv").write_bytes(b"")
    assert unreadable(folder) == ["ERROR: events.csv: the file is empty (0 bytes)"]


def test_whitespace_only_file(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "patients.csv").write_text(" \n\n  \n")
    assert unreadable(folder) == [
        "ERROR: patients.csv: the file contains only blank space: no header row"
    ]


def test_latin1_file(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "patients.csv"
    text = p.read_text(encoding="utf-8").replace("×", "x").replace("Center B", "Centre Bélair")
    p.write_bytes(text.encode("latin-1", errors="replace"))
    pos = p.read_bytes().index(b"\xe9")
    assert unreadable(folder) == [
        f"ERROR: patients.csv: not valid UTF-8 text (byte 0xe9 at position {pos}, line 4); "
        f"save it as UTF-8 (in Excel: 'CSV UTF-8')"
    ]


def test_binary_file_renamed_csv(tmp_path):
    folder = write_trial(tmp_path)
    write_table(tmp_path, "spare", valid_tables()["events"], "xlsx")
    (folder / "events.csv").write_bytes((tmp_path / "spare.xlsx").read_bytes())
    assert unreadable(folder) == [
        "ERROR: events.csv: this is not a text file: it looks like an Excel workbook or other zip "
        "archive with the wrong extension; save it as CSV (UTF-8) or use the right extension"
    ]


def test_nul_bytes(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "events.csv").write_bytes("patient_id,day\n".encode("utf-16"))
    assert "NUL bytes: UTF-16" in unreadable(folder)[0]


def test_csv_renamed_xlsx_and_broken_parquet(tmp_path):
    folder = write_trial(tmp_path, fmt={"events": "xlsx", "measurements": "parquet"})
    (folder / "events.xlsx").write_text("patient_id,day\n")
    (folder / "measurements.parquet").write_bytes(b"not parquet at all")
    found = unreadable(folder)
    assert found[0].startswith("ERROR: measurements.parquet: cannot be read as a Parquet file")
    assert found[1] == (
        "ERROR: events.xlsx: not an Excel workbook (.xlsx): the file is not in "
        "Excel's format (a CSV or old .xls file renamed?)"
    )


def test_malformed_csv(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "events.csv"
    p.write_text(p.read_text() + "P01,5,infusion,x,,,published,surplus\n")
    assert unreadable(folder) == [
        "ERROR: events.csv, row 19: row 19 has 8 fields but the header has 7: every row needs as "
        "many comma-separated fields as the header (a comma inside a text needs the text in "
        "double quotes)"
    ]


def test_missing_and_doubled_tables(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "measurements.csv").unlink()
    write_table(folder, "events", valid_tables()["events"], "parquet")
    assert unreadable(folder) == [
        "ERROR: measurements.csv: missing: the folder must hold measurements.csv, "
        "measurements.xlsx or measurements.parquet",
        "ERROR: events.csv: found events.csv and events.parquet: keep exactly one file for the "
        "events table",
    ]


def test_invalid_json(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "study.json").write_text('{"title": "x",\n "visits": [}')
    assert unreadable(folder) == [
        "ERROR: study.json: not valid JSON: Expecting value at line 2, column 13"
    ]


def test_json_not_an_object_and_missing_study(tmp_path):
    folder = write_trial(tmp_path / "a")
    (folder / "study.json").write_text("[1, 2]")
    assert unreadable(folder) == [
        "ERROR: study.json: expected a JSON object {...} at the top level, found list"
    ]
    folder = write_trial(tmp_path / "b")
    (folder / "study.json").unlink()
    assert unreadable(folder) == [
        "ERROR: study.json: missing: the folder must hold study.json (study title, visits and "
        "measures)"
    ]


def test_every_unreadable_file_is_reported(tmp_path):
    folder = write_trial(tmp_path)
    (folder / "study.json").write_text("{")
    (folder / "patients.csv").write_bytes(b"")
    (folder / "events.csv").write_bytes(b"patient_id,day,event\n1,0,r\xe9ponse\n")
    found = unreadable(folder)
    assert [f.split(":")[1].strip() for f in found] == ["study.json", "patients.csv", "events.csv"]


def test_semicolon_separated_csv(tmp_path):
    folder = write_trial(tmp_path)
    valid_tables()["patients"].to_csv(folder / "patients.csv", sep=";", index=False)
    assert unreadable(folder) == [
        "ERROR: patients.csv: the columns are separated by semicolons, not commas; save it as "
        "comma-separated CSV (UTF-8)"
    ]


def test_path_is_not_a_folder(tmp_path):
    f = tmp_path / "patients.csv"
    f.write_text("x")
    assert unreadable(f)[0].endswith(
        "this is a file, not a folder: give the folder that holds "
        "study.json, patients, measurements and events"
    )
    assert unreadable(tmp_path / "nowhere") == [f"ERROR: {tmp_path / 'nowhere'}: folder not found"]


def test_raw_tables_are_text(tmp_path):
    raw = read_tables(write_trial(tmp_path, fmt="xlsx"))
    assert raw.files == {
        "study": "study.json",
        "patients": "patients.xlsx",
        "measurements": "measurements.xlsx",
        "events": "events.xlsx",
    }
    for df in (raw.patients, raw.measurements, raw.events):
        assert all(df[c].map(type).eq(str).all() for c in df.columns)
    assert raw.patients.loc[4, "age"] == ""


# -- cell checks --------------------------------------------------------------------------------


def test_missing_required_columns_one_error_each(tmp_path):
    m = valid_tables()["measurements"].drop(columns=["month", "value"])
    assert lines(load_error(write_trial(tmp_path, measurements=m)).findings) == [
        "ERROR: measurements.csv, row 1, column 'month': required column 'month' is missing "
        "(the header has: patient_id, day, measure, provenance)",
        "ERROR: measurements.csv, row 1, column 'value': required column 'value' is missing "
        "(the header has: patient_id, day, measure, provenance)",
    ]


def test_column_name_case_hint(tmp_path):
    p = valid_tables()["patients"].rename(columns={"center": "Center"})
    assert lines(load_error(write_trial(tmp_path, patients=p)).findings) == [
        "ERROR: patients.csv, row 1, column 'center': required column 'center' is missing (the "
        "header has: patient_id, Center, last_followup_day, age, sex, disease_duration_months, "
        "lupus_nephritis, prior_treatment, manifestations, provenance, published_fields); found "
        "'Center': names are case-sensitive, in lower case"
    ]


def test_text_in_numeric_columns(tmp_path):
    t = valid_tables()
    t["measurements"].loc[3, "value"] = "abc"
    t["measurements"].loc[7, "month"] = "1.5"
    t["patients"].loc[1, "age"] = "NA"
    t["patients"].loc[2, "last_followup_day"] = "-3"
    err = load_error(write_trial(tmp_path, **t))
    assert not err.unreadable
    assert lines(err.findings) == [
        "ERROR: patients.csv, row 4, column 'last_followup_day', value '-3': expected a whole "
        "number ≥ 0",
        "ERROR: patients.csv, row 3, column 'age', value 'NA': expected a number (leave the cell "
        "empty if unknown)",
        "ERROR: measurements.csv, row 9, column 'month', value '1.5': expected a whole number",
        "ERROR: measurements.csv, row 5, column 'value', value 'abc': expected a number",
    ]


def test_choices_booleans_and_required_cells(tmp_path):
    t = valid_tables()
    t["patients"].loc[3, "lupus_nephritis"] = "maybe"
    t["patients"].loc[1, "sex"] = "f"
    t["events"].loc[0, "event"] = "transfusion"
    t["events"].loc[1, "provenance"] = "guessed"
    t["measurements"].loc[4, "patient_id"] = ""
    found = lines(load_error(write_trial(tmp_path, **t)).findings)
    assert found == [
        "ERROR: patients.csv, row 3, column 'sex', value 'f': expected one of: F, M (write 'F': "
        "values are case-sensitive)",
        "ERROR: patients.csv, row 5, column 'lupus_nephritis', value 'maybe': expected true or "
        "false (accepted: true, yes, 1, false, no, 0, any case)",
        "ERROR: measurements.csv, row 6, column 'patient_id', value '': a value is required "
        "here; the cell is empty",
        "ERROR: events.csv, row 2, column 'event', value 'transfusion': expected one of: "
        "infusion, response, relapse, death, adverse_event",
        "ERROR: events.csv, row 3, column 'provenance', value 'guessed': expected one of: "
        "published, inferred, simulated, recorded",
    ]


def test_out_of_range_values(tmp_path):
    m = valid_tables()["measurements"]
    m.loc[1, "value"] = "-0.5"  # proteinuria
    m.loc[3, "value"] = "106"  # sledai
    found = lines(load_error(write_trial(tmp_path, measurements=m)).findings)
    assert found == [
        "ERROR: measurements.csv, row 3, column 'value', value '-0.5': outside the possible "
        "values of 'proteinuria': expected ≥ 0 (min/max in study.json)",
        "ERROR: measurements.csv, row 5, column 'value', value '106': outside the possible "
        "values of 'sledai': expected between 0 and 105 (min/max in study.json)",
    ]


def test_header_only_tables(tmp_path):
    t = valid_tables()
    trial = load_trial(write_trial(tmp_path / "a", events=t["events"].iloc[:0]))
    assert lines(trial.findings) == [
        "WARNING: events.csv: the table has a header but no rows: no events"
    ]
    assert (trial.patients["response"] == "NR").all()
    err = load_error(write_trial(tmp_path / "b", patients=t["patients"].iloc[:0]))
    assert "ERROR: patients.csv: the table has a header but no rows: no patients" in lines(
        err.findings
    )
    assert not err.unreadable


def test_duplicate_header_column(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "events.csv"
    p.write_text(p.read_text().replace("severity", "term", 1))
    assert (
        "ERROR: events.csv, row 1, column 'term': the header names column 'term' twice "
        "(columns 4 and 5)" in lines(load_error(folder).findings)
    )


def test_findings_are_capped_per_rule(tmp_path):
    m = valid_tables()["measurements"]
    m["value"] = "?"
    found = load_error(write_trial(tmp_path, measurements=m)).findings
    assert len(found) == 51
    assert str(found[-1]) == (
        "ERROR: measurements.csv: … and 11 more cells in column 'value' "
        "with the same problem (number)"
    )


# -- cross-table checks -------------------------------------------------------------------------


def test_duplicate_rows_name_both_rows(tmp_path):
    t = valid_tables()
    m = pd.concat([t["measurements"], t["measurements"].iloc[[4]]], ignore_index=True)
    p = pd.concat([t["patients"], t["patients"].iloc[[1]]], ignore_index=True)
    found = lines(load_error(write_trial(tmp_path, measurements=m, patients=p)).findings)
    assert found == [
        "ERROR: patients.csv, row 8, column 'patient_id', value 'P02': patient_id 'P02' appears "
        "twice: rows 3 and 8; patient ids must be unique",
        "ERROR: measurements.csv, row 63, column 'measure', value 'proteinuria': patient 'P01', "
        "month 1, measure 'proteinuria' appears twice: rows 6 and 63; keep one row per patient, "
        "visit and measure",
    ]


def test_unknown_patient_visit_and_measure(tmp_path):
    t = valid_tables()
    t["measurements"].loc[4, "patient_id"] = "P99"
    t["measurements"].loc[3, "month"] = "2"
    t["measurements"].loc[5, "measure"] = "C3"
    t["events"].loc[2, "patient_id"] = "p02"
    found = lines(load_error(write_trial(tmp_path, **t)).findings)
    assert found == [
        "ERROR: measurements.csv, row 6, column 'patient_id', value 'P99': unknown patient: not "
        "in patients.csv",
        "ERROR: measurements.csv, row 5, column 'month', value '2': month 2 is not a visit of "
        "study.json (visits: months 0, 1, 3, 6)",
        "ERROR: measurements.csv, row 7, column 'measure', value 'C3': measure code not defined "
        "in study.json measures (defined: sledai, proteinuria, c3)",
        "ERROR: events.csv, row 4, column 'patient_id', value 'p02': unknown patient: not in "
        "patients.csv",
    ]


def test_response_without_grade(tmp_path):
    ev = valid_tables()["events"]
    ev.loc[12, "term"] = ""  # P01 response
    ev.loc[13, "term"] = "CR"  # P02 response
    found = lines(load_error(write_trial(tmp_path, events=ev)).findings)
    assert found == [
        "ERROR: events.csv, row 14, column 'term', value '': a response needs its grade in "
        "'term': expected one of: MCR, PCR",
        "ERROR: events.csv, row 15, column 'term', value 'CR': a response needs its grade in "
        "'term': expected one of: MCR, PCR",
    ]


def patient9_events() -> pd.DataFrame:
    """The published conflict: death on day 7, then a response (MCR) and a relapse."""
    ev = valid_tables()["events"]
    extra = pd.DataFrame(
        [
            ["P05", "7", "death", "Death", "SAE", "no", "published"],
            ["P05", "186", "response", "MCR", "", "", "published"],
            ["P05", "339", "relapse", "", "", "", "published"],
        ],
        columns=ev.columns,
    )
    return pd.concat([ev, extra], ignore_index=True)


def test_event_after_death_is_a_warning_with_both_facts_and_the_rule(tmp_path):
    p = valid_tables()["patients"]
    p.loc[4, "last_followup_day"] = "7"
    m = valid_tables()["measurements"]
    m = m.loc[~((m["patient_id"] == "P05") & (m["month"] != "0"))]
    trial = load_trial(write_trial(tmp_path, patients=p, measurements=m, events=patient9_events()))
    assert lines(trial.findings) == [
        "WARNING: events.csv, row 20, column 'day', value '186': patient 'P05': death is "
        "recorded on day 7 (row 19), and 2 event(s) are recorded after it: response MCR on day "
        "186 (row 20); relapse on day 339 (row 21). Both facts are kept as recorded, not "
        "corrected. Rule: events recorded after death are not counted in time-to-event "
        "analyses; counts are shown as recorded and as analysed."
    ]
    # nothing is dropped: the outcomes are derived as recorded
    p5 = trial.patients.set_index("patient_id").loc["P05"]
    assert p5["response"] == "MCR" and p5["relapse"] and p5["death_day"] == 7
    assert trial.warnings[0].patient_id == "P05" and trial.warnings[0].rule == "event_after_death"


def test_follow_up_and_measurement_warnings(tmp_path):
    """Without the fixes of the previous test: measurements after death, follow-up mismatch."""
    found = lines(load_trial(write_trial(tmp_path, events=patient9_events())).findings)
    assert found[0].startswith(
        "WARNING: events.csv, row 20, column 'day', value '186': patient "
        "'P05': death is recorded on day 7 (row 19)"
    )
    assert found[1] == (
        "WARNING: patients.csv, row 6, column 'last_followup_day', value '365': last_followup_day "
        "365 is after the death recorded on day 7 (events.csv row 19); for a patient who died it "
        "should be the day of death"
    )
    assert found[2].startswith(
        "WARNING: measurements.csv, row 45, column 'month', value '1': patient 'P05' died on day "
        "7 (events.csv), but 6 measurement(s) are dated after it (months 1, 3, 6; rows 45, 46, "
        "47, 48, 49, 50)"
    )
    assert len(found) == 3


def test_event_after_follow_up_and_relapse_without_response(tmp_path):
    ev = valid_tables()["events"]
    ev.loc[14, "day"] = "400"  # P02 relapse after last follow-up (365)
    ev.loc[13, "event"] = "adverse_event"  # P02 had no response then
    ev.loc[13, "term"] = "Fever"
    found = lines(load_trial(write_trial(tmp_path, events=ev)).findings)
    assert found == [
        "WARNING: events.csv, row 16, column 'day', value '400': relapse on day 400 is after the "
        "patient's last follow-up (last_followup_day 365 in patients.csv)",
        "WARNING: events.csv, row 16, column 'event', value 'relapse': relapse on day 400 without "
        "a response recorded before it for patient 'P02'",
    ]


def test_death_after_last_follow_up(tmp_path):
    p = valid_tables()["patients"]
    p.loc[2, "last_followup_day"] = "100"
    found = lines(load_trial(write_trial(tmp_path, patients=p)).findings)
    assert found[0] == (
        "WARNING: patients.csv, row 4, column 'last_followup_day', value '100': death is recorded "
        "on day 150 (events.csv row 17), after the last follow-up day 100; for a patient who "
        "died it should be the day of death"
    )


def test_missing_baseline(tmp_path):
    m = valid_tables()["measurements"]
    m = m.drop(index=[0, 2])  # P01 baseline sledai and c3
    trial = load_trial(write_trial(tmp_path, measurements=m))
    assert lines(trial.findings) == [
        "WARNING: measurements.csv, column 'measure', value 'sledai, c3': patient 'P01' has later "
        "values but no baseline (month 0) value of the measure(s) listed; changes from baseline "
        "cannot be computed for them"
    ]


# -- study.json ---------------------------------------------------------------------------------


def test_study_json_checks(tmp_path):
    s = study_dict()
    del s["title"]
    s["data_status"] = "demo"
    s["visits"][1]["month"] = "1"
    s["visits"].append({"month": 3, "label": "again", "day": 90})
    s["measures"][0]["max"] = "105"
    s["measures"][1]["min"] = 5
    s["measures"][1]["max"] = 1
    s["measures"][2]["code"] = "C3"
    s["measures"][2]["key"] = "yes"
    s["measures"][2]["maximum"] = 3
    s["measures"][0]["population"] = "nephritis"
    found = lines(load_error(write_trial(tmp_path, study=s)).findings)
    expected_errors = [
        "ERROR: study.json, key 'title': required key is missing: expected a text",
        "ERROR: study.json, key 'data_status', value '\"demo\"': required: expected \"real\" or "
        '"simulated"',
        "ERROR: study.json, key 'visits[1].month', value '\"1\"': required: expected a whole "
        "number ≥ 0 (0 = baseline)",
        "ERROR: study.json, key 'visits[4].month', value '3': month 3 is already scheduled in "
        "visits[2]",
        "ERROR: study.json, key 'measures[0].max', value '\"105\"': expected a number or null",
        "ERROR: study.json, key 'measures[1].min', value '5': min (5) is greater than max (1)",
        "ERROR: study.json, key 'measures[2].code', value '\"C3\"': required: expected a code in "
        "lower case letters, digits and _ (starting with a letter)",
        "ERROR: study.json, key 'measures[2].key', value '\"yes\"': expected true or false "
        "(JSON booleans, without quotes)",
    ]
    for line in expected_errors:
        assert line in found
    assert (
        "ERROR: study.json, key 'measures[0].population', value 'nephritis': population "
        "'nephritis' is not a column of patients.csv" in found
    )
    assert (
        "WARNING: study.json, key 'measures[2].maximum': unknown key, ignored (check the "
        "spelling)" in found
    )


def test_study_json_wrong_types_do_not_crash(tmp_path):
    s = study_dict()
    s["visits"] = 5
    s["measures"] = {"code": "sledai"}
    s["centers"] = "A"
    found = lines(load_error(write_trial(tmp_path, study=s)).findings)
    assert found[:3] == [
        "ERROR: study.json, key 'centers', value '\"A\"': expected a list of texts",
        "ERROR: study.json, key 'visits', value '5': required: expected a non-empty list of "
        'visits ({"month": 0, "label": "Baseline", "day": 0}, ...)',
        "ERROR: study.json, key 'measures', value '{\"code\": \"sledai\"}': required: expected a "
        "non-empty list of measures",
    ]


def test_study_json_needs_visits_measures_and_a_baseline(tmp_path):
    s = study_dict()
    s["visits"] = [v for v in s["visits"] if v["month"] != 0]
    s["measures"] = []
    found = lines(load_error(write_trial(tmp_path, study=s)).findings)
    assert (
        "ERROR: study.json, key 'visits': no baseline visit: one visit must have month 0" in found
    )
    assert (
        "ERROR: study.json, key 'measures', value '[]': required: expected a non-empty list "
        "of measures" in found
    )


# -- speed --------------------------------------------------------------------------------------


def test_large_tables_are_fast(tmp_path):
    """3 000 patients × 6 visits × 12 measures (216 000 rows) in a few seconds."""
    rng = np.random.default_rng(1)
    n = 3000
    s = study_dict()
    s["visits"] = [{"month": m, "label": f"{m} mo", "day": 30 * m} for m in (0, 1, 3, 6, 9, 12)]
    s["measures"] = [dict(s["measures"][0], code=f"m{k}", population=None) for k in range(12)]
    ids = [f"X{i:05d}" for i in range(n)]
    patients = pd.DataFrame(
        {"patient_id": ids, "center": rng.choice(["A", "B"], n), "last_followup_day": "365"}
    )
    idx = pd.MultiIndex.from_product(
        [ids, [0, 1, 3, 6, 9, 12], [f"m{k}" for k in range(12)]],
        names=["patient_id", "month", "measure"],
    )
    m = idx.to_frame(index=False)
    m["value"] = rng.integers(0, 30, len(m))
    m.loc[::1000, "value"] = -1  # 216 errors: 50 reported + "and 166 more"
    events = pd.DataFrame({"patient_id": ids, "day": "0", "event": "infusion"})
    folder = write_trial(
        tmp_path, study=s, patients=patients, measurements=m.astype(str), events=events
    )
    found = load_error(folder).findings
    assert len(found) == 51 and "… and 166 more rows" in str(found[-1])


def test_patients_column_named_like_a_derived_outcome(tmp_path):
    p = valid_tables()["patients"].assign(response="CR")
    trial = load_trial(write_trial(tmp_path, patients=p))
    assert lines(trial.findings) == [
        "WARNING: patients.csv, row 1, column 'response': this column is replaced by the outcome "
        "derived from the events"
    ]
    assert trial.patients.loc[0, "response"] == "MCR"


def test_extra_column_in_measurements_is_reported(tmp_path):
    m = valid_tables()["measurements"].assign(units="g")
    trial = load_trial(write_trial(tmp_path, measurements=m))
    assert lines(trial.findings) == [
        "WARNING: measurements.csv, row 1, column 'units': column not in the data format: kept, "
        "but not used"
    ]
    assert "units" in trial.measurements


def test_values_outside_a_measure_population(tmp_path):
    p = valid_tables()["patients"]
    p.loc[5, "lupus_nephritis"] = ""  # P06: unknown, so outside "lupus_nephritis" patients
    trial = load_trial(write_trial(tmp_path, patients=p))
    assert lines(trial.findings) == [
        "WARNING: measurements.csv, row 52, column 'measure', value 'proteinuria': 4 value(s) of "
        "'proteinuria' belong to patients outside its population ('lupus_nephritis' is not true "
        "in patients.csv): patients P06; they are kept but not used in the analyses of "
        "'proteinuria'"
    ]
    assert trial.patients["lupus_nephritis"].tolist() == [True, True, True, False, False, None]


def test_unnamed_columns(tmp_path):
    folder = write_trial(tmp_path)
    p = folder / "events.csv"
    p.write_text("".join(line + ",\n" for line in p.read_text().splitlines()))
    assert lines(load_trial(folder).findings) == [
        "WARNING: events.csv, row 1: column 8 has no name and no values: ignored"
    ]
    p.write_text(p.read_text().replace("published,\n", "published,x\n", 1))
    assert lines(load_error(folder).findings) == [
        "ERROR: events.csv, row 1: column 8 has values but no name in the header"
    ]
