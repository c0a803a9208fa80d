"""Pure builders of a patient's page: the trial and a patient id in, rows and figures out.

Every value keeps its provenance (published, inferred, simulated, recorded): markers show it by
their style (filled = published or recorded, open = simulated, diamond = inferred), hovers and
tables say it in words. Text from the data goes into figures escaped, so that it reads as text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trial.analysis.patients import (
    DEFAULT_PROVENANCE,
    PatientRecord,
    Peers,
    number,
    provenance,
    text,
)
from trial.model import SEX_LABELS, Measure, Trial, Visit

from .text import plot_text as plain
from .theme import RESPONSE_COLORS, base_layout

PROVENANCE_SYMBOL = {
    "published": "circle",
    "recorded": "circle",
    "inferred": "diamond",
    "simulated": "circle-open",
}
PROVENANCE_LABEL = {
    "published": "published",
    "recorded": "recorded",
    "inferred": "inferred",
    "simulated": "simulated",
}
PATIENT_COLOR = "#222222"
OUT_OF_RANGE_COLOR = "#D55E00"
BASELINE_FIELDS = [  # column, label, unit
    ("center", "Center", ""),
    ("age", "Age", "years"),
    ("sex", "Sex", ""),
    ("disease_duration_months", "SLE duration", "months"),
    ("lupus_nephritis", "Lupus nephritis", ""),
    ("manifestations", "Manifestations", ""),
    ("prior_treatment", "Prior treatment", ""),
]
DERIVED = {
    "patient_id",
    "provenance",
    "published_fields",
    "response",
    "response_day",
    "relapse",
    "relapse_day",
    "death",
    "death_day",
    "followup_end_day",
    "last_followup_day",
}
EVENT_LABELS = {
    "infusion": "Infusion",
    "response": "Response",
    "relapse": "Relapse",
    "adverse_event": "Adverse event",
    "death": "Death",
}


def field_provenance(row: dict, column: str) -> str:
    """Provenance of one value of the patients table: published fields override the row's."""
    published = {f.strip() for f in (text(row.get("published_fields")) or "").split(";")}
    return "published" if column in published else provenance(row.get("provenance"))


def _fmt(value, unit: str = "") -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    num = number(value) if not isinstance(value, str) else None
    shown = f"{num:g}" if num is not None else (text(value) or "–")
    return f"{shown} {unit}".strip() if unit and shown != "–" else shown


def baseline_rows(record: PatientRecord, trial: Trial | None = None) -> list[dict]:
    """Baseline characteristics and prior treatment, each with its provenance; other columns
    named as the data name them (`Study.column_label`, e.g. ADSL variable labels)."""
    row = record.row
    out = []
    known = {c for c, _, _ in BASELINE_FIELDS}
    study = trial.study if trial is not None else None
    fields = [
        (c, study.center_label, u) if c == "center" and study else (c, label, u)
        for c, label, u in BASELINE_FIELDS
    ]
    fields += [
        (c, study.column_label(c) if study else c.replace("_", " ").capitalize(), "")
        for c in row
        if c not in known and c not in DERIVED and not c.startswith("_")
    ]
    for col, label, unit in fields:
        if col not in row:
            continue
        value = row[col]
        if col == "sex":
            sex = text(value)
            value = SEX_LABELS.get(sex, sex) if sex is not None else None
        out.append(
            {
                "item": label,
                "value": _fmt(value, unit),
                "provenance": field_provenance(row, col)
                if col != "center"
                else provenance(row.get("provenance")),
            }
        )
    return out


def _event_provenance(events: pd.DataFrame, mask) -> str:
    sel = events.loc[mask]
    if sel.empty or "provenance" not in sel:
        return DEFAULT_PROVENANCE
    return provenance(sel.iloc[0]["provenance"])


def outcome_rows(record: PatientRecord, responses: bool = True) -> list[dict]:
    """Best response (where the data record responses), relapse, death or last follow-up, as
    recorded, with provenance."""
    row, ev = record.row, record.events
    death = record.death_day
    rows = []
    resp_day = number(row.get("response_day"))
    if not responses:
        pass
    elif record.group in ("MCR", "PCR"):
        first = ev.loc[(ev["event"] == "response") & (ev["term"] == record.group)]
        day = number(first["day"].min()) if len(first) else resp_day
        after = death is not None and day is not None and day > death
        rows.append(
            {
                "item": "Best response",
                "value": f"{record.group} (day {day:g})"
                + (" — recorded after death" if after else ""),
                "provenance": _event_provenance(
                    ev, (ev["event"] == "response") & (ev["term"] == record.group)
                ),
            }
        )
    else:
        rows.append(
            {
                "item": "Best response",
                "value": "No response recorded (NR)",
                "provenance": provenance(row.get("provenance")),
            }
        )
    relapse_day = number(row.get("relapse_day"))
    if relapse_day is not None:
        after = death is not None and relapse_day > death
        rows.append(
            {
                "item": "Relapse",
                "value": f"day {relapse_day:g}" + (" — recorded after death" if after else ""),
                "provenance": _event_provenance(ev, ev["event"] == "relapse"),
            }
        )
    elif record.group in ("MCR", "PCR"):
        rows.append(
            {
                "item": "Relapse",
                "value": "none recorded",
                "provenance": provenance(row.get("provenance")),
            }
        )
    if death is not None:
        d = ev.loc[ev["event"] == "death"]
        term = text(d.iloc[0]["term"]) if len(d) and "term" in d else None
        rows.append(
            {
                "item": "Death",
                "value": f"day {death:g}" + (f" ({term})" if term else ""),
                "provenance": _event_provenance(ev, ev["event"] == "death"),
            }
        )
    else:
        rows.append(
            {
                "item": "Last follow-up",
                "value": f"day {_fmt(row.get('last_followup_day'))} (alive)",
                "provenance": field_provenance(row, "last_followup_day"),
            }
        )
    return rows


def event_rows(record: PatientRecord) -> list[dict]:
    death = record.death_day
    out = []
    for e in record.events.to_dict("records"):
        day = number(e.get("day"))
        after = death is not None and day is not None and day > death
        kind: str = e["event"]  # a required column, one of EVENT_TYPES (trial/validate.py)
        out.append(
            {
                "day": None if day is None else int(day),
                "event": EVENT_LABELS.get(kind, text(kind) or ""),
                "term": text(e.get("term")) or "",
                "severity": text(e.get("severity")) or "",
                "related": text(e.get("related")) or "",
                "provenance": provenance(e.get("provenance")),
                "note": "recorded after death" if after else "",
            }
        )
    return out


def _reference(measure: Measure) -> str:
    lo, hi = measure.ref_low, measure.ref_high
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f"≥ {lo:g}"
    if lo is None:
        return f"≤ {hi:g}"
    return f"{lo:g}–{hi:g}"


def out_of_range(measure: Measure, value: float) -> str:
    if measure.ref_low is not None and value < measure.ref_low:
        return "below range"
    if measure.ref_high is not None and value > measure.ref_high:
        return "above range"
    return ""


def value_rows(trial: Trial, record: PatientRecord) -> list[dict]:
    """Every measurement of the patient, with unit, reference range, flag and provenance."""
    order = {c: i for i, c in enumerate(trial.measure_codes)}
    v = record.values.assign(_o=record.values["measure"].map(order)).sort_values(["_o", "month"])
    rows = []
    for r in v.to_dict("records"):
        try:
            m = trial.study.measure(r["measure"])
        except KeyError:
            continue
        value = number(r["value"])
        rows.append(
            {
                "measure": m.label,
                "visit": trial.study.visit_label(r["month"], m.code),
                "month": int(r["month"]) if float(r["month"]).is_integer() else r["month"],
                "day": None if number(r.get("day")) is None else int(r["day"]),
                "value": value,
                "unit": m.unit + (" (assumed)" if m.unit_assumed else ""),
                "reference": _reference(m),
                "flag": "" if value is None else out_of_range(m, value),
                "provenance": provenance(r.get("provenance")),
            }
        )
    return rows


# --- figures -------------------------------------------------------------------------------


def _grid(n: int) -> tuple[int, int]:
    cols = 1 if n == 1 else 2 if n <= 4 else 3 if n <= 9 else 4
    return math.ceil(n / cols), cols


def _axis(i: int) -> str:
    """The axis suffix of the i-th subplot (0-based): "", "2", "3", ..."""
    return "" if i == 0 else str(i + 1)


def reference_band(measure: Measure, i: int) -> dict | None:
    """The reference range of subplot i as a layout shape: a band, or a dotted line where
    there is only a lower limit (so that the axis is not stretched to `max`)."""
    lo, hi = measure.ref_low, measure.ref_high
    if lo is None and hi is None:
        return None
    where = dict(xref=f"x{_axis(i)} domain", x0=0, x1=1, yref=f"y{_axis(i)}", layer="below")
    band = dict(type="rect", fillcolor="#2a9d55", opacity=0.10, line_width=0, **where)
    if measure.log_scale:
        # A band on a log axis cannot start at 0: start it at the smallest positive value.
        y0 = lo if lo and lo > 0 else max(measure.min or 0, 0) or 1.0
        if hi is not None:
            y1 = hi
        else:
            assert lo is not None  # not both None (above)
            y1 = measure.max or lo * 1000
        return {**band, "y0": y0, "y1": y1}
    if hi is None:
        return dict(
            type="line", y0=lo, y1=lo, line=dict(color="#2a9d55", width=1.5, dash="dot"), **where
        )
    return {**band, "y0": lo if lo is not None else min(0.0, measure.min or 0.0), "y1": hi}


def _median_trace(
    med: pd.DataFrame, peers: Peers, color: str, group_n: int, legend: bool
) -> go.Scatter:
    return go.Scatter(
        x=med["month"],
        y=med["median"],
        mode="lines",
        line=dict(color=color, width=2, dash="dash"),
        opacity=0.85,
        name=f"Median of {plain(peers.label)} (n = {group_n})",
        legendgroup="median",
        showlegend=legend,
        customdata=np.stack([med["count"].to_numpy()], axis=-1),
        hovertemplate=f"Median of {plain(peers.value)}: %{{y:.3g}}<br>"
        "n = %{customdata[0]}<extra></extra>",
    )


def value_traces(
    m: Measure, v: pd.DataFrame, vlabel: dict, person: str, patient_id: str, seen_prov: set
) -> list[go.Scatter]:
    """The patient's line and one marker trace per provenance (legend once per provenance)."""
    out = [
        go.Scatter(
            x=v["month"],
            y=v["value"],
            mode="lines",
            line=dict(color=PATIENT_COLOR, width=2),
            showlegend=False,
            hoverinfo="skip",
            legendgroup="patient",
        )
    ]
    provs = (
        v["provenance"].map(provenance)
        if "provenance" in v
        else pd.Series(DEFAULT_PROVENANCE, index=v.index)
    )
    for prov in pd.unique(provs):
        pv = v.loc[provs == prov]
        flags = [out_of_range(m, float(x)) for x in pv["value"]]
        colors = [OUT_OF_RANGE_COLOR if f else PATIENT_COLOR for f in flags]
        hover = [
            f"<b>{plain(m.label)}</b> · {plain(vlabel.get(mo, f'{mo:g}'))}<br>"
            f"{val:.4g} {plain(m.unit)}{' · ' + f if f else ''}<br>{prov} value"
            for mo, val, f in zip(pv["month"], pv["value"], flags, strict=True)
        ]
        out.append(
            go.Scatter(
                x=pv["month"],
                y=pv["value"],
                mode="markers",
                marker=dict(
                    symbol=PROVENANCE_SYMBOL.get(prov, "circle"),
                    size=9,
                    color=colors,
                    line=dict(color=colors, width=2),
                ),
                name=f"{person} {plain(patient_id)}: {prov} value",
                legendgroup=f"prov-{prov}",
                showlegend=prov not in seen_prov,
                hovertext=hover,
                hoverinfo="text",
            )
        )
        seen_prov.add(prov)
    return out


def measures_figure(
    trial: Trial,
    record: PatientRecord,
    medians: pd.DataFrame,
    codes: list[str] | None = None,
    peers: Peers | None = None,
    title: str = "Measures over time",
) -> go.Figure:
    """Every measure (or `codes`) over its visits: the patient's values against the reference
    range (green band) and the median of the patient's peers (responder group, or arm; dashed),
    one small panel each, each on its own visit axis. Traces, shapes and axes are added in one
    step each (plotly's per-call cost dominated a page with many panels)."""
    codes = list(trial.measure_codes if codes is None else codes)
    peers = peers or Peers("response", record.group, f"{record.group} group")
    if not codes:
        return _empty("No measures in this dataset.")
    n_rows, n_cols = _grid(len(codes))
    titles = []
    for code in codes:
        m = trial.study.measure(code)
        unit = f" ({m.unit}{', assumed' if m.unit_assumed else ''})" if m.unit else ""
        titles.append(f"<b>{plain(m.label)}</b>{plain(unit)}")
    # Spacing between rows shrinks with many rows (plotly allows at most 1 / (rows - 1)).
    spacing = 0.16 if n_rows <= 2 else min(0.11, 0.5 / (n_rows - 1))
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=titles,
        horizontal_spacing=0.055,
        vertical_spacing=spacing,
    )
    color = RESPONSE_COLORS.get(record.group, "#444") if peers.column == "response" else "#0072B2"
    group_n = (
        int((trial.patients[peers.column].astype(str) == str(peers.value)).sum())
        if peers.exists and peers.column in trial.patients
        else 0
    )
    person = "Subject" if trial.study.source_format == "adam" else "Patient"
    seen_prov: set[str] = set()
    traces: list[go.Scatter] = []
    rows: list[int] = []
    cols: list[int] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    axes: dict[str, dict] = {}
    units = set()
    medians_of = dict(tuple(medians.groupby("measure"))) if len(medians) else {}
    values = dict(tuple(record.values.groupby("measure"))) if len(record.values) else {}
    for i, code in enumerate(codes):
        r, c = i // n_cols + 1, i % n_cols + 1
        m = trial.study.measure(code)
        visits: list[Visit] = list(trial.study.measure_visits(code))
        unit = trial.study.measure_visit_unit(code)
        units.add(unit)
        band = reference_band(m, i)
        if band:
            shapes.append(band)
        new = []
        med = medians_of.get(code)
        if med is not None and len(med) and peers.exists:
            new.append(
                _median_trace(
                    med.sort_values("month"),
                    peers,
                    color,
                    group_n,
                    not any(t.legendgroup == "median" for t in traces),
                )
            )
        v = values.get(code)
        v = v.sort_values("month").dropna(subset=["value"]) if v is not None else None
        if v is None or v.empty:
            why = (
                f"not measured (only patients with {m.population.replace('_', ' ')})"
                if m.population and not record.row.get(m.population)
                else "no values"
            )
            notes.append(
                dict(
                    text=why,
                    x=0.5,
                    y=0.5,
                    xref=f"x{_axis(i)} domain",
                    yref=f"y{_axis(i)} domain",
                    showarrow=False,
                    font=dict(size=12, color="#777"),
                )
            )
        else:
            new += value_traces(
                m, v, {vv.month: vv.label for vv in visits}, person, record.patient_id, seen_prov
            )
        traces += new
        rows += [r] * len(new)
        cols += [c] * len(new)
        axis: dict = {"showgrid": False}
        if visits:
            months = [vv.month for vv in visits]
            pad = 0.7 if unit == "month" else max(0.7, 0.04 * (months[-1] - months[0]))
            axis.update(
                tickvals=months,
                ticktext=tick_texts(months, unit),
                range=[min(months) - pad, max(months) + pad],
            )
        axes[f"xaxis{_axis(i)}"] = axis
        if m.log_scale:
            axes[f"yaxis{_axis(i)}"] = dict(type="log", dtick=1)  # powers of ten only
    if traces:
        fig.add_traces(traces, rows=rows, cols=cols)
    whose = "responder group" if peers.column == "response" else "arm"
    median = (
        f"dashed: median of the patient's {whose} (all patients of that "
        f"{'group' if peers.column == 'response' else 'arm'}) · "
        if peers.exists
        else ""
    )
    layout = base_layout(
        title=dict(
            text=title,
            x=0.01,
            subtitle=dict(
                text=f"Green band: reference range · {median}red marker: outside the reference "
                "range"
            ),
        ),
        height=215 * n_rows + 200,
        margin=dict(l=50, r=20, t=110, b=90),
        # Under the plot, clear of the subplot titles: `y` in paper units, 50 px below it.
        legend=dict(
            orientation="h",
            yanchor="top",
            y=-50 / (215 * n_rows),
            xanchor="left",
            x=0,
            font=dict(size=13),
        ),
        hovermode="closest",
    )
    layout["font"] = dict(layout["font"], size=12)
    titles_ = [dict(a.to_plotly_json(), font=dict(size=13)) for a in fig.layout.annotations]
    fig.update_layout(**layout, shapes=shapes, annotations=titles_ + notes)
    fig.update_layout({k: {**fig.layout[k].to_plotly_json(), **v} for k, v in axes.items()})
    shown = units.pop() if len(units) == 1 else "visit"
    fig.update_xaxes(title_text=shown.capitalize(), title_font=dict(size=11), row=n_rows)
    return fig


def tick_texts(months: list, unit: str, gap: float = 0.08) -> list[str]:
    """Visit numbers as tick labels; on week or day axes, leaving out one too close to the one
    before it (weeks 24 and 26 would read "2426")."""
    if unit == "month" and gap <= 0.08:
        return [str(m) for m in months]
    return sparse_labels(months, [f"{m:g}" for m in months], gap)


def sparse_labels(positions: list, labels: list[str], gap: float) -> list[str]:
    """`labels`, leaving out ("") one closer than `gap` (a fraction of the span) to the one
    shown before it."""
    span = (max(positions) - min(positions)) or 1
    out, last = [], None
    for x, label in zip(positions, labels, strict=True):
        show = last is None or (x - last) / span >= gap
        out.append(label if show else "")
        last = x if show else last
    return out


TIMELINE_LANES = ["Infusion", "Response", "Relapse", "Adverse event", "Death / follow-up"]
_LANE_OF = {
    "infusion": "Infusion",
    "response": "Response",
    "relapse": "Relapse",
    "adverse_event": "Adverse event",
    "death": "Death / follow-up",
}
_EVENT_STYLE = {  # symbol, colour, size
    "infusion": ("triangle-up", "#555555", 12),
    "relapse": ("x", "#D55E00", 14),
    "death": ("square", "#000000", 13),
}


def _event_style(e: dict) -> tuple[str, str, int]:
    kind: str = e["event"]  # a required column, one of EVENT_TYPES (trial/validate.py)
    if kind == "response":
        return "star", RESPONSE_COLORS.get(text(e.get("term")) or "", "#0072B2"), 17
    if kind == "adverse_event":
        sae = (text(e.get("severity")) or "").upper() == "SAE"
        return "diamond", "#B0003A" if sae else "#E69F00", 15 if sae else 12
    return _EVENT_STYLE.get(kind, ("circle", "#444", 10))


@dataclass(frozen=True)
class Timeline:
    """What the timeline shows: its lanes, what day 0 (or 1) is, and the treatment's days
    (ADaM: first to last dose, drawn as a bar in the "Treatment" lane)."""

    lanes: tuple[str, ...] = tuple(TIMELINE_LANES)
    axis_title: str = "Study day (day 0 = first infusion)"
    exposure: tuple[float, float] | None = None


def timeline_of(trial: Trial, record: PatientRecord) -> Timeline:
    """The demo's lanes where the data record infusions and responses; otherwise the lanes the
    data have (treatment, adverse events, death), with the study's own day 1."""
    kinds = set(trial.events["event"])
    if "infusion" in kinds or trial.has_response:
        return Timeline()
    lanes = (
        ["Treatment"]
        + (["Adverse event"] if "adverse_event" in kinds else [])
        + ["Death / follow-up"]
    )
    end = number(record.row.get("_treatment_end_day"))
    start = number(record.row.get("_treatment_start_day"))
    exposure = (start if start is not None else 1.0, end) if end is not None else None
    return Timeline(tuple(lanes), f"Study day (day 1 = {trial.study.origin})", exposure)


def timeline_figure(
    record: PatientRecord,
    visits: list[Visit],
    timeline: Timeline = Timeline(),
    labelled: frozenset[str] | None = None,
) -> go.Figure:
    """The patient's events on one time axis (study days), one lane per kind of event.
    `labelled`: the kinds of event whose marks carry a label (None: every kind)."""
    lanes = list(timeline.lanes)
    lane_y = {lane: len(lanes) - i for i, lane in enumerate(lanes)}
    death = record.death_day
    end = number(record.row.get("followup_end_day")) or 0.0
    fig = go.Figure()
    if timeline.exposure is not None and "Treatment" in lane_y:
        lo, hi = timeline.exposure
        fig.add_trace(
            go.Scatter(
                x=[lo, hi],
                y=[lane_y["Treatment"]] * 2,
                mode="lines",
                line=dict(color="#0072B2", width=10),
                showlegend=False,
                hoverinfo="text",
                hovertext=f"Treatment: day {lo:g} to day {hi:g}",
            )
        )
    # Follow-up: a line from day 0 to death or last follow-up.
    fig.add_trace(
        go.Scatter(
            x=[0, end],
            y=[lane_y["Death / follow-up"]] * 2,
            mode="lines",
            line=dict(color="#999", width=6),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if death is None:
        fig.add_trace(
            go.Scatter(
                x=[end],
                y=[lane_y["Death / follow-up"]],
                mode="markers+text",
                marker=dict(symbol="arrow-right", size=16, color="#555"),
                text=[f"last follow-up, day {end:g} (alive)"],
                textposition="top left",
                textfont=dict(size=12, color="#555"),
                name="last follow-up",
                hovertext=[f"Last follow-up: day {end:g}, alive (follow-up ongoing)"],
                hoverinfo="text",
                showlegend=False,
            )
        )
    else:
        fig.add_vline(x=death, line=dict(color="#000", width=1, dash="dot"))
    xs, ys, symbols, colors, sizes, texts, hovers, lines = [], [], [], [], [], [], [], []
    for e in record.events.to_dict("records"):
        day = number(e.get("day"))
        if day is None:
            continue
        prov = provenance(e.get("provenance"))
        symbol, color, size = _event_style(e)
        if prov == "simulated":
            symbol += "-open"
        after = death is not None and day > death
        term, sev, rel = (text(e.get(k)) for k in ("term", "severity", "related"))
        kind: str = e["event"]  # a required column, one of EVENT_TYPES (trial/validate.py)
        label = {
            "infusion": "",
            "response": term or "",
            "relapse": "relapse",
            "adverse_event": f"{sev or 'AE'}: {term or ''}",
            "death": "death",
        }.get(kind, "")
        if kind == "adverse_event" and rel:
            label += f" (related: {rel})"
        if after:
            label += " — after recorded death"
        if labelled is not None and kind not in labelled:
            label = ""
        hover = [f"<b>{plain(EVENT_LABELS.get(kind, kind))}</b> · day {day:g}"]
        if term and kind != "relapse":
            hover.append(plain(term))
        if sev:
            hover.append(f"severity: {plain(sev)}")
        if rel:
            hover.append(f"related to treatment: {plain(rel)}")
        hover.append(f"{prov} value")
        if after:
            hover.append("<i>recorded after the recorded death (see data-quality warning)</i>")
        xs.append(day)
        ys.append(lane_y.get(_LANE_OF.get(kind, ""), 0))
        symbols.append(symbol)
        colors.append(color)
        sizes.append(size)
        texts.append(plain(label))
        hovers.append("<br>".join(hover))
        lines.append(OUT_OF_RANGE_COLOR if after else color)
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                text=texts,
                textposition="top center",
                textfont=dict(size=12),
                marker=dict(
                    symbol=symbols,
                    color=colors,
                    size=sizes,
                    line=dict(
                        color=lines, width=[3 if c == OUT_OF_RANGE_COLOR else 1.5 for c in lines]
                    ),
                ),
                hovertext=hovers,
                hoverinfo="text",
                showlegend=False,
                cliponaxis=False,
            )
        )
    # Legend of provenance (marker style), only for what is present.
    present = {provenance(p) for p in record.events.get("provenance", [])}
    for prov, symbol in (
        ("published", "circle"),
        ("simulated", "circle-open"),
        ("recorded", "circle"),
        ("inferred", "diamond"),
    ):
        if prov in present:
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=f"{prov}",
                    marker=dict(
                        symbol=symbol, size=10, color="#555", line=dict(color="#555", width=1.5)
                    ),
                )
            )
    last = max([end] + xs) if xs else end
    ticks = [v.day for v in visits if v.day <= last + 31]
    fig.update_xaxes(
        title_text=timeline.axis_title,
        range=[-12, last * 1.04 + 20],
        tickvals=ticks,
        ticktext=[f"{v.day}<br>{plain(v.label)}" for v in visits if v.day in ticks],
        showgrid=True,
        gridcolor="#eee",
        zeroline=False,
    )
    fig.update_yaxes(
        tickvals=list(lane_y.values()),
        ticktext=list(lane_y.keys()),
        range=[0.4, len(lanes) + 0.8],
        showgrid=True,
        gridcolor="#f0f0f0",
        zeroline=False,
    )
    explained = (
        "Filled marker: published value · open marker: simulated · "
        if present - {"recorded"}
        else "Events as recorded · "
    )
    layout = base_layout(
        title=dict(
            text="Event timeline",
            x=0.01,
            subtitle=dict(text=f"{explained}red outline: recorded after death"),
        ),
        height=380,
        margin=dict(l=140, r=30, t=90, b=70),
        legend=dict(
            title_text="Provenance",
            orientation="h",
            yanchor="bottom",
            y=1.0,
            xanchor="right",
            x=1,
            font=dict(size=13),
        ),
    )
    fig.update_layout(**layout)
    return fig


def placeholder_figure(message: str) -> go.Figure:
    """A figure that only says `message` (e.g. what to choose to draw something)."""
    return _empty(message)


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(**base_layout(height=200))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=16, color="#666"),
    )
    return fig
