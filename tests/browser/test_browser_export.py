"""Real-browser test of the exports: click an export button and get the file (dash_duo)."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from components import ids

from conftest import downloaded

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _button(duo, view: str, fmt: str):
    for b in duo.driver.find_elements(By.CSS_SELECTOR, "button.export-button"):
        if b.get_attribute("id") and f'"view":"{view}"' in b.get_attribute("id") \
                and f'"format":"{fmt}"' in b.get_attribute("id"):
            return b
    raise AssertionError(f"no export button for {view} {fmt}")


def test_click_png_export_downloads_a_slide_image(started):
    duo = started
    folder = Path(duo.download_path)
    duo.driver.execute_script("arguments[0].click()", _button(duo, ids.VIEW_TRAJECTORIES,
                                                               ids.FORMAT_PNG))
    path = downloaded(folder, "*.png")
    assert path.name.startswith("sledai_by_response_")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert duo.get_logs() == []


def test_tables_tab_csv_download_and_theme_switch(started):
    duo = started
    folder = Path(duo.download_path)
    tab = next(a for a in duo.driver.find_elements(By.CSS_SELECTOR, ".nav-link")
               if a.text == "Tables")
    duo.driver.execute_script("arguments[0].click()", tab)
    duo.wait_for_contains_text(f"#{ids.TABLES_RESPONSE}", "13/40 (32.5 %; 18.6–49.1)",
                               timeout=10)
    duo.driver.execute_script("arguments[0].click()", _button(duo, ids.VIEW_TABLES,
                                                               ids.FORMAT_HTML))
    path = downloaded(folder, "*.html")
    assert path.name.startswith("paper_tables_")
    assert "Table 2. Adverse events" in path.read_text(encoding="utf-8")
    # Dark theme: the page and the figure follow the switch.
    duo.driver.execute_script("arguments[0].click()",
                              duo.find_element(f"#{ids.THEME_SWITCH}"))
    duo.wait_for_class_to_equal(f"#{ids.APP_CONTAINER}",
                                "app-container theme-dark container-fluid", timeout=10)
    assert duo.driver.execute_script(
        "return document.documentElement.getAttribute('data-bs-theme')") == "dark"
    assert duo.get_logs() == []
