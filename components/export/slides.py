"""A view's figure styled for a slide: white, type sized for the back of a room, a fixed frame
that it fills, and (optionally) the title and a footer with n, filters, tests and the
data-provenance note.

    slide_figure(ev, Frame(1920, 1080))            # the PNG / SVG export: title and footer in it
    slide_figure(ev, frame, title=False, footer=False)   # a PowerPoint picture, presenter mode

The figure is rendered to an image in the browser (plotly.js, assets/export.js), never on the
server. Sizes are pixels of the frame; a frame 1080 px high is a 1080p screen, so the theme's
SLIDE_* sizes are the pixels a viewer sees there. The on-screen figure's geometry (its margins,
legend, the n-per-visit rows, the risk table, the grid of small multiples) was made for its
smaller type, so it is laid out again here for the frame and the slide's type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ..figures import theme
from ..figures.narrative import EVENTS_NAME, LEFT, MORE, PANEL_NAME, is_narrative, panel_cells
from ..figures.text import plain_text, plot_text
from ..figures.trajectory import N_TABLE
from .build import ExportView
from .textfit import text_width, wrap, wrap_all


@dataclass(frozen=True)
class Frame:
    """The size a slide figure is drawn at, in pixels (1080 high: a 1080p screen)."""

    width: int = theme.SLIDE_WIDTH
    height: int = theme.SLIDE_HEIGHT


SLIDE_FRAME = Frame()
PAD = 28  # px: the frame's inner margin
ROW = theme.SLIDE_TABLE_PX * 1.5  # one line of the n table or the risk table
N_ROW = theme.SLIDE_TABLE_PX * 1.2  # one line of a small multiple's n table
TICKS_BELOW = theme.SLIDE_TICK_PX * 1.5 + 10  # x tick labels under an axis
AXIS_TITLE = theme.SLIDE_TEXT_PX * 1.7
PANEL_TITLE = theme.SLIDE_PANEL_TITLE_PX * 1.6
LINE = 1.3  # line height, in font sizes
LEGEND_SYMBOL = 44  # px of a legend entry's line or marker
RISK_LABEL_CHARS = 28  # a longer group name is cut (the legend has it in full)


@dataclass
class _Box:
    """Margins of the plot area within the frame (px)."""

    left: float
    right: float
    top: float
    bottom: float


def _legend_entries(fig: go.Figure) -> list[str]:
    if fig.layout.showlegend is False:
        return []
    names = [plain_text(t.name) for t in fig.data if t.showlegend is not False and t.name]
    return list(dict.fromkeys(names))


def _legend_grid(fig: go.Figure, entries: list[str], width: float) -> tuple[int, float]:
    """(rows, entry width in px) of a horizontal legend of `entries` in `width` px: a grid of
    equal entries, so that where plotly wraps them is known."""
    if not entries:
        return 0, 0.0
    px = theme.SLIDE_LEGEND_PX
    title = plain_text(fig.layout.legend.title.text) if fig.layout.legend.title else ""
    title_w = text_width(title, px) + 24 if title else 0.0
    entry_w = max(text_width(e, px) for e in entries) + 36
    per_row = max(1, int((width - title_w) // (entry_w + LEGEND_SYMBOL)))
    return -(-len(entries) // per_row), entry_w


def _head(ev: ExportView, width: float, title: bool) -> tuple[list[str], list[str]]:
    """The title's and the subtitle's lines for a frame `width` px wide."""
    avail = width - 2 * PAD
    if not title:
        return [], []
    return (
        wrap(ev.title, avail, theme.SLIDE_TITLE_PX, bold=True),
        wrap(ev.subtitle, avail, theme.SLIDE_SUBTITLE_PX),
    )


def _head_px(title_lines: list[str], subtitle_lines: list[str]) -> float:
    if not title_lines and not subtitle_lines:
        return 0.0
    return (
        PAD
        + len(title_lines) * theme.SLIDE_TITLE_PX * 1.2
        + len(subtitle_lines) * theme.SLIDE_SUBTITLE_PX * LINE
        + 24
    )


def _footer_lines(ev: ExportView, width: float) -> list[str]:
    return wrap_all(ev.footnote, width - 2 * PAD, theme.SLIDE_FOOTER_PX)


def _axes(fig: go.Figure, letter: str) -> list[str]:
    """The layout keys of the x or y axes (xaxis, xaxis2, …)."""
    keys = [k for k in fig.layout.to_plotly_json() if k.startswith(f"{letter}axis")]
    return sorted(keys, key=lambda k: int(k[5:] or 1))


def _is_survival(fig: go.Figure) -> bool:
    return (
        any(getattr(t, "mode", None) == "text" and t.yaxis == "y2" for t in fig.data)
        and fig.layout.yaxis2.domain is not None
        and len(_axes(fig, "y")) == 2
    )


def _n_table(fig: go.Figure) -> list:
    """The n-per-visit annotations under a single plot (yref paper, below it)."""
    return [a for a in fig.layout.annotations if a.yref == "paper" and a.y is not None and a.y < 0]


# --- Type -----------------------------------------------------------------------------------


def _style_type(fig: go.Figure) -> None:
    """Every font of the chart at the slide's sizes (px at 1080p); lines and marks thicker."""
    fig.update_layout(
        font=dict(family=theme.SLIDE_FONT_FAMILY, size=theme.SLIDE_TEXT_PX, color="#222"),
        legend_font_size=theme.SLIDE_LEGEND_PX,
        legend_title_font_size=theme.SLIDE_LEGEND_PX,
    )
    fig.update_xaxes(tickfont_size=theme.SLIDE_TICK_PX, title_font_size=theme.SLIDE_TEXT_PX)
    fig.update_yaxes(tickfont_size=theme.SLIDE_TICK_PX, title_font_size=theme.SLIDE_TEXT_PX)
    if _is_survival(fig):  # the risk table's row labels are the y2 axis' ticks
        fig.update_layout(yaxis2_tickfont_size=theme.SLIDE_TABLE_PX)
    # All at once, as plain data: setting each annotation's properties in place validates
    # the figure's annotations again every time.
    fig.layout.annotations = [_slide_annotation(a.to_plotly_json()) for a in fig.layout.annotations]
    for t in fig.data:
        if getattr(t, "mode", None) and "text" in t.mode:
            small = (t.textfont.size or theme.FONT_SIZE) < 18
            t.textfont = dict(
                size=theme.SLIDE_TABLE_PX if small else theme.SLIDE_MARK_PX, color=t.textfont.color
            )
            t.cliponaxis = False  # a * mark above the highest bar stays visible
        if getattr(t, "line", None) is not None and t.line.width:
            t.line.width = t.line.width * 1.5
        elif getattr(t, "mode", None) and "lines" in t.mode and not t.fill:
            t.line.width = 3
        size: Any = getattr(getattr(t, "marker", None), "size", None)  # bars have none
        if isinstance(size, (int, float)):
            t.marker.size = size * 1.4 if size else size
        elif size is not None:  # one per point (a forest's n)
            t.marker.size = [x * 1.4 for x in size]


def _slide_annotation(a: dict) -> dict:
    """An annotation at the slide's type; the n table's lines under the ticks."""
    color = (a.get("font") or {}).get("color")
    out = {**a, "font": dict(size=_annotation_px(a), color=color)}
    line = _n_table_line(a)
    if line is not None:
        out["yshift"] = -(TICKS_BELOW + line * N_ROW)
    return out


def _n_table_line(a: dict) -> int | None:
    """The line of a small multiple's n-per-visit annotation (figures.trajectory.N_TABLE)."""
    name = str(a.get("name") or "")
    if not name.startswith(f"{N_TABLE}:"):
        return None
    try:
        return int(name.split(":", 1)[1])
    except ValueError:
        return None


def _grid_n_lines(fig: go.Figure) -> int:
    lines = [_n_table_line(a.to_plotly_json()) for a in fig.layout.annotations]
    return 1 + max((x for x in lines if x is not None), default=-1)


def _annotation_px(a: dict) -> float:
    """Slide size of an annotation: table cells, panel titles, or other notes."""
    yref, y = a.get("yref"), a.get("y")
    if _n_table_line(a) is not None:
        return theme.SLIDE_TABLE_PX  # n per visit under a small multiple
    if (yref == "paper" and y is not None and y < 0) or str(yref).startswith("y2"):
        return theme.SLIDE_TABLE_PX  # n per visit, risk-table headers
    if yref == "paper" and a.get("yanchor") == "bottom":
        return theme.SLIDE_PANEL_TITLE_PX  # titles of small multiples
    size = (a.get("font") or {}).get("size") or theme.FONT_SIZE
    return max(theme.SLIDE_NOTE_PX, size * 1.4)


# --- Geometry -------------------------------------------------------------------------------


def _y_label_px(fig: go.Figure) -> float:
    """Room left of a plot for its y tick labels and the axis title."""
    titled = any(fig.layout[k].title.text for k in _axes(fig, "y"))
    return 5 * theme.SLIDE_TICK_PX * 0.6 + (AXIS_TITLE if titled else 0) + 16


def _x_title_px(fig: go.Figure, key: str = "xaxis") -> float:
    return AXIS_TITLE if fig.layout[key].title.text else 0.0


def _left_px(fig: go.Figure, layered: bool) -> float:
    """The left margin: the y tick labels and title, or the row labels of the table under
    the plot (n per visit, numbers at risk) where they are wider."""
    if layered:
        labels = [plain_text(x) for x in fig.layout.yaxis2.ticktext or ()] + [
            plain_text(a.text) for a in fig.layout.annotations if a.yref == "y2"
        ]
        extra = 40
    else:
        labels = [plain_text(a.text) for a in _n_table(fig) if a.xref == "paper"]
        extra = 24
    widest = max((text_width(t, theme.SLIDE_TABLE_PX, bold=True) for t in labels), default=0.0)
    return PAD + max(widest + extra, _y_label_px(fig))


def _layout_single(fig: go.Figure, frame: Frame, box: _Box) -> None:
    """One plot with the n-per-visit rows under it: the rows at the slide's line pitch."""
    table = _n_table(fig)
    levels = sorted({round(a.y, 6) for a in table}, reverse=True)
    under = TICKS_BELOW + _x_title_px(fig)
    box.bottom += under + ROW * len(levels) + 8
    plot_h = frame.height - box.top - box.bottom
    row_of = {y: i for i, y in enumerate(levels)}
    for a in table:
        a.y = -(under + ROW * row_of[round(a.y, 6)]) / plot_h
        if a.xref == "paper":
            a.xshift = -12
    fig.update_yaxes(automargin=False)


def _short(text: str, limit: int = RISK_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label_chars(frame: Frame) -> int:
    """How long a row label of the table under a plot may be (a narrower frame, shorter)."""
    return RISK_LABEL_CHARS if frame.width >= 1600 else 20


def _shorten_n_table_labels(fig: go.Figure, limit: int) -> None:
    for a in _n_table(fig):
        if a.xref == "paper" and not a.text.startswith("<b>"):
            a.text = plot_text(_short(plain_text(a.text), limit))


def _condense_risk_table(fig: go.Figure, limit: int = RISK_LABEL_CHARS) -> None:
    """A risk table of several groups keeps, on a slide, one line per group: the number at
    risk, labelled with the group's name in its colour (the classic table under Kaplan-Meier
    curves; events and censored per group are in the speaker notes and the CSV). Without
    groups its lines (at risk, events, censored) stay."""
    headers = {a.y: a for a in fig.layout.annotations if a.yref == "y2"}
    if not headers:
        return
    first_lines = sorted((y - 1 for y in headers), reverse=True)
    new_y = {y: -i for i, y in enumerate(first_lines)}

    def is_line(t) -> bool:
        return t.mode == "text" and t.yaxis == "y2"

    kept = [t for t in fig.data if not is_line(t) or t.y[0] in new_y]
    for t in kept:
        if is_line(t):
            t.y = [new_y[t.y[0]]] * len(t.y)
    fig.data = kept
    labels = []
    for y in first_lines:
        header = headers[y + 1]
        color = header.font.color if header.font and header.font.color else "#444"
        name = plot_text(_short(plain_text(header.text), limit))
        labels.append(f"<span style='color:{color}'><b>{name}</b></span>")
    fig.update_layout(annotations=[a for a in fig.layout.annotations if a.yref != "y2"])
    for a in fig.layout.annotations:
        if str(a.yref) == "y2 domain":
            a.text = "<b>Number at risk</b>"
    fig.update_layout(
        yaxis2=dict(tickvals=list(new_y.values()), ticktext=labels, range=[-len(labels) + 0.5, 0.6])
    )


def _layout_survival(fig: go.Figure, frame: Frame, box: _Box) -> None:
    """The curves above, the risk table under them at the slide's line pitch."""
    lines = len(fig.layout.yaxis2.tickvals or ()) + sum(
        1 for a in fig.layout.annotations if a.yref == "y2"
    )
    box.bottom += 16
    plot_h = frame.height - box.top - box.bottom
    table_h = ROW * max(lines, 1)
    gap = TICKS_BELOW + _x_title_px(fig) + ROW + 22
    fig.update_layout(
        yaxis2_domain=[0, min(table_h / plot_h, 0.6)],
        yaxis_domain=[min((table_h + gap) / plot_h, 0.8), 1],
    )
    for a in fig.layout.annotations:
        if str(a.xref).endswith("domain") and str(a.yref).startswith("y2"):
            a.xshift = -box.left + PAD


def _unit(x: float) -> float:
    """A domain bound, within [0, 1] (rounding may step over)."""
    return min(max(round(x, 6), 0.0), 1.0)


def _rows_and_columns(fig: go.Figure) -> tuple[list, list]:
    ys = sorted({tuple(fig.layout[k].domain) for k in _axes(fig, "y")}, reverse=True)
    xs = sorted({tuple(fig.layout[k].domain) for k in _axes(fig, "x")})
    return ys, xs


def _axis_titles_to_panel_titles(fig: go.Figure, titles: list) -> None:
    """Small multiples: each panel's y-axis title (measure and unit) becomes its title, which
    has the width of the panel; rotated, it would be longer than the panel is high."""
    y_axes = _axes(fig, "y")
    one_measure = len({fig.layout[k].title.text for k in y_axes}) == 1
    for a, key in zip(titles, y_axes):  # make_subplots: titles in the order of the axes
        text = fig.layout[key].title.text
        if not text:
            continue
        own = plain_text(a.text or "")
        if own and one_measure and not text.startswith(own):
            pass  # panels of one measure (per center): the center names them, the title the rest
        elif own and not text.startswith(own):
            a.text = plot_text(f"{plain_text(text)} · {_short(own, 24)}")  # measure · center
        else:
            a.text = text
        fig.layout[key].title.text = ""


def _layout_grid(fig: go.Figure, frame: Frame, box: _Box) -> None:
    """Small multiples: each row gets room for its panels' titles above and tick labels under
    it, each column room for its y tick labels, at the slide's type."""
    ys, xs = _rows_and_columns(fig)
    table = _grid_n_lines(fig) * N_ROW  # the n per visit under every panel
    last_x = _axes(fig, "x")[-1]
    box.bottom += _x_title_px(fig, last_x) + 8
    plot_h = frame.height - box.top - box.bottom
    plot_w = frame.width - box.left - box.right
    n_rows, n_cols = len(ys), len(xs)
    below = TICKS_BELOW + table
    row_h = (plot_h - n_rows * (PANEL_TITLE + below)) / n_rows
    col_gap = _y_label_px(fig)
    col_w = (plot_w - (n_cols - 1) * col_gap) / n_cols
    new_y, new_x = {}, {}
    for i, old in enumerate(ys):
        top = plot_h - i * (PANEL_TITLE + row_h + below) - PANEL_TITLE
        new_y[old] = [_unit((top - row_h) / plot_h), _unit(top / plot_h)]
    for j, old in enumerate(xs):
        left = j * (col_w + col_gap)
        new_x[old] = [_unit(left / plot_w), _unit((left + col_w) / plot_w)]
    titles = [
        a
        for a in fig.layout.annotations
        if a.yref == "paper" and a.xref == "paper" and a.yanchor == "bottom"
    ]
    _axis_titles_to_panel_titles(fig, titles)
    for a in titles:  # subplot titles sit on their panel's top edge, centred
        row = min(ys, key=lambda d: abs(d[1] - a.y))
        col = min(xs, key=lambda d: abs((d[0] + d[1]) / 2 - a.x))
        a.y, a.x = new_y[row][1], sum(new_x[col]) / 2
    for k in _axes(fig, "y"):
        fig.layout[k].domain = new_y[tuple(fig.layout[k].domain)]
    for k in _axes(fig, "x"):
        fig.layout[k].domain = new_x[tuple(fig.layout[k].domain)]
    x_title = fig.layout[last_x].title.text
    if table and x_title:  # once, under the last row's n tables (plotly keeps an axis title
        for k in _axes(fig, "x"):  # within its standoff, over the table)
            fig.layout[k].title.text = ""
        fig.add_annotation(
            text=x_title,
            xref="paper",
            x=0.5,
            yref="paper",
            y=min(d[0] for d in new_y.values()),
            yanchor="top",
            yshift=-(below + 4),
            showarrow=False,
            font=dict(size=theme.SLIDE_TEXT_PX),
            name="x-title",
        )


# --- A case narrative (figures/narrative.py) ---------------------------------------------------

LIST_PX = theme.SLIDE_TABLE_PX  # the events list and the panels' titles
LIST_LINE = LIST_PX * LINE
TIMELINE_BELOW = theme.SLIDE_TICK_PX * LINE * 2 + 10 + AXIS_TITLE  # day and visit, axis title
PANEL_HEAD = 2 * LIST_PX * LINE + 8  # a measure's name, and baseline → last value
MIN_TIMELINE_SHARE = 0.5  # of the plot's height, whatever the events list needs


def _fit_line(text: str, width: float, px: float, bold: bool = False) -> str:
    """`text` on one line of `width` px, cut with "…" where longer."""
    if text_width(text, px, bold) <= width:
        return text
    while text and text_width(text + "…", px, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _events_block(a, width: float, max_lines: int) -> int:
    """The events list as the lines that fit `max_lines` (the last saying how many more),
    each cut to `width` px; returns the number of lines shown."""
    head, *lines = a.text.split("<br>")
    if len(lines) > max_lines:
        hidden = len(lines) - max_lines + 1
        lines = lines[: max_lines - 1] + [plot_text(MORE.format(hidden))]
    fitted = [plot_text(_fit_line(plain_text(x), width, LIST_PX)) for x in lines]
    a.update(text="<br>".join([head, *fitted]), font=dict(size=LIST_PX, color="#222"))
    return len(fitted)


def _narrative_panels(fig: go.Figure, plot_w: float, plot_h: float, x0: float) -> None:
    """The measures' panels two by two right of `x0` px, each titled above its plot."""
    titles = [a for a in fig.layout.annotations if str(a.name).startswith(f"{PANEL_NAME}:")]
    rows, cols = panel_cells(len(titles))
    gap = _y_label_px(fig) + 8
    col_w = (plot_w - x0 - cols * gap) / max(cols, 1)
    row_h = (plot_h - AXIS_TITLE) / max(rows, 1)
    for a in titles:
        i = int(str(a.name).split(":")[1])
        r, c = divmod(i, cols)
        left = x0 + gap + c * (col_w + gap)
        top = r * row_h + PANEL_HEAD
        bottom = (r + 1) * row_h - TICKS_BELOW
        fig.layout[f"xaxis{i + 2}"].domain = [_unit(left / plot_w), _unit((left + col_w) / plot_w)]
        fig.layout[f"yaxis{i + 2}"].domain = [_unit(1 - bottom / plot_h), _unit(1 - top / plot_h)]
        if r < rows - 1:
            fig.layout[f"xaxis{i + 2}"].title.text = ""
        name, change = (plain_text(x) for x in a.text.split("<br>", 1))
        label = _fit_line(name, col_w + gap / 2, LIST_PX, bold=True)
        change = _fit_line(change, col_w + gap / 2, LIST_PX)
        a.update(
            text=f"<b>{plot_text(label)}</b><br>{plot_text(change)}",
            x=(left + col_w / 2) / plot_w,
            y=1 - (top - 6) / plot_h,
            font=dict(size=LIST_PX, color="#222"),
        )


def _layout_narrative(fig: go.Figure, frame: Frame, box: _Box) -> None:
    """The timeline top left, the events list under it, the measures right (figures/narrative)."""
    plot_w = frame.width - box.left - box.right
    plot_h = frame.height - box.top - box.bottom
    left_w = LEFT * plot_w
    lanes = [plain_text(t) for t in fig.layout.yaxis.ticktext or ()]
    lane_w = max((text_width(t, theme.SLIDE_TICK_PX) for t in lanes), default=0.0) + 16
    events = next(a for a in fig.layout.annotations if a.name == EVENTS_NAME)
    room = int(plot_h * (1 - MIN_TIMELINE_SHARE) // LIST_LINE) - 1
    shown = _events_block(events, left_w, room)
    list_h = (shown + 1) * LIST_LINE
    timeline_bottom = plot_h - list_h - TIMELINE_BELOW - 12
    # the timeline's last tick label clear of the panels' titles
    right = left_w - theme.SLIDE_TICK_PX * 2
    fig.layout.xaxis.domain = [_unit(lane_w / plot_w), _unit(right / plot_w)]
    fig.layout.yaxis.domain = [_unit(1 - timeline_bottom / plot_h), 1]
    events.update(x=0, y=_unit(list_h / plot_h))
    _narrative_panels(fig, plot_w, plot_h, left_w)


def _place_legend(fig: go.Figure, frame: Frame, top_px: float, entry_w: float) -> None:
    """A horizontal legend, a grid of equal entries, under the title."""
    fig.update_layout(
        legend=dict(
            orientation="h",
            xref="container",
            x=PAD / frame.width,
            xanchor="left",
            yref="container",
            y=1 - top_px / frame.height,
            yanchor="top",
            entrywidth=entry_w,
            entrywidthmode="pixels",
            title=dict(side="left"),
            tracegroupgap=0,
            bgcolor="rgba(0,0,0,0)",
        )
    )


def _paper_x(frame: Frame, box: _Box, px: float) -> float:
    """Paper x of the frame's `px` from the left."""
    return (px - box.left) / (frame.width - box.left - box.right)


def _paper_y(frame: Frame, box: _Box, px: float) -> float:
    """Paper y of the frame's `px` from the top."""
    plot_h = frame.height - box.top - box.bottom
    return 1 + (box.top - px) / plot_h


def _title(fig: go.Figure, frame: Frame, box: _Box, title_lines, subtitle_lines) -> None:
    """Title and subtitle as text blocks anchored at their top left (a plotly title of several
    lines is not anchored by its top)."""
    fig.update_layout(title=dict(text="", subtitle=dict(text="")))
    if not title_lines:
        return
    x = _paper_x(frame, box, PAD)
    title_h = len(title_lines) * theme.SLIDE_TITLE_PX * 1.2
    fig.add_annotation(
        text="<b>" + "<br>".join(plot_text(t) for t in title_lines) + "</b>",
        xref="paper",
        yref="paper",
        x=x,
        xanchor="left",
        y=_paper_y(frame, box, PAD),
        yanchor="top",
        align="left",
        showarrow=False,
        font=dict(size=theme.SLIDE_TITLE_PX, color="#222"),
    )
    if subtitle_lines:
        fig.add_annotation(
            text="<br>".join(plot_text(t) for t in subtitle_lines),
            xref="paper",
            yref="paper",
            x=x,
            xanchor="left",
            y=_paper_y(frame, box, PAD + title_h + 8),
            yanchor="top",
            align="left",
            showarrow=False,
            font=dict(size=theme.SLIDE_SUBTITLE_PX, color="#444"),
        )


def _footer(fig: go.Figure, frame: Frame, box: _Box, lines: list[str]) -> None:
    plot_w = frame.width - box.left - box.right
    plot_h = frame.height - box.top - box.bottom
    fig.add_annotation(
        text="<br>".join(plot_text(x) for x in lines),
        showarrow=False,
        align="left",
        xref="paper",
        yref="paper",
        x=-(box.left - PAD) / plot_w,
        xanchor="left",
        y=-(box.bottom - PAD * 0.6) / plot_h,
        yanchor="bottom",
        font=dict(size=theme.SLIDE_FOOTER_PX, color=theme.SLIDE_FOOTER_COLOR),
    )


def slide_figure(
    ev: ExportView, frame: Frame = SLIDE_FRAME, *, title: bool = True, footer: bool = True
) -> go.Figure:
    """The view's figure styled for a slide, filling `frame` (see the module's docstring)."""
    fig = go.Figure(ev.figure)  # a copy: the view's figure is not modified
    narrative = is_narrative(fig)
    layered = not narrative and _is_survival(fig)
    grid = not layered and not narrative and len(_axes(fig, "y")) > 1
    _style_type(fig)
    if layered:
        _condense_risk_table(fig, _label_chars(frame))
    else:
        _shorten_n_table_labels(fig, _label_chars(frame))
    title_lines, subtitle_lines = _head(ev, frame.width, title)
    footer_lines = _footer_lines(ev, frame.width) if footer else []
    left = PAD if narrative else _left_px(fig, layered)
    right = PAD + 20
    entries = _legend_entries(fig)
    # plotly wraps a horizontal legend at the plot's width
    legend_rows, entry_w = _legend_grid(fig, entries, frame.width - left - right)
    head = _head_px(title_lines, subtitle_lines) or PAD * 0.6
    legend_px = legend_rows * theme.SLIDE_LEGEND_PX * 1.75
    top = head + legend_px + (0 if grid else theme.SLIDE_TICK_PX)
    bottom = (len(footer_lines) * theme.SLIDE_FOOTER_PX * LINE + PAD + 12) if footer else PAD
    box = _Box(left=left, right=right, top=top, bottom=bottom)
    if narrative:
        _layout_narrative(fig, frame, box)
    elif layered:
        _layout_survival(fig, frame, box)
    elif grid:
        _layout_grid(fig, frame, box)
    elif _n_table(fig):
        _layout_single(fig, frame, box)
    else:
        box.bottom += TICKS_BELOW + _x_title_px(fig)
    if entries:
        _place_legend(fig, frame, head, entry_w)
    fig.update_layout(
        template=theme.LIGHT_TEMPLATE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        width=frame.width,
        height=frame.height,
        autosize=False,
        showlegend=bool(entries),
        margin=dict(l=box.left, r=box.right, t=box.top, b=box.bottom, autoexpand=False),
    )
    _title(fig, frame, box, title_lines, subtitle_lines)
    if footer_lines:
        _footer(fig, frame, box, footer_lines)
    return fig


def figure_json(fig: go.Figure) -> dict:
    """The figure as plain JSON data (for a dcc.Store: plotly.js renders it in the browser)."""
    return json.loads(fig.to_json())
