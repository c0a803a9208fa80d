"""Part B, open items of part A: the survival method snippet reproduces the view's numbers,
exports are audited, CSV exports are guarded against formula injection, pinned decks."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date

import pandas as pd
import pytest

from components import ids
from components.export import build, files
from components.export import callbacks as excb
from components.shell import presenter
from components.state.viewspec import ViewSpec

from conftest import DEMO

TODAY = date(2026, 1, 2)


@pytest.mark.parametrize(
    "endpoint, group, origin",
    [
        ("os", "center", "day0"),
        ("os", "none", "day0"),
        ("cif", "none", "day0"),
        ("rfs", "sex", "day0"),
    ],
)
def test_survival_snippet_reproduces_the_numbers(demo_trial, endpoint, group, origin):
    spec = ViewSpec(ids.VIEW_SURVIVAL, {"endpoint": endpoint, "group": group, "origin": origin})
    ev = build.build_survival(demo_trial, spec, TODAY, data_dir=str(DEMO))
    assert "lifelines" in ev.method.snippet
    scope: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(ev.method.snippet, "<snippet>", "exec"), scope)
    result = scope["result"].set_index("group")
    est = ev.numbers[ev.numbers["section"] != "risk table"].dropna(subset=["m12_estimate"])
    assert len(est)
    for row in est.to_dict("records"):
        got = result.loc[row["group"]] if row["group"] in result.index else result.iloc[0]
        assert got["m12"] == pytest.approx(row["m12_estimate"], abs=1e-6)
        assert got["m6"] == pytest.approx(row["m6_estimate"], abs=1e-6)
    if group != "none":
        line = [x for x in ev.method.lines if x.startswith("Log-rank")][0]
        chi2 = line.split("χ² = ")[1].split(",")[0]
        assert f"log-rank chi2 = {chi2}" in out.getvalue()


def test_csv_guard_prefixes_formula_cells():
    df = pd.DataFrame(
        {
            "term": ['=HYPERLINK("x")', "+1", "-2 text", "@SUM(A1)", "ok", None],
            "value": [-1.5, 2, 3, 4, 5, 6],
        }
    )
    text = files.csv_safe(df).to_csv(index=False)
    rows = text.splitlines()
    assert rows[1].startswith("\"'=HYPERLINK")
    assert rows[2].startswith("'+1,") and rows[3].startswith("'-2 text,")
    assert rows[4].startswith("'@SUM") and rows[5] == "ok,5.0"
    assert rows[1].endswith(",-1.5")  # numbers stay numbers


def test_numbers_csv_is_guarded(demo_trial):
    ev = build.build_view(demo_trial, ViewSpec(ids.VIEW_SURVIVAL, {}), TODAY)
    bad = ev.numbers.assign(group="=cmd|' /C calc'!A0")
    guarded = files.numbers_csv(bad)
    assert "\n'=cmd" not in guarded and ",\"'=cmd" in guarded or ",'=cmd" in guarded


def test_exports_are_audited(demo_trial, tmp_path, monkeypatch):
    import security
    from app import create_app

    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("TRIAL_AUDIT_LOG", str(log))
    app = create_app(demo_trial)
    with app.server.test_request_context("/"):
        excb.export_download(demo_trial, ViewSpec(ids.VIEW_SURVIVAL, {}), ids.FORMAT_CSV, TODAY)
    records = [json.loads(x) for x in log.read_text().splitlines()]
    exp = [r for r in records if r["action"] == "export"]
    assert exp and exp[-1]["view"] == ids.VIEW_SURVIVAL and exp[-1]["format"] == "csv"
    assert exp[-1]["fingerprint"] == demo_trial.fingerprint
    # Without a configured log, audit is a no-op (no request, no app: nothing written).
    security.audit("export", fingerprint="x", view="v", format="csv")


def test_pinned_deck_job_and_report(demo_trial):
    specs = [
        ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "sledai"}).to_dict(),
        ViewSpec(ids.VIEW_SURVIVAL, {"group": "center"}, takeaway="Four centers").to_dict(),
    ]
    job = presenter.pinned_download(demo_trial, specs, ids.FORMAT_PPTX, TODAY)
    assert job["filename"] == "pinned_slides_2026-01-02.pptx" and job["deck"] == "pinned"
    assert len(job["figures"]) == 2 and job["specs"] == specs
    assert job["progress"] == ids.PIN_PROGRESS
    html = presenter.pinned_download(demo_trial, specs, ids.FORMAT_HTML, TODAY)["content"]
    assert html.count("<section>") == 2 and "<p class='takeaway'>Four centers</p>" in html


def test_pins_belong_to_the_data_they_were_made_on(demo_trial):
    # Local storage is shared by every dataset opened in a browser (e.g. an upload).
    mine = {
        **ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "sledai"}).to_dict(),
        "dataset": demo_trial.fingerprint,
    }
    other = {**mine, "dataset": "0123456789ab"}
    assert presenter.pins_of(demo_trial, [other, mine, {"view": "trajectories"}, "x"]) == [mine]
    assert presenter.pins_of(demo_trial, None) == []


def test_presenter_slide_is_plain_text(demo_trial):
    spec = ViewSpec(ids.VIEW_SURVIVAL, {}, takeaway="<b>No deaths</b> in PCR")
    ev = build.build_view(demo_trial, spec, TODAY)
    head, tables, footer = presenter.slide(ev)
    assert head[0].children == ev.title and head[2].children == "<b>No deaths</b> in PCR"
    assert tables == [] and footer[0].children == ev.footnote[0]
    fig = presenter.slide_graph_figure(ev)
    assert fig.layout.font.size > 15 and not fig.layout.title.text


def test_presenter_figure_fills_the_measured_body(demo_trial):
    deck = {"slides": [ViewSpec(ids.VIEW_TRAJECTORIES, {}).to_dict()], "index": 0}
    from app import create_app

    app = create_app(demo_trial)
    with app.server.test_request_context("/"):
        wide = presenter.slide_figure_for({"width": 1840, "height": 760}, deck)
        square = presenter.slide_figure_for({"width": 1380, "height": 800}, deck)  # 4:3
        odd = presenter.slide_figure_for({"width": "x", "height": 10**9}, deck)
        tables = presenter.slide_figure_for(
            {"width": 1840, "height": 760}, {"slides": [{"view": ids.VIEW_TABLES}]}
        )
    assert (wide["layout"]["width"], wide["layout"]["height"]) == (1840, 760)
    assert (square["layout"]["width"], square["layout"]["height"]) == (1380, 800)
    assert odd["layout"]["height"] == 4000 and tables is None


def test_method_snippet_carries_every_filter():
    from components.export.methods import filter_lines
    from trial.filters import PatientFilter

    text = filter_lines(PatientFilter(centers=("A",), arms=("Placebo",), relapse=True))
    assert "patients[\"center\"].isin(['A'])" in text
    assert "patients[\"arm\"].isin(['Placebo'])" in text
    assert 'patients["relapse"] == True' in text
