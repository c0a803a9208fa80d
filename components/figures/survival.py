"""Pure builders of the survival view: a `SurvivalResult` in; the figure, its rows and the
lines that state its counts, test and caveats out.

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
from trial.analysis import display
from trial.analysis.cohort import NO_GROUP
from trial.analysis.display import format_p
from trial.analysis.survival import GROUP, LANDMARK_MONTHS, MIN_N, SurvivalResult, headline_counts
from trial.model import Trial

from . import hazard
from .text import plot_text
from .theme import base_layout, empty_figure, group_colors

CI_LABEL = "95 % pointwise CI, log-log"
ORIGIN_LABELS = {"day0": "day 0 (first infusion)", "response": "date of response"}
ORIGIN_SHORT = {"day0": "day 0", "response": "date of response", "start": "the endpoint's start"}
ORIGIN_AXIS = {"day0": "since first infusion", "response": "since response", "start": "since start"}
STATUS_LABELS = {sv.CENSORED: "censored", sv.RELAPSE: "relapse", sv.DEATH: "death"}
DESCRIPTIVE_NOTE = (
    "Comparisons within a single-arm study are descriptive: groups are not "
    "randomised, so differences are not treatment effects."
)
# Table geometry (pixels) under the plot.
PLOT_PX, GAP_PX, ROW_PX, MARGIN_L, LEGEND_PX = 430, 78, 20, 150, 22
MAX_IDS_IN_HOVER = 12


@dataclass(frozen=True)
class SurvivalOptions:
    """How a result is drawn."""

    show_ci: bool = True


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
    return format_p(p, missing="not computable")


# --- Rows for tables and export -----------------------------------------------------------------


def median_text(row: dict, unit: str) -> str:
    if not row.get("estimable"):
        return f"n = {row['n']:,}, not estimable"
    digits = 1 if unit == "months" else 0
    # "not reached" in full: "NR" would read as the no-response group of this trial
    return display.format_median(
        row.get("median"),
        row.get("median_lower"),
        row.get("median_upper"),
        unit,
        digits,
        short=True,
    )


def estimate_rows(result: SurvivalResult) -> list[dict]:
    """Display rows (strings) of the estimates table, one per group, none hidden."""
    ep, unit = result.endpoint, result.request.unit
    rows = []
    for r in result.summary.to_dict("records"):
        row = {
            "Group": r["group"],
            "n": str(r["n"]),
            ep.event_word.capitalize(): str(int(r["events"])),
        }
        if ep.cif:
            row["Deaths (competing)"] = str(int(r["competing"]))
        row["Censored"] = str(int(r["censored"]))
        if not ep.cif:
            row[f"Median, {unit} (95 % CI)"] = median_text(r, unit)
        for m in LANDMARK_MONTHS:
            if f"m{m}_estimate" not in r:
                continue
            row[f"{m} months (95 % CI)"] = (
                estimate_text(r.get(f"m{m}_estimate"), r.get(f"m{m}_lower"), r.get(f"m{m}_upper"))
                if r["estimable"]
                else "not estimable"
            )
        rows.append(row)
    return rows


def export_frame(result: SurvivalResult) -> pd.DataFrame:
    """The risk table and the estimates as one CSV-ready frame (section column; times in the
    chosen unit and in days; estimates as proportions)."""
    if result.empty:
        return pd.DataFrame()
    unit = result.request.unit
    risk = result.risk.rename(columns={"tick": "day"})
    risk.insert(0, "section", "risk table")
    risk.insert(2, unit, to_unit(risk["day"], unit))
    est = result.summary.copy()
    for col in ("median", "median_lower", "median_upper"):
        if col in est:
            est[f"{col}_{unit}"] = to_unit(est.pop(col), unit)
    est.insert(0, "section", "estimates")
    out = pd.concat([risk, est, hazard.effects_frame(result)], ignore_index=True)
    out.insert(1, "endpoint", result.endpoint.title)
    counts = [c for c in ("at_risk", "events", "competing", "censored", "n") if c in out]
    return out.astype({c: "Int64" for c in counts})


def patient_rows(rows: pd.DataFrame, group: str, unit: str, tte: bool) -> list[dict]:
    """The patients behind a clicked step or mark (trial.analysis.survival.patients_at), as
    display rows; `tte`: an endpoint given as data (status 1 = event)."""
    return [
        {
            "patient_id": str(r["patient_id"]),
            "group": group,
            "day": float(r["time"]),
            "time": time_label(float(r["time"]), unit),
            "status": ("event" if int(r["status"]) else "censored")
            if tte
            else STATUS_LABELS[int(r["status"])],
        }
        for r in rows.to_dict("records")
    ]


# --- Figure -------------------------------------------------------------------------------------


def colors_of(result: SurvivalResult) -> dict:
    """A colour per group, from the trial's level order (a group keeps its colour whatever
    the filters)."""
    group = result.request.group
    col = None if group == NO_GROUP else group
    return group_colors(list(result.levels), col, order=list(result.levels))


def _joined_ids(ids: pd.Series) -> str:
    """Comma-joined ids; long lists are cut (the click lists every patient, from the server)."""
    names = sorted(map(str, ids))
    more = len(names) - MAX_IDS_IN_HOVER
    return ", ".join(names[:MAX_IDS_IN_HOVER]) + (f" … (+{more:,} more)" if more > 0 else "")


def _ids_at(d: pd.DataFrame) -> dict[float, str]:
    """Patient ids ending their observation at each time, comma-joined."""
    joined = d.groupby("time")["patient_id"].agg(_joined_ids)
    return {float(t): s for t, s in zip(joined.index, joined, strict=True)}


def _step_hover(r: dict, group: str, result: SurvivalResult) -> str:
    ep, unit = result.endpoint, result.request.unit
    extra = f", {int(r['competing'])} deaths" if ep.cif else ""
    return (
        f"<b>{plot_text(group)}</b> · {time_label(r['time'], unit)}<br>"
        f"{ep.y_title}: {pct(r['estimate'])} (95 % CI {pct(r['lower'])} – "
        f"{pct(r['upper'])})<br>At risk: {int(r['at_risk'])} · at this time: "
        f"{int(r['events'])} {ep.event_word}{extra}, {int(r['censored'])} censored"
    )


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
    fig.add_trace(
        go.Scatter(
            x=to_unit(days, unit),
            y=_value_at(curve, days),
            mode="markers",
            name=f"{plot_text(group)}: {name}",
            legendgroup=group,
            showlegend=False,
            marker=dict(symbol=symbol, size=size, color=color, line=dict(width=2, color=color)),
            customdata=[[d, group, ids[d]] for d in days],
            hovertext=[
                f"<b>{plot_text(group)}</b> · {time_label(d, unit)}<br>{n[d]} {name}: "
                f"patient {plot_text(ids[d])}"
                for d in days
            ],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


def _add_curve(
    fig: go.Figure, result: SurvivalResult, group: str, label: str, color: str, show_ci: bool
) -> None:
    """CI band, step curve (clickable vertices) and marks of one group."""
    ep, unit = result.endpoint, result.request.unit
    curve = result.curves.loc[result.curves["group"] == group]
    x = to_unit(curve["time"], unit)
    if show_ci:
        band = dict(
            x=x,
            mode="lines",
            line=dict(width=0, shape="hv", color=color),
            legendgroup=group,
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_trace(go.Scatter(y=curve["lower"], name=f"{group}: lower CI", **band), 1, 1)
        fig.add_trace(
            go.Scatter(
                y=curve["upper"],
                name=f"{group}: upper CI",
                fill="tonexty",
                fillcolor=_rgba(color, 0.14),
                **band,
            ),
            1,
            1,
        )
    rows = result.frame.loc[result.frame[GROUP] == group]
    ids = _ids_at(rows)
    records = curve.to_dict("records")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curve["estimate"],
            mode="lines",
            name=plot_text(label),
            legendgroup=group,
            line=dict(color=color, width=3, shape="hv"),
            customdata=[[r["time"], group, ids.get(r["time"], "")] for r in records],
            hovertext=[_step_hover(r, group, result) for r in records],
            hoverinfo="text",
        ),
        1,
        1,
    )
    _marks(
        fig,
        curve,
        rows.loc[rows["any_event"] == 0],
        group,
        color,
        unit,
        "cross-thin",
        "censored",
        11,
    )
    if ep.cif:
        _marks(
            fig,
            curve,
            rows.loc[rows["status"] == sv.DEATH],
            group,
            color,
            unit,
            "x-thin",
            "deaths (competing)",
            10,
        )


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


def _add_risk_table(
    fig: go.Figure, result: SurvivalResult, colors: dict, lines: list, headers: list
) -> None:
    """Numbers under each tick, one line per group and quantity, group names as headers."""
    unit = result.request.unit
    x = to_unit(np.asarray(result.ticks, float), unit)
    risk = result.risk.set_index(["group", "tick"])
    for y, label, group, col in lines:
        values = [str(int(risk.loc[(group, t), col])) for t in result.ticks]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[y] * len(x),
                mode="text",
                text=values,
                textfont=dict(size=13),
                showlegend=False,
                hoverinfo="skip",
                name=f"{group}: {label}",
            ),
            row=2,
            col=1,
        )
    for h in headers:
        fig.add_annotation(
            text=f"<b>{plot_text(h['group'])}</b>",
            xref="x domain",
            yref="y2",
            x=0,
            y=h["y"],
            xanchor="left",
            xshift=-MARGIN_L + 8,
            showarrow=False,
            font=dict(size=13, color=colors.get(h["group"], "#444")),
        )
    n_lines = len(lines) + len(headers)
    fig.update_yaxes(
        row=2,
        col=1,
        tickvals=[ln[0] for ln in lines],
        ticktext=[ln[1] for ln in lines],
        range=[-n_lines + 0.5, 0.6],
        showgrid=False,
        zeroline=False,
        fixedrange=True,
        tickfont=dict(size=13),
    )
    fig.update_xaxes(row=2, col=1, matches="x", visible=False)
    fig.add_annotation(
        text="<b>Number at risk</b> (events and censored: cumulative before each time)",
        xref="x domain",
        yref="y2 domain",
        x=0,
        y=1,
        yanchor="bottom",
        xanchor="left",
        xshift=-MARGIN_L + 8,
        yshift=2,
        showarrow=False,
        font=dict(size=13, color="#333"),
    )


def _decorate_plot(fig: go.Figure, result: SurvivalResult) -> None:
    ep, unit = result.endpoint, result.request.unit
    span = to_unit(max(result.frame["time"].max(), result.ticks[-1]), unit)
    since = (
        f"since the landmark (month {result.landmark.months})"
        if result.landmark
        else ORIGIN_AXIS[result.origin]
    )
    fig.update_xaxes(
        row=1,
        col=1,
        tickvals=to_unit(np.asarray(result.ticks), unit),
        ticktext=[tick_text(t, unit) for t in result.ticks],
        range=[-0.03 * span, 1.03 * span],
        showticklabels=True,
        zeroline=False,
        title_text=f"{unit.capitalize()} {since}",
        title_standoff=6,
        ticks="outside",
    )
    fig.update_yaxes(
        row=1,
        col=1,
        range=[0, 1.02],
        tickformat=".0%",
        dtick=0.2,
        title_text=ep.y_title,
        zeroline=False,
    )


def legend_label(group: str, n: int, estimable: bool) -> str:
    name = "All" if group == sv.ALL else group
    return f"{name} (n = {n:,})" if estimable else f"{name} (n = {n:,}, not estimable)"


def survival_figure(
    result: SurvivalResult, title: str, subtitle: str, options: SurvivalOptions = SurvivalOptions()
) -> go.Figure:
    """Step curves with CI bands and censor marks, and the KMunicate risk table under them."""
    colors = colors_of(result)
    lines, headers = _table_layout(result)
    table_px = ROW_PX * (len(lines) + len(headers))
    total = PLOT_PX + GAP_PX + table_px
    fig = make_subplots(
        rows=2, cols=1, row_heights=[PLOT_PX, table_px], vertical_spacing=GAP_PX / total
    )
    for r in result.summary.to_dict("records"):
        label = legend_label(r["group"], r["n"], r["estimable"])
        color = colors.get(r["group"], "#444")
        if r["estimable"]:
            _add_curve(fig, result, r["group"], label, color, options.show_ci)
        else:  # listed in the legend and the table, without a curve
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="lines",
                    name=plot_text(label),
                    line=dict(color=color, dash="dot"),
                ),
                1,
                1,
            )
    _decorate_plot(fig, result)
    _add_risk_table(fig, result, colors, lines, headers)
    grouped = result.groups != [sv.ALL]
    top = 140 + (LEGEND_PX * len(result.groups) if grouped else 0)
    height = total + top + 30
    fig.update_layout(
        **base_layout(
            title=dict(
                text=title,
                subtitle=dict(text=subtitle),
                x=0.01,
                xanchor="left",
                yref="container",
                y=1 - 34 / height,
                yanchor="top",
                font=dict(size=19),
            ),
            height=height,
            margin=dict(l=MARGIN_L, r=30, t=top, b=30),
            showlegend=grouped,
            hovermode="closest",
            legend=dict(
                orientation="v",
                yanchor="bottom",
                y=1.01,
                xanchor="left",
                x=0,
                font=dict(size=14),
                tracegroupgap=0,
            ),
        )
    )
    return fig


def figure_title(result: SurvivalResult) -> str:
    """Endpoint, then denominator · origin on a second line ("40 patients · origin: day 0")."""
    origin = f"origin: {ORIGIN_SHORT[result.origin]}"
    if result.landmark:
        lm = result.landmark
        origin = (
            f"landmark at month {lm.months}: {lm.n:,} followed beyond it, "
            f"{lm.n_excluded:,} left out"
        )
    return (
        f"{result.endpoint.title}<br><span style='font-size:16px'>{result.denominator} · "
        f"{origin}</span>"
    )


def figure_subtitle(
    result: SurvivalResult, selection: str, options: SurvivalOptions = SurvivalOptions()
) -> str:
    ep = result.endpoint
    marks = "+ censored" + (" · × death before relapse" if ep.cif else "")
    ci = f"shaded: {CI_LABEL}" if options.show_ci else "CI hidden"
    # "Responder group" reads "by responder group"; "Arm (TRT01A)" keeps its variable name.
    label = result.group_label
    by = f" · by {label[:1].lower() + label[1:]}" if label else ""
    return f"{ep.estimator} · {ci} · {marks}{by}<br>Selection: {selection}"


# --- What the view says in words ----------------------------------------------------------------


def counts_line(result: SurvivalResult, patients: pd.DataFrame) -> str:
    """The headline counts of the endpoint for the selected patients."""
    if result.empty:
        return "No patients in the analysis."
    c = headline_counts(result, patients)
    if result.endpoint.tte:
        return (
            f"{c['events']} events and {c['censored']} censored among {c['with_record']} "
            f"of {c['selected']} selected patients with a record of this endpoint."
        )
    if not result.endpoint.relapse:
        later = c["deaths_later"]
        tail = f", {later} later" if later else ""
        by12 = c["deaths_by_12_months"]
        return (
            f"{c['selected'] - by12} of {c['selected']} alive at 12 months "
            f"({by12} deaths by month 12{tail})."
        )
    return (
        f"{c['relapses_analysed']} relapses among {c['responders_analysed']} responders as "
        f"analysed ({c['relapses_recorded']} relapses among {c['responders_recorded']} "
        f"responders as recorded) · {c['competing_deaths']} deaths before relapse "
        "(competing)."
    )


def test_line(result: SurvivalResult) -> str | None:
    """Log-rank chi-square, df and p across the groups, or None with a single group."""
    test = result.test
    if not test:
        return None
    what = (
        " of the cause-specific hazard of relapse (deaths censored; not a test of the "
        "cumulative incidence: see Gray's test)"
        if result.endpoint.cif
        else ""
    )
    if not result.summary["events"].sum():
        return f"Log-rank test{what}: not computable, no events in the groups."
    return (
        f"Log-rank test{what} across {len(test['groups'])} groups: "
        f"χ² = {test['chi2']:.2f}, df = {test['df']}, {p_text(test['p'])}."
    )


def notes(result: SurvivalResult) -> list[str]:
    """Caveats the reader needs for this state of the controls."""
    group = result.request.group
    out = []
    if result.test and group != "arm":  # "arm": the randomised arms of an ADaM study (ADSL)
        out.append(DESCRIPTIVE_NOTE)
    if result.endpoint.relapse and result.request.origin == "day0":
        out.append(
            "Origin day 0: responders are counted from the first infusion, although "
            "their response is observed later; choose “date of response” for the time "
            "since response."
        )
    if not result.summary["estimable"].all():
        out.append(f"Groups with fewer than {MIN_N} patients are listed but not estimated.")
    if result.landmark is not None:
        out.append(
            f"Medians and the {' and '.join(map(str, LANDMARK_MONTHS))}-month estimates "
            f"count from the landmark (month {result.landmark.months})."
        )
    out.append("Landmark estimates are “–” beyond the follow-up of a group.")
    return out


@dataclass(frozen=True)
class SurvivalView:
    """What the tab (or a slide, or an export) shows for one analysis."""

    figure: go.Figure
    result: SurvivalResult
    lines: list[str]  # counts, tests, warnings and caveats, in that order
    tests: tuple[str, ...] = ()  # log-rank, Gray, hazard ratios, PH check
    warnings: tuple[str, ...] = ()  # guarantee time, landmark, what does not apply

    @property
    def title(self) -> str:
        return self.result.endpoint.title


def survival_view(
    trial: Trial,
    result: SurvivalResult,
    patients: pd.DataFrame,
    selection: str,
    options: SurvivalOptions = SurvivalOptions(),
) -> SurvivalView:
    """Figure and text of one analysis of the selected `patients` (pure)."""
    if result.empty:
        title = result.endpoint.title + (f" · {result.denominator}" if result.denominator else "")
        return SurvivalView(empty_figure(title, result.empty), result, [])
    fig = survival_figure(
        result, figure_title(result), figure_subtitle(result, selection, options), options
    )
    if result.origin == "day0" and trial.study.origin != "first infusion":
        # Day 0 is the study's own time origin (ADaM: the first dose), in its words.
        fig.update_xaxes(
            row=1,
            col=1,
            title_text=f"{result.request.unit.capitalize()} since {trial.study.origin}",
        )
    return SurvivalView(
        fig,
        result,
        survival_lines(result, patients),
        tuple(comparison_lines(result)),
        tuple(hazard.warnings(result)),
    )


def comparison_lines(result: SurvivalResult) -> list[str]:
    """Log-rank, Gray's test (cumulative incidence), the hazard ratios and the PH check."""
    lines = [
        test_line(result),
        hazard.gray_line(result),
        hazard.hazard_line(result),
        hazard.ph_line(result),
    ]
    return [x for x in lines if x]


def survival_lines(result: SurvivalResult, patients: pd.DataFrame) -> list[str]:
    """Counts, tests, warnings and caveats of an analysis of the selected `patients`, in that
    order."""
    if result.empty:
        return list(hazard.warnings(result))
    return [
        counts_line(result, patients),
        *comparison_lines(result),
        *hazard.warnings(result),
        *notes(result),
    ]


def export_name(result: SurvivalResult) -> str:
    """File-name stem: constants and codes only."""
    request = result.request
    return (
        request.endpoint if request.group == NO_GROUP else f"{request.endpoint}_by_{request.group}"
    )
