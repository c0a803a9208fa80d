"""The sign-in throttle: failed passwords counted per account and client, in a store that every
worker process shares, so that the limits hold whichever worker answers.

- Per account and client: at most `pair_limit` password checks (20) in `pair_window` (5 min)
  without a success; then that client gets 429 for that account until the window ends. The
  attempt is counted before the password is checked, atomically in the store, so parallel
  requests cannot pass the limit; a success clears the client's count for the account.
- Per account, from all clients together: once it has had `backoff_after` failures (50) in
  `account_window` (15 min), a client that is itself failing on it waits between attempts, 5 s
  at first, doubling as the failures double, at most a minute. A client with no recent
  attempt on the account (its owner, elsewhere) is not slowed: the right password still works.
- Malformed credentials never reach the throttle (authentication refuses them first), so they
  cost nothing and lock nothing.

The store holds counters with an expiry (the storage API of the `limits` library): Redis through
`limits` for several hosts (TRIAL_THROTTLE_STORE=redis://...), by default a SQLite file that
the workers of one host share. Accounts and clients are stored as hashes only.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string

from trial.private import UnsafeFolder, private_folder

from .settings import REDIS_SCHEMES, ConfigError

PAIR_LIMIT = 20  # password checks per account and client in PAIR_WINDOW seconds
PAIR_WINDOW = 5 * 60
BACKOFF_AFTER = 50  # failures of an account (all clients) in ACCOUNT_WINDOW seconds
ACCOUNT_WINDOW = 15 * 60
FIRST_WAIT, LONGEST_WAIT = 5, 60  # seconds between the attempts of a failing client
MAX_ROWS = 100_000  # counters kept by the SQLite store (a few MB); see SQLiteStorage
PRUNE_EVERY = 100  # writes of one process between two prunings of the SQLite store


class SQLiteStorage(Storage):
    """A `limits` storage in a SQLite file, shared by the processes of one host.

    Counters are rows (key, value, expires). Expired rows are deleted every PRUNE_EVERY
    writes of a process; beyond `max_rows` live rows the smallest counts go first (soonest
    expiring first among equals): a flood of new keys, each a single failure, evicts its own
    kind, never the counters near a limit, and nothing ever empties the whole table.
    """

    STORAGE_SCHEME = None  # made directly, not registered in limits' URL schemes

    def __init__(
        self, path: Path, max_rows: int = MAX_ROWS, clock: Callable[[], float] = time.time
    ):
        super().__init__()
        self.path = Path(path)
        self.max_rows = max_rows
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writes = 0
        self._create()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _create(self) -> None:
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                "value INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
            )
            db.execute("CREATE INDEX IF NOT EXISTS counters_by_size ON counters (value, expires)")

    def _connect(self) -> sqlite3.Connection:
        # Autocommit: every statement is its own transaction unless BEGIN says otherwise.
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: connections are not shared)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.db, local.pid = self._connect(), os.getpid()
        return local.db

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # the read below sees this write, not another's
        try:
            db.execute(
                "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN expires <= ?4 THEN ?2 ELSE value + ?2 END, "
                "expires = CASE WHEN expires <= ?4 THEN ?3 ELSE expires END",
                (key, amount, now + expiry, now),
            )
            (value,) = db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._count_write()
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._db()
            .execute(
                "SELECT value FROM counters WHERE key = ? AND expires > ?", (key, self._clock())
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = self._clock()
        row = (
            self._db()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        """Delete every counter (the `limits` API; the throttle never calls it)."""
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))

    def rows(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM counters").fetchone()[0])

    def _count_write(self) -> None:
        with self._lock:
            self._writes += 1
            due = self._writes % PRUNE_EVERY == 0
        if due:
            self.prune()

    def prune(self) -> None:
        """Delete the expired counters, then the smallest beyond `max_rows`."""
        db = self._db()
        db.execute("DELETE FROM counters WHERE expires <= ?", (self._clock(),))
        excess = self.rows() - self.max_rows
        if excess > 0:
            db.execute(
                "DELETE FROM counters WHERE key IN (SELECT key FROM counters "
                "ORDER BY value, expires LIMIT ?)",
                (excess,),
            )


def open_storage(setting: str) -> Storage:
    """The throttle's store for TRIAL_THROTTLE_STORE (a redis URL, or a SQLite file's path)."""
    if setting.startswith(REDIS_SCHEMES):
        try:
            storage = storage_from_string(setting)
        except ConfigurationError:
            raise ConfigError(
                "TRIAL_THROTTLE_STORE: Redis needs the redis package (pip install 'limits[redis]')"
            ) from None
        if not isinstance(storage, Storage) or not storage.check():
            raise ConfigError("TRIAL_THROTTLE_STORE: the Redis server does not answer")
        return storage
    path = Path(setting)
    try:
        private_folder(path.parent)
    except (UnsafeFolder, OSError) as err:
        raise ConfigError(f"TRIAL_THROTTLE_STORE: {err}") from None
    try:
        return SQLiteStorage(path)
    except sqlite3.Error as err:
        raise ConfigError(
            f"TRIAL_THROTTLE_STORE: {path} is not a usable SQLite file ({type(err).__name__})"
        ) from None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class SignInThrottle:
    """The limits of the module docstring over a `limits` storage. Times are in seconds; the
    methods that refuse return how long to wait (for Retry-After), else None."""

    def __init__(
        self,
        storage: Storage,
        *,
        pair_limit: int = PAIR_LIMIT,
        pair_window: int = PAIR_WINDOW,
        backoff_after: int = BACKOFF_AFTER,
        account_window: int = ACCOUNT_WINDOW,
        first_wait: int = FIRST_WAIT,
        longest_wait: int = LONGEST_WAIT,
        clock: Callable[[], float] = time.time,
    ):
        self.storage = storage
        self.pair_limit = pair_limit
        self.pair_window = pair_window
        self.backoff_after = backoff_after
        self.account_window = account_window
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self._clock = clock

    def _keys(self, account: str, client: str) -> tuple[str, str, str]:
        pair = _digest(account, client)
        return (
            f"trial-sign-in/pair/{pair}",
            f"trial-sign-in/wait/{pair}",
            f"trial-sign-in/account/{_digest(account)}",
        )

    def _seconds_until(self, key: str) -> int:
        return max(1, math.ceil(self.storage.get_expiry(key) - self._clock()))

    def refused(self, account: str, client: str) -> int | None:
        """Reads only: whether `client` must wait before trying `account` again."""
        pair, wait, _ = self._keys(account, client)
        if self.storage.get(pair) >= self.pair_limit:
            return self._seconds_until(pair)
        if self.storage.get(wait) > 0:
            return self._seconds_until(wait)
        return None

    def reserve(self, account: str, client: str) -> int | None:
        """Count an attempt before its password is checked; None: go ahead."""
        pair, wait, account_key = self._keys(account, client)
        delay = self.wait_after(self.storage.get(account_key))
        # A failing client waits between attempts (the first attempt after a wait sets the
        # next wait; one that comes early is refused).
        if delay and self.storage.get(pair) > 0 and self.storage.incr(wait, delay) > 1:
            return self._seconds_until(wait)
        if self.storage.incr(pair, self.pair_window) > self.pair_limit:
            return self._seconds_until(pair)
        return None

    def wait_after(self, account_failures: int) -> int:
        """How long a failing client waits between attempts on an account with this many
        recent failures (0: no wait)."""
        if account_failures < self.backoff_after:
            return 0
        doublings = int(math.log2(account_failures / self.backoff_after))
        return min(self.longest_wait, self.first_wait * 2 ** min(doublings, 16))

    def failed(self, account: str, client: str) -> None:
        _, _, account_key = self._keys(account, client)
        self.storage.incr(account_key, self.account_window)

    def succeeded(self, account: str, client: str) -> None:
        pair, wait, _ = self._keys(account, client)
        self.storage.clear(pair)
        self.storage.clear(wait)
