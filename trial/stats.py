"""Per-visit summaries of a measure and paired tests against baseline.

All functions take and return DataFrames and never modify their inputs.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .model import BASELINE_MONTH, Trial
from .query import Engine, cells_sql, interpolate, moments, scratch_engine

Scale = Literal["value", "change", "pct_change"]
Test = Literal["paired_t", "wilcoxon"]

SCALE_LABELS = {
    "value": "Value",
    "change": "Change from baseline",
    "pct_change": "% change from baseline",
}
TEST_LABELS = {
    "paired_t": "paired t-test",
    "wilcoxon": "Wilcoxon signed-rank test",
}


def measure_values(trial: Trial, code: str, patients: pd.DataFrame) -> pd.DataFrame:
    """Long values of one measure for the given patients, restricted to the measure's population.

    Columns: patient_id, month, day, value, provenance, plus baseline and the two change scales.
    """
    rows = trial.measurement_rows(measure_patients(trial, code, patients), code)
    cols = [c for c in ("patient_id", "month", "day", "value", "provenance") if c in rows]
    return with_change_from_baseline(rows[cols])


# The baseline value of some measures for some patients (`shown`: patient_id, patient_row,
# bound by the caller); the measures are parameters $m0, $m1, ... (one row per patient, measure
# and visit: the validator refuses duplicates, so min() is that row's value).
_BASELINE_VALUES_SQL = """
    SELECT s.patient_id, m.measure, min(m.value) AS value
    FROM shown s JOIN measurements m ON m.patient_row = s.patient_row
    WHERE m.month = {month} AND m.measure IN ({codes})
    GROUP BY s.patient_id, m.measure
"""


def baseline_values(trial: Trial, codes: list[str], patient_ids) -> pd.DataFrame:
    """Patients x measures: the baseline (month 0) value of each measure in `codes` for the
    given patients, from the engine (patients and measures without one are left out)."""
    if not codes or not len(patient_ids):
        return pd.DataFrame(
            columns=pd.Index([], name="measure"), index=pd.Index([], name="patient_id")
        )
    params = {f"m{i}": code for i, code in enumerate(codes)}
    sql = _BASELINE_VALUES_SQL.format(
        month=BASELINE_MONTH, codes=", ".join(f"${k}" for k in params)
    )
    ids = pd.DataFrame({"patient_id": pd.Series(patient_ids).astype(str).to_numpy()})
    shown = ids.assign(patient_row=trial.patient_rows(ids))
    long = trial.engine.frame(sql, params, {"shown": shown})
    return long.pivot(index="patient_id", columns="measure", values="value")


def measure_patients(trial: Trial, code: str, patients: pd.DataFrame) -> pd.DataFrame:
    """The patients restricted to the measure's population (all of them without one)."""
    measure = trial.study.measure(code)
    if measure.population and measure.population in patients:
        return patients.loc[patients[measure.population].eq(True)]
    return patients


def with_change_from_baseline(values: pd.DataFrame) -> pd.DataFrame:
    """Add `baseline`, `change` and `pct_change`. Patients without a baseline get NaN changes."""
    base = values.loc[values["month"] == BASELINE_MONTH].set_index("patient_id")["value"]
    out = values.assign(baseline=values["patient_id"].map(base))
    out["change"] = out["value"] - out["baseline"]
    # A zero baseline has no defined percentage change.
    out["pct_change"] = 100 * out["change"] / out["baseline"].where(out["baseline"] != 0)
    return out.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def paired_p_value(before: np.ndarray, after: np.ndarray, test: Test) -> float:
    """Two-sided p-value of a paired test; NaN when it is undefined (n < 2 or no variation)."""
    diff = after - before
    if len(diff) < 2 or (test == "paired_t" and np.allclose(diff, diff[0])):
        return float("nan")
    if test == "wilcoxon":
        if np.all(diff == 0):
            return float("nan")
        return wilcoxon_p_value(diff)
    return float(stats.ttest_rel(after, before).pvalue)


def wilcoxon_p_value(diff: np.ndarray) -> float:
    """Wilcoxon signed-rank p-value with R's `wilcox.test` conventions.

    Exact when there are fewer than 50 non-zero differences and no ties or zeros; otherwise the
    normal approximation with continuity correction (zeros dropped), as R does.
    """
    nonzero = diff[diff != 0]
    exact = (
        len(nonzero) < 50
        and len(nonzero) == len(diff)
        and len(np.unique(np.abs(nonzero))) == len(nonzero)
    )
    if exact:
        return float(stats.wilcoxon(diff, method="exact").pvalue)
    return float(
        stats.wilcoxon(diff, zero_method="wilcox", correction=True, method="approx").pvalue
    )


SUMMARY_COLUMNS = [
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
]


# The values of the panels of a request, from the trial's tables: `panels` (panel, measure)
# and `cohort` (panel, patient_row, grp: each panel's patients, in its measure's population,
# and their group), bound by the caller; `patient` keys a patient's values. One query for all
# panels: planning a query costs DuckDB more than running it on a trial of the demo's size.
MEASURE_VALUES_SQL = """
    SELECT c.panel, m.patient_row AS patient, m.month, m.value, c.grp
    FROM cohort c JOIN panels p ON p.panel = c.panel
    JOIN measurements m ON m.patient_row = c.patient_row AND m.measure = p.measure
"""
# The same from a frame the caller holds (`values`: patient_id, month, value, grp).
FRAME_VALUES_SQL = "SELECT 0 AS panel, patient_id AS patient, month, value, grp FROM frame_values"


QUARTILES = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))


def _summary_sql(source: str, scale: Scale, test: Test) -> str:
    """Per group and visit: the moments and the quartiles' order statistics of `scale` (x) and
    the moments of the paired differences (d: follow-up value - the patient's baseline value);
    with the Wilcoxon test, the differences themselves (the test ranks them)."""
    if scale not in SCALE_LABELS:
        raise ValueError(f"unknown scale {scale!r}")
    diffs = "array_agg(d) FILTER (WHERE d IS NOT NULL) AS diffs" if test == "wilcoxon" else ""
    keys = "panel, grp, month"
    cells = cells_sql("scaled", keys, {"x": scale, "d": "d"}, "x", QUARTILES, diffs)
    return f"""
    WITH vals AS ({source}),
    base AS (
        SELECT panel, patient, value AS baseline FROM vals WHERE month = {BASELINE_MONTH}
    ),
    scaled AS (
        SELECT v.panel, v.grp, v.month, v.value, v.value - b.baseline AS change,
               100 * (v.value - b.baseline) / NULLIF(b.baseline, 0) AS pct_change,
               CASE WHEN v.month <> {BASELINE_MONTH} THEN v.value - b.baseline END AS d
        FROM vals v LEFT JOIN base b ON b.panel = v.panel AND b.patient = v.patient
    ),
    {cells}
    """


def _descriptives(cells: pd.DataFrame) -> pd.DataFrame:
    """n, mean, SD, mean 95 % t-interval, median and quartiles from the query's cells."""
    out = moments(cells, "x")[["n", "mean", "sd"]]
    for name, q in QUARTILES:
        out[name] = interpolate(cells, name, q, "x_n")
    n = out["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.975, n - 1) * out["sd"] / np.sqrt(n)
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out


def _paired_tests(cells: pd.DataFrame, test: Test) -> pd.DataFrame:
    """n and p of the paired test of each follow-up visit against baseline, per group."""
    d = moments(cells, "d")
    n = d["n"]
    if test == "wilcoxon":
        ranked = [
            paired_p_value(np.zeros(len(x)), np.asarray(x, float), test) if k else np.nan
            for x, k in zip(cells["diffs"], n)
        ]
        return pd.DataFrame({"n_paired": n, "p_vs_baseline": ranked}, index=cells.index)
    # Paired t-test from the aggregates of the differences: t = mean(d) / (sd(d) / sqrt(n)).
    with np.errstate(invalid="ignore", divide="ignore"):
        t = d["mean"] / (d["sd"] / np.sqrt(n))
    p = pd.Series(2 * stats.t.sf(np.abs(t), n - 1), index=cells.index)
    undefined = (n < 2) | ~(d["sd"] > 0)
    return pd.DataFrame({"n_paired": n, "p_vs_baseline": p.mask(undefined)})


def _summarise(cells: pd.DataFrame, levels: list, months, test: Test) -> pd.DataFrame:
    """One row per group (in the order of `levels`) and scheduled visit, visits without data
    included with n = 0."""
    grid = pd.MultiIndex.from_product([levels, list(months)], names=["group", "month"])
    cells = cells.rename(columns={"grp": "group"}).set_index(["group", "month"]).reindex(grid)
    out = _descriptives(cells).join(_paired_tests(cells, test)).reset_index()
    return out[SUMMARY_COLUMNS + ["group"]]


def summary_cells(
    engine: Engine, source: str, relations: dict, scale: Scale, test: Test
) -> pd.DataFrame:
    """The per-panel, per-group and per-visit aggregates of the values, from the engine."""
    return engine.frame(_summary_sql(source, scale, test), {}, relations)


def engine_visit_summaries(
    trial: Trial,
    panels: list[tuple[str, pd.DataFrame, tuple]],
    scale: Scale = "value",
    test: Test = "paired_t",
) -> list[pd.DataFrame]:
    """`grouped_visit_summary` of each panel (measure code, cohort, scheduled visits) computed
    by the trial's query engine in one query: a cohort holds the patients (patient_id, already
    in the measure's population) and their group label (grp); groups in the cohort's order."""
    cohort = pd.concat(
        [
            pd.DataFrame({"patient_row": trial.patient_rows(c), "grp": c["grp"], "panel": i})
            for i, (_, c, _) in enumerate(panels)
        ]
        or [pd.DataFrame({"patient_row": [], "grp": [], "panel": []})]
    )
    cohort = cohort.astype({"patient_row": "int32", "grp": str, "panel": "int64"})
    codes = pd.DataFrame(
        {"panel": range(len(panels)), "measure": [code for code, _, _ in panels]}
    ).astype({"panel": "int64", "measure": str})
    cells = summary_cells(
        trial.engine, MEASURE_VALUES_SQL, {"cohort": cohort, "panels": codes}, scale, test
    )
    return [
        _panel_summary(cells.loc[cells["panel"] == i], panel_cohort["grp"], months, test)
        for i, (_, panel_cohort, months) in enumerate(panels)
    ]


def _panel_summary(cells: pd.DataFrame, groups: pd.Series, months, test: Test) -> pd.DataFrame:
    present = set(cells["grp"])
    levels = [g for g in pd.unique(groups.astype(str)) if g in present]
    return _summarise(cells.drop(columns="panel"), levels, months, test)


def engine_visit_summary(
    trial: Trial,
    code: str,
    cohort: pd.DataFrame,
    months,
    scale: Scale = "value",
    test: Test = "paired_t",
) -> pd.DataFrame:
    """`engine_visit_summaries` of one panel."""
    return engine_visit_summaries(trial, [(code, cohort, tuple(months))], scale, test)[0]


def visit_summary(
    values: pd.DataFrame,
    months: list[int] | tuple[int, ...],
    scale: Scale = "value",
    test: Test = "paired_t",
) -> pd.DataFrame:
    """One row per scheduled visit: descriptive statistics of `scale` and the paired test.

    The test compares each visit's value with the same patients' baseline value (patients with
    both values only, `n_paired`). On the change scales the test is the same, as testing a mean
    change of zero is the paired test. Visits without data keep a row with n = 0.
    """
    return _frame_summary(values.assign(group="All"), months, scale, test).drop(columns="group")


def grouped_visit_summary(
    values: pd.DataFrame,
    patients: pd.DataFrame,
    group_col: str | None,
    months,
    scale: Scale = "value",
    test: Test = "paired_t",
) -> pd.DataFrame:
    """`visit_summary` per level of a patient column (or once, group "All", when None)."""
    groups: str | pd.Series
    if group_col is None:
        groups = "All"
    else:
        groups = values["patient_id"].map(patients.set_index("patient_id")[group_col])
    labelled = values.assign(group=groups).dropna(subset=["group"])
    if labelled.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS + ["group"])
    return _frame_summary(labelled, months, scale, test)


def _frame_summary(values: pd.DataFrame, months, scale: Scale, test: Test) -> pd.DataFrame:
    """The summary of long values the caller holds (with `group`), by the same SQL as the
    trial's engine, run on a scratch DuckDB over the frame (baseline found again by it)."""
    frame = values[["patient_id", "month", "value"]].assign(grp=values["group"])
    engine = scratch_engine(frame_values=frame)
    cells = summary_cells(engine, FRAME_VALUES_SQL, {}, scale, test).drop(columns="panel")
    return _summarise(cells, list(pd.unique(values["group"])), months, test)


def headline_counts(patients: pd.DataFrame, day: float = 365) -> dict:
    """Counts for the headline cards, as recorded, for the selected patients."""
    died_by = patients["death"] & (patients["death_day"].astype(float) <= day)
    return {
        "patients": len(patients),
        "alive_at_day": int((~died_by).sum()),
        "deaths": int(patients["death"].sum()),
        "mcr": int((patients["response"] == "MCR").sum()),
        "pcr": int((patients["response"] == "PCR").sum()),
        "nr": int((patients["response"] == "NR").sum()),
        "relapses": int(patients["relapse"].sum()),
    }
