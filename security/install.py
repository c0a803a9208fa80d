"""install(app, settings): secure a Dash app with the hooks, headers, error pages and logs of the
other modules, and record the load of its trial in the audit log."""

from __future__ import annotations

import html
import secrets
from pathlib import Path

import flask

from .audit import AUDIT_KEY, AuditLog, audit
from .auth import authenticator
from .browser import remember_browser
from .callback_requests import UPDATE_ROUTE, callback_request_check
from .errors import any_error, error_component, not_found
from .headers import refuse_odd_paths, security_headers
from .logs import ensure_handler, log, without_exception_details
from .settings import EXTENSION_KEY, Installed, Settings

ERROR_CODES = (400, 401, 403, 404, 405, 413, 415, 429, 500)


def install(app, settings: Settings, *, error_component_id: str) -> None:
    """Secure the Dash `app` (call once, after its layout is set). Callback errors show in the
    component `error_component_id`, which is added to the layout; pass the same id to
    `callback_error_handler` for the app's `on_error`."""
    from dash.exceptions import DependencyException, InvalidResourceError

    server: flask.Flask = app.server
    if EXTENSION_KEY in server.extensions:
        raise RuntimeError("security.install was already called for this app")
    audit_log = AuditLog(settings.audit_log) if settings.audit_log else None
    if audit_log is not None:
        audit_log.check_writable()
    authenticate = authenticator(settings)  # refuses to start on a bad users file or store
    server.extensions[EXTENSION_KEY] = Installed(settings)
    server.extensions[AUDIT_KEY] = audit_log
    _configure(server, settings)

    # Authentication runs before everything else, Dash's own hooks included.
    update_route = app.config.routes_pathname_prefix + UPDATE_ROUTE
    server.before_request_funcs.setdefault(None, [])[0:0] = [
        authenticate,
        refuse_odd_paths,
        callback_request_check(update_route, app.callback_map),
    ]
    server.after_request(security_headers(app.csp_hashes, settings))
    if settings.auth == "none":
        server.after_request(remember_browser)
    for code in ERROR_CODES:
        server.register_error_handler(code, any_error)
    # Unknown component-suite packages or files (e.g. traversal attempts): a plain 404, without
    # Dash's message that lists the registered libraries.
    server.register_error_handler(InvalidResourceError, not_found)
    server.register_error_handler(DependencyException, not_found)
    server.register_error_handler(Exception, any_error)

    # The page title is written into the HTML page by Dash without escaping.
    app.title = html.escape(str(app.title), quote=True)
    _add_to_layout(app, error_component(error_component_id))

    ensure_handler()
    for logger in (log, server.logger, app.logger):
        without_exception_details(logger)
    if settings.auth != "none" and audit_log is None:
        log.warning(
            "authentication is on but TRIAL_AUDIT_LOG is not set: loads and exports are not audited"
        )
    _audit_load(server)


def _configure(server: flask.Flask, settings: Settings) -> None:
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    server.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    server.config["PROPAGATE_EXCEPTIONS"] = False
    server.config["TRAP_HTTP_EXCEPTIONS"] = False
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Strict"


def _add_to_layout(app, component) -> None:
    """Serve `component` in every page, next to the app's own layout."""
    from dash.html import Div

    layout = app.layout
    if callable(layout):
        app.layout = lambda *a, **k: Div([layout(*a, **k), component])
    elif layout is not None:
        app.layout = Div([layout, component])


def _audit_load(server: flask.Flask) -> None:
    trial = server.config.get("TRIAL")
    if trial is None:
        return
    with server.app_context():
        audit(
            "load",
            fingerprint=getattr(trial, "fingerprint", ""),
            source=Path(str(getattr(trial, "source", ""))).name,
            patients=len(trial.patients),
            data_status=getattr(trial.study, "data_status", ""),
        )
