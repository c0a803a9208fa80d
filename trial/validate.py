"""Validate the raw tables of a trial folder and return typed frames plus findings.

Three layers, all reported together (nothing stops at the first problem):

1. study.json: required keys, types, visits and measures (findings name the key path).
2. Each table, cell by cell, with pandera schemas run lazily on the *raw cells*: required columns,
   empty required cells, numbers, whole numbers, ranges, booleans, allowed values. Every failing
   cell becomes a `Finding` with its spreadsheet row (header = row 1), column and value. The raw
   cells are text, except Parquet columns already of the column's type (numbers, booleans),
   which are checked as they are (the typed fast path): the same rules, the same findings, the
   value shown as the text it would be in a CSV.
3. Across tables and against study.json: unknown patients, duplicates, unscheduled visits, unknown
   measures, values outside a measure's min/max, responses without a grade (errors); events or
   measurements after death, events after the last follow-up, relapses without a prior response,
   missing baselines, last follow-up vs death day (warnings).

Each rule reports at most `CAP` rows, then one finding saying how many more there are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeGuard

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from .io import RawTables, as_text, by_value, is_blank, is_typed, isin, or_none
from .limits import MAX_DAY, MAX_MONTH, MAX_VALUE, Limits, Progress, over
from .model import EVENT_TYPES, PROVENANCES, RESPONSE_GRADES, Finding, Level
from .suspects import Suspects, find_suspects
from .text import identifier_problem, identifier_problems, shown

CAP = 50  # findings per rule before "and N more"
MAX_WHOLE = 2**53  # whole numbers beyond this cannot be held exactly (nor as int64 days)
MAX_ID_CHARS = 200  # identifiers and names (patient_id, center, measure codes, ...)
MAX_TEXT_CHARS = 10_000  # any other text cell
ID_COLUMNS = ("patient_id", "center", "measure", "event", "term")
IDENTIFIERS = ("patient_id", "center", "measure")  # must be visible text (trial/text.py)
# study.json texts: what each is shown as (a page title, a heading, a footnote)
TEXT_CHARS = {
    "title": 300,
    "short_title": 80,
    "registry_id": 100,
    "citation": 2_000,
    "data_note": 5_000,
    "time_origin": 200,
    "label": 200,
    "unit": 100,
    "category": 100,
    "population": 100,
}
# A text that a spreadsheet would run as a formula (CSV/formula injection): = or @ first, or
# + or - followed by a function call. Kept and shown as text, never evaluated; reported.
FORMULA_RE = r"^\s*(?:[=@]|[+-]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\()"
DERIVED = (
    "response",
    "response_day",
    "relapse",
    "relapse_day",
    "death",
    "death_day",
    "followup_end_day",
)  # columns added by model.derive_outcomes
STUDY = "study.json"
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
AFTER_DEATH_RULE = (
    "Rule: events recorded after death are not counted in time-to-event "
    "analyses; counts are shown as recorded and as analysed."
)


# ---------------------------------------------------------------------------------------------
# Column specifications of the three tables (data/README.md)


@dataclass(frozen=True)
class Col:
    name: str
    kind: Literal["text", "int", "number", "bool", "choice"] = "text"
    required: bool = False  # the column must exist and no cell may be empty
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    bound: float | None = None  # |value| beyond this is absurd (MAX_DAY, ...), an error


SPECS: dict[str, tuple[Col, ...]] = {
    "patients": (
        Col("patient_id", required=True),
        Col("center", required=True),
        Col("last_followup_day", "int", required=True, min=0, bound=MAX_DAY),
        Col("age", "number", min=0, max=120),
        Col("sex", "choice", choices=("F", "M")),
        Col("disease_duration_months", "number", min=0, bound=MAX_MONTH),
        Col("lupus_nephritis", "bool"),
        Col("prior_treatment"),
        Col("manifestations"),
        Col("provenance", "choice", choices=PROVENANCES),
        Col("published_fields"),
    ),
    "measurements": (
        Col("patient_id", required=True),
        Col("month", "int", required=True, min=0, bound=MAX_MONTH),
        Col("day", "int", bound=MAX_DAY),
        Col("measure", required=True),
        Col("value", "number", required=True, bound=MAX_VALUE),
        Col("provenance", "choice", choices=PROVENANCES),
    ),
    "events": (
        Col("patient_id", required=True),
        Col("day", "int", required=True, min=0, bound=MAX_DAY),
        Col("event", "choice", required=True, choices=EVENT_TYPES),
        Col("term"),
        Col("severity", "choice", choices=("AE", "SAE")),
        Col("related", "choice", choices=("yes", "no", "unknown")),
        Col("provenance", "choice", choices=PROVENANCES),
    ),
}


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_words(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"between {_fmt(lo)} and {_fmt(hi)}"
    if lo is not None:
        return f"≥ {_fmt(lo)}"
    if hi is None:
        raise ValueError("a range needs a lower or an upper limit")
    return f"≤ {_fmt(hi)}"


def _limits_words(lo: float, hi: float) -> str:
    """Like `_range_words` with NaN for "no limit"."""
    return _range_words(None if pd.isna(lo) else lo, None if pd.isna(hi) else hi)


@dataclass(frozen=True)
class _Rule:
    """One cell-level check: a vectorised test on the raw text and the words for a failure."""

    name: str
    test: Callable[[pd.Series], pd.Series]
    message: Callable[[str], str]


def _num(s: pd.Series) -> pd.Series:
    """Numbers of a raw column (NaN where empty or not a number); text is parsed once per
    distinct value."""
    if is_typed(s):
        return s.astype(float)
    return by_value(s, lambda u: pd.to_numeric(u, errors="coerce")).astype(float)


def _whole(v: pd.Series) -> pd.Series:
    return np.isfinite(v) & (v % 1 == 0) & (v.abs() <= MAX_WHOLE)


def _comma_hint(v: str) -> str:
    if re.fullmatch(r"-?\d+,\d+", v):
        return "; write decimals with a point, e.g. 1.5"
    if v.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return "; NaN and infinity are not accepted"
    if (
        re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", v)
        and abs(float(v)) > MAX_WHOLE
    ):
        return "; the number is too large to be used here"
    return ""


def _rules(col: Col) -> list[_Rule]:
    rules: list[_Rule] = []
    blank_ok = "" if col.required else " (leave the cell empty if unknown)"
    if col.required:
        rules.append(
            _Rule(
                "required",
                lambda s: ~is_blank(s),
                lambda v: "a value is required here; the cell is empty",
            )
        )
    if col.kind == "int":
        rules.append(
            _Rule(
                "whole_number",
                lambda s: is_blank(s) | _whole(_num(s)),
                lambda v: f"expected a whole number{blank_ok}" + _comma_hint(v),
            )
        )
    elif col.kind == "number":
        rules.append(
            _Rule(
                "number",
                lambda s: is_blank(s) | np.isfinite(_num(s)),
                lambda v: f"expected a number{blank_ok}" + _comma_hint(v),
            )
        )
    if col.kind in ("int", "number") and (col.min is not None or col.max is not None):
        lo = -np.inf if col.min is None else col.min
        hi = np.inf if col.max is None else col.max
        what = "a whole number" if col.kind == "int" else "a number"
        words = f"expected {what} {_range_words(col.min, col.max)}"
        rules.append(_Rule("range", lambda s: ~((_num(s) < lo) | (_num(s) > hi)), lambda v: words))
    if col.kind in ("int", "number") and col.bound is not None:
        bound = col.bound
        usable = _whole if col.kind == "int" else np.isfinite  # others: reported above

        def within(s: pd.Series) -> pd.Series:
            v = _num(s)
            return ~(usable(v) & (v.abs() > bound))

        rules.append(
            _Rule(
                "magnitude",
                within,
                lambda v: (
                    f"the number is beyond ±{bound:,g}: more than any trial "
                    f"has (days: 100 years, months: 1,200)"
                ),
            )
        )
    if col.kind == "bool":
        words = ", ".join(TRUE_WORDS + FALSE_WORDS)
        rules.append(
            _Rule(
                "boolean",
                lambda s: is_blank(s) | _to_bool(s).notna(),
                lambda v: f"expected true or false (accepted: {words}, any case)",
            )
        )
    if col.kind == "choice":
        choices = col.choices
        lower = {c.lower(): c for c in choices}

        def message(v: str) -> str:
            hint = (
                f" (write '{lower[v.lower()]}': values are case-sensitive)"
                if v.lower() in lower
                else ""
            )
            return f"expected one of: {', '.join(choices)}{hint}"

        rules.append(_Rule("choice", lambda s: (s == "") | isin(s, choices), message))
    return rules


def _schema(table: str) -> tuple[pa.DataFrameSchema, dict[str, list[_Rule]]]:
    columns, rules = {}, {}
    for col in SPECS[table]:
        rules[col.name] = _rules(col)
        # ignore_na=False: in a typed column an empty cell is NA, and "required" must see it
        checks = [pa.Check(r.test, name=r.name, ignore_na=False) for r in rules[col.name]]
        columns[col.name] = pa.Column(None, checks=checks, required=col.required, nullable=True)
    return pa.DataFrameSchema(columns, strict=False, name=table), rules


# ---------------------------------------------------------------------------------------------
# Result and reporting helpers


@dataclass
class Validated:
    """Typed frames (index = spreadsheet row - 2) and every finding."""

    patients: pd.DataFrame
    measurements: pd.DataFrame
    events: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


def _rownum(idx: Any) -> int:
    return int(idx) + 2


def _rows_text(rows: Iterable[int]) -> str:
    texts = [str(r) for r in rows]
    if len(texts) > 6:
        texts = texts[:5] + [f"… ({len(texts) - 5} more)"]
    return ", ".join(texts)


def _more(level: Level, file: str, rule: str, n: int, what: str) -> Finding:
    return Finding(level, file, f"… and {n} more {what} with the same problem ({rule})", rule=rule)


class _Make(Protocol):
    """`make(index, row)`: the fields of the finding about one row (a lambda may bind more
    names with defaults, as loop variables)."""

    def __call__(self, idx: Any, row: pd.Series, /) -> dict: ...


def _unknown_patients(out: list, table: pd.DataFrame, file: str, pf: str, known) -> None:
    """An error per row of `table` (measurements, events) whose patient is not in patients."""
    rows = _known(table, ["patient_id"])
    if rows is None or len(known) == 0:
        return
    _report(
        out,
        "error",
        file,
        "unknown_patient",
        rows.loc[~isin(rows["patient_id"], known)],
        lambda i, r: dict(
            row=_rownum(i),
            column="patient_id",
            value=r["patient_id"],
            patient_id=r["patient_id"],
            message=f"unknown patient: not in {pf}",
        ),
    )


def _report(
    out: list[Finding],
    level: Level,
    file: str,
    rule: str,
    rows: pd.DataFrame,
    make: _Make,
    what: str = "rows",
) -> None:
    """Append one finding per row of `rows` (at most CAP); `make(index, row)` gives the fields."""
    for idx, r in rows.head(CAP).iterrows():
        out.append(Finding(level, file, rule=rule, **make(idx, r)))
    if len(rows) > CAP:
        out.append(_more(level, file, rule, len(rows) - CAP, what))


def _list(values: Iterable, limit: int = 15) -> str:
    values = [str(v) for v in values]
    extra = f", … ({len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + extra


# ---------------------------------------------------------------------------------------------
# study.json

_STUDY_KEYS = {
    "title",
    "short_title",
    "registry_id",
    "citation",
    "data_status",
    "data_note",
    "time_origin",
    "centers",
    "visits",
    "measures",
}
_MEASURE_KEYS = {
    "code",
    "label",
    "unit",
    "unit_assumed",
    "better",
    "ref_low",
    "ref_high",
    "min",
    "max",
    "key",
    "population",
    "log_scale",
    "category",
}
_VISIT_KEYS = {"month", "label", "day"}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _is_number(v: Any) -> TypeGuard[float]:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # a JSON integer too large for a float, e.g. 10**400
        return False


def _is_whole(v: Any) -> TypeGuard[float]:
    return _is_number(v) and float(v).is_integer()


def _show(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False)[:80]


def validate_study(study: dict, limits: Limits | None = None) -> list[Finding]:
    """Findings about study.json, each naming its key path (e.g. measures[2].min)."""
    limits = limits or Limits()
    out: list[Finding] = []

    def err(key: str, message: str, value: Any = None, level: Level = "error") -> None:
        out.append(
            Finding(
                level,
                STUDY,
                message,
                key=key,
                rule="study",
                value=None if value is None else _show(value),
            )
        )

    def text(obj: dict, key: str, path: str, required: bool = False) -> None:
        if key not in obj or obj[key] is None:
            if required:
                err(path, "required key is missing: expected a text")
            return
        if not isinstance(obj[key], str):
            err(path, "expected a text (in double quotes)", obj[key])
        elif required and not obj[key].strip():
            err(path, "must not be empty", obj[key])
        elif len(obj[key]) > TEXT_CHARS.get(key, MAX_TEXT_CHARS):
            err(
                path,
                f"the text is too long ({len(obj[key]):,} characters; at most "
                f"{TEXT_CHARS.get(key, MAX_TEXT_CHARS):,} here)",
                obj[key][:40] + "…",
            )

    def count(key: str, limit: int, what: str) -> bool:
        """Whether the list study[key] is within `limit` (else reported, not looked into)."""
        items = study.get(key)
        if isinstance(items, list) and len(items) > limit:
            out.append(over(STUDY, what, len(items), limit, key=key))
            return False
        return True

    def flag(obj: dict, key: str, path: str) -> None:
        if key in obj and obj[key] is not None and not isinstance(obj[key], bool):
            err(path, "expected true or false (JSON booleans, without quotes)", obj[key])

    for k in sorted(set(study) - _STUDY_KEYS):
        err(k, "unknown key, ignored (check the spelling)", level="warning")
    text(study, "title", "title", required=True)
    for k in ("short_title", "registry_id", "citation", "data_note", "time_origin"):
        text(study, k, k)
    if study.get("data_status") not in ("real", "simulated"):
        err("data_status", 'required: expected "real" or "simulated"', study.get("data_status"))
    centers = study.get("centers")
    if centers is not None and not (
        isinstance(centers, list) and all(isinstance(c, str) for c in centers)
    ):
        err("centers", "expected a list of texts", centers)
    elif centers and count("centers", limits.centers, "centers"):
        for i, c in enumerate(centers):
            problem = identifier_problem(c) or (
                f"too long ({len(c):,} characters; at most {MAX_ID_CHARS})"
                if len(c) > MAX_ID_CHARS
                else None
            )
            if problem:
                err(f"centers[{i}]", f"the center's name {problem}", shown(c))

    visits = study.get("visits")
    if not count("visits", limits.visits, "visits"):
        pass
    elif not isinstance(visits, list) or not visits:
        err(
            "visits",
            "required: expected a non-empty list of visits "
            '({"month": 0, "label": "Baseline", "day": 0}, ...)',
            visits,
        )
    else:
        months: dict[Any, int] = {}
        for i, v in enumerate(visits):
            p = f"visits[{i}]"
            if not isinstance(v, dict):
                err(p, 'expected an object {"month": ..., "label": ..., "day": ...}', v)
                continue
            for k in sorted(set(v) - _VISIT_KEYS):
                err(f"{p}.{k}", "unknown key, ignored (check the spelling)", level="warning")
            m = v.get("month")
            if not (_is_whole(m) and m >= 0):
                err(f"{p}.month", "required: expected a whole number ≥ 0 (0 = baseline)", m)
            elif m > MAX_MONTH:
                err(f"{p}.month", f"expected a month ≤ {MAX_MONTH:,} (100 years)", m)
            elif m in months:
                err(f"{p}.month", f"month {m} is already scheduled in visits[{months[m]}]", m)
            else:
                months[m] = i
            text(v, "label", f"{p}.label", required=True)
            if not _is_whole(v.get("day")):
                err(
                    f"{p}.day",
                    "required: expected a whole number (the target study day)",
                    v.get("day"),
                )
            elif abs(v["day"]) > MAX_DAY:
                err(
                    f"{p}.day",
                    f"expected a study day between -{MAX_DAY:,} and {MAX_DAY:,} (100 years)",
                    v["day"],
                )
        if months and 0 not in months:
            err("visits", "no baseline visit: one visit must have month 0")

    measures = study.get("measures")
    if not count("measures", limits.parameters, "measures"):
        return out
    if not isinstance(measures, list) or not measures:
        err("measures", "required: expected a non-empty list of measures", measures)
        return out
    codes: dict[str, int] = {}
    for i, m in enumerate(measures):
        p = f"measures[{i}]"
        if not isinstance(m, dict):
            err(p, 'expected an object {"code": ..., "label": ..., ...}', m)
            continue
        for k in sorted(set(m) - _MEASURE_KEYS):
            err(f"{p}.{k}", "unknown key, ignored (check the spelling)", level="warning")
        code = m.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            err(
                f"{p}.code",
                "required: expected a code in lower case letters, digits and _ "
                "(starting with a letter)",
                code,
            )
        elif code in codes:
            err(f"{p}.code", f"code '{code}' is already used by measures[{codes[code]}]", code)
        else:
            codes[code] = i
        text(m, "label", f"{p}.label", required=True)
        for k in ("unit", "category", "population"):
            text(m, k, f"{p}.{k}")
        for k in ("unit_assumed", "key", "log_scale"):
            flag(m, k, f"{p}.{k}")
        if m.get("better", "none") not in ("lower", "higher", "none"):
            err(f"{p}.better", 'expected "lower", "higher" or "none"', m.get("better"))
        for k in ("ref_low", "ref_high", "min", "max"):
            if m.get(k) is not None and not _is_number(m[k]):
                err(f"{p}.{k}", "expected a number or null", m[k])
            elif m.get(k) is not None and abs(m[k]) > MAX_VALUE:
                err(f"{p}.{k}", f"expected a number between -{MAX_VALUE:g} and {MAX_VALUE:g}", m[k])
        for lo, hi in (("min", "max"), ("ref_low", "ref_high")):
            a, b = m.get(lo), m.get(hi)
            if _is_number(a) and _is_number(b) and a > b:
                err(f"{p}.{lo}", f"{lo} ({_fmt(a)}) is greater than {hi} ({_fmt(b)})", a)
    return out


def _entries(study: dict, key: str) -> list:
    """study[key] when it is a list (its problems are reported by validate_study), else []."""
    v = study.get(key)
    return v if isinstance(v, list) else []


def measure_limits(study: dict) -> pd.DataFrame:
    """code -> min, max, population for the well-formed measure entries."""
    rows = []
    for m in _entries(study, "measures"):
        if isinstance(m, dict) and isinstance(m.get("code"), str):
            lo, hi = m.get("min"), m.get("max")
            pop = m.get("population")
            rows.append(
                {
                    "measure": m["code"],
                    "min": float(lo) if _is_number(lo) else np.nan,
                    "max": float(hi) if _is_number(hi) else np.nan,
                    "population": pop if isinstance(pop, str) else None,
                }
            )
    return (
        pd.DataFrame(rows, columns=["measure", "min", "max", "population"])
        .drop_duplicates("measure")
        .set_index("measure")
    )


def visit_days(study: dict) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in _entries(study, "visits"):
        if isinstance(v, dict) and _is_whole(v.get("month")) and _is_whole(v.get("day")):
            out.setdefault(int(v["month"]), int(v["day"]))
    return out


# ---------------------------------------------------------------------------------------------
# Tables: cell checks (pandera) and typed conversion


def _as_checked(table: str, df: pd.DataFrame, extra_bool: Iterable[str]) -> pd.DataFrame:
    """`df` with each typed column kept only where its type is the column's kind (numbers in a
    number or whole-number column, booleans in a boolean one); any other typed column (numbers
    as patient ids, 0/1 as booleans, ...) becomes the text it would be in a CSV, so that it gets
    exactly the checks and findings of the text path."""
    kinds = {c.name: c.kind for c in SPECS[table]} | {c: "bool" for c in extra_bool}
    takes: dict[str | None, str] = {"int": "iuf", "number": "iuf", "bool": "b"}
    other = [
        c
        for c in df.columns
        if is_typed(df[c]) and df[c].dtype.kind not in takes.get(kinds.get(c), "")
    ]
    return df.assign(**{c: as_text(df[c]) for c in other}) if other else df


def _as_categories(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its text columns as categories, for the cell checks only (`_typed` gives them
    back as plain text). Ids, codes and visit words repeat over millions of rows: each check
    (empty cells, choices, lengths, formulas, numbers in text) then looks at each distinct text
    once, where it looked at every cell, with the same result per cell."""
    text = [c for c in df.columns if not is_typed(df[c]) and df[c].dtype == object]
    return df.astype({c: "category" for c in text}) if text else df


def _check_cells(table: str, file: str, df: pd.DataFrame) -> list[Finding]:
    schema, rules = _schema(table)
    try:
        schema.validate(df, lazy=True)
        return []
    except SchemaErrors as e:
        fc = e.failure_cases
    except SchemaError:  # not expected with lazy=True; report it rather than crash
        return [
            Finding(
                "error",
                file,
                "could not be checked cell by cell (the table's "
                "structure is not what the checks expect)",
                rule="schema",
            )
        ]
    out: list[Finding] = []
    header = ", ".join(df.columns) if len(df.columns) else "nothing"
    missing = fc.loc[fc["check"] == "column_in_dataframe", "failure_case"]
    for col in missing:
        near = [c for c in df.columns if c.lower().replace(" ", "_") == str(col)]
        hint = f"; found '{near[0]}': names are case-sensitive, in lower case" if near else ""
        out.append(
            Finding(
                "error",
                file,
                f"required column '{col}' is missing (the header has: {header}){hint}",
                row=1,
                column=str(col),
                rule="missing_column",
            )
        )
    cells = fc.loc[fc["schema_context"] == "Column"].copy()
    cells = cells.loc[cells["index"].notna() & cells["check_number"].notna()]
    if cells.empty:
        return out
    cells["row"] = cells["index"].astype(int) + 2
    order = {c.name: i for i, c in enumerate(SPECS[table])}
    cells["order"] = cells["column"].map(order)
    cells = cells.sort_values(["order", "check_number", "row"], kind="stable")
    for (col, num), grp in cells.groupby(["column", "check_number"], sort=False):
        rule = rules[col][int(num)]
        head = grp.head(CAP)
        # the value from the table, as text (a typed cell as it would read in a CSV)
        values = as_text(df.loc[head["index"].astype(int), col])
        for row, value in zip(head["row"], values):
            message = rule.message(value)
            value = value if len(value) <= 100 else value[:99] + "…"
            out.append(
                Finding(
                    "error", file, message, row=int(row), column=col, value=value, rule=rule.name
                )
            )
        if len(grp) > CAP:
            out.append(_more("error", file, rule.name, len(grp) - CAP, f"cells in column '{col}'"))
    return out


def _identifier_problems(s: pd.Series, patient_id: bool) -> pd.Series:
    """Per cell of an identifier column: why it cannot be an identifier, or None (each
    distinct value looked at once; trial/text.py)."""

    def per_value(u: pd.Series) -> pd.Series:
        why = identifier_problems([v for v in u if v], patient_id)
        return (
            or_none(u.map(why), u.isin(list(why)))
            if why
            else pd.Series(None, index=u.index, dtype=object)
        )

    return by_value(s, per_value)


def _check_text(table: str, file: str, df: pd.DataFrame) -> list[Finding]:
    """Text cells: too long to be what the column holds (errors), identifiers that are not
    visible text (errors), or starting like a spreadsheet formula (warnings: kept as text,
    shown as text, never evaluated)."""
    out: list[Finding] = []
    spec = {c.name: c for c in SPECS[table]}
    for name in df.columns:
        if is_typed(df[name]) or name in spec and spec[name].kind in ("int", "number", "bool"):
            continue  # checked as numbers and booleans
        s = df[name]
        limit = MAX_ID_CHARS if name in ID_COLUMNS else MAX_TEXT_CHARS
        look = by_value(
            s, lambda u: pd.DataFrame({"n": u.str.len(), "formula": u.str.match(FORMULA_RE)})
        )
        n = look["n"]
        too = n > limit
        long = pd.DataFrame({"v": s.loc[too], "n": n.loc[too]})
        _report(
            out,
            "error",
            file,
            "too_long",
            long,
            lambda i, r, name=name, limit=limit: dict(
                row=_rownum(i),
                column=name,
                value=shown(r["v"], 40),
                message=f"the text is too long ({r['n']:,} characters; at most {limit:,} in this "
                f"column)",
            ),
        )
        if name in IDENTIFIERS:
            problem = or_none(_identifier_problems(s, name == "patient_id"), ~too)
            bad = pd.DataFrame({"v": s, "why": problem}).loc[problem.notna()]
            _report(
                out,
                "error",
                file,
                "identifier",
                bad,
                lambda i, r, name=name: dict(
                    row=_rownum(i),
                    column=name,
                    value=shown(r["v"]),
                    patient_id=shown(r["v"]) if name == "patient_id" else None,
                    message=f"the {name.replace('_', ' ')} {r['why']}",
                ),
            )
        formula = s.loc[(n <= limit) & look["formula"]].to_frame("v")
        _report(
            out,
            "warning",
            file,
            "formula_text",
            formula,
            lambda i, r, name=name: dict(
                row=_rownum(i),
                column=name,
                value=r["v"][:80],
                message="starts like a spreadsheet formula: kept and shown as text, never "
                "evaluated; take care when opening exported files in a spreadsheet",
            ),
        )
    return out


def _count_centers(file: str, df: pd.DataFrame, limits: Limits) -> list[Finding]:
    if "center" not in df or is_typed(df["center"]):
        return []
    n = int(df["center"].nunique())
    return (
        [over(file, "distinct centers", n, limits.centers, column="center")]
        if n > limits.centers
        else []
    )


def _to_bool(s: pd.Series) -> pd.Series:
    """True/False per cell, None where empty or not a boolean word."""
    if is_typed(s):  # a boolean column (see _as_checked)
        out = or_none(s.astype(object), s.notna())
    else:
        low = s.str.lower()
        none = np.array(None)  # what np.where makes of None (numpy's stubs take no bare None)
        out = pd.Series(
            np.where(low.isin(TRUE_WORDS), True, np.where(low.isin(FALSE_WORDS), False, none)),
            index=s.index,
            dtype=object,
        )
    # plain bool when complete; otherwise True/False/None (object) so that comparisons stay safe
    return out.astype(bool) if out.notna().all() else out


def _typed(table: str, df: pd.DataFrame, extra_bool: Iterable[str] = ()) -> pd.DataFrame:
    """Raw text -> typed columns. Cells that fail their check become missing (already reported)."""
    spec = {c.name: c for c in SPECS[table]}
    out = df.copy()
    for name in df.columns:
        s = df[name]
        col = spec.get(name, Col(name, "bool" if name in extra_bool else "text"))
        if col.kind in ("int", "number"):
            v = _num(s)
            ok = (
                np.isfinite(v)
                & ~(v < (-np.inf if col.min is None else col.min))
                & ~(v > (np.inf if col.max is None else col.max))
                & ~(v.abs() > (np.inf if col.bound is None else col.bound))
            )
            if col.kind == "number":
                out[name] = v.where(ok)
            else:
                v = v.where(ok & _whole(v))
                out[name] = (
                    v.astype("int64") if col.required and v.notna().all() else v.astype("Int64")
                )
        elif col.kind == "bool":
            out[name] = _to_bool(s)
        else:
            out[name] = or_none(s.astype(object), (s != "").to_numpy())
    return out


# ---------------------------------------------------------------------------------------------
# Cross-table checks


def _provenance(
    file: str, raw: pd.DataFrame, typed: pd.DataFrame, out: list[Finding]
) -> pd.DataFrame:
    """Provenance "recorded" where the column is absent or a cell is empty (said in a warning)."""
    if "provenance" not in typed:
        typed["provenance"] = "recorded"
        return typed
    empty = raw["provenance"] == ""
    if empty.any():
        rows = [_rownum(i) for i in raw.index[empty]]
        out.append(
            Finding(
                "warning",
                file,
                f"{len(rows)} row(s) without provenance are taken as "
                f"'recorded' (rows {_rows_text(rows)})",
                column="provenance",
                rule="provenance_default",
            )
        )
        typed["provenance"] = typed["provenance"].where(~empty, "recorded")
    return typed


def _duplicates(
    out: list[Finding],
    file: str,
    df: pd.DataFrame,
    keys: list[str],
    describe: Callable[[pd.Series], str],
    advice: str,
) -> None:
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return
    d = df.loc[dup, keys].copy()
    d["_first"] = pd.Series(d.index, index=d.index).groupby([d[k] for k in keys]).transform("min")
    later = d.loc[d.index != d["_first"]]
    _report(
        out,
        "error",
        file,
        "duplicate",
        later,
        lambda i, r: dict(
            row=_rownum(i),
            column=keys[-1] if len(keys) > 1 else keys[0],
            value=str(r[keys[-1]]) if len(keys) > 1 else str(r[keys[0]]),
            patient_id=str(r["patient_id"]),
            message=f"{describe(r)} appears twice: rows {_rownum(r['_first'])} and {_rownum(i)}; "
            f"{advice}",
        ),
    )


def _known(df: pd.DataFrame | None, cols: list[str]) -> pd.DataFrame | None:
    """Rows of `df` where every column of `cols` has a value, whole numbers as int64; None when a
    column is absent (its absence is reported already)."""
    if df is None or not set(cols) <= set(df.columns):
        return None
    keep = df[cols].notna().all(axis=1).to_numpy()
    # no copy of a table (27 million rows in a registry) when every row is kept: the checks
    # only read it
    d = df if keep.all() else df.loc[keep]
    whole = {c: d[c].astype("int64") for c in cols if str(d[c].dtype) == "Int64"}
    return d.assign(**whole) if whole else d


def _subset(frame: pd.DataFrame, positions: np.ndarray | None) -> pd.DataFrame:
    """The rows at `positions` (sorted, distinct; all of them when None: no suspects could be
    found). No copy when they are every row: in a trial whose every value is suspect (say,
    measure codes that differ from study.json's) a copy of 27 million rows per check would
    exhaust the check's memory."""
    if positions is None or len(positions) == len(frame):
        return frame
    return frame.iloc[positions]


def _suspects(frame: pd.DataFrame, sus: Suspects | None, check: str) -> pd.DataFrame:
    """The measurements a check must look at: its suspects (all rows when None)."""
    return _subset(frame, None if sus is None else getattr(sus, check))


def _known_rows(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """`_known` of a table that has the columns."""
    known = _known(df, cols)
    if known is None:
        raise ValueError(f"columns {cols} expected")
    return known


def inside_populations(p: pd.DataFrame, limits: pd.DataFrame) -> dict[str, set]:
    """Per measure restricted to a population that is a column of patients: the ids of the
    patients in it (the population is true). Those whose column is absent are reported
    elsewhere and not checked."""
    inside: dict[str, set] = {}
    for code, pop in limits["population"].dropna().items():
        if pop in p.columns and "patient_id" in p:
            inside[str(code)] = set(p.loc[p[pop].eq(True), "patient_id"].dropna())
    return inside


def _cross_checks(
    study: dict,
    files: dict[str, str],
    p: pd.DataFrame,
    m: pd.DataFrame,
    e: pd.DataFrame,
    out: list[Finding],
) -> None:
    """Checks across tables. Cells that failed their own check are missing here, so each
    check looks only at rows whose needed values are known. The measurement checks look only at
    the rows that may give a finding, found on integer codes (trial/suspects.py)."""
    pf, mf, ef = files["patients"], files["measurements"], files["events"]

    # -- patients
    pid = _known(p, ["patient_id"])
    # one array of the ids, looked up by several checks (a set was made into one per lookup)
    id_cells = pid["patient_id"] if pid is not None else pd.Series([], dtype=object)
    known = pd.Index(pd.unique(id_cells), dtype=object)
    if pid is not None:
        _duplicates(
            out,
            pf,
            pid,
            ["patient_id"],
            lambda r: f"patient_id '{r['patient_id']}'",
            "patient ids must be unique",
        )
    if "published_fields" in p:
        listed = p["published_fields"].dropna().str.split(";").explode().str.strip()
        unlisted = listed.loc[(listed != "") & ~listed.isin(p.columns)]
        rows = unlisted.groupby(level=0).agg(lambda s: ", ".join(s)).to_frame("names")
        _report(
            out,
            "warning",
            pf,
            "published_fields",
            rows,
            lambda i, r: dict(
                row=_rownum(i),
                column="published_fields",
                value=r["names"],
                message="names a column that is not in patients",
            ),
        )

    # -- measurements
    visits = visit_days(study)
    limits = measure_limits(study)
    inside = inside_populations(p, limits)
    sus = find_suspects(m, known, list(visits), limits, inside)
    suspect_rows = _suspects(m, sus, "rows")  # one subset for the four row-level checks
    _unknown_patients(out, suspect_rows, mf, pf, known)
    keys = ["patient_id", "month", "measure"]
    has_keys = set(keys) <= set(m.columns)  # an absent column is reported already
    if has_keys:
        _duplicates(
            out,
            mf,
            _known_rows(_suspects(m, sus, "duplicates"), keys),
            ["patient_id", "month", "measure"],
            lambda r: f"patient '{r['patient_id']}', month {r['month']}, measure '{r['measure']}'",
            "keep one row per patient, visit and measure",
        )
    mm = _known(suspect_rows, ["month"])
    if mm is not None and visits:
        off = mm.loc[~mm["month"].isin(list(visits))]
        sched = ", ".join(str(k) for k in sorted(visits))
        _report(
            out,
            "error",
            mf,
            "unscheduled_visit",
            off,
            lambda i, r: dict(
                row=_rownum(i),
                column="month",
                value=str(r["month"]),
                patient_id=r.get("patient_id"),
                message=f"month {r['month']} is not a visit of study.json (visits: months {sched})",
            ),
        )
    ms = _known(suspect_rows, ["measure"])
    if ms is not None and len(limits):
        unknown = ms.loc[~isin(ms["measure"], limits.index)]
        defined = _list(limits.index)
        _report(
            out,
            "error",
            mf,
            "unknown_measure",
            unknown,
            lambda i, r: dict(
                row=_rownum(i),
                column="measure",
                value=r["measure"],
                patient_id=r.get("patient_id"),
                message=f"measure code not defined in study.json measures (defined: {defined})",
            ),
        )
    mv = _known(suspect_rows, ["measure", "value"])
    if mv is not None and len(limits):
        lim = mv.join(limits[["min", "max"]], on="measure")
        bad = lim.loc[(lim["value"] < lim["min"]) | (lim["value"] > lim["max"])]
        _report(
            out,
            "error",
            mf,
            "out_of_range",
            bad,
            lambda i, r: dict(
                row=_rownum(i),
                column="value",
                value=_fmt(r["value"]),
                patient_id=r.get("patient_id"),
                message=f"outside the possible values of '{r['measure']}': expected "
                f"{_limits_words(r['min'], r['max'])} (min/max in study.json)",
            ),
        )
    for i, x in enumerate(_entries(study, "measures")):
        pop = x.get("population") if isinstance(x, dict) else None
        if isinstance(pop, str) and pop not in p.columns:
            out.append(
                Finding(
                    "error",
                    STUDY,
                    f"population '{pop}' is not a column of {pf}",
                    key=f"measures[{i}].population",
                    value=pop,
                    rule="population",
                )
            )

    # values of a measure restricted to a population, from patients outside it (not analysed)
    if has_keys and "patient_id" in p:
        mk = _known_rows(_suspects(m, sus, "population"), keys)
        for code, members in inside.items():
            pop = str(limits.at[code, "population"])
            rows = mk.loc[
                (mk["measure"] == code)
                & isin(mk["patient_id"], known)
                & ~isin(mk["patient_id"], members)
            ]
            if len(rows):
                ids = _list(pd.unique(rows["patient_id"]), limit=10)
                out.append(
                    Finding(
                        "warning",
                        mf,
                        f"{len(rows)} value(s) of '{code}' belong to patients outside "
                        f"its population ('{pop}' is not true in {pf}): patients "
                        f"{ids}; they are kept but not used in the analyses of "
                        f"'{code}'",
                        row=_rownum(rows.index[0]),
                        column="measure",
                        value=str(code),
                        rule="outside_population",
                    )
                )

    # -- events
    _unknown_patients(out, e, ef, pf, known)
    ev = _known(e, ["patient_id", "day", "event"])
    if ev is None:
        return
    term = ev["term"] if "term" in ev else pd.Series(None, index=ev.index, dtype=object)
    ev = ev.assign(row_=ev.index + 2, term_=term)
    bad = ev.loc[(ev["event"] == "response") & ~isin(ev["term_"], RESPONSE_GRADES)]
    _report(
        out,
        "error",
        ef,
        "response_grade",
        bad,
        lambda i, r: dict(
            row=_rownum(i),
            column="term",
            value="" if r["term_"] is None else str(r["term_"]),
            patient_id=r["patient_id"],
            message=f"a response needs its grade in 'term': expected one of: "
            f"{', '.join(RESPONSE_GRADES)}",
        ),
    )

    deaths = ev.loc[ev["event"] == "death"].sort_values(["day", "row_"])
    first_death = deaths.drop_duplicates("patient_id").set_index("patient_id")
    again = deaths.loc[deaths.duplicated("patient_id")]
    _report(
        out,
        "warning",
        ef,
        "second_death",
        again,
        lambda i, r: dict(
            row=int(r["row_"]),
            column="event",
            value="death",
            patient_id=r["patient_id"],
            message=f"patient '{r['patient_id']}' has a death already recorded on day "
            f"{first_death.at[r['patient_id'], 'day']} (row "
            f"{first_death.at[r['patient_id'], 'row_']})",
        ),
    )

    # events after death: one finding per patient, naming every such event and the rule
    death_day = ev["patient_id"].map(first_death["day"])
    after = ev.loc[(ev["day"] > death_day).fillna(False).astype(bool) & ~ev.index.isin(again.index)]

    def after_death(pid: Any, r: pd.Series) -> dict:
        d = first_death.loc[pid]
        grp = after.loc[after["patient_id"] == pid]
        facts = "; ".join(
            f"{x['event']}{'' if x['term_'] is None else ' ' + str(x['term_'])} on day "
            f"{x['day']} (row {x['row_']})"
            for _, x in grp.iterrows()
        )
        return dict(
            row=int(r["row_"]),
            column="day",
            value=str(r["day"]),
            patient_id=str(pid),
            message=f"patient '{pid}': death is recorded on day {d['day']} (row "
            f"{d['row_']}), and {len(grp)} event(s) are recorded after it: "
            f"{facts}. Both facts are kept as recorded, not corrected. "
            f"{AFTER_DEATH_RULE}",
        )

    _report(
        out,
        "warning",
        ef,
        "event_after_death",
        after.drop_duplicates("patient_id").set_index("patient_id"),
        after_death,
        what="patients",
    )

    # events after the last follow-up (a death after it: see the follow-up/death check)
    pl = _known(p, ["patient_id", "last_followup_day"])
    if pl is not None:
        lf = pl.drop_duplicates("patient_id").set_index("patient_id")["last_followup_day"]
        ev_lf = ev["patient_id"].map(lf)
        late = ev.assign(lf_=ev_lf)
        late = late.loc[
            (ev["day"] > ev_lf).fillna(False).astype(bool)
            & (ev["event"] != "death")
            & ~ev.index.isin(after.index)
        ]
        _report(
            out,
            "warning",
            ef,
            "event_after_followup",
            late,
            lambda i, r: dict(
                row=int(r["row_"]),
                column="day",
                value=str(r["day"]),
                patient_id=r["patient_id"],
                message=f"{r['event']} on day {r['day']} is after the patient's last follow-up "
                f"(last_followup_day {int(r['lf_'])} in {pf})",
            ),
        )
        prow = pd.Series(pl.index + 2, index=pl["patient_id"]).groupby(level=0).first()
        fd = first_death.join(lf.rename("lf"), how="inner")
        fd = fd.loc[fd["lf"] != fd["day"]]
        _report(
            out,
            "warning",
            pf,
            "followup_vs_death",
            fd,
            lambda pid, r: dict(
                row=int(prow[pid]),
                column="last_followup_day",
                value=str(r["lf"]),
                patient_id=str(pid),
                message=(
                    f"death is recorded on day {r['day']} ({ef} row {r['row_']}), after the "
                    f"last follow-up day {r['lf']}"
                    if r["lf"] < r["day"]
                    else f"last_followup_day {r['lf']} is after the death recorded on day "
                    f"{r['day']} ({ef} row {r['row_']})"
                )
                + "; for a patient who died it should be the day of death",
            ),
            what="patients",
        )

    # relapse without a response before it
    first_resp = ev.loc[ev["event"] == "response"].groupby("patient_id")["day"].min()
    rel = ev.loc[ev["event"] == "relapse"]
    rel = rel.loc[~(rel["patient_id"].map(first_resp) < rel["day"]).fillna(False).astype(bool)]
    _report(
        out,
        "warning",
        ef,
        "relapse_without_response",
        rel,
        lambda i, r: dict(
            row=int(r["row_"]),
            column="event",
            value="relapse",
            patient_id=r["patient_id"],
            message=f"relapse on day {r['day']} without a response recorded before it for patient "
            f"'{r['patient_id']}'",
        ),
    )

    # measurements after death (one finding per patient)
    dead = sus.of_patients(first_death.index) if sus is not None and len(first_death) else None
    mt = _known(_subset(m, dead), ["patient_id", "month"])
    if mt is not None and len(first_death):
        day = mt["month"].map(visits).astype("Float64")
        if "day" in mt:
            day = mt["day"].astype("Float64").fillna(day)
        dd = mt["patient_id"].map(first_death["day"]).astype("Float64")
        late = mt.assign(dd_=dd).loc[(day > dd).fillna(False).astype(bool)]

        def measured_after(pid: Any, r: pd.Series) -> dict:
            g = late.loc[late["patient_id"] == pid]
            months = ", ".join(str(x) for x in sorted(g["month"].unique()))
            return dict(
                row=_rownum(g.index[0]),
                column="month",
                value=str(r["month"]),
                patient_id=str(pid),
                message=f"patient '{pid}' died on day {int(r['dd_'])} ({ef}), but "
                f"{len(g)} measurement(s) are dated after it (months {months}; "
                f"rows {_rows_text(_rownum(i) for i in g.index)})",
            )

        _report(
            out,
            "warning",
            mf,
            "measurement_after_death",
            late.drop_duplicates("patient_id").set_index("patient_id"),
            measured_after,
            what="patients",
        )

    # no baseline value of a measure that has later values (one finding per patient)
    if has_keys:
        mk = _known_rows(_suspects(m, sus, "no_baseline"), keys)
        mk = mk.loc[isin(mk["patient_id"], known) & isin(mk["measure"], limits.index)]
        base = mk.loc[mk["month"] == 0, ["patient_id", "measure"]].drop_duplicates()
        later = mk.loc[mk["month"] > 0, ["patient_id", "measure"]].drop_duplicates()
        nob = later.merge(base, how="left", indicator=True)
        nob = nob.loc[nob["_merge"] == "left_only"]
        per = nob.groupby("patient_id", sort=False)["measure"].agg(lambda s: ", ".join(s))
        _report(
            out,
            "warning",
            mf,
            "no_baseline",
            per.to_frame("codes"),
            lambda pid, r: dict(
                patient_id=str(pid),
                column="measure",
                value=r["codes"],
                message=f"patient '{pid}' has later values but no baseline (month 0) value of "
                f"the measure(s) listed; changes from baseline cannot be computed for them",
            ),
            what="patients",
        )


# ---------------------------------------------------------------------------------------------


# Checks the measurements left in their file (`read_tables(left_in_file=...)`) once the patients
# and events are checked: given study.json, them and the findings so far, it returns the typed
# measurements the cross-table checks should see, or raises when it cannot vouch that the
# checks would find nothing in them (trial/screen.py).
Screen = Callable[[dict, pd.DataFrame, pd.DataFrame, list[Finding]], pd.DataFrame]


def validate(
    raw: RawTables,
    limits: Limits | None = None,
    progress: Progress | None = None,
    screen: Screen | None = None,
) -> Validated:
    """Check everything and return typed frames (index = spreadsheet row − 2) and findings.
    With `screen`, the measurements are not checked here (they were left in their file) but by
    `screen`, after the patients and the events."""
    limits = limits or Limits()
    progress = progress or Progress()
    findings: list[Finding] = list(raw.findings)
    with progress.working_on(STUDY, "checking"):
        findings += validate_study(raw.study, limits)
        limits_of_measures = measure_limits(raw.study)
    pops = set(limits_of_measures["population"].dropna())

    typed: dict[str, pd.DataFrame] = {}
    for table in ("patients", "measurements", "events"):
        if table == "measurements" and screen is not None:
            continue
        with progress.working_on(raw.files[table], "checking"):
            typed[table] = _validate_table(raw, table, pops, limits, findings)
    if screen is not None:
        with progress.working_on(raw.files["measurements"], "checking"):
            typed["measurements"] = screen(raw.study, typed["patients"], typed["events"], findings)

    files = ", ".join(raw.files[t] for t in ("patients", "measurements", "events"))
    with progress.working_on(files, "checking"):
        _cross_checks(
            raw.study,
            raw.files,
            typed["patients"],
            typed["measurements"],
            typed["events"],
            findings,
        )
    findings.sort(key=lambda f: f.level != "error")  # errors first, order kept otherwise
    return Validated(typed["patients"], typed["measurements"], typed["events"], findings)


def _validate_table(
    raw: RawTables, table: str, pops: set, limits: Limits, findings: list[Finding]
) -> pd.DataFrame:
    """The cell checks of one table (findings appended) and its typed frame."""
    spec_names = {c.name for c in SPECS[table]}
    extra_bool = [c for c in pops if c not in spec_names] if table == "patients" else []
    df, file = _as_categories(_as_checked(table, raw.table(table), extra_bool)), raw.files[table]
    findings += _check_cells(table, file, df)
    findings += _check_text(table, file, df)
    if table == "patients":
        findings += _count_centers(file, df, limits)
    for c in extra_bool:  # an extra patients column used as a measure's population
        if c in df:
            bad = df.loc[~is_blank(df[c]) & _to_bool(df[c]).isna()]
            _report(
                findings,
                "error",
                file,
                "boolean",
                bad,
                lambda i, r, c=c: dict(
                    row=_rownum(i),
                    column=c,
                    value=r[c],
                    message="expected true or false: this column is a measure's population in "
                    "study.json",
                ),
            )
    if table == "patients":
        for c in [c for c in DERIVED if c in df.columns]:
            findings.append(
                Finding(
                    "warning",
                    file,
                    "this column is replaced by the outcome derived from the events",
                    row=1,
                    column=c,
                    rule="derived_column",
                )
            )
    else:
        for c in sorted(set(df.columns) - spec_names):
            findings.append(
                Finding(
                    "warning",
                    file,
                    "column not in the data format: kept, but not used",
                    row=1,
                    column=shown(c),
                    rule="extra_column",
                )
            )
    t = _provenance(file, df, _typed(table, df, extra_bool), findings)
    if table != "patients":  # optional columns the analyses read: present, empty if absent
        for c in SPECS[table]:
            if c.name not in t:
                t[c.name] = pd.Series(
                    pd.NA if c.kind == "int" else None,
                    index=df.index,
                    dtype="Int64" if c.kind == "int" else object,
                )
    if df.empty:
        what = "patients" if table == "patients" else table
        findings.append(
            Finding(
                "error" if table == "patients" else "warning",
                file,
                f"the table has a header but no rows: no {what}",
                rule="empty_table",
            )
        )
    return t
