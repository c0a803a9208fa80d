"""One patient's case narrative (issue 16): the engine's baseline changes, the figure (timeline,
key measures against baseline, events listed), the header facts, the speaker notes in
sentences with the numbers, and the simulated/real status; on the demo, on a small ADaM study
made here and on the CDISC pilot."""

from __future__ import annotations

import math
from datetime import date

import pytest
from adam_factories import write_adam

from components import ids
from components.export import build, deck, slides
from components.export.slides import Frame
from components.figures import narrative, theme
from components.figures.text import plain_text
from components.state import urlstate as us
from components.state.viewspec import ViewSpec, narrative_spec
from trial.analysis.patients import baseline_changes, patient_record
from trial.loader import load_trial

TODAY = date(2026, 11, 25)


def narrative_of(trial, pid: str, takeaway: str = ""):
    return build.build_view(trial, narrative_spec(pid, takeaway), TODAY)


def values_of(trial, pid: str, code: str):
    m = trial.measurements
    rows = m.loc[(m["patient_id"].astype(str) == pid) & (m["measure"] == code)]
    return rows.dropna(subset=["value"]).sort_values("month")


# --- the engine ---------------------------------------------------------------------------


def test_baseline_changes_are_the_patients_first_and_last_values(demo_trial):
    record = patient_record(demo_trial, "33")
    changes = baseline_changes(demo_trial, record, ["sledai", "c3"]).set_index("measure")
    for code in ("sledai", "c3"):
        v = values_of(demo_trial, "33", code)
        base, last = float(v.iloc[0]["value"]), float(v.iloc[-1]["value"])
        row = changes.loc[code]
        assert v.iloc[0]["month"] == 0 and row["baseline"] == base and row["last"] == last
        assert row["last_month"] == v.iloc[-1]["month"]
        assert row["pct_change"] == pytest.approx(100 * (last - base) / base)
        assert row["n_values"] == len(v)


def test_a_measure_without_values_has_no_change(demo_trial):
    record = patient_record(demo_trial, "12")  # no proteinuria recorded (no lupus nephritis)
    row = baseline_changes(demo_trial, record, ["proteinuria"]).iloc[0]
    assert row["n_values"] == 0 and math.isnan(row["baseline"]) and math.isnan(row["pct_change"])


# --- the view on the demo -------------------------------------------------------------------


def test_the_narrative_says_who_what_and_how_it_changed(demo_trial):
    ev = narrative_of(demo_trial, "33", "Relapsed after a major response")
    row = demo_trial.patients.set_index("patient_id").loc["33"]
    assert ev.view == ids.VIEW_NARRATIVE and ev.n == 1
    assert ev.title == "Patient 33: case narrative"
    assert ev.subtitle.startswith(f"Center {row['center']} · MCR · {row['age']:g} years · ")
    assert "relapsed on day" in ev.subtitle and ev.takeaway == "Relapsed after a major response"
    sledai = values_of(demo_trial, "33", "sledai")
    base, last = sledai.iloc[0]["value"], sledai.iloc[-1]["value"]
    verb = "fell" if last < base else "rose"
    first = ev.points[0]
    assert first.startswith(f"Patient 33 (center {row['center']}, MCR, {row['age']:g} years, ")
    assert f"SLEDAI-2K {verb} from {base:g} to {last:g} by 12 months (" in first
    assert any(p.startswith("Relapse on day ") for p in ev.points)
    assert any(p.startswith("Response (MCR) on day ") for p in ev.points)
    assert "No adverse events recorded." in ev.points
    # the numbers behind it, for the notes and the CSV: one row per key measure
    assert list(ev.numbers["Measure"])[0] == "SLEDAI-2K"
    assert len(ev.numbers) == len(demo_trial.key_measure_codes)


def test_the_narrative_says_its_values_are_simulated(demo_trial):
    ev = narrative_of(demo_trial, "2")
    assert any(x.startswith("Simulated: ") and "(demo data)" in x for x in ev.footnote)
    assert any(x.startswith("Simulated data (demo)") for x in ev.footnote)
    assert ev.points[-1].startswith("Simulated: ")
    assert ev.footnote[0].startswith("A case narrative of one of the 40 patients")


def test_the_notes_are_sentences_then_the_numbers_table(demo_trial):
    text = deck.notes_text(narrative_of(demo_trial, "2", "A partial responder"))
    assert text.startswith("Takeaway: A partial responder\n\nPatient 2 (center ")
    assert "1 adverse event: " in text and "Numbers behind the figure" in text
    assert text.index("1 adverse event") < text.index("Numbers behind the figure")
    assert "Baseline" in text and "% change" in text
    assert "<NA>" not in text and "nan" not in text.split()


def test_the_figure_is_the_timeline_the_measures_and_the_events(demo_trial):
    ev = narrative_of(demo_trial, "2")
    fig = ev.figure
    assert narrative.is_narrative(fig)
    lanes = list(fig.layout.yaxis.ticktext)
    assert lanes[0] == "Infusion" and "Adverse event" in lanes
    panels = [a.text for a in fig.layout.annotations if str(a.name).startswith("narrative-panel")]
    assert len(panels) == narrative.MAX_PANELS and panels[0].startswith("<b>SLEDAI-2K</b>")
    assert "→" in panels[0]
    listed = next(a.text for a in fig.layout.annotations if a.name == narrative.EVENTS_NAME)
    assert "Day 0 · Infusion: UC-MSC" in listed and "AE: " in listed
    # the baseline marked on every panel with values, and in the legend once
    baselines = [t for t in fig.data if t.name == "Baseline value"]
    assert len(baselines) >= 3 and sum(t.showlegend is not False for t in baselines) == 1
    # adverse events are listed, not labelled on the timeline (they would overlap)
    marks = next(t for t in fig.data if t.mode == "markers+text")
    assert not any(x.startswith("AE") for x in marks.text)


def test_many_events_are_cut_on_the_slide_and_all_in_the_notes(demo_trial):
    record = patient_record(demo_trial, "2")
    lines = narrative.event_lines(record, limit=2)
    n = len(record.events)
    assert n > 2 and len(lines) == 2
    assert lines[-1] == f"… and {n - 1} more (in the speaker notes)"


@pytest.mark.parametrize(
    "frame, titled",
    [(Frame(1920, 1080), True), (Frame(1840, 760), False), (Frame(1380, 830), False)],
)
def test_the_slide_keeps_the_projector_sizes_and_its_frame(demo_trial, frame, titled):
    fig = slides.slide_figure(narrative_of(demo_trial, "9"), frame, title=titled, footer=titled)
    lay = fig.layout
    for key in [k for k in lay.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        if lay[key].visible is not False:
            assert lay[key].tickfont.size >= theme.SLIDE_MIN_TICK_PX, key
    for a in lay.annotations:
        assert a.font.size >= theme.SLIDE_MIN_TEXT_PX, a.text[:40]
    for t in fig.data:
        if t.mode and "text" in t.mode:
            assert t.textfont.size >= theme.SLIDE_MIN_TABLE_PX
    assert lay.legend.font.size >= theme.SLIDE_MIN_TICK_PX
    plot_w = frame.width - lay.margin.l - lay.margin.r
    for key in [k for k in lay.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        lo, hi = lay[key].domain
        assert 0 <= lo < hi <= 1, key
    events = next(a for a in lay.annotations if a.name == narrative.EVENTS_NAME)
    lines = [plain_text(x) for x in events.text.split("<br>")]
    widest = max(slides.text_width(x, events.font.size) for x in lines)
    assert widest <= narrative.LEFT * plot_w + 1


# --- the spec travels in slide links ------------------------------------------------------------


def test_a_narrative_travels_in_the_slides_link_and_an_unknown_patient_does_not(demo_trial):
    schema = us.Schema({ids.NARRATIVE_PATIENT: us.Control("patient", None)})
    known = demo_trial.patients["patient_id"].astype(str)
    spec = narrative_spec("9", "Patient 9's conflict").to_dict()
    (back,), notices = us.decode_slides(us.encode_slides([spec], schema), schema, known)
    assert back == spec and not notices
    stranger = ViewSpec(ids.VIEW_NARRATIVE, {"patient": "no-such-id"}).to_dict()
    specs, notices = us.decode_slides(us.encode_slides([stranger], schema), schema, known)
    assert specs == [] and any("no-such-id" in n for n in notices)


def test_a_spec_of_an_unknown_patient_is_not_built(demo_trial):
    with pytest.raises(KeyError):
        narrative_of(demo_trial, "999")


# --- ADaM: a small study made here, and the CDISC pilot ----------------------------------------


@pytest.fixture(scope="module")
def small_adam(tmp_path_factory):
    return load_trial(write_adam(tmp_path_factory.mktemp("adam")))


def test_an_adam_narrative_names_site_arm_and_adverse_events(small_adam):
    ev = narrative_of(small_adam, "S-05")
    assert ev.title == "Subject S-05: case narrative"
    assert ev.subtitle.startswith("Site ") and "Placebo" in ev.subtitle
    assert "died on day 71" in ev.subtitle
    assert ev.points[0].startswith("Subject S-05 (site ")
    assert any("adverse event" in p for p in ev.points)
    assert any(x.startswith("All ") and "as recorded" in x for x in ev.footnote)
    assert not any("Simulated" in x for x in ev.footnote)
    lanes = list(ev.figure.layout.yaxis.ticktext)
    assert lanes[0] == "Treatment"


def test_an_adam_narrative_says_planned_and_actual_arms_when_they_differ(small_adam):
    ev = narrative_of(small_adam, "S-03")
    assert "planned Placebo, actual Drug" in ev.subtitle


@pytest.fixture(scope="module")
def pilot(shared_data):
    return load_trial(shared_data / "cdiscpilot01")


def test_the_pilots_busiest_subject_fits_one_slide(pilot):
    counts = pilot.events.groupby("patient_id").size()
    pid = str(counts.idxmax())
    ev = narrative_of(pilot, pid)
    n_ae = int(
        (pilot.events.loc[pilot.events["patient_id"] == pid, "event"] == "adverse_event").sum()
    )
    assert n_ae > 10
    assert any(p.startswith(f"{n_ae} adverse events: ") for p in ev.points)  # all in the notes
    fig = slides.slide_figure(ev, Frame(1840, 760), title=False, footer=False)
    listed = next(a.text for a in fig.layout.annotations if a.name == narrative.EVENTS_NAME)
    assert "more (in the speaker notes)" in listed
    assert ev.subtitle.startswith("Site ") and "years" in ev.subtitle
    assert "Data: real" in " ".join(ev.footnote)
