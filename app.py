"""The trial results dashboard.

    python app.py [--data PATH] [--host 127.0.0.1] [--port 8050] [--debug]

`create_app(trial)` builds the Dash app for one loaded trial. For WSGI servers, `app:server`
serves the trial in the folder named by the TRIAL_DATA environment variable (default: the demo).
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, _callback, html

from components import cards, filters, ids, quality, survival, trajectories
from components import pages, patient, patient_list, selection
from components import appearance, export, tables  # noqa: F401  (export: callbacks)
from components import presenter, share
import security
from components.context import TRIAL_CONFIG_KEY
from trial.loader import load_trial
from trial.model import DataError, Trial

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"

# The views register their callbacks with `dash.callback` when imported. Dash hands those global
# callbacks to the first app that serves a request only; we keep them here and give them to every
# app that `create_app` builds (tests build several apps in one process).
_VIEW_CALLBACK_MAP = dict(_callback.GLOBAL_CALLBACK_MAP)
_VIEW_CALLBACK_LIST = list(_callback.GLOBAL_CALLBACK_LIST)
_callback.GLOBAL_CALLBACK_MAP.clear()
_callback.GLOBAL_CALLBACK_LIST.clear()


def honesty_banner(trial: Trial) -> html.Div:
    """On every page: whether the patient-level values are real or simulated."""
    study = trial.study
    if study.is_simulated:
        return dbc.Alert([
            html.Strong("Simulated demo data. "),
            html.Span(study.data_note or "Patient-level values are simulated."),
            html.Span(" They are not the trial's patient data."),
        ], color="warning", className="honesty-banner mb-2", id="honesty-banner")
    return html.Div(f"Data: {Path(trial.source).name}",  # a name, never a server path
                    className="data-source text-muted small mb-2",
                    id="honesty-banner")


def header(trial: Trial) -> html.Div:
    study = trial.study
    subtitle = " · ".join(x for x in (study.registry_id, study.citation) if x)
    return html.Div([html.Div([
        html.H1(study.title, className="app-title"),
        html.Div(subtitle, className="app-subtitle"),
    ]), appearance.theme_switch()], className="app-header")


def build_layout(trial: Trial) -> dbc.Container:
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
        header(trial),
        honesty_banner(trial),
        dbc.Row([
            dbc.Col([selection.layout(), filters.layout(trial)], md=3, lg=2, className="sidebar"),
            dbc.Col([share.notice(), pages.layout(
                [html.Div([share.layout(), presenter.toolbar()], className="share-bar",
                          id=ids.SHARE_BAR), cards.layout(), tabs], patient.layout())],
                md=9, lg=10),
        ]),
        presenter.stores_and_modal(),
    ], fluid=True, className="app-container", id=ids.APP_CONTAINER)


def create_app(trial: Trial) -> Dash:
    """The Dash app serving one loaded, validated trial."""
    settings = security.Settings.from_env()  # the one place the environment is read
    app = Dash(__name__, title=trial.study.short_title or "Trial dashboard",
               on_error=security.on_callback_error,
               assets_folder=str(HERE / "assets"), serve_locally=True,
               suppress_callback_exceptions=False)
    app.server.config[TRIAL_CONFIG_KEY] = trial
    app.server.config[filters.CHOICES_CONFIG_KEY] = filters.filter_choices(trial)
    app.layout = build_layout(trial)
    app.callback_map.update(_VIEW_CALLBACK_MAP)
    app._callback_list.extend(_VIEW_CALLBACK_LIST)
    security.install(app, settings)
    return app


@functools.lru_cache(maxsize=1)
def _wsgi_app() -> Dash:
    return create_app(load_trial(Path(os.environ.get("TRIAL_DATA", DEFAULT_DATA))))


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
        trial = load_trial(args.data)
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
    app.run(host=args.host, port=args.port, debug=args.debug, **security.run_options())
    return 0


if __name__ == "__main__":
    sys.exit(main())
