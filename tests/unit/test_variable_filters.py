"""Filters on any subject-level variable and the analysis set: the choices offered, their
meaning as a PatientFilter, their place in the URL (components/state/filters.py, urlstate.py),
and the optional population columns of the native format."""

from __future__ import annotations

import pytest
from adam_factories import write_adam

from components import ids
from components.shell import share
from components.state import filters as fs
from components.state import urlstate as us
from trial.analysis.cohort import Cohort, group_options
from trial.filters import PatientFilter, VariableFilter, listed_patients
from trial.loader import load_trial

from factories import valid_tables, write_trial


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return load_trial(write_adam(tmp_path_factory.mktemp("small")))


def test_every_subject_level_variable_is_offered_with_counts(small):
    choices = fs.filter_choices(small)
    by = {v.column: v for v in choices.variables}
    assert by["agegr1"].kind == "values" and dict(by["agegr1"].levels) == {"<65": 7, ">=65": 3}
    assert by["race"].label == "RACE"  # CSV has no variable labels: the name
    assert "center" not in by and "_pop_saffl" not in by and "arm_actual" not in by
    assert choices.populations == (
        ("SAFFL", "Safety population"),
        ("ITTFL", "Intent-to-treat population"),
    )
    assert [k for k, _ in choices.arm_bases] == ["planned", "actual"]
    # every categorical variable is also a grouping
    assert {"agegr1", "race"} <= set(group_options(small))


def test_widget_values_become_the_filter(small):
    choices = fs.filter_choices(small)
    flt = fs.filter_from_values(
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "SAFFL",
        "actual",
        {"agegr1": {"values": ["<65"]}, "nosuch": {"values": ["x"]}},
        choices=choices,
    )
    assert flt.population == "SAFFL" and flt.arm_basis == "actual"
    assert flt.variables == (VariableFilter("agegr1", values=("<65",), label="AGEGR1"),)
    assert flt.variables[0].describe() == "AGEGR1: <65"
    # all values ticked, unknown population: no restriction
    flt = fs.filter_from_values(
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "NOPE",
        "default",
        {"agegr1": {"values": ["<65", ">=65"]}},
        choices=choices,
    )
    assert flt.population is None and flt.arm_basis is None and flt.variables == ()


def test_variable_filters_select_by_hand(small):
    flt = PatientFilter(variables=(VariableFilter("agegr1", values=(">=65",)),))
    # >=65: S-05, S-09, S-10
    assert sorted(listed_patients(small, flt)["patient_id"]) == ["S-05", "S-09", "S-10"]
    flt = PatientFilter(variables=(VariableFilter("race", values=("WHITE",)),), population="SAFFL")
    # white and in the safety population: S-01, S-03, S-05, S-07, S-10 (S-08 never treated)
    assert sorted(Cohort(flt).patients(small)["patient_id"]) == [
        "S-01",
        "S-03",
        "S-05",
        "S-07",
        "S-10",
    ]
    assert flt.describe() == "race: WHITE"  # a filter built without its label


def test_range_filter_excludes_missing_only_when_set():
    import pandas as pd

    patients = pd.DataFrame({"patient_id": ["a", "b", "c"], "bmi": [20.0, None, 31.0]})
    assert VariableFilter("bmi", low=19, high=25).mask(patients).tolist() == [True, False, False]


def test_variables_and_analysis_set_round_trip_in_the_url(small):
    from app import create_app

    app = create_app(small)
    with app.server.test_request_context("/"):
        schema = share.schema(small)
    values = schema.default_values()
    values.update(
        {
            ids.FILTER_POPULATION: "SAFFL",
            ids.FILTER_ARM_BASIS: "actual",
            ids.FILTER_VARIABLES: {
                "agegr1": {"values": [">=65"]},
                "race": {"values": ["ASIAN", "WHITE"]},
            },
        }
    )
    query = us.encode_state(values, schema)
    assert "pop=SAFFL" in query and "armby=actual" in query
    assert "v.agegr1=%3E%3D65" in query and "v.race=ASIAN&v.race=WHITE" in query
    decoded, notices = us.decode_query(query, schema)
    assert notices == []
    assert decoded[ids.FILTER_VARIABLES] == values[ids.FILTER_VARIABLES]
    assert decoded[ids.FILTER_POPULATION] == "SAFFL"
    decoded, notices = us.decode_query("?v.nosuch=1&v.agegr1=old&pop=XX", schema)
    assert len(notices) == 3 and ids.FILTER_VARIABLES in decoded
    assert decoded[ids.FILTER_VARIABLES] == {}


def test_native_population_columns(tmp_path):
    tables = valid_tables()
    tables["patients"] = tables["patients"].assign(
        saffl=["Y", "Y", "Y", "N", "Y", "Y"], ittfl=["Y"] * 6
    )
    trial = load_trial(write_trial(tmp_path, **tables))
    assert trial.study.design.population_for("safety").key == "SAFFL"
    assert len(Cohort(role="safety").patients(trial)) == 5
    assert len(Cohort().patients(trial)) == 6
    assert Cohort(role="safety").analysis_set(trial) == "Safety population, n = 5"


def test_the_demo_has_no_study_definition(demo_trial):
    assert demo_trial.study.design.choices() == []
    assert Cohort().analysis_set(demo_trial) == ""
    assert Cohort(role="safety").patients(demo_trial).equals(demo_trial.patients)
