"""Small layout helpers the views' control rows share (layout only, no callbacks)."""

from __future__ import annotations

import dash_bootstrap_components as dbc


def radio(id_, options: dict, value) -> dbc.RadioItems:
    """Inline radio buttons from {value: label}."""
    return dbc.RadioItems(
        id=id_,
        options=[{"label": v, "value": k} for k, v in options.items()],
        value=value,
        inline=True,
        className="control-radio",
    )


def control(label: str, widget, width: int, **col_props) -> dbc.Col:
    """A labelled control in a column of `width` (of 12)."""
    return dbc.Col([dbc.Label(label, className="control-label"), widget], md=width, **col_props)
