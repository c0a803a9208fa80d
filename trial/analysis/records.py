"""Result frames as JSON-safe rows (for `trial summary --json` and the exports)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def clean(value):
    """NaN/inf -> None, numpy scalars -> Python scalars."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe rows of a frame."""
    return [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]
