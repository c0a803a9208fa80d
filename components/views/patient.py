"""Patient page (`/patients/<id>`): one patient's baseline, measures, events and data quality.

The page is rendered into the patient container of `pages`; the dashboard stays in the layout,
hidden, so "Back" returns to it as it was left. Previous / next follow the sidebar filters.
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from trial.analysis.patients import (
    PatientRecord,
    group_medians,
    neighbours,
    patient_record,
    peers_of,
    provenance_counts,
)
from trial.filters import listed_patients
from trial.model import Trial

from .. import ids
from ..attrs import attrs
from ..context import current_trial
from ..export.toolbar import present_button, takeaway_input
from ..figures import theme
from ..figures.patient import (
    baseline_rows,
    event_rows,
    measures_figure,
    outcome_rows,
    placeholder_figure,
    timeline_figure,
    timeline_of,
    value_rows,
)
from ..figures.theme import RESPONSE_COLORS
from ..state.filters import FILTER_INPUTS, current_filter
from ..state.routes import patient_path, resolve_patient, route
from .quality import finding_item

GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "toImageButtonOptions": {"scale": 3}}
# Up to this many measures the page draws them all; with more (ADaM labs and vital signs), the
# key measures, and the others on demand, chosen by dataset.
MAX_DRAWN = 12
MAX_MORE = 12
PROVENANCE_BADGE = {
    "published": "success",
    "recorded": "secondary",
    "inferred": "info",
    "simulated": "warning",
}


def layout() -> html.Div:
    # Two parts with their own callbacks: the way back and previous / next follow the
    # filters and the dashboard's state in the URL; the rest (figures included) is drawn once
    # per patient and theme.
    return html.Div(
        [html.Div(id=ids.PATIENT_NAV), html.Div(id=ids.PATIENT_BODY)], className="patient-page"
    )


def _prov(value: str):
    return dbc.Badge(
        value,
        color=PROVENANCE_BADGE.get(value, "secondary"),
        className="prov-badge",
        text_color="dark" if value == "simulated" else None,
    )


def _kv_table(rows: list[dict]) -> dbc.Table:
    return dbc.Table(
        html.Tbody(
            [
                html.Tr(
                    [
                        html.Th(r["item"], scope="row"),
                        html.Td(r["value"]),
                        html.Td(_prov(r["provenance"])),
                    ]
                )
                for r in rows
            ]
        ),
        size="sm",
        className="kv-table mb-0",
        borderless=True,
    )


def _person(trial: Trial) -> str:
    return "Subject" if trial.study.source_format == "adam" else "Patient"


def _nav(nb, patient_id: str, flt_text: str, query: str = "", person: str = "Patient") -> html.Div:
    # `query`: the dashboard's state in the URL (share.py), kept by previous / next and back.
    def link(target, text, id_):
        if target is None:
            return html.Span(
                text, className="nav-link-disabled", id=id_, **attrs({"aria-disabled": "true"})
            )
        return dcc.Link(
            text,
            href=patient_path(target) + query,
            id=id_,
            className="patient-nav-link",
            title=f"{person} {target}",
        )

    where = (
        f"{person} {nb.position} of {nb.count} in the current filters"
        if nb.position
        else f"Not in the current filters ({nb.count} {person.lower()}s)"
    )
    return html.Div(
        [
            dcc.Link(
                "← Back to the dashboard",
                href="/" + query,
                id=ids.PATIENT_BACK,
                className="patient-back",
            ),
            html.Div(
                [
                    link(
                        nb.previous,
                        f"‹ Previous{'' if nb.previous is None else ' (#' + nb.previous + ')'}",
                        ids.PATIENT_PREV,
                    ),
                    html.Span(where, className="patient-position", title=flt_text),
                    link(
                        nb.next,
                        f"{'' if nb.next is None else '(#' + nb.next + ') '}Next ›",
                        ids.PATIENT_NEXT,
                    ),
                ],
                className="patient-nav",
            ),
        ],
        className="patient-nav-bar",
    )


def _header(record: PatientRecord, trial: Trial | None = None) -> html.Div:
    """Id, the patient's responder group (where the data record responses) or arm, death or
    follow-up, relapse, and center."""
    row, group = record.row, record.group
    person = _person(trial) if trial is not None else "Patient"
    if trial is None or trial.has_response:
        badges = [
            html.Span(
                group,
                className="group-badge",
                style={"background": RESPONSE_COLORS.get(group, "#777")},
            )
        ]
    else:
        badges = [dbc.Badge(a, color="primary", className="me-1") for a in _arms(record)]
    if record.death_day is not None:
        badges.append(dbc.Badge(f"Died day {record.death_day:g}", color="dark", className="ms-1"))
    else:
        badges.append(
            dbc.Badge(
                "Alive at last follow-up", color="light", text_color="dark", className="ms-1 border"
            )
        )
    if row.get("relapse"):
        badges.append(dbc.Badge("Relapsed", color="danger", className="ms-1"))
    center = str(row.get("center") or "")
    if trial is not None and trial.study.source_format == "adam" and center:
        center = f"{trial.study.center_label} {center}"
    return html.Div(
        [
            html.H2([f"{person} {record.patient_id}"], className="patient-title"),
            html.Div(badges, className="patient-badges"),
            html.Div(center, className="patient-center"),
        ],
        className="patient-header",
    )


def _arms(record: PatientRecord) -> list[str]:
    """ "Placebo", or "Planned: Placebo", "Actual: Drug" when the two differ."""
    planned, actual = (record.row.get(c) for c in ("arm_planned", "arm_actual"))
    if isinstance(planned, str) and isinstance(actual, str) and planned != actual:
        return [f"Planned: {planned}", f"Actual: {actual}"]
    arm = record.arm
    return [arm] if arm else []


def _provenance_note(trial: Trial, record: PatientRecord) -> dbc.Alert | None:
    counts = provenance_counts(record)
    total = sum(counts.values())
    simulated = counts.get("simulated", 0)
    row_prov = str(record.row.get("provenance") or "recorded")
    if not simulated and row_prov != "simulated":
        return None
    published = counts.get("published", 0)
    parts = [
        html.Strong("This patient's values are simulated. "),
        html.Span(
            f"{simulated} of {total} measurements and events are simulated (demo data), "
            f"{published} are published facts from the trial's publication. "
            "Each value's provenance is shown by its marker (filled = published, open = "
            "simulated), in its hover text and in the tables' provenance column."
        ),
    ]
    return dbc.Alert(
        parts, color="warning", id=ids.PATIENT_PROVENANCE_NOTE, className="patient-provenance"
    )


def _warnings(record: PatientRecord) -> html.Div | None:
    if not record.findings:
        return None
    return html.Div(
        [
            html.H5(
                f"Data-quality warnings for this patient ({len(record.findings)})",
                className="text-warning-emphasis",
            ),
            dbc.ListGroup([finding_item(f) for f in record.findings]),
        ],
        id=ids.PATIENT_WARNINGS,
        className="patient-warnings mb-3",
    )


def _grid(id_, rows, cols, height=None) -> dag.AgGrid:
    return dag.AgGrid(
        id=id_,
        rowData=rows,
        columnSize="sizeToFit",
        columnDefs=[{"field": f, "headerName": h} for f, h in cols],
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight"} if height is None else {},
        style={"height": height} if height else None,
        className="patient-table",
    )


def _event_table(rows: list[dict]) -> dbc.Table:
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("Day", "Event", "Term", "Severity", "Related", "Provenance", "")]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(r["day"]),
                    html.Td(r["event"]),
                    html.Td(r["term"]),
                    html.Td(r["severity"]),
                    html.Td(r["related"]),
                    html.Td(_prov(r["provenance"])),
                    html.Td(r["note"], className="text-danger small" if r["note"] else ""),
                ]
            )
            for r in rows
        ]
    )
    return dbc.Table([head, body], size="sm", striped=True, className="events-table")


def drawn_codes(trial: Trial) -> tuple[list[str], list[str]]:
    """The measures the page draws at once, and those offered on demand: all of them up to
    MAX_DRAWN, else the key measures first and the rest on demand."""
    codes = list(trial.measure_codes)
    if len(codes) <= MAX_DRAWN:
        return codes, []
    first = list(trial.key_measure_codes)[:MAX_DRAWN]
    return first, [c for c in codes if c not in set(first)]


def more_options(trial: Trial, codes: list[str]) -> list[dict]:
    """The measures on demand, grouped by dataset (category) in the data's order."""
    out = []
    for code in codes:
        m = trial.study.measure(code)
        unit = f" ({m.unit})" if m.unit else ""
        out.append(
            {"label": f"{m.category + ' · ' if m.category else ''}{m.label}{unit}", "value": code}
        )
    return out


def _measures_card(trial: Trial, record: PatientRecord) -> dbc.Card:
    peers = peers_of(trial, record)
    first, rest = drawn_codes(trial)
    medians = group_medians(
        trial, peers.value, peers.column or "response", None if not rest else first
    )
    title = "Measures over time" if not rest else "Key measures over time"
    more = (
        []
        if not rest
        else [
            html.H6(f"More measures ({len(rest)} more, by dataset)", className="mt-3"),
            dcc.Dropdown(
                id=ids.PATIENT_MORE_MEASURES,
                options=more_options(trial, rest),
                value=[],
                multi=True,
                placeholder=f"Choose up to {MAX_MORE} measures…",
            ),
            dcc.Loading(
                dcc.Graph(
                    id=ids.PATIENT_MORE_GRAPH,
                    config=GRAPH_CONFIG,
                    figure=placeholder_figure("Choose measures above to draw them."),
                ),
                type="dot",
                delay_show=300,
            ),
        ]
    )
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Graph(
                    id=ids.PATIENT_MEASURES_GRAPH,
                    figure=measures_figure(trial, record, medians, first, peers, title),
                    config=GRAPH_CONFIG,
                ),
                *more,
                html.H6("All values", className="mt-2"),
                _grid(
                    ids.PATIENT_VALUES_TABLE,
                    value_rows(trial, record),
                    [
                        ("measure", "Measure"),
                        ("visit", "Visit"),
                        ("day", "Day"),
                        ("value", "Value"),
                        ("unit", "Unit"),
                        ("reference", "Reference"),
                        ("flag", "Flag"),
                        ("provenance", "Provenance"),
                    ],
                    height="420px",
                ),
            ]
        ),
        className="mb-3",
    )


def page_nav(trial: Trial, patient_id: str, filtered_ids, flt_text: str, query: str):
    """The page's first section: back to the dashboard, previous and next in the filters."""
    nb = neighbours(trial.patients["patient_id"], filtered_ids, patient_id)
    return _nav(nb, patient_id, flt_text, query, _person(trial))


def _narrative_bar(person: str) -> html.Div:
    """Present or pin this patient's case narrative (one slide; presenter mode, deck, report)."""
    b = dict(size="sm", color="secondary", outline=True)
    return html.Div(
        [
            present_button(
                ids.NARRATIVE_PRESENT,
                f"Show this {person.lower()}'s case narrative as a full-screen slide",
                "narrative-present",
            ),
            takeaway_input(ids.NARRATIVE_TAKEAWAY, "pin-takeaway narrative-takeaway"),
            dbc.Button(
                "+ Pin case narrative",
                id=ids.NARRATIVE_PIN,
                title=f"Add this {person.lower()}'s case narrative to the pinned slides",
                className="narrative-pin",
                **b,
            ),
            html.Span(
                f"One slide of this {person.lower()}: timeline, key measures against "
                "baseline, events (the filters and the selection do not apply)",
                id=ids.NARRATIVE_PIN_NOTE,
                className="pin-count narrative-note",
                role="status",
            ),
        ],
        className="presenter-toolbar narrative-bar mb-2",
    )


def patient_page(
    trial: Trial, record: PatientRecord, filtered_ids, flt_text: str, query: str = ""
) -> list:
    """The page's content for one patient (pure: no callback context needed)."""
    return [
        page_nav(trial, record.patient_id, filtered_ids, flt_text, query),
        *patient_body(trial, record),
    ]


def patient_body(trial: Trial, record: PatientRecord) -> list:
    """Everything of the page but its navigation: header, tables and figures."""
    adam = trial.study.source_format == "adam"
    sections = [
        _header(record, trial),
        _narrative_bar(_person(trial)),
        _provenance_note(trial, record),
        _warnings(record),
        dbc.Row(
            [
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader(
                                "Subject characteristics"
                                if adam
                                else "Baseline characteristics and prior treatment"
                            ),
                            dbc.CardBody(
                                _kv_table(baseline_rows(record, trial)),
                                className="patient-characteristics",
                            ),
                        ]
                    ),
                    lg=7,
                ),
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader("Outcomes, as recorded"),
                            dbc.CardBody(_kv_table(outcome_rows(record, trial.has_response))),
                        ]
                    ),
                    lg=5,
                ),
            ],
            className="g-3 mb-3",
        ),
        dbc.Card(
            dbc.CardBody(
                [
                    dcc.Graph(
                        id=ids.PATIENT_TIMELINE_GRAPH,
                        figure=timeline_figure(
                            record, list(trial.study.visits), timeline_of(trial, record)
                        ),
                        config=GRAPH_CONFIG,
                    ),
                    _event_table(event_rows(record)),
                ]
            ),
            className="mb-3",
        ),
        _measures_card(trial, record),
    ]
    return [s for s in sections if s is not None]


def not_found_page(malformed: bool, query: str = "") -> html.Div:
    """A clear page for an address that is not a patient (the requested id is not echoed).
    `query`: the dashboard's state, kept by the way back (share.py)."""
    message = (
        "This address is not a patient page."
        if malformed
        else "There is no patient with this id in this trial."
    )
    return html.Div(
        [
            dbc.Alert(
                [
                    html.H4("Patient not found", className="alert-heading"),
                    html.P(message),
                    html.P(
                        "Open the Patients tab of the dashboard to find a patient.",
                        className="mb-0",
                    ),
                ],
                color="secondary",
            ),
            dcc.Link(
                "← Back to the dashboard",
                href="/" + query,
                id=ids.PATIENT_BACK,
                className="patient-back",
            ),
        ],
        id=ids.PATIENT_NOT_FOUND,
    )


def dark_graphs(node):
    """The page with each graph's figure drawn dark (the dark theme's palette, theme.py)."""
    if isinstance(node, (list, tuple)):
        return [dark_graphs(x) for x in node]
    if isinstance(node, dcc.Graph) and getattr(node, "figure", None) is not None:
        node.figure = theme.dark_figure(node.figure)
    children = getattr(node, "children", None)
    if children is not None and not isinstance(children, str):
        node.children = dark_graphs(children)
    return node


def _split_values(values: tuple) -> tuple[tuple, str, bool]:
    """The filters' values, then the URL's query and (optionally) the dark theme."""
    filter_values, rest = values[: len(FILTER_INPUTS)], values[len(FILTER_INPUTS) :]
    query = rest[0] if rest and isinstance(rest[0], str) and rest[0].startswith("?") else ""
    dark = bool(rest[1]) if len(rest) > 1 else False
    return filter_values, query, dark


def _addressed(pathname) -> tuple[str, str | None]:
    """The route's kind and the existing patient it addresses (None if none)."""
    kind, _ = route(pathname)
    if kind == "dashboard":
        return kind, None
    return kind, resolve_patient(pathname, current_trial().patients["patient_id"])


def render_patient_nav(pathname, *values):
    """The way back and previous / next (`values`: the filters, then the URL's query); the
    not-found page for an address that is no patient."""
    filter_values, query, _ = _split_values(values)
    kind, pid = _addressed(pathname)
    if kind == "dashboard":
        return []
    if pid is None:
        return not_found_page(malformed=kind == "not_found", query=query)
    trial = current_trial()
    flt = current_filter(*filter_values)
    filtered = listed_patients(trial, flt)["patient_id"].astype(str)
    return page_nav(trial, pid, filtered, flt.describe(), query)


def render_patient_body(pathname, dark=False):
    """The patient's header, tables and figures (drawn dark in the dark theme)."""
    _, pid = _addressed(pathname)
    if pid is None:
        return []
    trial = current_trial()
    body = patient_body(trial, patient_record(trial, pid))
    return dark_graphs(body) if dark else body


def render_patient_page(pathname, *values):
    """The whole page as the two callbacks draw it (`values`: the filters, then the URL's
    query and optionally the dark theme)."""
    filter_values, query, dark = _split_values(values)
    nav = render_patient_nav(pathname, *filter_values, query)
    if not nav or getattr(nav, "id", None) == ids.PATIENT_NOT_FOUND:
        return nav
    return [nav, *render_patient_body(pathname, dark)]


def render_more_measures(chosen: list, pathname, dark=False):
    """The measures chosen on demand, for the patient of the page (one dropdown and graph when
    the page has them, none otherwise)."""
    codes = chosen[0] if chosen else None
    if not codes:
        raise PreventUpdate
    trial = current_trial()
    pid = resolve_patient(pathname, trial.patients["patient_id"])
    record = None if pid is None else patient_record(trial, pid)
    if record is None:
        raise PreventUpdate
    codes = [c for c in codes if c in set(trial.measure_codes)][:MAX_MORE]
    peers = peers_of(trial, record)
    medians = group_medians(trial, peers.value, peers.column or "response", codes)
    fig = measures_figure(trial, record, medians, codes, peers, "More measures")
    return [theme.dark_figure(fig) if dark else fig]


def register(app: Dash) -> None:
    app.callback(
        Output({**ids.PATIENT_MORE_GRAPH, "index": ALL}, "figure"),
        Input({**ids.PATIENT_MORE_MEASURES, "index": ALL}, "value"),
        State(ids.URL, "pathname"),
        State(ids.THEME_SWITCH, "value"),
        prevent_initial_call=True,
    )(render_more_measures)
    app.callback(
        Output(ids.PATIENT_NAV, "children"),
        Input(ids.URL, "pathname"),
        *FILTER_INPUTS,
        Input(ids.URL, "search"),
    )(render_patient_nav)
    app.callback(
        Output(ids.PATIENT_BODY, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.THEME_SWITCH, "value"),
    )(render_patient_body)
