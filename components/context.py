"""Access to the trial a request is about, without module-level state.

`create_app` keeps the loaded, read-only default `Dataset` (the trial it was started with) in
the Flask config of its server, and, when uploads are on, a `SessionStore` of datasets uploaded
in browsers. A request whose browser holds a session cookie is about that session's dataset;
every other request is about the default one. Callbacks run inside a request and read it here.
"""
from __future__ import annotations

import flask
from dash.exceptions import PreventUpdate

import security
from trial.model import Trial
from trial.sessions import Dataset, SessionStore

TRIAL_CONFIG_KEY = "TRIAL"  # the default trial (also read by the security audit of loads)
DATASET_CONFIG_KEY = "TRIAL_DATASET"
SESSIONS_CONFIG_KEY = "TRIAL_SESSIONS"
SESSION_COOKIE = "trial_session"


class SessionGone(Exception):
    """The browser's uploaded dataset no longer exists (closed in another tab, or expired)."""

    user_message = ("Your uploaded dataset is no longer on the server (it was closed, or not "
                    "used for a long time, and was deleted). Reload the page to continue with "
                    "the dashboard's own data, or upload the files again.")


def session_store() -> SessionStore | None:
    return flask.current_app.config.get(SESSIONS_CONFIG_KEY)


def session_token() -> str | None:
    """The session token the browser sent, if any."""
    if not flask.has_request_context():
        return None
    return flask.request.cookies.get(SESSION_COOKIE) or None


def default_dataset() -> Dataset:
    return flask.current_app.config[DATASET_CONFIG_KEY]


def current_dataset() -> Dataset:
    """The dataset of this request: the session's upload if the browser has one, else the
    default. Raises `SessionGone` when the browser names a session that no longer exists, so
    that no view silently shows other data than the page it belongs to."""
    store, token = session_store(), session_token()
    if store is None or token is None:
        return default_dataset()
    dataset = store.get(token, owner=security.current_user())
    if dataset is None:
        raise SessionGone()
    return dataset


def current_trial() -> Trial:
    return current_dataset().trial


def only_when_visible(tab_id: str):
    """Make a view callback compute only while its tab is shown.

    The callback gets the active tab as its first input (`Input(ids.TABS, "active_tab")`); while
    another tab is shown a filter change costs nothing, and showing the tab brings the view up
    to date, since the active tab is an input too.
    """
    def wrap(fn):
        def run(active_tab, *args):
            if active_tab != tab_id:
                raise PreventUpdate
            return fn(*args)
        run.__name__, run.__doc__, run.__module__ = fn.__name__, fn.__doc__, fn.__module__
        return run
    return wrap
