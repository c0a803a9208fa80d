"""Survival view: overall survival and relapse after response (or the study's own
time-to-event endpoints), by group, following every filter; the risk table under the plot,
estimates, log-rank, hazard ratios against a reference group (stratified, adjusted) with the
proportional-hazards check, Gray's test for the cumulative incidence, the guarantee-time
warning and landmark option for groupings known only later, the paper's relapse counts beside
the estimate (this trial only) and the "as recorded" vs "as analysed" reconciliation.

The callbacks take the view's controls, then the filters, then the effect controls
(`EFFECT_IDS`: reference, strata, covariates, landmark), which may be left out (defaults)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

import security
from trial import survival as sv
from trial.analysis.cohort import (
    NO_GROUP,
    Cohort,
    group_label,
    level_order,
    line_column,
    survival_group_options,
)
from trial.analysis.effects import (
    LANDMARK_CHOICES,
    covariate_options,
    known_column,
    not_reached_label,
)
from trial.analysis.survival import (
    analyse_survival,
    default_endpoint,
    default_unit,
    endpoint_choices,
    endpoint_for,
    missing_columns,
    patients_at,
)
from trial.model import Trial

from .. import ids
from ..attrs import attrs
from ..context import current_trial, only_when_visible
from ..export.files import csv_safe
from ..export.toolbar import export_toolbar, method_panel
from ..figures import hazard
from ..figures.survival import (
    ORIGIN_LABELS,
    SurvivalOptions,
    SurvivalView,
    estimate_rows,
    export_frame,
    patient_rows,
    survival_view,
)
from ..figures.text import safe_name
from ..state.filters import FILTER_INPUTS, SELECTION_INPUT, cohort_filter
from ..state.routes import patient_path
from ..state.viewspec import NO_LANDMARK, landmark_months, survival_request
from .controls import control, radio

UNIT_LABELS = {"months": "Months", "days": "Days"}
CONTROL_IDS = [ids.SURV_ENDPOINT, ids.SURV_ORIGIN, ids.SURV_GROUP, ids.SURV_UNIT, ids.SURV_CI]
EFFECT_IDS = [ids.SURV_REFERENCE, ids.SURV_STRATA, ids.SURV_COVARIATES, ids.SURV_LANDMARK]
CONTROL_INPUTS = [Input(i, "value") for i in CONTROL_IDS]
CONTROL_STATES = [State(i, "value") for i in CONTROL_IDS]
EFFECT_INPUTS = [Input(i, "value") for i in EFFECT_IDS]
EFFECT_STATES = [State(i, "value") for i in EFFECT_IDS]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]
SELECTION_STATE = State(SELECTION_INPUT.component_id, SELECTION_INPUT.component_property)
LANDMARK_LABELS = {
    NO_LANDMARK: "None (from the origin)",
    **{str(m): f"{m} months" for m in LANDMARK_CHOICES},
}
RECONCILED = {
    False: ("Patients", "Deaths (overall survival)"),
    True: (
        "Responders (MCR or PCR): relapse risk set",
        "Relapses after response",
        "Deaths among responders",
    ),
}
CLICK_PROMPT = (
    "Click a step, a censor mark (+) or a death mark (×) to open the page of the "
    "patient behind it, or to list the patients when several share it."
)


def split_values(values) -> tuple[tuple, tuple]:
    """(filter values, effect-control values) of a callback's trailing arguments."""
    n = len(FILTER_INPUTS)
    return tuple(values[:n]), tuple(values[n : n + len(EFFECT_IDS)])


def selection_value(values):
    """The linked selection: the value after the filters and the effect controls."""
    n = len(FILTER_INPUTS) + len(EFFECT_IDS)
    return values[n] if len(values) > n else None


def cohort_of(values) -> Cohort:
    """The patients of the analysis: the filters and the linked selection."""
    return Cohort(cohort_filter(split_values(values)[0], selection_value(values)))


def request_of(endpoint, origin, group, unit, values):
    """The request of the controls, the filters, the effect controls and the selection."""
    _, effects = split_values(values)
    cohort = cohort_of(values)
    return survival_request(endpoint, origin, group, unit, cohort, *effects), cohort


def view_of(trial: Trial, endpoint, origin, group, unit, show_ci, values) -> SurvivalView:
    """Controls, filter values and effect controls -> the view of the served trial (pure but
    for the request's filter choices)."""
    request, cohort = request_of(endpoint, origin, group, unit, values)
    result = analyse_survival(trial, request)
    return survival_view(
        trial, result, cohort.patients(trial), cohort.describe(), SurvivalOptions(bool(show_ci))
    )


# --- Parts of the page ---------------------------------------------------------------------------


def summary_children(view: SurvivalView) -> list:
    if view.result.empty:
        return [html.Div("No patients in the analysis.", className="surv-counts fw-semibold")]
    counts, *rest = view.lines
    shown = set(view.tests) | set(view.warnings)
    notes = [x for x in rest if x not in shown]
    tests = [x for x in view.tests if x.startswith(("Log-rank", "Gray"))]
    return [
        html.Div(counts, className="surv-counts fw-semibold"),
        *[html.Div(t, className="surv-test") for t in tests],
        html.Ul([html.Li(n) for n in notes], className="figure-note mb-1"),
    ]


def warnings_children(view: SurvivalView):
    """The guarantee-time warning (or the landmark's exclusions) above the curves."""
    if not view.warnings:
        return None
    bias = any(w.startswith("Warning") for w in view.warnings)
    return dbc.Alert(
        [html.Div(w) for w in view.warnings],
        color="warning" if bias else "info",
        className="surv-warning mb-2",
    )


def effects_panel(view: SurvivalView):
    """Hazard ratios against the reference with the PH check, under the estimates."""
    result = view.result
    rows = hazard.hazard_rows(result)
    if result.empty or not rows:
        return (
            html.Div(
                "Hazard ratios: choose a grouping with two or more groups.",
                className="text-muted small",
            )
            if not result.empty
            else None
        )
    children = [
        html.H6(hazard.ratios_heading(result), className="mt-3 mb-1"),
        html.Div(hazard.hazard_caption(result), className="figure-note mb-1"),
        dbc.Table.from_dataframe(
            pd.DataFrame(rows),
            striped=True,
            bordered=False,
            hover=True,
            size="sm",
            className="surv-hr-table",
        ),
    ]
    ph = hazard.ph_line(result)
    if ph:
        children.append(html.Div(ph, className="surv-test"))
    msgs = hazard.model_messages(result)
    if msgs:
        children.append(html.Ul([html.Li(m) for m in msgs], className="figure-note"))
    return html.Div(children)


def published_panel(view: SurvivalView):
    """The paper's relapse counts beside the estimate, and why they differ (this trial)."""
    lines = hazard.published_lines(view.result)
    if not lines:
        return None
    *visits, why = lines
    return dbc.Alert(
        [
            html.Strong(
                "Relapse as published and as estimated (all responders, whatever the filters)"
            ),
            html.Ul([html.Li(v) for v in visits], className="mb-1"),
            html.Div(why, className="small"),
        ],
        color="light",
        className="surv-published mt-2",
    )


def estimates_table(view: SurvivalView):
    if view.result.empty:
        return html.Div("No estimates: no patients in the analysis.", className="text-muted")
    return dbc.Table.from_dataframe(
        pd.DataFrame(estimate_rows(view.result)),
        striped=True,
        bordered=False,
        hover=True,
        size="sm",
        className="surv-estimates-table",
    )


def reconciliation_panel(trial: Trial, patients: pd.DataFrame, relapse: bool) -> html.Div:
    """Counts as recorded vs as analysed, the patients behind any difference, and the matching
    data-quality warnings."""
    if missing_columns(patients, True):
        return html.Div()
    rec = sv.reconciliation(patients)
    rec = rec.loc[rec["quantity"].isin(RECONCILED[relapse])]
    head = html.Thead(html.Tr([html.Th(h) for h in ("", "As recorded", "As analysed", "Patients")]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(r["quantity"]),
                    html.Td(r["as_recorded"]),
                    html.Td(r["as_analysed"]),
                    html.Td(r["patients"] or "–"),
                ]
            )
            for r in rec.to_dict("records")
        ]
    )
    differing = {pid for r in rec["patients"] for pid in r.split(", ") if pid}
    reasons = [
        html.Li(f"Patient {e['patient_id']}: {e['reason']}.")
        for e in sv.analysis_exclusions(patients).to_dict("records")
        if str(e["patient_id"]) in differing
    ]
    warned = sorted(
        {
            str(f.patient_id)
            for f in trial.warnings
            if f.patient_id is not None and str(f.patient_id) in differing
        }
    )
    children = [
        html.H6("As recorded vs as analysed"),
        dbc.Table([head, body], size="sm", bordered=False, className="mb-1"),
    ]
    if reasons:
        children.append(html.Ul(reasons, className="figure-note"))
    if warned:
        children.append(
            html.Div(
                f"The same conflict is the data-quality warning on patient {', '.join(warned)} "
                "(see the Data quality tab).",
                className="figure-note",
            )
        )
    elif not differing:
        children.append(
            html.Div("No difference: every recorded event is counted.", className="figure-note")
        )
    return html.Div(children, className="surv-reconciliation")


def patient_links(rows: list[dict], query: str = "") -> html.Div:
    """The patients behind a clicked point; each id is plain text inside a link to its page.
    The links keep the dashboard's state (`query`, share.py): a link without it would read as
    a new, default state."""
    if not rows:
        return html.Div("No patient's observation ends at this point.", className="text-muted")
    items = [
        html.Li(
            [
                dcc.Link(
                    f"Patient {r['patient_id']}", href=patient_path(r["patient_id"]) + (query or "")
                ),
                f" · {r['group']} · {r['status']} at {r['time']}",
            ]
        )
        for r in rows
    ]
    return html.Div(
        [
            html.Div(f"{len(rows)} patient(s) at this point:", className="fw-semibold"),
            html.Ul(items, className="mb-0"),
        ]
    )


def origin_options(endpoint: str | None) -> list[dict]:
    """The relapse origin choices, disabled for overall survival (always from day 0)."""
    return [
        {
            "label": ORIGIN_LABELS[k].capitalize(),
            "value": k,
            "disabled": endpoint not in ("cif", "rfs"),
        }
        for k in ORIGIN_LABELS
    ]


def origin_style(trial: Trial, endpoint: str | None) -> dict:
    """The origin control is hidden where it cannot apply: a trial without responses has no
    relapse endpoint at all (ADaM), and an endpoint given as data (ADTTE) has its own origin.
    For overall survival in a trial with relapses it stays, disabled, as a reminder."""
    hidden = not trial.has_response or endpoint_for(trial, endpoint).tte
    return {"display": "none"} if hidden else {}


def reference_options(trial: Trial, group) -> list[dict]:
    """The groups of the chosen grouping, in the trial's order (the HR reference choices)."""
    col = line_column(group)
    return [{"label": g, "value": g} for g in (level_order(trial, col) if col else [])]


def landmark_options(trial: Trial, endpoint, origin, group) -> list[dict]:
    """The landmark choices, enabled only for a grouping known after the origin."""
    later = known_column(trial.patients, line_column(group)) is not None
    from_origin = (
        endpoint_for(trial, endpoint).tte
        or origin != "response"
        or not endpoint_for(trial, endpoint).relapse
    )
    return [
        {
            "label": label,
            "value": value,
            "disabled": value != NO_LANDMARK and not (later and from_origin),
        }
        for value, label in LANDMARK_LABELS.items()
    ]


# --- Layout -------------------------------------------------------------------------------------


def layout(trial: Trial) -> html.Div:
    groups = survival_group_options(trial)
    first = default_endpoint(trial)
    primary = trial.study.primary_group
    controls = dbc.Row(
        [
            control("Endpoint", radio(ids.SURV_ENDPOINT, endpoint_choices(trial), first), 5),
            control(
                "Relapse time origin",
                dbc.RadioItems(
                    id=ids.SURV_ORIGIN,
                    options=origin_options(first),
                    value="day0",
                    inline=True,
                    className="control-radio",
                ),
                4,
                id=ids.SURV_ORIGIN_CONTROL,
                style=origin_style(trial, first),
            ),
            control("Time unit", radio(ids.SURV_UNIT, UNIT_LABELS, default_unit(first)), 3),
            control(
                "Group by",
                dcc.Dropdown(
                    id=ids.SURV_GROUP,
                    options=[{"label": v, "value": k} for k, v in groups.items()],
                    value=primary if primary in groups else NO_GROUP,
                    clearable=False,
                ),
                4,
            ),
            control("Band", dbc.Switch(id=ids.SURV_CI, label="95 % CI", value=True), 3),
        ],
        className="g-2 mb-2 controls",
    )
    group = primary if primary in groups else NO_GROUP
    refs = reference_options(trial, group)
    effects = dbc.Row(
        [
            control(
                "Hazard ratio against",
                dcc.Dropdown(
                    id=ids.SURV_REFERENCE,
                    options=refs,
                    value=refs[0]["value"] if refs else None,
                    clearable=False,
                    placeholder="choose a grouping",
                ),
                4,
            ),
            control(
                "Cox model",
                dbc.Switch(
                    id=ids.SURV_STRATA,
                    label=f"stratified by {trial.study.center_label.lower()}",
                    value=False,
                ),
                3,
            ),
            control(
                "Adjusted for",
                dcc.Dropdown(
                    id=ids.SURV_COVARIATES,
                    multi=True,
                    value=[],
                    placeholder="no covariates",
                    options=[{"label": v, "value": k} for k, v in covariate_options(trial).items()],
                ),
                5,
            ),
            control(
                "Landmark (groups known later)",
                dbc.RadioItems(
                    id=ids.SURV_LANDMARK,
                    value=NO_LANDMARK,
                    inline=True,
                    className="control-radio",
                    options=landmark_options(trial, first, "day0", group),
                ),
                6,
            ),
        ],
        className="g-2 mb-2 controls",
    )
    return html.Div(
        [
            controls,
            effects,
            html.Div(id=ids.SURV_WARNINGS, **attrs({"aria-live": "polite"})),
            dcc.Loading(
                dcc.Graph(
                    id=ids.SURV_GRAPH,
                    config={
                        "displaylogo": False,
                        "toImageButtonOptions": {"scale": 3, "filename": "survival"},
                    },
                ),
                type="dot",
                delay_show=300,
            ),
            html.Div(
                CLICK_PROMPT,
                id=ids.SURV_PATIENTS,
                className="surv-patients",
                **attrs({"aria-live": "polite"}),
            ),
            export_toolbar(ids.VIEW_SURVIVAL),
            method_panel(ids.VIEW_SURVIVAL),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(id=ids.SURV_SUMMARY),
                            html.Div(
                                [
                                    html.H6("Estimates", className="d-inline me-3"),
                                    dbc.Button(
                                        "Download table (CSV)",
                                        id=ids.SURV_DOWNLOAD_BUTTON,
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                    ),
                                ],
                                className="mb-2 mt-2",
                            ),
                            html.Div(id=ids.SURV_ESTIMATES),
                            html.Div(id=ids.SURV_PUBLISHED),
                            html.Div(id=ids.SURV_EFFECTS),
                            dcc.Download(id=ids.SURV_DOWNLOAD),
                        ],
                        lg=7,
                    ),
                    dbc.Col(html.Div(id=ids.SURV_RECONCILIATION), lg=5),
                ],
                className="mt-2",
            ),
        ]
    )


# --- Callbacks ----------------------------------------------------------------------------------


@only_when_visible(ids.TAB_SURVIVAL)
def update_survival(endpoint, origin, group, unit, show_ci, *values):
    """`values`: the filters, then (optionally) the effect controls."""
    trial = current_trial()
    view = view_of(trial, endpoint, origin, group, unit, show_ci, values)
    ep = view.result.endpoint
    # Endpoints given as such by the data (ADTTE) have no recorded-vs-analysed difference.
    patients = cohort_of(values).patients(trial)
    recon = html.Div() if ep.tte else reconciliation_panel(trial, patients, ep.relapse)
    return (
        view.figure,
        None,
        summary_children(view),
        estimates_table(view),
        recon,
        origin_options(endpoint),
        origin_style(trial, endpoint),
        warnings_children(view),
        effects_panel(view),
        published_panel(view),
    )


def update_effect_controls(endpoint, origin, group, landmark, reference, shown=None):
    """The reference choices follow the grouping (the chosen one kept if offered; with a
    landmark, "not by the landmark" first, and chosen when it is newly offered: `shown` are
    the choices offered so far); the landmark is offered only for a grouping known after the
    origin. Nothing is computed."""
    trial = current_trial()
    lm_options = landmark_options(trial, endpoint, origin, group)
    months = landmark_months(landmark)
    usable = any(o["value"] == landmark and not o["disabled"] for o in lm_options)
    options = reference_options(trial, group)
    if months and usable:
        label = not_reached_label(group, group_label(trial, group), months)
        options = [{"label": label, "value": label}] + options
    values = [o["value"] for o in options]
    value = reference if reference in values else (values[0] if values else None)
    before = {o.get("value") for o in shown or ()}
    if months and usable and values[0] not in before:
        value = values[0]
    return options, value, lm_options


def show_clicked_patients(click, query, endpoint, origin, group, unit, _show_ci, *values):
    """A mark of one patient opens that patient's page (as in the other views); a mark shared
    by several patients lists them. Only the endpoint's rows are looked up: no curve is
    fitted. Opening a page resets clickData, so that a click on the same mark after coming
    back opens it again (Dash fires only on changed values)."""
    unchanged = (CLICK_PROMPT, no_update, no_update)
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    if not custom:
        return unchanged
    trial = current_trial()
    request, _ = request_of(endpoint, origin, group, unit, values)
    label = str(custom[1])
    found = patients_at(trial, request, float(custom[0]), label)
    rows = patient_rows(found, label, request.unit, bool(endpoint_for(trial, endpoint).tte))
    if len(rows) == 1:
        return CLICK_PROMPT, patient_path(rows[0]["patient_id"]), None
    return patient_links(rows, query), no_update, no_update


def download_table(_clicks, endpoint, origin, group, unit, show_ci, *values):
    trial = current_trial()
    view = view_of(trial, endpoint, origin, group, unit, show_ci, values)
    security.audit("export", fingerprint=trial.fingerprint, view=ids.VIEW_SURVIVAL, format="csv")
    name = f"{safe_name(endpoint or 'os')}_risk_table_and_estimates.csv"
    return dcc.send_data_frame(csv_safe(export_frame(view.result)).to_csv, name, index=False)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.SURV_GRAPH, "figure"),
        Output(ids.SURV_GRAPH, "clickData"),
        Output(ids.SURV_SUMMARY, "children"),
        Output(ids.SURV_ESTIMATES, "children"),
        Output(ids.SURV_RECONCILIATION, "children"),
        Output(ids.SURV_ORIGIN, "options"),
        Output(ids.SURV_ORIGIN_CONTROL, "style"),
        Output(ids.SURV_WARNINGS, "children"),
        Output(ids.SURV_EFFECTS, "children"),
        Output(ids.SURV_PUBLISHED, "children"),
        Input(ids.VISIBLE_TAB, "data"),
        *CONTROL_INPUTS,
        *FILTER_INPUTS,
        *EFFECT_INPUTS,
        SELECTION_INPUT,
    )(update_survival)
    app.callback(
        Output(ids.SURV_REFERENCE, "options"),
        Output(ids.SURV_REFERENCE, "value"),
        Output(ids.SURV_LANDMARK, "options"),
        Input(ids.SURV_ENDPOINT, "value"),
        Input(ids.SURV_ORIGIN, "value"),
        Input(ids.SURV_GROUP, "value"),
        Input(ids.SURV_LANDMARK, "value"),
        State(ids.SURV_REFERENCE, "value"),
        State(ids.SURV_REFERENCE, "options"),
    )(update_effect_controls)
    app.callback(
        Output(ids.SURV_PATIENTS, "children"),
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.SURV_GRAPH, "clickData", allow_duplicate=True),
        Input(ids.SURV_GRAPH, "clickData"),
        State(ids.URL, "search"),
        *CONTROL_STATES,
        *FILTER_STATES,
        *EFFECT_STATES,
        SELECTION_STATE,
        prevent_initial_call=True,
    )(show_clicked_patients)
    app.callback(
        Output(ids.SURV_DOWNLOAD, "data"),
        Input(ids.SURV_DOWNLOAD_BUTTON, "n_clicks"),
        *CONTROL_STATES,
        *FILTER_STATES,
        *EFFECT_STATES,
        SELECTION_STATE,
        prevent_initial_call=True,
    )(download_table)
