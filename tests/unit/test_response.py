"""The response engine (trial/analysis/response.py) on a tiny trial whose numbers are worked
out by hand below: best % change from baseline, its direction, its order, who is counted
but not drawn."""

from __future__ import annotations

import pandas as pd
import pytest

from trial.analysis.cohort import Cohort
from trial.analysis.response import ResponseRequest, best_change, default_measure
from trial.filters import PatientFilter
from trial.loader import load_trial

from factories import write_trial

DAYS = {0: 0, 1: 30, 3: 90, 6: 180}
# (patient, month, measure, value), chosen so that every % change is easy to check by hand
# fmt: off
VALUES = [
    # SLEDAI (lower is better)
    ("P01", 0, "sledai", 10), ("P01", 1, "sledai", 8), ("P01", 3, "sledai", 4),
    ("P01", 6, "sledai", 6),  # -20, -60, -40 %: best -60 % at month 3
    ("P02", 0, "sledai", 10), ("P02", 1, "sledai", 12), ("P02", 3, "sledai", 11),
    # +20, +10 %: best +10 % at month 3 (never improved)
    ("P03", 0, "sledai", 0), ("P03", 1, "sledai", 2),  # zero baseline: no % change
    ("P04", 0, "sledai", 8),  # baseline only: no post-baseline value
    # P05: no SLEDAI at all
    ("P06", 0, "sledai", 20), ("P06", 1, "sledai", 10), ("P06", 3, "sledai", 10),
    # -50 % twice: best -50 % at the first, month 1; a 50 % improvement exactly
    # C3 (higher is better)
    ("P01", 0, "c3", 0.5), ("P01", 1, "c3", 0.6), ("P01", 3, "c3", 0.55),  # +20, +10: best +20
    ("P02", 0, "c3", 0.8), ("P02", 1, "c3", 0.4),  # -50: best -50
    # proteinuria: lupus nephritis patients only (P04 and P05 have none)
    ("P01", 0, "proteinuria", 2.0), ("P01", 3, "proteinuria", 1.0),  # -50 %
    ("P04", 0, "proteinuria", 2.0), ("P04", 3, "proteinuria", 0.5),  # not in the population
]
# fmt: on
# P01 MCR, P02 PCR (valid_tables' events), the others no response


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    rows = [[p, m, DAYS[m], code, v, "simulated"] for p, m, code, v in VALUES]
    rows[0][5] = "published"  # P01's baseline SLEDAI
    rows[2][5] = "published"  # P01's month-3 SLEDAI, its best
    measurements = pd.DataFrame(
        rows, columns=["patient_id", "month", "day", "measure", "value", "provenance"]
    ).astype(str)
    folder = write_trial(tmp_path_factory.mktemp("tiny"), measurements=measurements)
    return load_trial(folder)


def test_best_change_of_a_lower_is_better_measure_by_hand(tiny):
    r = best_change(tiny, ResponseRequest(measure="sledai", group="response"))
    assert r.direction == "lower" and r.threshold == -50
    # worst on the left, best on the right
    assert list(r.best["patient_id"]) == ["P02", "P06", "P01"]
    assert list(r.best["best_pct"]) == pytest.approx([10.0, -50.0, -60.0])
    assert list(r.best["best_month"]) == [3, 1, 3]
    assert list(r.best["best_value"]) == [11, 10, 4]
    assert list(r.best["n_post"]) == [2, 2, 3]
    assert list(r.best["improved"]) == [False, True, True]
    assert list(r.best["group"]) == ["PCR", "NR", "MCR"]
    assert list(r.best["simulated"]) == [True, True, False]  # P01's best value is published
    assert r.n_patients == 6
    assert r.no_baseline == ("P03", "P05")  # a zero baseline, no value at all
    assert r.no_post == ("P04",)
    assert r.group_label == "Responder group"


def test_the_spider_holds_every_post_baseline_change(tiny):
    r = best_change(tiny, ResponseRequest(measure="sledai"))
    p01 = r.changes.loc[r.changes["patient_id"] == "P01"]
    assert list(p01["month"]) == [1, 3, 6]
    assert list(p01["pct_change"]) == pytest.approx([-20.0, -60.0, -40.0])
    assert set(r.changes["patient_id"]) == {"P01", "P02", "P06"}
    assert len(r.changes) == 3 + 2 + 2
    assert set(r.best["group"]) == {"All"}


def test_by_group_medians_and_improved_counts_by_hand(tiny):
    r = best_change(tiny, ResponseRequest(measure="sledai", group="response"))
    g = r.by_group.set_index("group")
    assert list(g.index) == ["MCR", "PCR", "NR"]
    assert list(g["n"]) == [1, 1, 1]
    assert list(g["median_best_pct"]) == pytest.approx([-60.0, 10.0, -50.0])
    assert list(g["improved"]) == [1, 0, 1]


def test_higher_is_better_takes_the_highest_change_and_sorts_the_other_way(tiny):
    r = best_change(tiny, ResponseRequest(measure="c3"))
    assert r.direction == "higher" and r.threshold == 50
    assert list(r.best["patient_id"]) == ["P02", "P01"]  # -50 on the left, +20 on the right
    assert list(r.best["best_pct"]) == pytest.approx([-50.0, 20.0])
    assert list(r.best["best_month"]) == [1, 1]
    assert list(r.best["improved"]) == [False, False]
    assert r.no_baseline == ("P03", "P04", "P05", "P06")


def test_the_measures_population_and_the_filter_decide_who_is_counted(tiny):
    r = best_change(tiny, ResponseRequest(measure="proteinuria"))
    assert r.n_patients == 4  # lupus nephritis: P01, P02, P03, P06
    assert list(r.best["patient_id"]) == ["P01"]
    assert list(r.best["best_pct"]) == pytest.approx([-50.0])
    assert r.no_baseline == ("P02", "P03", "P06")
    a = best_change(tiny, ResponseRequest(Cohort(PatientFilter(centers=("Center A",))), "sledai"))
    assert a.n_patients == 3  # P01, P02, P05
    assert sorted(a.best["patient_id"]) == ["P01", "P02"] and a.no_baseline == ("P05",)


def test_no_such_measure_and_no_one_to_draw_say_why(tiny):
    assert best_change(tiny, ResponseRequest(measure="nope")).empty
    nobody = best_change(tiny, ResponseRequest(Cohort(PatientFilter(centers=())), "sledai"))
    assert nobody.empty and nobody.best.empty and nobody.n_patients == 0


def test_the_default_measure_is_sledai_where_the_trial_has_it(tiny):
    assert default_measure(tiny) == "sledai"


def test_the_waterfall_and_the_spider_make_slides_and_exports(demo_trial):
    """Bars have neither `mode` nor a marker size: the slide styling must not assume them."""
    from datetime import date

    from components import ids
    from components.export.build import build_view
    from components.export.slides import slide_figure
    from components.state.viewspec import ViewSpec

    for plot in ("waterfall", "spider"):
        spec = ViewSpec(ids.VIEW_RESPONSE, {"plot": plot}, takeaway="Responders halve SLEDAI")
        ev = build_view(demo_trial, spec, date(2026, 1, 1))
        fig = slide_figure(ev)
        assert fig.layout.width == 1920 and fig.layout.height == 1080
        assert "click" not in ev.subtitle
        assert ev.takeaway == "Responders halve SLEDAI"
