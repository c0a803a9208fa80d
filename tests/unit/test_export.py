"""Exports (components/export/): PNG, SVG, PPTX, HTML and CSV from the demo data; the
"How was this computed" snippets run and reproduce the view's numbers; callbacks called directly."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation

from app import create_app
from components import ids
from components.export import build, deck, files, methods, report, slides
from components.export import callbacks as excb
from components.figures import theme
from components.figures.text import safe_name
from components.state.filters import FILTER_INPUTS
from components.state.viewspec import ViewSpec
from components.views import tables
from trial import tables as tt
from trial.analysis.cohort import Cohort
from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
from trial.filters import PatientFilter, select_patients
from trial.model import RESPONSE_GROUPS

DEMO = __import__("pathlib").Path(__file__).resolve().parents[2] / "data"

TODAY = date(2026, 11, 25)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TRAJ = ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "sledai", "group": "response"})


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


@pytest.fixture(scope="module")
def traj_view(demo_trial):
    return build.build_view(demo_trial, TRAJ, TODAY)


@pytest.fixture(scope="module")
def tables_view(demo_trial):
    return build.build_view(demo_trial, ViewSpec(ids.VIEW_TABLES), TODAY)


def all_filter_values(trial):
    from components.state import filters

    return [
        list(trial.centers),
        list(RESPONSE_GROUPS),
        filters.ANY,
        ["F", "M"],
        filters.ANY,
        list(filters.age_bounds(trial)),
    ]


# --- View specs, names ----------------------------------------------------------------------


def test_view_spec_round_trips_through_json():
    spec = ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "c3"}, {ids.FILTER_CENTER: ["A"]})
    assert ViewSpec.from_dict(spec.to_dict()) == spec


def test_file_names_are_built_from_codes_and_sanitised(traj_view):
    assert traj_view.name == "sledai_by_response"
    assert (
        files.export_filename(traj_view.name, "pptx", TODAY) == "sledai_by_response_2026-11-25.pptx"
    )
    assert (
        files.export_filename("../../etc/passwd <x>", "png", TODAY) == "etc_passwd_x_2026-11-25.png"
    )
    assert safe_name("") == "export"


def test_footnote_says_n_filters_tests_and_simulated(demo_trial):
    spec = ViewSpec(
        ids.VIEW_TRAJECTORIES,
        {"measure": "sledai", "group": "center"},
        dict(
            zip(
                [i.component_id for i in FILTER_INPUTS],
                [[demo_trial.centers[0]], *all_filter_values(demo_trial)[1:]],
            )
        ),
    )
    ev = build.build_view(demo_trial, spec, TODAY)
    n = int((demo_trial.patients["center"] == demo_trial.centers[0]).sum())
    text = "\n".join(ev.footnote)
    assert f"n = {n} of 40 patients" in text and demo_trial.centers[0] in text
    assert "paired t-test" in text and "Simulated data" in text and "2026-11-25" in text
    assert ev.n == n


# --- Images: the browser renders the slide figure the server hands over ----------------------


def small_png(width: int = 400, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (230, 240, 250)).save(out, "PNG")
    return out.getvalue()


def images_for(views) -> list[bytes]:
    """A PNG of the right shape for each figure slide (what the browser would render)."""
    return [
        small_png(f["layout"]["width"] // 4, f["layout"]["height"] // 4)
        for f in deck.deck_figures(views)
    ]


def test_png_and_svg_jobs_hand_the_browser_the_slide_figure(traj_view):
    job = excb.image_job(traj_view, ids.FORMAT_PNG, "x.png")
    layout = job["figure"]["layout"]
    assert job["kind"] == "image" and job["type"] == "image/png"
    assert (layout["width"], layout["height"]) == (theme.SLIDE_WIDTH, theme.SLIDE_HEIGHT)
    assert job["scale"] == theme.SLIDE_SCALE
    texts = " ".join(a["text"] for a in layout["annotations"])
    assert "SLEDAI-2K by responder group" in texts
    assert "Simulated data" in texts and "n = 40 of 40 patients" in texts
    json.dumps(job)  # plain JSON for the dcc.Store
    assert excb.image_job(traj_view, ids.FORMAT_SVG, "x.svg")["scale"] == 1


def test_slide_figure_leaves_the_view_figure_alone(traj_view):
    before = traj_view.figure.to_json()
    fig = slides.slide_figure(traj_view)
    assert traj_view.figure.to_json() == before
    assert fig.layout.paper_bgcolor == "white" and fig.layout.width == theme.SLIDE_WIDTH


def test_survival_view_exports(demo_trial):
    ev = build.build_view(demo_trial, ViewSpec(ids.VIEW_SURVIVAL, {"group": "center"}), TODAY)
    assert ev.name == "os_by_center" and "<" not in ev.title
    assert not ev.numbers.empty
    assert slides.slide_figure(ev).layout.height == theme.SLIDE_HEIGHT


# --- PowerPoint -----------------------------------------------------------------------------


def test_pptx_has_title_slide_view_slide_and_notes(demo_trial, traj_view):
    images = images_for([traj_view])
    data = deck.pptx_deck(demo_trial, [traj_view], TODAY, images)
    prs = Presentation(io.BytesIO(data))
    slides = list(prs.slides)
    assert len(slides) == 2
    first = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert demo_trial.study.title in first and "Simulated data" in first
    assert "Selection: 40 of 40 patients" in first and "2026-11-25" in first
    slide = slides[1]
    assert slide.shapes.title.text == "SLEDAI-2K by responder group"
    pictures = [s for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 1 and pictures[0].image.blob == images[0]
    texts = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "n = 40 of 40 patients" in texts and "Simulated data" in texts
    notes = slide.notes_slide.notes_text_frame.text
    assert notes.startswith(
        "At 12 months mean SLEDAI-2K in MCR fell from 12.7 to 7.82, n = 11, p = 0.003 vs baseline."
    )
    assert "Numbers behind the figure" in notes and "How this was computed" in notes
    assert "<NA>" not in notes and not re.search(r"\de-\d", notes)
    assert "< 0.001" in notes and "p_vs_baseline" in notes


def test_pptx_needs_one_image_per_figure_slide(demo_trial, traj_view, tables_view):
    with pytest.raises(ValueError, match="1 images for 0 figure slides"):
        deck.pptx_deck(demo_trial, [tables_view], TODAY, [small_png()])
    with pytest.raises(ValueError):
        deck.pptx_deck(demo_trial, [traj_view], TODAY, [])


def test_pptx_of_the_tables_view_has_native_tables(demo_trial, tables_view):
    prs = Presentation(io.BytesIO(deck.pptx_deck(demo_trial, [tables_view], TODAY, [])))
    titles = [s.shapes.title.text for s in list(prs.slides)[1:]]
    assert titles == [
        "Table 1. Baseline characteristics by center",
        "Response rates by center, with exact 95 % CIs",
        "Table 2. Adverse events and deaths within follow-up",
        "Adverse events by term",
    ]  # each on one slide
    response = next(s for s in prs.slides if s.shapes.title.text.startswith("Response rates"))
    table = next(s for s in response.shapes if s.has_table).table
    cells = [
        table.cell(r, c).text for r in range(len(table.rows)) for c in range(len(table.columns))
    ]
    assert "13/40 (32.5 %; 18.6–49.1)" in cells
    baseline = list(prs.slides)[1]
    table = next(s for s in baseline.shapes if s.has_table).table
    labels = [table.cell(r, 0).text for r in range(len(table.rows))]
    assert "Age, years, mean ± SD" in labels and "" not in labels[1:]
    assert any(
        "medians (IQR) are in the speaker notes" in s.text_frame.text
        for s in baseline.shapes
        if s.has_text_frame
    )
    assert "median (IQR)" in baseline.notes_slide.notes_text_frame.text


# --- HTML report ----------------------------------------------------------------------------


def test_html_report_is_self_contained(demo_trial, traj_view, tables_view):
    page = report.html_report(demo_trial, [traj_view, tables_view], TODAY)
    assert page.startswith("<!DOCTYPE html>")
    # plotly.js inline, no script loaded from elsewhere
    assert re.search(r"<script[^>]*\ssrc=", page) is None
    assert len(page) > 1_000_000 and page.count("<div id=") >= 1
    assert "Table 2. Adverse events" in page and "Herpesvirus infection" in page
    assert "Simulated data." in page and "How was this computed" in page


def test_text_from_data_is_escaped_in_html_and_plain_in_pptx(demo_trial):
    evil = "<img src=x onerror=alert(1)>"
    events = demo_trial.events.assign(
        term=demo_trial.events["term"].replace("Tuberculosis infection", evil)
    )
    trial = dataclasses.replace(demo_trial, events=events)
    ev = build.build_view(trial, ViewSpec(ids.VIEW_TABLES), TODAY)
    page = report.html_report(trial, [ev], TODAY)
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    prs = Presentation(io.BytesIO(deck.pptx_deck(trial, [ev], TODAY, [])))
    cells = [
        c.text
        for s in prs.slides
        for sh in s.shapes
        if sh.has_table
        for row in sh.table.rows
        for c in row.cells
    ]
    assert evil in cells  # plain text, shown as written


def test_numbers_csv_is_the_numbers_behind_the_figure(traj_view):
    frame = pd.read_csv(io.StringIO(files.numbers_csv(traj_view.numbers)))
    assert list(frame.columns) == list(traj_view.numbers.columns)
    assert len(frame) == len(traj_view.numbers) == 18


# --- "How was this computed": the snippets run and agree with the view ------------------------


def run_snippet(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    "measure,group,scale,test,flt",
    [
        ("sledai", "response", "value", "paired_t", PatientFilter()),
        ("proteinuria", "none", "change", "wilcoxon", PatientFilter()),
        ("c3", "center", "pct_change", "paired_t", PatientFilter(sexes=("F",), relapse=False)),
        (
            "anti_dsdna",
            "lupus_nephritis",
            "value",
            "wilcoxon",
            PatientFilter(responses=("MCR", "PCR"), age_min=20, age_max=45),
        ),
    ],
)
def test_trajectory_snippet_reproduces_the_view(
    demo_trial, capsys, measure, group, scale, test, flt
):
    analysis = analyse_trajectories(
        demo_trial, TrajectoryRequest(Cohort(flt), measure, group, scale, test)
    )
    method = methods.trajectory_method(demo_trial, analysis, "mean_ci", data_dir=str(DEMO))
    result = run_snippet(method.snippet)["result"]
    capsys.readouterr()
    summary = pd.concat([p.summary for p in analysis.panels])
    summary = summary.loc[summary["n"] > 0]
    got = result.assign(group=result["group"].astype(str)).set_index(["group", "month"])
    want = summary.set_index(["group", "month"])
    assert set(got.index) == set(want.index)
    for col in (
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "median",
        "q1",
        "q3",
        "n_paired",
        "p_vs_baseline",
    ):
        np.testing.assert_allclose(
            got.loc[want.index, col].astype(float),
            want[col].astype(float),
            rtol=1e-9,
            equal_nan=True,
            err_msg=col,
        )


def test_tables_snippet_reproduces_the_tables(demo_trial, capsys):
    flt = PatientFilter(centers=tuple(demo_trial.centers[:2]))
    patients = select_patients(demo_trial.patients, flt)
    method = methods.tables_method(demo_trial, flt, len(patients), data_dir=str(DEMO))
    result = run_snippet(method.snippet)["result"].set_index("group")
    capsys.readouterr()
    numbers = tt.response_numbers(demo_trial, patients).set_index(["group", "outcome"])
    baseline = tt.baseline_numbers(demo_trial, patients).set_index(["group", "variable"])
    assert set(result.index) == {*demo_trial.centers[:2], "Overall"}
    for group, row in result.iterrows():
        for outcome in ("mcr", "pcr", "overall"):
            ref = numbers.loc[(group, outcome)]
            assert row[f"{outcome}_k"] == ref["k"]
            assert row[f"{outcome}_ci_low"] == pytest.approx(ref["ci_low"])
            assert row[f"{outcome}_ci_high"] == pytest.approx(ref["ci_high"])
        age = baseline.loc[(group, "age")]
        assert row["age_mean"] == pytest.approx(age["mean"])
        assert row["age_q3"] == pytest.approx(age["q3"])
        assert row["female"] == baseline.loc[(group, "sex_F"), "count"]


def test_snippet_quotes_data_text_as_literals(demo_trial):
    flt = PatientFilter(centers=('x"]; import os; os.system("echo")  #',))
    code = methods.filter_lines(flt)
    compile(code, "<snippet>", "exec")
    assert "isin(['x\"]; import os" in code  # one string literal, not code


# --- Callbacks called directly --------------------------------------------------------------


def test_download_callbacks(app, demo_trial):
    controls = ["sledai", "response", "mean_sd", "value", "paired_t", False, "none"]
    filters = all_filter_values(demo_trial)
    with app.server.test_request_context():
        csv = excb.download_function(ids.VIEW_TRAJECTORIES, ids.FORMAT_CSV)(1, *controls, *filters)
        pptx = excb.download_function(ids.VIEW_TABLES, ids.FORMAT_PPTX)(1, *filters)
        png = excb.download_function(ids.VIEW_TRAJECTORIES, ids.FORMAT_PNG)(1, *controls, *filters)
        html = excb.download_function(ids.VIEW_TABLES, ids.FORMAT_HTML)(1, *filters)
    today = date.today().isoformat()
    assert csv["filename"] == f"sledai_by_response_{today}.csv"
    assert csv["content"].startswith("panel,group,visit")
    # PowerPoint and PNG: a job for the browser (assets/export.js)
    assert pptx["kind"] == "deck" and pptx["filename"] == f"paper_tables_{today}.pptx"
    assert pptx["figures"] == [] and pptx["specs"][0]["view"] == ids.VIEW_TABLES
    assert pptx["route"] == "/_trial/deck"
    assert png["kind"] == "image" and png["filename"] == f"sledai_by_response_{today}.png"
    assert html["filename"] == f"paper_tables_{today}.html"


def test_tables_callbacks(app, demo_trial):
    filters = all_filter_values(demo_trial)
    with app.server.test_request_context():
        *children, note = tables.update_tables(ids.TAB_TABLES, *filters)
        data = tables.download_table_csv(
            1, {"type": ids.TABLE_CSV_BUTTON, "table": ids.TABLE_RESPONSE}, *filters
        )
    assert note.startswith("40 of 40 patients")
    assert len(children) == 4
    frame = pd.read_csv(io.StringIO(data["content"]))
    assert frame.loc[(frame["group"] == "Overall") & (frame["outcome"] == "mcr"), "k"].item() == 13
    assert data["filename"].startswith("response_")


def test_method_panel_callbacks(app, demo_trial):
    filters = all_filter_values(demo_trial)
    with app.server.test_request_context():
        assert excb.toggle_method(1, False) is True
        closed = excb.method_function(ids.VIEW_TRAJECTORIES)(
            False, "sledai", "response", "mean_sd", "value", "paired_t", False, *filters
        )
        body = excb.method_function(ids.VIEW_TRAJECTORIES)(
            True, "sledai", "response", "mean_sd", "value", "paired_t", False, *filters
        )
        tbody = excb.method_function(ids.VIEW_TABLES)(True, *filters)
    from dash import no_update

    assert closed is no_update
    snippet = body[-1].children.children
    assert "ttest_rel" in snippet and '"sledai"' in snippet or "'sledai'" in snippet
    assert "binomtest" in tbody[-1].children.children


def test_a_legend_above_the_plot_stays_below_the_slide_title(demo_trial):
    ev = build.build_view(
        demo_trial,
        ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "proteinuria", "group": "center"}),
        date(2026, 1, 2),
    )
    fig = slides.slide_figure(ev)
    legend, height = fig.layout.legend, fig.layout.height
    assert legend.orientation == "h" and legend.yref == "container"
    top_of_legend_px = (1 - legend.y) * height
    subtitle = next(a for a in fig.layout.annotations if "paired t-test" in a.text)
    plot_h = height - fig.layout.margin.t - fig.layout.margin.b
    subtitle_top_px = fig.layout.margin.t - (subtitle.y - 1) * plot_h
    assert top_of_legend_px >= subtitle_top_px + theme.SLIDE_SUBTITLE_PX * 1.2
    # Two rows of two centers, then the plot: the top margin holds them all.
    assert fig.layout.margin.t >= top_of_legend_px + 2 * theme.SLIDE_LEGEND_PX * 1.5


def test_the_patients_slide_reads_sex_in_words_and_age_in_years(demo_trial):
    view = build.build_patients(demo_trial, ViewSpec(ids.VIEW_PATIENTS), date(2026, 12, 2))
    ((_, shown),) = view.tables
    assert set(shown["Sex"]) == {"Female", "Male"}  # the demo has both, coded F / M
    assert all(isinstance(a, int) for a in shown["Age"])
    ages = demo_trial.patients.set_index("patient_id")["age"]
    assert [ages[p] for p in shown["Patient"]] == list(shown["Age"])


@pytest.mark.parametrize(
    "view, params",
    [
        (ids.VIEW_EFFECTS, {}),
        (ids.VIEW_RESPONSE, {}),
        (ids.VIEW_RESPONSE, {"plot": "spider"}),
    ],
)
def test_exported_subtitles_say_nothing_about_clicks(demo_trial, view, params):
    """The dashboard's figures say what a click does; a slide or a page has nothing to click."""
    on_screen = build.build_view(demo_trial, ViewSpec(view, params), TODAY)
    assert on_screen.subtitle and "click" not in on_screen.subtitle.lower()
