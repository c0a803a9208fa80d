"""The Effects tab and the new controls of the Survival and Trajectories tabs: callbacks called
directly inside a request of an app built on the demo trial (and the CDISC pilot); the numbers
themselves are checked against R in tests/unit/test_effects.py."""

from __future__ import annotations

import dataclasses

import pytest
from dash import no_update

from app import create_app
from components import ids
from components.export import build
from components.state import filters as filters_state
from components.state import urlstate as us
from components.state.filters import FILTER_INPUTS, filter_choices, filter_from_values
from components.state.viewspec import ViewSpec
from components.views import effects, filters, survival, trajectories
from trial.analysis.subgroups import AGE_GROUP
from trial.filters import select_patients
from trial.loader import load_trial

from conftest import page_components

TODAY = __import__("datetime").date(2026, 1, 1)


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


@pytest.fixture(scope="module")
def layout(app):
    return page_components(app)


def filter_values(layout) -> list:
    return [getattr(layout[i.component_id], i.component_property) for i in FILTER_INPUTS]


def controls(layout) -> list:
    return [layout[i].value for i in effects.CONTROL_IDS]


def test_effects_tab_shows_the_forest_of_the_default_subgroups(app, layout):
    assert layout[ids.EFFECTS_SUBGROUPS].value == ["center", "sex", "lupus_nephritis", AGE_GROUP]
    with app.server.test_request_context():
        fig, notes, table, _ = effects.update_effects(
            ids.TAB_EFFECTS, *controls(layout), *filter_values(layout)
        )
    hit = [t for t in fig.data if t.name == "rows"][0]
    assert len(hit.customdata) == 1 + 4 + 2 + 2 + 2  # all patients + the levels
    assert fig.layout.title.text == "Response (MCR or PCR): response rate by subgroup (single arm)"
    assert any("Single arm" in str(n.children) for n in notes)
    assert "Drum Tower" in str(table)


def test_a_click_on_a_line_sets_that_subgroups_filter_and_nothing_else(app, demo_trial):
    with app.server.test_request_context():
        out = effects.filter_to_clicked({"points": [{"customdata": ["sex", "F"]}]})
        *values, said = out
        assert values[effects.FILTER_OUTPUTS.index(ids.FILTER_SEX)] == ["F"]
        assert sum(v is not no_update for v in values) == 1
        assert "Sex: F" in said
        ln = effects.filter_to_clicked(
            {"points": [{"customdata": ["lupus_nephritis", "Lupus nephritis: no"]}]}
        )
        assert ln[effects.FILTER_OUTPUTS.index(ids.FILTER_LN)] == "no"
        center = demo_trial.centers[1]
        c = effects.filter_to_clicked({"points": [{"customdata": ["center", center]}]})
        assert c[effects.FILTER_OUTPUTS.index(ids.FILTER_CENTER)] == [center]
        nothing = effects.filter_to_clicked({"points": [{"customdata": ["death", "Death: no"]}]})
        assert all(v is no_update for v in nothing[:-1]) and "no filter" in nothing[-1]
        assert effects.filter_to_clicked(None) == (no_update,) * (len(effects.FILTER_OUTPUTS) + 1)


def test_the_age_group_line_selects_the_same_patients_as_the_forest_counts(app, layout, demo_trial):
    with app.server.test_request_context():
        fig, *_ = effects.update_effects(
            ids.TAB_EFFECTS, "os", [AGE_GROUP], "none", None, "rd", *filter_values(layout)
        )
        hit = [t for t in fig.data if t.name == "rows"][0]
        level = [c for c in hit.customdata if c[0] == AGE_GROUP][1]  # "Age > cut"
        out = effects.filter_to_clicked({"points": [{"customdata": list(level)}]})
    values = filter_values(layout)
    values[
        FILTER_INPUTS.index(next(i for i in FILTER_INPUTS if i.component_id == ids.FILTER_AGE))
    ] = out[effects.FILTER_OUTPUTS.index(ids.FILTER_AGE)]
    flt = filter_from_values(*values, choices=filter_choices(demo_trial))
    chosen = select_patients(demo_trial.patients, flt)
    cut = int(demo_trial.patients["age"].median())
    assert len(chosen) == int((demo_trial.patients["age"] > cut).sum())
    with app.server.test_request_context():
        count = filters.update_selected_count(*values)
    assert count[0].children == str(len(chosen))


def test_the_pilot_forest_compares_the_arms_with_the_datas_labels(shared_data):
    pilot = load_trial(shared_data / "cdiscpilot01")
    app = create_app(pilot)
    layout = page_components(app)
    assert layout[ids.EFFECTS_OUTCOME].value == "tte:TTDE"
    assert layout[ids.EFFECTS_COMPARE].value == "arm"
    assert layout[ids.EFFECTS_REFERENCE].value == "Placebo"
    with app.server.test_request_context():
        fig, notes, table, _ = effects.update_effects(
            ids.TAB_EFFECTS, *controls(layout), *filter_values(layout)
        )
        options, value, disabled, measures = effects.update_reference(
            "arm", "tte:TTDE", "Xanomeline Low Dose"
        )
    text = fig.layout.title.text + fig.layout.title.subtitle.text
    assert "Time to First Dermatologic Event" in text and "Placebo" in text
    assert "lupus" not in str(fig.to_dict()).lower()
    assert any("cannot filter" in str(n.children) for n in notes)  # AGEGR1, RACE
    assert value == "Xanomeline Low Dose" and not disabled and len(options) == 3
    assert all(m["disabled"] for m in measures)  # no response in the pilot


def test_survival_tab_shows_hazard_ratios_and_the_guarantee_time_warning(app, layout):
    values = filter_values(layout)
    with app.server.test_request_context():
        out = survival.update_survival(
            ids.TAB_SURVIVAL, "os", "day0", "response", "months", True, *values
        )
        warning, panel = out[7], out[8]
        assert "guarantee-time" in str(warning)
        assert "1.57 (0.14–17.4)" in str(panel) and "cox.zph" in str(panel)
        # with the landmark: no warning but what the landmark left out
        lm = survival.update_survival(
            ids.TAB_SURVIVAL,
            "os",
            "day0",
            "response",
            "months",
            True,
            *values,
            None,
            False,
            [],
            "3",
        )
        assert "Landmark at month 3" in str(lm[7]) and "guarantee-time" not in str(lm[7])
        assert "since the landmark (month 3)" in lm[0].layout.xaxis.title.text
        # the medians say "not reached", never "NR" (the no-response group)
        assert "not reached" in str(out[3])


def test_relapse_view_shows_grays_test_and_the_published_counts(app, layout):
    with app.server.test_request_context():
        out = survival.update_survival(
            ids.TAB_SURVIVAL, "cif", "day0", "center", "months", True, *filter_values(layout)
        )
    assert "Gray's test" in str(out[2]) and "cause-specific hazard" in str(out[2])
    published = str(out[9])
    assert "published 3 of 24" in published and "published 4 of 24" in published
    assert "26.1 %" in published and "16.7 %" in published


def test_effect_controls_follow_the_grouping(app, demo_trial):
    with app.server.test_request_context():
        opts, value, landmark = survival.update_effect_controls(
            "os", "day0", "center", "none", None, []
        )
        assert value == demo_trial.centers[0]
        assert all(o["disabled"] for o in landmark if o["value"] != "none")
        opts, value, landmark = survival.update_effect_controls(
            "os", "day0", "response", "6", "PCR", opts
        )
        assert value == "No response by month 6" and opts[0]["value"] == value
        assert not any(o["disabled"] for o in landmark)
        # kept when the landmark option was already there
        _, value, _ = survival.update_effect_controls("os", "day0", "response", "6", "PCR", opts)
        assert value == "PCR"
        # from the response, the response is known at the origin: no landmark
        _, _, landmark = survival.update_effect_controls(
            "cif", "response", "response", "none", None, []
        )
        assert all(o["disabled"] for o in landmark if o["value"] != "none")


def test_trajectories_model_and_adjustment(app, layout):
    with app.server.test_request_context():
        fig, rows, notes = trajectories.update_trajectories(
            ids.TAB_TRAJECTORIES,
            "sledai",
            "response",
            "model",
            "value",
            "paired_t",
            False,
            *filter_values(layout),
            [],
            "hochberg",
        )
    assert "mixed model" in fig.layout.title.subtitle.text
    assert "Hochberg-adjusted" in fig.layout.title.subtitle.text
    mcr = [r for r in rows if r["group"] == "MCR"]
    assert mcr[0]["estimate"] == pytest.approx(12.7)
    assert any("compound symmetry" in str(n.children) for n in notes)


def test_exports_carry_the_hazard_ratios_and_the_forest(demo_trial):
    ev = build.build_view(demo_trial, ViewSpec(ids.VIEW_SURVIVAL, {"group": "response"}), TODAY)
    assert any("Hazard ratio vs MCR" in line for line in ev.footnote)
    assert any("Warning" in line for line in ev.footnote)
    assert any("NR 1.57 (0.14–17.4), p = 0.711" in line for line in ev.footnote)
    numbers = ev.numbers.loc[ev.numbers["section"] == "hazard ratio"].set_index("level")
    assert numbers.loc["NR", "hr"] == pytest.approx(1.574378, rel=1e-6)
    assert any("Cox proportional hazards" in x for x in ev.method.lines)
    assert "CoxPHFitter" in ev.method.snippet
    forest = build.build_view(
        demo_trial,
        ViewSpec(ids.VIEW_EFFECTS, {"subgroups": ["sex", AGE_GROUP], "outcome": "response_rate"}),
        TODAY,
    )
    assert forest.name == "forest_response_rate" and len(forest.numbers) == 5
    assert any("Clopper-Pearson" in x for x in forest.method.lines)
    model = build.build_view(
        demo_trial,
        ViewSpec(
            ids.VIEW_TRAJECTORIES, {"measure": "sledai", "statistic": "model", "adjust": "holm"}
        ),
        TODAY,
    )
    assert any("Holm-adjusted" in line for line in model.footnote)
    assert any("mixed model" in line for line in model.footnote)
    assert "mixedlm" in model.method.snippet


def test_url_carries_the_new_controls(app, demo_trial):
    from components.shell.share import schema

    sch = schema(demo_trial)
    state = {
        ids.TABS: ids.TAB_SURVIVAL,
        ids.SURV_GROUP: "response",
        ids.SURV_REFERENCE: "NR",
        ids.SURV_COVARIATES: ["age", "sex"],
        ids.SURV_STRATA: True,
        ids.SURV_LANDMARK: "3",
        ids.EFFECTS_SUBGROUPS: ["sex"],
        ids.TRAJ_ADJUST: "none",
    }
    query = us.encode_state(state, sch)
    values, notices = us.decode_query(query, sch)
    assert notices == []
    for cid, value in state.items():
        assert (
            sorted(values[cid]) == sorted(value)
            if isinstance(value, list)
            else values[cid] == value
        ), cid
    _, notices = us.decode_query("?tab=survival&reference=" + "x" * 200, sch)
    assert notices


def test_the_filter_choices_are_computed_once_per_dataset(app, demo_trial):
    """In a request, the choices of the request's trial are those kept with its dataset (at
    1,000,000 patients each computation takes 0.7 s, and the forest asked once per subgroup);
    another trial's are computed."""
    with app.server.test_request_context():
        kept = filters_state.current_choices()
        assert filters_state.choices_of(filters_state.current_dataset().trial) is kept
        assert filters_state.filterable(filters_state.current_dataset().trial, "center")
        copy = dataclasses.replace(demo_trial)  # another Trial object of the same data
        other = filters_state.choices_of(copy)
    assert other is not kept
    assert other == kept == filter_choices(copy)
