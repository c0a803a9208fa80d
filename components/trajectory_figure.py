"""Pure builders of the trajectory figure and its table: data frames and options in, figure out."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trial.model import Measure, Visit
from trial.stats import TEST_LABELS, Scale, Test

from .theme import base_layout

Statistic = Literal["mean_sd", "mean_ci", "median_iqr"]
STATISTIC_LABELS = {
    "mean_sd": "mean ± SD",
    "mean_ci": "mean with 95 % CI",
    "median_iqr": "median with IQR",
}
ALPHA = 0.05
# Individual lines are drawn as one WebGL trace per group, so thousands of patients stay cheap.
INDIVIDUAL_OPACITY = 0.22


@dataclass(frozen=True)
class TrajectoryOptions:
    statistic: Statistic = "mean_sd"
    scale: Scale = "value"
    test: Test = "paired_t"
    show_individual: bool = False
    selected: tuple[str, ...] = ()  # linked selection: these patients' lines are drawn bold


@dataclass(frozen=True)
class Panel:
    """One subplot: a measure for a set of patients, summarised per group."""

    title: str
    measure: Measure
    values: pd.DataFrame   # patient_id, month, value, change, pct_change, group
    summary: pd.DataFrame  # visit_summary rows with a `group` column


def center_and_bounds(summary: pd.DataFrame, statistic: Statistic):
    """Central value, lower and upper bound per row for the chosen statistic."""
    if statistic == "median_iqr":
        return summary["median"], summary["q1"], summary["q3"]
    if statistic == "mean_ci":
        return summary["mean"], summary["ci_low"], summary["ci_high"]
    return summary["mean"], summary["mean"] - summary["sd"], summary["mean"] + summary["sd"]


def y_axis_title(measure: Measure, scale: Scale) -> str:
    if scale == "value":
        return measure.axis_title
    if scale == "pct_change":
        return f"{measure.label}: % change from baseline"
    unit = f" ({measure.unit})" if measure.unit else ""
    return f"{measure.label}: change from baseline{unit}"


def _dodge(levels: list, width: float = 0.18) -> dict:
    """Small horizontal offsets so that groups' error bars do not hide each other."""
    if len(levels) < 2:
        return {lv: 0.0 for lv in levels}
    step = width / (len(levels) - 1)
    return {lv: -width / 2 + i * step for i, lv in enumerate(levels)}


def _nan_separated(values: pd.DataFrame, column: str):
    """x, y and patient ids of all patients' lines in one trace, lines separated by gaps."""
    v = values.dropna(subset=[column]).sort_values(["patient_id", "month"], kind="stable")
    if v.empty:
        return [], [], []
    breaks = v["patient_id"].ne(v["patient_id"].shift(-1)).to_numpy()
    n = len(v) + int(breaks.sum())
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    pid = np.empty(n, dtype=object)
    pos = np.arange(len(v)) + np.concatenate([[0], np.cumsum(breaks)[:-1]])
    x[pos] = v["month"].to_numpy(float)
    y[pos] = v[column].to_numpy(float)
    pid[pos] = v["patient_id"].to_numpy()
    return x, y, pid


def _format(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}g}"


def plot_text(text) -> str:
    """Text from data for plotly labels (legend, hover, annotations, titles): escaped, so that
    plotly shows it as typed and never reads it as its HTML-like markup."""
    return html.escape("" if text is None else str(text), quote=False)


def _summary_hover(row, visit_label: str, group: str, options: TrajectoryOptions) -> str:
    center, low, high = row["_center"], row["_low"], row["_high"]
    p = row["p_vs_baseline"]
    ptxt = "" if math.isnan(p) else f"<br>p vs baseline = {p:.3g} (n paired = {row['n_paired']})"
    return (f"<b>{plot_text(group)}</b> · {plot_text(visit_label)}<br>n = {row['n']}<br>"
            f"{STATISTIC_LABELS[options.statistic]}: {_format(center)} "
            f"[{_format(low)}, {_format(high)}]{ptxt}")


def _add_panel(fig: go.Figure, panel: Panel, options: TrajectoryOptions, colors: dict,
               visits: list[Visit], row: int, col: int, show_legend: bool,
               compact: bool = False, unit: str = "month", dense: bool = False,
               drawn: set | None = None) -> None:
    labels = {v.month: v.label for v in visits}
    groups = list(pd.unique(panel.summary["group"]))
    dodge = _dodge(groups)
    for group in groups:
        color = colors.get(group, "#444")
        if options.show_individual:
            mine = panel.values.loc[panel.values["group"] == group]
            if drawn is not None:
                mine = mine.loc[mine["patient_id"].isin(drawn)]
            x, y, pid = _nan_separated(mine, options.scale)
            # Small markers make the lines selectable with box and lasso (linked selection).
            fig.add_trace(go.Scattergl(
                x=x, y=y, customdata=pid, mode="lines+markers", line=dict(color=color, width=1),
                marker=dict(size=4, color=color), opacity=INDIVIDUAL_OPACITY,
                name=f"{plot_text(group)}: patients", legendgroup=str(group),
                showlegend=False, hovertext=[plot_text(p) for p in pid],
                hovertemplate="Patient %{hovertext}<br>" + unit.capitalize() + " %{x}: %{y}"
                "<extra></extra>"), row=row, col=col)
        if options.selected:
            chosen = panel.values.loc[(panel.values["group"] == group)
                                      & panel.values["patient_id"].astype(str).isin(options.selected)]
            x, y, pid = _nan_separated(chosen, options.scale)
            if len(x):
                fig.add_trace(go.Scattergl(
                    x=x, y=y, customdata=pid, mode="lines+markers",
                    line=dict(color=color, width=3.5), marker=dict(size=7, color=color),
                    name=f"{plot_text(group)}: selected patients", legendgroup=str(group),
                    showlegend=False, hovertext=[plot_text(p) for p in pid],
                    hovertemplate="Patient %{hovertext} (selected)<br>" + unit.capitalize()
                    + " %{x}: %{y}"
                    "<extra></extra>"), row=row, col=col)
        s = panel.summary.loc[(panel.summary["group"] == group) & (panel.summary["n"] > 0)]
        center, low, high = center_and_bounds(s, options.statistic)
        s = s.assign(_center=center, _low=low, _high=high)
        x = s["month"] + dodge[group]
        hover = [_summary_hover(r, labels.get(r["month"], str(r["month"])), str(group), options)
                 for r in s.to_dict("records")]
        fig.add_trace(go.Scatter(
            x=x, y=s["_center"], mode="lines+markers", name=plot_text(group),
            legendgroup=str(group),
            showlegend=show_legend, line=dict(color=color, width=3), marker=dict(size=9),
            error_y=dict(type="data", symmetric=False, array=(s["_high"] - s["_center"]),
                         arrayminus=(s["_center"] - s["_low"]), thickness=1.6, width=5),
            hovertext=hover, hoverinfo="text"), row=row, col=col)
        sig = s.loc[s["p_vs_baseline"] < ALPHA]
        if len(sig):
            fig.add_trace(go.Scatter(
                x=sig["month"] + dodge[group], y=sig["_high"], mode="text", text=["*"] * len(sig),
                textposition="top center", textfont=dict(size=22, color=color),
                showlegend=False, legendgroup=str(group), hoverinfo="skip"), row=row, col=col)
    _decorate_axes(fig, panel.measure, options, visits, row, col, compact, dense=dense)


def _spaced(months: list, min_gap: float = 0.06) -> list[str]:
    """Visit numbers as tick labels, leaving out a label too close to the one before it (e.g.
    weeks 24 and 26 on a 0-26 axis would read "2426")."""
    span = (max(months) - min(months)) or 1
    out, last = [], None
    for m in months:
        # one-digit labels are narrow enough to stand close together
        show = last is None or (m - last) / span >= min_gap or abs(m) < 10 or abs(last) < 10
        out.append(f"{m:g}" if show else "")
        last = m if show else last
    return out


def _decorate_axes(fig, measure: Measure, options: TrajectoryOptions, visits, row, col,
                   compact: bool = False, dense: bool = False) -> None:
    # Small panels label visits by month number only; month 0 and 1 would collide otherwise.
    ticktext = _spaced([v.month for v in visits], 0.09 if dense else 0.0) if compact else \
        [v.label for v in visits]
    fig.update_xaxes(tickvals=[v.month for v in visits], ticktext=ticktext, tickangle=0,
                     range=[min(v.month for v in visits) - 0.6, max(v.month for v in visits) + 0.6],
                     showgrid=False, row=row, col=col)
    log = options.scale == "value" and measure.log_scale
    fig.update_yaxes(type="log" if log else "linear", row=row, col=col)
    if options.scale != "value":
        fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"), row=row, col=col)
    elif measure.ref_low is not None or measure.ref_high is not None:
        lo = measure.ref_low if measure.ref_low is not None else (measure.min or 0)
        hi = measure.ref_high
        if hi is None:
            fig.add_hline(y=lo, line=dict(color="#2a9d55", width=1, dash="dash"),
                          annotation_text="lower reference limit", row=row, col=col)
        else:
            fig.add_hrect(y0=lo, y1=hi, fillcolor="#2a9d55", opacity=0.08, line_width=0,
                          annotation_text="reference range", annotation_position="top left",
                          annotation_font=dict(size=11, color="#2a7a4a"), row=row, col=col)


MAX_LABEL_CHARS = 32
LONG_LEGEND_LABEL = 24  # longer group names put the legend above a single plot


def short_label(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_margin(labels: list[str], font_px: float = 7.2) -> int:
    """Left margin, in pixels, that fits the longest row label of the n table."""
    longest = max((len(short_label(str(x))) for x in labels), default=0)
    return int(min(max(90, 20 + font_px * longest), 280))


def _n_table_annotations(panel: Panel, colors: dict, visits: list[Visit]) -> tuple[list, int]:
    """'n at each visit' rows under the x axis, one per group, aligned with the ticks."""
    groups = list(pd.unique(panel.summary["group"]))
    annotations = [dict(text="<b>n per visit</b>", xref="paper", yref="paper", x=0, y=-0.1,
                        xanchor="right", yanchor="top", showarrow=False, font=dict(size=12))]
    n = panel.summary.set_index(["group", "month"])["n"]
    for i, group in enumerate(groups):
        y = -0.1 - 0.055 * (i + 1)
        annotations.append(dict(text=plot_text(short_label(str(group))), xref="paper",
                                yref="paper", x=0, y=y,
                                xanchor="right", yanchor="top", showarrow=False,
                                font=dict(size=12, color=colors.get(group, "#444"))))
        for v in visits:
            annotations.append(dict(text=str(int(n.get((group, v.month), 0))), xref="x",
                                    yref="paper", x=v.month, y=y, yanchor="top",
                                    showarrow=False, font=dict(size=12)))
    return annotations, 70 + 22 * (len(groups) + 1)


MAX_INDIVIDUAL_PATIENTS = 500


def individual_sample(panels: list[Panel], limit: int = MAX_INDIVIDUAL_PATIENTS):
    """Patients whose own lines are drawn: all of them, or a reproducible random sample of
    `limit` when there are more (thousands of faint lines say nothing and cost megabytes)."""
    ids = pd.Series(sorted({str(p) for panel in panels for p in panel.values["patient_id"]}))
    if len(ids) <= limit:
        return None, len(ids)
    return set(ids.sample(n=limit, random_state=0)), len(ids)


def _grid(panels: list[Panel], rows: int, cols: int) -> go.Figure:
    if len(panels) == 1:
        return go.Figure()
    return make_subplots(rows=rows, cols=cols, subplot_titles=[plot_text(p.title) for p in panels],
                         horizontal_spacing=0.08,
                         # about 85 px between rows of panels, whatever the number of rows
                         vertical_spacing=min(0.16, 85 / (330 * rows + 120)) if rows > 1
                         else 0.1)


def trajectory_figure(panels: list[Panel], options: TrajectoryOptions, colors: dict,
                      visits: list[Visit], title: str, n_patients: int,
                      legend_title: str = "", x_title: str = "Months since first infusion",
                      visit_unit: str = "month") -> go.Figure:
    """Summary (and optional individual) trajectories, one subplot per panel. `x_title` and
    `visit_unit` say what the visit numbers count (`Study.visit_axis_title`, `.visit_unit`)."""
    if not panels or all(p.values.empty for p in panels):
        return empty_figure(title, "No values for the selected patients and measure.")
    cols = 1 if len(panels) == 1 else 2 if len(panels) in (2, 4) else 3
    rows = math.ceil(len(panels) / cols)
    drawn, n_with_values = individual_sample(panels) if options.show_individual else (None, 0)
    fig = _grid(panels, rows, cols)
    single = len(panels) == 1  # one plot: no subplot grid (plotly's costs ~5 ms to set up)
    for i, panel in enumerate(panels):
        row, col = (None, None) if single else (i // cols + 1, i % cols + 1)
        _add_panel(fig, panel, options, colors, visits, row, col, i == 0,
                   compact=len(panels) > 1 or visit_unit != "month", unit=visit_unit,
                   dense=len(panels) > 1, drawn=drawn)
        if len(panels) > 1 or options.scale != "value":
            fig.update_yaxes(title_text=y_axis_title(panel.measure, options.scale),
                             title_font=dict(size=12), row=row, col=col)
    subtitle = (f"{STATISTIC_LABELS[options.statistic]} · * p < {ALPHA} vs baseline, "
                f"{TEST_LABELS[options.test]} on patients with both values · "
                f"{n_patients} patients selected")
    if options.show_individual and drawn is not None:
        subtitle += (f" · individual lines: random sample of {len(drawn):,} of "
                     f"{n_with_values:,} patients")
    layout = base_layout(title=dict(text=plot_text(title), subtitle=dict(text=subtitle), x=0.01),
                         height=520 if rows == 1 else 330 * rows + 120,
                         legend_title_text=plot_text(legend_title))
    if len(panels) == 1:
        annotations, bottom = _n_table_annotations(panels[0], colors, visits)
        groups = list(pd.unique(panels[0].summary["group"]))
        layout["margin"] = dict(l=label_margin(groups), r=40, t=110, b=bottom)
        if max((len(str(g)) for g in groups), default=0) > LONG_LEGEND_LABEL:
            # Long names (centers) in a legend at the side would squeeze the plot until its
            # visit labels collide: above the plot, two to a row, they leave it the width.
            # (The title says what the groups are: "… by center".)
            legend_rows = math.ceil(len(groups) / 2)
            layout.pop("legend_title_text", None)
            layout["legend"] = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left",
                                    x=0, entrywidth=0.48, entrywidthmode="fraction",
                                    font=dict(size=14), title=dict(text=""))
            layout["margin"]["t"] += 26 * legend_rows + 10
            layout["height"] += 26 * legend_rows + 10
            # The title stays at the top (by default it is centred in the grown margin).
            layout["title"] = {**layout["title"], "yref": "container", "y": 1,
                               "yanchor": "top", "pad": dict(t=18)}
        layout["height"] = layout["height"] + bottom
        fig.update_yaxes(title_text=y_axis_title(panels[0].measure, options.scale))
        if visit_unit != "month":  # ticks are visit numbers (weeks, days): say so
            fig.update_xaxes(title_text=x_title, title_font=dict(size=12), title_standoff=4)
        # One layout update: adding annotations one by one copies the list each time.
        layout["annotations"] = list(fig.layout.annotations) + annotations
        fig.update_layout(**layout)
    else:
        layout["margin"] = dict(l=70, r=40, t=130, b=50)
        fig.update_layout(**layout)
        fig.update_xaxes(title_text=x_title, title_font=dict(size=12),
                         row=rows)
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says why it is empty instead of showing blank axes."""
    fig = go.Figure()
    fig.update_layout(**base_layout(title=dict(text=plot_text(title), x=0.01), height=420))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=18, color="#666"))
    return fig


def summary_table_rows(panels: list[Panel], options: TrajectoryOptions,
                       visits: list[Visit]) -> list[dict]:
    """The numbers behind the figure: one row per panel, group and visit."""
    labels = {v.month: v.label for v in visits}
    rows = []
    for panel in panels:
        center, low, high = center_and_bounds(panel.summary, options.statistic)
        for r, c, lo, hi in zip(panel.summary.to_dict("records"), center, low, high):
            rows.append({
                "panel": panel.title, "group": str(r["group"]),
                "visit": labels.get(r["month"], str(r["month"])), "month": int(r["month"]),
                "n": int(r["n"]), "estimate": _round(c), "lower": _round(lo), "upper": _round(hi),
                "n_paired": int(r["n_paired"]), "p_vs_baseline": _round(r["p_vs_baseline"], 4),
            })
    return rows


def _round(x, digits: int = 3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(f"{x:.{digits}g}")
