"""CDISC ADaM folders (trial/adam.py) on the public CDISC pilot data (../shared/data), and
`check` on deliberately broken copies. Every test here skips, saying why, where ../shared is absent
(the `shared_data` fixture)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyreadstat
import pytest

from trial import survival as sv
from trial.adam import check_adam, is_adam_folder, load_adam
from trial.analysis.survival import survival_summary
from trial.cli import main
from trial.loader import load_trial
from trial.model import DataError

from conftest import page_components, trajectory_view_of

PILOT = "cdiscpilot01"


@pytest.fixture(scope="module")
def pilot_dir(shared_data):
    return shared_data / PILOT


@pytest.fixture(scope="module")
def pilot(pilot_dir):
    return load_trial(pilot_dir)


def _read(path):
    df, meta = pyreadstat.read_xport(str(path))
    return df, meta


def _write(df, meta, path, name):
    labels = [meta.column_names_to_labels.get(c, "") for c in df.columns]
    pyreadstat.write_xport(
        df, str(path), table_name=name, column_labels=labels, file_format_version=5
    )


@pytest.fixture(scope="module")
def mini_frames(pilot_dir):
    """30 subjects of ADSL, their ADLBC (CREAT, ALB, BUN), ADTTE and ADAE (read once)."""
    sl, msl = _read(pilot_dir / "adsl.xpt")
    sl = sl.head(30)
    keep = set(sl["USUBJID"])
    out = {}
    for name in ("adsl", "adlbc", "adtte", "adae"):
        df, meta = (sl, msl) if name == "adsl" else _read(pilot_dir / f"{name}.xpt")
        df = df.loc[df["USUBJID"].isin(keep)]
        if name == "adlbc":
            df = df.loc[df["PARAMCD"].isin(["CREAT", "ALB", "BUN"])]
        out[name] = (df.reset_index(drop=True), meta)
    return out


@pytest.fixture
def mini(mini_frames, tmp_path):
    """A small valid copy of the pilot in tmp_path, written again as XPORT with pyreadstat."""
    for name, (df, meta) in mini_frames.items():
        _write(df, meta, tmp_path / f"{name}.xpt", name.upper())
    return tmp_path


def errors(findings):
    return [f for f in findings if f.level == "error"]


# --- the pilot study, as shipped ------------------------------------------------------------------


def test_pilot_is_detected_and_loads_without_errors(pilot_dir, pilot):
    assert is_adam_folder(pilot_dir)
    assert not errors(pilot.findings)
    assert len(pilot.patients) == 254
    assert pilot.patients["center"].nunique() == 17
    assert pilot.patients["arm"].value_counts().to_dict() == {
        "Placebo": 86,
        "Xanomeline Low Dose": 84,
        "Xanomeline High Dose": 84,
    }
    assert pilot.study.source_format == "adam" and pilot.study.primary_group == "arm"
    # efficacy analyses by planned arm, safety analyses by actual treatment (the same here)
    assert pilot.study.column_label("arm") == "Arm"
    design = pilot.study.design
    assert design.arm_for("efficacy").variable == "TRT01P"
    assert design.arm_for("safety").variable == "TRT01A"
    assert pilot.patients["arm_planned"].equals(pilot.patients["arm_actual"])
    assert not pilot.has_response and not pilot.has_relapse


def test_pilot_measures_units_reference_ranges_and_visits(pilot):
    study = pilot.study
    for code, label, unit in (
        ("CREAT", "Creatinine", "umol/L"),
        ("ALB", "Albumin", "g/L"),
        ("BUN", "Blood Urea Nitrogen", "mmol/L"),
    ):
        m = study.measure(code)
        assert (m.label, m.unit) == (label, unit)
        assert m.ref_low is not None and m.ref_high is not None and m.ref_low < m.ref_high
        assert code in pilot.measure_codes
    # blood pressure is measured at three time points per visit: one measure each
    assert {"SYSBP@815", "SYSBP@816", "SYSBP@817"} <= set(pilot.measure_codes)
    assert study.visit_unit == "week"
    assert study.visit_axis_title == "Weeks since first dose"
    assert [v.month for v in study.visits] == [0, 2, 4, 6, 8, 12, 16, 20, 24, 26]
    assert study.visit_label(0) == "Baseline" and study.visit_label(4) == "Week 4"
    # AVISIT carries leading spaces in the file: stripped
    assert all(v.label == v.label.strip() for v in study.visits)


def test_key_measures_default_to_the_safety_labs_unless_configured(pilot_dir, pilot):
    # No adam.json: creatinine, albumin, urea nitrogen, ALT and AST, in the data's order.
    assert pilot.key_measure_codes == ["ALT", "AST", "BUN", "CREAT", "ALB"]
    configured = load_adam(pilot_dir, config={"parameters_first": ["SODIUM", "K"]})
    assert configured.key_measure_codes == ["SODIUM", "K"]
    # None of the safety labs in the data: the first five measures.
    vitals = load_adam(
        pilot_dir, config={"parameters": ["SODIUM", "WEIGHT", "TEMP", "PULSE", "SYSBP", "DIABP"]}
    )
    assert not any(m.key for m in vitals.study.measures)
    assert vitals.key_measure_codes == vitals.measure_codes[:5]


def test_pilot_baseline_is_the_ablfl_record(pilot_dir, pilot):
    lb, _ = _read(pilot_dir / "adlbc.xpt")
    base = lb.loc[(lb["ABLFL"] == "Y") & (lb["PARAMCD"] == "CREAT")].set_index("USUBJID")["AVAL"]
    m = pilot.measurements
    ours = m.loc[(m["measure"] == "CREAT") & (m["month"] == 0)].set_index("patient_id")["value"]
    assert ours.sort_index().equals(base.sort_index().rename("value").rename_axis("patient_id"))


def test_pilot_excluded_records_are_counted_not_silently_dropped(pilot_dir, pilot):
    lb, _ = _read(pilot_dir / "adlbc.xpt")
    notes = [f for f in pilot.warnings if f.file == "adlbc.xpt"]
    text = " | ".join(f.message for f in notes)
    assert "unscheduled visits (AVISITN missing)" in text
    assert "AVISITN 99 'End of Treatment'" in text
    # every ADLBC record is either plotted or counted in a warning
    counted = sum(
        int(f.message.split(" ")[0].replace(",", "")) for f in notes if f.rule == "excluded_records"
    )
    plotted = int(
        pilot.measurements["measure"]
        .isin([m.code for m in pilot.study.measures if m.category == "ADLBC"])
        .sum()
    )
    assert plotted + counted == len(lb)


def test_pilot_duplicate_visit_records_are_reported_with_examples(pilot):
    dup = [f for f in pilot.warnings if f.rule == "duplicate_key"]
    assert len(dup) == 1 and dup[0].file == "adqscibc.xpt"
    assert "25 subject/parameter/visit combination(s)" in dup[0].message
    assert "subject 01-701-1294, CIBICVAL, AVISITN 8" in dup[0].message
    assert "ANL01FL = Y" in dup[0].message


def test_pilot_time_to_first_dermatologic_event_matches_reference(pilot):
    assert pilot.tte_endpoints == [("TTDE", "Time to First Dermatologic Event")]
    tte = pilot.tte
    assert set(tte["unit"]) == {"days"}
    assert int(tte["event"].sum()) == 152  # CNSR == 0 (read with pyreadstat, not pandas)
    frame = sv.tte_endpoint(pilot.patients, tte, "TTDE")
    med = sv.km_median(frame, "time", "event", "arm").set_index("group")
    assert pd.isna(med.at["Placebo", "median"])
    assert (
        sv.format_median(*med.loc["Xanomeline High Dose", ["median", "lower", "upper"]])
        == "36 (23–46)"
    )
    assert (
        sv.format_median(*med.loc["Xanomeline Low Dose", ["median", "lower", "upper"]])
        == "33 (27–48)"
    )
    assert sv.format_time(med.at["Placebo", "median"]) == "NR"
    test = sv.logrank(frame, "time", "event", "arm")
    assert round(test["chi2"], 1) == 60.3 and test["df"] == 2


def test_pilot_adverse_events_and_deaths(pilot):
    ev = pilot.events
    assert (ev["event"] == "adverse_event").sum() == 1191 - 11  # 11 without a start day
    assert set(ev.loc[ev["event"] == "death", "patient_id"]) == {
        "01-701-1211",
        "01-704-1445",
        "01-710-1083",
    }
    assert pilot.patients["death"].sum() == 3
    assert (pilot.patients["last_followup_day"] >= 0).all()
    assert any(f.rule == "death_day" for f in pilot.warnings)


def test_adlbc_alone_with_adsl_loads_its_scheduled_records(pilot_dir, tmp_path):
    # (how long it takes is measured by bench/, not here)
    for name in ("adsl.xpt", "adlbc.xpt"):
        shutil.copy(pilot_dir / name, tmp_path / name)
    trial = load_adam(tmp_path)
    assert len(trial.measurements) > 50_000


def test_trajectories_by_arm_and_by_site_and_arm(pilot):
    from trial.analysis.cohort import group_options

    groups = group_options(pilot)
    assert "response" not in groups and "center+response" not in groups
    assert groups["center"] == "Site" and groups["arm"] == "Arm"
    assert groups["center+arm"] == "Site × Arm"
    fig, rows, _ = trajectory_view_of(pilot, None, "CREAT", "arm")
    assert {r["group"] for r in rows} == {"Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"}
    assert {r["visit"] for r in rows} >= {"Baseline", "Week 2", "Week 26"}
    # the efficacy analysis: ITT population, by planned arm
    assert fig.layout.title.text == "Creatinine by Planned treatment (TRT01P)"
    assert (
        "Intent-to-treat population, n = 254, by planned treatment (TRT01P)"
        in fig.layout.title.subtitle.text
    )
    fig, rows, _ = trajectory_view_of(pilot, None, "ALB", "center+arm")
    assert {r["panel"] for r in rows} == set(pilot.centers)
    assert "Weeks since first dose" in json.dumps(fig.layout.to_plotly_json())


def test_cards_and_filters_without_response_information(pilot):
    from components.state.filters import filter_choices
    from components.views.cards import card_specs

    cards = {c["title"]: c["value"] for c in card_specs(pilot.patients, 254, pilot)}
    assert cards["Subjects"] == "254" and cards["Sites"] == "17" and cards["Deaths"] == "3"
    assert cards["Placebo"] == "86"
    assert "MCR" not in cards and "Relapses" not in cards
    choices = filter_choices(pilot)
    assert not choices.show_response and not choices.show_relapse and not choices.show_ln
    assert choices.arms == ("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose")


def test_configuration_orders_parameters_and_picks_groups(pilot_dir, tmp_path):
    for name in ("adsl.xpt", "adtte.xpt"):
        shutil.copy(pilot_dir / name, tmp_path / name)
    lb, meta = _read(pilot_dir / "adlbc.xpt")
    _write(
        lb.loc[lb["PARAMCD"].isin(["SODIUM", "CREAT", "ALB", "BUN"])],
        meta,
        tmp_path / "adlbc.xpt",
        "ADLBC",
    )
    (tmp_path / "adam.json").write_text(
        json.dumps(
            {
                "title": "CDISC pilot",
                "parameters_first": ["CREAT", "ALB", "BUN"],
                "groups": ["AGEGR1"],
                "visits": [0, 4, 8, 24],
            }
        )
    )
    trial = load_trial(tmp_path)
    assert trial.study.title == "CDISC pilot"
    assert trial.measure_codes[:3] == ["CREAT", "ALB", "BUN"]
    assert [m.code for m in trial.study.measures if m.key] == ["CREAT", "ALB", "BUN"]
    assert [v.month for v in trial.study.visits] == [0, 4, 8, 24]
    assert "agegr1" in trial.patients and "race" not in trial.patients
    assert any("not listed in the configuration" in f.message for f in trial.warnings)


def test_bad_configuration_is_reported(pilot_dir, tmp_path):
    shutil.copy(pilot_dir / "adsl.xpt", tmp_path / "adsl.xpt")
    (tmp_path / "adam.json").write_text('{"visits": "all", "colour": 1}')
    with pytest.raises(DataError) as e:
        load_trial(tmp_path)
    msgs = {(f.key, f.level) for f in e.value.findings}
    assert ("visits", "error") in msgs and ("colour", "warning") in msgs


# --- check on deliberately broken copies ---------------------------------------------------------


def test_mini_copy_is_valid(mini):
    trial = load_trial(mini)
    assert len(trial.patients) == 30 and not errors(trial.findings)


def test_duplicate_subject_in_adsl(mini):
    sl, _ = _read(mini / "adsl.xpt")
    (mini / "adsl.xpt").unlink()
    pd.concat([sl, sl.iloc[[3]]]).to_csv(mini / "adsl.csv", index=False)
    found = errors(check_adam(mini))
    dup = [f for f in found if f.rule == "duplicate"]
    sid = sl["USUBJID"].iloc[3]
    assert len(dup) == 1 and dup[0].file == "adsl.csv" and dup[0].column == "USUBJID"
    assert f"USUBJID '{sid}' appears 2 times (rows 5, 32)" in dup[0].message


def test_missing_required_variable(mini):
    lb, meta = _read(mini / "adlbc.xpt")
    _write(lb.drop(columns=["AVAL"]), meta, mini / "adlbc.xpt", "ADLBC")
    found = errors(check_adam(mini))
    assert any(
        f.file == "adlbc.xpt"
        and f.column == "AVAL"
        and f.rule == "missing_variable"
        and "required variable AVAL is missing from ADLBC" in f.message
        for f in found
    )


def test_subjects_missing_from_adsl(mini):
    ae, meta = _read(mini / "adae.xpt")
    ae.loc[[0, 1], "USUBJID"] = "99-999-9999"
    _write(ae, meta, mini / "adae.xpt", "ADAE")
    found = [f for f in errors(check_adam(mini)) if f.rule == "unknown_subject"]
    assert len(found) == 1 and found[0].file == "adae.xpt" and found[0].column == "USUBJID"
    assert (
        "1 subject(s) in ADAE are not in ADSL: 99-999-9999 (2 records: records 1, 2)"
        in found[0].message
    )


def test_bad_cnsr_values(mini):
    tte, meta = _read(mini / "adtte.xpt")
    tte.loc[2, "CNSR"] = 0.5
    tte.loc[4, "CNSR"] = -1
    tte.loc[5, "CNSR"] = 2  # a positive code: censored, for a reason (ADaM), said in a warning
    _write(tte, meta, mini / "adtte.xpt", "ADTTE")
    findings = check_adam(mini)
    bad = [f for f in errors(findings) if f.rule == "cnsr"]
    assert len(bad) == 1 and bad[0].file == "adtte.xpt" and bad[0].column == "CNSR"
    assert (
        "2 record(s) have a CNSR that is not 0 (event) or a positive whole number "
        "(censored): records 3, 5"
        in bad[0].message
        and bad[0].value == "0.5"
    )


def test_unit_mix_within_a_parameter(mini):
    lb, meta = _read(mini / "adlbc.xpt")
    lb["AVALU"] = lb["PARAM"].str.extract(r"\(([^()]*)\)\s*$")[0]
    creat = lb.index[lb["PARAMCD"] == "CREAT"]
    lb.loc[creat[:4], "AVALU"] = "mg/dL"
    _write(lb, meta, mini / "adlbc.xpt", "ADLBC")
    found = [f for f in errors(check_adam(mini)) if f.rule == "unit_mix"]
    assert len(found) == 1 and found[0].file == "adlbc.xpt" and found[0].column == "AVALU"
    assert (
        found[0].value == "CREAT"
        and "'mg/dL'" in found[0].message
        and "'umol/L'" in found[0].message
    )


def test_unit_mix_in_param_text(mini):
    lb, _ = _read(mini / "adlbc.xpt")
    (mini / "adlbc.xpt").unlink()
    lb.loc[lb.index[lb["PARAMCD"] == "ALB"][:2], "PARAM"] = "Albumin (g/dL)"
    lb.to_csv(mini / "adlbc.csv", index=False)
    found = [f for f in errors(check_adam(mini)) if f.rule == "unit_mix"]
    assert found and found[0].file == "adlbc.csv" and found[0].column == "PARAM"
    assert "parameter ALB has 2 different PARAM texts (units differ)" in found[0].message


def test_unparseable_dates_and_numbers_in_csv(mini):
    sl, _ = _read(mini / "adsl.xpt")
    (mini / "adsl.xpt").unlink()
    sl = sl.astype({"TRTSDT": str})
    sl.loc[1, "TRTSDT"] = "31/12/2013"
    sl.to_csv(mini / "adsl.csv", index=False)
    lb, _ = _read(mini / "adlbc.xpt")
    (mini / "adlbc.xpt").unlink()
    lb = lb.astype({"AVAL": object})
    lb.loc[6, "AVAL"] = "<5"
    lb.to_csv(mini / "adlbc.csv", index=False)
    findings = check_adam(mini)
    date = [f for f in findings if f.rule == "date"]
    assert date and date[0].file == "adsl.csv" and date[0].column == "TRTSDT"
    assert date[0].row == 3 and date[0].value == "31/12/2013"
    num = [f for f in errors(findings) if f.rule == "number"]
    assert num and num[0].file == "adlbc.csv" and num[0].column == "AVAL" and num[0].row == 8
    assert "1 value(s) of AVAL are not numbers (rows 8)" in num[0].message


def test_two_files_for_one_dataset_and_missing_adsl(mini):
    sl, _ = _read(mini / "adsl.xpt")
    sl.to_csv(mini / "adsl.csv", index=False)
    with pytest.raises(DataError) as e:
        load_trial(mini)
    assert e.value.unreadable
    assert "found adsl.csv and adsl.xpt" in str(e.value)
    (mini / "adsl.csv").unlink()
    (mini / "adsl.xpt").unlink()
    with pytest.raises(DataError) as e:
        load_trial(mini)
    assert "missing: an ADaM folder must hold the subject-level dataset ADSL" in str(e.value)


def test_unreadable_xpt(mini):
    (mini / "adae.xpt").write_bytes(b"this is not a SAS transport file" * 10)
    with pytest.raises(DataError) as e:
        load_trial(mini)
    assert e.value.unreadable and e.value.findings[0].file == "adae.xpt"
    assert "cannot be read as a SAS transport (XPORT) file" in e.value.findings[0].message


def test_cli_check_names_every_problem(mini, capsys):
    tte, meta = _read(mini / "adtte.xpt")
    tte.loc[0, "CNSR"] = 0.5
    _write(tte, meta, mini / "adtte.xpt", "ADTTE")
    ae, meta = _read(mini / "adae.xpt")
    ae.loc[0, "USUBJID"] = "99-999-9999"
    _write(ae, meta, mini / "adae.xpt", "ADAE")
    assert main(["check", str(mini)]) == 1
    out = capsys.readouterr().out
    assert "ERROR: adtte.xpt, column 'CNSR', value '0.5'" in out
    assert "ERROR: adae.xpt, column 'USUBJID', value '99-999-9999'" in out
    assert "2 errors" in out


def test_cli_check_pilot_is_valid(pilot_dir, capsys):
    assert main(["check", str(pilot_dir)]) == 0
    out = capsys.readouterr().out
    assert "is valid (254 patients" in out


def test_response_variable_from_configuration(mini):
    sl, _ = _read(mini / "adsl.xpt")
    config = {"response": {"variable": "DCDECOD", "levels": {"COMPLETED": "MCR"}}}
    trial = load_trial(mini, config=config)
    completed = set(sl.loc[sl["DCDECOD"] == "COMPLETED", "USUBJID"])
    assert trial.has_response and completed
    assert set(trial.patients.loc[trial.patients["response"] == "MCR", "patient_id"]) == completed
    from trial.analysis.cohort import group_options

    assert "response" in group_options(trial)


def test_summary_json_has_the_adtte_endpoint(pilot):
    s = json.loads(json.dumps(survival_summary(pilot, by="arm"), allow_nan=False))
    ttde = s["time_to_event"]["TTDE"]
    assert ttde["time_unit"] == "days" and round(ttde["logrank"]["chi2"], 1) == 60.3
    medians = {g["group"]: g["median"]["median"] for g in ttde["groups"]}
    assert medians == {"Placebo": None, "Xanomeline High Dose": 36.0, "Xanomeline Low Dose": 33.0}


def test_adtte_endpoint_view_has_no_reconciliation_and_keeps_variable_names(pilot):
    from app import create_app
    from components import ids
    from components.state import filters
    from components.views import survival

    app = create_app(pilot)
    layout = page_components(app)
    values = [getattr(layout[i.component_id], i.component_property) for i in filters.FILTER_INPUTS]
    with app.server.test_request_context():
        fig, _, _, _, recon, _, origin_style, *_ = survival.update_survival(
            ids.TAB_SURVIVAL, "tte:TTDE", "day0", "arm", "days", True, *values
        )
    assert recon.children is None
    # No relapse data: no relapse time origin, neither now nor on first display.
    assert origin_style == layout[ids.SURV_ORIGIN_CONTROL].style == {"display": "none"}
    assert (
        "Intent-to-treat population, n = 254, by planned treatment (TRT01P)"
        in fig.layout.title.text
    )
    assert "by planned treatment (TRT01P)" in fig.layout.title.subtitle.text
