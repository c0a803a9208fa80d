"""Real-browser tests (dash_duo, headless Chromium) of the dashboard on the demo trial."""

import pytest

from components import ids

pytestmark = pytest.mark.browser


def card_values(duo) -> list[str]:
    return [e.text for e in duo.find_elements(".card-value")]


def test_page_loads_with_banner_cards_and_figure(started):
    duo = started
    assert "Simulated demo data" in duo.find_element("#honesty-banner").text
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=10)
    assert card_values(duo) == ["40", "37", "13", "11", "7"]
    legend = duo.find_element(f"#{ids.TRAJ_GRAPH} .legend").text
    assert "MCR" in legend and "NR" in legend
    assert duo.get_logs() == []


def test_filter_changes_cards_and_figure(started):
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=10)
    # Untick MCR and PCR: only non-responders remain.
    for box in duo.find_elements(f"#{ids.FILTER_RESPONSE} input")[:2]:
        duo.driver.execute_script("arguments[0].click()", box)
    duo.wait_for_text_to_equal(".selected-n", "16", timeout=10)
    duo.wait_for_text_to_equal(".card-value", "16", timeout=10)
    duo.wait_for_contains_text(f"#{ids.TRAJ_GRAPH} .gtitle", "SLEDAI", timeout=10)
    legend = duo.find_element(f"#{ids.TRAJ_GRAPH} .legend").text
    assert "NR" in legend and "MCR" not in legend
    assert duo.get_logs() == []


def test_change_grouping_to_center(started):
    duo = started
    duo.select_dcc_dropdown(f"#{ids.TRAJ_GROUP}", "Center")
    duo.wait_for_contains_text(f"#{ids.TRAJ_GRAPH} .gtitle", "by center", timeout=10)
    legend = duo.find_element(f"#{ids.TRAJ_GRAPH} .legend").text
    assert "Drum Tower" in legend
    assert duo.get_logs() == []


def luminance(css_color: str) -> float:
    """Relative brightness 0..1 of an "rgb(r, g, b)" / "rgba(...)" colour."""
    r, g, b = (float(x) for x in css_color[css_color.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme_darkens_dropdowns_and_their_menus(started):
    duo = started
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{ids.THEME_SWITCH}"))
    duo.wait_for_class_to_equal(
        f"#{ids.APP_CONTAINER}", "app-container theme-dark container-fluid", timeout=10
    )
    duo.find_element(f"#{ids.TRAJ_GROUP}").click()  # the menu is a portal on <body>
    option = duo.wait_for_element(".dash-dropdown-content .dash-dropdown-option", timeout=10)
    style = "return getComputedStyle(arguments[0])[arguments[1]]"
    for element in (
        duo.find_element(f"#{ids.TRAJ_GROUP}"),
        duo.find_element(".dash-dropdown-content"),
    ):
        assert luminance(duo.driver.execute_script(style, element, "backgroundColor")) < 0.25
    assert luminance(duo.driver.execute_script(style, option, "color")) > 0.6
    assert duo.get_logs() == []
