"""Real-browser tests (dash_duo, headless Chromium) of the Survival & relapse tab."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from components import ids

from conftest import start_dashboard, wait_until

pytestmark = pytest.mark.browser

GRAPH = f"#{ids.SURV_GRAPH}"


@pytest.fixture
def survival_tab(dash_duo, demo_trial):
    start_dashboard(dash_duo, demo_trial, size=(1500, 1300))
    tab = [
        a
        for a in dash_duo.find_elements(f"#{ids.TABS} .nav-link")
        if a.text == "Survival & relapse"
    ][0]
    dash_duo.driver.execute_script("arguments[0].click()", tab)
    dash_duo.wait_for_contains_text(f"{GRAPH} .gtitle", "Overall survival", timeout=20)
    return dash_duo


def table_numbers(duo) -> list[int]:
    """Every number of the risk table under the plot (text traces)."""
    return [int(e.text) for e in duo.find_elements(f"{GRAPH} .textpoint text")]


def legend(duo) -> str:
    found = duo.find_elements(f"{GRAPH} .legend")
    return found[0].text if found else ""


def n_ticks(duo) -> int:
    return len(duo.find_elements(f"{GRAPH} .xtick text"))


def test_survival_tab_shows_37_of_40_and_the_risk_table(survival_tab):
    duo = survival_tab
    duo.wait_for_contains_text(f"#{ids.SURV_SUMMARY}", "37 of 40 alive at 12 months", timeout=10)
    assert "40 patients" in duo.find_element(f"{GRAPH} .gtitle").text
    # at risk + deaths + censored = n at every tick
    wait_until(lambda: sum(table_numbers(duo)) == 40 * n_ticks(duo) > 0)
    assert "92.5 %" in duo.find_element(f"#{ids.SURV_ESTIMATES}").text
    assert duo.get_logs() == []


def test_grouping_and_filters_update_curves_and_risk_table_together(survival_tab):
    duo = survival_tab
    duo.select_dcc_dropdown(f"#{ids.SURV_GROUP}", "Center")
    wait_until(lambda: "Drum Tower" in legend(duo))
    headers = [e.text for e in duo.find_elements(f"{GRAPH} .annotation-text")]
    assert sum("Hospital" in h for h in headers) == 4
    assert len(duo.find_elements(f"{GRAPH} .legend .traces")) == 4
    wait_until(lambda: sum(table_numbers(duo)) == 40 * n_ticks(duo))
    duo.wait_for_contains_text(f"#{ids.SURV_SUMMARY}", "Log-rank", timeout=10)

    # Untick MCR and PCR: 16 non-responders, and a center filter on top.
    for box in duo.find_elements(f"#{ids.FILTER_RESPONSE} input")[:2]:
        duo.driver.execute_script("arguments[0].click()", box)
    duo.wait_for_contains_text(f"{GRAPH} .gtitle", "16 patients", timeout=10)
    wait_until(lambda: sum(table_numbers(duo)) == 16 * n_ticks(duo))
    drum = duo.find_elements(f"#{ids.FILTER_CENTER} input")[0]
    duo.driver.execute_script("arguments[0].click()", drum)
    wait_until(lambda: "Drum Tower" not in legend(duo))
    n = int(duo.find_element(".selected-n").text)
    wait_until(lambda: sum(table_numbers(duo)) == n * n_ticks(duo))
    headers = [e.text for e in duo.find_elements(f"{GRAPH} .annotation-text")]
    assert not any("Drum Tower" in h for h in headers)
    assert len(duo.find_elements(f"{GRAPH} .legend .traces")) == 3
    assert duo.get_logs() == []


def test_relapse_endpoint_shows_reconciliation_and_click_lists_patients(survival_tab):
    duo = survival_tab
    endpoint = duo.find_elements(f"#{ids.SURV_ENDPOINT} input")[1]
    duo.driver.execute_script("arguments[0].click()", endpoint)
    duo.wait_for_contains_text(
        f"{GRAPH} .gtitle", "23 responders as analysed (24 as recorded)", timeout=10
    )
    recon = duo.find_element(f"#{ids.SURV_RECONCILIATION}").text
    assert "24" in recon and "23" in recon and "patient 9" in recon
    duo.wait_for_contains_text(
        f"#{ids.SURV_SUMMARY}", "7 relapses among 24 responders as recorded", timeout=10
    )
    # Click a censor mark: the patients behind it are listed, each a link to its page.
    mark = duo.find_elements(f"{GRAPH} .scatterlayer .trace .points path")[0]
    ActionChains(duo.driver).move_to_element(mark).click().perform()
    duo.wait_for_element(f"#{ids.SURV_PATIENTS} a", timeout=10)
    link = duo.find_element(f"#{ids.SURV_PATIENTS} a")
    target, query = link.get_attribute("href").split("/patients/")[1].split("?")
    assert target in link.text and "endpoint=cif" in query  # the link keeps the view's state
    # A step of one patient (the relapse of patient 35 on day 233) opens that patient's page.
    duo.driver.execute_script(f"""
        const gd = document.querySelector('{GRAPH} .js-plotly-plot');
        const step = gd.data.find(t => t.line && t.line.shape === 'hv' && t.customdata);
        const point = step.customdata.find(c => c[0] === 233);
        dash_clientside.set_props('{ids.SURV_GRAPH}', {{clickData: {{points: [
            {{curveNumber: gd.data.indexOf(step), customdata: point}}]}}}});""")
    duo.wait_for_text_to_equal(".patient-title", "Patient 35", timeout=10)
    assert duo.driver.execute_script("return window.location.pathname") == "/patients/35"
    assert duo.get_logs() == []
