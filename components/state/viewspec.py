"""A view and its full state, as URL sharing, exports and presenter mode name it.

`VIEW_CONTROLS` is the one control map: for each view, the name its spec (and the URL) gives
each control, and the control's component id. `TAB_VIEWS`: the view a tab shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trial.analysis.cohort import NO_GROUP, Cohort
from trial.analysis.effects import LANDMARK_CHOICES
from trial.analysis.survival import SurvivalRequest
from trial.analysis.trajectories import ADJUSTMENTS, KEY_MEASURES, MODEL, TrajectoryRequest

from .. import ids
from .filters import COHORT_IDS

NO_LANDMARK = "none"
VIEW_CONTROLS: dict[str, dict[str, str]] = {
    ids.VIEW_TRAJECTORIES: {
        "measure": ids.TRAJ_MEASURE,
        "group": ids.TRAJ_GROUP,
        "statistic": ids.TRAJ_STATISTIC,
        "scale": ids.TRAJ_SCALE,
        "test": ids.TRAJ_TEST,
        "individual": ids.TRAJ_INDIVIDUAL,
        "adjust": ids.TRAJ_ADJUST,
    },
    ids.VIEW_SURVIVAL: {
        "endpoint": ids.SURV_ENDPOINT,
        "origin": ids.SURV_ORIGIN,
        "group": ids.SURV_GROUP,
        "unit": ids.SURV_UNIT,
        "ci": ids.SURV_CI,
        "reference": ids.SURV_REFERENCE,
        "strata": ids.SURV_STRATA,
        "covariates": ids.SURV_COVARIATES,
        "landmark": ids.SURV_LANDMARK,
    },
    ids.VIEW_TABLES: {},
    ids.VIEW_PATIENTS: {},
    ids.VIEW_EFFECTS: {
        "outcome": ids.EFFECTS_OUTCOME,
        "subgroups": ids.EFFECTS_SUBGROUPS,
        "compare": ids.EFFECTS_COMPARE,
        "reference": ids.EFFECTS_REFERENCE,
        "measure": ids.EFFECTS_MEASURE,
    },
    ids.VIEW_RESPONSE: {
        "plot": ids.RESP_PLOT,
        "measure": ids.RESP_MEASURE,
        "group": ids.RESP_GROUP,
    },
    # One patient's case narrative: made on the patient page, never from a tab's controls.
    ids.VIEW_NARRATIVE: {"patient": ids.NARRATIVE_PATIENT},
}
# What a spec means where it leaves a control out (e.g. a slide made by an older version).
VIEW_DEFAULTS: dict[str, dict[str, Any]] = {
    ids.VIEW_TRAJECTORIES: {
        "measure": KEY_MEASURES,
        "group": "response",
        "statistic": "mean_sd",
        "scale": "value",
        "test": "paired_t",
        "individual": False,
        "adjust": "none",
    },
    ids.VIEW_SURVIVAL: {
        "endpoint": "os",
        "origin": "day0",
        "group": NO_GROUP,
        "unit": "months",
        "ci": True,
        "reference": None,
        "strata": False,
        "covariates": [],
        "landmark": NO_LANDMARK,
    },
    ids.VIEW_TABLES: {},
    ids.VIEW_PATIENTS: {},
    ids.VIEW_EFFECTS: {
        "outcome": "os",
        "subgroups": [],
        "compare": NO_GROUP,
        "reference": None,
        "measure": "rd",
    },
    # measure and group: None is the trial's default (SLEDAI, responder groups; arm for ADaM)
    ids.VIEW_RESPONSE: {"plot": "waterfall", "measure": None, "group": None},
    ids.VIEW_NARRATIVE: {"patient": None},
}
TAB_VIEWS = {
    ids.TAB_TRAJECTORIES: ids.VIEW_TRAJECTORIES,
    ids.TAB_SURVIVAL: ids.VIEW_SURVIVAL,
    ids.TAB_TABLES: ids.VIEW_TABLES,
    ids.TAB_PATIENTS: ids.VIEW_PATIENTS,
    ids.TAB_EFFECTS: ids.VIEW_EFFECTS,
    ids.TAB_RESPONSE: ids.VIEW_RESPONSE,
}
VIEW_TABS = {v: k for k, v in TAB_VIEWS.items()}
VIEW_TITLES = {
    ids.VIEW_TRAJECTORIES: "Trajectories",
    ids.VIEW_TABLES: "Tables",
    ids.VIEW_PATIENTS: "Patients",
    ids.VIEW_SURVIVAL: "Survival",
    ids.VIEW_EFFECTS: "Effects by subgroup",
    ids.VIEW_RESPONSE: "Response",
    ids.VIEW_NARRATIVE: "Case narrative",
}
# Views of one patient: made on the patient page; the sidebar filters and the linked
# selection do not apply to them (a spec of one carries none).
PATIENT_VIEWS = (ids.VIEW_NARRATIVE,)


MAX_TAKEAWAY = 200  # characters of a slide's takeaway line


def clean_takeaway(text: Any) -> str:
    """A takeaway line as typed, on one line, printable, at most MAX_TAKEAWAY characters."""
    if not isinstance(text, str):
        return ""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:MAX_TAKEAWAY]


@dataclass(frozen=True)
class ViewSpec:
    """A view and its full state. `filters` maps filter component ids to widget values; empty
    means all patients. `takeaway`: the line a presenter typed when pinning it (plain text).
    JSON-able through `to_dict` / `from_dict` (a spec without a takeaway has no such key)."""

    view: str
    params: Mapping[str, Any] = field(default_factory=dict)
    filters: Mapping[str, Any] = field(default_factory=dict)
    takeaway: str = ""

    def to_dict(self) -> dict:
        d = {"view": self.view, "params": dict(self.params), "filters": dict(self.filters)}
        return {**d, "takeaway": self.takeaway} if self.takeaway else d

    @classmethod
    def from_dict(cls, d: Mapping) -> ViewSpec:
        return cls(
            str(d["view"]),
            dict(d.get("params") or {}),
            dict(d.get("filters") or {}),
            clean_takeaway(d.get("takeaway")),
        )

    def controls(self) -> dict[str, Any]:
        """The view's controls, at their defaults where the spec leaves them out."""
        given = {k: v for k, v in self.params.items() if v is not None}
        return {**VIEW_DEFAULTS.get(self.view, {}), **given}


def narrative_spec(patient_id: str, takeaway: str = "") -> ViewSpec:
    """The case narrative of one patient (an id of the loaded trial, checked by the caller)."""
    return ViewSpec(ids.VIEW_NARRATIVE, {"patient": str(patient_id)}, {}, clean_takeaway(takeaway))


def spec_from_values(view: str, control_values: Sequence, filter_values: Sequence) -> ViewSpec:
    """The spec of a view from its controls' values (VIEW_CONTROLS order) and the filters'
    values (COHORT_IDS order: the selection last, optional), as the callbacks receive them."""
    params = dict(zip(VIEW_CONTROLS[view], control_values))
    filters = dict(zip(COHORT_IDS, filter_values))
    return ViewSpec(view, params, _without_empty_selection(filters))


def _without_empty_selection(filters: dict) -> dict:
    """A spec names the linked selection only when patients are selected."""
    if not filters.get(ids.SELECTION_STORE):
        filters.pop(ids.SELECTION_STORE, None)
    return filters


def spec_from_state(values: Mapping[str, Any]) -> ViewSpec | None:
    """The spec of the active tab's view from {component id: value}, or None when the tab
    has no presentable view (patients, data quality)."""
    view = TAB_VIEWS.get(values.get(ids.TABS) or ids.TAB_TRAJECTORIES)
    if view is None:
        return None
    params = {name: values.get(cid) for name, cid in VIEW_CONTROLS[view].items()}
    flts = {cid: values.get(cid) for cid in COHORT_IDS if cid in values}
    return ViewSpec(view, params, _without_empty_selection(flts))


def trajectory_request(
    measure, group, scale, test, cohort: Cohort, adjust=None, statistic=None
) -> TrajectoryRequest:
    """The analysis the trajectories controls ask for (None: the control's default); the
    "model" summary asks for the mixed model."""
    return TrajectoryRequest(
        cohort,
        measure or KEY_MEASURES,
        group or NO_GROUP,
        scale or "value",
        test or "paired_t",
        adjust=adjust if adjust in ADJUSTMENTS else "none",
        model=statistic == MODEL,
    )


def landmark_months(value) -> int | None:
    """The landmark control's value ("none", "3", "6") as months, or None."""
    try:
        months = int(value)
    except (TypeError, ValueError):
        return None
    return months if months in LANDMARK_CHOICES else None


def survival_request(
    endpoint,
    origin,
    group,
    unit,
    cohort: Cohort,
    reference=None,
    strata=False,
    covariates=None,
    landmark=None,
) -> SurvivalRequest:
    """The analysis the survival controls ask for (None: the control's default)."""
    return SurvivalRequest(
        cohort,
        endpoint or "os",
        group or NO_GROUP,
        origin or "day0",
        unit or "months",
        reference=reference or None,
        strata=bool(strata),
        covariates=tuple(covariates or ()),
        landmark=landmark_months(landmark),
    )
