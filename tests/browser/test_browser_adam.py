"""Real-browser test (dash_duo, headless Chromium) of the dashboard on the CDISC pilot ADaM data
(../shared/data/cdiscpilot01): trajectories by site and arm, no responder views, and the
Kaplan-Meier of the ADTTE endpoint by arm with its risk table and log-rank test. Skipped, with the
reason, where ../shared is absent (the `shared_data` fixture)."""

import pytest

from components import ids
from trial.loader import load_trial

from conftest import start_dashboard, wait_until

pytestmark = pytest.mark.browser

GRAPH = f"#{ids.TRAJ_GRAPH}"
SURV = f"#{ids.SURV_GRAPH}"


@pytest.fixture(scope="module")
def pilot_trial(shared_data):
    return load_trial(shared_data / "cdiscpilot01")


@pytest.fixture
def started(dash_duo, pilot_trial):
    return start_dashboard(dash_duo, pilot_trial, ready=f"{GRAPH} .main-svg")


def select(duo, dropdown: str, label: str) -> None:
    """Pick an option by its exact text; long lists (e.g. 50 lab parameters) are searched first,
    so the option is in view."""
    duo.find_element(dropdown).click()
    search = duo.find_elements(".dash-dropdown-search")
    if search:
        search[0].send_keys(label)

    def pick():
        for option in duo.find_elements(".dash-dropdown-option"):
            if option.text == label:
                duo.driver.execute_script("arguments[0].click()", option)
                return True
        return False

    wait_until(pick, timeout=10)


def legend(duo, graph=GRAPH) -> str:
    found = duo.find_elements(f"{graph} .legend")
    return found[0].text if found else ""


def test_adam_trajectories_by_arm_and_site(started):
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "254", timeout=20)
    cards = [e.text.upper() for e in duo.find_elements(".card-title-small")]  # CSS: upper case
    assert "SUBJECTS" in cards and "SITES" in cards and "MCR" not in cards
    # no response data: the responder and relapse filters are hidden, the arm filter shown
    assert not duo.find_element(f"#{ids.FILTER_RESPONSE}").is_displayed()
    assert duo.find_element(f"#{ids.FILTER_ARM}").is_displayed()
    # the default grouping is the arm: the planned one for efficacy views (ADaM convention)
    wait_until(lambda: "Xanomeline High Dose" in legend(duo))
    for label in ("Creatinine", "Albumin", "Blood Urea Nitrogen"):
        select(duo, f"#{ids.TRAJ_MEASURE}", label)
        duo.wait_for_contains_text(
            f"{GRAPH} .gtitle", f"{label} by Planned treatment (TRT01P)", timeout=20
        )
        wait_until(lambda: "Placebo" in legend(duo) and "Xanomeline Low Dose" in legend(duo))
        assert "Weeks since first dose" in duo.find_element(GRAPH).text
    select(duo, f"#{ids.TRAJ_GROUP}", "Site")
    duo.wait_for_contains_text(f"{GRAPH} .gtitle", "Blood Urea Nitrogen by Site", timeout=20)
    wait_until(lambda: "701" in legend(duo) and "718" in legend(duo))
    select(duo, f"#{ids.TRAJ_GROUP}", "Site × Arm")
    duo.wait_for_contains_text(
        f"{GRAPH} .gtitle", "by Site × Planned treatment (TRT01P)", timeout=30
    )
    wait_until(lambda: len(duo.find_elements(f"{GRAPH} .subplot")) >= 17, timeout=30)
    assert duo.get_logs() == []


def test_adam_kaplan_meier_of_time_to_first_dermatologic_event(started):
    duo = started
    # named for what it holds on a study without responses: "Time to event"
    tab = [a for a in duo.find_elements(f"#{ids.TABS} .nav-link") if a.text == "Time to event"]
    duo.driver.execute_script("arguments[0].click()", tab[0])
    duo.wait_for_contains_text(f"{SURV} .gtitle", "Time to First Dermatologic Event", timeout=30)
    wait_until(lambda: "Xanomeline High Dose" in legend(duo, SURV))
    assert "Placebo (n = 86)" in legend(duo, SURV)
    # No relapse data: no relapse time-origin control
    assert not duo.find_element(f"#{ids.SURV_ORIGIN_CONTROL}").is_displayed()
    duo.wait_for_contains_text(f"#{ids.SURV_SUMMARY}", "χ² = 60.27, df = 2", timeout=20)
    estimates = duo.find_element(f"#{ids.SURV_ESTIMATES}").text
    assert "36 (23–46)" in estimates and "33 (27–48)" in estimates
    assert "not reached" in estimates and "NR" not in estimates  # "NR": the no-response group
    # the risk table under the plot: at risk at day 0 = group sizes
    assert "Number at risk" in duo.find_element(SURV).text
    numbers = [e.text for e in duo.find_elements(f"{SURV} .textpoint text")]
    assert {"86", "84"} <= set(numbers)
    assert duo.get_logs() == []
