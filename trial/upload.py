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

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

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


def _refuse(message: str, file: str = UPLOAD_FILE) -> DataError:
    return DataError([Finding("error", file, message)], unreadable=True)


def base_name(name: str) -> str:
    """The last part of a browser-given name ('folder/sub/adsl.xpt', 'C:\\x\\adsl.xpt')."""
    return PurePosixPath(str(name).replace("\\", "/")).name


def decoded_size(data_url: str) -> int:
    """The size in bytes a base64 data URL decodes to, without decoding it."""
    payload = data_url.partition(",")[2]
    return len(payload) * 3 // 4 - payload[-2:].count("=")


def decode_data_url(name: str, data_url: str) -> bytes:
    """The bytes of an uploaded file given as 'data:<type>;base64,<payload>'."""
    head, sep, payload = str(data_url).partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        raise _refuse("was not received as a file (not a base64 data URL)", base_name(name))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("arrived damaged (its base64 encoding is invalid)",
                      base_name(name)) from None


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.3g} MB"


def check_sizes(files: list[tuple[str, str]], limits: UploadLimits) -> None:
    """Refuse an upload of (name, data URL) pairs that is too large, before decoding it."""
    if not files:
        raise _refuse("no file was received")
    if len(files) > limits.max_files:
        raise _refuse(f"{len(files)} files were sent; at most {limits.max_files} are accepted")
    total = sum(decoded_size(url) for _name, url in files)
    if total > limits.max_bytes:
        raise _refuse(f"the files add up to {_megabytes(total)}; the limit is "
                      f"{_megabytes(limits.max_bytes)} (a zip archive of the same files is "
                      f"usually far smaller)")


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
            self.problems.append(Finding("error", shown_name, "the file name has characters "
                                         "that are not accepted (use letters, digits, . _ -)"))
            return
        if name.lower() in (w.lower() for w in self.staged.written):
            self.problems.append(Finding("error", shown_name, f"a second file named {name}: "
                                         "keep one file per name"))
            return
        if len(self.staged.written) >= self.limits.max_files:
            raise _refuse(f"more than {self.limits.max_files} data files")
        self._write(name, chunks)
        self.staged.written.append(name)
        self.staged.sent_as.append(shown_name.replace("\\", "/"))

    def _write(self, name: str, chunks: Iterable[bytes]) -> None:
        # Exclusive creation inside our own folder: the name has no path and cannot overwrite.
        with open(self.staged.folder / name, "xb") as out:
            for chunk in chunks:
                self.unpacked += len(chunk)
                if self.unpacked > self.limits.max_unpacked_bytes:
                    raise _refuse("the files unpack to more than "
                                  f"{_megabytes(self.limits.max_unpacked_bytes)}")
                out.write(chunk)


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterable[bytes]:
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            yield chunk


def _unpack(writer: _Writer, name: str, data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        writer.problems.append(Finding("error", name, "is not a readable zip archive"))
        return
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > writer.limits.max_files * 4:
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
                except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                        NotImplementedError) as err:
                    writer.problems.append(Finding("error", shown, f"cannot be unpacked "
                                                   f"({type(err).__name__})"))


def stage_upload(files: list[tuple[str, bytes]], folder: Path,
                 limits: UploadLimits = UploadLimits()) -> StagedUpload:
    """Write the uploaded (name, bytes) files into the empty `folder`, unpacking zip archives.

    Raises `DataError` (unreadable) naming every file that cannot be used, or when nothing
    usable was sent. The caller owns `folder` and removes it.
    """
    writer = _Writer(folder, limits)
    for name, data in files:
        if base_name(name).lower().endswith(ARCHIVE_SUFFIX):
            _unpack(writer, base_name(name), data)
        else:
            writer.add(name, [data])
    if writer.problems:
        raise DataError(writer.problems, unreadable=True)
    if not writer.staged.written:
        ignored = "; ".join(f"{n} ({why})" for n, why in writer.staged.ignored[:5])
        raise _refuse("no data file was found" + (f" — set aside: {ignored}" if ignored else ""))
    return writer.staged
