"""Tests of trial/analysis/cox.py against R's survival (coxph with Efron ties, summary.coxph,
cox.zph of survival >= 3).

Expected values were produced ONCE by tools/r_reference/cox_reference.R (output kept in
tools/r_reference/cox_reference.out) and are frozen here. Datasets: tests/data/veteran.csv,
tests/data/cox_noevents.csv (simulated in R, arm C without events) and the CDISC pilot ADTTE
(TTDE) with ADSL's SITEGR1 from ../shared/data (skipped when absent).
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

from trial.analysis.cox import cox_model

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
nan = float("nan")

# --- Frozen R reference values (cox_reference.out) ---------------------------------------------
# R4.2.2 survival 3.5.3
# VET_CELL coefficients: celltypesmallcell | celltypeadeno | celltypelarge
VET_CELL_COEF = [1.00125318279, 1.14771303662, 0.230145516733]
VET_CELL_SE = [0.253507435622, 0.292880510039, 0.277293036984]
VET_CELL_HR = [2.72169046783, 3.15097849085, 1.25878317062]
VET_CELL_LOWER = [1.65597132361, 1.77478233132, 0.731002171302]
VET_CELL_UPPER = [4.47326526556, 5.59430036832, 2.16762019709]
VET_CELL_P = [7.82816241273e-05, 8.90250888956e-05, 0.406554491899]
VET_CELL_LOGLIK = [-505.449054918, -493.024732241]
VET_CELL_LR = [24.8486453538, 3, 1.66074818871e-05]
VET_CELL_WALD = [24.0941365964, 3, 2.3874673634e-05]
VET_CELL_SCORE = [25.509734539, 3, 1.20793947822e-05]
# VET_CELL cox.zph transform=km rows: celltype | GLOBAL
VET_CELL_ZPH_KM_CHISQ = [8.87355648614, 8.87355648614]
VET_CELL_ZPH_KM_DF = [3, 3]
VET_CELL_ZPH_KM_P = [0.0310201278706, 0.0310201278706]
# VET_CELL cox.zph transform=identity rows: celltype | GLOBAL
VET_CELL_ZPH_IDENTITY_CHISQ = [9.54101756741, 9.54101756741]
VET_CELL_ZPH_IDENTITY_DF = [3, 3]
VET_CELL_ZPH_IDENTITY_P = [0.0228989822611, 0.0228989822611]
# VET_CELL cox.zph transform=rank rows: celltype | GLOBAL
VET_CELL_ZPH_RANK_CHISQ = [8.88255097972, 8.88255097972]
VET_CELL_ZPH_RANK_DF = [3, 3]
VET_CELL_ZPH_RANK_P = [0.0308938866828, 0.0308938866828]
# VET_CELL cox.zph transform=log rows: celltype | GLOBAL
VET_CELL_ZPH_LOG_CHISQ = [9.69380857651, 9.69380857651]
VET_CELL_ZPH_LOG_DF = [3, 3]
VET_CELL_ZPH_LOG_P = [0.0213564836245, 0.0213564836245]
# VET_ADJ coefficients: celltype2squamous | celltype2smallcell | celltype2adeno | karno | trt
VET_ADJ_COEF = [-0.362618181045, 0.442452679376, 0.756996159572, -0.0307627537432, 0.275728827006]
VET_ADJ_SE = [0.282984391745, 0.264800652775, 0.302455563625, 0.00524531877328, 0.201689505498]
VET_ADJ_HR = [0.695852072294, 1.55652018557, 2.13186281718, 0.969705604813, 1.31749054773]
VET_ADJ_LOWER = [0.399613520757, 0.926309318232, 1.17844308518, 0.959787484224, 0.887297156485]
VET_ADJ_UPPER = [1.21169600467, 2.61549251463, 3.8566470697, 0.979726215919, 1.95625707877]
VET_ADJ_P = [0.200050746013, 0.094743469262, 0.012320320972, 4.49670143205e-09, 0.171595355509]
VET_ADJ_LOGLIK = [-431.124776174, -402.207058745]
VET_ADJ_LR = [57.8354348587, 5, 3.4011937284e-11]
VET_ADJ_WALD = [59.014848376, 5, 1.94193079789e-11]
VET_ADJ_SCORE = [62.2141773877, 5, 4.2343292079e-12]
# VET_ADJ cox.zph transform=km rows: celltype2 | karno | trt | GLOBAL
VET_ADJ_ZPH_KM_CHISQ = [12.1392008397, 15.4091206591, 0.239698713056, 22.1823502886]
VET_ADJ_ZPH_KM_DF = [3, 1, 1, 5]
VET_ADJ_ZPH_KM_P = [0.00692121529826, 8.656944797e-05, 0.624423804776, 0.000483410329242]
NOEV_FULL_COEF = [-0.368701819165, -19.690585736]
# NOEV_AB coefficients: armB
NOEV_AB_COEF = [-0.368701819165]
NOEV_AB_SE = [0.639413203266]
NOEV_AB_HR = [0.691631610998]
NOEV_AB_LOWER = [0.197517385868]
NOEV_AB_UPPER = [2.42183382101]
NOEV_AB_P = [0.564192616058]
NOEV_AB_LOGLIK = [-22.5595439604, -22.3941106702]
NOEV_AB_LR = [0.330866580487, 1, 0.565149259099]
NOEV_AB_WALD = [0.332496716774, 1, 0.564192616058]
NOEV_AB_SCORE = [0.336063366053, 1, 0.562110383628]
# NOEV_AB cox.zph transform=km rows: arm | GLOBAL
NOEV_AB_ZPH_KM_CHISQ = [0.111057554089, 0.111057554089]
NOEV_AB_ZPH_KM_DF = [1, 1]
NOEV_AB_ZPH_KM_P = [0.73894332305, 0.73894332305]
# ADTTE_ARM coefficients: TRTAXanomeline High Dose | TRTAXanomeline Low Dose
ADTTE_ARM_COEF = [1.61461847858, 1.42255495287]
ADTTE_ARM_SE = [0.233260526262, 0.22950980094]
ADTTE_ARM_HR = [5.02597004242, 4.1477041026]
ADTTE_ARM_LOWER = [3.18176555308, 2.64514003957]
ADTTE_ARM_UPPER = [7.93910627478, 6.50379528698]
ADTTE_ARM_P = [4.45457988435e-12, 5.71009941439e-10]
ADTTE_ARM_LOGLIK = [-754.318015883, -722.022584605]
ADTTE_ARM_LR = [64.5908625563, 2, 9.42480569067e-15]
ADTTE_ARM_WALD = [51.6752746584, 2, 6.00975382456e-12]
ADTTE_ARM_SCORE = [60.2006903861, 2, 8.46420511711e-14]
# ADTTE_ARM cox.zph transform=km rows: TRTA | GLOBAL
ADTTE_ARM_ZPH_KM_CHISQ = [1.04991763297, 1.04991763297]
ADTTE_ARM_ZPH_KM_DF = [2, 2]
ADTTE_ARM_ZPH_KM_P = [0.591579727197, 0.591579727197]
# ADTTE_ARM cox.zph transform=identity rows: TRTA | GLOBAL
ADTTE_ARM_ZPH_IDENTITY_CHISQ = [0.538209632817, 0.538209632817]
ADTTE_ARM_ZPH_IDENTITY_DF = [2, 2]
ADTTE_ARM_ZPH_IDENTITY_P = [0.764063165094, 0.764063165094]
# ADTTE_ADJ coefficients: TRTAXanomeline High Dose | TRTAXanomeline Low Dose | AGE | SEXM
ADTTE_ADJ_COEF = [1.68940074879, 1.41269268423, -0.0126001808827, 0.266336016411]
ADTTE_ADJ_SE = [0.244711629605, 0.235445092351, 0.0104652853663, 0.176659993704]
ADTTE_ADJ_HR = [5.41623404764, 4.10699938089, 0.987478869034, 1.30517354474]
ADTTE_ADJ_LOWER = [3.35272942611, 2.58888888798, 0.96743043034, 0.923198314673]
ADTTE_ADJ_UPPER = [8.74976400731, 6.51532168605, 1.00794277935, 1.84519182371]
ADTTE_ADJ_P = [5.06870130319e-12, 1.97203343477e-09, 0.228590416851, 0.131651989734]
ADTTE_ADJ_LOGLIK = [-404.40632841, -370.899533097]
ADTTE_ADJ_LR = [67.0135906271, 4, 9.68474782313e-14]
ADTTE_ADJ_WALD = [53.4463274681, 4, 6.87258692009e-11]
ADTTE_ADJ_SCORE = [61.6846858699, 4, 1.28335163927e-12]
# ADTTE_ADJ cox.zph transform=km rows: TRTA | AGE | SEX | GLOBAL
ADTTE_ADJ_ZPH_KM_CHISQ = [0.585637753019, 0.0495670756855, 0.0949424943449, 0.710787305]
ADTTE_ADJ_ZPH_KM_DF = [2, 1, 1, 4]
ADTTE_ADJ_ZPH_KM_P = [0.746157275069, 0.8238183136, 0.757985393027, 0.949991993887]


def close(actual, expected, tol=1e-6, rel=0.0):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=rel, atol=tol, equal_nan=True
    )


def veteran():
    v = pd.read_csv(DATA / "veteran.csv")
    v["celltype"] = pd.Categorical(v["celltype"], ["squamous", "smallcell", "adeno", "large"])
    return v


def check_tests(result, lr, wald, score):
    t = result.tests.set_index("test")
    for name, ref in (("likelihood ratio", lr), ("Wald", wald), ("score (logrank)", score)):
        close(t.loc[name, "statistic"], ref[0], rel=1e-7)
        assert t.loc[name, "df"] == ref[1]
        close(t.loc[name, "p"], ref[2], tol=0, rel=1e-5)


def check_levels(rows, coef, se, hr, lower, upper, p):
    close(rows["coef"], coef)
    close(rows["se"], se)
    close(rows["hr"], hr)
    close(rows["lower"], lower)
    close(rows["upper"], upper)
    close(rows["p"], p, tol=0, rel=1e-5)


def check_zph(result, chisq, df, p):
    z = result.ph_test
    close(z["chisq"], chisq, rel=1e-6)
    assert z["df"].tolist() == list(df)
    close(z["p"], p, tol=0, rel=1e-5)


# --- (a) veteran: four cell types, reference squamous --------------------------------------------


def test_hazard_ratios_and_global_tests_match_r():
    r = cox_model(veteran(), "celltype", "time", "status")
    assert r.reference == "squamous" and r.levels["level"].tolist() == [
        "smallcell",
        "adeno",
        "large",
    ]
    assert r.levels["n"].tolist() == [48, 27, 27] and r.levels["estimable"].all()
    check_levels(
        r.levels,
        VET_CELL_COEF,
        VET_CELL_SE,
        VET_CELL_HR,
        VET_CELL_LOWER,
        VET_CELL_UPPER,
        VET_CELL_P,
    )
    check_tests(r, VET_CELL_LR, VET_CELL_WALD, VET_CELL_SCORE)
    assert r.messages == ()


@pytest.mark.parametrize(
    "transform,chisq,df,p",
    [
        ("km", VET_CELL_ZPH_KM_CHISQ, VET_CELL_ZPH_KM_DF, VET_CELL_ZPH_KM_P),
        (
            "identity",
            VET_CELL_ZPH_IDENTITY_CHISQ,
            VET_CELL_ZPH_IDENTITY_DF,
            VET_CELL_ZPH_IDENTITY_P,
        ),
        ("rank", VET_CELL_ZPH_RANK_CHISQ, VET_CELL_ZPH_RANK_DF, VET_CELL_ZPH_RANK_P),
        ("log", VET_CELL_ZPH_LOG_CHISQ, VET_CELL_ZPH_LOG_DF, VET_CELL_ZPH_LOG_P),
    ],
)
def test_ph_test_matches_cox_zph(transform, chisq, df, p):
    r = cox_model(veteran(), "celltype", "time", "status", ph_transform=transform)
    assert r.ph_test["term"].tolist() == ["celltype", "GLOBAL"]
    check_zph(r, chisq, df, p)


def test_adjusted_stratified_model_with_chosen_reference_matches_r():
    r = cox_model(
        veteran(),
        "celltype",
        "time",
        "status",
        reference="large",
        covariates=["karno", "trt"],
        strata="prior",
    )
    order = ["celltype=squamous", "celltype=smallcell", "celltype=adeno", "karno", "trt"]
    c = r.coefficients.set_index("term").loc[order]
    check_levels(c, VET_ADJ_COEF, VET_ADJ_SE, VET_ADJ_HR, VET_ADJ_LOWER, VET_ADJ_UPPER, VET_ADJ_P)
    assert r.levels["level"].tolist() == ["squamous", "smallcell", "adeno"]
    check_tests(r, VET_ADJ_LR, VET_ADJ_WALD, VET_ADJ_SCORE)
    z = r.ph_test.set_index("term").loc[["celltype", "karno", "trt", "GLOBAL"]]
    close(z["chisq"], VET_ADJ_ZPH_KM_CHISQ, rel=1e-6)
    assert z["df"].tolist() == VET_ADJ_ZPH_KM_DF


# --- (b) edge cases ------------------------------------------------------------------------------


def test_level_without_events_is_not_estimable_and_others_keep_the_limit_fit():
    r = cox_model(pd.read_csv(DATA / "cox_noevents.csv"), "arm", "time", "status")
    rows = r.levels.set_index("level")
    assert not rows.loc["C", "estimable"] and np.isnan(rows.loc["C", "hr"])
    assert "no events in 'C'" in rows.loc["C", "note"] and "not estimable" in rows.loc["C", "note"]
    assert any("no events in 'C'" in m for m in r.messages)
    # B vs A: R's fit without arm C, and R's full fit (whose C coefficient diverges) agree
    close(rows.loc["B", "coef"], NOEV_AB_COEF[0])
    close(rows.loc["B", "coef"], NOEV_FULL_COEF[0])
    check_levels(
        rows.loc[["B"]],
        NOEV_AB_COEF,
        NOEV_AB_SE,
        NOEV_AB_HR,
        NOEV_AB_LOWER,
        NOEV_AB_UPPER,
        NOEV_AB_P,
    )
    check_tests(r, NOEV_AB_LR, NOEV_AB_WALD, NOEV_AB_SCORE)
    check_zph(r, NOEV_AB_ZPH_KM_CHISQ, NOEV_AB_ZPH_KM_DF, NOEV_AB_ZPH_KM_P)


def test_reference_without_events_makes_every_ratio_not_estimable():
    r = cox_model(pd.read_csv(DATA / "cox_noevents.csv"), "arm", "time", "status", reference="C")
    assert not r.levels["estimable"].any() and r.levels["hr"].isna().all()
    assert all("infinite" in n for n in r.levels["note"])
    assert r.tests.empty


def test_single_group_and_unknown_reference():
    d = pd.read_csv(DATA / "cox_noevents.csv")
    r = cox_model(d[d["arm"] == "A"], "arm", "time", "status")
    assert r.levels.empty and "fewer than two levels" in r.messages[-1]
    with pytest.raises(ValueError, match="reference level 'Z'"):
        cox_model(d, "arm", "time", "status", reference="Z")


def test_convergence_failure_gives_a_message_not_an_exception():
    d = pd.DataFrame(
        {"time": np.arange(1.0, 21), "event": [1, 0] * 10, "arm": ["A", "B"] * 5 + ["B", "A"] * 5}
    )
    d["x"] = -d["time"]  # whoever has the event always has the largest x: b -> infinity
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cox_model(d, "arm", "time", "event", covariates=["x"])
    assert "did not converge" in r.messages[0]
    assert not r.levels["estimable"].any() and r.tests.empty and r.ph_test.empty


def test_rows_with_missing_values_are_counted_and_result_is_json():
    v = veteran().astype({"karno": float})
    v.loc[:4, "karno"] = nan
    r = cox_model(v, "celltype", "time", "status", covariates=["karno"])
    assert r.n == len(v) - 5 and r.messages[0] == "5 row(s) left out: missing karno"
    json.dumps(r.to_dict(), allow_nan=False)


# --- (c) CDISC pilot: time to first dermatologic event by arm ------------------------------------


@pytest.fixture(scope="module")
def adtte(shared_data):
    p = shared_data / "cdiscpilot01"
    ad = pd.read_sas(p / "adtte.xpt", encoding="latin1")
    sl = pd.read_sas(p / "adsl.xpt", encoding="latin1")[["USUBJID", "SITEGR1"]]
    ad = ad.merge(sl, on="USUBJID")
    return ad.assign(EVENT=1 - ad["CNSR"])


def test_pilot_arms_match_r(adtte):
    r = cox_model(adtte, "TRTA", "AVAL", "EVENT")
    assert r.reference == "Placebo" and r.n == 254
    check_levels(
        r.levels,
        ADTTE_ARM_COEF,
        ADTTE_ARM_SE,
        ADTTE_ARM_HR,
        ADTTE_ARM_LOWER,
        ADTTE_ARM_UPPER,
        ADTTE_ARM_P,
    )
    check_tests(r, ADTTE_ARM_LR, ADTTE_ARM_WALD, ADTTE_ARM_SCORE)
    check_zph(r, ADTTE_ARM_ZPH_KM_CHISQ, ADTTE_ARM_ZPH_KM_DF, ADTTE_ARM_ZPH_KM_P)
    r = cox_model(adtte, "TRTA", "AVAL", "EVENT", ph_transform="identity")
    check_zph(r, ADTTE_ARM_ZPH_IDENTITY_CHISQ, ADTTE_ARM_ZPH_IDENTITY_DF, ADTTE_ARM_ZPH_IDENTITY_P)


def test_pilot_adjusted_for_age_and_sex_stratified_by_site_group_matches_r(adtte):
    r = cox_model(adtte, "TRTA", "AVAL", "EVENT", covariates=["AGE", "SEX"], strata="SITEGR1")
    order = ["TRTA=Xanomeline High Dose", "TRTA=Xanomeline Low Dose", "AGE", "SEX=M"]
    c = r.coefficients.set_index("term").loc[order]
    check_levels(
        c, ADTTE_ADJ_COEF, ADTTE_ADJ_SE, ADTTE_ADJ_HR, ADTTE_ADJ_LOWER, ADTTE_ADJ_UPPER, ADTTE_ADJ_P
    )
    check_tests(r, ADTTE_ADJ_LR, ADTTE_ADJ_WALD, ADTTE_ADJ_SCORE)
    z = r.ph_test.set_index("term").loc[["TRTA", "AGE", "SEX", "GLOBAL"]]
    close(z["chisq"], ADTTE_ADJ_ZPH_KM_CHISQ, rel=1e-6)
