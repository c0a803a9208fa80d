"""Real-browser tests (dash_duo, headless Chromium) of the dashboard on the demo trial."""

import pytest

from components import ids
from components.shell.layout import tab_labels

from conftest import wait_until

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


# The colours the browser computed for the visible figures' text and marks, with the colour
# behind them (the figure's paper, or the page behind the element): [kind, fg, bg, what].
DRAWN_COLOURS_JS = (
    """
function rgb(s) {
  const m = /rgba?\\(([^)]+)\\)/.exec(s || '');
  if (!m) return null;
  const p = m[1].split(',').map(parseFloat);
  return p.length === 4 && p[3] === 0 ? null : p.slice(0, 3);
}
function behind(el) {
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c) return c;
  }
  return [255, 255, 255];
}
const out = [];
for (const gd of document.querySelectorAll('.js-plotly-plot')) {
  if (!gd.offsetParent) continue;
  const paper = rgb(getComputedStyle(gd.querySelector('.main-svg')).backgroundColor)
    || behind(gd);
  for (const t of gd.querySelectorAll('text')) {
    if (!t.textContent.trim() || getComputedStyle(t).display === 'none') continue;
    const fg = rgb(getComputedStyle(t).fill);
    if (fg) out.push(['text', fg, paper, t.textContent.slice(0, 40)]);
  }
  for (const p of gd.querySelectorAll('.scatterlayer path.js-line')) {
    const fg = rgb(getComputedStyle(p).stroke);
    if (fg) out.push(['mark', fg, paper, 'line']);
  }
}
for (const el of document.querySelectorAll('.card-value, .selected-n, #%s .nav-link')) {
  if (!el.offsetParent) continue;
  out.push(['text', rgb(getComputedStyle(el).color), behind(el), el.textContent.slice(0, 40)]);
}
return out;
"""
    % ids.TABS
)


def hex_of(rgb: list[float]) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in rgb)


def illegible(duo) -> list[str]:
    """What the browser draws below WCAG contrast: text 4.5:1, lines and marks 3:1."""
    from components.figures.theme import contrast_ratio

    drawn = duo.driver.execute_script(DRAWN_COLOURS_JS)
    assert len(drawn) > 20, drawn  # the figures are there
    need = {"text": 4.5, "mark": 3.0}
    return [
        f"{kind} {what!r}: {contrast_ratio(hex_of(fg), hex_of(bg)):.2f}:1"
        for kind, fg, bg, what in drawn
        if contrast_ratio(hex_of(fg), hex_of(bg)) < need[kind]
    ]


PAPER_JS = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent)
  .map(g => getComputedStyle(g.querySelector('.main-svg')).backgroundColor);
"""


def dark_figure_shown(duo) -> bool:
    papers = duo.driver.execute_script(PAPER_JS)
    return bool(papers) and all(luminance(p) < 0.25 for p in papers)


def test_dark_theme_contrast_of_what_the_browser_draws(started, demo_trial):
    """Each text and line of the visible figures, the cards and the tabs, as the browser
    computed their colours in the dark theme, against what is behind them."""
    duo = started
    duo.wait_for_text_to_equal(".selected-n", "40", timeout=10)
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{ids.THEME_SWITCH}"))
    duo.wait_for_class_to_equal(
        f"#{ids.APP_CONTAINER}", "app-container theme-dark container-fluid", timeout=10
    )
    labels = tab_labels(demo_trial)
    for tab in (labels[ids.TAB_TRAJECTORIES], labels[ids.TAB_SURVIVAL], "Effects", "Response"):
        link = [a for a in duo.find_elements(f"#{ids.TABS} a") if a.text.startswith(tab)][0]
        duo.driver.execute_script("arguments[0].click()", link)
        # The view drawn, then redrawn dark in the browser (assets/theme.js).
        wait_until(lambda: dark_figure_shown(duo), timeout=15, msg=f"{tab}: no dark figure")
        # A tab's text colour changes with Bootstrap's transition (.nav-link, 0.15 s) when it
        # is clicked: read in the middle of it, it is neither state's (a full run read 4.1:1).
        wait_until(
            lambda: illegible(duo) == [], timeout=5, msg=lambda tab=tab: f"{tab}: {illegible(duo)}"
        )
    assert duo.get_logs() == []
