"""Run a check in a separate process bounded in time and memory.

    result = run_bounded(load, (path, config, limits), limits, "trial-folder")

The child process limits its own address space (`resource.setrlimit(RLIMIT_AS)`: its size at
the start plus `limits.memory_mb`) and CPU time, and ends itself when the process that started
it ends (a killed worker) or by `alarm` if it outlives the wall-clock limit; the caller stops
it at `limits.seconds`. While it works, it tells the caller which file it is on, so that a check
that is stopped is reported as a `DataError` naming that file and the limit that stopped it.
Whatever happens in the child (a malformed file, a memory error, a crash of a C reader), the
caller gets a result or a `DataError`, never another exception, and is never at risk itself.

The result comes back pickled (protocol 5: numeric columns as raw buffers); a trial's load sends
only a word, having written the trial to the store of validated trials (trial/store.py), which
the caller reads. The child comes from a fork server, which a process starts at its first check
(about 0.6 s: `trial check` of the demo with an empty store took 1.4 s with the process forked,
2.0 s); each check then starts in milliseconds, from a process holding no other thread's lock.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import pyarrow as pa

from .limits import Limits, Progress
from .model import DataError, Finding

GRACE_SECONDS = 5  # the child's own alarm: after the caller's deadline, in case it is gone
NICENESS = 10  # a check yields the processor to the server's other work
_PRELOAD = ["trial.loader"]  # what the fork server imports once, so that each check starts fast


def _context():
    """A fork server's context: forking this process itself could copy a lock one of its other
    threads holds. Python's `threading` sees only its own threads, not the native pools that
    numpy (OpenBLAS, at import), Arrow and DuckDB start: a test process with 21 threads, one of
    them Python's, forked its checks, and about one in 150 crashed (SIGSEGV)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _address_space() -> int:
    """This process's current address space, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _end_with_caller() -> None:
    """End this process when the caller ends (a killed worker). The parent of a check is the
    fork server, which outlives a killed caller while any check holds its pipe, so the
    parent-death signal (PR_SET_PDEATHSIG) would come only at the alarm; the caller's sentinel,
    a pipe only the caller holds open (`multiprocessing.parent_process()`), says it at once."""
    caller = multiprocessing.parent_process()
    if caller is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([caller.sentinel])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _plain_arrow_allocator() -> None:
    """Arrow (Parquet reading) allocates from the C library's heap in the child: its default
    allocator, jemalloc, keeps address space it no longer uses, which the address-space limit
    counts (reading 1,000,000 patients' measurements then stopped the check at 8 GB with 5 GB
    resident; with the C library's heap the whole check peaks at about 7.2 GB of it)."""
    pa.set_memory_pool(pa.system_memory_pool())


def _bound_self(limits: Limits) -> None:
    faulthandler.disable()  # a reader that crashes is reported by the caller, not dumped here
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)  # not the server's handlers: just end
    _end_with_caller()
    os.nice(NICENESS)  # the requests of people exploring go first
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing reader dumps no patient data
    _plain_arrow_allocator()
    memory = _address_space() + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.seconds) + GRACE_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + GRACE_SECONDS))
    signal.alarm(cpu)


def _send(conn: Connection, message: tuple) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=5))


def _child(conn: Connection, fn: Callable, args: tuple, limits: Limits) -> None:
    progress = Progress(lambda file: _send(conn, ("file", file)))
    try:
        _bound_self(limits)
        message: tuple = ("ok", fn(*args, progress=progress))
    except DataError as err:
        message = ("data_error", err.findings, err.unreadable)
    except MemoryError:
        message = ("memory", progress.current)
    except BaseException as err:
        message = ("crash", type(err).__name__, progress.current)
    try:
        payload = pickle.dumps(message, protocol=5)
    except MemoryError:
        payload = pickle.dumps(("memory", progress.current), protocol=5)
    conn.send_bytes(payload)
    conn.close()


def _stopped(file: str, why: str) -> DataError:
    return DataError([Finding("error", file, why, rule="limit")], unreadable=True)


def _memory(file: str, limits: Limits) -> DataError:
    return _stopped(
        file,
        f"the check was stopped: it needed more than {limits.memory_mb:,} MB "
        f"of memory, its limit, while working on this file; nothing was "
        f"loaded",
    )


def _result(message: tuple, limits: Limits, file: str) -> Any:
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "data_error":
        raise DataError(message[1], unreadable=message[2])
    if kind == "memory":
        raise _memory(message[1] or file, limits)
    raise _stopped(
        message[2] or file,
        f"could not be checked: an unexpected problem "
        f"({message[1]}) stopped the check of this file; the "
        f"file may be damaged. Nothing was loaded.",
    )


def _exit_finding(code: int | None, file: str, limits: Limits) -> DataError:
    """Why a child that ended without an answer ended."""
    if code in (-signal.SIGXCPU, -signal.SIGALRM):
        return _stopped(
            file,
            f"the check was stopped after {limits.seconds:g} s, its time "
            f"limit, while working on this file; nothing was loaded",
        )
    if code in (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
        # a C reader that cannot allocate aborts; the address-space limit is the likely cause
        return _stopped(
            file,
            f"the check of this file ended abnormally (it may have needed "
            f"more than {limits.memory_mb:,} MB of memory, its limit, or the "
            f"file crashed its reader); nothing was loaded",
        )
    return _stopped(file, "the check of this file ended without an answer; nothing was loaded")


def run_bounded(fn: Callable, args: tuple, limits: Limits, name: str) -> Any:
    """`fn(*args, progress=...)` in a bounded child process: its result, or the `DataError`
    it raised, or a `DataError` saying which limit stopped it while on which file (`name`
    before the first file)."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args, limits), daemon=True)
    child.start()
    send.close()
    deadline = time.monotonic() + limits.seconds
    current = name
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _stopped(
                    current,
                    f"the check was stopped after {limits.seconds:g} s, its "
                    f"time limit, while working on this file; nothing was "
                    f"loaded",
                )
            if not receive.poll(min(remaining, 0.5)):
                continue
            try:
                message = pickle.loads(receive.recv_bytes())
            except (EOFError, OSError):
                child.join(5)
                raise _exit_finding(child.exitcode, current, limits) from None
            except MemoryError:
                raise _memory(current, limits) from None
            if message[0] == "file":
                current = message[1]
                continue
            return _result(message, limits, current)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
