"""Small valid trials in the native format (data/README.md), written to a folder for tests.

    folder = write_trial(tmp_path)                      # 6 patients, CSV, no findings
    folder = write_trial(tmp_path, fmt="xlsx")          # every table as Excel
    folder = write_trial(tmp_path, fmt={"events": "parquet"})
    tables = valid_tables(); tables["events"].loc[...] = ...; write_trial(tmp_path, **tables)

Rows are kept as text, as a user's spreadsheet would hold them.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pandas as pd

from trial.model import Trial
from trial.store import TABLES as TRIAL_TABLES

TABLES = ("patients", "measurements", "events")
VISITS = [(0, "Baseline", 0), (1, "1 mo", 30), (3, "3 mo", 90), (6, "6 mo", 180)]


def study_dict() -> dict:
    return {
        "title": "Test trial of UC-MSC in refractory SLE",
        "short_title": "Test trial",
        "registry_id": "NCT00000000",
        "citation": "",
        "data_status": "simulated",
        "data_note": "Made up for tests.",
        "time_origin": "First MSC infusion (day 0)",
        "centers": ["Center A", "Center B"],
        "visits": [{"month": m, "label": label, "day": d} for m, label, d in VISITS],
        "measures": [
            {
                "code": "sledai",
                "label": "SLEDAI-2K",
                "unit": "score",
                "unit_assumed": False,
                "better": "lower",
                "ref_low": None,
                "ref_high": None,
                "min": 0,
                "max": 105,
                "key": True,
                "population": None,
                "log_scale": False,
                "category": "Disease activity",
            },
            {
                "code": "proteinuria",
                "label": "24-h proteinuria",
                "unit": "g/24 h",
                "unit_assumed": True,
                "better": "lower",
                "ref_low": None,
                "ref_high": 0.15,
                "min": 0,
                "max": None,
                "key": True,
                "population": "lupus_nephritis",
                "log_scale": False,
                "category": "Renal",
            },
            {
                "code": "c3",
                "label": "Complement C3",
                "unit": "g/L",
                "unit_assumed": True,
                "better": "higher",
                "ref_low": 0.9,
                "ref_high": 1.8,
                "min": 0,
                "max": 10,
                "key": False,
                "population": None,
                "log_scale": False,
                "category": "Serology",
            },
        ],
    }


def valid_tables() -> dict[str, pd.DataFrame]:
    """Six patients: P01 MCR, P02 PCR then relapse, P03 died on day 150, P04-P06 no response."""
    patients = pd.DataFrame(
        {
            "patient_id": ["P01", "P02", "P03", "P04", "P05", "P06"],
            "center": ["Center A", "Center A", "Center B", "Center B", "Center A", "Center B"],
            "last_followup_day": ["365", "365", "150", "365", "365", "365"],
            "age": ["46", "37", "21", "28.5", "", "23"],
            "sex": ["F", "F", "M", "F", "F", ""],
            "disease_duration_months": ["40", "41", "50", "98", "120", "15"],
            "lupus_nephritis": ["true", "TRUE", "yes", "false", "0", "1"],
            "prior_treatment": ["CYC 0.8 g/mo × 28 mo", "", "MMF", "", "", ""],
            "manifestations": ["LN, A", "A, LN", "V", "C", "", ""],
            "provenance": [
                "published",
                "published",
                "simulated",
                "simulated",
                "simulated",
                "simulated",
            ],
            "published_fields": ["age;disease_duration_months", "age", "", "", "", ""],
        }
    )
    rows = []
    for k, pid in enumerate(patients["patient_id"]):
        for month, _, day in VISITS:
            if pid == "P03" and month > 3:  # died on day 150
                continue
            wobble = (7 * k + 3 * month) % 5 - 2  # deterministic spread between patients
            rows.append([pid, month, day + k, "sledai", int(14 - month + wobble), "simulated"])
            if pid not in ("P04", "P05"):  # proteinuria: lupus nephritis patients only
                rows.append(
                    [
                        pid,
                        month,
                        day + k,
                        "proteinuria",
                        round(2.5 - 0.2 * month + 0.1 * wobble, 2),
                        "simulated",
                    ]
                )
            rows.append(
                [pid, month, "", "c3", round(0.6 + 0.05 * month + 0.02 * wobble, 2), "simulated"]
            )
    measurements = pd.DataFrame(
        rows, columns=["patient_id", "month", "day", "measure", "value", "provenance"]
    ).astype(str)
    ev = []
    for pid in patients["patient_id"]:
        ev += [
            [pid, "0", "infusion", "UC-MSC 1e6/kg", "", "", "published"],
            [pid, "7", "infusion", "UC-MSC 1e6/kg", "", "", "published"],
        ]
    ev += [
        ["P01", "90", "response", "MCR", "", "", "simulated"],
        ["P02", "60", "response", "PCR", "", "", "simulated"],
        ["P02", "270", "relapse", "", "", "", "simulated"],
        ["P03", "150", "death", "Death", "SAE", "no", "published"],
        ["P04", "135", "adverse_event", "Herpesvirus infection", "AE", "no", "published"],
    ]
    events = pd.DataFrame(
        ev, columns=["patient_id", "day", "event", "term", "severity", "related", "provenance"]
    )
    return {"patients": patients, "measurements": measurements, "events": events}


def write_table(folder: Path, name: str, df: pd.DataFrame, fmt: str = "csv") -> Path:
    path = Path(folder) / f"{name}.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        df.to_excel(path, index=False, engine="openpyxl")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        raise ValueError(fmt)
    return path


def write_trial(
    folder: Path,
    *,
    study: dict | None = None,
    fmt: str | dict[str, str] = "csv",
    **tables: pd.DataFrame,
) -> Path:
    """Write a trial to `folder` (created if needed): the valid one, with any table replaced."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.json").write_text(
        json.dumps(study or study_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    frames = valid_tables()
    frames.update(tables)
    for name in TABLES:
        f = fmt.get(name, "csv") if isinstance(fmt, dict) else fmt
        write_table(folder, name, frames[name], f)
    return folder


def assert_same_trial(got: Trial, want: Trial) -> None:
    """Equal field by field; tables with the same dtypes, column order, index and, in text
    columns, the same Python types (None is not NaN). Where each was read from
    (`parquet_files`: the store's files, or none) is not compared, nor whether a table is in
    memory or left in its file (the measurements read from the store): its rows are."""
    for f in fields(Trial):
        if f.name == "parquet_files":
            continue
        if f.name not in TRIAL_TABLES:
            assert getattr(got, f.name) == getattr(want, f.name), f.name
            continue
        a, b = got.frame(f.name), want.frame(f.name)
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f.name)
        assert list(a.dtypes) == list(b.dtypes) and list(a.columns) == list(b.columns)
        for col in a.select_dtypes(include="object").columns:
            assert a[col].map(type).tolist() == b[col].map(type).tolist(), (f.name, col)
