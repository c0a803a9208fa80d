"""Presenter mode: the current view, or the pinned views, as clean full-screen slides.

- "Present" shows the current view as a slide: its title, the figure (or the tables) in large
  type, and a footer with n, the filters and the data-provenance note; no controls, no sidebar.
- "Pin" adds the current view (a ViewSpec, export.py) to the pinned list, kept in the browser's
  local storage so it survives a reload. "Present pinned" steps through them: ← / → (and the
  buttons), Esc leaves. The keys are handled by assets/presenter.js (no inline scripts: CSP).
- The pinned list can be copied as a link (`?slides=...&present=1`, urlstate.encode_slides) and
  downloaded as one PowerPoint deck or HTML report (export.pptx_deck / html_report).

- A takeaway line typed before pinning is kept with the pin (its ViewSpec, the slides link) and
  shown under the slide's title, in the PowerPoint deck and in the HTML report.

Slides are built on the server from the ViewSpecs with export.build_view, the same chain as the
exports, so a slide, its PowerPoint page and its HTML section show the same numbers. The figure
fills the slide's body: the browser measures it (assets/export.js, slideFrame), the server lays
the slide figure out for that size (export.slides.slide_figure), and plotly.js renders it to an
SVG image in the browser (slideImage): an image, because a live graph would re-flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import security

from .. import ids
from ..context import current_trial
from ..export.build import ExportView, build_view
from ..export.callbacks import RENDER_JOB, deck_job
from ..export.files import MIME, export_filename
from ..export.report import html_report
from ..export.slides import Frame, figure_json, slide_figure
from ..export.toolbar import present_button, takeaway_input
from ..figures import theme
from ..state import urlstate as us
from ..state.routes import resolve_patient
from ..state.viewspec import (
    ViewSpec,
    clean_takeaway,
    narrative_spec,
    spec_from_state,
)
from .share import current_schema

MAX_PINS = us.MAX_SLIDES
HIDDEN = {"display": "none"}


def current_spec(values: Mapping[str, Any]) -> dict | None:
    """The ViewSpec dict of the active tab's view from {component id: value}, or None when the
    tab has no presentable view (data quality)."""
    spec = spec_from_state(values)
    return spec.to_dict() if spec else None


# --- Layout -----------------------------------------------------------------------------------


def toolbar() -> html.Div:
    """Present / Pin and the pinned list's actions (in the dashboard page, above the tabs)."""
    b = dict(size="sm", color="secondary", outline=True)
    return html.Div(
        [
            present_button(
                ids.PRESENT_BUTTON, "Show this view as a full-screen slide (Esc to leave)"
            ),
            takeaway_input(ids.PIN_TAKEAWAY),
            dbc.Button(
                "+ Pin",
                id=ids.PIN_BUTTON,
                title="Add this view to the pinned slides, with the takeaway typed beside it",
                **b,
            ),
            html.Span(id=ids.PIN_COUNT, className="pin-count mx-1"),
            dbc.ButtonGroup(
                [
                    dbc.Button(
                        "Present pinned",
                        id=ids.PRESENT_PINNED,
                        title="Step through the pinned slides with ← and →",
                        **b,
                    ),
                    dbc.Button(
                        "PowerPoint", id=ids.PIN_PPTX, title="The pinned slides as one deck", **b
                    ),
                    dbc.Button(
                        "HTML report",
                        id=ids.PIN_HTML,
                        title="The pinned slides as one self-contained report",
                        **b,
                    ),
                    dbc.Button("Clear", id=ids.PIN_CLEAR, title="Unpin all", **b),
                ],
                size="sm",
            ),
            dcc.Clipboard(
                id=ids.PIN_LINK_COPY,
                title="Copy a link that presents the pinned slides",
                children=html.Span("Slides link", className="share-copy-label"),
                copied_children=html.Span("✓ Copied", className="share-copy-label"),
                className="btn btn-sm btn-outline-secondary share-copy",
            ),
            dcc.Loading(
                html.Div([dcc.Download(id=ids.PIN_DOWNLOAD), dcc.Store(id=ids.PIN_JOB)]),
                type="circle",
                delay_show=200,
                parent_className="export-spinner",
            ),
            html.Span(id=ids.PIN_PROGRESS, className="export-progress", role="status"),
        ],
        className="presenter-toolbar",
    )


def stores_and_modal() -> html.Div:
    """The pinned list (local storage), the deck on screen, and the full-screen slide."""
    return html.Div(
        [
            dcc.Store(id=ids.PIN_STORE, storage_type="local", data=[]),
            dcc.Store(id=ids.PRESENT_DECK, data=None),
            dcc.Store(id=ids.PRESENT_FRAME, data=None),
            dcc.Store(id=ids.PRESENT_FIGURE, data=None),
            dbc.Modal(
                [
                    html.Div(
                        [
                            html.Div(id=ids.PRESENT_SLIDE, className="present-head"),
                            html.Div(
                                [
                                    # The figure, rendered in the browser (assets/export.js,
                                    # slideImage); in the page from the start so that its
                                    # callback always has its output.
                                    html.Img(
                                        id=ids.PRESENT_IMAGE, className="present-graph", alt=""
                                    ),
                                    html.Div(id=ids.PRESENT_TABLES, className="present-tables"),
                                ],
                                className="present-body",
                            ),
                            html.Footer(id=ids.PRESENT_FOOTER, className="present-footer"),
                        ],
                        className="present-slide",
                    ),
                    html.Div(
                        [
                            dbc.Button(
                                "‹",
                                id=ids.PRESENT_PREV,
                                color="link",
                                title="Previous (←)",
                                className="present-nav",
                            ),
                            html.Span(id=ids.PRESENT_COUNTER, className="present-counter"),
                            dbc.Button(
                                "›",
                                id=ids.PRESENT_NEXT,
                                color="link",
                                title="Next (→)",
                                className="present-nav",
                            ),
                            html.Span("← → to step · Esc to leave", className="present-keys"),
                        ],
                        className="present-controls",
                    ),
                ],
                id=ids.PRESENT_MODAL,
                is_open=False,
                fullscreen=True,
                keyboard=True,
                class_name="present-modal",
                content_class_name="present-content",
            ),
        ]
    )


# --- Slides (pure) ----------------------------------------------------------------------------


def slide_frame(frame: Mapping | None) -> Frame:
    """The slide body's size the browser measured (px of a screen 1080 high), within bounds;
    a 16:9 screen's body when it did not say."""

    def size(key: str, default: int) -> int:
        value = (frame or {}).get(key)
        return min(max(int(value), 200), 4000) if isinstance(value, (int, float)) else default

    return Frame(size("width", theme.SLIDE_WIDTH - 80), size("height", theme.SLIDE_HEIGHT - 330))


def slide_graph_figure(ev: ExportView, frame: Frame = Frame()) -> go.Figure:
    """The view's figure with the exports' slide styling, filling the slide's body; the title,
    subtitle, takeaway and footer are text around it on the slide."""
    return slide_figure(ev, frame, title=False, footer=False)


def _table(df) -> dbc.Table:
    return dbc.Table.from_dataframe(
        df.fillna("–").astype(str),
        bordered=False,
        striped=True,
        size="sm",
        className="present-table",
    )


def slide(ev: ExportView) -> tuple[list, list, list]:
    """One slide's text (all plain): the head (title, subtitle, takeaway), the tables of a
    slide without a figure, and the footer. The figure goes in the slide's image."""
    head = [
        html.H1(ev.title, className="present-title"),
        html.Div(ev.subtitle, className="present-subtitle") if ev.subtitle else None,
        html.Div(ev.takeaway, className="present-takeaway") if ev.takeaway else None,
    ]
    tables: list = []
    if ev.figure is None and ev.tables:
        caption, table = ev.tables[1] if len(ev.tables) > 1 else ev.tables[0]
        tables = [html.H3(caption, className="present-caption"), _table(table)]
    return head, tables, [html.Div(x) for x in ev.footnote]


def build_slides(trial, specs, today: date) -> list[ExportView]:
    return [build_view(trial, ViewSpec.from_dict(s), today) for s in specs]


def pins_of(trial, pins) -> list[dict]:
    """The pinned views made on this trial's data. Pins live in the browser's local storage,
    which every dataset opened in that browser shares: a view pinned on other data is kept
    there but never shown, counted or exported here."""
    return [
        p for p in (pins or []) if isinstance(p, dict) and p.get("dataset") == trial.fingerprint
    ]


# --- Callbacks --------------------------------------------------------------------------------

STATE_STATES = [State(cid, us.prop(cid)) for cid in us.STATE_IDS]


def _same_view(a, b) -> bool:
    """The same view of the same data (whatever the takeaway)."""

    def key(p):
        return {k: v for k, v in p.items() if k != "takeaway"} if isinstance(p, dict) else p

    return key(a) == key(b)


def with_pin(pins, spec: dict, takeaway) -> list[dict]:
    """The pinned list with `spec` (of the current trial's data, with the takeaway typed now)
    at its end: pinning again moves it there."""
    spec = {**spec, "dataset": current_trial().fingerprint}
    line = clean_takeaway(takeaway)
    if line:
        spec["takeaway"] = line
    pins = [p for p in (pins or []) if not _same_view(p, spec)]
    return (pins + [spec])[-MAX_PINS:]


def pin(_pin, _clear, pins, takeaway, *state):
    if ctx.triggered_id == ids.PIN_CLEAR:
        return [], no_update
    spec = current_spec(dict(zip(us.STATE_IDS, state)))
    if spec is None:
        return no_update, no_update
    return with_pin(pins, spec, takeaway), ""


def page_narrative(pathname) -> dict | None:
    """The case narrative's spec of the patient whose page is shown (None: not a patient)."""
    pid = resolve_patient(pathname, current_trial().patients["patient_id"])
    return None if pid is None else narrative_spec(pid).to_dict()


def pin_narrative(clicks, pins, takeaways, pathname):
    """The patient page's "Pin": its patient's case narrative, pinned like any view."""
    spec = page_narrative(pathname) if any(clicks or ()) else None
    if spec is None:  # the page drawn, or not a patient's: nothing to pin
        raise PreventUpdate
    pins = with_pin(pins, spec, (takeaways or [""])[0])
    n = len(pins_of(current_trial(), pins))
    note = f"Case narrative pinned ({n} pinned; Present pinned on the dashboard)"
    return pins, [""] * len(clicks), [note] * len(clicks)


def present_narrative(clicks, pathname):
    """The patient page's "Present": its patient's case narrative as a slide."""
    spec = page_narrative(pathname) if any(clicks or ()) else None
    if spec is None:
        return no_update, no_update
    return {"slides": [spec], "index": 0}, True


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


def _current_slide(deck) -> tuple[int, list]:
    slides = (deck or {}).get("slides") or []
    return (min(max(int(deck.get("index") or 0), 0), len(slides) - 1) if slides else 0), slides


def show_slide(deck):
    i, slides = _current_slide(deck)
    if not slides:
        return [], [], [], HIDDEN, "", "", "", True, True
    ev = build_slides(current_trial(), [slides[i]], date.today())[0]
    image_style = None if ev.figure is not None else HIDDEN
    # The previous slide's image goes until this slide's is rendered.
    return (
        *slide(ev),
        image_style,
        f"Figure: {ev.title}",
        "",
        f"{i + 1} / {len(slides)}",
        i == 0,
        i == len(slides) - 1,
    )


def slide_figure_for(frame, deck):
    """The current slide's figure laid out for the body the browser measured (None: no
    figure on this slide)."""
    i, slides = _current_slide(deck)
    if not slides or not frame:
        return None
    ev = build_slides(current_trial(), [slides[i]], date.today())[0]
    if ev.figure is None:
        return None
    return figure_json(slide_graph_figure(ev, slide_frame(frame)))


def download_pinned_html(_html, pins):
    trial = current_trial()
    pins = pins_of(trial, pins)
    return pinned_download(trial, pins, ids.FORMAT_HTML, date.today()) if pins else no_update


def pinned_deck_job(_pptx, pins):
    trial = current_trial()
    pins = pins_of(trial, pins)
    return pinned_download(trial, pins, ids.FORMAT_PPTX, date.today()) if pins else no_update


def pinned_download(trial, pins, fmt: str, today: date) -> dict:
    """The pinned slides as one HTML report (dcc.Download data, audited), or, for PowerPoint,
    the browser's job of rendering their figures (the deck route audits the deck)."""
    views = build_slides(trial, pins, today)
    name = export_filename("pinned_slides", fmt, today)
    if fmt == ids.FORMAT_PPTX:
        return deck_job(views, list(pins), "pinned", name, ids.PIN_PROGRESS)
    security.audit(
        "export",
        fingerprint=getattr(trial, "fingerprint", ""),
        view="pinned",
        format=fmt,
        slides=len(views),
    )
    return dict(content=html_report(trial, views, today), filename=name, type=MIME[fmt])


def copy_slides_link(_clicks, pins, href):
    parts = urlsplit(href or "")
    base = f"{parts.scheme}://{parts.netloc}/" if parts.netloc else "/"
    text = us.encode_slides(pins_of(current_trial(), pins), current_schema())
    return f"{base}?{us.SLIDES}={text}&{us.PRESENT}=1"


def _register_narrative(app: Dash) -> None:
    """A patient page's Pin and Present (matched by pattern: only on a patient page)."""
    app.callback(
        Output(ids.PIN_STORE, "data", allow_duplicate=True),
        Output({**ids.NARRATIVE_TAKEAWAY, "index": ALL}, "value"),
        Output({**ids.NARRATIVE_PIN_NOTE, "index": ALL}, "children"),
        Input({**ids.NARRATIVE_PIN, "index": ALL}, "n_clicks"),
        State(ids.PIN_STORE, "data"),
        State({**ids.NARRATIVE_TAKEAWAY, "index": ALL}, "value"),
        State(ids.URL, "pathname"),
        prevent_initial_call=True,
    )(pin_narrative)
    app.callback(
        Output(ids.PRESENT_DECK, "data", allow_duplicate=True),
        Output(ids.PRESENT_MODAL, "is_open", allow_duplicate=True),
        Input({**ids.NARRATIVE_PRESENT, "index": ALL}, "n_clicks"),
        State(ids.URL, "pathname"),
        prevent_initial_call=True,
    )(present_narrative)


def register(app: Dash) -> None:
    _register_narrative(app)
    app.callback(
        Output(ids.PIN_STORE, "data", allow_duplicate=True),
        Output(ids.PIN_TAKEAWAY, "value"),
        Input(ids.PIN_BUTTON, "n_clicks"),
        Input(ids.PIN_CLEAR, "n_clicks"),
        State(ids.PIN_STORE, "data"),
        State(ids.PIN_TAKEAWAY, "value"),
        *STATE_STATES,
        prevent_initial_call=True,
    )(pin)
    app.callback(
        Output(ids.PIN_COUNT, "children"),
        Output(ids.PRESENT_PINNED, "disabled"),
        Output(ids.PIN_PPTX, "disabled"),
        Output(ids.PIN_HTML, "disabled"),
        Output(ids.PIN_CLEAR, "disabled"),
        Input(ids.PIN_STORE, "data"),
    )(pin_count)
    app.callback(
        Output(ids.PRESENT_BUTTON, "disabled"),
        Output(ids.PIN_BUTTON, "disabled"),
        Input(ids.TABS, "active_tab"),
    )(presentable)
    app.callback(
        Output(ids.PRESENT_DECK, "data", allow_duplicate=True),
        Output(ids.PRESENT_MODAL, "is_open", allow_duplicate=True),
        Input(ids.PRESENT_BUTTON, "n_clicks"),
        Input(ids.PRESENT_PINNED, "n_clicks"),
        Input(ids.PRESENT_PREV, "n_clicks"),
        Input(ids.PRESENT_NEXT, "n_clicks"),
        State(ids.PRESENT_DECK, "data"),
        State(ids.PIN_STORE, "data"),
        *STATE_STATES,
        prevent_initial_call=True,
    )(present)
    app.callback(
        Output(ids.PRESENT_SLIDE, "children"),
        Output(ids.PRESENT_TABLES, "children"),
        Output(ids.PRESENT_FOOTER, "children"),
        Output(ids.PRESENT_IMAGE, "style"),
        Output(ids.PRESENT_IMAGE, "alt"),
        Output(ids.PRESENT_IMAGE, "src"),
        Output(ids.PRESENT_COUNTER, "children"),
        Output(ids.PRESENT_PREV, "disabled"),
        Output(ids.PRESENT_NEXT, "disabled"),
        Input(ids.PRESENT_DECK, "data"),
    )(show_slide)
    app.clientside_callback(
        ClientsideFunction("export", "slideFrame"),
        Output(ids.PRESENT_FRAME, "data"),
        Input(ids.PRESENT_SLIDE, "children"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PRESENT_FIGURE, "data"),
        Input(ids.PRESENT_FRAME, "data"),
        State(ids.PRESENT_DECK, "data"),
        prevent_initial_call=True,
    )(slide_figure_for)
    app.clientside_callback(
        ClientsideFunction("export", "slideImage"),
        Output(ids.PRESENT_IMAGE, "src", allow_duplicate=True),
        Input(ids.PRESENT_FIGURE, "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PIN_DOWNLOAD, "data"),
        Input(ids.PIN_HTML, "n_clicks"),
        State(ids.PIN_STORE, "data"),
        prevent_initial_call=True,
    )(download_pinned_html)
    app.callback(
        Output(ids.PIN_JOB, "data"),
        Input(ids.PIN_PPTX, "n_clicks"),
        State(ids.PIN_STORE, "data"),
        prevent_initial_call=True,
    )(pinned_deck_job)
    app.clientside_callback(
        RENDER_JOB,
        Output(ids.PIN_DOWNLOAD, "data", allow_duplicate=True),
        Input(ids.PIN_JOB, "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PIN_LINK_COPY, "content"),
        Input(ids.PIN_LINK_COPY, "n_clicks"),
        State(ids.PIN_STORE, "data"),
        State(ids.URL, "href"),
        prevent_initial_call=True,
    )(copy_slides_link)
