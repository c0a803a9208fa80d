"""Tests of trial/analysis/multiplicity.py against R: p.adjust, and R's own per-visit paired
t-tests against baseline with the small-numbers rule and the Holm/Hochberg adjustment across
visits per group.

Expected values were produced ONCE by tools/r_reference/multiplicity_reference.R (output kept in
tools/r_reference/multiplicity_reference.out). Data: tests/data/demo_sledai.csv (the demo's
SLEDAI by center) and the CDISC pilot's albumin (ADLBC, ALB) by actual arm over the scheduled
weeks, from ../shared (skipped when absent).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from trial.analysis.multiplicity import MIN_PAIRED, adjust_p, visit_p_values
from trial.stats import grouped_visit_summary, with_change_from_baseline

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
nan = float("nan")

# --- Frozen R reference values (multiplicity_reference.out) ------------------------------------
# R4.2.2
P_RAW = [0.01, 0.04, 0.03, nan, 0.2, 0.005, 0.04]
P_NONE = [0.01, 0.04, 0.03, nan, 0.2, 0.005, 0.04]
P_HOLM = [0.05, 0.12, 0.12, nan, 0.2, 0.03, 0.12]
P_HOCHBERG = [0.05, 0.08, 0.08, nan, 0.2, 0.03, 0.08]
DEMO_GROUP = [
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
]
DEMO_VISIT = [1, 3, 6, 9, 12, 1, 3, 6, 9, 12, 1, 3, 6, 9, 12, 1, 3, 6, 9, 12]
DEMO_N_PAIRED = [15, 14, 14, 13, 12, 7, 7, 6, 7, 7, 9, 8, 9, 9, 9, 7, 8, 8, 8, 7]
DEMO_P = [
    0.207078490369,
    0.00957440951903,
    0.00101198345384,
    0.000316576410667,
    0.00399639519946,
    0.658492097592,
    0.10759568711,
    0.20311066372,
    0.0523201174265,
    0.0492503222598,
    0.877138868247,
    0.00399253949766,
    0.00958982796452,
    0.00821059926231,
    0.000573744445946,
    0.766260065759,
    0.00724698982029,
    0.00218314112507,
    0.00574493605919,
    0.0769549441451,
]
DEMO_HOLM = [
    0.207078490369,
    0.0191488190381,
    0.00404793381535,
    0.00158288205333,
    0.0119891855984,
    0.658492097592,
    0.32278706133,
    0.40622132744,
    0.246251611299,
    0.246251611299,
    0.877138868247,
    0.0159701579906,
    0.0246317977869,
    0.0246317977869,
    0.00286872222973,
    0.766260065759,
    0.0229797442368,
    0.0109157056253,
    0.0229797442368,
    0.15390988829,
]
DEMO_HOCHBERG = [
    0.207078490369,
    0.0191488190381,
    0.00404793381535,
    0.00158288205333,
    0.0119891855984,
    0.658492097592,
    0.32278706133,
    0.40622132744,
    0.209280469706,
    0.209280469706,
    0.877138868247,
    0.0159701579906,
    0.019179655929,
    0.019179655929,
    0.00286872222973,
    0.766260065759,
    0.0217409694609,
    0.0109157056253,
    0.0217409694609,
    0.15390988829,
]
DEMO_MIN8_GROUP = [
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Drum Tower Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu Provincial People's Hospital, Nanjing",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Jiangsu University Hospital, Zhenjiang",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
    "Subei People's Hospital, Yangzhou",
]
DEMO_MIN8_VISIT = [1, 3, 6, 9, 12, 1, 3, 6, 9, 12, 1, 3, 6, 9, 12, 1, 3, 6, 9, 12]
DEMO_MIN8_N_PAIRED = [15, 14, 14, 13, 12, 7, 7, 6, 7, 7, 9, 8, 9, 9, 9, 7, 8, 8, 8, 7]
DEMO_MIN8_P = [
    0.207078490369,
    0.00957440951903,
    0.00101198345384,
    0.000316576410667,
    0.00399639519946,
    nan,
    nan,
    nan,
    nan,
    nan,
    0.877138868247,
    0.00399253949766,
    0.00958982796452,
    0.00821059926231,
    0.000573744445946,
    nan,
    0.00724698982029,
    0.00218314112507,
    0.00574493605919,
    nan,
]
DEMO_MIN8_HOLM = [
    0.207078490369,
    0.0191488190381,
    0.00404793381535,
    0.00158288205333,
    0.0119891855984,
    nan,
    nan,
    nan,
    nan,
    nan,
    0.877138868247,
    0.0159701579906,
    0.0246317977869,
    0.0246317977869,
    0.00286872222973,
    nan,
    0.0114898721184,
    0.0065494233752,
    0.0114898721184,
    nan,
]
DEMO_MIN8_HOCHBERG = [
    0.207078490369,
    0.0191488190381,
    0.00404793381535,
    0.00158288205333,
    0.0119891855984,
    nan,
    nan,
    nan,
    nan,
    nan,
    0.877138868247,
    0.0159701579906,
    0.019179655929,
    0.019179655929,
    0.00286872222973,
    nan,
    0.00724698982029,
    0.0065494233752,
    0.00724698982029,
    nan,
]
PILOT_GROUP = [
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Placebo",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline High Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
    "Xanomeline Low Dose",
]
PILOT_VISIT = [
    2,
    4,
    6,
    8,
    12,
    16,
    20,
    24,
    26,
    2,
    4,
    6,
    8,
    12,
    16,
    20,
    24,
    26,
    2,
    4,
    6,
    8,
    12,
    16,
    20,
    24,
    26,
]
PILOT_N_PAIRED = [
    83,
    79,
    73,
    72,
    67,
    68,
    65,
    57,
    57,
    78,
    72,
    66,
    56,
    50,
    37,
    31,
    30,
    27,
    78,
    70,
    60,
    58,
    50,
    40,
    29,
    25,
    24,
]
PILOT_P = [
    0.000444555193842,
    0.00124644916784,
    0.000438346569085,
    0.210471608125,
    0.0614489819631,
    0.239841349797,
    0.134202946968,
    0.552138279775,
    1,
    1.25258493725e-05,
    0.00010988558696,
    0.00345708963997,
    0.00273397181982,
    0.108514406391,
    0.129862492835,
    0.0130558411508,
    0.279165743718,
    0.030646370562,
    0.000650022043537,
    0.000381770963466,
    0.000426434393409,
    0.168323676496,
    0.00464902042601,
    0.398770032108,
    0.0167638282442,
    0.412473428123,
    0.113217421105,
]
PILOT_HOLM = [
    0.00394511912177,
    0.0087251441749,
    0.00394511912177,
    0.8418864325,
    0.368693891778,
    0.8418864325,
    0.671014734842,
    1,
    1,
    0.000112732644352,
    0.000879084695676,
    0.0207425378398,
    0.0191378027388,
    0.325543219174,
    0.325543219174,
    0.0652792057538,
    0.325543219174,
    0.122585482248,
    0.00455015430476,
    0.00343593867119,
    0.00343593867119,
    0.504971029489,
    0.027894122556,
    0.797540064215,
    0.083819141221,
    0.797540064215,
    0.45286968442,
]
PILOT_HOCHBERG = [
    0.00355644155074,
    0.0087251441749,
    0.00355644155074,
    0.719524049392,
    0.368693891778,
    0.719524049392,
    0.671014734842,
    1,
    1,
    0.000112732644352,
    0.000879084695676,
    0.0207425378398,
    0.0191378027388,
    0.25972498567,
    0.25972498567,
    0.0652792057538,
    0.279165743718,
    0.122585482248,
    0.00455015430476,
    0.00341147514728,
    0.00341147514728,
    0.412473428123,
    0.027894122556,
    0.412473428123,
    0.083819141221,
    0.412473428123,
    0.412473428123,
]


def close(actual, expected, tol=1e-9):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=1e-7, atol=tol, equal_nan=True
    )


@pytest.mark.parametrize(
    "method,expected", [("none", P_NONE), ("holm", P_HOLM), ("hochberg", P_HOCHBERG)]
)
def test_adjust_p_matches_p_adjust(method, expected):
    close(adjust_p(P_RAW, method), expected)


def test_adjust_p_rejects_unknown_method():
    with pytest.raises(ValueError, match="holm"):
        adjust_p([0.1], "bonferroni-ish")


def per_visit(values, group_col, min_paired):
    patients = values[["patient_id", group_col]].drop_duplicates("patient_id")
    months = sorted(values["month"].unique())
    summary = grouped_visit_summary(with_change_from_baseline(values), patients, group_col, months)
    out = {m: visit_p_values(summary, m, min_paired) for m in ("holm", "hochberg")}
    return out["holm"].assign(p_hochberg=out["hochberg"]["p_adjusted"])


def check(result, group, visit, n_paired, p, holm, hochberg):
    r = result.set_index(["group", "month"]).loc[list(zip(group, visit))]
    assert r["n_paired"].tolist() == n_paired
    close(r["p_vs_baseline"], p)
    close(r["p_adjusted"], holm)
    close(r["p_hochberg"], hochberg)
    assert (r["too_few"] == np.isnan(p)).all()


def test_demo_sledai_by_center_matches_r():
    v = pd.read_csv(DATA / "demo_sledai.csv")
    check(
        per_visit(v, "center", MIN_PAIRED),
        DEMO_GROUP,
        DEMO_VISIT,
        DEMO_N_PAIRED,
        DEMO_P,
        DEMO_HOLM,
        DEMO_HOCHBERG,
    )
    r = per_visit(v, "center", 8)
    check(
        r,
        DEMO_MIN8_GROUP,
        DEMO_VISIT,
        DEMO_N_PAIRED,
        DEMO_MIN8_P,
        DEMO_MIN8_HOLM,
        DEMO_MIN8_HOCHBERG,
    )
    assert r["too_few"].sum() == int(np.isnan(DEMO_MIN8_P).sum()) > 0
    assert not r.loc[r["month"] == 0, "too_few"].astype(bool).any()


def test_pilot_albumin_by_arm_matches_r(shared_data):
    lb = pd.read_sas(shared_data / "cdiscpilot01" / "adlbc.xpt", encoding="latin1")
    lb = lb[(lb["PARAMCD"] == "ALB") & lb["AVISITN"].notna()]
    lb = lb.assign(month=lb["AVISITN"].round().astype(int))
    lb = lb[lb["month"] != 99].drop_duplicates(["USUBJID", "month"])
    v = lb.rename(columns={"USUBJID": "patient_id", "AVAL": "value", "TRTA": "arm"})
    check(
        per_visit(v[["patient_id", "arm", "month", "value"]], "arm", MIN_PAIRED),
        PILOT_GROUP,
        PILOT_VISIT,
        PILOT_N_PAIRED,
        PILOT_P,
        PILOT_HOLM,
        PILOT_HOCHBERG,
    )


def test_without_group_column_one_family():
    s = pd.DataFrame(
        {
            "month": [0, 1, 3, 6],
            "n": 10,
            "n_paired": [0, 10, 3, 10],
            "p_vs_baseline": [nan, 0.01, 0.02, 0.04],
        }
    )
    out = visit_p_values(s, "holm")
    assert out["too_few"].tolist() == [False, False, True, False]
    close(out["p_adjusted"], [nan, 0.02, nan, 0.04])
    assert s["p_vs_baseline"].iloc[2] == 0.02  # input untouched
