"""The export toolbar's and the method panel's callbacks: a click and the controls' values in,
a `ViewSpec`, then the file (or the method text) out."""
from __future__ import annotations

from datetime import date

from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update

import security
from trial.model import Trial

from .. import ids
from ..context import current_trial
from ..state.filters import FILTER_INPUTS
from ..state.viewspec import VIEW_CONTROLS, ViewSpec, spec_from_values
from .build import build_method, build_view
from .deck import pptx_deck
from .files import MIME, export_filename, numbers_csv
from .methods import Method
from .report import html_report
from .slides import figure_png, figure_svg
from .toolbar import FIGURE_FORMATS, TABLE_FORMATS

VIEW_FORMATS = {ids.VIEW_TRAJECTORIES: FIGURE_FORMATS, ids.VIEW_TABLES: TABLE_FORMATS,
                ids.VIEW_SURVIVAL: FIGURE_FORMATS, ids.VIEW_EFFECTS: FIGURE_FORMATS}
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]


def export_download(trial: Trial, spec: ViewSpec, fmt: str, today: date) -> dict:
    """The dcc.Download data of one export of one view."""
    ev = build_view(trial, spec, today)
    # Recorded before the file is made: an export that cannot be audited is not made.
    security.audit("export", fingerprint=trial.fingerprint, view=spec.view, format=fmt)
    filename = export_filename(ev.name, fmt, today)
    if fmt == ids.FORMAT_PNG and ev.figure is not None:
        return dcc.send_bytes(figure_png(ev), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_SVG and ev.figure is not None:
        return dcc.send_bytes(figure_svg(ev), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_PPTX:
        return dcc.send_bytes(pptx_deck(trial, [ev], today), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_HTML:
        return dict(content=html_report(trial, [ev], today), filename=filename, type=MIME[fmt])
    if fmt == ids.FORMAT_CSV:
        return dict(content=numbers_csv(ev.numbers), filename=filename, type=MIME[fmt])
    raise ValueError(f"unknown export format for this view: {fmt}")


def method_children(method: Method) -> list:
    """The method as text and the snippet as a code block (plain text, never HTML)."""
    children: list = [html.Ul([html.Li(x) for x in method.lines], className="method-lines")]
    if method.snippet:
        children += [html.Div("Python that reproduces these numbers from the data files "
                              "(pandas, scipy, lifelines):", className="method-snippet-title"),
                     html.Pre(html.Code(method.snippet), className="method-snippet")]
    return children


def download_function(view: str, fmt: str):
    """The callback of one export button: its clicks, then the view's controls and the
    filters, in VIEW_CONTROLS and FILTER_INPUTS order."""
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


def register(app: Dash) -> None:
    for view, formats in VIEW_FORMATS.items():
        controls = [State(c, "value") for c in VIEW_CONTROLS[view].values()]
        for fmt in formats:
            app.callback(
                Output({"type": ids.EXPORT_DOWNLOAD, "view": view, "format": fmt}, "data"),
                Input({"type": ids.EXPORT_BUTTON, "view": view, "format": fmt}, "n_clicks"),
                *controls, *FILTER_STATES, prevent_initial_call=True
            )(download_function(view, fmt))
        app.callback(Output({"type": ids.METHOD_BODY, "view": view}, "children"),
                     Input({"type": ids.METHOD_COLLAPSE, "view": view}, "is_open"),
                     *[Input(c, "value") for c in VIEW_CONTROLS[view].values()], *FILTER_INPUTS
                     )(method_function(view))
    app.callback(Output({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
                 Input({"type": ids.METHOD_TOGGLE, "view": MATCH}, "n_clicks"),
                 State({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
                 prevent_initial_call=True)(toggle_method)
