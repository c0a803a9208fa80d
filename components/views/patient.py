"""Patient page (`/patients/<id>`): one patient's baseline, measures, events and data quality.

The page is rendered into the patient container of `pages`; the dashboard stays in the layout,
hidden, so "Back" returns to it as it was left. Previous / next follow the sidebar filters.
"""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, dcc, html

from trial.analysis.patients import (
    PatientRecord,
    group_medians,
    neighbours,
    patient_record,
    provenance_counts,
)
from trial.filters import select_patients
from trial.model import Trial

from .. import ids
from ..context import current_trial
from ..figures.patient import (
    baseline_rows,
    event_rows,
    measures_figure,
    outcome_rows,
    timeline_figure,
    value_rows,
)
from ..figures.theme import RESPONSE_COLORS
from ..state.filters import FILTER_INPUTS, current_filter
from ..state.routes import patient_path, resolve_patient, route
from .quality import finding_item

GRAPH_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"scale": 3}}
PROVENANCE_BADGE = {"published": "success", "recorded": "secondary", "inferred": "info",
                    "simulated": "warning"}


def layout() -> html.Div:
    return html.Div(className="patient-page")


def _prov(value: str):
    return dbc.Badge(value, color=PROVENANCE_BADGE.get(value, "secondary"),
                     className="prov-badge", text_color="dark" if value == "simulated" else None)


def _kv_table(rows: list[dict]) -> dbc.Table:
    return dbc.Table(html.Tbody([
        html.Tr([html.Th(r["item"], scope="row"), html.Td(r["value"]), html.Td(_prov(r["provenance"]))])
        for r in rows]), size="sm", className="kv-table mb-0", borderless=True)


def _nav(nb, patient_id: str, flt_text: str, query: str = "") -> html.Div:
    # `query`: the dashboard's state in the URL (share.py), kept by previous / next and back.
    def link(target, text, id_):
        if target is None:
            return html.Span(text, className="nav-link-disabled", id=id_, **{"aria-disabled": "true"})
        return dcc.Link(text, href=patient_path(target) + query, id=id_, className="patient-nav-link",
                        title=f"Patient {target}")
    where = (f"Patient {nb.position} of {nb.count} in the current filters" if nb.position
             else f"Not in the current filters ({nb.count} patients)")
    return html.Div([
        dcc.Link("← Back to the dashboard", href="/" + query, id=ids.PATIENT_BACK,
                 className="patient-back"),
        html.Div([
            link(nb.previous, f"‹ Previous{'' if nb.previous is None else ' (#' + nb.previous + ')'}",
                 ids.PATIENT_PREV),
            html.Span(where, className="patient-position", title=flt_text),
            link(nb.next, f"{'' if nb.next is None else '(#' + nb.next + ') '}Next ›",
                 ids.PATIENT_NEXT),
        ], className="patient-nav"),
    ], className="patient-nav-bar")


def _header(record: PatientRecord) -> html.Div:
    row, group = record.row, record.group
    badges = [
        html.Span(group, className="group-badge",
                  style={"background": RESPONSE_COLORS.get(group, "#777")}),
    ]
    if record.death_day is not None:
        badges.append(dbc.Badge(f"Died day {record.death_day:g}", color="dark", className="ms-1"))
    else:
        badges.append(dbc.Badge("Alive at last follow-up", color="light", text_color="dark",
                                className="ms-1 border"))
    if row.get("relapse"):
        badges.append(dbc.Badge("Relapsed", color="danger", className="ms-1"))
    return html.Div([
        html.H2([f"Patient {record.patient_id}"], className="patient-title"),
        html.Div(badges, className="patient-badges"),
        html.Div(str(row.get("center") or ""), className="patient-center"),
    ], className="patient-header")


def _provenance_note(trial: Trial, record: PatientRecord) -> dbc.Alert | None:
    counts = provenance_counts(record)
    total = sum(counts.values())
    simulated = counts.get("simulated", 0)
    row_prov = str(record.row.get("provenance") or "recorded")
    if not simulated and row_prov != "simulated":
        return None
    published = counts.get("published", 0)
    parts = [html.Strong("This patient's values are simulated. ")]
    parts.append(html.Span(
        f"{simulated} of {total} measurements and events are simulated (demo data), "
        f"{published} are published facts from the trial's publication. "
        "Each value's provenance is shown by its marker (filled = published, open = simulated), "
        "in its hover text and in the tables' provenance column."))
    return dbc.Alert(parts, color="warning", id=ids.PATIENT_PROVENANCE_NOTE,
                     className="patient-provenance")


def _warnings(record: PatientRecord) -> html.Div | None:
    if not record.findings:
        return None
    return html.Div([
        html.H5(f"Data-quality warnings for this patient ({len(record.findings)})",
                className="text-warning-emphasis"),
        dbc.ListGroup([finding_item(f) for f in record.findings]),
    ], id=ids.PATIENT_WARNINGS, className="patient-warnings mb-3")


def _grid(id_, rows, cols, height=None) -> dag.AgGrid:
    return dag.AgGrid(
        id=id_, rowData=rows, columnSize="sizeToFit",
        columnDefs=[{"field": f, "headerName": h} for f, h in cols],
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight"} if height is None else {},
        style={"height": height} if height else None, className="patient-table")


def _event_table(rows: list[dict]) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(h) for h in
                               ("Day", "Event", "Term", "Severity", "Related", "Provenance", "")]))
    body = html.Tbody([html.Tr([
        html.Td(r["day"]), html.Td(r["event"]), html.Td(r["term"]), html.Td(r["severity"]),
        html.Td(r["related"]), html.Td(_prov(r["provenance"])),
        html.Td(r["note"], className="text-danger small" if r["note"] else "")])
        for r in rows])
    return dbc.Table([head, body], size="sm", striped=True, className="events-table")


def patient_page(trial: Trial, record: PatientRecord, filtered_ids, flt_text: str,
                 query: str = "") -> list:
    """The page's content for one patient (pure: no callback context needed)."""
    nb = neighbours(trial.patients["patient_id"], filtered_ids, record.patient_id)
    medians = group_medians(trial, record.group)
    sections = [
        _nav(nb, record.patient_id, flt_text, query),
        _header(record),
        _provenance_note(trial, record),
        _warnings(record),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Baseline characteristics and prior treatment"),
                              dbc.CardBody(_kv_table(baseline_rows(record)))]), lg=7),
            dbc.Col(dbc.Card([dbc.CardHeader("Outcomes, as recorded"),
                              dbc.CardBody(_kv_table(outcome_rows(record)))]), lg=5),
        ], className="g-3 mb-3"),
        dbc.Card(dbc.CardBody([
            dcc.Graph(id=ids.PATIENT_TIMELINE_GRAPH, figure=timeline_figure(
                record, list(trial.study.visits)), config=GRAPH_CONFIG),
            _event_table(event_rows(record)),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            dcc.Graph(id=ids.PATIENT_MEASURES_GRAPH,
                      figure=measures_figure(trial, record, medians), config=GRAPH_CONFIG),
            html.H6("All values", className="mt-2"),
            _grid(ids.PATIENT_VALUES_TABLE, value_rows(trial, record), [
                ("measure", "Measure"), ("visit", "Visit"), ("day", "Day"), ("value", "Value"),
                ("unit", "Unit"), ("reference", "Reference"), ("flag", "Flag"),
                ("provenance", "Provenance")], height="420px"),
        ]), className="mb-3"),
    ]
    return [s for s in sections if s is not None]


def not_found_page(malformed: bool, query: str = "") -> html.Div:
    """A clear page for an address that is not a patient (the requested id is not echoed).
    `query`: the dashboard's state, kept by the way back (share.py)."""
    message = ("This address is not a patient page." if malformed else
               "There is no patient with this id in this trial.")
    return html.Div([
        dbc.Alert([html.H4("Patient not found", className="alert-heading"), html.P(message),
                   html.P("Open the Patients tab of the dashboard to find a patient.",
                          className="mb-0")], color="secondary"),
        dcc.Link("← Back to the dashboard", href="/" + query, id=ids.PATIENT_BACK,
                 className="patient-back"),
    ], id=ids.PATIENT_NOT_FOUND)


def render_patient_page(pathname, *filter_values):
    filter_values, rest = filter_values[:len(FILTER_INPUTS)], filter_values[len(FILTER_INPUTS):]
    query = rest[0] if rest and isinstance(rest[0], str) and rest[0].startswith("?") else ""
    kind, _ = route(pathname)
    if kind == "dashboard":
        return []
    trial = current_trial()
    pid = resolve_patient(pathname, trial.patients["patient_id"])
    if pid is None:
        return not_found_page(malformed=kind == "not_found", query=query)
    flt = current_filter(*filter_values)
    filtered = select_patients(trial.patients, flt)["patient_id"].astype(str)
    return patient_page(trial, patient_record(trial, pid), filtered, flt.describe(), query)


def register(app: Dash) -> None:
    app.callback(Output(ids.PATIENT_PAGE, "children"), Input(ids.URL, "pathname"), *FILTER_INPUTS,
              Input(ids.URL, "search"))(render_patient_page)
