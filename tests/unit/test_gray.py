"""Tests of trial/analysis/competing.py (Gray's test) against R's cmprsk::cuminc.

Expected values were produced ONCE by tools/r_reference/gray_reference.R (output kept in
tools/r_reference/gray_reference.out) and are frozen here. Datasets in tests/data/:
gray_small.csv (hand-made: ties within and between causes and groups, censorings tied with
events), gray_sim.csv (simulated in R with set.seed: 3 groups, 2 strata, 3 causes),
gray_mgus2.csv (R's survival::mgus2, a real cohort: plasma-cell malignancy vs death by sex) and
demo_relapse.csv (the demo's relapse endpoint; checked below to be what our code builds).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest

from trial import survival as sv
from trial.analysis.competing import gray_test

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
ROOT = pathlib.Path(__file__).resolve().parents[2]

# --- Frozen R reference values (gray_reference.out) --------------------------------------------
# R4.2.2 cmprsk 2.2.11
# SMALL causes: 1 | 2
SMALL_STAT = [0.803529869554, 2.74518798906]
SMALL_P = [0.669138018283, 0.25344866167]
SMALL_DF = [2, 2]
# SMALL_RHO1 causes: 1 | 2
SMALL_RHO1_STAT = [0.462543547555, 2.18352121972]
SMALL_RHO1_P = [0.793523777773, 0.33562506842]
SMALL_RHO1_DF = [2, 2]
SMALL_A1_TIME = [1, 2, 8, 9]
SMALL_A1_EST = [0.0769230769231, 0.153846153846, 0.250549450549, 0.347252747253]
SMALL_A1_VAR = [0.00591715976331, 0.01088921762, 0.0184135370124, 0.0238948181245]
SMALL_B2_TIME = [3, 8, 10]
SMALL_B2_EST = [0.0769230769231, 0.177884615385, 0.278846153846]
# SIM causes: 1 | 2 | 3
SIM_STAT = [4.12050411681, 2.41723698738, 5.79003721431]
SIM_P = [0.127421848099, 0.298609525548, 0.0552979961468]
SIM_DF = [2, 2, 2]
# SIM_STRATA causes: 1 | 2 | 3
SIM_STRATA_STAT = [3.69263677057, 2.18950951621, 6.04718838539]
SIM_STRATA_P = [0.157817119906, 0.334621660136, 0.0486261322146]
SIM_STRATA_DF = [2, 2, 2]
# SIM_STRATA_RHO05 causes: 1 | 2 | 3
SIM_STRATA_RHO05_STAT = [4.40059840455, 2.15160918728, 6.01455417965]
SIM_STRATA_RHO05_P = [0.110770010765, 0.341023259741, 0.0494260784702]
SIM_STRATA_RHO05_DF = [2, 2, 2]
# MGUS causes: 1 | 2
MGUS_STAT = [1.19450782508, 11.6512590121]
MGUS_P = [0.274422156788, 0.000641590976408]
MGUS_DF = [1, 1]
# DEMO_RESPONSE causes: 1
DEMO_RESPONSE_STAT = [0.784674658697]
DEMO_RESPONSE_P = [0.375715264996]
DEMO_RESPONSE_DF = [1]
# DEMO_CENTER causes: 1
DEMO_CENTER_STAT = [3.6953806274]
DEMO_CENTER_P = [0.296291879393]
DEMO_CENTER_DF = [3]


def load(name):
    return pd.read_csv(DATA / name)


def check(result, stat, p, df):
    assert result.statistic == pytest.approx(stat, rel=1e-8)
    assert result.p == pytest.approx(p, rel=1e-7)
    assert result.df == df and result.message == ""


@pytest.mark.parametrize("cause", [1, 2])
def test_small_hand_made_matches_cuminc(cause):
    d = load("gray_small.csv")
    check(
        gray_test(d, "group", event_of_interest=cause),
        SMALL_STAT[cause - 1],
        SMALL_P[cause - 1],
        SMALL_DF[cause - 1],
    )
    check(
        gray_test(d, "group", event_of_interest=cause, rho=1),
        SMALL_RHO1_STAT[cause - 1],
        SMALL_RHO1_P[cause - 1],
        SMALL_RHO1_DF[cause - 1],
    )


@pytest.mark.parametrize("cause", [1, 2, 3])
def test_simulated_with_strata_and_rho_matches_cuminc(cause):
    d = load("gray_sim.csv")
    i = cause - 1
    check(gray_test(d, "group", event_of_interest=cause), SIM_STAT[i], SIM_P[i], SIM_DF[i])
    check(
        gray_test(d, "group", event_of_interest=cause, strata="stratum"),
        SIM_STRATA_STAT[i],
        SIM_STRATA_P[i],
        SIM_STRATA_DF[i],
    )
    check(
        gray_test(d, "group", event_of_interest=cause, strata="stratum", rho=0.5),
        SIM_STRATA_RHO05_STAT[i],
        SIM_STRATA_RHO05_P[i],
        SIM_STRATA_RHO05_DF[i],
    )


@pytest.mark.parametrize("cause", [1, 2])
def test_real_cohort_mgus2_matches_cuminc(cause):
    r = gray_test(load("gray_mgus2.csv"), "sex", "etime", "event", event_of_interest=cause)
    assert r.groups == ("F", "M")
    check(r, MGUS_STAT[cause - 1], MGUS_P[cause - 1], MGUS_DF[cause - 1])


def test_demo_relapse_endpoint_matches_cuminc(demo_trial):
    shipped = load("demo_relapse.csv")
    built = sv.relapse_endpoint(demo_trial.patients)
    assert built["time"].tolist() == shipped["time"].tolist()
    assert built["status"].tolist() == shipped["status"].tolist()
    check(
        gray_test(built, "response"), DEMO_RESPONSE_STAT[0], DEMO_RESPONSE_P[0], DEMO_RESPONSE_DF[0]
    )
    check(gray_test(built, "center"), DEMO_CENTER_STAT[0], DEMO_CENTER_P[0], DEMO_CENTER_DF[0])


def test_cuminc_estimates_equal_our_aalen_johansen_at_event_times():
    d = load("gray_small.csv")
    for group, cause, times, est in (
        ("A", 1, SMALL_A1_TIME, SMALL_A1_EST),
        ("B", 2, SMALL_B2_TIME, SMALL_B2_EST),
    ):
        cif = sv.cumulative_incidence(d[d["group"] == group], event_of_interest=cause)
        ours = cif.set_index("time").loc[list(map(float, times)), "estimate"]
        np.testing.assert_allclose(ours, est, rtol=0, atol=1e-10)


def test_cuminc_variance_is_the_aalen_type_not_our_delta_method():
    """The documented difference: at group A's first event (n = 13, one event) cuminc's
    variance is d/n^2 = 1/169, the delta method's d(n-d)/n^3 = 12/2197."""
    assert SMALL_A1_VAR[0] == pytest.approx(1 / 13**2, rel=1e-10)
    cif = sv.cumulative_incidence(load("gray_small.csv").query("group == 'A'"))
    row = cif.set_index("time").loc[1.0]
    z = 1.959963984540054
    f = row["estimate"]
    se_delta = np.sqrt(12 / 13**3) / (f * abs(np.log(f)))  # log(-log) scale
    assert row["upper"] == pytest.approx(
        np.exp(-np.exp(np.log(-np.log(f)) - z * se_delta)), rel=1e-9
    )


def test_fewer_than_two_groups_and_json():
    d = load("gray_small.csv")
    r = gray_test(d[d["group"] == "A"], "group")
    assert np.isnan(r.statistic) and "fewer than two groups" in r.message
    json.dumps(r.to_dict(), allow_nan=False)
    json.dumps(gray_test(d, "group").to_dict(), allow_nan=False)


def test_missing_group_values_form_a_group_as_in_survival():
    d = load("gray_small.csv").astype({"group": object})
    d.loc[:3, "group"] = None
    assert gray_test(d, "group").groups == ("A", "B", "C", "Missing")
