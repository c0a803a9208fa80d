"""One patient's case narrative as one figure (pure): the event timeline of the patient page
(top left), the key measures over the visits against the patient's baseline value (dotted; small
multiples, bottom left), and the patient's events and adverse events listed (right).

    narrative_figure(trial, record, changes)   # changes: trial.analysis.patients.baseline_changes

The pieces are the patient page's builders (figures/patient.py); the figure's layout here is
for a screen or the HTML report, and export/slides.py lays it out again for a slide (it knows
the figure by `layout.meta`, NARRATIVE_META). Markers keep the page's provenance styles (filled
= published or recorded, open = simulated).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from trial.analysis.patients import PatientRecord, number, provenance
from trial.model import Trial

from .patient import (
    OUT_OF_RANGE_COLOR,
    PROVENANCE_SYMBOL,
    SEX_LABELS,
    event_rows,
    out_of_range,
    reference_band,
    sparse_labels,
    tick_texts,
    timeline_figure,
    timeline_of,
    value_traces,
)
from .text import plot_text
from .theme import base_layout

NARRATIVE_META = {"view": "narrative"}
EVENTS_NAME = "narrative-events"  # the annotation listing the events
PANEL_NAME = "narrative-panel"  # the title annotation of a measure's panel
MAX_PANELS = 4  # key measures drawn, two by two (all are in the notes)
MAX_LISTED = 40  # events listed on the figure (a slide shows those that fit; all in the notes)
LABELLED = frozenset({"response", "relapse", "death"})  # adverse events: listed, not labelled
LEFT = 0.55  # the timeline's and the events' share of the width; the measures on the right
MORE = "… and {} more (in the speaker notes)"
BASELINE_COLOR = "#555555"
MINUS = "\u2212"


def is_narrative(fig: go.Figure) -> bool:
    meta = fig.layout.meta
    return isinstance(meta, dict) and meta.get("view") == NARRATIVE_META["view"]


def signed(x: float, digits: int = 0) -> str:
    """+12 / −71 (a real minus sign)."""
    return f"{x:+.{digits}f}".replace("-", MINUS)


def value_text(x: float) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.3g}"


def change_text(row: dict, unit: str = "") -> str:
    """ "14 → 4 (−71 %)", "66 → 63 µmol/L (−5 %)", "14 → 4" (zero baseline), "baseline 14,
    no later value", …"""
    base, last, pct = row["baseline"], row["last"], row["pct_change"]
    unit = f" {unit}" if unit else ""
    if not math.isfinite(base):
        return "no baseline value" if math.isfinite(last) else "no values"
    if not math.isfinite(last):
        return f"baseline {value_text(base)}{unit}, no later value"
    tail = f" ({signed(pct)} %)" if math.isfinite(pct) else ""
    return f"{value_text(base)} → {value_text(last)}{unit}{tail}"


SERIOUSNESS = ("AE", "SAE")  # the events' severity column says whether an AE was serious


def event_line(r: dict) -> str:
    """One listed event: "● Day 276 · Response: MCR", "○ Day 12 · SAE: Pneumonia" (open
    circle: a simulated value)."""
    mark = "○" if r["provenance"] == "simulated" else "●"
    serious = r["severity"] == "SAE"
    event = ("SAE" if serious else "AE") if r["event"] == "Adverse event" else r["event"]
    what = event + (f": {r['term']}" if r["term"] and r["term"] != r["event"] else "")
    shown = r["severity"] and r["severity"] not in SERIOUSNESS and r["event"] != "Response"
    severity = f" ({r['severity']})" if shown else ""
    day = "day ?" if r["day"] is None else f"Day {r['day']}"
    late = " — after recorded death" if r["note"] else ""
    return f"{mark} {day} · {what}{severity}{late}"


def event_lines(record: PatientRecord, limit: int = MAX_LISTED) -> list[str]:
    """The events as listed on the figure, at most `limit` lines (the last says how many more)."""
    lines = [event_line(r) for r in event_rows(record)]
    if not lines:
        return ["No events recorded."]
    if len(lines) <= limit:
        return lines
    return lines[: limit - 1] + [MORE.format(len(lines) - limit + 1)]


def _timeline(fig: go.Figure, trial: Trial, record: PatientRecord) -> None:
    """The patient page's timeline on the figure's first axes (x, y)."""
    visits = list(trial.study.visits)
    tl = timeline_figure(record, visits, timeline_of(trial, record), LABELLED)
    fig.add_traces([t for t in tl.data if t.x != (None,)])  # its legend: _legend
    xaxis = tl.layout.xaxis.to_plotly_json()
    ticks = list(xaxis.get("tickvals") or [])
    if ticks:  # visits close together on a long axis: every other label left out
        xaxis["ticktext"] = sparse_labels(ticks, list(xaxis["ticktext"]), 0.14)
    fig.update_layout(
        xaxis=xaxis, yaxis=tl.layout.yaxis.to_plotly_json(), shapes=list(tl.layout.shapes)
    )


def _panel_title(trial: Trial, row: dict) -> str:
    m = trial.study.measure(row["measure"])
    unit = "" if m.unit in ("", "score") else m.unit
    return f"<b>{plot_text(m.label)}</b><br>{plot_text(change_text(row, unit))}"


def _baseline_trace(base: float, months: list, axis: str, legend: bool) -> go.Scatter:
    return go.Scatter(
        x=[min(months), max(months)],
        y=[base, base],
        mode="lines",
        line=dict(color=BASELINE_COLOR, width=1.5, dash="dot"),
        name="Baseline value",
        legendgroup="baseline",
        showlegend=legend,
        hoverinfo="skip",
        xaxis=f"x{axis}",
        yaxis=f"y{axis}",
    )


def value_range(values: list, log: bool) -> list[float] | None:
    """A y range around the patient's own values (a reference band does not flatten them);
    log axes in powers of ten, as plotly wants them."""
    xs = [float(x) for x in values if x is not None and math.isfinite(x) and (x > 0 or not log)]
    if not xs:
        return None
    lo, hi = (math.log10(min(xs)), math.log10(max(xs))) if log else (min(xs), max(xs))
    pad = 0.15 * (hi - lo) or (0.1 if log else 0.1 * abs(hi) or 1.0)
    return [lo - pad, hi + pad]


def _panel(fig: go.Figure, trial: Trial, record: PatientRecord, row: dict, i: int) -> None:
    """Measure panel i (0-based; axes x{i+2}, y{i+2}): the patient's values over the visits
    and the baseline value as a dotted line."""
    code, axis = row["measure"], str(i + 2)
    m = trial.study.measure(code)
    visits = list(trial.study.measure_visits(code))
    months = [v.month for v in visits] or [0]
    v = record.values.loc[record.values["measure"] == code].dropna(subset=["value"])
    person = "Subject" if trial.study.source_format == "adam" else "Patient"
    labels = {vv.month: vv.label for vv in visits}
    traces = value_traces(m, v.sort_values("month"), labels, person, record.patient_id, set())
    band = reference_band(m, i + 1)
    if band and not v.empty:
        fig.add_shape(band)
    y_range = value_range(list(v["value"]) + [row["baseline"]], m.log_scale)
    fig.update_layout({f"yaxis{axis}": dict(visible=not v.empty, range=y_range)})
    if math.isfinite(row["baseline"]):
        traces.append(_baseline_trace(row["baseline"], months, axis, i == 0))
    for t in traces:
        t.update(xaxis=f"x{axis}", yaxis=f"y{axis}")
        if t.legendgroup != "baseline":
            t.showlegend = False
    fig.add_traces(traces)
    pad = 0.05 * ((max(months) - min(months)) or 1)
    unit = trial.study.measure_visit_unit(code)
    fig.update_layout(
        {
            f"xaxis{axis}": dict(
                anchor=f"y{axis}",
                tickvals=months,
                ticktext=tick_texts(months, unit, 0.2),
                range=[min(months) - pad, max(months) + pad],
                title_text=unit.capitalize(),
                showgrid=False,
            ),
            f"yaxis{axis}": dict(
                anchor=f"x{axis}", nticks=4, **({"type": "log"} if m.log_scale else {})
            ),
        }
    )
    fig.add_annotation(
        text=_panel_title(trial, row),
        xref="paper",
        yref="paper",
        yanchor="bottom",
        showarrow=False,
        name=f"{PANEL_NAME}:{i}",
        font=dict(size=13),
    )


def panel_cells(n: int) -> tuple[int, int]:
    """(rows, columns) of n measure panels: two by two at most."""
    cols = 1 if n <= 1 else 2
    return -(-n // cols), cols


def _key(name: str, marker: dict, mode: str = "markers") -> go.Scatter:
    return go.Scatter(x=[None], y=[None], mode=mode, name=name, marker=marker, hoverinfo="skip")


def _legend(fig: go.Figure, trial: Trial, record: PatientRecord, codes: list[str]) -> None:
    """What the marks mean: the provenances present, out of range, the reference range."""
    provs = pd.concat(
        [record.values.get("provenance", pd.Series(dtype=object)), record.events["provenance"]]
        if "provenance" in record.events
        else [record.values.get("provenance", pd.Series(dtype=object))]
    ).map(provenance)
    for prov in ("published", "recorded", "inferred", "simulated"):
        if prov in set(provs):
            symbol = PROVENANCE_SYMBOL[prov]
            fig.add_trace(_key(f"{prov} value", dict(symbol=symbol, size=10, color="#444")))
    measures = [trial.study.measure(c) for c in codes]
    values = record.values.loc[record.values["measure"].isin(codes)].dropna(subset=["value"])
    flagged = any(
        out_of_range(trial.study.measure(c), float(x))
        for c, x in zip(values["measure"], values["value"])
    )
    if flagged:
        fig.add_trace(_key("outside reference range", dict(size=10, color=OUT_OF_RANGE_COLOR)))
    if any(m.ref_low is not None or m.ref_high is not None for m in measures):
        band = dict(symbol="square", size=14, color="#2a9d55", opacity=0.25)
        fig.add_trace(_key("reference range", band))


def _screen_layout(fig: go.Figure, n_panels: int) -> None:
    """Domains for a screen (the slide lays the figure out again, export/slides.py)."""
    fig.update_layout(xaxis_domain=[0.12, LEFT], yaxis_domain=[0.5, 1])
    rows, cols = panel_cells(n_panels)
    gap, start = 0.06, LEFT + 0.08
    width = (1 - start - gap * (cols - 1)) / cols
    height = (1 - 0.12 * rows) / max(rows, 1)
    for i in range(n_panels):
        r, c = divmod(i, cols)
        x0, top = start + c * (width + gap), 1 - r * (height + 0.12) - 0.08
        x_title = fig.layout[f"xaxis{i + 2}"].title.text if r == rows - 1 else ""
        fig.update_layout(
            {
                f"xaxis{i + 2}": dict(domain=[x0, x0 + width], title_text=x_title),
                f"yaxis{i + 2}": dict(domain=[max(top - height, 0), top]),
            }
        )
        panel = next(a for a in fig.layout.annotations if a.name == f"{PANEL_NAME}:{i}")
        panel.update(x=x0 + width / 2, y=top)


def narrative_figure(trial: Trial, record: PatientRecord, changes: pd.DataFrame) -> go.Figure:
    """The case narrative of one patient (see the module's docstring); `changes`: one row per
    key measure (baseline_changes), the first MAX_PANELS the patient has values of drawn."""
    fig = go.Figure()
    _timeline(fig, trial, record)
    measured = changes.loc[changes["n_values"] > 0]
    rows = (measured if len(measured) else changes).head(MAX_PANELS).to_dict("records")
    for i, row in enumerate(rows):
        _panel(fig, trial, record, row, i)
    _legend(fig, trial, record, [r["measure"] for r in rows])
    fig.add_annotation(
        text="<b>Events and adverse events</b><br>"
        + "<br>".join(plot_text(x) for x in event_lines(record)),
        xref="paper",
        yref="paper",
        x=0,
        xanchor="left",
        y=0.32,
        yanchor="top",
        align="left",
        showarrow=False,
        name=EVENTS_NAME,
        font=dict(size=13),
    )
    fig.update_layout(
        **base_layout(
            height=720,
            margin=dict(l=150, r=20, t=60, b=60),
            legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=13)),
        ),
        meta=NARRATIVE_META,
    )
    _screen_layout(fig, len(rows))
    return fig


def _group_fact(trial: Trial, record: PatientRecord) -> str:
    if trial.has_response:
        return record.group
    planned, actual = (record.row.get(c) for c in ("arm_planned", "arm_actual"))
    if isinstance(planned, str) and isinstance(actual, str) and planned != actual:
        return f"planned {planned}, actual {actual}"
    return record.arm or ""


def header_facts(trial: Trial, record: PatientRecord) -> list[str]:
    """What the study records of who the patient is: center or site, responder group or arm,
    age, sex (those it has), in that order, as short plain texts."""
    row = record.row
    center = str(row.get("center") or "")
    age = row.get("age")
    sex = str(row.get("sex") or "")
    facts = [
        f"{trial.study.center_label} {center}" if center else "",
        _group_fact(trial, record),
        f"{age:g} years" if isinstance(age, (int, float)) and math.isfinite(age) else "",
        SEX_LABELS.get(sex, sex).lower(),
    ]
    return [f for f in facts if f]


def outcome_fact(record: PatientRecord) -> str:
    """ "died on day 412", or "alive at last follow-up (day 365)"; a relapse before it."""
    relapse = number(record.row.get("relapse_day"))
    end = number(record.row.get("followup_end_day"))
    death = record.death_day
    parts = [] if relapse is None else [(relapse, f"relapsed on day {relapse:g}")]
    if death is not None:
        parts.append((death, f"died on day {death:g}"))
    elif end is not None:
        parts.append((end, f"alive at last follow-up (day {end:g})"))
    return ", ".join(text for _, text in sorted(parts))
