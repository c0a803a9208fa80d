"""Work for the bounded-check tests, in a module of its own: a check's child comes from a fork
server, which receives the function by name and imports its module, so the work must be
importable, and cheap to import (the child's import counts against a time limit of 1 s), and a
monkeypatch in the test process is not seen there. A test that needs the check replaced
sets `trial.loader._convert` (the check's child function) to one of the conversions below,
which the child then imports by name."""

from __future__ import annotations

import os
import time

from trial.limits import Progress


def sleep_on(file: str, seconds: float, progress: Progress) -> str:
    with progress.working_on(file):
        time.sleep(seconds)
    return "done"


def allocate(progress: Progress) -> None:
    with progress.working_on("big.csv"):
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))


def abort(progress: Progress) -> None:
    with progress.working_on("adsl.xpt"):
        os.abort()


def fail(progress: Progress) -> None:
    with progress.working_on("events.csv"):
        raise KeyError("a defect")


def slow_convert(*_args, progress: Progress) -> None:
    """A check that works on patients.csv for 30 s."""
    with progress.working_on("patients.csv"):
        time.sleep(30)


def hanging_convert(*_args, progress: Progress) -> None:
    """A check that says which process checks, then hangs for 10 minutes."""
    print("checking", os.getpid(), flush=True)
    time.sleep(600)
