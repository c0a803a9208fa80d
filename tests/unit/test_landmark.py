"""Tests of trial/analysis/landmark.py against landmark analyses that R builds with its own code
(subset followed beyond L, group = status reached by L, time - L) and analyses with survival's
survfit (log-log), survdiff and coxph.

Expected values were produced ONCE by tools/r_reference/landmark_reference.R (output kept in
tools/r_reference/landmark_reference.out). Data: tests/data/jasa.csv (survival::jasa, Stanford
heart transplant: survival by transplant, the classic immortal-time example), the CDISC pilot
(time to first dermatologic event by "treatment discontinued by day 30"; from ../shared, skipped
when absent) and tests/data/demo_os.csv (the demo's overall survival by response by day 91).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from trial.analysis.landmark import GROUP, guarantee_time_check, landmark_analysis
from trial.survival import overall_survival

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
nan, inf = float("nan"), float("inf")  # as R prints them
BY, NOT = "by landmark", "not by landmark"

# --- Frozen R reference values (landmark_reference.out) ----------------------------------------
# R4.2.2 survival 3.5.3
JASA30_EXCLUDED = [23, 2]
JASA30_N = [43, 35]
JASA30_NOT_TIME = [
    1,
    4,
    5,
    6,
    8,
    9,
    19,
    38,
    41,
    49,
    54,
    65,
    69,
    71,
    79,
    118,
    155,
    157,
    176,
    188,
    232,
    254,
    303,
    309,
    553,
    644,
    949,
    1356,
]
JASA30_NOT_SURV = [
    0.976744186047,
    0.953488372093,
    0.93023255814,
    0.906976744186,
    0.883720930233,
    0.835952231301,
    0.812067881835,
    0.78818353237,
    0.764299182904,
    0.740414833438,
    0.716530483972,
    0.692646134507,
    0.668761785041,
    0.644877435575,
    0.620074457284,
    0.595271478992,
    0.570468500701,
    0.54566552241,
    0.520862544118,
    0.496059565827,
    0.471256587536,
    0.421650630953,
    0.396847652662,
    0.37204467437,
    0.338222431246,
    0.304400188121,
    0.260914446961,
    0.195685835221,
]
JASA30_NOT_LOWER = [
    0.846155411883,
    0.82657654152,
    0.799082943379,
    0.770858812823,
    0.742930995811,
    0.686332048561,
    0.659020083989,
    0.632273729671,
    0.606040796179,
    0.580279565338,
    0.554956528951,
    0.530044678463,
    0.505522230516,
    0.481371679492,
    0.456324598255,
    0.4317056598,
    0.407497737935,
    0.383688261105,
    0.360268525347,
    0.337233238061,
    0.314580236089,
    0.270427361634,
    0.248938158299,
    0.227852911213,
    0.196606016052,
    0.167014204161,
    0.127811423339,
    0.0691326328136,
]
JASA30_NOT_UPPER = [
    0.996691048476,
    0.98816054154,
    0.976950581033,
    0.964031607191,
    0.94987692477,
    0.918235670955,
    0.901296238447,
    0.883746239037,
    0.865654500323,
    0.847073660552,
    0.828044777344,
    0.808600327987,
    0.78876623415,
    0.768563267458,
    0.747421239191,
    0.725902531341,
    0.70401904119,
    0.681779640131,
    0.659190496664,
    0.636255288507,
    0.61297532203,
    0.565374621744,
    0.541044568308,
    0.51635076821,
    0.485542025443,
    0.453627616416,
    0.415827567072,
    0.369365233227,
]
JASA30_NOT_N_RISK = [
    43,
    42,
    41,
    40,
    39,
    37,
    35,
    34,
    33,
    32,
    31,
    30,
    29,
    28,
    26,
    25,
    24,
    23,
    22,
    21,
    20,
    19,
    17,
    16,
    11,
    10,
    7,
    4,
]
JASA30_BY_TIME = [
    12,
    14,
    20,
    22,
    27,
    30,
    35,
    37,
    41,
    46,
    47,
    50,
    59,
    122,
    134,
    277,
    312,
    702,
    821,
    965,
    1001,
]
JASA30_BY_SURV = [
    0.971428571429,
    0.942857142857,
    0.914285714286,
    0.885714285714,
    0.857142857143,
    0.828571428571,
    0.8,
    0.742857142857,
    0.714285714286,
    0.685714285714,
    0.657142857143,
    0.628571428571,
    0.6,
    0.57,
    0.54,
    0.50625,
    0.4725,
    0.405,
    0.324,
    0.243,
    0.162,
]
JASA30_BY_LOWER = [
    0.813996904858,
    0.79032016423,
    0.757331705152,
    0.723576190466,
    0.690269383159,
    0.657654502976,
    0.625760435151,
    0.564018054681,
    0.534094172068,
    0.504756728175,
    0.475978625113,
    0.447738190019,
    0.420018780114,
    0.390915498497,
    0.362466378443,
    0.329775336658,
    0.298183750205,
    0.218888736251,
    0.136366601239,
    0.0749767617216,
    0.0312831343863,
]
JASA30_BY_UPPER = [
    0.995925318599,
    0.98539477725,
    0.9715224533,
    0.955499052558,
    0.937905458625,
    0.919077450889,
    0.899229831179,
    0.857021404342,
    0.834843341839,
    0.812033882431,
    0.788637843948,
    0.764689628615,
    0.740215480474,
    0.714330228631,
    0.687881095004,
    0.658551919297,
    0.628443900331,
    0.584048459534,
    0.528613592358,
    0.461832401722,
    0.384344519833,
]
JASA30_BY_N_RISK = [35, 34, 33, 32, 31, 30, 29, 28, 26, 25, 24, 23, 22, 20, 19, 16, 15, 7, 5, 4, 3]
JASA30_MEDIAN = [188, 312]
JASA30_LOGRANK = [0.0979961969792, 1, 0.75424765716]
JASA30_HR = [0.915045866556, 0.526989115217, 1.58885433062]
JASA30_HR_P = [0.752496747675]
JASA60_EXCLUDED = [37, 3]
JASA60_N = [19, 44]
JASA60_NOT_TIME = [8, 11, 24, 35, 41, 88, 125, 146, 158, 202, 279, 919]
JASA60_NOT_SURV = [
    0.947368421053,
    0.894736842105,
    0.842105263158,
    0.789473684211,
    0.736842105263,
    0.68016194332,
    0.623481781377,
    0.566801619433,
    0.51012145749,
    0.453441295547,
    0.396761133603,
    0.198380566802,
]
JASA60_NOT_LOWER = [
    0.681186799806,
    0.640794354505,
    0.586503667375,
    0.531912666193,
    0.478932885988,
    0.4214216797,
    0.367400552134,
    0.316425058559,
    0.268273863697,
    0.222864412148,
    0.180222503688,
    0.016813458997,
]
JASA60_NOT_UPPER = [
    0.992414635519,
    0.972585390561,
    0.946155604029,
    0.915286101029,
    0.881019389037,
    0.842054139135,
    0.800190731033,
    0.755686442504,
    0.708683643579,
    0.659236414133,
    0.607319653568,
    0.527065583665,
]
JASA60_NOT_N_RISK = [19, 18, 17, 16, 15, 13, 12, 11, 10, 9, 8, 2]
JASA60_BY_TIME = [
    5,
    7,
    11,
    16,
    17,
    19,
    20,
    29,
    39,
    49,
    92,
    104,
    127,
    224,
    247,
    273,
    282,
    523,
    614,
    672,
    791,
    935,
    971,
    1326,
]
JASA60_BY_SURV = [
    0.977272727273,
    0.931818181818,
    0.909090909091,
    0.886363636364,
    0.863636363636,
    0.840909090909,
    0.818181818182,
    0.795454545455,
    0.772727272727,
    0.75,
    0.7265625,
    0.703125,
    0.678879310345,
    0.628591954023,
    0.603448275862,
    0.578304597701,
    0.55316091954,
    0.52062204192,
    0.480574192542,
    0.440526343163,
    0.396473708847,
    0.352421074531,
    0.308368440214,
    0.246694752171,
]
JASA60_BY_LOWER = [
    0.849411709737,
    0.803316776924,
    0.775661199172,
    0.748288635013,
    0.721404274132,
    0.695035104705,
    0.669161344148,
    0.643752105127,
    0.618776239928,
    0.59420561635,
    0.568941066307,
    0.544115965581,
    0.518525772676,
    0.466230155595,
    0.440842663916,
    0.415922345481,
    0.39144858015,
    0.357344357586,
    0.313762460393,
    0.273019173068,
    0.229425887289,
    0.189179383532,
    0.152033443848,
    0.0984565111705,
]
JASA60_BY_UPPER = [
    0.996766993364,
    0.97748696426,
    0.964873431933,
    0.951056275345,
    0.936303139077,
    0.920785688567,
    0.904621847632,
    0.887896658242,
    0.870673683048,
    0.853001723416,
    0.834500576193,
    0.815587798894,
    0.795799491207,
    0.753915964095,
    0.732364185234,
    0.710426164453,
    0.688112712184,
    0.660982474663,
    0.629237845247,
    0.595906733204,
    0.55912584151,
    0.520351928725,
    0.47961446689,
    0.429545971834,
]
JASA60_BY_N_RISK = [
    44,
    43,
    41,
    40,
    39,
    38,
    37,
    36,
    35,
    34,
    32,
    31,
    29,
    27,
    25,
    24,
    23,
    17,
    13,
    12,
    10,
    9,
    8,
    5,
]
JASA60_MEDIAN = [202, 614]
JASA60_LOGRANK = [0.538846579652, 1, 0.462911134677]
JASA60_HR = [0.77400225443, 0.388174933244, 1.54332348268]
JASA60_HR_P = [0.466881389627]
PILOT30_EXCLUDED = [86, 24]
PILOT30_N = [136, 8]
PILOT30_NOT_TIME = [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    9,
    11,
    12,
    13,
    14,
    16,
    17,
    18,
    20,
    21,
    22,
    25,
    26,
    27,
    28,
    30,
    31,
    34,
    38,
    40,
    41,
    47,
    49,
    50,
    53,
    59,
    60,
    64,
    66,
    67,
    70,
    77,
    80,
    82,
    89,
    96,
    147,
]
PILOT30_NOT_SURV = [
    0.985294117647,
    0.977941176471,
    0.963235294118,
    0.955882352941,
    0.941176470588,
    0.933823529412,
    0.926470588235,
    0.911764705882,
    0.904351984696,
    0.889526542324,
    0.874701099952,
    0.859620046505,
    0.821583761261,
    0.813976504212,
    0.798761990115,
    0.791154733066,
    0.760725704871,
    0.753118447823,
    0.745511190774,
    0.737825508395,
    0.722454143637,
    0.714685819512,
    0.706917495386,
    0.699149171261,
    0.683259417369,
    0.675125376686,
    0.658247242269,
    0.641149911301,
    0.615503914849,
    0.606955249365,
    0.598406583881,
    0.589857918397,
    0.581309252913,
    0.572760587429,
    0.564211921945,
    0.555663256461,
    0.538565925493,
    0.530017260009,
    0.521468594525,
    0.512919929041,
    0.504371263557,
    0.495675207288,
    0.486823864301,
    0.476005556206,
]
PILOT30_NOT_LOWER = [
    0.942482473938,
    0.933175335663,
    0.913933427471,
    0.904439872917,
    0.885822722991,
    0.876686354455,
    0.867652353036,
    0.849856580805,
    0.840981323869,
    0.823454645567,
    0.806189395093,
    0.788769334817,
    0.745662299076,
    0.737181349087,
    0.720341668406,
    0.711979390764,
    0.678879880013,
    0.670686318513,
    0.662523198216,
    0.654286945804,
    0.637904500176,
    0.62964993655,
    0.621424874523,
    0.613228557762,
    0.596471430564,
    0.587897048477,
    0.570070694158,
    0.552114744871,
    0.525458043905,
    0.516643036356,
    0.507862116194,
    0.499114662507,
    0.490400110809,
    0.481717949103,
    0.47306771441,
    0.464448989732,
    0.447304616609,
    0.438778341627,
    0.43028231977,
    0.421816329994,
    0.413380185573,
    0.404800183016,
    0.396069039825,
    0.384975491958,
]
PILOT30_NOT_UPPER = [
    0.996301684451,
    0.992831898506,
    0.984530815794,
    0.979934582328,
    0.970139878513,
    0.965006674608,
    0.959745963308,
    0.948902570651,
    0.943307629459,
    0.931879607051,
    0.920177046756,
    0.908073471858,
    0.876696492549,
    0.870286937255,
    0.857350300646,
    0.850826505378,
    0.824393423045,
    0.817706416759,
    0.810989896509,
    0.804187017261,
    0.790495761146,
    0.783547310176,
    0.776571341116,
    0.769568499172,
    0.755217348242,
    0.747858673333,
    0.732597014306,
    0.717046186849,
    0.693487533018,
    0.68557472107,
    0.677632677215,
    0.669661783987,
    0.661662389274,
    0.653634808152,
    0.645579324502,
    0.637496192422,
    0.621247857752,
    0.613083024808,
    0.604891284439,
    0.59667275734,
    0.588427539636,
    0.580037767732,
    0.571496034824,
    0.561429175437,
]
PILOT30_NOT_N_RISK = [
    136,
    134,
    133,
    131,
    130,
    128,
    127,
    126,
    123,
    122,
    120,
    116,
    113,
    108,
    107,
    105,
    104,
    100,
    99,
    97,
    96,
    93,
    92,
    91,
    88,
    84,
    80,
    77,
    75,
    72,
    71,
    70,
    69,
    68,
    67,
    66,
    65,
    63,
    62,
    61,
    60,
    58,
    56,
    45,
]
PILOT30_BY_TIME = []
PILOT30_BY_SURV = []
PILOT30_BY_LOWER = []
PILOT30_BY_UPPER = []
PILOT30_BY_N_RISK = []
PILOT30_MEDIAN = [89, nan]
PILOT30_LOGRANK = [1.07720584445, 1, 0.299323469602]
PILOT30_HR = [1.06768417963e-07, 0, inf]
PILOT30_HR_P = [0.995666445003]
DEMO91_EXCLUDED = [1, 0]
DEMO91_N = [34, 5]
DEMO91_LOGRANK = [0.298572852985, 1, 0.584778500033]


def close(actual, expected, tol=1e-6):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol, equal_nan=True
    )


def check_curve(result, group, time, surv, lower, upper, n_risk):
    c = result.curves
    rows = c[(c["group"] == group) & (c["events"] > 0)]  # R's summary lists event times
    close(rows["time"], time, 0)
    close(rows["estimate"], surv)
    close(rows["lower"], lower)
    close(rows["upper"], upper)
    close(rows["at_risk"], n_risk, 0)


def check_common(result, excluded, n, logrank):
    assert result.excluded["n"].tolist() == excluded
    assert result.population[GROUP].value_counts(sort=False).loc[[NOT, BY]].tolist() == n
    lr = result.logrank
    close([lr["chi2"], lr["df"], lr["p"]], logrank, 1e-8)


@pytest.mark.parametrize("landmark", [30, 60])
def test_heart_transplant_landmarks_match_r(landmark):
    def ref(name):
        return globals()[f"JASA{landmark}_{name}"]

    r = landmark_analysis(pd.read_csv(DATA / "jasa.csv"), landmark, "wait.time", "futime", "fustat")
    assert r.landmark == landmark
    check_common(r, ref("EXCLUDED"), ref("N"), ref("LOGRANK"))
    for label, key in ((BY, "BY"), (NOT, "NOT")):
        check_curve(
            r, label, *(ref(f"{key}_{c}") for c in ("TIME", "SURV", "LOWER", "UPPER", "N_RISK"))
        )
    close(r.medians.set_index("group").loc[[NOT, BY], "median"], ref("MEDIAN"))
    lv = r.cox.levels.iloc[0]
    assert (lv["level"], lv["reference"]) == (BY, NOT)
    close(lv[["hr", "lower", "upper"]], ref("HR"))
    close(lv["p"], ref("HR_P")[0])


def test_pilot_landmark_matches_r_and_flags_a_group_without_events(shared_data):
    p = shared_data / "cdiscpilot01"
    ad = pd.read_sas(p / "adtte.xpt", encoding="latin1")
    sl = pd.read_sas(p / "adsl.xpt", encoding="latin1")
    sl["STOPDAY"] = np.where(sl["DISCONFL"] == "Y", sl["TRTEDT"] - sl["TRTSDT"] + 1, np.nan)
    ad = ad.merge(sl[["USUBJID", "STOPDAY"]], on="USUBJID")
    ad["EVENT"] = 1 - ad["CNSR"]
    r = landmark_analysis(ad, 30, "STOPDAY", "AVAL", "EVENT")
    check_common(r, PILOT30_EXCLUDED, PILOT30_N, PILOT30_LOGRANK)
    check_curve(
        r,
        NOT,
        PILOT30_NOT_TIME,
        PILOT30_NOT_SURV,
        PILOT30_NOT_LOWER,
        PILOT30_NOT_UPPER,
        PILOT30_NOT_N_RISK,
    )
    # the 8 patients who stopped by day 30 have no later event: R prints HR 1e-7 (CI 0 to inf,
    # "coefficient may be infinite", PILOT30_HR); we say not estimable
    lv = r.cox.levels.iloc[0]
    assert not lv["estimable"] and np.isnan(lv["hr"]) and "no events" in lv["note"]


def test_demo_survival_by_response_at_three_months_matches_r(demo_trial):
    os_ = overall_survival(demo_trial.patients)
    shipped = pd.read_csv(DATA / "demo_os.csv")
    assert os_["time"].tolist() == shipped["time"].tolist()
    r = landmark_analysis(os_, 91, "response_day")
    check_common(r, DEMO91_EXCLUDED, DEMO91_N, DEMO91_LOGRANK)


def test_group_column_gives_the_status_reached_and_the_rest_is_not_by_landmark(demo_trial):
    os_ = overall_survival(demo_trial.patients)
    r = landmark_analysis(
        os_, 91, "response_day", group_col="response", not_label="no response yet"
    )
    pop = r.population
    assert pop[GROUP].cat.categories[0] == "no response yet"
    late = pop["response_day"].astype(float) > 91
    assert (pop.loc[late, GROUP] == "no response yet").all()
    assert set(pop.loc[~late & pop["response_day"].notna(), GROUP]) <= {"MCR", "PCR"}
    assert (pop["landmark_time"] == pop["time"] - 91).all()
    assert len(pop) + r.excluded["n"].sum() == len(os_)


def test_guarantee_time_detector():
    ja = pd.read_csv(DATA / "jasa.csv")
    c = guarantee_time_check(ja, "wait.time", label="transplant")
    transplanted_later = int((ja["wait.time"] > 0).sum())
    assert c.post_baseline and c.n_known_after_baseline == transplanted_later
    assert "immortal-time" in c.message and "landmark" in c.message
    base = pd.DataFrame({"known": [0.0, 0.0, np.nan]})
    assert not guarantee_time_check(base, "known").post_baseline
