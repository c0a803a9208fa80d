"""Shareable state: every view's state lives in the URL's query string (components/urlstate.py).

Two callbacks and no loop:
- `apply_url` sets the tab, the controls, the filters and the selection from the query, and lists
  what it ignored in a dismissible notice: on load (the store URL_LOADED records that it ran),
  and on Back/Forward, when dcc.Location reports a query the app did not write itself (the store
  URL_WRITTEN holds the last one written). On Back/Forward the query is the whole state: what it
  omits goes back to its default. The app's own writes are not read again. In-app navigation
  must therefore keep the query (pages.open_patient sets only the path; links add the query):
  a link that dropped it would read as Back to the default view;
- `write_url` writes the state into the query (`search` only: the path, "/" or a patient page, is
  kept) whenever a control, a filter, the selection, the tab or the page changes, once the URL
  has been applied. dcc.Location pushes a history entry only for a changed URL, so the state
  restored by Back/Forward, which encodes to the query it came from, pushes nothing.

"Copy link" copies the page's address (dcc.Clipboard). The query also carries `present=1` and
`slides=...` (presenter mode, components/presenter.py), applied by the same load callback.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, NoUpdate, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from trial.model import Trial

from .. import ids
from ..context import current_dataset, current_trial
from ..state import urlstate as us
from ..state.viewspec import spec_from_state
from ..views import effects, filters, response, survival, trajectories


def schema(trial: Trial) -> us.Schema:
    """What the views offer for this trial, read off their layouts (the same builders the
    page uses), and the tabs."""
    base = us.schema_from_layout(
        [
            trajectories.layout(trial),
            survival.layout(trial),
            effects.layout(trial),
            response.layout(trial),
            filters.layout(trial),
        ]
    )
    controls = dict(base.controls)
    controls[ids.TABS] = us.Control("tab", ids.TAB_TRAJECTORIES, tuple(us.TAB_NAMES))
    return us.Schema(controls)


def current_schema() -> us.Schema:
    """The schema of the request's dataset, read off its layouts once per dataset."""
    return current_dataset().derived("url_schema", lambda ds: schema(ds.trial))


def layout() -> html.Div:
    """The "Copy link" button and the stores (in the dashboard page)."""
    return html.Div(
        [
            dcc.Store(id=ids.URL_LOADED, data=False),
            dcc.Store(id=ids.URL_WRITTEN, data=None),
            dcc.Clipboard(
                id=ids.SHARE_COPY,
                title="Copy a link that opens this exact view",
                children=html.Span("Copy link", className="share-copy-label"),
                copied_children=html.Span("✓ Link copied", className="share-copy-label"),
                className="btn btn-sm btn-outline-primary share-copy",
            ),
        ],
        className="share-link",
    )


def notice() -> dbc.Alert:
    """What a link asked for that this trial does not have (outside both pages)."""
    return dbc.Alert(
        id=ids.SHARE_NOTICE,
        is_open=False,
        dismissable=True,
        color="info",
        className="share-notice mb-2",
    )


def notice_children(notices: list[str]):
    return [
        html.Strong("Parts of this link were ignored: "),
        html.Ul([html.Li(n) for n in notices], className="mb-0"),
    ]


def history_defaults(sch: us.Schema) -> dict:
    """The state a query omits: every control at its layout default, no selection."""
    return {
        **{cid: c.default for cid, c in sch.controls.items() if cid in us.STATE_IDS},
        ids.SELECTION_STORE: [],
    }


def presenter_state(
    search, sch: us.Schema, values: dict, current, dataset: str = ""
) -> tuple[tuple, list[str]]:
    """(pins, deck, modal open) that a link's `slides` and `present=1` ask for, and notices.
    The slides become pins of `dataset` (the fingerprint of the data the link is opened on)."""
    extra = us.query_params(search)
    notices: list[str] = []
    pins: list[dict] | NoUpdate = no_update
    deck: dict | NoUpdate = no_update
    present: bool | NoUpdate = no_update
    if extra.get(us.SLIDES):
        known = current_trial().patients["patient_id"].astype(str)
        specs, notices = us.decode_slides(extra[us.SLIDES], sch, known)
        if specs:
            pins = [{**spec, "dataset": dataset} for spec in specs]
    if extra.get(us.PRESENT) in ("1", "true"):
        current_values = dict(zip(us.STATE_IDS, current))
        current_values.update(values)
        spec = spec_from_state(current_values)
        wanted = pins if isinstance(pins, list) else [spec.to_dict() if spec else None]
        slides = [s for s in wanted if s is not None]
        if slides:
            deck, present = {"slides": slides, "index": 0}, True
        else:
            notices.append("This tab cannot be presented; presenter mode not opened")
    return (pins, deck, present), notices


# Outputs besides the state: the notice, and the presenter's (components/presenter.py).
def apply_url(search, loaded, written, *current):
    """URL -> controls: on page load, and on Back/Forward to a query the app did not write."""
    if loaded and (search or "") == (written or ""):
        raise PreventUpdate  # our own write: the controls already hold this state
    trial = current_trial()
    sch = current_schema()
    values, notices = us.decode_query(search, sch, trial.patients["patient_id"].astype(str))
    if loaded:  # Back/Forward: presenter mode and pinned slides are left as they are
        values, presenter = {**history_defaults(sch), **values}, (no_update,) * 3
    else:
        presenter, more = presenter_state(search, sch, values, current, trial.fingerprint)
        notices += more
    out = [values[cid] if cid in values else no_update for cid in us.STATE_IDS]
    shown = notice_children(notices) if notices else no_update
    return (*out, True, shown, bool(notices), *presenter)


def write_url(*args):
    """Controls -> URL (after the URL has been applied), and the query written, so that
    `apply_url` tells it from one that Back/Forward brings."""
    *state, loaded, _pathname = args
    if not loaded:
        raise PreventUpdate
    query = us.encode_state(dict(zip(us.STATE_IDS, state)), current_schema())
    return query, query


def copy_link(_clicks, href):
    return href or ""


def register(app: Dash) -> None:
    app.callback(
        *[Output(cid, us.prop(cid), allow_duplicate=True) for cid in us.STATE_IDS],
        Output(ids.URL_LOADED, "data"),
        Output(ids.SHARE_NOTICE, "children"),
        Output(ids.SHARE_NOTICE, "is_open"),
        Output(ids.PIN_STORE, "data", allow_duplicate=True),
        Output(ids.PRESENT_DECK, "data", allow_duplicate=True),
        Output(ids.PRESENT_MODAL, "is_open", allow_duplicate=True),
        Input(ids.URL, "search"),
        State(ids.URL_LOADED, "data"),
        State(ids.URL_WRITTEN, "data"),
        *[State(cid, us.prop(cid)) for cid in us.STATE_IDS],
        prevent_initial_call="initial_duplicate",
    )(apply_url)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.URL_WRITTEN, "data"),
        *[Input(cid, us.prop(cid)) for cid in us.STATE_IDS],
        Input(ids.URL_LOADED, "data"),
        Input(ids.URL, "pathname"),
        prevent_initial_call=True,
    )(write_url)
    app.callback(
        Output(ids.SHARE_COPY, "content"),
        Input(ids.SHARE_COPY, "n_clicks"),
        State(ids.URL, "href"),
        prevent_initial_call=True,
    )(copy_link)
