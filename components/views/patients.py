"""Patients tab: a sortable, searchable list of the patients and a swimmer plot of the cohort.

Both follow the sidebar filters; a row or a bar opens the patient (see `pages.open_patient`);
ticked rows are the linked selection (see `selection`).
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, Patch, dcc, html

from trial.filters import listed_patients
from trial.model import Trial

from .. import ids
from ..context import current_trial, only_when_visible
from ..figures.cohort import (
    MAX_LIST_ROWS,
    baseline_codes,
    capped,
    patient_list_rows,
    search_patients,
    swimmer_figure,
    swimmer_words,
)
from ..state.filters import FILTER_INPUTS, current_filter

NUMERIC = {"type": "rightAligned", "filter": "agNumberColumnFilter"}
# "2" before "10": compare ids by their numbers where they have them.
NATURAL_ORDER = {
    "function": "String(valueA).localeCompare(String(valueB), undefined, {numeric: true})"
}
RESPONSE_CLASSES = {
    "response-mcr": "params.value === 'MCR'",
    "response-pcr": "params.value === 'PCR'",
    "response-nr": "params.value === 'NR'",
}


def column_defs(trial: Trial) -> list[dict]:
    """The list's columns: those the data have. Responder group, relapse and lupus nephritis
    only where recorded; the arm (planned, and actual where the data have both) for studies
    with arms."""
    p = trial.patients
    design = trial.study.design
    person = "Subject" if trial.study.source_format == "adam" else "Patient"
    cols = [
        {
            "field": "patient_id",
            "headerName": person,
            "pinned": "left",
            "width": 130,
            "comparator": NATURAL_ORDER,
            "cellClass": "patient-link",
        },
        {"field": "center", "headerName": trial.study.center_label, "minWidth": 120, "flex": 2},
    ]
    if "arm" in p:
        planned, actual = design.arm("planned"), design.arm("actual")
        first = planned or actual
        cols.append(
            {
                "field": "arm",
                "headerName": "Arm",
                "minWidth": 160,
                "flex": 2,
                "headerTooltip": first.label if first else "Arm",
            }
        )
        if planned and actual:
            cols.append(
                {
                    "field": "arm_actual",
                    "headerName": "Actual treatment",
                    "minWidth": 160,
                    "flex": 2,
                    "headerTooltip": actual.label,
                }
            )
    if trial.has_response:
        cols += [
            {
                "field": "response",
                "headerName": "Group",
                "width": 95,
                "cellClassRules": RESPONSE_CLASSES,
            },
            {"field": "response_day", "headerName": "Resp. day", "width": 110, **NUMERIC},
        ]
    if trial.has_response or trial.has_relapse:
        cols += [
            {"field": "relapse", "headerName": "Relapse", "width": 100},
            {"field": "relapse_day", "headerName": "Relapse day", "width": 125, **NUMERIC},
        ]
    cols += [
        {"field": "death", "headerName": "Died", "width": 85},
        {"field": "followup_days", "headerName": "Follow-up (days)", "width": 150, **NUMERIC},
        {"field": "age", "headerName": "Age", "width": 80, **NUMERIC},
        {"field": "sex", "headerName": "Sex", "width": 75},
    ]
    if "lupus_nephritis" in p:
        cols.append(
            {
                "field": "lupus_nephritis",
                "headerName": "LN",
                "width": 75,
                "headerTooltip": "Lupus nephritis at enrolment",
            }
        )
    for code in baseline_codes(trial):
        m = trial.study.measure(code)
        cols.append(
            {
                "field": f"base_{code}",
                "headerName": f"{m.label} at baseline",
                "headerTooltip": f"{m.label} at baseline ({m.unit})" if m.unit else m.label,
                "width": 150,
                **NUMERIC,
            }
        )
    cols.append(
        {
            "field": "provenance",
            "headerName": "Values",
            "width": 110,
            "headerTooltip": "Provenance of the patient's row (published, simulated, ...)",
        }
    )
    return cols


def layout(trial: Trial) -> html.Div:
    grid = dag.AgGrid(
        id=ids.PATIENT_GRID,
        rowData=[],
        columnDefs=column_defs(trial),
        getRowId="params.data.patient_id",
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={
            "rowSelection": {
                "mode": "multiRow",
                "checkboxes": True,
                "headerCheckbox": True,
                "enableClickSelection": False,
                "selectAll": "filtered",
            },
            "animateRows": False,
            "tooltipShowDelay": 300,
            "pagination": False,
            "domLayout": "normal",
        },
        selectedRows=[],
        style={"height": "460px", "width": "100%"},
        className="patient-grid",
    )
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Input(
                            id=ids.PATIENT_SEARCH,
                            type="search",
                            debounce=False,
                            placeholder=search_hint(trial),
                        ),
                        md=5,
                    ),
                    dbc.Col(
                        html.Div(
                            f"Click a row to open the {person(trial)} · tick rows to select "
                            "them in every view",
                            className="figure-note",
                        ),
                        md=7,
                        className="d-flex align-items-center",
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Div(id=ids.PATIENT_SELECTION_NOTE, className="selection-note mb-1"),
            html.Div(id=ids.PATIENT_LIST_NOTE, className="figure-note mb-1"),
            grid,
            dcc.Loading(
                dcc.Graph(
                    id=ids.SWIMMER_GRAPH,
                    className="mt-3",
                    config={"displaylogo": False, "toImageButtonOptions": {"scale": 3}},
                ),
                type="dot",
                delay_show=300,
            ),
        ]
    )


def person(trial: Trial) -> str:
    return "subject" if trial.study.source_format == "adam" else "patient"


def search_hint(trial: Trial) -> str:
    words = ["id", trial.study.center_label.lower()]
    if "arm" in trial.patients:
        words.append("arm")
    if trial.has_response:
        words.append("group")
    return f"Search the list ({', '.join(words)}, …)"


def list_note(shown: int, matching: int, people: str = "patients") -> str:
    if shown == matching:
        return ""
    return (
        f"Showing {shown:,} of {matching:,} matching {people} (random sample): narrow the "
        "filters or search by id to find the others."
    )


def selection_note(selection, people: str = "patients") -> str:
    """What the selection does, said where it is made: this tab shows every patient the
    filters keep (ticked or not), so that the selection can be changed; the rest follow it."""
    n = len(set(map(str, selection or ())))
    if not n:
        return ""
    who = f"{n} {people[:-1] if n == 1 and people.endswith('s') else people} selected"
    return (
        f"{who}: the counts, Trajectories, Survival, Effects, Tables, slides and exports "
        f"analyse only them. This list and the swimmer plot show all {people} the filters "
        "keep, selected or not, so that you can change the selection."
    )


def update_selection_note(selection):
    return selection_note(selection, f"{person(current_trial())}s")


def update_patient_list(search, *filter_values):
    trial = current_trial()
    patients = search_patients(listed_patients(trial, current_filter(*filter_values)), search)
    shown = capped(patients, MAX_LIST_ROWS)
    return patient_list_rows(trial, shown), list_note(
        len(shown), len(patients), f"{person(trial)}s"
    )


def search_patient_list(text):
    options = Patch()
    options["quickFilterText"] = text or ""
    return options


@only_when_visible(ids.TAB_PATIENTS)
def update_swimmer(selection, *filter_values):
    trial = current_trial()
    patients = listed_patients(trial, current_filter(*filter_values))
    return swimmer_figure(patients, trial.events, selection or [], words=swimmer_words(trial))


def register(app: Dash) -> None:
    app.callback(
        Output(ids.PATIENT_GRID, "rowData"),
        Output(ids.PATIENT_LIST_NOTE, "children"),
        Input(ids.PATIENT_SEARCH, "value"),
        *FILTER_INPUTS,
    )(update_patient_list)
    app.callback(
        Output(ids.PATIENT_SELECTION_NOTE, "children"),
        Input(ids.SELECTION_STORE, "data"),
    )(update_selection_note)
    app.callback(
        Output(ids.PATIENT_GRID, "dashGridOptions"),
        Input(ids.PATIENT_SEARCH, "value"),
        prevent_initial_call=True,
    )(search_patient_list)
    app.callback(
        Output(ids.SWIMMER_GRAPH, "figure"),
        Input(ids.VISIBLE_TAB, "data"),
        Input(ids.SELECTION_STORE, "data"),
        *FILTER_INPUTS,
    )(update_swimmer)
