"""Tables for the paper: baseline characteristics (Table 1 style), response rates with exact
confidence intervals, and adverse events (Table 2 style).

Each table comes twice: as tidy numbers (one row per group and quantity, for tests, CSV and
exports) and as a display frame (formatted text, one column per center plus "Overall"). Pure:
frames in, new frames out; the inputs are never modified.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .model import ADVERSE_EVENTS as AE_EVENTS
from .model import BASELINE_MONTH, SEX_LABELS, Trial
from .query import cells_sql, interpolate, moments

OVERALL = "Overall"
CI_LEVEL = 0.95
CI_METHOD = "exact (Clopper-Pearson)"
BASELINE_SECTION = "Measures at baseline (month 0)"
# Response outcomes: code -> (label, response values counted as a success).
RESPONSE_OUTCOMES = {
    "mcr": ("Major clinical response (MCR)", ("MCR",)),
    "pcr": ("Partial clinical response (PCR)", ("PCR",)),
    "overall": ("Overall response (MCR or PCR)", ("MCR", "PCR")),
}
AE_COLUMNS = {
    "patient_id": "Patient",
    "term": "Event",
    "severity": "Severity",
    "day": "Day",
    "related": "Related to treatment",
}


@dataclass(frozen=True)
class Group:
    """One column of a table: a label and the patients in it."""

    label: str
    patients: pd.DataFrame
    center: str | None = None  # the group's value of `column`; None: all the selected patients
    column: str = "center"


def groups_by_center(trial: Trial, patients: pd.DataFrame) -> list[Group]:
    """One group per center present in `patients` (in the trial's center order), then Overall."""
    by_center = dict(tuple(patients.groupby("center", sort=False)))
    groups = [Group(c, by_center[c], c) for c in trial.centers if c in by_center]
    return groups + [Group(OVERALL, patients)]


def table_groups(trial: Trial, patients: pd.DataFrame) -> list[Group]:
    """The columns of Table 1: one per arm where the study has arms (ADaM; the arm of the
    analysis set), else one per center; then Overall."""
    if not trial.study.design.arms or "arm" not in patients:
        return groups_by_center(trial, patients)
    arms = patients["arm"].astype(str)
    by_arm = dict(tuple(patients.groupby(arms, sort=True)))
    return [Group(a, by_arm[a], a, "arm") for a in by_arm] + [Group(OVERALL, patients)]


# --- Descriptive statistics ---------------------------------------------------------------------


def exact_ci(k: int, n: int, level: float = CI_LEVEL) -> tuple[float, float]:
    """Clopper-Pearson interval of a binomial proportion (R's `binom.test`); NaN when n = 0."""
    if n == 0:
        return np.nan, np.nan
    # The exact interval from beta quantiles (what binomtest's "exact" method computes, without
    # its root search: ten times faster, which matters with a table per filter change).
    alpha = 1 - level
    low = 0.0 if k == 0 else stats.beta.ppf(alpha / 2, k, n - k + 1)
    high = 1.0 if k == n else stats.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return float(low), float(high)


# --- Table 1: baseline characteristics ----------------------------------------------------------


def baseline_variables(trial: Trial) -> list[dict]:
    """The rows of Table 1: what is summarised and how, in display order."""
    p = trial.patients
    out: list[dict] = []
    if "age" in p:
        out.append({"key": "age", "label": "Age, years", "kind": "continuous"})
    if "sex" in p:
        present = set(p["sex"].dropna().unique())
        for s in [s for s in ("F", "M") if s in present] + sorted(present - {"F", "M"}):
            out.append(
                {
                    "key": f"sex_{s}",
                    "label": f"{SEX_LABELS.get(s, s)}, n (%)",
                    "kind": "count",
                    "column": "sex",
                    "level": s,
                }
            )
    if "disease_duration_months" in p:
        out.append(
            {
                "key": "disease_duration_months",
                "label": "Disease duration, months",
                "kind": "continuous",
            }
        )
    if "lupus_nephritis" in p:
        out.append(
            {
                "key": "lupus_nephritis",
                "label": "Lupus nephritis, n (%)",
                "kind": "count",
                "column": "lupus_nephritis",
                "level": True,
            }
        )
    # Every measure (native format); the key measures of a study with many (ADaM labs).
    codes = (
        trial.measure_codes if trial.study.source_format == "native" else trial.key_measure_codes
    )
    for code in codes:
        m = trial.study.measure(code)
        unit = f", {m.unit}{' (assumed)' if m.unit_assumed else ''}" if m.unit else ""
        who = f" [{m.population.replace('_', ' ')} only]" if m.population else ""
        out.append({"key": code, "label": f"{m.label}{unit}{who}", "kind": "measure", "code": code})
    return out


# Table 1 in SQL. `cohort` (bound per request): patient_row, grp (the patient's column of the
# table) and pop0, pop1, ... (whether the patient is in the population of a measure). Every
# value is counted twice: in its group (part 0) and in Overall (part 1, its group '': a cell's
# keys are never NULL).
_TABLE1_SQL = """
WITH vals AS ({values}),
parts AS (SELECT 0 AS part, grp, variable, x FROM vals
          UNION ALL SELECT 1 AS part, '' AS grp, variable, x FROM vals),
{select}
"""
_COUNT_SELECT = """
counted AS (SELECT part, grp, variable, x, count(*) AS k FROM parts WHERE x IS NOT NULL
            GROUP BY part, grp, variable, x)
SELECT * FROM counted
"""
QUARTILES = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))


def _patient_values(columns: list[str], cast: str = "") -> list[str]:
    """The patients' values of Table 1 columns, in one scan of the patients: a row per
    patient and column."""
    if not columns:
        return []
    # column names are the fixed Table 1 columns (baseline_variables), never data values
    x = (lambda c: f"CAST(p.{c} AS {cast})") if cast else (lambda c: f"p.{c}")
    which = " ".join(f"WHEN '{c}' THEN {x(c)}" for c in columns)
    names = ", ".join(f"('{c}')" for c in columns)
    return [
        f"SELECT c.grp, v.variable, CASE v.variable {which} END AS x "
        "FROM cohort c JOIN patients p ON p.patient_row = c.patient_row "
        f"CROSS JOIN (VALUES {names}) AS v(variable)"
    ]


def _measure_values(codes_by_population: dict[str, list[str]], params: dict) -> list[str]:
    """The month-0 values of the measures, in one scan of the measurements: a measure of a
    population (flag `pop<i>` of the cohort) only for the patients in it."""
    if not codes_by_population:
        return []
    names: dict[str, list[str]] = {}
    for flag, codes in codes_by_population.items():
        for code in codes:
            key = f"m{len(params)}"
            params[key] = code
            names.setdefault(flag, []).append(f"${key}")
    every = ", ".join(n for group in names.values() for n in group)
    only = "".join(
        f" AND (m.measure NOT IN ({', '.join(group)}) OR c.{flag})"
        for flag, group in names.items()
        if flag
    )
    return [
        "SELECT c.grp, m.measure AS variable, m.value AS x FROM cohort c "
        "JOIN measurements m ON m.patient_row = c.patient_row "
        f"WHERE m.month = {BASELINE_MONTH} AND m.measure IN ({every}){only}"
    ]


def _baseline_cohort(trial: Trial, patients: pd.DataFrame, column: str, codes: list[str]):
    """The cohort relation of Table 1 and the measures grouped by population flag."""
    cohort = pd.DataFrame(
        {"patient_row": trial.patient_rows(patients), "grp": patients[column].astype(str)}
    )
    by_flag: dict[str, list[str]] = {}
    flags: dict[str, str] = {}
    for code in codes:
        pop = trial.study.measure(code).population
        flag = ""
        if pop and pop in patients:
            flag = flags.setdefault(pop, f"pop{len(flags)}")
            cohort[flag] = patients[pop].eq(True).to_numpy()
        by_flag.setdefault(flag, []).append(code)
    return cohort, by_flag


def _baseline_cells(trial: Trial, patients: pd.DataFrame, variables: list[dict], column: str):
    """(continuous cells, count cells) of Table 1 from the engine, keyed by (group or None
    for Overall, variable)."""
    codes = [v["code"] for v in variables if v["kind"] == "measure"]
    cohort, by_flag = _baseline_cohort(trial, patients, column, codes)
    params: dict = {}
    continuous_vars = [v["key"] for v in variables if v["kind"] == "continuous"]
    count_vars = list(dict.fromkeys(v["column"] for v in variables if v["kind"] == "count"))
    numbers = _patient_values(continuous_vars) + _measure_values(by_flag, params)
    select = cells_sql("parts", "part, grp, variable", {"x": "x"}, "x", QUARTILES)
    cells = {"continuous": pd.DataFrame(), "count": pd.DataFrame()}
    for kind, values, sel in (
        ("continuous", numbers, select),
        ("count", _patient_values(count_vars, "text"), _COUNT_SELECT),
    ):
        if values:
            sql = _TABLE1_SQL.format(values=" UNION ALL ".join(values), select=sel)
            cells[kind] = trial.engine.frame(sql, params, {"cohort": cohort})
    continuous = _with_statistics(cells["continuous"])
    return _keyed(continuous, ["variable"]), _keyed(cells["count"], ["variable", "x"])


def _keyed(cells: pd.DataFrame, keys: list[str]) -> dict:
    if cells.empty:
        return {}
    group = [g if part == 0 else None for g, part in zip(cells["grp"], cells["part"])]
    return {
        (g, *k): row
        for g, k, row in zip(group, cells[keys].itertuples(index=False), cells.to_dict("records"))
    }


def _with_statistics(cells: pd.DataFrame) -> pd.DataFrame:
    """The continuous cells with their n, mean, SD (n - 1), median and quartiles (R's default
    type 7), computed for every cell at once."""
    if cells.empty:
        return cells
    m = moments(cells, "x")
    quartiles = {name: interpolate(cells, name, q, "x_n") for name, q in QUARTILES}
    return cells.assign(n=m["n"], mean=m["mean"], sd=m["sd"], **quartiles)


def _continuous_row(cell: dict | None) -> dict:
    """n, mean, SD, median and quartiles of a variable's cell (`_with_statistics`)."""
    if cell is None or not cell["x_n"]:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "median": np.nan, "q1": np.nan, "q3": np.nan}
    numbers = {k: float(cell[k]) for k in ("mean", "sd", "median", "q1", "q3")}
    return {"n": int(cell["n"]), **numbers}


def _count_row(cells: dict, group: str | None, column: str, level) -> dict:
    """Patients with the level and their percentage of those with a known value."""
    counts = {k[2]: c["k"] for k, c in cells.items() if k[0] == group and k[1] == column}
    known = int(sum(counts.values()))
    k = int(counts.get(str(level).lower() if isinstance(level, bool) else str(level), 0))
    return {"n": known, "count": k, "pct": 100 * k / known if known else np.nan}


def baseline_numbers(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table 1: one row per variable and group with n, mean, sd, median, q1, q3 or
    count and pct (percentages of the patients whose value is known), counted by the engine."""
    return _baseline_numbers(trial, patients, baseline_variables(trial))


def _baseline_numbers(trial: Trial, patients: pd.DataFrame, variables: list[dict]) -> pd.DataFrame:
    rows = []
    groups = table_groups(trial, patients)
    continuous_cells, count_cells = _baseline_cells(trial, patients, variables, groups[0].column)
    for g in groups:
        rows.append(
            {
                "variable": "n",
                "label": "Patients, n",
                "group": g.label,
                "n": len(g.patients),
                "count": len(g.patients),
            }
        )
        for var in variables:
            base = {"variable": var["key"], "label": var["label"], "group": g.label}
            if var["kind"] == "count":
                rows.append(
                    {**base, **_count_row(count_cells, g.center, var["column"], var["level"])}
                )
            else:
                name = var["key"] if var["kind"] == "continuous" else var["code"]
                rows.append({**base, **_continuous_row(continuous_cells.get((g.center, name)))})
    cols = ["variable", "label", "group", "n", "mean", "sd", "median", "q1", "q3", "count", "pct"]
    return pd.DataFrame(rows).reindex(columns=cols)


def count_text(k) -> str:
    """A count as the tables print it: 4,454 (thousands separated, as the cards)."""
    return f"{int(k):,}"


def _num(x: float, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def format_continuous(row: dict, group_n: int, digits: int) -> tuple[str, str]:
    """('mean ± SD', 'median (Q1–Q3)') of a tidy row, with '[n = k]' when values are missing."""
    if not row["n"]:
        return "–", "–"
    tail = f" [n = {count_text(row['n'])}]" if row["n"] < group_n else ""
    mean = f"{_num(row['mean'], digits)} ± {_num(row['sd'], digits)}{tail}"
    median = f"{_num(row['median'], digits)} ({_num(row['q1'], digits)}–{_num(row['q3'], digits)})"
    return mean, median


def baseline_table(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Display Table 1: columns 'Characteristic', 'Statistic', then one per group."""
    variables = baseline_variables(trial)
    numbers = _baseline_numbers(trial, patients, variables)
    groups = list(pd.unique(numbers["group"]))
    sizes = numbers.loc[numbers["variable"] == "n"].set_index("group")["n"]
    group_sizes = {g: count_text(sizes[g]) for g in groups}
    lines: list[dict] = [{"Characteristic": "Patients", "Statistic": "n", **group_sizes}]
    measures_started = False
    for var in variables:
        part = numbers.loc[numbers["variable"] == var["key"]].set_index("group")
        if var["kind"] == "measure" and not measures_started:
            measures_started = True
            section = (
                BASELINE_SECTION if trial.study.visit_unit == "month" else "Measures at baseline"
            )
            lines.append({"Characteristic": section, "Statistic": "", **{g: "" for g in groups}})
        if var["kind"] == "count":
            lines.append(
                {
                    "Characteristic": var["label"],
                    "Statistic": "n (%)",
                    **{
                        g: (
                            f"{count_text(part.at[g, 'count'])} ({_num(part.at[g, 'pct'], 1)} %)"
                            if part.at[g, "n"]
                            else "–"
                        )
                        for g in groups
                    },
                }
            )
            continue
        digits = trial.display_decimals.get(
            var["key"] if var["kind"] == "continuous" else var["code"], 1
        )
        cells = {g: format_continuous(part.loc[g].to_dict(), int(sizes[g]), digits) for g in groups}
        lines.append(
            {
                "Characteristic": var["label"],
                "Statistic": "mean ± SD",
                **{g: cells[g][0] for g in groups},
            }
        )
        lines.append(
            {"Characteristic": "", "Statistic": "median (IQR)", **{g: cells[g][1] for g in groups}}
        )
    return pd.DataFrame(lines, columns=["Characteristic", "Statistic", *groups])


# --- Response rates -----------------------------------------------------------------------------


def response_numbers(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Tidy response rates: group, outcome, k, n, pct and the exact 95 % CI (in %).

    Responses are the best response as recorded (see `derive_outcomes`); the denominator is
    every selected patient of the group (intention to treat: deaths and non-responders count as
    failures)."""
    rows = []
    for g in groups_by_center(trial, patients):
        n = len(g.patients)
        for code, (label, values) in RESPONSE_OUTCOMES.items():
            k = int(g.patients["response"].isin(values).sum())
            low, high = exact_ci(k, n)
            rows.append(
                {
                    "group": g.label,
                    "outcome": code,
                    "label": label,
                    "k": k,
                    "n": n,
                    "pct": 100 * k / n if n else np.nan,
                    "ci_low": 100 * low,
                    "ci_high": 100 * high,
                }
            )
    return pd.DataFrame(
        rows, columns=["group", "outcome", "label", "k", "n", "pct", "ci_low", "ci_high"]
    )


def response_table(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Display response rates: one row per group, 'k/n (pct %; 95 % CI low–high)' per outcome."""
    numbers = response_numbers(trial, patients)
    lines = []
    for group, part in numbers.groupby("group", sort=False):
        line = {"Group": group, "n": count_text(part["n"].iloc[0])}
        for r in part.to_dict("records"):
            line[r["label"]] = (
                f"{r['k']}/{r['n']} ({_num(r['pct'])} %; {_num(r['ci_low'])}–{_num(r['ci_high'])})"
                if r["n"]
                else "–"
            )
        lines.append(line)
    cols = ["Group", "n", *[label for label, _ in RESPONSE_OUTCOMES.values()]]
    return pd.DataFrame(lines, columns=cols)


# --- Table 2: adverse events --------------------------------------------------------------------


def _natural_key(value) -> tuple:
    """Sort '2' before '10' and keep text ids in order."""
    return tuple(
        (0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", str(value))
    )


def adverse_event_listing(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Table 2: one row per adverse event or death of the selected patients, as recorded,
    sorted by patient and day."""
    e = trial.adverse_event_rows
    rows = e.loc[e["patient_id"].isin(patients["patient_id"])]
    cols = [c for c in AE_COLUMNS if c in rows]
    out = rows[cols].copy()
    for c in AE_COLUMNS:
        if c not in out:
            out[c] = pd.NA
    out["term"] = out["term"].where(
        out["term"].notna(), rows["event"].map({"death": "Death", "adverse_event": "Adverse event"})
    )
    out["day"] = out["day"].astype(int)
    out = (
        out.assign(_key=out["patient_id"].map(_natural_key))
        .sort_values(["_key", "day"], kind="stable")
        .drop(columns="_key")
    )
    return out[list(AE_COLUMNS)].reset_index(drop=True)


# Adverse events and deaths of the selected patients (`cohort`: patient_row) counted by term;
# an event without a term is named by its kind, as in the listing.
_AE_COUNTS_SQL = f"""
WITH listed AS (
    SELECT e.patient_row, e.severity, e.related,
           COALESCE(e.term, CASE e.event WHEN 'death' THEN 'Death' ELSE 'Adverse event' END) AS term
    FROM events e JOIN cohort c ON c.patient_row = e.patient_row
    WHERE e.event IN ({", ".join(f"'{kind}'" for kind in AE_EVENTS)})
)
SELECT term, count(*) AS events, count(DISTINCT patient_row) AS patients,
       count(CASE WHEN severity = 'SAE' THEN 1 END) AS serious,
       count(CASE WHEN related = 'yes' THEN 1 END) AS related
FROM listed GROUP BY term
"""


def adverse_event_counts(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Counts by term: events, patients with the event and their % of the selected patients,
    serious events and events related to treatment (counted by the engine)."""
    cohort = pd.DataFrame({"patient_row": trial.patient_rows(patients)})
    out = trial.engine.frame(_AE_COUNTS_SQL, relations={"cohort": cohort})
    columns = ["term", "events", "patients", "pct_patients", "serious", "related"]
    if out.empty:
        return pd.DataFrame(columns=columns)
    n = len(patients)
    out = out.astype({c: int for c in ("events", "patients", "serious", "related")})
    out["pct_patients"] = 100 * out["patients"] / n if n else np.nan
    # sorted here, not in SQL: the engines' text collations differ
    return (
        out[columns]
        .sort_values(["patients", "events", "term"], ascending=[False, False, True], kind="stable")
        .reset_index(drop=True)
    )


def adverse_event_count_table(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    counts = adverse_event_counts(trial, patients)
    return pd.DataFrame(
        {
            "Event": counts["term"],
            "Events, n": counts["events"].map(count_text),
            "Patients, n (%)": [
                f"{count_text(k)} ({_num(p)} %)"
                for k, p in zip(counts["patients"], counts["pct_patients"])
            ],
            "Serious (SAE), n": counts["serious"].map(count_text),
            "Related to treatment, n": counts["related"].map(count_text),
        }
    )


def adverse_event_table(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    listing = adverse_event_listing(trial, patients)
    out = listing.rename(columns=AE_COLUMNS)
    return out.astype({"Day": int}).astype(str).replace({"<NA>": "–", "nan": "–", "None": "–"})


# --- Safety: treatment-emergent adverse events by system organ class and preferred term --------

ANY_TEAE = "Any treatment-emergent adverse event"
TOTAL = "Total"
BREAKDOWNS = ("subjects", "severity", "serious", "related")
NOT_RECORDED = "Not recorded"


def _arm_levels(patients: pd.DataFrame) -> list[str]:
    if "arm" not in patients:
        return []
    return sorted(patients["arm"].astype(str).unique())


def teae_records(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """The treatment-emergent adverse events of `patients` (a safety analysis set, whose `arm`
    is the arm of the analysis) with the patient's arm."""
    ae = trial.adverse_events
    ae = ae.loc[ae["teae"] & ae["patient_id"].isin(patients["patient_id"])]
    arm = patients.set_index("patient_id")["arm"].astype(str) if "arm" in patients else None
    return ae.assign(arm=ae["patient_id"].map(arm) if arm is not None else TOTAL)


# Treatment-emergent adverse events of the selected patients (`cohort`: patient_row, grp = the
# arm of the analysis) counted per row of the table (any event, SOC, SOC and PT) and arm (or all
# arms, `GROUPING` telling which), first per subject: events, whether any was serious or
# related, and the worst severity (its rank in `severities`, -1 when not recorded or unknown).
_TEAE_SQL = """
WITH rec AS (
    SELECT a.patient_row, a.soc, a.term, c.grp AS arm, a.serious, a.related_class,
           COALESCE(s.rank, -1) AS sev_rank,
           CASE WHEN a.severity IS NULL THEN 1 ELSE 0 END AS sev_missing
    FROM adverse_events a JOIN cohort c ON c.patient_row = a.patient_row
    LEFT JOIN severities s ON s.code = a.severity
    WHERE a.teae
),
subj AS (
    SELECT GROUPING(soc, term, arm) AS level, soc, term, arm, patient_row,
           count(*) AS events, max(CASE WHEN serious THEN 1 ELSE 0 END) AS serious,
           max(CASE WHEN related_class = 'yes' THEN 1 ELSE 0 END) AS related,
           max(sev_rank) AS worst, max(sev_missing) AS missing
    FROM rec
    GROUP BY GROUPING SETS ((patient_row), (arm, patient_row), (soc, patient_row),
                            (soc, arm, patient_row), (soc, term, patient_row),
                            (soc, term, arm, patient_row))
)
SELECT level, soc, term, arm, worst, count(*) AS subjects, sum(events) AS events,
       sum(serious) AS serious, sum(related) AS related, max(missing) AS missing
FROM subj GROUP BY level, soc, term, arm, worst
"""
# GROUPING(soc, term, arm) of each grouping set: (table row level, by arm)
_TEAE_LEVELS = {7: ("any", False), 6: ("any", True), 3: ("soc", False), 2: ("soc", True)}
_TEAE_LEVELS |= {1: ("pt", False), 0: ("pt", True)}


def _teae_cells(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    arm = patients["arm"].astype(str) if "arm" in patients else TOTAL
    cohort = pd.DataFrame({"patient_row": trial.patient_rows(patients), "grp": arm})
    order = trial.severity_order
    severities = pd.DataFrame(
        {
            "code": pd.Series(order, dtype="string"),
            "rank": pd.Series(range(len(order)), dtype="int64"),
        }
    )
    cells = trial.engine.frame(_TEAE_SQL, relations={"cohort": cohort, "severities": severities})
    # a missing SOC or term is no row of the table (but counts in the rows above it)
    level = cells["level"].map(lambda v: _TEAE_LEVELS[int(v)][0])
    dropped = ((level != "any") & cells["soc"].isna()) | ((level == "pt") & cells["term"].isna())
    return cells.loc[~dropped]


def _teae_tables(cells: pd.DataFrame, order: tuple[str, ...]) -> dict:
    """{(level, by arm): {key: counts}}, keys as the rows look them up (see safety_numbers)."""
    codes = [*order, NOT_RECORDED]
    tables: dict[tuple[str, bool], dict[Hashable, dict[Hashable, Any]]] = {
        levels: {} for levels in _TEAE_LEVELS.values()
    }
    for c in cells.to_dict("records"):
        level, by_arm = _TEAE_LEVELS[int(c["level"])]
        parts = {"any": (), "soc": (c["soc"],), "pt": (c["soc"], c["term"])}[level]
        parts += (c["arm"],) if by_arm else ()
        key = parts if len(parts) > 1 else parts[0] if parts else 0
        got = tables[(level, by_arm)].setdefault(key, {})
        for name in ("subjects", "events", "serious", "related"):
            got[name] = got.get(name, 0) + int(c[name])
        sev = f"sev:{codes[int(c['worst'])]}"
        got[sev] = got.get(sev, 0) + int(c["subjects"])
    return tables


def _order(tables: dict) -> list[tuple[str, str | None, str | None]]:
    """(row id, SOC, PT) in display order: any event, then each SOC by subjects (most first,
    then name), each followed by its preferred terms in the same order."""

    def by_subjects(counts: dict) -> list:
        return sorted(counts, key=lambda k: (-counts[k]["subjects"], str(k)))

    out: list[tuple[str, str | None, str | None]] = [("any", None, None)]
    terms = tables[("pt", False)]
    for soc in by_subjects(tables[("soc", False)]):
        out.append((f"soc:{soc}", str(soc), None))
        own = {term: terms[(s, term)] for s, term in terms if s == soc}
        for term in by_subjects(own):
            out.append((f"pt:{soc}:{term}", str(soc), str(term)))
    return out


def safety_numbers(trial: Trial, patients: pd.DataFrame) -> pd.DataFrame:
    """Tidy safety table: one row per table row (any TEAE, SOC, SOC and PT) and arm (and
    Total): N (subjects of the arm in the analysis set), subjects with at least one event,
    their % of N, events, subjects with a serious (AESER = Y) or a related event, and subjects
    by their worst severity (`sev:<code>` columns, the data's codes), counted by the engine."""
    cells = _teae_cells(trial, patients)
    arms = _arm_levels(patients)
    sizes = patients["arm"].astype(str).value_counts() if "arm" in patients else pd.Series()
    denominators = {**{a: int(sizes.get(a, 0)) for a in arms}, TOTAL: len(patients)}
    order = trial.severity_order
    missing = bool(len(cells)) and bool(cells["missing"].max())
    codes = list(order) + ([NOT_RECORDED] if missing else [])
    tables = _teae_tables(cells, order)
    stats = ["subjects", "events", "serious", "related", *[f"sev:{c}" for c in codes]]
    rows = []
    for row_id, soc, term in _order(tables):
        level = row_id.split(":", 1)[0]
        key = () if level == "any" else (soc,) if level == "soc" else (soc, term)
        for arm in [*arms, TOTAL]:
            table = tables[(level, arm != TOTAL)]
            if arm == TOTAL:
                k = key if len(key) > 1 else (key[0] if key else 0)
            else:
                k = (*key, arm) if key else arm
            values = table.get(k, {})
            got = {c: int(values.get(c, 0)) for c in stats}
            n = denominators[arm]
            rows.append(
                {
                    "row": row_id,
                    "soc": soc,
                    "term": term,
                    "label": term or soc or ANY_TEAE,
                    "arm": arm,
                    "N": n,
                    **got,
                    "pct": 100 * got["subjects"] / n if n else np.nan,
                }
            )
    columns = [
        "row",
        "soc",
        "term",
        "label",
        "arm",
        "N",
        "subjects",
        "pct",
        "events",
        "serious",
        "related",
        *[f"sev:{c}" for c in codes],
    ]
    return pd.DataFrame(rows, columns=columns)


def related_codes(trial: Trial) -> tuple[list[str], list[str]]:
    """The data's relatedness codes read as related and as not related (for the table's note)."""
    ae = trial.adverse_events
    pairs = ae[["related", "related_class"]].dropna().drop_duplicates()
    yes = sorted(str(c) for c, k in pairs.itertuples(index=False) if k == "yes")
    no = sorted(str(c) for c, k in pairs.itertuples(index=False) if k == "no")
    return yes, no


def safety_table(trial: Trial, patients: pd.DataFrame, breakdown: str = "subjects") -> pd.DataFrame:
    """Display safety table: 'System organ class / Preferred term', then per arm (and Total)
    the chosen statistic: subjects 'n (%)', events, or subjects by worst severity, with a
    serious or with a related event. Preferred terms are indented under their SOC."""
    numbers = safety_numbers(trial, patients)
    if numbers.empty:
        return pd.DataFrame()
    sev_cols = [c for c in numbers.columns if c.startswith("sev:")]
    lines: dict[str, dict] = {}
    for r in numbers.to_dict("records"):
        line = lines.get(r["row"])
        if line is None:
            name = (
                f"    {r['term']}"
                if r["term"] is not None
                else str(r["soc"])
                if r["soc"] is not None
                else ANY_TEAE
            )
            line = lines[r["row"]] = {"row": r["row"], "System organ class / Preferred term": name}
        head = f"{r['arm']} (N={r['N']})"
        if breakdown == "severity":
            for c in sev_cols:
                line[f"{head}: {c[4:]}"] = str(r[c])
        elif breakdown in ("serious", "related"):
            line[f"{head}: {breakdown}"] = _n_pct(r[breakdown], r["N"])
        else:
            line[f"{head}: n (%)"] = _n_pct(r["subjects"], r["N"])
            line[f"{head}: events"] = count_text(r["events"])
    return pd.DataFrame(list(lines.values()))


def _n_pct(k: int, n: int) -> str:
    return f"{count_text(k)} ({_num(100 * k / n)} %)" if n else "–"


def subjects_with(trial: Trial, patients: pd.DataFrame, row_id: str, arm: str | None) -> list[str]:
    """The subjects behind one cell of the safety table (a clicked cell): those with a
    treatment-emergent event of the row in the arm (any arm for None or Total)."""
    records = teae_records(trial, patients)
    if arm not in (None, TOTAL):
        records = records.loc[records["arm"] == arm]
    kind, _, rest = row_id.partition(":")
    if kind == "soc":
        records = records.loc[records["soc"].astype(str) == rest]
    elif kind == "pt":
        match = records["soc"].astype(str) + ":" + records["term"].astype(str) == rest
        records = records.loc[match]
    return sorted(records["patient_id"].astype(str).unique(), key=_natural_key)
