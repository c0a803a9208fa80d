"""One selection everywhere (issue 16): with patients selected (the linked selection), the
counts, the Survival and Effects tabs, Tables and exports are of the selected patients; the
Patients tab shows every patient and says why. Expectations are counted from the patients
frame directly, not from the code under test."""

from __future__ import annotations

from datetime import date

import pytest

from app import create_app
from components import ids
from components.export.build import build_view
from components.shell import presenter
from components.state import urlstate as us
from components.state.filters import FILTER_INPUTS
from components.state.viewspec import ViewSpec, spec_from_state
from components.views import cards, effects, filters, patients, response, survival, tables

from conftest import page_components

TODAY = date(2026, 1, 1)
MONTH_12_DAY = 12 * 365.25 / 12


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


@pytest.fixture(scope="module")
def layout(app):
    return page_components(app)


def filter_values(layout) -> list:
    return [getattr(layout[i.component_id], i.component_property) for i in FILTER_INPUTS]


@pytest.fixture(scope="module")
def chosen(demo_trial) -> list[str]:
    """Every patient who died plus the first four who did not: a selection whose survival
    differs from the whole trial's."""
    p = demo_trial.patients
    dead = p.loc[p["death"].astype(bool), "patient_id"].astype(str).tolist()
    alive = p.loc[~p["death"].astype(bool), "patient_id"].astype(str).tolist()[:4]
    assert dead, "the demo has deaths"
    return dead + alive


def deaths_by_month_12(trial, selected) -> int:
    p = trial.patients
    sel = p[p["patient_id"].astype(str).isin(selected)]
    days = sel.loc[sel["death"].astype(bool), "death_day"].astype(float)
    # No death near the boundary: the count does not depend on how a month is defined.
    assert not ((days > 360) & (days < 370)).any()
    return int((days <= MONTH_12_DAY).sum())


def test_survival_counts_follow_the_selection(app, layout, demo_trial, chosen):
    n = len(chosen)
    d12 = deaths_by_month_12(demo_trial, chosen)
    effect_values = [layout[i].value for i in survival.EFFECT_IDS]
    with app.server.test_request_context():
        args = (ids.TAB_SURVIVAL, "os", "day0", "none", "months", True)
        fig_all, _, summary_all, *_ = survival.update_survival(
            *args, *filter_values(layout), *effect_values, []
        )
        fig, _, summary, *_ = survival.update_survival(
            *args, *filter_values(layout), *effect_values, chosen
        )
    assert f"of {len(demo_trial.patients)} alive" in summary_all[0].children
    assert summary[0].children.startswith(f"{n - d12} of {n} alive at 12 months")
    assert f"{n} patients" in fig.layout.title.text
    assert f"{n} selected patients" in fig.layout.title.subtitle.text
    at_risk = [t for t in fig.data if t.mode == "text" and "At risk" in (t.name or "")]
    assert sum(int(t.text[0]) for t in at_risk) == n


def test_effects_counts_follow_the_selection(app, layout, demo_trial, chosen):
    controls = [layout[i].value for i in effects.CONTROL_IDS]
    with app.server.test_request_context():
        fig_all, *_ = effects.update_effects(ids.TAB_EFFECTS, *controls, *filter_values(layout))
        fig, *_ = effects.update_effects(ids.TAB_EFFECTS, *controls, *filter_values(layout), chosen)
    assert f"<br>{len(demo_trial.patients)} patients" in fig_all.layout.title.subtitle.text
    assert f"<br>{len(chosen)} patients" in fig.layout.title.subtitle.text
    assert f"{len(chosen)} selected patients" in fig.layout.title.subtitle.text


def test_count_boxes_and_tables_follow_the_selection(app, layout, demo_trial, chosen):
    p = demo_trial.patients
    sel = p[p["patient_id"].astype(str).isin(chosen)]
    with app.server.test_request_context():
        box = cards.update_cards(*filter_values(layout), chosen)
        count = filters.update_selected_count(*filter_values(layout), chosen)
        *frames, note = tables.update_tables(ids.TAB_TABLES, *filter_values(layout), chosen)
    values = [c.children.children.children[1].children for c in box.children]
    assert values[0] == str(len(chosen))
    assert values[2] == str(int((sel["response"] == "MCR").sum()))
    assert count[0].children == str(len(chosen))
    assert f"{len(chosen)} selected patients" in count[2].children
    assert str(len(chosen)) in str(note)


def test_exports_and_pins_carry_the_selection(demo_trial, chosen):
    views = (
        ids.VIEW_SURVIVAL,
        ids.VIEW_TABLES,
        ids.VIEW_EFFECTS,
        ids.VIEW_PATIENTS,
        ids.VIEW_RESPONSE,
    )
    for view in views:
        ev = build_view(demo_trial, ViewSpec(view, {}, {ids.SELECTION_STORE: chosen}), TODAY)
        assert ev.n == len(chosen), view
        assert any(f"{len(chosen)} selected patients" in x for x in ev.footnote), view


def test_a_pinned_slide_keeps_its_selection_through_the_link(app, demo_trial, chosen):
    with app.server.test_request_context():
        schema = us.Schema()
        spec = ViewSpec(ids.VIEW_SURVIVAL, {}, {ids.SELECTION_STORE: chosen}).to_dict()
        text = us.encode_slides([spec], schema)
        known = demo_trial.patients["patient_id"].astype(str)
        (back,), notices = us.decode_slides(text, schema, known)
    assert back["filters"][ids.SELECTION_STORE] == chosen and not notices


def test_the_patients_tab_can_be_pinned_and_presented(demo_trial, chosen):
    assert presenter.presentable(ids.TAB_PATIENTS) == (False, False)
    spec = spec_from_state({ids.TABS: ids.TAB_PATIENTS, ids.SELECTION_STORE: chosen})
    assert spec is not None and spec.view == ids.VIEW_PATIENTS
    ev = build_view(demo_trial, spec, TODAY)
    ((caption, table),) = ev.tables
    assert sorted(ev.numbers["Patient"]) == sorted(chosen)
    assert len(table) <= 14 and str(len(chosen)) in caption


def test_the_patients_tab_says_it_shows_everyone_and_why(app, layout, demo_trial, chosen):
    with app.server.test_request_context():
        rows, _ = patients.update_patient_list("", *filter_values(layout))
        said = patients.update_selection_note(chosen)
    assert len(rows) == len(demo_trial.patients)  # not only the selected
    assert said.startswith(f"{len(chosen)} patients selected") and "all patients" in said
    assert patients.selection_note([]) == ""


def drawn_patients(fig) -> set[str]:
    """The patient of every bar (customdata's first value)."""
    return {str(row[0]) for t in fig.data if t.customdata is not None for row in t.customdata}


def test_the_response_tab_follows_the_selection(app, layout, demo_trial, chosen):
    controls = [layout[i].value for i in response.CONTROL_IDS]
    with app.server.test_request_context():
        fig_all, *_ = response.update_response(ids.TAB_RESPONSE, *controls, *filter_values(layout))
        fig, *_ = response.update_response(
            ids.TAB_RESPONSE, *controls, *filter_values(layout), chosen
        )
    drawn = drawn_patients(fig)
    assert drawn and drawn <= set(chosen)
    assert len(drawn_patients(fig_all)) > len(chosen)
    assert f"of {len(chosen)} patients drawn" in fig.layout.title.subtitle.text
