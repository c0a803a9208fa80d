"""Per-visit statistics against numbers from R 4.x (t.test, wilcox.test, qt, quantile), frozen here.

R code that produced them (run once):
    x <- sleep$extra[sleep$group==1]; y <- sleep$extra[sleep$group==2]
    t.test(y, x, paired=TRUE)         # t 4.0621276834, p 0.00283289019738
    # ties and a zero: normal approximation, continuity correction, p 0.00909069801593
    wilcox.test(y, x, paired=TRUE)
    a <- c(1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30)
    b <- c(0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29)
    wilcox.test(b, a, paired=TRUE)    # exact, p 0.0390625
    t.test(b, a, paired=TRUE)         # p 0.0161766274349
    v <- c(2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8)
    mean, sd, mean -/+ qt(0.975, 6)*sd/sqrt(7), quantile(v)
"""

import math

import numpy as np
import pandas as pd
import pytest

from trial.stats import headline_counts, paired_p_value, visit_summary, with_change_from_baseline

SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
A = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
B = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]


def long_frame(before, after, month=3):
    ids = [f"p{i}" for i in range(len(before))]
    df = pd.DataFrame(
        {
            "patient_id": ids * 2,
            "month": [0] * len(ids) + [month] * len(ids),
            "value": list(before) + list(after),
        }
    )
    return with_change_from_baseline(df)


def test_paired_t_matches_r():
    p = paired_p_value(np.array(SLEEP_1), np.array(SLEEP_2), "paired_t")
    assert p == pytest.approx(0.00283289019738, rel=1e-9)


def test_wilcoxon_with_ties_and_zero_matches_r_normal_approximation():
    p = paired_p_value(np.array(SLEEP_1), np.array(SLEEP_2), "wilcoxon")
    assert p == pytest.approx(0.00909069801593, rel=1e-9)


def test_wilcoxon_without_ties_is_exact_like_r():
    assert paired_p_value(np.array(A), np.array(B), "wilcoxon") == pytest.approx(
        0.0390625, rel=1e-9
    )
    assert paired_p_value(np.array(A), np.array(B), "paired_t") == pytest.approx(
        0.0161766274349, rel=1e-9
    )


def test_visit_summary_descriptives_match_r():
    v = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8]
    table = visit_summary(long_frame([1.0] * 7, v), [0, 3])
    row = table.set_index("month").loc[3]
    assert row["n"] == 7
    assert row["mean"] == pytest.approx(3.3571428571, abs=1e-9)
    assert row["sd"] == pytest.approx(1.2998168369, abs=1e-9)
    assert row["ci_low"] == pytest.approx(2.1550127819, abs=1e-9)
    assert row["ci_high"] == pytest.approx(4.5592729324, abs=1e-9)
    assert (row["q1"], row["median"], row["q3"]) == pytest.approx((2.45, 3.3, 3.9))


def test_visit_summary_tests_only_patients_with_both_values():
    df = long_frame(SLEEP_1, SLEEP_2)
    # Drop one baseline: that patient has a month-3 value but is not in the paired test.
    df = with_change_from_baseline(
        df.loc[~((df["patient_id"] == "p0") & (df["month"] == 0))][["patient_id", "month", "value"]]
    )
    row = visit_summary(df, [0, 3]).set_index("month").loc[3]
    assert row["n"] == 10 and row["n_paired"] == 9
    expected = paired_p_value(np.array(SLEEP_1[1:]), np.array(SLEEP_2[1:]), "paired_t")
    assert row["p_vs_baseline"] == pytest.approx(expected)


def test_change_scales_and_empty_visit():
    df = long_frame([2.0, 4.0], [3.0, 2.0])
    assert list(df.loc[df["month"] == 3, "pct_change"]) == pytest.approx([50.0, -50.0])
    table = visit_summary(df, [0, 1, 3], scale="change").set_index("month")
    assert table.loc[1, "n"] == 0 and math.isnan(table.loc[1, "mean"])
    assert table.loc[3, "mean"] == pytest.approx(-0.5)
    assert math.isnan(table.loc[0, "p_vs_baseline"])


def test_one_value_visit_has_no_sd_and_no_test():
    row = visit_summary(long_frame([1.0], [2.0]), [0, 3]).set_index("month").loc[3]
    assert row["n"] == 1 and math.isnan(row["sd"]) and math.isnan(row["p_vs_baseline"])


def test_headline_counts_count_deaths_by_day():
    patients = pd.DataFrame(
        {
            "death": [True, True, False],
            "death_day": pd.array([10, 400, pd.NA], dtype="Float64"),
            "response": ["MCR", "NR", "PCR"],
            "relapse": [True, False, False],
        }
    )
    c = headline_counts(patients, day=365)
    assert (c["alive_at_day"], c["deaths"], c["mcr"], c["pcr"], c["nr"], c["relapses"]) == (
        2,
        2,
        1,
        1,
        1,
        1,
    )
