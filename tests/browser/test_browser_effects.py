"""Real-browser tests (dash_duo, headless Chromium) of the Effects tab and the effect estimates
of the Survival tab: a click on a line of the forest filters every view to that subgroup."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from components import ids

from conftest import start_dashboard, wait_until

pytestmark = pytest.mark.browser

FOREST = f"#{ids.EFFECTS_GRAPH}"


def open_tab(duo, label: str) -> None:
    tab = [a for a in duo.find_elements(f"#{ids.TABS} .nav-link") if a.text == label][0]
    duo.driver.execute_script("arguments[0].click()", tab)


def forest_line(duo, subgroup: str, level: str):
    """The (invisible) point of a forest line, found by its subgroup and level."""
    index = duo.driver.execute_script(f"""
        const gd = document.querySelector('{FOREST} .js-plotly-plot');
        const hit = gd.data.find(t => t.name === 'rows');
        return hit.customdata.findIndex(c => c[0] === '{subgroup}' && c[1] === '{level}');""")
    traces = duo.find_elements(f"{FOREST} .scatterlayer .trace")
    return traces[-1].find_elements("css selector", ".points path")[index]


def test_a_click_on_a_forest_line_filters_every_view(dash_duo, demo_trial):
    duo = start_dashboard(dash_duo, demo_trial, size=(1600, 1300))
    open_tab(duo, "Effects by subgroup")
    duo.wait_for_contains_text(f"{FOREST} .gtitle", "by subgroup", timeout=30)
    wait_until(lambda: len(duo.find_elements(f"{FOREST} .scatterlayer .trace")) >= 2)
    assert duo.find_element(".selected-n").text == "40"
    ActionChains(duo.driver).move_to_element(forest_line(duo, "sex", "F")).click().perform()
    # the sidebar, the count box and the forest itself: the 36 women
    wait_until(
        lambda: duo.find_element(".selected-n").text == "36",
        timeout=20,
        msg="the count box did not follow the click",
    )
    duo.wait_for_contains_text(f"#{ids.EFFECTS_CLICKED}", "Sex: F", timeout=10)
    ticked = [box.is_selected() for box in duo.find_elements(f"#{ids.FILTER_SEX} input")]
    assert ticked == [True, False]
    duo.wait_for_contains_text(f"{FOREST} .infolayer", "36 patients", timeout=20)
    # trajectories and survival show the same 36
    open_tab(duo, "Trajectories")
    duo.wait_for_contains_text(f"#{ids.TRAJ_GRAPH} .infolayer", "36 patients selected", timeout=30)
    open_tab(duo, "Survival & relapse")
    duo.wait_for_contains_text(f"#{ids.SURV_GRAPH} .gtitle", "36 patients", timeout=30)
    duo.wait_for_contains_text(f"#{ids.SURV_SUMMARY}", "of 36 alive at 12 months", timeout=20)
    assert duo.get_logs() == []


def test_survival_by_response_warns_and_the_landmark_answers(dash_duo, demo_trial):
    duo = start_dashboard(dash_duo, demo_trial, size=(1600, 1400))
    open_tab(duo, "Survival & relapse")
    duo.select_dcc_dropdown(f"#{ids.SURV_GROUP}", "Responder group")
    duo.wait_for_contains_text(f"#{ids.SURV_WARNINGS}", "guarantee-time", timeout=30)
    duo.wait_for_contains_text(f"#{ids.SURV_EFFECTS}", "1.57 (0.14–17.4)", timeout=20)
    assert "cox.zph" in duo.find_element(f"#{ids.SURV_EFFECTS}").text
    three = [
        i
        for i in duo.find_elements(f"#{ids.SURV_LANDMARK} input")
        if i.get_attribute("value") == "3"
    ][0]
    duo.driver.execute_script("arguments[0].click()", three)
    duo.wait_for_contains_text(f"#{ids.SURV_WARNINGS}", "Landmark at month 3", timeout=30)
    duo.wait_for_contains_text(f"#{ids.SURV_GRAPH} .xtitle", "since the landmark", timeout=20)
    duo.wait_for_contains_text(f"#{ids.SURV_EFFECTS}", "against No response by month 3", timeout=20)
    assert "guarantee-time" not in duo.find_element(f"#{ids.SURV_WARNINGS}").text
    assert duo.get_logs() == []
