"""Real-browser security tests (dash_duo, headless Chromium): text from data is always shown as
literal text, and the app works under its Content-Security-Policy with no console errors."""

from __future__ import annotations

import json
import urllib.request

import pytest
from selenium.common.exceptions import NoAlertPresentException

from app import create_app
from components import ids
from trial.loader import load_trial

from conftest import add_to_page, free_port
from factories import study_dict, valid_tables, write_trial

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
JS = "javascript:alert(1)"
IMG_PID = "<img src=x onerror=alert(2)>"
SCRIPT_PID = "<script>alert(3)</script>"
GRAPH = f"#{ids.TRAJ_GRAPH}"


@pytest.fixture(scope="module")
def hostile_trial(tmp_path_factory):
    """The small valid trial with markup and script URLs as center names and patient ids."""
    t = valid_tables()
    names = {"P01": IMG_PID, "P02": JS, "P03": SCRIPT_PID}
    for table in t.values():
        table["patient_id"] = table["patient_id"].replace(names)
    t["patients"]["center"] = t["patients"]["center"].replace({"Center A": IMG, "Center B": JS})
    # an adverse event after the last follow-up: a data-quality warning naming the patient
    ev = t["events"]
    ev.loc[len(ev)] = [IMG_PID, "400", "adverse_event", "<b>Rash</b>", "AE", "no", "simulated"]
    study = study_dict()
    study["centers"] = [IMG, JS]
    study["short_title"] = "</title><script>alert(4)</script>"
    trial = load_trial(write_trial(tmp_path_factory.mktemp("hostile"), study=study, **t))
    assert any(f.patient_id == IMG_PID for f in trial.warnings)
    return trial


def watch_csp(duo) -> None:
    """Record every CSP violation of the page from now on (not all reach the console)."""
    duo.driver.execute_script("""
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(
            e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':'
            + e.lineNumber));""")


def csp_violations(duo) -> list:
    return duo.driver.execute_script("return window.__csp || ['watch_csp was not called'];")


def no_injection(duo) -> None:
    """No dialog, no element made from the data's markup, no script URL."""
    try:
        alert = duo.driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        raise AssertionError(f"an alert dialog opened: {text}")
    except NoAlertPresentException:
        pass
    found = duo.driver.execute_script("""
        return {
          img: document.querySelectorAll('img[src="x"], img[onerror]').length,
          onerror: document.querySelectorAll('[onerror]').length,
          jsurl: Array.from(document.querySelectorAll('[href],[src],[action]')).filter(
              e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src')
                                          || e.getAttribute('action') || '')).length,
          scripts: Array.from(document.querySelectorAll('script')).filter(
              s => /alert\\(/.test(s.textContent) && !/Internet Explorer/.test(s.textContent)
          ).length,
          svgImages: document.querySelectorAll('svg image, svg foreignObject img').length,
        };""")
    assert found == {"img": 0, "onerror": 0, "jsurl": 0, "scripts": 0, "svgImages": 0}, found


def hover_text(duo, trace_name: str, expect: str) -> str:
    """Hover the first point of the trace called `trace_name`; the hover label once it holds
    `expect` (plotly throttles hover events), or the last label seen."""
    import time

    text = ""
    for _ in range(25):
        text = duo.driver.execute_script(
            """
            const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
            const i = gd.data.findIndex(t => t.name === arguments[1]);
            if (i < 0) { return 'no trace ' + arguments[1]; }
            Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 0}]);
            const layer = gd.querySelector('.hoverlayer');
            return layer ? layer.textContent : '';""",
            GRAPH,
            trace_name,
        )
        if expect in text:
            return text
        time.sleep(0.2)
    return text


def escaped(text: str) -> str:
    import html

    return html.escape(text, quote=False)


@pytest.fixture
def hostile(dash_duo, hostile_trial):
    dash_duo.driver.set_window_size(1500, 1100)
    dash_duo.start_server(create_app(hostile_trial), port=free_port())
    dash_duo.wait_for_element(f"{GRAPH} .main-svg", timeout=20)
    watch_csp(dash_duo)
    return dash_duo


def test_data_text_is_literal_everywhere(hostile):
    duo = hostile
    assert duo.driver.title == "</title><script>alert(4)</script>"
    # sidebar
    centers = duo.find_element(f"#{ids.FILTER_CENTER}").text
    assert IMG in centers and JS in centers
    duo.wait_for_text_to_equal(".selected-n", "6", timeout=10)
    # legend, n-table, title and hover of the trajectories, grouped by center
    duo.select_dcc_dropdown(f"#{ids.TRAJ_GROUP}", "Center")
    duo.wait_for_contains_text(f"{GRAPH} .legend", IMG, timeout=10)
    legend = duo.find_element(f"{GRAPH} .legend").text
    assert IMG in legend and JS in legend
    svg = duo.find_element(GRAPH).text
    assert svg.count(IMG) >= 2  # legend and the n-per-visit table
    hover = hover_text(duo, escaped(IMG), IMG)
    assert IMG in hover, hover
    hover = hover_text(duo, escaped(JS), JS)
    assert JS in hover, hover
    # the table under the figure
    duo.wait_for_contains_text(".summary-grid", IMG, timeout=10)
    # individual lines: the patient ids in their hover labels
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}"))
    duo.wait_for_element(f"{GRAPH} .gl-container", timeout=10)
    no_injection(duo)
    # data-quality panel
    tab = [
        a for a in duo.find_elements(f"#{ids.TABS} .nav-link") if a.text.startswith("Data quality")
    ][0]
    duo.driver.execute_script("arguments[0].click()", tab)
    duo.wait_for_contains_text(f"#{ids.TABS} + .tab-content, .tab-content", IMG_PID, timeout=10)
    quality = duo.find_element(".tab-content").text
    assert IMG_PID in quality
    assert "/tmp" not in quality  # no server path: the folder's name only
    no_injection(duo)
    assert csp_violations(duo) == []
    assert duo.get_logs() == []


def test_patients_tab_and_survival_show_literal_text(hostile):
    duo = hostile
    tabs = {a.text: a for a in duo.find_elements(f"#{ids.TABS} .nav-link")}
    for label, expect in (("Patients", [IMG_PID, SCRIPT_PID, JS]), ("Survival & relapse", [])):
        if label not in tabs:
            continue  # the view is not in this build of the app
        duo.driver.execute_script("arguments[0].click()", tabs[label])
        if expect:
            duo.wait_for_contains_text(".tab-content", expect[0], timeout=15)
            content = duo.find_element(".tab-content").text
            for text in expect:
                assert text in content
        no_injection(duo)
    assert csp_violations(duo) == []
    assert duo.get_logs() == []


def test_app_works_under_its_csp(dash_duo, demo_trial):
    """Figures draw (SVG and WebGL), callbacks run, and the browser reports no CSP violation."""
    dash_duo.driver.set_window_size(1500, 1100)
    dash_duo.start_server(create_app(demo_trial), port=free_port())
    with urllib.request.urlopen(dash_duo.server_url) as r:
        csp = r.headers["Content-Security-Policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    dash_duo.wait_for_element(f"{GRAPH} .main-svg", timeout=20)
    watch_csp(dash_duo)
    dash_duo.wait_for_text_to_equal(".selected-n", "40", timeout=10)
    # Scattergl (WebGL): plotly.js compiles its shader code with `Function` (needs 'unsafe-eval')
    dash_duo.driver.execute_script(
        "arguments[0].click()", dash_duo.find_element(f"#{ids.TRAJ_INDIVIDUAL}")
    )
    dash_duo.wait_for_element(f"{GRAPH} .gl-container canvas", timeout=10)
    dash_duo.select_dcc_dropdown(f"#{ids.TRAJ_GROUP}", "Center")
    dash_duo.wait_for_contains_text(f"{GRAPH} .gtitle", "by center", timeout=10)
    for label in ("Survival & relapse", "Patients", "Tables"):
        tabs = {a.text: a for a in dash_duo.find_elements(f"#{ids.TABS} .nav-link")}
        if label in tabs:
            dash_duo.driver.execute_script("arguments[0].click()", tabs[label])
            dash_duo.wait_for_element(
                ".tab-pane.active .js-plotly-plot, .tab-pane.active table, "
                ".tab-pane.active .ag-root",
                timeout=20,
            )
    assert csp_violations(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_csp_blocks_injected_inline_script(dash_duo, demo_trial):
    """The policy is enforced: an inline script added to the page does not run."""
    dash_duo.start_server(create_app(demo_trial), port=free_port())
    dash_duo.wait_for_element(f"{GRAPH} .main-svg", timeout=20)
    ran = dash_duo.driver.execute_script("""
        window.__injected = false;
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true;';
        document.body.appendChild(s);
        return window.__injected;""")
    assert ran is False
    logs = dash_duo.get_logs()
    assert logs and all("Content Security Policy" in json.dumps(e) for e in logs)


def test_forced_callback_error_shows_friendly_message(dash_duo, demo_trial):
    from dash import Input, Output, html

    app = create_app(demo_trial)
    add_to_page(app, html.Button("Break", id="boom-button"), html.Div(id="boom-out"))

    @app.callback(
        Output("boom-out", "children"), Input("boom-button", "n_clicks"), prevent_initial_call=True
    )
    def boom(_n):
        raise RuntimeError("patient P07 value 3.2")

    dash_duo.start_server(app, port=free_port())
    dash_duo.wait_for_element(f"{GRAPH} .main-svg", timeout=20)
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element("#boom-button"))
    dash_duo.wait_for_contains_text(f"#{ids.APP_ERROR}", "reference", timeout=10)
    text = dash_duo.find_element(f"#{ids.APP_ERROR}").text
    assert "Something went wrong" in text and "P07" not in text and "3.2" not in text
