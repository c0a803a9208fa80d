"""One visual language: colour-blind-safe colours fixed per center and responder group."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from .text import plot_text

# Okabe-Ito palette (colour-blind safe).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
RESPONSE_COLORS = {"MCR": "#0072B2", "PCR": "#E69F00", "NR": "#7F7F7F", "All": "#222222"}
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 15


# Centers take the palette in the trial's center order, skipping the responder groups' colours
# so that a center is never mistaken for MCR or PCR.
CENTER_PALETTE = [
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
    "#0072B2",
    "#E69F00",
]


def center_colors(centers: list) -> dict:
    """Fixed colour per center, by its position in `trial.centers` (not in the selection)."""
    return {c: CENTER_PALETTE[i % len(CENTER_PALETTE)] for i, c in enumerate(centers)}


def group_colors(levels: list, group_col: str | None, order: list | None = None) -> dict:
    """Colour per group level; responder groups keep fixed colours, others follow `order` (the
    whole trial's levels, so that a level keeps its colour whatever the filters) or, without it,
    the order of `levels`."""
    if group_col == "response":
        return {lv: RESPONSE_COLORS.get(str(lv), "#444444") for lv in levels}
    if group_col is None:
        return {lv: RESPONSE_COLORS["All"] for lv in levels}
    palette = CENTER_PALETTE if group_col == "center" else OKABE_ITO
    order = list(order or []) + [lv for lv in levels if lv not in set(order or [])]
    return {lv: palette[order.index(lv) % len(palette)] for lv in levels}


# Slide styling of exported figures (PNG, SVG, PowerPoint, presenter mode). Sizes are pixels of
# a 1920 x 1080 frame: px at 1080p. Type is sized for the back of a room (stated minimums: tick
# labels 20 px, n per visit and numbers at risk 18 px; tests/unit/test_slides.py checks them).
SLIDE_WIDTH = 1920  # 16:9 frame; 4:3 screens get SLIDE_WIDTH_4_3 x SLIDE_HEIGHT
SLIDE_HEIGHT = 1080
SLIDE_WIDTH_4_3 = 1440
# Arial everywhere (Liberation Sans, metric-compatible, on Linux): the slide's layout measures
# its text with these metrics (components/export/textfit.py).
SLIDE_FONT_FAMILY = "Arial, 'Liberation Sans', Helvetica, sans-serif"
SLIDE_SCALE = 2  # PNG exports: 3840 x 2160
SLIDE_TITLE_PX = 44
SLIDE_SUBTITLE_PX = 26
SLIDE_TEXT_PX = 24  # the figure's base font, axis titles
SLIDE_TICK_PX = 22
SLIDE_LEGEND_PX = 24
SLIDE_PANEL_TITLE_PX = 26  # titles of small multiples
SLIDE_TABLE_PX = 21  # n per visit, numbers at risk
SLIDE_MARK_PX = 30  # the * marks of significance
SLIDE_NOTE_PX = 19  # other annotations (reference ranges)
SLIDE_FOOTER_PX = 19
SLIDE_FOOTER_COLOR = "#555555"
SLIDE_MIN_TICK_PX = 20
SLIDE_MIN_TABLE_PX = 18
SLIDE_MIN_TEXT_PX = 18
DARK_TEMPLATE = "plotly_dark"
LIGHT_TEMPLATE = "plotly_white"


# Every figure is drawn on the light template (the browser swaps in the dark one). As plotly's
# default it is added when a figure is serialised; set on each figure, plotly would validate and
# copy the whole template every time (about 8 ms per figure).
pio.templates.default = LIGHT_TEMPLATE


def base_layout(**overrides) -> dict:
    layout = dict(
        font=dict(family=FONT_FAMILY, size=FONT_SIZE, color="#222"),
        margin=dict(l=70, r=30, t=80, b=60),
        legend=dict(
            orientation="v", yanchor="top", y=1, xanchor="left", x=1.01, font=dict(size=14)
        ),
        hoverlabel=dict(font_size=14),
    )
    layout.update(overrides)
    return layout


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says why it is empty instead of showing blank axes."""
    fig = go.Figure()
    fig.update_layout(**base_layout(title=dict(text=plot_text(title), x=0.01), height=420))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=18, color="#666"),
    )
    return fig
