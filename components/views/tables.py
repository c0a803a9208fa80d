"""Tables view: baseline characteristics (Table 1 style), response rates with exact 95 % CIs (when
the data record responses), the adverse events (Table 2 style) and, for data with coded adverse
events (ADaM ADAE), the safety table: treatment-emergent adverse events by system organ class and
preferred term, by arm, in the safety population; sortable, with severity, serious and related
columns in the data's own codes, and a click on a cell lists the subjects behind it. Each table
is downloadable as CSV.

Baseline and response tables are efficacy tables (the efficacy analysis set); the adverse-event
tables are safety tables (the safety analysis set, by actual treatment), each says which.
"""

from __future__ import annotations

from datetime import date

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

import security
from trial import tables as tt
from trial.analysis.cohort import Cohort
from trial.model import Role, Trial

from .. import ids
from ..context import current_trial
from ..export.build import TABLE_BUILDERS, TABLE_CSV, TABLE_TITLES
from ..export.files import csv_safe, export_filename
from ..export.toolbar import TABLE_FORMATS, export_toolbar, method_panel
from ..state.filters import COHORT_INPUTS, current_cohort_filter, people
from ..state.routes import patient_path

TABLE_IDS = {
    ids.TABLE_BASELINE: ids.TABLES_BASELINE,
    ids.TABLE_RESPONSE: ids.TABLES_RESPONSE,
    ids.TABLE_AE: ids.TABLES_AE,
    ids.TABLE_AE_COUNTS: ids.TABLES_AE_COUNTS,
}
TABLE_NOTES = {
    ids.TABLE_BASELINE: "Mean ± SD and median (IQR); n (%) of the patients with a known value. "
    "[n = k]: values missing for some patients.",
    ids.TABLE_RESPONSE: f"k/n (%; 95 % CI, {tt.CI_METHOD}). Best response as recorded; "
    "denominator: all selected patients of the group.",
    ids.TABLE_AE: "Every adverse event and death recorded, as reported.",
    ids.TABLE_AE_COUNTS: "Patients with the event, % of the selected patients.",
}
# The kind of analysis each table is (its population and arm follow the study definition).
TABLE_ROLES: dict[str, Role] = {
    ids.TABLE_BASELINE: "efficacy",
    ids.TABLE_RESPONSE: "efficacy",
    ids.TABLE_AE: "safety",
    ids.TABLE_AE_COUNTS: "safety",
}
BREAKDOWNS = [
    {"label": "Subjects, n (%) and events", "value": "subjects"},
    {"label": "By worst severity", "value": "severity"},
    {"label": "Serious", "value": "serious"},
    {"label": "Related", "value": "related"},
]
FILTER_STATES = [State(i.component_id, i.component_property) for i in COHORT_INPUTS]
MAX_TABLE_ROWS = 200
MAX_LISTED = 200


def shown_tables(trial: Trial) -> list[str]:
    """The tables this trial's data support: responses only where recorded; the safety table
    replaces the counts by term where the adverse events are coded (ADaM)."""
    out = [ids.TABLE_BASELINE]
    if trial.has_response:
        out.append(ids.TABLE_RESPONSE)
    out.append(ids.TABLE_AE)
    if trial.adverse_events.empty:
        out.append(ids.TABLE_AE_COUNTS)
    return out


def table_title(trial: Trial, key: str) -> str:
    """The section's title, named for the data (Table 1 by arm where the study has arms)."""
    if key == ids.TABLE_BASELINE and trial.study.design.arms:
        return "Table 1. Baseline characteristics by arm"
    if key == ids.TABLE_AE and trial.study.source_format != "native":
        return "Adverse events and deaths, as recorded (listing)"
    return TABLE_TITLES[key]


def frame_table(
    df: pd.DataFrame,
    empty: str = "No rows for the selected patients.",
    max_rows: int = MAX_TABLE_ROWS,
):
    """A DataFrame as a Bootstrap table; cells are plain text (never HTML). Long listings show
    their first rows and say so (the CSV download has them all)."""
    if df.empty:
        return html.Div(empty, className="text-muted small")
    # Rows built directly: dbc.Table.from_dataframe inspects every cell for a MultiIndex
    # (about 10 ms of a filter change at 100,000 patients); these frames have a plain one.
    head = html.Thead(html.Tr([html.Th(c) for c in df.columns]))
    rows = df.head(max_rows).itertuples(index=False, name=None)
    body = html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])
    table = dbc.Table(
        [head, body], striped=True, bordered=False, hover=True, size="sm", className="paper-table"
    )
    if len(df) <= max_rows:
        return table
    return html.Div(
        [
            table,
            html.Div(
                f"First {max_rows} of {len(df):,} rows shown; the CSV download has all of them.",
                className="figure-note",
            ),
        ]
    )


def _download(key: str) -> list:
    return [
        dbc.Button(
            "Download CSV",
            id={"type": ids.TABLE_CSV_BUTTON, "table": key},
            size="sm",
            color="secondary",
            outline=True,
        ),
        dcc.Download(id={"type": ids.TABLE_CSV_DOWNLOAD, "table": key}),
    ]


def _section(trial: Trial, key: str, shown: bool) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.H6(table_title(trial, key), className="d-inline me-3"), *_download(key)],
                className="mb-1 mt-3",
            ),
            html.Div(id=TABLE_IDS[key], className="table-responsive"),
            html.Div(TABLE_NOTES[key], className="figure-note"),
        ],
        className="paper-table-section",
        hidden=not shown,
    )


def _safety_section(trial: Trial) -> html.Div:
    grid = dag.AgGrid(
        id=ids.TABLES_SAFETY,
        rowData=[],
        columnDefs=[],
        getRowId="params.data.row",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"animateRows": False, "tooltipShowDelay": 300},
        style={"height": "520px", "width": "100%"},
        className="safety-grid",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H6(
                        "Treatment-emergent adverse events by system organ class and "
                        "preferred term",
                        className="d-inline me-3",
                    ),
                    *_download(ids.TABLE_SAFETY),
                ],
                className="mb-1 mt-3",
            ),
            dbc.RadioItems(
                id=ids.TABLES_SAFETY_BREAKDOWN,
                options=BREAKDOWNS,
                value="subjects",
                inline=True,
                className="mb-2",
            ),
            grid,
            html.Div(id=ids.TABLES_SAFETY_NOTE, className="figure-note"),
            html.Div(id=ids.TABLES_SAFETY_SUBJECTS, className="safety-subjects mt-2"),
        ],
        className="paper-table-section",
        hidden=trial.adverse_events.empty,
    )


def layout(trial: Trial) -> html.Div:
    shown = shown_tables(trial)
    return html.Div(
        [
            html.Div(
                [
                    html.Div(id=ids.TABLES_NOTE, className="tables-note"),
                    export_toolbar(ids.VIEW_TABLES, TABLE_FORMATS),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2",
            ),
            *[_section(trial, k, k in shown) for k in TABLE_BUILDERS],
            _safety_section(trial),
            method_panel(ids.VIEW_TABLES),
        ]
    )


def table_patients(trial: Trial, key: str, flt) -> pd.DataFrame:
    return Cohort(flt, role=TABLE_ROLES.get(key, "safety")).patients(trial)


def _analysis_sets(trial: Trial, flt) -> dict[Role, pd.DataFrame]:
    """The filter's patients of each kind of table (efficacy, safety), selected once."""
    return {role: Cohort(flt, role=role).patients(trial) for role in ("efficacy", "safety")}


def tables_view(trial: Trial, flt, sets: dict[Role, pd.DataFrame] | None = None):
    """The display tables of the filter's analysis sets (pure; `sets`: `_analysis_sets`, when
    the caller has them); tables the data do not support are empty."""
    shown = shown_tables(trial)
    sets = sets or _analysis_sets(trial, flt)
    return {
        k: build(trial, sets[TABLE_ROLES.get(k, "safety")]) if k in shown else pd.DataFrame()
        for k, build in TABLE_BUILDERS.items()
    }


def tables_note(trial: Trial, flt, sets: dict[Role, pd.DataFrame] | None = None) -> str:
    """Who each table counts: "254 of 254 subjects · efficacy tables: ITT ... · safety ..."."""
    sets = sets or _analysis_sets(trial, flt)
    parts = []
    for role, patients in sets.items():
        text = Cohort(flt, role=role).analysis_set(trial, len(patients))
        if text:
            parts.append(f"{role} tables: {text}")
    if not parts:
        n = len(sets["efficacy"])
        return f"{n:,} of {len(trial.patients):,} {people(trial)} · {flt.describe()}"
    return " · ".join(parts) + f" · {flt.describe()}"


def update_tables(active_tab, *filter_values):
    # Computed when the tab is shown, not on every filter change while it is hidden.
    if active_tab != ids.TAB_TABLES:
        raise PreventUpdate
    trial = current_trial()
    flt = current_cohort_filter(*filter_values)
    sets = _analysis_sets(trial, flt)
    tables = tables_view(trial, flt, sets)
    return (*[frame_table(t) for t in tables.values()], tables_note(trial, flt, sets))


# --- The safety table -----------------------------------------------------------------------------


def safety_grid(trial: Trial, flt, breakdown: str) -> tuple[list[dict], list[dict], str]:
    """Rows, column definitions and note of the safety grid (pure). Columns are named c0,
    c1, ... (arm names may hold characters AG Grid reads as paths); header: the text."""
    cohort = Cohort(flt, role="safety")
    patients = cohort.patients(trial)
    frame = tt.safety_table(trial, patients, breakdown or "subjects")
    yes, no = tt.related_codes(trial)
    note = (
        f"{cohort.analysis_set(trial, len(patients))} · treatment-emergent adverse events "
        "(ADAE TRTEMFL = Y) · subjects with at least one event, % of the arm's subjects · "
        "worst severity per subject · related: AEREL "
        f"{', '.join(yes) or '–'} (not related: {', '.join(no) or '–'}) · click a cell for "
        "its subjects"
    )
    if frame.empty:
        return [], [], note
    names = [c for c in frame.columns if c != "row"]
    fields = {c: f"c{i}" for i, c in enumerate(names)}
    cols = [
        {
            "field": fields[c],
            "headerName": c,
            "headerTooltip": c,
            **(
                {"pinned": "left", "minWidth": 280, "flex": 2}
                if i == 0
                else {"minWidth": 120, "flex": 1, "type": "rightAligned"}
            ),
        }
        for i, c in enumerate(names)
    ]
    rows = [{"row": r["row"], **{fields[c]: r[c] for c in names}} for r in frame.to_dict("records")]
    return rows, cols, note


def update_safety(active_tab, breakdown, *filter_values):
    if active_tab != ids.TAB_TABLES:
        raise PreventUpdate
    trial = current_trial()
    if trial.adverse_events.empty:
        return [], [], "", None
    rows, cols, note = safety_grid(trial, current_cohort_filter(*filter_values), breakdown)
    return rows, cols, note, None


def arm_of_column(header: str | None) -> str | None:
    """ "Placebo (N=86): n (%)" -> "Placebo"; the first column (names) -> None (every arm)."""
    if not header or " (N=" not in header:
        return None
    return header.rsplit(" (N=", 1)[0]


def safety_subjects(trial: Trial, flt, row_id: str, header: str | None, query: str = ""):
    """The subjects behind a clicked cell, each a link to their page (pure)."""
    arm = arm_of_column(header)
    patients = Cohort(flt, role="safety").patients(trial)
    found = tt.subjects_with(trial, patients, row_id, arm)
    numbers = tt.safety_numbers(trial, patients)
    label = numbers.loc[numbers["row"] == row_id, "label"]
    what = label.iloc[0] if len(label) else row_id
    where = f" in {arm}" if arm and arm != tt.TOTAL else ""
    links = [
        dcc.Link(pid, href=patient_path(pid) + (query or ""), className="me-2")
        for pid in found[:MAX_LISTED]
    ]
    more = f" (first {MAX_LISTED} shown)" if len(found) > MAX_LISTED else ""
    return [
        html.Strong(f"{len(found)} {people(trial)} with {what}{where}{more}: "),
        html.Span(links or "none"),
    ]


def show_safety_subjects(cell, column_defs, query, *filter_values):
    if not cell or not cell.get("rowId"):
        raise PreventUpdate
    header = next(
        (c.get("headerName") for c in column_defs or () if c.get("field") == cell.get("colId")),
        None,
    )
    return safety_subjects(
        current_trial(), current_cohort_filter(*filter_values), cell["rowId"], header, query
    )


def download_table_csv(_clicks, button_id, *filter_values):
    key = button_id["table"]
    if key not in TABLE_CSV and key != ids.TABLE_SAFETY:
        raise ValueError("unknown table")
    trial = current_trial()
    flt = current_cohort_filter(*filter_values)
    if key == ids.TABLE_SAFETY:
        frame = tt.safety_numbers(trial, Cohort(flt, role="safety").patients(trial))
    else:
        frame = TABLE_CSV[key](trial, table_patients(trial, key, flt))
    security.audit("export", fingerprint=getattr(trial, "fingerprint", ""), view=key, format="csv")
    return dict(
        content=csv_safe(frame).to_csv(index=False),
        filename=export_filename(key, "csv", date.today()),
        type="text/csv",
    )


def register(app: Dash) -> None:
    app.callback(
        *[Output(TABLE_IDS[k], "children") for k in TABLE_BUILDERS],
        Output(ids.TABLES_NOTE, "children"),
        Input(ids.VISIBLE_TAB, "data"),
        *COHORT_INPUTS,
    )(update_tables)
    app.callback(
        Output(ids.TABLES_SAFETY, "rowData"),
        Output(ids.TABLES_SAFETY, "columnDefs"),
        Output(ids.TABLES_SAFETY_NOTE, "children"),
        Output(ids.TABLES_SAFETY_SUBJECTS, "children"),
        Input(ids.VISIBLE_TAB, "data"),
        Input(ids.TABLES_SAFETY_BREAKDOWN, "value"),
        *COHORT_INPUTS,
    )(update_safety)
    app.callback(
        Output(ids.TABLES_SAFETY_SUBJECTS, "children", allow_duplicate=True),
        Input(ids.TABLES_SAFETY, "cellClicked"),
        State(ids.TABLES_SAFETY, "columnDefs"),
        State(ids.URL, "search"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(show_safety_subjects)
    app.callback(
        Output({"type": ids.TABLE_CSV_DOWNLOAD, "table": MATCH}, "data"),
        Input({"type": ids.TABLE_CSV_BUTTON, "table": MATCH}, "n_clicks"),
        State({"type": ids.TABLE_CSV_BUTTON, "table": MATCH}, "id"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(download_table_csv)
