"""Survival & relapse view: overall survival and relapse after response, by group, following
every filter; the risk table under the plot, estimates, log-rank and the "as recorded" vs
"as analysed" reconciliation."""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from trial import survival as sv
from trial.filters import select_patients
from trial.model import Trial

from . import ids
from .context import current_trial, only_when_visible
from .export_toolbar import export_toolbar, method_panel
from .filters import FILTER_INPUTS, current_filter
from .pages import patient_path
from .survival_figure import (DESCRIPTIVE_NOTE, ENDPOINT_LABELS, ENDPOINTS, GROUP, MIN_N,
                              TTE_PREFIX, Endpoint, tte_endpoint,
                              ORIGIN_LABELS, p_text, SurvivalOptions, SurvivalResult, analyse,
                              endpoint_frame, estimate_rows, export_frame, figure_subtitle,
                              figure_title, patients_behind, survival_figure)
from .theme import group_colors
from .trajectories import (BOTH, NO_GROUP, _control, _radio, group_labels, group_options,
                           level_order)
from .trajectory_figure import empty_figure

# Outcomes are not groups: grouping a time-to-event analysis by its own outcome is circular.
OUTCOME_COLUMNS = {"relapse", "death"}
UNIT_LABELS = {"months": "Months", "days": "Days"}
CONTROL_IDS = [ids.SURV_ENDPOINT, ids.SURV_ORIGIN, ids.SURV_GROUP, ids.SURV_UNIT, ids.SURV_CI]
CONTROL_INPUTS = [Input(i, "value") for i in CONTROL_IDS]
CONTROL_STATES = [State(i, "value") for i in CONTROL_IDS]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]
RECONCILED = {False: ("Patients", "Deaths (overall survival)"),
              True: ("Responders (MCR or PCR): relapse risk set", "Relapses after response",
                     "Deaths among responders")}


# Patient columns each kind of endpoint is built from (trial.survival).
REQUIRED = {False: ("death", "death_day", "followup_end_day"),
            True: ("response", "response_day", "relapse", "relapse_day", "death", "death_day",
                   "followup_end_day")}


def missing_columns(patients: pd.DataFrame, relapse: bool) -> list[str]:
    return [c for c in REQUIRED[relapse] if c not in patients.columns]


def survival_group_options(trial: Trial) -> dict[str, str]:
    """The trajectories' grouping choices, without the two-way one and the outcomes."""
    return {k: v for k, v in group_options(trial).items()
            if k != BOTH and not k.startswith("center+") and k not in OUTCOME_COLUMNS}


def endpoint_choices(trial: Trial) -> dict[str, str]:
    """Endpoint key -> label: the derived endpoints the data support (relapse ones only with
    responses), then the endpoints given as data (ADaM ADTTE), keyed "tte:<PARAMCD>"."""
    out = {k: v for k, v in ENDPOINT_LABELS.items()
           if not ENDPOINTS[k].relapse or trial.has_response}
    out.update({f"{TTE_PREFIX}{code}": label for code, label in trial.tte_endpoints})
    return out


def default_endpoint(trial: Trial) -> str:
    """The first endpoint given as data, if any (ADaM), else overall survival."""
    return next((k for k in endpoint_choices(trial) if k.startswith(TTE_PREFIX)), "os")


def endpoint_for(trial: Trial, key: str | None) -> Endpoint:
    if key and key.startswith(TTE_PREFIX):
        code = key[len(TTE_PREFIX):]
        label = dict(trial.tte_endpoints).get(code, code)
        return tte_endpoint(code, label)
    return ENDPOINTS[key or "os"]


@dataclass(frozen=True)
class SurvivalView:
    """What the tab shows for one state of the controls and filters."""

    figure: go.Figure
    result: SurvivalResult | None
    patients: pd.DataFrame   # the selected patients
    denominator: str


# --- Pure assembly ------------------------------------------------------------------------------

def grouped_frame(trial: Trial, frame: pd.DataFrame, group: str) -> tuple[pd.DataFrame, dict]:
    """The endpoint frame with an ordered GROUP column, and the group colours. Order and colours
    come from the whole trial, so a group keeps its colour whatever the filters."""
    col = None if group in (None, NO_GROUP) else group
    if col is None:
        return frame.assign(**{GROUP: pd.Categorical([sv.ALL] * len(frame), [sv.ALL])}), \
            group_colors([sv.ALL], None)
    order = level_order(trial, col, group_labels(trial.patients, col))
    labels = group_labels(frame, col)
    order += sorted(set(labels) - set(order))
    return frame.assign(**{GROUP: pd.Categorical(labels, order)}), group_colors(order, col)


def denominator(patients: pd.DataFrame, relapse: bool) -> str:
    """E.g. "40 patients" or "23 responders as analysed (24 as recorded)"."""
    if not relapse:
        return f"{len(patients)} patients"
    flags = sv.analysis_flags(patients)
    an, rec = int(flags["responder_analysed"].sum()), int(flags["responder_recorded"].sum())
    same = "as recorded and analysed" if an == rec else f"as analysed ({rec} as recorded)"
    return f"{an} responders {same}"


def survival_view(trial: Trial, patients: pd.DataFrame, group: str, options: SurvivalOptions,
                  selection: str = "all patients") -> SurvivalView:
    """Figure and results of the selected patients (pure: no Dash, no request)."""
    endpoint = endpoint_for(trial, options.endpoint)
    missing = missing_columns(patients, endpoint.relapse)
    if missing:
        return SurvivalView(empty_figure(endpoint.title, "The data do not record "
                                         + ", ".join(missing) + "."), None, patients, "")
    denom = denominator(patients, endpoint.relapse)
    title = f"{endpoint.title} · {denom}"
    if patients.empty:
        return SurvivalView(empty_figure(title, "No patients match the filters."), None,
                            patients, denom)
    frame = endpoint_frame(patients, endpoint, options.origin, trial.tte)
    if frame.empty:
        why = "No responders" if endpoint.relapse else "No records of this endpoint"
        return SurvivalView(empty_figure(title, f"{why} among the selected patients."),
                            None, patients, denom)
    frame, colors = grouped_frame(trial, frame, group)
    result = analyse(frame, endpoint, options, colors)
    group_label = None if group == NO_GROUP else survival_group_options(trial).get(group, group)
    fig = survival_figure(result, figure_title(result, denom),
                          figure_subtitle(result, group_label, selection))
    return SurvivalView(fig, result, patients, denom)


def counts_line(view: SurvivalView) -> str:
    """The headline counts of the endpoint for the selected patients."""
    p = view.patients
    if view.result is None:
        return "No patients in the analysis."
    if view.result.endpoint.tte:
        f = view.result.frame
        return (f"{int(f['event'].sum())} events and {int((f['event'] == 0).sum())} censored "
                f"among {len(f)} of {len(p)} selected patients with a record of this endpoint.")
    if not view.result.endpoint.relapse:
        twelve = sv.months_to_days(12)
        died = p["death"].astype(bool)
        by12 = int((died & (p["death_day"].astype(float) <= twelve)).sum())
        later = int(died.sum()) - by12
        tail = f", {later} later" if later else ""
        return (f"{len(p) - by12} of {len(p)} alive at 12 months "
                f"({by12} deaths by month 12{tail}).")
    flags = sv.analysis_flags(p)
    f = view.result.frame
    return (f"{int(flags['relapse_analysed'].sum())} relapses among "
            f"{int(flags['responder_analysed'].sum())} responders as analysed "
            f"({int(flags['relapse_recorded'].sum())} relapses among "
            f"{int(flags['responder_recorded'].sum())} responders as recorded) · "
            f"{int((f['status'] == sv.DEATH).sum())} deaths before relapse (competing).")


def test_line(result: SurvivalResult) -> str | None:
    """Log-rank chi-square, df and p across the groups, or None with a single group."""
    test = result.test
    if not test:
        return None
    what = (" on the cause-specific hazard of relapse (deaths censored)"
            if result.endpoint.cif else "")
    if not result.summary["events"].sum():
        return f"Log-rank test{what}: not computable, no events in the groups."
    ptxt = p_text(test["p"])
    return (f"Log-rank test{what} across {len(test['groups'])} groups: "
            f"χ² = {test['chi2']:.2f}, df = {test['df']}, {ptxt}.")


def notes(result: SurvivalResult, group: str) -> list[str]:
    """Caveats the reader needs for this state of the controls."""
    out = []
    if result.test and group != "arm":  # "arm": the randomised arms of an ADaM study (ADSL)
        out.append(DESCRIPTIVE_NOTE)
    if group == "response" and not result.endpoint.relapse:
        out.append("Responder groups are defined by a response observed after day 0: survival "
                   "by responder group is subject to immortal-time (guarantee-time) bias.")
    if result.endpoint.relapse and result.options.origin == "day0":
        out.append("Origin day 0: responders are counted from the first infusion, although "
                   "their response is observed later; choose “date of response” for the time "
                   "since response.")
    if not result.summary["estimable"].all():
        out.append(f"Groups with fewer than {MIN_N} patients are listed but not estimated.")
    out.append("Landmark estimates are “–” beyond the follow-up of a group.")
    return out


def summary_children(view: SurvivalView, group: str) -> list:
    children = [html.Div(counts_line(view), className="surv-counts fw-semibold")]
    if view.result is not None:
        line = test_line(view.result)
        if line:
            children.append(html.Div(line, className="surv-test"))
        children.append(html.Ul([html.Li(n) for n in notes(view.result, group)],
                                className="figure-note mb-1"))
    return children


def estimates_table(view: SurvivalView):
    if view.result is None:
        return html.Div("No estimates: no patients in the analysis.", className="text-muted")
    return dbc.Table.from_dataframe(pd.DataFrame(estimate_rows(view.result)), striped=True,
                                    bordered=False, hover=True, size="sm",
                                    className="surv-estimates-table")


def reconciliation_panel(trial: Trial, patients: pd.DataFrame, relapse: bool) -> html.Div:
    """Counts as recorded vs as analysed, the patients behind any difference, and the matching
    data-quality warnings."""
    if missing_columns(patients, True):
        return html.Div()
    rec = sv.reconciliation(patients)
    rec = rec.loc[rec["quantity"].isin(RECONCILED[relapse])]
    head = html.Thead(html.Tr([html.Th(h) for h in
                               ("", "As recorded", "As analysed", "Patients")]))
    body = html.Tbody([html.Tr([html.Td(r["quantity"]), html.Td(r["as_recorded"]),
                                html.Td(r["as_analysed"]), html.Td(r["patients"] or "–")])
                       for r in rec.to_dict("records")])
    differing = {pid for r in rec["patients"] for pid in r.split(", ") if pid}
    reasons = [html.Li(f"Patient {e['patient_id']}: {e['reason']}.") for e in
               sv.analysis_exclusions(patients).to_dict("records")
               if str(e["patient_id"]) in differing]
    warned = sorted({str(f.patient_id) for f in trial.warnings
                     if f.patient_id is not None and str(f.patient_id) in differing})
    children = [html.H6("As recorded vs as analysed"),
                dbc.Table([head, body], size="sm", bordered=False, className="mb-1")]
    if reasons:
        children.append(html.Ul(reasons, className="figure-note"))
    if warned:
        children.append(html.Div(
            f"The same conflict is the data-quality warning on patient {', '.join(warned)} "
            "(see the Data quality tab).", className="figure-note"))
    elif not differing:
        children.append(html.Div("No difference: every recorded event is counted.",
                                 className="figure-note"))
    return html.Div(children, className="surv-reconciliation")


def patient_links(rows: list[dict], query: str = "") -> html.Div:
    """The patients behind a clicked point; each id is plain text inside a link to its page.
    The links keep the dashboard's state (`query`, share.py): a link without it would read as
    a new, default state."""
    if not rows:
        return html.Div("No patient's observation ends at this point.", className="text-muted")
    items = [html.Li([dcc.Link(f"Patient {r['patient_id']}",
                               href=patient_path(r["patient_id"]) + (query or "")),
                      f" · {r['group']} · {r['status']} at {r['time']}"]) for r in rows]
    return html.Div([html.Div(f"{len(rows)} patient(s) at this point:",
                              className="fw-semibold"), html.Ul(items, className="mb-0")])


CLICK_PROMPT = ("Click a step, a censor mark (+) or a death mark (×) to open the page of the "
                "patient behind it, or to list the patients when several share it.")


def origin_options(endpoint: str) -> list[dict]:
    """The relapse origin choices, disabled for overall survival (always from day 0)."""
    return [{"label": ORIGIN_LABELS[k].capitalize(), "value": k,
             "disabled": endpoint not in ("cif", "rfs")} for k in ORIGIN_LABELS]


def origin_style(trial: Trial, endpoint: str | None) -> dict:
    """The origin control is hidden where it cannot apply: a trial without responses has no
    relapse endpoint at all (ADaM), and an endpoint given as data (ADTTE) has its own origin.
    For overall survival in a trial with relapses it stays, disabled, as a reminder."""
    hidden = not trial.has_response or endpoint_for(trial, endpoint).tte
    return {"display": "none"} if hidden else {}


# --- Layout -------------------------------------------------------------------------------------

def layout(trial: Trial) -> html.Div:
    groups = survival_group_options(trial)
    first = default_endpoint(trial)
    primary = trial.study.primary_group
    controls = dbc.Row([
        _control("Endpoint", _radio(ids.SURV_ENDPOINT, endpoint_choices(trial), first), 5),
        _control("Relapse time origin", dbc.RadioItems(
            id=ids.SURV_ORIGIN, options=origin_options(first), value="day0", inline=True,
            className="control-radio"), 4, id=ids.SURV_ORIGIN_CONTROL,
            style=origin_style(trial, first)),
        _control("Time unit", _radio(ids.SURV_UNIT, UNIT_LABELS,
                                     "days" if first.startswith(TTE_PREFIX) else "months"), 3),
        _control("Group by", dcc.Dropdown(
            id=ids.SURV_GROUP, options=[{"label": v, "value": k} for k, v in groups.items()],
            value=primary if primary in groups else NO_GROUP, clearable=False), 4),
        _control("Band", dbc.Switch(id=ids.SURV_CI, label="95 % CI", value=True), 3),
    ], className="g-2 mb-2 controls")
    return html.Div([
        controls,
        dcc.Loading(dcc.Graph(id=ids.SURV_GRAPH, config={
            "displaylogo": False, "toImageButtonOptions": {"scale": 3, "filename": "survival"}}),
            type="dot", delay_show=300),
        html.Div(CLICK_PROMPT, id=ids.SURV_PATIENTS, className="surv-patients",
                 **{"aria-live": "polite"}),
        export_toolbar(ids.VIEW_SURVIVAL),
        method_panel(ids.VIEW_SURVIVAL),
        dbc.Row([
            dbc.Col([html.Div(id=ids.SURV_SUMMARY),
                     html.Div([html.H6("Estimates", className="d-inline me-3"),
                               dbc.Button("Download table (CSV)", id=ids.SURV_DOWNLOAD_BUTTON,
                                          size="sm", color="secondary", outline=True)],
                              className="mb-2 mt-2"),
                     html.Div(id=ids.SURV_ESTIMATES), dcc.Download(id=ids.SURV_DOWNLOAD)],
                    lg=7),
            dbc.Col(html.Div(id=ids.SURV_RECONCILIATION), lg=5),
        ], className="mt-2"),
    ])


# --- Callbacks ----------------------------------------------------------------------------------

def _view(endpoint, origin, group, unit, show_ci, filter_values) -> SurvivalView:
    """Controls and filter values -> the view of the served trial."""
    trial = current_trial()
    flt = current_filter(*filter_values)
    options = SurvivalOptions(endpoint or "os", origin or "day0", unit or "months",
                              bool(show_ci))
    return survival_view(trial, select_patients(trial.patients, flt), group or NO_GROUP,
                         options, flt.describe())


@callback(
    Output(ids.SURV_GRAPH, "figure"), Output(ids.SURV_GRAPH, "clickData"),
    Output(ids.SURV_SUMMARY, "children"), Output(ids.SURV_ESTIMATES, "children"),
    Output(ids.SURV_RECONCILIATION, "children"), Output(ids.SURV_ORIGIN, "options"),
    Output(ids.SURV_ORIGIN_CONTROL, "style"),
    Input(ids.TABS, "active_tab"), *CONTROL_INPUTS, *FILTER_INPUTS,
)
@only_when_visible(ids.TAB_SURVIVAL)
def update_survival(endpoint, origin, group, unit, show_ci, *filter_values):
    trial = current_trial()
    view = _view(endpoint, origin, group, unit, show_ci, filter_values)
    ep = endpoint_for(trial, endpoint)
    # Endpoints given as such by the data (ADTTE) have no recorded-vs-analysed difference.
    recon = html.Div() if ep.tte else reconciliation_panel(trial, view.patients, ep.relapse)
    return (view.figure, None, summary_children(view, group), estimates_table(view), recon,
            origin_options(endpoint), origin_style(trial, endpoint))


@callback(Output(ids.SURV_PATIENTS, "children"),
          Output(ids.URL, "pathname", allow_duplicate=True),
          Output(ids.SURV_GRAPH, "clickData", allow_duplicate=True),
          Input(ids.SURV_GRAPH, "clickData"), State(ids.URL, "search"),
          *CONTROL_STATES, *FILTER_STATES, prevent_initial_call=True)
def show_clicked_patients(click, query, endpoint, origin, group, unit, show_ci, *filter_values):
    """A mark of one patient opens that patient's page (as in the other views); a mark shared
    by several patients lists them. Opening a page resets clickData, so that a click on the
    same mark after coming back opens it again (Dash fires only on changed values)."""
    unchanged = (CLICK_PROMPT, no_update, no_update)
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    if not custom:
        return unchanged
    view = _view(endpoint, origin, group, unit, show_ci, filter_values)
    if view.result is None:
        return unchanged
    rows = patients_behind(view.result, float(custom[0]), str(custom[1]))
    if len(rows) == 1:
        return CLICK_PROMPT, patient_path(rows[0]["patient_id"]), None
    return patient_links(rows, query), no_update, no_update


@callback(Output(ids.SURV_DOWNLOAD, "data"), Input(ids.SURV_DOWNLOAD_BUTTON, "n_clicks"),
          *CONTROL_STATES, *FILTER_STATES, prevent_initial_call=True)
def download_table(_clicks, endpoint, origin, group, unit, show_ci, *filter_values):
    from .export import csv_safe   # export imports this module's builders
    import security
    view = _view(endpoint, origin, group, unit, show_ci, filter_values)
    frame = export_frame(view.result) if view.result is not None else pd.DataFrame()
    security.audit("export", fingerprint=getattr(current_trial(), "fingerprint", ""),
                   view=ids.VIEW_SURVIVAL, format="csv")
    return dcc.send_data_frame(csv_safe(frame).to_csv, f"{(endpoint or 'os').replace(':', '_')}_risk_table_and_estimates.csv",
                               index=False)
