"""Pure builder of the forest plot: a `ForestResult` (trial.analysis.subgroups) in, the figure,
its table rows and its notes out.

One line per subgroup level (and compared arm) under a bold line per subgroup variable: the
text columns (subgroup, n, events) left of the plot, the estimate with its 95 % CI as a square
(area by n) and a bar, a vertical line at no effect (or, for a single arm, at the all-patients
estimate), and the estimate and p (or the median) right of it. Each level's line carries its
subgroup column and level in `customdata`: a click anywhere on the line filters the dashboard
to it (components/views/effects.py). No Dash here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from trial.analysis import display
from trial.analysis.display import format_p
from trial.analysis.records import records
from trial.analysis.subgroups import ALL, RESPONSE, ForestResult
from trial.analysis.survival import default_unit, endpoint_for
from trial.model import Trial

from .text import plot_text
from .theme import OKABE_ITO, base_layout, empty_figure

ROW_PX, TOP_PX, BOTTOM_PX = 27, 150, 120
# Where the text columns and the plot sit (paper x); a median column leaves the plot less room.
PLACES = {
    False: {
        "label": 0.0,
        "n": 0.33,
        "events": 0.405,
        "plot": (0.43, 0.70),
        "estimate": 0.72,
        "extra": 0.985,
    },
    True: {
        "label": 0.0,
        "n": 0.30,
        "events": 0.37,
        "plot": (0.40, 0.62),
        "estimate": 0.64,
        "extra": 0.985,
    },
}
LOG_RANGE = (0.01, 100.0)
MAX_LABEL = 46
KIND_TITLES = {
    "hr": "Hazard ratio",
    "or": "Odds ratio of response",
    "rd": "Difference in response rate",
    "event_rate": "Event rate",
    "rate": "Response rate",
}
INK, MUTED, SINGLE = "#222222", "#666666", "#0072B2"


# --- Text of the numbers -------------------------------------------------------------------


def _ratio(x) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.3g}"


def _pct(x, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def estimate_text(kind: str, row: dict) -> str:
    """E.g. "5.03 (3.18–7.94)", "60.0 % (43.3–75.1)", "+12.5 (−10.2 to 35.1) pp"."""
    est, lo, hi = row.get("estimate"), row.get("lower"), row.get("upper")
    if not row.get("estimable") or est is None or not np.isfinite(est):
        return "not estimable"
    if kind in ("hr", "or"):
        return f"{_ratio(est)} ({_ratio(lo)}–{_ratio(hi)})"
    if kind == "rd":
        return f"{_pct(est, True)} ({_pct(lo, True)} to {_pct(hi, True)}) pp"
    return f"{_pct(est)} % ({_pct(lo)}–{_pct(hi)})"


def p_text(p) -> str:
    return format_p(p, missing="", bare=True)


def test_text(test: dict | None) -> str:
    """The subgroup's test, short: "interaction p = 0.123" or "log-rank p = 0.186"."""
    if not test:
        return ""
    name = "log-rank" if test["test"].startswith("log-rank") else "interaction"
    p = p_text(test.get("p"))
    if not p:
        return f"{name}: not computable"
    return f"{name} p {p}" if p.startswith("<") else f"{name} p = {p}"


def first_sentence(text: str) -> str:
    return str(text).split(". ")[0].split(": Convergence")[0].rstrip(".") + "." if text else ""


# --- What the columns and the axis say ---------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    events: str  # "Deaths", "Events", "Responders"
    estimate: str  # "HR (95 % CI)"
    extra: str  # "p" or "Median, months (95 % CI)" or ""
    axis: str  # the x-axis title
    unit: str = "months"


def columns(trial: Trial, result: ForestResult) -> Columns:
    kind = result.kind
    if result.request.outcome == RESPONSE:
        events = "Responders"
        unit = "months"
    else:
        ep = endpoint_for(trial, result.request.outcome)
        events = ep.event_word.capitalize()
        unit = default_unit(result.request.outcome)
    estimate = {
        "hr": "HR (95 % CI)",
        "or": "OR (95 % CI)",
        "rd": "Difference (95 % CI)",
        "event_rate": "Event rate (95 % CI)",
        "rate": "Rate (95 % CI)",
    }[kind]
    extra = (
        "p"
        if result.compared and kind != "rd"
        else f"Median, {unit} (95 % CI)"
        if kind == "event_rate"
        else ""
    )
    ref = result.reference
    axis = {
        "hr": f"Hazard ratio vs {ref} (log scale)",
        "or": f"Odds ratio of response vs {ref} (log scale)",
        "rd": f"Difference in response rate vs {ref}, percentage points",
        "event_rate": "Crude event rate (events / n), exact 95 % CI",
        "rate": "Response rate, exact 95 % CI",
    }[kind]
    return Columns(events, estimate, extra, axis, unit)


def median_text(row: dict, unit: str) -> str:
    """ "not reached" (median and CI limits), else e.g. "8.2 (5.1–not reached)"."""
    median, lower, upper = (row.get(k) for k in ("median", "median_lower", "median_upper"))
    digits = 1 if unit == "months" else 0
    return display.format_median(median, lower, upper, unit, digits, short=True)


def extra_text(kind: str, row: dict, unit: str) -> str:
    if kind == "event_rate":
        return median_text(row, unit)
    if kind in ("hr", "or"):
        return p_text(row.get("p"))
    return ""


# --- Lines of the plot -----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of the forest: a subgroup header (row None) or a level (and arm)."""

    y: float
    label: str
    header: bool
    row: dict | None = None
    test: str = ""


def _short(text: str, limit: int = MAX_LABEL) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def forest_lines(result: ForestResult) -> list[Line]:
    """The lines top to bottom: all patients, then per subgroup its header and its levels."""
    rows = records(result.rows)
    tests = {t["subgroup"]: t for t in records(result.tests)} if len(result.tests) else {}
    lines: list[Line] = []
    y = 0.0
    seen: set = set()
    for r in rows:
        sub = r["subgroup"]
        if sub != ALL and sub not in seen:
            seen.add(sub)
            y -= 1.25 if lines else 1
            lines.append(Line(y, r["subgroup_label"], True, None, test_text(tests.get(sub))))
        y -= 1
        first_of_level = (
            not lines
            or lines[-1].header
            or lines[-1].row is None
            or lines[-1].row["level"] != r["level"]
            or lines[-1].row["subgroup"] != sub
        )
        label = r.get("level_label", r["level"]) if first_of_level else ""
        lines.append(Line(y, label, False, r))
    return lines


def compared_arms(result: ForestResult) -> list[str]:
    return [a for a in dict.fromkeys(result.rows["arm"]) if a] if len(result.rows) else []


def arm_colors(result: ForestResult) -> dict[str, str]:
    """A colour per compared arm (one arm, or none: one colour)."""
    arms = compared_arms(result)
    if len(arms) <= 1:
        return {a: SINGLE for a in arms or [""]}
    return {a: OKABE_ITO[i % len(OKABE_ITO)] for i, a in enumerate(arms)}


def _x_range(result: ForestResult, log: bool) -> list[float]:
    est = result.rows.loc[result.rows["estimable"].astype(bool)]
    values = pd.concat([est["lower"], est["upper"], est["estimate"]]).astype(float)
    values = values[np.isfinite(values)]
    if log:
        values = values[values > 0]
        lo = max(LOG_RANGE[0], float(values.min()) if len(values) else 0.5)
        hi = min(LOG_RANGE[1], float(values.max()) if len(values) else 2.0)
        lo, hi = min(lo, 0.5), max(hi, 2.0)
        return [math.log10(lo) - 0.08, math.log10(hi) + 0.08]
    if result.kind == "rd":
        span = max(0.25, float(values.abs().max()) if len(values) else 0.25)
        return [-span * 1.05, span * 1.05]
    top = float(values.max()) if len(values) else 1.0
    return [-0.02, min(1.02, top + 0.06)]


def _hover(line: Line, result: ForestResult, cols: Columns) -> str:
    r = line.row or {}
    what = plot_text(r.get("level_label", r.get("level", "")))
    if r.get("arm"):
        what += f" · {plot_text(r['arm'])} vs {plot_text(r['reference'])}"
    counts = f"n = {r.get('n')} · {cols.events.lower()}: {r.get('events')}"
    if r.get("n_arm") is not None and r.get("arm"):
        counts += f" ({plot_text(r['arm'])}: {r['events_arm']} of {r['n_arm']})"
    note = f"<br>{plot_text(first_sentence(r['note']))}" if r.get("note") else ""
    click = (
        "<br><i>Click: filter the dashboard to this subgroup</i>"
        if r.get("subgroup") != ALL
        else ""
    )
    return (
        f"<b>{what}</b><br>{counts}<br>{cols.estimate}: "
        f"{estimate_text(result.kind, r)}{note}{click}"
    )


def _add_points(fig: go.Figure, result: ForestResult, lines: list[Line], log: bool) -> None:
    colors = arm_colors(result)
    rows = [(ln.y, ln.row) for ln in lines if ln.row is not None]
    n_max = max([r["n"] or 0 for _, r in rows] + [1])
    for arm, color in colors.items():
        mine = [
            (y, r)
            for y, r in rows
            if (r["arm"] or "") == arm
            and r["estimable"]
            and np.isfinite(r["estimate"] if r["estimate"] is not None else np.nan)
        ]
        if not mine:
            continue
        est = np.array([r["estimate"] for _, r in mine], np.float64)
        lo = np.array(
            [r["lower"] if r["lower"] is not None else np.nan for _, r in mine], np.float64
        )
        hi = np.array(
            [r["upper"] if r["upper"] is not None else np.nan for _, r in mine], np.float64
        )
        if log:
            lo, hi = np.clip(lo, LOG_RANGE[0], None), np.clip(hi, None, LOG_RANGE[1])
        sizes = [8 + 10 * math.sqrt((r["n"] or 0) / n_max) for _, r in mine]
        name = f"{arm} vs {result.reference}" if arm else "Estimate"
        fig.add_trace(
            go.Scatter(
                x=est,
                y=[y for y, _ in mine],
                mode="markers",
                name=plot_text(name),
                showlegend=len(colors) > 1,
                hoverinfo="skip",
                marker=dict(
                    symbol=["diamond" if r["subgroup"] == ALL else "square" for _, r in mine],
                    size=sizes,
                    color=color,
                    line=dict(width=0),
                ),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=hi - est,
                    arrayminus=est - lo,
                    thickness=2,
                    width=0,
                    color=color,
                ),
            )
        )


def _add_hit_trace(
    fig: go.Figure, result: ForestResult, lines: list[Line], cols: Columns, x: float
) -> None:
    """An invisible point on every level line, so that hovering or clicking anywhere on the
    line (hovermode "y") reaches it; its customdata is [subgroup column, level]."""
    rows = [(ln, ln.row) for ln in lines if ln.row is not None]
    fig.add_trace(
        go.Scatter(
            x=[x] * len(rows),
            y=[ln.y for ln, _ in rows],
            mode="markers",
            name="rows",
            showlegend=False,
            marker=dict(size=18, opacity=0),
            customdata=[[r["subgroup"], r["level"]] for _, r in rows],
            hovertext=[_hover(ln, result, cols) for ln, _ in rows],
            hoverinfo="text",
        )
    )


def places(result: ForestResult) -> dict:
    return PLACES[result.kind == "event_rate"]


def _text(
    x: float, y: float, text: str, *, bold=False, anchor="left", color=INK, size=14, yref="y"
) -> dict:
    return dict(
        x=x,
        y=y,
        xref="paper",
        yref=yref,
        text=f"<b>{text}</b>" if bold else text,
        showarrow=False,
        xanchor=anchor,
        yanchor="middle",
        font=dict(size=size, color=color),
    )


def _annotations(result: ForestResult, lines: list[Line], cols: Columns) -> list[dict]:
    top = 0.15
    at = places(result)
    out = [
        _text(at["label"], top, "Subgroup", bold=True),
        _text(at["n"], top, "n", bold=True, anchor="right"),
        _text(at["events"], top, cols.events, bold=True, anchor="right"),
        _text(at["estimate"], top, cols.estimate, bold=True),
    ]
    if cols.extra:
        out.append(_text(at["extra"], top, cols.extra, bold=True, anchor="right"))
    for ln in lines:
        if ln.header:
            out.append(_text(at["label"], ln.y, plot_text(_short(ln.label, 48)), bold=True))
            if ln.test:
                out.append(_text(at["estimate"], ln.y, ln.test, color=MUTED, size=13))
            continue
        r = ln.row or {}
        whole = r.get("subgroup") == ALL
        indent = "" if whole else "   "
        out.append(_text(at["label"], ln.y, indent + plot_text(_short(ln.label)), bold=whole))
        out += [
            _text(at["n"], ln.y, str(r.get("n", "")), anchor="right"),
            _text(at["events"], ln.y, str(r.get("events", "")), anchor="right"),
            _text(
                at["estimate"],
                ln.y,
                estimate_text(result.kind, r),
                color=INK if r.get("estimable") else MUTED,
            ),
        ]
        extra = extra_text(result.kind, r, cols.unit)
        if extra:
            out.append(_text(at["extra"], ln.y, extra, anchor="right", size=13))
    return out


def _direction(result: ForestResult, log: bool) -> list[dict]:
    """ "← fewer events with X | more events with X →" under the axis of an effect."""
    if not result.compared or result.null is None:  # None only for an empty result
        return []
    better = (
        "lower hazard"
        if result.kind == "hr"
        else "lower odds of response"
        if result.kind == "or"
        else "lower response rate"
    )
    worse = better.replace("lower", "higher")
    ref = plot_text(result.reference)
    null = math.log10(result.null) if log else result.null
    common = dict(
        xref="x", yref="paper", y=0, yshift=-42, showarrow=False, font=dict(size=12, color=MUTED)
    )
    return [
        dict(x=null, text=f"← {better} than {ref}  ", xanchor="right", **common),
        dict(x=null, text=f"  {worse} than {ref} →", xanchor="left", **common),
    ]


def forest_figure(trial: Trial, result: ForestResult, title: str, subtitle: str) -> go.Figure:
    """The forest plot of a result (see the module docstring)."""
    if result.empty or result.rows.empty:
        return empty_figure(title, result.empty or "No subgroup to show.")
    cols = columns(trial, result)
    lines = forest_lines(result)
    log = result.kind in ("hr", "or")
    fig = go.Figure()
    _add_points(fig, result, lines, log)
    null = result.null if result.null is not None else 0.0
    _add_hit_trace(fig, result, lines, cols, null)
    bottom = min(ln.y for ln in lines)
    fig.add_shape(
        type="line",
        xref="x",
        yref="y",
        x0=null,
        x1=null,
        y0=bottom - 0.6,
        y1=0.4,
        line=dict(
            color="#444" if result.compared else "#999",
            width=1.2,
            dash="solid" if result.compared else "dash",
        ),
    )
    legend = len(compared_arms(result)) > 1
    top = TOP_PX if legend else TOP_PX - 25
    height = top + BOTTOM_PX + ROW_PX * int(math.ceil(-bottom + 2))
    fig.update_layout(
        **base_layout(
            title=dict(
                text=title,
                subtitle=dict(text=subtitle),
                x=0.01,
                xanchor="left",
                yref="container",
                y=1 - 30 / height,
                yanchor="top",
                font=dict(size=19),
            ),
            height=height,
            margin=dict(l=24, r=24, t=top, b=BOTTOM_PX),
            hovermode="y",
            showlegend=legend,
            legend=dict(
                orientation="h",
                x=places(result)["plot"][0],
                xanchor="left",
                y=1.0,
                yanchor="bottom",
                font=dict(size=13),
            ),
            annotations=_annotations(result, lines, cols) + _direction(result, log),
        )
    )
    fig.update_xaxes(
        domain=list(places(result)["plot"]),
        type="log" if log else "linear",
        range=_x_range(result, log),
        title_text=cols.axis,
        zeroline=False,
        title_standoff=34,
        showgrid=True,
        gridcolor="#eee",
        ticks="outside",
        tickformat=".0%" if result.kind in ("rate", "event_rate") else None,
        tickvals=[0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50] if log else None,
        ticktext=["0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50"] if log else None,
        fixedrange=True,
    )
    if not result.compared:  # say what the dashed line is
        fig.add_annotation(
            x=null,
            y=0.55,
            xref="x",
            yref="y",
            showarrow=False,
            yanchor="bottom",
            text=f"all patients: {_pct(null)} %",
            font=dict(size=12, color=MUTED),
        )
    if result.kind == "rd":
        fig.update_xaxes(tickformat="+.0%")
    fig.update_yaxes(visible=False, range=[bottom - 0.8, 1.4], fixedrange=True)
    return fig


# --- Title, rows, notes -------------------------------------------------------------------


def figure_title(result: ForestResult) -> str:
    what = KIND_TITLES[result.kind]
    if result.compared:
        return f"{result.outcome_label}: {what.lower()} by subgroup"
    return f"{result.outcome_label}: {what.lower()} by subgroup (single arm)"


def method_text(result: ForestResult) -> str:
    return {
        "hr": "Cox PH (Efron ties) in each subgroup, Wald 95 % CI; interaction: "
        "likelihood-ratio test of arm × subgroup",
        "or": "logistic regression in each subgroup, Wald 95 % CI; interaction: "
        "likelihood-ratio test of arm × subgroup",
        "rd": "Newcombe hybrid-score 95 % CI; interaction: likelihood-ratio test of "
        "arm × subgroup (logistic)",
        "event_rate": "events / n with exact (Clopper-Pearson) 95 % CI, Kaplan-Meier "
        "median; log-rank across the levels (descriptive)",
        "rate": "responders / n with exact (Clopper-Pearson) 95 % CI",
    }[result.kind]


def figure_subtitle(result: ForestResult, selection: str, people: str = "patients") -> str:
    """The comparison and the method, then n, the selection and what a click does."""
    arms = compared_arms(result)
    head = (
        f"{' and '.join(plot_text(a) for a in arms)} vs {plot_text(result.reference)} · "
        if arms
        else ""
    )
    return (
        f"{head}{method_text(result)}<br>{result.n_patients} {people} · "
        f"Selection: {plot_text(selection)} · click a line to filter the dashboard to "
        "that subgroup"
    )


def table_rows(trial: Trial, result: ForestResult) -> list[dict]:
    """The numbers behind the figure, as display rows (one per line of the forest)."""
    cols = columns(trial, result)
    tests = {t["subgroup"]: t for t in records(result.tests)} if len(result.tests) else {}
    out = []
    for r in records(result.rows):
        row = {"Subgroup": r["subgroup_label"], "Level": r.get("level_label", r["level"])}
        if result.compared:
            row["Comparison"] = f"{r['arm']} vs {r['reference']}"
        row.update(
            {"n": r["n"], cols.events: r["events"], cols.estimate: estimate_text(result.kind, r)}
        )
        if cols.extra:
            row[cols.extra] = extra_text(result.kind, r, cols.unit)
        row["Test of the subgroup"] = test_text(tests.get(r["subgroup"]))
        row["Note"] = first_sentence(r["note"]) if r.get("note") else ""
        out.append(row)
    return out


def forest_notes(result: ForestResult, unfilterable: list[str]) -> list[str]:
    """What the reader needs: the warnings, what was left out, the limits of a click."""
    out = list(result.warnings)
    if result.kind == "event_rate":
        out.append(
            "Single arm: each subgroup's crude event rate (events / n, not allowing for "
            "censoring) and Kaplan-Meier median; the log-rank test across levels is "
            "descriptive (subgroups are not randomised)."
        )
    if result.kind == "rate":
        out.append(
            "Single arm: each subgroup's response rate; no comparison between subgroups is tested."
        )
    if result.compared:
        out.append(
            "Subgroup effects are exploratory: read the interaction test, not whether "
            "a subgroup's own CI crosses the line of no effect."
        )
    out += [first_sentence(m) for m in result.messages]
    if unfilterable:
        out.append(
            "A click on a line of " + ", ".join(unfilterable) + " cannot filter the "
            "dashboard: the sidebar has no filter for that column."
        )
    return out


@dataclass(frozen=True)
class ForestView:
    figure: go.Figure
    rows: list[dict]
    notes: list[str]
    title: str
    result: ForestResult


def forest_view(
    trial: Trial,
    result: ForestResult,
    selection: str,
    unfilterable: Sequence[str] = (),
    people: str = "patients",
) -> ForestView:
    """Figure, table rows and notes of one forest (pure)."""
    title = figure_title(result) if not result.empty else f"{result.outcome_label} by subgroup"
    fig = forest_figure(trial, result, plot_text(title), figure_subtitle(result, selection, people))
    rows = table_rows(trial, result) if not result.empty else []
    return ForestView(fig, rows, forest_notes(result, list(unfilterable)), title, result)


def export_name(result: ForestResult) -> str:
    """File-name stem: constants and codes only."""
    outcome = result.request.outcome.replace("tte:", "")
    return f"forest_{outcome}"
