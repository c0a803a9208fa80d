import pandas as pd

from trial.filters import PatientFilter, select_patients

PATIENTS = pd.DataFrame(
    {
        "patient_id": ["1", "2", "3", "4"],
        "center": ["A", "A", "B", "B"],
        "response": ["MCR", "NR", "PCR", "NR"],
        "relapse": [True, False, False, False],
        "sex": ["F", "F", "M", "F"],
        "lupus_nephritis": [True, False, True, True],
        "age": [20.0, 35.0, None, 50.0],
    }
)


def ids(flt):
    return list(select_patients(PATIENTS, flt)["patient_id"])


def test_no_restriction_keeps_everyone_even_with_unknown_age():
    assert ids(PatientFilter()) == ["1", "2", "3", "4"]
    assert PatientFilter().describe() == "all patients"


def test_each_field_restricts():
    assert ids(PatientFilter(centers=("B",))) == ["3", "4"]
    assert ids(PatientFilter(responses=("NR",))) == ["2", "4"]
    assert ids(PatientFilter(relapse=True)) == ["1"]
    assert ids(PatientFilter(sexes=("M",))) == ["3"]
    assert ids(PatientFilter(lupus_nephritis=False)) == ["2"]
    assert ids(PatientFilter(age_min=30, age_max=60)) == ["2", "4"]


def test_empty_tuple_selects_nobody_and_says_so():
    flt = PatientFilter(centers=())
    assert ids(flt) == []
    assert flt.describe() == "center: none"


def test_combined_filters_and_description():
    flt = PatientFilter(centers=("B",), lupus_nephritis=True, age_min=40)
    assert ids(flt) == ["4"]
    assert flt.describe() == "center: B; lupus nephritis; age 40–"
