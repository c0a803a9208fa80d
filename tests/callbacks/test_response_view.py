"""The Response tab: callbacks called directly inside a request of an app built on the demo
trial (and the CDISC pilot); the numbers themselves are worked out by hand in
tests/unit/test_response.py. The screen, the export and the command line read one engine."""

from __future__ import annotations

from datetime import date

import pytest
from dash import no_update

from app import create_app
from components import ids
from components.export import build
from components.figures import response as figures_response
from components.state import urlstate as us
from components.state.filters import FILTER_INPUTS
from components.state.viewspec import ViewSpec, spec_from_state
from components.views import response
from trial.analysis.response import waterfall_summary

from conftest import page_components

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


@pytest.fixture(scope="module")
def layout(app):
    return page_components(app)


def filter_values(layout) -> list:
    return [getattr(layout[i.component_id], i.component_property) for i in FILTER_INPUTS]


def controls(layout) -> list:
    return [layout[i].value for i in response.CONTROL_IDS]


def bars(fig) -> list:
    return [t for t in fig.data if t.type == "bar"]


def sorted_bars(fig) -> list:
    """Every bar's customdata, left to right."""
    return [c for _, c in sorted((x, c) for t in bars(fig) for x, c in zip(t.x, t.customdata))]


def test_beyond_the_limit_a_plot_draws_evenly_spaced_ranks_and_says_so(
    app, layout, demo_trial, monkeypatch
):
    # At registry scale a waterfall of 100,000 bars took 28 s and 8 MB a filter change; the
    # limits are made small here so that the demo's 39 patients go beyond them.
    monkeypatch.setattr(figures_response, "MOST_DRAWN", {"waterfall": 10, "spider": 5})
    plot, measure, group = controls(layout)
    with app.server.test_request_context():
        fig, notes, rows, _ = response.update_response(
            ids.TAB_RESPONSE, plot, measure, group, *filter_values(layout)
        )
        spider, *_ = response.update_response(
            ids.TAB_RESPONSE, "spider", measure, group, *filter_values(layout)
        )
    xs = sorted(x for t in bars(fig) for x in t.x)
    assert len(xs) == 10 and xs[0] == 1 and xs[-1] == 39  # lowest and highest ranks kept
    assert list(fig.layout.xaxis.range) == [0.3, 39.7]  # the axis still counts everyone
    assert "n = 39" in fig.layout.xaxis.title.text
    assert sum(int(t.name.split("n = ")[1].rstrip(")")) for t in bars(fig)) == 39
    assert "Plotted: 10 of the 39 bars" in fig.layout.title.subtitle.text
    assert any("Plotted: 10 of the 39 bars" in str(n.children) for n in notes)
    assert [r["Patient"] for r in rows] == [str(c[0]) for c in sorted_bars(fig)]
    lines = {str(c[0]) for t in spider.data for c in t.customdata}
    assert len(lines) == 5 and "Plotted: 5 of the 39 lines" in spider.layout.title.subtitle.text
    spec = ViewSpec(ids.VIEW_RESPONSE, {"plot": plot, "measure": measure, "group": group}, {})
    assert len(build.build_response(demo_trial, spec, TODAY).numbers) == 39  # export: all


def test_the_tab_opens_on_the_sledai_waterfall_by_responder_group(app, layout):
    assert controls(layout) == ["waterfall", "sledai", "response"]
    measures = [o["value"] for o in layout[ids.RESP_MEASURE].options]
    assert measures[:2] == ["sledai", "proteinuria"]
    with app.server.test_request_context():
        fig, notes, rows, columns = response.update_response(
            ids.TAB_RESPONSE, *controls(layout), *filter_values(layout)
        )
    # the grid: one row per bar, in the bars' order, every column named
    assert [r["Patient"] for r in rows] == [str(c[0]) for c in sorted_bars(fig)]
    assert [c["field"] for c in columns] == list(rows[0])
    assert [t.name for t in bars(fig)] == ["MCR (n = 12)", "PCR (n = 11)", "NR (n = 16)"]
    assert sum(len(t.x) for t in bars(fig)) == 39
    assert "39 of 40 patients drawn · 1 not drawn" in fig.layout.title.subtitle.text
    said = [str(n.children) for n in notes]
    assert any("no post-baseline value, not drawn (patient 9)" in s for s in said)
    assert any(s.startswith("MCR: median best change −75.0 %; 12 of 12") for s in said)
    assert any("simulated (demo data)" in s for s in said)
    assert any(line.y0 == -50 for line in fig.layout.shapes)
    # every bar carries its patient id first, as a click needs
    assert all(str(c[0]).isdigit() for t in bars(fig) for c in t.customdata)


def test_the_screen_equals_the_command_line(app, layout, demo_trial):
    expected = waterfall_summary(demo_trial)["measures"]["sledai"]
    with app.server.test_request_context():
        fig, *_ = response.update_response(
            ids.TAB_RESPONSE, *controls(layout), *filter_values(layout)
        )
    ordered = sorted(
        ((x, c[0]) for t in bars(fig) for x, c in zip(t.x, t.customdata)), key=lambda p: p[0]
    )
    assert [pid for _, pid in ordered] == [b["patient_id"] for b in expected["bars"]]
    heights = {c[0]: y for t in bars(fig) for y, c in zip(t.y, t.customdata)}
    assert [heights[b["patient_id"]] for b in expected["bars"]] == pytest.approx(
        [b["best_pct"] for b in expected["bars"]]
    )


def test_the_spider_draws_a_line_per_patient_from_baseline(app, layout):
    values = filter_values(layout)
    with app.server.test_request_context():
        fig, *_ = response.update_response(ids.TAB_RESPONSE, "spider", "sledai", "none", *values)
    (trace,) = fig.data
    starts = [i for i, x in enumerate(trace.x) if i == 0 or trace.x[i - 1] is None]
    assert len(starts) == 39 and all(trace.x[i] == 0 and trace.y[i] == 0 for i in starts)
    assert trace.name == "All (n = 39)"
    assert fig.layout.xaxis.title.text == "Months since first infusion"


def test_proteinuria_counts_only_lupus_nephritis_patients(app, layout, demo_trial):
    n_ln = int(demo_trial.patients["lupus_nephritis"].eq(True).sum())
    with app.server.test_request_context():
        fig, *_ = response.update_response(
            ids.TAB_RESPONSE, "waterfall", "proteinuria", "response", *filter_values(layout)
        )
    assert f"of {n_ln} patients drawn" in fig.layout.title.subtitle.text


def test_a_click_on_a_bar_opens_that_patient_and_resets_the_click(app):
    with app.server.test_request_context():
        click = {"points": [{"customdata": ["12", "NR", "−28.6 %"]}]}
        assert response.open_clicked_patient(click) == ("/patients/12", None)
        unknown = {"points": [{"customdata": ["999"]}]}
        assert response.open_clicked_patient(unknown) == (no_update, no_update)
        assert response.open_clicked_patient(None) == (no_update, no_update)


def test_the_view_is_pinnable_exportable_and_in_the_url(demo_trial, layout):
    spec = ViewSpec(ids.VIEW_RESPONSE, {"plot": "spider", "measure": "c3", "group": "center"})
    ev = build.build_view(demo_trial, spec, TODAY)
    assert ev.name == "spider_c3" and ev.figure is not None
    assert ev.title == "Complement C3: % change from baseline over time, by patient"
    assert ev.points[0].endswith("are drawn.") and all(p.endswith(".") for p in ev.points)
    assert any("Simulated data" in f for f in ev.footnote)
    assert list(ev.numbers.columns)[:2] == ["Patient", "Center"]
    assert any("highest" in line for line in build.build_method(demo_trial, spec).lines)
    state = {ids.TABS: ids.TAB_RESPONSE, ids.RESP_PLOT: "spider", ids.RESP_MEASURE: "c3"}
    assert spec_from_state(state).view == ids.VIEW_RESPONSE
    schema = us.Schema(
        {k: v for k, v in us.schema_from_layout([response.layout(demo_trial)]).controls.items()}
        | {ids.TABS: us.Control("tab", ids.TAB_TRAJECTORIES, tuple(us.TAB_NAMES))}
    )
    query = us.encode_state(state, schema)
    assert "tab=response" in query and "plot=spider" in query and "measure=c3" in query


def test_the_adam_pilot_is_grouped_by_arm(shared_data):
    from trial.loader import load_trial

    pilot = load_trial(shared_data / "cdiscpilot01")
    app = create_app(pilot)
    comps = page_components(app)
    assert comps[ids.RESP_GROUP].value == "arm"
    with app.server.test_request_context():
        fig, notes, *_ = response.update_response(
            ids.TAB_RESPONSE, "waterfall", None, "arm", *filter_values(comps)
        )
    names = [t.name.split(" (n")[0] for t in bars(fig)]
    assert names == ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]
    assert "of 254 subjects drawn" in fig.layout.title.subtitle.text
    said = " ".join(str(n.children) for n in notes)
    assert "no stated direction" in said and "a 50 % decrease" in said
