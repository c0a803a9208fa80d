"""Light and dark themes: a switch in the header; dark puts `data-bs-theme="dark"` on the page
(Bootstrap 5.3 and AG Grid follow it), the class `theme-dark` on the app container, and the
plotly template "plotly_dark" on the figures. Exports stay light (slides are white).

The work is done in the browser (assets/theme.js) so that switching re-renders nothing on the
server; the figures' templates come from plotly itself, through a store."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.io as pio
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from .. import ids
from ..figures import theme

# Figures that follow the theme. A view that adds a graph can add its id here.
THEMED_GRAPHS = (
    ids.TRAJ_GRAPH,
    ids.SURV_GRAPH,
    ids.EFFECTS_GRAPH,
    ids.RESP_GRAPH,
    ids.SWIMMER_GRAPH,
)


def templates() -> dict:
    return {
        "dark": pio.templates[theme.DARK_TEMPLATE].to_plotly_json(),
        "light": pio.templates[theme.LIGHT_TEMPLATE].to_plotly_json(),
        "colors": theme.theme_colors(),
    }


def theme_switch() -> html.Div:
    return html.Div(
        [
            dbc.Switch(
                id=ids.THEME_SWITCH,
                label="Dark theme",
                value=False,
                persistence=True,
                persistence_type="local",
                className="theme-switch mb-0",
            ),
            dcc.Store(id=ids.THEME_TEMPLATES, data=templates()),
        ],
        className="theme-switch-wrap",
    )


def register(app: Dash) -> None:
    app.clientside_callback(
        ClientsideFunction(namespace="theme", function_name="container"),
        Output(ids.APP_CONTAINER, "className"),
        Input(ids.THEME_SWITCH, "value"),
    )
    for graph in THEMED_GRAPHS:
        app.clientside_callback(
            ClientsideFunction(namespace="theme", function_name="figure"),
            Output(graph, "figure", allow_duplicate=True),
            Input(ids.THEME_SWITCH, "value"),
            Input(graph, "figure"),
            State(ids.THEME_TEMPLATES, "data"),
            prevent_initial_call=True,
        )
