"""Slide figures (components/export/slides.py) for every view: the chart's type is at least the
stated sizes at 1080p (tick labels 20 px, n per visit and numbers at risk 18 px, any text 18 px),
checked on the figure JSON the browser renders; the plot fills the frame; nothing is placed
outside it."""

from __future__ import annotations

from datetime import date

import pytest

from components import ids
from components.export import build, deck, slides
from components.export.slides import Frame
from components.figures import theme
from components.state.viewspec import ViewSpec

TODAY = date(2026, 11, 25)
SPECS = {
    "key measures": ViewSpec(ids.VIEW_TRAJECTORIES, {}),
    "sledai by response": ViewSpec(ids.VIEW_TRAJECTORIES, {"measure": "sledai"}),
    "proteinuria by center": ViewSpec(
        ids.VIEW_TRAJECTORIES, {"measure": "proteinuria", "group": "center"}
    ),
    "c3 change, median": ViewSpec(
        ids.VIEW_TRAJECTORIES,
        {"measure": "c3", "scale": "change", "statistic": "median_iqr", "individual": True},
    ),
    "survival by response": ViewSpec(ids.VIEW_SURVIVAL, {"group": "response"}),
    "relapse, cumulative incidence": ViewSpec(
        ids.VIEW_SURVIVAL, {"endpoint": "cif", "origin": "response"}
    ),
    "relapse-free by center": ViewSpec(ids.VIEW_SURVIVAL, {"endpoint": "rfs", "group": "center"}),
    "forest of relapse hazard": ViewSpec(ids.VIEW_EFFECTS, {}),
    "waterfall": ViewSpec(ids.VIEW_RESPONSE, {"plot": "waterfall"}),
    "spider": ViewSpec(ids.VIEW_RESPONSE, {"plot": "spider"}),
    "no patients": ViewSpec(ids.VIEW_TRAJECTORIES, {}, {ids.FILTER_CENTER: []}),
    "case narrative": ViewSpec(ids.VIEW_NARRATIVE, {"patient": "9"}),
    "case narrative, adverse event": ViewSpec(ids.VIEW_NARRATIVE, {"patient": "2"}),
}
FRAMES = {
    "export 16:9": (Frame(1920, 1080), True),
    "presenter 16:9": (Frame(1840, 760), False),
    "presenter 4:3": (Frame(1380, 830), False),
}


@pytest.fixture(scope="module")
def views(demo_trial):
    return {k: build.build_view(demo_trial, s, TODAY) for k, s in SPECS.items()}


def fonts(fig: dict) -> list[tuple[str, float]]:
    """(what, px) of every text of the figure JSON that plotly draws."""
    lay = fig["layout"]
    out = [("base", lay["font"]["size"])]
    if lay.get("showlegend") is not False and any(
        t.get("showlegend", True) and t.get("name") for t in fig["data"]
    ):
        out.append(("legend", lay["legend"]["font"]["size"]))
    for key, axis in lay.items():
        if (
            key.startswith(("xaxis", "yaxis"))
            and axis.get("visible", True)
            and axis.get("showticklabels", True)
        ):
            kind = (
                "table"
                if key == "yaxis2"
                and fig["data"]
                and any(t.get("yaxis") == "y2" and t.get("mode") == "text" for t in fig["data"])
                else "tick"
            )
            out.append((kind, axis.get("tickfont", {}).get("size", lay["font"]["size"])))
    for a in lay.get("annotations", []):
        table = (
            a.get("yref") == "paper"
            and a.get("y", 0) < 0
            or str(a.get("yref", "")).startswith("y2")
        )
        out.append(("table" if table else "text", a["font"]["size"]))
    for t in fig["data"]:
        if "text" in (t.get("mode") or ""):
            out.append(("table", t["textfont"]["size"]))
    return out


MINIMUM = {
    "tick": theme.SLIDE_MIN_TICK_PX,
    "table": theme.SLIDE_MIN_TABLE_PX,
    "text": theme.SLIDE_MIN_TEXT_PX,
    "legend": theme.SLIDE_MIN_TICK_PX,
    "base": theme.SLIDE_MIN_TICK_PX,
}


@pytest.mark.parametrize("frame_name", FRAMES)
@pytest.mark.parametrize("view_name", SPECS)
def test_chart_type_is_at_least_the_stated_sizes(views, view_name, frame_name):
    frame, titled = FRAMES[frame_name]
    fig = slides.figure_json(
        slides.slide_figure(views[view_name], frame, title=titled, footer=titled)
    )
    small = [(what, px) for what, px in fonts(fig) if px < MINIMUM[what]]
    assert small == []
    kinds = {what for what, _ in fonts(fig)}
    if view_name != "no patients":
        assert "tick" in kinds
    if view_name in ("sledai by response", "survival by response"):
        assert "table" in kinds  # n per visit, numbers at risk


def test_the_deck_pictures_are_checked_too(views):
    for fig in deck.deck_figures(list(views.values())):
        assert [(w, px) for w, px in fonts(fig) if px < MINIMUM[w]] == []


@pytest.mark.parametrize("frame_name", FRAMES)
@pytest.mark.parametrize("view_name", SPECS)
def test_the_figure_fills_its_frame_and_stays_in_it(views, view_name, frame_name):
    frame, titled = FRAMES[frame_name]
    fig = slides.slide_figure(views[view_name], frame, title=titled, footer=titled)
    lay = fig.layout
    m = lay.margin
    assert (lay.width, lay.height) == (frame.width, frame.height)
    plot_w, plot_h = frame.width - m.l - m.r, frame.height - m.t - m.b
    assert plot_w >= 0.7 * frame.width  # about 55 % before
    # The plot's height, besides the legend, the n table or risk table and the footer (four
    # long center names in a 4:3 frame take a legend row each: plotly wraps at the plot).
    assert plot_h >= 0.4 * frame.height
    for a in lay.annotations:
        if a.yref == "paper":
            y_px = m.t + (1 - a.y) * plot_h
            assert -1 <= y_px <= frame.height + 1, a.text
        if a.xref == "paper":
            x_px = m.l + a.x * plot_w
            assert -1 <= x_px <= frame.width + 1, a.text


def test_a_long_title_wraps_within_the_frame(views):
    from components.export.textfit import text_width

    fig = slides.slide_figure(views["relapse, cumulative incidence"])
    title = next(a for a in fig.layout.annotations if a.text.startswith("<b>Relapse after"))
    lines = title.text.removeprefix("<b>").removesuffix("</b>").split("<br>")
    assert len(lines) == 2
    assert all(
        text_width(x, theme.SLIDE_TITLE_PX, bold=True) <= 1920 - 2 * slides.PAD for x in lines
    )


def test_a_grouped_risk_table_keeps_one_line_per_group(views):
    fig = slides.slide_figure(views["survival by response"])
    labels = [t for t in fig.layout.yaxis2.ticktext]
    assert len(labels) == 3 and all(g in "".join(labels) for g in ("MCR", "PCR", "NR"))
    rows = [t for t in fig.data if t.mode == "text" and t.yaxis == "y2"]
    assert len(rows) == 3
    assert list(rows[0].text) == ["13", "12", "12", "12", "12"]  # the MCR numbers at risk
