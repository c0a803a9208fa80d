"""Real-browser test of the exports: click an export button and get the file (dash_duo).
PNG, SVG and PowerPoint are rendered in the browser by plotly.js (assets/export.js)."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from components import ids

from conftest import downloaded

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _button(duo, view: str, fmt: str):
    for b in duo.driver.find_elements(By.CSS_SELECTOR, "button.export-button"):
        if (
            b.get_attribute("id")
            and f'"view":"{view}"' in b.get_attribute("id")
            and f'"format":"{fmt}"' in b.get_attribute("id")
        ):
            return b
    raise AssertionError(f"no export button for {view} {fmt}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    return struct.unpack(">II", data[16:24])


def click(duo, view: str, fmt: str) -> None:
    duo.driver.execute_script("arguments[0].click()", _button(duo, view, fmt))


def test_png_svg_and_powerpoint_are_rendered_in_the_browser(started):
    from pptx import Presentation

    from components.figures import theme

    duo = started
    folder = Path(duo.download_path)
    click(duo, ids.VIEW_TRAJECTORIES, ids.FORMAT_PNG)
    path = downloaded(folder, "*.png")
    data = path.read_bytes()
    assert path.name.startswith("sledai_by_response_")
    assert data.startswith(PNG_SIGNATURE)
    assert png_size(data) == (
        theme.SLIDE_WIDTH * theme.SLIDE_SCALE,
        theme.SLIDE_HEIGHT * theme.SLIDE_SCALE,
    )

    click(duo, ids.VIEW_TRAJECTORIES, ids.FORMAT_SVG)
    svg = downloaded(folder, "*.svg")
    root = ET.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    text = " ".join(root.itertext())
    assert "SLEDAI-2K by responder group" in text and "n = 40 of 40 patients" in text

    click(duo, ids.VIEW_TRAJECTORIES, ids.FORMAT_PPTX)
    deck = downloaded(folder, "*.pptx")
    prs = Presentation(io.BytesIO(deck.read_bytes()))
    slides = list(prs.slides)
    assert len(slides) == 2
    assert slides[1].shapes.title.text == "SLEDAI-2K by responder group"
    pictures = [s for s in slides[1].shapes if s.shape_type == 13]
    assert len(pictures) == 1 and pictures[0].image.blob.startswith(PNG_SIGNATURE)
    assert png_size(pictures[0].image.blob)[0] >= 3000  # rendered at the slide scale
    assert duo.get_logs() == []


def test_tables_tab_csv_download_and_theme_switch(started):
    duo = started
    folder = Path(duo.download_path)
    tab = next(
        a for a in duo.driver.find_elements(By.CSS_SELECTOR, ".nav-link") if a.text == "Tables"
    )
    duo.driver.execute_script("arguments[0].click()", tab)
    duo.wait_for_contains_text(f"#{ids.TABLES_RESPONSE}", "13/40 (32.5 %; 18.6–49.1)", timeout=10)
    duo.driver.execute_script(
        "arguments[0].click()", _button(duo, ids.VIEW_TABLES, ids.FORMAT_HTML)
    )
    path = downloaded(folder, "*.html")
    assert path.name.startswith("paper_tables_")
    assert "Table 2. Adverse events" in path.read_text(encoding="utf-8")
    # Dark theme: the page and the figure follow the switch.
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{ids.THEME_SWITCH}"))
    duo.wait_for_class_to_equal(
        f"#{ids.APP_CONTAINER}", "app-container theme-dark container-fluid", timeout=10
    )
    assert (
        duo.driver.execute_script("return document.documentElement.getAttribute('data-bs-theme')")
        == "dark"
    )
    assert duo.get_logs() == []
