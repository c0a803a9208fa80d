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

import dash_bootstrap_components as dbc
import flask
from dash import Dash, _callback, html

from components import cards, filters, ids, quality, survival, trajectories
from components import pages, patient, patient_list, selection
from components import appearance, export, tables  # noqa: F401  (export: callbacks)
from components import presenter, share, upload
import security
from components.context import (DATASET_CONFIG_KEY, SESSIONS_CONFIG_KEY, TRIAL_CONFIG_KEY,
                                GONE_ON_LOAD, REQUEST_HOOKS, SessionGone,
                                current_dataset)
from trial.loader import load_trial, load_trial_bounded
from trial.model import DataError, Trial
from trial.sessions import Dataset, SessionSettings, SessionStore, UnsafeFolder
from trial.upload import UploadLimits

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"

# The views register their callbacks with `dash.callback` when imported. Dash hands those global
# callbacks to the first app that serves a request only; we keep them here and give them to every
# app that `create_app` builds (tests build several apps in one process).
_VIEW_CALLBACK_MAP = dict(_callback.GLOBAL_CALLBACK_MAP)
_VIEW_CALLBACK_LIST = list(_callback.GLOBAL_CALLBACK_LIST)
_callback.GLOBAL_CALLBACK_MAP.clear()
_callback.GLOBAL_CALLBACK_LIST.clear()


def honesty_banner(dataset: Dataset) -> html.Div:
    """On every page: whether the patient-level values are real or simulated."""
    trial = dataset.trial
    study = trial.study
    if study.is_simulated:
        return dbc.Alert([
            html.Strong("Simulated demo data. "),
            html.Span(study.data_note or "Patient-level values are simulated."),
            html.Span(" They are not the trial's patient data."),
        ], color="warning", className="honesty-banner mb-2", id="honesty-banner")
    return html.Div(f"Data: {dataset.name}",  # a name, never a server path
                    className="data-source text-muted small mb-2",
                    id="honesty-banner", hidden=dataset.uploaded)  # the upload bar names it


def header(trial: Trial, uploads: bool) -> html.Div:
    study = trial.study
    subtitle = " · ".join(x for x in (study.registry_id, study.citation) if x)
    return html.Div([html.Div([
        html.H1(study.title, className="app-title"),
        html.Div(subtitle, className="app-subtitle"),
    ]), html.Div([upload.open_button(uploads), appearance.theme_switch()],
                 className="header-actions")], className="app-header")


def build_layout(dataset: Dataset, uploads: SessionSettings | None = None) -> dbc.Container:
    """The page for one dataset; `uploads`: the settings of browser uploads, None when off."""
    trial = dataset.trial
    n_warnings = len(trial.warnings)
    quality_label = f"Data quality ({n_warnings})" if n_warnings else "Data quality"
    tabs = dbc.Tabs([
        dbc.Tab(trajectories.layout(trial), label="Trajectories", tab_id=ids.TAB_TRAJECTORIES),
        dbc.Tab(survival.layout(trial), label="Survival & relapse", tab_id=ids.TAB_SURVIVAL),
        dbc.Tab(patient_list.layout(trial), label="Patients", tab_id=ids.TAB_PATIENTS),
        dbc.Tab(tables.layout(trial), label="Tables", tab_id=ids.TAB_TABLES),
        dbc.Tab(quality.layout(trial), label=quality_label, tab_id=ids.TAB_QUALITY,
                label_class_name="text-warning-emphasis" if n_warnings else ""),
    ], id=ids.TABS, active_tab=ids.TAB_TRAJECTORIES)
    return dbc.Container([
        header(trial, uploads is not None),
        upload.controls(dataset, uploads),
        honesty_banner(dataset),
        dbc.Row([
            dbc.Col([selection.layout(), filters.layout(trial)], md=3, lg=2, className="sidebar"),
            dbc.Col([share.notice(), pages.layout(
                [html.Div([share.layout(), presenter.toolbar()], className="share-bar",
                          id=ids.SHARE_BAR), cards.layout(), tabs], patient.layout())],
                md=9, lg=10),
        ]),
        presenter.stores_and_modal(),
        html.Div(id=ids.PAGE_DATASET, hidden=True, **{"data-key": dataset.key}),
    ], fluid=True, className="app-container", id=ids.APP_CONTAINER)


def data_name(trial: Trial) -> str:
    return Path(trial.source).name


def page_layout(default: Dataset, uploads: SessionSettings | None):
    """The layout function: the page of the request's dataset, built once per dataset.

    A browser whose uploaded dataset has gone gets the default page with a notice, and its
    session cookie is cleared."""
    def build(dataset: Dataset) -> dbc.Container:
        return build_layout(dataset, uploads)

    def layout():
        dataset, notice = default, None
        if flask.has_request_context():  # Dash also calls it once at start, outside requests
            try:
                dataset = current_dataset()
            except SessionGone:
                notice = GONE_ON_LOAD
                flask.after_this_request(upload.without_session_cookie)
        return html.Div([upload.gone_notice(notice), dataset.derived("layout", build)])
    return layout


def session_store(settings: security.Settings) -> SessionStore | None:
    """Where browser uploads are kept (None when they are off). The folder is made by this
    process; with several worker processes give TRIAL_UPLOAD_DIR or preload the app, so that
    all of them find every session."""
    if not settings.uploads:
        return None
    limits = UploadLimits(max_bytes=settings.max_upload_bytes,
                          max_unpacked_bytes=min(1024 ** 3, 10 * settings.max_upload_bytes))
    session_settings = SessionSettings(ttl_seconds=settings.upload_ttl_minutes * 60,
                                       limits=limits)
    if settings.upload_dir is not None:
        try:
            return SessionStore(settings.upload_dir, session_settings)
        except UnsafeFolder as err:
            raise security.ConfigError(f"TRIAL_UPLOAD_DIR: {err}") from None
    store = SessionStore.temporary(session_settings)
    owner = os.getpid()
    # The folder made here goes when this process ends (not when a forked worker does).
    atexit.register(lambda: os.getpid() == owner and store.remove_all())
    return store


def create_app(trial: Trial) -> Dash:
    """The Dash app serving one loaded, validated trial (and, if on, datasets uploaded in
    browsers, each in its own session)."""
    settings = security.Settings.from_env()  # the one place the environment is read
    app = Dash(__name__, title=trial.study.short_title or "Trial dashboard",
               on_error=security.on_callback_error,
               assets_folder=str(HERE / "assets"), serve_locally=True,
               suppress_callback_exceptions=False, hooks=REQUEST_HOOKS)
    default = Dataset(trial, data_name(trial))
    store = session_store(settings)
    app.server.config[TRIAL_CONFIG_KEY] = trial
    app.server.config[DATASET_CONFIG_KEY] = default
    app.server.config[SESSIONS_CONFIG_KEY] = store
    default.derived("filter_choices", lambda ds: filters.filter_choices(ds.trial))
    upload.install(app.server, store)
    app.layout = page_layout(default, store.settings if store else None)
    app.callback_map.update(_VIEW_CALLBACK_MAP)
    app._callback_list.extend(_VIEW_CALLBACK_LIST)
    security.install(app, settings)
    # Dash keeps a copy of a layout function's first page to check callbacks in the browser
    # and writes it into every page it serves; every page is complete, so it is not needed.
    app.validation_layout = None
    return app


@functools.lru_cache(maxsize=1)
def _wsgi_app() -> Dash:
    app = create_app(load_trial(Path(os.environ.get("TRIAL_DATA", DEFAULT_DATA))))
    settings = app.server.extensions[security.EXTENSION_KEY].settings
    if settings.uploads and settings.upload_dir is None:
        # Each worker made without --preload has its own folder: a session opened on one
        # worker is unknown to the others.
        security.log.warning("uploads: with several worker processes, preload the app "
                             "(gunicorn --preload) or set TRIAL_UPLOAD_DIR, or sessions are lost")
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
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="trial folder (default: the shipped demo data)")
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
