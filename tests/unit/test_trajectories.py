"""Trajectory view: pure builders and the callback, on the demo trial."""

import pandas as pd
import plotly.graph_objects as go
import pytest

from components.figures.trajectory import center_and_bounds
from components.views.cards import card_specs
from trial.analysis.cohort import BOTH, NO_GROUP, Cohort, group_options
from trial.analysis.trajectories import KEY_MEASURES, TrajectoryRequest, analyse_trajectories
from trial.filters import PatientFilter, select_patients
from trial.stats import measure_values

from conftest import trajectory_view_of

EVERYONE = PatientFilter()
NOBODY = PatientFilter(centers=())
view = trajectory_view_of


def summary_traces(fig: go.Figure) -> list[go.Scatter]:
    return [t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"]


def test_single_measure_by_response_has_one_line_per_group(demo_trial):
    fig, rows, _ = view(demo_trial, EVERYONE, "sledai", "response")
    assert [t.name for t in summary_traces(fig)] == ["MCR", "PCR", "NR"]
    assert {r["group"] for r in rows} == {"MCR", "PCR", "NR"}
    # The n-per-visit rows under the axis add up to the number of patients at baseline.
    baseline_n = sum(r["n"] for r in rows if r["month"] == 0)
    assert baseline_n == len(demo_trial.patients)


def test_long_group_names_put_the_legend_above_so_the_plot_keeps_its_width(demo_trial):
    by_center, _, _ = view(demo_trial, EVERYONE, "sledai", "center")
    assert max(map(len, demo_trial.centers)) > 24
    assert by_center.layout.legend.orientation == "h" and by_center.layout.legend.y > 1
    assert by_center.layout.margin.r == 40
    by_response, _, _ = view(demo_trial, EVERYONE, "sledai", "response")
    assert by_response.layout.legend.orientation == "v"  # short names stay at the side
    assert by_response.layout.legend.title.text == "Responder group"


def test_plotted_means_and_sd_equal_the_summary(demo_trial):
    fig, _, _ = view(demo_trial, EVERYONE, "sledai", NO_GROUP, statistic="mean_sd")
    trace = summary_traces(fig)[0]
    values = demo_trial.measurements.query("measure == 'sledai'")
    by_month = values.groupby("month")["value"]
    assert list(trace.y) == pytest.approx(list(by_month.mean()))
    assert list(trace.error_y.array) == pytest.approx(list(by_month.std()))


def test_significance_stars_mark_p_below_005(demo_trial):
    fig, rows, _ = view(demo_trial, EVERYONE, "sledai", NO_GROUP)
    stars = [t for t in fig.data if t.mode == "text"]
    starred = sorted(round(x) for t in stars for x in t.x)
    significant = sorted(
        r["month"] for r in rows if r["p_vs_baseline"] is not None and r["p_vs_baseline"] < 0.05
    )
    assert starred == significant and starred  # the demo shows significant visits


def test_filters_change_the_figure(demo_trial):
    mcr = select_patients(demo_trial.patients, PatientFilter(responses=("MCR",)))
    _, rows_all, _ = view(demo_trial, EVERYONE, "sledai", NO_GROUP)
    _, rows_mcr, _ = view(demo_trial, PatientFilter(responses=("MCR",)), "sledai", NO_GROUP)
    assert rows_mcr[0]["n"] == len(mcr) < rows_all[0]["n"]


def test_individual_lines_are_one_webgl_trace_per_group_with_patient_ids(demo_trial):
    fig, _, _ = view(demo_trial, EVERYONE, "sledai", "response", show_individual=True)
    lines = [t for t in fig.data if t.type == "scattergl"]
    assert len(lines) == 3
    ids = {p for t in lines for p in t.customdata if p is not None}
    assert ids == set(demo_trial.patients["patient_id"])


def test_population_restricts_proteinuria_to_lupus_nephritis(demo_trial):
    values = measure_values(demo_trial, "proteinuria", demo_trial.patients)
    ln = set(demo_trial.patients.loc[demo_trial.patients["lupus_nephritis"], "patient_id"])
    assert set(values["patient_id"]) <= ln


def test_small_multiples_show_the_key_measures(demo_trial):
    fig, rows, _ = view(demo_trial, EVERYONE, KEY_MEASURES, "response")
    keys = [m.label for m in demo_trial.study.measures if m.key]
    assert [a.text for a in fig.layout.annotations][: len(keys)] == keys
    assert {r["panel"] for r in rows} == set(keys)


def test_center_by_response_facets(demo_trial):
    result = analyse_trajectories(demo_trial, TrajectoryRequest(Cohort(), "sledai", BOTH))
    assert [p.title for p in result.panels] == demo_trial.centers


def test_change_scale_baseline_is_zero(demo_trial):
    _, rows, _ = view(demo_trial, EVERYONE, "c3", NO_GROUP, scale="change")
    assert rows[0]["month"] == 0 and rows[0]["estimate"] == 0


def test_empty_selection_says_so(demo_trial):
    fig, rows, _ = view(demo_trial, NOBODY, "sledai", "response")
    assert rows == [] and "No patients match" in fig.layout.annotations[0].text


def test_unknown_measure_says_so(demo_trial):
    fig, rows, _ = view(demo_trial, EVERYONE, "nope", NO_GROUP)
    assert rows == [] and "not in the dataset" in fig.layout.annotations[0].text


def test_median_iqr_bounds():
    s = pd.DataFrame(
        {
            "median": [2.0],
            "q1": [1.0],
            "q3": [4.0],
            "mean": [0],
            "sd": [0],
            "ci_low": [0],
            "ci_high": [0],
        }
    )
    c, lo, hi = center_and_bounds(s, "median_iqr")
    assert (c[0], lo[0], hi[0]) == (2.0, 1.0, 4.0)


def test_group_options_offer_categorical_patient_columns(demo_trial):
    options = group_options(demo_trial)
    assert {"none", "center", "response", BOTH, "sex", "lupus_nephritis"} <= set(options)
    assert "age" not in options and "patient_id" not in options


def test_cards_follow_the_filter(demo_trial):
    all_cards = {c["title"]: c["value"] for c in card_specs(demo_trial.patients, 40)}
    assert all_cards == {
        "Patients": "40",
        "Alive at 12 months": "37",
        "MCR": "13",
        "PCR": "11",
        "Relapses": "7",
    }
    center = demo_trial.centers[0]
    sub = select_patients(demo_trial.patients, PatientFilter(centers=(center,)))
    cards = {c["title"]: c["value"] for c in card_specs(sub, 40)}
    assert cards["Patients"] == str(len(sub)) != "40"


def test_cards_print_thousands_with_separators(demo_trial):
    """A registry's counts read 1,200, not 1200 (as the Response tab's do)."""
    copies = [
        demo_trial.patients.assign(patient_id=demo_trial.patients["patient_id"] + f"-{k}")
        for k in range(30)
    ]
    many = pd.concat(copies, ignore_index=True)
    cards = {c["title"]: c for c in card_specs(many, len(many))}
    assert cards["Patients"]["value"] == "1,200"
    assert cards["Patients"]["detail"] == "of 1,200 in the trial"
    assert cards["Alive at 12 months"]["value"] == "1,110"  # 30 copies of 37
