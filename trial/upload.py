"""Files uploaded in a browser, checked and written into a folder that `load_trial` can read.

The browser sends each file as a data URL with the name it had on the user's machine (with a
folder path when a folder was dropped). Nothing here trusts those names or sizes: only the base
name of a file is kept, it must look like a plain file name with a known extension, the total
size is bounded before anything is decoded, and zip archives are unpacked member by member with
their own bounds (file count, unpacked size, read in chunks so that a lying header cannot make
us write more). Files that are not data (define.xml, a readme, macOS resource forks) are set
aside and reported, never silently.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from .model import DataError, Finding

DATA_SUFFIXES = (".json", ".csv", ".xlsx", ".parquet", ".xpt", ".sas7bdat")
ARCHIVE_SUFFIX = ".zip"
# A plain file name: no path, no control characters, no leading dot (hidden or special files).
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,120}$")
_CHUNK = 1024 * 1024
UPLOAD_FILE = "upload"  # the `file` of findings that are about the upload as a whole


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 100 * 1024 * 1024  # all files as sent, archives counted packed
    max_unpacked_bytes: int = 1024 * 1024 * 1024  # all data files once archives are unpacked
    max_files: int = 64


@dataclass
class StagedUpload:
    """What was written into the folder, and what was set aside (with the reason)."""

    folder: Path
    written: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    sent_as: list[str] = field(default_factory=list)  # names as sent, e.g. "pilot/adsl.xpt"

    @property
    def display_name(self) -> str:
        """A short name for the dataset, as a person would say it: the folder or archive the
        files came in, else the files' names."""
        tops = {PurePosixPath(n).parts[0] for n in self.sent_as if len(PurePosixPath(n).parts) > 1}
        if len(tops) == 1 and all(len(PurePosixPath(n).parts) > 1 for n in self.sent_as):
            return tops.pop()
        names = sorted(self.written)
        if len(names) <= 2:
            return " + ".join(names)
        return f"{names[0]} + {len(names) - 1} more files"


# An uploaded file: its name, and its bytes or a binary stream (the upload route's file).
UploadedFile = tuple[str, bytes | IO[bytes]]


def create_private(path: Path) -> BinaryIO:
    """A new file that only this user can read: never through a link, never over another."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    return os.fdopen(fd, "wb")


def write_private(path: Path, data: bytes) -> None:
    """`data` in a new file that only this user can read (`create_private`)."""
    with create_private(path) as out:
        out.write(data)


def _refuse(message: str, file: str = UPLOAD_FILE) -> DataError:
    return DataError([Finding("error", file, message)], unreadable=True)


def base_name(name: str) -> str:
    """The last part of a browser-given name ('folder/sub/adsl.xpt', 'C:\\x\\adsl.xpt')."""
    return PurePosixPath(str(name).replace("\\", "/")).name


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.3g} MB"


def _why_not_data(name: str) -> str | None:
    """Why a file is set aside rather than written, or None if it is a data file."""
    if name.startswith(".") or name in ("Thumbs.db", "desktop.ini"):
        return "a system file"
    if PurePosixPath(name).suffix.lower() not in DATA_SUFFIXES:
        return "not a data file (accepted: " + ", ".join(DATA_SUFFIXES + (ARCHIVE_SUFFIX,)) + ")"
    return None


class _Writer:
    """Writes data files flat into the folder, keeping count of names and unpacked bytes."""

    def __init__(self, folder: Path, limits: UploadLimits):
        self.limits = limits
        self.staged = StagedUpload(folder)
        self.unpacked = 0
        self.problems: list[Finding] = []

    def add(self, shown_name: str, chunks: Iterable[bytes]) -> None:
        name = base_name(shown_name)
        reason = _why_not_data(name)
        if reason:
            self.staged.ignored.append((shown_name, reason))
            return
        if not _SAFE_NAME.match(name):
            self.problems.append(
                Finding(
                    "error",
                    shown_name,
                    "the file name has characters "
                    "that are not accepted (use letters, digits, . _ -)",
                )
            )
            return
        if name.lower() in (w.lower() for w in self.staged.written):
            self.problems.append(
                Finding("error", shown_name, f"a second file named {name}: keep one file per name")
            )
            return
        if len(self.staged.written) >= self.limits.max_files:
            raise _refuse(f"more than {self.limits.max_files} data files")
        self._write(name, chunks)
        self.staged.written.append(name)
        self.staged.sent_as.append(shown_name.replace("\\", "/"))

    def _write(self, name: str, chunks: Iterable[bytes]) -> None:
        with create_private(self.staged.folder / name) as out:
            for chunk in chunks:
                self.unpacked += len(chunk)
                if self.unpacked > self.limits.max_unpacked_bytes:
                    raise _refuse(
                        "the files unpack to more than "
                        f"{_megabytes(self.limits.max_unpacked_bytes)}"
                    )
                out.write(chunk)


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterable[bytes]:
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            yield chunk


def _stream_chunks(stream: IO[bytes]) -> Iterable[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


_END_OF_ZIP = b"PK\x05\x06"


def declared_entries(stream: IO[bytes]) -> int | None:
    """The number of entries a zip's end record declares (read before the zip's directory is
    parsed, which takes memory per entry), or None if there is no plain end record."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 65_557))
    tail = stream.read()
    at = tail.rfind(_END_OF_ZIP)
    stream.seek(0)
    if at < 0 or len(tail) < at + 12:
        return None
    return struct.unpack("<H", tail[at + 10 : at + 12])[0]


def _unpack(writer: _Writer, name: str, stream: IO[bytes]) -> None:
    most = writer.limits.max_files * 4
    declared = declared_entries(stream)
    if declared is not None and declared > most:
        raise _refuse(f"{name} holds {declared} files; too many to be a dataset", name)
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        writer.problems.append(Finding("error", name, "is not a readable zip archive"))
        return
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > most:
            raise _refuse(f"{name} holds {len(members)} files; too many to be a dataset", name)
        for info in members:
            shown = f"{name}/{info.filename}"
            if info.flag_bits & 0x1:
                writer.problems.append(Finding("error", shown, "is encrypted"))
            elif PurePosixPath(info.filename).suffix.lower() == ARCHIVE_SUFFIX:
                writer.staged.ignored.append((shown, "an archive inside an archive"))
            else:
                try:
                    writer.add(shown, _member_chunks(archive, info))
                except (
                    zipfile.BadZipFile,
                    zipfile.LargeZipFile,
                    OSError,
                    EOFError,
                    NotImplementedError,
                ) as err:
                    writer.problems.append(
                        Finding("error", shown, f"cannot be unpacked ({type(err).__name__})")
                    )


def _as_stream(data: bytes | IO[bytes]) -> IO[bytes]:
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data


# --- what compressed files expand to ----------------------------------------------------------

MAX_WORKBOOK_PARTS = 10_000  # a workbook's zip entries: a real one has a few dozen


def _xlsx_size(path: Path) -> int:
    with open(path, "rb") as f:
        parts = declared_entries(f)  # before the directory, which takes memory per entry
    if parts is not None and parts > MAX_WORKBOOK_PARTS:
        raise _refuse(f"the workbook holds {parts:,} parts; too many to be a table", path.name)
    with zipfile.ZipFile(path) as book:
        return sum(i.file_size for i in book.infolist())


def _parquet_size(path: Path) -> int:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    # Repeated values are stored once (dictionaries); in memory each cell takes 8 bytes or more.
    return max(encoded, meta.num_rows * meta.num_columns * 8)


def _sas7bdat_size(path: Path) -> int:
    import pyreadstat

    _, meta = pyreadstat.read_sas7bdat(str(path), metadataonly=True)
    return int(meta.number_rows or 0) * max(1, len(meta.column_names)) * 8


_EXPANDED = {".xlsx": _xlsx_size, ".parquet": _parquet_size, ".sas7bdat": _sas7bdat_size}


def expanded_size(path: Path) -> int:
    """About how many bytes a data file takes once read: compressed formats (Excel, Parquet,
    compressed SAS) can expand far beyond their size on disk. Unreadable: its own size (the
    loader then says what is wrong with it)."""
    measure = _EXPANDED.get(path.suffix.lower())
    try:
        return max(path.stat().st_size, measure(path) if measure else 0)
    except DataError:
        raise
    except Exception:  # any malformed file: pyarrow, pyreadstat and zipfile raise their own
        return path.stat().st_size


def check_expanded(staged: StagedUpload, limits: UploadLimits) -> None:
    total = sum(expanded_size(staged.folder / name) for name in staged.written)
    if total > limits.max_unpacked_bytes:
        raise _refuse(
            f"the data files expand to about {_megabytes(total)} when read; the "
            f"limit is {_megabytes(limits.max_unpacked_bytes)}"
        )


def stage_upload(
    files: Sequence[UploadedFile], folder: Path, limits: UploadLimits = UploadLimits()
) -> StagedUpload:
    """Write the uploaded (name, bytes or binary stream) files into the empty `folder`,
    unpacking zip archives, and check what they expand to when read.

    Raises `DataError` (unreadable) naming every file that cannot be used, or when nothing
    usable was sent. The caller owns `folder` and removes it.
    """
    writer = _Writer(folder, limits)
    for name, data in files:
        stream = _as_stream(data)
        if base_name(name).lower().endswith(ARCHIVE_SUFFIX):
            _unpack(writer, base_name(name), stream)
        else:
            writer.add(name, _stream_chunks(stream))
    if writer.problems:
        raise DataError(writer.problems, unreadable=True)
    if not writer.staged.written:
        ignored = "; ".join(f"{n} ({why})" for n, why in writer.staged.ignored[:5])
        raise _refuse("no data file was found" + (f" — set aside: {ignored}" if ignored else ""))
    check_expanded(writer.staged, limits)
    return writer.staged
