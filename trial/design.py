"""The conventions a study definition is read by: which ADaM flags are analysis populations,
which variables hold the planned and the actual arm, what a visit label means on a time axis,
which codes say that an adverse event is related, and how severity codes are ordered.

Pure functions of values (no datasets, no findings): `trial/adam.py` applies them to a folder
and reports what it chose (`trial.model.Design`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# ADaM population flags in the order a statistician looks for them, with their usual names.
POPULATION_FLAGS = {
    "SAFFL": "Safety population",
    "ITTFL": "Intent-to-treat population",
    "FASFL": "Full analysis set",
    "EFFFL": "Efficacy population",
    "PPROTFL": "Per-protocol population",
}
# The default population of each kind of analysis: the first flag the data have.
EFFICACY_FLAGS = ("ITTFL", "FASFL", "EFFFL")
SAFETY_FLAGS = ("SAFFL",)
TREATED = "TREATED"  # derived population where the data have no flag: subjects with a first dose

# Arm variables: planned (as randomised) and actual (as treated), first found is used.
PLANNED_ARM_VARIABLES = ("TRT01P", "ARM", "TRTP")
ACTUAL_ARM_VARIABLES = ("TRT01A", "ACTARM", "TRTA")
ARM_WORDS = {"planned": "planned treatment", "actual": "actual treatment"}

# Subjects who were never randomised: not in any analysis (SDTM ARMCD SCRNFAIL, NOTASSGN).
SCREEN_FAILURE = re.compile(
    r"screen\s*fail|scrnfail|not\s+assigned|notassgn|"
    r"not\s+randomi[sz]ed",
    re.I,
)
# Subjects randomised but never treated (SDTM ACTARMCD NOTTRT).
NOT_TREATED = re.compile(r"not\s+treated|nottrt|no\s+treatment", re.I)


def arm_label(key: str, variable: str) -> str:
    return f"{ARM_WORDS.get(key, key)} ({variable})"


# --- Visits --------------------------------------------------------------------------------

DAYS_PER = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
_UNIT_WORDS = {
    "day": "day",
    "d": "day",
    "week": "week",
    "wk": "week",
    "w": "week",
    "month": "month",
    "mo": "month",
    "m": "month",
    "year": "year",
    "yr": "year",
}
_VISIT_NUMBER = re.compile(
    r"\b(days?|d|weeks?|wks?|w|months?|mo|m|years?|yrs?)\.?\s*"
    r"(-?\d+(?:\.\d+)?)\b",
    re.I,
)
BASELINE_WORDS = re.compile(r"baseline", re.I)
PRE_BASELINE_WORDS = re.compile(
    r"screen|run.?in|pre.?treat|pre.?dose|wash.?out|lead.?in|"
    r"enrol",
    re.I,
)
UNSCHEDULED_WORDS = re.compile(r"unsched|unplanned|retest|repeat", re.I)


def visit_time(label: str | None) -> tuple[float, str] | None:
    """The time a visit label names, in days since the first dose (0 = first dose), and the unit
    it is named in: "Week 26" -> (182.0, "week"), "Day 15" -> (14.0, "day") (ADaM day 1 is the
    first dose), "Baseline" -> (0.0, ""). None when the label names no time ("Visit 3")."""
    if not label:
        return None
    m = _VISIT_NUMBER.search(label)
    if m is None:
        return (0.0, "") if BASELINE_WORDS.search(label) else None
    word = m.group(1).lower().rstrip(".")
    unit = _UNIT_WORDS.get(word.rstrip("s")) or _UNIT_WORDS.get(word)
    if unit is None:
        return None
    n = float(m.group(2))
    days = (n - 1 if n >= 1 else n) if unit == "day" else n * DAYS_PER[unit]
    return days, unit


def position(days: float, unit: str) -> float:
    """A time in days since the first dose on an axis counting `unit`s (a day axis counts ADaM
    study days: day 1 is the first dose). Rounded to 2 decimals."""
    if unit == "day":
        return float(days + 1 if days >= 0 else days)
    return round(days / DAYS_PER[unit], 2)


def main_unit(units: Iterable[str]) -> str | None:
    """The unit most labels are named in (ties: the longer unit)."""
    counts: dict[str, int] = {}
    for u in units:
        if u:
            counts[u] = counts.get(u, 0) + 1
    if not counts:
        return None
    order = list(DAYS_PER)
    return max(counts, key=lambda u: (counts[u], order.index(u)))


# --- Time-to-event units -------------------------------------------------------------------

TIME_UNITS = {
    "day": "days",
    "days": "days",
    "d": "days",
    "week": "weeks",
    "weeks": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "month": "months",
    "months": "months",
    "mo": "months",
    "year": "years",
    "years": "years",
    "yr": "years",
    "yrs": "years",
    "hour": "hours",
    "hours": "hours",
    "h": "hours",
}
COUNT_WORDS = re.compile(r"^\s*(number|count|rate|frequency|total)\s+of\b|\bcount\b", re.I)


def time_unit(unit: str | None) -> str | None:
    """ "DAYS" -> "days"; None for a unit that is not a time (COUNT, %, EVENTS)."""
    return TIME_UNITS.get((unit or "").strip().lower())


def not_time_to_event(unit: str, label: str) -> str:
    """Why a parameter is not a time to an event ("" when it is one): its unit is not a time
    (AVALU = COUNT), or, without a unit, its label reads as a count."""
    if unit and time_unit(unit) is None:
        return f"unit {unit}, not a time"
    if not unit and COUNT_WORDS.search(label or ""):
        return "its label reads as a count"
    return ""


# --- Adverse events ------------------------------------------------------------------------

# Relatedness codes (AEREL) as CDISC studies write them. Related: possibly, probably or
# definitely (WHO-UMC "possible" and above); not related: none, unlikely, remote.
RELATED_CODES = {
    "Y",
    "YES",
    "RELATED",
    "POSSIBLE",
    "POSSIBLY",
    "POSSIBLY RELATED",
    "PROBABLE",
    "PROBABLY",
    "PROBABLY RELATED",
    "DEFINITE",
    "DEFINITELY",
    "DEFINITELY RELATED",
    "LIKELY",
    "LIKELY RELATED",
    "CERTAIN",
    "SUSPECTED",
    "REASONABLE POSSIBILITY",
}
NOT_RELATED_CODES = {
    "N",
    "NO",
    "NONE",
    "NOT RELATED",
    "UNRELATED",
    "UNLIKELY",
    "UNLIKELY RELATED",
    "REMOTE",
    "REMOTELY RELATED",
    "NOT LIKELY",
    "DOUBTFUL",
    "NOT SUSPECTED",
    "NOT RELATED TO STUDY DRUG",
    "NO REASONABLE POSSIBILITY",
}


def related_class(code: str | None, related: Iterable[str] | None = None) -> str:
    """ "yes", "no" or "unknown" for a relatedness code; `related` (e.g. from adam.json) lists
    the codes read as related, every other code then reads as not related."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or str(code).strip() == "":
        return "unknown"
    c = str(code).strip().upper()
    if related is not None:
        return "yes" if c in {r.strip().upper() for r in related} else "no"
    if c in RELATED_CODES:
        return "yes"
    if c in NOT_RELATED_CODES:
        return "no"
    return "unknown"


SEVERITY_SCALE = (
    "MILD",
    "MODERATE",
    "SEVERE",
    "LIFE THREATENING",
    "LIFE-THREATENING",
    "FATAL",
    "DEATH",
)
_GRADE = re.compile(r"^(?:grade\s*)?(\d+)$", re.I)


def severity_order(codes: Iterable[str]) -> tuple[str, ...]:
    """The data's severity codes, mildest first: MILD < MODERATE < SEVERE (< LIFE THREATENING <
    FATAL), toxicity grades 1 < 2 < ... (also "Grade 3"); other codes after them, sorted."""
    present = sorted({str(c) for c in codes if c is not None and str(c) != ""})

    def rank(c: str) -> tuple:
        up = c.strip().upper()
        if up in SEVERITY_SCALE:
            return (0, SEVERITY_SCALE.index(up), "")
        g = _GRADE.match(c.strip())
        if g:
            return (1, int(g.group(1)), "")
        return (2, 0, c)

    return tuple(sorted(present, key=rank))
