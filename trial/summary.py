"""Headline figures of a trial as plain data, for `python -m trial summary` and the tests.

Every statistic comes from the analysis engine (trial/analysis), the same functions the
dashboard's views and exports read, so the JSON and the screen cannot disagree.
"""

from __future__ import annotations

from . import tables
from .analysis.cohort import NO_GROUP, Cohort, resolve_group
from .analysis.compare import MODEL
from .analysis.mixed import ASSUMPTIONS
from .analysis.multiplicity import MIN_PAIRED, visit_p_values
from .analysis.published import relapses_by_month
from .analysis.records import records
from .analysis.response import waterfall_summary
from .analysis.subgroups import forest_summary
from .analysis.survival import survival_summary
from .analysis.trajectories import MODEL_SCALES, Panel, TrajectoryRequest, analyse_trajectories
from .model import ROLES, Trial
from .stats import Test, headline_counts

VISIT_KEYS = (
    "month",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "median",
    "q1",
    "q3",
    "n_paired",
    "p_vs_baseline",
    "too_few",
    "p_holm",
    "p_hochberg",
)
EMM_KEYS = ["visit", "estimate", "se", "lower", "upper"]
TESTS = {
    "p_vs_baseline": "two-sided paired test of each visit against baseline on patients "
    f"with both values; none (null) with fewer than {MIN_PAIRED} pairs",
    "p_holm": "Holm-adjusted across the follow-up visits of each group (R p.adjust)",
    "p_hochberg": "Hochberg-adjusted across the follow-up visits of each group",
}


def measure_summary(
    trial: Trial,
    code: str,
    test: Test = "paired_t",
    by: str | None = None,
    cohort: Cohort = Cohort(),
    model: bool = True,
) -> dict:
    """Per-visit statistics of one measure (values, paired test against baseline, unadjusted
    and adjusted across visits); with `by`, per group as well (`groups`: group label ->
    visits); with `model`, the mixed model's estimated means (`model`: scale -> group ->
    visits), for the grouping `by` (or all patients)."""
    measure = trial.study.measure(code)
    out = {
        "label": measure.label,
        "unit": measure.unit,
        "unit_assumed": measure.unit_assumed,
        "population": measure.population,
        "test": test,
        "tests": TESTS,
        "visits": _visits(trial, code, test, NO_GROUP, cohort)[0]["visits"]
        if len(cohort.patients(trial))
        else [],
    }
    if trial.study.measure(code).visits:
        out["visit_unit"] = trial.study.measure_visit_unit(code)
    if by is not None:
        out["by"] = by
        result = analyse_trajectories(trial, TrajectoryRequest(cohort, code, by, "value", test))
        out["groups"] = {g["group"]: g["visits"] for g in _group_visits(result)}
        comparison = [p for p in result.panels if len(p.comparison)]
        if comparison:
            out["between_groups"] = {
                "model": MODEL,
                "tests": records(comparison[0].comparison),
                "lsmeans": records(comparison[0].lsmeans),
            }
    if model and len(cohort.patients(trial)):
        out["model"] = {
            scale: _model(trial, code, test, by or NO_GROUP, cohort, scale)
            for scale in MODEL_SCALES
        }
    return out


def _adjusted(panel: Panel):
    """The panel's summary with the p-values adjusted both ways (p_holm, p_hochberg)."""
    s = panel.summary
    return s.assign(**{f"p_{m}": visit_p_values(s, m)["p_adjusted"] for m in ("holm", "hochberg")})


def _visits(trial: Trial, code: str, test: Test, group: str, cohort: Cohort) -> list[dict]:
    return _group_visits(
        analyse_trajectories(trial, TrajectoryRequest(cohort, code, group, "value", test))
    )


def _group_visits(result) -> list[dict]:
    out = []
    for panel in result.panels:
        for g, rows in _adjusted(panel).groupby("group", sort=False):
            out.append({"group": g, "visits": records(rows[list(VISIT_KEYS)])})
    return out


def _model(trial: Trial, code: str, test: Test, group: str, cohort: Cohort, scale) -> dict:
    """The mixed model of one scale: estimated means per group and visit, variance
    components, what was left out and the model's assumptions."""
    request = TrajectoryRequest(cohort, code, group, scale, test, model=True)
    panels = analyse_trajectories(trial, request).panels
    if not panels:
        return {"groups": {}, "notes": ["no values"]}
    panel = panels[0]
    m = panel.model
    out: dict = {"assumptions": ASSUMPTIONS, "notes": list(panel.model_notes), "groups": {}}
    if m is None:
        return out
    out.update(
        n_patients=m.n_patients,
        n_observations=m.n_observations,
        reml_loglik=m.reml_loglik,
        variance=records(m.variance),
        covariate="baseline" if scale == "change" else None,
        groups={str(g): records(rows[EMM_KEYS]) for g, rows in m.emm.groupby("group", sort=False)},
    )
    return out


def study_definition(trial: Trial) -> dict:
    """The choices the analyses follow (trial.model.Design), as plain data."""
    design = trial.study.design
    return {
        "choices": design.choices(),
        "populations": [
            {"key": p.key, "label": p.label, "source": p.source, "n": p.n}
            for p in design.populations
        ],
        "analysis_sets": {role: Cohort(role=role).analysis_set(trial) for role in ROLES},
        "arms": [{"key": a.key, "variable": a.variable, "label": a.label} for a in design.arms],
        "origin": trial.study.origin,
        "visit_axes": [
            {
                "dataset": a.dataset,
                "unit": a.unit,
                "source": a.source,
                "visits": [{"place": v.month, "label": v.label} for v in a.visits],
            }
            for a in design.visit_axes
        ],
        "endpoints": [
            {"code": e.code, "label": e.label, "unit": e.unit, "kept": e.kept, "reason": e.reason}
            for e in design.endpoints
        ],
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
    return {
        "analysis_set": cohort.analysis_set(trial, len(patients)),
        "counted": "treatment-emergent adverse events; subjects with at least one event, "
        "% of the arm's subjects in the analysis set",
        "related_codes": yes,
        "not_related_codes": no,
        "severity_order": list(trial.severity_order),
        "rows": records(tables.safety_numbers(trial, patients)),
    }


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
        "measures": {
            code: measure_summary(trial, code, by=by, model=code in trial.key_measure_codes)
            for code in trial.measure_codes
        },
        "model_measures": "the mixed model (`model`) is given for the key measures: "
        + ", ".join(trial.key_measure_codes),
        "warnings": [str(f) for f in trial.warnings],
        "survival": survival_summary(trial, by=by),
        "effects_by_subgroup": forest_summary(trial, by=by),
        "waterfall": waterfall_summary(trial, by=by),
    }
    design = trial.study.design
    if design.populations or design.arms or design.visit_axes:
        out["study_definition"] = study_definition(trial)
    safety = safety_summary(trial)
    if safety is not None:
        out["safety"] = safety
    return out
