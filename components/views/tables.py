"""Tables view: baseline characteristics (Table 1 style), response rates with exact 95 % CIs and
the adverse events (Table 2 style) of the selected patients, each downloadable as CSV."""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

import security
from trial import tables as tt
from trial.filters import select_patients
from trial.model import Trial

from .. import ids
from ..context import current_trial
from ..export.build import TABLE_BUILDERS, TABLE_CSV, TABLE_TITLES
from ..export.files import csv_safe, export_filename
from ..export.toolbar import TABLE_FORMATS, export_toolbar, method_panel
from ..state.filters import FILTER_INPUTS, current_filter

TABLE_IDS = {ids.TABLE_BASELINE: ids.TABLES_BASELINE, ids.TABLE_RESPONSE: ids.TABLES_RESPONSE,
             ids.TABLE_AE: ids.TABLES_AE, ids.TABLE_AE_COUNTS: ids.TABLES_AE_COUNTS}
TABLE_NOTES = {
    ids.TABLE_BASELINE: "Mean ± SD and median (IQR); n (%) of the patients with a known value. "
                        "[n = k]: values missing for some patients.",
    ids.TABLE_RESPONSE: f"k/n (%; 95 % CI, {tt.CI_METHOD}). Best response as recorded; "
                        "denominator: all selected patients of the group.",
    ids.TABLE_AE: "Every adverse event and death recorded, as reported.",
    ids.TABLE_AE_COUNTS: "Patients with the event, % of the selected patients.",
}
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]


MAX_TABLE_ROWS = 200


def frame_table(df: pd.DataFrame, empty: str = "No rows for the selected patients.",
                max_rows: int = MAX_TABLE_ROWS):
    """A DataFrame as a Bootstrap table; cells are plain text (never HTML). Long listings show
    their first rows and say so (the CSV download has them all)."""
    if df.empty:
        return html.Div(empty, className="text-muted small")
    table = dbc.Table.from_dataframe(df.head(max_rows), striped=True, bordered=False, hover=True,
                                     size="sm", className="paper-table")
    if len(df) <= max_rows:
        return table
    return html.Div([table, html.Div(f"First {max_rows} of {len(df):,} rows shown; the CSV "
                                     "download has all of them.", className="figure-note")])


def _section(key: str) -> html.Div:
    return html.Div([
        html.Div([
            html.H6(TABLE_TITLES[key], className="d-inline me-3"),
            dbc.Button("Download CSV", id={"type": ids.TABLE_CSV_BUTTON, "table": key},
                       size="sm", color="secondary", outline=True),
            dcc.Download(id={"type": ids.TABLE_CSV_DOWNLOAD, "table": key}),
        ], className="mb-1 mt-3"),
        html.Div(id=TABLE_IDS[key], className="table-responsive"),
        html.Div(TABLE_NOTES[key], className="figure-note"),
    ], className="paper-table-section")


def layout(trial: Trial) -> html.Div:
    return html.Div([
        html.Div([html.Div(id=ids.TABLES_NOTE, className="tables-note"),
                  export_toolbar(ids.VIEW_TABLES, TABLE_FORMATS)],
                 className="d-flex justify-content-between align-items-center flex-wrap gap-2"),
        *[_section(k) for k in TABLE_BUILDERS],
        method_panel(ids.VIEW_TABLES),
    ])


def tables_view(trial: Trial, patients: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The display tables of the selected patients (pure)."""
    return {k: build(trial, patients) for k, build in TABLE_BUILDERS.items()}


def update_tables(active_tab, *filter_values):
    # Computed when the tab is shown, not on every filter change while it is hidden.
    if active_tab != ids.TAB_TABLES:
        raise PreventUpdate
    trial = current_trial()
    flt = current_filter(*filter_values)
    patients = select_patients(trial.patients, flt)
    tables = tables_view(trial, patients)
    note = f"{len(patients)} of {len(trial.patients)} patients · {flt.describe()}"
    return (*[frame_table(t) for t in tables.values()], note)


def download_table_csv(_clicks, button_id, *filter_values):
    key = button_id["table"]
    if key not in TABLE_CSV:
        raise ValueError("unknown table")
    trial = current_trial()
    patients = select_patients(trial.patients, current_filter(*filter_values))
    frame = TABLE_CSV[key](trial, patients)
    security.audit("export", fingerprint=getattr(trial, "fingerprint", ""), view=key,
                   format="csv")
    return dict(content=csv_safe(frame).to_csv(index=False), filename=export_filename(
        key, "csv", date.today()), type="text/csv")


def register(app: Dash) -> None:
    app.callback(*[Output(TABLE_IDS[k], "children") for k in TABLE_BUILDERS],
              Output(ids.TABLES_NOTE, "children"), Input(ids.TABS, "active_tab"), *FILTER_INPUTS)(update_tables)
    app.callback(Output({"type": ids.TABLE_CSV_DOWNLOAD, "table": MATCH}, "data"),
              Input({"type": ids.TABLE_CSV_BUTTON, "table": MATCH}, "n_clicks"),
              State({"type": ids.TABLE_CSV_BUTTON, "table": MATCH}, "id"),
              *FILTER_STATES, prevent_initial_call=True)(download_table_csv)
