"""Structural checks of a data file before it is parsed, in milliseconds, from what the file
says about itself: the header of a CSV, the parts and sheets of a workbook, the footer of a
Parquet file, the header records of a SAS file.

A file beyond `Limits` (columns, rows, cells, sheets, size) is refused here, before the reader
would spend minutes or gigabytes on it. What the file says it holds (`Structure.rows`) is kept
so that the reader can verify afterwards that it read all of it (`missing_rows`): nothing is
lost without a word. A file these checks cannot make sense of passes on to its reader, which
says in words what is wrong with it.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits, over
from .model import Finding
from .upload import MAX_WORKBOOK_PARTS, declared_entries
from .xport import read_layout

_CHUNK = 1 << 20
_XML_BYTES_PER_CELL = 200  # an Excel sheet's XML per cell, with generous room for styles


@dataclass
class Structure:
    """What the checks found: findings (errors refuse the file) and, where the file states it,
    how many rows it holds (fewest, most)."""

    findings: list[Finding] = field(default_factory=list)
    rows: tuple[int, int] | None = None

    @property
    def refused(self) -> bool:
        return any(f.level == "error" for f in self.findings)


def _error(file: str, message: str, rule: str = "unreadable") -> Finding:
    return Finding("error", file, message, rule=rule)


def _size_checks(
    file: str, rows: int, columns: int, limits: Limits, unit: str = "rows"
) -> list[Finding]:
    if columns > limits.columns:
        return [over(file, "columns", columns, limits.columns)]
    if rows > limits.rows:
        return [over(file, unit, rows, limits.rows)]
    if rows * columns > limits.cells:
        return [
            over(
                file, f"cells ({rows:,} {unit} × {columns:,} columns)", rows * columns, limits.cells
            )
        ]
    return []


# --- CSV ---------------------------------------------------------------------------------


def _header_fields(line: bytes) -> int:
    """Fields of a CSV header line, quotes respected."""
    row = next(csv.reader([line.decode("utf-8", "replace")]), [])
    return len(row)


def _csv(file: str, data: bytes, limits: Limits) -> Structure:
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    columns = header.count(b",") + 1
    if columns > limits.columns:  # commas inside quotes overcount: count exactly
        columns = _header_fields(header)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return Structure(_size_checks(file, max(0, lines - 1), columns, limits, "lines"))


# --- Excel -------------------------------------------------------------------------------

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_SHEET_NAME = re.compile(rb"\bname=\"([^\"]*)\"")
_SHEET_RELATION = re.compile(rb"\b(?:\w+:)?id=\"([^\"]*)\"")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb"\b(Id|Target)=\"([^\"]*)\"")
_PREFIX = re.compile(rb"<(\w+:)?sheetData\b")


def _read_part(book: zipfile.ZipFile, name: str, most: int) -> bytes | None:
    try:
        with book.open(name) as part:
            return part.read(most)
    except KeyError:
        return None


def _sheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, part) of each sheet, in the workbook's order (the first is the one read)."""
    workbook = _read_part(book, "xl/workbook.xml", 10 * _CHUNK) or b""
    rels = _read_part(book, "xl/_rels/workbook.xml.rels", 10 * _CHUNK) or b""
    targets = {}
    for tag in _RELATION.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        if b"Id" in attrs and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace").lstrip("/")
            targets[attrs[b"Id"]] = target if target.startswith("xl/") else "xl/" + target
    sheets = []
    for tag in _SHEET.findall(workbook):
        name, relation = _SHEET_NAME.search(tag), _SHEET_RELATION.search(tag)
        sheets.append(
            (
                html.unescape(name.group(1).decode("utf-8", "replace")) if name else "?",
                targets.get(relation.group(1), "") if relation else "",
            )
        )
    return sheets


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _count_sheet(book: zipfile.ZipFile, part: str, file: str, limits: Limits) -> list[Finding]:
    """Rows, cells and the widest cell reference of a sheet, read as a stream and stopped at
    the first limit passed."""
    letters = len(_letters(limits.columns))
    wide = re.compile(rb"<(?:\w+:)?c r=\"([A-Z]{%d,})[0-9]" % letters)
    most_bytes = max(_XML_BYTES_PER_CELL * limits.excel_cells, 64 * _CHUNK)
    rows = cells = seen = 0
    prefix = b""
    with book.open(part) as sheet:
        while chunk := sheet.read(_CHUNK):
            seen += len(chunk)
            if not prefix and (m := _PREFIX.search(chunk)):
                prefix = m.group(1) or b""
            rows += chunk.count(b"<" + prefix + b"row ") + chunk.count(b"<" + prefix + b"row>")
            cells += chunk.count(b"<" + prefix + b"c ") + chunk.count(b"<" + prefix + b"c>")
            for ref in wide.findall(chunk):
                if _column_number(ref) > limits.columns:
                    return [
                        over(
                            file,
                            f"columns (the first sheet has a cell in column {ref.decode()})",
                            _column_number(ref),
                            limits.columns,
                        )
                    ]
            if rows > limits.rows:
                return [over(file, "rows in the first sheet", rows, limits.rows)]
            if cells > limits.excel_cells:
                return [
                    over(
                        file,
                        "cells in the first sheet (at least)",
                        cells,
                        limits.excel_cells,
                        "save large tables as CSV or Parquet: Excel files are slow to read",
                    )
                ]
            if seen > most_bytes:
                return [
                    over(file, "bytes of sheet data once unpacked (at least)", seen, most_bytes)
                ]
    return []


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _xlsx(file: str, data: bytes, limits: Limits) -> Structure:
    if not data.startswith(b"PK\x03\x04"):
        return Structure()  # not a workbook: the reader says what it is
    stream = io.BytesIO(data)
    parts = declared_entries(stream)
    if parts is not None and parts > MAX_WORKBOOK_PARTS:
        return Structure([over(file, "parts in the workbook", parts, MAX_WORKBOOK_PARTS)])
    try:
        book = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, ValueError, OSError):
        return Structure(
            [
                _error(
                    file,
                    "the workbook is damaged or incomplete (it is not a "
                    "whole .xlsx file: cut short?); save it again from Excel",
                )
            ]
        )
    with book:
        sheets = _sheets(book)
        if len(sheets) > limits.sheets:
            return Structure([over(file, "sheets", len(sheets), limits.sheets)])
        findings: list[Finding] = []
        if len(sheets) > 1:
            others = ", ".join(f"'{n}'" for n, _ in sheets[1:6]) + (
                f" and {len(sheets) - 6} more" if len(sheets) > 6 else ""
            )
            findings.append(
                Finding(
                    "warning",
                    file,
                    f"the workbook has {len(sheets)} sheets: "
                    f"only the first, '{sheets[0][0]}', is read; "
                    f"{others} are not",
                    rule="sheets",
                )
            )
        part = (
            sheets[0][1]
            if sheets and sheets[0][1] in book.namelist()
            else "xl/worksheets/sheet1.xml"
        )
        if part in book.namelist():
            try:
                findings += _count_sheet(book, part, file, limits)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                findings.append(
                    _error(
                        file,
                        "the workbook is damaged: its first sheet cannot be "
                        "unpacked; save it again from Excel",
                    )
                )
        return Structure(findings)


# --- Parquet -----------------------------------------------------------------------------


def _parquet(file: str, data: bytes, limits: Limits) -> Structure:
    return parquet_structure(file, io.BytesIO(data), limits)


def parquet_structure(file: str, source: Path | io.BytesIO, limits: Limits) -> Structure:
    """The structural checks of a Parquet file, from its footer alone (`source`: its path or
    its bytes): a file left where it lies is checked without reading it."""
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(source) as parquet:
            meta = parquet.metadata
    except Exception:  # pyarrow raises several kinds for a damaged footer
        return Structure(
            [
                _error(
                    file,
                    "cannot be read as a Parquet file: the description of "
                    "its contents at the end of the file is missing or "
                    "damaged (was the file cut short?)",
                )
            ]
        )
    rows = int(meta.num_rows)
    in_groups = sum(int(meta.row_group(i).num_rows) for i in range(meta.num_row_groups))
    if in_groups != rows:
        return Structure(
            [
                _error(
                    file,
                    f"the file is inconsistent: its row groups hold "
                    f"{in_groups:,} rows but it states {rows:,} in all "
                    f"(damaged?)",
                )
            ]
        )
    return Structure(_size_checks(file, rows, int(meta.num_columns), limits), (rows, rows))


# --- SAS ---------------------------------------------------------------------------------


def _xpt(file: str, data: bytes, limits: Limits) -> Structure:
    layout = read_layout(data)
    if layout is None:
        return Structure()
    if layout.problem:
        return Structure([_error(file, layout.problem, "incomplete")])
    if len(layout.members) > 1:
        names = ", ".join(layout.members[:10])
        return Structure(
            [
                _error(
                    file,
                    f"the file holds {len(layout.members)} datasets "
                    f"({names}); only the first would be read: give each "
                    f"dataset in its own file",
                    "several_datasets",
                )
            ]
        )
    found = _size_checks(file, layout.rows_max, layout.variables, limits)
    return Structure(found, (layout.rows_min, layout.rows_max))


def _sas7bdat(path: Path, limits: Limits) -> Structure:
    import pyreadstat

    try:
        _, meta = pyreadstat.read_sas7bdat(str(path), metadataonly=True)
    except Exception:  # the reader says what is wrong
        return Structure()
    rows = int(meta.number_rows or 0)
    return Structure(
        _size_checks(path.name, rows, len(meta.column_names), limits),
        (rows, rows) if meta.number_rows is not None else None,
    )


# --- JSON --------------------------------------------------------------------------------


def _json(file: str, data: bytes, limits: Limits) -> Structure:
    if len(data) > limits.json_bytes:
        return Structure([over(file, "bytes", len(data), limits.json_bytes)])
    return Structure()


def inspect(path: Path, data: bytes, limits: Limits) -> Structure:
    """The structural checks of the file `path` (its bytes `data`), by its extension."""
    suffix = path.suffix.lower()
    file = path.name
    if not data:
        return Structure()  # the reader reports an empty file
    if suffix == ".csv":
        return _csv(file, data, limits)
    if suffix == ".xlsx":
        return _xlsx(file, data, limits)
    if suffix == ".parquet":
        return _parquet(file, data, limits)
    if suffix == ".xpt":
        return _xpt(file, data, limits)
    if suffix == ".sas7bdat":
        return _sas7bdat(path, limits)
    if suffix == ".json":
        return _json(file, data, limits)
    return Structure()


def missing_rows(file: str, structure: Structure, read: int) -> list[Finding]:
    """An error if fewer (or more) rows were read than the file states it holds."""
    if structure.rows is None:
        return []
    fewest, most = structure.rows
    if fewest <= read <= most:
        return []
    stated = f"{fewest:,}" if fewest == most else f"{fewest:,} to {most:,}"
    return [
        _error(
            file,
            f"only {read:,} rows could be read, but the file holds {stated}: it is "
            f"damaged or incomplete, and nothing of it was used"
            if read < fewest
            else f"{read:,} rows were read, but the file states {stated}: it is damaged",
            "incomplete",
        )
    ]
