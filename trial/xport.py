"""The layout of a SAS transport (XPORT) file, from its header records alone.

pyreadstat reads a transport file cut short on a record boundary without a word (the rows after
the cut are simply absent), and reads only the first dataset of a file that holds several. A
transport file is a sequence of 80-byte records: library header, then per dataset (member) a
member header, a descriptor, one NAMESTR per variable (whose lengths give the length of an
observation), an OBS header and the observations, packed one after the other and padded with
blanks to a whole record. Version 8 files state their number of observations in the OBS header;
version 5 files do not, so there the count is what fits between the OBS header and the end.

`read_layout` gives what the file should hold, so that the loader can refuse a file that is not
whole and compare the rows read with the rows present. One case cannot be told: a version 5
file cut exactly at the end of an observation that also ends an 80-byte record.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD = 80
_HEADER = b"HEADER RECORD*******"
_LIBRARY = (_HEADER + b"LIBRARY HEADER RECORD", _HEADER + b"LIBV8   HEADER RECORD")
_MEMBER = (_HEADER + b"MEMBER  HEADER RECORD", _HEADER + b"MEMBV8  HEADER RECORD")
_NAMESTR = (_HEADER + b"NAMESTR HEADER RECORD", _HEADER + b"NAMSTV8 HEADER RECORD")
_OBS = (_HEADER + b"OBS     HEADER RECORD", _HEADER + b"OBSV8   HEADER RECORD")
MAX_VARIABLES = 100_000  # beyond any limit; only bounds the header walk


@dataclass(frozen=True)
class XportLayout:
    version: int  # 5 or 8
    dataset: str  # the first member's name, e.g. "ADSL"
    variables: int
    record_length: int  # bytes per observation
    rows_min: int  # observations present (blank records at the very end may be padding)
    rows_max: int
    members: tuple[str, ...]  # every dataset in the file
    problem: str | None = None  # why the file is not whole, in words


def _find_record(data: bytes, marks: tuple[bytes, ...], start: int) -> tuple[int, int]:
    """(offset, index of the mark) of the first record at or after `start` that begins with
    one of `marks` and starts on a record boundary; (-1, -1) if none."""
    best = (-1, -1)
    for i, mark in enumerate(marks):
        at = data.find(mark, start)
        while at >= 0 and at % RECORD:
            at = data.find(mark, at + 1)
        if at >= 0 and (best[0] < 0 or at < best[0]):
            best = (at, i)
    return best


def _number(field: bytes) -> int | None:
    digits = field.strip()
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def _blank(chunk: bytes) -> bool:
    return chunk.strip(b" ") == b""


def _member_name(data: bytes, member_at: int, version: int) -> str:
    # the descriptor record after the member and DSCRPTR headers: "SAS     <name>  SASDATA ...",
    # the name in 8 characters (version 5) or 32 (version 8)
    at = member_at + 2 * RECORD + 8
    words = data[at : at + (8 if version == 5 else 32)].split()
    return words[0].decode("ascii", "replace") if words else "?"


def _record_length(data: bytes, at: int, count: int, size: int) -> int | None:
    """Observation length from the `count` NAMESTRs of `size` bytes starting at `at`."""
    end = at + count * size
    if count > MAX_VARIABLES or end > len(data):
        return None
    length = 0
    for pos in range(at, end, size):
        nlng = int.from_bytes(data[pos + 4 : pos + 6], "big")
        npos = int.from_bytes(data[pos + 84 : pos + 88], "big")
        length = max(length, npos + nlng)
    return length


def _rows(obs: bytes, length: int) -> tuple[int, int, bool]:
    """(fewest, most) observations in `obs` and whether it ends with a whole observation
    followed only by blank padding."""
    most, rest = divmod(len(obs), length)
    if not _blank(obs[most * length :]):
        return most, most, False
    fewest = most
    # the blank padding ends the last record: fewer than 80 bytes after the last observation
    while (
        fewest > 0
        and len(obs) - (fewest - 1) * length < RECORD
        and _blank(obs[(fewest - 1) * length : fewest * length])
    ):
        fewest -= 1
    return fewest, most, True


def read_layout(data: bytes) -> XportLayout | None:
    """The layout of the transport file `data`, or None if it is not one (its library header
    is missing; the reader then says what is wrong)."""
    if not data.startswith(_LIBRARY):
        return None
    version = 8 if data.startswith(_LIBRARY[1]) else 5
    member_at, _ = _find_record(data, _MEMBER, RECORD)
    names_at, _ = _find_record(data, _NAMESTR, max(member_at, 0))
    if member_at < 0 or names_at < 0:
        return XportLayout(
            version,
            "?",
            0,
            0,
            0,
            0,
            (),
            "the file ends inside its header (no variable descriptions): it is incomplete",
        )
    header = data[member_at : member_at + RECORD]
    size = _number(header[74:78]) or 140
    count = _number(data[names_at + 48 : names_at + 58]) or 0
    length = _record_length(data, names_at + RECORD, count, size)
    obs_at, _ = _find_record(data, _OBS, names_at + RECORD)
    members = [_member_name(data, member_at, version)]
    if length is None or obs_at < 0:
        return XportLayout(
            version,
            members[0],
            count,
            0,
            0,
            0,
            tuple(members),
            "the file ends inside its header (before its first observation): it is incomplete",
        )
    start = obs_at + RECORD
    end, _ = _find_record(data, _MEMBER, start)
    following = end
    while following >= 0 and len(members) < 1000:
        members.append(_member_name(data, following, version))
        following, _ = _find_record(data, _MEMBER, following + RECORD)
    obs = data[start : end if end >= 0 else len(data)]
    fewest, most, whole = _rows(obs, length) if length else (0, 0, True)
    declared = _number(data[obs_at + 48 : obs_at + 64]) if version == 8 else None
    problem = None
    if len(data) % RECORD:
        problem = (
            f"the file is incomplete: its size ({len(data):,} bytes) is not a whole "
            f"number of 80-byte records, as in every SAS transport file (cut short?)"
        )
    elif not whole:
        problem = "the file is incomplete: its last observation is cut short"
    elif declared is not None and not fewest <= declared <= most:
        problem = (
            f"the file is incomplete: its header states {declared:,} observations, "
            f"but {most:,} are present"
        )
    if declared is not None and problem is None:
        fewest = most = declared
    return XportLayout(version, members[0], count, length, fewest, most, tuple(members), problem)
