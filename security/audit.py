"""The audit log (who loaded, exported, uploaded what, and when) and the user of a request."""

from __future__ import annotations

import getpass
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import flask

from .settings import ConfigError

AUDIT_KEY = "trial_security.audit"  # server.extensions[AUDIT_KEY]: the app's AuditLog, if any
USER_ATTRIBUTE = "trial_user"  # flask.g.trial_user: set by authentication
ANONYMOUS = "anonymous (authentication off)"
_AUDIT_SCALARS = (str, int, float, bool, type(None))


class AuditLog:
    """Append-only JSON lines: one object per action (UTC time, user, action, fields)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def check_writable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as e:
            raise ConfigError(f"TRIAL_AUDIT_LOG cannot be written ({e.strerror or e})") from None

    def write(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def audit_record(action: str, user: str, fields: dict[str, Any]) -> dict:
    record: dict[str, Any] = {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "action": str(action)[:64],
        "user": user,
    }
    for k, v in fields.items():
        if not isinstance(v, _AUDIT_SCALARS):
            # Frames, lists and dicts could carry patient data: the audit log takes scalars only.
            raise TypeError(f"audit field '{k}' must be a text or a number, not {type(v).__name__}")
        record[str(k)[:64]] = v[:200] if isinstance(v, str) else v
    return record


def current_user() -> str:
    """The signed-in user of this request; outside requests, the operating-system user."""
    if flask.has_request_context():
        return getattr(flask.g, USER_ATTRIBUTE, None) or ANONYMOUS
    try:
        return f"system:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in this environment
        return "system"


def audit(action: str, *, app: flask.Flask | None = None, **fields: Any) -> None:
    """Record `action` (e.g. "load", "export") in the audit log, if one is configured.

    Pass only what identifies the action: the dataset fingerprint, a view or format name,
    counts. Never patient data (ids, values, free text): fields must be texts or numbers.
    Raises OSError when the log cannot be written, so that an export is not done unrecorded.
    """
    server = app or (flask.current_app if flask.has_app_context() else None)
    audit_log = server.extensions.get(AUDIT_KEY) if server is not None else None
    record = audit_record(action, current_user(), fields)  # checks the fields even when off
    if audit_log is not None:
        audit_log.write(record)
