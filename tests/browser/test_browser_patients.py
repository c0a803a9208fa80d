"""Browser tests of the patient drill-down (issue 5): click-through from the trajectories, the
swimmer plot and the patient list; previous/next and back keep the filters; linked selection."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from components import ids

from conftest import wait_until

pytestmark = pytest.mark.browser

TIMEOUT = 15


def js_click(duo, element) -> None:
    duo.driver.execute_script("arguments[0].click()", element)


def path(duo) -> str:
    return duo.driver.execute_script("return window.location.pathname")


def wait_for_patient(duo, pid: str) -> None:
    duo.wait_for_text_to_equal(".patient-title", f"Patient {pid}", timeout=TIMEOUT)
    assert path(duo) == f"/patients/{pid}"
    assert not duo.find_element(f"#{ids.PATIENT_PAGE}").get_attribute("hidden")
    assert duo.find_element(f"#{ids.DASHBOARD_PAGE}").get_attribute("hidden")


def wait_for_dashboard(duo) -> None:
    wait_until(
        lambda d=duo.driver: not d.find_element(By.ID, ids.DASHBOARD_PAGE).get_attribute("hidden"),
        timeout=TIMEOUT,
        msg="dashboard not shown",
    )
    assert path(duo) == "/"


def open_tab(duo, label: str) -> None:
    tab = [a for a in duo.find_elements(f"#{ids.TABS} a") if a.text.startswith(label)][0]
    js_click(duo, tab)


def only_non_responders(duo) -> None:
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=TIMEOUT)
    for box in duo.find_elements(f"#{ids.FILTER_RESPONSE} input")[:2]:  # untick MCR, PCR
        js_click(duo, box)
    duo.wait_for_text_to_equal(".selected-n", "16", timeout=TIMEOUT)


CLICK_LINE = (
    """
const gd = document.querySelector('#%s .js-plotly-plot');
for (let c = 0; c < gd.data.length; c++) {
  const cd = gd.data[c].customdata;
  if (gd.data[c].type !== 'scattergl' || !cd) continue;
  const k = Array.from(cd).indexOf(arguments[0]);
  if (k >= 0) { gd.emit('plotly_click', {points: [{curveNumber: c, pointNumber: k}]}); return c; }
}
return -1;
"""
    % ids.TRAJ_GRAPH
)


def individual_lines_drawn(duo):
    return duo.driver.execute_script(
        f"const gd = document.querySelector('#{ids.TRAJ_GRAPH} .js-plotly-plot');"
        "return !!gd && gd.data.some(t => t.type === 'scattergl' && t.customdata);"
    )


def test_click_trajectory_line_opens_patient_and_back(started):
    duo = started
    js_click(duo, duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}"))
    wait_until(lambda d=duo.driver: individual_lines_drawn(duo), timeout=TIMEOUT, msg="no lines")
    assert duo.driver.execute_script(CLICK_LINE, "7") >= 0
    wait_for_patient(duo, "7")
    js_click(duo, duo.find_element(f"#{ids.PATIENT_BACK}"))
    wait_for_dashboard(duo)
    # The dashboard was only hidden: the trajectory controls kept their state.
    assert duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}").is_selected()
    # The same line again navigates again (the click is reset after each navigation).
    assert duo.driver.execute_script(CLICK_LINE, "7") >= 0
    wait_for_patient(duo, "7")
    assert duo.get_logs() == []


def swimmer_bar(duo, pid: str):
    """The SVG bar of a patient: the k-th point of the group's bar trace."""
    trace, k = duo.driver.execute_script(
        f"""
        const gd = document.querySelector('#{ids.SWIMMER_GRAPH} .js-plotly-plot');
        const bars = gd.data.filter(t => t.type === 'bar');
        for (let i = 0; i < bars.length; i++) {{
          const k = Array.from(bars[i].customdata).indexOf(arguments[0]);
          if (k >= 0) return [i, k];
        }}
        return [-1, -1];""",
        pid,
    )
    assert trace >= 0
    return duo.find_elements(f"#{ids.SWIMMER_GRAPH} .barlayer .trace")[trace].find_elements(
        By.CSS_SELECTOR, ".point"
    )[k]


def test_click_swimmer_bar_opens_patient(started):
    duo = started
    open_tab(duo, "Patients")
    duo.wait_for_element(f"#{ids.SWIMMER_GRAPH} .barlayer .point", timeout=TIMEOUT)
    bar = swimmer_bar(duo, "14")
    ActionChains(duo.driver).move_to_element(bar).click().perform()
    wait_for_patient(duo, "14")
    assert "Died day 256" in duo.find_element(".patient-badges").text
    assert duo.get_logs() == []


def test_table_row_then_next_previous_and_back_keep_filters(started):
    duo = started
    only_non_responders(duo)
    open_tab(duo, "Patients")
    cell = f'#{ids.PATIENT_GRID} .ag-row[row-id="5"] .ag-cell[col-id="center"]'
    duo.wait_for_element(cell, timeout=TIMEOUT)
    assert not duo.find_elements(f'#{ids.PATIENT_GRID} .ag-row[row-id="4"]')  # MCR: filtered
    duo.find_element(cell).click()
    wait_for_patient(duo, "5")
    assert "2 of 16 in the current filters" in duo.find_element(".patient-position").text
    # Next / previous stay among the non-responders.
    js_click(duo, duo.find_element(f"#{ids.PATIENT_NEXT}"))
    wait_for_patient(duo, "6")
    js_click(duo, duo.find_element(f"#{ids.PATIENT_NEXT}"))
    wait_for_patient(duo, "11")  # 7 to 10 are responders, outside the filters
    js_click(duo, duo.find_element(f"#{ids.PATIENT_PREV}"))
    wait_for_patient(duo, "6")
    assert duo.find_element(".selected-n").text == "16"  # the sidebar stayed
    js_click(duo, duo.find_element(f"#{ids.PATIENT_BACK}"))
    wait_for_dashboard(duo)
    assert duo.find_element(".selected-n").text == "16"
    assert [e.text for e in duo.find_elements(".card-value")][0] == "16"
    active = duo.find_element(f"#{ids.TABS} .nav-link.active").text
    assert active == "Patients"  # back where the user came from
    checked = [b.is_selected() for b in duo.find_elements(f"#{ids.FILTER_RESPONSE} input")]
    assert checked == [False, False, True]
    assert duo.get_logs() == []


def test_patient_9_published_facts_and_warning(started):
    duo = started
    duo.driver.get(duo.server_url + "/patients/9")
    wait_for_patient(duo, "9")
    page = duo.find_element(f"#{ids.PATIENT_PAGE}").text
    assert "MCR (day 186) — recorded after death" in page
    assert "day 339 — recorded after death" in page
    assert "day 7 (Death)" in page
    warning = duo.find_element(f"#{ids.PATIENT_WARNINGS}").text
    assert "death is recorded on day 7" in warning
    assert "simulated" in duo.find_element(f"#{ids.PATIENT_PROVENANCE_NOTE}").text
    assert duo.get_logs() == []


def test_simulated_patient_says_so_and_unknown_id_is_not_found(started):
    duo = started
    duo.driver.get(duo.server_url + "/patients/20")
    wait_for_patient(duo, "20")
    note = duo.find_element(f"#{ids.PATIENT_PROVENANCE_NOTE}").text
    assert "This patient's values are simulated" in note
    duo.driver.get(duo.server_url + "/patients/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    duo.wait_for_element(f"#{ids.PATIENT_NOT_FOUND}", timeout=TIMEOUT)
    assert "Patient not found" in duo.find_element(f"#{ids.PATIENT_NOT_FOUND}").text
    assert not duo.find_elements(f"#{ids.PATIENT_PAGE} img")
    assert duo.get_logs() == []


def test_linked_selection_from_the_list_highlights_everywhere_and_clears(started):
    duo = started
    js_click(duo, duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}"))
    wait_until(lambda d=duo.driver: individual_lines_drawn(duo), timeout=TIMEOUT, msg="no lines")
    open_tab(duo, "Patients")
    duo.wait_for_element(f'#{ids.PATIENT_GRID} .ag-row[row-id="3"]', timeout=TIMEOUT)
    for pid in ("3", "9"):
        box = duo.find_element(f'#{ids.PATIENT_GRID} .ag-row[row-id="{pid}"] input[type=checkbox]')
        js_click(duo, box)
    duo.wait_for_text_to_equal(
        f"#{ids.SELECTION_CLEAR} .selection-chip-text", "2 selected", timeout=TIMEOUT
    )
    outlined = (
        """
        const gd = document.querySelector('#%s .js-plotly-plot');
        const out = [];
        gd.data.filter(t => t.type === 'bar').forEach(t => t.customdata.forEach((p, i) => {
            if (t.marker.line.width[i] > 0) out.push(p); }));
        return out.sort();"""
        % ids.SWIMMER_GRAPH
    )
    wait_until(
        lambda d=duo.driver: duo.driver.execute_script(outlined) == ["3", "9"],
        timeout=TIMEOUT,
        msg="swimmer bars not highlighted",
    )
    # Views update when shown: back on the trajectories, the selected lines are bold.
    open_tab(duo, "Trajectories")
    bold = (
        """
        const gd = document.querySelector('#%s .js-plotly-plot');
        return gd.data.filter(t => (t.name || '').endsWith('selected patients'))
                 .flatMap(t => Array.from(t.customdata).filter(x => x)).filter(
                 (v, i, a) => a.indexOf(v) === i).sort();"""
        % ids.TRAJ_GRAPH
    )
    wait_until(
        lambda d=duo.driver: duo.driver.execute_script(bold) == ["3", "9"],
        timeout=TIMEOUT,
        msg="trajectory lines not bold",
    )
    js_click(duo, duo.find_element(f"#{ids.SELECTION_CLEAR}"))
    wait_until(
        lambda d=duo.driver: not d.find_element(By.ID, ids.SELECTION_CLEAR).is_displayed(),
        timeout=TIMEOUT,
        msg="chip still shown",
    )
    open_tab(duo, "Patients")
    wait_until(
        lambda d=duo.driver: (
            not d.find_elements(By.CSS_SELECTOR, f"#{ids.PATIENT_GRID} .ag-row-selected")
        ),
        timeout=TIMEOUT,
        msg="rows still ticked",
    )
    wait_until(
        lambda d=duo.driver: duo.driver.execute_script(outlined) == [],
        timeout=TIMEOUT,
        msg="swimmer still highlighted",
    )
    assert duo.get_logs() == []


def test_lasso_in_trajectories_selects_patients(started):
    duo = started
    js_click(duo, duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}"))
    wait_until(lambda d=duo.driver: individual_lines_drawn(duo), timeout=TIMEOUT, msg="no lines")
    duo.driver.execute_script(f"""
        const gd = document.querySelector('#{ids.TRAJ_GRAPH} .js-plotly-plot');
        const pts = [];
        gd.data.forEach((t, c) => {{
          if (t.type !== 'scattergl' || !t.customdata) return;
          Array.from(t.customdata).forEach((p, k) => {{
            if (p === '4' || p === '12') pts.push({{curveNumber: c, pointNumber: k}}); }});
        }});
        gd.emit('plotly_selected', {{points: pts}});""")
    duo.wait_for_text_to_equal(
        f"#{ids.SELECTION_CLEAR} .selection-chip-text", "2 selected", timeout=TIMEOUT
    )
    open_tab(duo, "Patients")
    wait_until(
        lambda d=duo.driver: (
            sorted(
                e.get_attribute("row-id")
                for e in d.find_elements(
                    By.CSS_SELECTOR,
                    f"#{ids.PATIENT_GRID} .ag-center-cols-container .ag-row-selected",
                )
            )
            == ["12", "4"]
        ),
        timeout=TIMEOUT,
        msg="rows not ticked",
    )
    assert duo.get_logs() == []


def test_click_mark_on_survival_curve_then_patient_link(started):
    """The survival view (components/survival.py) lists the patients behind a clicked mark as
    links to /patients/<id>; the router opens them."""
    duo = started
    open_tab(duo, "Survival")
    duo.wait_for_element(f"#{ids.SURV_GRAPH} .main-svg", timeout=TIMEOUT)
    click_mark = f"""
        const gd = document.querySelector('#{ids.SURV_GRAPH} .js-plotly-plot');
        if (!gd || !gd.data) return false;
        const c = gd.data.findIndex(t => (t.name || '').endsWith('censored'));
        if (c < 0) return false;
        gd.emit('plotly_click', {{points: [{{curveNumber: c, pointNumber: 0}}]}});
        return true;"""
    wait_until(
        lambda d=duo.driver: duo.driver.execute_script(click_mark),
        timeout=TIMEOUT,
        msg="no censor marks",
    )
    link = duo.wait_for_element(f"#{ids.SURV_PATIENTS} a", timeout=TIMEOUT)
    pid = link.text.replace("Patient ", "")
    js_click(duo, link)
    wait_for_patient(duo, pid)
    js_click(duo, duo.find_element(f"#{ids.PATIENT_BACK}"))
    wait_for_dashboard(duo)
    assert duo.find_element(f"#{ids.TABS} .nav-link.active").text.startswith("Survival")
    assert duo.get_logs() == []


def traj_traces(duo) -> int:
    return duo.driver.execute_script(
        f"const gd = document.querySelector('#{ids.TRAJ_GRAPH} .js-plotly-plot');"
        "return gd && gd.data ? gd.data.length : 0;"
    )


def test_dashboard_views_wait_behind_a_patient_page(started):
    """Opened at a patient's page, the hidden dashboard computes nothing; back on it, the view
    of the active tab is drawn."""
    duo = started
    duo.driver.get(duo.server_url + "/patients/12")
    wait_for_patient(duo, "12")
    assert duo.find_element(f"#{ids.PATIENT_BODY}").text  # the body, drawn by its own callback
    assert traj_traces(duo) == 0
    js_click(duo, duo.find_element(f"#{ids.PATIENT_NEXT}"))
    wait_for_patient(duo, "13")
    assert traj_traces(duo) == 0
    js_click(duo, duo.find_element(f"#{ids.PATIENT_BACK}"))
    wait_for_dashboard(duo)
    wait_until(lambda: traj_traces(duo) > 0, timeout=TIMEOUT, msg="trajectories not drawn")
    assert duo.get_logs() == []
