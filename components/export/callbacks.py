"""The export toolbar's and the method panel's callbacks: a click and the controls' values in,
a `ViewSpec`, then the file (or the method text) out.

HTML and CSV files are made here. Figures are rendered in the browser (plotly.js; nothing to
install on the server): for PNG, SVG and PowerPoint the callback hands the browser a job, the
slide-styled figures as JSON (`image_job`, `deck_job`), which assets/export.js renders; a
deck's images then go to the deck route (deckroute.py), which assembles the file.
"""

from __future__ import annotations

from datetime import date

from dash import MATCH, ClientsideFunction, Dash, Input, Output, State, html, no_update

import security
from trial.model import Trial

from .. import ids
from ..context import current_trial
from ..figures import theme
from ..state.filters import COHORT_INPUTS
from ..state.viewspec import VIEW_CONTROLS, ViewSpec, spec_from_values
from . import deckroute
from .build import ExportView, build_method, build_view
from .deck import deck_figures
from .files import MIME, export_filename, numbers_csv
from .methods import Method
from .report import html_report
from .slides import figure_json, slide_figure
from .toolbar import BROWSER_FORMATS, FIGURE_FORMATS, TABLE_FORMATS, export_progress_id

VIEW_FORMATS = {
    ids.VIEW_TRAJECTORIES: FIGURE_FORMATS,
    ids.VIEW_TABLES: TABLE_FORMATS,
    ids.VIEW_SURVIVAL: FIGURE_FORMATS,
    ids.VIEW_EFFECTS: FIGURE_FORMATS,
    ids.VIEW_RESPONSE: FIGURE_FORMATS,
}
FILTER_STATES = [State(i.component_id, i.component_property) for i in COHORT_INPUTS]


def image_job(ev: ExportView, fmt: str, filename: str) -> dict:
    """What the browser needs to render a PNG or SVG export: the slide figure (with its title
    and footer) at the slide's size, the scale, the file name, and where to say that it is
    rendering when that takes a while."""
    fig = slide_figure(ev)
    return {
        "kind": "image",
        "format": fmt,
        "filename": filename,
        "type": MIME[fmt],
        "figure": figure_json(fig),
        "progress": export_progress_id(ev.view),
        "scale": theme.SLIDE_SCALE if fmt == ids.FORMAT_PNG else 1,
    }


def deck_job(
    views: list[ExportView], specs: list[dict], kind: str, filename: str, progress: dict | str
) -> dict:
    """What the browser needs to make a deck: each figure slide's figure to render to a PNG,
    and what to send to the deck route with the images (which rebuilds the views itself)."""
    return {
        "kind": "deck",
        "filename": filename,
        "type": MIME[ids.FORMAT_PPTX],
        "figures": deck_figures(views),
        "scale": theme.SLIDE_SCALE,
        "specs": specs,
        "deck": kind,
        "route": deckroute.DECK_ROUTE,
        "header": deckroute.DECK_HEADER,
        "progress": progress,
        "page": ids.PAGE_DATASET,
    }  # the element whose data-key names the page's dataset


def export_download(trial: Trial, spec: ViewSpec, fmt: str, today: date) -> dict:
    """The dcc.Download data of an HTML or CSV export, or the browser's job of a PNG, SVG or
    PowerPoint export (audited here as the files are)."""
    ev = build_view(trial, spec, today)
    # Recorded before the file is made: an export that cannot be audited is not made.
    security.audit("export", fingerprint=trial.fingerprint, view=spec.view, format=fmt)
    filename = export_filename(ev.name, fmt, today)
    if fmt in (ids.FORMAT_PNG, ids.FORMAT_SVG) and ev.figure is not None:
        return image_job(ev, fmt, filename)
    if fmt == ids.FORMAT_PPTX:
        return deck_job([ev], [spec.to_dict()], "view", filename, export_progress_id(spec.view))
    if fmt == ids.FORMAT_HTML:
        return dict(content=html_report(trial, [ev], today), filename=filename, type=MIME[fmt])
    if fmt == ids.FORMAT_CSV:
        return dict(content=numbers_csv(ev.numbers), filename=filename, type=MIME[fmt])
    raise ValueError(f"unknown export format for this view: {fmt}")


def method_children(method: Method) -> list:
    """The method as text and the snippet as a code block (plain text, never HTML)."""
    children: list = [html.Ul([html.Li(x) for x in method.lines], className="method-lines")]
    if method.snippet:
        children += [
            html.Div(
                "Python that reproduces these numbers from the data files "
                "(pandas, scipy, lifelines):",
                className="method-snippet-title",
            ),
            html.Pre(html.Code(method.snippet), className="method-snippet"),
        ]
    return children


def download_function(view: str, fmt: str):
    """The callback of one export button: its clicks, then the view's controls and the
    filters and the selection, in VIEW_CONTROLS and COHORT_INPUTS order."""
    k = len(VIEW_CONTROLS[view])

    def download(n_clicks, *values):
        if not n_clicks:
            return no_update
        spec = spec_from_values(view, values[:k], values[k:])
        return export_download(current_trial(), spec, fmt, date.today())

    download.__name__ = f"download_{view}_{fmt}"
    return download


def toggle_method(_clicks, is_open):
    return not is_open


def method_function(view: str):
    """The callback filling a view's method panel while it is open (no figure is built)."""
    k = len(VIEW_CONTROLS[view])

    def update(is_open, *values):
        if not is_open:
            return no_update
        spec = spec_from_values(view, values[:k], values[k:])
        return method_children(build_method(current_trial(), spec))

    update.__name__ = f"update_{view}_method"
    return update


RENDER_JOB = ClientsideFunction(namespace="export", function_name="render")


def register(app: Dash) -> None:
    deckroute.install(app.server)
    for view, formats in VIEW_FORMATS.items():
        controls = [State(c, "value") for c in VIEW_CONTROLS[view].values()]
        for fmt in formats:
            target = {"type": ids.EXPORT_DOWNLOAD, "view": view, "format": fmt}
            job = {"type": ids.EXPORT_JOB, "view": view, "format": fmt}
            browser = fmt in BROWSER_FORMATS
            app.callback(
                Output(job if browser else target, "data"),
                Input({"type": ids.EXPORT_BUTTON, "view": view, "format": fmt}, "n_clicks"),
                *controls,
                *FILTER_STATES,
                prevent_initial_call=True,
            )(download_function(view, fmt))
            if browser:  # assets/export.js renders the job and hands over the file
                app.clientside_callback(
                    RENDER_JOB,
                    Output(target, "data"),
                    Input(job, "data"),
                    prevent_initial_call=True,
                )
        app.callback(
            Output({"type": ids.METHOD_BODY, "view": view}, "children"),
            Input({"type": ids.METHOD_COLLAPSE, "view": view}, "is_open"),
            *[Input(c, "value") for c in VIEW_CONTROLS[view].values()],
            *COHORT_INPUTS,
        )(method_function(view))
    app.callback(
        Output({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
        Input({"type": ids.METHOD_TOGGLE, "view": MATCH}, "n_clicks"),
        State({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
        prevent_initial_call=True,
    )(toggle_method)
