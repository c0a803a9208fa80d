"""The dark theme's palette (components/figures/theme.py): WCAG contrast of its colours and of
the colours actually drawn in dark figures (survival, trajectories, patient page), text 4.5:1
and marks or lines 3:1 against the dark background."""

from __future__ import annotations

import pytest

from components.figures import theme
from components.figures.patient import measures_figure, timeline_figure, timeline_of
from components.figures.survival import SurvivalOptions, survival_view
from components.figures.trajectory import TrajectoryOptions, trajectory_view
from trial.analysis.cohort import Cohort
from trial.analysis.patients import group_medians, patient_record, peers_of
from trial.analysis.survival import SurvivalRequest, analyse_survival
from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories

BG = theme.DARK_BG


def wcag(a: str, b: str) -> float:
    """The WCAG 2.x formula written out again, independently of theme.contrast_ratio."""

    def lum(h: str) -> float:
        h = h.lstrip("#")
        vals = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    x, y = sorted((lum(a), lum(b)))
    return (y + 0.05) / (x + 0.05)


def test_contrast_ratio_matches_the_wcag_reference_values():
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#fff", "#fff") == pytest.approx(1.0)
    # #767676 is the lightest grey with 4.5:1 on white (WCAG's own example).
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert theme.contrast_ratio("#777777", "#ffffff") < 4.5
    assert theme.contrast_ratio("rgba(0, 0, 0, 0.5)", "#ffffff") == pytest.approx(21.0)
    for a, b in [("#0072b2", BG), ("#e3e6ea", BG), ("#d55e00", "#ffffff")]:
        assert theme.contrast_ratio(a, b) == pytest.approx(wcag(a, b), rel=1e-3)


def test_every_dark_colour_of_the_palette_is_legible_as_text():
    assert wcag(theme.DARK_INK, BG) >= 4.5
    for light, dark in theme.DARK_COLORS.items():
        assert wcag(dark, BG) >= theme.MIN_TEXT_CONTRAST, (light, dark)
    # Group colours colour text (numbers at risk, n per visit): as drawn dark, 4.5:1 too.
    groups = {*theme.RESPONSE_COLORS.values(), *theme.CENTER_PALETTE, *theme.OKABE_ITO}
    for c in groups:
        drawn = theme.DARK_COLORS.get(theme.hex_color(c), theme.hex_color(c))
        assert wcag(drawn, BG) >= theme.MIN_TEXT_CONTRAST, (c, drawn)


def test_the_map_is_one_to_one_and_reversible():
    both = {**theme.DARK_COLORS, **theme.DARK_GRID_COLORS}
    dark = list(both.values())
    assert len(set(dark)) == len(dark)
    assert not set(dark) & set(both)
    # Gridlines stay in the background: darker than any mark.
    for grid in theme.DARK_GRID_COLORS.values():
        assert wcag(grid, BG) < 1.6
    colors = theme.theme_colors()
    assert all(colors["light"][d] == k for k, d in colors["dark"].items())


def drawn_colours(fig: dict) -> tuple[list, list]:
    """(text colours, mark and line colours) named in a figure's traces and annotations;
    translucent fills (confidence bands) are neither."""
    texts, marks = [], []

    def add(where, value):
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and not (v.startswith("rgba") and not v.endswith(", 1)")):
                where.append(v)

    for t in fig["data"]:
        add(texts, (t.get("textfont") or {}).get("color"))
        add(marks, (t.get("line") or {}).get("color"))
        marker = t.get("marker") or {}
        add(marks, marker.get("color"))
        add(marks, (marker.get("line") or {}).get("color"))
    layout = fig["layout"]
    for a in layout.get("annotations") or []:
        add(texts, (a.get("font") or {}).get("color"))
    for s in layout.get("shapes") or []:
        if (s.get("opacity") or 1) >= 1 and "fillcolor" not in s:
            add(marks, (s.get("line") or {}).get("color"))
    add(texts, (layout.get("font") or {}).get("color"))
    return texts, marks


def assert_legible(fig: dict, what: str) -> None:
    texts, marks = drawn_colours(fig)
    assert texts and marks, what
    for c in texts:
        assert wcag(theme.hex_color(c), BG) >= 4.5, (what, "text", c)
    for c in marks:
        assert wcag(theme.hex_color(c), BG) >= 3.0, (what, "mark", c)
    assert fig["layout"]["paper_bgcolor"] == BG


@pytest.mark.parametrize("group", ["none", "response", "center"])
def test_a_dark_survival_figure_is_legible(demo_trial, group):
    cohort = Cohort()
    result = analyse_survival(demo_trial, SurvivalRequest(cohort, "os", group))
    view = survival_view(demo_trial, result, cohort.patients(demo_trial), "all", SurvivalOptions())
    light_texts, _ = drawn_colours(view.figure.to_plotly_json())
    # The bug this guards against: near-black curve, censor marks and "Number at risk".
    assert any(wcag(theme.hex_color(c), BG) < 4.5 for c in light_texts) or group != "none"
    assert_legible(theme.themed(view.figure), f"survival by {group}")


def test_a_dark_trajectory_figure_is_legible(demo_trial):
    request = TrajectoryRequest(Cohort(), group="center+response")
    view = trajectory_view(
        demo_trial, analyse_trajectories(demo_trial, request), TrajectoryOptions()
    )
    assert_legible(theme.themed(view.figure), "trajectories")


def test_the_patient_pages_dark_figures_are_legible(demo_trial):
    record = patient_record(demo_trial, "9")
    peers = peers_of(demo_trial, record)
    codes = list(demo_trial.measure_codes[:3])
    medians = group_medians(demo_trial, peers.value, peers.column or "response", codes)
    figs = [
        timeline_figure(record, list(demo_trial.study.visits), timeline_of(demo_trial, record)),
        measures_figure(demo_trial, record, medians, codes, peers, "Measures"),
    ]
    for fig in figs:
        dark = theme.dark_figure(fig)
        assert dark.layout.template.layout.paper_bgcolor  # plotly's dark template
        assert_legible(dark.to_plotly_json(), "patient page")
