"""The study definition read from a small hand-made ADaM study (tests/adam_factories.py):
screen failures, planned versus actual arms, two numberings of AVISITN, a count parameter in
ADTTE, TRTSDTM without TRTSDT, overall survival in ADTTE and ADSL, and AEREL/AESEV codings of
several kinds. Every expected number is counted by hand from the rows of adam_factories.py (the
comments say how)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from adam_factories import adam_frames, write_adam

from trial import tables as tt
from trial.analysis.cohort import Cohort, group_label, resolve_group
from trial.analysis.survival import endpoint_choices, survival_summary
from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
from trial.cli import main
from trial.design import related_class, severity_order, visit_time
from trial.filters import PatientFilter
from trial.loader import load_trial
from trial.summary import build_summary


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_adam(tmp_path_factory.mktemp("small01"))


@pytest.fixture(scope="module")
def small(folder):
    return load_trial(folder)


def rules(trial):
    return {f.rule for f in trial.warnings}


# --- who is analysed ----------------------------------------------------------------------------


def test_screen_failures_are_not_loaded_and_are_counted(small):
    assert sorted(small.patients["patient_id"]) == [f"S-{i:02d}" for i in range(1, 11)]
    assert small.study.design.excluded == (("screen failures (ARMCD = 'SCRNFAIL')", 2),)
    (f,) = [f for f in small.warnings if f.rule == "screen_failure"]
    assert "SF-1, SF-2" in f.message
    # their BDS records are not loaded either
    assert not small.measurements["patient_id"].str.startswith("SF").any()


def test_efficacy_is_itt_by_planned_arm_and_safety_is_saffl_by_actual(small):
    design = small.study.design
    assert design.population_for("efficacy").key == "ITTFL"
    assert design.population_for("safety").key == "SAFFL"
    efficacy = Cohort().patients(small)
    safety = Cohort(role="safety").patients(small)
    # ITT: the 10 randomised; planned Placebo S-01..S-05, Drug S-06..S-10
    assert efficacy["arm"].value_counts().to_dict() == {"Placebo": 5, "Drug": 5}
    # Safety: 9 treated (S-08 never treated); S-03 received Drug: Placebo 4, Drug 5
    assert safety["arm"].value_counts().to_dict() == {"Drug": 5, "Placebo": 4}
    assert "S-08" not in set(safety["patient_id"])
    assert (
        Cohort().analysis_set(small)
        == "Intent-to-treat population, n = 10, by planned treatment (TRT01P)"
    )
    assert (
        Cohort(role="safety").analysis_set(small)
        == "Safety population, n = 9, by actual treatment (TRT01A)"
    )


def test_population_and_arm_can_be_chosen(small):
    flt = PatientFilter(population="SAFFL", arm_basis="actual")
    chosen = Cohort(flt).patients(small)
    assert len(chosen) == 9 and chosen.set_index("patient_id").at["S-03", "arm"] == "Drug"
    everyone = Cohort(PatientFilter(population="all"), role="safety").patients(small)
    assert len(everyone) == 10
    assert group_label(small, "arm", Cohort(flt)) == "Actual treatment (TRT01A)"
    assert group_label(small, "arm") == "Planned treatment (TRT01P)"


def test_adam_json_changes_the_defaults(folder, tmp_path):
    frames = adam_frames()
    write_adam(tmp_path, frames)
    (tmp_path / "adam.json").write_text(
        json.dumps(
            {"populations": {"efficacy": "SAFFL", "safety": "all"}, "arms": {"efficacy": "actual"}}
        )
    )
    trial = load_trial(tmp_path)
    assert Cohort().analysis_set(trial) == "Safety population, n = 9, by actual treatment (TRT01A)"
    assert Cohort(role="safety").analysis_set(trial).startswith("All subjects, n = 10")


def test_without_flags_the_treated_subjects_are_analysed(tmp_path):
    frames = adam_frames()
    frames["adsl"] = frames["adsl"].drop(columns=["SAFFL", "ITTFL"])
    trial = load_trial(write_adam(tmp_path, frames))
    design = trial.study.design
    assert design.population_for("safety").key == "TREATED"
    # the first dose date (TRTSDTM) is missing for S-08 only
    assert len(Cohort(role="safety").patients(trial)) == 9
    assert any("treated subjects" in line for line in design.choices())


# --- time origin and deaths ---------------------------------------------------------------------


def test_death_day_from_dthdt_and_the_date_of_trtsdtm(small):
    # S-05: first dose 2020-01-05T09:30, death 2020-03-15: 26 + 29 + 15 = 70 days later, day 71
    p = small.patients.set_index("patient_id")
    assert p.at["S-05", "death"] and p.at["S-05", "death_day"] == 71
    assert "death_day" not in rules(small)
    assert "First dose date: TRTSDTM (ADSL has no TRTSDT)" in small.study.design.choices()


def test_study_overall_survival_replaces_the_derived_one_and_is_reconciled(small):
    assert small.study.design.overall_survival == "OS"
    assert "os" not in endpoint_choices(small) and "tte:OS" in endpoint_choices(small)
    # ADSL: S-05 died; ADTTE OS events: S-05 and S-07
    assert dict(small.study.design.reconciliation) == {
        "ADSL deaths": 1,
        "OS events": 2,
        "in both": 1,
        "ADSL only": 0,
        "OS only": 1,
    }
    (f,) = [f for f in small.warnings if f.rule == "death_reconciliation"]
    assert "OS only: S-07" in f.message


# --- endpoints ----------------------------------------------------------------------------------


def test_a_count_parameter_is_listed_not_drawn(small):
    assert set(small.tte["endpoint"]) == {"TTAE", "OS"}
    kept = {e.code: e.kept for e in small.study.design.endpoints}
    assert kept == {"TTAE": True, "NEXAC": False, "OS": True}
    (f,) = [f for f in small.warnings if f.rule == "not_time_to_event"]
    assert "NEXAC" in f.message and "COUNT" in f.message


def test_summary_by_the_datas_own_arm_variable(small, folder, capsys):
    assert resolve_group(small, "TRT01A") == "arm_actual"
    assert resolve_group(small, "agegr1") == "agegr1"
    assert resolve_group(small, "NOSUCH") is None
    s = json.loads(json.dumps(build_summary(small, by="TRT01A"), allow_nan=False, default=str))
    assert set(s["survival"]["time_to_event"]) == {"TTAE", "OS"}
    groups = s["measures"]["CREAT"]["groups"]
    # by actual arm: S-03 counts under Drug; S-08 (no actual arm) has no creatinine after
    # screening, so no group "missing"
    assert set(groups) == {"Placebo", "Drug"}
    assert groups["Drug"][0]["n"] == 5 and groups["Placebo"][0]["n"] == 4
    assert main(["summary", str(folder), "--by", "TRT01A"]) == 0
    assert main(["summary", str(folder), "--by", "NOSUCH"]) == 2
    assert "TRT01A" in capsys.readouterr().err
    survival_summary(small, by="arm_actual")  # no KeyError with a count parameter in ADTTE


# --- visits -------------------------------------------------------------------------------------


def test_each_dataset_has_its_own_visit_axis(small):
    creat, sysbp = small.study.measure("CREAT"), small.study.measure("SYSBP")
    # ADLB: AVISITN 2 Baseline, 3 Week 2, 4 Week 4, 5 Week 8 -> weeks 0, 2, 4, 8
    assert [(v.month, v.label) for v in creat.visits] == [
        (0, "Baseline"),
        (2, "Week 2"),
        (4, "Week 4"),
        (8, "Week 8"),
    ]
    assert [v.month for v in sysbp.visits] == [0, 2, 4, 8] and creat.visit_unit == "week"
    m = small.measurements
    week8 = m.loc[(m["measure"] == "CREAT") & (m["patient_id"] == "S-01")]
    assert week8["month"].tolist() == [0, 2, 4, 8]
    axes = {a.dataset: a.source for a in small.study.design.visit_axes}
    assert "visit number (5 = Week 8)" in axes["ADLB"]
    assert "counts weeks" in axes["ADVS"]


def test_screening_is_not_plotted_nor_tested(small):
    (f,) = [f for f in small.warnings if "before baseline" in f.message]
    assert f.file == "adlb.csv" and "1 'Screening'" in f.message
    result = analyse_trajectories(small, TrajectoryRequest(measure="CREAT", group="arm"))
    (panel,) = result.panels
    assert sorted(panel.summary["month"].unique()) == [0, 2, 4, 8]


def test_within_arm_tests_and_the_between_arm_ancova(small):
    result = analyse_trajectories(small, TrajectoryRequest(measure="CREAT", group="arm"))
    (panel,) = result.panels
    s = panel.summary.set_index(["group", "month"])
    # per arm, never pooled: 5 ITT subjects per planned arm; S-08 (Drug) has no post-baseline
    assert s.loc[("Placebo", 8), "n_paired"] == 5 and s.loc[("Drug", 8), "n_paired"] == 4
    overall = panel.comparison.loc[panel.comparison["term"] == "overall"]
    assert overall["month"].tolist() == [2, 4, 8] and (overall["n"] == 9).all()
    assert result.comparison_model.startswith("ANCOVA")
    by_hand = _ancova_by_hand(panel.values, 8)
    diff = panel.comparison.loc[
        (panel.comparison["term"] == "difference") & (panel.comparison["month"] == 8)
    ].iloc[0]
    assert diff["group"] == "Drug" and diff["reference"] == "Placebo"
    assert diff["estimate"] == pytest.approx(by_hand)


def _ancova_by_hand(values: pd.DataFrame, month) -> float:
    """The arm effect of change ~ baseline + arm by the normal equations' partialling out:
    regress change and the Drug indicator on baseline, then the residuals on each other."""
    import numpy as np

    v = values.loc[values["month"] == month].dropna(subset=["change", "baseline"])
    x = np.column_stack([np.ones(len(v)), v["baseline"]])
    drug = (v["group"] == "Drug").to_numpy(float)
    y = v["change"].to_numpy(float)
    hat = x @ np.linalg.inv(x.T @ x) @ x.T
    ry, rd = y - hat @ y, drug - hat @ drug
    return float(rd @ ry / (rd @ rd))


# --- adverse events -----------------------------------------------------------------------------


def test_relatedness_codes_of_several_kinds():
    assert [related_class(c) for c in ("PROBABLE", "POSSIBLE", "Y", "DEFINITELY RELATED")] == [
        "yes"
    ] * 4
    assert [related_class(c) for c in ("REMOTE", "N", "NONE", "NOT RELATED", "UNLIKELY")] == [
        "no"
    ] * 5
    assert related_class("SOMETIMES") == "unknown" and related_class(None) == "unknown"
    assert related_class("MAYBE", related=["maybe"]) == "yes"
    assert related_class("PROBABLE", related=["MAYBE"]) == "no"


def test_severity_codes_are_ordered():
    assert severity_order(["SEVERE", "MILD", "MODERATE"]) == ("MILD", "MODERATE", "SEVERE")
    assert severity_order(["3", "1", "Grade 2", "5"]) == ("1", "Grade 2", "3", "5")
    assert severity_order(["LIFE THREATENING", "MILD", "OTHER"]) == (
        "MILD",
        "LIFE THREATENING",
        "OTHER",
    )


def test_visit_labels_name_times():
    assert visit_time("Week 26") == (182.0, "week")
    assert visit_time("Day 15") == (14.0, "day") and visit_time("Day 1") == (0.0, "day")
    assert visit_time("Month 3")[1] == "month" and visit_time("Baseline") == (0.0, "")
    assert visit_time("Visit 3") is None and visit_time("Week -2") == (-14.0, "week")


def test_safety_table_counts_treatment_emergent_events_by_hand(small):
    safety = Cohort(role="safety").patients(small)
    n = tt.safety_numbers(small, safety).set_index(["row", "arm"])
    # Placebo (S-01, S-02, S-04, S-05): S-04's headache is before the first dose (TRTEMFL N)
    assert n.loc[("any", "Placebo"), ["N", "subjects", "events"]].tolist() == [4, 2, 3]
    # Drug (S-03, S-06, S-07, S-09, S-10): S-03 severe serious nausea (AEREL Y), S-06
    # headache DEFINITELY RELATED + nausea NONE, S-07 dizziness SOMETIMES, S-09 POSSIBLE
    drug = n.loc[("any", "Drug")]
    assert drug[["N", "subjects", "events", "serious", "related"]].tolist() == [5, 4, 5, 1, 3]
    assert drug[["sev:MILD", "sev:MODERATE", "sev:SEVERE"]].tolist() == [1, 1, 2]
    # Nausea in Placebo: S-01 twice (PROBABLE mild, REMOTE moderate): 1 subject, worst moderate
    nausea = n.loc[("pt:Gastrointestinal disorders:Nausea", "Placebo")]
    assert nausea[["subjects", "events", "related", "sev:MODERATE"]].tolist() == [1, 2, 1, 1]
    assert tt.subjects_with(small, safety, "soc:Nervous system disorders", "Drug") == [
        "S-06",
        "S-07",
        "S-09",
    ]
    assert any(f.rule == "coding" and "SOMETIMES" in f.message for f in small.warnings)


def test_toxicity_grades_and_no_trtemfl(tmp_path):
    frames = adam_frames()
    ae = frames["adae"].drop(columns=["AESEV", "TRTEMFL"])
    frames["adae"] = ae.assign(AETOXGR=[1, 2, 1, 3, 1, 2, 1, 1, 3])
    trial = load_trial(write_adam(tmp_path, frames))
    assert trial.severity_order == ("1", "2", "3")
    # without TRTEMFL: events on or after day 1 are treatment-emergent (S-04's day -3 is not)
    assert trial.adverse_events["teae"].tolist() == [True] * 4 + [False] + [True] * 4
    assert any(f.rule == "derived_flag" for f in trial.warnings)


def test_check_reports_every_choice(folder, capsys):
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    for words in (
        "Efficacy analyses: Intent-to-treat population",
        "Safety analyses: Safety population",
        "by actual treatment (TRT01A)",
        "Not analysed: 2 screen failures",
        "Visit axis of ADLB: weeks",
        "NEXAC (Number of Exacerbations): not a time-to-event endpoint",
        "Overall survival: the study's own ADTTE OS",
    ):
        assert words in out, words
