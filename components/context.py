"""Access to the trial served by the current app, without module-level state.

`create_app` stores the loaded, read-only `Trial` in the Flask config of its server; callbacks
run inside a request of that server and read it from there.
"""
from __future__ import annotations

import flask
from dash.exceptions import PreventUpdate

from trial.model import Trial

TRIAL_CONFIG_KEY = "TRIAL"


def current_trial() -> Trial:
    return flask.current_app.config[TRIAL_CONFIG_KEY]


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
