"""The security settings of a process: read once from the environment, checked, then frozen.

Everything else in the package gets them from `Settings`; nothing else reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import flask

AUTH_MODES = ("none", "basic", "header")
HASH_METHODS = ("scrypt", "pbkdf2")
MAX_USER_CHARS = 256
MAX_PROXY_HOPS = 5
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
THROTTLE_FILE = "sign-in-throttle.sqlite3"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EXTENSION_KEY = "trial_security"  # server.extensions[EXTENSION_KEY]: the app's `Installed`


class ConfigError(ValueError):
    """The security settings are wrong: the app refuses to start (with this message)."""


@dataclass(frozen=True)
class Settings:
    auth: str = "none"
    users_file: Path | None = None
    auth_header: str = "X-Forwarded-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    proxy_hops: int = 0
    # A redis:// URL (limits over Redis, for several hosts) or the path of the SQLite file that
    # the worker processes of one host share.
    throttle_store: str = field(default="", repr=False)  # a Redis URL may hold a password
    audit_log: Path | None = None
    max_request_bytes: int = 8 * 1024 * 1024
    secret_key: str | None = field(default=None, repr=False)
    hsts: bool = False
    uploads: bool = True
    max_upload_bytes: int = 100 * 1024 * 1024
    upload_ttl_minutes: float = 120
    upload_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of this process: the only place where the environment is read."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        auth = _auth_mode(get)
        users = get("TRIAL_USERS_FILE")
        upload_dir = get("TRIAL_UPLOAD_DIR")
        audit_path = get("TRIAL_AUDIT_LOG")
        return cls(
            auth=auth,
            users_file=Path(users) if users else None,
            auth_header=_auth_header(get),
            trusted_proxies=_trusted_proxies(get),
            proxy_hops=_proxy_hops(get),
            throttle_store=_throttle_store(get),
            audit_log=Path(audit_path) if audit_path else None,
            max_request_bytes=_megabytes(get, "TRIAL_MAX_REQUEST_MB", "8"),
            secret_key=_secret_key(get),
            hsts=get("TRIAL_HSTS").lower() in ("1", "true", "yes"),
            uploads=_uploads(get),
            max_upload_bytes=_megabytes(get, "TRIAL_MAX_UPLOAD_MB", "100"),
            upload_ttl_minutes=_upload_ttl(get),
            upload_dir=Path(upload_dir) if upload_dir else None,
        )


Getter = Callable[[str], str]


def _auth_mode(get: Getter) -> str:
    auth = get("TRIAL_AUTH").lower() or "none"
    if auth not in AUTH_MODES:
        raise ConfigError(f"TRIAL_AUTH must be one of {', '.join(AUTH_MODES)}, not '{auth[:40]}'")
    if auth == "basic" and not get("TRIAL_USERS_FILE"):
        raise ConfigError(
            "TRIAL_AUTH=basic needs TRIAL_USERS_FILE (a file of username:hash "
            "lines; create lines with `python -m security hash-password`)"
        )
    return auth


def _auth_header(get: Getter) -> str:
    header = get("TRIAL_AUTH_HEADER") or "X-Forwarded-User"
    if not all(c.isalnum() or c == "-" for c in header):
        raise ConfigError("TRIAL_AUTH_HEADER must be a header name (letters, digits, -)")
    return header


def _trusted_proxies(get: Getter) -> tuple[str, ...]:
    proxies = tuple(
        p.strip() for p in (get("TRIAL_TRUSTED_PROXIES") or "127.0.0.1,::1").split(",") if p.strip()
    )
    for p in proxies:
        try:
            ipaddress.ip_network(p, strict=False)
        except ValueError:
            raise ConfigError(
                f"TRIAL_TRUSTED_PROXIES: '{p[:60]}' is not an IP address or network"
            ) from None
    return proxies


def _proxy_hops(get: Getter) -> int:
    text = get("TRIAL_PROXY_HOPS") or "0"
    if not text.isdigit() or int(text) > MAX_PROXY_HOPS:
        raise ConfigError(
            f"TRIAL_PROXY_HOPS must be the number of proxies in front of the app "
            f"that add to X-Forwarded-For (0 to {MAX_PROXY_HOPS})"
        )
    return int(text)


def _throttle_store(get: Getter) -> str:
    """A redis URL as given, else the path of the SQLite file (default: in a folder of this
    user that only this user can open; all worker processes of this host find it)."""
    store = get("TRIAL_THROTTLE_STORE")
    if store.startswith(REDIS_SCHEMES):
        return store
    if store:
        if "://" in store or not Path(store).is_absolute():
            raise ConfigError(
                "TRIAL_THROTTLE_STORE must be a redis://, rediss:// or "
                "redis+unix:// URL, or the absolute path of a SQLite file"
            )
        return store
    runtime = get("XDG_RUNTIME_DIR")  # per user, private, emptied at log-out or reboot
    folder = (
        Path(runtime) / "trial-dashboard"
        if runtime
        else Path(tempfile.gettempdir()) / f"trial-dashboard-{os.getuid()}"
    )
    return str(folder / THROTTLE_FILE)


def _secret_key(get: Getter) -> str | None:
    secret = get("TRIAL_SECRET_KEY") or None
    if secret is not None and len(secret) < 16:
        raise ConfigError(
            "TRIAL_SECRET_KEY is too short (at least 16 characters; e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return secret


def _uploads(get: Getter) -> bool:
    uploads = get("TRIAL_UPLOADS").lower() or "on"
    if uploads not in ("on", "off"):
        raise ConfigError("TRIAL_UPLOADS must be on or off")
    return uploads == "on"


def _upload_ttl(get: Getter) -> float:
    try:
        ttl = float(get("TRIAL_UPLOAD_TTL_MIN") or "120")
    except ValueError:
        ttl = 0
    if not 1 <= ttl <= 7 * 24 * 60:
        raise ConfigError(
            "TRIAL_UPLOAD_TTL_MIN must be a number of minutes between 1 and 10080 (a week)"
        )
    return ttl


def _megabytes(get: Getter, name: str, default: str) -> int:
    """The setting `name`, in megabytes, as bytes (between 0 and 1024 MB)."""
    try:
        n = int(float(get(name) or default) * 1024 * 1024)
    except ValueError:
        n = 0
    if not 0 < n <= 1024**3:
        raise ConfigError(f"{name} must be a number of megabytes between 0 and 1024")
    return n


def load_users(path: Path) -> dict[str, str]:
    """username -> werkzeug hash, from `username:hash` lines (# comments and blank lines ok)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"TRIAL_USERS_FILE cannot be read ({type(e).__name__})") from None
    users: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")  # hashes contain ':', user names must not
        name, hashed = name.strip(), hashed.strip()
        if not sep or not name or not hashed:
            raise ConfigError(f"TRIAL_USERS_FILE line {n}: expected username:hash")
        if not hashed.startswith(HASH_METHODS) or hashed.count("$") != 2:
            raise ConfigError(
                f"TRIAL_USERS_FILE line {n}: the password is not a scrypt or "
                f"pbkdf2 hash (plain text?); create the line with "
                f"`python -m security hash-password`"
            )
        if name in users:
            raise ConfigError(f"TRIAL_USERS_FILE line {n}: user '{name}' is listed twice")
        users[name] = hashed
    if not users:
        raise ConfigError("TRIAL_USERS_FILE lists no users")
    return users


def check_run_options(host: str, debug: bool) -> None:
    """Debug mode (interactive debugger, tracebacks) only on this machine."""
    if debug and host not in LOOPBACK:
        raise ConfigError(
            f"--debug is for development on this machine only: it cannot be used with --host {host}"
        )


@dataclass(frozen=True)
class Installed:
    """What `install` keeps in `server.extensions[EXTENSION_KEY]`."""

    settings: Settings


def app_settings(server: flask.Flask | None = None) -> Settings | None:
    """The settings `install` gave `server` (default: the current app), None if not installed."""
    if server is None:
        if not flask.has_app_context():
            return None
        server = flask.current_app
    installed = server.extensions.get(EXTENSION_KEY)
    return installed.settings if isinstance(installed, Installed) else None
