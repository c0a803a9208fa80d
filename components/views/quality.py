"""Data-quality panel: every warning found while loading, the study definition the analyses
follow (populations, arms, visit axes, endpoints kept and dropped) and the rules they apply."""

from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
from dash import html

from trial.model import Finding, Trial

ANALYSIS_RULES = [
    "An event recorded after a patient's death is not counted in time-to-event analyses; "
    "counts are shown as recorded and as analysed.",
    "Tests against baseline use the patients who have both values; the n of each visit is shown.",
]
RESPONSE_RULE = (
    "Response (MCR, PCR) and relapse are taken as recorded events; their "
    "definitions are the protocol's and are not re-derived from the measurements."
)
ARM_RULES = [
    "Change from baseline is tested within each arm (never pooled across arms). With two or "
    "more arms, the arms are compared at each visit by an ANCOVA of the change from baseline "
    "with baseline as covariate (least-squares means at the mean baseline; F test of arm).",
    "Visits before baseline (screening, run-in) are neither plotted nor tested; unscheduled "
    "and summary visits (End of Treatment) are not plotted; each is counted above.",
]


def analysis_rules(trial: Trial) -> list[str]:
    """The rules that apply to these data, in words."""
    out = list(ANALYSIS_RULES)
    if trial.has_response or trial.has_relapse:
        out.append(RESPONSE_RULE)
    if trial.study.design.arms or trial.study.design.visit_axes:
        out += ARM_RULES
    if not trial.adverse_events.empty:
        out.append(
            "Safety tables count treatment-emergent adverse events (TRTEMFL = Y), "
            "subjects with at least one event over the arm's subjects in the safety "
            "population, each subject once per row at its worst severity."
        )
    return out


def _where(f: Finding) -> str:
    return " · ".join(f.location(with_patient=True))


def finding_item(f: Finding) -> dbc.ListGroupItem:
    # Text from the data is passed as plain strings: Dash renders them as text, never HTML.
    return dbc.ListGroupItem(
        [
            dbc.Badge(
                f.level, color="warning" if f.level == "warning" else "danger", className="me-2"
            ),
            html.Span(_where(f), className="finding-where"),
            html.Div(f.message, className="finding-message"),
        ]
    )


def study_definition(trial: Trial) -> list:
    """The choices the analyses follow, as `python -m trial check` lists them."""
    choices = trial.study.design.choices()
    if not choices:
        return []
    return [
        html.H5("Study definition", className="mt-4"),
        html.P(
            "What every view uses unless the sidebar's analysis set says otherwise "
            "(set the defaults in adam.json).",
            className="text-muted",
        ),
        html.Ul([html.Li(c) for c in choices], id="study-definition"),
    ]


def layout(trial: Trial) -> html.Div:
    warnings = trial.warnings
    body = (
        dbc.ListGroup([finding_item(f) for f in warnings])
        if warnings
        else dbc.Alert("No data-quality warnings.", color="success")
    )
    return html.Div(
        [
            html.H5(f"Data-quality warnings ({len(warnings)})"),
            # The folder's name, not its path: server paths are not shown to users.
            html.P(
                f"Source: {Path(trial.source).name} · fingerprint {trial.fingerprint}",
                className="text-muted",
            ),
            body,
            *study_definition(trial),
            html.H5("Rules the analyses follow", className="mt-4"),
            html.Ul([html.Li(r) for r in analysis_rules(trial)]),
        ]
    )
