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

from . import ids

TRIAL_CONFIG_KEY = "TRIAL"  # the default trial (also read by the security audit of loads)
DATASET_CONFIG_KEY = "TRIAL_DATASET"
SESSIONS_CONFIG_KEY = "TRIAL_SESSIONS"
SESSION_COOKIE = "trial_session"


PAGE_DATASET_FIELD = "trialDataset"  # in every callback request: the dataset of the page

# The renderer adds the key of the page's dataset (ids.PAGE_DATASET) to every callback request.
REQUEST_HOOKS = {
    "request_pre": (
        "function (payload) { var el = document.getElementById('" + ids.PAGE_DATASET + "'); "
        "if (el && payload) { payload." + PAGE_DATASET_FIELD + " = el.getAttribute('data-key'); } }"
    )
}


GONE_ON_LOAD = (
    "The dataset you had opened in this browser is no longer on the server (it was "
    "closed, or deleted after a long time without use): this is the dashboard's "
    "own data. Open your files again to see them."
)


class SessionGone(Exception):
    """The dataset a page shows is no longer the browser's: its upload was closed or replaced
    (perhaps in another tab), or deleted after a long time without use."""

    user_message = (
        "The dataset this page shows is no longer open in this browser: it was "
        "closed or replaced (perhaps in another tab), or deleted after a long time "
        "without use. Reload the page to see the data that are open now."
    )


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
        dataset = default_dataset()
    else:
        found = store.get(token, owner=security.session_owner())
        if found is None:
            raise SessionGone()
        dataset = found
    page = page_dataset_key()
    if page is not None and page != dataset.key:
        raise SessionGone()  # the cookie was cleared or replaced since the page was built
    return dataset


def page_dataset_key() -> str | None:
    """The key of the dataset the page that sent this callback request shows, if it says."""
    if not flask.has_request_context() or flask.request.method != "POST":
        return None
    body = flask.request.get_json(silent=True)
    key = body.get(PAGE_DATASET_FIELD) if isinstance(body, dict) else None
    return key if isinstance(key, str) else None


def current_trial() -> Trial:
    return current_dataset().trial


def only_when_visible(tab_id: str):
    """Make a view callback compute only while its tab is shown.

    The callback gets the tab on screen as its first input (`Input(ids.VISIBLE_TAB, "data")`,
    none while a patient's page is shown); while another tab or a patient is shown a filter
    change costs nothing, and showing the tab brings the view up to date, since it is an input.
    """

    def wrap(fn):
        def run(active_tab, *args):
            if active_tab != tab_id:
                raise PreventUpdate
            return fn(*args)

        run.__name__, run.__doc__, run.__module__ = fn.__name__, fn.__doc__, fn.__module__
        return run

    return wrap
