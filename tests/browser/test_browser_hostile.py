"""Browser test: a patient id with a slash has a working page (the route percent-encodes it)."""

from __future__ import annotations

import pytest

from bench.hostile import ids as with_id
from bench.hostile import write
from components import ids
from components.shell.pages import patient_path
from trial.loader import load_trial

from conftest import start_dashboard, wait_until

pytestmark = pytest.mark.browser


def test_a_patient_id_with_a_slash_opens_its_page(dash_duo, tmp_path):
    folder = write(tmp_path / "slash", with_id(lambda _: "site/1")())
    trial = load_trial(folder)
    duo = start_dashboard(dash_duo, trial)
    duo.driver.get(duo.server_url + patient_path("site/1"))  # /patients/site%2F1
    duo.wait_for_text_to_equal(".patient-title", "Patient site/1", timeout=20)
    wait_until(lambda: not duo.find_element(f"#{ids.PATIENT_PAGE}").get_attribute("hidden"))
    assert duo.driver.execute_script("return window.location.pathname") == "/patients/site%2F1"
    assert not duo.find_elements(f"#{ids.PATIENT_NOT_FOUND}")
    assert duo.get_logs() == []
