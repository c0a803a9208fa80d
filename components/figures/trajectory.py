"""Pure builders of the trajectories view: a `TrajectoryResult` and display options in, the figure,
its table rows and its notes out."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trial.analysis.cohort import NO_GROUP
from trial.analysis.compare import MODEL as COMPARISON_MODEL
from trial.analysis.display import format_p
from trial.analysis.mixed import ASSUMPTIONS
from trial.analysis.multiplicity import MIN_PAIRED
from trial.analysis.trajectories import KEY_MEASURES, MODEL, Panel, TrajectoryResult
from trial.model import Measure, Trial, Visit
from trial.stats import SCALE_LABELS, TEST_LABELS, Scale

from .text import plot_text
from .theme import base_layout, empty_figure, group_colors

Statistic = Literal["mean_sd", "mean_ci", "median_iqr", "model"]
STATISTIC_LABELS = {
    "mean_sd": "mean ± SD",
    "mean_ci": "mean with 95 % CI",
    "median_iqr": "median with IQR",
    MODEL: "model: estimated mean with 95 % CI",
}
ADJUST_LABELS = {"none": "Unadjusted", "holm": "Holm", "hochberg": "Hochberg"}
MODEL_SHORT = (
    "estimated means of a linear mixed model (random intercept per patient = "
    "compound symmetry, not an unstructured MMRM), 95 % CI"
)
ALPHA = 0.05
FADED = 0.35  # opacity of a point with fewer than MIN_PAIRED patients
# Individual lines are drawn as one WebGL trace per group, so thousands of patients stay cheap.
INDIVIDUAL_OPACITY = 0.22


@dataclass(frozen=True)
class TrajectoryOptions:
    """How the result is drawn (what is computed is the result's request)."""

    statistic: Statistic = "mean_sd"
    show_individual: bool = False
    selected: tuple[str, ...] = ()  # linked selection: these patients' lines are drawn bold


def with_model(summary: pd.DataFrame, panel: Panel) -> pd.DataFrame:
    """The summary rows with the model's estimate, lower and upper (`emm_*`; NaN where the
    model has no estimate: a group left out of it, baseline on the change scale)."""
    emm = (
        panel.model.emm
        if panel.model is not None
        else pd.DataFrame(columns=["visit", "group", "estimate", "lower", "upper"])
    )
    emm = emm.rename(
        columns={
            "visit": "month",
            "estimate": "emm_estimate",
            "lower": "emm_lower",
            "upper": "emm_upper",
        }
    )
    emm = emm.astype({"month": summary["month"].dtype, "group": str})
    return summary.merge(
        emm[["month", "group", "emm_estimate", "emm_lower", "emm_upper"]],
        on=["month", "group"],
        how="left",
    )


def center_and_bounds(summary: pd.DataFrame, statistic: Statistic):
    """Central value, lower and upper bound per row for the chosen statistic (for the model:
    `with_model`'s columns)."""
    if statistic == MODEL:
        return summary["emm_estimate"], summary["emm_lower"], summary["emm_upper"]
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


SINGLE_PLOT_PX = 410  # the plot of a single panel: its figure's 520 px less the title's 110


@dataclass(frozen=True)
class _Drawing:
    """What every panel of one figure is drawn with."""

    options: TrajectoryOptions
    scale: Scale
    colors: dict
    visits: tuple[Visit, ...]
    unit: str = "month"  # what the visit numbers count
    compact: bool = False  # small panels: visit numbers as tick labels
    dense: bool = False
    drawn: frozenset | None = None  # patients whose own lines are drawn (None: all)
    adjust: str = "none"  # the * marks' multiplicity adjustment
    plot_px: float = SINGLE_PLOT_PX  # the height of one panel's plot

    @property
    def visit_labels(self) -> dict:
        return {v.month: v.label for v in self.visits}

    def of(self, measure: Measure) -> _Drawing:
        """The drawing of one panel: on its measure's own visit axis (ADaM: its dataset's)."""
        return replace(self, visits=measure.visits) if measure.visits else self


def _p_hover(row, adjust: str) -> str:
    if row.get("too_few"):
        return (
            f"<br>not tested: fewer than {MIN_PAIRED} patients with both values "
            f"(n paired = {row['n_paired']})"
        )
    p = row["p_vs_baseline"]
    if math.isnan(p):
        return ""
    text = f"<br>vs baseline: {format_p(p)} (n paired = {row['n_paired']})"
    if adjust != "none" and not math.isnan(row["p_adjusted"]):
        text += f"; {ADJUST_LABELS[adjust]}-adjusted {format_p(row['p_adjusted'])}"
    return text


def _summary_hover(row, visit_label: str, group: str, statistic: Statistic, adjust: str) -> str:
    center, low, high = row["_center"], row["_low"], row["_high"]
    few = f"<br>fewer than {MIN_PAIRED} patients: drawn faded" if row["n"] < MIN_PAIRED else ""
    return (
        f"<b>{plot_text(group)}</b> · {plot_text(visit_label)}<br>n = {int(row['n']):,}<br>"
        f"{STATISTIC_LABELS[statistic]}: {_format(center)} "
        f"[{_format(low)}, {_format(high)}]{few}{_p_hover(row, adjust)}"
    )


def _patient_lines(
    fig, values: pd.DataFrame, group, color: str, d: _Drawing, row, col, selected: bool
) -> None:
    """All patients' lines of a group in one WebGL trace (bold for the selected ones)."""
    x, y, pid = _nan_separated(values, d.scale)
    if selected and not len(x):
        return
    what = " (selected)" if selected else ""
    fig.add_trace(
        go.Scattergl(
            x=x,
            y=y,
            customdata=pid,
            mode="lines+markers",
            line=dict(color=color, width=3.5 if selected else 1),
            marker=dict(size=7 if selected else 4, color=color),
            opacity=1 if selected else INDIVIDUAL_OPACITY,
            name=f"{plot_text(group)}: {'selected patients' if selected else 'patients'}",
            legendgroup=str(group),
            showlegend=False,
            hovertext=[plot_text(p) for p in pid],
            hovertemplate=f"Patient %{{hovertext}}{what}<br>{d.unit.capitalize()} %{{x}}: %{{y}}"
            "<extra></extra>",
        ),
        row=row,
        col=col,
    )


MARK_LIFT = "<br>\u00a0"  # one empty line under a mark: lifts it by a line of its own size
MARK_LINE_PX = 31  # the height of one line of the 22 px marks, and a little room


def mark_stack(summary: pd.DataFrame, statistic: Statistic) -> dict:
    """Where the significance marks of one panel go, so that they never overlap: at each visit,
    above the highest bar of any group, one line per significant group (in the groups' order),
    the between-arms † above them. {"top": {month: y}, "line": {(group, month): k},
    "count": {month: number of significant groups}}."""
    s = summary.loc[summary["n"] > 0]
    if s.empty:
        return {"top": {}, "line": {}, "count": {}}
    center, _, high = center_and_bounds(s, statistic)
    reach = pd.Series(np.fmax(high.to_numpy(float), center.to_numpy(float)), index=s.index)
    top = reach.groupby(s["month"]).max().to_dict()
    line: dict = {}
    count: dict = {}
    sig = s.loc[s["p_adjusted"] < ALPHA]
    for r in sig[["group", "month"]].to_dict("records"):
        k = count.get(r["month"], 0)
        line[(r["group"], r["month"])] = k
        count[r["month"]] = k + 1
    return {"top": top, "line": line, "count": count}


def mark_headroom(
    summary: pd.DataFrame, stack: dict, statistic: Statistic, plot_px: float, log: bool, extra=0
) -> float | None:
    """The value the y axis must reach so that every visit's stack of marks (a line each, and
    `extra` lines more, above the visit's highest bar) stays inside a plot of `plot_px`
    pixels; None without marks. (A registry is significant at every visit: the stack above
    the tallest bar ran into the figure's subtitle.)"""
    counts = stack["count"]
    if not counts:
        return None
    _, low, _ = center_and_bounds(summary.loc[summary["n"] > 0], statistic)
    tops = np.array(list(stack["top"].values()), float)
    values = np.append(low.to_numpy(float), tops)
    if log and not (values[~np.isnan(values)] > 0).all():
        return None  # the axis cannot show them anyway
    scale = np.log10 if log else np.asarray
    lowest = float(np.nanmin(scale(values)))
    reach = float(np.nanmax(scale(tops)))
    for month, k in counts.items():
        # the mark's share of the plot's height, over the axis's span from `lowest` up to it
        share = min((k + extra) * MARK_LINE_PX / plot_px, 0.8)
        top = float(scale(stack["top"][month]))
        reach = max(reach, (top - share * lowest) / (1 - share))
    return float(10**reach) if log else reach


def _summary_trace(
    fig,
    s: pd.DataFrame,
    group,
    color: str,
    dodge: float,
    d: _Drawing,
    row,
    col,
    show_legend: bool,
    stack: dict | None = None,
) -> None:
    """The group's summary line with its bars, and * above the visits that differ from
    baseline (after the multiplicity adjustment). A visit with fewer than MIN_PAIRED patients
    is drawn faded, with its bar apart, and never tested."""
    center, low, high = center_and_bounds(s, d.options.statistic)
    s = s.assign(_center=center, _low=low, _high=high)
    labels = d.visit_labels
    hover = [
        _summary_hover(
            r, labels.get(r["month"], str(r["month"])), str(group), d.options.statistic, d.adjust
        )
        for r in s.to_dict("records")
    ]
    sparse = (s["n"] < MIN_PAIRED).to_numpy()
    up, down = (
        (s["_high"] - s["_center"]).to_numpy(float),
        (s["_center"] - s["_low"]).to_numpy(float),
    )
    fig.add_trace(
        go.Scatter(
            x=s["month"] + dodge,
            y=s["_center"],
            mode="lines+markers",
            name=plot_text(group),
            legendgroup=str(group),
            showlegend=show_legend,
            line=dict(color=color, width=3),
            marker=dict(
                size=9,
                opacity=np.where(sparse, FADED, 1.0),
                symbol=np.where(sparse, "circle-open", "circle"),
            ),
            error_y=dict(
                type="data",
                symmetric=False,
                array=np.where(sparse, np.nan, up),
                arrayminus=np.where(sparse, np.nan, down),
                thickness=1.6,
                width=5,
            ),
            hovertext=hover,
            hoverinfo="text",
        ),
        row=row,
        col=col,
    )
    if sparse.any():
        few = s.loc[sparse]
        fig.add_trace(
            go.Scatter(
                x=few["month"] + dodge,
                y=few["_center"],
                mode="markers",
                opacity=FADED,
                name=f"{plot_text(group)}: fewer than {MIN_PAIRED}",
                legendgroup=str(group),
                showlegend=False,
                hoverinfo="skip",
                marker=dict(size=9, color=color),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=up[sparse],
                    arrayminus=down[sparse],
                    thickness=1.2,
                    width=4,
                    color=color,
                ),
            ),
            row=row,
            col=col,
        )
    sig = s.loc[s["p_adjusted"] < ALPHA]
    if len(sig):
        stack = stack or mark_stack(s, d.options.statistic)
        months = sig["month"].tolist()
        fig.add_trace(
            go.Scatter(
                x=sig["month"] + dodge,
                y=[stack["top"].get(m, h) for m, h in zip(months, sig["_high"])],
                mode="text",
                text=["*" + MARK_LIFT * stack["line"].get((group, m), 0) for m in months],
                textposition="top center",
                textfont=dict(size=22, color=color),
                cliponaxis=False,
                showlegend=False,
                legendgroup=str(group),
                hoverinfo="skip",
                name="significance",
            ),
            row=row,
            col=col,
        )


def _add_panel(fig: go.Figure, panel: Panel, d: _Drawing, row, col, show_legend: bool) -> None:
    d = d.of(panel.measure)
    groups = list(pd.unique(panel.summary["group"]))
    dodge = _dodge(groups)
    # the patients' own values are read only when their lines are drawn
    lines = d.options.show_individual or bool(d.options.selected)
    summary = with_model(panel.summary, panel) if d.options.statistic == MODEL else panel.summary
    stack = mark_stack(summary, d.options.statistic)
    log = d.scale == "value" and panel.measure.log_scale
    extra = 1 if len(panel.comparison) else 0  # the between-arms † above the stars
    reach = mark_headroom(summary, stack, d.options.statistic, d.plot_px, log, extra)
    if reach is not None:
        fig.update_yaxes(autorangeoptions=dict(include=[reach]), row=row, col=col)
    for group in groups:
        color = d.colors.get(group, "#444")
        mine = panel.values.loc[panel.values["group"] == group] if lines else None
        if mine is not None and d.options.show_individual:
            drawn = mine if d.drawn is None else mine.loc[mine["patient_id"].isin(d.drawn)]
            _patient_lines(fig, drawn, group, color, d, row, col, selected=False)
        if mine is not None and d.options.selected:
            chosen = mine.loc[mine["patient_id"].astype(str).isin(d.options.selected)]
            _patient_lines(fig, chosen, group, color, d, row, col, selected=True)
        s = summary.loc[(summary["group"] == group) & (summary["n"] > 0)]
        _summary_trace(fig, s, group, color, dodge[group], d, row, col, show_legend, stack)
    if len(panel.comparison):
        _comparison_marks(fig, panel, d, row, col, stack)
    _decorate_axes(fig, panel.measure, d, row, col)


def _comparison_marks(fig, panel: Panel, d: _Drawing, row, col, stack: dict | None = None) -> None:
    """† above the visits where the arms differ (overall F test of the between-arm ANCOVA,
    trial.analysis.compare), with the test, the differences and the LS means in the hover."""
    c = panel.comparison
    overall = c.loc[c["term"] == "overall"]
    sig = overall.loc[overall["p"] < ALPHA]
    if sig.empty:
        return
    # Above what is drawn: the model's estimates when the summary is the model.
    drawn = with_model(panel.summary, panel) if d.options.statistic == MODEL else panel.summary
    center, _, high = center_and_bounds(drawn, d.options.statistic)
    top = pd.Series(high.to_numpy(), index=drawn["month"]).groupby(level=0).max()
    labels = d.visit_labels
    hover = []
    for r in sig.to_dict("records"):
        diffs = c.loc[(c["term"] == "difference") & (c["month"] == r["month"])]
        lines = [
            f"<b>Between arms · {plot_text(labels.get(r['month'], str(r['month'])))}</b>",
            f"ANCOVA F({int(len(diffs))}, {int(r['df'])}) = {r['statistic']:.3g}, "
            f"{format_p(r['p'])} (n = {int(r['n'])})",
        ]
        lines += [
            f"{plot_text(x['group'])} − {plot_text(x['reference'])}: "
            f"{_format(x['estimate'])} [{_format(x['lower'])}, {_format(x['upper'])}], "
            f"{format_p(x['p'])}"
            for x in diffs.to_dict("records")
        ]
        hover.append("<br>".join(lines))
    stack = stack or {"top": {}, "count": {}}
    fig.add_trace(
        go.Scatter(
            x=sig["month"],
            y=[stack["top"].get(m, top.get(m, center.max())) for m in sig["month"]],
            mode="text",
            text=["†" + MARK_LIFT * stack["count"].get(m, 0) for m in sig["month"]],
            cliponaxis=False,
            textposition="top center",
            textfont=dict(size=22, color="#333"),  # the size of the * (one line each)
            showlegend=False,
            hovertext=hover,
            hoverinfo="text",
            name="between arms",
        ),
        row=row,
        col=col,
    )


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


def _decorate_axes(fig, measure: Measure, d: _Drawing, row, col) -> None:
    # Small panels label visits by month number only; month 0 and 1 would collide otherwise.
    months = [v.month for v in d.visits]
    ticktext = (
        _spaced(months, 0.09 if d.dense else 0.0) if d.compact else [v.label for v in d.visits]
    )
    fig.update_xaxes(
        tickvals=months,
        ticktext=ticktext,
        tickangle=0,
        range=[min(months) - 0.6, max(months) + 0.6],
        showgrid=False,
        row=row,
        col=col,
    )
    log = d.scale == "value" and measure.log_scale
    fig.update_yaxes(type="log" if log else "linear", row=row, col=col)


def reference_marks(measure: Measure, scale: str, k: int) -> tuple[list[dict], list[dict]]:
    """The shapes and labels of the k-th panel (1-based): the zero line of a change, else the
    measure's reference range (a band) or lower limit (a dashed line), across the panel."""
    x, y = f"{axis_name('x', k)} domain", axis_name("y", k)
    across = dict(xref=x, x0=0, x1=1, yref=y)
    if scale != "value":
        return [
            dict(type="line", y0=0, y1=0, line=dict(color="#888", width=1, dash="dot"), **across)
        ], []
    if measure.ref_low is None and measure.ref_high is None:
        return [], []
    lo = measure.ref_low if measure.ref_low is not None else (measure.min or 0)
    hi = measure.ref_high
    label = dict(showarrow=False, xref=x, yref=y)
    if hi is None:
        line = dict(color="#2a9d55", width=1, dash="dash")
        return [dict(type="line", y0=lo, y1=lo, line=line, **across)], [
            dict(
                text="lower reference limit", x=1, xanchor="right", y=lo, yanchor="bottom", **label
            )
        ]
    band = dict(type="rect", y0=lo, y1=hi, fillcolor="#2a9d55", opacity=0.08, line=dict(width=0))
    return [{**band, **across}], [
        dict(
            text="reference range",
            x=0,
            xanchor="left",
            y=hi,
            yanchor="top",
            font=dict(size=11, color="#2a7a4a"),
            **label,
        )
    ]


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
    visits = list(panel.measure.visits) or visits
    groups = list(pd.unique(panel.summary["group"]))
    annotations = [
        dict(
            text="<b>n per visit</b>",
            xref="paper",
            yref="paper",
            x=0,
            y=-0.1,
            xanchor="right",
            yanchor="top",
            showarrow=False,
            font=dict(size=12),
        )
    ]
    n = panel.summary.set_index(["group", "month"])["n"]
    for i, group in enumerate(groups):
        y = -0.1 - 0.055 * (i + 1)
        annotations.append(
            dict(
                text=plot_text(short_label(str(group))),
                xref="paper",
                yref="paper",
                x=0,
                y=y,
                xanchor="right",
                yanchor="top",
                showarrow=False,
                font=dict(size=12, color=colors.get(group, "#444")),
            )
        )
        for v in visits:
            annotations.append(
                dict(
                    text=f"{int(n.get((group, v.month), 0)):,}",
                    xref="x",
                    yref="paper",
                    x=v.month,
                    y=y,
                    yanchor="top",
                    showarrow=False,
                    font=dict(size=12),
                )
            )
    return annotations, 70 + 22 * (len(groups) + 1)


# Small multiples: the n per visit under every panel, one line per group (annotations named
# "n-table:<line>", which the slides size and place at their own type: export/slides.py).
N_TABLE = "n-table"
GRID_N_PX = 12  # on screen; slides draw them at theme.SLIDE_TABLE_PX
GRID_N_LINE = 16  # px between the lines of a panel's n table
GRID_TICKS = 22  # px under the axis for its tick labels
GRID_PANEL_PX = 300  # plot height of one panel
GRID_TITLE_PX = 34  # room for a panel's title
GRID_LABEL_CHARS = 9


def axis_name(letter: str, k: int) -> str:
    """ "x", "x2", …: the k-th axis (1-based) as traces and annotations name it."""
    return letter if k == 1 else f"{letter}{k}"


# A month of a small panel is about 30 px wide at 1920 px (12 months in ~360 px) and 20 px on a
# laptop: four digits of GRID_N_PX type fit between two visits a month apart at 1920 px,
# "31,944" runs into its neighbours and into the group's name. Counts of 10,000 and more are
# shown in thousands, in three characters at most below a million.
GRID_N_THOUSANDS = 10_000


def grid_n_unit(panels: list[Panel]) -> int:
    """1, or 1000 when some group has 10,000 patients or more at a visit (in any panel: one
    unit for the whole figure)."""
    largest = max((p.summary["n"].max() for p in panels if len(p.summary)), default=0)
    return 1000 if largest >= GRID_N_THOUSANDS else 1


def grid_n_text(n: int, unit: int) -> str:
    """A small panel's count: "1234" (no separator: four digits fit), or in thousands: "0.4",
    "9.9", "32", "123" (the exact counts are in the numbers behind the figure)."""
    if unit == 1:
        return str(int(n))
    k = n / unit
    return f"{k:.1f}" if round(k, 1) < 10 else f"{k:,.0f}"


def panel_n_annotations(
    panel: Panel, colors: dict, visits: list[Visit], k: int, unit: int = 1
) -> list[dict]:
    """'n' per visit under the k-th panel (1-based), one line per group, aligned with its
    ticks and coloured as its line; the group's short name at the panel's left. `unit`:
    `grid_n_unit` (the header then says "n (1000s)")."""
    visits = list(panel.measure.visits) or visits
    groups = list(pd.unique(panel.summary["group"]))
    n = panel.summary.set_index(["group", "month"])["n"]
    x, y = axis_name("x", k), f"{axis_name('y', k)} domain"

    def at(line: int, **kw) -> dict:
        return dict(
            yref=y,
            y=0,
            yanchor="top",
            yshift=-(GRID_TICKS + line * GRID_N_LINE),
            showarrow=False,
            name=f"{N_TABLE}:{line}",
            **kw,
        )

    header = "<b>n</b>" if unit == 1 else "<b>n (1000s)</b>"
    out = [at(0, text=header, xref=f"{x} domain", x=0, xanchor="right", font=dict(size=GRID_N_PX))]
    for i, group in enumerate(groups, start=1):
        color = colors.get(group, "#444")
        label = plot_text(short_label(str(group), GRID_LABEL_CHARS))
        out.append(
            at(
                i,
                text=label,
                xref=f"{x} domain",
                x=0,
                xanchor="right",
                font=dict(size=GRID_N_PX, color=color),
            )
        )
        for v in visits:
            out.append(
                at(
                    i,
                    text=grid_n_text(n.get((group, v.month), 0), unit),
                    xref=x,
                    x=v.month,
                    font=dict(size=GRID_N_PX, color=color),
                )
            )
    return out


def n_lines(panels: list[Panel]) -> int:
    """Lines of the tallest n table under a panel: its header and one per group."""
    return 1 + max((len(pd.unique(p.summary["group"])) for p in panels), default=0)


def share_y_within_measure(fig: go.Figure, panels: list[Panel], cols: int) -> None:
    """Panels of one measure (centers × responder groups) share the first one's y axis, so
    that their heights compare; panels of different measures keep their own."""
    first: dict[str, int] = {}
    for i, panel in enumerate(panels):
        k = i + 1
        code = panel.measure.code
        if code not in first:
            first[code] = k
        elif first[code] != k:
            fig.update_yaxes(
                matches=axis_name("y", first[code]), row=i // cols + 1, col=i % cols + 1
            )


MAX_INDIVIDUAL_PATIENTS = 500


def individual_sample(panels: list[Panel], limit: int = MAX_INDIVIDUAL_PATIENTS):
    """Patients whose own lines are drawn: all of them, or a reproducible random sample of
    `limit` when there are more (thousands of faint lines say nothing and cost megabytes)."""
    ids = pd.Series(sorted({str(p) for panel in panels for p in panel.values["patient_id"]}))
    if len(ids) <= limit:
        return None, len(ids)
    return set(ids.sample(n=limit, random_state=0)), len(ids)


def grid_gap_px(panels: list[Panel]) -> int:
    """Px between two rows of panels: the tick labels and n table of the upper row, the
    title of the lower one."""
    return GRID_TICKS + GRID_N_LINE * n_lines(panels) + GRID_TITLE_PX


def grid_plot_px(panels: list[Panel], rows: int) -> int:
    """Height of the grid's plotting area (the panels and the gaps between them)."""
    return rows * GRID_PANEL_PX + (rows - 1) * grid_gap_px(panels)


def _grid(panels: list[Panel], rows: int, cols: int) -> go.Figure:
    if len(panels) == 1:
        return go.Figure()
    return make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[plot_text(p.title) for p in panels],
        horizontal_spacing=0.09,
        vertical_spacing=grid_gap_px(panels) / grid_plot_px(panels, rows) if rows > 1 else 0.1,
    )


def with_layout(fig: go.Figure, layout: dict, annotations: list[dict]) -> go.Figure:
    """`fig` with `layout` applied and `annotations` added, the layout set once from plain
    data: adding annotations to a figure in place validates every one again (ten times
    slower)."""
    fig.update_layout(**layout)
    spec = fig.layout.to_plotly_json()
    spec["annotations"] = [*spec.get("annotations", ()), *annotations]
    fig.layout = spec
    return fig


def _layout_single(
    fig: go.Figure, layout: dict, panel: Panel, d: _Drawing, x_title: str, labels: list[dict]
) -> go.Figure:
    """One plot: the n per visit under it, the legend above it for long group names."""
    annotations, bottom = _n_table_annotations(panel, d.colors, list(d.visits))
    groups = list(pd.unique(panel.summary["group"]))
    layout["margin"] = dict(l=label_margin(groups), r=40, t=110, b=bottom)
    if max((len(str(g)) for g in groups), default=0) > LONG_LEGEND_LABEL:
        # Long names (centers) in a legend at the side would squeeze the plot until its
        # visit labels collide: above the plot, two to a row, they leave it the width.
        # (The title says what the groups are: "… by center".)
        legend_rows = math.ceil(len(groups) / 2)
        layout.pop("legend_title_text", None)
        layout["legend"] = dict(
            orientation="h",
            yanchor="bottom",
            y=1.02,
            xanchor="left",
            x=0,
            entrywidth=0.48,
            entrywidthmode="fraction",
            font=dict(size=14),
            title=dict(text=""),
        )
        layout["margin"]["t"] += 26 * legend_rows + 10
        layout["height"] += 26 * legend_rows + 10
        # The title stays at the top (by default it is centred in the grown margin).
        layout["title"] = {
            **layout["title"],
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": dict(t=18),
        }
    layout["height"] = layout["height"] + bottom
    fig.update_yaxes(title_text=y_axis_title(panel.measure, d.scale))
    if d.unit != "month":  # ticks are visit numbers (weeks, days): say so
        fig.update_xaxes(title_text=x_title, title_font=dict(size=12), title_standoff=4)
    return with_layout(fig, layout, labels + annotations)


def trajectory_figure(
    result: TrajectoryResult,
    options: TrajectoryOptions,
    colors: dict,
    visits: list[Visit],
    title: str,
    x_title: str = "Months since first infusion",
    visit_unit: str = "month",
) -> go.Figure:
    """Summary (and optional individual) trajectories, one subplot per panel. `x_title` and
    `visit_unit` say what the visit numbers count (`Study.visit_axis_title`, `.visit_unit`)."""
    panels = list(result.panels)
    if not panels or not any(p.has_values for p in panels):
        return empty_figure(title, "No values for the selected patients and measure.")
    scale = result.request.scale
    cols = 1 if len(panels) == 1 else 2 if len(panels) in (2, 4) else 3
    rows = math.ceil(len(panels) / cols)
    drawn, n_with_values = individual_sample(panels) if options.show_individual else (None, 0)
    d = _Drawing(
        options,
        scale,
        colors,
        tuple(visits),
        visit_unit,
        compact=len(panels) > 1 or visit_unit != "month",
        plot_px=SINGLE_PLOT_PX if len(panels) == 1 else GRID_PANEL_PX,
        dense=len(panels) > 1,
        drawn=frozenset(drawn) if drawn is not None else None,
        adjust=result.request.adjust,
    )
    fig = _grid(panels, rows, cols)
    single = len(panels) == 1  # one plot: no subplot grid (plotly's costs ~5 ms to set up)
    shapes: list[dict] = []
    labels: list[dict] = []
    for i, panel in enumerate(panels):
        row, col = (None, None) if single else (i // cols + 1, i % cols + 1)
        _add_panel(fig, panel, d, row, col, i == 0)
        marks, texts = reference_marks(panel.measure, scale, i + 1)
        shapes += marks
        labels += texts
        if len(panels) > 1 or scale != "value":
            fig.update_yaxes(
                title_text=y_axis_title(panel.measure, scale),
                title_font=dict(size=12),
                row=row,
                col=col,
            )
    shown = MODEL_SHORT if options.statistic == MODEL else STATISTIC_LABELS[options.statistic]
    # Who is analysed: the analysis set where the study defines one (ADaM populations).
    who = result.analysis_set or f"{result.n_patients:,} patients selected"
    within = ", within each group" if result.analysis_set else ""
    # Two lines of about 100 characters: plotly does not wrap a subtitle.
    subtitle = (
        f"{shown} · {who} · faded: fewer than {MIN_PAIRED} patients, not tested"
        f"<br>{marks_text(result)}{within}"
    )
    if result.comparison_model:
        subtitle += f" · † p < {ALPHA} between arms, {result.comparison_model}"
    if options.show_individual and drawn is not None:
        subtitle += (
            f" · individual lines: random sample of {len(drawn):,} of {n_with_values:,} patients"
        )
    legend = "" if result.line_column is None else (result.group_label or "")
    layout = base_layout(
        title=dict(text=plot_text(title), subtitle=dict(text=subtitle), x=0.01),
        height=520 if rows == 1 else 330 * rows + 120,
        legend_title_text=plot_text(legend),
    )
    layout["shapes"] = shapes
    if single:
        return _layout_single(fig, layout, panels[0], d, x_title, labels)
    return _layout_grid(fig, layout, panels, d, rows, cols, x_title, labels)


def _layout_grid(
    fig, layout: dict, panels: list[Panel], d: _Drawing, rows, cols, x_title, labels: list[dict]
) -> go.Figure:
    """Small multiples: y axes shared within a measure, the n per visit under every panel,
    a compact legend on one line above the panels."""
    share_y_within_measure(fig, panels, cols)
    unit = grid_n_unit(panels)
    annotations = [
        a
        for i, panel in enumerate(panels)
        for a in panel_n_annotations(panel, d.colors, list(d.visits), i + 1, unit)
    ]
    bottom = GRID_TICKS + GRID_N_LINE * n_lines(panels) + 40  # the last row's table, x title
    legend_title = layout.pop("legend_title_text", "")
    layout["legend"] = dict(
        orientation="h",
        yanchor="bottom",
        y=1 + GRID_TITLE_PX / grid_plot_px(panels, rows),  # above the first row's titles
        xanchor="left",
        x=0,
        font=dict(size=13),
        itemwidth=30,
        tracegroupgap=0,
        title=dict(text=legend_title, side="left"),
    )
    top = 190  # title, two subtitle lines, the legend's line, the first row's titles
    layout["margin"] = dict(l=80, r=30, t=top, b=bottom)
    layout["height"] = grid_plot_px(panels, rows) + top + bottom
    layout["title"] = {
        **layout["title"],
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": dict(t=34),
    }
    fig.update_xaxes(
        title_text=x_title,
        title_font=dict(size=12),
        title_standoff=GRID_N_LINE * n_lines(panels) + 4,  # under the n table
        row=rows,
    )
    return with_layout(fig, layout, labels + annotations)


def marks_text(result: TrajectoryResult) -> str:
    """What a * means: the test, on whom, and the adjustment across visits."""
    request = result.request
    adjust = (
        "unadjusted"
        if request.adjust == "none"
        else f"{ADJUST_LABELS[request.adjust]}-adjusted across each group's visits"
    )
    observed = " of the observed values" if request.model else ""
    return (
        f"* p < {ALPHA} vs baseline ({adjust}), {TEST_LABELS[request.test]}{observed} on "
        "patients with both values"
    )


def summary_table_rows(
    panels: list[Panel], options: TrajectoryOptions, visits: list[Visit]
) -> list[dict]:
    """The numbers behind the figure: one row per panel, group and visit (the model's
    estimates when the summary is the model)."""
    rows = []
    for panel in panels:
        labels = {v.month: v.label for v in (panel.measure.visits or visits)}
        summary = with_model(panel.summary, panel) if options.statistic == MODEL else panel.summary
        center, low, high = center_and_bounds(summary, options.statistic)
        for r, c, lo, hi in zip(summary.to_dict("records"), center, low, high, strict=True):
            rows.append(
                {
                    "panel": panel.title,
                    "group": str(r["group"]),
                    "visit": labels.get(r["month"], str(r["month"])),
                    "month": int(r["month"]),
                    "n": int(r["n"]),
                    "estimate": _round(c),
                    "lower": _round(lo),
                    "upper": _round(hi),
                    "n_paired": int(r["n_paired"]),
                    "p_vs_baseline": _round(r["p_vs_baseline"], 4),
                    "p_adjusted": _round(r["p_adjusted"], 4),
                    "tested": not bool(r["too_few"]),
                }
            )
    return rows


def _round(x, digits: int = 3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(f"{x:.{digits}g}")


# --- The view: a result as figure, numbers and notes ----------------------------------------------


@dataclass(frozen=True)
class TrajectoryView:
    figure: go.Figure
    rows: list[dict]  # the numbers behind the figure (summary_table_rows)
    notes: list[str]  # what is in the denominators, said below the figure
    title: str


def figure_title(trial: Trial, result: TrajectoryResult) -> str:
    request = result.request
    codes = result.codes
    what = "Key measures" if len(codes) > 1 else trial.study.measure(codes[0]).label
    name = result.group_label or request.group
    name = name if trial.study.source_format == "adam" else name.lower()
    by = "" if request.group == NO_GROUP else f" by {name}"
    scale = "" if request.scale == "value" else f" ({SCALE_LABELS[request.scale].lower()})"
    return f"{what}{scale}{by}"


def method_notes(result: TrajectoryResult, options: TrajectoryOptions) -> list[str]:
    """The small-numbers rule, the multiplicity adjustment and, for the model, its
    assumptions and what it left out."""
    out = [
        f"No test and a faded point where a group has fewer than {MIN_PAIRED} patients at a "
        f"visit (with fewer than {MIN_PAIRED} pairs no Wilcoxon p-value can fall below "
        "0.05, and a t-test rests on an unverifiable normality)."
    ]
    request = result.request
    if request.adjust == "none":
        out.append(
            "* marks are unadjusted: with several visits and groups some will be "
            "significant by chance; choose Holm or Hochberg to adjust across visits."
        )
    else:
        out.append(
            f"* marks: p-values {ADJUST_LABELS[request.adjust]}-adjusted across the "
            "follow-up visits of each group (R p.adjust)."
        )
    if options.statistic == MODEL:
        out.append(
            "Model: "
            + ASSUMPTIONS
            + (
                " Change from baseline: baseline value as a covariate."
                if request.scale == "change"
                else ""
            )
        )
        for panel in result.panels:
            where = "" if len(result.panels) == 1 else f"{panel.title}: "
            out += [where + n for n in panel.model_notes]
    return out


def notes(trial: Trial, codes) -> list[str]:
    """What is in the denominators of the measures shown."""
    out = []
    for code in codes:
        m = trial.study.measure(code)
        if m.population:
            out.append(
                f"{m.label}: only patients with {m.population.replace('_', ' ')} "
                "(the measure's population)."
            )
        if m.unit_assumed:
            out.append(f"{m.label}: unit {m.unit} assumed (not published).")
    out.append(
        "Tests compare each visit with baseline in patients who have both values; "
        "patients without a baseline value are not in the tests."
    )
    return out


def result_colors(result: TrajectoryResult) -> dict:
    """Colours follow the whole trial's levels, so a center keeps its colour whatever the
    filters."""
    present = list(pd.unique(pd.concat([p.summary["group"] for p in result.panels])))
    return group_colors(present, result.line_column, order=list(result.levels))


def trajectory_view(
    trial: Trial, result: TrajectoryResult, options: TrajectoryOptions = TrajectoryOptions()
) -> TrajectoryView:
    """Figure, table rows and notes of one analysis (pure)."""
    codes = result.codes
    title = figure_title(trial, result) if codes else "Trajectories"
    if result.n_patients == 0:
        return TrajectoryView(
            empty_figure(title, "No patients match the filters."), [], notes(trial, codes), title
        )
    if not codes:
        return TrajectoryView(
            empty_figure(title, "This measure is not in the dataset."), [], [], title
        )
    visits = list(trial.study.measure_visits(codes[0]))
    unit = trial.study.measure_visit_unit(codes[0])
    fig = trajectory_figure(
        result,
        options,
        result_colors(result),
        visits,
        title,
        x_title=trial.study.axis_title_for(unit),
        visit_unit=unit,
    )
    said = notes(trial, codes)
    if len(result.panels) > 1 and grid_n_unit(list(result.panels)) > 1:
        said.append(
            "n under the small panels in thousands (1000s: 31,944 is shown as 32, 4,444 as "
            "4.4); the exact counts are in the numbers behind the figure."
        )
    if result.comparison_model:
        said.append(
            f"† Between arms: {COMPARISON_MODEL}; least-squares means at the mean baseline, F "
            "test of arm (hover the † for the differences from the reference arm)."
        )
    return TrajectoryView(
        fig,
        summary_table_rows(list(result.panels), options, visits),
        said + method_notes(result, options),
        title,
    )


def export_name(result: TrajectoryResult) -> str:
    """File-name stem: constants and codes only."""
    request = result.request
    codes = result.codes
    what = "key_measures" if request.measure == KEY_MEASURES else (codes[0] if codes else "measure")
    return what if request.group == NO_GROUP else f"{what}_by_{request.group}"
