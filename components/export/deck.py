"""PowerPoint decks of views: a title slide, then per view a slide with its title, the figure
as a high-resolution image (or the tables as native tables), a footnote, and the numbers and the
method in the speaker notes."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import pandas as pd

from trial.model import Trial

from ..state.viewspec import VIEW_TITLES
from .build import ExportView, provenance_note
from .files import numbers_text
from .slides import figure_png

FIGURE_WIDTH = 1000   # px: narrower than a PNG export, so the type is larger on the slide


def notes_text(ev: ExportView) -> str:
    parts = ["Numbers behind the figure" if ev.figure is not None else "Numbers",
             numbers_text(ev.numbers), "", "How this was computed",
             *[f"- {x}" for x in ev.method.lines], "", *ev.footnote]
    return "\n".join(parts)


def _chunks(df: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    """Slices of at most `size` rows; a continuation row (empty first cell, e.g. the median
    under a mean) is never separated from the row above it."""
    out, start = [], 0
    first = df.iloc[:, 0].astype(str).tolist() if len(df.columns) else []
    while start < len(df) or not out:
        end = min(start + size, len(df))
        while start + 1 < end < len(df) and first[end] == "":
            end -= 1
        out.append(df.iloc[start:end])
        if end >= len(df):
            break
        start = end
    return out


def pptx_deck(trial: Trial, views: Sequence[ExportView], today: date) -> bytes:
    """A 16:9 deck: a title slide, then per view a slide with its title, the figure as a
    high-resolution image (or the tables as native tables), a footnote, and the numbers and the
    method in the slide notes."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    W = prs.slide_width
    margin = Inches(0.5)
    dark, grey, accent = RGBColor(0x22, 0x22, 0x22), RGBColor(0x55, 0x55, 0x55), \
        RGBColor(0x00, 0x72, 0xB2)

    def style_runs(frame, size, color=dark, bold=False):
        for p in frame.paragraphs:
            for run in p.runs:
                run.font.size, run.font.bold = Pt(size), bold
                run.font.color.rgb = color

    def add_text(slide, left, top, width, height, lines, size, color=grey):
        box = slide.shapes.add_textbox(left, top, width, height)
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = line
        style_runs(tf, size, color)
        return box

    def titled_slide(title_text: str):
        slide = prs.slides.add_slide(prs.slide_layouts[5])   # "Title Only"
        t = slide.shapes.title
        t.left, t.top, t.width, t.height = margin, Inches(0.3), W - 2 * margin, Inches(0.8)
        t.text = title_text
        tf = t.text_frame
        tf.word_wrap = True
        for p in tf.paragraphs:
            p.alignment = 1   # left
        style_runs(tf, 26, dark, bold=True)
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, margin, Inches(1.12), Inches(1.2),
                                     Inches(0.06))
        bar.fill.solid()
        bar.fill.fore_color.rgb = accent
        bar.line.fill.background()
        return slide

    def footnote(slide, ev: ExportView):
        add_text(slide, margin, Inches(6.55), W - 2 * margin, Inches(0.85), ev.footnote, 10)

    study = trial.study
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = study.title
    style_runs(first.shapes.title.text_frame, 36, dark, bold=True)
    sub = first.placeholders[1]
    sub.text = "\n".join(x for x in (
        " · ".join(x for x in (study.registry_id, study.citation) if x),
        f"{', '.join(VIEW_TITLES.get(v.view, v.view) for v in views)} · exported "
        f"{today.isoformat()}") if x)
    style_runs(sub.text_frame, 16, grey)
    if study.is_simulated:
        box = add_text(first, Inches(1.5), Inches(6.2), W - Inches(3), Inches(0.7),
                       [provenance_note(trial)], 14, RGBColor(0x7A, 0x4B, 0x00))
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xFF, 0xF3, 0xCD)

    for ev in views:
        if ev.figure is not None:
            slide = titled_slide(ev.title)
            png = figure_png(ev, title=False, footer=False, width=FIGURE_WIDTH)
            from PIL import Image  # pillow comes with python-pptx
            w_px, h_px = Image.open(io.BytesIO(png)).size
            box_w, box_h = W - 2 * margin, Inches(5.25)
            ratio = min(box_w / w_px, box_h / h_px)
            pw, ph = int(w_px * ratio), int(h_px * ratio)
            slide.shapes.add_picture(io.BytesIO(png), Emu(int((W - pw) / 2)), Inches(1.25),
                                     Emu(pw), Emu(ph))
            footnote(slide, ev)
            slide.notes_slide.notes_text_frame.text = notes_text(ev)
        for caption, table in ev.tables:
            parts = _chunks(table, 9 if len(table.columns) > 5 else 12)
            for i, part in enumerate(parts):
                suffix = f" ({i + 1}/{len(parts)})" if len(parts) > 1 else ""
                slide = titled_slide(f"{caption}{suffix}")
                _add_table(slide, part, margin, Inches(1.35), W - 2 * margin, Pt)
                footnote(slide, ev)
                slide.notes_slide.notes_text_frame.text = (
                    f"{caption}\n{numbers_text(table)}\n\nHow this was computed\n"
                    + "\n".join(f"- {x}" for x in ev.method.lines))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _add_table(slide, df: pd.DataFrame, left, top, width, Pt) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Emu

    rows, cols = len(df) + 1, len(df.columns)
    row_h = 330000
    shape = slide.shapes.add_table(rows, cols, left, top, width, Emu(row_h * rows))
    table = shape.table
    # The first column (labels) gets more room; the rest share the remainder.
    first = int(width * (0.30 if cols > 4 else 0.25))
    table.columns[0].width = Emu(first)
    for j in range(1, cols):
        table.columns[j].width = Emu(int((width - first) / (cols - 1)))
    for j, name in enumerate(df.columns):
        table.cell(0, j).text = str(name)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None else str(value)
    size = 11 if cols <= 5 else 10
    for i in range(rows):
        for j in range(cols):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Emu(30000)
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0
                    if i > 0:
                        run.font.color.rgb = RGBColor(0x22, 0x22, 0x22)


