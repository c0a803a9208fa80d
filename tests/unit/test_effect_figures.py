"""Pure builders of the new views, on small hand-made results: the forest plot (forest.py), the
hazard-ratio text of the survival view (hazard.py) and the trajectories' faded points, marks
and model means (trajectory.py). No Dash, no browser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.figures import forest as ff
from components.figures import hazard
from components.figures.trajectory import (
    FADED,
    MODEL_SHORT,
    TrajectoryOptions,
    summary_table_rows,
    trajectory_figure,
)
from trial.analysis.cohort import Cohort
from trial.analysis.subgroups import ALL, ForestRequest, ForestResult
from trial.analysis.trajectories import Panel, TrajectoryRequest, TrajectoryResult
from trial.model import Measure, Visit

nan = float("nan")


def forest_result(kind="hr", rows=None, tests=None, null=1.0, reference="Placebo", outcome="os"):
    rows = (
        rows
        if rows is not None
        else pd.DataFrame(
            [
                dict(
                    subgroup=ALL,
                    subgroup_label="All patients",
                    level="All patients",
                    arm="B",
                    reference="Placebo",
                    n=100,
                    events=40,
                    estimate=0.5,
                    lower=0.3,
                    upper=0.8,
                    p=0.004,
                    estimable=True,
                    note="",
                ),
                dict(
                    subgroup="sex",
                    subgroup_label="Sex",
                    level="F",
                    arm="B",
                    reference="Placebo",
                    n=60,
                    events=25,
                    estimate=0.4,
                    lower=0.2,
                    upper=0.9,
                    p=0.02,
                    estimable=True,
                    note="",
                ),
                dict(
                    subgroup="sex",
                    subgroup_label="Sex",
                    level="M",
                    arm="B",
                    reference="Placebo",
                    n=40,
                    events=0,
                    estimate=nan,
                    lower=nan,
                    upper=nan,
                    p=nan,
                    estimable=False,
                    note="no events in 'B' (n=20): the hazard ratio would be 0. More text",
                ),
            ]
        )
    )
    tests = (
        tests
        if tests is not None
        else pd.DataFrame(
            [
                dict(
                    subgroup="sex",
                    subgroup_label="Sex",
                    test="interaction (likelihood ratio, Cox)",
                    statistic=1.2,
                    df=1,
                    p=0.27,
                    note="",
                )
            ]
        )
    )
    return ForestResult(
        ForestRequest(Cohort(), outcome, ("sex",), "arm"),
        "Overall survival",
        kind,
        rows,
        tests,
        100,
        reference,
        null,
    )


@pytest.fixture
def trial(demo_trial):
    """The forest's text reads the outcome's words (deaths, months) from the trial."""
    return demo_trial


def test_forest_lines_headers_levels_and_clickable_rows(trial):
    fig = ff.forest_figure(trial, forest_result(), "t", "s")
    hit = [t for t in fig.data if t.name == "rows"][0]
    # every level line (not the headers) carries its subgroup column and level
    assert [list(c) for c in hit.customdata] == [[ALL, "All patients"], ["sex", "F"], ["sex", "M"]]
    assert fig.layout.hovermode == "y" and hit.marker.opacity == 0
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>Sex</b>" in texts and "interaction p = 0.270" in texts
    assert "0.50 (0.30–0.80)" in texts and "not estimable" in texts
    # the not-estimable line has no square
    shown = [t for t in fig.data if t.name != "rows"]
    assert sum(len(t.x) for t in shown) == 2
    assert fig.layout.xaxis.type == "log"
    line = fig.layout.shapes[0]
    assert line.x0 == line.x1 == 1.0
    assert any("lower hazard than Placebo" in a.text for a in fig.layout.annotations)


def test_forest_single_arm_rates_draw_the_all_patients_line(trial):
    rows = pd.DataFrame(
        [
            dict(
                subgroup=ALL,
                subgroup_label="All patients",
                level="All patients",
                arm="",
                reference="",
                n=40,
                events=3,
                estimate=0.075,
                lower=0.016,
                upper=0.204,
                p=nan,
                estimable=True,
                note="",
                median=nan,
                median_lower=nan,
                median_upper=nan,
            ),
            dict(
                subgroup="sex",
                subgroup_label="Sex",
                level="F",
                arm="",
                reference="",
                n=36,
                events=3,
                estimate=3 / 36,
                lower=0.018,
                upper=0.22,
                p=nan,
                estimable=True,
                note="",
                median=200.0,
                median_lower=100.0,
                median_upper=nan,
            ),
        ]
    )
    tests = pd.DataFrame(
        [
            dict(
                subgroup="sex",
                subgroup_label="Sex",
                test="log-rank across the levels",
                statistic=0.3,
                df=1,
                p=0.56,
                note="",
            )
        ]
    )
    result = forest_result("event_rate", rows, tests, null=0.075, reference=None)
    fig = ff.forest_figure(trial, result, "t", "s")
    texts = [a.text for a in fig.layout.annotations]
    assert "all patients: 7.5 %" in texts and "log-rank p = 0.560" in texts
    assert "not reached" in texts  # median and limits not reached
    assert "6.6 (3.3–not reached)" in texts  # months, limit not reached in full
    assert fig.layout.xaxis.type == "linear" and fig.layout.shapes[0].line.dash == "dash"
    rows_out = ff.table_rows(trial, result)
    assert rows_out[1]["Event rate (95 % CI)"] == "8.3 % (1.8–22.0)"


def test_forest_notes_say_what_a_click_cannot_do(trial):
    view = ff.forest_view(trial, forest_result(), "all patients", ["Race (RACE)"])
    assert any("cannot filter" in n and "Race (RACE)" in n for n in view.notes)
    assert any("exploratory" in n for n in view.notes)
    assert "<b>" not in view.title


@pytest.mark.parametrize(
    "kind,row,text",
    [
        ("hr", dict(estimate=5.026, lower=3.18, upper=7.94, estimable=True), "5.03 (3.18–7.94)"),
        ("hr", dict(estimate=12.34, lower=1.5, upper=101.2, estimable=True), "12.3 (1.50–101)"),
        (
            "rd",
            dict(estimate=0.125, lower=-0.1, upper=0.351, estimable=True),
            "+12.5 (-10.0 to +35.1) pp",
        ),
        (
            "rate",
            dict(estimate=0.6, lower=0.4333, upper=0.7514, estimable=True),
            "60.0 % (43.3–75.1)",
        ),
        ("or", dict(estimate=nan, lower=nan, upper=nan, estimable=False), "not estimable"),
    ],
)
def test_estimate_text(kind, row, text):
    assert ff.estimate_text(kind, row) == text


def test_hazard_ratio_text():
    assert hazard.hr_text(1.5743, 0.1427, 17.368) == "1.57 (0.14–17.4)"
    assert hazard.hr_text(nan, nan, nan) == "not estimable"
    assert hazard.p_value(0.0004) == "< 0.001" and hazard.p_value(0.7109) == "0.711"


# --- Trajectories: faded points, marks after adjustment, the model's means ----------------------

VISITS = (Visit(0, "Baseline", 0), Visit(3, "3 mo", 91), Visit(6, "6 mo", 182))


def trajectory_result(adjust="holm", model=None):
    summary = pd.DataFrame(
        {
            "month": [0, 3, 6],
            "n": [10, 8, 3],
            "mean": [10.0, 7.0, 6.0],
            "sd": [2.0, 2.0, 2.0],
            "ci_low": [9.0, 6.0, 1.0],
            "ci_high": [11.0, 8.0, 11.0],
            "median": [10.0, 7.0, 6.0],
            "q1": [9.0, 6.0, 5.0],
            "q3": [11.0, 8.0, 7.0],
            "n_paired": [0, 8, 3],
            "p_vs_baseline": [nan, 0.01, nan],
            "group": "All",
            "too_few": [False, False, True],
            "p_adjusted": [nan, 0.03, nan],
            "adjustment": adjust,
        }
    )
    values = pd.DataFrame({"patient_id": ["1"], "month": [0], "value": [10.0], "group": "All"})
    measure = Measure("sledai", "SLEDAI", "score")
    panel = Panel("SLEDAI", measure, lambda: values, summary, None, model)
    request = TrajectoryRequest(Cohort(), "sledai", "none", adjust=adjust, model=bool(model))
    return TrajectoryResult(request, ("sledai",), (panel,), 10, ("All",), None)


def test_a_visit_with_fewer_than_six_patients_is_faded_and_not_tested():
    fig = trajectory_figure(
        trajectory_result(), TrajectoryOptions(), {"All": "#222"}, list(VISITS), "t"
    )
    line = [t for t in fig.data if t.mode == "lines+markers"][0]
    assert list(line.marker.opacity) == [1.0, 1.0, FADED]
    assert np.isnan(line.error_y.array[2])  # its bar is drawn apart, faded
    faded = [t for t in fig.data if t.mode == "markers"][0]
    assert list(faded.x) == [6] and faded.opacity == FADED
    marks = [t for t in fig.data if t.mode == "text"][0]
    assert list(marks.x) == [3]  # the adjusted p (0.03) is marked
    assert "Holm-adjusted" in fig.layout.title.subtitle.text
    assert "not tested" in line.hovertext[2]


def test_unadjusted_marks_follow_the_raw_p():
    result = trajectory_result("none")
    result.panels[0].summary["p_adjusted"] = result.panels[0].summary["p_vs_baseline"]
    fig = trajectory_figure(result, TrajectoryOptions(), {"All": "#222"}, list(VISITS), "t")
    assert "(unadjusted)" in fig.layout.title.subtitle.text


def test_model_means_are_drawn_and_listed():
    class Model:
        emm = pd.DataFrame(
            {
                "visit": [0, 3, 6],
                "group": ["All"] * 3,
                "estimate": [10.5, 7.5, 6.5],
                "se": [1.0] * 3,
                "lower": [8.5, 5.5, 4.5],
                "upper": [12.5, 9.5, 8.5],
            }
        )

    result = trajectory_result(model=Model())
    options = TrajectoryOptions(statistic="model")
    fig = trajectory_figure(result, options, {"All": "#222"}, list(VISITS), "t")
    line = [t for t in fig.data if t.mode == "lines+markers"][0]
    assert list(line.y) == [10.5, 7.5, 6.5]
    assert MODEL_SHORT in fig.layout.title.subtitle.text
    rows = summary_table_rows(list(result.panels), options, list(VISITS))
    assert [r["estimate"] for r in rows] == [10.5, 7.5, 6.5]
    assert [r["tested"] for r in rows] == [True, True, False]
