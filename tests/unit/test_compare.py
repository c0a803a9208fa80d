"""Tests of trial/analysis/compare.py (ANCOVA of the change from baseline by arm at each visit)
against R's lm(chg ~ base + arm), anova() and emmeans.

Expected values were produced ONCE by tools/r_reference/ancova_reference.R (output kept in
tools/r_reference/ancova_reference.out) and are frozen here. tests/data/ancova_small.csv was
simulated by that script (set.seed): three arms of 9, 8 and 10 patients, two visits, three
missing values. The pilot test runs our whole pipeline (loader, ITT population, planned arm,
trajectories) on ../shared/data/cdiscpilot01 and skips where it is absent.
"""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest

from trial.analysis.compare import ancova, reference_level

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

# --- Frozen R reference values (ancova_reference.out; R 4.2.2, emmeans 1.8.4.1) --------------
# month: (n, F, df1, df2, p)
SMALL_F = {
    4: (24, 2.15935642263, 2, 20, 0.141544862351),
    12: (27, 4.74679160458, 2, 23, 0.018801723022),
}
# (month, arm): (estimate, se, lower, upper, t, p) of arm - Placebo
SMALL_DIFF = {
    (4, "Drug high"): (
        -2.04115979913,
        1.80053604929,
        -5.79701218343,
        1.71469258518,
        -1.13364006232,
        0.270352140354,
    ),
    (4, "Drug low"): (
        1.92847492932,
        1.96793637729,
        -2.17656842025,
        6.0335182789,
        0.979947802975,
        0.338818010716,
    ),
    (12, "Drug high"): (
        -5.74440125039,
        1.90362675039,
        -9.68235321499,
        -1.8064492858,
        -3.01760901879,
        0.00613132635166,
    ),
    (12, "Drug low"): (
        -2.06630096094,
        2.12614945225,
        -6.46457620622,
        2.33197428435,
        -0.971851230283,
        0.341235075848,
    ),
}
# (month, arm): (lsmean, se, lower, upper)
SMALL_LSMEAN = {
    (4, "Placebo"): (-1.22620359638, 1.31562493601, -3.97054912321, 1.51814193045),
    (4, "Drug high"): (-3.26736339551, 1.2431410935, -5.86051027634, -0.674216514678),
    (4, "Drug low"): (0.702271332942, 1.43666812143, -2.29456585421, 3.69910852009),
    (12, "Placebo"): (0.562015562646, 1.40278251776, -2.33986116847, 3.46389229376),
    (12, "Drug high"): (-5.18238568775, 1.30632776431, -7.88473055909, -2.48004081641),
    (12, "Drug low"): (-1.50428539829, 1.51936746982, -4.64733647776, 1.63876568118),
}
PILOT_F = {
    2: (240, 0.914920644851, 2, 236, 0.40196433027),
    24: (113, 0.177272308342, 2, 109, 0.837792665545),
}
PILOT_DIFF = {
    (2, "Xanomeline High Dose"): (1.92126806869, 1.47002898043, 0.192498569941),
    (24, "Xanomeline Low Dose"): (0.646232997874, 2.23854252745, 0.773370952893),
}
PILOT_LSMEAN = {
    (24, "Placebo"): (0.702777641038, 1.25252512868),
    (24, "Xanomeline High Dose"): (-0.147086738363, 1.72907271654),
}


@pytest.fixture(scope="module")
def small():
    d = pd.read_csv(DATA / "ancova_small.csv")
    d = d.rename(columns={"arm": "group"})
    return d.assign(change=d["value"] - d["baseline"])


def test_reference_arm_is_placebo_else_first():
    assert reference_level(["Drug A", "placebo 0 mg", "Drug B"]) == "placebo 0 mg"
    assert reference_level(["B", "A"]) == "B"


def test_small_matches_r(small):
    lsm, con = ancova(small, ["Placebo", "Drug low", "Drug high"])
    overall = con.loc[con["term"] == "overall"].set_index("month")
    for month, (n, f, _df1, df2, p) in SMALL_F.items():
        row = overall.loc[month]
        assert (row["n"], row["df"]) == (n, df2)
        assert row["statistic"] == pytest.approx(f, rel=1e-9)
        assert row["p"] == pytest.approx(p, rel=1e-8)
    diff = con.loc[con["term"] == "difference"].set_index(["month", "group"])
    for key, (est, se, lo, hi, t, p) in SMALL_DIFF.items():
        row = diff.loc[key]
        assert row["reference"] == "Placebo"
        assert [
            row["estimate"],
            row["se"],
            row["lower"],
            row["upper"],
            row["statistic"],
            row["p"],
        ] == pytest.approx([est, se, lo, hi, t, p], rel=1e-8)
    lsm = lsm.set_index(["month", "group"])
    for key, expected in SMALL_LSMEAN.items():
        row = lsm.loc[key]
        assert [row["lsmean"], row["se"], row["lower"], row["upper"]] == pytest.approx(
            expected, rel=1e-8
        )


def test_one_arm_or_no_data_gives_no_comparison(small):
    lsm, con = ancova(small.loc[small["group"] == "Placebo"])
    assert lsm.empty and con.empty
    lsm, con = ancova(small.iloc[0:0])
    assert lsm.empty and con.empty


def test_pilot_creatinine_by_planned_arm_matches_r(shared_data):
    from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
    from trial.loader import load_trial

    pilot = load_trial(shared_data / "cdiscpilot01")
    result = analyse_trajectories(pilot, TrajectoryRequest(measure="CREAT", group="arm"))
    (panel,) = result.panels
    con = panel.comparison.set_index(["month", "term", "group"], drop=False)
    for month, (n, f, _df1, df2, p) in PILOT_F.items():
        row = (
            con.loc[(month, "overall", None)]
            if (month, "overall", None) in con.index
            else con.loc[(con["month"] == month) & (con["term"] == "overall")].iloc[0]
        )
        assert (row["n"], row["df"]) == (n, df2)
        assert [row["statistic"], row["p"]] == pytest.approx([f, p], rel=1e-8)
    for (month, arm), (est, se, p) in PILOT_DIFF.items():
        row = con.loc[(month, "difference", arm)]
        assert [row["estimate"], row["se"], row["p"]] == pytest.approx([est, se, p], rel=1e-8)
    lsm = panel.lsmeans.set_index(["month", "group"])
    for key, (est, se) in PILOT_LSMEAN.items():
        assert [lsm.loc[key, "lsmean"], lsm.loc[key, "se"]] == pytest.approx([est, se], rel=1e-8)
