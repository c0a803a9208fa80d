"""Read a trial folder (study.json + three tables) into raw string tables.

Nothing is interpreted here: every cell is read as text (an empty cell is ""), so that the
validation step can report each bad value with its row and column. Problems that make a file
impossible to read (missing, empty, not UTF-8, binary, invalid JSON, ...) are all collected and
raised together as one `DataError(findings, unreadable=True)`.
"""
from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .model import DataError, Finding

TABLES = ("patients", "measurements", "events")
EXTENSIONS = (".csv", ".xlsx", ".parquet")
STUDY_FILE = "study.json"

_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or other zip archive",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or other Office file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
}


@dataclass
class RawTables:
    """The four inputs as read: `study` as parsed JSON, the tables as all-text frames."""

    folder: Path
    study: dict
    patients: pd.DataFrame
    measurements: pd.DataFrame
    events: pd.DataFrame
    files: dict[str, str]  # "study"/"patients"/... -> file name, e.g. "patients.xlsx"
    fingerprint: str = ""  # short sha256 of the files' names and bytes
    findings: list[Finding] = field(default_factory=list)  # readable, but worth reporting

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def _error(file: str, message: str, **kw) -> Finding:
    return Finding("error", file, message, rule=kw.pop("rule", "unreadable"), **kw)


def _decode(name: str, data: bytes) -> tuple[str | None, Finding | None]:
    """Bytes of a text file -> str, or a finding saying in plain words why not."""
    if len(data) == 0:
        return None, _error(name, "the file is empty (0 bytes)")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return None, _error(name, f"this is not a text file: it looks like {what} with the "
                                      f"wrong extension; save it as CSV (UTF-8) or use the right "
                                      f"extension")
    if b"\x00" in data[:65536]:
        enc = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary data"
        return None, _error(name, f"this is not UTF-8 text (it contains NUL bytes: {enc}); "
                                  f"save it as CSV UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[e.start]
        line = data[: e.start].count(b"\n") + 1
        return None, _error(name, f"not valid UTF-8 text (byte 0x{bad:02x} at position {e.start}, "
                                  f"line {line}); save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if not text.strip():
        return None, _error(name, "the file contains only blank space: no header row")
    return text, None


def _finish(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[Finding]]:
    """All cells to stripped text ("" for empty), header names stripped; report header problems."""
    findings: list[Finding] = []
    cols = [str(c).strip() for c in df.columns]
    seen: dict[str, int] = {}
    for i, c in enumerate(cols):
        if c in seen and c and not c.startswith("Unnamed: "):
            findings.append(_error(name, f"the header names column '{c}' twice (columns "
                                         f"{seen[c] + 1} and {i + 1})", row=1, column=c,
                                   rule="header"))
        else:
            seen[c] = i
    out = {}
    for i, c in enumerate(cols):
        if c in out:  # duplicated header: keep the first, reported above
            continue
        s = df.iloc[:, i].astype("string").fillna("").str.strip().astype(object)
        if c == "" or c.startswith("Unnamed: "):
            if s.eq("").all():  # e.g. a trailing comma on every line
                findings.append(Finding("warning", name, f"column {i + 1} has no name and no "
                                                         f"values: ignored", row=1,
                                        rule="header"))
            else:
                findings.append(_error(name, f"column {i + 1} has values but no name in the "
                                             f"header", row=1, rule="header"))
            continue
        out[c] = s
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    # Blank rows carry nothing; drop them but keep the index, so that row numbers stay right
    # (spreadsheet row = index + 2).
    if len(frame.columns):
        frame = frame.loc[frame.ne("").any(axis=1)]
    return frame, findings


def _read_csv(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Finding]]:
    text, problem = _decode(name, data)
    if problem:
        return None, [problem]
    try:
        df = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False,
                         skip_blank_lines=False)
    except pd.errors.ParserError as e:
        msg = str(e).strip().replace("Error tokenizing data. C error: ", "")
        return None, [_error(name, f"not a well-formed CSV table ({msg}); every row needs the "
                                   f"same number of comma-separated fields as the header")]
    except pd.errors.EmptyDataError:
        return None, [_error(name, "the file has no header row")]
    if len(df.columns) == 1:
        first = str(df.columns[0])
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in first:
                return None, [_error(name, f"the columns are separated by {what}, not commas; "
                                           f"save it as comma-separated CSV (UTF-8)")]
    if not isinstance(df.index, pd.RangeIndex):
        # pandas takes the first field(s) as an index when every row has more fields than the
        # header: report it instead of shifting every value into the wrong column.
        n = len(df.columns)
        return None, [_error(name, f"every row has more fields than the header ({n} names; "
                                   f"{n + df.index.nlevels} fields from row 2): a missing name in "
                                   f"the header, or a comma too many at the end of each row?",
                             row=2)]
    # pandas renames duplicated header names ("x", "x.1"): restore the real header to report it.
    try:
        first_line = re.split(r"\r\n|\r|\n", text.lstrip("\r\n"), maxsplit=1)[0]
        header = next(csv.reader(_io.StringIO(first_line)), [])
    except csv.Error:  # e.g. a quoted header name with a line break: keep pandas' header
        header = []
    if len(header) == len(df.columns):
        df.columns = header
    return _finish(df, name)


def _read_excel(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Finding]]:
    if len(data) == 0:
        return None, [_error(name, "the file is empty (0 bytes)")]
    if not data.startswith(b"PK\x03\x04"):
        return None, [_error(name, "not an Excel workbook (.xlsx): the file is not in Excel's "
                                   "format (a CSV or old .xls file renamed?)")]
    try:
        df = pd.read_excel(_io.BytesIO(data), sheet_name=0, dtype=str, keep_default_na=False,
                           engine="openpyxl")
    except pd.errors.EmptyDataError:
        return None, [_error(name, "the first sheet of the workbook is empty: no header row")]
    except Exception as e:  # openpyxl raises many kinds for damaged files
        return None, [_error(name, f"cannot be read as an Excel workbook ({type(e).__name__}: "
                                   f"{e}); save it again from Excel as .xlsx")]
    if len(df.columns) == 0:
        return None, [_error(name, "the first sheet of the workbook is empty: no header row")]
    return _finish(df, name)


def _read_parquet(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Finding]]:
    if len(data) == 0:
        return None, [_error(name, "the file is empty (0 bytes)")]
    try:
        df = pd.read_parquet(_io.BytesIO(data))
    except Exception as e:
        return None, [_error(name, f"cannot be read as a Parquet file ({type(e).__name__}: {e})")]
    df = df.reset_index(drop=True)
    for c in df.columns:
        if df[c].dtype == object:
            odd = df[c].map(lambda v: isinstance(v, (bytes, bytearray, list, dict, tuple,
                                                     np.ndarray)))
            if odd.any():
                kind = type(df[c][odd].iloc[0]).__name__
                return None, [_error(name, f"column '{c}' holds {kind} values (binary data or "
                                           f"lists), not text or numbers: save it with text "
                                           f"and number columns only", column=str(c))]
        if pd.api.types.is_float_dtype(df[c]):
            # 12.0 -> "12", so that whole numbers stored as floats stay whole numbers
            v = df[c].astype(float)
            whole = np.isfinite(v) & (v % 1 == 0) & (v.abs() < 2**53)
            txt = v.astype(str)
            txt[whole] = v[whole].astype("int64").astype(str)
            txt[v.isna()] = ""
            df[c] = txt
    return _finish(df, name)


_READERS = {".csv": _read_csv, ".xlsx": _read_excel, ".parquet": _read_parquet}


def _read_study(folder: Path) -> tuple[dict | None, bytes, list[Finding]]:
    p = folder / STUDY_FILE
    if not p.is_file():
        return None, b"", [_error(STUDY_FILE, "missing: the folder must hold study.json "
                                              "(study title, visits and measures)")]
    data = p.read_bytes()
    text, problem = _decode(STUDY_FILE, data)
    if problem:
        return None, data, [problem]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return None, data, [_error(STUDY_FILE, f"not valid JSON: {e.msg} at line {e.lineno}, "
                                               f"column {e.colno}")]
    except RecursionError:
        return None, data, [_error(STUDY_FILE, "not usable JSON: nested too deeply")]
    if not isinstance(obj, dict):
        return None, data, [_error(STUDY_FILE, f"expected a JSON object {{...}} at the top level, "
                                               f"found {type(obj).__name__}")]
    return obj, data, []


def read_tables(path: str | Path) -> RawTables:
    """Read study.json and the three tables of the trial folder `path`.

    Each table is `<name>.csv`, `<name>.xlsx` (first sheet) or `<name>.parquet`; exactly one must
    exist. Raises `DataError(findings, unreadable=True)` listing every file that cannot be read.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError([_error(str(folder), "folder not found")], unreadable=True)
    if not folder.is_dir():
        message = ("this is a file, not a folder: give the folder that holds study.json, "
                   "patients, measurements and events")
        raise DataError([_error(str(folder), message)], unreadable=True)

    problems: list[Finding] = []
    notes: list[Finding] = []
    digest = hashlib.sha256()
    study, data, found = _read_study(folder)
    problems += found
    digest.update(STUDY_FILE.encode() + b"\0" + data + b"\0")
    files = {"study": STUDY_FILE}
    frames: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        present = [folder / f"{table}{ext}" for ext in EXTENSIONS
                   if (folder / f"{table}{ext}").is_file()]
        if not present:
            problems.append(_error(f"{table}.csv", f"missing: the folder must hold {table}.csv, "
                                                   f"{table}.xlsx or {table}.parquet"))
            continue
        if len(present) > 1:
            names = " and ".join(p.name for p in present)
            problems.append(_error(present[0].name, f"found {names}: keep exactly one file for "
                                                    f"the {table} table"))
            continue
        p = present[0]
        files[table] = p.name
        try:
            data = p.read_bytes()
        except OSError as e:
            problems.append(_error(p.name, f"cannot be opened ({e.strerror or e})"))
            continue
        digest.update(p.name.encode() + b"\0" + data + b"\0")
        df, found = _READERS[p.suffix](p.name, data)
        if df is None:
            problems += found
        else:
            frames[table] = df
            notes += found
    if problems:
        raise DataError(problems + notes, unreadable=True)
    return RawTables(folder=folder, study=study, files=files, fingerprint=digest.hexdigest()[:12],
                     findings=notes, **frames)
