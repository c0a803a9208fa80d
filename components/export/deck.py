"""PowerPoint decks of views, ready to present: a title slide (study, date, selection, data
status), then per view a slide with its title, subtitle, the presenter's takeaway, the figure
as a picture (rendered in the browser from `deck_figures`) or the tables as native tables that
fit the slide, a footnote, and speaker notes that say the key numbers in sentences followed by
the numbers table.

    figures = deck_figures(views)              # the browser renders each to a PNG …
    pptx = pptx_deck(trial, views, today, images)   # … and the deck is assembled from them

Every text box is sized from its text's measured lines (textfit), so nothing runs over its
box or the slide; tests/unit/test_deck.py checks that from the file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from trial.model import Trial

from ..figures import theme
from ..state.viewspec import PATIENT_VIEWS
from .build import ExportView, provenance_note
from .files import numbers_text
from .notes import readable
from .slides import Frame, figure_json, slide_figure
from .textfit import PX_PER_PT, text_width, wrap, wrap_all

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches, 16:9
MARGIN = 0.5
PX_PER_IN = theme.SLIDE_WIDTH / SLIDE_W  # the slide shown 1920 px wide: 144 px per inch
FONT = "Arial"  # theme.SLIDE_FONT_FAMILY: textfit measures its metrics
TITLE_PT, TITLE_MIN_PT = 32, 26
SUBTITLE_PT, TAKEAWAY_PT, FOOTNOTE_PT, TABLE_FOOTNOTE_PT = 16, 20, 11, 10
TABLE_PT, TABLE_MIN_PT = 18, 11  # 11 pt: 22 px when the slide fills a 1080p screen
LEADING = 1.2  # line height, in font sizes
CELL_PAD_W, CELL_PAD_H = 0.14, 0.05  # inches inside a table cell (both sides together)
CONDENSED_NOTE = (
    "Table condensed to fit one slide: medians (IQR) are in the speaker notes and the HTML report."
)


def lines_height(n_lines: int, pt: float) -> float:
    """Inches of `n_lines` lines at `pt` points."""
    return n_lines * pt * LEADING / 72


def width_in(text: str, pt: float, bold: bool = False) -> float:
    """Inches of one line of `text` at `pt` points."""
    return text_width(text, pt * PX_PER_PT, bold) / PX_PER_IN


def wrap_in(text: str, width: float, pt: float, bold: bool = False) -> list[str]:
    return wrap(text, width * PX_PER_IN, pt * PX_PER_PT, bold)


# --- Geometry of a slide (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A text block: its paragraphs, the lines they wrap to at its width, its size and its box
    (inches)."""

    paragraphs: tuple[str, ...]
    pt: float
    top: float
    left: float = MARGIN
    width: float = SLIDE_W - 2 * MARGIN
    bold: bool = False

    @property
    def lines(self) -> list[str]:
        return wrap_all(self.paragraphs, self.width * PX_PER_IN, self.pt * PX_PER_PT, self.bold)

    @property
    def height(self) -> float:
        return lines_height(len(self.lines), self.pt)

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class SlideGeometry:
    title: Block
    subtitle: Block | None
    takeaway: Block | None
    footnote: Block
    body_top: float  # the figure or table between the head and the footnote
    body_bottom: float

    @property
    def body_height(self) -> float:
        return self.body_bottom - self.body_top


def title_block(text: str, top: float = 0.3) -> Block:
    """The title on one line, in the largest size from TITLE_PT down to TITLE_MIN_PT that
    fits; longer titles wrap at TITLE_MIN_PT."""
    avail = SLIDE_W - 2 * MARGIN
    pt = float(TITLE_PT)
    while pt > TITLE_MIN_PT and width_in(text, pt, bold=True) > avail:
        pt -= 1
    return Block((text,), pt, top, bold=True)


def geometry(
    title: str, subtitle: str, takeaway: str, footnote: Sequence[str], compact: bool = False
) -> SlideGeometry:
    """Where the title, subtitle, takeaway, body and footnote of a slide go. `compact`: the
    footnote as one paragraph in smaller type (table slides, which need the height)."""
    avail = SLIDE_W - 2 * MARGIN
    head = title_block(title)
    y = head.bottom + 0.14  # the accent bar
    sub = None
    if subtitle:
        sub = Block((subtitle,), SUBTITLE_PT, y + 0.06)
        y = sub.bottom
    take = None
    if takeaway:
        take = Block(
            (takeaway,), TAKEAWAY_PT, y + 0.12, left=MARGIN + 0.15, width=avail - 0.3, bold=True
        )
        y = take.bottom + 0.06
    foot_pt = TABLE_FOOTNOTE_PT if compact else FOOTNOTE_PT
    texts = (" · ".join(footnote),) if compact else tuple(footnote)
    foot_h = Block(texts, foot_pt, 0).height
    foot = Block(texts, foot_pt, SLIDE_H - 0.25 - foot_h)
    return SlideGeometry(head, sub, take, foot, y + 0.12, foot.top - 0.1)


def view_geometry(ev: ExportView) -> SlideGeometry:
    return geometry(ev.title, ev.subtitle, ev.takeaway, ev.footnote)


def picture_frame(ev: ExportView) -> Frame:
    """The pixel size of a view's picture: the slide's body at 144 px per inch, so that the
    figure's type is its size at 1080p when the slide fills a 1080p screen."""
    g = view_geometry(ev)
    return Frame(int((SLIDE_W - 2 * MARGIN) * PX_PER_IN), int(g.body_height * PX_PER_IN))


def deck_figures(views: Sequence[ExportView]) -> list[dict]:
    """The figure of each figure slide, styled and sized for its picture, as plotly JSON."""
    return [
        figure_json(slide_figure(ev, picture_frame(ev), title=False, footer=False))
        for ev in views
        if ev.figure is not None
    ]


# --- Tables that fit a slide (pure) ----------------------------------------------------------


@dataclass(frozen=True)
class FittedTable:
    frame: pd.DataFrame
    pt: float
    widths: tuple[float, ...]  # inches per column
    heights: tuple[float, ...]  # inches per row (the header first)
    note: str = ""

    @property
    def height(self) -> float:
        return sum(self.heights)


def condensed(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A table with a statistic column and continuation rows (Table 1: mean ± SD, then its
    median (IQR) under it): one row per characteristic, the statistic in its label."""
    if len(df.columns) < 3 or str(df.columns[1]).lower() != "statistic":
        return df, ""
    first = df.iloc[:, 0].astype(str)
    keep = df.loc[first != ""].copy()
    stat = keep.iloc[:, 1].astype(str)
    label = keep.iloc[:, 0].astype(str)
    keep.iloc[:, 0] = [
        f"{a}, {b}" if b and b not in a and b != "n" else a for a, b in zip(label, stat)
    ]
    return keep.drop(columns=df.columns[1]), CONDENSED_NOTE


def _cell_text(v) -> str:
    return "–" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def fit_table(df: pd.DataFrame, width: float, height: float) -> FittedTable | None:
    """The largest type (TABLE_PT down to TABLE_MIN_PT) at which `df` fits `width` x `height`
    inches, the label column and the headers wrapping; None if it never does."""
    cells = [[_cell_text(v) for v in row] for row in df.itertuples(index=False)]
    headers = [str(c) for c in df.columns]
    # Widths at 1 pt, measured once (a width scales with the size).
    cell_w = [[width_in(c, 1) for c in row] for row in cells]
    word_w = [max((width_in(w, 1, True) for w in h.split()), default=0.0) for h in headers]
    head_w = [width_in(h, 1, True) for h in headers]
    for pt in range(TABLE_PT, TABLE_MIN_PT - 1, -1):
        data_w = [
            max([r[j] for r in cell_w] + [word_w[j]]) * pt + CELL_PAD_W
            for j in range(1, len(headers))
        ]
        label_w = width - sum(data_w)
        if label_w < 1.6:
            continue
        natural = max([r[0] for r in cell_w] + [head_w[0]]) * pt
        # The labels may wrap rather than squeeze the headers of the data columns.
        label_w = min(label_w, natural + CELL_PAD_W, max(0.3 * width, 1.6))
        # The data columns share what the label column leaves.
        spare = (width - label_w - sum(data_w)) / max(len(data_w), 1)
        widths = [label_w] + [w + spare for w in data_w]

        def lines(
            text: str, one_line: float, j: int, bold: bool = False, pt=pt, widths=widths
        ) -> int:
            inner = widths[j] - CELL_PAD_W
            if one_line * pt <= inner:
                return 1
            return max(len(wrap_in(text, inner, pt, bold)), 1)

        heights = [
            lines_height(max(lines(h, head_w[j], j, True) for j, h in enumerate(headers)), pt)
            + CELL_PAD_H
        ]
        heights += [
            lines_height(max(lines(c, w, j) for j, (c, w) in enumerate(zip(r, rw))), pt)
            + CELL_PAD_H
            for r, rw in zip(cells, cell_w)
        ]
        if sum(heights) <= height:
            return FittedTable(df, pt, tuple(widths), tuple(heights))
    return None


def table_slides(df: pd.DataFrame, width: float, height: float) -> list[FittedTable]:
    """`df` on as few slides as it fits: whole; else condensed (Table 1); else its data
    columns split over slides, the label column on each; rows are split only when even one
    data column per slide does not fit."""
    fitted = fit_table(df, width, height)
    if fitted is not None:
        return [fitted]
    small, note = condensed(df)
    fitted = fit_table(small, width, height)
    if fitted is not None:
        return [FittedTable(**{**fitted.__dict__, "note": note})]
    for per_slide in range(len(small.columns) - 2, 0, -1):
        groups = [
            list(small.columns[1 + i : 1 + i + per_slide])
            for i in range(0, len(small.columns) - 1, per_slide)
        ]
        parts = [fit_table(small[[small.columns[0], *g]], width, height) for g in groups]
        if all(parts):
            return [FittedTable(**{**p.__dict__, "note": note}) for p in parts if p]
    half = len(small) // 2
    if half == 0:  # one row that does not fit: shown at the smallest type
        return [
            FittedTable(
                small,
                TABLE_MIN_PT,
                (width / len(small.columns),) * len(small.columns),
                (height / 2, height / 2),
                note,
            )
        ]
    return table_slides(small.iloc[:half], width, height) + table_slides(
        small.iloc[half:], width, height
    )


# --- Speaker notes (pure) --------------------------------------------------------------------


def notes_text(ev: ExportView) -> str:
    """The takeaway, the key numbers as sentences, then the numbers table and the method."""
    parts = [f"Takeaway: {ev.takeaway}", ""] if ev.takeaway else []
    parts += [*ev.points, ""] if ev.points else []
    parts += [
        "Numbers behind the figure" if ev.figure is not None else "Numbers",
        numbers_text(readable(ev.numbers)),
        "",
        "How this was computed",
        *[f"- {x}" for x in ev.method.lines],
        "",
        *ev.footnote,
    ]
    return "\n".join(parts)


def table_notes(ev: ExportView, caption: str, table: pd.DataFrame) -> str:
    parts = [f"Takeaway: {ev.takeaway}", ""] if ev.takeaway else []
    return "\n".join(
        [
            *parts,
            caption,
            numbers_text(readable(table)),
            "",
            *ev.points,
            "",
            "How this was computed",
            *[f"- {x}" for x in ev.method.lines],
        ]
    )


def selection_line(views: Sequence[ExportView]) -> str:
    """The patients the deck is about: the selection its slides share, or that it differs."""
    cohorts = [ev for ev in views if ev.view not in PATIENT_VIEWS]
    if not cohorts and views:
        return "Case narratives: one patient each (filters and selection do not apply)"
    selections = {ev.footnote[0] for ev in cohorts if ev.footnote}
    if len(selections) == 1:
        return "Selection: " + next(iter(selections)).removeprefix("n = ")
    return "Selections differ between slides: each slide's footnote gives its own."


# --- The deck ---------------------------------------------------------------------------------


def pptx_deck(
    trial: Trial, views: Sequence[ExportView], today: date, images: Sequence[bytes]
) -> bytes:
    """A 16:9 deck: a title slide, then per view a slide (see the module's docstring).
    `images`: one PNG per figure view, in order, rendered from `deck_figures(views)`."""
    from pptx import Presentation
    from pptx.util import Emu

    figures = [ev for ev in views if ev.figure is not None]
    if len(images) != len(figures):
        raise ValueError(f"{len(images)} images for {len(figures)} figure slides")
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(_emu(SLIDE_W)), Emu(_emu(SLIDE_H))
    _title_slide(prs, trial, views, today)
    pictures = iter(images)
    for ev in views:
        if ev.figure is not None:
            _figure_slide(prs, ev, next(pictures))
        for caption, table in ev.tables:
            _table_slides(prs, ev, caption, table)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


DARK, GREY, ACCENT = (0x22, 0x22, 0x22), (0x44, 0x44, 0x44), (0x00, 0x72, 0xB2)
WARN_TEXT, WARN_FILL, TAKE_FILL = (0x7A, 0x4B, 0x00), (0xFF, 0xF3, 0xCD), (0xEA, 0xF3, 0xFA)


def _emu(inches: float) -> int:
    return int(round(inches * 914400))


def _rgb(c):
    from pptx.dml.color import RGBColor

    return RGBColor(*c)


def _text(slide, block: Block, color=GREY, align: str = "left", fill=None, name: str = ""):
    """A text box holding exactly `block` (no insets, no autofit: its size is measured)."""
    from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    box = slide.shapes.add_textbox(
        _emu(block.left), _emu(block.top), _emu(block.width), _emu(block.height)
    )
    if name:
        box.name = name
    tf = box.text_frame
    tf.word_wrap, tf.auto_size = True, MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    for i, line in enumerate(block.paragraphs):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.alignment = PP_ALIGN.CENTER if align == "center" else PP_ALIGN.LEFT
        p.line_spacing = 1.0  # single: about LEADING em
        run = p.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.name = Pt(block.pt), block.bold, FONT
        run.font.color.rgb = _rgb(color)
    if fill is not None:
        box.fill.solid()
        box.fill.fore_color.rgb = _rgb(fill)
    return box


def _head(slide, g: SlideGeometry) -> None:
    from pptx.enum.shapes import MSO_SHAPE

    b = g.title
    _place_title(slide.shapes.title, b)
    bar = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, _emu(MARGIN), _emu(b.bottom + 0.05), _emu(1.2), _emu(0.06)
    )
    bar.fill.solid()
    bar.fill.fore_color.rgb = _rgb(ACCENT)
    bar.line.fill.background()
    if g.subtitle:
        _text(slide, g.subtitle, GREY, name="Subtitle")
    if g.takeaway:
        _text(slide, g.takeaway, ACCENT, fill=TAKE_FILL, name="Takeaway")
    _text(slide, g.footnote, GREY, name="Footnote")


def _place_title(shape, block: Block, align: str = "left") -> None:
    """The title placeholder holding exactly `block`."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    shape.left, shape.top = _emu(block.left), _emu(block.top)
    shape.width, shape.height = _emu(block.width), _emu(block.height)
    tf = shape.text_frame
    tf.clear()
    tf.word_wrap, tf.auto_size = True, MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    tf.vertical_anchor = MSO_ANCHOR.TOP
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.CENTER if align == "center" else PP_ALIGN.LEFT
    p.line_spacing = 1.0
    run = p.add_run()
    run.text = " ".join(block.paragraphs)
    run.font.size, run.font.bold, run.font.name = Pt(block.pt), True, FONT
    run.font.color.rgb = _rgb(DARK)


def _titled_slide(prs, g: SlideGeometry):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    _head(slide, g)
    return slide


def _title_slide(prs, trial: Trial, views: Sequence[ExportView], today: date) -> None:
    """Centred: the study, its registry and citation, the selection, the date, the count of
    slides, and the data status (the simulated-data note in a yellow box when simulated)."""
    study = trial.study
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": the study's title
    width = SLIDE_W - 2 * 1.0
    Colour = tuple[int, int, int]
    blocks: list[tuple[Block, Colour, Colour | None]] = [
        (Block((study.title,), 34, 0, 1.0, width, True), DARK, None)
    ]
    source = " · ".join(x for x in (study.registry_id, study.citation) if x)
    if source:
        blocks.append((Block((source,), 18, 0, 1.0, width), GREY, None))
    n = sum(1 for ev in views if ev.figure is not None) + sum(len(ev.tables) for ev in views)
    for line in (
        selection_line(views),
        f"{n} slide{'s' if n != 1 else ''} · exported {today.isoformat()}",
    ):
        blocks.append((Block((line,), 18, 0, 1.0, width), GREY, None))
    status = provenance_note(trial)
    simulated = study.is_simulated
    blocks.append(
        (
            Block((status,), 16, 0, 1.6, width - 1.2, simulated),
            WARN_TEXT if simulated else GREY,
            WARN_FILL if simulated else None,
        )
    )
    gaps = [0.35] + [0.18] * (len(blocks) - 2)
    total = sum(b.height for b, _, _ in blocks) + sum(gaps)
    y = (SLIDE_H - total) / 2
    for i, ((block, color, fill), gap) in enumerate(zip(blocks, [*gaps, 0])):
        placed = Block(block.paragraphs, block.pt, y, block.left, block.width, block.bold)
        if i == 0:
            _place_title(slide.shapes.title, placed, align="center")
        else:
            _text(slide, placed, color, align="center", fill=fill)
        y += block.height + gap


def _figure_slide(prs, ev: ExportView, png: bytes) -> None:
    from PIL import Image

    g = view_geometry(ev)
    slide = _titled_slide(prs, g)
    w_px, h_px = Image.open(io.BytesIO(png)).size
    box_w, box_h = SLIDE_W - 2 * MARGIN, g.body_height
    ratio = min(box_w / w_px, box_h / h_px)
    pw, ph = w_px * ratio, h_px * ratio
    slide.shapes.add_picture(
        io.BytesIO(png),
        _emu((SLIDE_W - pw) / 2),
        _emu(g.body_top + (box_h - ph) / 2),
        _emu(pw),
        _emu(ph),
    )
    slide.notes_slide.notes_text_frame.text = notes_text(ev)


def _table_slides(prs, ev: ExportView, caption: str, table: pd.DataFrame) -> None:
    probe = geometry(caption, "", ev.takeaway, (*ev.footnote, CONDENSED_NOTE), compact=True)
    parts = table_slides(table, SLIDE_W - 2 * MARGIN, probe.body_height)
    for i, part in enumerate(parts):
        suffix = f" ({i + 1}/{len(parts)})" if len(parts) > 1 else ""
        foot = (*ev.footnote, part.note) if part.note else ev.footnote
        g = geometry(f"{caption}{suffix}", "", ev.takeaway, foot, compact=True)
        slide = _titled_slide(prs, g)
        _add_table(slide, part, g.body_top)
        slide.notes_slide.notes_text_frame.text = table_notes(ev, caption, table)


def _add_table(slide, fitted: FittedTable, top: float) -> None:
    from pptx.util import Pt

    df = fitted.frame
    rows, cols = len(df) + 1, len(df.columns)
    shape = slide.shapes.add_table(
        rows, cols, _emu(MARGIN), _emu(top), _emu(sum(fitted.widths)), _emu(fitted.height)
    )
    table = shape.table
    for j, w in enumerate(fitted.widths):
        table.columns[j].width = _emu(w)
    for i, h in enumerate(fitted.heights):
        table.rows[i].height = _emu(h)
    values = [[str(c) for c in df.columns]] + [
        [_cell_text(v) for v in r] for r in df.itertuples(index=False)
    ]
    for i, row in enumerate(values):
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = _emu(CELL_PAD_W / 2)
            cell.margin_top = cell.margin_bottom = _emu(CELL_PAD_H / 2)
            cell.text = text
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size, run.font.name = Pt(fitted.pt), FONT
                    run.font.bold = i == 0
                    if i > 0:
                        run.font.color.rgb = _rgb(DARK)
