"""What a presenter says about a view: its key numbers as sentences (speaker notes, the HTML
report), and the numbers behind it as a readable table (no `<NA>`, no scientific notation,
p-values as "p < 0.001" / "p = 0.012").

    trajectory_points(numbers, statistic, scale)   # "At 12 months mean SLEDAI-2K in MCR fell …"
    survival_points(result)                        # landmarks per group, the log-rank test
    readable(numbers)                              # the table for the notes
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trial.analysis.display import format_p
from trial.analysis.survival import SurvivalResult

STATISTIC_WORDS = {"mean_sd": "mean", "mean_ci": "mean", "median_iqr": "median"}
P_COLUMNS = ("p_vs_baseline", "p", "p_value")


def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def number(x, digits: int = 3) -> str:
    """A number in plain notation with `digits` significant digits (whole numbers as they
    are; "–" when missing)."""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if _missing(x):
        return "–"
    x = float(x)
    if not math.isfinite(x):
        return "–"
    if x.is_integer() and abs(x) < 1e6:
        return f"{int(x)}"
    decimals = max(digits - 1 - int(math.floor(math.log10(abs(x)))), 0)
    return f"{x:.{decimals}f}"


def p_value(p) -> str:
    """ "p < 0.001", "p = 0.012"; "p not computed" when missing."""
    return format_p(None if _missing(p) else p, missing="p not computed")


def percent(x) -> str:
    return "–" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.1f} %"


def _change_word(start: float, end: float) -> str:
    return "fell" if end < start else "rose" if end > start else "stayed"


def trajectory_points(numbers: pd.DataFrame, statistic: str, scale: str) -> list[str]:
    """Per panel and group, the last visit against baseline, e.g. "At 12 months mean SLEDAI-2K
    in MCR fell from 12.7 to 7.8, n = 11, p = 0.003 vs baseline." """
    if numbers.empty:
        return []
    word = STATISTIC_WORDS.get(statistic, "mean")
    out = []
    for (panel, group), rows in numbers.groupby(["panel", "group"], sort=False):
        rows = rows.loc[rows["n"] > 0].sort_values("month")
        if len(rows) < 2:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        when = (
            f"At {last['visit'].replace(' mo', ' months')}"
            if last["visit"] != "Baseline"
            else f"At visit {last['month']}"
        )
        who = "" if group in ("All", "all") else f" in {group}"
        p = p_value(last["p_vs_baseline"])
        if scale == "value":
            verb = _change_word(first["estimate"], last["estimate"])
            what = (
                f"{when} {word} {panel}{who} {verb} from {number(first['estimate'])} to "
                f"{number(last['estimate'])}"
            )
        else:
            kind = "change" if scale == "change" else "% change"
            what = (
                f"{when} the {word} {kind} from baseline in {panel}{who} was "
                f"{number(last['estimate'])}"
            )
        out.append(f"{what}, n = {int(last['n'])}, {p} vs baseline.")
    return out


def survival_points(result: SurvivalResult) -> list[str]:
    """Per group the 6- and 12-month estimates with their CIs, then the log-rank test."""
    if result.empty:
        return [f"No estimate: {result.empty}"]
    ep = result.endpoint
    what = ep.title.split(",")[0] if not ep.cif else "Cumulative incidence of relapse"
    out = []
    for r in result.summary.to_dict("records"):
        where = "overall" if r["group"] == "All" else f"in {r['group']}"
        events = int(r["events"])
        word = ep.event_word[:-1] if events == 1 and ep.event_word.endswith("s") else ep.event_word
        head = f"{what} {where} (n = {r['n']}, {events} {word})"
        if not r.get("estimable"):
            out.append(f"{head}: not estimated (too few patients).")
            continue
        marks = []
        for m in (6, 12):
            est = r.get(f"m{m}_estimate")
            if est is not None and math.isfinite(est):
                marks.append(
                    f"{percent(est)} at {m} months (95 % CI "
                    f"{percent(r[f'm{m}_lower'])} to {percent(r[f'm{m}_upper'])})"
                )
        out.append(
            f"{head}: " + ("; ".join(marks) if marks else "beyond follow-up at 6 months") + "."
        )
    test = result.test
    if test and result.summary["events"].sum():
        out.append(
            f"Log-rank test across {len(test['groups'])} groups: chi-square "
            f"{test['chi2']:.2f}, df = {test['df']}, {p_value(test['p'])} "
            "(descriptive: groups are not randomised)."
        )
    return out


def readable(numbers: pd.DataFrame) -> pd.DataFrame:
    """The numbers behind a figure as text cells: plain notation, p-values as words, "–" for
    missing values."""
    out = pd.DataFrame(index=numbers.index)
    for col in numbers.columns:
        values = numbers[col]
        if col in P_COLUMNS:
            out[col] = ["–" if _missing(v) else format_p(v, bare=True) for v in values]
        elif pd.api.types.is_numeric_dtype(values) or values.dtype == object:
            out[col] = [v if isinstance(v, str) else number(v) for v in values]
        else:
            out[col] = values.astype(str)
    return out.loc[:, [c for c in out.columns if (out[c] != "–").any()]]


def _by(visit: str) -> str:
    """ "12 mo" -> "by 12 months", "Week 26" -> "by week 26"."""
    text = visit.replace(" mo", " months")
    first = text.split(" ")[0]
    return "by " + (text[0].lower() + text[1:] if first in ("Week", "Month", "Day") else text)


def change_sentence(label: str, row: dict, visit: str) -> str:
    """ "SLEDAI-2K fell from 14 to 4 by 12 months (−71 %)"; or what is missing."""
    base, last = row["baseline"], row["last"]
    if not row["n_values"]:
        return f"{label}: not measured"
    if _missing(base):
        return f"{label}: no baseline value"
    if _missing(last):
        return f"{label} {number(base)} at baseline, no later value"
    pct = row["pct_change"]
    tail = "" if _missing(pct) else f" ({signed_percent(pct)})"
    verb = _change_word(base, last)
    return f"{label} {verb} from {number(base)} to {number(last)} {_by(visit)}{tail}"


def signed_percent(x) -> str:
    return f"{float(x):+.0f} %".replace("-", "\u2212")


def narrative_points(who: str, changes: list[tuple[str, dict, str]], events: list[str]) -> list:
    """A patient's story in sentences: who, then each key measure against baseline, then the
    events. `changes`: (measure label, baseline_changes row, last visit's label)."""
    said = [change_sentence(label, row, visit) for label, row, visit in changes]
    first = f"{who}: {said[0]}." if said else f"{who}."
    return [first, *[f"{s}." for s in said[1:]], *events]


def _days(days: list) -> str:
    shown = [str(d) for d in days if d is not None] or ["?"]
    many = len(shown) > 1
    listed = ", ".join(shown[:-1]) + " and " + shown[-1] if many else shown[0]
    return f"on day{'s' if many else ''} {listed}"


def event_sentences(rows: list[dict], ae_label: str = "Adverse event") -> list[str]:
    """The events in sentences, in day order by kind: "Infusion (UC-MSC) on days 0 and 7.",
    then the adverse events: "2 adverse events: fever (mild) on day 3; …" (or none recorded)."""
    kinds: dict[tuple[str, str], list] = {}
    aes = []
    for r in rows:
        if r["event"] == ae_label:
            serious = {"SAE": " (serious)", "AE": ""}
            severity = serious.get(r["severity"], f" ({r['severity']})" if r["severity"] else "")
            aes.append(f"{r['term'] or 'unnamed'}{severity} on day {r['day']}")
        else:
            term = "" if r["term"].lower() == r["event"].lower() else r["term"]
            kinds.setdefault((r["event"], term), []).append(r["day"])
    out = [
        f"{event}{f' ({term})' if term else ''} {_days(days)}."
        for (event, term), days in kinds.items()
    ]
    late = sum(1 for r in rows if r["note"])
    if late:
        out.append(f"{late} of these events are recorded after the recorded death (as recorded).")
    if not aes:
        return [*out, "No adverse events recorded."]
    n = len(aes)
    return [*out, f"{n} adverse event{'s' if n != 1 else ''}: " + "; ".join(aes) + "."]
