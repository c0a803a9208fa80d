"""What the dashboard writes to its server logs about errors: exception types and code locations,
never exception messages, values or request paths (any of them may hold patient data)."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import flask

log = logging.getLogger("trial.security")


def locations(err: BaseException) -> str:
    """Where an exception happened (file:line in function), without its message or values."""
    frames = traceback.extract_tb(err.__traceback__)[-8:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))


def route_pattern() -> str:
    """The route of this request as a pattern (`/patients/<pid>`), never its path."""
    if not flask.has_request_context():
        return "-"
    rule = flask.request.url_rule
    return f"{flask.request.method} {rule.rule if rule is not None else '?'}"


class WithoutExceptionDetails(logging.Filter):
    """Rewrites a record that carries an exception (Flask's "Exception on /path [GET]" with its
    traceback, for one) into the exception's type and code locations only."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        record.msg = "unhandled %s at %s (%s)"
        record.args = (type(exc).__name__, locations(exc), route_pattern())
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def without_exception_details(logger: logging.Logger) -> None:
    """Make `logger` (e.g. a Flask app's `app.logger`) log exceptions by type and location."""
    if not any(isinstance(f, WithoutExceptionDetails) for f in logger.filters):
        logger.addFilter(WithoutExceptionDetails())


def ensure_handler() -> None:
    """Send the security log to stderr when the process configured no logging of its own."""
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
