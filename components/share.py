"""Shareable state: every view's state lives in the URL's query string (components/urlstate.py).

Two callbacks and no loop:
- on load, `apply_url` reads the query once (the store URL_LOADED records that it ran), sets the
  tab, the controls, the filters and the selection, and lists what it ignored in a dismissible
  notice; later changes of the query (our own writes, back/forward) are not read again;
- `write_url` writes the state into the query (`search` only: the path, "/" or a patient page, is
  kept) whenever a control, a filter, the selection, the tab or the page changes, once the URL
  has been applied. dcc.Location writes only a changed URL, so an unchanged state writes nothing.

"Copy link" copies the page's address (dcc.Clipboard). The query also carries `present=1` and
`slides=...` (presenter mode, components/presenter.py), applied by the same load callback.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from trial.model import Trial

from . import filters, ids, survival, trajectories
from . import urlstate as us
from .context import current_trial

CONTROL_IDS = [cid for p in us.VIEW_PARAMS.values() for cid in p.values()]
FILTER_IDS = list(us.FILTER_PARAMS.values())
STATE_IDS = [ids.TABS, *CONTROL_IDS, *FILTER_IDS, ids.SELECTION_STORE]
STATE_PROPS = {ids.TABS: "active_tab", ids.SELECTION_STORE: "data"}


def _prop(cid: str) -> str:
    return STATE_PROPS.get(cid, "value")


def schema(trial: Trial) -> us.Schema:
    """What the views offer for this trial, read off their layouts (the same builders app.py
    uses), and the tabs."""
    base = us.schema_from_layout([trajectories.layout(trial), survival.layout(trial),
                                  filters.layout(trial)])
    controls = dict(base.controls)
    controls[ids.TABS] = us.Control("tab", ids.TAB_TRAJECTORIES, tuple(us.TAB_NAMES))
    return us.Schema(controls)


def layout() -> html.Div:
    """The "Copy link" button and the stores (in the dashboard page)."""
    return html.Div([
        dcc.Store(id=ids.URL_LOADED, data=False),
        dcc.Clipboard(id=ids.SHARE_COPY, title="Copy a link that opens this exact view",
                      children=html.Span("Copy link", className="share-copy-label"),
                      copied_children=html.Span("✓ Link copied", className="share-copy-label"),
                      className="btn btn-sm btn-outline-primary share-copy"),
    ], className="share-link")


def notice() -> dbc.Alert:
    """What a link asked for that this trial does not have (outside both pages)."""
    return dbc.Alert(id=ids.SHARE_NOTICE, is_open=False, dismissable=True, color="info",
                     className="share-notice mb-2")


def notice_children(notices: list[str]):
    return [html.Strong("Parts of this link were ignored: "),
            html.Ul([html.Li(n) for n in notices], className="mb-0")]


# Outputs of the load callback besides the state: the presenter's (components/presenter.py).
@callback(
    *[Output(cid, _prop(cid), allow_duplicate=True) for cid in STATE_IDS],
    Output(ids.URL_LOADED, "data"),
    Output(ids.SHARE_NOTICE, "children"), Output(ids.SHARE_NOTICE, "is_open"),
    Output(ids.PIN_STORE, "data", allow_duplicate=True),
    Output(ids.PRESENT_DECK, "data", allow_duplicate=True),
    Output(ids.PRESENT_MODAL, "is_open", allow_duplicate=True),
    Input(ids.URL, "search"),
    State(ids.URL_LOADED, "data"),
    *[State(cid, _prop(cid)) for cid in STATE_IDS],
    prevent_initial_call="initial_duplicate",
)
def apply_url(search, loaded, *current):
    """URL -> controls, once per page load."""
    if loaded:
        raise PreventUpdate
    trial = current_trial()
    sch = schema(trial)
    values, notices = us.decode_query(search, sch, trial.patients["patient_id"].astype(str))
    extra = us.query_params(search)
    pins, deck, present = no_update, no_update, no_update
    if extra.get(us.SLIDES):
        specs, more = us.decode_slides(extra[us.SLIDES], sch)
        notices += more
        if specs:
            pins = specs
    if extra.get(us.PRESENT) in ("1", "true"):
        from .presenter import current_spec
        current_values = dict(zip(STATE_IDS, current))
        current_values.update(values)
        slides = pins if pins is not no_update else [current_spec(current_values)]
        slides = [s for s in slides if s is not None]
        if slides:
            deck, present = {"slides": slides, "index": 0}, True
        else:
            notices.append("This tab cannot be presented; presenter mode not opened")
    out = [values[cid] if cid in values else no_update for cid in STATE_IDS]
    shown = notice_children(notices) if notices else no_update
    return (*out, True, shown, bool(notices), pins, deck, present)


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    *[Input(cid, _prop(cid)) for cid in STATE_IDS],
    Input(ids.URL_LOADED, "data"), Input(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def write_url(*args):
    """Controls -> URL (after the URL has been applied)."""
    *state, loaded, _pathname = args
    if not loaded:
        raise PreventUpdate
    return us.encode_state(dict(zip(STATE_IDS, state)), schema(current_trial()))


@callback(Output(ids.SHARE_COPY, "content"), Input(ids.SHARE_COPY, "n_clicks"),
          State(ids.URL, "href"), prevent_initial_call=True)
def copy_link(_clicks, href):
    return href or ""
