"""The trial results dashboard.

    python app.py [--data PATH] [--host 127.0.0.1] [--port 8050] [--debug]

`create_app(trial)` builds the Dash app for one loaded trial. For WSGI servers, `app:server`
serves the trial in the folder named by the TRIAL_DATA environment variable (default: the demo).
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import signal
import sys
from pathlib import Path
from typing import cast

from dash import Dash
from dash.types import RendererHooks

import security
from components import ids
from components.context import (
    DATASET_CONFIG_KEY,
    REQUEST_HOOKS,
    SESSIONS_CONFIG_KEY,
    TRIAL_CONFIG_KEY,
)
from components.export import callbacks as export_callbacks
from components.shell import appearance, pages, presenter, selection, share, upload
from components.shell.layout import page_layout
from components.state.filters import dataset_choices
from components.views import (
    cards,
    effects,
    filters,
    patient,
    patients,
    response,
    survival,
    tables,
    trajectories,
)
from trial.loader import load_trial_bounded
from trial.model import DataError, Trial
from trial.private import UnsafeFolder
from trial.sessions import Dataset, SessionSettings, SessionStore
from trial.upload import UploadLimits

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"
# Every module with callbacks registers them on the app it is given (public `app.callback`),
# so that several apps in one process each get their own.
REGISTRARS = (
    filters,
    cards,
    trajectories,
    survival,
    effects,
    response,
    patients,
    patient,
    tables,
    pages,
    selection,
    share,
    presenter,
    upload,
    appearance,
    export_callbacks,
)


def data_name(trial: Trial) -> str:
    return Path(trial.source).name


def session_store(settings: security.Settings) -> SessionStore | None:
    """Where browser uploads are kept (None when they are off). The folder is made by this
    process; with several worker processes give TRIAL_UPLOAD_DIR or preload the app, so that
    all of them find every session."""
    if not settings.uploads:
        return None
    limits = UploadLimits(
        max_bytes=settings.max_upload_bytes,
        max_unpacked_bytes=min(1024**3, 10 * settings.max_upload_bytes),
    )
    session_settings = SessionSettings(ttl_seconds=settings.upload_ttl_minutes * 60, limits=limits)
    if settings.upload_dir is not None:
        try:
            return SessionStore(settings.upload_dir, session_settings)
        except UnsafeFolder as err:
            raise security.ConfigError(f"TRIAL_UPLOAD_DIR: {err}") from None
    store = SessionStore.temporary(session_settings)
    owner = os.getpid()

    # The folder made here goes when this process ends (not when a forked worker does).
    def remove_at_exit() -> None:
        if os.getpid() == owner:
            store.remove_all()

    atexit.register(remove_at_exit)
    return store


def create_app(trial: Trial) -> Dash:
    """The Dash app serving one loaded, validated trial (and, if on, datasets uploaded in
    browsers, each in its own session)."""
    settings = security.Settings.from_env()  # the one place the environment is read
    app = Dash(
        __name__,
        title=trial.study.short_title or "Trial dashboard",
        on_error=security.callback_error_handler(ids.APP_ERROR),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=False,
        hooks=cast(RendererHooks, REQUEST_HOOKS),  # a plain dict literal in components.context
    )
    default = Dataset(trial, data_name(trial))
    store = session_store(settings)
    app.server.config[TRIAL_CONFIG_KEY] = trial
    app.server.config[DATASET_CONFIG_KEY] = default
    app.server.config[SESSIONS_CONFIG_KEY] = store
    dataset_choices(default)  # computed once, before the first page asks
    upload.install(app.server, store)
    app.layout = page_layout(default, store.settings if store else None)
    for module in REGISTRARS:
        module.register(app)
    security.install(app, settings, error_component_id=ids.APP_ERROR)
    # Dash keeps a copy of a layout function's first page to check callbacks in the browser
    # and writes it into every page it serves; every page is complete, so it is not needed.
    app.validation_layout = None
    return app


@functools.lru_cache(maxsize=1)
def _wsgi_app() -> Dash:
    app = create_app(load_trial_bounded(Path(os.environ.get("TRIAL_DATA", DEFAULT_DATA))))
    settings = app.server.extensions[security.EXTENSION_KEY].settings
    if settings.uploads and settings.upload_dir is None:
        # Each worker made without --preload has its own folder: a session opened on one
        # worker is unknown to the others.
        security.log.warning(
            "uploads: with several worker processes, preload the app "
            "(gunicorn --preload) or set TRIAL_UPLOAD_DIR, or sessions are lost"
        )
    return app


def __getattr__(name: str):
    # `app:server` for WSGI servers, built on first access rather than at import.
    if name == "server":
        return _wsgi_app().server
    if name == "app":
        return _wsgi_app()
    raise AttributeError(name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="trial folder (default: the shipped demo data)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (development only)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        trial = load_trial_bounded(args.data)  # in a bounded process (trial/bounded.py)
    except DataError as err:
        print(f"Cannot start: the data in {args.data} are not valid.", file=sys.stderr)
        for finding in err.findings:
            print(f"  {finding}", file=sys.stderr)
        return 2 if err.unreadable else 1
    try:
        security.check_run_options(args.host, args.debug)
        app = create_app(trial)
    except security.ConfigError as err:
        print(f"Cannot start: {err}", file=sys.stderr)
        return 2
    # A stop by SIGTERM (a service manager, `kill`) ends like Ctrl-C, through the exit handlers
    # that delete the uploads' temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app.run(host=args.host, port=args.port, debug=args.debug, **security.run_options())
    return 0


if __name__ == "__main__":
    sys.exit(main())
