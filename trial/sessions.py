"""Datasets uploaded in a browser, each kept for its own session in a temporary area.

A session is a random token (held by the browser in a cookie) and a folder under the store's
root: `<root>/<hash of token>/data/` holds the validated files, `meta.json` beside it the
dataset's display name, its owner (hashed) and, as its modification time, when it was last used;
`store/` the validated trial (trial/store.py), so that other workers do not check it again.
The folder is the truth, so that every worker process of a server finds the session; each
process keeps the few most recently used trials loaded. A session not used for `ttl_seconds` is
deleted with its files; closing it deletes them at once. Only the token's hash is ever a path.

Uploads are checked by `load_trial_bounded` (a separate process with time and memory limits,
`SessionSettings.check_limits`), one at a time per user (a second is refused at once) and at
most `max_checking` at a time on the whole server: the processes sharing the root take one of
its slots (`.slots/`, files locked with `flock`, which the system releases when a process
dies). While a folder is being filled it holds
`checking.json` (process id and host) instead of `meta.json`; a folder whose check will never
finish (its process is gone, or it is older than the longest check) is removed at the next
sweep and never counts against the limits.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .limits import Limits
from .loader import load_trial_bounded
from .model import DataError, Finding, Trial
from .private import private_folder
from .store import Store
from .upload import (
    UPLOAD_FILE,
    StagedUpload,
    UploadedFile,
    UploadLimits,
    stage_upload,
    write_private,
)

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
META = "meta.json"
DATA = "data"
CHECKING = "checking.json"  # in a session folder while its upload is being checked
SLOTS = ".slots"  # in the root: one lock file per upload checked at a time
STORE = "store"  # in a session folder: its validated trial (trial/store.py)


class Dataset:
    """A loaded trial as served: its display name, whether it was uploaded, and the values the
    views derive from it once (plain values such as the filter choices; never UI components),
    kept with it."""

    def __init__(self, trial: Trial, name: str, uploaded: bool = False, key: str = "app"):
        self.trial = trial
        self.name = name
        self.uploaded = uploaded
        self.key = key  # names the dataset in its pages (never a token or a path)
        self._derived: dict[str, object] = {}
        self._lock = threading.Lock()

    def derived(self, key: str, build: Callable[[Dataset], object]):
        """`build(self)`, computed on first use and then reused (it must not depend on more
        than this dataset)."""
        with self._lock:
            if key in self._derived:
                return self._derived[key]
        value = build(self)
        with self._lock:
            return self._derived.setdefault(key, value)


def _load_upload(limits: Limits, data: Path) -> Trial:
    """An upload's trial, checked once: its store is inside its session folder, so every worker
    that serves the session reads it converted, and it is deleted with the session's files
    (uploaded patient data never outlive their session in a shared cache)."""
    return load_trial_bounded(data, limits, store=Store(data.parent / STORE))


@dataclass(frozen=True)
class SessionSettings:
    ttl_seconds: float = 2 * 3600
    max_sessions: int = 16  # datasets kept on disk at once, all users together
    max_per_owner: int = 3  # a user's oldest upload goes when they open one more
    max_loaded: int = 4  # trials kept in memory per process
    max_checking: int = 2  # uploads checked at the same time on the server; others wait
    slot_wait_seconds: float = 1.0  # ... this long, then are refused ("try again")
    limits: UploadLimits = UploadLimits()
    check_limits: Limits = Limits.for_uploads()

    @property
    def abandoned_after(self) -> float:
        """A folder still without meta.json after this long belongs to no running check."""
        return self.slot_wait_seconds + self.check_limits.seconds + 60


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


PID_FILE = "owner.pid"
TEMP_PREFIX = "trial-uploads-"


def _checking_marker() -> bytes:
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_abandoned(temp: Path | None = None) -> None:
    """Delete temporary upload folders left by dashboards that ended without cleaning up (a
    crash, a kill -9): this user's folders whose owning process is gone."""
    for folder in Path(temp or tempfile.gettempdir()).glob(TEMP_PREFIX + "*"):
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            pid = int((folder / PID_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not _process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


class SessionStore:
    """Uploaded datasets by session token; see the module docstring."""

    def __init__(
        self,
        root: Path,
        settings: SessionSettings = SessionSettings(),
        *,
        clock: Callable[[], float] = time.time,
        load: Callable[[Path], Trial] | None = None,
    ):
        self.root = private_folder(Path(root))
        self.settings = settings
        self._clock = clock
        self._load = load or functools.partial(_load_upload, settings.check_limits)
        self._loaded: OrderedDict[str, Dataset] = OrderedDict()
        self._owners: dict[str, str] = {}  # session folder -> owner hash (read once from disk)
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._last_sweep = float("-inf")
        self.sweep(force=True)  # what an earlier run left behind

    @classmethod
    def temporary(cls, settings: SessionSettings = SessionSettings(), **kw) -> SessionStore:
        """A store in a new private folder of the system's temporary area, marked with this
        process's id so that a later run can remove it if this one dies without cleaning up."""
        remove_abandoned()
        root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        write_private(root / PID_FILE, str(os.getpid()).encode())
        return cls(root, settings, **kw)

    # --- sessions ----------------------------------------------------------------------------

    def create(
        self, files: Sequence[UploadedFile], owner: str
    ) -> tuple[str, Dataset, StagedUpload]:
        """Validate and keep an upload: (token, dataset, what was written and set aside).

        Raises `DataError` with every finding when the files cannot be used; nothing is kept.
        """
        # Checking an upload takes memory and time in proportion to it: one at a time per
        # user, refused at once beyond it; a few at a time on the server, briefly waited for.
        with self._user_slot(owner), self._server_slot():
            return self._create(files, owner)

    def _lock_file(self, name: str) -> int:
        slots = self.root / SLOTS
        slots.mkdir(mode=0o700, exist_ok=True)
        return os.open(slots / name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)

    def _try_lock(self, name: str) -> int | None:
        """The descriptor of lock file `name`, locked (the system releases it if this process
        dies), or None if another check holds it."""
        fd = self._lock_file(name)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    @contextmanager
    def _user_slot(self, owner: str) -> Iterator[None]:
        fd = self._try_lock("user-" + _hash(owner))
        if fd is None:
            raise DataError(
                [
                    Finding(
                        "error",
                        UPLOAD_FILE,
                        (
                            "your previous upload is still being checked: wait for its "
                            "answer before sending another"
                        ),
                    )
                ],
                unreadable=True,
            )
        try:
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def _server_slot(self) -> Iterator[None]:
        """One of the server's `max_checking` slots, waited for `slot_wait_seconds`; else the
        upload is refused, saying why."""
        deadline = time.monotonic() + self.settings.slot_wait_seconds
        while True:
            for i in range(self.settings.max_checking):
                fd = self._try_lock(str(i))
                if fd is None:
                    continue
                try:
                    yield
                    return
                finally:
                    os.close(fd)
            if time.monotonic() > deadline:
                raise DataError(
                    [
                        Finding(
                            "error",
                            UPLOAD_FILE,
                            (
                                f"the server is checking {self.settings.max_checking} other "
                                f"uploads, as many as it checks at a time; try again in a minute"
                            ),
                        )
                    ],
                    unreadable=True,
                )
            time.sleep(0.05)

    def _create(
        self, files: Sequence[UploadedFile], owner: str
    ) -> tuple[str, Dataset, StagedUpload]:
        self.sweep(force=True)
        self._make_room(_hash(owner))
        token = secrets.token_urlsafe(32)
        folder = self.root / _hash(token)
        folder.mkdir(mode=0o700)
        try:
            write_private(folder / CHECKING, _checking_marker())
            now = self._clock()
            os.utime(folder / CHECKING, (now, now))
            (folder / DATA).mkdir(mode=0o700)
            staged = stage_upload(files, folder / DATA, self.settings.limits)
            trial = replace(self._load(folder / DATA), source=staged.display_name)
            meta = {"name": staged.display_name, "owner": _hash(owner), "files": staged.written}
            write_private(folder / META, json.dumps(meta).encode())
            self._touch(folder, force=True)
            (folder / CHECKING).unlink()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        dataset = Dataset(trial, staged.display_name, uploaded=True, key=folder.name)
        self._keep(folder.name, dataset)
        return token, dataset, staged

    def get(self, token: str | None, owner: str) -> Dataset | None:
        """The dataset of session `token` if it exists, has not expired and belongs to `owner`."""
        folder = self._own_folder(token, owner)
        if folder is None:
            return None
        if self._expired(folder):
            self._remove(folder)
            return None
        self._touch(folder)
        with self._lock:
            dataset = self._loaded.get(folder.name)
            if dataset is not None:
                self._loaded.move_to_end(folder.name)
                return dataset
            loading = self._loading.setdefault(folder.name, threading.Lock())
        # Another process made this session, or it left memory: load it here, once (a page
        # fires many callbacks at the same moment).
        with loading:
            with self._lock:
                dataset = self._loaded.get(folder.name)
            if dataset is None:
                dataset = self._reload(folder)
        with self._lock:
            self._loading.pop(folder.name, None)
        return dataset

    def _reload(self, folder: Path) -> Dataset | None:
        """The session's dataset read again from its folder (checked when it was uploaded);
        None if a bound of the check (time, memory) stops it now."""
        name = (self._meta(folder) or {}).get("name", "")
        try:
            trial = replace(self._load(folder / DATA), source=name)
        except DataError:
            return None
        return self._keep(folder.name, Dataset(trial, name, uploaded=True, key=folder.name))

    def _own_folder(self, token: str | None, owner: str) -> Path | None:
        if not token or not _TOKEN.match(token):
            return None
        self.sweep()
        folder = self.root / _hash(token)
        # Every callback asks: the owner is read from disk once; whether the session still
        # exists and when it was used are one stat of meta.json (see `get`).
        known = self._owners.get(folder.name)
        if known is None:
            known = (self._meta(folder) or {}).get("owner")
            if known is None:
                return None
            with self._lock:
                self._owners[folder.name] = known
        return folder if known == _hash(owner) else None

    def _make_room(self, owner_hash: str) -> None:
        """Room for one more session: the owner's oldest beyond their share goes; if the
        server's limit is still reached, the upload is refused."""
        folders = sorted(self._session_folders(), key=self._last_used)
        mine = [f for f in folders if (self._meta(f) or {}).get("owner") == owner_hash]
        for folder in mine[: max(0, len(mine) - self.settings.max_per_owner + 1)]:
            self._remove(folder)
        if len(self._session_folders()) >= self.settings.max_sessions:
            raise DataError(
                [
                    Finding(
                        "error",
                        UPLOAD_FILE,
                        (
                            f"the server already keeps {self.settings.max_sessions} uploaded "
                            f"datasets, its limit; try again when one has been closed or has "
                            f"expired"
                        ),
                    )
                ],
                unreadable=True,
            )

    def close(self, token: str | None, owner: str) -> None:
        """Delete session `token` of `owner` and its files now."""
        folder = self._own_folder(token, owner)
        if folder is not None:
            self._remove(folder)

    def sweep(self, force: bool = False) -> None:
        """Delete the sessions not used for `ttl_seconds` (at most once a minute unless forced)."""
        now = self._clock()
        if not force and now - self._last_sweep < 60:
            return
        self._last_sweep = now
        for folder in self._session_folders():
            if self._expired(folder) or self._abandoned(folder):
                self._remove(folder)

    def remove_all(self) -> None:
        """Delete every session and the root folder (when the server stops)."""
        with self._lock:
            self._loaded.clear()
            self._owners.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- internals ---------------------------------------------------------------------------

    def _session_folders(self) -> list[Path]:
        try:
            return [
                p
                for p in self.root.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
            ]
        except FileNotFoundError:
            return []

    def _abandoned(self, folder: Path) -> bool:
        """A folder without meta.json whose check will never finish: its process is gone (a
        worker killed during the check), or it is older than any check can take."""
        if (folder / META).exists():
            return False
        try:
            marker = json.loads((folder / CHECKING).read_text(encoding="utf-8"))
            made = (folder / CHECKING).stat().st_mtime
        except (OSError, ValueError):  # no marker (yet, or written by nothing we know)
            marker, made = {}, self._last_used(folder)
        if self._clock() - made > self.settings.abandoned_after:
            return True
        pid = marker.get("pid") if isinstance(marker, dict) else None
        return (
            isinstance(pid, int)
            and marker.get("host") == socket.gethostname()
            and not _process_alive(pid)
        )

    def _meta(self, folder: Path) -> dict | None:
        try:
            return json.loads((folder / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _last_used(self, folder: Path) -> float:
        # A folder still being filled has no meta.json yet: its own time counts.
        for path in (folder / META, folder):
            try:
                return path.stat().st_mtime
            except OSError:
                continue
        return float("-inf")

    def _expired(self, folder: Path) -> bool:
        return self._clock() - self._last_used(folder) > self.settings.ttl_seconds

    def _touch(self, folder: Path, force: bool = False) -> None:
        now = self._clock()
        if force or now - self._last_used(folder) >= 30:  # a write per callback: wasteful
            try:
                os.utime(folder / META, (now, now))
            except OSError:
                pass

    def _keep(self, key: str, dataset: Dataset) -> Dataset:
        with self._lock:
            self._loaded[key] = dataset
            self._loaded.move_to_end(key)
            while len(self._loaded) > self.settings.max_loaded:
                self._loaded.popitem(last=False)
        return dataset

    def _remove(self, folder: Path) -> None:
        with self._lock:
            self._loaded.pop(folder.name, None)
            self._owners.pop(folder.name, None)
        shutil.rmtree(folder, ignore_errors=True)
