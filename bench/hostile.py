"""Hostile datasets: each a set of files that a user could upload or put in a data folder, and
what the loader must answer (refused with a precise finding, or accepted with a warning).

    for case in CASES:
        files = case.files()                       # {file name: bytes}
        write(folder, files)                       # or upload them

Used by bench/attack.py (the concurrent attack on a running server) and by tests/test_hostile.py
(each case through the loader, the command line and the upload route). The classes follow the
findings of the attack run of the issue: resource exhaustion, silent data loss, unhandled
exceptions, questionable data accepted without a word, and variants of each.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from trial.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data"
SAS7BDAT = ROOT / "tests" / "data" / "adsl_small.sas7bdat"  # made by tools/make_test_sas7bdat.R


@dataclass(frozen=True)
class Hostile:
    name: str
    kind: str  # resources, loss, exception, questionable
    files: Callable[[], dict[str, bytes]]
    outcome: str  # "refused" or "accepted"
    expect: str  # a fragment of the finding's message
    file: str  # the file the finding names


# One million rows beyond the check's default bound on the rows of a table (made when a case
# runs, not at import: 100 MB of text).
TOO_MANY_ROWS = Limits().rows + 1_000_000


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


# --- valid bases ---------------------------------------------------------------------------


def demo() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(DEMO.iterdir()) if p.suffix in (".json", ".csv")}


def demo_with(**changes: bytes) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        out.update({k.replace("__", "."): v for k, v in changes.items()})
        return out

    return files


def study(mutate: Callable[[dict], None]) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        s = json.loads(out["study.json"])
        mutate(s)
        out["study.json"] = json.dumps(s, ensure_ascii=False).encode("utf-8", "surrogatepass")
        return out

    return files


def study_text(edit: Callable[[str], str]) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        out["study.json"] = edit(out["study.json"].decode()).encode("utf-8", "surrogatepass")
        return out

    return files


def table(
    name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]
) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        frame = pd.read_csv(io.BytesIO(out[f"{name}.csv"]), dtype=str, keep_default_na=False)
        out[f"{name}.csv"] = edit(frame).to_csv(index=False).encode()
        return out

    return files


def ids(edit: Callable[[str], str], first: int = 1) -> Callable[[], dict[str, bytes]]:
    """Patient id `first` replaced by `edit(id)` in every table."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(
            patient_id=frame["patient_id"].where(
                frame["patient_id"] != str(first), edit(str(first))
            )
        )

    def files() -> dict[str, bytes]:
        out = demo()
        for name in ("patients", "measurements", "events"):
            frame = pd.read_csv(io.BytesIO(out[f"{name}.csv"]), dtype=str, keep_default_na=False)
            out[f"{name}.csv"] = change(frame).to_csv(index=False).encode()
        return out

    return files


def adam(subjects: int = 6, parameters: int = 2, visits: int = 3) -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame(
        {
            "USUBJID": [f"01-{i:03d}" for i in range(subjects)],
            "SITEID": [f"{i % 2 + 1:02d}" for i in range(subjects)],
            "TRT01A": ["Placebo" if i % 2 else "Drug" for i in range(subjects)],
            "SEX": ["F" if i % 3 else "M" for i in range(subjects)],
            "AGE": [str(40 + i) for i in range(subjects)],
        }
    )
    rows = [
        (
            s,
            f"P{p}",
            f"Parameter {p} (g/L)",
            str(10 + p + v),
            str(v),
            f"Week {v}",
            str(7 * v + 1),
            "Y" if v == 0 else "",
        )
        for s in adsl["USUBJID"]
        for p in range(parameters)
        for v in range(visits)
    ]
    adlb = pd.DataFrame(
        rows, columns=["USUBJID", "PARAMCD", "PARAM", "AVAL", "AVISITN", "AVISIT", "ADY", "ABLFL"]
    )
    return {"adsl": adsl, "adlbc": adlb}


def adam_csv(
    edit: Callable[[dict[str, pd.DataFrame]], None] | None = None, **kw
) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        frames = adam(**kw)
        if edit:
            edit(frames)
        return {f"{k}.csv": v.to_csv(index=False).encode() for k, v in frames.items()}

    return files


def adam_xpt(version: Literal[5, 8] = 5) -> dict[str, bytes]:
    import tempfile

    import pyreadstat

    out = {}
    frames = adam(subjects=36)
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in frames.items():
            typed = frame.copy()
            for c in ("AGE", "AVAL", "AVISITN", "ADY"):
                if c in typed:
                    typed[c] = typed[c].astype(float)
            path = Path(tmp) / f"{name}.xpt"
            pyreadstat.write_xport(
                typed, str(path), table_name=name.upper(), file_format_version=version
            )
            out[path.name] = path.read_bytes()
    return out


def xpt_cut(
    fraction: float = 0.5, aligned: bool = False, version: Literal[5, 8] = 5
) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = adam_xpt(version)
        data = out["adsl.xpt"]
        cut = int(len(data) * fraction)
        out["adsl.xpt"] = data[: cut - cut % 80 if aligned else cut]
        return out

    return files


def xpt_two_members() -> dict[str, bytes]:
    out = adam_xpt()
    out["adsl.xpt"] = out["adsl.xpt"] + out["adlbc.xpt"][240:]  # a second member appended
    return out


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx(frame: pd.DataFrame, sheets: int = 1) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Data")
        for i in range(1, sheets):
            pd.DataFrame({"note": [f"sheet {i}"]}).to_excel(
                writer, index=False, sheet_name=f"Notes {i}"
            )
    return buffer.getvalue()


def xlsx_rows(rows: int) -> bytes:
    """A workbook of `rows` rows written directly (openpyxl would take minutes): about 5
    bytes per row once packed."""
    sheet = io.StringIO()
    sheet.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>patient_id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>day</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>event</t></is></c></row>'
    )
    for r in range(2, rows + 2):
        sheet.write(
            f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><v>0</v></c>'
            f'<c r="C{r}" t="inlineStr"><is><t>infusion</t></is></c></row>'
        )
    sheet.write("</sheetData></worksheet>")
    return _workbook(sheet.getvalue().encode())


def xlsx_wide() -> bytes:
    return _workbook(
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>patient_id</t></is></c>'
        b'<c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'
        b"</worksheet>"
    )


def _workbook(sheet: bytes) -> bytes:
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-'
            f'types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            f'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"'
            f'/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
            f'formats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
            f'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
            f'.spreadsheetml.worksheet+xml"/></Types>'
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
            f'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/'
            f'main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="Data"'
            f' sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    return zipped(parts)


def native_xlsx(table_name: str, data: bytes) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        del out[f"{table_name}.csv"]
        out[f"{table_name}.xlsx"] = data
        return out

    return files


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def native_parquet(table_name: str, make: Callable[[], bytes]) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        out = demo()
        del out[f"{table_name}.csv"]
        out[f"{table_name}.parquet"] = make()
        return out

    return files


def demo_events_parquet() -> bytes:
    return parquet(pd.read_csv(DEMO / "events.csv", dtype=str, keep_default_na=False))


def parquet_row_count_lie() -> bytes:
    """A Parquet file whose footer states more rows than its one row group holds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(
        pa.table({"patient_id": ["1", "2"], "day": ["0", "7"], "event": ["infusion", "infusion"]}),
        buffer,
    )
    data = bytearray(buffer.getvalue())
    footer_len = struct.unpack("<I", data[-8:-4])[0]
    start = len(data) - 8 - footer_len
    # FileMetaData field 3 (num_rows, i64 zig-zag varint 2 -> 4): set it to 3 (varint 6)
    footer = bytes(data[start : len(data) - 8])
    at = footer.find(b"\x16\x04")
    if at >= 0:
        data[start + at + 1] = 0x06
    return bytes(data)


def sas7bdat_cut() -> dict[str, bytes]:
    out = adam_csv()()
    del out["adsl.csv"]
    data = SAS7BDAT.read_bytes()
    out["adsl.sas7bdat"] = data[: len(data) // 2]
    return out


def _nul_after(data: bytes, at: int) -> bytes:
    end = data.index(b"\n", at)
    return data[:end] + b"\x00" + data[end:]


def million_columns() -> bytes:
    header = ",".join(f"c{i}" for i in range(1_000_000))
    return (header + "\n" + ",".join("1" for _ in range(10)) + "\n").encode()


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- the cases -----------------------------------------------------------------------------


def _many_params(frames: dict[str, pd.DataFrame]) -> None:
    subjects = frames["adsl"]["USUBJID"]
    frames["adlbc"] = pd.DataFrame(
        {
            "USUBJID": [subjects.iloc[i % len(subjects)] for i in range(20_000)],
            "PARAMCD": [f"P{i}" for i in range(20_000)],
            "AVAL": "1",
            "AVISITN": "0",
            "ABLFL": "Y",
        }
    )


def _many_visits(frames: dict[str, pd.DataFrame]) -> None:
    frames["adlbc"] = pd.DataFrame(
        {
            "USUBJID": frames["adsl"]["USUBJID"].iloc[0],
            "PARAMCD": "P0",
            "AVAL": "1",
            "AVISITN": [str(i) for i in range(2_000)],
        }
    )


def _case_columns(frames: dict[str, pd.DataFrame]) -> None:
    frames["adsl"] = frames["adsl"].assign(usubjid=frames["adsl"]["USUBJID"])


def _adam_id(frames: dict[str, pd.DataFrame], text: str) -> None:
    for frame in frames.values():
        frame["USUBJID"] = frame["USUBJID"].where(frame["USUBJID"] != "01-000", text)


def _adam_aval(frames: dict[str, pd.DataFrame]) -> None:
    frames["adlbc"].loc[0, "AVAL"] = "1e300"


def _centers(n: int) -> Callable[[dict], None]:
    return lambda s: s.update(centers=[f"C{i}" for i in range(n)])


def _visit_day(day) -> Callable[[dict], None]:
    return lambda s: s["visits"][1].update(day=day)


def _patient_centers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(center=[f"C{i}" for i in range(len(frame))])


def _nfd_pair(frame: pd.DataFrame) -> pd.DataFrame:
    ids = frame["patient_id"].copy()
    ids.iloc[0], ids.iloc[1] = "Jos\u00e9", "Jose\u0301"
    return frame.assign(patient_id=ids)


CASES: list[Hostile] = [
    # -- resource exhaustion: refused before parsing, in milliseconds
    Hostile(
        "csv header of 1,000,000 columns",
        "resources",
        demo_with(patients__csv=million_columns()),
        "refused",
        "columns: 1,000,000",
        "patients.csv",
    ),
    Hostile(
        "ADaM csv header of 1,000,000 columns",
        "resources",
        lambda: {**adam_csv()(), "adsl.csv": million_columns()},
        "refused",
        "columns: 1,000,000",
        "adsl.csv",
    ),
    Hostile(
        f"csv of {TOO_MANY_ROWS // 1_000_000} million lines",
        "resources",
        lambda: {**demo(), "events.csv": b"patient_id\n" + b"1\n" * TOO_MANY_ROWS},
        "refused",
        f"lines: {TOO_MANY_ROWS:,}",
        "events.csv",
    ),
    Hostile(
        "xlsx of 400,000 rows",
        "resources",
        native_xlsx("events", xlsx_rows(400_000)),
        "refused",
        "cells in the first sheet",
        "events.xlsx",
    ),
    Hostile(
        "xlsx with a cell in column XFD",
        "resources",
        native_xlsx("events", xlsx_wide()),
        "refused",
        "column XFD",
        "events.xlsx",
    ),
    Hostile(
        "xlsx of 100 sheets",
        "resources",
        lambda: native_xlsx(
            "events", xlsx(pd.read_csv(DEMO / "events.csv", dtype=str), sheets=100)
        )(),
        "refused",
        "sheets: 100",
        "events.xlsx",
    ),
    Hostile(
        "xlsx of 20,000 parts (a zip directory bomb)",
        "resources",
        native_xlsx("events", zipped({f"x{i}": b"" for i in range(20_000)})),
        "refused",
        "20,000",
        "events.xlsx",
    ),
    Hostile(
        "ADaM with 20,000 parameters",
        "resources",
        adam_csv(_many_params),
        "refused",
        "distinct parameters (PARAMCD): 20,000",
        "adlbc.csv",
    ),
    Hostile(
        "ADaM with 2,000 visits",
        "resources",
        adam_csv(_many_visits),
        "refused",
        "distinct visits (AVISITN): 2,000",
        "adlbc.csv",
    ),
    Hostile(
        "parquet of 2,000 columns",
        "resources",
        native_parquet(
            "events", lambda: parquet(pd.DataFrame({f"c{i}": [1] for i in range(2_000)}))
        ),
        "refused",
        "columns: 2,000",
        "events.parquet",
    ),
    Hostile(
        f"parquet of {TOO_MANY_ROWS // 1_000_000 + 1} million rows",
        "resources",
        native_parquet(
            "events",
            lambda: parquet(
                pd.DataFrame(
                    {"day": pd.Series(0, index=range(TOO_MANY_ROWS + 10**6), dtype="int8")}
                )
            ),
        ),
        "refused",
        f"rows: {TOO_MANY_ROWS + 10**6:,}",
        "events.parquet",
    ),
    Hostile(
        "study.json of 2 MB (a 2 MB title)",
        "resources",
        study(lambda s: s.update(title="T" * 2_000_000)),
        "refused",
        "bytes: 2,00",
        "study.json",
    ),
    Hostile(
        "study.json with 100,000 centers",
        "resources",
        study(_centers(100_000)),
        "refused",
        "centers: 100,000",
        "study.json",
    ),
    Hostile(
        "study.json with 6,000 centers",
        "resources",
        study(_centers(6_000)),
        "refused",
        "centers: 6,000",
        "study.json",
    ),
    Hostile(
        "study.json with 2,000 measures",
        "resources",
        study(
            lambda s: s.update(
                measures=[dict(s["measures"][0], code=f"m{i}") for i in range(2_000)]
            )
        ),
        "refused",
        "measures: 2,000",
        "study.json",
    ),
    Hostile(
        "study.json nested 100,000 deep",
        "resources",
        study_text(lambda t: t.rstrip()[:-1] + ', "x": ' + deep_json(100_000) + "}"),
        "refused",
        "nested too deeply",
        "study.json",
    ),
    Hostile(
        "study.json nested 40 deep",
        "resources",
        study_text(lambda t: t.rstrip()[:-1] + ', "x": ' + deep_json(40) + "}"),
        "refused",
        "nested more than 32 levels",
        "study.json",
    ),
    Hostile(
        "patients with 6,000 centers",
        "resources",
        table("patients", _patient_centers),
        "accepted",
        "",
        "",
    ),
    # -- silent data loss: every reader checks it read the whole file
    Hostile(
        "xpt cut to half its length", "loss", xpt_cut(0.5), "refused", "incomplete", "adsl.xpt"
    ),
    Hostile(
        "xpt cut at a record boundary",
        "loss",
        xpt_cut(0.7, aligned=True),
        "refused",
        "the file is incomplete",
        "adsl.xpt",
    ),
    Hostile(
        "xpt version 8 cut short",
        "loss",
        xpt_cut(0.7, aligned=True, version=8),
        "refused",
        "the file is incomplete",
        "adsl.xpt",
    ),
    Hostile(
        "xpt holding two datasets",
        "loss",
        xpt_two_members,
        "refused",
        "holds 2 datasets",
        "adsl.xpt",
    ),
    Hostile(
        "sas7bdat cut to half",
        "loss",
        sas7bdat_cut,
        "refused",
        "cannot be read as a SAS dataset",
        "adsl.sas7bdat",
    ),
    Hostile(
        "parquet cut short",
        "loss",
        native_parquet("events", lambda: demo_events_parquet()[:-100]),
        "refused",
        "cannot be read as a Parquet file",
        "events.parquet",
    ),
    Hostile(
        "parquet footer stating more rows",
        "loss",
        native_parquet("events", parquet_row_count_lie),
        "refused",
        "row groups hold 2 rows but it states 3",
        "events.parquet",
    ),
    Hostile(
        "xlsx cut short",
        "loss",
        lambda: native_xlsx("events", xlsx(pd.read_csv(DEMO / "events.csv", dtype=str))[:-200])(),
        "refused",
        "damaged or incomplete",
        "events.xlsx",
    ),
    Hostile(
        "xlsx with a second sheet",
        "loss",
        lambda: native_xlsx(
            "events",
            xlsx(pd.read_csv(DEMO / "events.csv", dtype=str, keep_default_na=False), sheets=2),
        )(),
        "accepted",
        "only the first, 'Data', is read",
        "events.xlsx",
    ),
    Hostile(
        "csv with a NUL byte after 64 kB",
        "loss",
        lambda: demo_with(
            measurements__csv=_nul_after((DEMO / "measurements.csv").read_bytes(), 80_000)
        )(),
        "refused",
        "NUL bytes",
        "measurements.csv",
    ),
    # -- unhandled exceptions before: now findings naming the file
    Hostile(
        "5,000-digit integer in study.json",
        "exception",
        study_text(lambda t: t.replace('"day": 30', '"day": ' + "9" * 5_000, 1)),
        "refused",
        "5,000 digits",
        "study.json",
    ),
    Hostile(
        "ADaM csv with USUBJID and usubjid",
        "exception",
        adam_csv(_case_columns),
        "refused",
        "not case-sensitive",
        "adsl.csv",
    ),
    Hostile(
        "lone surrogate in the title",
        "exception",
        study_text(lambda t: t.replace('"title": "', '"title": "\\ud800', 1)),
        "refused",
        "cannot be written as UTF-8",
        "study.json",
    ),
    Hostile(
        "lone surrogate in adam.json",
        "exception",
        lambda: {**adam_csv()(), "adam.json": b'{"title": "x\\udfff"}'},
        "refused",
        "cannot be written as UTF-8",
        "adam.json",
    ),
    Hostile(
        "duplicate key in study.json",
        "exception",
        study_text(lambda t: t.replace('"title": ', '"title": "First", "title": ', 1)),
        "refused",
        "given twice",
        "study.json",
    ),
    Hostile(
        "duplicate key in adam.json",
        "exception",
        lambda: {**adam_csv()(), "adam.json": b'{"title": "a", "title": "b"}'},
        "refused",
        "given twice",
        "adam.json",
    ),
    Hostile(
        "unclosed quote in a csv",
        "exception",
        demo_with(events__csv=b'patient_id,day,event\n"1,0,infusion\n'),
        "refused",
        "is never closed",
        "events.csv",
    ),
    Hostile(
        "invalid UTF-8 in an ADaM csv",
        "exception",
        lambda: {**adam_csv()(), "adsl.csv": b"USUBJID,SITEID\n01-000,\xff\xfe\n"},
        "refused",
        "not valid UTF-8",
        "adsl.csv",
    ),
    Hostile(
        "binary data named .xpt",
        "exception",
        lambda: {**adam_csv()(), "adae.xpt": b"\x00\x01garbage" * 100},
        "refused",
        "cannot be read as a SAS transport",
        "adae.xpt",
    ),
    Hostile(
        "binary data named .parquet",
        "exception",
        native_parquet("events", lambda: b"PAR1" + b"\x00" * 100 + b"PAR1"),
        "refused",
        "cannot be read as a Parquet file",
        "events.parquet",
    ),
    # -- questionable data accepted without a word before
    Hostile(
        "ids equal after NFC",
        "questionable",
        table("patients", _nfd_pair),
        "refused",
        "appears twice",
        "patients.csv",
    ),
    Hostile(
        "id with a zero-width space",
        "questionable",
        ids(lambda i: i + "\u200b"),
        "refused",
        "U+200B ZERO WIDTH SPACE",
        "patients.csv",
    ),
    Hostile(
        "id with a right-to-left override",
        "questionable",
        ids(lambda i: "\u202e" + i),
        "refused",
        "direction-control",
        "patients.csv",
    ),
    Hostile(
        "id with a no-break space",
        "questionable",
        ids(lambda i: i + "\u00a0x"),
        "refused",
        "U+00A0 NO-BREAK SPACE",
        "patients.csv",
    ),
    Hostile(
        "id '..'", "questionable", ids(lambda i: ".."), "refused", "is '.' or '..'", "patients.csv"
    ),
    Hostile(
        "id with a backslash",
        "questionable",
        ids(lambda i: "a\\b"),
        "refused",
        "backslash",
        "patients.csv",
    ),
    Hostile(
        "id of 65 characters",
        "questionable",
        ids(lambda i: "x" * 65),
        "refused",
        "a patient id has at most 64",
        "patients.csv",
    ),
    Hostile(
        "id with a slash (routed, accepted)",
        "questionable",
        ids(lambda i: "site/1"),
        "accepted",
        "",
        "",
    ),
    Hostile(
        "center with a zero-width joiner",
        "questionable",
        table("patients", lambda f: f.assign(center=f["center"].str.replace(",", "\u200d,", n=1))),
        "refused",
        "U+200D ZERO WIDTH JOINER",
        "patients.csv",
    ),
    Hostile(
        "study.json center with a bidi isolate",
        "questionable",
        study(lambda s: s["centers"].__setitem__(0, s["centers"][0] + "\u2066")),
        "refused",
        "direction-control",
        "study.json",
    ),
    Hostile(
        "ADaM USUBJID with a zero-width space",
        "questionable",
        adam_csv(lambda f: _adam_id(f, "01-000\u200b")),
        "refused",
        "U+200B",
        "adsl.csv",
    ),
    Hostile(
        "ADaM USUBJID '..'",
        "questionable",
        adam_csv(lambda f: _adam_id(f, "..")),
        "refused",
        "is '.' or '..'",
        "adsl.csv",
    ),
    Hostile(
        "ADaM datasets beside study.json",
        "questionable",
        lambda: {**demo(), **adam_csv()()},
        "refused",
        "beside study.json",
        "adlbc.csv",
    ),
    Hostile(
        "a visit day of 1e300",
        "questionable",
        study(_visit_day(1e300)),
        "refused",
        "expected a study day between",
        "study.json",
    ),
    Hostile(
        "a visit day of 40,000",
        "questionable",
        study(_visit_day(40_000)),
        "refused",
        "expected a study day between",
        "study.json",
    ),
    Hostile(
        "a 1,000-character title",
        "questionable",
        study(lambda s: s.update(title="T" * 1_000)),
        "refused",
        "too long (1,000",
        "study.json",
    ),
    Hostile(
        "measure max of 1e300",
        "questionable",
        study(lambda s: s["measures"][0].update(max=1e300)),
        "refused",
        "expected a number between",
        "study.json",
    ),
    Hostile(
        "a measurement of 1e300",
        "questionable",
        table("measurements", lambda f: f.assign(value=f["value"].where(f.index != 0, "1e300"))),
        "refused",
        "beyond ±1e+15",
        "measurements.csv",
    ),
    Hostile(
        "an event on day 99,999",
        "questionable",
        table("events", lambda f: f.assign(day=f["day"].where(f.index != 3, "99999"))),
        "refused",
        "beyond ±36,525",
        "events.csv",
    ),
    Hostile(
        "ADaM AVAL of 1e300",
        "questionable",
        adam_csv(_adam_aval),
        "refused",
        "beyond ±1e+15",
        "adlbc.csv",
    ),
    Hostile(
        "decomposed accents in a center (normalised)",
        "questionable",
        table("patients", lambda f: f.assign(center=f["center"] + " Jose\u0301")),
        "accepted",
        "read in composed form (NFC)",
        "patients.csv",
    ),
    Hostile(
        "an unread data file beside the tables",
        "questionable",
        demo_with(notes__csv=b"a,b\n1,2\n"),
        "accepted",
        "not read: notes.csv",
        "notes.csv",
    ),
    Hostile(
        "formula text in a term (kept)",
        "questionable",
        table("events", lambda f: f.assign(term=f["term"].where(f.index != 0, "=HYPERLINK(1)"))),
        "accepted",
        "starts like a spreadsheet formula",
        "events.csv",
    ),
]
