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
