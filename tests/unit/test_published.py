"""Tests of trial/analysis/published.py (relapse as published beside as estimated) and
trial/analysis/display.py ("not reached" text).

The Aalen-Johansen values were produced ONCE by tools/r_reference/published_reference.R
(survival::survfit, multi-state; output in tools/r_reference/published_reference.out). The
published counts are the paper's (trial-facts.md section 1: 3 at 9 months, 4 at 12 months, of 24
responders); the demo reproduces them.
"""

from __future__ import annotations

import numpy as np
import pytest

from trial import survival as sv
from trial.analysis.display import format_median, format_time
from trial.analysis.published import published_vs_estimated

nan = float("nan")

# --- Frozen R reference values (published_reference.out) ---------------------------------------
# R4.2.2 survival 3.5.3
AJ_DAYS = [273, 365]
AJ_RELAPSE = [0.130434782609, 0.260869565217]
AJ_N_RISK = [20, 17]
ANALYSED_BY_DAY = [3, 6]


def test_published_counts_beside_aalen_johansen(demo_trial):
    t = published_vs_estimated(demo_trial.patients)
    assert t["month"].tolist() == [9, 12] and t["day"].tolist() == AJ_DAYS
    assert t["published_relapses"].tolist() == [3, 4]
    assert t["published_pct"].tolist() == pytest.approx([12.5, 100 * 4 / 24])
    # the demo reproduces the paper: 3 recorded at the 9-month visit, 4 more by 12 months
    assert t["recorded_at_visit"].tolist() == [3, 4]
    assert t["recorded_cumulative"].tolist() == [3, 7]
    assert t["recorded_responders"].tolist() == [24, 24]
    np.testing.assert_allclose(t["estimate_pct"], 100 * np.array(AJ_RELAPSE), atol=1e-8)
    assert t["at_risk"].tolist() == AJ_N_RISK
    # as analysed, patient 9's relapse (recorded after death) is not counted: 6 by day 365, not 7
    rel = sv.relapse_endpoint(demo_trial.patients)
    assert [
        int(((rel["status"] == 1) & (rel["time"] <= d)).sum()) for d in AJ_DAYS
    ] == ANALYSED_BY_DAY
    assert (t["lower_pct"] < t["estimate_pct"]).all() and (t["estimate_pct"] < t["upper_pct"]).all()
    text = t["explanation"].iloc[0]
    assert "24 responders" in text and "competing" in text and "cumulative incidence" in text


def test_not_reached_text_does_not_collide_with_the_no_response_group():
    assert format_time(float("nan")) == "not reached"
    assert format_time(None, not_reached="n.r.") == "n.r."
    assert format_time(float("inf")) == "not reached"
    assert format_time(36.0) == sv.format_time(36.0) == "36"
    assert format_time(365.25, "months", 1) == "12.0"
    assert format_median(36, 23, float("nan")) == "36 (23–not reached)"
    assert format_median(nan, nan, nan, short=True) == "not reached"
    assert format_median(nan, 23, nan, short=True) == "not reached (23–not reached)"
    assert sv.format_time(float("nan")) == "NR"  # existing callers unchanged
