"""Read a trial folder (study.json + three tables) into raw tables.

Nothing is interpreted here: every cell is read as stripped text (an empty cell is ""), so that
the validation step can report each bad value with its row and column. The one exception is the
typed fast path: a Parquet column that is already numeric or boolean keeps its type (an empty cell
is NA), because turning millions of numbers into text only for validation to parse them back was
most of the load time of a large trial; validation checks typed and text columns alike and shows
a typed value as the text it would have been (`as_text`). Problems that make a file impossible to
read (missing, empty, not UTF-8, binary, invalid JSON, ...) are all collected and raised together
as one `DataError(findings, unreadable=True)`.
"""
from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """The four inputs as read: `study` as parsed JSON, the tables as text frames (Parquet's
    numeric and boolean columns typed, see `is_typed`)."""

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


def unreadable(file: str, message: str, **kw) -> Finding:
    """An error finding; by default under the rule "unreadable" (the file cannot be used)."""
    return Finding("error", file, message, rule=kw.pop("rule", "unreadable"), **kw)


def several_files(paths: list[Path], what: str) -> Finding:
    """The finding for one table or dataset given in more than one file."""
    names = " and ".join(p.name for p in paths)
    return unreadable(paths[0].name, f"found {names}: keep exactly one file for {what}")


def _decode(name: str, data: bytes) -> tuple[str | None, Finding | None]:
    """Bytes of a text file -> str, or a finding saying in plain words why not."""
    if len(data) == 0:
        return None, unreadable(name, "the file is empty (0 bytes)")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return None, unreadable(name, f"this is not a text file: it looks like {what} with the "
                                      f"wrong extension; save it as CSV (UTF-8) or use the right "
                                      f"extension")
    if b"\x00" in data[:65536]:
        enc = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary data"
        return None, unreadable(name, f"this is not UTF-8 text (it contains NUL bytes: {enc}); "
                                  f"save it as CSV UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[e.start]
        line = data[: e.start].count(b"\n") + 1
        return None, unreadable(name, f"not valid UTF-8 text (byte 0x{bad:02x} at position {e.start}, "
                                  f"line {line}); save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if not text.strip():
        return None, unreadable(name, "the file contains only blank space: no header row")
    return text, None


def is_typed(s: pd.Series) -> bool:
    """Whether a column holds numbers or booleans (Parquet's typed columns), not text: numpy's
    and pandas' nullable bool, int, uint and float types (not complex, dates or categories)."""
    return s.dtype.kind in "biuf"


def is_blank(s: pd.Series) -> pd.Series:
    """Empty cells: "" in a text column, NA in a typed one."""
    return s.isna() if is_typed(s) else s.eq("")


def by_value(s: pd.Series, fn: Callable[[pd.Series], Any]) -> Any:
    """`fn(values)`, an element-wise function giving a Series or frame with one row per value,
    computed once per distinct value of the text column `s` and spread back to its rows. Ids,
    codes and visit numbers repeat over millions of rows, so this is many times faster than
    string operations or parsing on every cell, with the same result per cell. Text only: 1,
    1.0 and True would count as one value."""
    codes, uniques = pd.factorize(s)
    out = fn(pd.Series(uniques, dtype=object)).iloc[codes]
    out.index = s.index
    return out


def as_text(s: pd.Series) -> pd.Series:
    """A column as the stripped text a spreadsheet would show ("" for empty); whole numbers held
    as floats print as whole numbers (12.0 -> "12")."""
    if pd.api.types.is_float_dtype(s):
        v = s.astype(float)
        whole = np.isfinite(v) & (v % 1 == 0) & (v.abs() < 2**53)
        txt = v.astype(str)
        txt[whole] = v[whole].astype("int64").astype(str)
        txt[v.isna()] = ""
        return txt.astype(object)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        # the common case (every CSV and Excel column): strip each distinct text once
        return by_value(s.fillna(""), lambda u: u.str.strip())
    return s.astype("string").fillna("").str.strip().astype(object)


def _finish(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Cells to stripped text ("" for empty) except typed columns (`is_typed`), header names
    stripped; report header problems."""
    findings: list[Finding] = []
    cols = [str(c).strip() for c in df.columns]
    seen: dict[str, int] = {}
    for i, c in enumerate(cols):
        if c in seen and c and not c.startswith("Unnamed: "):
            findings.append(unreadable(name, f"the header names column '{c}' twice (columns "
                                         f"{seen[c] + 1} and {i + 1})", row=1, column=c,
                                   rule="header"))
        else:
            seen[c] = i
    out = {}
    for i, c in enumerate(cols):
        if c in out:  # duplicated header: keep the first, reported above
            continue
        s = df.iloc[:, i]
        s = s if is_typed(s) else as_text(s)
        if c == "" or c.startswith("Unnamed: "):
            if is_blank(s).all():  # e.g. a trailing comma on every line
                findings.append(Finding("warning", name, f"column {i + 1} has no name and no "
                                                         f"values: ignored", row=1,
                                        rule="header"))
            else:
                findings.append(unreadable(name, f"column {i + 1} has values but no name in the "
                                             f"header", row=1, rule="header"))
            continue
        out[c] = s
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    # Blank rows carry nothing; drop them but keep the index, so that row numbers stay right
    # (spreadsheet row = index + 2).
    if len(frame.columns):
        blank = np.logical_and.reduce([is_blank(frame[c]).to_numpy() for c in frame.columns])
        frame = frame.loc[~blank]
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
        return None, [unreadable(name, f"not a well-formed CSV table ({msg}); every row needs the "
                                   f"same number of comma-separated fields as the header")]
    except pd.errors.EmptyDataError:
        return None, [unreadable(name, "the file has no header row")]
    if len(df.columns) == 1:
        first = str(df.columns[0])
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in first:
                return None, [unreadable(name, f"the columns are separated by {what}, not commas; "
                                           f"save it as comma-separated CSV (UTF-8)")]
    if not isinstance(df.index, pd.RangeIndex):
        # pandas takes the first field(s) as an index when every row has more fields than the
        # header: report it instead of shifting every value into the wrong column.
        n = len(df.columns)
        return None, [unreadable(name, f"every row has more fields than the header ({n} names; "
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
        return None, [unreadable(name, "the file is empty (0 bytes)")]
    if not data.startswith(b"PK\x03\x04"):
        return None, [unreadable(name, "not an Excel workbook (.xlsx): the file is not in Excel's "
                                   "format (a CSV or old .xls file renamed?)")]
    try:
        df = pd.read_excel(_io.BytesIO(data), sheet_name=0, dtype=str, keep_default_na=False,
                           engine="openpyxl")
    except pd.errors.EmptyDataError:
        return None, [unreadable(name, "the first sheet of the workbook is empty: no header row")]
    except Exception as e:  # openpyxl raises many kinds for damaged files
        return None, [unreadable(name, f"cannot be read as an Excel workbook ({type(e).__name__}: "
                                   f"{e}); save it again from Excel as .xlsx")]
    if len(df.columns) == 0:
        return None, [unreadable(name, "the first sheet of the workbook is empty: no header row")]
    return _finish(df, name)


def _read_parquet(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Finding]]:
    if len(data) == 0:
        return None, [unreadable(name, "the file is empty (0 bytes)")]
    try:
        df = pd.read_parquet(_io.BytesIO(data))
    except Exception as e:
        return None, [unreadable(name, f"cannot be read as a Parquet file ({type(e).__name__}: {e})")]
    df = df.reset_index(drop=True)
    for c in df.columns:
        # a column of text only (told in C, without a look at each cell) holds no binary data
        if df[c].dtype == object and pd.api.types.infer_dtype(df[c], skipna=True) != "string":
            odd = df[c].map(lambda v: isinstance(v, (bytes, bytearray, list, dict, tuple,
                                                     np.ndarray)))
            if odd.any():
                kind = type(df[c][odd].iloc[0]).__name__
                return None, [unreadable(name, f"column '{c}' holds {kind} values (binary data or "
                                           f"lists), not text or numbers: save it with text "
                                           f"and number columns only", column=str(c))]
    return _finish(df, name)


_READERS = {".csv": _read_csv, ".xlsx": _read_excel, ".parquet": _read_parquet}


def _read_study(folder: Path) -> tuple[dict | None, bytes, list[Finding]]:
    p = folder / STUDY_FILE
    if not p.is_file():
        return None, b"", [unreadable(STUDY_FILE, "missing: the folder must hold study.json "
                                              "(study title, visits and measures)")]
    data = p.read_bytes()
    text, problem = _decode(STUDY_FILE, data)
    if problem:
        return None, data, [problem]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return None, data, [unreadable(STUDY_FILE, f"not valid JSON: {e.msg} at line {e.lineno}, "
                                               f"column {e.colno}")]
    except RecursionError:
        return None, data, [unreadable(STUDY_FILE, "not usable JSON: nested too deeply")]
    if not isinstance(obj, dict):
        return None, data, [unreadable(STUDY_FILE, f"expected a JSON object {{...}} at the top level, "
                                               f"found {type(obj).__name__}")]
    return obj, data, []


def read_tables(path: str | Path) -> RawTables:
    """Read study.json and the three tables of the trial folder `path`.

    Each table is `<name>.csv`, `<name>.xlsx` (first sheet) or `<name>.parquet`; exactly one must
    exist. Raises `DataError(findings, unreadable=True)` listing every file that cannot be read.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError([unreadable(str(folder), "folder not found")], unreadable=True)
    if not folder.is_dir():
        message = ("this is a file, not a folder: give the folder that holds study.json, "
                   "patients, measurements and events")
        raise DataError([unreadable(str(folder), message)], unreadable=True)

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
            problems.append(unreadable(f"{table}.csv", f"missing: the folder must hold {table}.csv, "
                                                   f"{table}.xlsx or {table}.parquet"))
            continue
        if len(present) > 1:
            problems.append(several_files(present, f"the {table} table"))
            continue
        p = present[0]
        files[table] = p.name
        try:
            data = p.read_bytes()
        except OSError as e:
            problems.append(unreadable(p.name, f"cannot be opened ({e.strerror or e})"))
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
