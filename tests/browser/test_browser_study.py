"""Real-browser tests (dash_duo, headless Chromium) of a study the app was not built for: the
CDISC pilot (../shared/data/cdiscpilot01). No word of the lupus trial on any tab or patient page;
every subject's page opens (from a direct link, then Next › through all of them, and from a row
of the list); the safety table lists the subjects behind a cell. Skipped, with the reason,
where ../shared is absent (the `shared_data` fixture)."""

from __future__ import annotations

import re

import pytest

from components import ids
from components.state.routes import patient_path
from trial.analysis.patients import ordered_ids
from trial.loader import load_trial

from conftest import start_dashboard, wait_until

pytestmark = pytest.mark.browser

TIMEOUT = 60
# Words of the lupus trial that have no meaning in another study.
LUPUS_WORDS = re.compile(
    r"responder|relapse|\bMCR\b|\bPCR\b|infusion|lupus|nephritis|"
    r"SLEDAI|BILAG|Group: NR|UC-MSC",
    re.I,
)
ERROR = "Something went wrong"


@pytest.fixture(scope="module")
def pilot_trial(shared_data):
    return load_trial(shared_data / "cdiscpilot01")


@pytest.fixture
def started(dash_duo, pilot_trial):
    return start_dashboard(
        dash_duo, pilot_trial, ready=f"#{ids.TRAJ_GRAPH} .main-svg", timeout=TIMEOUT
    )


def body_text(duo) -> str:
    return duo.driver.execute_script("return document.body.innerText")


TAB_ORDER = [  # as the page lays them out (components/shell/layout.py)
    ids.TAB_TRAJECTORIES,
    ids.TAB_SURVIVAL,
    ids.TAB_EFFECTS,
    ids.TAB_RESPONSE,
    ids.TAB_PATIENTS,
    ids.TAB_TABLES,
    ids.TAB_QUALITY,
]


def open_tab(duo, tab_id: str) -> None:
    link = duo.find_elements(f"#{ids.TABS} .nav-link")[TAB_ORDER.index(tab_id)]
    duo.driver.execute_script("arguments[0].click()", link)


def no_lupus_words(text: str, where: str) -> None:
    found = sorted({m.group(0) for m in LUPUS_WORDS.finditer(text)})
    assert not found, f"{where} says {found}"
    assert ERROR not in text, f"{where}: {ERROR}"


def test_no_word_of_the_lupus_trial_on_any_tab(started, pilot_trial):
    duo = started
    wait_until(
        lambda: "Weeks since first dose" in duo.find_element(f"#{ids.TRAJ_GRAPH}").text,
        timeout=TIMEOUT,
    )
    ready = {
        ids.TAB_TRAJECTORIES: f"#{ids.TRAJ_GRAPH} .main-svg",
        ids.TAB_SURVIVAL: f"#{ids.SURV_GRAPH} .main-svg",
        ids.TAB_EFFECTS: f"#{ids.EFFECTS_GRAPH} .main-svg",
        ids.TAB_RESPONSE: f"#{ids.RESP_GRAPH} .main-svg",
        ids.TAB_PATIENTS: f"#{ids.SWIMMER_GRAPH} .main-svg",
        ids.TAB_TABLES: f"#{ids.TABLES_SAFETY} .ag-row",
        ids.TAB_QUALITY: "#study-definition",
    }
    labels = [e.text for e in duo.find_elements(f"#{ids.TABS} .nav-link")]
    assert labels[:6] == [
        "Trajectories",
        "Time to event",
        "Effects by subgroup",
        "Response",
        "Subjects",
        "Tables & safety",
    ]
    for tab, selector in ready.items():
        open_tab(duo, tab)
        duo.wait_for_element(selector, timeout=TIMEOUT)
        wait_until(lambda: "Loading" not in body_text(duo), timeout=TIMEOUT)
        no_lupus_words(body_text(duo), f"tab {tab}")
    # the list shows the arm; a subject's page says nothing of responders either
    open_tab(duo, ids.TAB_PATIENTS)
    duo.wait_for_element(f"#{ids.PATIENT_GRID} .ag-row", timeout=TIMEOUT)
    headers = duo.find_element(f"#{ids.PATIENT_GRID} .ag-header").text
    assert "Arm" in headers and "Group" not in headers
    pid = ordered_ids(pilot_trial.patients["patient_id"])[0]
    duo.driver.get(duo.server_url + patient_path(pid))
    duo.wait_for_text_to_equal(".patient-title", f"Subject {pid}", timeout=TIMEOUT)
    duo.wait_for_element(f"#{ids.PATIENT_MEASURES_GRAPH} .main-svg", timeout=TIMEOUT)
    no_lupus_words(body_text(duo), f"the page of {pid}")
    assert duo.get_logs() == []


def next_link(duo) -> str:
    """The path the "Next" link of a subject's page points at (without the URL's query)."""
    href = duo.find_element(f"#{ids.PATIENT_NEXT}").get_attribute("href") or ""
    return href.split("?")[0]


def test_every_subjects_page_opens(started, pilot_trial):
    duo = started
    order = ordered_ids(pilot_trial.patients["patient_id"])
    duo.driver.get(duo.server_url + patient_path(order[0]))
    for k, pid in enumerate(order):
        duo.wait_for_text_to_equal(".patient-title", f"Subject {pid}", timeout=TIMEOUT)
        duo.wait_for_element(f"#{ids.PATIENT_MEASURES_GRAPH} .main-svg", timeout=TIMEOUT)
        assert ERROR not in body_text(duo), pid
        if k + 1 < len(order):
            # The way to the next subject is drawn by its own callback: wait for it to point
            # there (a click on the previous page's link would open this page again).
            nxt = patient_path(order[k + 1])
            wait_until(
                lambda to=nxt: next_link(duo).endswith(to),
                timeout=TIMEOUT,
                msg=f"the link to {order[k + 1]}",
            )
            duo.driver.execute_script(
                "arguments[0].click()", duo.find_element(f"#{ids.PATIENT_NEXT}")
            )
    # and from a row of the list
    duo.driver.get(duo.server_url + "/")
    duo.wait_for_element(f"#{ids.TRAJ_GRAPH} .main-svg", timeout=TIMEOUT)
    open_tab(duo, ids.TAB_PATIENTS)
    cell = duo.wait_for_element(
        f"#{ids.PATIENT_GRID} .ag-row[row-index='0'] [col-id='patient_id']", timeout=TIMEOUT
    )
    first = cell.text
    duo.driver.execute_script("arguments[0].click()", cell)
    duo.wait_for_text_to_equal(".patient-title", f"Subject {first}", timeout=TIMEOUT)
    assert duo.get_logs() == []


def test_safety_table_lists_the_subjects_of_a_cell(started):
    duo = started
    open_tab(duo, ids.TAB_TABLES)
    duo.wait_for_element(f"#{ids.TABLES_SAFETY} .ag-row", timeout=TIMEOUT)
    note = duo.find_element(f"#{ids.TABLES_SAFETY_NOTE}").text
    assert "Safety population, n = 254, by actual treatment (TRT01A)" in note
    # the grid's own text (Selenium's .text is empty for a grid scrolled out of view)
    text = duo.find_element(f"#{ids.TABLES_SAFETY}").get_attribute("textContent")
    assert "Any treatment-emergent adverse event" in text and "65 (75.6 %)" in text
    cell = duo.find_element(f"#{ids.TABLES_SAFETY} .ag-row[row-id='any'] [col-id='c1']")
    duo.driver.execute_script("arguments[0].click()", cell)
    duo.wait_for_contains_text(
        f"#{ids.TABLES_SAFETY_SUBJECTS}",
        "65 subjects with Any treatment-emergent adverse event in Placebo",
        timeout=TIMEOUT,
    )
    link = duo.find_element(f"#{ids.TABLES_SAFETY_SUBJECTS} a")
    pid = link.text
    duo.driver.execute_script("arguments[0].click()", link)
    duo.wait_for_text_to_equal(".patient-title", f"Subject {pid}", timeout=TIMEOUT)
    assert duo.get_logs() == []
