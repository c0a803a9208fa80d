"""Callbacks called directly, inside a request of an app built on the demo trial."""

import pytest

import app as app_module
from app import create_app
from components import ids
from components.state import filters
from components.views import cards, trajectories
from components.views import filters as sidebar
from trial.model import RESPONSE_GROUPS

ANY = filters.ANY


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


def all_filter_values(trial):
    bounds = filters.age_bounds(trial)
    arms = list(filters.filter_choices(trial).arms)  # the demo has no arm column: []
    return [
        list(trial.centers),
        list(RESPONSE_GROUPS),
        ANY,
        ["F", "M"],
        ANY,
        list(bounds),
        arms,
        filters.DEFAULT,
        filters.DEFAULT,
        {},
    ]


def test_selected_count_follows_filters(app, demo_trial):
    values = all_filter_values(demo_trial)
    with app.server.test_request_context():
        text = sidebar.update_selected_count(*values)
        assert text[0].children == "40"
        values[1] = ["MCR"]
        assert sidebar.update_selected_count(*values)[0].children == "13"


def test_unticking_every_center_selects_nobody(app, demo_trial):
    values = all_filter_values(demo_trial)
    values[0] = []
    with app.server.test_request_context():
        count = sidebar.update_selected_count(*values)
        assert count[0].children == "0" and "center: none" in count[2].children


def test_age_slider_restricts_and_full_range_does_not(app, demo_trial):
    values = all_filter_values(demo_trial)
    with app.server.test_request_context():
        lo, hi = values[5]
        values[5] = [lo, lo + 10]
        n = int(sidebar.update_selected_count(*values)[0].children)
        expected = int(demo_trial.patients["age"].between(lo, lo + 10).sum())
        assert n == expected < 40


def test_trajectory_callback_returns_figure_rows_and_note(app, demo_trial):
    with app.server.test_request_context():
        fig, rows, note = trajectories.update_trajectories(
            ids.TAB_TRAJECTORIES,
            "sledai",
            "center",
            "mean_ci",
            "value",
            "wilcoxon",
            True,
            *all_filter_values(demo_trial),
        )
    assert {r["group"] for r in rows} == set(demo_trial.centers)
    assert "Wilcoxon" in fig.layout.title.subtitle.text
    assert note


def test_cards_callback(app, demo_trial):
    values = all_filter_values(demo_trial)
    values[2] = "yes"  # relapsed only
    with app.server.test_request_context():
        row = cards.update_cards(*values)
    texts = [col.children.children.children[1].children for col in row.children]
    patients, alive, mcr, pcr, relapses = texts
    assert patients == "7" and relapses == "7"
    assert int(mcr) + int(pcr) == 7  # relapses are among responders only
    assert alive == "6"  # patient 9 (recorded as relapsed) died on day 7


def test_reset_restores_everything(app, demo_trial):
    with app.server.test_request_context():
        assert list(sidebar.reset_filters(1)) == all_filter_values(demo_trial)


def test_views_compute_only_while_their_tab_is_shown(app, demo_trial):
    from dash.exceptions import PreventUpdate

    from components.views import patients as patient_list
    from components.views import survival

    values = all_filter_values(demo_trial)
    with app.server.test_request_context():
        with pytest.raises(PreventUpdate):
            trajectories.update_trajectories(
                ids.TAB_SURVIVAL, "sledai", "center", "mean_sd", "value", "paired_t", False, *values
            )
        with pytest.raises(PreventUpdate):
            survival.update_survival(
                ids.TAB_TRAJECTORIES, "os", "day0", "none", "months", True, *values
            )
        with pytest.raises(PreventUpdate):
            patient_list.update_swimmer(ids.TAB_TRAJECTORIES, [], *values)
        assert patient_list.update_swimmer(ids.TAB_PATIENTS, [], *values).data


def test_the_filter_choices_are_computed_once_per_dataset_not_per_page(demo_trial, monkeypatch):
    # 0.7-1.5 s at 1,000,000 patients: the page's filter panel and every callback share them.
    calls = []
    real = filters.filter_choices
    counted = lambda t: calls.append(t) or real(t)  # noqa: E731
    monkeypatch.setattr(filters, "filter_choices", counted)
    for module in (sidebar, app_module):  # any module's own import of it counts too
        monkeypatch.setattr(module, "filter_choices", counted, raising=False)
    app = create_app(demo_trial)
    client = app.server.test_client()
    pages = [client.get("/_dash-layout") for _ in range(3)]
    assert all(p.status_code == 200 for p in pages)
    assert all(f'"{ids.FILTER_CENTER}"' in p.get_data(as_text=True) for p in pages)
    with app.server.test_request_context("/"):  # as every filter callback asks
        assert filters.current_choices().centers == tuple(demo_trial.centers)
    assert len(calls) == 1
