"""Error responses and the callback-error message: short fixed texts with a reference, never a
traceback, a server path or data; the log gets the exception's type and code locations."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from .logs import locations, log, route_pattern

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
FRIENDLY_CALLBACK_ERROR = (
    "This view could not be updated. Try again or change the selection; "
    "if it happens again, give the data team the reference {ref}."
)


def plain(code: int, headers: dict[str, str] | None = None, **kw: str) -> flask.Response:
    """A short plain-text response for `code` (its text from ERROR_TEXTS, filled with `kw`)."""
    text = ERROR_TEXTS.get(code, "Error.")
    resp = flask.Response(
        (text.format(**kw) if kw else text) + "\n", status=code, mimetype="text/plain"
    )
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _http_error(err: HTTPException) -> flask.Response:
    code = err.code or 500
    if code == 413:
        limit = flask.request.max_content_length or 0  # a route may have its own
        return plain(413, limit=f"{limit / 1024 / 1024:g} MB")
    if code >= 500:
        return _server_error(err)
    return plain(code if code in ERROR_TEXTS else 400)


def _server_error(err: BaseException) -> flask.Response:
    ref = secrets.token_hex(4)
    original = getattr(err, "original_exception", None) or err
    log.error(
        "server error ref=%s %s: %s at %s",
        ref,
        route_pattern(),
        type(original).__name__,
        locations(original),
    )
    return plain(500, ref=ref)


def any_error(err: Exception) -> flask.Response:
    """Flask error handler for every HTTP error code and every exception."""
    if isinstance(err, HTTPException):
        return _http_error(err)
    return _server_error(err)


def not_found(_err: Exception) -> flask.Response:
    return plain(404)


def _component_id(spec: Any) -> str:
    cid = spec.get("id") if isinstance(spec, dict) else None
    if isinstance(cid, dict):  # pattern-matching id: its values may come from data
        return f"{{type: {cid.get('type', '?')}}}"
    return str(cid)[:80]


def _callback_outputs() -> str:
    from dash import callback_context
    from dash.exceptions import MissingCallbackContextException

    try:
        outputs = callback_context.outputs_list
        outputs = outputs if isinstance(outputs, list) else [outputs]
        flat = [o for x in outputs for o in (x if isinstance(x, list) else [x])]
        return ", ".join(
            f"{_component_id(o)}.{o.get('property')}" for o in flat if isinstance(o, dict)
        )
    except (MissingCallbackContextException, AttributeError, TypeError):  # still log and show
        return "?"


def callback_error_handler(component_id: str) -> Callable[[Exception], None]:
    """The Dash `on_error` handler: a friendly message with a reference in the component
    `component_id` (see `error_component`), the details in the log, never the exception text
    (it may hold patient data)."""

    def on_callback_error(err: Exception) -> None:
        from dash import set_props

        message = getattr(err, "user_message", None)
        if isinstance(message, str):  # an expected condition with its own words (no details)
            log.info("callback stopped: %s", type(err).__name__)
            set_props(component_id, {"is_open": True, "children": message})
            return
        ref = secrets.token_hex(4)
        log.error(
            "callback error ref=%s outputs=[%s] %s at %s",
            ref,
            _callback_outputs(),
            type(err).__name__,
            locations(err),
        )
        set_props(
            component_id, {"is_open": True, "children": FRIENDLY_CALLBACK_ERROR.format(ref=ref)}
        )

    return on_callback_error


def error_component(component_id: str):
    """Where the callback-error message shows: a toast, closed until a callback fails."""
    import dash_bootstrap_components as dbc

    return dbc.Toast(
        id=component_id,
        header="Something went wrong",
        icon="danger",
        is_open=False,
        dismissable=True,
        children="",
        className="app-error-toast",
        style={
            "position": "fixed",
            "top": "1rem",
            "right": "1rem",
            "width": "24rem",
            "zIndex": 2000,
        },
    )
