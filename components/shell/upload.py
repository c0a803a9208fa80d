"""Opening a dataset in the browser: drop a folder, files or a zip, see it checked, explore it.

The browser (assets/upload.js) sends the files as one multipart request to `UPLOAD_ROUTE`, a
plain Flask route with its own size limit: the server streams them to temporary files instead
of holding them in memory, and the rest of the app keeps its small request limit. The files go
through the checks of `python -m trial check` before anything is shown; if they fail, the
dialog lists every finding and the dashboard stays as it was. If they pass, the dataset becomes
this browser session's (a cookie names it; see components/context.py and trial/sessions.py) and
the page reloads on it. Only this browser sees it; closing it, or not using it for the
configured time, deletes its files from the server's temporary area.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import flask
from dash import Dash, Input, Output, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import security
from trial.model import DataError, Finding
from trial.sessions import Dataset, SessionSettings, SessionStore
from trial.upload import DATA_SUFFIXES, UPLOAD_FILE

from .. import ids
from ..context import SESSION_COOKIE, session_store, session_token
from ..views.quality import finding_item

UPLOAD_ROUTE = "/_trial/upload"
UPLOAD_HEADER = "X-Trial-Upload"  # a header of our own: a cross-site form cannot send it
MAX_FINDINGS_SENT = 200
MAX_FINDINGS_SHOWN = 50
HIDDEN = {"display": "none"}


# --- layout --------------------------------------------------------------------------------


def open_button(shown: bool) -> dbc.Button:
    return dbc.Button(
        "Open data…",
        id=ids.UPLOAD_OPEN,
        color="primary",
        outline=True,
        size="sm",
        className="upload-open",
        style=None if shown else HIDDEN,
    )


def _minutes(settings: SessionSettings) -> str:
    return f"{settings.ttl_seconds / 60:g} minutes"


def _drop_zone(id_: str, text: str, kind: str, limit: int) -> html.Div:
    # assets/upload.js handles clicks and drops on these (by class) and posts to the route;
    # files over the limit are refused in the browser, before they are sent.
    return html.Div(
        text,
        id=id_,
        className="upload-zone",
        role="button",
        tabIndex="0",
        **{"data-kind": kind, "data-url": UPLOAD_ROUTE, "data-limit": str(limit)},
    )


def modal(settings: SessionSettings) -> dbc.Modal:
    limit_mb = settings.limits.max_bytes / 1024 / 1024
    formats = ", ".join(DATA_SUFFIXES[1:])
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Open a dataset")),
            dbc.ModalBody(
                [
                    html.P(
                        [
                            "Either a trial folder in the dashboard's format (study.json with "
                            "patients, measurements and events) or CDISC ADaM datasets (ADSL "
                            "with ADLB, ADVS, "
                            "ADQS, ADTTE, ADAE; optional adam.json). Files: ",
                            formats,
                            ", or a .zip of them.",
                        ]
                    ),
                    _drop_zone(
                        ids.UPLOAD_FILES,
                        "Drop a folder, files or a zip here, or click to choose files",
                        "files",
                        settings.limits.max_bytes,
                    ),
                    _drop_zone(
                        ids.UPLOAD_FOLDER,
                        "…or click here to choose a folder",
                        "folder",
                        settings.limits.max_bytes,
                    ),
                    html.P(
                        [
                            f"Up to {limit_mb:g} MB in all. The files are checked before "
                            "anything is "
                            "shown. Only this browser sees the dataset; the server keeps it in a "
                            "temporary area and deletes it when you close it or after ",
                            _minutes(settings),
                            " without use.",
                        ],
                        className="small text-muted mt-2",
                    ),
                    html.Div(
                        id=ids.UPLOAD_PROGRESS,
                        className="upload-progress small",
                        **{"aria-live": "polite"},
                    ),
                    html.Div(id=ids.UPLOAD_STATUS, className="upload-status"),
                    dcc.Store(id=ids.UPLOAD_RESULT),
                ]
            ),
        ],
        id=ids.UPLOAD_MODAL,
        is_open=False,
        size="lg",
        scrollable=True,
    )


def session_bar(dataset: Dataset, settings: SessionSettings | None) -> dbc.Alert:
    """Above the page while an uploaded dataset is shown: which, for whom, until when. (In
    every layout, hidden otherwise, so that its button's callback always has its input.)"""
    shown = dataset.uploaded and settings is not None
    until = f"after {_minutes(settings)} without use" if settings else "when the server stops"
    return dbc.Alert(
        [
            html.Strong("Uploaded dataset: "),
            html.Span(dataset.name, className="upload-name"),
            html.Span(f" — only in this browser; deleted when you close it or {until}. "),
            dbc.Button(
                "Close it and return to the dashboard's data",
                id=ids.UPLOAD_CLOSE,
                size="sm",
                color="info",
                outline=True,
                className="ms-2",
            ),
        ],
        color="info",
        className="upload-bar mb-2 py-2",
        style=None if shown else HIDDEN,
    )


def controls(dataset: Dataset, settings: SessionSettings | None) -> html.Div:
    """Everything of this view in the page: the dialog, the reload target, the session bar."""
    return html.Div(
        [
            modal(settings or SessionSettings()),
            dcc.Location(id=ids.UPLOAD_RELOAD, refresh=True),
            session_bar(dataset, settings),
        ]
    )


def gone_notice(message: str | None) -> dbc.Alert:
    return dbc.Alert(
        message,
        id=ids.UPLOAD_NOTICE,
        color="warning",
        dismissable=True,
        className="mb-2",
        is_open=bool(message),
    )


# --- the route (server side) ---------------------------------------------------------------


def finding_record(f: Finding) -> dict:
    return {
        k: getattr(f, k)
        for k in ("level", "file", "message", "row", "column", "value", "patient_id", "key")
    }


def refused(err: DataError) -> dict:
    errors = sum(f.level == "error" for f in err.findings)
    return {
        "opened": False,
        "problems": len(err.findings),
        "errors": errors,
        "findings": [finding_record(f) for f in err.findings[:MAX_FINDINGS_SENT]],
    }


def opened(dataset: Dataset, staged) -> dict:
    return {
        "opened": True,
        "name": dataset.name,
        "subjects": int(len(dataset.trial.patients)),
        "ignored": [list(pair) for pair in staged.ignored],
    }


def _json(payload: dict, status: int = 200) -> flask.Response:
    return flask.make_response(flask.jsonify(payload), status)


def _cookie(response, token: str | None) -> None:
    """Set (or, for None, clear) the session cookie on a Flask or Dash callback response."""
    if token is None:
        response.set_cookie(
            SESSION_COOKIE, "", max_age=0, expires=0, path="/", httponly=True, samesite="Lax"
        )
        return
    # A session cookie (no expiry): it goes when the browser closes; the server's copy expires.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=security.secure_cookies(),
    )


def without_session_cookie(response):
    """`response`, clearing the session cookie (for `flask.after_this_request`)."""
    _cookie(response, None)
    return response


def upload_limit(store: SessionStore) -> int:
    """The request size the route accepts (the multipart framing, a few hundred bytes per
    file, counts too)."""
    return store.settings.limits.max_bytes


def open_files(
    store: SessionStore, files: list[tuple[str, object]], owner: str, previous: str | None
) -> tuple[dict, str | None]:
    """Check and keep uploaded (name, stream) files: (the answer, the new session's token).
    The browser's previous upload, if any, is closed once the new one is open."""
    try:
        token, dataset, staged = store.create(files, owner)
    except DataError as err:
        security.audit("upload", result="refused", files=len(files), problems=len(err.findings))
        return refused(err), None
    try:
        security.audit(
            "upload",
            result="opened",
            files=len(staged.written),
            fingerprint=dataset.trial.fingerprint,
            patients=int(len(dataset.trial.patients)),
            data_status=dataset.trial.study.data_status,
        )
    except BaseException:
        store.close(token, owner)  # not audited: not opened
        raise
    store.close(previous, owner)
    return opened(dataset, staged), token


def receive_files() -> flask.Response:
    """POST UPLOAD_ROUTE: multipart `files` (their names may carry the folder they were in)."""
    store = session_store()
    if store is None:
        return _json(
            {
                "opened": False,
                "error": "Opening data in the browser is switched off on this server.",
            },
            404,
        )
    if flask.request.headers.get(UPLOAD_HEADER) != "1":
        return _json({"opened": False, "error": "Not an upload from the dashboard."}, 400)
    files = [(f.filename or "unnamed", f.stream) for f in flask.request.files.getlist("files")]
    if not files:
        return _json(refused(DataError([Finding("error", UPLOAD_FILE, "no file was received")])))
    owner = security.session_owner()
    answer, token = open_files(store, files, owner, session_token())
    response = _json(answer)
    if token is not None:
        _cookie(response, token)
    return response


def install(server: flask.Flask, store: SessionStore | None) -> None:
    """Serve the upload route on `server` (with uploads on), with its own size limit."""
    if store is None:
        return
    server.add_url_rule(UPLOAD_ROUTE, "trial_upload", receive_files, methods=["POST"])

    @server.before_request
    def _upload_size_limit_and_sweep():
        if flask.request.path == UPLOAD_ROUTE:
            flask.request.max_content_length = upload_limit(store)
        # Expired sessions go even when no one with an upload comes back (at most once a
        # minute: a look at the folder's entries).
        store.sweep()


# --- the dialog (Dash side) ----------------------------------------------------------------


def _finding(record: dict) -> Finding:
    fields = {k: record.get(k) for k in ("row", "column", "value", "patient_id", "key")}
    return Finding(
        level=record.get("level") or "error",
        file=str(record.get("file") or ""),
        message=str(record.get("message") or ""),
        **fields,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def refusal_view(result: dict) -> html.Div:
    if result.get("error"):
        return dbc.Alert(str(result["error"]), color="danger")
    findings = [_finding(r) for r in result.get("findings") or []][:MAX_FINDINGS_SHOWN]
    total = int(result.get("problems") or len(findings))
    errors = int(result.get("errors", total))
    warnings = total - errors
    more = total - len(findings)
    also = f" (and {_count(warnings, 'warning')}, to know about)" if warnings else ""
    return html.Div(
        [
            dbc.Alert(
                f"The dataset was not opened: {_count(errors, 'error')} must be fixed "
                f"first{also}. Nothing was kept on the server.",
                color="danger",
                className="mb-2",
            ),
            dbc.ListGroup([finding_item(f) for f in findings], className="upload-findings"),
            html.P(
                f"…and {more} more (run `python -m trial check FOLDER` for the full list).",
                className="small mt-2",
            )
            if more > 0
            else None,
        ]
    )


def acceptance_view(result: dict) -> html.Div:
    ignored = [html.Li(f"{name}: {why}") for name, why in result.get("ignored") or []]
    return html.Div(
        [
            dbc.Alert(
                [
                    html.Strong("Checked and opened: "),
                    str(result.get("name")),
                    f" ({result.get('subjects')} subjects). Loading the dashboard…",
                ],
                color="success",
                className="mb-2",
            ),
            html.Div(
                [
                    html.Div("Set aside (not data):", className="small"),
                    html.Ul(ignored, className="small"),
                ]
            )
            if ignored
            else None,
        ]
    )


def result_view(result) -> tuple:
    """(status children, reload href) for the answer of the upload route (pure)."""
    if not isinstance(result, dict):
        raise PreventUpdate
    if result.get("opened"):
        return acceptance_view(result), "/"
    return refusal_view(result), no_update


def open_dialog(_clicks):
    return True


def show_result(result):
    """The route's answer, which assets/upload.js puts in the store: findings, or reload."""
    return result_view(result)


def close_upload(_clicks):
    """Delete this browser's uploaded dataset now and go back to the dashboard's own data."""
    store = session_store()
    if store is not None:
        store.close(session_token(), security.session_owner())
        security.audit("close-upload")
    _cookie(ctx.response, None)
    return "/"


def register(app: Dash) -> None:
    app.callback(
        Output(ids.UPLOAD_MODAL, "is_open"),
        Input(ids.UPLOAD_OPEN, "n_clicks"),
        prevent_initial_call=True,
    )(open_dialog)
    app.callback(
        Output(ids.UPLOAD_STATUS, "children"),
        Output(ids.UPLOAD_RELOAD, "href"),
        Input(ids.UPLOAD_RESULT, "data"),
        prevent_initial_call=True,
    )(show_result)
    app.callback(
        Output(ids.UPLOAD_RELOAD, "href", allow_duplicate=True),
        Input(ids.UPLOAD_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )(close_upload)
