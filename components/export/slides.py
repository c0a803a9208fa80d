"""A view's figure styled for a slide or an image export: white, larger type, a fixed size,
and (optionally) the title and a footer with n, filters, tests and the data-provenance note.
"""
from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

from ..figures import theme
from ..figures.text import plain_text, plot_text
from .build import ExportView


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def _slide_legend(fig: go.Figure, avail_px: int, font_px: int):
    """(rows, layout) of a horizontal legend above the plot, for a legend right of the plot."""
    leg = fig.layout.legend
    shown = [t.name for t in fig.data if t.showlegend is not False and t.name]
    above = leg.orientation == "h" and (leg.y or 0) > 1 and leg.entrywidthmode == "fraction"
    if above:  # already in rows above the plot, a fraction of its width per entry
        per_row = max(1, int(1 / (leg.entrywidth or 1)))
        return math.ceil(len(dict.fromkeys(shown)) / per_row), dict(
            x=0, xanchor="left", yref="container", yanchor="top")
    if not shown or leg.orientation == "h" or (leg.x is not None and leg.x < 1):
        return None
    title = plain_text(leg.title.text) if leg.title and leg.title.text else ""
    widths = [len(title) * font_px * 0.62 + 12] if title else []
    widths += [len(str(n)) * font_px * 0.58 + 60 for n in dict.fromkeys(shown)]
    rows, line = 1, 0.0
    for w in widths:
        if line and line + w > avail_px:
            rows, line = rows + 1, 0.0
        line += w
    return rows, dict(orientation="h", x=0, xanchor="left", yref="container", yanchor="top",
                      title=dict(side="left"))


def slide_figure(ev: ExportView, *, title: bool = True, footer: bool = True,
                 width: int = theme.SLIDE_WIDTH) -> go.Figure:
    """The view's figure styled for a slide: white, larger type, fixed size, and (optionally)
    the title and a footer with n, filters, tests and the data-provenance note."""
    fig = go.Figure(ev.figure)   # a copy: the view's figure is not modified
    lay = fig.layout
    scale = theme.SLIDE_FONT_SCALE
    base = (lay.font.size or theme.FONT_SIZE) * scale
    height = int(lay.height or 560)
    m = lay.margin
    t, b = int(m.t if m.t is not None else 80), int(m.b if m.b is not None else 60)
    left, right = int(m.l if m.l is not None else 70), int(m.r if m.r is not None else 30)
    for a in fig.layout.annotations:
        if a.font is not None and a.font.size:
            a.font.size = a.font.size * scale
    footer_lines = [x for line in ev.footnote for x in _wrap(line, int(width / 8.2))] \
        if footer else []
    line_px = theme.SLIDE_FOOTER_FONT * 1.45
    footer_px = int(len(footer_lines) * line_px + 24) if footer else 0
    new_b = b + footer_px
    new_h = height + footer_px
    head_px = 100 if title else 56     # title (and subtitle) at the top of the image
    legend = _slide_legend(fig, width - left - 40, round(14 * scale))
    if legend is not None:
        # A legend right of the plot takes a third of a slide: put it in rows above the plot.
        rows, legend_layout = legend
        right = 40
        legend_px = int(rows * 14 * scale * 1.7) + 8
        panel_titles = 34 if len(fig.layout.annotations) and any(
            a.yref == "paper" and (a.y or 0) >= 1 for a in fig.layout.annotations) else 8
        gap = 12  # between the subtitle and the legend's first row
        new_t = head_px + gap + legend_px + panel_titles
        new_h += new_t - t
        t = new_t
        fig.update_layout(legend={**legend_layout, "y": 1 - (head_px + gap) / new_h})
    else:
        new_h += max(head_px + 10 - t, 0)
        t = max(t, head_px + 10)
    left += 16
    plot_h = max(new_h - t - new_b, 1)
    plot_w = max(width - left - right, 1)
    fig.update_layout(
        template=theme.LIGHT_TEMPLATE, paper_bgcolor="white", plot_bgcolor="white",
        width=width, height=new_h, margin=dict(l=left, r=right, t=t, b=new_b),
        font=dict(family=theme.FONT_FAMILY, size=base, color="#222"),
    )
    fig.update_layout(legend_font_size=round(14 * scale))
    fig.update_xaxes(tickfont=dict(size=round(13 * scale)))
    fig.update_yaxes(tickfont=dict(size=round(13 * scale)))
    if title:
        fig.update_layout(title=dict(text=f"<b>{plot_text(ev.title)}</b>",
                                     font=dict(size=round(22 * scale)),
                                     subtitle=dict(text=plot_text(ev.subtitle),
                                                   font=dict(size=round(13 * scale),
                                                             color="#444")),
                                     x=0.01, xanchor="left", yref="container",
                                     y=1 - 18 / new_h, yanchor="top"))
    else:
        fig.update_layout(title=dict(text=plot_text(ev.subtitle), x=0.01, xanchor="left",
                                     yref="container", y=1 - 14 / new_h, yanchor="top",
                                     font=dict(size=round(13 * scale), color="#444"),
                                     subtitle=dict(text="")))
    if footer:
        fig.add_annotation(
            text="<br>".join(plot_text(x) for x in footer_lines), showarrow=False,
            xref="paper", yref="paper", x=-(left - 16) / plot_w, xanchor="left",
            y=-(new_b - 10) / plot_h, yanchor="bottom", align="left",
            font=dict(size=theme.SLIDE_FOOTER_FONT, color=theme.SLIDE_FOOTER_COLOR))
    return fig


def figure_png(ev: ExportView, *, title: bool = True, footer: bool = True,
               scale: int = theme.SLIDE_SCALE, width: int = theme.SLIDE_WIDTH) -> bytes:
    fig = slide_figure(ev, title=title, footer=footer, width=width)
    return pio.to_image(fig, format="png", scale=scale)


def figure_svg(ev: ExportView) -> bytes:
    return pio.to_image(slide_figure(ev), format="svg")


