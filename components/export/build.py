"""What an export needs of a view: a `ViewSpec` in, an `ExportView` (figure, title, footnote,
numbers behind the figure, method) out.

    ViewSpec (view + its controls + the sidebar filters, JSON-able)
      -> build_view(trial, spec, today) -> ExportView
      -> slides.slide_figure (rendered in the browser), deck.pptx_deck, report.html_report,
         files.numbers_csv

The numbers come from the analysis engine (trial/analysis) and the figures from the same pure
builders the views use, so a slide, its PowerPoint page and its HTML section show what the
screen shows. File names are built from view names and measure or endpoint codes, never from
free text of the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from trial import tables as tt
from trial.analysis.cohort import Cohort
from trial.analysis.patients import (
    PatientRecord,
    baseline_changes,
    patient_record,
    provenance_counts,
)
from trial.analysis.response import best_change, request_for
from trial.analysis.subgroups import ForestRequest, analyse_forest, subgroup_label
from trial.analysis.survival import analyse_survival
from trial.analysis.trajectories import analyse_trajectories
from trial.filters import PatientFilter, listed_patients
from trial.model import SEX_LABELS, Trial

from .. import ids
from ..figures.cohort import patient_list_rows
from ..figures.forest import export_name as forest_name
from ..figures.forest import forest_view
from ..figures.narrative import header_facts, narrative_figure, outcome_fact
from ..figures.patient import event_rows
from ..figures.response import drawn_sentence, group_points, response_view
from ..figures.response import export_name as response_name
from ..figures.survival import (
    CI_LABEL,
    SurvivalOptions,
    export_frame,
    survival_lines,
    survival_view,
)
from ..figures.survival import export_name as survival_name
from ..figures.text import plain_text
from ..figures.trajectory import MODEL_SHORT, TrajectoryOptions, marks_text, trajectory_view
from ..figures.trajectory import export_name as trajectory_name
from ..state.filters import filter_of, filterable, people
from ..state.viewspec import ViewSpec, survival_request, trajectory_request
from . import methods, notes
from .methods import Method
from .notes import event_sentences, narrative_points


@dataclass(frozen=True)
class ExportView:
    """Everything an export needs of one view."""

    view: str
    name: str  # file-name stem: constants and codes only
    title: str
    subtitle: str
    figure: go.Figure | None
    numbers: pd.DataFrame  # the numbers behind the figure
    footnote: tuple[str, ...]  # n, filters, tests, provenance
    method: Method
    n: int
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    points: tuple[str, ...] = ()  # the key numbers as sentences (speaker notes)
    takeaway: str = ""  # the presenter's line, typed when pinning


def provenance_note(trial: Trial) -> str:
    study = trial.study
    if study.is_simulated:
        return f"Simulated data (demo): {study.data_note or 'patient-level values are simulated.'}"
    return f"Data: {study.data_status}, as recorded in the trial."


def source_line(trial: Trial, today: date) -> str:
    study = trial.study
    source = " · ".join(x for x in (study.short_title, study.registry_id) if x)
    return f"{source} · exported {today.isoformat()}"


def footnote_lines(
    trial: Trial, flt: PatientFilter, n: int, extra: Sequence[str], today: date
) -> tuple[str, ...]:
    return (
        f"n = {n} of {len(trial.patients)} patients · filters: {flt.describe()}",
        *extra,
        provenance_note(trial),
        source_line(trial, today),
    )


def _titles(fig: go.Figure, default: str) -> tuple[str, str]:
    """The figure's title and subtitle as plain text, without the subtitle's words on what a
    click does ("click a line to ..."): there is nothing to click on a slide or a page."""
    title = plain_text(fig.layout.title.text) or default
    subtitle = plain_text(fig.layout.title.subtitle.text) if fig.layout.title.subtitle else ""
    parts = [p for p in subtitle.split(" · ") if not p.lower().startswith("click ")]
    return title, " · ".join(parts)


def _trajectories(trial: Trial, spec: ViewSpec):
    p = spec.controls()
    cohort = Cohort(filter_of(trial, spec.filters))
    request = trajectory_request(
        p["measure"], p["group"], p["scale"], p["test"], cohort, p["adjust"], p["statistic"]
    )
    return analyse_trajectories(trial, request), p


def build_trajectories(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    result, p = _trajectories(trial, spec)
    options = TrajectoryOptions(statistic=p["statistic"], show_individual=bool(p["individual"]))
    view = trajectory_view(trial, result, options)
    extra = [marks_text(result)] if result.codes else []
    if result.codes and p["statistic"] == "model":
        extra.append(
            f"Means: {MODEL_SHORT}; patients with missing visits contribute those they "
            "have (missing at random assumed)."
        )
    title, subtitle = _titles(view.figure, "Trajectories")
    flt = result.request.cohort.filter
    return ExportView(
        view=ids.VIEW_TRAJECTORIES,
        name=trajectory_name(result),
        title=title,
        subtitle=subtitle,
        figure=view.figure,
        numbers=pd.DataFrame(view.rows),
        footnote=footnote_lines(trial, flt, result.n_patients, extra, today),
        method=methods.trajectory_method(trial, result, p["statistic"], data_dir),
        n=result.n_patients,
        points=tuple(
            notes.trajectory_points(pd.DataFrame(view.rows), p["statistic"], result.request.scale)
        ),
    )


TABLE_TITLES = {
    ids.TABLE_BASELINE: "Table 1. Baseline characteristics by center",
    ids.TABLE_RESPONSE: "Response rates by center, with exact 95 % CIs",
    ids.TABLE_AE: "Table 2. Adverse events and deaths within follow-up",
    ids.TABLE_AE_COUNTS: "Adverse events by term",
}
TABLE_BUILDERS: dict[str, Callable[[Trial, pd.DataFrame], pd.DataFrame]] = {
    ids.TABLE_BASELINE: tt.baseline_table,
    ids.TABLE_RESPONSE: tt.response_table,
    ids.TABLE_AE: tt.adverse_event_table,
    ids.TABLE_AE_COUNTS: tt.adverse_event_count_table,
}
# What "Download CSV" of each table gives: numbers where there are numbers.
TABLE_CSV: dict[str, Callable[[Trial, pd.DataFrame], pd.DataFrame]] = {
    ids.TABLE_BASELINE: tt.baseline_numbers,
    ids.TABLE_RESPONSE: tt.response_numbers,
    ids.TABLE_AE: tt.adverse_event_listing,
    ids.TABLE_AE_COUNTS: tt.adverse_event_counts,
}
TABLES_NOTE = (
    "Response: best response as recorded over all selected patients; 95 % CI "
    f"{tt.CI_METHOD}. Means ± SD; medians (IQR)."
)


def build_tables(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    flt = filter_of(trial, spec.filters)
    patients = Cohort(flt).patients(trial)
    tables = tuple((TABLE_TITLES[k], build(trial, patients)) for k, build in TABLE_BUILDERS.items())
    return ExportView(
        view=ids.VIEW_TABLES,
        name="paper_tables",
        title="Tables for the paper",
        subtitle=f"{len(patients)} patients",
        figure=None,
        numbers=tt.response_numbers(trial, patients),
        footnote=footnote_lines(trial, flt, len(patients), [TABLES_NOTE], today),
        method=methods.tables_method(trial, flt, len(patients), data_dir),
        n=len(patients),
        tables=tables,
        points=tuple(_response_points(tables[1][1])),
    )


# The patient list on a slide: a few columns, the first rows (a slide holds about 14).
PATIENT_SLIDE_COLUMNS = {
    "patient_id": "Patient",
    "center": "Center",
    "arm": "Arm",
    "response": "Response",
    "relapse": "Relapse",
    "death": "Death",
    "followup_days": "Follow-up (days)",
    "age": "Age",
    "sex": "Sex",
}
MAX_PATIENT_SLIDE_ROWS = 14


def _whole(x):
    """An integral number without its ".0" (ages in years); anything else as it is."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def patient_table(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """The patients' list as a table: the columns the data have, in the list's order."""
    rows = pd.DataFrame(patient_list_rows(trial, patients))
    if rows.empty:
        return pd.DataFrame(columns=["Patient"])
    cols = [c for c in PATIENT_SLIDE_COLUMNS if c in rows and rows[c].notna().any()]
    table = rows[cols].rename(columns=PATIENT_SLIDE_COLUMNS)
    # Words and whole years on a slide, as Table 1 has them (the grid filters on the codes).
    if "Sex" in table:
        table["Sex"] = table["Sex"].map(lambda s: SEX_LABELS.get(s, s))
    if "Age" in table:
        table["Age"] = table["Age"].map(_whole)
    if "Center" in table:
        table = table.rename(columns={"Center": trial.study.center_label})
    return table


def patients_method(flt: PatientFilter, n: int, who: str = "patients") -> Method:
    return Method(
        (
            f"The {n} {who} the filters and the selection keep ({flt.describe()}), as "
            "recorded: one row each, in the order of their ids; follow-up in days from day 0.",
        )
    )


def build_patients(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    """The Patients tab as a table slide: the patients the filters and the selection keep
    (the first rows on the slide, all of them in the numbers)."""
    flt = filter_of(trial, spec.filters)
    patients = listed_patients(trial, flt)
    table = patient_table(trial, patients)
    who = people(trial)
    shown = table.head(MAX_PATIENT_SLIDE_ROWS)
    caption = (
        f"{len(table)} {who}"
        if len(shown) == len(table)
        else f"First {len(shown)} of {len(table)} {who} (all in the numbers file)"
    )
    return ExportView(
        view=ids.VIEW_PATIENTS,
        name="patient_list",
        title=f"{who.capitalize()}",
        subtitle=f"{len(patients)} {who} · {flt.describe()}",
        figure=None,
        numbers=table,
        footnote=footnote_lines(trial, flt, len(patients), [], today),
        method=patients_method(flt, len(patients), who),
        n=len(patients),
        tables=((caption, shown),),
        points=(f"{len(patients)} {who}: {flt.describe()}.",),
    )


def _response_points(response: pd.DataFrame) -> list[str]:
    """The overall row of the response table in words."""
    overall = response.loc[response.iloc[:, 0] == "Overall"]
    if overall.empty:
        return []
    row = overall.iloc[0]
    return [
        f"{name} in all {row['n']} selected patients: {row[name]}." for name in response.columns[2:]
    ]


def _survival(trial: Trial, spec: ViewSpec):
    p = spec.controls()
    cohort = Cohort(filter_of(trial, spec.filters))
    request = survival_request(
        p["endpoint"],
        p["origin"],
        p["group"],
        p["unit"],
        cohort,
        p["reference"],
        p["strata"],
        p["covariates"],
        p["landmark"],
    )
    return analyse_survival(trial, request), cohort, p


def _survival_lines(lines: list[str]) -> list[str]:
    return lines + [f"Kaplan-Meier estimates with {CI_LABEL} (lifelines)."]


def build_survival(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    result, cohort, p = _survival(trial, spec)
    view = survival_view(
        trial, result, cohort.patients(trial), cohort.describe(), SurvivalOptions(bool(p["ci"]))
    )
    lines = _survival_lines(view.lines)
    title, subtitle = _titles(view.figure, "Survival")
    # the footnote: counts, tests and hazard ratios, warnings (guarantee time, landmark)
    extra = lines[:1] + list(view.tests) + list(view.warnings)
    return ExportView(
        view=ids.VIEW_SURVIVAL,
        name=survival_name(result),
        title=title,
        subtitle=subtitle,
        figure=view.figure,
        numbers=export_frame(result),
        footnote=footnote_lines(trial, cohort.filter, result.n_patients, extra, today),
        method=methods.survival_method(trial, result, lines, data_dir),
        n=result.n_patients,
        points=tuple(view.lines[:1] + list(view.tests) + notes.survival_points(result)),
    )


def _effects(trial: Trial, spec: ViewSpec):
    p = spec.controls()
    cohort = Cohort(filter_of(trial, spec.filters))
    request = ForestRequest(
        cohort,
        p["outcome"] or "os",
        tuple(p["subgroups"] or ()),
        p["compare"] or "none",
        p["reference"] or None,
        p["measure"] if p["measure"] in ("rd", "or") else "rd",
    )
    return analyse_forest(trial, request), cohort


def build_effects(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    result, cohort = _effects(trial, spec)
    unfiltered = [
        subgroup_label(trial, c) for c in result.request.subgroups if not filterable(trial, c)
    ]
    view = forest_view(trial, result, cohort.describe(), unfiltered, people(trial))
    title, subtitle = _titles(view.figure, "Effects by subgroup")
    shown = [n for n in view.notes if not n.startswith("A click")]
    return ExportView(
        view=ids.VIEW_EFFECTS,
        name=forest_name(result),
        title=title,
        subtitle=subtitle,
        figure=view.figure,
        numbers=pd.DataFrame(view.rows),
        footnote=footnote_lines(trial, cohort.filter, result.n_patients, shown, today),
        method=methods.effects_method(trial, result, data_dir),
        n=result.n_patients,
        points=tuple(shown),
    )


def _response(trial: Trial, spec: ViewSpec):
    p = spec.controls()
    cohort = Cohort(filter_of(trial, spec.filters))
    return best_change(trial, request_for(trial, cohort, p["measure"], p["group"])), cohort, p


def response_points(trial: Trial, result) -> list[str]:
    """The speaker's numbers: who is drawn, then each group's median and improvements."""
    return [drawn_sentence(result, people(trial)), *group_points(result, people(trial))]


def build_response(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    result, cohort, p = _response(trial, spec)
    view = response_view(trial, result, p["plot"], cohort.describe(), people(trial))
    title, subtitle = _titles(view.figure, "Response")
    shown = [n for n in view.notes if n not in group_points(result, people(trial))]
    return ExportView(
        view=ids.VIEW_RESPONSE,
        name=response_name(result, p["plot"]),
        title=title,
        subtitle=subtitle,
        figure=view.figure,
        numbers=pd.DataFrame(view.rows),
        footnote=footnote_lines(trial, cohort.filter, result.n_patients, shown, today),
        method=methods.response_method(trial, result, data_dir),
        n=result.n_patients,
        points=tuple(response_points(trial, result)),
    )


def narrative_record(trial: Trial, spec: ViewSpec) -> PatientRecord:
    """The patient of a narrative's spec; KeyError when the trial has no such patient."""
    pid = spec.controls()["patient"]
    record = patient_record(trial, pid) if isinstance(pid, str) else None
    if record is None:
        raise KeyError("no such patient in this trial")
    return record


def patient_provenance(trial: Trial, record: PatientRecord) -> str:
    """How many of the patient's values and events are simulated, and the rest."""
    counts = provenance_counts(record)
    total, simulated = sum(counts.values()), counts.get("simulated", 0)
    if not simulated:
        return f"All {total} of this {people(trial)[:-1]}'s values and events as recorded."
    others = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if k != "simulated")
    return (
        f"Simulated: {simulated} of this {people(trial)[:-1]}'s {total} values and events "
        f"(demo data){'; ' + others if others else ''}."
    )


NARRATIVE_COLUMNS = {
    "label": "Measure",
    "unit": "Unit",
    "baseline": "Baseline",
    "last_visit": "Last visit",
    "last": "Last value",
    "change": "Change",
    "pct_change": "% change",
    "n_values": "Values",
    "simulated": "Simulated values",
}


def narrative_numbers(trial: Trial, changes: pd.DataFrame) -> pd.DataFrame:
    """The key measures against baseline with their labels, units and last visit's label."""
    study = trial.study
    rows = changes.assign(
        label=[study.measure(c).label for c in changes["measure"]],
        unit=[study.measure(c).unit for c in changes["measure"]],
        last_visit=[
            "" if pd.isna(m) else study.visit_label(m, c)
            for m, c in zip(changes["last_month"], changes["measure"])
        ],
    )
    return rows[list(NARRATIVE_COLUMNS)].rename(columns=NARRATIVE_COLUMNS)


def narrative_method(trial: Trial) -> Method:
    return Method(
        (
            f"One {people(trial)[:-1]}'s values and events as recorded, in day order; the "
            "sidebar filters and the linked selection do not apply to a case narrative.",
            "Baseline: the value at the baseline visit; last value: the latest visit after "
            "it; % change = 100 × (last − baseline) / baseline (none for a zero baseline).",
        )
    )


def _narrative_who(trial: Trial, record: PatientRecord, facts: list[str]) -> str:
    """ "Patient 12 (center Nanjing, MCR, 34 years, female)", as a sentence starts."""
    said = list(facts)
    if record.row.get("center"):  # "center Nanjing" within a sentence
        said[0] = facts[0][0].lower() + facts[0][1:]
    who = f"{person_word(trial)} {record.patient_id}"
    return who + (f" ({', '.join(said)})" if said else "")


def _narrative_points(
    trial: Trial, record: PatientRecord, changes: pd.DataFrame, numbers: pd.DataFrame
) -> tuple[str, ...]:
    """Who, each key measure against baseline, the events, the outcome, the provenance."""
    said = list(zip(numbers["Measure"], changes.to_dict("records"), numbers["Last visit"]))
    who = _narrative_who(trial, record, header_facts(trial, record))
    outcome = outcome_fact(record)
    return (
        *narrative_points(who, said, event_sentences(event_rows(record))),
        *([outcome[0].upper() + outcome[1:] + "."] if outcome else []),
        patient_provenance(trial, record),
    )


def person_word(trial: Trial) -> str:
    return people(trial)[:-1].capitalize()


def build_narrative(
    trial: Trial, spec: ViewSpec, today: date, data_dir: str = methods.DATA_DIR
) -> ExportView:
    """One patient's case narrative on one slide: header facts, timeline, key measures
    against baseline, events and adverse events; the story in sentences for the notes."""
    record = narrative_record(trial, spec)
    changes = baseline_changes(trial, record, list(trial.key_measure_codes))
    numbers = narrative_numbers(trial, changes)
    outcome = outcome_fact(record)
    return ExportView(
        view=ids.VIEW_NARRATIVE,
        name="case_narrative",
        title=f"{person_word(trial)} {record.patient_id}: case narrative",
        subtitle=" · ".join([*header_facts(trial, record), *([outcome] if outcome else [])]),
        figure=narrative_figure(trial, record, changes),
        numbers=numbers,
        footnote=(
            f"A case narrative of one of the {len(trial.patients)} {people(trial)} (the filters "
            "and the linked selection do not apply)",
            patient_provenance(trial, record),
            provenance_note(trial),
            source_line(trial, today),
        ),
        method=narrative_method(trial),
        n=1,
        points=_narrative_points(trial, record, changes, numbers),
    )


VIEW_BUILDERS: dict[str, Callable[..., ExportView]] = {
    ids.VIEW_TRAJECTORIES: build_trajectories,
    ids.VIEW_TABLES: build_tables,
    ids.VIEW_PATIENTS: build_patients,
    ids.VIEW_SURVIVAL: build_survival,
    ids.VIEW_EFFECTS: build_effects,
    ids.VIEW_RESPONSE: build_response,
    ids.VIEW_NARRATIVE: build_narrative,
}


def build_view(trial: Trial, spec: ViewSpec, today: date) -> ExportView:
    ev = VIEW_BUILDERS[spec.view](trial, spec, today)
    return replace(ev, takeaway=spec.takeaway) if spec.takeaway else ev


def build_method(trial: Trial, spec: ViewSpec) -> Method:
    """The method of a view without building its figure or export (the method panel)."""
    if spec.view == ids.VIEW_TRAJECTORIES:
        result, p = _trajectories(trial, spec)
        return methods.trajectory_method(trial, result, p["statistic"])
    if spec.view == ids.VIEW_SURVIVAL:
        result, cohort, p = _survival(trial, spec)
        lines = survival_lines(result, cohort.patients(trial))
        return methods.survival_method(trial, result, _survival_lines(lines))
    if spec.view == ids.VIEW_EFFECTS:
        return methods.effects_method(trial, _effects(trial, spec)[0])
    if spec.view == ids.VIEW_RESPONSE:
        return methods.response_method(trial, _response(trial, spec)[0])
    if spec.view == ids.VIEW_NARRATIVE:
        return narrative_method(trial)
    flt = filter_of(trial, spec.filters)
    if spec.view == ids.VIEW_PATIENTS:
        return patients_method(flt, len(listed_patients(trial, flt)), people(trial))
    return methods.tables_method(trial, flt, len(Cohort(flt).patients(trial)))
