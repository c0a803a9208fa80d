"""Real-browser tests (dash_duo, headless Chromium) of the dashboard on the demo trial."""

from components import ids


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
