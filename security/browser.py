"""Who owns what a browser opens: the signed-in user, or, with authentication off, the browser.

Without sign-in every browser gets a random id in a cookie (HttpOnly, SameSite=Lax, Secure over
HTTPS) on its first response; `session_owner()` is that browser's own name, so that anonymous
browsers never share, see or evict each other's uploaded datasets.
"""

from __future__ import annotations

import re
import secrets

import flask

from .audit import current_user
from .headers import STATIC_PREFIXES
from .settings import app_settings

BROWSER_COOKIE = "trial_browser"
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_NEW_ID_ATTRIBUTE = "trial_new_browser_id"  # flask.g: the id given to this request's browser


def secure_cookies() -> bool:
    """Whether cookies must be `Secure`: over HTTPS, also when a proxy ends it (TRIAL_HSTS)."""
    settings = app_settings()
    return flask.request.is_secure or bool(settings is not None and settings.hsts)


def _sent_browser_id() -> str | None:
    value = flask.request.cookies.get(BROWSER_COOKIE, "")
    return value if _BROWSER_ID.match(value) else None


def browser_id() -> str:
    """This request's browser id: the one its cookie holds, else a new one (sent back with the
    response by `remember_browser`)."""
    sent = _sent_browser_id()
    if sent is not None:
        return sent
    new = getattr(flask.g, _NEW_ID_ATTRIBUTE, None)
    if new is None:
        new = secrets.token_urlsafe(32)
        setattr(flask.g, _NEW_ID_ATTRIBUTE, new)
    return new


def session_owner() -> str:
    """Who owns the datasets this request opens or uses: the signed-in user; with
    authentication off, this browser."""
    settings = app_settings()
    if settings is not None and settings.auth != "none":
        return current_user()
    return f"browser:{browser_id()}"


def remember_browser(response: flask.Response) -> flask.Response:
    """after_request (authentication off): give a browser without an id its id (not with
    static files, which shared caches may keep)."""
    if _sent_browser_id() is None and not flask.request.path.startswith(STATIC_PREFIXES):
        # A session cookie (no expiry), like the upload session it names the owner of.
        response.set_cookie(
            BROWSER_COOKIE,
            browser_id(),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(),
        )
    return response
