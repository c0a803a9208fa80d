"""python -m trial check|summary|demo: reports, exit codes (0 valid, 1 errors, 2 unreadable)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trial import cli

from factories import valid_tables, write_table, write_trial

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data"
needs_demo = pytest.mark.skipif(
    not (DEMO / "patients.csv").is_file(),
    reason="data is absent: generate it with `python -m trial demo --out data`",
)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# -- check --------------------------------------------------------------------------------------


def test_check_valid(tmp_path, capsys):
    code, out, _ = run(capsys, "check", write_trial(tmp_path))
    assert code == 0
    assert out.splitlines()[-1].startswith(
        f"0 errors, 0 warnings: {tmp_path} is valid (6 patients, 61 measurements, 17 events;"
    )


def test_check_counts_with_thousands_separators(tmp_path, capsys):
    from trial.simulate import write_simulation

    write_simulation(tmp_path, 1000, 2, seed=3)
    code, out, _ = run(capsys, "check", tmp_path)
    assert code == 0
    assert "is valid (1,000 patients, " in out.splitlines()[-1]


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_check_excel_and_parquet(tmp_path, capsys, fmt):
    code, out, _ = run(capsys, "check", write_trial(tmp_path, fmt=fmt))
    assert code == 0 and out.startswith("0 errors, 0 warnings")


def test_check_missing_column(tmp_path, capsys):
    p = valid_tables()["patients"].drop(columns="center")
    code, out, _ = run(capsys, "check", write_trial(tmp_path, patients=p))
    assert code == 1
    assert out.splitlines() == [
        "ERROR: patients.csv, row 1, column 'center': required column 'center' is missing (the "
        "header has: patient_id, last_followup_day, age, sex, disease_duration_months, "
        "lupus_nephritis, prior_treatment, manifestations, provenance, published_fields)",
        f"1 error, 0 warnings: {tmp_path} cannot be used until the errors are fixed",
    ]


def test_check_text_in_numeric_column(tmp_path, capsys):
    m = valid_tables()["measurements"]
    m.loc[10, "value"] = "1,2"
    code, out, _ = run(capsys, "check", write_trial(tmp_path, measurements=m))
    assert code == 1
    assert (
        "ERROR: measurements.csv, row 12, column 'value', value '1,2': expected a number; "
        "write decimals with a point, e.g. 1.5\n"
    ) in out


def test_check_duplicate_rows(tmp_path, capsys):
    m = valid_tables()["measurements"]
    m.loc[5, ["month", "day"]] = ["0", "0"]  # P01 c3 at month 1 -> a second baseline c3
    code, out, _ = run(capsys, "check", write_trial(tmp_path, measurements=m))
    assert code == 1
    assert (
        "ERROR: measurements.csv, row 7, column 'measure', value 'c3': patient 'P01', month "
        "0, measure 'c3' appears twice: rows 4 and 7; keep one row per patient, visit and "
        "measure"
    ) in out


def test_check_unknown_patient(tmp_path, capsys):
    ev = valid_tables()["events"]
    ev.loc[16, "patient_id"] = "P4"
    code, out, _ = run(capsys, "check", write_trial(tmp_path, events=ev))
    assert code == 1
    assert out.splitlines()[0] == (
        "ERROR: events.csv, row 18, column 'patient_id', value 'P4': "
        "unknown patient: not in patients.csv"
    )


def test_check_out_of_range(tmp_path, capsys):
    m = valid_tables()["measurements"]
    m.loc[0, "value"] = "-2"
    code, out, _ = run(capsys, "check", write_trial(tmp_path, measurements=m))
    assert code == 1
    assert (
        "ERROR: measurements.csv, row 2, column 'value', value '-2': outside the possible "
        "values of 'sledai': expected between 0 and 105 (min/max in study.json)"
    ) in out


def test_check_event_after_death_is_a_warning(tmp_path, capsys):
    ev = valid_tables()["events"]
    ev.loc[len(ev)] = ["P03", "200", "relapse", "", "", "", "simulated"]
    code, out, _ = run(capsys, "check", write_trial(tmp_path, events=ev))
    assert code == 0
    first, last = out.splitlines()[0], out.splitlines()[-1]
    assert first.startswith(
        "WARNING: events.csv, row 19, column 'day', value '200': patient "
        "'P03': death is recorded on day 150 (row 17), and 1 event(s) are "
        "recorded after it: relapse on day 200 (row 19)."
    )
    assert "events recorded after death are not counted in time-to-event analyses" in first
    assert last.startswith("0 errors, 2 warnings")  # and: relapse without a prior response


def test_check_header_only(tmp_path, capsys):
    t = valid_tables()
    code, out, _ = run(capsys, "check", write_trial(tmp_path / "a", events=t["events"][:0]))
    assert code == 0 and out.startswith("WARNING: events.csv: the table has a header but no rows")
    code, out, _ = run(capsys, "check", write_trial(tmp_path / "b", patients=t["patients"][:0]))
    assert code == 1 and "ERROR: patients.csv: the table has a header but no rows" in out


@pytest.mark.parametrize(
    "damage, expected",
    [
        (
            lambda f: (f / "events.csv").write_bytes(b""),
            "ERROR: events.csv: the file is empty (0 bytes)",
        ),
        (
            lambda f: (f / "patients.csv").write_bytes(
                "patient_id,center\nP1,Zürich\n".encode("cp1252")
            ),
            "ERROR: patients.csv: not valid UTF-8 text (byte 0xfc at position 22, line 2); save it "
            "as "
            "UTF-8 (in Excel: 'CSV UTF-8')",
        ),
        (
            lambda f: (f / "measurements.csv").write_bytes(b"PAR1\x00\x01binary"),
            "ERROR: measurements.csv: this is not a text file: it looks like a Parquet file with "
            "the "
            "wrong extension; save it as CSV (UTF-8) or use the right extension",
        ),
        (
            lambda f: (f / "study.json").write_text('{"title": "x" "visits": []}'),
            "ERROR: study.json: not valid JSON: Expecting ',' delimiter at line 1, column 15",
        ),
    ],
    ids=["empty", "latin-1", "binary", "json"],
)
def test_check_unreadable_exits_2(tmp_path, capsys, damage, expected):
    folder = write_trial(tmp_path)
    damage(folder)
    code, out, _ = run(capsys, "check", folder)
    assert code == 2
    assert out.splitlines() == [expected, f"1 error, 0 warnings: {folder} cannot be read"]


def test_check_bom_accepted(tmp_path, capsys):
    folder = write_trial(tmp_path)
    p = folder / "measurements.csv"
    p.write_bytes("\ufeff".encode() + p.read_bytes())
    assert run(capsys, "check", folder)[0] == 0


def test_check_not_a_folder(tmp_path, capsys):
    code, out, _ = run(capsys, "check", write_table(tmp_path, "x", valid_tables()["events"]))
    assert code == 2 and "this is a file, not a folder" in out


def test_check_invalid_study_json_content(tmp_path, capsys):
    folder = write_trial(tmp_path)
    study = json.loads((folder / "study.json").read_text())
    study["measures"][0]["min"] = "zero"
    (folder / "study.json").write_text(json.dumps(study))
    code, out, _ = run(capsys, "check", folder)
    assert code == 1
    assert out.splitlines()[0] == (
        "ERROR: study.json, key 'measures[0].min', value '\"zero\"': expected a number or null"
    )


def test_unexpected_failure_is_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    import trial.loader

    def boom(path, limits):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(trial.loader, "load_trial_bounded", boom)
    code, out, err = run(capsys, "check", tmp_path)
    assert code == 2 and err == "check failed: RuntimeError: disk on fire\n"


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["check"])
    assert info.value.code == 2


# -- summary ------------------------------------------------------------------------------------


def test_summary_json_and_text(tmp_path, capsys):
    pytest.importorskip("trial.summary", reason="trial/summary.py not written yet")
    folder = write_trial(tmp_path)
    code, out, _ = run(capsys, "summary", folder, "--json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, dict) and data
    code, out, _ = run(capsys, "summary", folder, "--by", "sex")
    assert code == 0 and out.strip()


def test_summary_on_bad_data_exits_like_check(tmp_path, capsys):
    m = valid_tables()["measurements"]
    m.loc[0, "value"] = "x"
    code, out, err = run(capsys, "summary", write_trial(tmp_path, measurements=m), "--json")
    assert code == 1 and out == ""
    assert "ERROR: measurements.csv, row 2, column 'value', value 'x': expected a number" in err
    folder = write_trial(tmp_path / "b")
    (folder / "events.csv").write_bytes(b"")
    assert run(capsys, "summary", folder)[0] == 2


def test_summary_unknown_by_column(tmp_path, capsys):
    code, _, err = run(capsys, "summary", write_trial(tmp_path), "--by", "nope")
    assert code == 2 and err.startswith(
        "--by: no column or variable 'nope' in patients; available: "
    )


# -- demo ---------------------------------------------------------------------------------------


def test_demo_calls_write_demo(tmp_path, capsys, monkeypatch):
    demo = pytest.importorskip("trial.demo", reason="trial/demo.py not written yet")
    seen = []
    monkeypatch.setattr(demo, "write_demo", lambda out: seen.append(out))
    code, out, _ = run(capsys, "demo", "--out", tmp_path / "d")
    assert code == 0 and seen == [tmp_path / "d"]


# -- the shipped demo ---------------------------------------------------------------------------


@needs_demo
def test_check_demo_reports_the_patient_9_conflict(capsys):
    code, out, _ = run(capsys, "check", DEMO)
    assert code == 0
    conflict = [
        line
        for line in out.splitlines()
        if "patient '9'" in line and "death is recorded on day 7" in line
    ]
    assert len(conflict) == 1
    line = conflict[0]
    assert line.startswith("WARNING: events.csv")
    assert "response MCR" in line and "relapse on day" in line
    assert (
        "events recorded after death are not counted in time-to-event analyses; counts are "
        "shown as recorded and as analysed"
    ) in line
    assert out.splitlines()[-1].startswith("0 errors")


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    if not (DEMO / "patients.csv").is_file():
        pytest.skip("data is absent: generate it with `python -m trial demo --out data`")
    return Path(shutil.copytree(DEMO, tmp_path / "demo"))


def edit_line(path: Path, row: int, old: str, new: str) -> str:
    """Replace `old` by `new` in spreadsheet row `row` (line number) of a CSV; return the line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[row - 1]
    lines[row - 1] = lines[row - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return lines[row - 1]


def test_broken_demo_text_in_value(demo_copy, capsys):
    path = demo_copy / "measurements.csv"
    line = path.read_text(encoding="utf-8").split("\n")[9]  # row 10
    value = line.split(",")[4]
    edit_line(path, 10, f",{value},", ",n/a,")
    code, out, _ = run(capsys, "check", demo_copy)
    assert code == 1
    assert (
        "ERROR: measurements.csv, row 10, column 'value', value 'n/a': expected a number"
        in out.splitlines()
    )


def test_broken_demo_duplicate_and_unknown_patient(demo_copy, capsys):
    path = demo_copy / "measurements.csv"
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    n = len(lines)
    lines.append(lines[1])  # row n+1 duplicates row 2
    lines.append("999" + lines[2][lines[2].index(",") :])  # row n+2: unknown patient
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", demo_copy)
    assert code == 1
    assert f"rows 2 and {n + 1}; keep one row per patient, visit and measure" in out
    assert (
        f"ERROR: measurements.csv, row {n + 2}, column 'patient_id', value '999': unknown "
        f"patient: not in patients.csv"
    ) in out


def test_broken_demo_wrong_encoding(demo_copy, capsys):
    path = demo_copy / "patients.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252", errors="replace"))
    code, out, _ = run(capsys, "check", demo_copy)
    assert code == 2
    assert out.startswith("ERROR: patients.csv: not valid UTF-8 text (byte 0x")


def test_broken_demo_missing_column(demo_copy, capsys):
    import pandas as pd

    path = demo_copy / "events.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns="event").to_csv(
        path, index=False
    )
    code, out, _ = run(capsys, "check", demo_copy)
    assert code == 1
    assert out.startswith(
        "ERROR: events.csv, row 1, column 'event': required column 'event' is missing"
    )


# -- a real process -----------------------------------------------------------------------------


def test_python_m_trial_check_subprocess(tmp_path):
    ok = write_trial(tmp_path / "ok")
    bad = write_trial(tmp_path / "bad")
    (bad / "events.csv").write_bytes(b"\xff\xfe\x00garbage")
    for folder, expected in ((ok, 0), (bad, 2)):
        proc = subprocess.run(
            [sys.executable, "-m", "trial", "check", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == expected, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
    assert "events.csv" in proc.stdout
