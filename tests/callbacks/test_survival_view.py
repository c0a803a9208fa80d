"""Survival & relapse view: pure builders on the demo trial, and the callbacks called directly
inside a request of an app built on it. Expected numbers come from the demo data as published
(37 of 40 alive at 12 months; 7 relapses among 24 responders as recorded) and from
trial.survival, which tests/test_survival.py checks against R."""

import contextlib
import dataclasses
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from app import create_app
from components import ids
from components.figures import survival as sfig
from components.figures.survival import (
    SurvivalOptions,
    estimate_rows,
    export_frame,
    patient_rows,
    survival_view,
)
from components.figures.theme import RESPONSE_COLORS
from components.state import filters
from components.views import survival
from trial import survival as sv
from trial.analysis.cohort import Cohort, survival_group_options
from trial.analysis.survival import (
    ENDPOINTS,
    SurvivalRequest,
    analyse_survival,
    axis_ticks,
    endpoint_frame,
    patients_at,
)
from trial.cli import main as cli_main
from trial.filters import PatientFilter
from trial.model import RESPONSE_GROUPS

from conftest import page

ANY = filters.ANY
TWELVE = sv.months_to_days(12)


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


def all_filter_values(trial):
    return [
        list(trial.centers),
        list(RESPONSE_GROUPS),
        ANY,
        ["F", "M"],
        ANY,
        list(filters.age_bounds(trial)),
    ]


def view(
    trial,
    group="none",
    patients=None,
    flt=None,
    endpoint="os",
    origin="day0",
    unit="months",
    show_ci=True,
):
    """The survival view for one state of the controls; `patients`: a trial of these patients
    only (e.g. without some columns)."""
    if patients is not None:
        trial = dataclasses.replace(trial, patients=patients)
    cohort = Cohort(flt or PatientFilter())
    result = analyse_survival(trial, SurvivalRequest(cohort, endpoint, group, origin, unit))
    return survival_view(
        trial, result, cohort.patients(trial), cohort.describe(), SurvivalOptions(show_ci)
    )


def patients_behind(trial, result, day, group):
    """The display rows of the patients behind a clicked point, as the click callback finds
    them."""
    rows = patients_at(trial, result.request, day, group)
    return patient_rows(rows, group, result.request.unit, bool(result.endpoint.tte))


def title(fig) -> str:
    """The figure title as plain text, its two lines joined by " · "."""
    return re.sub(r"<[^>]+>", "", fig.layout.title.text.replace("<br>", " · "))


def steps(fig):
    """The step-curve traces (one per estimable group)."""
    return [
        t
        for t in fig.data
        if t.mode == "lines" and t.line.shape == "hv" and t.hovertext is not None
    ]


def marks(fig, word):
    return [t for t in fig.data if t.mode == "markers" and word in t.name]


def risk_text(fig) -> dict:
    """{trace name: tuple of the numbers under the ticks} of the risk table."""
    return {t.name: tuple(int(v) for v in t.text) for t in fig.data if t.mode == "text"}


# --- Overall survival ---------------------------------------------------------------------------


def test_os_shows_37_of_40_alive_at_12_months(demo_trial):
    v = view(demo_trial)
    assert v.lines[0].startswith("37 of 40 alive at 12 months")
    row = estimate_rows(v.result)[0]
    assert row["12 months (95 % CI)"].startswith("92.5 %")
    assert row["n"] == "40" and row["Deaths"] == "3"
    table = risk_text(v.figure)
    assert table["All: At risk"][-1] == 37 and table["All: Deaths"][-1] == 3
    assert title(v.figure) == "Overall survival · 40 patients · origin: day 0"
    assert "log-log" in v.figure.layout.title.subtitle.text


def test_plotted_curve_and_band_are_the_kaplan_meier_table(demo_trial):
    v = view(demo_trial)
    km = sv.km_table(sv.overall_survival(demo_trial.patients))
    (step,) = steps(v.figure)
    np.testing.assert_allclose(step.y, km["estimate"])
    np.testing.assert_allclose(step.x, sv.days_to_months(km["time"]))
    upper = [t for t in v.figure.data if t.fill == "tonexty"][0]
    np.testing.assert_allclose(upper.y, km["upper"])
    assert "95 % CI" in step.hovertext[1] and "At risk: 40" in step.hovertext[1]


def test_censor_marks_cover_every_censored_patient(demo_trial):
    v = view(demo_trial)
    (censor,) = marks(v.figure, "censored")
    # A click on a mark lists the patients behind it, from the server.
    ids_marked = [
        r["patient_id"]
        for c in censor.customdata
        for r in patients_behind(demo_trial, v.result, float(c[0]), str(c[1]))
        if r["status"] == "censored"
    ]
    survivors = demo_trial.patients.loc[~demo_trial.patients["death"], "patient_id"]
    assert sorted(ids_marked) == sorted(survivors.astype(str))
    assert censor.marker.symbol == "cross-thin"


@pytest.mark.parametrize("unit", ["months", "days"])
def test_risk_table_sits_under_the_ticks_and_matches_trial_survival(demo_trial, unit):
    v = view(demo_trial, "center", unit=unit)
    fig, res = v.figure, v.result
    tickvals = list(fig.layout.xaxis.tickvals)
    for t in fig.data:
        if t.mode == "text":
            assert list(t.x) == pytest.approx(tickvals)
    frame = sv.overall_survival(demo_trial.patients)
    expected = sv.risk_table(frame, res.ticks, group_col="center")
    first = demo_trial.centers[0]
    exp = expected.loc[expected["group"] == first]
    assert risk_text(fig)[f"{first}: At risk"] == tuple(exp["at_risk"])
    assert risk_text(fig)[f"{first}: Censored"] == tuple(exp["censored"])
    if unit == "months":
        assert tickvals == pytest.approx([0, 3, 6, 9, 12])
    else:
        assert tickvals == [0, 90, 180, 270, 360]
        assert list(fig.layout.xaxis.ticktext) == ["0", "90", "180", "270", "360"]


def test_axis_ticks():
    assert axis_ticks(TWELVE + 7, "months") == pytest.approx(sv.month_ticks(TWELVE + 7, 3))
    assert axis_ticks(100, "months") == pytest.approx([sv.months_to_days(m) for m in range(4)])
    assert axis_ticks(282, "days") == [0, 60, 120, 180, 240]


def test_log_rank_by_center_with_descriptive_note(demo_trial):
    v = view(demo_trial, "center")
    expected = sv.logrank(sv.overall_survival(demo_trial.patients), group_col="center")
    assert v.result.test["chi2"] == pytest.approx(expected["chi2"])
    line = sfig.test_line(v.result)
    assert f"χ² = {expected['chi2']:.2f}, df = 3" in line
    assert any("descriptive" in n for n in sfig.notes(v.result))
    assert sfig.test_line(view(demo_trial).result) is None


def test_group_colours_are_the_trajectories_ones_and_stable_under_filters(demo_trial):
    by_response = view(demo_trial, "response")
    assert {t.name.split(" (")[0]: t.line.color for t in steps(by_response.figure)} == {
        g: RESPONSE_COLORS[g] for g in RESPONSE_GROUPS
    }
    centers = demo_trial.centers
    some = PatientFilter(centers=tuple(centers[2:]))
    full, part = view(demo_trial, "center"), view(demo_trial, "center", flt=some)
    assert sfig.colors_of(part.result)[centers[2]] == sfig.colors_of(full.result)[centers[2]]
    assert [t.name.split(" (")[0] for t in steps(part.figure)] == centers[2:]


def test_groups_too_small_are_listed_not_hidden(demo_trial):
    p = demo_trial.patients
    one_pcr = p.loc[
        (p["response"] != "PCR")
        | (p["patient_id"] == p.loc[p["response"] == "PCR", "patient_id"].iloc[0])
    ]
    v = view(demo_trial, "response", one_pcr)
    rows = {r["Group"]: r for r in estimate_rows(v.result)}
    assert rows["PCR"]["Median, months (95 % CI)"] == "n = 1, not estimable"
    assert rows["PCR"]["12 months (95 % CI)"] == "not estimable"
    names = [t.name for t in v.figure.data if t.showlegend is not False]
    assert "PCR (n = 1, not estimable)" in names
    assert "PCR: At risk" in risk_text(v.figure)
    assert v.result.test is not None  # the small group is still in the log-rank test


def test_empty_selection_says_so(demo_trial):
    v = view(demo_trial, flt=PatientFilter(centers=()))
    assert v.result.empty
    assert v.figure.layout.annotations[0].text == "No patients match the filters."
    v = view(demo_trial, flt=PatientFilter(responses=("NR",)), endpoint="cif")
    assert "No responders" in v.figure.layout.annotations[0].text


def test_ci_band_can_be_hidden(demo_trial):
    assert not [t for t in view(demo_trial, show_ci=False).figure.data if t.fill == "tonexty"]


# --- Relapse after response ---------------------------------------------------------------------


def test_relapse_view_reconciles_7_of_24_recorded_with_patient_9(demo_trial, app):
    v = view(demo_trial, endpoint="cif")
    assert title(v.figure) == (
        "Relapse after response, cumulative incidence · "
        "23 responders as analysed (24 as recorded) · "
        "origin: day 0"
    )
    line = v.lines[0]
    assert "6 relapses among 23 responders as analysed" in line
    assert "7 relapses among 24 responders as recorded" in line
    with app.server.test_request_context():
        panel = survival.reconciliation_panel(demo_trial, demo_trial.patients, relapse=True)
    text = str(panel)
    assert "Td(24), Td(23), Td('9')" in text and "Td(7), Td(6), Td('9')" in text
    assert "data-quality warning on patient 9" in text
    assert any(f.patient_id == "9" for f in demo_trial.warnings)


def test_cumulative_incidence_goes_up_with_competing_death_marks(demo_trial):
    v = view(demo_trial, endpoint="cif")
    (step,) = steps(v.figure)
    assert list(step.y) == sorted(step.y) and step.y[0] == 0
    cif = sv.cumulative_incidence(sv.relapse_endpoint(demo_trial.patients))
    np.testing.assert_allclose(step.y, cif["estimate"])
    assert v.figure.layout.yaxis.title.text == "Cumulative incidence of relapse"
    row = estimate_rows(v.result)[0]
    assert row["Relapses"] == "6" and row["12 months (95 % CI)"].startswith("26.1 %")
    assert "Deaths" in " ".join(risk_text(v.figure))


def test_relapse_free_survival_from_response(demo_trial):
    v = view(demo_trial, endpoint="rfs", origin="response", unit="days")
    rel = sv.relapse_endpoint(demo_trial.patients, "response")
    km = sv.km_table(rel, "time", "rfs_event")
    (step,) = steps(v.figure)
    np.testing.assert_allclose(step.x, km["time"])
    assert "origin: date of response" in title(v.figure)
    assert v.figure.layout.xaxis.title.text == "Days since response"
    # beyond the follow-up since response (max 282 days), no 12-month estimate
    assert estimate_rows(v.result)[0]["12 months (95 % CI)"] == "–"


def test_patients_behind_a_step(demo_trial):
    res = view(demo_trial, endpoint="cif").result
    rows = patients_behind(demo_trial, res, 233.0, sv.ALL)
    assert [(r["patient_id"], r["status"]) for r in rows] == [("35", "relapse")]
    assert "day 233" in rows[0]["time"]


def test_endpoint_frames(demo_trial):
    os_ = endpoint_frame(demo_trial, demo_trial.patients, ENDPOINTS["os"])
    assert len(os_) == 40 and os_["status"].isin([0, sv.DEATH]).all()
    cif = endpoint_frame(demo_trial, demo_trial.patients, ENDPOINTS["cif"])
    assert len(cif) == 23 and "9" not in set(cif["patient_id"])
    assert cif["relapse_event"].sum() == 6


def test_export_has_the_risk_table_and_the_estimates(demo_trial):
    out = export_frame(view(demo_trial, "response").result)
    assert set(out["section"]) == {
        "risk table",
        "estimates",
        "hazard ratio",
        "proportional hazards (cox.zph)",
    }
    risk = out.loc[out["section"] == "risk table"]
    assert list(risk.loc[risk["group"] == "NR", "months"]) == pytest.approx([0, 3, 6, 9, 12])
    est = out.loc[out["section"] == "estimates"].set_index("group")
    assert est.loc["NR", "n"] == 16 and est.loc["NR", "m12_estimate"] == pytest.approx(14 / 16)


# --- Callbacks ----------------------------------------------------------------------------------


def test_callback_follows_filters_and_grouping(app, demo_trial):
    values = all_filter_values(demo_trial)
    with app.server.test_request_context():
        fig, click, summary, table, recon, origins, origin_style, *_ = survival.update_survival(
            ids.TAB_SURVIVAL, "os", "day0", "none", "months", True, *values
        )
        assert click is None and all(o["disabled"] for o in origins)
        assert origin_style == {}  # shown, disabled: the trial has relapse endpoints
        assert "37 of 40" in summary[0].children
        values[1] = ["MCR"]
        fig, *_ = survival.update_survival(
            ids.TAB_SURVIVAL, "os", "day0", "center", "months", True, *values
        )
    assert title(fig).startswith("Overall survival · 13 patients")
    total = sum(int(t.text[0]) for t in fig.data if t.mode == "text" and "At risk" in t.name)
    assert total == 13


def test_callback_empty_selection(app, demo_trial):
    values = all_filter_values(demo_trial)
    values[0] = []  # no center ticked: nobody
    with app.server.test_request_context():
        fig, _, summary, table, *_ = survival.update_survival(
            ids.TAB_SURVIVAL, "cif", "response", "center", "days", True, *values
        )
    assert fig.layout.annotations[0].text == "No patients match the filters."
    assert "No estimates" in str(table)


def click_on(trace, i: int) -> dict:
    return {"points": [{"customdata": list(trace.customdata[i])}]}


def test_click_on_one_patients_step_opens_the_patient(app, demo_trial):
    state = ("cif", "day0", "none", "months", True, *all_filter_values(demo_trial))
    with app.server.test_request_context():
        fig, *_ = survival.update_survival(ids.TAB_SURVIVAL, *state)
        (step,) = steps(fig)
        prompt, path, reset = survival.show_clicked_patients(click_on(step, 1), "", *state)
        assert survival.show_clicked_patients(None, "", *state)[:2] == (
            survival.CLICK_PROMPT,
            no_update,
        )
    assert (prompt, path, reset) == (survival.CLICK_PROMPT, "/patients/34", None)


def test_click_on_a_mark_of_several_patients_lists_them_with_links(app, demo_trial):
    state = ("os", "day0", "none", "months", True, *all_filter_values(demo_trial))
    with app.server.test_request_context():
        fig, *_ = survival.update_survival(ids.TAB_SURVIVAL, *state)
        (censor,) = marks(fig, "censored")
        # The censor mark at the end of follow-up: several survivors.
        panel, path, reset = survival.show_clicked_patients(
            click_on(censor, -1), "?tab=survival", *state
        )
    assert path is no_update and reset is no_update
    links = [li.children[0] for li in panel.children[1].children]
    assert len(links) > 1  # each keeps the dashboard's state
    assert all(link.href == f"/patients/{link.children.split()[-1]}?tab=survival" for link in links)


def test_origin_control_is_hidden_where_it_cannot_apply(demo_trial):
    hidden = {"display": "none"}
    assert survival.origin_style(demo_trial, "cif") == survival.origin_style(demo_trial, "os") == {}
    assert survival.origin_style(demo_trial, "tte:TTDE") == hidden  # given as data (ADTTE)
    no_response = dataclasses.replace(
        demo_trial, events=demo_trial.events.loc[demo_trial.events["event"] != "response"]
    )
    assert survival.origin_style(no_response, "os") == hidden
    column = next(
        c
        for c in survival.layout(no_response)._traverse()
        if getattr(c, "id", None) == ids.SURV_ORIGIN_CONTROL
    )
    assert column.style == hidden


def test_download_csv(app, demo_trial):
    with app.server.test_request_context():
        sent = survival.download_table(
            1, "os", "day0", "center", "days", True, *all_filter_values(demo_trial)
        )
    assert sent["filename"] == "os_risk_table_and_estimates.csv"
    frame = pd.read_csv(io.StringIO(sent["content"]))
    # by center: no center but the reference has a death, so no model and no PH test
    assert {"risk table", "estimates", "hazard ratio"} == set(frame["section"])
    assert "days" in frame.columns


def test_layout_has_the_controls_and_the_tab(demo_trial):
    layout = page(create_app(demo_trial))
    text = str(layout)
    for id_ in (ids.SURV_GRAPH, ids.SURV_GROUP, ids.SURV_DOWNLOAD, ids.TAB_SURVIVAL):
        assert id_ in text
    groups = survival_group_options(demo_trial)
    assert {"none", "center", "response"} <= set(groups)
    assert not {"center+response", "relapse", "death"} & set(groups)


def test_cli_summary_by_center_includes_survival():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert (
            cli_main(
                [
                    "summary",
                    str(survival.__file__).rsplit("/components", 1)[0] + "/data",
                    "--json",
                    "--by",
                    "center",
                ]
            )
            == 0
        )
    s = json.loads(buf.getvalue())["survival"]
    assert s["overall_survival"]["logrank"]["df"] == 3
    assert len(s["overall_survival"]["groups"]) == 4
    assert s["relapse_cumulative_incidence"]["population"] == "responders as analysed (n=23)"


def test_data_without_responses_say_so(demo_trial):
    patients = demo_trial.patients.drop(columns=["response", "response_day"])
    v = view(demo_trial, patients=patients, endpoint="cif")
    assert v.result.empty and "do not record response" in v.figure.layout.annotations[0].text
    assert not view(demo_trial, patients=patients).result.empty  # overall survival still works


def test_hover_lists_are_cut_for_crowded_marks():
    ids = pd.Series([f"P{i:03d}" for i in range(30)])
    text = sfig._joined_ids(ids)
    assert text.startswith("P000, P001") and text.endswith("(+18 more)")
