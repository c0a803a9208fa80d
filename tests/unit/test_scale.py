"""Views stay bounded on large trials: the list and the swimmer plot sample, and say so."""

import pytest

from app import create_app
from components.figures.cohort import (
    MAX_LIST_ROWS,
    MAX_SWIMMER_PATIENTS,
    capped,
    search_patients,
    swimmer_figure,
)
from components.figures.trajectory import (
    MARK_LINE_PX,
    SINGLE_PLOT_PX,
    TrajectoryOptions,
    center_and_bounds,
    mark_stack,
    trajectory_view,
)
from components.state.filters import FILTER_INPUTS
from components.views import patients as patient_list
from trial.analysis.cohort import Cohort
from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
from trial.filters import PatientFilter
from trial.loader import load_trial
from trial.simulate import write_simulation

from conftest import page_components, trajectory_view_of

N = 3000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    write_simulation(folder, N, 6, seed=5)
    return load_trial(folder)


def untouched_filters(app):
    layout = page_components(app)
    return [getattr(layout[i.component_id], i.component_property) for i in FILTER_INPUTS]


def test_patient_list_is_capped_with_a_note_and_search_reaches_everyone(big):
    app = create_app(big)
    values = untouched_filters(app)
    with app.server.test_request_context():
        rows, note = patient_list.update_patient_list("", *values)
        assert len(rows) == MAX_LIST_ROWS
        assert f"{MAX_LIST_ROWS:,} of {N:,}" in note
        shown = {r["patient_id"] for r in rows}
        hidden = next(p for p in big.patients["patient_id"] if p not in shown)
        rows, note = patient_list.update_patient_list(hidden, *values)
        assert [r["patient_id"] for r in rows] == [hidden] and note == ""


def test_swimmer_samples_but_keeps_selected_patients(big):
    chosen = list(big.patients["patient_id"].iloc[-3:])
    fig = swimmer_figure(big.patients, big.events, chosen)
    bars = {pid for t in fig.data if t.type == "bar" for pid in t.customdata}
    assert len(bars) == MAX_SWIMMER_PATIENTS
    assert set(chosen) <= bars
    assert f"of {N:,} patients" in fig.layout.title.text


def test_capped_is_reproducible_and_small_sets_untouched(big):
    a = capped(big.patients, 50)
    b = capped(big.patients, 50)
    assert list(a["patient_id"]) == list(b["patient_id"]) and len(a) == 50
    assert len(capped(big.patients.head(10), 50)) == 10


def test_search_matches_id_center_and_group(big):
    assert (
        len(search_patients(big.patients, "center 02"))
        == (big.patients["center"] == "Center 02").sum()
    )
    assert search_patients(big.patients, "").equals(big.patients)


def test_individual_lines_are_sampled_and_the_figure_says_so(big):
    from components.figures.trajectory import MAX_INDIVIDUAL_PATIENTS

    fig, _, _ = trajectory_view_of(big, None, "sledai", "response", show_individual=True)
    drawn = {p for t in fig.data if t.type == "scattergl" for p in t.customdata if p}
    assert len(drawn) == MAX_INDIVIDUAL_PATIENTS
    assert f"random sample of {MAX_INDIVIDUAL_PATIENTS} of {N:,}" in fig.layout.title.subtitle.text


def test_trajectory_counts_print_thousands_with_separators(big):
    """3,000 patients read "3,000 patients selected" and the n per visit "1,234", as the cards."""
    fig, rows, _ = trajectory_view_of(big, None, "sledai", "none")
    assert f"{N:,} patients selected" in fig.layout.title.subtitle.text
    at_baseline = max(int(r["n"]) for r in rows)
    assert at_baseline >= 1000
    n_row = [a.text for a in fig.layout.annotations if a.xref == "x"]
    assert f"{at_baseline:,}" in n_row
    assert str(at_baseline) not in n_row


def test_tables_print_counts_with_thousands_separators(big):
    from trial.tables import baseline_table

    table = baseline_table(big, big.patients)
    patients = table.loc[table["Characteristic"] == "Patients"].iloc[0]
    assert f"{N:,}" in set(patients.to_numpy())
    female = table.loc[table["Characteristic"].str.startswith("Female")].iloc[0]
    assert any(str(v).count(",") == 1 and str(v).endswith("%)") for v in female.to_numpy())


def test_significance_marks_stay_inside_the_plot_on_a_large_trial(big):
    """Every group is significant at every visit: the y axis reaches far enough above each
    visit's highest bar for its stack of marks (they ran into the subtitle)."""
    result = analyse_trajectories(big, TrajectoryRequest(measure="sledai", group="response"))
    fig = trajectory_view(big, result, TrajectoryOptions()).figure
    reach = fig.layout.yaxis.autorangeoptions.include[0]
    summary = result.panels[0].summary
    stack = mark_stack(summary, "mean_sd")
    assert max(stack["count"].values()) == 3  # all three groups marked at a visit
    _, low, _ = center_and_bounds(summary.loc[summary["n"] > 0], "mean_sd")
    lowest = min(low.min(), *stack["top"].values())
    for month, k in stack["count"].items():
        room_px = (reach - stack["top"][month]) / (reach - lowest) * SINGLE_PLOT_PX
        assert room_px >= k * MARK_LINE_PX - 1e-9, month


def test_no_marks_leave_the_axis_to_plotly(demo_trial):
    one = demo_trial.patients.iloc[:1]["patient_id"].tolist()
    cohort = Cohort(PatientFilter(patient_ids=tuple(one)))
    result = analyse_trajectories(demo_trial, TrajectoryRequest(cohort, measure="sledai"))
    fig = trajectory_view(demo_trial, result, TrajectoryOptions()).figure
    assert fig.layout.yaxis.autorangeoptions.include is None


def test_survival_denominator_prints_thousands_with_separators(big):
    from trial.analysis.survival import denominator

    assert denominator(big.patients, relapse=False) == f"{N:,} patients"
    assert denominator(big.patients, relapse=True).split(" ")[0].count(",") == 1
