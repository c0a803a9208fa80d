"""HTTP headers of every response (CSP with Dash's script hashes, no caching of data, no server
versions) and the refusal of odd paths."""

from __future__ import annotations

from collections.abc import Callable

import flask
from werkzeug.serving import WSGIRequestHandler

from .errors import plain
from .settings import Settings

SERVER_NAME = "trial-dashboard"
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


def security_headers(
    csp_hashes: Callable[[], list[str]], settings: Settings
) -> Callable[[flask.Response], flask.Response]:
    """The after_request hook that adds the security headers (`csp_hashes`: the Dash app's)."""

    def add_headers(response: flask.Response) -> flask.Response:
        h = response.headers
        h["Content-Security-Policy"] = content_security_policy(list(csp_hashes()))
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        h["Server"] = SERVER_NAME
        if settings.hsts:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not flask.request.path.startswith(STATIC_PREFIXES):
            # Pages, layout and callback responses hold patient data: not kept in browser caches.
            h["Cache-Control"] = "no-store"
            h.pop("Expires", None)
            h.pop("ETag", None)
        if settings.auth != "none":
            h.add("Vary", "Authorization")
        return response

    return add_headers


def refuse_odd_paths() -> flask.Response | None:
    """before_request (after authentication): no '..' segments, NUL bytes or backslashes in any
    URL, and static prefixes only through their own routes (never the page catch-all)."""
    req = flask.request
    path = req.path
    segments = path.replace("\\", "/").split("/")
    if ".." in segments or "\x00" in path or "\\" in path:
        return plain(404)
    if path.startswith(STATIC_PREFIXES[:2]) and req.endpoint not in (None, *_static_endpoints()):
        return plain(404)
    return None


def _static_endpoints() -> tuple[str, ...]:
    server = flask.current_app
    return tuple(
        rule.endpoint
        for rule in server.url_map.iter_rules()
        if rule.rule.startswith(STATIC_PREFIXES[:2])
    )


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without the `Server: Werkzeug/x Python/y` version."""

    def version_string(self) -> str:
        return SERVER_NAME


def run_options() -> dict:
    """Extra options of `app.run` for `python app.py` (the development server)."""
    return {"request_handler": QuietRequestHandler}
