"""Pure builders of the survival view: endpoint frames and options in, figure and rows out.

Every frame keeps times in days (trial.survival's convention); only the axis, the labels and the
exported table use the chosen unit. The risk table under the plot is computed at exactly the
x-axis tick positions, so each column of numbers sits under its tick (KMunicate layout).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trial import survival as sv

from .theme import base_layout
from .trajectory_figure import plot_text

GROUP = "_group"  # column of the endpoint frame holding the (ordered, categorical) group label
MIN_N = 2  # smallest group that gets a curve; smaller groups are listed as not estimable
LANDMARK_MONTHS = (6, 12)
CI_LABEL = "95 % pointwise CI, log-log"
ORIGIN_LABELS = {"day0": "day 0 (first infusion)", "response": "date of response"}
# Endpoints given as data (ADaM ADTTE, `Trial.tte`) count from their own start (STARTDT).
TTE_ORIGIN, TTE_ORIGIN_LABEL, TTE_ORIGIN_AXIS = "start", "the endpoint's start", "since start"
TTE_PREFIX = "tte:"
ORIGIN_SHORT = {"day0": "day 0", "response": "date of response"}
ORIGIN_AXIS = {"day0": "since first infusion", "response": "since response"}
STATUS_LABELS = {sv.CENSORED: "censored", sv.RELAPSE: "relapse", sv.DEATH: "death"}
DESCRIPTIVE_NOTE = ("Comparisons within a single-arm study are descriptive: groups are not "
                    "randomised, so differences are not treatment effects.")
# Table geometry (pixels) under the plot.
PLOT_PX, GAP_PX, ROW_PX, MARGIN_L, LEGEND_PX = 430, 78, 20, 150, 22


@dataclass(frozen=True)
class Endpoint:
    """One time-to-event endpoint and how to read it."""

    key: str
    title: str
    y_title: str
    estimator: str
    event_col: str            # 1 = event (KM) or event of interest (CIF) in the endpoint frame
    event_word: str           # plural, for counts: "deaths", "relapses"
    risk_rows: tuple          # (column of the risk frame, row label) under the plot
    cif: bool = False
    relapse: bool = True
    tte: str = ""             # the endpoint code in `Trial.tte` (ADaM ADTTE PARAMCD), if any

    @property
    def population(self) -> str:
        return "responders" if self.relapse else "patients"


_RISK = (("at_risk", "At risk"),)
ENDPOINTS = {
    "os": Endpoint("os", "Overall survival", "Overall survival", "Kaplan-Meier", "event",
                   "deaths", _RISK + (("events", "Deaths"), ("censored", "Censored")),
                   relapse=False),
    "cif": Endpoint("cif", "Relapse after response, cumulative incidence",
                    "Cumulative incidence of relapse",
                    "Aalen-Johansen, death before relapse as competing risk", "relapse_event",
                    "relapses", _RISK + (("events", "Relapses"), ("competing", "Deaths"),
                                         ("censored", "Censored")), cif=True),
    "rfs": Endpoint("rfs", "Relapse-free survival", "Relapse-free survival",
                    "Kaplan-Meier, relapse or death as event", "rfs_event",
                    "relapses or deaths",
                    _RISK + (("events", "Relapses or deaths"), ("censored", "Censored"))),
}
ENDPOINT_LABELS = {"os": "Overall survival",
                   "cif": "Relapse: cumulative incidence",
                   "rfs": "Relapse-free survival"}


@dataclass(frozen=True)
class SurvivalOptions:
    endpoint: str = "os"
    origin: str = "day0"
    unit: str = "months"
    show_ci: bool = True


@dataclass(frozen=True)
class SurvivalResult:
    """Everything the view shows for one state of the controls (times in days)."""

    endpoint: Endpoint
    options: SurvivalOptions
    frame: pd.DataFrame      # one row per patient: patient_id, time, status, events, GROUP
    colors: dict
    curves: pd.DataFrame     # estimable groups: group, time, at_risk, events, ..., lower, upper
    ticks: list              # x-axis ticks and risk-table columns, in days
    risk: pd.DataFrame       # group, tick, at_risk, events, [competing], censored
    summary: pd.DataFrame    # per group: n, counts, estimable, median, landmarks (raw numbers)
    test: dict | None        # log-rank chi2, df, p, groups

    @property
    def groups(self) -> list[str]:
        return list(self.summary["group"])


# --- Time and number formatting ------------------------------------------------------------------

def to_unit(days, unit: str):
    """Days -> the display unit (days or months of 30.4375 days)."""
    return sv.days_to_months(days) if unit == "months" else days


def time_label(day: float, unit: str) -> str:
    """E.g. "month 9.6 (day 291)" or "day 291"."""
    if unit == "months":
        return f"month {sv.days_to_months(day):.1f} (day {day:g})"
    return f"day {day:g}"


def tick_text(day: float, unit: str) -> str:
    return f"{to_unit(day, unit):.0f}"


def pct(x, digits: int = 1) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f} %"


def estimate_text(est, lower, upper) -> str:
    """E.g. "92.5 % (78.5–97.5)"; "–" when not estimable (beyond follow-up)."""
    if est is None or not np.isfinite(est):
        return "–"
    lo = "–" if not np.isfinite(lower) else f"{100 * lower:.1f}"
    hi = "–" if not np.isfinite(upper) else f"{100 * upper:.1f}"
    return f"{100 * est:.1f} % ({lo}–{hi})"


def p_text(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "not computable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def axis_ticks(max_day: float, unit: str) -> list[float]:
    """Tick positions in days: whole months (every 1, 3 or 12) or round numbers of days."""
    if unit == "months":
        months = sv.days_to_months(max_day)
        return sv.month_ticks(max_day, 1 if months <= 6 else 3 if months <= 36 else 12)
    step = next((s for s in (7, 14, 30, 60, 90, 180, 365, 730) if max_day / s <= 6), 1825)
    return [float(x) for x in np.arange(0, max_day + 1e-9, step)]


# --- Data ---------------------------------------------------------------------------------------

def tte_endpoint(code: str, label: str) -> Endpoint:
    """An endpoint given as data (`Trial.tte`, e.g. ADaM ADTTE): Kaplan-Meier, 1 = event."""
    return Endpoint(f"{TTE_PREFIX}{code}", label, f"Without the event: {label.lower()}"
                    if not label.lower().startswith("time to") else
                    f"Free of {label[8:].lower()}", "Kaplan-Meier", "event", "events",
                    _RISK + (("events", "Events"), ("censored", "Censored")), relapse=False,
                    tte=code)


def endpoint_frame(patients: pd.DataFrame, endpoint: Endpoint, origin: str = "day0",
                   tte: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per patient in the endpoint's population: time (days), status (0 censored,
    1 relapse, 2 death), any_event, and the endpoint's event column; patient columns kept.
    An endpoint given as data (`endpoint.tte`) takes time and event from `tte`; its status is
    the event (1) or censored (0)."""
    if endpoint.tte:
        df = sv.tte_endpoint(patients, tte, endpoint.tte)
        return df.assign(any_event=df["event"], status=df["event"])
    if not endpoint.relapse:
        df = sv.overall_survival(patients)
        return df.assign(any_event=df["event"], status=df["event"] * sv.DEATH)
    df = sv.relapse_endpoint(patients, origin)
    return df.assign(any_event=df["rfs_event"],
                     relapse_event=(df["status"] == sv.RELAPSE).astype(int))


def _present(frame: pd.DataFrame) -> list[str]:
    """Group labels present in the frame, in the categorical order."""
    present = set(frame[GROUP].dropna())
    return [g for g in frame[GROUP].cat.categories if g in present]


def _subset(frame: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    sub = frame.loc[frame[GROUP].isin(groups)]
    return sub.assign(**{GROUP: sub[GROUP].cat.remove_unused_categories()})


def _curves(frame: pd.DataFrame, endpoint: Endpoint) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["group", "time", "at_risk", "events", "censored",
                                     "estimate", "lower", "upper"])
    if endpoint.cif:
        return sv.cumulative_incidence(frame, "time", "status", sv.RELAPSE, GROUP)
    return sv.km_table(frame, "time", endpoint.event_col, GROUP)


def _risk(frame: pd.DataFrame, ticks: list[float], endpoint: Endpoint) -> pd.DataFrame:
    """Risk table per group and tick; for the CIF, relapses and competing deaths apart."""
    risk = sv.risk_table(frame, ticks, "time", "any_event", GROUP)
    if endpoint.cif:
        own = sv.risk_table(frame, ticks, "time", "relapse_event", GROUP)
        risk = risk.assign(competing=risk["events"] - own["events"], events=own["events"])
    return risk


def _landmark_columns(frame: pd.DataFrame, endpoint: Endpoint) -> pd.DataFrame:
    """group, then m{M}_estimate/lower/upper for each landmark month."""
    marks = [sv.months_to_days(m) for m in LANDMARK_MONTHS]
    if endpoint.cif:
        lm = sv.cif_landmarks(frame, marks, group_col=GROUP)
    else:
        lm = sv.landmarks(frame, marks, "time", endpoint.event_col, GROUP)
    lm = lm.assign(month=np.round(sv.days_to_months(lm["time"])).astype(int))
    wide = lm.pivot(index="group", columns="month", values=["estimate", "lower", "upper"])
    wide.columns = [f"m{m}_{stat}" for stat, m in wide.columns]
    order = [f"m{m}_{s}" for m in LANDMARK_MONTHS for s in ("estimate", "lower", "upper")]
    return wide.reindex(columns=order).reset_index()


def _summary(frame: pd.DataFrame, estimable: list[str], endpoint: Endpoint) -> pd.DataFrame:
    """Per group (every group, estimable or not): counts, median with CI, landmarks."""
    counts = frame.groupby(GROUP, observed=True).agg(
        n=("time", "size"), events=(endpoint.event_col, "sum"),
        any_events=("any_event", "sum")).reset_index().rename(columns={GROUP: "group"})
    counts["group"] = counts["group"].astype(str)
    counts["competing"] = counts["any_events"] - counts["events"]
    counts["censored"] = counts["n"] - counts["any_events"]
    counts["estimable"] = counts["group"].isin(estimable)
    out = counts.drop(columns="any_events")
    sub = _subset(frame, estimable)
    if sub.empty:
        return out
    if not endpoint.cif:
        med = sv.km_median(sub, "time", endpoint.event_col, GROUP)[["group", "median", "lower",
                                                                   "upper"]]
        out = out.merge(med.rename(columns={"lower": "median_lower", "upper": "median_upper"}),
                        on="group", how="left")
    return out.merge(_landmark_columns(sub, endpoint), on="group", how="left")


def analyse(frame: pd.DataFrame, endpoint: Endpoint, options: SurvivalOptions,
            colors: dict) -> SurvivalResult:
    """Curves, risk table, per-group estimates and log-rank test of an endpoint frame whose
    GROUP column is an ordered categorical (one level "All" without grouping)."""
    groups = _present(frame)
    sizes = frame[GROUP].value_counts()
    estimable = [g for g in groups if sizes[g] >= MIN_N]
    ticks = axis_ticks(frame["time"].max(), options.unit)
    summary = _summary(frame, estimable, endpoint)
    summary = summary.set_index("group").loc[groups].reset_index()
    test = None
    if len(groups) >= 2:
        test = sv.logrank(frame, "time", endpoint.event_col, GROUP)
    return SurvivalResult(endpoint, options, frame, colors,
                          _curves(_subset(frame, estimable), endpoint), ticks,
                          _risk(frame, ticks, endpoint), summary, test)


def patients_behind(result: SurvivalResult, day: float, group: str) -> list[dict]:
    """The patients whose observation ends at `day` in `group` (a clicked step or mark)."""
    rows = sv.patients_at(result.frame, day, "time", GROUP, group)
    unit = result.options.unit
    return [{"patient_id": str(r["patient_id"]), "group": group, "day": float(r["time"]),
             "time": time_label(float(r["time"]), unit),
             "status": ("event" if int(r["status"]) else "censored") if result.endpoint.tte
             else STATUS_LABELS[int(r["status"])]}
            for r in rows.sort_values("patient_id").to_dict("records")]


# --- Rows for tables and export -----------------------------------------------------------------

def median_text(row: dict, unit: str) -> str:
    if not row.get("estimable"):
        return f"n = {row['n']}, not estimable"
    digits = 1 if unit == "months" else 0
    return sv.format_median(row.get("median"), row.get("median_lower"), row.get("median_upper"),
                            unit, digits)


def estimate_rows(result: SurvivalResult) -> list[dict]:
    """Display rows (strings) of the estimates table, one per group, none hidden."""
    ep, unit = result.endpoint, result.options.unit
    rows = []
    for r in result.summary.to_dict("records"):
        row = {"Group": r["group"], "n": str(r["n"]),
               ep.event_word.capitalize(): str(int(r["events"]))}
        if ep.cif:
            row["Deaths (competing)"] = str(int(r["competing"]))
        row["Censored"] = str(int(r["censored"]))
        if not ep.cif:
            row[f"Median, {unit} (95 % CI)"] = median_text(r, unit)
        for m in LANDMARK_MONTHS:
            row[f"{m} months (95 % CI)"] = (
                estimate_text(r.get(f"m{m}_estimate"), r.get(f"m{m}_lower"),
                              r.get(f"m{m}_upper")) if r["estimable"] else "not estimable")
        rows.append(row)
    return rows


def export_frame(result: SurvivalResult) -> pd.DataFrame:
    """The risk table and the estimates as one CSV-ready frame (section column; times in the
    chosen unit and in days; estimates as proportions)."""
    unit = result.options.unit
    risk = result.risk.rename(columns={"tick": "day"})
    risk.insert(0, "section", "risk table")
    risk.insert(2, unit, to_unit(risk["day"], unit))
    est = result.summary.copy()
    for col in ("median", "median_lower", "median_upper"):
        if col in est:
            est[f"{col}_{unit}"] = to_unit(est.pop(col), unit)
    est.insert(0, "section", "estimates")
    out = pd.concat([risk, est], ignore_index=True)
    out.insert(1, "endpoint", result.endpoint.title)
    counts = [c for c in ("at_risk", "events", "competing", "censored", "n") if c in out]
    return out.astype({c: "Int64" for c in counts})


# --- Figure -------------------------------------------------------------------------------------

MAX_IDS_IN_HOVER = 12


def _joined_ids(ids: pd.Series) -> str:
    """Comma-joined ids; long lists are cut (the click lists every patient, from the server)."""
    ids = sorted(map(str, ids))
    more = len(ids) - MAX_IDS_IN_HOVER
    return ", ".join(ids[:MAX_IDS_IN_HOVER]) + (f" … (+{more:,} more)" if more > 0 else "")


def _ids_at(d: pd.DataFrame) -> dict[float, str]:
    """Patient ids ending their observation at each time, comma-joined."""
    return d.groupby("time")["patient_id"].agg(_joined_ids).to_dict()


def _step_hover(r: dict, group: str, ep: Endpoint, unit: str) -> str:
    extra = f", {int(r['competing'])} deaths" if ep.cif else ""
    return (f"<b>{plot_text(group)}</b> · {time_label(r['time'], unit)}<br>"
            f"{ep.y_title}: {pct(r['estimate'])} (95 % CI {pct(r['lower'])} – "
            f"{pct(r['upper'])})<br>At risk: {int(r['at_risk'])} · at this time: "
            f"{int(r['events'])} {ep.event_word}{extra}, {int(r['censored'])} censored")


def _value_at(curve: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """Right-continuous step value of a curve at the given days."""
    idx = np.searchsorted(curve["time"].to_numpy(float), days, side="right") - 1
    return curve["estimate"].to_numpy(float)[np.clip(idx, 0, None)]


def _marks(fig, curve, rows, group, color, unit, symbol, name, size) -> None:
    """Censor ("+") or competing-event ("×") marks on a curve, with the patients behind them."""
    if rows.empty:
        return
    ids = _ids_at(rows)
    days = np.array(sorted(ids), float)
    n = rows.groupby("time").size()
    fig.add_trace(go.Scatter(
        x=to_unit(days, unit), y=_value_at(curve, days), mode="markers",
        name=f"{plot_text(group)}: {name}",
        legendgroup=group, showlegend=False,
        marker=dict(symbol=symbol, size=size, color=color, line=dict(width=2, color=color)),
        customdata=[[d, group, ids[d]] for d in days],
        hovertext=[f"<b>{plot_text(group)}</b> · {time_label(d, unit)}<br>{n[d]} {name}: "
                   f"patient {plot_text(ids[d])}" for d in days], hoverinfo="text"),
        row=1, col=1)


def _add_curve(fig: go.Figure, result: SurvivalResult, group: str, label: str) -> None:
    """CI band, step curve (clickable vertices) and marks of one group."""
    ep, unit, color = result.endpoint, result.options.unit, result.colors.get(group, "#444")
    curve = result.curves.loc[result.curves["group"] == group]
    x = to_unit(curve["time"], unit)
    if result.options.show_ci:
        band = dict(x=x, mode="lines", line=dict(width=0, shape="hv", color=color),
                    legendgroup=group, showlegend=False, hoverinfo="skip")
        fig.add_trace(go.Scatter(y=curve["lower"], name=f"{group}: lower CI", **band), 1, 1)
        fig.add_trace(go.Scatter(y=curve["upper"], name=f"{group}: upper CI", fill="tonexty",
                                 fillcolor=_rgba(color, 0.14), **band), 1, 1)
    rows = result.frame.loc[result.frame[GROUP] == group]
    ids = _ids_at(rows)
    records = curve.to_dict("records")
    fig.add_trace(go.Scatter(
        x=x, y=curve["estimate"], mode="lines", name=plot_text(label), legendgroup=group,
        line=dict(color=color, width=3, shape="hv"),
        customdata=[[r["time"], group, ids.get(r["time"], "")] for r in records],
        hovertext=[_step_hover(r, group, ep, unit) for r in records], hoverinfo="text"), 1, 1)
    _marks(fig, curve, rows.loc[rows["any_event"] == 0], group, color, unit,
           "cross-thin", "censored", 11)
    if ep.cif:
        _marks(fig, curve, rows.loc[rows["status"] == sv.DEATH], group, color, unit,
               "x-thin", "deaths (competing)", 10)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


def _table_layout(result: SurvivalResult) -> tuple[list[tuple], list[dict]]:
    """Lines of the risk table: (y, label, group, column) and the group headers."""
    grouped = result.groups != [sv.ALL]
    lines, headers, y = [], [], 0
    for group in result.groups:
        if grouped:
            headers.append(dict(y=y, group=group))
            y -= 1
        for col, label in result.endpoint.risk_rows:
            lines.append((y, label, group, col))
            y -= 1
    return lines, headers


def _add_risk_table(fig: go.Figure, result: SurvivalResult, lines: list, headers: list) -> None:
    """Numbers under each tick, one line per group and quantity, group names as headers."""
    unit = result.options.unit
    x = to_unit(np.asarray(result.ticks, float), unit)
    risk = result.risk.set_index(["group", "tick"])
    for y, label, group, col in lines:
        values = [str(int(risk.loc[(group, t), col])) for t in result.ticks]
        fig.add_trace(go.Scatter(x=x, y=[y] * len(x), mode="text", text=values,
                                 textfont=dict(size=13), showlegend=False, hoverinfo="skip",
                                 name=f"{group}: {label}"), row=2, col=1)
    for h in headers:
        color = result.colors.get(h["group"], "#444")
        fig.add_annotation(text=f"<b>{plot_text(h['group'])}</b>", xref="x domain", yref="y2", x=0,
                           y=h["y"], xanchor="left", xshift=-MARGIN_L + 8, showarrow=False,
                           font=dict(size=13, color=color))
    n_lines = len(lines) + len(headers)
    fig.update_yaxes(row=2, col=1, tickvals=[ln[0] for ln in lines],
                     ticktext=[ln[1] for ln in lines], range=[-n_lines + 0.5, 0.6],
                     showgrid=False, zeroline=False, fixedrange=True, tickfont=dict(size=13))
    fig.update_xaxes(row=2, col=1, matches="x", visible=False)
    fig.add_annotation(text="<b>Number at risk</b> (events and censored: cumulative before each "
                       "time)", xref="x domain", yref="y2 domain", x=0, y=1, yanchor="bottom",
                       xanchor="left", xshift=-MARGIN_L + 8, yshift=2, showarrow=False,
                       font=dict(size=13, color="#333"))


def _decorate_plot(fig: go.Figure, result: SurvivalResult) -> None:
    ep, unit = result.endpoint, result.options.unit
    span = to_unit(max(result.frame["time"].max(), result.ticks[-1]), unit)
    fig.update_xaxes(row=1, col=1, tickvals=to_unit(np.asarray(result.ticks), unit),
                     ticktext=[tick_text(t, unit) for t in result.ticks],
                     range=[-0.03 * span, 1.03 * span], showticklabels=True, zeroline=False,
                     title_text=f"{unit.capitalize()} "
                                f"{ORIGIN_AXIS.get(_origin(result), TTE_ORIGIN_AXIS)}",
                     title_standoff=6, ticks="outside")
    fig.update_yaxes(row=1, col=1, range=[0, 1.02], tickformat=".0%", dtick=0.2,
                     title_text=ep.y_title, zeroline=False)


def _origin(result: SurvivalResult) -> str:
    if result.endpoint.tte:
        return TTE_ORIGIN
    return result.options.origin if result.endpoint.relapse else "day0"


def legend_label(result: SurvivalResult, group: str, n: int, estimable: bool) -> str:
    name = "All" if group == sv.ALL else group
    return f"{name} (n = {n})" if estimable else f"{name} (n = {n}, not estimable)"


def survival_figure(result: SurvivalResult, title: str, subtitle: str) -> go.Figure:
    """Step curves with CI bands and censor marks, and the KMunicate risk table under them."""
    lines, headers = _table_layout(result)
    table_px = ROW_PX * (len(lines) + len(headers))
    total = PLOT_PX + GAP_PX + table_px
    fig = make_subplots(rows=2, cols=1, row_heights=[PLOT_PX, table_px],
                        vertical_spacing=GAP_PX / total)
    for r in result.summary.to_dict("records"):
        label = legend_label(result, r["group"], r["n"], r["estimable"])
        if r["estimable"]:
            _add_curve(fig, result, r["group"], label)
        else:  # listed in the legend and the table, without a curve
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=plot_text(label),
                                     line=dict(color=result.colors.get(r["group"], "#444"),
                                               dash="dot")), 1, 1)
    _decorate_plot(fig, result)
    _add_risk_table(fig, result, lines, headers)
    grouped = result.groups != [sv.ALL]
    top = 140 + (LEGEND_PX * len(result.groups) if grouped else 0)
    height = total + top + 30
    fig.update_layout(**base_layout(
        title=dict(text=title, subtitle=dict(text=subtitle), x=0.01, xanchor="left",
                   yref="container", y=1 - 34 / height, yanchor="top", font=dict(size=19)),
        height=height, margin=dict(l=MARGIN_L, r=30, t=top, b=30),
        showlegend=grouped, hovermode="closest",
        legend=dict(orientation="v", yanchor="bottom", y=1.01, xanchor="left", x=0,
                    font=dict(size=14), tracegroupgap=0)))
    return fig


def figure_title(result: SurvivalResult, denominator: str) -> str:
    """Endpoint, then denominator · origin on a second line ("40 patients · origin: day 0")."""
    return (f"{result.endpoint.title}<br><span style='font-size:16px'>{denominator} · "
            f"origin: {ORIGIN_SHORT.get(_origin(result), TTE_ORIGIN_LABEL)}</span>")


def figure_subtitle(result: SurvivalResult, group_label: str | None, selection: str) -> str:
    ep = result.endpoint
    marks = "+ censored" + (" · × death before relapse" if ep.cif else "")
    ci = f"shaded: {CI_LABEL}" if result.options.show_ci else "CI hidden"
    # "Responder group" reads "by responder group"; "Arm (TRT01A)" keeps its variable name.
    by = f" · by {group_label[:1].lower() + group_label[1:]}" if group_label else ""
    return f"{ep.estimator} · {ci} · {marks}{by}<br>Selection: {selection}"
