"""Display text of time-to-event numbers for the UI, exports and method text.

`trial.survival.format_time` writes "NR" for a median that is not reached, which reads like the
"NR" (no response) group of this trial. These functions write "not reached" (or any text given)
and otherwise format exactly as `trial.survival.format_time` does; existing callers of that
function are unchanged.
"""

from __future__ import annotations

import numpy as np

from ..survival import format_time as _survival_format_time

NOT_REACHED = "not reached"


def format_time(value, unit: str = "days", digits: int = 0, not_reached: str = NOT_REACHED) -> str:
    """A median or CI limit: `not_reached` for None/NaN/inf, else the number in `unit`."""
    if value is None or not np.isfinite(value):
        return not_reached
    return _survival_format_time(value, unit, digits)


def format_median(
    median,
    lower,
    upper,
    unit: str = "days",
    digits: int = 0,
    not_reached: str = NOT_REACHED,
    short: bool = False,
) -> str:
    """E.g. "36 (23–46)" or "not reached (23–not reached)"; with `short`, just "not reached"
    when the median and both limits are not reached."""

    def f(v):
        return format_time(v, unit, digits, not_reached)

    if short and all(f(v) == not_reached for v in (median, lower, upper)):
        return not_reached
    return f"{f(median)} ({f(lower)}–{f(upper)})"


def format_p(p, missing: str = "–", bare: bool = False) -> str:
    """A p-value as text shows it, everywhere: "p < 0.001", "p = 0.012" (three decimals);
    `bare`: without the "p" ("< 0.001", "0.012", for table cells); `missing` for None or NaN."""
    try:
        x = float(p)
    except (TypeError, ValueError):
        return missing
    if not np.isfinite(x):
        return missing
    if x < 0.001:
        return "< 0.001" if bare else "p < 0.001"
    return f"{x:.3f}" if bare else f"p = {x:.3f}"
