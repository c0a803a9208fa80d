"""Tests of trial/analysis/forest.py against R: Cox within subgroups and the arm x subgroup
likelihood-ratio test (survival::coxph, anova), medians (survfit, log-log), exact rates
(binom.test), Newcombe's risk-difference interval (hand-coded in R from Newcombe 1998), odds
ratios (glm binomial, confint.default) and the logistic interaction test (anova, "LRT").

Expected values were produced ONCE by tools/r_reference/forest_reference.R (output kept in
tools/r_reference/forest_reference.out). Data: tests/data/veteran.csv, forest_response_sim.csv
(simulated in R), demo_response.csv (the demo's responders), and the CDISC pilot ADTTE/ADSL from
../shared (skipped when absent).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from trial.analysis.forest import response_forest, tte_forest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
nan = float("nan")
ARMS = ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]

# --- Frozen R reference values (forest_reference.out) ------------------------------------------
# R4.2.2 survival 3.5.3
# VET_CELL rows: level x non-reference arm, levels squamous | smallcell | adeno | large
VET_CELL_HR = [0.544381308023, 1.65206363089, 1.22955334769, 1.53562375807]
VET_CELL_LOWER = [0.250829466016, 0.86296336251, 0.527027203484, 0.691706919768]
VET_CELL_UPPER = [1.18148403069, 3.16272319205, 2.86854535176, 3.40916110417]
VET_CELL_P = [0.124015709536, 0.129734262384, 0.632575592606, 0.291823101736]
VET_CELL_INTERACTION = [8.21622904066, 3, 0.0417480175158]
# VET_PRIOR rows: level x non-reference arm, levels 0 | 10
VET_PRIOR_HR = [1.25160960604, 0.674341784127]
VET_PRIOR_LOWER = [0.82460500614, 0.3429615513]
VET_PRIOR_UPPER = [1.89972968181, 1.32591201578]
VET_PRIOR_P = [0.291815844715, 0.253371720077]
VET_PRIOR_INTERACTION = [2.92319516423, 1, 0.0873148120737]
VET_SINGLE_MEDIAN = [118, 51, 51, 156]
VET_SINGLE_LCL = [44, 24, 24, 100]
VET_SINGLE_UCL = [242, 61, 90, 216]
VET_SINGLE_EVENTS = [31, 45, 26, 26]
VET_SINGLE_RATE_LOWER = [0.732621956281, 0.828040069209, 0.810294382587, 0.810294382587]
VET_SINGLE_RATE_UPPER = [0.967968830971, 0.98692075559, 0.999062742908, 0.999062742908]
# SIM rates: level x arm; effects: level x non-reference arm; levels north | south | west
SIM_RATE_LOWER = [
    0.363378258139,
    0.300947803008,
    0.308979448905,
    0.38798393026,
    0.213543554252,
    0.481732527512,
]
SIM_RATE_UPPER = [
    0.655752576912,
    0.628189252793,
    0.609866288071,
    0.776102708649,
    0.502490050673,
    0.820394865067,
]
SIM_RD = [-0.0486656200942, 0.136070853462, 0.31884057971]
SIM_RD_LOWER = [-0.246771536966, -0.0972053524466, 0.0952948068641]
SIM_RD_UPPER = [0.155554194124, 0.347130900848, 0.500760851445]
SIM_OR = [0.822857142857, 1.7316017316, 3.75]
SIM_OR_LOWER = [0.354295726357, 0.661536601132, 1.45835852807]
SIM_OR_UPPER = [1.91109806633, 4.53254521632, 9.64269055198]
SIM_OR_P = [0.650191009393, 0.263419981686, 0.00608840152597]
SIM_INTERACTION = [5.64738702181, 2, 0.0593861935824]
DEMO_CENTER_RATE_LOWER = [0.298776899083, 0.0366925661761, 0.399906426284, 0.349144205587]
DEMO_CENTER_RATE_UPPER = [0.802465859467, 0.709579136263, 0.971855026522, 0.96814597375]
# PILOT_SEX rows: level x non-reference arm, levels F | M
PILOT_SEX_HR = [3.62306200452, 2.95379301741, 7.80689168355, 7.39608622056]
PILOT_SEX_LOWER = [1.98470374457, 1.67521577086, 3.72655786796, 3.46751418159]
PILOT_SEX_UPPER = [6.61387288885, 5.20822054176, 16.354920524, 15.7755926918]
PILOT_SEX_P = [2.76211922409e-05, 0.000181859034705, 5.13965984584e-08, 2.25247901203e-07]
PILOT_SEX_INTERACTION = [4.18552810507, 2, 0.123345730125]
# PILOT_AGE rows: level x non-reference arm, levels <65 | 65-80 | >80
PILOT_AGE_HR = [
    6.23937425613,
    5.4770317786,
    5.64580032467,
    4.50860234249,
    2.73787271864,
    3.21242027431,
]
PILOT_AGE_LOWER = [
    1.93498672334,
    1.73402607546,
    3.01709686162,
    2.39738572907,
    1.10217054319,
    1.46952993115,
]
PILOT_AGE_UPPER = [
    20.1188931369,
    17.299553639,
    10.5648120587,
    8.47902564711,
    6.80107726503,
    7.02241158896,
]
PILOT_AGE_P = [
    0.0021765775219,
    0.00375547846261,
    6.16205041264e-08,
    2.96431641124e-06,
    0.0300437961653,
    0.00344829728274,
]
PILOT_AGE_INTERACTION = [2.68850081016, 4, 0.611228317653]
# PILOT_RESP_SEX rates: level x arm; effects: level x non-reference arm; levels F | M
PILOT_RESP_SEX_RATE_LOWER = [
    0.517330693541,
    0.206282490871,
    0.229157066821,
    0.577410682288,
    0.224080140079,
    0.150983664423,
]
PILOT_RESP_SEX_RATE_UPPER = [
    0.784800362053,
    0.516844453649,
    0.508068647714,
    0.889076700441,
    0.522278503561,
    0.47478106034,
]
PILOT_RESP_SEX_RD = [-0.310377358491, -0.300377358491, -0.393939393939, -0.463458110517]
PILOT_RESP_SEX_RD_LOWER = [-0.481447825619, -0.464029416144, -0.563781498818, -0.63327819855]
PILOT_RESP_SEX_RD_UPPER = [-0.105247981723, -0.107301130868, -0.170378530295, -0.226299092081]
PILOT_RESP_SEX_OR = [0.276923076923, 0.289285714286, 0.182857142857, 0.133333333333]
PILOT_RESP_SEX_OR_LOWER = [0.116795804402, 0.128648971396, 0.0668972043907, 0.0450365035745]
PILOT_RESP_SEX_OR_UPPER = [0.656585148117, 0.650500533207, 0.499822600935, 0.394741517808]
PILOT_RESP_SEX_OR_P = [0.00355598945996, 0.00269935039845, 0.000927297632228, 0.000274244164963]
PILOT_RESP_SEX_INTERACTION = [1.27932441534, 2, 0.527470569466]


def close(actual, expected, tol=1e-6):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol, equal_nan=True
    )


def check_hr(rows, hr, lower, upper, p):
    close(rows["hr"], hr)
    close(rows["lower"], lower)
    close(rows["upper"], upper)
    close(rows["p"], p)


def check_interaction(row, ref):
    close(row[["statistic", "df", "p"]], ref)


def veteran():
    v = pd.read_csv(DATA / "veteran.csv")
    v["arm"] = v["trt"].map({1: "standard", 2: "test"})
    v["celltype"] = pd.Categorical(v["celltype"], ["squamous", "smallcell", "adeno", "large"])
    return v


def test_veteran_hazard_ratios_by_subgroup_and_interactions_match_r():
    r = tte_forest(veteran(), ["celltype", "prior"], "arm", "time", "status")
    cell = r.rows[r.rows["subgroup"] == "celltype"]
    assert cell["level"].tolist() == ["squamous", "smallcell", "adeno", "large"]
    assert (cell["arm"] == "test").all() and (cell["reference"] == "standard").all()
    check_hr(cell, VET_CELL_HR, VET_CELL_LOWER, VET_CELL_UPPER, VET_CELL_P)
    check_hr(
        r.rows[r.rows["subgroup"] == "prior"],
        VET_PRIOR_HR,
        VET_PRIOR_LOWER,
        VET_PRIOR_UPPER,
        VET_PRIOR_P,
    )
    i = r.interactions.set_index("subgroup")
    check_interaction(i.loc["celltype"], VET_CELL_INTERACTION)
    check_interaction(i.loc["prior"], VET_PRIOR_INTERACTION)
    assert cell["n_subgroup"].tolist() == [35, 48, 27, 27]


def test_single_arm_medians_and_event_rates_match_r():
    r = tte_forest(veteran(), ["celltype"], None, "time", "status")
    close(r.rows["median"], VET_SINGLE_MEDIAN, 0)
    close(r.rows["lower"], VET_SINGLE_LCL, 0)
    close(r.rows["upper"], VET_SINGLE_UCL, 0)
    assert r.rows["events"].tolist() == VET_SINGLE_EVENTS
    close(r.rows["rate_lower"], VET_SINGLE_RATE_LOWER)
    close(r.rows["rate_upper"], VET_SINGLE_RATE_UPPER)
    assert r.interactions.empty


def test_response_two_arms_simulated_matches_r():
    d = pd.read_csv(DATA / "forest_response_sim.csv")
    d["arm"] = pd.Categorical(d["arm"], ["control", "active"])
    r = response_forest(d, ["site"], "y", "arm")
    close(r.rows["rate_lower"], SIM_RATE_LOWER)
    close(r.rows["rate_upper"], SIM_RATE_UPPER)
    eff = r.rows[r.rows["arm"] == "active"]
    close(eff["rd"], SIM_RD)
    close(eff["rd_lower"], SIM_RD_LOWER)
    close(eff["rd_upper"], SIM_RD_UPPER)
    close(eff["or"], SIM_OR)
    close(eff["or_lower"], SIM_OR_LOWER)
    close(eff["or_upper"], SIM_OR_UPPER)
    close(eff["or_p"], SIM_OR_P)
    check_interaction(r.interactions.iloc[0], SIM_INTERACTION)


def test_single_arm_response_rates_of_the_demo_match_binom_test():
    r = response_forest(pd.read_csv(DATA / "demo_response.csv"), ["center"], "responder")
    assert r.rows["responders"].tolist() == [9, 2, 7, 6] and r.rows["n"].tolist() == [16, 7, 9, 8]
    close(r.rows["rate_lower"], DEMO_CENTER_RATE_LOWER)
    close(r.rows["rate_upper"], DEMO_CENTER_RATE_UPPER)


def test_arm_without_events_or_all_responders_is_not_estimable():
    v = veteran()
    v.loc[(v["celltype"] == "large") & (v["arm"] == "test"), "status"] = 0
    r = tte_forest(v, ["celltype"], "arm", "time", "status")
    large = r.rows.set_index("level").loc["large"]
    assert not large["estimable"] and "no events" in large["note"]
    d = pd.read_csv(DATA / "forest_response_sim.csv")
    d.loc[(d["site"] == "west") & (d["arm"] == "active"), "y"] = 1
    west = response_forest(d, ["site"], "y", "arm", reference="control").rows
    west = west[(west["level"] == "west") & (west["arm"] == "active")].iloc[0]
    assert np.isnan(west["or"]) and "not estimable" in west["or_note"]
    assert west["rate"] == 1 and np.isfinite(west["rd"])  # the risk difference still exists


def test_missing_values_are_counted():
    v = veteran().astype({"prior": float})
    v.loc[:2, "prior"] = nan
    r = tte_forest(v, ["prior"], "arm", "time", "status")
    assert r.messages == ("prior: 3 row(s) left out (missing values)",)


@pytest.fixture(scope="module")
def pilot(shared_data):
    p = shared_data / "cdiscpilot01"
    ad = pd.read_sas(p / "adtte.xpt", encoding="latin1")
    ad = ad.assign(
        event=1 - ad["CNSR"],
        arm=pd.Categorical(ad["TRTA"], ARMS),
        AGEGR1=pd.Categorical(ad["AGEGR1"], ["<65", "65-80", ">80"]),
    )
    sl = pd.read_sas(p / "adsl.xpt", encoding="latin1")
    sl = sl.assign(
        arm=pd.Categorical(sl["TRT01A"], ARMS), completed=(sl["COMP24FL"] == "Y").astype(int)
    )
    return ad, sl


def test_pilot_hazard_ratios_by_sex_and_age_group_match_r(pilot):
    ad, _ = pilot
    r = tte_forest(ad, ["SEX", "AGEGR1"], "arm", "AVAL", "event")
    sex = r.rows[r.rows["subgroup"] == "SEX"]
    assert sex["arm"].tolist() == ARMS[1:] * 2 and (sex["reference"] == "Placebo").all()
    check_hr(sex, PILOT_SEX_HR, PILOT_SEX_LOWER, PILOT_SEX_UPPER, PILOT_SEX_P)
    check_hr(
        r.rows[r.rows["subgroup"] == "AGEGR1"],
        PILOT_AGE_HR,
        PILOT_AGE_LOWER,
        PILOT_AGE_UPPER,
        PILOT_AGE_P,
    )
    i = r.interactions.set_index("subgroup")
    check_interaction(i.loc["SEX"], PILOT_SEX_INTERACTION)
    check_interaction(i.loc["AGEGR1"], PILOT_AGE_INTERACTION)


def test_pilot_completion_by_arm_within_sex_matches_r(pilot):
    _, sl = pilot
    r = response_forest(sl, ["SEX"], "completed", "arm")
    close(r.rows["rate_lower"], PILOT_RESP_SEX_RATE_LOWER)
    close(r.rows["rate_upper"], PILOT_RESP_SEX_RATE_UPPER)
    eff = r.rows[r.rows["arm"] != "Placebo"]
    for col, ref in (
        ("rd", PILOT_RESP_SEX_RD),
        ("rd_lower", PILOT_RESP_SEX_RD_LOWER),
        ("rd_upper", PILOT_RESP_SEX_RD_UPPER),
        ("or", PILOT_RESP_SEX_OR),
        ("or_lower", PILOT_RESP_SEX_OR_LOWER),
        ("or_upper", PILOT_RESP_SEX_OR_UPPER),
        ("or_p", PILOT_RESP_SEX_OR_P),
    ):
        close(eff[col], ref)
    check_interaction(r.interactions.iloc[0], PILOT_RESP_SEX_INTERACTION)
