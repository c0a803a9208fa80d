"""One visual language: colour-blind-safe colours fixed per center and responder group."""
from __future__ import annotations

# Okabe-Ito palette (colour-blind safe).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
RESPONSE_COLORS = {"MCR": "#0072B2", "PCR": "#E69F00", "NR": "#7F7F7F", "All": "#222222"}
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 15


def group_colors(levels: list, group_col: str | None) -> dict:
    """Colour per group level; responder groups keep fixed colours, others follow the order."""
    if group_col == "response":
        return {lv: RESPONSE_COLORS.get(str(lv), "#444444") for lv in levels}
    if group_col is None:
        return {lv: RESPONSE_COLORS["All"] for lv in levels}
    return {lv: OKABE_ITO[i % len(OKABE_ITO)] for i, lv in enumerate(levels)}


def base_layout(**overrides) -> dict:
    layout = dict(
        template="plotly_white",
        font=dict(family=FONT_FAMILY, size=FONT_SIZE, color="#222"),
        margin=dict(l=70, r=30, t=80, b=60),
        legend=dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.01,
                    font=dict(size=14)),
        hoverlabel=dict(font_size=14),
    )
    layout.update(overrides)
    return layout
