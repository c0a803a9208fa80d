"""Access to the trial served by the current app, without module-level state.

`create_app` stores the loaded, read-only `Trial` in the Flask config of its server; callbacks
run inside a request of that server and read it from there.
"""
from __future__ import annotations

import flask

from trial.model import Trial

TRIAL_CONFIG_KEY = "TRIAL"


def current_trial() -> Trial:
    return flask.current_app.config[TRIAL_CONFIG_KEY]
