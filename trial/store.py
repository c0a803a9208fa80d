"""A store of validated trials keyed by content: each dataset version is read, validated and
converted once, then served from Parquet.

    store = Store.default()                      # TRIAL_STORE_DIR, else the user's cache folder
    key = dataset_key(folder, config, limits)    # None: not a folder (nothing to key)
    trial = store.get(key, folder)               # None: not stored (or the entry was damaged)
    store.put(key, trial)                        # after a successful load

The key is a SHA-256 of everything the loaded `Trial` depends on: the name and bytes of every
file at the top of the folder (and the folder's name, which ADaM titles and findings use), the
ADaM configuration given (a mapping or the bytes of a file), the structural limits (a folder
beyond them is refused) and the code that validates and derives (the source of the `trial`
package and the versions of the libraries that read and check). A changed byte anywhere gives a
new key, so an entry is never stale; entries are never updated, only added or removed. Files are
hashed in blocks: memory stays bounded whatever their size.

An entry is a folder `<root>/<key>/` holding one Parquet file per table of the `Trial`
(`patients`, `measurements`, ...) and `trial.json` (study, design, findings, fingerprint, severity
order: plain JSON through the explicit codec below, never pickle), and `manifest.json`, which
lists every file's size and SHA-256. It is written in a private temporary folder and renamed into
place in one step: several processes (or hosts sharing the folder) that convert the same dataset
at once never see half an entry; the one whose rename loses discards its copy. An entry whose
manifest is missing or does not match its files is removed and rebuilt, never trusted.

Only trials that loaded go in: a dataset with errors raises its `DataError` at every load. The
folders are the user's own (0700) and the files 0600: they hold patient data. To clear the store,
delete its folder (`rm -rf ~/.cache/msc-sle-dashboard/store`, or `$TRIAL_STORE_DIR`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import secrets
import shutil
import types
import typing
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .limits import Limits
from .model import Finding, StoredTable, Study, Trial
from .private import private_folder
from .query import STORED_ROW
from .upload import create_private, write_private

STORE_ENV = "TRIAL_STORE_DIR"
FORMAT = 2  # of an entry's layout; part of the key
MANIFEST = "manifest.json"
DOCUMENT = "trial.json"
BLOCK = 1 << 20  # bytes hashed at a time
# The libraries whose behaviour the conversion depends on (reading, checking, Parquet).
LIBRARIES = ("pandas", "numpy", "pyarrow", "pandera", "pyreadstat", "openpyxl")
# Bounds that decide whether a folder is accepted; time and memory only decide whether a check
# finishes, not what it finds, so they are not part of the key.
RESOURCE_LIMITS = ("seconds", "memory_mb")
# In a table's Parquet file beside its patient_id: the row of that id in patients.parquet, so
# that reading the table back shares the patients' id strings instead of making one per row
# (and the engine joins the tables on it: trial.query.ParquetTable).
PATIENT_ROW = STORED_ROW

_HINTS = typing.get_type_hints(Trial)
TABLES = tuple(
    f.name
    for f in dataclasses.fields(Trial)
    if _HINTS[f.name] is pd.DataFrame or pd.DataFrame in typing.get_args(_HINTS[f.name])
)
# Left in their file when read back (`StoredTable`): the engine reads them there.
LEFT_IN_FILE = ("measurements",)


class DamagedEntry(Exception):
    """A store entry that cannot be trusted (missing file, wrong size or hash, bad document)."""


def default_root() -> Path:
    """$TRIAL_STORE_DIR, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "msc-sle-dashboard" / "store"


# --- the key -----------------------------------------------------------------------------------


def _hash_file(digest, path: Path) -> None:
    """Name, size and bytes of `path` into `digest`, read in blocks (bounded memory)."""
    with path.open("rb") as f:
        digest.update(f"{path.name}\0{os.fstat(f.fileno()).st_size}\0".encode())
        while block := f.read(BLOCK):
            digest.update(block)


@functools.cache  # the installed code does not change while a process runs
def code_version() -> str:
    """A hash of the `trial` package's source and of the versions of the libraries it uses to
    read and check: a change of either never serves a conversion made by other code."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent\0".encode())
    return digest.hexdigest()


def _config_bytes(config: dict | str | Path | None) -> bytes:
    if config is None:
        return b"none"
    if isinstance(config, dict):
        return b"mapping\0" + json.dumps(config, sort_keys=True, default=str).encode()
    path = Path(config)
    return b"file\0" + (path.read_bytes() if path.is_file() else b"missing:" + bytes(path))


def dataset_key(
    path: str | Path, config: dict | str | Path | None = None, limits: Limits | None = None
) -> str | None:
    """The store key of the folder `path` as loaded with `config` and `limits`; None when it
    is not a folder that can be listed (the load then reports why)."""
    folder = Path(path)
    limits = limits or Limits()
    bounds = {k: v for k, v in dataclasses.asdict(limits).items() if k not in RESOURCE_LIMITS}
    digest = hashlib.sha256(f"format {FORMAT}\0code {code_version()}\0".encode())
    digest.update(json.dumps(bounds, sort_keys=True).encode() + b"\0")
    try:
        digest.update(b"config\0" + _config_bytes(config) + b"\0")
        digest.update(f"folder {folder.resolve().name}\0".encode())
        for p in sorted(folder.iterdir()):
            if p.is_file():
                _hash_file(digest, p)
    except OSError:
        return None
    return digest.hexdigest()


# --- the document: Study, findings and the rest as JSON ------------------------------------------


def encode(value: Any) -> Any:
    """A frozen dataclass (Study, Design, Finding, ...) as JSON values: fields by name, tuples
    as lists. `decode(type, encode(x)) == x`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def decode(kind: Any, value: Any) -> Any:
    """The value of type `kind` (a dataclass, tuple[...] or scalar annotation) that `encode`
    wrote; every field must be there and no other (an entry of other code is not guessed at)."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        if not isinstance(value, dict) or set(value) != names:
            raise DamagedEntry(f"{kind.__name__}: fields {sorted(value)} are not {sorted(names)}")
        return kind(**{n: decode(hints[n], v) for n, v in value.items()})
    if typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in value)
        return tuple(decode(a, v) for a, v in zip(args, value, strict=True))
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return None if value is None else decode(inner[0], value) if len(inner) == 1 else value
    return value  # str, int, float, bool, Literal[...]: JSON keeps them as they were


def _nan_columns(frame: pd.DataFrame) -> list[str]:
    """Text (object) columns whose missing values are NaN rather than None: Parquet has one
    null, read back as None, so these are told apart to come back as they were."""
    out = []
    for col in frame.select_dtypes(include="object").columns:
        missing = frame[col][frame[col].isna()]
        if len(missing) and all(isinstance(v, float) for v in missing):
            out.append(str(col))
    return out


def _with_nan(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if not columns:
        return frame
    return frame.assign(**{c: frame[c].where(frame[c].notna(), np.nan) for c in columns})


def _nan_columns_of(table: pd.DataFrame | StoredTable) -> list[str]:
    if isinstance(table, StoredTable):
        return list(table.nan_columns)
    return _nan_columns(table)


def _document(trial: Trial) -> dict:
    return {
        "format": FORMAT,
        "nan_columns": {t: _nan_columns_of(getattr(trial, t)) for t in TABLES},
        "study": encode(trial.study),
        "findings": encode(trial.findings),
        "source": trial.source,
        "fingerprint": trial.fingerprint,
        "severity_order": encode(trial.severity_order),
    }


def _from_document(doc: dict, files: dict[str, Path], source: str) -> Trial:
    if doc.get("format") != FORMAT:
        raise DamagedEntry("document of another format")
    tables = _read_tables(files, doc["nan_columns"])
    # Arrow's buffers are freed by now; give their memory back to the system instead of
    # keeping it in the pool for the worker's lifetime (200 MB at 27 million rows).
    pa.default_memory_pool().release_unused()
    return Trial(
        study=decode(Study, doc["study"]),
        findings=decode(tuple[Finding, ...], doc["findings"]),
        source=source,
        fingerprint=doc["fingerprint"],
        severity_order=decode(tuple[str, ...], doc["severity_order"]),
        parquet_files=tuple((t, str(files[f"{t}.parquet"].resolve())) for t in TABLES),
        **tables,
    )


# --- entries on disk -----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string"


def _id_index(patients: pd.DataFrame) -> pd.Index | None:
    """The patients' ids to code the other tables' ids by: text, each once."""
    ids = patients.get("patient_id")
    if ids is None or not ids.is_unique or not _is_text(ids):
        return None
    return pd.Index(ids)


def _with_patient_rows(frame: pd.DataFrame, ids: pd.Index | None) -> pd.DataFrame:
    """`frame` with its rows' patients as rows of the patients table (`PATIENT_ROW`), when
    every id is one of theirs; the text ids stay, for the engine, which reads them in SQL."""
    if ids is None or "patient_id" not in frame or PATIENT_ROW in frame:
        return frame
    rows = ids.get_indexer(pd.Index(frame["patient_id"]))
    if len(rows) == 0 or rows.min() < 0 or not _is_text(frame["patient_id"]):
        return frame
    return frame.assign(**{PATIENT_ROW: rows.astype(np.int32)})


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    # preserve_index=None keeps a RangeIndex as metadata and any other index as columns; the
    # pandas metadata brings back categoricals, nullable integers, strings and datetimes.
    table = pa.Table.from_pandas(frame, preserve_index=None)
    with create_private(path) as f:
        pq.write_table(table, f)


def _place(source: Path, target: Path) -> None:
    """`source` (a file in the store's format) at `target`: linked when both are on one disk
    (no copy of 185 MB of measurements), else copied into a private file."""
    try:
        os.link(source, target)
    except OSError:
        with source.open("rb") as src, create_private(target) as out:
            shutil.copyfileobj(src, out, BLOCK)


def _text_columns(schema: pa.Schema) -> list[str]:
    """The columns that were Python strings in an object column (the pandas metadata says
    so; not pandas' own string dtypes, which the metadata brings back as they were)."""
    columns = (schema.pandas_metadata or {}).get("columns", [])
    return [
        c["name"]
        for c in columns
        if c.get("pandas_type") == "unicode" and c.get("numpy_type") == "object"
    ]


def _as_text(values: pd.Series) -> np.ndarray:
    """A column read as a dictionary back as Python strings, missing values as None (as
    Parquet's nulls are read): each distinct string made once and shared, as pyarrow does."""
    cat = values.array
    strings = np.append(cat.categories.to_numpy(dtype=object), [None])
    # code -1 (missing) takes the last: None. Indexing, not `take`: numpy's take with int8
    # codes is several times as slow (reading 1,000,000 patients' text: 1.6 -> 1.1 s).
    return strings[cat.codes]


def read_table(path: Path, patient_ids: np.ndarray | None, *, rows: bool = True) -> pd.DataFrame:
    """A table as `_write_table` wrote it (without its rows unless `rows`). Text is read as a
    dictionary (each distinct value converted once, not once per row) and ids are taken from
    `patient_ids` by row: at 27 million rows this takes about a second instead of six."""
    schema = pq.read_schema(path)
    coded = PATIENT_ROW in schema.names
    # Ids are not read as a dictionary: unique in the patients table, coded in the others.
    text = [c for c in _text_columns(schema) if c != "patient_id"]
    columns = [c for c in schema.names if not (coded and c == "patient_id")]
    file = pq.ParquetFile(path, read_dictionary=text)
    table = file.read(columns=columns) if rows else file.schema_arrow.empty_table().select(columns)
    # Each column's Arrow memory is freed as soon as it is converted: a lower peak.
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame = frame.assign(**{c: _as_text(frame[c]) for c in text})
    if coded:
        stored = frame.pop(PATIENT_ROW).to_numpy()
        if patient_ids is None or (
            len(stored) and not 0 <= stored.min() <= stored.max() < len(patient_ids)
        ):
            raise DamagedEntry(f"{path.name}: patient rows outside the patients table")
        order = [c for c in schema.names if c == "patient_id" or c in frame.columns]
        frame.insert(order.index("patient_id"), "patient_id", patient_ids.take(stored))
    return frame


def stored_table(path: Path, patient_ids: np.ndarray | None, nan: list[str]) -> StoredTable:
    """A table left in its file, as the store writes it (`PATIENT_ROW` beside its ids): its
    columns and types, its size, and how to read it whole."""
    return StoredTable(
        str(path.resolve()),
        read_table(path, patient_ids, rows=False),
        pq.read_metadata(path).num_rows,
        functools.partial(_read_nan_table, path, patient_ids, nan),
        tuple(nan),
    )


def _read_nan_table(path: Path, patient_ids: np.ndarray | None, nan: list[str]) -> pd.DataFrame:
    return _with_nan(read_table(path, patient_ids), nan)


def _read_tables(files: dict[str, Path], nan: dict[str, list[str]]) -> dict[str, Any]:
    """The trial's tables: in memory, but for those left in their file (`LEFT_IN_FILE`)."""
    patients = read_table(files["patients.parquet"], None)
    ids = patients["patient_id"].to_numpy(dtype=object) if "patient_id" in patients else None
    out: dict[str, Any] = {"patients": _with_nan(patients, nan["patients"])}
    for t in (t for t in TABLES if t != "patients"):
        path = files[f"{t}.parquet"]
        left = t in LEFT_IN_FILE
        out[t] = stored_table(path, ids, nan[t]) if left else _read_nan_table(path, ids, nan[t])
    return out


def _manifest(folder: Path) -> dict:
    return {
        "format": FORMAT,
        "files": {
            p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(folder.iterdir())
        },
    }


def _verified(entry: Path) -> dict[str, Path]:
    """The entry's files by name, after checking each against the manifest."""
    try:
        manifest = json.loads((entry / MANIFEST).read_bytes())
        listed = manifest["files"]
        present = {p.name for p in entry.iterdir()} - {MANIFEST}
        if manifest.get("format") != FORMAT or set(listed) != present:
            raise DamagedEntry("the files are not those of the manifest")
        for name, want in listed.items():
            path = entry / name
            if path.stat().st_size != want["bytes"] or _sha256(path) != want["sha256"]:
                raise DamagedEntry(f"{name} does not match the manifest")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedEntry(str(err)) from err
    return {name: entry / name for name in listed}


@dataclasses.dataclass(frozen=True)
class Store:
    root: Path

    @classmethod
    def default(cls) -> Store:
        return cls(default_root())

    def _folder(self) -> Path:
        return private_folder(self.root)

    def get(self, key: str, source: str | Path) -> Trial | None:
        """The stored trial of `key` (its `source` set to `source`, where it was read from this
        time), or None if there is none; a damaged entry is removed, so that it is rebuilt."""
        entry = self._folder() / key
        if not entry.is_dir():
            return None
        try:
            files = _verified(entry)
            doc = json.loads(files[DOCUMENT].read_bytes())
            return _from_document(doc, files, str(source))
        except (DamagedEntry, OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            self._discard(entry)
            return None

    def put(self, key: str, trial: Trial) -> bool:
        """Keep `trial` (which loaded without errors) under `key`; if another process stored
        it first, its entry is kept and this copy dropped. False when it cannot be kept (a
        full disk, a column Parquet cannot hold): the caller still has the trial."""
        try:
            root = self._folder()
            work = root / f".tmp-{key[:16]}-{secrets.token_hex(8)}"
            work.mkdir(mode=0o700)
        except OSError:  # no store to keep it in (a read-only disk, a file in the way)
            return False
        try:
            ids = _id_index(trial.patients)
            for t in TABLES:
                table = getattr(trial, t)
                if isinstance(table, StoredTable):  # written as the store keeps it already
                    _place(Path(table.path), work / f"{t}.parquet")
                    continue
                _write_table(
                    work / f"{t}.parquet",
                    table if t == "patients" else _with_patient_rows(table, ids),
                )
            write_private(work / DOCUMENT, json.dumps(_document(trial)).encode())
            write_private(work / MANIFEST, json.dumps(_manifest(work)).encode())  # last
            os.rename(work, root / key)  # atomic; fails if an entry is already there
        except (OSError, TypeError, ValueError, pa.ArrowException):
            return (root / key).is_dir()  # the race lost: the winner's entry serves
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return True

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path | None]:
        """A private folder inside the store for a conversion's files (so that `put` links them
        into the entry), removed afterwards; None when the store's folder cannot be used."""
        try:
            work = self._folder() / f".tmp-work-{secrets.token_hex(8)}"
            work.mkdir(mode=0o700)
        except OSError:
            yield None
            return
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _discard(self, entry: Path) -> None:
        # Moved aside first, so that a process starting now sees no entry rather than half one.
        trash = entry.with_name(f".trash-{entry.name[:16]}-{secrets.token_hex(8)}")
        try:
            os.rename(entry, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def clear(self) -> None:
        """Remove every entry (the folder itself stays)."""
        for entry in self._folder().iterdir():
            shutil.rmtree(entry, ignore_errors=True)
