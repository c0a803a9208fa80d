"""Headline cards: patients, alive at 12 months, MCR, PCR and relapses, for the selected patients."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Output, callback, html

from trial.filters import select_patients
from trial.stats import headline_counts

from . import ids
from .context import current_trial
from .filters import FILTER_INPUTS, current_filter

TWELVE_MONTHS_DAYS = 365


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} %" if n else "–"


def card_specs(patients: pd.DataFrame, total: int) -> list[dict]:
    """Title, value and detail of each card (pure, for tests and exports)."""
    c = headline_counts(patients, day=TWELVE_MONTHS_DAYS)
    n = c["patients"]
    responders = c["mcr"] + c["pcr"]
    return [
        {"title": "Patients", "value": f"{n}", "detail": f"of {total} in the trial"},
        {"title": "Alive at 12 months", "value": f"{c['alive_at_day']}",
         "detail": f"{_pct(c['alive_at_day'], n)} · {c['deaths']} deaths recorded"},
        {"title": "MCR", "value": f"{c['mcr']}", "detail": f"{_pct(c['mcr'], n)} major response"},
        {"title": "PCR", "value": f"{c['pcr']}", "detail": f"{_pct(c['pcr'], n)} partial response"},
        {"title": "Relapses", "value": f"{c['relapses']}",
         "detail": f"among {responders} responders ({_pct(c['relapses'], responders)}), as recorded"},
    ]


def layout() -> html.Div:
    return html.Div(id=ids.CARDS, className="headline-cards")


@callback(Output(ids.CARDS, "children"), *FILTER_INPUTS)
def update_cards(*filter_values):
    trial = current_trial()
    patients = select_patients(trial.patients, current_filter(*filter_values))
    return dbc.Row([
        dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(s["title"], className="card-title-small"),
            html.Div(s["value"], className="card-value"),
            html.Div(s["detail"], className="card-detail"),
        ])), xs=6, md=True) for s in card_specs(patients, len(trial.patients))
    ], className="g-2")
