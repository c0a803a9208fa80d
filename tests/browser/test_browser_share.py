"""Browser tests of the shareable URL state and presenter mode (issue 6, part B)."""

from __future__ import annotations

import io

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids

from conftest import downloaded, settled, wait_until

pytestmark = pytest.mark.browser

TIMEOUT = 20


def js_click(duo, element) -> None:
    duo.driver.execute_script("arguments[0].click()", element)


def open_tab(duo, label: str) -> None:
    tab = [a for a in duo.find_elements(f"#{ids.TABS} a") if a.text.startswith(label)][0]
    js_click(duo, tab)


def choose(duo, dropdown_id: str, label: str) -> None:
    duo.select_dcc_dropdown(f"#{dropdown_id}", value=label)


def search(duo) -> str:
    return duo.driver.execute_script("return window.location.search")


def wait_search(duo, fragment: str) -> None:
    wait_until(
        lambda d=duo.driver: fragment in search(duo),
        timeout=TIMEOUT,
        msg=f"{fragment!r} not in the URL: {search(duo)!r}",
    )


def figure_title(duo, graph: str) -> str:
    return duo.driver.execute_script(
        f"const gd = document.querySelector('#{graph} .js-plotly-plot');"
        "return gd && gd.layout && gd.layout.title ? gd.layout.title.text : null;"
    )


def figure_heading(duo, graph: str = ids.SURV_GRAPH) -> str:
    """The figure's title and subtitle as drawn ("" before the first figure)."""
    return duo.driver.execute_script(
        f"const gd = document.querySelector('#{graph} .js-plotly-plot');"
        "const t = gd && gd.layout && gd.layout.title;"
        "return t ? (t.text || '') + ' | ' + ((t.subtitle && t.subtitle.text) || '') : '';"
    )


def view_state(duo) -> dict:
    """What the user sees: control values, active tab, figure title, selected count."""
    d = duo.driver
    checked = "return Array.from(document.querySelectorAll('#%s input:checked')).map(i => i.value);"
    return {
        "tab": d.execute_script(
            f"return document.querySelector('#{ids.TABS} a.active').textContent"
        ),
        "endpoint": d.execute_script(checked % ids.SURV_ENDPOINT),
        "group": duo.find_element(
            f"#{ids.SURV_GROUP} .Select-value-label, "
            f"#{ids.SURV_GROUP} [class*=singleValue], "
            f"#{ids.SURV_GROUP}"
        ).text,
        "centers": d.execute_script(checked % ids.FILTER_CENTER),
        "sex": d.execute_script(checked % ids.FILTER_SEX),
        "ci": d.execute_script(f"return document.querySelector('#{ids.SURV_CI}').checked"),
        "title": figure_title(duo, ids.SURV_GRAPH),
        "count": duo.find_element(".selected-n").text,
    }


def test_shared_link_reproduces_the_view_in_a_fresh_session(started):
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=TIMEOUT)
    assert search(duo) == ""  # defaults: a clean URL
    open_tab(duo, "Survival")
    wait_search(duo, "tab=survival")
    # Group by center, endpoint "cumulative incidence", no CI band, one center unticked.
    js_click(duo, duo.find_elements(f"#{ids.SURV_ENDPOINT} input")[1])
    wait_search(duo, "endpoint=cif")
    duo.find_element(f"#{ids.SURV_GROUP}").click()
    option = [
        o
        for o in duo.find_elements(f"#{ids.SURV_GROUP} [role=option], .dash-dropdown-option")
        if o.text == "Center"
    ]
    js_click(duo, option[0]) if option else None
    wait_search(duo, "group=center")
    js_click(duo, duo.find_element(f"#{ids.SURV_CI}"))
    wait_search(duo, "ci=0")
    # The figure is redrawn after each change, later than the URL and the counts: wait for it
    # to show the settings, then for the filter's redraw, so that what is compared is the
    # figure of the final state (on a busy machine a redraw can take longer than `settled`'s
    # quiet time).
    wait_until(
        lambda d=duo.driver: all(w in figure_heading(duo) for w in ("CI hidden", "by center")),
        timeout=TIMEOUT,
        msg=lambda: f"the figure does not show the settings: {figure_heading(duo)!r}",
    )
    unfiltered = settled(lambda: figure_heading(duo))
    js_click(duo, duo.find_elements(f"#{ids.FILTER_CENTER} input")[0])
    wait_search(duo, "center=")
    wait_until(
        lambda d=duo.driver: duo.find_element(".selected-n").text != "40",
        timeout=TIMEOUT,
        msg="filter not applied",
    )
    wait_until(
        lambda d=duo.driver: figure_heading(duo) != unfiltered,
        timeout=TIMEOUT,
        msg="the figure was not redrawn for the filter",
    )
    before = settled(lambda: view_state(duo), quiet=1.5)
    assert before["title"] and before["count"] != "40"
    url = duo.driver.current_url
    assert "tab=survival" in url and "group=center" in url

    # A fresh session: no cookies, no storage, the link only.
    duo.driver.get("about:blank")
    duo.driver.delete_all_cookies()
    duo.driver.get(url.split("?")[0])
    duo.driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
    duo.driver.get(url)
    duo.wait_for_element(f"#{ids.SURV_GRAPH} .main-svg", timeout=TIMEOUT)
    duo.wait_for_text_to_equal(".selected-n", before["count"], timeout=TIMEOUT)
    wait_until(
        lambda d=duo.driver: figure_title(duo, ids.SURV_GRAPH) == before["title"],
        timeout=TIMEOUT,
        msg=lambda: f"figure title differs: {view_state(duo)!r} != {before!r}",
    )
    after = settled(lambda: view_state(duo))
    assert after == before
    assert duo.driver.current_url == url  # the URL is not rewritten differently
    assert (
        not duo.find_element(f"#{ids.SHARE_NOTICE}").is_displayed()
        if duo.find_elements(f"#{ids.SHARE_NOTICE}")
        else True
    )
    assert duo.get_logs() == []


def checked(duo, radio_id: str) -> list[str]:
    return duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{radio_id} input:checked'))"
        ".map(i => i.value);"
    )


def settled_search(duo, expected: str) -> None:
    """The URL shows `expected` and keeps it (no write follows the restored state)."""
    wait_until(
        lambda d=duo.driver: search(duo) == expected,
        timeout=TIMEOUT,
        msg=f"URL {search(duo)!r}, expected {expected!r}",
    )
    assert settled(lambda: search(duo)) == expected


def test_back_and_forward_restore_the_controls(started):
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=TIMEOUT)
    open_tab(duo, "Survival")
    wait_search(duo, "tab=survival")
    js_click(duo, duo.find_elements(f"#{ids.SURV_ENDPOINT} input")[1])
    wait_search(duo, "endpoint=cif")
    with_cif = search(duo)
    js_click(duo, duo.find_element(f"#{ids.SURV_CI}"))
    wait_search(duo, "ci=0")
    without_band = search(duo)

    duo.driver.back()  # the band comes back, the endpoint stays
    wait_until(
        lambda d=duo.driver: d.execute_script(
            f"return document.querySelector('#{ids.SURV_CI}').checked"
        ),
        timeout=TIMEOUT,
        msg="the CI band switch was not restored",
    )
    settled_search(duo, with_cif)
    assert checked(duo, ids.SURV_ENDPOINT) == ["cif"]
    duo.driver.back()  # the default endpoint; the tab stays
    wait_until(
        lambda d=duo.driver: checked(duo, ids.SURV_ENDPOINT) == ["os"],
        timeout=TIMEOUT,
        msg="the endpoint was not restored",
    )
    settled_search(duo, "?tab=survival")
    # Forward still leads on: Back pushed no new history entry.
    duo.driver.forward()
    duo.driver.forward()
    wait_until(
        lambda d=duo.driver: (
            checked(duo, ids.SURV_ENDPOINT) == ["cif"]
            and not d.execute_script(f"return document.querySelector('#{ids.SURV_CI}').checked")
        ),
        timeout=TIMEOUT,
        msg="Forward did not restore the endpoint and the band",
    )
    settled_search(duo, without_band)
    assert duo.get_logs() == []


def test_bad_parameters_show_a_notice_not_an_error(started):
    duo = started
    base = duo.driver.current_url.split("?")[0]
    duo.driver.get(base + "?tab=survival&measure=NOPE&center=Atlantis&age=x&foo=1")
    duo.wait_for_contains_text(
        f"#{ids.SHARE_NOTICE}", "Parts of this link were ignored", timeout=TIMEOUT
    )
    text = duo.find_element(f"#{ids.SHARE_NOTICE}").text
    # "measure" is not a control of the survival view: ignored as a whole, and said
    for part in ("“measure”", "Atlantis", "foo"):
        assert part in text
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=TIMEOUT)
    assert "Survival" in duo.driver.execute_script(
        f"return document.querySelector('#{ids.TABS} a.active').textContent"
    )
    # Dismissible.
    js_click(duo, duo.find_element(f"#{ids.SHARE_NOTICE} .btn-close"))
    wait_until(
        lambda d=duo.driver: not d.find_elements(By.CSS_SELECTOR, f"#{ids.SHARE_NOTICE}.show"),
        timeout=TIMEOUT,
        msg="notice not dismissed",
    )


def slide_title(duo) -> str:
    return duo.find_element(".present-title").text


def test_presenter_pins_two_views_and_steps_with_the_keyboard(started, tmp_path):
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=TIMEOUT)
    wait_until(
        lambda d=duo.driver: figure_title(duo, ids.TRAJ_GRAPH), timeout=TIMEOUT, msg="no figure"
    )
    traj_title = figure_title(duo, ids.TRAJ_GRAPH)
    takeaway = "SLEDAI falls in responders by month 3"
    duo.find_element(f"#{ids.PIN_TAKEAWAY}").send_keys(takeaway)
    js_click(duo, duo.find_element(f"#{ids.PIN_BUTTON}"))
    duo.wait_for_text_to_equal(f"#{ids.PIN_COUNT}", "1 pinned", timeout=TIMEOUT)
    open_tab(duo, "Survival")
    wait_until(
        lambda d=duo.driver: figure_title(duo, ids.SURV_GRAPH), timeout=TIMEOUT, msg="no figure"
    )
    surv_title = figure_title(duo, ids.SURV_GRAPH)
    js_click(duo, duo.find_element(f"#{ids.PIN_BUTTON}"))
    duo.wait_for_text_to_equal(f"#{ids.PIN_COUNT}", "2 pinned", timeout=TIMEOUT)

    plain = lambda t: t.replace("<br>", " · ").split("<")[0].strip()  # noqa: E731
    js_click(duo, duo.find_element(f"#{ids.PRESENT_PINNED}"))
    duo.wait_for_element(".present-modal.show .present-title", timeout=TIMEOUT)
    duo.wait_for_text_to_equal(f"#{ids.PRESENT_COUNTER}", "1 / 2", timeout=TIMEOUT)
    assert slide_title(duo).startswith(plain(traj_title)[:20])
    duo.wait_for_text_to_equal(".present-takeaway", takeaway, timeout=TIMEOUT)
    assert duo.find_element(".present-footer").text.startswith("n = 40 of 40 patients")
    # The figure, rendered in the browser, fills the slide's body.
    wait_until(
        lambda d=duo.driver: (
            duo.find_element(f"#{ids.PRESENT_IMAGE}").get_attribute("src") or ""
        ).startswith("data:image/svg"),
        timeout=TIMEOUT,
        msg="the slide's figure was not rendered",
    )
    fill = duo.driver.execute_script(
        "const img = document.getElementById(arguments[0]);"
        "const body = img.parentElement.getBoundingClientRect();"
        "return [img.naturalWidth / img.naturalHeight, body.width / body.height,"
        " body.width / window.innerWidth, body.height / window.innerHeight];",
        ids.PRESENT_IMAGE,
    )
    assert abs(fill[0] - fill[1]) < 0.05  # drawn for the body's shape: no letterbox
    assert fill[2] > 0.9 and fill[3] > 0.5
    ActionChains(duo.driver).send_keys(Keys.ARROW_RIGHT).perform()
    duo.wait_for_text_to_equal(f"#{ids.PRESENT_COUNTER}", "2 / 2", timeout=TIMEOUT)
    wait_until(
        lambda d=duo.driver: slide_title(duo).startswith(plain(surv_title)[:15]),
        timeout=TIMEOUT,
        msg="second slide title",
    )
    ActionChains(duo.driver).send_keys(Keys.ARROW_LEFT).perform()
    duo.wait_for_text_to_equal(f"#{ids.PRESENT_COUNTER}", "1 / 2", timeout=TIMEOUT)
    ActionChains(duo.driver).send_keys(Keys.ESCAPE).perform()
    wait_until(
        lambda d=duo.driver: not d.find_elements(By.CSS_SELECTOR, ".present-modal.show"),
        timeout=TIMEOUT,
        msg="Esc did not leave presenter mode",
    )

    # The pinned list survives a reload (local storage).
    duo.driver.refresh()
    duo.wait_for_text_to_equal(f"#{ids.PIN_COUNT}", "2 pinned", timeout=TIMEOUT)

    # The pinned deck as one PowerPoint file.
    js_click(duo, duo.find_element(f"#{ids.PIN_PPTX}"))
    deck = downloaded(duo.download_path, "pinned_slides_*.pptx")
    from pptx import Presentation

    prs = Presentation(io.BytesIO(deck.read_bytes()))
    titles = [s.shapes.title.text for s in list(prs.slides)[1:]]
    assert len(prs.slides) == 3  # title slide + two views
    assert titles[0].startswith(plain(traj_title)[:20])
    assert titles[1].startswith(plain(surv_title)[:15])
    for s in list(prs.slides)[1:]:  # a picture per figure slide
        assert sum(shape.shape_type == 13 for shape in s.shapes) == 1
    texts = [sh.text_frame.text for sh in prs.slides[1].shapes if sh.has_text_frame]
    assert takeaway in texts
    assert duo.get_logs() == []


def test_slides_link_opens_presenter_mode(started, demo_trial):
    from components.shell import share
    from components.shell.presenter import current_spec
    from components.state import urlstate as us

    duo = started
    sch = share.schema(demo_trial)
    base = sch.default_values()
    specs = [
        current_spec({**base, ids.TABS: ids.TAB_SURVIVAL, ids.SURV_GROUP: "center"}),
        current_spec({**base, ids.TRAJ_MEASURE: "bilag"}),
    ]
    url = duo.driver.current_url.split("?")[0] + f"?slides={us.encode_slides(specs, sch)}&present=1"
    duo.driver.get(url)
    duo.wait_for_element(".present-modal.show .present-title", timeout=TIMEOUT)
    duo.wait_for_text_to_equal(f"#{ids.PRESENT_COUNTER}", "1 / 2", timeout=TIMEOUT)
    duo.wait_for_text_to_equal(f"#{ids.PIN_COUNT}", "2 pinned", timeout=TIMEOUT)
    assert "Overall survival" in slide_title(duo) or "survival" in slide_title(duo).lower()
    assert duo.get_logs() == []
