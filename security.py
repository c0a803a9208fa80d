"""Security of the trial dashboard: secure defaults, authentication, headers, limits, audit log.

    settings = security.Settings.from_env()      # everything configurable, from the environment
    app = Dash(..., on_error=security.on_callback_error)
    security.install(app, settings)              # hooks, headers, error pages, the load audit

    python -m security hash-password --user NAME # a line for TRIAL_USERS_FILE
    python -m security check                     # show the settings the environment gives

Settings (environment variables; docs/security.md has the details):

    TRIAL_AUTH              none (default, local use) | basic | header
    TRIAL_USERS_FILE        basic: file of `username:hash` lines (hashes from hash-password)
    TRIAL_AUTH_HEADER       header: the header holding the user (default X-Forwarded-User)
    TRIAL_TRUSTED_PROXIES   header: addresses/networks of the proxy (default 127.0.0.1,::1)
    TRIAL_AUDIT_LOG         path of the append-only JSON-lines audit log (default: off)
    TRIAL_MAX_REQUEST_MB    largest request body accepted (default 8)
    TRIAL_SECRET_KEY        Flask secret key (default: random per process; never in code)
    TRIAL_HSTS              1: send Strict-Transport-Security (only behind HTTPS)
    TRIAL_UPLOADS           on (default) | off: users may open datasets in their browser
    TRIAL_MAX_UPLOAD_MB     largest upload, all files together (default 100)
    TRIAL_UPLOAD_TTL_MIN    an uploaded dataset not used for this long is deleted (default 120)
    TRIAL_UPLOAD_DIR        where uploads are kept (default: a new private temporary folder)

Nothing here fetches anything from the network. Responses never carry tracebacks, server paths
or data of the trial: errors get a short generic text and a reference id, and the server log has
the details (exception type and code locations, never exception messages or values, which may
hold patient data).
"""
from __future__ import annotations

import argparse
import base64
import binascii
import getpass
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.serving import WSGIRequestHandler

from components.ids import APP_ERROR as ERROR_COMPONENT_ID

log = logging.getLogger("trial.security")

AUTH_MODES = ("none", "basic", "header")
EXTENSION_KEY = "trial_security"
SERVER_NAME = "trial-dashboard"
HASH_METHODS = ("scrypt", "pbkdf2")
MAX_CREDENTIALS_CHARS = 4096  # longer Authorization headers are refused, not decoded
MAX_USER_CHARS = 256
CACHE_SECONDS = 300  # a verified password is not re-hashed on every request for this long
CACHE_SIZE = 256
FAIL_WINDOW_SECONDS = 300  # after FAIL_LIMIT failed logins from one address within the window,
FAIL_LIMIT = 20            # that address gets 429 until the window has passed

# Generic bodies of the error responses: nothing from the request or the server is echoed.
ERROR_TEXTS = {
    400: "Bad request.",
    401: "Authentication required.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request is too large: the limit is {limit}. Nothing was processed.",
    415: "Unsupported media type.",
    429: "Too many failed sign-in attempts; try again in a few minutes.",
    500: "Internal error. Reference {ref}: give it to the data team if this happens again.",
}
FRIENDLY_CALLBACK_ERROR = ("This view could not be updated. Try again or change the selection; "
                           "if it happens again, give the data team the reference {ref}.")


class ConfigError(ValueError):
    """The security settings are wrong: the app refuses to start (with this message)."""


# ---------------------------------------------------------------------------------------------
# Settings

@dataclass(frozen=True)
class Settings:
    auth: str = "none"
    users_file: Path | None = None
    auth_header: str = "X-Forwarded-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    audit_log: Path | None = None
    max_request_bytes: int = 8 * 1024 * 1024
    secret_key: str | None = field(default=None, repr=False)
    hsts: bool = False
    uploads: bool = True
    max_upload_bytes: int = 100 * 1024 * 1024
    upload_ttl_minutes: float = 120
    upload_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """The settings of this process: the only place where the environment is read."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        auth = get("TRIAL_AUTH").lower() or "none"
        if auth not in AUTH_MODES:
            raise ConfigError(f"TRIAL_AUTH must be one of {', '.join(AUTH_MODES)}, not "
                              f"'{auth[:40]}'")
        users = get("TRIAL_USERS_FILE")
        if auth == "basic" and not users:
            raise ConfigError("TRIAL_AUTH=basic needs TRIAL_USERS_FILE (a file of "
                              "username:hash lines; create lines with "
                              "`python -m security hash-password`)")
        header = get("TRIAL_AUTH_HEADER") or "X-Forwarded-User"
        if not all(c.isalnum() or c == "-" for c in header):
            raise ConfigError("TRIAL_AUTH_HEADER must be a header name (letters, digits, -)")
        proxies = tuple(p.strip() for p in (get("TRIAL_TRUSTED_PROXIES") or "127.0.0.1,::1")
                        .split(",") if p.strip())
        for p in proxies:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise ConfigError(f"TRIAL_TRUSTED_PROXIES: '{p[:60]}' is not an IP address or "
                                  f"network") from None
        max_bytes = _megabytes(get, "TRIAL_MAX_REQUEST_MB", "8")
        uploads = (get("TRIAL_UPLOADS").lower() or "on")
        if uploads not in ("on", "off"):
            raise ConfigError("TRIAL_UPLOADS must be on or off")
        upload_bytes = _megabytes(get, "TRIAL_MAX_UPLOAD_MB", "100")
        try:
            ttl = float(get("TRIAL_UPLOAD_TTL_MIN") or "120")
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= 7 * 24 * 60:
            raise ConfigError("TRIAL_UPLOAD_TTL_MIN must be a number of minutes between 1 and "
                              "10080 (a week)")
        upload_dir = get("TRIAL_UPLOAD_DIR")
        audit_path = get("TRIAL_AUDIT_LOG")
        secret = get("TRIAL_SECRET_KEY") or None
        if secret is not None and len(secret) < 16:
            raise ConfigError("TRIAL_SECRET_KEY is too short (at least 16 characters; e.g. "
                              "python -c 'import secrets; print(secrets.token_hex(32))')")
        return cls(auth=auth, users_file=Path(users) if users else None, auth_header=header,
                   trusted_proxies=proxies, audit_log=Path(audit_path) if audit_path else None,
                   max_request_bytes=max_bytes, secret_key=secret,
                   hsts=get("TRIAL_HSTS").lower() in ("1", "true", "yes"),
                   uploads=uploads == "on", max_upload_bytes=upload_bytes,
                   upload_ttl_minutes=ttl, upload_dir=Path(upload_dir) if upload_dir else None)


def _megabytes(get, name: str, default: str) -> int:
    """The setting `name`, in megabytes, as bytes (between 0 and 1024 MB)."""
    try:
        n = int(float(get(name) or default) * 1024 * 1024)
    except ValueError:
        n = 0
    if not 0 < n <= 1024 ** 3:
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
            raise ConfigError(f"TRIAL_USERS_FILE line {n}: the password is not a scrypt or "
                              f"pbkdf2 hash (plain text?); create the line with "
                              f"`python -m security hash-password`")
        if name in users:
            raise ConfigError(f"TRIAL_USERS_FILE line {n}: user '{name}' is listed twice")
        users[name] = hashed
    if not users:
        raise ConfigError("TRIAL_USERS_FILE lists no users")
    return users


# ---------------------------------------------------------------------------------------------
# Audit log

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


_AUDIT_SCALARS = (str, int, float, bool, type(None))


def _audit_record(action: str, user: str, fields: dict[str, Any]) -> dict:
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
              "action": str(action)[:64], "user": user}
    for k, v in fields.items():
        if not isinstance(v, _AUDIT_SCALARS):
            # Frames, lists and dicts could carry patient data: the audit log takes scalars only.
            raise TypeError(f"audit field '{k}' must be a text or a number, not "
                            f"{type(v).__name__}")
        record[str(k)[:64]] = v[:200] if isinstance(v, str) else v
    return record


def current_user() -> str:
    """The signed-in user of this request; outside requests, the operating-system user."""
    if flask.has_request_context():
        user = getattr(flask.g, "trial_user", None)
        if user:
            return user
        return "anonymous (authentication off)"
    try:
        return f"system:{getpass.getuser()}"
    except Exception:  # no user name in this environment
        return "system"


def secure_cookies() -> bool:
    """Whether cookies must be `Secure`: over HTTPS, also when a proxy ends it (TRIAL_HSTS)."""
    state = flask.current_app.extensions.get(EXTENSION_KEY)
    return flask.request.is_secure or bool(state is not None and state.settings.hsts)


def audit(action: str, *, app: flask.Flask | None = None, **fields: Any) -> None:
    """Record `action` (e.g. "load", "export") in the audit log, if one is configured.

    Pass only what identifies the action: the dataset fingerprint, a view or format name,
    counts. Never patient data (ids, values, free text): fields must be texts or numbers.
    Raises OSError when the log cannot be written, so that an export is not done unrecorded.
    """
    server = app or (flask.current_app if flask.has_app_context() else None)
    state = server.extensions.get(EXTENSION_KEY) if server is not None else None
    record = _audit_record(action, current_user(), fields)
    if state is None or state.audit is None:
        return
    state.audit.write(record)


# ---------------------------------------------------------------------------------------------
# Authentication

class _State:
    """Per-app security state (kept in `server.extensions`, not at module level)."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.users = load_users(settings.users_file) if settings.auth == "basic" else {}
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        self.audit = AuditLog(settings.audit_log) if settings.audit_log else None
        self.cache_key = secrets.token_bytes(32)
        self.cache: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self.failures: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        # A real hash to check against for unknown users, so that they take as long as known ones.
        self.dummy_hash = generate_password_hash(secrets.token_hex(16))


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, or None if malformed."""
    if not header or len(header) > MAX_CREDENTIALS_CHARS:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or len(user) > MAX_USER_CHARS or not user.isprintable():
        return None
    return user, password


def _remote_in(state: _State, addr: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((addr or "").split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in state.proxies)


def _check_basic(state: _State) -> str | None:
    creds = parse_basic(flask.request.headers.get("Authorization"))
    if creds is None:
        return None
    user, password = creds
    key = hmac.new(state.cache_key, f"{user}\0{password}".encode("utf-8", "surrogatepass"),
                   hashlib.sha256).digest()
    now = time.monotonic()
    with state.lock:
        hit = state.cache.get(key)
        if hit and now - hit[1] < CACHE_SECONDS:
            return hit[0]
    hashed = state.users.get(user)
    # check_password_hash compares in constant time; unknown users are checked against a dummy.
    ok = check_password_hash(hashed or state.dummy_hash, password) and hashed is not None
    if not ok:
        return None
    with state.lock:
        state.cache[key] = (user, now)
        state.cache.move_to_end(key)
        while len(state.cache) > CACHE_SIZE:
            state.cache.popitem(last=False)
    return user


def _throttled(state: _State, addr: str) -> bool:
    now = time.monotonic()
    with state.lock:
        recent = [t for t in state.failures.get(addr, []) if now - t < FAIL_WINDOW_SECONDS]
        state.failures[addr] = recent
        return len(recent) >= FAIL_LIMIT


def _record_failure(state: _State, addr: str) -> None:
    with state.lock:
        state.failures.setdefault(addr, []).append(time.monotonic())
        if len(state.failures) > 10_000:  # bound the memory an attacker can make us use
            state.failures.clear()


def _plain(code: int, headers: dict | None = None, **kw) -> flask.Response:
    text = ERROR_TEXTS.get(code, "Error.").format(**kw) if kw else ERROR_TEXTS.get(code, "Error.")
    resp = flask.Response(text + "\n", status=code, mimetype="text/plain")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _authenticate() -> flask.Response | None:
    """before_request: every route (pages, callbacks, layout, assets, component suites, exports)
    passes here first."""
    state: _State = flask.current_app.extensions[EXTENSION_KEY]
    req = flask.request
    # Cross-site POSTs (CSRF with the browser's remembered credentials) are refused.
    if req.method not in ("GET", "HEAD", "OPTIONS") and \
            req.headers.get("Sec-Fetch-Site", "") == "cross-site":
        return _plain(403)
    mode = state.settings.auth
    if mode == "none":
        return None
    addr = req.remote_addr or "?"
    if mode == "header":
        if not _remote_in(state, req.remote_addr):
            log.warning("refused: request not from a trusted proxy (remote %s)", addr)
            return _plain(403)
        user = (req.headers.get(state.settings.auth_header) or "").strip()
        if not user or len(user) > MAX_USER_CHARS or not user.isprintable():
            return _plain(401)
        flask.g.trial_user = user
        return None
    # basic
    if _throttled(state, addr):
        return _plain(429, {"Retry-After": str(FAIL_WINDOW_SECONDS)})
    user = _check_basic(state)
    if user is None:
        if req.headers.get("Authorization"):
            _record_failure(state, addr)
            log.warning("failed sign-in from %s", addr)
        return _plain(401, {"WWW-Authenticate": 'Basic realm="Trial dashboard", charset="UTF-8"'})
    flask.g.trial_user = user
    return None


# ---------------------------------------------------------------------------------------------
# Headers

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


def content_security_policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        # Dash renders one inline script (the renderer start-up); it is allowed by its hash, any
        # other inline script is refused. No 'unsafe-inline' for scripts.
        # 'unsafe-eval': plotly.js compiles its WebGL shaders and the scattergl trace code
        # (regl) with `new Function`; without it, "Individual lines" (Scattergl) fail. The app
        # never evaluates text from data, and with no inline scripts allowed, injected markup
        # cannot reach eval.
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        # 'unsafe-inline' for styles: plotly.js injects a <style> element and sets style
        # attributes, and dcc/ag-grid/React components set inline styles. Styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        # plotly's "download as PNG" and ag-grid use data: and blob: images.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # plotly.js may start a web worker from a blob: URL.
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def _refuse_odd_paths() -> flask.Response | None:
    """before_request (after authentication): no '..' segments, NUL bytes or backslashes in any
    URL, and static prefixes only through their own routes (never the page catch-all)."""
    req = flask.request
    path = req.path
    segments = path.replace("\\", "/").split("/")
    if ".." in segments or "\x00" in path or "\\" in path:
        return _plain(404)
    if path.startswith(STATIC_PREFIXES[:2]) and req.endpoint not in (None, *_static_endpoints()):
        return _plain(404)
    return None


def _static_endpoints() -> tuple[str, ...]:
    server = flask.current_app
    return tuple(rule.endpoint for rule in server.url_map.iter_rules()
                 if rule.rule.startswith(STATIC_PREFIXES[:2]))


def _headers(response: flask.Response) -> flask.Response:
    state: _State = flask.current_app.extensions[EXTENSION_KEY]
    h = response.headers
    h["Content-Security-Policy"] = content_security_policy(list(state.app.csp_hashes()))
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    h["Server"] = SERVER_NAME
    if state.settings.hsts:
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not flask.request.path.startswith(STATIC_PREFIXES):
        # Pages, layout and callback responses hold patient data: not kept in browser caches.
        h["Cache-Control"] = "no-store"
        h.pop("Expires", None)
        h.pop("ETag", None)
    if state.settings.auth != "none":
        h.add("Vary", "Authorization")
    return response


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without the `Server: Werkzeug/x Python/y` version."""

    def version_string(self) -> str:
        return SERVER_NAME


def run_options() -> dict:
    """Extra options of `app.run` for `python app.py` (the development server)."""
    return {"request_handler": QuietRequestHandler}


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_run_options(host: str, debug: bool) -> None:
    """Debug mode (interactive debugger, tracebacks) only on this machine."""
    if debug and host not in LOOPBACK:
        raise ConfigError(f"--debug is for development on this machine only: it cannot be used "
                          f"with --host {host}")


# ---------------------------------------------------------------------------------------------
# Errors

def _locations(err: BaseException) -> str:
    """Where an exception happened (file:line in function), without its message or values."""
    frames = traceback.extract_tb(err.__traceback__)[-8:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))


def _component_id(spec: Any) -> str:
    cid = spec.get("id") if isinstance(spec, dict) else None
    if isinstance(cid, dict):  # pattern-matching id: its values may come from data
        return f"{{type: {cid.get('type', '?')}}}"
    return str(cid)[:80]


def on_callback_error(err: Exception) -> None:
    """Global callback error handler (Dash `on_error`): a friendly message with a reference in
    the page, the details in the log, never the exception text (it may hold patient data)."""
    from dash import callback_context, set_props
    message = getattr(err, "user_message", None)
    if isinstance(message, str):  # an expected condition with its own words (no details)
        log.info("callback stopped: %s", type(err).__name__)
        set_props(ERROR_COMPONENT_ID, {"is_open": True, "children": message})
        return None
    ref = secrets.token_hex(4)
    try:
        outputs = callback_context.outputs_list
        outputs = outputs if isinstance(outputs, list) else [outputs]
        flat = [o for x in outputs for o in (x if isinstance(x, list) else [x])]
        where = ", ".join(f"{_component_id(o)}.{o.get('property')}" for o in flat
                          if isinstance(o, dict))
    except Exception:  # no context: still log and show the message
        where = "?"
    log.error("callback error ref=%s outputs=[%s] %s at %s", ref, where, type(err).__name__,
              _locations(err))
    set_props(ERROR_COMPONENT_ID, {"is_open": True,
                                   "children": FRIENDLY_CALLBACK_ERROR.format(ref=ref)})
    return None


def _http_error(err: HTTPException):
    code = err.code or 500
    if code == 413:
        limit = flask.request.max_content_length or 0  # a route may have its own
        return _plain(413, limit=f"{limit / 1024 / 1024:g} MB")
    if code in (401,):
        return _plain(401)
    if code >= 500:
        return _server_error(err)
    return _plain(code if code in ERROR_TEXTS else 400)


def _server_error(err: BaseException):
    ref = secrets.token_hex(4)
    original = getattr(err, "original_exception", None) or err
    # The route pattern, not the path: a path may hold an identifier.
    rule = flask.request.url_rule.rule if flask.request.url_rule is not None else "?"
    log.error("server error ref=%s %s %s: %s at %s", ref, flask.request.method, rule,
              type(original).__name__, _locations(original))
    return _plain(500, ref=ref)


def _any_error(err: Exception):
    if isinstance(err, HTTPException):
        return _http_error(err)
    return _server_error(err)


def _invalid_resource(_err):
    return _plain(404)


# ---------------------------------------------------------------------------------------------
# Installation

def _error_component():
    import dash_bootstrap_components as dbc
    return dbc.Toast(
        id=ERROR_COMPONENT_ID, header="Something went wrong", icon="danger", is_open=False,
        dismissable=True, children="", className="app-error-toast",
        style={"position": "fixed", "top": "1rem", "right": "1rem", "width": "24rem",
               "zIndex": 2000})


def install(app, settings: Settings) -> None:
    """Secure the Dash `app` (call once, after its layout is set)."""
    from dash import html
    from dash.exceptions import DependencyException, InvalidResourceError

    server: flask.Flask = app.server
    if EXTENSION_KEY in server.extensions:
        raise RuntimeError("security.install was already called for this app")
    state = _State(app, settings)
    if state.audit is not None:
        state.audit.check_writable()
    server.extensions[EXTENSION_KEY] = state
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    server.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    server.config["PROPAGATE_EXCEPTIONS"] = False
    server.config["TRAP_HTTP_EXCEPTIONS"] = False
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Strict"

    # Authentication runs before everything else, Dash's own hooks included.
    server.before_request_funcs.setdefault(None, [])[0:0] = [_authenticate, _refuse_odd_paths]
    server.after_request(_headers)
    for code in (400, 401, 403, 404, 405, 413, 415, 429, 500):
        server.register_error_handler(code, _any_error)
    # Unknown component-suite packages or files (e.g. traversal attempts): a plain 404, without
    # Dash's message that lists the registered libraries.
    server.register_error_handler(InvalidResourceError, _invalid_resource)
    server.register_error_handler(DependencyException, _invalid_resource)
    server.register_error_handler(Exception, _any_error)

    # The page title is written into the HTML page by Dash without escaping.
    app.title = _escape_text(app.title)

    # The friendly callback-error message lives in the layout, next to the app's own.
    layout = app.layout
    if callable(layout):
        app.layout = lambda *a, **k: html.Div([layout(*a, **k), _error_component()])
    elif layout is not None:
        app.layout = html.Div([layout, _error_component()])

    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    if settings.auth != "none" and state.audit is None:
        log.warning("authentication is on but TRIAL_AUDIT_LOG is not set: loads and exports "
                    "are not audited")

    trial = server.config.get("TRIAL")
    if trial is not None:
        with server.app_context():
            audit("load", fingerprint=getattr(trial, "fingerprint", ""),
                  source=Path(str(getattr(trial, "source", ""))).name,
                  patients=int(len(trial.patients)),
                  data_status=getattr(trial.study, "data_status", ""))


def _escape_text(text: str) -> str:
    import html as _html
    return _html.escape(str(text), quote=True)


# ---------------------------------------------------------------------------------------------
# Command line: python -m security hash-password | check

def _cmd_hash(args: argparse.Namespace) -> int:
    user = args.user or input("User name: ").strip()
    if not user or ":" in user or not user.isprintable() or len(user) > MAX_USER_CHARS:
        print("the user name must be printable text without ':'", file=sys.stderr)
        return 2
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    if len(password) < args.min_length:
        print(f"the password is too short (at least {args.min_length} characters)",
              file=sys.stderr)
        return 2
    method = "scrypt" if args.method == "scrypt" else "pbkdf2:sha256:600000"
    print(f"{user}:{generate_password_hash(password, method=method)}")
    return 0


def _cmd_check(_args: argparse.Namespace) -> int:
    try:
        s = Settings.from_env()
        n = len(load_users(s.users_file)) if s.auth == "basic" else 0
        if s.audit_log:
            AuditLog(s.audit_log).check_writable()
    except ConfigError as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 2
    print(f"auth: {s.auth}" + (f" ({n} users)" if s.auth == "basic" else "")
          + (f" (header {s.auth_header} from {', '.join(s.trusted_proxies)})"
             if s.auth == "header" else ""))
    print(f"audit log: {s.audit_log or 'off'}")
    print(f"max request: {s.max_request_bytes / 1024 / 1024:g} MB")
    print("uploads: " + (f"on, up to {s.max_upload_bytes / 1024 / 1024:g} MB, deleted after "
                         f"{s.upload_ttl_minutes:g} min without use, kept in "
                         f"{s.upload_dir or 'a new temporary folder'}" if s.uploads else "off"))
    print(f"secret key: {'from TRIAL_SECRET_KEY' if s.secret_key else 'random per process'}")
    print(f"HSTS: {'on' if s.hsts else 'off'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m security",
                                     description="Security tools of the trial dashboard.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("hash-password", help="print a username:hash line for TRIAL_USERS_FILE")
    p.add_argument("--user", help="user name (asked if not given)")
    p.add_argument("--method", choices=("scrypt", "pbkdf2"), default="scrypt")
    p.add_argument("--stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--min-length", type=int, default=12, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_hash)
    p = sub.add_parser("check", help="check the security settings of the environment")
    p.set_defaults(func=_cmd_check)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (KeyboardInterrupt, EOFError):
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
