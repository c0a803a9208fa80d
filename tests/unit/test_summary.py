"""`python -m trial summary data --json` reproduces every published number of the trial.

Expected values are the published facts (shared/trial-facts.md), not our own output.
"""

import contextlib
import io
import json
from pathlib import Path

import pytest

from trial.cli import main

PUBLISHED = {
    "patients": 40,
    "deaths": 3,
    "alive_at_12_months": 37,
    "relapses": 7,
    "response": {"MCR": 13, "PCR": 11, "NR": 16},
}
CENTERS = ["Drum Tower", "Jiangsu University", "Subei", "Jiangsu Provincial"]


DEMO = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def summary():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["summary", str(DEMO), "--json"]) == 0
    return json.loads(buf.getvalue())


def test_headline_numbers_are_the_published_ones(summary):
    for key, value in PUBLISHED.items():
        assert summary[key] == value, key
    assert summary["relapses_by_month"] == {"9": 3, "12": 7}
    assert sum(summary["centers"].values()) == 40
    assert all(any(c in name for name in summary["centers"]) for c in CENTERS)


def test_patient_9_conflict_is_a_warning(summary):
    assert len(summary["warnings"]) == 1
    assert "'9'" in summary["warnings"][0] and "day 7" in summary["warnings"][0]


def p_values(summary, code):
    return {v["month"]: v["p_vs_baseline"] for v in summary["measures"][code]["visits"]}


def means(summary, code):
    return {v["month"]: v["mean"] for v in summary["measures"][code]["visits"]}


def test_significance_pattern_of_the_paper(summary):
    sledai = p_values(summary, "sledai")
    assert sledai[1] >= 0.05 and all(sledai[m] < 0.05 for m in (3, 6, 9, 12))
    prot = p_values(summary, "proteinuria")
    assert all(prot[m] >= 0.05 for m in (1, 3, 6)) and all(prot[m] < 0.05 for m in (9, 12))
    assert p_values(summary, "ana")[3] < 0.05 and p_values(summary, "anti_dsdna")[3] < 0.05


def test_lowest_and_peak_visits_of_the_paper(summary):
    for code in ("creatinine", "bun"):
        m = means(summary, code)
        assert min(m, key=m.get) == 6
    for code in ("albumin", "c3"):
        m = means(summary, code)
        assert max(m, key=m.get) == 6


def test_every_measure_of_the_demo_is_summarised(summary):
    assert {
        "sledai",
        "bilag",
        "proteinuria",
        "creatinine",
        "bun",
        "albumin",
        "c3",
        "c4",
        "ana",
        "anti_dsdna",
    } <= set(summary["measures"])
    assert summary["measures"]["proteinuria"]["population"] == "lupus_nephritis"
    assert summary["measures"]["sledai"]["visits"][0]["n"] == 40
