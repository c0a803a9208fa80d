"""Real-browser test of a patient's case narrative (issue 16): pinned on the patient page, then
shown in presenter mode from the dashboard's pinned slides, and presented from the page."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from components import ids

from conftest import settled, wait_until

pytestmark = pytest.mark.browser
TIMEOUT = 30


def js_click(duo, selector: str) -> None:
    duo.driver.execute_script("arguments[0].click()", duo.find_element(selector))


def rendered(duo) -> bool:
    src = duo.find_element(f"#{ids.PRESENT_IMAGE}").get_attribute("src") or ""
    return src.startswith("data:image/svg")


def open_patient(duo, pid: str) -> None:
    """The patient's page, once it has stopped changing (it is drawn again as the URL's state
    and the theme arrive)."""
    duo.driver.get(f"{duo.server_url}/patients/{pid}")
    duo.wait_for_element(f"#{ids.PATIENT_TIMELINE_GRAPH} .main-svg", timeout=TIMEOUT)
    script = f"return document.getElementById('{ids.PATIENT_PAGE}').innerHTML.length"
    settled(lambda: duo.driver.execute_script(script))


def test_a_narrative_pinned_on_the_patient_page_is_presented(started):
    duo = started
    open_patient(duo, "33")
    takeaway = "Major response, then a relapse"
    duo.find_element(".narrative-takeaway").send_keys(takeaway)
    js_click(duo, ".narrative-bar .narrative-pin")
    wait_until(
        lambda: "1 pinned" in duo.find_element(".narrative-note").text,
        timeout=TIMEOUT,
        msg="the narrative was not pinned",
    )
    js_click(duo, f"#{ids.PATIENT_BACK}")
    duo.wait_for_text_to_equal(f"#{ids.PIN_COUNT}", "1 pinned", timeout=TIMEOUT)
    js_click(duo, f"#{ids.PRESENT_PINNED}")
    duo.wait_for_text_to_equal(
        ".present-modal.show .present-title", "Patient 33: case narrative", timeout=TIMEOUT
    )
    duo.wait_for_text_to_equal(".present-takeaway", takeaway, timeout=TIMEOUT)
    assert " · MCR · " in duo.find_element(".present-subtitle").text
    footer = duo.find_element(".present-footer").text
    assert "case narrative" in footer and "Simulated data (demo)" in footer
    wait_until(lambda: rendered(duo), timeout=TIMEOUT, msg="the narrative was not rendered")
    ActionChains(duo.driver).send_keys(Keys.ESCAPE).perform()

    # "Present" on a patient page shows that patient's narrative at once.
    open_patient(duo, "2")
    js_click(duo, ".narrative-bar .narrative-present")
    duo.wait_for_text_to_equal(
        ".present-modal.show .present-title", "Patient 2: case narrative", timeout=TIMEOUT
    )
    wait_until(lambda: rendered(duo), timeout=TIMEOUT, msg="the narrative was not rendered")
    assert duo.get_logs() == []
