"""Bounds on the work one input may cause, and which file a check is working on.

`Limits` holds every bound: the structural ones, checked before a file is parsed (columns, rows,
cells, Excel cells and sheets, study.json's size) or right after a cheap read (parameters,
visits, centers), and the resource ones, enforced on the whole check by `trial.bounded` (wall
clock, memory). Defaults fit any real trial this dashboard serves (a registry of 1,000,000
patients with 27 million measurements uses about half of the rows); `Limits.for_uploads()` is
what the server applies to datasets uploaded in a browser.

`Progress` tells the caller which file is being read or checked (so that a check stopped by a
limit can name it) and turns any unexpected exception at that step into a finding naming the
file: a malformed input never surfaces as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from .model import DataError, Finding

# Magnitudes no trial has, refused wherever they appear (not settings): a study day beyond
# 100 years, a visit beyond month 1,200, a value beyond 10^15 (viral loads and cell counts per
# litre stay far below), an ADaM visit number beyond 100,000. Bounded so that nothing absurd
# reaches the statistics and figures.
MAX_DAY = 36_525
MAX_MONTH = 1_200
MAX_VALUE = 1e15
MAX_VISIT_NUMBER = 100_000


@dataclass(frozen=True)
class Limits:
    # the whole check (trial.bounded): wall clock and memory it may add to the process
    seconds: float = 300.0
    memory_mb: int = 8192
    # structure, per table or dataset file (checked before parsing)
    columns: int = 1_000
    # A registry of 1,000,000 patients has 27 million measurements (163 million cells) and
    # fits; uploads keep the earlier bounds (`for_uploads`).
    rows: int = 50_000_000
    cells: int = 400_000_000  # rows × columns
    excel_cells: int = 250_000  # Excel is read at about 15,000-40,000 cells a second
    sheets: int = 64
    json_bytes: int = 1_000_000  # study.json, adam.json
    # what the views draw one of per item (checked after a cheap read)
    parameters: int = 1_000  # measures in study.json, or ADaM parameters (PARAMCD)
    visits: int = 500
    centers: int = 5_000

    @classmethod
    def for_uploads(cls) -> Limits:
        """Datasets uploaded in a browser: checked within a request, so well inside the
        production server's worker timeout (60 s), and with less memory each (a server checks
        a few at a time; see trial/sessions.py)."""
        return cls(seconds=40.0, memory_mb=3072, rows=10_000_000, cells=60_000_000)

    def with_(self, **changes) -> Limits:
        return replace(self, **changes)


def over(file: str, what: str, found: int, limit: int, advice: str = "", **kw) -> Finding:
    """The error finding for a file beyond one of the limits."""
    tail = f"; {advice}" if advice else ""
    return Finding(
        "error",
        file,
        f"{what}: {found:,}, more than the limit of {limit:,} (nothing was read further){tail}",
        rule="limit",
        **kw,
    )


class Fallback(Exception):
    """Raised inside `Progress.working_on` to have the caller take another path (trial/screen.py
    declining a file it cannot vouch for): passes through unchanged, never made a finding."""


class Progress:
    """Which file a load is working on, reported to `on_file` (e.g. the process waiting for a
    bounded check), and the boundary that turns an unexpected exception into a finding."""

    def __init__(self, on_file: Callable[[str], None] | None = None):
        self._on_file = on_file
        self.current = ""

    @contextmanager
    def working_on(self, file: str, doing: str = "reading") -> Iterator[None]:
        previous = self.current
        self.current = file
        if self._on_file is not None:
            self._on_file(file)
        try:
            yield
        except (DataError, MemoryError, Fallback):
            raise  # findings already; memory: reported by the bounded check with its limit
        except Exception as err:  # a defect or a file no reader foresaw: never a traceback
            raise DataError(
                [
                    Finding(
                        "error",
                        file,
                        f"could not be checked: an unexpected problem "
                        f"({type(err).__name__}) stopped the {doing} of this file; the "
                        f"file may be damaged. Nothing was loaded. If the file opens "
                        f"in other software, please report this to the data team.",
                        rule="unexpected",
                    )
                ],
                unreadable=True,
            ) from None
        finally:
            self.current = previous or self.current
