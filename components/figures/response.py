"""Pure builders of the Response tab: a `ResponseResult` (trial.analysis.response) in, the
waterfall (one bar per patient: the best % change from baseline, sorted, coloured by group) or
the spider plot (% change at every visit, one line per patient), their table rows and their
notes out.

Every bar and every point carries the patient id as `customdata`: a click opens the patient's
page (components/views/response.py). Beyond `MOST_DRAWN` patients a plot draws those at evenly
spaced ranks of best change and says so (`thinned`); the numbers count everyone. Bars beyond
the axis's cap are drawn to it and labelled with their value, so that one large increase does
not flatten every other bar. No Dash here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from trial.analysis.response import IMPROVEMENT, ResponseResult
from trial.model import Trial

from .text import plot_text
from .theme import base_layout, empty_figure, group_colors

WATERFALL, SPIDER = "waterfall", "spider"
PLOTS = {WATERFALL: "Waterfall (best change)", SPIDER: "Spider (change over time)"}
CAP = 200.0  # % change: the axis stops here; bars beyond it are labelled with their value
MAX_LISTED = 10  # patient ids named in a note
# What a plot draws at most: beyond, the patients at evenly spaced ranks of their best change,
# the first and the last included. 2,000 bars already fill a projector's width (a bar is then
# under a pixel wide) and keep the sorted shape; a spider plot of more lines is a solid mass.
# The figure, the notes and the table say so; the statistics and the export use every patient.
MOST_DRAWN = {WATERFALL: 2_000, SPIDER: 300}


@dataclass(frozen=True)
class ResponseView:
    figure: go.Figure
    rows: list[dict]
    notes: list[str]
    title: str
    result: ResponseResult


def goal(result: ResponseResult) -> str:
    """What the reference line marks: "a 50 % improvement", or "a 50 % decrease" for a
    measure without a direction (no improvement is defined)."""
    word = "improvement" if result.directed else "decrease"
    return f"a {IMPROVEMENT:g} % {word}"


def who(people: str, n: int) -> str:
    return people if n != 1 else people[:-1]


def _pct(x: float) -> str:
    return f"{x:+.1f} %".replace("-", "−")


def _colors(result: ResponseResult) -> dict:
    col = result.request.group.split("+", 1)[-1] if result.group_label else None
    return group_colors(list(result.levels), col, list(result.levels))


def _levels_drawn(result: ResponseResult) -> list[str]:
    present = set(result.best["group"])
    return [lv for lv in result.levels if lv in present]


def _legend_name(result: ResponseResult, level: str) -> str:
    n = int((result.best["group"] == level).sum())
    return f"{plot_text(level)} (n = {n:,})"


def _y_range(values: pd.Series) -> list[float]:
    top = min(CAP, max(20.0, float(values.max()) if len(values) else 20.0))
    return [-105.0, top + 8.0]


def _reference_lines(fig: go.Figure, result: ResponseResult) -> None:
    fig.add_hline(y=0, line=dict(color="#444", width=1.2))
    fig.add_hline(
        y=result.threshold,
        line=dict(color="#444", width=1.2, dash="dash"),
        annotation=dict(
            text=f"{_pct(result.threshold)}: {goal(result)}",
            font=dict(size=13, color="#444"),
        ),
        annotation_position="top left" if result.direction == "higher" else "bottom left",
    )


def drawn_ranks(result: ResponseResult, plot: str = WATERFALL) -> np.ndarray:
    """The positions in `result.best` (sorted by best change) the plot draws: all, or
    `MOST_DRAWN[plot]` evenly spaced ones, the first and the last included."""
    n, most = len(result.best), MOST_DRAWN.get(plot, MOST_DRAWN[WATERFALL])
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def thinned(result: ResponseResult, plot: str, people: str = "patients") -> str:
    """The sentence saying that the plot draws some of the patients, or ""."""
    n, drawn = len(result.best), len(drawn_ranks(result, plot))
    if drawn == n:
        return ""
    what = "bars" if plot == WATERFALL else "lines"
    return (
        f"Plotted: {drawn:,} of the {n:,} {what}, {people} at evenly spaced ranks of best "
        f"change (lowest and highest included); the statistics and the export use all {n:,}"
    )


def _room_for_subtitle(fig: go.Figure, result: ResponseResult, plot: str) -> None:
    """A third subtitle line (`thinned`) needs room above the plot."""
    if thinned(result, plot):
        fig.update_layout(margin=dict(t=134))


def _bar_hover(result: ResponseResult, people: str) -> str:
    unit = plot_text(result.measure.unit) if result.measure else ""
    return (
        f"<b>{people[:-1].capitalize()} %{{customdata[0]}}</b> · %{{customdata[1]}}<br>"
        f"Best change: %{{customdata[2]}} at %{{customdata[3]}}<br>"
        f"Baseline %{{customdata[4]}} → %{{customdata[5]}} {unit}<br>"
        "Value: %{customdata[6]}<br><i>Click: open the page</i><extra></extra>"
    )


def _bar_custom(trial: Trial, result: ResponseResult, rows: pd.DataFrame) -> list[list]:
    code = result.request.measure
    return [
        [
            str(r["patient_id"]),
            plot_text(r["group"]),
            _pct(r["best_pct"]),
            plot_text(trial.study.visit_label(r["best_month"], code)),
            f"{r['baseline']:g}",
            f"{r['best_value']:g}",
            "simulated" if r["simulated"] else "recorded or published",
        ]
        for r in rows.to_dict("records")
    ]


def waterfall_figure(
    trial: Trial, result: ResponseResult, title: str, subtitle: str, people: str = "patients"
) -> go.Figure:
    """One bar per patient (see the module docstring)."""
    if result.empty:
        return empty_figure(title, result.empty)
    best = result.best.assign(x=np.arange(1, len(result.best) + 1))
    best = best.iloc[drawn_ranks(result, WATERFALL)]
    colors = _colors(result)
    fig = go.Figure()
    for level in _levels_drawn(result):
        mine = best.loc[best["group"] == level]
        capped = mine["best_pct"].clip(upper=CAP)
        fig.add_trace(
            go.Bar(
                x=mine["x"],
                y=capped,
                name=_legend_name(result, level),
                marker=dict(color=colors.get(level, "#444"), line=dict(width=0)),
                customdata=_bar_custom(trial, result, mine),
                hovertemplate=_bar_hover(result, people),
                text=[_pct(v) if v > CAP else "" for v in mine["best_pct"]],
                textposition="outside",
                cliponaxis=False,
            )
        )
    _reference_lines(fig, result)
    _layout(fig, result, title, subtitle, best=True)
    fig.update_layout(bargap=0.15, barmode="overlay")
    _room_for_subtitle(fig, result, WATERFALL)
    fig.update_xaxes(
        title_text=f"{people.capitalize()}, ordered by best % change (n = {len(result.best):,})",
        showticklabels=False,
        range=[0.3, len(result.best) + 0.7],
        fixedrange=True,
    )
    return fig


MAX_Y_TITLE_CHARS = 30  # what fits beside the plot's height at the axis title's size


def _layout(
    fig: go.Figure, result: ResponseResult, title: str, subtitle: str, best: bool = False
) -> None:
    label = result.measure.label if result.measure else ""
    fig.update_layout(
        **base_layout(
            title=dict(text=title, subtitle=dict(text=subtitle), x=0.01, xanchor="left"),
            height=600,
            margin=dict(l=80, r=30, t=110, b=120),
            hovermode="closest",
            showlegend=True,
            legend=dict(
                title=dict(text=plot_text(result.group_label or "")),
                orientation="h",
                x=0,
                xanchor="left",
                y=-0.16,
                yanchor="top",
                font=dict(size=14),
            ),
        )
    )
    values = result.best["best_pct"] if len(result.best) else pd.Series(dtype=float)
    if len(result.changes):
        values = pd.concat([values, result.changes["pct_change"]])
    what = f"{'Best % change' if best else '% change'} from baseline"
    named = f"{what}, {plot_text(label)}"
    fig.update_yaxes(
        # the measure is in the title: a longer axis title would run past the plot into the
        # subtitle ("Best % change from baseline, SLEDAI-2K" did, at 1920 x 1080)
        title_text=named if len(named) <= MAX_Y_TITLE_CHARS else what,
        range=_y_range(values),
        ticksuffix=" %",
        zeroline=False,
        gridcolor="#eee",
        fixedrange=True,
    )


def _spider_trace(
    trial: Trial, result: ResponseResult, level: str, color: str, people: str, drawn: pd.Series
) -> go.Scatter:
    """One trace per group: each patient's line from (baseline, 0 %) through its visits, the
    lines separated by gaps; every point carries its patient id."""
    xs: list = []
    ys: list = []
    custom: list = []
    code = result.request.measure
    changes = result.changes
    mine = changes.loc[(changes["group"] == level) & changes["patient_id"].isin(drawn)]
    for pid, rows in mine.groupby("patient_id", sort=True):
        xs += [0.0, *rows["month"].astype(float), None]
        ys += [0.0, *rows["pct_change"].clip(upper=CAP), None]
        labels = [trial.study.visit_label(m, code) for m in rows["month"]]
        custom += [[str(pid), "baseline", _pct(0.0)]]
        custom += [[str(pid), plot_text(v), _pct(p)] for v, p in zip(labels, rows["pct_change"])]
        custom += [[str(pid), "", ""]]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name=_legend_name(result, level),
        line=dict(color=color, width=1.6),
        marker=dict(color=color, size=6),
        opacity=0.85,
        customdata=custom,
        hovertemplate=f"<b>{people[:-1].capitalize()} %{{customdata[0]}}</b> · "
        "%{customdata[1]}: %{customdata[2]}"
        "<br><i>Click: open the page</i><extra></extra>",
        connectgaps=False,
    )


def spider_figure(
    trial: Trial, result: ResponseResult, title: str, subtitle: str, people: str = "patients"
) -> go.Figure:
    """% change from baseline at every visit, one line per patient, coloured by group."""
    if result.empty:
        return empty_figure(title, result.empty)
    colors = _colors(result)
    drawn = result.best["patient_id"].iloc[drawn_ranks(result, SPIDER)]
    fig = go.Figure(
        [
            _spider_trace(trial, result, lv, colors.get(lv, "#444"), people, drawn)
            for lv in _levels_drawn(result)
        ]
    )
    _reference_lines(fig, result)
    _layout(fig, result, title, subtitle)
    _room_for_subtitle(fig, result, SPIDER)
    unit = trial.study.measure_visit_unit(result.request.measure)
    months = sorted({0.0, *result.changes["month"].astype(float)})
    fig.update_xaxes(
        title_text=trial.study.axis_title_for(unit),
        tickvals=months,
        ticktext=[plot_text(trial.study.visit_label(m, result.request.measure)) for m in months],
        gridcolor="#eee",
        fixedrange=True,
    )
    return fig


# --- Titles, rows, notes ------------------------------------------------------------------------


def figure_title(result: ResponseResult, plot: str, people: str = "patients") -> str:
    label = result.measure.label if result.measure else "Response"
    if plot == SPIDER:
        return f"{label}: % change from baseline over time, by {people[:-1]}"
    return f"{label}: best % change from baseline, by {people[:-1]}"


def figure_subtitle(
    result: ResponseResult, selection: str, people: str = "patients", plot: str = WATERFALL
) -> str:
    drawn = len(result.best)
    missing = result.n_patients - drawn
    left = f" · {missing:,} not drawn (see the notes)" if missing else ""
    some = thinned(result, plot, people)
    return (
        f"{drawn:,} of {result.n_patients:,} {people} drawn{left} · Selection: "
        f"{plot_text(selection)}<br>{_second_line(result, plot, people)}"
        + (f"<br>{some}" if some else "")
    )


def _second_line(result: ResponseResult, plot: str, people: str) -> str:
    if plot == SPIDER:
        one = people[:-1]
        return f"One line per {one}, from baseline (0 %) · click a line to open the {one}"
    return f"{direction_text(result)} · click a bar to open the {people[:-1]}"


def direction_text(result: ResponseResult) -> str:
    label = result.measure.label if result.measure else "the measure"
    if result.measure is not None and result.measure.better == "none":
        return f"Best: the lowest % change over follow-up ({label} has no stated direction)"
    word = "lowest" if result.direction == "lower" else "highest"
    return f"Best: the {word} % change over follow-up ({result.direction} {label} is better)"


def table_rows(trial: Trial, result: ResponseResult, positions=None) -> list[dict]:
    """The numbers behind the waterfall: one row per patient, in the bars' order (those at
    `positions` of `result.best` only, when given)."""
    best = result.best if positions is None else result.best.iloc[positions]
    code = result.request.measure
    unit = result.measure.unit if result.measure else ""
    group = result.group_label or "Group"
    # one label per visit, not per row (100,000 rows at registry scale)
    at = {m: trial.study.visit_label(m, code) for m in best["best_month"].unique()}
    return [
        {
            "Patient": str(r["patient_id"]),
            group: r["group"],
            f"Baseline ({unit})": round(float(r["baseline"]), 3),
            f"Best value ({unit})": round(float(r["best_value"]), 3),
            "Best % change": round(float(r["best_pct"]), 1),
            "At": at.get(r["best_month"]) or trial.study.visit_label(r["best_month"], code),
            "Post-baseline visits": int(r["n_post"]),
            f"Reached {goal(result)[2:]}": "yes" if r["improved"] else "no",
            "Best value is": "simulated" if r["simulated"] else "recorded or published",
        }
        for r in best.to_dict("records")
    ]


def _ids(pids: tuple[str, ...]) -> str:
    shown = ", ".join(pids[:MAX_LISTED])
    return shown + (f" and {len(pids) - MAX_LISTED} more" if len(pids) > MAX_LISTED else "")


def group_points(result: ResponseResult, people: str = "patients") -> list[str]:
    """Each group's median best change and how many reached the reference line, as sentences."""
    out = []
    for r in result.by_group.to_dict("records"):
        name = f"All {people}" if r["group"] == "All" else str(r["group"])
        out.append(
            f"{name}: median best change {_pct(r['median_best_pct'])}; {r['improved']:,} of "
            f"{r['n']:,} "
            f"reached {goal(result)}."
        )
    return out


def drawn_sentence(result: ResponseResult, people: str = "patients") -> str:
    return (
        f"{len(result.best):,} of {result.n_patients:,} {people} have a baseline and a "
        "post-baseline value and are drawn."
    )


def response_notes(result: ResponseResult, people: str = "patients") -> list[str]:
    """Who is drawn and who is not, the groups, the reference line, the cap, provenance."""
    if result.measure is None:
        return [result.empty]
    out = [drawn_sentence(result, people)]
    if result.no_post:
        out.append(
            f"{len(result.no_post)} with a baseline but no post-baseline value, not drawn "
            f"({who(people, len(result.no_post))} {_ids(result.no_post)})."
        )
    if result.no_baseline:
        out.append(
            f"{len(result.no_baseline)} without a usable baseline (none recorded, or zero: no "
            f"% change), not drawn ({people} {_ids(result.no_baseline)})."
        )
    out += group_points(result, people)
    out.append(direction_text(result) + "; ties: the first visit.")
    out.append(
        f"Dashed line: {goal(result)} from baseline, drawn for reference; "
        "it is not the trial's response criterion."
    )
    over = int((result.best["best_pct"] > CAP).sum()) if len(result.best) else 0
    if over:
        out.append(
            f"{over} bars above {CAP:g} % are cut at the axis and labelled with their value."
        )
    points = int((result.changes["pct_change"] > CAP).sum()) if len(result.changes) else 0
    if points:
        out.append(
            f"In the spider plot, {points} values above {CAP:g} % are drawn at {CAP:g} % "
            "(the hover gives the value)."
        )
    simulated = int(result.best["simulated"].sum()) if len(result.best) else 0
    if simulated:
        out.append(f"{simulated} of {len(result.best)} best values are simulated (demo data).")
    return out


def response_view(
    trial: Trial,
    result: ResponseResult,
    plot: str,
    selection: str,
    people: str = "patients",
    every_row: bool = True,
) -> ResponseView:
    """Figure, rows and notes of the waterfall or the spider plot (pure); the rows of every
    patient drawn (an export), or of those plotted only (`every_row=False`: the screen)."""
    plot = plot if plot in PLOTS else WATERFALL
    title = figure_title(result, plot, people)
    subtitle = figure_subtitle(result, selection, people, plot)
    build = spider_figure if plot == SPIDER else waterfall_figure
    fig = build(trial, result, plot_text(title), subtitle, people)
    some = thinned(result, plot, people)
    notes = response_notes(result, people) + ([some + "."] if some else [])
    rows = table_rows(trial, result, None if every_row else drawn_ranks(result, plot))
    return ResponseView(fig, rows, notes, title, result)


def export_name(result: ResponseResult, plot: str) -> str:
    """File-name stem: constants and codes only."""
    kind = plot if plot in PLOTS else WATERFALL
    code = "".join(c if c.isalnum() else "_" for c in result.request.measure)[:40]
    return f"{kind}_{code}"
