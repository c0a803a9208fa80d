"""Security of the trial dashboard: secure defaults, authentication, headers, limits, audit log.

    settings = security.Settings.from_env()      # everything configurable, from the environment
    app = Dash(..., on_error=security.callback_error_handler(ERROR_ID))
    security.install(app, settings, error_component_id=ERROR_ID)  # hooks, headers, error pages

    python -m security hash-password --user NAME # a line for TRIAL_USERS_FILE
    python -m security check                     # show the settings the environment gives

One module per job: settings (the environment, read once), auth (Basic or proxy header),
throttle (failed sign-ins, in a store the worker processes share), proxies (who the client is),
browser (the owner of a browser's uploads without sign-in), headers (CSP, security headers, odd
paths), callback_requests (malformed callback requests), errors (error pages, the callback-error
message), logs (exceptions logged without messages), audit, install, cli. The package never
imports the dashboard's views (`components`): the app passes the ids it needs.

Settings (environment variables; docs/security.md has the details):

    TRIAL_AUTH              none (default, local use) | basic | header
    TRIAL_USERS_FILE        basic: file of `username:hash` lines (hashes from hash-password)
    TRIAL_THROTTLE_STORE    basic: redis://... (several hosts) or a SQLite file's absolute path
                            (default: a file in a private folder of this user on this host)
    TRIAL_AUTH_HEADER       header: the header holding the user (default X-Forwarded-User)
    TRIAL_TRUSTED_PROXIES   addresses/networks of the proxy (default 127.0.0.1,::1)
    TRIAL_PROXY_HOPS        proxies that append to X-Forwarded-For (default 0: not read)
    TRIAL_AUDIT_LOG         path of the append-only JSON-lines audit log (default: off)
    TRIAL_MAX_REQUEST_MB    largest request body accepted (default 8)
    TRIAL_SECRET_KEY        Flask secret key (default: random per process; never in code)
    TRIAL_HSTS              1: send Strict-Transport-Security (only behind HTTPS)
    TRIAL_UPLOADS           on (default) | off: users may open datasets in their browser
    TRIAL_MAX_UPLOAD_MB     largest upload, all files together (default 100)
    TRIAL_UPLOAD_TTL_MIN    an uploaded dataset not used for this long is deleted (default 120)
    TRIAL_UPLOAD_DIR        where uploads are kept (default: a new private temporary folder)

Nothing here fetches anything from the network (except a configured Redis). Responses never
carry tracebacks, server paths or data of the trial: errors get a short generic text and a
reference id, and the server log has the details (exception type and code locations, never
exception messages or values, which may hold patient data).
"""

from __future__ import annotations

from .audit import AuditLog, audit, current_user
from .auth import parse_basic
from .browser import BROWSER_COOKIE, secure_cookies, session_owner
from .cli import main
from .errors import callback_error_handler, error_component
from .headers import QuietRequestHandler, content_security_policy, run_options
from .install import install
from .logs import log
from .settings import EXTENSION_KEY, ConfigError, Settings, check_run_options, load_users

__all__ = [
    "BROWSER_COOKIE",
    "EXTENSION_KEY",
    "AuditLog",
    "ConfigError",
    "QuietRequestHandler",
    "Settings",
    "audit",
    "callback_error_handler",
    "check_run_options",
    "content_security_policy",
    "current_user",
    "error_component",
    "install",
    "load_users",
    "log",
    "main",
    "parse_basic",
    "run_options",
    "secure_cookies",
    "session_owner",
]
