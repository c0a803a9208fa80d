"""Response per patient: the best % change from baseline of a measure over follow-up (the
waterfall) and the % change at every visit (the spider plot).

    result = best_change(trial, ResponseRequest(cohort, measure="sledai", group="response"))

"Best" is the most favourable post-baseline value: the lowest % change for a measure where
lower is better (SLEDAI, proteinuria, creatinine, anti-dsDNA) or without a direction, the
highest where higher is better (C3). Post-baseline: any visit after the baseline visit
(month 0). Patients of the measure's population without a usable baseline (missing, or zero:
no % change) or without a post-baseline value are counted, not drawn. Every view, export and
`trial summary --json` (section `waterfall`) reads this result; figures only draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model import Measure, Trial
from ..stats import BASELINE_MONTH
from .cohort import (
    CENTER_PREFIX,
    NO_GROUP,
    Cohort,
    default_group,
    group_label,
    group_options,
    labelled,
    level_order,
    line_column,
)
from .records import records

DEFAULT_MEASURES = ("sledai",)  # the default where the trial has it
IMPROVEMENT = 50.0  # the reference line: a 50 % improvement from baseline, in %
BEST_COLUMNS = [
    "patient_id",
    "group",
    "baseline",
    "best_pct",
    "best_value",
    "best_month",
    "n_post",
    "simulated",
    "improved",
]
CHANGE_COLUMNS = ["patient_id", "group", "month", "value", "baseline", "pct_change", "simulated"]


@dataclass(frozen=True)
class ResponseRequest:
    cohort: Cohort = Cohort()
    measure: str = "sledai"
    group: str = NO_GROUP  # a grouping key (cohort.group_options); panels per center: lines only


@dataclass(frozen=True)
class ResponseResult:
    request: ResponseRequest
    measure: Measure | None
    direction: str  # "lower" or "higher": which way is better (lower without a direction)
    best: pd.DataFrame  # one row per drawn patient (BEST_COLUMNS), sorted for the waterfall
    changes: pd.DataFrame  # every post-baseline % change of the drawn patients (CHANGE_COLUMNS)
    n_patients: int  # selected patients in the measure's population
    no_baseline: tuple[str, ...] = ()  # no baseline value, or a zero baseline
    no_post: tuple[str, ...] = ()  # a baseline but no post-baseline value
    levels: tuple[str, ...] = ()  # group levels of the whole trial, in order
    group_label: str | None = None
    empty: str = ""  # why nothing can be drawn
    by_group: pd.DataFrame = field(default_factory=pd.DataFrame)  # group, n, median, improved

    @property
    def directed(self) -> bool:
        """Whether the measure says which way is better (else "best" is just the lowest)."""
        return self.measure is not None and self.measure.better != "none"

    @property
    def threshold(self) -> float:
        """The % change of the reference line: -50 where lower is better, +50 otherwise."""
        return -IMPROVEMENT if self.direction == "lower" else IMPROVEMENT


def default_measure(trial: Trial) -> str | None:
    """SLEDAI where the trial has it, else the first key measure, else the first measure."""
    codes = list(trial.measure_codes)
    for code in (*DEFAULT_MEASURES, *trial.key_measure_codes, *codes):
        if code in codes:
            return code
    return None


def measure_choices(trial: Trial) -> dict[str, str]:
    """The measures offered: key measures first (SLEDAI, proteinuria, ...), then the others."""
    study = trial.study
    key = [c for c in trial.key_measure_codes if c in trial.measure_codes]
    rest = [c for c in trial.measure_codes if c not in key]
    return {c: study.measure(c).label for c in key + rest}


def group_choices(trial: Trial) -> dict[str, str]:
    """The groupings offered: one colour per level, so no panels per center."""
    return {k: v for k, v in group_options(trial).items() if not k.startswith(CENTER_PREFIX)}


def request_for(trial: Trial, cohort: Cohort, measure=None, group=None) -> ResponseRequest:
    """The request the controls ask for; a missing or unknown measure or grouping: the trial's
    default (SLEDAI and responder groups in the demo, the first key measure and arm in ADaM)."""
    code = measure if measure in trial.measure_codes else default_measure(trial)
    groups = group_choices(trial)
    by = group if group in groups else default_group(trial)
    return ResponseRequest(cohort, code or "", by if by in groups else NO_GROUP)


def direction_of(measure: Measure) -> str:
    return "higher" if measure.better == "higher" else "lower"


# The best % change of each selected patient, in the engine. `cohort` (patient_id, patient_row,
# grp: the group label), bound per request; $measure. Every patient of the cohort comes back:
# without a usable baseline (missing, or zero) `usable` is NULL; with one but no post-baseline
# value, `month` is NULL; else one row per post-baseline value, `is_best` for the best (the
# most favourable % change, the first visit on a tie; `+ 0.0` makes -0 equal to 0, as pandas
# sorts them), in the order of the ids (byte order: pandas' order of text) and the months.
# (Aggregates and joins, not a window ranking each patient's values: a third of the time.)
_BEST_SQL = """
WITH vals AS (
    SELECT m.patient_row AS patient, m.month, m.value, {simulated} AS simulated
    FROM cohort c JOIN measurements m ON m.patient_row = c.patient_row
    WHERE m.measure = $measure
),
base AS (
    SELECT patient, value AS baseline FROM vals
    WHERE month = {baseline_month} AND value <> 0
),
post AS (
    SELECT v.patient, v.month, v.value, b.baseline,
           100 * (v.value - b.baseline) / b.baseline AS pct_change, v.simulated
    FROM vals v JOIN base b ON b.patient = v.patient
    WHERE v.month > {baseline_month} AND v.value IS NOT NULL
),
best AS (
    SELECT patient, {most}(pct_change + 0.0) AS pct, count(*) AS n_post
    FROM post GROUP BY patient
),
best_visit AS (
    SELECT p.patient, min(p.month) AS month, min(b.n_post) AS n_post
    FROM post p JOIN best b ON b.patient = p.patient
    WHERE p.pct_change + 0.0 = b.pct GROUP BY p.patient
)
SELECT c.patient_id, c.grp, b.baseline AS usable, p.month, p.value, p.baseline, p.pct_change,
       p.simulated, p.month = f.month AS is_best, f.n_post
FROM cohort c
LEFT JOIN base b ON b.patient = c.patient_row
LEFT JOIN post p ON p.patient = c.patient_row
LEFT JOIN best_visit f ON f.patient = c.patient_row
ORDER BY c.patient_id COLLATE "C", p.month
"""
# Provenance is text such as "simulated" or "recorded"; a study without the column has none.
_SIMULATED = "coalesce(lower(CAST(m.provenance AS text)), '') = 'simulated'"


def _best_sql(trial: Trial, direction: str) -> str:
    simulated = _SIMULATED if "provenance" in trial.measurement_template else "false"
    most = "max" if direction == "higher" else "min"
    return _BEST_SQL.format(simulated=simulated, baseline_month=BASELINE_MONTH, most=most)


def _best_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per patient with a post-baseline value: the best, in id order."""
    best = rows.loc[rows["is_best"].eq(True)]
    return pd.DataFrame(
        {
            "patient_id": best["patient_id"].to_numpy(),
            "group": best["grp"].to_numpy(),
            "baseline": best["baseline"].to_numpy(float),
            "best_pct": best["pct_change"].to_numpy(float),
            "best_value": best["value"].to_numpy(float),
            "best_month": best["month"].to_numpy(float),
            "n_post": best["n_post"].to_numpy(int),
            "simulated": best["simulated"].to_numpy(bool),
        }
    )


def _sorted(best: pd.DataFrame, direction: str, threshold: float) -> pd.DataFrame:
    """Worst on the left, best on the right (the waterfall's order); ties by patient id (the
    rows come in id order: a stable sort keeps it)."""
    pct = best["best_pct"]
    improved = pct <= threshold if direction == "lower" else pct >= threshold
    out = best.assign(improved=improved.to_numpy(bool), _id_order=range(len(best)))
    out = out.sort_values(
        ["best_pct", "_id_order"], ascending=[direction == "higher", True], kind="stable"
    )
    return out.reset_index(drop=True)[BEST_COLUMNS]


def _by_group(best: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Each group's n, median best % change and patients reaching the reference line."""
    by = best.groupby("group", sort=False)
    found = pd.DataFrame(
        {
            "n": by.size(),
            "median_best_pct": by["best_pct"].median().astype(float),
            "improved": by["improved"].sum().astype(int),
        }
    )
    present = [level for level in levels if level in found.index]
    return found.loc[present].rename_axis("group").reset_index()


def _cohort(trial: Trial, request: ResponseRequest) -> tuple[pd.DataFrame, list[str]]:
    """The selected patients of the measure's population with their group label (the
    relation the query binds), and the group levels."""
    patients = request.cohort.patients(trial)
    measure = trial.study.measure(request.measure)
    if measure.population and measure.population in patients:
        patients = patients.loc[patients[measure.population].eq(True)]
    col = line_column(request.group)
    groups = labelled(trial, patients, col)
    levels = list(level_order(trial, col)) if col else list(groups.cat.categories)
    levels += [lv for lv in groups.cat.categories if lv not in levels]
    cohort = pd.DataFrame(
        {
            "patient_id": patients["patient_id"].astype(str).to_numpy(),
            "patient_row": trial.patient_rows(patients),
            "grp": groups.astype(str).to_numpy(),
        }
    )
    return cohort, levels


def _changes(rows: pd.DataFrame, months: pd.Series) -> pd.DataFrame:
    """Every post-baseline value of the rows, its month of the measurements' type."""
    post = rows.loc[rows["month"].notna()]
    out = post.rename(columns={"grp": "group"})[CHANGE_COLUMNS].reset_index(drop=True)
    return out.astype({"month": months.dtype, "simulated": bool})


def best_change(trial: Trial, request: ResponseRequest) -> ResponseResult:
    """The best % change from baseline of each selected patient (see the module docstring),
    computed by the trial's query engine."""
    if request.measure not in trial.measure_codes:
        return ResponseResult(
            request,
            None,
            "lower",
            pd.DataFrame(columns=BEST_COLUMNS),
            pd.DataFrame(columns=CHANGE_COLUMNS),
            0,
            empty="No such measure in these data.",
        )
    measure = trial.study.measure(request.measure)
    direction = direction_of(measure)
    cohort, levels = _cohort(trial, request)
    rows = trial.engine.frame(
        _best_sql(trial, direction), {"measure": request.measure}, {"cohort": cohort}
    )
    threshold = -IMPROVEMENT if direction == "lower" else IMPROVEMENT
    usable = rows["usable"].notna()
    no_baseline = rows.loc[~usable, "patient_id"]
    no_post = rows.loc[usable & rows["month"].isna(), "patient_id"]
    best = _sorted(_best_rows(rows), direction, threshold)
    empty = "" if len(best) else "No patient has a baseline and a post-baseline value."
    return ResponseResult(
        request,
        measure,
        direction,
        best,
        _changes(rows, trial.measurement_template["month"]),
        len(cohort),
        tuple(map(str, no_baseline)),
        tuple(map(str, no_post)),
        tuple(levels),
        group_label(trial, request.group, request.cohort),
        empty,
        _by_group(best, levels),
    )


def waterfall_summary(trial: Trial, by: str | None = None) -> dict:
    """The `waterfall` section of `trial summary --json`: for each key measure, every drawn
    patient's best % change (the bars, in order), who is counted but not drawn, and each
    group's median and count reaching the reference line."""
    out: dict = {
        "best": "most favourable post-baseline % change from baseline (lowest where lower is "
        "better or without a direction, highest where higher is better); ties: first visit",
        "reference_pct": IMPROVEMENT,
        "measures": {},
    }
    codes = [c for c in trial.key_measure_codes if c in trial.measure_codes]
    for code in codes or [c for c in [default_measure(trial)] if c]:
        r = best_change(trial, request_for(trial, Cohort(), code, by))
        out["measures"][code] = {
            "label": r.measure.label if r.measure else code,
            "direction": r.direction if r.directed else "none (lowest taken)",
            "group": r.request.group,
            "patients": r.n_patients,
            "drawn": len(r.best),
            "without_post_baseline": list(r.no_post),
            "without_usable_baseline": list(r.no_baseline),
            "threshold_pct": r.threshold,
            "groups": records(r.by_group),
            "bars": records(r.best),
        }
    return out
