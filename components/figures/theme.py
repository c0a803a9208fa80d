"""One visual language: colour-blind-safe colours fixed per center and responder group."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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

# --- The dark theme's palette -------------------------------------------------------------------
# Figures are built light; the browser redraws them dark (assets/theme.js) by swapping the
# template, the background and the ink, and by replacing each light colour below with its
# dark counterpart wherever a trace, an annotation or a shape names it (`themed` does the same
# in Python, for the tests). Every dark colour passes WCAG contrast on DARK_BG: text 4.5:1,
# marks and lines 3:1 (tests/unit/test_dark_theme.py). The map is one-to-one and no dark colour
# is a light one, so that switching back restores the figure.
DARK_BG = "#1d2126"
DARK_INK = "#e3e6ea"  # text
LIGHT_BG = "#ffffff"
LIGHT_INK = "#222222"
MIN_TEXT_CONTRAST = 4.5
MIN_MARK_CONTRAST = 3.0
DARK_COLORS = {
    # near-black ink, marks and lines: light greys
    "#000000": "#f5f5f5",
    "#111111": "#ececec",
    "#222222": DARK_INK,  # the ungrouped curve ("All"), patient lines, forest ink
    "#333333": "#d5d9de",  # "Number at risk", n per visit
    "#444444": "#c8cdd3",
    "#555555": "#bcc2c9",
    "#666666": "#b4bcc5",
    "#0b3d91": "#8cc4ff",
    # group colours too dark for text on DARK_BG (numbers at risk, n per visit take them)
    "#0072b2": "#3d9be9",
    "#d55e00": "#f07a2e",
    "#7f7f7f": "#a0a0a0",
    "#2a7a4a": "#5cc98a",  # the reference range's label
}
# Gridlines the light figures set themselves: dark greys that stay in the background (not
# text or marks, so no contrast minimum; they must not outshine the data).
DARK_GRID_COLORS = {"#eeeeee": "#343a40", "#f0f0f0": "#2f353b"}
COLOR_KEYS = ("color", "fillcolor", "bordercolor", "gridcolor")
_RGBA = re.compile(r"^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(,\s*[\d.]+\s*)?\)$")


def hex_color(color: str) -> str | None:
    """ "#abc", "#AABBCC", "rgb(…)", "rgba(…)" -> "#aabbcc"; None for anything else."""
    c = color.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", c):
        return "#" + "".join(ch * 2 for ch in c[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", c):
        return c
    m = _RGBA.match(c)
    if m:
        return "#" + "".join(f"{min(int(v), 255):02x}" for v in m.groups()[:3])
    return None


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a colour (#rrggbb, #rgb, rgb(), rgba() ignoring alpha)."""
    h = hex_color(color)
    if h is None:
        raise ValueError(f"not a colour: {color!r}")

    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(h[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _swap(color: str, table: Mapping[str, str]) -> str:
    h = hex_color(color)
    if h is None or h not in table:
        return color
    m = _RGBA.match(color.strip().lower())
    if m and m.group(4):  # keep the alpha of rgba()
        r, g, b = (int(table[h][i : i + 2], 16) for i in (1, 3, 5))
        return f"rgba({r}, {g}, {b}{m.group(4)})"
    return table[h]


def _remap(node: Any, table: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "template":
                out[k] = v
            elif k in COLOR_KEYS and isinstance(v, str):
                out[k] = _swap(v, table)
            elif k in COLOR_KEYS and isinstance(v, (list, tuple)):
                out[k] = [_swap(x, table) if isinstance(x, str) else x for x in v]
            else:
                out[k] = _remap(v, table)
        return out
    if isinstance(node, (list, tuple)):
        return [_remap(x, table) for x in node]
    return node


def dark_figure(fig: go.Figure | Mapping) -> go.Figure:
    """The figure drawn dark on the server (pages rendered whole, as the patient page): what
    the browser does to the dashboard's figures when the theme switches."""
    out = go.Figure(themed(fig, dark=True))
    meta = out.layout.meta if isinstance(out.layout.meta, dict) else {}
    out.update_layout(template=DARK_TEMPLATE, meta={**meta, "theme": "dark"})
    return out


def theme_colors() -> dict:
    """What the browser needs to redraw a figure in either theme (assets/theme.js)."""
    dark = {**DARK_COLORS, **DARK_GRID_COLORS}
    return {
        "dark": dark,
        "light": {v: k for k, v in dark.items()},
        "dark_bg": DARK_BG,
        "dark_ink": DARK_INK,
        "light_bg": LIGHT_BG,
        "light_ink": LIGHT_INK,
    }


def themed(fig: go.Figure | Mapping, dark: bool = True) -> dict:
    """A figure (as plotly JSON) as the dark (or light) theme draws it: what assets/theme.js
    does in the browser, without the template, which plotly's own dark template gives."""
    d = fig.to_plotly_json() if isinstance(fig, go.Figure) else dict(fig)
    colors = theme_colors()
    out = _remap(d, colors["dark" if dark else "light"])
    layout = dict(out.get("layout") or {})
    layout["font"] = {**(layout.get("font") or {}), "color": DARK_INK if dark else LIGHT_INK}
    layout["paper_bgcolor"] = layout["plot_bgcolor"] = DARK_BG if dark else LIGHT_BG
    out["layout"] = layout
    return out


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
