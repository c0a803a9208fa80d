"""Pure builders of the Patients tab: the patient list's rows and the swimmer plot of the cohort."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from trial.analysis.patients import natural_key, number
from trial.model import RESPONSE_GROUPS, Trial
from trial.stats import baseline_values

from .text import plot_text as plain
from .theme import base_layout, group_colors

DAYS_PER_MONTH = 365.25 / 12
MAX_BASELINE_COLUMNS = 5
SELECTED_LINE = "#111111"


def baseline_codes(trial: Trial) -> list[str]:
    """The measures whose baseline values the patient list shows: the key ones."""
    codes = [c for c in trial.measure_codes if trial.study.measure(c).key]
    return (codes or trial.measure_codes)[:MAX_BASELINE_COLUMNS]


MAX_LIST_ROWS = 1000
MAX_SWIMMER_PATIENTS = 120


def search_patients(patients: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Patients whose id, center, arm or responder group contains `text` (case-insensitive)."""
    text = (text or "").strip().lower()
    if not text:
        return patients
    hay = patients["patient_id"].astype(str).str.lower()
    for col in ("center", "response", "arm", "arm_actual"):
        if col in patients:
            hay = hay + "\n" + patients[col].astype(str).str.lower()
    return patients.loc[hay.str.contains(text, regex=False)]


def capped(patients: pd.DataFrame, limit: int, keep=()) -> pd.DataFrame:
    """At most `limit` patients: those in `keep` first, then a reproducible random sample.

    Large trials would otherwise send megabytes per update; the views say when they sample.
    """
    if len(patients) <= limit:
        return patients
    kept = patients.loc[patients["patient_id"].astype(str).isin(set(map(str, keep)))].head(limit)
    rest = patients.drop(kept.index)
    sample = (
        rest.sample(n=limit - len(kept), random_state=0) if limit > len(kept) else rest.iloc[:0]
    )
    return pd.concat([kept, sample])


def patient_list_rows(trial: Trial, patients: pd.DataFrame) -> list[dict]:
    """One row per patient: center, group, outcomes, follow-up and key baseline values."""
    codes = baseline_codes(trial)
    base = baseline_values(trial, codes, patients["patient_id"])
    rows = []
    for p in patients.to_dict("records"):
        pid = str(p["patient_id"])
        row = {
            "patient_id": pid,
            "center": p.get("center"),
            "arm": _text(p.get("arm")),
            "arm_actual": _text(p.get("arm_actual")),
            "response": p.get("response"),
            "response_day": _int(p.get("response_day")),
            "relapse": "yes" if p.get("relapse") else "no",
            "relapse_day": _int(p.get("relapse_day")),
            "death": "yes" if p.get("death") else "no",
            "followup_days": _int(p.get("followup_end_day")),
            "age": number(p.get("age")),
            "sex": p.get("sex") if isinstance(p.get("sex"), str) else None,
            "lupus_nephritis": None
            if "lupus_nephritis" not in p
            else (
                "yes"
                if p["lupus_nephritis"] is True
                else "no"
                if p["lupus_nephritis"] is False
                else None
            ),
            "provenance": p.get("provenance")
            if isinstance(p.get("provenance"), str)
            else "recorded",
        }
        for code in codes:
            value = base.at[pid, code] if pid in base.index and code in base.columns else None
            row[f"base_{code}"] = number(value)
        rows.append(row)
    rows.sort(key=lambda r: natural_key(r["patient_id"]))
    return rows


def _int(x):
    v = number(x)
    return None if v is None else int(round(v))


def _text(x) -> str | None:
    return x if isinstance(x, str) else None


@dataclass(frozen=True)
class SwimmerWords:
    """What the bars are coloured by and what time 0 is, in the data's words: responder group
    and first infusion for the demo; arm (or nothing), subjects and first dose for ADaM."""

    color_by: str | None = "response"  # a patients column, or None: one colour
    color_label: str = "responder group"
    origin: str = "first infusion"
    people: str = "patients"
    person: str = "Patient"


def swimmer_words(trial: Trial) -> SwimmerWords:
    if trial.has_response:
        return SwimmerWords(origin=trial.study.origin)
    adam = trial.study.source_format == "adam"
    people, person = ("subjects", "Subject") if adam else ("patients", "Patient")
    if "arm" in trial.patients:
        label = trial.study.design.arm_for("efficacy")
        return SwimmerWords(
            "arm", label.label if label else "arm", trial.study.origin, people, person
        )
    return SwimmerWords(None, "", trial.study.origin, people, person)


def _level_order(patients: pd.DataFrame, words: SwimmerWords) -> list[str]:
    if words.color_by == "response":
        return [g for g in RESPONSE_GROUPS if g in set(patients["response"])]
    if words.color_by is None:
        return ["All"]
    return sorted(patients[words.color_by].astype(str).unique())


def _level(p: dict, words: SwimmerWords) -> str:
    return "All" if words.color_by is None else str(p.get(words.color_by))


def swimmer_order(patients: pd.DataFrame, words: SwimmerWords = SwimmerWords()) -> list[str]:
    """Patients by responder group (MCR, PCR, NR) or arm, then longest follow-up first, then
    id."""
    rank = {g: i for i, g in enumerate(_level_order(patients, words))}
    recs = patients.to_dict("records")
    recs.sort(
        key=lambda p: (
            rank.get(_level(p, words), len(rank)),
            -(number(p["followup_end_day"]) or 0),
            natural_key(p["patient_id"]),
        )
    )
    return [str(p["patient_id"]) for p in recs]


def swimmer_figure(
    patients: pd.DataFrame,
    events: pd.DataFrame,
    selected: list[str] | tuple[str, ...] = (),
    limit: int = MAX_SWIMMER_PATIENTS,
    words: SwimmerWords = SwimmerWords(),
) -> go.Figure:
    """One bar per patient over follow-up (months), coloured by responder group (or arm);
    markers for response, relapse, adverse events and death, an arrow where follow-up is
    ongoing.

    Every bar and marker carries the patient id as customdata, so a click opens the patient.
    Selected patients' bars get a dark outline; the others fade.
    """
    fig = go.Figure()
    if patients.empty:
        fig.update_layout(**base_layout(height=300, title=dict(text="Swimmer plot", x=0.01)))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.add_annotation(
            text="No patients match the filters.",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font=dict(size=18, color="#666"),
        )
        return fig
    total = len(patients)
    patients = capped(patients, limit, keep=selected or ())
    order = swimmer_order(patients, words)
    # Labels on the axis: "Patient 9"; the y axis is categorical so that ids never read as numbers.
    label = {pid: f"#{plain(pid)}" for pid in order}
    p = patients.assign(_pid=patients["patient_id"].astype(str)).set_index("_pid")
    level = {pid: _level(p.loc[pid].to_dict(), words) for pid in order}
    chosen = set(map(str, selected or ()))
    levels = _level_order(patients, words)
    colors = group_colors(levels, words.color_by)
    for group in levels:
        ids_ = [pid for pid in order if level[pid] == group]
        months = [(number(p.at[pid, "followup_end_day"]) or 0) / DAYS_PER_MONTH for pid in ids_]
        dead = [bool(p.at[pid, "death"]) for pid in ids_]
        what = "" if words.color_by is None else f" · {plain(group)}"
        hover = [
            f"<b>{words.person} {plain(pid)}</b>{what}<br>follow-up {m:.1f} months"
            f"{' (died)' if d else ''}<br><i>click to open</i>"
            for pid, m, d in zip(ids_, months, dead, strict=True)
        ]
        is_sel = [pid in chosen for pid in ids_]
        fig.add_trace(
            go.Bar(
                y=[label[pid] for pid in ids_],
                x=months,
                orientation="h",
                name=plain(group) if words.color_by else words.people.capitalize(),
                customdata=ids_,
                hovertext=hover,
                hoverinfo="text",
                legendgroup=group,
                marker=dict(
                    color=colors.get(group, "#777"),
                    opacity=[1.0 if s or not chosen else 0.35 for s in is_sel],
                    line=dict(color=SELECTED_LINE, width=[3 if s else 0 for s in is_sel]),
                ),
                width=0.62,
            )
        )
    _add_event_markers(fig, p, events, order, label, words)
    n = len(order)
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=list(reversed([label[pid] for pid in order])),
        title_text=words.person,
        tickfont=dict(size=12),
        ticklabelstandoff=4,
    )
    last = max((number(x) or 0) for x in p["followup_end_day"]) / DAYS_PER_MONTH
    fig.update_xaxes(
        title_text=f"Months since {words.origin}",
        range=[0, max(last, 1) * 1.06 + 0.5],
        dtick=3,
        showgrid=True,
        gridcolor="#eee",
        zeroline=False,
    )
    person = words.person.lower()
    subtitle = (
        f"Sorted and coloured by {words.color_label} · "
        if words.color_by
        else "Sorted by follow-up · "
    ) + f"click a bar to open the {person} · events are shown as recorded"
    if chosen:
        subtitle += f" · {len(chosen & set(order))} selected (outlined)"
    title = f"Follow-up of {n} {words.people}"
    if n < total:
        title = (
            f"Follow-up of {n} of {total:,} {words.people} (random sample; selected "
            f"{words.people} always shown; filter to see others)"
        )
    fig.update_layout(
        **base_layout(
            title=dict(text=title, x=0.01, subtitle=dict(text=subtitle)),
            height=max(320, 19 * n + 170),
            margin=dict(l=80, r=30, t=95, b=60),
            barmode="overlay",
            bargap=0.3,
            hovermode="closest",
            clickmode="event",
            legend=dict(
                orientation="v", yanchor="top", y=1, xanchor="left", x=1.01, font=dict(size=13)
            ),
        )
    )
    return fig


_MARKERS = {  # event: (legend name, symbol, colour, size)
    "response": ("Response (MCR / PCR)", "star", "#ffffff", 13),
    "relapse": ("Relapse", "x", "#D55E00", 12),
    "adverse_event": ("Adverse event", "diamond", "#CC79A7", 11),
    "sae": ("Serious adverse event", "diamond", "#B0003A", 12),
    "death": ("Death", "square", "#000000", 11),
}


def _add_event_markers(
    fig,
    p: pd.DataFrame,
    events: pd.DataFrame,
    order: list[str],
    label: dict,
    words: SwimmerWords = SwimmerWords(),
) -> None:
    ev = events.loc[events["patient_id"].astype(str).isin(order)]
    death_day = {pid: number(p.at[pid, "death_day"]) for pid in order}
    first_resp = (
        ev.loc[ev["event"] == "response"]
        .sort_values("day")
        .groupby(ev["patient_id"].astype(str))
        .head(1)
    )
    frames = {
        "response": first_resp,
        "relapse": ev.loc[ev["event"] == "relapse"],
        "adverse_event": ev.loc[
            (ev["event"] == "adverse_event") & (ev["severity"].astype(str).str.upper() != "SAE")
        ],
        "sae": ev.loc[
            (ev["event"] == "adverse_event") & (ev["severity"].astype(str).str.upper() == "SAE")
        ],
        "death": ev.loc[ev["event"] == "death"]
        .sort_values("day")
        .groupby(ev["patient_id"].astype(str))
        .head(1)
        if len(ev)
        else ev,
    }
    for kind, frame in frames.items():
        if frame.empty:
            continue
        name, symbol, color, size = _MARKERS[kind]
        pids = frame["patient_id"].astype(str).tolist()
        days = frame["day"].astype(float).tolist()
        terms = [t if isinstance(t, str) else "" for t in frame.get("term", [""] * len(frame))]
        hover = []
        for pid, day, term in zip(pids, days, terms):
            died = death_day[pid]
            after = died is not None and day > died
            text = f"<b>{words.person} {plain(pid)}</b><br>{name}"
            if kind in ("response", "adverse_event", "sae", "death") and term:
                text += f": {plain(term)}"
            text += f"<br>day {day:g}"
            if after:
                text += "<br><i>recorded after death (see data quality)</i>"
            hover.append(text)
        line_color = {"response": "#0b3d91", "adverse_event": "#222", "sae": "#222"}.get(
            kind, color
        )
        fig.add_trace(
            go.Scatter(
                x=[d / DAYS_PER_MONTH for d in days],
                y=[label[pid] for pid in pids],
                mode="markers",
                name=name,
                customdata=pids,
                hovertext=hover,
                hoverinfo="text",
                marker=dict(
                    symbol=symbol, size=size, color=color, line=dict(color=line_color, width=1.5)
                ),
            )
        )
    alive = [pid for pid in order if death_day[pid] is None]
    if alive:
        fig.add_trace(
            go.Scatter(
                x=[
                    (number(p.at[pid, "followup_end_day"]) or 0) / DAYS_PER_MONTH + 0.25
                    for pid in alive
                ],
                y=[label[pid] for pid in alive],
                mode="markers",
                name="Follow-up ongoing",
                customdata=alive,
                marker=dict(symbol="arrow-right", size=11, color="#444"),
                hovertext=[
                    f"<b>{words.person} {plain(pid)}</b><br>alive at last follow-up (day "
                    f"{number(p.at[pid, 'followup_end_day']) or 0:g})"
                    for pid in alive
                ],
                hoverinfo="text",
            )
        )
