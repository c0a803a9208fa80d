"""Tables for the paper (trial/tables.py), checked against an independent computation in R.

The reference numbers were computed once with base R from the demo CSV files
(tools/r_reference/tables_reference.R: mean, sd, quantile type 7, binom.test) and are frozen here.
"""

import math

import pandas as pd
import pytest

from trial import tables as t
from trial.filters import PatientFilter, select_patients

# (n, mean, sd, median, q1, q3) of continuous variables; (k, n, low, high) of responses.
R_REFERENCE = {
    "Drum Tower Hospital, Nanjing": {
        "n": 16,
        "age": (16, 27.875, 8.898501747, 26, 21.75, 33.75),
        "disease_duration_months": (16, 60.5, 40.11649702, 40, 37.5, 68.25),
        "female": 14,
        "lupus_nephritis": 14,
        "sledai": (16, 13.1875, 3.727711541, 13, 10, 16.25),
        "bilag": (16, 14.125, 6.291528696, 14, 9.5, 18.5),
        "creatinine": (16, 92.0625, 24.7802845, 91.5, 66, 101.75),
        "c3": (16, 0.6375, 0.1850225212, 0.635, 0.5375, 0.7475),
        "anti_dsdna": (16, 258, 239.7081559, 212.5, 53, 378),
        "proteinuria": (14, 2.8, 1.412847643, 2.175, 1.755, 3.46),
        "mcr": (4, 16, 0.07266203825, 0.5237708199),
        "pcr": (5, 16, 0.1101699547, 0.5866206365),
        "overall": (9, 16, 0.2987768991, 0.8024658595),
    },
    "Jiangsu University Hospital, Zhenjiang": {
        "n": 9,
        "age": (9, 31.22222222, 9.257129385, 37, 21, 38),
        "disease_duration_months": (9, 54.44444444, 23.00060386, 50, 46, 56),
        "female": 8,
        "lupus_nephritis": 7,
        "sledai": (9, 13.66666667, 7.745966692, 11, 10, 12),
        "bilag": (9, 13.22222222, 4.841946349, 13, 9, 18),
        "creatinine": (9, 96, 31.38470965, 88, 78, 108),
        "c3": (9, 0.6066666667, 0.08803408431, 0.63, 0.6, 0.64),
        "anti_dsdna": (9, 179, 212.2863632, 109, 43, 167),
        "proteinuria": (7, 3.431428571, 1.285631214, 3.37, 2.63, 3.685),
        "mcr": (3, 9, 0.07485463142, 0.7007049438),
        "pcr": (4, 9, 0.1369956623, 0.7879914932),
        "overall": (7, 9, 0.3999064263, 0.9718550265),
    },
    "Subei People's Hospital, Yangzhou": {
        "n": 8,
        "age": (8, 31.75, 10.43003904, 32, 26.25, 38),
        "disease_duration_months": (8, 66.75, 50.71700194, 49.5, 35.75, 87.5),
        "female": 8,
        "lupus_nephritis": 7,
        "sledai": (8, 13.25, 4.062019202, 13, 9.75, 17),
        "bilag": (8, 11, 4, 9.5, 8, 13.25),
        "creatinine": (8, 87.125, 20.76010941, 82, 75.5, 98.25),
        "c3": (8, 0.5325, 0.09587938852, 0.56, 0.465, 0.5675),
        "anti_dsdna": (8, 142, 139.9979592, 70, 40.5, 236.5),
        "proteinuria": (7, 2.875714286, 1.284573303, 2.83, 2.03, 3.705),
        "mcr": (5, 8, 0.2448632164, 0.9147665859),
        "pcr": (1, 8, 0.003159723531, 0.5265096709),
        "overall": (6, 8, 0.3491442056, 0.9681459738),
    },
    "Jiangsu Provincial People's Hospital, Nanjing": {
        "n": 7,
        "age": (7, 32.85714286, 7.492853738, 33, 28, 36.5),
        "disease_duration_months": (7, 42.71428571, 27.48765957, 30, 24, 57.5),
        "female": 6,
        "lupus_nephritis": 6,
        "sledai": (7, 11.28571429, 1.603567451, 11, 10, 12),
        "bilag": (7, 16.71428571, 5.089672082, 18, 14.5, 19),
        "creatinine": (7, 93.57142857, 19.49236725, 94, 85, 103.5),
        "c3": (7, 0.6114285714, 0.1109697513, 0.6, 0.53, 0.695),
        "anti_dsdna": (7, 410.7142857, 457.6413131, 171, 39.5, 744.5),
        "proteinuria": (6, 2.766666667, 2.196985814, 1.885, 1.4325, 3.245),
        "mcr": (1, 7, 0.003610296862, 0.578723197),
        "pcr": (1, 7, 0.003610296862, 0.578723197),
        "overall": (2, 7, 0.03669256618, 0.7095791363),
    },
    "Overall": {
        "n": 40,
        "age": (40, 30.275, 8.96714087, 30, 22, 37.25),
        "disease_duration_months": (40, 57.275, 36.98647535, 48, 35, 64.5),
        "female": 36,
        "lupus_nephritis": 34,
        "sledai": (40, 12.975, 4.654677824, 12, 10, 15.25),
        "bilag": (40, 13.75, 5.490084302, 13, 8.75, 18),
        "creatinine": (40, 92.225, 24.14537966, 88.5, 75.5, 104.75),
        "c3": (40, 0.605, 0.1407853431, 0.605, 0.4975, 0.6825),
        "anti_dsdna": (40, 243.75, 274.3374069, 115.5, 43, 359.25),
        "proteinuria": (34, 2.939705882, 1.477872109, 2.68, 1.755, 3.5875),
        "mcr": (13, 40, 0.1857289668, 0.4912948755),
        "pcr": (11, 40, 0.146008992, 0.4388829072),
        "overall": (24, 40, 0.4332670522, 0.7513500134),
    },
}

CONTINUOUS = [
    "age",
    "disease_duration_months",
    "sledai",
    "bilag",
    "creatinine",
    "c3",
    "anti_dsdna",
    "proteinuria",
]


@pytest.fixture(scope="module")
def baseline(demo_trial):
    return t.baseline_numbers(demo_trial, demo_trial.patients).set_index(["group", "variable"])


@pytest.fixture(scope="module")
def responses(demo_trial):
    return t.response_numbers(demo_trial, demo_trial.patients).set_index(["group", "outcome"])


@pytest.mark.parametrize("group", list(R_REFERENCE))
def test_table1_matches_r(baseline, group):
    ref = R_REFERENCE[group]
    assert baseline.loc[(group, "n"), "n"] == ref["n"]
    for var in CONTINUOUS:
        row = baseline.loc[(group, var)]
        n, mean, sd, median, q1, q3 = ref[var]
        assert row["n"] == n, var
        for got, want in zip(row[["mean", "sd", "median", "q1", "q3"]], (mean, sd, median, q1, q3)):
            assert got == pytest.approx(want, rel=1e-8, abs=1e-9), var
    female = baseline.loc[(group, "sex_F")]
    assert female["count"] == ref["female"]
    assert female["pct"] == pytest.approx(100 * ref["female"] / ref["n"])
    assert baseline.loc[(group, "lupus_nephritis"), "count"] == ref["lupus_nephritis"]


@pytest.mark.parametrize("group", list(R_REFERENCE))
def test_response_rates_and_exact_ci_match_r_binom_test(responses, group):
    for outcome in ("mcr", "pcr", "overall"):
        k, n, low, high = R_REFERENCE[group][outcome]
        row = responses.loc[(group, outcome)]
        assert (row["k"], row["n"]) == (k, n)
        assert row["pct"] == pytest.approx(100 * k / n)
        assert row["ci_low"] == pytest.approx(100 * low, rel=1e-7)
        assert row["ci_high"] == pytest.approx(100 * high, rel=1e-7)


def test_published_headline_response_counts(responses):
    # The paper: MCR 13 of 40 (32.5 %), PCR 11 of 40 (27.5 %).
    assert responses.loc[("Overall", "mcr"), ["k", "n"]].tolist() == [13, 40]
    assert responses.loc[("Overall", "pcr"), ["k", "n"]].tolist() == [11, 40]
    assert responses.loc[("Overall", "overall"), "k"] == 24


def test_exact_ci_edge_cases():
    assert all(math.isnan(x) for x in t.exact_ci(0, 0))
    low, high = t.exact_ci(0, 10)
    assert low == 0 and high == pytest.approx(0.3084971, rel=1e-6)  # R: binom.test(0, 10)
    low, high = t.exact_ci(10, 10)
    assert high == 1 and low == pytest.approx(0.6915029, rel=1e-6)


def test_baseline_display_table(demo_trial):
    table = t.baseline_table(demo_trial, demo_trial.patients)
    assert list(table.columns) == ["Characteristic", "Statistic", *demo_trial.centers, t.OVERALL]
    first = table.iloc[0]
    assert first["Overall"] == "40"
    age = table.loc[table["Characteristic"] == "Age, years"].iloc[0]
    assert age["Overall"] == "30.3 ± 9.0"
    ln = table.loc[table["Characteristic"] == "Lupus nephritis, n (%)"].iloc[0]
    assert ln["Overall"] == "34 (85.0 %)"
    prot = table.loc[table["Characteristic"].str.startswith("24-h proteinuria")].iloc[0]
    assert "[n = 34]" in prot["Overall"]


def test_response_display_table(demo_trial):
    table = t.response_table(demo_trial, demo_trial.patients)
    overall = table.set_index("Group").loc["Overall"]
    assert overall["Major clinical response (MCR)"] == "13/40 (32.5 %; 18.6–49.1)"
    assert overall["Overall response (MCR or PCR)"] == "24/40 (60.0 %; 43.3–75.1)"


def test_adverse_event_table_is_table2_of_the_paper(demo_trial):
    listing = t.adverse_event_listing(demo_trial, demo_trial.patients)
    got = [
        tuple(r)
        for r in listing[["patient_id", "term", "severity", "day", "related"]]
        .astype(str)
        .itertuples(index=False)
    ]
    assert got == [
        ("2", "Herpesvirus infection", "AE", "291", "no"),
        ("3", "Herpesvirus infection", "AE", "135", "no"),
        ("3", "Herpesvirus infection", "AE", "187", "no"),
        ("9", "Death", "SAE", "7", "no"),
        ("12", "Tuberculosis infection", "AE", "326", "no"),
        ("14", "Death", "SAE", "256", "no"),
        ("27", "Death", "SAE", "192", "no"),
    ]
    counts = t.adverse_event_counts(demo_trial, demo_trial.patients).set_index("term")
    assert counts.loc["Herpesvirus infection", ["events", "patients"]].tolist() == [3, 2]
    assert counts.loc["Death", "serious"] == 3
    assert counts.loc["Death", "pct_patients"] == pytest.approx(7.5)
    assert counts["related"].sum() == 0


def test_tables_follow_the_filter(demo_trial):
    center = demo_trial.centers[1]
    patients = select_patients(demo_trial.patients, PatientFilter(centers=(center,)))
    table = t.baseline_table(demo_trial, patients)
    assert list(table.columns) == ["Characteristic", "Statistic", center, t.OVERALL]
    numbers = t.response_numbers(demo_trial, patients)
    assert set(numbers["group"]) == {center, t.OVERALL}
    ae = t.adverse_event_listing(demo_trial, patients)
    assert set(ae["patient_id"]) <= set(patients["patient_id"])


def test_empty_selection_gives_empty_but_valid_tables(demo_trial):
    nobody = demo_trial.patients.iloc[0:0]
    assert t.response_numbers(demo_trial, nobody)["n"].eq(0).all()
    assert t.baseline_table(demo_trial, nobody)["Overall"].iloc[0] == "0"
    assert t.adverse_event_listing(demo_trial, nobody).empty
    assert t.adverse_event_counts(demo_trial, nobody).empty


def test_tables_do_not_modify_the_trial(demo_trial):
    before = demo_trial.patients.copy()
    t.baseline_table(demo_trial, demo_trial.patients)
    t.response_table(demo_trial, demo_trial.patients)
    t.adverse_event_table(demo_trial, demo_trial.patients)
    pd.testing.assert_frame_equal(demo_trial.patients, before)


def test_baseline_by_center_matches_a_direct_merge(demo_trial):
    # An independent way to the same numbers: merge month-0 rows with the patients' centers.
    patients = demo_trial.patients.loc[demo_trial.patients["age"] < 40]
    numbers = t.baseline_numbers(demo_trial, patients).set_index(["group", "variable"])
    m = demo_trial.measurements
    merged = m.loc[m["month"] == 0].merge(
        patients[["patient_id", "center", "lupus_nephritis"]], on="patient_id"
    )
    merged = merged.loc[(merged["measure"] != "proteinuria") | merged["lupus_nephritis"]]
    for (center, code), values in merged.groupby(["center", "measure"])["value"]:
        row = numbers.loc[(center, code)]
        assert row["n"] == len(values) and row["mean"] == pytest.approx(values.mean())
    for code, values in merged.groupby("measure")["value"]:
        assert numbers.loc[(t.OVERALL, code), "n"] == len(values)
