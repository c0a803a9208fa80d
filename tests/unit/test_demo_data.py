"""The shipped demo trial (data) reproduces every published fact of Wang et al. 2014
(trial-facts.md) and the published significance pattern, labels every value's provenance, and is
reproduced byte for byte by its generator.

Expectations here are the published facts, typed in again from the paper (not imported from
trial.demo), and the statistics are recomputed with scipy, independently of trial.stats.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data"
FILES = ("study.json", "patients.csv", "measurements.csv", "events.csv")
PROVENANCES = {"published", "inferred", "simulated", "recorded"}
VISIT_DAYS = {0: 0, 1: 30, 3: 91, 6: 182, 9: 273, 12: 365}

# Table 1 rows 1-13, as printed: age, duration, SLEDAI, BILAG, treatment, outcome, manifestations
TABLE1 = {
    "1": (46, 40, 17, 12, "CYC 0.8 g/mo × 28 mo", "PCR", "LN, A, C, V, H, ANA+, anti-dsDNA+"),
    "2": (37, 41, 12, 12, "CYC 0.8 g/mo × 35 mo", "PCR", "A, LN, V, ANA+, anti-dsDNA+, H"),
    "3": (21, 50, 11, 9, "MMF 1.5 g/d × 31 mo", "NR", "V, LN, C, anti-Sm+"),
    "4": (
        28,
        98,
        9,
        9,
        "CYC 0.8 g/mo × 10 mo; CYC 0.8 g/mo + MMF 1.0 g/d × 28 mo (stopped); LEF 20 mg/d × 31 mo",
        "MCR",
        "V, A, alopecia, LN, C, ANA+, anti-dsDNA+",
    ),
    "5": (
        26,
        120,
        12,
        8,
        "MMF 2.0 g/d × 50 mo (stopped); CYC 0.8 g/mo × 20 mo",
        "NR",
        "V, A, LN, ANA+, anti-dsDNA+",
    ),
    "6": (
        23,
        15,
        14,
        19,
        "CYC 0.8 g/mo × 15 mo; LEF 20 mg/d × 10 mo",
        "NR",
        "V, A, F, LN, P, ANA+, anti-dsDNA+",
    ),
    "7": (
        20,
        62,
        12,
        18,
        "MMF 1.5 g/d × 34 mo (stopped); CYC 0.8 g/mo × 24 mo",
        "PCR",
        "A, F, LN, C, P, ANA+",
    ),
    "8": (
        43,
        26,
        34,
        20,
        "CYC 0.8 g/mo × 10 mo (stopped); LEF 20 mg/d × 10 mo",
        "PCR → R",
        "C, V, LN, A, seizures, ANA+",
    ),
    "9": (36, 97, 10, 26, "CYC 0.8 g/mo × 29 mo", "MCR → R", "C, V, A, LN, P, ANA+"),
    "10": (
        39,
        60,
        10,
        7,
        "CYC 0.8 g/mo × 25 mo (stopped); LEF 20 mg/d × 30 mo",
        "PCR",
        "LN, A, V, ANA+, anti-Sm+",
    ),
    "11": (22, 40, 8, 16, "CYC 0.8 g/mo × 25 mo", "NR", "LN, C, P, ANA+, anti-dsDNA+"),
    "12": (
        20,
        50,
        14,
        13,
        "CYC 0.8 g/mo × 15 mo (stopped); VCR 1 mg/week × 4 (stopped)",
        "NR",
        "A, severe thrombocytopenia, V, F, ANA+, anti-dsDNA+, anti-Sm+",
    ),
    "13": (
        17,
        75,
        7,
        6,
        "MMF 1.5 g/d × 13 mo (stopped); LEF 20 mg/d × 30 mo",
        "NR",
        "severe thrombocytopenia, LN, A, ANA+, anti-dsDNA+",
    ),
}
# Table 2, complete: (patient, term, severity, day, related)
TABLE2 = {
    ("2", "Herpesvirus infection", "AE", 291, "no"),
    ("3", "Herpesvirus infection", "AE", 135, "no"),
    ("3", "Herpesvirus infection", "AE", 187, "no"),
    ("9", "Death", "SAE", 7, "no"),
    ("12", "Tuberculosis infection", "AE", 326, "no"),
    ("14", "Death", "SAE", 256, "no"),
    ("27", "Death", "SAE", 192, "no"),
}
DEATHS = {"9": 7, "27": 192, "14": 256}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        DEMO / name, dtype={"patient_id": str}, keep_default_na=False, na_values=[""]
    )


@pytest.fixture(scope="module")
def study() -> dict:
    return json.loads((DEMO / "study.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return _read("patients.csv")


@pytest.fixture(scope="module")
def meas() -> pd.DataFrame:
    return _read("measurements.csv")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return _read("events.csv")


@pytest.fixture(scope="module")
def outcome(patients, events) -> pd.DataFrame:
    """Per patient: best response, first response/relapse/death day (as recorded)."""
    out = patients.set_index("patient_id")[["last_followup_day"]].copy()
    resp = events[events["event"] == "response"]
    out["response"] = "NR"
    out.loc[resp.loc[resp["term"] == "PCR", "patient_id"].unique(), "response"] = "PCR"
    out.loc[resp.loc[resp["term"] == "MCR", "patient_id"].unique(), "response"] = "MCR"
    out["response_day"] = resp.groupby("patient_id")["day"].min()
    out["relapse_day"] = events[events["event"] == "relapse"].groupby("patient_id")["day"].min()
    out["death_day"] = events[events["event"] == "death"].groupby("patient_id")["day"].min()
    return out


def _paired(meas: pd.DataFrame, code: str, month: int) -> tuple[np.ndarray, np.ndarray]:
    wide = meas[meas["measure"] == code].pivot(index="patient_id", columns="month", values="value")
    both = wide[[0, month]].dropna()
    return both[0].to_numpy(float), both[month].to_numpy(float)


def _pvalues(meas: pd.DataFrame, code: str, month: int) -> tuple[float, float, float]:
    """(paired t p, Wilcoxon p, mean change) on patients with baseline and visit values."""
    b, v = _paired(meas, code, month)
    assert len(b) >= 10, f"{code} month {month}: only {len(b)} pairs"
    return (stats.ttest_rel(v, b).pvalue, stats.wilcoxon(v, b).pvalue, float((v - b).mean()))


def _means(meas: pd.DataFrame, code: str) -> pd.Series:
    return meas[meas["measure"] == code].groupby("month")["value"].mean()


# --- files and study.json ------------------------------------------------------------------


def test_files_are_utf8_with_unix_line_ends():
    for name in FILES:
        data = (DEMO / name).read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data, name
        assert data.endswith(b"\n"), name


def test_study_metadata(study):
    assert study["registry_id"] == "NCT01741857"
    assert study["data_status"] == "simulated"
    assert "R79" in study["citation"] and "10.1186/ar4520" in study["citation"]
    assert study["time_origin"] == "First MSC infusion (day 0)"
    assert len(study["centers"]) == 4 and study["centers"][0].startswith("Drum Tower")
    assert {v["month"]: v["day"] for v in study["visits"]} == VISIT_DAYS
    keys = {
        "code",
        "label",
        "unit",
        "unit_assumed",
        "better",
        "ref_low",
        "ref_high",
        "min",
        "max",
        "key",
        "population",
        "log_scale",
        "category",
    }
    by_code = {m["code"]: m for m in study["measures"]}
    assert set(by_code) == {
        "sledai",
        "bilag",
        "bilag_renal",
        "bilag_hematological",
        "bilag_mucocutaneous",
        "proteinuria",
        "creatinine",
        "bun",
        "albumin",
        "c3",
        "c4",
        "ana",
        "anti_dsdna",
    }
    for m in study["measures"]:
        assert set(m) == keys, m["code"]
    assert {c for c, m in by_code.items() if m["key"]} == {
        "sledai",
        "proteinuria",
        "creatinine",
        "c3",
        "anti_dsdna",
    }
    assert {c for c, m in by_code.items() if m["better"] == "higher"} == {"albumin", "c3", "c4"}
    assert by_code["proteinuria"]["population"] == "lupus_nephritis"
    assert by_code["ana"]["log_scale"] is True
    assert (by_code["sledai"]["min"], by_code["sledai"]["max"]) == (0, 105)
    units = {
        "proteinuria": "g/24 h",
        "creatinine": "µmol/L",
        "bun": "mmol/L",
        "albumin": "g/L",
        "c3": "g/L",
        "c4": "g/L",
        "anti_dsdna": "IU/mL",
    }
    for code, unit in units.items():
        assert by_code[code]["unit"] == unit and by_code[code]["unit_assumed"] is True, code
    assert by_code["ana"]["unit_assumed"] is True


# --- patients ------------------------------------------------------------------------------


def test_forty_patients_four_centers(patients, study):
    assert list(patients["patient_id"]) == [str(i) for i in range(1, 41)]
    sizes = patients["center"].value_counts()
    assert set(sizes.index) == set(study["centers"])
    assert sizes.idxmax() == study["centers"][0]  # sponsor largest (simulated split)
    assert set(patients["sex"]) <= {"F", "M"}
    assert 0.8 <= (patients["sex"] == "F").mean() <= 0.97
    assert set(patients["provenance"]) == {"simulated"}


def test_table1_rows_as_printed(patients, meas):
    p = patients.set_index("patient_id")
    base = meas[meas["month"] == 0].set_index(["patient_id", "measure"])
    for pid, (age, duration, sledai, bilag, treatment, _, manif) in TABLE1.items():
        row = p.loc[pid]
        assert (row["age"], row["disease_duration_months"]) == (age, duration), pid
        assert row["prior_treatment"] == treatment, pid
        assert row["manifestations"] == manif, pid
        assert bool(row["lupus_nephritis"]) == ("LN" in manif.split(", ")), pid
        fields = set(row["published_fields"].split(";"))
        assert {"age", "disease_duration_months", "prior_treatment", "manifestations"} <= fields
        assert "sex" not in fields and "center" not in fields
        for code, value in (("sledai", sledai), ("bilag", bilag)):
            r = base.loc[(pid, code)]
            assert r["value"] == value and r["provenance"] == "published", (pid, code)
    # Nothing else in the measurements claims to be published.
    published = meas[meas["provenance"] == "published"]
    assert len(published) == 26
    assert set(published["measure"]) == {"sledai", "bilag"} and set(published["month"]) == {0}


def test_patient_14(patients):
    row = patients.set_index("patient_id").loc["14"]
    assert (row["age"], row["disease_duration_months"]) == (21, 39)
    assert set(row["published_fields"].split(";")) == {"age", "disease_duration_months"}


def test_simulated_rows_plausible(patients):
    sim = patients[patients["patient_id"].astype(int) >= 14]
    assert 0.75 <= sim["lupus_nephritis"].mean() <= 0.9
    assert sim["age"].between(15, 70).all()
    assert (sim["disease_duration_months"] >= 0).all()
    assert (sim["manifestations"].str.contains(r"\bLN\b") == sim["lupus_nephritis"]).all()


# --- events --------------------------------------------------------------------------------


def test_event_vocabulary_and_provenance(events):
    assert set(events["event"]) <= {"infusion", "response", "relapse", "death", "adverse_event"}
    assert set(events.loc[events["event"] == "response", "term"]) <= {"MCR", "PCR"}
    assert events["provenance"].isin(PROVENANCES).all()
    assert (events["day"] >= 0).all()


def test_infusions_day_0_and_7(events):
    inf = events[events["event"] == "infusion"]
    assert (inf["provenance"] == "published").all()
    days = inf.groupby("patient_id")["day"].apply(sorted)
    assert len(days) == 40 and all(d == [0, 7] for d in days)


def test_table2_exactly(events):
    ae = events[events["event"].isin(["adverse_event", "death"])]
    got = {(r.patient_id, r.term, r.severity, int(r.day), r.related) for r in ae.itertuples()}
    assert len(ae) == len(TABLE2) and got == TABLE2
    assert (ae["provenance"] == "published").all()
    assert set(ae.loc[ae["event"] == "death", "patient_id"]) == set(DEATHS)


def test_response_counts_and_table1_outcomes(outcome, events):
    assert outcome["response"].value_counts().to_dict() == {"NR": 16, "MCR": 13, "PCR": 11}
    for pid, row in TABLE1.items():
        grade, relapsed = row[5].split()[0], "→ R" in row[5]
        assert outcome.at[pid, "response"] == grade, pid
        assert pd.notna(outcome.at[pid, "relapse_day"]) == relapsed, pid
    table1_events = events[
        events["patient_id"].isin(TABLE1) & events["event"].isin(["response", "relapse"])
    ]
    assert (table1_events["provenance"] == "published").all()


def test_relapses_3_by_9_months_and_4_by_12_among_responders(outcome, events):
    rel = outcome.dropna(subset=["relapse_day"])
    assert len(rel) == 7 and (events["event"] == "relapse").sum() == 7
    assert {"8", "9"} <= set(rel.index)
    assert (rel["response"] != "NR").all()
    assert (rel["relapse_day"] > rel["response_day"]).all()
    assert (rel["relapse_day"] <= 273).sum() == 3
    assert rel["relapse_day"].between(274, 365).sum() == 4
    others = events[(events["event"] == "relapse") & ~events["patient_id"].isin(["8", "9"])]
    assert (others["provenance"] == "simulated").all()


def test_deaths_and_survival(outcome, patients):
    dead = outcome.dropna(subset=["death_day"])["death_day"].to_dict()
    assert dead == DEATHS
    alive_at_365 = (outcome["death_day"].isna() | (outcome["death_day"] > 365)).sum()
    assert alive_at_365 == 37
    p = patients.set_index("patient_id")["last_followup_day"]
    for pid, day in DEATHS.items():
        assert p[pid] == day
    assert p.drop(list(DEATHS)).between(366, 372).all()  # at risk at day 365.25


def test_published_conflict_of_patient_9_is_kept(outcome):
    row = outcome.loc["9"]
    assert row["death_day"] == 7 and row["response"] == "MCR"
    assert row["response_day"] > 7 and row["relapse_day"] > row["response_day"]


def test_no_event_after_death_except_the_published_conflict(events, outcome):
    late = events.merge(outcome["death_day"], left_on="patient_id", right_index=True)
    late = late[late["day"] > late["death_day"]]
    assert set(late["patient_id"]) == {"9"}
    assert set(late["event"]) == {"response", "relapse"}
    alive = outcome["death_day"].isna()
    last = events.groupby("patient_id")["day"].max()
    assert (last[alive[alive].index] <= outcome.loc[alive, "last_followup_day"]).all()


# --- measurements --------------------------------------------------------------------------


def test_measurement_rules(meas, study, patients):
    limits = {m["code"]: (m["min"], m["max"]) for m in study["measures"]}
    assert set(meas["measure"]) == set(limits)
    assert set(meas["month"]) == set(VISIT_DAYS)
    assert not meas.duplicated(["patient_id", "month", "measure"]).any()
    assert meas["provenance"].isin(PROVENANCES).all()
    for code, (lo, hi) in limits.items():
        v = meas.loc[meas["measure"] == code, "value"]
        assert v.between(lo, hi).all(), code
    assert (meas.loc[meas["month"] == 0, "day"] == 0).all()
    target = meas["month"].map(VISIT_DAYS)
    assert (meas["day"] - target).abs().max() <= 7
    # one day per patient visit
    assert (meas.groupby(["patient_id", "month"])["day"].nunique() == 1).all()
    ana_steps = {80, 160, 320, 640, 1280, 2560}
    assert set(meas.loc[meas["measure"] == "ana", "value"]) <= ana_steps


def test_baseline_complete_and_proteinuria_only_in_nephritis(meas, patients):
    ln = set(patients.loc[patients["lupus_nephritis"], "patient_id"])
    assert set(meas.loc[meas["measure"] == "proteinuria", "patient_id"]) == ln
    base = meas[meas["month"] == 0]
    counts = base.groupby("patient_id")["measure"].nunique()
    expected = pd.Series({pid: 13 if pid in ln else 12 for pid in patients["patient_id"]})
    assert counts.sort_index().equals(expected.sort_index())


def test_some_follow_up_values_missing(meas, patients, outcome):
    ln = set(patients.loc[patients["lupus_nephritis"], "patient_id"])
    expected = 0
    for pid, row in outcome.iterrows():
        n_measures = 13 if pid in ln else 12
        death = row["death_day"]
        visits = [m for m, d in VISIT_DAYS.items() if m > 0 and (pd.isna(death) or d < death)]
        expected += n_measures * len(visits)
    missing = 1 - (meas["month"] > 0).sum() / expected
    assert 0.01 <= missing <= 0.06


def test_no_measurement_after_death(meas, outcome):
    m = meas.merge(outcome["death_day"], left_on="patient_id", right_index=True)
    assert not (m["day"] >= m["death_day"]).any()
    months = meas.groupby("patient_id")["month"].max()
    assert months["9"] == 0 and months["27"] == 6 and months["14"] == 6


def test_bilag_domains_fit_in_total(meas):
    wide = meas.pivot_table(index=["patient_id", "month"], columns="measure", values="value")
    dom = wide[["bilag_renal", "bilag_hematological", "bilag_mucocutaneous"]]
    complete = dom.notna().all(axis=1) & wide["bilag"].notna()
    assert (dom[complete].sum(axis=1) <= wide.loc[complete, "bilag"]).all()


# --- the published pattern, recomputed with scipy ------------------------------------------


def test_sledai_significant_from_3_months_not_at_1(meas):
    t, w, change = _pvalues(meas, "sledai", 1)
    assert t >= 0.05 and w >= 0.05
    for month in (3, 6, 9, 12):
        t, w, change = _pvalues(meas, "sledai", month)
        assert t < 0.05 and w < 0.05 and change < 0, month


def test_proteinuria_significant_at_9_and_12_only(meas):
    for month in (1, 3, 6):
        t, w, _ = _pvalues(meas, "proteinuria", month)
        assert t >= 0.05 and w >= 0.05, month
    for month in (9, 12):
        t, w, change = _pvalues(meas, "proteinuria", month)
        assert t < 0.05 and w < 0.05 and change < 0, month


@pytest.mark.parametrize("code", ["ana", "anti_dsdna"])
def test_serology_falls_significantly_by_3_months(meas, code):
    t, w, change = _pvalues(meas, code, 3)
    assert t < 0.05 and w < 0.05 and change < 0


def test_bilag_markedly_lower_at_3_months_and_falling(meas):
    t, w, _ = _pvalues(meas, "bilag", 3)
    assert t < 0.05 and w < 0.05
    m = _means(meas, "bilag")
    assert m[3] <= 0.8 * m[0]
    assert m[3] > m[6] > m[9] > m[12]
    for code in ("bilag_renal", "bilag_hematological", "bilag_mucocutaneous"):
        t, w, change = _pvalues(meas, code, 12)
        assert t < 0.05 and w < 0.05 and change < 0, code


@pytest.mark.parametrize(
    "code,best", [("creatinine", "min"), ("bun", "min"), ("albumin", "max"), ("c3", "max")]
)
def test_renal_labs_and_c3_best_at_6_months(meas, code, best):
    m = _means(meas, code)
    sign = 1 if best == "min" else -1  # compare as "lower is better"
    s = sign * m
    assert s.idxmin() == 6, m.to_dict()
    for month in (9, 12):
        assert s[6] < s[month] < s[0], (month, m.to_dict())


def test_relapsers_worsen_after_relapse(meas, outcome):
    sledai = meas[meas["measure"] == "sledai"]
    checked = 0
    for pid, row in outcome.dropna(subset=["relapse_day"]).iterrows():
        s = sledai[sledai["patient_id"] == pid]
        before = s[(s["day"] < row["relapse_day"]) & (s["month"] > 0)]
        after = s[s["day"] > row["relapse_day"]]
        if before.empty or after.empty:
            continue
        first_after = after.sort_values("day")["value"].iloc[0]
        last_before = before.sort_values("day")["value"].iloc[-1]
        assert first_after > last_before, pid
        checked += 1
    assert checked >= 5


def test_responders_improve_more_than_non_responders(meas, outcome):
    wide = meas[meas["measure"] == "sledai"].pivot(
        index="patient_id", columns="month", values="value"
    )
    change = (wide[6] - wide[0]).dropna()
    grp = outcome.loc[change.index, "response"]
    assert change[grp == "MCR"].mean() < change[grp == "PCR"].mean() < change[grp == "NR"].mean()


# --- the generator -------------------------------------------------------------------------


def test_generator_reproduces_files_byte_for_byte(tmp_path):
    from trial.demo import write_demo

    write_demo(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_build_demo_matches_files(patients, events):
    from trial.demo import build_demo

    study, p, m, e = build_demo()
    assert study["registry_id"] == "NCT01741857"
    assert list(p["patient_id"]) == list(patients["patient_id"])
    assert len(e) == len(events) and len(m) == len(_read("measurements.csv"))


def test_module_entry_point_and_no_dash(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "trial.demo", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "events.csv").read_bytes() == (DEMO / "events.csv").read_bytes()
    done = subprocess.run(
        [sys.executable, "-c", "import sys, trial.demo; assert 'dash' not in sys.modules"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
