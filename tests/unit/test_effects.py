"""The effect estimates as the analysis engine wires them into the views (trial/analysis/
survival.py, effects.py, trajectories.py, subgroups.py), against R on the rows R selects itself.

Frozen values: tools/r_reference/effects_reference.R (-> effects_reference.out: demo overall
survival by responder group, the 3-month landmark, SLEDAI's per-visit tests with Holm and
Hochberg, the pilot's stratified and adjusted hazard ratios), and, from the R scripts of the
statistics themselves, gray_reference.out (demo relapse by center), cox_reference.out (pilot
TTDE by arm), forest_reference.out (pilot forest by sex and age group, demo response by center)
and mixed_reference.out (demo SLEDAI and pilot albumin estimated means).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trial import survival as sv
from trial.analysis.cohort import Cohort
from trial.analysis.subgroups import (
    AGE_GROUP,
    RESPONSE,
    ForestRequest,
    analyse_forest,
    default_subgroups,
    subgroup_options,
)
from trial.analysis.survival import SurvivalRequest, analyse_survival, patients_at
from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
from trial.filters import PatientFilter
from trial.loader import load_trial
from trial.summary import build_summary

nan = float("nan")

# --- Frozen R reference values ----------------------------------------------------------------
# effects_reference.out (R4.2.2 survival 3.5.3)
DEMO_OS_RESPONSE_HR = [1.57437831057]
DEMO_OS_RESPONSE_LOWER = [0.142713874879]
DEMO_OS_RESPONSE_UPPER = [17.3680874891]
DEMO_OS_RESPONSE_P = [0.710990300459]
DEMO_OS_RESPONSE_ZPH_GLOBAL = [2.21698874918, 1, 0.136499063536]
DEMO_LM3_EXCLUDED = [1, 0]
DEMO_LM3_N = [34, 3, 2]
DEMO_LM3_LOGRANK = [0.298572852985, 2, 0.861322374018]
DEMO_LM3_KM_NOT = [0.970588235294, 0.941176470588]
DEMO_SLEDAI_MCR_P = [
    0.588449338316,
    1.63314133348e-05,
    6.76631029704e-06,
    1.26674300218e-06,
    0.00316747477825,
]
DEMO_SLEDAI_MCR_HOLM = [
    0.588449338316,
    4.89942400043e-05,
    2.70652411881e-05,
    6.33371501089e-06,
    0.00633494955649,
]
DEMO_SLEDAI_PCR_HOLM = [1, 0.00448550317373, 0.00724825325752, 0.00724825325752, 9.91447196011e-05]
DEMO_SLEDAI_PCR_HOCHBERG = [
    1,
    0.00448550317373,
    0.00611890566205,
    0.00611890566205,
    9.91447196011e-05,
]
DEMO_SLEDAI_NR_HOLM = [
    0.386329229541,
    0.365342447126,
    0.0112236741084,
    0.0200376469463,
    0.0200376469463,
]
DEMO_SLEDAI_NR_HOCHBERG = [
    0.386329229541,
    0.365342447126,
    0.0112236741084,
    0.0156160846892,
    0.0156160846892,
]
PILOT_STRATA_AGE_HR = [5.22319184964, 4.03947528299, 0.982423870207]
PILOT_STRATA_AGE_LOWER = [3.21684935925, 2.53433337221, 0.962286768274]
PILOT_STRATA_AGE_UPPER = [8.48088612534, 6.43852175915, 1.00298236718]
PILOT_STRATA_AGE_P = [2.31667133081e-11, 4.3673406342e-09, 0.0933193847605]
PILOT_STRATA_AGE_ZPH_GLOBAL = [0.815975873659, 3, 0.845642122708]
# gray_reference.out (cmprsk::cuminc)
DEMO_CENTER_STAT, DEMO_CENTER_P, DEMO_CENTER_DF = [3.6953806274], [0.296291879393], [3]
# cox_reference.out (coxph, TTDE ~ TRTA)
ADTTE_ARM_HR = [5.02597004242, 4.1477041026]
ADTTE_ARM_LOWER = [3.18176555308, 2.64514003957]
ADTTE_ARM_UPPER = [7.93910627478, 6.50379528698]
ADTTE_ARM_P = [4.45457988435e-12, 5.71009941439e-10]
ADTTE_ARM_ZPH_KM_CHISQ = [1.04991763297, 1.04991763297]
# forest_reference.out
PILOT_SEX_HR = [3.62306200452, 2.95379301741, 7.80689168355, 7.39608622056]
PILOT_SEX_INTERACTION = [4.18552810507, 2, 0.123345730125]
PILOT_AGE_HR = [
    6.23937425613,
    5.4770317786,
    5.64580032467,
    4.50860234249,
    2.73787271864,
    3.21242027431,
]
PILOT_AGE_INTERACTION = [2.68850081016, 4, 0.611228317653]
DEMO_CENTER_RATE_LOWER = [0.298776899083, 0.0366925661761, 0.399906426284, 0.349144205587]
DEMO_CENTER_RATE_UPPER = [0.802465859467, 0.709579136263, 0.971855026522, 0.96814597375]
# mixed_reference.out (nlme::lme, demo SLEDAI by response: MCR then NR then PCR visits)
DEMO_EMM_MCR = [
    12.6923076923,
    12.9429042073,
    8.33366921431,
    5.50462746852,
    5.33366921431,
    7.47004788366,
]
DEMO_EMM_MCR_LOWER = [
    10.2616682961,
    10.4312367102,
    5.85783645798,
    2.99295997143,
    2.85783645798,
    4.95838038657,
]
PILOT_EMM_PLACEBO = [39.8372093023, 38.8675776958, 38.7955408095, 38.8501525219, 39.4610101138]


def close(actual, expected, tol=1e-6):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=tol, atol=0, equal_nan=True
    )


@pytest.fixture(scope="module")
def pilot(shared_data):
    return load_trial(shared_data / "cdiscpilot01")


def survival(trial, endpoint="os", group="none", **kw):
    return analyse_survival(trial, SurvivalRequest(Cohort(), endpoint, group, **kw))


# --- Survival tab: hazard ratios, PH check, guarantee time, landmark, Gray, published -----------


def test_hazard_ratio_by_responder_group_matches_coxph(demo_trial):
    r = survival(demo_trial, group="response")
    levels = r.hazard.levels.set_index("level")
    assert r.hazard.cox.reference == "MCR"
    assert not levels.loc["PCR", "estimable"] and "no events" in levels.loc["PCR", "note"]
    close(levels.loc[["NR"], "hr"], DEMO_OS_RESPONSE_HR)
    close(levels.loc[["NR"], "lower"], DEMO_OS_RESPONSE_LOWER)
    close(levels.loc[["NR"], "upper"], DEMO_OS_RESPONSE_UPPER)
    close(levels.loc[["NR"], "p"], DEMO_OS_RESPONSE_P)
    g = r.hazard.ph_global
    close([g["chisq"], g["df"], g["p"]], DEMO_OS_RESPONSE_ZPH_GLOBAL)
    # responses are known months after day 0: the grouping is flagged
    assert r.guarantee.post_baseline and "guarantee-time" in r.guarantee.message
    assert survival(demo_trial, group="center").guarantee is None


def test_landmark_at_3_months_matches_r(demo_trial):
    r = survival(demo_trial, group="response", landmark=3)
    lm = r.landmark
    assert (lm.months, lm.day) == (3, sv.months_to_days(3))
    assert lm.excluded["n"].tolist() == DEMO_LM3_EXCLUDED
    assert r.summary["group"].tolist() == ["No response by month 3", "MCR", "PCR"]
    assert r.summary["n"].tolist() == DEMO_LM3_N
    close([r.test["chi2"], r.test["df"], r.test["p"]], DEMO_LM3_LOGRANK)
    curve = r.curves.loc[
        (r.curves["group"] == "No response by month 3") & (r.curves["events"] > 0), "estimate"
    ]
    close(curve, DEMO_LM3_KM_NOT)
    assert r.hazard.cox.reference == "No response by month 3"
    # the times are counted from the landmark; a click finds patients on that clock
    first = r.curves.loc[r.curves["events"] > 0, "time"].min()
    assert 0 < first < 365 - lm.day
    clicked = patients_at(demo_trial, r.request, first, "No response by month 3")
    assert len(clicked) >= 1


def test_landmark_is_not_applied_to_a_grouping_known_at_the_origin(demo_trial):
    r = survival(demo_trial, group="center", landmark=6)
    assert r.landmark is None and r.notices and "known at the origin" in r.notices[0]
    assert r.summary["n"].sum() == 40


def test_cumulative_incidence_has_grays_test_beside_the_log_rank(demo_trial):
    r = survival(demo_trial, "cif", "center")
    close(
        [r.gray.statistic, r.gray.p, r.gray.df], DEMO_CENTER_STAT + DEMO_CENTER_P + DEMO_CENTER_DF
    )
    assert r.hazard.cause_specific
    assert survival(demo_trial, "os", "center").gray is None


def test_pilot_hazard_ratios_by_arm_match_coxph(pilot):
    r = survival(pilot, "tte:TTDE", "arm", unit="days")
    levels = r.hazard.levels
    assert r.hazard.cox.reference == "Placebo"
    assert levels["level"].tolist() == ["Xanomeline High Dose", "Xanomeline Low Dose"]
    close(levels["hr"], ADTTE_ARM_HR)
    close(levels["lower"], ADTTE_ARM_LOWER)
    close(levels["upper"], ADTTE_ARM_UPPER)
    close(levels["p"], ADTTE_ARM_P, 1e-5)
    close([r.hazard.ph_global["chisq"]], ADTTE_ARM_ZPH_KM_CHISQ[1:])


def test_pilot_hazard_ratios_stratified_by_site_and_adjusted_for_age(pilot):
    r = survival(pilot, "tte:TTDE", "arm", unit="days", strata=True, covariates=("age",))
    coef = r.hazard.cox.coefficients
    close(coef["hr"], PILOT_STRATA_AGE_HR)
    close(coef["lower"], PILOT_STRATA_AGE_LOWER)
    close(coef["upper"], PILOT_STRATA_AGE_UPPER)
    close(coef["p"], PILOT_STRATA_AGE_P, 1e-5)
    g = r.hazard.ph_global
    close([g["chisq"], g["df"], g["p"]], PILOT_STRATA_AGE_ZPH_GLOBAL, 1e-5)
    assert r.hazard.strata == "center" and r.hazard.covariates == ("age",)


def test_relapse_as_published_only_on_this_trial(demo_trial, pilot):
    t = survival(demo_trial, "cif").published
    assert t["published_relapses"].tolist() == [3, 4]
    assert t["published_pct"].round(1).tolist() == [12.5, 16.7]
    assert t["estimate_pct"].round(1).tolist() == [13.0, 26.1]
    assert survival(demo_trial, "rfs").published is None
    assert survival(pilot, "tte:TTDE", unit="days").published is None
    other = dataclasses.replace(
        demo_trial, study=dataclasses.replace(demo_trial.study, registry_id="NCT00000000")
    )
    assert survival(other, "cif").published is None


# --- Trajectories: multiplicity, small numbers, the mixed model ------------------------------


def test_marks_follow_holm_and_hochberg_as_p_adjust(demo_trial):
    for method, want in (
        (
            "holm",
            {"MCR": DEMO_SLEDAI_MCR_HOLM, "PCR": DEMO_SLEDAI_PCR_HOLM, "NR": DEMO_SLEDAI_NR_HOLM},
        ),
        ("hochberg", {"PCR": DEMO_SLEDAI_PCR_HOCHBERG, "NR": DEMO_SLEDAI_NR_HOCHBERG}),
    ):
        panel = analyse_trajectories(
            demo_trial, TrajectoryRequest(Cohort(), "sledai", "response", adjust=method)
        ).panels[0]
        s = panel.summary.loc[panel.summary["month"] != 0]
        for group, p in want.items():
            close(s.loc[s["group"] == group, "p_adjusted"], p)
    s = panel.summary
    close(s.loc[(s["group"] == "MCR") & (s["month"] != 0), "p_vs_baseline"], DEMO_SLEDAI_MCR_P)


def test_no_test_where_a_group_has_fewer_than_six_pairs(demo_trial):
    panels = analyse_trajectories(
        demo_trial, TrajectoryRequest(Cohort(), "sledai", "center+response", adjust="holm")
    ).panels
    s = panels[0].summary
    follow = s.loc[s["month"] != 0]
    few = follow["n_paired"] < 6
    assert few.any() and (~few).any()
    assert follow.loc[few, "too_few"].all() and follow.loc[few, "p_vs_baseline"].isna().all()
    assert follow.loc[few, "p_adjusted"].isna().all()


def test_the_model_option_gives_lme_estimated_means(demo_trial):
    panel = analyse_trajectories(
        demo_trial, TrajectoryRequest(Cohort(), "sledai", "response", model=True)
    ).panels[0]
    emm = panel.model.emm
    mcr = emm.loc[emm["group"] == "MCR"]
    close(mcr["estimate"], DEMO_EMM_MCR)
    close(mcr["lower"], DEMO_EMM_MCR_LOWER)
    assert "compound symmetry" in panel.model.assumptions
    pct = analyse_trajectories(
        demo_trial,
        TrajectoryRequest(Cohort(), "sledai", "response", scale="pct_change", model=True),
    ).panels[0]
    assert pct.model is None and "% change" in pct.model_notes[0]


def test_the_model_leaves_out_a_group_without_values_at_a_visit(demo_trial):
    panel = analyse_trajectories(
        demo_trial,
        TrajectoryRequest(
            Cohort(PatientFilter(centers=(demo_trial.centers[3],))),
            "sledai",
            "response",
            model=True,
        ),
    ).panels[0]
    counts = panel.values.groupby(["group", "month"]).size().unstack(fill_value=0)
    missing = [
        g
        for g in counts.index
        if (counts.loc[g] == 0).any() or len(counts.columns) < len(demo_trial.study.visit_months)
    ]
    modelled = set(panel.model.emm["group"]) if panel.model is not None else set()
    assert not modelled & set(missing)
    assert all("not in the mixed model" in n for n in panel.model_notes) or not missing


def test_the_pilots_lab_by_arm(pilot):
    panel = analyse_trajectories(
        pilot, TrajectoryRequest(Cohort(), "ALB", "arm", model=True)
    ).panels[0]
    emm = panel.model.emm
    close(emm.loc[emm["group"] == "Placebo", "estimate"].iloc[:5], PILOT_EMM_PLACEBO)


# --- Effects tab: the forest ------------------------------------------------------------------


def test_pilot_forest_by_sex_and_age_group_matches_r(pilot):
    r = analyse_forest(pilot, ForestRequest(Cohort(), "tte:TTDE", ("sex", "agegr1"), "arm"))
    assert r.kind == "hr" and r.reference == "Placebo" and r.null == 1
    rows = r.rows
    close(rows.loc[rows["subgroup"] == "sex", "estimate"], PILOT_SEX_HR)
    ages = rows.loc[rows["subgroup"] == "agegr1"]
    assert list(dict.fromkeys(ages["level"])) == ["<65", "65-80", ">80"]
    close(ages["estimate"], PILOT_AGE_HR)
    tests = r.tests.set_index("subgroup")
    close(tests.loc["sex", ["statistic", "df", "p"]], PILOT_SEX_INTERACTION)
    close(tests.loc["agegr1", ["statistic", "df", "p"]], PILOT_AGE_INTERACTION)
    whole = rows.loc[rows["subgroup"] == "all"]
    close(whole["estimate"], ADTTE_ARM_HR)
    # a line's n and events are those of the two arms it compares
    f_high = rows.loc[(rows["level"] == "F") & (rows["arm"] == "Xanomeline High Dose")].iloc[0]
    assert f_high["n"] == f_high["n_arm"] + f_high["n_reference"]


def test_pilot_forest_keeps_the_datas_labels(pilot):
    options = subgroup_options(pilot)
    assert default_subgroups(pilot) == ["sex", "agegr1", "race"]
    assert options["agegr1"] == "Pooled Age Group 1 (AGEGR1)"
    assert not any("lupus" in v.lower() or "respon" in v.lower() for v in options.values())
    assert AGE_GROUP not in options  # the data have their own age group


def test_demo_forest_single_arm_response_rates(demo_trial):
    r = analyse_forest(demo_trial, ForestRequest(Cohort(), RESPONSE, ("center",)))
    assert r.kind == "rate" and r.null == pytest.approx(24 / 40)
    rows = r.rows.loc[r.rows["subgroup"] == "center"]
    assert sorted(np.round(rows["lower"], 9)) == sorted(np.round(DEMO_CENTER_RATE_LOWER, 9))
    assert sorted(np.round(rows["upper"], 9)) == sorted(np.round(DEMO_CENTER_RATE_UPPER, 9))
    assert rows["n"].sum() == 40


def test_forest_leaves_out_circular_subgroups_and_warns_of_guarantee_time(demo_trial):
    r = analyse_forest(demo_trial, ForestRequest(Cohort(), "os", ("relapse", "response", "sex")))
    assert set(r.rows["subgroup"]) == {"all", "response", "sex"}
    assert any("Relapse" in m for m in r.messages)
    assert r.warnings and "guarantee-time" in r.warnings[0]
    assert analyse_forest(demo_trial, ForestRequest(Cohort(), RESPONSE, ("response",))).messages


def test_derived_age_group_splits_at_the_median(demo_trial):
    r = analyse_forest(demo_trial, ForestRequest(Cohort(), "os", (AGE_GROUP,)))
    rows = r.rows.loc[r.rows["subgroup"] == AGE_GROUP]
    ages = demo_trial.patients["age"]
    cut = int(ages.median())
    assert rows["level"].tolist() == [f"Age ≤ {cut}", f"Age > {cut}"]
    assert rows["n"].tolist() == [int((ages <= cut).sum()), int((ages > cut).sum())]


# --- python -m trial summary --json ------------------------------------------------------------


def test_summary_json_holds_the_new_numbers(demo_trial):
    s = build_summary(demo_trial, by="response")
    os_ = s["survival"]["overall_survival"]
    nr = [lv for lv in os_["hazard_ratios"]["levels"] if lv["level"] == "NR"][0]
    close([nr["hr"]], DEMO_OS_RESPONSE_HR)
    assert os_["guarantee_time"]["post_baseline"]
    lm = os_["landmark_analyses"]["3"]
    assert [g["n"] for g in lm["groups"]] == DEMO_LM3_N
    close([lm["logrank"]["chi2"]], DEMO_LM3_LOGRANK[:1])
    cif = s["survival"]["relapse_cumulative_incidence"]
    assert cif["gray"]["groups"] == ["MCR", "PCR"]
    assert [r["published_relapses"] for r in cif["published"]] == [3, 4]
    model = s["measures"]["sledai"]["model"]["value"]
    close([v["estimate"] for v in model["groups"]["MCR"]], DEMO_EMM_MCR)
    visits = s["measures"]["sledai"]["groups"]["NR"]
    close([v["p_holm"] for v in visits if v["month"] != 0], DEMO_SLEDAI_NR_HOLM)
    forest = s["effects_by_subgroup"]
    assert forest["subgroups"][:3] == ["center", "sex", "lupus_nephritis"]
    assert forest["outcomes"]["response_rate"]["kind"] == "rate"
