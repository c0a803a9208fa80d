"""Presenter mode: the current view, or the pinned views, as clean full-screen slides.

- "Present" shows the current view as a slide: its title, the figure (or the tables) in large
  type, and a footer with n, the filters and the data-provenance note; no controls, no sidebar.
- "Pin" adds the current view (a ViewSpec, export.py) to the pinned list, kept in the browser's
  local storage so it survives a reload. "Present pinned" steps through them: ← / → (and the
  buttons), Esc leaves. The keys are handled by assets/presenter.js (no inline scripts: CSP).
- The pinned list can be copied as a link (`?slides=...&present=1`, urlstate.encode_slides) and
  downloaded as one PowerPoint deck or HTML report (export.pptx_deck / html_report).

Slides are built on the server from the ViewSpecs with export.build_view, the same chain as the
exports, so a slide, its PowerPoint page and its HTML section show the same numbers.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
import plotly.io as pio
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

import security

from .. import ids
from ..context import current_trial
from ..export.build import ExportView, build_view
from ..export.deck import pptx_deck
from ..export.files import MIME, export_filename
from ..export.report import html_report
from ..export.slides import slide_figure
from ..state import urlstate as us
from ..state.viewspec import ViewSpec, spec_from_state
from .share import current_schema

MAX_PINS = us.MAX_SLIDES


def current_spec(values: Mapping[str, Any]) -> dict | None:
    """The ViewSpec dict of the active tab's view from {component id: value}, or None when the
    tab has no presentable view (patients, data quality)."""
    spec = spec_from_state(values)
    return spec.to_dict() if spec else None


# --- Layout -----------------------------------------------------------------------------------

def toolbar() -> html.Div:
    """Present / Pin and the pinned list's actions (in the dashboard page, above the tabs)."""
    b = dict(size="sm", color="secondary", outline=True)
    return html.Div([
        dbc.Button("▶ Present", id=ids.PRESENT_BUTTON, size="sm", color="primary",
                   title="Show this view as a full-screen slide (Esc to leave)"),
        dbc.Button("+ Pin", id=ids.PIN_BUTTON, title="Add this view to the pinned slides", **b),
        html.Span(id=ids.PIN_COUNT, className="pin-count mx-1"),
        dbc.ButtonGroup([
            dbc.Button("Present pinned", id=ids.PRESENT_PINNED,
                       title="Step through the pinned slides with ← and →", **b),
            dbc.Button("PowerPoint", id=ids.PIN_PPTX, title="The pinned slides as one deck",
                       **b),
            dbc.Button("HTML report", id=ids.PIN_HTML,
                       title="The pinned slides as one self-contained report", **b),
            dbc.Button("Clear", id=ids.PIN_CLEAR, title="Unpin all", **b),
        ], size="sm"),
        dcc.Clipboard(id=ids.PIN_LINK_COPY, title="Copy a link that presents the pinned slides",
                      children=html.Span("Slides link", className="share-copy-label"),
                      copied_children=html.Span("✓ Copied", className="share-copy-label"),
                      className="btn btn-sm btn-outline-secondary share-copy"),
        dcc.Loading(dcc.Download(id=ids.PIN_DOWNLOAD), type="circle", delay_show=200,
                    parent_className="export-spinner"),
    ], className="presenter-toolbar")


def stores_and_modal() -> html.Div:
    """The pinned list (local storage), the deck on screen, and the full-screen slide."""
    return html.Div([
        dcc.Store(id=ids.PIN_STORE, storage_type="local", data=[]),
        dcc.Store(id=ids.PRESENT_DECK, data=None),
        dbc.Modal([
            html.Div(id=ids.PRESENT_SLIDE, className="present-slide"),
            html.Div([
                dbc.Button("‹", id=ids.PRESENT_PREV, color="link", title="Previous (←)",
                           className="present-nav"),
                html.Span(id=ids.PRESENT_COUNTER, className="present-counter"),
                dbc.Button("›", id=ids.PRESENT_NEXT, color="link", title="Next (→)",
                           className="present-nav"),
                html.Span("← → to step · Esc to leave", className="present-keys"),
            ], className="present-controls"),
        ], id=ids.PRESENT_MODAL, is_open=False, fullscreen=True, keyboard=True,
            class_name="present-modal", content_class_name="present-content"),
    ])


# --- Slides (pure) ----------------------------------------------------------------------------

def slide_graph_figure(ev: ExportView) -> go.Figure:
    """The view's figure with the exports' slide styling (white, larger type); the title,
    subtitle and footer are text around it on the slide."""
    fig = slide_figure(ev, title=False, footer=False)
    fig.update_layout(title=dict(text=""))
    return fig


def slide_image(ev: ExportView) -> str:
    """The slide figure as an SVG data URI: rendered on the server like the exports (kaleido),
    it scales to any screen with its type (a live graph would re-flow and crowd the risk
    table). data: images are allowed by the CSP (img-src)."""
    svg = pio.to_image(slide_graph_figure(ev), format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _table(df) -> dbc.Table:
    return dbc.Table.from_dataframe(df.fillna("–").astype(str), bordered=False, striped=True,
                                    size="sm", className="present-table")


def slide(ev: ExportView) -> list:
    """One slide: title, subtitle, the figure or the tables, and the footer (all plain text)."""
    body: list = []
    if ev.figure is not None:
        body.append(html.Img(src=slide_image(ev), className="present-graph",
                             alt=f"Figure: {ev.title}"))
    else:
        caption, table = ev.tables[1] if len(ev.tables) > 1 else ev.tables[0]
        body.append(html.Div([html.H3(caption, className="present-caption"), _table(table)],
                             className="present-tables"))
    return [
        html.H1(ev.title, className="present-title"),
        html.Div(ev.subtitle, className="present-subtitle") if ev.subtitle else None,
        html.Div(body, className="present-body"),
        html.Footer([html.Div(x) for x in ev.footnote], className="present-footer"),
    ]


def build_slides(trial, specs, today: date) -> list[ExportView]:
    return [build_view(trial, ViewSpec.from_dict(s), today) for s in specs]


def pins_of(trial, pins) -> list[dict]:
    """The pinned views made on this trial's data. Pins live in the browser's local storage,
    which every dataset opened in that browser shares: a view pinned on other data is kept
    there but never shown, counted or exported here."""
    return [p for p in (pins or []) if isinstance(p, dict)
            and p.get("dataset") == trial.fingerprint]


# --- Callbacks --------------------------------------------------------------------------------

STATE_STATES = [State(cid, us.prop(cid)) for cid in us.STATE_IDS]


def pin(_pin, _clear, pins, *state):
    if ctx.triggered_id == ids.PIN_CLEAR:
        return []
    spec = current_spec(dict(zip(us.STATE_IDS, state)))
    if spec is None:
        return no_update
    spec = {**spec, "dataset": current_trial().fingerprint}
    pins = [p for p in (pins or []) if p != spec]   # pinning again moves it to the end
    return (pins + [spec])[-MAX_PINS:]


def pin_count(pins):
    n = len(pins_of(current_trial(), pins))
    return (f"{n} pinned", *([n == 0] * 4))


def presentable(tab):
    off = tab not in us.TAB_VIEWS
    return off, off


def present(_current, _pinned, _prev, _next, deck, pins, *state):
    trigger = ctx.triggered_id
    if trigger == ids.PRESENT_BUTTON:
        spec = current_spec(dict(zip(us.STATE_IDS, state)))
        return ({"slides": [spec], "index": 0}, True) if spec else (no_update, no_update)
    if trigger == ids.PRESENT_PINNED:
        pins = pins_of(current_trial(), pins)
        return ({"slides": pins, "index": 0}, True) if pins else (no_update, no_update)
    if not deck or not deck.get("slides"):
        return no_update, no_update
    step = -1 if trigger == ids.PRESENT_PREV else 1
    index = min(max(int(deck.get("index") or 0) + step, 0), len(deck["slides"]) - 1)
    if index == deck.get("index"):
        return no_update, no_update
    return {**deck, "index": index}, no_update


def show_slide(deck):
    slides = (deck or {}).get("slides") or []
    if not slides:
        return [], "", True, True
    i = min(max(int(deck.get("index") or 0), 0), len(slides) - 1)
    ev = build_slides(current_trial(), [slides[i]], date.today())[0]
    return slide(ev), f"{i + 1} / {len(slides)}", i == 0, i == len(slides) - 1


def download_pinned(_pptx, _html, pins):
    trial = current_trial()
    pins = pins_of(trial, pins)
    if not pins:
        return no_update
    today = date.today()
    fmt = ids.FORMAT_PPTX if ctx.triggered_id == ids.PIN_PPTX else ids.FORMAT_HTML
    return pinned_download(trial, pins, fmt, today)


def pinned_download(trial, pins, fmt: str, today: date) -> dict:
    """The dcc.Download data of the pinned slides as one deck or report (audited)."""
    views = build_slides(trial, pins, today)
    security.audit("export", fingerprint=getattr(trial, "fingerprint", ""), view="pinned",
                   format=fmt, slides=len(views))
    name = export_filename("pinned_slides", fmt, today)
    if fmt == ids.FORMAT_PPTX:
        return dcc.send_bytes(pptx_deck(trial, views, today), name,
                              type=MIME[fmt])
    return dict(content=html_report(trial, views, today), filename=name,
                type=MIME[fmt])


def copy_slides_link(_clicks, pins, href):
    parts = urlsplit(href or "")
    base = f"{parts.scheme}://{parts.netloc}/" if parts.netloc else "/"
    text = us.encode_slides(pins_of(current_trial(), pins), current_schema())
    return f"{base}?{us.SLIDES}={text}&{us.PRESENT}=1"


def register(app: Dash) -> None:
    app.callback(Output(ids.PIN_STORE, "data", allow_duplicate=True),
              Input(ids.PIN_BUTTON, "n_clicks"), Input(ids.PIN_CLEAR, "n_clicks"),
              State(ids.PIN_STORE, "data"), *STATE_STATES, prevent_initial_call=True)(pin)
    app.callback(Output(ids.PIN_COUNT, "children"), Output(ids.PRESENT_PINNED, "disabled"),
              Output(ids.PIN_PPTX, "disabled"), Output(ids.PIN_HTML, "disabled"),
              Output(ids.PIN_CLEAR, "disabled"),
              Input(ids.PIN_STORE, "data"))(pin_count)
    app.callback(Output(ids.PRESENT_BUTTON, "disabled"), Output(ids.PIN_BUTTON, "disabled"),
              Input(ids.TABS, "active_tab"))(presentable)
    app.callback(Output(ids.PRESENT_DECK, "data", allow_duplicate=True),
              Output(ids.PRESENT_MODAL, "is_open", allow_duplicate=True),
              Input(ids.PRESENT_BUTTON, "n_clicks"), Input(ids.PRESENT_PINNED, "n_clicks"),
              Input(ids.PRESENT_PREV, "n_clicks"), Input(ids.PRESENT_NEXT, "n_clicks"),
              State(ids.PRESENT_DECK, "data"), State(ids.PIN_STORE, "data"), *STATE_STATES,
              prevent_initial_call=True)(present)
    app.callback(Output(ids.PRESENT_SLIDE, "children"), Output(ids.PRESENT_COUNTER, "children"),
              Output(ids.PRESENT_PREV, "disabled"), Output(ids.PRESENT_NEXT, "disabled"),
              Input(ids.PRESENT_DECK, "data"))(show_slide)
    app.callback(Output(ids.PIN_DOWNLOAD, "data"),
              Input(ids.PIN_PPTX, "n_clicks"), Input(ids.PIN_HTML, "n_clicks"),
              State(ids.PIN_STORE, "data"), prevent_initial_call=True)(download_pinned)
    app.callback(Output(ids.PIN_LINK_COPY, "content"), Input(ids.PIN_LINK_COPY, "n_clicks"),
              State(ids.PIN_STORE, "data"), State(ids.URL, "href"), prevent_initial_call=True)(copy_slides_link)
