"""The analysis engine: requests in, result frames out (no Dash, no plotly)."""
