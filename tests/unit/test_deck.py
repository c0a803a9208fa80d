"""The PowerPoint deck, read back from the file: no shape leaves its slide, no text runs over its
box (measured with a real font's metrics, not the layout's own estimate), Table 1 on one slide
as a native table, a centred title slide that says study, date, selection and data status,
speaker notes in sentences."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageFont
from pptx import Presentation
from pptx.util import Emu

from components import ids
from components.export import build, deck
from components.figures import theme
from components.state.viewspec import ViewSpec

TODAY = date(2026, 11, 25)
LONG_TAKEAWAY = (
    "Relapse after response is uncommon in the first six months and concentrates "
    "in the partial responders, so follow-up visits should continue to month 12"
)
SPECS = [
    ViewSpec(ids.VIEW_TRAJECTORIES, {}, takeaway="All key measures improve by month 6"),
    ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "proteinuria", "group": "center"}),
    ViewSpec(ids.VIEW_SURVIVAL, {"group": "response"}),
    ViewSpec(ids.VIEW_SURVIVAL, {"endpoint": "cif", "origin": "response"}, takeaway=LONG_TAKEAWAY),
    ViewSpec(ids.VIEW_SURVIVAL, {"endpoint": "rfs", "group": "center"}),
    ViewSpec(ids.VIEW_TABLES),
]
# Arial's metrics (Liberation Sans is metric-compatible); else Pillow's own sans-serif.
FONT_FILES = [
    "/usr/share/fonts/truetype/liberation/LiberationSans-{}.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-{}.ttf",
]


def font(pt: float, bold: bool):
    for pattern in FONT_FILES:
        path = Path(pattern.format("Bold" if bold else "Regular"))
        if path.exists():
            return ImageFont.truetype(str(path), size=int(round(pt * 10)))
    return ImageFont.load_default(size=int(round(pt * 10 * (1.08 if bold else 1.0))))


def measured_lines(text: str, pt: float, bold: bool, width_in: float) -> int:
    """Lines `text` takes in a box `width_in` wide, wrapping at spaces (metrics at 10x)."""
    f, limit = font(pt, bold), width_in * 72 * 10
    lines, line = 0, ""
    for paragraph in text.split("\n"):
        lines, line = lines + 1, ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and f.getlength(candidate) > limit:
                lines, line = lines + 1, word
            else:
                line = candidate
    return lines


def deck_of(trial, specs):
    """The deck of `specs`, blank pictures of the sizes the browser would render."""
    views = [build.build_view(trial, s, TODAY) for s in specs]
    images = []
    for fig in deck.deck_figures(views):
        out = io.BytesIO()
        Image.new("RGB", (fig["layout"]["width"], fig["layout"]["height"]), "white").save(
            out, "PNG"
        )
        images.append(out.getvalue())
    return Presentation(io.BytesIO(deck.pptx_deck(trial, views, TODAY, images)))


@pytest.fixture(scope="module")
def prs(demo_trial):
    return deck_of(demo_trial, SPECS)


def inches(emu) -> float:
    return Emu(emu).inches


def test_no_shape_leaves_its_slide(prs):
    check_inside(prs)


def check_inside(prs):
    w, h = inches(prs.slide_width), inches(prs.slide_height)
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            box = (inches(shape.left), inches(shape.top), inches(shape.width), inches(shape.height))
            assert box[0] >= 0 and box[1] >= 0, (n, shape.name)
            assert box[0] + box[2] <= w + 0.01 and box[1] + box[3] <= h + 0.01, (n, shape.name)


def test_no_text_runs_over_its_box(prs):
    check_text_fits(prs)


def check_text_fits(prs):
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if not shape.has_text_frame or not shape.text_frame.text.strip():
                continue
            runs = [r for p in shape.text_frame.paragraphs for r in p.runs]
            pt = max(r.font.size.pt for r in runs)
            bold = any(r.font.bold for r in runs)
            lines = measured_lines(shape.text_frame.text, pt, bold, inches(shape.width))
            needed = lines * pt * 1.2 / 72
            assert needed <= inches(shape.height) + 0.02, (
                n,
                shape.name,
                lines,
                shape.text_frame.text[:60],
            )


def test_tables_fit_their_rows_and_the_slide(prs):
    h = inches(prs.slide_height)
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            table = shape.table
            assert inches(shape.top) + sum(inches(r.height) for r in table.rows) <= h - 0.3
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    runs = [x for p in cell.text_frame.paragraphs for x in p.runs]
                    if not runs:
                        continue
                    pt = runs[0].font.size.pt
                    assert pt >= 11, (n, r, c)  # 22 px when the slide fills 1080p
                    width = inches(table.columns[c].width) - deck.CELL_PAD_W
                    lines = measured_lines(cell.text, pt, r == 0, width)
                    assert lines * pt * 1.2 / 72 <= inches(row.height) + 0.01, (n, cell.text)


def test_table_1_is_one_native_table_on_one_slide(prs):
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles.count("Table 1. Baseline characteristics by center") == 1
    slide = prs.slides[titles.index("Table 1. Baseline characteristics by center")]
    table = next(s for s in slide.shapes if s.has_table).table
    assert len(table.columns) == 6  # label, four centers, overall
    assert table.cell(2, 0).text == "Age, years, mean ± SD"


def test_the_title_slide_says_study_date_selection_and_data_status(prs, demo_trial):
    first = prs.slides[0]
    assert first.shapes.title.text == demo_trial.study.title
    texts = [s.text_frame.text for s in first.shapes if s.has_text_frame]
    assert "Selection: 40 of 40 patients · filters: all patients" in texts
    assert "9 slides · exported 2026-11-25" in texts
    assert any(t.startswith("Simulated data (demo)") for t in texts)
    assert not any("Trajectories, Trajectories" in t for t in texts)
    # Centred: every box's middle on the slide's middle, the block in the middle height.
    middle = inches(prs.slide_width) / 2
    for s in first.shapes:
        assert abs(inches(s.left) + inches(s.width) / 2 - middle) < 0.01
    top = min(inches(s.top) for s in first.shapes)
    bottom = max(inches(s.top) + inches(s.height) for s in first.shapes)
    assert abs(top - (inches(prs.slide_height) - bottom)) < 0.05


def test_takeaways_and_notes(prs):
    slides = list(prs.slides)
    texts = [sh.text_frame.text for sh in slides[1].shapes if sh.has_text_frame]
    assert "All key measures improve by month 6" in texts
    relapse = next(s for s in slides if s.shapes.title.text.startswith("Relapse after"))
    assert LONG_TAKEAWAY in [sh.text_frame.text for sh in relapse.shapes if sh.has_text_frame]
    for slide in slides[1:]:
        notes = slide.notes_slide.notes_text_frame.text
        assert "<NA>" not in notes and "nan" not in notes.split()
        assert not re.search(r"\d\.?\d*e[-+]\d", notes), notes[:200]
    survival = slides[3].notes_slide.notes_text_frame.text
    assert "Overall survival in MCR (n = 13, 1 death): 92.3 % at 6 months" in survival
    assert "Log-rank test across 3 groups: chi-square 1.37, df = 2, p = 0.503" in survival


def test_a_title_too_long_for_one_line_wraps_into_a_taller_box():
    long = (
        "Relapse after response, cumulative incidence · 23 responders as analysed (24 as "
        "recorded) · origin: date of response"
    )
    short = deck.title_block("Overall survival")
    block = deck.title_block(long)
    assert short.pt == deck.TITLE_PT and len(short.lines) == 1
    assert block.pt == deck.TITLE_MIN_PT and len(block.lines) == 2
    assert block.height > short.height


# --- case narratives (issue 16) ----------------------------------------------------------------

NARRATIVES = [
    ViewSpec(ids.VIEW_NARRATIVE, {"patient": "9"}, takeaway=LONG_TAKEAWAY),
    ViewSpec(ids.VIEW_NARRATIVE, {"patient": "2"}),
]


def chart_fonts(node, key: str = "") -> list[tuple[str, float]]:
    """(where, px) of every font size in a figure's JSON that a picture shows (hover labels
    are not in a picture)."""
    if isinstance(node, list):
        return [x for item in node for x in chart_fonts(item, key)]
    if not isinstance(node, dict):
        return []
    found = [(key, node["size"])] if key.endswith("font") and "size" in node else []
    return found + [
        x for k, v in node.items() if k not in ("hoverlabel", "template") for x in chart_fonts(v, k)
    ]


@pytest.fixture(scope="module")
def narrative_prs(demo_trial):
    return deck_of(demo_trial, NARRATIVES)


def test_a_narrative_is_one_slide_that_fits(narrative_prs):
    slides = list(narrative_prs.slides)
    assert len(slides) == 1 + len(NARRATIVES)  # the title slide, then one slide each
    assert slides[1].shapes.title.text == "Patient 9: case narrative"
    check_inside(narrative_prs)
    check_text_fits(narrative_prs)
    texts = [sh.text_frame.text for sh in slides[1].shapes if sh.has_text_frame]
    assert LONG_TAKEAWAY in texts
    assert any(t.startswith("Center ") and " · MCR · " in t for t in texts)  # the header facts
    assert any("Simulated data (demo)" in t for t in texts)
    notes = slides[1].notes_slide.notes_text_frame.text
    assert "Patient 9 (center " in notes and "Numbers behind the figure" in notes
    first = texts_of(narrative_prs.slides[0])
    assert "Case narratives: one patient each (filters and selection do not apply)" in first


def texts_of(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]


def test_a_narratives_picture_keeps_the_projector_sizes(demo_trial):
    views = [build.build_view(demo_trial, s, TODAY) for s in NARRATIVES]
    for fig in deck.deck_figures(views):
        sizes = chart_fonts(fig["layout"]) + chart_fonts(fig["data"])
        ticks = [px for where, px in sizes if where == "tickfont"]
        assert ticks and min(ticks) >= theme.SLIDE_MIN_TICK_PX
        assert min(px for _, px in sizes) >= theme.SLIDE_MIN_TEXT_PX, sorted(sizes)[:3]


def test_a_pilot_narrative_fits_its_slide(shared_data):
    from trial.loader import load_trial

    pilot = load_trial(shared_data / "cdiscpilot01")
    busiest = str(pilot.events.groupby("patient_id").size().idxmax())
    prs = deck_of(pilot, [ViewSpec(ids.VIEW_NARRATIVE, {"patient": busiest})])
    check_inside(prs)
    check_text_fits(prs)
    assert prs.slides[1].shapes.title.text == f"Subject {busiest}: case narrative"
