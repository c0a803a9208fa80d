"""Tests of trial/survival.py against R's survival package (3.5.3, R 4.2.2).

The expected values below were produced ONCE by tools/r_reference/survival_reference.R (output
kept in tools/r_reference/survival_reference.out) and are frozen here as constants: no test
computes its expectation with our own code. Datasets: tests/data/aml.csv, veteran.csv, mgus2.csv
(written by that script from R's survival package) and competing_small.csv (hand-made, with ties
between causes and between an event and a censoring). The CDISC pilot ADTTE is read from
../shared/data (skipped with a reason when absent).

The Aalen-Johansen CI is referenced by an independent R implementation of the delta-method
variance (R's own multi-state survfit uses the infinitesimal jackknife, a different variance; its
standard errors are kept below, CR_R_IJ_STD_ERR1, for the record, not tested).
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

from trial import survival as sv
from trial.analysis.survival import survival_summary
from trial.model import Study, Trial, derive_outcomes

HERE = pathlib.Path(__file__).resolve().parents[1]
DATA = HERE / "data"
REPO = HERE.parent
ADTTE = REPO.parent / "shared" / "data" / "cdiscpilot01" / "adtte.xpt"
DEMO = REPO / "data"
TOL = 1e-6
nan = float("nan")

# --- Frozen R reference values (survival_reference.out) ----------------------------------------
# R4.2.2 survival 3.5.3
# AML_ALL stratum all
AML_ALL_TIME = [5, 8, 9, 12, 13, 16, 18, 23, 27, 28, 30, 31, 33, 34, 43, 45, 48, 161]
AML_ALL_N_RISK = [23, 21, 19, 18, 17, 15, 14, 13, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1]
AML_ALL_N_EVENT = [2, 2, 1, 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0]
AML_ALL_N_CENSOR = [0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]
AML_ALL_SURV = [
    0.913043478261,
    0.826086956522,
    0.782608695652,
    0.739130434783,
    0.695652173913,
    0.695652173913,
    0.645962732919,
    0.546583850932,
    0.496894409938,
    0.496894409938,
    0.441683919945,
    0.386473429952,
    0.331262939959,
    0.276052449965,
    0.220841959972,
    0.165631469979,
    0.0828157349896,
    0.0828157349896,
]
AML_ALL_LOWER = [
    0.694947537532,
    0.600610411237,
    0.554211506669,
    0.509209438754,
    0.465641749762,
    0.465641749762,
    0.413952950717,
    0.319250413971,
    0.275565628012,
    0.275565628012,
    0.227381168463,
    0.182836618649,
    0.141825693482,
    0.104441343234,
    0.0709966489829,
    0.0421142812616,
    0.00695596679854,
    0.00695596679854,
]
AML_ALL_UPPER = [
    0.977515669901,
    0.930903558387,
    0.903207489882,
    0.873375781698,
    0.841721291392,
    0.841721291392,
    0.805307764482,
    0.726449173821,
    0.684213788448,
    0.684213788448,
    0.63709268746,
    0.587476914418,
    0.535273789989,
    0.480284660417,
    0.422167443381,
    0.360361360273,
    0.286760367981,
    0.286760367981,
]
# AML_ALL medians (rows: )
AML_ALL_MEDIAN = [27]
AML_ALL_MEDIAN_LCL = [13]
AML_ALL_MEDIAN_UCL = [34]
AML_ALL_LANDMARK_TIMES = [12, 24, 36]
AML_ALL_LANDMARK_SURV = [0.739130434783, 0.546583850932, 0.276052449965]
AML_ALL_LANDMARK_LOWER = [0.509209438754, 0.319250413971, 0.104441343234]
AML_ALL_LANDMARK_UPPER = [0.873375781698, 0.726449173821, 0.480284660417]
AML_ALL_LANDMARK_N_RISK = [18, 11, 5]
AML_ALL_TICK_N_RISK = [23, 18, 13, 9, 5, 1]
# AML_X stratum x=Maintained
AML_X_TIME_M = [9, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_X_N_RISK_M = [11, 10, 8, 7, 6, 5, 4, 3, 2, 1]
AML_X_N_EVENT_M = [1, 1, 1, 1, 0, 1, 1, 0, 1, 0]
AML_X_N_CENSOR_M = [0, 1, 0, 0, 1, 0, 0, 1, 0, 1]
AML_X_SURV_M = [
    0.909090909091,
    0.818181818182,
    0.715909090909,
    0.613636363636,
    0.613636363636,
    0.490909090909,
    0.368181818182,
    0.368181818182,
    0.184090909091,
    0.184090909091,
]
AML_X_LOWER_M = [
    0.50808020577,
    0.447428614682,
    0.350190385908,
    0.265752040001,
    0.265752040001,
    0.167330909777,
    0.092829574937,
    0.092829574937,
    0.0117384801232,
    0.0117384801232,
]
AML_X_UPPER_M = [
    0.986673822668,
    0.951162228582,
    0.899023974191,
    0.83529924325,
    0.83529924325,
    0.753399790371,
    0.657040832398,
    0.657040832398,
    0.525014842727,
    0.525014842727,
]
# AML_X stratum x=Nonmaintained
AML_X_TIME_N = [5, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_X_N_RISK_N = [12, 10, 8, 7, 6, 5, 4, 3, 2, 1]
AML_X_N_EVENT_N = [2, 2, 1, 0, 1, 1, 1, 1, 1, 1]
AML_X_N_CENSOR_N = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
AML_X_SURV_N = [
    0.833333333333,
    0.666666666667,
    0.583333333333,
    0.583333333333,
    0.486111111111,
    0.388888888889,
    0.291666666667,
    0.194444444444,
    0.0972222222222,
    0,
]
AML_X_LOWER_N = [
    0.481714942195,
    0.337018932541,
    0.270138924085,
    0.270138924085,
    0.191876619619,
    0.126272012195,
    0.0724016089078,
    0.0311986429312,
    0.00574630569586,
    nan,
]
AML_X_UPPER_N = [
    0.955509365728,
    0.859711799084,
    0.800940192333,
    0.800940192333,
    0.729671569779,
    0.649817408289,
    0.560886052671,
    0.461429476238,
    0.348903861111,
    nan,
]
# AML_X medians (rows: x=Maintained | x=Nonmaintained)
AML_X_MEDIAN = [31, 23]
AML_X_MEDIAN_LCL = [13, 5]
AML_X_MEDIAN_UCL = [nan, 33]
# AML_X ticks by stratum  x=Maintained x=Maintained x=Maintained x=Maintained x=Maintained
# x=Maintained x=Nonmaintained x=Nonmaintained x=Nonmaintained x=Nonmaintained x=Nonmaintained
# x=Nonmaintained
AML_X_TICK_N_RISK = [11, 10, 7, 5, 3, 1, 12, 8, 6, 4, 2, 0]
AML_X_LOGRANK = (3.39638869898, 1, 0.0653393220405)
# VETERAN medians rows:  celltype=squamous | celltype=smallcell | celltype=adeno | celltype=large
VET_MEDIAN = [118, 51, 51, 156]
VET_MEDIAN_LCL = [44, 24, 24, 100]
VET_MEDIAN_UCL = [242, 61, 90, 216]
# VETERAN landmark strata  celltype=squamous celltype=squamous celltype=squamous celltype=smallcell
# celltype=smallcell celltype=smallcell celltype=adeno celltype=adeno celltype=adeno celltype=large
# celltype=large celltype=large
VET_LANDMARK_TIME = [30, 90, 180, 30, 90, 180, 30, 90, 180, 30, 90, 180]
VET_LANDMARK_SURV = [
    0.77037037037,
    0.622222222222,
    0.425730994152,
    0.541666666667,
    0.291666666667,
    0.0877700617284,
    0.703703703704,
    0.288065843621,
    0.0411522633745,
    0.888888888889,
    0.740740740741,
    0.37037037037,
]
VET_LANDMARK_LOWER = [
    0.592777683641,
    0.439404881644,
    0.254884470153,
    0.391693770248,
    0.171668759136,
    0.0246965628403,
    0.494023564232,
    0.132565252224,
    0.00299855961872,
    0.693895813574,
    0.531923493495,
    0.195995796335,
]
VET_LANDMARK_UPPER = [
    0.877963227144,
    0.760525475053,
    0.586565014662,
    0.669614451198,
    0.422515184453,
    0.202010423884,
    0.839367310082,
    0.464614933485,
    0.173406461719,
    0.96274884313,
    0.867038045321,
    0.545872229255,
]
VET_CELLTYPE_LOGRANK = (25.4037003458, 3, 1.27124593901e-05)
CR_TIME = [2, 5, 7, 8, 10, 12, 18, 20, 22, 30]
CR_N_RISK = [20, 18, 15, 14, 12, 11, 7, 6, 4, 2]
CR_CIF1 = [
    0.05,
    0.155555555556,
    0.155555555556,
    0.208333333333,
    0.208333333333,
    0.265509259259,
    0.339021164021,
    0.486044973545,
    0.486044973545,
    0.596312830688,
]
CR_CIF2 = [
    0,
    0.0527777777778,
    0.105555555556,
    0.105555555556,
    0.162731481481,
    0.219907407407,
    0.219907407407,
    0.219907407407,
    0.293419312169,
    0.293419312169,
]
CR_R_IJ_STD_ERR1 = [
    0.048733971724,
    0.0826349335084,
    0.0826349335084,
    0.0928064659572,
    0.0928064659572,
    0.102196145196,
    0.115141274595,
    0.126219049981,
    0.126219049981,
    0.131829480651,
]
CR_DELTA_TIME = [2, 3, 5, 7, 8, 10, 12, 15, 18, 20, 22, 25, 30]
CR_DELTA_VAR1 = [
    0.002375,
    0.002375,
    0.00682853223594,
    0.00682853223594,
    0.00861304012346,
    0.00861304012346,
    0.0104440520929,
    0.0104440520929,
    0.0132575131153,
    0.015931248578,
    0.015931248578,
    0.015931248578,
    0.0173790119688,
]
CR_DELTA_LOWER1 = [
    0.00345401608468,
    0.00345401608468,
    0.0385385119143,
    0.0385385119143,
    0.0647747821071,
    0.0647747821071,
    0.0961066518396,
    0.0961066518396,
    0.135127731328,
    0.232045698506,
    0.232045698506,
    0.232045698506,
    0.302617712619,
]
CR_DELTA_UPPER1 = [
    0.20529929457,
    0.20529929457,
    0.345294125648,
    0.345294125648,
    0.406955955051,
    0.406955955051,
    0.471996957783,
    0.471996957783,
    0.557339343413,
    0.700259852207,
    0.700259852207,
    0.700259852207,
    0.799626356085,
]
MGUS_TIMES = [12, 60, 120, 240, 360]
MGUS_CIF_PCM = [0.00940125934465, 0.0341037129743, 0.0637221680131, 0.0998137159355, 0.134041644326]
MGUS_CIF_DEATH = [0.122185402813, 0.320367010268, 0.53181770408, 0.724027976143, 0.784208246832]
MGUS_DELTA_LOWER_PCM = [
    0.00529731206955,
    0.0254419907443,
    0.0512816760849,
    0.0816899507074,
    0.0976316769519,
]
MGUS_DELTA_UPPER_PCM = [
    0.0156691729433,
    0.0446577215453,
    0.077933024596,
    0.120019131717,
    0.17625307103,
]
# ADTTE medians rows:  TRTA=Placebo | TRTA=Xanomeline High Dose | TRTA=Xanomeline Low Dose
ADTTE_MEDIAN = [nan, 36, 33]
ADTTE_MEDIAN_LCL = [nan, 23, 27]
ADTTE_MEDIAN_UCL = [nan, 46, 48]
ADTTE_N = [86, 84, 84]
ADTTE_EVENTS = [29, 61, 62]
# ADTTE landmark strata  TRTA=Placebo TRTA=Placebo TRTA=Placebo TRTA=Xanomeline High Dose
# TRTA=Xanomeline High Dose TRTA=Xanomeline High Dose TRTA=Xanomeline Low Dose TRTA=Xanomeline Low
# Dose TRTA=Xanomeline Low Dose
ADTTE_LANDMARK_TIME = [30, 60, 90, 30, 60, 90, 30, 60, 90]
ADTTE_LANDMARK_SURV = [
    0.84442128213,
    0.768394907667,
    0.671471800073,
    0.530110511627,
    0.242979035568,
    0.13788096066,
    0.533749584521,
    0.31072377051,
    0.238437337788,
]
ADTTE_LANDMARK_LOWER = [
    0.747044882319,
    0.660919437965,
    0.555092849241,
    0.410820180876,
    0.147059901721,
    0.0621668788804,
    0.417736156539,
    0.206823685796,
    0.143279003173,
]
ADTTE_LANDMARK_UPPER = [
    0.906598104889,
    0.845692839326,
    0.763765825995,
    0.635848864954,
    0.351980660995,
    0.24336057825,
    0.636634576035,
    0.420232385818,
    0.347203831962,
]
ADTTE_LANDMARK_N_RISK = [69, 59, 49, 38, 14, 6, 42, 20, 13]
ADTTE_TRTA_LOGRANK = (60.269556739, 2, 8.17771631386e-14)
PLATEAU_C1 = (3, 1, nan)
PLATEAU_C2 = (4.5, 1, 7)


def close(actual, expected, tol=TOL):
    """Elementwise |a - e| <= tol, NaN only where R has NA."""
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol, equal_nan=True
    )


def load(name):
    return pd.read_csv(DATA / name)


def rows_at(table, times):
    """Rows of our KM/CIF table at R's reported times (R omits time 0)."""
    out = table.set_index("time").loc[list(map(float, times))]
    assert len(out) == len(times)
    return out


# --- (a) Kaplan-Meier with ties and censoring: aml ---------------------------------------------


def test_km_table_aml_overall_matches_r():
    tab = sv.km_table(load("aml.csv"), "time", "status")
    assert tab["group"].unique().tolist() == ["All"]
    first = tab.iloc[0][["time", "at_risk", "estimate", "lower", "upper"]].tolist()
    assert first == [0, 23, 1, 1, 1]
    r = rows_at(tab, AML_ALL_TIME)
    close(r["at_risk"], AML_ALL_N_RISK, 0)
    close(r["events"], AML_ALL_N_EVENT, 0)
    close(r["censored"], AML_ALL_N_CENSOR, 0)
    close(r["estimate"], AML_ALL_SURV)
    close(r["lower"], AML_ALL_LOWER)
    close(r["upper"], AML_ALL_UPPER)


@pytest.mark.parametrize(
    "group,time,n_risk,n_event,n_censor,surv,lower,upper",
    [
        (
            "Maintained",
            AML_X_TIME_M,
            AML_X_N_RISK_M,
            AML_X_N_EVENT_M,
            AML_X_N_CENSOR_M,
            AML_X_SURV_M,
            AML_X_LOWER_M,
            AML_X_UPPER_M,
        ),
        (
            "Nonmaintained",
            AML_X_TIME_N,
            AML_X_N_RISK_N,
            AML_X_N_EVENT_N,
            AML_X_N_CENSOR_N,
            AML_X_SURV_N,
            AML_X_LOWER_N,
            AML_X_UPPER_N,
        ),
    ],
)
def test_km_table_aml_by_group_matches_r(
    group, time, n_risk, n_event, n_censor, surv, lower, upper
):
    tab = sv.km_table(load("aml.csv"), "time", "status", "x")
    r = rows_at(tab[tab["group"] == group], time)
    close(r["at_risk"], n_risk, 0)
    close(r["events"], n_event, 0)
    close(r["censored"], n_censor, 0)
    close(r["estimate"], surv)
    close(r["lower"], lower)  # NaN where S = 0 (Nonmaintained, day 45), as in R
    close(r["upper"], upper)


def test_km_median_aml_matches_r():
    m = sv.km_median(load("aml.csv"), "time", "status")
    close(
        m[["median", "lower", "upper"]].iloc[0],
        [AML_ALL_MEDIAN[0], AML_ALL_MEDIAN_LCL[0], AML_ALL_MEDIAN_UCL[0]],
    )
    m = sv.km_median(load("aml.csv"), "time", "status", "x")
    assert m["group"].tolist() == ["Maintained", "Nonmaintained"]
    close(m["median"], AML_X_MEDIAN)
    close(m["lower"], AML_X_MEDIAN_LCL)
    close(m["upper"], AML_X_MEDIAN_UCL)  # Maintained: upper limit not reached -> NaN
    assert m["n"].tolist() == [11, 12] and m["events"].tolist() == [7, 11]


def test_landmarks_aml_match_r():
    lm = sv.landmarks(load("aml.csv"), AML_ALL_LANDMARK_TIMES + [200], "time", "status")
    r = lm.iloc[:3]
    close(r["estimate"], AML_ALL_LANDMARK_SURV)
    close(r["lower"], AML_ALL_LANDMARK_LOWER)
    close(r["upper"], AML_ALL_LANDMARK_UPPER)
    close(r["at_risk"], AML_ALL_LANDMARK_N_RISK, 0)
    # beyond the last observed time (161) the estimate is undefined, as in R
    assert lm.iloc[3][["estimate", "lower", "upper"]].isna().all()


def test_risk_table_aml_matches_r_and_partitions_n():
    ticks = [0, 10, 20, 30, 40, 50]
    rt = sv.risk_table(load("aml.csv"), ticks, "time", "status")
    close(rt["at_risk"], AML_ALL_TICK_N_RISK, 0)
    rt = sv.risk_table(load("aml.csv"), ticks, "time", "status", "x")
    close(rt["at_risk"], AML_X_TICK_N_RISK, 0)
    n = rt["group"].map({"Maintained": 11, "Nonmaintained": 12})
    assert (rt["at_risk"] + rt["events"] + rt["censored"] == n).all()
    # Maintained: events before day 20 at 9, 13, 18 (3); censored at 13 (1)
    assert rt.iloc[2][["events", "censored"]].tolist() == [3, 1]


def test_logrank_two_groups_matches_r():
    lr = sv.logrank(load("aml.csv"), "time", "status", "x")
    close([lr["chi2"], lr["df"], lr["p"]], AML_X_LOGRANK, 1e-8)


# --- (b) several groups: veteran, 4 cell types -------------------------------------------------

VET_GROUPS = ["squamous", "smallcell", "adeno", "large"]


def veteran():
    v = load("veteran.csv")
    v["celltype"] = pd.Categorical(v["celltype"], VET_GROUPS)  # R's factor order
    return v


def test_logrank_four_groups_matches_r():
    lr = sv.logrank(veteran(), "time", "status", "celltype")
    assert lr["groups"] == VET_GROUPS and lr["df"] == 3
    assert lr["chi2"] == pytest.approx(VET_CELLTYPE_LOGRANK[0], abs=1e-6)
    assert lr["p"] == pytest.approx(VET_CELLTYPE_LOGRANK[2], rel=1e-6)


def test_veteran_medians_and_landmarks_match_r():
    m = sv.km_median(veteran(), "time", "status", "celltype")
    assert m["group"].tolist() == VET_GROUPS
    close(m["median"], VET_MEDIAN)
    close(m["lower"], VET_MEDIAN_LCL)
    close(m["upper"], VET_MEDIAN_UCL)
    lm = sv.landmarks(veteran(), [30, 90, 180], "time", "status", "celltype")
    close(lm["time"], VET_LANDMARK_TIME, 0)
    close(lm["estimate"], VET_LANDMARK_SURV)
    close(lm["lower"], VET_LANDMARK_LOWER)
    close(lm["upper"], VET_LANDMARK_UPPER)


def test_logrank_needs_two_groups():
    aml = load("aml.csv")
    assert sv.logrank(aml, "time", "status") is None
    assert sv.logrank(aml[aml["x"] == "Maintained"], "time", "status", "x") is None


def test_missing_group_values_form_a_group():
    aml = load("aml.csv").astype({"x": object})
    aml.loc[:2, "x"] = None
    tab = sv.km_table(aml, "time", "status", "x")
    assert tab["group"].unique().tolist() == ["Maintained", "Nonmaintained", "Missing"]
    assert sv.logrank(aml, "time", "status", "x")["df"] == 2


# --- Medians when the curve is exactly 0.5 on an interval --------------------------------------


@pytest.mark.parametrize(
    "times,status,expected",
    [
        ([1, 2, 3, 100, 100, 100], [1, 1, 1, 0, 0, 0], PLATEAU_C1),
        (list(range(1, 9)), [1] * 7 + [0], PLATEAU_C2),
    ],
)
def test_median_plateau_at_half_follows_r(times, status, expected):
    # lifelines' own median gives inf (NR) for the first case: 0.5000000000000001 > 0.5
    m = sv.km_median(pd.DataFrame({"time": times, "status": status}), "time", "status")
    close(m[["median", "lower", "upper"]].iloc[0], expected)


def test_formatting_not_reached():
    assert sv.format_time(float("nan")) == "NR"
    assert sv.format_time(float("inf")) == "NR"
    assert sv.format_time(None) == "NR"
    assert sv.format_median(36.0, 23.0, 46.0) == "36 (23–46)"
    assert sv.format_median(31.0, 13.0, float("nan")) == "31 (13–NR)"
    assert sv.format_time(365.25, "months", 1) == "12.0"


def test_month_ticks_align():
    ticks = sv.month_ticks(372)
    assert ticks == [0.0, 91.3125, 182.625, 273.9375, 365.25]
    close(sv.days_to_months(np.array(ticks)), [0, 3, 6, 9, 12], 1e-12)
    assert sv.months_to_days(12) == 365.25
    assert sv.month_ticks(365.0) == ticks[:-1]


def test_only_log_log_ci():
    with pytest.raises(ValueError):
        sv.km_table(load("aml.csv"), "time", "status", ci="plain")


# --- (c) competing risks: Aalen-Johansen -------------------------------------------------------


def test_cif_small_with_ties_matches_r():
    cr = load("competing_small.csv")
    state = np.random.get_state()[1].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lifelines' jitter warning would fail here
        relapse = sv.cumulative_incidence(cr, "time", "status", 1)
        death = sv.cumulative_incidence(cr, "time", "status", 2)
    assert (np.random.get_state()[1] == state).all()  # numpy's global RNG not reseeded
    r = rows_at(relapse, CR_TIME)
    close(r["at_risk"], CR_N_RISK, 0)
    close(r["estimate"], CR_CIF1)
    close(rows_at(death, CR_TIME)["estimate"], CR_CIF2)
    r = rows_at(relapse, CR_DELTA_TIME)
    close(r["lower"], CR_DELTA_LOWER1)
    close(r["upper"], CR_DELTA_UPPER1)
    # counts at the tied time 5: 2 relapses, 1 death; time 12: 1 each and 1 censored
    assert relapse.set_index("time").loc[5.0, ["events", "competing"]].tolist() == [2, 1]
    at12 = relapse.set_index("time").loc[12.0, ["events", "competing", "censored"]].tolist()
    assert at12 == [1, 1, 1]
    assert relapse.iloc[0][["time", "estimate", "lower", "upper"]].tolist() == [0, 0, 0, 0]


def test_cif_mgus2_matches_r():
    mg = load("mgus2.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pcm = sv.cif_landmarks(mg, MGUS_TIMES, "etime", "event", 1)
        death = sv.cif_landmarks(mg, MGUS_TIMES, "etime", "event", 2)
    close(pcm["estimate"], MGUS_CIF_PCM)
    close(death["estimate"], MGUS_CIF_DEATH)
    close(pcm["lower"], MGUS_DELTA_LOWER_PCM)
    close(pcm["upper"], MGUS_DELTA_UPPER_PCM)


def test_cif_rejects_event_of_interest_at_time_zero():
    with pytest.raises(ValueError):
        sv.cumulative_incidence(pd.DataFrame({"time": [0, 2, 3], "status": [1, 0, 2]}))


# --- (d) CDISC pilot ADTTE by arm --------------------------------------------------------------

ARMS = ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]


@pytest.fixture(scope="module")
def adtte():
    if not ADTTE.exists():
        pytest.skip(f"CDISC pilot data not found at {ADTTE} (../shared/data is absent)")
    import pyreadstat

    df, _ = pyreadstat.read_xport(str(ADTTE))
    return df.assign(EVENT=1 - df["CNSR"].astype(int))


def test_adtte_medians_match_r_and_readme(adtte):
    m = sv.km_median(adtte, "AVAL", "EVENT", "TRTA")
    assert m["group"].tolist() == ARMS
    close(m["median"], ADTTE_MEDIAN)
    close(m["lower"], ADTTE_MEDIAN_LCL)
    close(m["upper"], ADTTE_MEDIAN_UCL)
    assert m["n"].tolist() == ADTTE_N and m["events"].tolist() == ADTTE_EVENTS
    shown = [sv.format_median(*r) for r in m[["median", "lower", "upper"]].itertuples(index=False)]
    assert shown == ["NR (NR–NR)", "36 (23–46)", "33 (27–48)"]


def test_adtte_landmarks_and_logrank_match_r(adtte):
    lm = sv.landmarks(adtte, [30, 60, 90], "AVAL", "EVENT", "TRTA")
    close(lm["estimate"], ADTTE_LANDMARK_SURV)
    close(lm["lower"], ADTTE_LANDMARK_LOWER)
    close(lm["upper"], ADTTE_LANDMARK_UPPER)
    close(lm["at_risk"], ADTTE_LANDMARK_N_RISK, 0)
    lr = sv.logrank(adtte, "AVAL", "EVENT", "TRTA")
    assert lr["df"] == 2 and lr["chi2"] == pytest.approx(ADTTE_TRTA_LOGRANK[0], abs=1e-6)
    assert lr["p"] == pytest.approx(ADTTE_TRTA_LOGRANK[2], rel=1e-5)


# --- Endpoints and the rule for events recorded after death ------------------------------------


def hand_trial() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six patients. 9: death day 7, MCR day 90 and relapse day 200 recorded after it (the
    published conflict). 1: PCR day 90, relapse day 150. 2: MCR day 60, death day 120. 3: NR,
    death day 40. 4: PCR day 180, relapse day 100 (before the response). 5: MCR day 30, alive."""
    patients = pd.DataFrame(
        {
            "patient_id": ["1", "2", "3", "4", "5", "9"],
            "center": ["A", "A", "B", "B", "B", "A"],
            "last_followup_day": [365, 120, 40, 370, 200, 7],
        }
    )
    ev = [
        ("1", 90, "response", "PCR"),
        ("1", 150, "relapse", ""),
        ("2", 60, "response", "MCR"),
        ("2", 120, "death", "Death"),
        ("3", 40, "death", "Death"),
        ("4", 100, "relapse", ""),
        ("4", 180, "response", "PCR"),
        ("5", 30, "response", "MCR"),
        ("9", 7, "death", "Death"),
        ("9", 90, "response", "MCR"),
        ("9", 200, "relapse", ""),
    ]
    events = pd.DataFrame(ev, columns=["patient_id", "day", "event", "term"])
    return derive_outcomes(patients, events), events


def test_overall_survival_endpoint():
    p, _ = hand_trial()
    os_ = sv.overall_survival(p).set_index("patient_id")
    assert os_["time"].to_dict() == {"1": 365, "2": 120, "3": 40, "4": 370, "5": 200, "9": 7}
    assert os_["event"].to_dict() == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 0, "9": 1}
    assert "center" in os_  # patient columns kept for grouping and listing


def test_relapse_endpoint_excludes_response_after_death():
    p, _ = hand_trial()
    r = sv.relapse_endpoint(p, "day0").set_index("patient_id")
    assert sorted(r.index) == ["1", "2", "4", "5"]  # 9 left out: response after death
    assert r["status"].to_dict() == {"1": 1, "2": 2, "4": 0, "5": 0}
    assert r["time"].to_dict() == {"1": 150, "2": 120, "4": 370, "5": 200}
    assert r["rfs_event"].to_dict() == {"1": 1, "2": 1, "4": 0, "5": 0}
    r = sv.relapse_endpoint(p, "response").set_index("patient_id")
    assert r["time"].to_dict() == {"1": 60, "2": 60, "4": 190, "5": 170}
    with pytest.raises(ValueError):
        sv.relapse_endpoint(p, "death")


def test_reconciliation_as_recorded_vs_as_analysed():
    p, _ = hand_trial()
    rec = sv.reconciliation(p).set_index("quantity")
    counts = rec[["as_recorded", "as_analysed"]].to_dict("index")
    assert counts == {
        "Patients": {"as_recorded": 6, "as_analysed": 6},
        "Deaths (overall survival)": {"as_recorded": 3, "as_analysed": 3},
        "Responders (MCR or PCR): relapse risk set": {"as_recorded": 5, "as_analysed": 4},
        "Relapses after response": {"as_recorded": 3, "as_analysed": 1},
        "Deaths among responders": {"as_recorded": 2, "as_analysed": 1},
    }
    assert rec.loc["Responders (MCR or PCR): relapse risk set", "patients"] == "9"
    assert rec.loc["Relapses after response", "patients"] == "4, 9"
    exc = sv.analysis_exclusions(p)
    assert exc[["patient_id", "item"]].values.tolist() == [
        ["9", "response"],
        ["4", "relapse"],
        ["9", "relapse"],
    ]
    reasons = dict(zip(exc["patient_id"] + exc["item"], exc["reason"]))
    assert "after death on day 7" in reasons["9response"]
    assert "not in the responder risk set" in reasons["9response"]
    assert "on or before the response" in reasons["4relapse"]


def test_patients_at_lists_the_patients_behind_a_step():
    p, _ = hand_trial()
    os_ = sv.overall_survival(p)
    assert sv.patients_at(os_, 7)["patient_id"].tolist() == ["9"]
    assert sv.patients_at(os_, 120, group_col="center", group="A")["patient_id"].tolist() == ["2"]
    assert sv.patients_at(os_, 120, group_col="center", group="B").empty


def test_survival_summary_is_json():
    p, ev = hand_trial()
    trial = Trial(
        study=Study(title="t", short_title="t"), patients=p, measurements=pd.DataFrame(), events=ev
    )
    for by in (None, "center"):
        s = json.loads(json.dumps(survival_summary(trial, by=by), allow_nan=False))
        os_ = s["overall_survival"]
        assert [g["group"] for g in os_["groups"]] == (["All"] if by is None else ["A", "B"])
        row = os_["groups"][0]["table"][0]
        assert set(row) == {"time", "at_risk", "events", "censored", "estimate", "lower", "upper"}
        assert set(os_["groups"][0]["median"]) == {"n", "events", "median", "lower", "upper"}
        assert (os_["logrank"] is None) == (by is None)
        assert s["relapse_cumulative_incidence"]["population"] == "responders as analysed (n=4)"
        assert s["relapse_free_survival"]["groups"]
    with pytest.raises(KeyError):
        survival_summary(trial, by="nope")


# --- The demo trial (written by `python -m trial demo`) ----------------------------------------


@pytest.fixture(scope="module")
def demo_patients():
    if not (DEMO / "patients.csv").exists():
        pytest.skip("data not generated")
    p = pd.read_csv(DEMO / "patients.csv", dtype={"patient_id": str})
    e = pd.read_csv(DEMO / "events.csv", dtype={"patient_id": str})
    return derive_outcomes(p, e)


def test_demo_overall_survival_37_of_40_at_12_months(demo_patients):
    os_ = sv.overall_survival(demo_patients)
    assert len(os_) == 40 and os_["event"].sum() == 3
    assert sorted(os_.loc[os_["event"] == 1, "time"]) == [7, 192, 256]
    lm = sv.landmarks(os_, [sv.months_to_days(12)])
    assert lm["estimate"].iloc[0] == pytest.approx(37 / 40, abs=1e-12)
    assert np.isnan(sv.km_median(os_)["median"].iloc[0])  # NR


def test_demo_relapses_reconciled(demo_patients):
    rec = sv.reconciliation(demo_patients).set_index("quantity")
    resp = rec.loc["Responders (MCR or PCR): relapse risk set"]
    rel = rec.loc["Relapses after response"]
    assert (resp["as_recorded"], rel["as_recorded"]) == (24, 7)
    assert (resp["as_analysed"], rel["as_analysed"]) == (23, 6)
    assert resp["patients"] == "9" and rel["patients"] == "9"
    r = sv.relapse_endpoint(demo_patients)
    assert len(r) == 23 and (r["status"] == sv.RELAPSE).sum() == 6
    assert "9" not in set(r["patient_id"])


def test_small_groups_are_shown_not_hidden():
    df = pd.DataFrame(
        {
            "time": [5, 10, 3, 7, 8],
            "event": [0, 0, 1, 1, 0],
            "status": [0, 0, 1, 2, 0],
            "g": ["a", "a", "b", "c", "c"],
        }
    )
    assert sv.km_table(df, group_col="g")["group"].unique().tolist() == ["a", "b", "c"]
    m = sv.km_median(df, group_col="g").set_index("group")
    assert np.isnan(m.loc["a", "median"]) and m.loc["b", "median"] == 3
    lm = sv.landmarks(df, [4, 6, 20], group_col="g").set_index(["group", "time"])
    assert lm.loc[("b", 4.0), "estimate"] == 0  # S = 0 after the only patient's death
    assert np.isnan(lm.loc[("c", 20.0), "estimate"])  # beyond the last (censored) time
    cif = sv.cumulative_incidence(df, group_col="g")
    assert cif.groupby("group")["estimate"].last().to_dict() == {"a": 0, "b": 1, "c": 0}
