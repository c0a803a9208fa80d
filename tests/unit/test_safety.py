"""The safety table (trial/tables.py: treatment-emergent adverse events by system organ class
and preferred term, by actual arm, in the safety population) on the CDISC pilot, against an
independent computation in R on the same XPT files (tools/r_reference/safety_reference.R; its
output, tests/data/pilot_teae_reference.csv, was produced ONCE and is compared row by row).
Skips where ../shared is absent."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest

from trial import tables as tt
from trial.analysis.cohort import Cohort
from trial.filters import PatientFilter
from trial.loader import load_trial

REFERENCE = pathlib.Path(__file__).resolve().parents[1] / "data" / "pilot_teae_reference.csv"


@pytest.fixture(scope="module")
def pilot(shared_data):
    return load_trial(shared_data / "cdiscpilot01")


@pytest.fixture(scope="module")
def safety(pilot):
    return Cohort(role="safety").patients(pilot)


def test_safety_population_by_actual_arm(pilot, safety):
    assert len(safety) == 254
    assert safety["arm"].equals(safety["arm_actual"])
    caption = Cohort(role="safety").analysis_set(pilot)
    assert caption == "Safety population, n = 254, by actual treatment (TRT01A)"


def test_teae_table_matches_r(pilot, safety):
    ref = pd.read_csv(REFERENCE, keep_default_na=False)
    ours = tt.safety_numbers(pilot, safety)
    ours = ours.rename(
        columns={"sev:MILD": "mild", "sev:MODERATE": "moderate", "sev:SEVERE": "severe"}
    )
    cols = [
        "row",
        "arm",
        "N",
        "subjects",
        "events",
        "serious",
        "related",
        "mild",
        "moderate",
        "severe",
    ]
    assert set(ours["row"]) == set(ref["row"])
    merged = ref.merge(ours[cols], on=["row", "arm"], suffixes=("_r", ""), how="left")
    for c in cols[2:]:
        bad = merged.loc[merged[c] != merged[f"{c}_r"], ["row", "arm", c, f"{c}_r"]]
        assert bad.empty, f"{c} differs from R:\n{bad.head()}"
    # the published any-TEAE line of the pilot (65/86, 76/84, 77/84)
    anyrow = ours.loc[ours["row"] == "any"].set_index("arm")
    assert anyrow["subjects"].to_dict() == {
        "Placebo": 65,
        "Xanomeline High Dose": 76,
        "Xanomeline Low Dose": 77,
        "Total": 218,
    }
    assert anyrow.at["Placebo", "pct"] == pytest.approx(100 * 65 / 86)


def test_display_table_and_click_through(pilot, safety):
    shown = tt.safety_table(pilot, safety)
    assert shown.iloc[0]["System organ class / Preferred term"] == tt.ANY_TEAE
    assert shown.iloc[0]["Placebo (N=86): n (%)"] == "65 (75.6 %)"
    soc = shown.iloc[1]["System organ class / Preferred term"]
    assert not soc.startswith(" ") and shown.iloc[2][
        "System organ class / Preferred term"
    ].startswith("    ")
    severity = tt.safety_table(pilot, safety, "severity")
    assert list(severity.columns[2:5]) == [
        "Placebo (N=86): MILD",
        "Placebo (N=86): MODERATE",
        "Placebo (N=86): SEVERE",
    ]
    ids = tt.subjects_with(pilot, safety, "any", "Placebo")
    assert len(ids) == 65
    row = shown.iloc[2]["row"]
    assert set(tt.subjects_with(pilot, safety, row, None)) <= set(
        tt.subjects_with(pilot, safety, shown.iloc[1]["row"], None)
    )


def test_related_codes_of_the_pilot(pilot):
    yes, no = tt.related_codes(pilot)
    assert yes == ["POSSIBLE", "PROBABLE"] and no == ["NONE", "REMOTE"]


def test_filters_restrict_the_denominator(pilot):
    flt = PatientFilter(sexes=("F",))
    women = Cohort(flt, role="safety").patients(pilot)
    numbers = tt.safety_numbers(pilot, women)
    total = numbers.loc[(numbers["row"] == "any") & (numbers["arm"] == tt.TOTAL)].iloc[0]
    assert total["N"] == len(women) == int((pilot.patients["sex"] == "F").sum())
