"""Data-quality panel: every warning found while loading, and the rules the analyses follow."""
from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
from dash import html

from trial.model import Finding, Trial

ANALYSIS_RULES = [
    "An event recorded after a patient's death is not counted in time-to-event analyses; "
    "counts are shown as recorded and as analysed.",
    "Tests against baseline use the patients who have both values; the n of each visit is shown.",
    "Response (MCR, PCR) and relapse are taken as recorded events; their definitions are the "
    "protocol's and are not re-derived from the measurements.",
]


def _where(f: Finding) -> str:
    return " · ".join(f.location(with_patient=True))


def finding_item(f: Finding) -> dbc.ListGroupItem:
    # Text from the data is passed as plain strings: Dash renders them as text, never HTML.
    return dbc.ListGroupItem([
        dbc.Badge(f.level, color="warning" if f.level == "warning" else "danger",
                  className="me-2"),
        html.Span(_where(f), className="finding-where"),
        html.Div(f.message, className="finding-message"),
    ])


def layout(trial: Trial) -> html.Div:
    warnings = trial.warnings
    body = (dbc.ListGroup([finding_item(f) for f in warnings]) if warnings
            else dbc.Alert("No data-quality warnings.", color="success"))
    return html.Div([
        html.H5(f"Data-quality warnings ({len(warnings)})"),
        # The folder's name, not its path: server paths are not shown to users.
        html.P(f"Source: {Path(trial.source).name} · fingerprint {trial.fingerprint}",
               className="text-muted"),
        body,
        html.H5("Rules the analyses follow", className="mt-4"),
        html.Ul([html.Li(r) for r in ANALYSIS_RULES]),
    ])
