"""Headline figures of a trial as plain data, for `python -m trial summary` and the tests.

Every statistic comes from the analysis engine (trial/analysis), the same functions the
dashboard's views and exports read, so the JSON and the screen cannot disagree.
"""
from __future__ import annotations

from . import tables
from .analysis.cohort import NO_GROUP, Cohort, resolve_group
from .analysis.compare import MODEL
from .analysis.published import relapses_by_month
from .analysis.records import records
from .analysis.survival import survival_summary
from .analysis.trajectories import TrajectoryRequest, analyse_trajectories
from .model import ROLES, Trial
from .stats import headline_counts

VISIT_KEYS = ("month", "n", "mean", "sd", "ci_low", "ci_high", "median", "q1", "q3",
              "n_paired", "p_vs_baseline")


def measure_summary(trial: Trial, code: str, test: str = "paired_t", by: str | None = None,
                    cohort: Cohort = Cohort()) -> dict:
    """Per-visit statistics of one measure (values, paired test against baseline); with `by`,
    per group as well (`groups`: group label -> visits)."""
    measure = trial.study.measure(code)
    out = {"label": measure.label, "unit": measure.unit, "unit_assumed": measure.unit_assumed,
           "population": measure.population, "test": test,
           "visits": _visits(trial, code, test, NO_GROUP, cohort)[0]["visits"]
           if len(cohort.patients(trial)) else []}
    if trial.study.measure(code).visits:
        out["visit_unit"] = trial.study.measure_visit_unit(code)
    if by is not None:
        out["by"] = by
        result = analyse_trajectories(trial, TrajectoryRequest(cohort, code, by, "value", test))
        out["groups"] = {g["group"]: g["visits"] for g in _group_visits(result)}
        comparison = [p for p in result.panels if len(p.comparison)]
        if comparison:
            out["between_groups"] = {"model": MODEL,
                                     "tests": records(comparison[0].comparison),
                                     "lsmeans": records(comparison[0].lsmeans)}
    return out


def _visits(trial: Trial, code: str, test: str, group: str, cohort: Cohort) -> list[dict]:
    return _group_visits(analyse_trajectories(trial, TrajectoryRequest(cohort, code, group,
                                                                       "value", test)))


def _group_visits(result) -> list[dict]:
    out = []
    for panel in result.panels:
        for g, rows in panel.summary.groupby("group", sort=False):
            out.append({"group": g, "visits": records(rows[list(VISIT_KEYS)])})
    return out


def study_definition(trial: Trial) -> dict:
    """The choices the analyses follow (trial.model.Design), as plain data."""
    design = trial.study.design
    return {
        "choices": design.choices(),
        "populations": [{"key": p.key, "label": p.label, "source": p.source, "n": p.n}
                        for p in design.populations],
        "analysis_sets": {role: Cohort(role=role).analysis_set(trial) for role in ROLES},
        "arms": [{"key": a.key, "variable": a.variable, "label": a.label} for a in design.arms],
        "origin": trial.study.origin,
        "visit_axes": [{"dataset": a.dataset, "unit": a.unit, "source": a.source,
                        "visits": [{"place": v.month, "label": v.label} for v in a.visits]}
                       for a in design.visit_axes],
        "endpoints": [{"code": e.code, "label": e.label, "unit": e.unit, "kept": e.kept,
                       "reason": e.reason} for e in design.endpoints],
        "not_analysed": [{"why": why, "subjects": n} for why, n in design.excluded],
        "overall_survival": design.overall_survival or None,
        "death_reconciliation": dict(design.reconciliation),
    }


def safety_summary(trial: Trial) -> dict | None:
    """The safety table (treatment-emergent adverse events by SOC and PT, by arm, in the safety
    population) as plain data; None for a trial without coded adverse events."""
    if trial.adverse_events.empty:
        return None
    cohort = Cohort(role="safety")
    patients = cohort.patients(trial)
    yes, no = tables.related_codes(trial)
    return {"analysis_set": cohort.analysis_set(trial, len(patients)),
            "counted": "treatment-emergent adverse events; subjects with at least one event, "
                       "% of the arm's subjects in the analysis set",
            "related_codes": yes, "not_related_codes": no,
            "severity_order": list(trial.severity_order),
            "rows": records(tables.safety_numbers(trial, patients))}


def build_summary(trial: Trial, by: str | None = None) -> dict:
    """Headline figures, per-visit statistics of every measure and every endpoint; `by`: a
    grouping key, a patients column or the data's own variable name (e.g. TRT01A)."""
    if by is not None:
        resolved = resolve_group(trial, by)
        if resolved is None:
            raise KeyError(f"no patient column or variable {by!r}")
        by = resolved
    patients = trial.patients
    counts = headline_counts(patients)
    out = {
        "study": trial.study.short_title,
        "registry_id": trial.study.registry_id,
        "data_status": trial.study.data_status,
        "patients": counts["patients"],
        "centers": {c: int((patients["center"] == c).sum()) for c in trial.centers},
        "response": {"MCR": counts["mcr"], "PCR": counts["pcr"], "NR": counts["nr"]},
        "deaths": counts["deaths"],
        "alive_at_12_months": counts["alive_at_day"],
        "relapses": counts["relapses"],
        "relapses_by_month": relapses_by_month(patients, (9, 12)),
        "measures": {code: measure_summary(trial, code, by=by) for code in trial.measure_codes},
        "warnings": [str(f) for f in trial.warnings],
        "survival": survival_summary(trial, by=by),
    }
    design = trial.study.design
    if design.populations or design.arms or design.visit_axes:
        out["study_definition"] = study_definition(trial)
    safety = safety_summary(trial)
    if safety is not None:
        out["safety"] = safety
    return out
