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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import jsonfile, precheck
from .limits import Limits, Progress
from .model import DataError, Finding
from .text import encodable, normal, shown

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
            return None, unreadable(
                name,
                f"this is not a text file: it looks like {what} with the "
                f"wrong extension; save it as CSV (UTF-8) or use the right "
                f"extension",
            )
    if b"\x00" in data:  # anywhere: a NUL would end a field without a word
        enc = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary data"
        return None, unreadable(
            name, f"this is not UTF-8 text (it contains NUL bytes: {enc}); save it as CSV UTF-8"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[e.start]
        line = data[: e.start].count(b"\n") + 1
        return None, unreadable(
            name,
            f"not valid UTF-8 text (byte 0x{bad:02x} at position "
            f"{e.start}, line {line}); save it as UTF-8 (in "
            f"Excel: 'CSV UTF-8')",
        )
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


def or_none(s: pd.Series, keep: pd.Series | np.ndarray) -> pd.Series:
    """`s.where(keep, None)`: the values where `keep` holds, None (missing) elsewhere."""
    # pandas takes None as `other`; pandas-stubs 2.3.3.260113 types it as a Scalar, without None
    return s.where(keep, None)  # type: ignore[call-overload]


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


def as_lookup(values) -> pd.Index | np.ndarray | list:
    """Values to look up with `isin`: an Index or array as it is (making a million ids into a
    list costs as much again as the lookup itself), any other collection as a list."""
    return values if isinstance(values, (pd.Index, np.ndarray)) else list(values)


def isin(s: pd.Series, values) -> pd.Series:
    """`s.isin(values)`, for a text column looked up once per distinct value: pandas' own
    lookup of millions of text cells in a set (patient ids) is several times slower than
    factorizing the column and looking up its distinct values. Missing values are looked up as
    themselves, as `Series.isin` does."""
    lookup = as_lookup(values)
    if s.dtype != object:
        return s.isin(lookup)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    return pd.Series(pd.Index(uniques, dtype=object).isin(lookup)[codes], index=s.index)


def _is_text(values) -> bool:
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    )


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
    if _is_text(s):
        # the common case (every CSV and Excel column): strip each distinct text once
        return by_value(s.fillna(""), lambda u: u.str.strip())
    return s.astype("string").fillna("").str.strip().astype(object)


def _normal_uniques(u: pd.Series) -> pd.DataFrame:
    """Distinct stripped texts -> NFC text, whether a text cannot be encoded as UTF-8, whether
    NFC changed it."""
    bad = ~u.map(encodable).astype(bool)
    fixed = u.map(normal)
    return pd.DataFrame({"text": fixed, "bad": bad, "changed": (fixed != u) & ~bad})


def _text_codes(s: pd.Series) -> tuple[np.ndarray, Any]:
    """Per cell, the number of its distinct value, and those values as text ("" for empty): a
    categorical column of text has them already."""
    if isinstance(s.dtype, pd.CategoricalDtype) and _is_text(s.cat.categories):
        codes = s.cat.codes.to_numpy()
        uniques = pd.Index([*s.cat.categories, ""], dtype=object)
        return np.where(codes < 0, len(uniques) - 1, codes), uniques
    if not _is_text(s):
        s = s.astype("string").astype(object)
    return pd.factorize(s.fillna(""))


def text_cells(s: pd.Series) -> tuple[pd.Series, pd.Series | None, pd.Series | None]:
    """A column as stripped NFC text ("" for empty), the cells that could not be encoded as
    UTF-8 and the cells that NFC changed (None: no such cell). Each distinct value is handled
    once; a column of plain ASCII, the common case, is told in one pass over its values."""
    codes, uniques = _text_codes(s)
    u = pd.Series(uniques, dtype=object).str.strip()
    if "".join(u).isascii():
        text = u.iloc[codes]
        text.index = s.index
        return text, None, None
    look = _normal_uniques(u).iloc[codes]
    look.index = s.index
    return (
        look["text"],
        look["bad"] if look["bad"].any() else None,
        look["changed"] if look["changed"].any() else None,
    )


def text_findings(
    file: str,
    column: str,
    s: pd.Series,
    bad: pd.Series | None,
    changed: pd.Series | None,
    rows: Callable[[pd.Index], str],
    row: Callable[[Any], int | None],
) -> list[Finding]:
    """Findings about the cells `text_cells` flagged: texts that cannot be encoded (errors)
    and texts put in normal form (one warning per column). `rows(index)` words the rows,
    `row(label)` gives the row number of one."""
    out = []
    if bad is not None:
        at = s.index[bad.to_numpy()]
        out.append(
            Finding(
                "error",
                file,
                f"{len(at):,} cell(s) hold a character that cannot be "
                f"written as UTF-8 (a lone surrogate): {rows(at)}",
                row=row(at[0]),
                column=column,
                value=shown(s.loc[at[0]]),
                rule="encoding",
            )
        )
    if changed is not None:
        at = s.index[changed.to_numpy()]
        out.append(
            Finding(
                "warning",
                file,
                f"{len(at):,} cell(s) were written in decomposed "
                f"Unicode (e.g. 'e' followed by a combining accent) "
                f"and are read in composed form (NFC), so that texts "
                f"that look the same are the same: {rows(at)}",
                row=row(at[0]),
                column=column,
                value=shown(s.loc[at[0]]),
                rule="unicode_normalised",
            )
        )
    return out


def _spreadsheet_rows(index: pd.Index) -> str:
    shown_rows = [str(int(i) + 2) for i in index[:10]]
    more = f", … ({len(index) - 10:,} more)" if len(index) > 10 else ""
    return "rows " + ", ".join(shown_rows) + more


def header_names(name: str, columns: Iterable[Any]) -> tuple[list[str], list[Finding]]:
    """Header names stripped and in NFC; a name that cannot be encoded is an error."""
    out, findings = [], []
    for i, c in enumerate(columns):
        text = str(c).strip()
        if not encodable(text):
            findings.append(
                unreadable(
                    name,
                    f"the name of column {i + 1} holds a character that cannot be written as UTF-8",
                    row=1,
                    value=shown(text),
                    rule="encoding",
                )
            )
        out.append(normal(text))
    return out, findings


def _finish(df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Cells to stripped NFC text ("" for empty) except typed columns (`is_typed`), header
    names stripped; report header problems and text that cannot be used."""
    cols, findings = header_names(name, df.columns)
    seen: dict[str, int] = {}
    for i, c in enumerate(cols):
        if c in seen and c and not c.startswith("Unnamed: "):
            findings.append(
                unreadable(
                    name,
                    f"the header names column '{shown(c)}' twice "
                    f"(columns {seen[c] + 1} and {i + 1})",
                    row=1,
                    column=shown(c),
                    rule="header",
                )
            )
        else:
            seen[c] = i
    out = {}
    for i, c in enumerate(cols):
        if c in out:  # duplicated header: keep the first, reported above
            continue
        s = df.iloc[:, i]
        if not is_typed(s):
            s, bad, changed = text_cells(s)
            findings += text_findings(
                name, c, s, bad, changed, _spreadsheet_rows, lambda i: int(i) + 2
            )
        if c == "" or c.startswith("Unnamed: "):
            if is_blank(s).all():  # e.g. a trailing comma on every line
                findings.append(
                    Finding(
                        "warning",
                        name,
                        f"column {i + 1} has no name and no values: ignored",
                        row=1,
                        rule="header",
                    )
                )
            else:
                findings.append(
                    unreadable(
                        name,
                        f"column {i + 1} has values but no name in the header",
                        row=1,
                        rule="header",
                    )
                )
            continue
        out[c] = s
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    # Blank rows carry nothing; drop them but keep the index, so that row numbers stay right
    # (spreadsheet row = index + 2).
    if len(frame.columns):
        blank = np.logical_and.reduce([is_blank(frame[c]).to_numpy() for c in frame.columns])
        if blank.any():  # (no copy of a table without blank rows: 27 million rows in a registry)
            frame = frame.loc[~blank]
    return frame, findings


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting (?:at|on) (?:row|line) (\d+)")


def _csv_problem(message: str) -> tuple[str, int | None]:
    """pandas' message about a malformed CSV, in our words, and the row it names."""
    if m := _FIELDS.search(message):
        header, line, saw = (int(x) for x in m.groups())
        return (
            f"row {line} has {saw} fields but the header has {header}: every row needs "
            f"as many comma-separated fields as the header (a comma inside a text needs "
            f"the text in double quotes)",
            line,
        )
    if m := _OPEN_QUOTE.search(message):
        line = int(m.group(1)) + 1  # pandas counts lines from 0 here
        return (
            f'a text in double quotes starting in row {line} is never closed (a missing " '
            f"at its end?)",
            line,
        )
    return (
        "not a well-formed CSV table: every row needs as many comma-separated fields as "
        "the header, and every opening double quote its closing one",
        None,
    )


def _read_csv(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Finding]]:
    text, problem = _decode(name, data)
    if problem or text is None:
        return None, [problem] if problem else []
    try:
        df = pd.read_csv(
            _io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as e:
        message, row = _csv_problem(str(e))
        return None, [unreadable(name, message, row=row)]
    except pd.errors.EmptyDataError:
        return None, [unreadable(name, "the file has no header row")]
    if len(df.columns) == 1:
        first = str(df.columns[0])
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if sep in first:
                return None, [
                    unreadable(
                        name,
                        f"the columns are separated by {what}, not commas; "
                        f"save it as comma-separated CSV (UTF-8)",
                    )
                ]
    if not isinstance(df.index, pd.RangeIndex):
        # pandas takes the first field(s) as an index when every row has more fields than the
        # header: report it instead of shifting every value into the wrong column.
        n = len(df.columns)
        return None, [
            unreadable(
                name,
                f"every row has more fields than the header ({n} names; "
                f"{n + df.index.nlevels} fields from row 2): a missing name in "
                f"the header, or a comma too many at the end of each row?",
                row=2,
            )
        ]
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
        return None, [
            unreadable(
                name,
                "not an Excel workbook (.xlsx): the file is not in Excel's "
                "format (a CSV or old .xls file renamed?)",
            )
        ]
    try:
        df = pd.read_excel(
            _io.BytesIO(data), sheet_name=0, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except pd.errors.EmptyDataError:
        return None, [unreadable(name, "the first sheet of the workbook is empty: no header row")]
    except Exception:  # openpyxl and zipfile raise many kinds for damaged files
        return None, [
            unreadable(
                name,
                "cannot be read as an Excel workbook: the file is damaged "
                "or not in the .xlsx format; save it again from Excel as "
                ".xlsx",
            )
        ]
    if len(df.columns) == 0:
        return None, [unreadable(name, "the first sheet of the workbook is empty: no header row")]
    return _finish(df, name)


def parquet_frame(
    name: str, data: bytes, text_as_categories: bool = False
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """A Parquet file as pandas reads it (columns typed), or the finding why it cannot be.
    `text_as_categories`: text (and binary) columns as categories, each distinct value made a
    Python object once (`text_cells` reads them so), rather than one object per cell."""
    if len(data) == 0:
        return None, [unreadable(name, "the file is empty (0 bytes)")]
    try:
        if text_as_categories:
            import pyarrow.parquet as pq

            table = pq.read_table(_io.BytesIO(data))
            df = table.to_pandas(strings_to_categorical=True)
        else:
            df = pd.read_parquet(_io.BytesIO(data))
    except UnicodeDecodeError:
        return None, [
            unreadable(
                name,
                "cannot be read as a Parquet file: a text column holds "
                "bytes that are not valid UTF-8",
            )
        ]
    except Exception:  # pyarrow raises many kinds, with messages about its internals
        return None, [
            unreadable(
                name,
                "cannot be read as a Parquet file: the file is damaged, "
                "or uses types this dashboard does not read (use text, "
                "number and true/false columns)",
            )
        ]
    if len(set(map(str, df.columns))) != len(df.columns):
        return None, [unreadable(name, "two columns have the same name", row=1, rule="header")]
    return df.reset_index(drop=True), []


def _distinct_or_all(s: pd.Series) -> pd.Series:
    """A categorical column's distinct values; any other column as it is."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return pd.Series(s.cat.categories, dtype=object)
    return s


def _parquet_text(name: str, df: pd.DataFrame) -> tuple[pd.DataFrame | None, list[Finding]]:
    """A Parquet frame as cells (typed columns kept), or None if a column holds binary data
    or lists."""
    for c in df.columns:
        values = _distinct_or_all(df[c])
        # a column of text only (told in C, without a look at each cell) holds no binary data
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "string":
            odd = values.map(
                lambda v: isinstance(v, (bytes, bytearray, list, dict, tuple, np.ndarray))
            )
            if odd.any():
                kind = type(values[odd].iloc[0]).__name__
                return None, [
                    unreadable(
                        name,
                        f"column '{shown(str(c))}' holds {kind} values "
                        f"(binary data or lists), not text or numbers: save "
                        f"it with text and number columns only",
                        column=shown(str(c)),
                    )
                ]
    return _finish(df, name)


_TEXT_READERS = {".csv": _read_csv, ".xlsx": _read_excel}


def read_table(
    path: Path, data: bytes, limits: Limits
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """The table in `data` (the bytes of `path`: .csv, .xlsx or .parquet) as text cells (a
    Parquet file's number and boolean columns typed), or None and the findings why not: the
    structural limits first (trial/precheck.py), then the reader, and whether every row the
    file states was read."""
    structure = precheck.inspect(path, data, limits)
    if structure.refused:
        return None, structure.findings
    suffix = path.suffix.lower()
    if suffix in _TEXT_READERS:
        df, found = _TEXT_READERS[suffix](path.name, data)
        return df, structure.findings + found
    df, found = parquet_frame(path.name, data, text_as_categories=True)
    if df is None:
        return None, structure.findings + found
    lost = precheck.missing_rows(path.name, structure, len(df))  # before blank rows go
    if lost:
        return None, lost + structure.findings
    df, found = _parquet_text(path.name, df)
    return df, structure.findings + found


def read_json_file(path: Path, limits: Limits) -> tuple[Any, bytes, list[Finding]]:
    """A configuration file's JSON value (texts in NFC; None when it cannot be read as JSON),
    its bytes, and the errors found (see `jsonfile.parse`)."""
    data = path.read_bytes()
    structure = precheck.inspect(path, data, limits)
    if structure.refused:
        return None, data, structure.findings
    text, problem = _decode(path.name, data)
    if problem or text is None:
        return None, data, [problem] if problem else []
    obj, found = jsonfile.parse(path.name, text)
    return obj, data, found


def _read_study(
    folder: Path, limits: Limits
) -> tuple[dict | None, bytes, list[Finding], list[Finding]]:
    """(study, its bytes, problems that make it unreadable, errors in its values)."""
    p = folder / STUDY_FILE
    if not p.is_file():
        return (
            None,
            b"",
            [
                unreadable(
                    STUDY_FILE,
                    "missing: the folder must hold study.json (study title, visits and measures)",
                )
            ],
            [],
        )
    obj, data, found = read_json_file(p, limits)
    if obj is None:
        return None, data, found, []
    if not isinstance(obj, dict):
        return (
            None,
            data,
            [
                unreadable(
                    STUDY_FILE,
                    f"expected a JSON object {{...}} at the top level, found {type(obj).__name__}",
                )
            ],
            [],
        )
    return obj, data, [], found


def _hash_in_blocks(digest, path: Path) -> None:
    """`path`'s name and bytes into `digest` as `read_tables` adds a file it reads (the same
    fingerprint), in blocks: memory stays bounded whatever the file's size."""
    digest.update(path.name.encode() + b"\0")
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    digest.update(b"\0")


def read_tables(
    path: str | Path,
    limits: Limits | None = None,
    progress: Progress | None = None,
    left_in_file: Iterable[str] = (),
) -> RawTables:
    """Read study.json and the three tables of the trial folder `path`.

    Each table is `<name>.csv`, `<name>.xlsx` (first sheet) or `<name>.parquet`; exactly one must
    exist. Each file is checked against `limits` before it is parsed. Raises
    `DataError(findings, unreadable=True)` listing every file that cannot be read.

    The tables named in `left_in_file` that are Parquet files are not read, only hashed: their
    frame is empty, for `validate` to be given a screen that checks them where they lie
    (trial/screen.py).
    """
    left = set(left_in_file)
    limits = limits or Limits()
    progress = progress or Progress()
    folder = Path(path)
    if not folder.exists():
        raise DataError([unreadable(str(folder), "folder not found")], unreadable=True)
    if not folder.is_dir():
        message = (
            "this is a file, not a folder: give the folder that holds study.json, "
            "patients, measurements and events"
        )
        raise DataError([unreadable(str(folder), message)], unreadable=True)

    problems: list[Finding] = []
    digest = hashlib.sha256()
    with progress.working_on(STUDY_FILE):
        study, data, found, notes = _read_study(folder, limits)
    problems += found
    digest.update(STUDY_FILE.encode() + b"\0" + data + b"\0")
    files = {"study": STUDY_FILE}
    frames: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        present = [
            folder / f"{table}{ext}" for ext in EXTENSIONS if (folder / f"{table}{ext}").is_file()
        ]
        if not present:
            problems.append(
                unreadable(
                    f"{table}.csv",
                    f"missing: the folder must hold {table}.csv, {table}.xlsx or {table}.parquet",
                )
            )
            continue
        if len(present) > 1:
            problems.append(several_files(present, f"the {table} table"))
            continue
        p = present[0]
        files[table] = p.name
        if table in left and p.suffix == ".parquet":
            try:
                _hash_in_blocks(digest, p)
            except OSError as e:
                problems.append(unreadable(p.name, f"cannot be opened ({e.strerror or 'error'})"))
            frames[table] = pd.DataFrame()
            continue
        try:
            data = p.read_bytes()
        except OSError as e:
            problems.append(unreadable(p.name, f"cannot be opened ({e.strerror or 'error'})"))
            continue
        digest.update(p.name.encode() + b"\0" + data + b"\0")
        with progress.working_on(p.name):
            df, found = read_table(p, data, limits)
        if df is None:
            problems += found
        else:
            frames[table] = df
            notes += found
    if problems or study is None:
        raise DataError(problems + notes, unreadable=True)
    return RawTables(
        folder=folder,
        study=study,
        files=files,
        fingerprint=digest.hexdigest()[:12],
        findings=notes,
        **frames,
    )
