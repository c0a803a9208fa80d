"""Opening a dataset in the browser: drop a folder, files or a zip, see it checked, explore it.

The files go through the checks of `python -m trial check` before anything is shown; if they
fail, the dialog lists every finding and the dashboard stays as it was. If they pass, the dataset
becomes this browser session's (a cookie names it; see components/context.py and
trial/sessions.py) and the page reloads on it. Only this browser sees it; closing it, or not
using it for the configured time, deletes its files from the server's temporary area.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import security
from trial.model import DataError
from trial.sessions import Dataset, SessionSettings, SessionStore
from trial.upload import DATA_SUFFIXES, check_sizes, decode_data_url

from . import ids
from .context import SESSION_COOKIE, session_store, session_token
from .quality import finding_item

MAX_FINDINGS_SHOWN = 50


# --- layout --------------------------------------------------------------------------------

def open_button(shown: bool) -> dbc.Button:
    return dbc.Button("Open data…", id=ids.UPLOAD_OPEN, color="primary", outline=True,
                      size="sm", className="upload-open", style=None if shown else HIDDEN)


HIDDEN = {"display": "none"}


def _minutes(settings: SessionSettings) -> str:
    return f"{settings.ttl_seconds / 60:g} minutes"


def _drop_zone(id_: str, text: str, **kw) -> dcc.Upload:
    return dcc.Upload(id=id_, children=html.Div(text), multiple=True,
                      max_size=-1, className="upload-zone", **kw)


def modal(settings: SessionSettings) -> dbc.Modal:
    limit_mb = settings.limits.max_bytes / 1024 / 1024
    formats = ", ".join(DATA_SUFFIXES[1:])
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Open a dataset")),
        dbc.ModalBody([
            html.P(["Either a trial folder in the dashboard's format (study.json with patients, "
                    "measurements and events) or CDISC ADaM datasets (ADSL with ADLB, ADVS, "
                    "ADQS, ADTTE, ADAE; optional adam.json). Files: ", formats,
                    ", or a .zip of them."]),
            _drop_zone(ids.UPLOAD_FILES, "Drop a folder, files or a zip here, or click to "
                                         "choose files"),
            _drop_zone(ids.UPLOAD_FOLDER, "…or click here to choose a folder",
                       enable_folder_selection=True),
            html.P([f"Up to {limit_mb:g} MB in all. The files are checked before anything is "
                    "shown. Only this browser sees the dataset; the server keeps it in a "
                    "temporary area and deletes it when you close it or after ",
                    _minutes(settings), " without use."], className="small text-muted mt-2"),
            dcc.Loading(html.Div(id=ids.UPLOAD_STATUS, className="upload-status"),
                        type="dot"),
        ]),
    ], id=ids.UPLOAD_MODAL, is_open=False, size="lg", scrollable=True)


def session_bar(dataset: Dataset, settings: SessionSettings | None) -> dbc.Alert:
    """Above the page while an uploaded dataset is shown: which, for whom, until when. (In
    every layout, hidden otherwise, so that its button's callback always has its input.)"""
    shown = dataset.uploaded and settings is not None
    until = f"after {_minutes(settings)} without use" if settings else "when the server stops"
    return dbc.Alert([
        html.Strong("Uploaded dataset: "), html.Span(dataset.name, className="upload-name"),
        html.Span(f" — only in this browser; deleted when you close it or {until}. "),
        dbc.Button("Close it and return to the dashboard's data", id=ids.UPLOAD_CLOSE,
                   size="sm", color="info", outline=True, className="ms-2"),
    ], color="info", className="upload-bar mb-2 py-2", style=None if shown else HIDDEN)


def controls(dataset: Dataset, settings: SessionSettings | None) -> html.Div:
    """Everything of this view in the page: the dialog, the reload target, the session bar."""
    return html.Div([
        modal(settings or SessionSettings()),
        dcc.Location(id=ids.UPLOAD_RELOAD, refresh=True),
        session_bar(dataset, settings),
    ])


def gone_notice(message: str | None) -> dbc.Alert:
    return dbc.Alert(message, id=ids.UPLOAD_NOTICE, color="warning", dismissable=True,
                     className="mb-2", is_open=bool(message))


# --- receiving files (pure, given the store) -----------------------------------------------

def upload_pairs(contents, names) -> list[tuple[str, str]]:
    """(name, data URL) pairs from dcc.Upload's `contents` and `filename` (lists or single)."""
    if contents is None:
        return []
    contents = contents if isinstance(contents, list) else [contents]
    names = names if isinstance(names, list) else [names]
    return [(str(n or "unnamed"), str(c)) for n, c in zip(names, contents)]


def accept_upload(store: SessionStore, pairs: list[tuple[str, str]], owner: str):
    """Check, decode, stage and load an upload: (token, dataset, staged) or `DataError`."""
    check_sizes(pairs, store.settings.limits)
    files = [(name, decode_data_url(name, url)) for name, url in pairs]
    return store.create(files, owner)


def refusal(err: DataError) -> html.Div:
    shown = err.findings[:MAX_FINDINGS_SHOWN]
    more = len(err.findings) - len(shown)
    return html.Div([
        dbc.Alert(f"The dataset was not opened: {len(err.findings)} problem"
                  f"{'s' if len(err.findings) != 1 else ''} must be fixed first. Nothing was "
                  f"kept on the server.", color="danger", className="mb-2"),
        dbc.ListGroup([finding_item(f) for f in shown], className="upload-findings"),
        html.P(f"…and {more} more (run `python -m trial check FOLDER` for the full list).",
               className="small mt-2") if more else None,
    ])


def acceptance(dataset: Dataset, staged) -> html.Div:
    ignored = [html.Li(f"{name}: {why}") for name, why in staged.ignored]
    return html.Div([
        dbc.Alert([html.Strong("Checked and opened: "), dataset.name,
                   f" ({len(dataset.trial.patients)} subjects). Loading the dashboard…"],
                  color="success", className="mb-2"),
        html.Div([html.Div("Set aside (not data):", className="small"),
                  html.Ul(ignored, className="small")]) if ignored else None,
    ])


# --- callbacks -----------------------------------------------------------------------------

@callback(Output(ids.UPLOAD_MODAL, "is_open"), Input(ids.UPLOAD_OPEN, "n_clicks"),
          prevent_initial_call=True)
def open_dialog(_clicks):
    return True


def _set_cookie(token: str | None) -> None:
    response = ctx.response
    if token is None:
        response.set_cookie(SESSION_COOKIE, "", max_age=0, path="/", httponly=True,
                            samesite="Lax")
        return
    # A session cookie (no expiry): it goes when the browser closes; the server's copy expires.
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="Lax",
                        secure=security.secure_cookies())


@callback(
    Output(ids.UPLOAD_STATUS, "children"), Output(ids.UPLOAD_RELOAD, "href"),
    Output(ids.UPLOAD_FILES, "contents"), Output(ids.UPLOAD_FOLDER, "contents"),
    Input(ids.UPLOAD_FILES, "contents"), State(ids.UPLOAD_FILES, "filename"),
    Input(ids.UPLOAD_FOLDER, "contents"), State(ids.UPLOAD_FOLDER, "filename"),
    prevent_initial_call=True,
)
def receive_upload(contents, names, folder_contents, folder_names):
    """Check the dropped files; open them in this session, or list what is wrong."""
    store = session_store()
    pairs = upload_pairs(contents, names) + upload_pairs(folder_contents, folder_names)
    if store is None or not pairs:
        raise PreventUpdate
    try:
        token, dataset, staged = accept_upload(store, pairs, security.current_user())
    except DataError as err:
        security.audit("upload", result="refused", files=len(pairs), problems=len(err.findings))
        # The contents are cleared so that the browser does not keep the files' bytes.
        return refusal(err), no_update, None, None
    store.close(session_token())  # the dataset this browser had before, if any
    security.audit("upload", result="opened", files=len(staged.written),
                   fingerprint=dataset.trial.fingerprint,
                   patients=int(len(dataset.trial.patients)),
                   data_status=dataset.trial.study.data_status)
    _set_cookie(token)
    return acceptance(dataset, staged), "/", None, None


@callback(Output(ids.UPLOAD_RELOAD, "href", allow_duplicate=True),
          Input(ids.UPLOAD_CLOSE, "n_clicks"), prevent_initial_call=True)
def close_upload(_clicks):
    """Delete this browser's uploaded dataset now and go back to the dashboard's own data."""
    store = session_store()
    if store is not None:
        store.close(session_token())
        security.audit("close-upload")
    _set_cookie(None)
    return "/"
