"""Small multiples (issue 16): panels of one measure share their y axis, every panel has its
n per visit under it (at 18 px or more on slides), significance marks never overlap, a compact
legend; and p-values written one way everywhere. Expected counts are taken from the
measurements directly."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from components.export import slides
from components.export.build import ExportView
from components.figures import theme
from components.figures.trajectory import (
    MARK_LIFT,
    N_TABLE,
    TrajectoryOptions,
    grid_n_text,
    mark_stack,
    trajectory_view,
)
from trial.analysis.cohort import Cohort
from trial.analysis.display import format_p
from trial.analysis.trajectories import KEY_MEASURES, TrajectoryRequest, analyse_trajectories


def result_of(trial, measure="sledai", group="center+response"):
    return analyse_trajectories(trial, TrajectoryRequest(Cohort(), measure, group))


def figure(trial, measure="sledai", group="center+response", **options):
    result = result_of(trial, measure, group)
    return trajectory_view(trial, result, TrajectoryOptions(**options))


def y_axes(fig) -> list[str]:
    keys = [k for k in fig.layout.to_plotly_json() if k.startswith("yaxis")]
    return sorted(keys, key=lambda k: int(k[5:] or 1))


def test_panels_of_one_measure_share_the_y_axis(demo_trial):
    fig = figure(demo_trial).figure
    axes = y_axes(fig)
    assert len(axes) == len(demo_trial.centers)  # a panel per center
    assert fig.layout[axes[0]].matches is None
    assert all(fig.layout[k].matches == "y" for k in axes[1:])


def test_panels_of_different_measures_keep_their_own_axes(demo_trial):
    fig = figure(demo_trial, KEY_MEASURES, "center+response").figure
    codes = [p.measure.code for p in result_of(demo_trial, KEY_MEASURES).panels]
    first = {}
    for i, (key, code) in enumerate(zip(y_axes(fig), codes), start=1):
        want = first.setdefault(code, "y" if i == 1 else f"y{i}")
        mine = "y" if i == 1 else f"y{i}"
        assert (fig.layout[key].matches or mine) == want, (key, code)
    assert len(set(codes)) > 1 and len({fig.layout[k].matches for k in y_axes(fig)}) > 2


def n_cells(fig) -> dict:
    """{(axis, line label, month): n} of the n tables under the panels."""
    labels = {}
    cells = {}
    for a in fig.layout.annotations:
        if not str(a.name or "").startswith(N_TABLE):
            continue
        line = int(a.name.split(":")[1])
        axis = a.yref.split()[0]
        if a.xref.endswith("domain"):
            labels[(axis, line)] = a.text
        else:
            cells[(axis, line, a.x)] = int(a.text)
    return {(axis, labels[(axis, line)], x): n for (axis, line, x), n in cells.items()}


def test_every_panel_has_the_n_per_visit_counted_from_the_data(demo_trial):
    fig = figure(demo_trial).figure
    cells = n_cells(fig)
    m = demo_trial.measurements
    m = m.loc[(m["measure"] == "sledai") & m["value"].notna()]
    m = m.merge(demo_trial.patients[["patient_id", "center", "response"]], on="patient_id")
    axes = ["y" if i == 0 else f"y{i + 1}" for i in range(len(demo_trial.centers))]
    for axis, center in zip(axes, demo_trial.centers):
        mine = m.loc[m["center"] == center]
        for (group, month), n in (
            mine.groupby(["response", "month"])["patient_id"].nunique().items()
        ):
            assert cells[(axis, group, month)] == n, (center, group, month)
        shown = {(g, x) for (a, g, x) in cells if a == axis}
        assert {g for g, _ in shown} == set(mine["response"])


def test_counts_of_a_registry_are_shown_in_thousands_under_small_panels(demo_trial):
    # Five-digit counts do not fit between two visits a month apart (a screenshot at 100,000
    # patients read "MCR31,944" under baseline): the demo's counts made a thousand times larger
    result = result_of(demo_trial, KEY_MEASURES, "response")
    scaled = [
        dataclasses.replace(p, summary=p.summary.assign(n=p.summary["n"] * 1000 + 444))
        for p in result.panels
    ]
    big = dataclasses.replace(result, panels=tuple(scaled))
    view = trajectory_view(demo_trial, big, TrajectoryOptions())
    table = [a for a in view.figure.layout.annotations if str(a.name or "").startswith(N_TABLE)]
    headers = {a.text for a in table if a.name.endswith(":0")}
    assert headers == {"<b>n (1000s)</b>"}
    cells = [a.text for a in table if not a.xref.endswith("domain")]
    want = {f"{n + 0.444:.1f}" if n < 10 else str(n) for p in result.panels for n in p.summary["n"]}
    assert set(cells) == want and all(len(c) <= 3 for c in cells)
    assert any("in thousands" in note for note in view.notes)
    # the numbers behind the figure keep the exact counts
    assert {r["n"] for r in view.rows} == {int(n) for p in scaled for n in p.summary["n"]}
    # and a trial of the demo's size is counted exactly, with no note about it
    small = trajectory_view(demo_trial, result, TrajectoryOptions())
    assert not any("in thousands" in note for note in small.notes)


def test_small_panel_counts_are_short():
    assert [grid_n_text(n, 1) for n in (0, 7, 999, 9999)] == ["0", "7", "999", "9999"]
    assert [grid_n_text(n, 1000) for n in (444, 9_949, 9_960, 31_944, 123_456, 1_234_567)] == [
        "0.4",
        "9.9",
        "10",
        "32",
        "123",
        "1,235",
    ]


def test_the_n_tables_are_18_px_or_more_on_a_slide(demo_trial):
    v = figure(demo_trial)
    ev = ExportView(
        view="trajectories",
        name="x",
        title="t",
        subtitle="",
        figure=v.figure,
        numbers=pd.DataFrame(),
        footnote=(),
        method=None,
        n=40,
    )
    fig = slides.slide_figure(ev)
    table = [a for a in fig.layout.annotations if str(a.name or "").startswith(N_TABLE)]
    assert table and all(a.font.size >= theme.SLIDE_MIN_TABLE_PX for a in table)
    lines = sorted({int(a.name.split(":")[1]) for a in table})
    shifts = {int(a.name.split(":")[1]): a.yshift for a in table}
    gaps = [shifts[a] - shifts[b] for a, b in zip(lines, lines[1:])]
    assert all(g >= theme.SLIDE_MIN_TABLE_PX for g in gaps)  # lines do not overlap


def test_significance_marks_never_overlap(demo_trial):
    v = figure(demo_trial, "sledai", "response")
    fig = v.figure
    marks = [t for t in fig.data if t.mode == "text" and t.name == "significance"]
    assert len(marks) >= 2  # the demo has visits where several groups differ from baseline
    placed = []  # (visit, y, line)
    for t in marks:
        for x, y, text in zip(t.x, t.y, t.text):
            placed.append((round(x), y, text.count(MARK_LIFT)))
    by_visit: dict = {}
    for visit, y, line in placed:
        by_visit.setdefault(visit, []).append((y, line))
    assert any(len(v) > 1 for v in by_visit.values())
    for visit, at in by_visit.items():
        assert len({y for y, _ in at}) == 1, visit  # one anchor per visit ...
        assert len({line for _, line in at}) == len(at), visit  # ... a line each
    # Marks of neighbouring visits (e.g. 9 and 12 months) are apart by more than a mark's width.
    xa = fig.layout.xaxis
    span = xa.range[1] - xa.range[0]
    width_px = 1200 * (xa.domain[1] - xa.domain[0] if xa.domain else 1)
    visits = sorted(by_visit)
    for a, b in zip(visits, visits[1:]):
        assert (b - a) / span * width_px > 22


def test_mark_stack_puts_every_significant_group_on_its_own_line():
    summary = pd.DataFrame(
        {
            "group": ["A", "B", "C", "A", "B"],
            "month": [9, 9, 9, 12, 12],
            "n": [10] * 5,
            "mean": [1.0, 2.0, 3.0, 1.0, 5.0],
            "sd": [0.5, 0.5, 2.0, 0.1, 0.1],
            "p_adjusted": [0.01, 0.2, 0.03, 0.001, 0.04],
        }
    )
    stack = mark_stack(summary, "mean_sd")
    assert stack["top"][9] == pytest.approx(5.0) and stack["top"][12] == pytest.approx(5.1)
    assert stack["line"] == {("A", 9): 0, ("C", 9): 1, ("A", 12): 0, ("B", 12): 1}


def test_the_legend_is_compact(demo_trial):
    fig = figure(demo_trial).figure
    assert fig.layout.legend.orientation == "h"
    shown = [t for t in fig.data if t.showlegend]
    assert [t.name for t in shown] == ["MCR", "PCR", "NR"]  # each group once


@pytest.mark.parametrize(
    "p, text",
    [
        (0.0004, "p < 0.001"),
        (0.000999, "p < 0.001"),
        (0.001, "p = 0.001"),
        (0.0123, "p = 0.012"),
        (0.5, "p = 0.500"),
        (1.0, "p = 1.000"),
    ],
)
def test_p_values_read_one_way(p, text):
    assert format_p(p) == text
    assert format_p(p, bare=True) == text[2:].removeprefix("= ")


def test_missing_p_values():
    assert format_p(None) == "–" and format_p(math.nan, missing="n/a") == "n/a"


def test_every_p_helper_is_the_one_helper():
    from components.export import notes
    from components.figures import forest, hazard, survival

    for p in (0.0001, 0.0456, 0.3):
        assert survival.p_text(p) == notes.p_value(p) == format_p(p)
        assert forest.p_text(p) == hazard.p_value(p) == format_p(p, bare=True)


def test_hover_text_of_a_trajectory_uses_the_format(demo_trial):
    fig = figure(demo_trial, "sledai", "response").figure
    hovers = [h for t in fig.data if t.hovertext is not None for h in t.hovertext if h]
    with_p = [h for h in hovers if "vs baseline:" in h]
    assert with_p
    assert all(("p < 0.001" in h) or ("p = 0." in h) or ("p = 1.000" in h) for h in with_p)
    assert not any("e-0" in h for h in with_p)  # no 3.2e-05
