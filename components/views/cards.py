"""Headline cards for the selected patients: patients, alive at 12 months, MCR, PCR and relapses
when the data record responses; otherwise (e.g. ADaM) subjects, sites, arms, deaths and adverse
events."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Dash, Output, html

from trial.filters import listed_patients
from trial.model import Trial
from trial.stats import headline_counts

from .. import ids
from ..context import current_trial
from ..state.filters import COHORT_INPUTS, current_cohort_filter, people

TWELVE_MONTHS_DAYS = 365


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} %" if n else "–"


MAX_ARM_CARDS = 4


def card_specs(patients: pd.DataFrame, total: int, trial: Trial | None = None) -> list[dict]:
    """Title, value and detail of each card (pure, for tests and exports). With a `trial` that
    records no responses, the cards that make sense without them (`general_card_specs`)."""
    if trial is not None and not trial.has_response:
        return general_card_specs(trial, patients)
    c = headline_counts(patients, day=TWELVE_MONTHS_DAYS)
    n = c["patients"]
    responders = c["mcr"] + c["pcr"]
    return [
        {"title": "Patients", "value": f"{n:,}", "detail": f"of {total:,} in the trial"},
        {
            "title": "Alive at 12 months",
            "value": f"{c['alive_at_day']:,}",
            "detail": f"{_pct(c['alive_at_day'], n)} · {c['deaths']:,} deaths recorded",
        },
        {"title": "MCR", "value": f"{c['mcr']:,}", "detail": f"{_pct(c['mcr'], n)} major response"},
        {
            "title": "PCR",
            "value": f"{c['pcr']:,}",
            "detail": f"{_pct(c['pcr'], n)} partial response",
        },
        {
            "title": "Relapses",
            "value": f"{c['relapses']:,}",
            "detail": f"among {responders:,} responders ({_pct(c['relapses'], responders)}), "
            "as recorded",
        },
    ]


def general_card_specs(trial: Trial, patients: pd.DataFrame) -> list[dict]:
    """Subjects, sites, one card per arm (or the number of arms), deaths and adverse events."""
    n, total = len(patients), len(trial.patients)
    word = people(trial)
    site = trial.study.center_label.lower()
    cards = [
        {"title": word.capitalize(), "value": f"{n:,}", "detail": f"of {total:,} in the study"},
        {
            "title": f"{trial.study.center_label}s",
            "value": f"{patients['center'].nunique():,}",
            "detail": f"of {trial.patients['center'].nunique():,} {site}s",
        },
    ]
    if "arm" in patients:
        arms = sorted(map(str, trial.patients["arm"].dropna().unique()))
        counts = patients["arm"].astype(str).value_counts()
        if len(arms) <= MAX_ARM_CARDS:
            cards += [
                {
                    "title": arm,
                    "value": f"{int(counts.get(arm, 0)):,}",
                    "detail": f"{_pct(int(counts.get(arm, 0)), n)} of selected",
                }
                for arm in arms
            ]
        else:
            cards.append(
                {
                    "title": "Arms",
                    "value": f"{int((counts > 0).sum()):,}",
                    "detail": f"of {len(arms):,} arms",
                }
            )
    deaths = int(patients["death"].sum())
    cards.append(
        {"title": "Deaths", "value": f"{deaths:,}", "detail": f"{_pct(deaths, n)}, as recorded"}
    )
    ev = trial.events
    ae = ev.loc[(ev["event"] == "adverse_event") & ev["patient_id"].isin(patients["patient_id"])]
    if (trial.events["event"] == "adverse_event").any():
        k = ae["patient_id"].nunique()
        cards.append(
            {
                "title": "With adverse events",
                "value": f"{k:,}",
                "detail": f"{_pct(k, n)} · {len(ae):,} events",
            }
        )
    return cards


def layout() -> html.Div:
    return html.Div(id=ids.CARDS, className="headline-cards")


def update_cards(*filter_values):
    trial = current_trial()
    patients = listed_patients(trial, current_cohort_filter(*filter_values))
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(s["title"], className="card-title-small"),
                            html.Div(s["value"], className="card-value"),
                            html.Div(s["detail"], className="card-detail"),
                        ]
                    )
                ),
                xs=6,
                md=True,
            )
            for s in card_specs(patients, len(trial.patients), trial)
        ],
        className="g-2",
    )


def register(app: Dash) -> None:
    app.callback(Output(ids.CARDS, "children"), *COHORT_INPUTS)(update_cards)
