"""Files of the exports: names, media types, CSV that cannot run as spreadsheet formulas, and
the plain-text form of a table (speaker notes)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from .. import ids
from ..figures.text import safe_name

MIME = {
    ids.FORMAT_PNG: "image/png",
    ids.FORMAT_SVG: "image/svg+xml",
    ids.FORMAT_PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ids.FORMAT_HTML: "text/html",
    ids.FORMAT_CSV: "text/csv",
}


def export_filename(name: str, fmt: str, today: date) -> str:
    return f"{safe_name(name)}_{today.isoformat()}.{safe_name(fmt)}"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas: a cell starting with = + - @
    (or a tab or carriage return) gets a leading ' (OWASP CSV injection). Numbers stay numbers:
    a negative number is a number, not text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    out.columns = [
        ("'" + c if isinstance(c, str) and c.startswith(FORMULA_START) else c) for c in out.columns
    ]
    return out


def numbers_csv(numbers: pd.DataFrame) -> str:
    return csv_safe(numbers).to_csv(index=False)


def numbers_text(df: pd.DataFrame, max_rows: int = 200) -> str:
    """A table as aligned plain text (speaker notes), its first `max_rows` rows."""
    if df.empty:
        return "(no numbers)"
    with pd.option_context(
        "display.width", 200, "display.max_columns", 50, "display.max_colwidth", 40
    ):
        text = df.head(max_rows).to_string(index=False, na_rep="–")
    more = f"\n… {len(df) - max_rows} more rows in the CSV export" if len(df) > max_rows else ""
    return text + more
