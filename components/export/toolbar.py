"""The export toolbar and the "How was this computed" panel that a view places in its layout.

Layout only (no callbacks, no view imports), so that every view can use it:

    export_toolbar(ids.VIEW_SURVIVAL)     # PNG, SVG, PowerPoint, HTML, CSV buttons
    method_panel(ids.VIEW_SURVIVAL)       # collapsible method and reproducible snippet

Ids are pattern-matching dicts with constant types and the view's constant name (never data).
The downloads and the panel's content are served by components/export/callbacks.py; PNG, SVG
and PowerPoint are rendered in the browser (assets/export.js) from the stores placed here.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..state.viewspec import MAX_TAKEAWAY

FORMAT_LABELS = {
    ids.FORMAT_PNG: "PNG",
    ids.FORMAT_SVG: "SVG",
    ids.FORMAT_PPTX: "PowerPoint",
    ids.FORMAT_HTML: "HTML report",
    ids.FORMAT_CSV: "Data (CSV)",
}
FORMAT_TITLES = {
    ids.FORMAT_PNG: "The figure as a high-resolution image, styled for a slide",
    ids.FORMAT_SVG: "The figure as a vector image, styled for a slide",
    ids.FORMAT_PPTX: "A PowerPoint deck of this view: figure, footnote, numbers in the notes",
    ids.FORMAT_HTML: "A self-contained HTML report of this view (works offline)",
    ids.FORMAT_CSV: "The numbers behind the figure",
}
FIGURE_FORMATS = (ids.FORMAT_PNG, ids.FORMAT_SVG, ids.FORMAT_PPTX, ids.FORMAT_HTML, ids.FORMAT_CSV)
TABLE_FORMATS = (ids.FORMAT_PPTX, ids.FORMAT_HTML)
# Rendered in the browser by plotly.js (assets/export.js) from a job the server hands over.
BROWSER_FORMATS = (ids.FORMAT_PNG, ids.FORMAT_SVG, ids.FORMAT_PPTX)


def export_button_id(view: str, fmt: str) -> dict:
    return {"type": ids.EXPORT_BUTTON, "view": view, "format": fmt}


def export_download_id(view: str, fmt: str) -> dict:
    return {"type": ids.EXPORT_DOWNLOAD, "view": view, "format": fmt}


def export_job_id(view: str, fmt: str) -> dict:
    return {"type": ids.EXPORT_JOB, "view": view, "format": fmt}


def export_progress_id(view: str) -> dict:
    return {"type": ids.EXPORT_PROGRESS, "view": view}


def export_toolbar(view: str, formats: tuple[str, ...] = FIGURE_FORMATS) -> html.Div:
    buttons = [
        dbc.Button(
            FORMAT_LABELS[f],
            id=export_button_id(view, f),
            size="sm",
            color="secondary",
            outline=True,
            title=FORMAT_TITLES[f],
            className="export-button",
        )
        for f in formats
    ]
    downloads = [dcc.Download(id=export_download_id(view, f)) for f in formats]
    jobs = [dcc.Store(id=export_job_id(view, f)) for f in formats if f in BROWSER_FORMATS]
    return html.Div(
        [
            html.Span("Export", className="export-label me-2"),
            dbc.ButtonGroup(buttons, size="sm"),
            # The spinner shows while the server prepares the file or the figures to render.
            dcc.Loading(
                html.Div([*downloads, *jobs]),
                type="circle",
                delay_show=200,
                parent_className="export-spinner",
            ),
            # assets/export.js says here how rendering a deck goes, when it takes a while.
            html.Span(id=export_progress_id(view), className="export-progress ms-2", role="status"),
        ],
        className="export-toolbar",
    )


def method_panel(view: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                "How was this computed?",
                id={"type": ids.METHOD_TOGGLE, "view": view},
                color="link",
                size="sm",
                className="method-toggle px-0",
            ),
            dbc.Collapse(
                html.Div(id={"type": ids.METHOD_BODY, "view": view}, className="method-body"),
                id={"type": ids.METHOD_COLLAPSE, "view": view},
                is_open=False,
            ),
        ],
        className="method-panel",
    )


# --- Present and pin (the dashboard's presenter toolbar, a patient page's narrative bar) -------


def present_button(id_, title: str, class_name: str = "") -> dbc.Button:
    return dbc.Button(
        "▶ Present", id=id_, size="sm", color="primary", title=title, className=class_name
    )


def takeaway_input(id_, class_name: str = "pin-takeaway") -> dbc.Input:
    """The takeaway line typed before pinning (kept with the slide)."""
    return dbc.Input(
        id=id_,
        type="text",
        size="sm",
        maxLength=MAX_TAKEAWAY,
        placeholder="Takeaway for the slide (optional)",
        className=class_name,
        debounce=False,
    )
