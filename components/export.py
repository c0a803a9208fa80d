"""Exports of what the dashboard shows: figures as PNG and SVG with slide styling, views as a
PowerPoint deck or a self-contained HTML report, and the numbers behind any figure as CSV.

The chain is reusable by anything that can name a view (the URL state and presenter mode too):

    ViewSpec (view + its controls + the sidebar filters, JSON-able)
      -> build_view(trial, spec, today) -> ExportView (figure, title, footnote, numbers, method)
      -> figure_png / figure_svg / pptx_deck([...]) / html_report([...]) / numbers_csv

Everything up to the rendered bytes is pure (no Dash, no request); the callbacks at the end only
translate a click and the controls' values into a ViewSpec. Exports are made on the server
(kaleido 1.x with the system Chromium). File names are built from view names and measure or
endpoint codes, never from free text of the data. Text from the data stays plain text: python-pptx
text is plain, and the HTML report escapes it.
"""
from __future__ import annotations

import math

import html as html_lib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from dash import MATCH, Input, Output, State, callback, dcc, html, no_update

import security
from trial import tables as tt
from trial.filters import PatientFilter, select_patients
from trial.model import Trial
from trial.stats import TEST_LABELS

from . import ids, methods, theme
from .context import current_trial
from .export_toolbar import FIGURE_FORMATS, TABLE_FORMATS
from .filters import FILTER_INPUTS, filter_choices, filter_from_values
from .methods import Method
from .trajectories import KEY_MEASURES, NO_GROUP, trajectory_view
from .trajectory_figure import TrajectoryOptions

MIME = {
    ids.FORMAT_PNG: "image/png",
    ids.FORMAT_SVG: "image/svg+xml",
    ids.FORMAT_PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ids.FORMAT_HTML: "text/html",
    ids.FORMAT_CSV: "text/csv",
}
# The controls of each view, by the name its ViewSpec uses (the URL state can use them too).
VIEW_CONTROLS: dict[str, dict[str, str]] = {
    ids.VIEW_TRAJECTORIES: {"measure": ids.TRAJ_MEASURE, "group": ids.TRAJ_GROUP,
                            "statistic": ids.TRAJ_STATISTIC, "scale": ids.TRAJ_SCALE,
                            "test": ids.TRAJ_TEST, "individual": ids.TRAJ_INDIVIDUAL},
    ids.VIEW_TABLES: {},
    ids.VIEW_SURVIVAL: {"endpoint": ids.SURV_ENDPOINT, "origin": ids.SURV_ORIGIN,
                        "group": ids.SURV_GROUP, "unit": ids.SURV_UNIT, "ci": ids.SURV_CI},
}
VIEW_FORMATS = {ids.VIEW_TRAJECTORIES: FIGURE_FORMATS, ids.VIEW_TABLES: TABLE_FORMATS,
                ids.VIEW_SURVIVAL: FIGURE_FORMATS}
TRAJ_DEFAULTS = {"measure": KEY_MEASURES, "group": "response", "statistic": "mean_sd",
                 "scale": "value", "test": "paired_t", "individual": False}
SURV_DEFAULTS = {"endpoint": "os", "origin": "day0", "group": NO_GROUP, "unit": "months",
                 "ci": True}


# --- View specs and exportable views ------------------------------------------------------------

@dataclass(frozen=True)
class ViewSpec:
    """A view and its full state. `filters` maps filter component ids to widget values; empty
    means all patients. JSON-able through `to_dict` / `from_dict`."""

    view: str
    params: Mapping[str, Any] = field(default_factory=dict)
    filters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"view": self.view, "params": dict(self.params), "filters": dict(self.filters)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "ViewSpec":
        return cls(str(d["view"]), dict(d.get("params") or {}), dict(d.get("filters") or {}))


def spec_from_values(view: str, control_values: Sequence, filter_values: Sequence) -> ViewSpec:
    """The spec of a view from its controls' values (VIEW_CONTROLS order) and the filters'
    values (FILTER_INPUTS order), as the callbacks receive them."""
    params = dict(zip(VIEW_CONTROLS[view], control_values))
    filters = {i.component_id: v for i, v in zip(FILTER_INPUTS, filter_values)}
    return ViewSpec(view, params, filters)


def spec_filter(trial: Trial, spec: ViewSpec) -> PatientFilter:
    if not spec.filters:
        return PatientFilter()
    values = [spec.filters.get(i.component_id) for i in FILTER_INPUTS]
    return filter_from_values(*values, choices=filter_choices(trial))


@dataclass(frozen=True)
class ExportView:
    """Everything an export needs of one view."""

    view: str
    name: str                       # file-name stem: constants and codes only
    title: str
    subtitle: str
    figure: go.Figure | None
    numbers: pd.DataFrame           # the numbers behind the figure
    footnote: tuple[str, ...]       # n, filters, tests, provenance
    method: Method
    n: int
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()


def safe_name(text: str, limit: int = 60) -> str:
    """Lower-case letters, digits and single underscores only."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")[:limit].strip("_")
    return s or "export"


def export_filename(name: str, fmt: str, today: date) -> str:
    return f"{safe_name(name)}_{today.isoformat()}.{safe_name(fmt)}"


def provenance_note(trial: Trial) -> str:
    study = trial.study
    if study.is_simulated:
        return f"Simulated data (demo): {study.data_note or 'patient-level values are simulated.'}"
    return f"Data: {study.data_status}, as recorded in the trial."


def footnote_lines(trial: Trial, flt: PatientFilter, n: int, extra: Sequence[str],
                   today: date) -> tuple[str, ...]:
    study = trial.study
    source = " · ".join(x for x in (study.short_title, study.registry_id) if x)
    return (f"n = {n} of {len(trial.patients)} patients · filters: {flt.describe()}",
            *extra, provenance_note(trial),
            f"{source} · exported {today.isoformat()}")


def _traj_codes(trial: Trial, measure: str) -> list[str]:
    if measure == KEY_MEASURES:
        return trial.key_measure_codes
    return [measure] if measure in trial.measure_codes else []


def build_trajectories(trial: Trial, spec: ViewSpec, today: date,
                       data_dir: str = methods.DATA_DIR) -> ExportView:
    p = {**TRAJ_DEFAULTS, **{k: v for k, v in spec.params.items() if v is not None}}
    flt = spec_filter(trial, spec)
    patients = select_patients(trial.patients, flt)
    options = TrajectoryOptions(statistic=p["statistic"], scale=p["scale"], test=p["test"],
                                show_individual=bool(p["individual"]))
    fig, rows, _ = trajectory_view(trial, patients, p["measure"], p["group"], options)
    codes = _traj_codes(trial, p["measure"])
    what = "key_measures" if p["measure"] == KEY_MEASURES else (codes[0] if codes else "measure")
    name = what if p["group"] == NO_GROUP else f"{what}_by_{p['group']}"
    test = f"* p < 0.05 vs baseline, two-sided {TEST_LABELS[options.test]} on patients with both values"
    extra = [test] if codes else []
    title = plain_text(fig.layout.title.text) or "Trajectories"
    subtitle = plain_text(fig.layout.title.subtitle.text) if fig.layout.title.subtitle else ""
    return ExportView(
        view=ids.VIEW_TRAJECTORIES, name=name, title=title, subtitle=subtitle, figure=fig,
        numbers=pd.DataFrame(rows), footnote=footnote_lines(trial, flt, len(patients), extra,
                                                              today),
        method=methods.trajectory_method(trial, codes, p["group"], options, flt, len(patients),
                                         data_dir),
        n=len(patients))


TABLE_TITLES = {
    ids.TABLE_BASELINE: "Table 1. Baseline characteristics by center",
    ids.TABLE_RESPONSE: "Response rates by center, with exact 95 % CIs",
    ids.TABLE_AE: "Table 2. Adverse events and deaths within follow-up",
    ids.TABLE_AE_COUNTS: "Adverse events by term",
}
TABLE_BUILDERS: dict[str, Callable[[Trial, pd.DataFrame], pd.DataFrame]] = {
    ids.TABLE_BASELINE: tt.baseline_table,
    ids.TABLE_RESPONSE: tt.response_table,
    ids.TABLE_AE: tt.adverse_event_table,
    ids.TABLE_AE_COUNTS: tt.adverse_event_count_table,
}
# What "Download CSV" of each table gives: numbers where there are numbers.
TABLE_CSV: dict[str, Callable[[Trial, pd.DataFrame], pd.DataFrame]] = {
    ids.TABLE_BASELINE: tt.baseline_numbers,
    ids.TABLE_RESPONSE: tt.response_numbers,
    ids.TABLE_AE: tt.adverse_event_listing,
    ids.TABLE_AE_COUNTS: tt.adverse_event_counts,
}


def build_tables(trial: Trial, spec: ViewSpec, today: date,
                 data_dir: str = methods.DATA_DIR) -> ExportView:
    flt = spec_filter(trial, spec)
    patients = select_patients(trial.patients, flt)
    tables = tuple((TABLE_TITLES[k], build(trial, patients)) for k, build in TABLE_BUILDERS.items())
    extra = [f"Response: best response as recorded over all selected patients; 95 % CI "
             f"{tt.CI_METHOD}. Means ± SD; medians (IQR)."]
    return ExportView(
        view=ids.VIEW_TABLES, name="paper_tables", title="Tables for the paper",
        subtitle=f"{len(patients)} patients", figure=None,
        numbers=tt.response_numbers(trial, patients),
        footnote=footnote_lines(trial, flt, len(patients), extra, today),
        method=methods.tables_method(trial, flt, len(patients), data_dir), n=len(patients),
        tables=tables)


def build_survival(trial: Trial, spec: ViewSpec, today: date,
                   data_dir: str = methods.DATA_DIR) -> ExportView:
    # Imported here: the survival view is optional for the other exports.
    from .survival import counts_line, notes, survival_view, test_line
    from .survival_figure import CI_LABEL, SurvivalOptions, export_frame

    p = {**SURV_DEFAULTS, **{k: v for k, v in spec.params.items() if v is not None}}
    flt = spec_filter(trial, spec)
    patients = select_patients(trial.patients, flt)
    options = SurvivalOptions(p["endpoint"], p["origin"], p["unit"], bool(p["ci"]))
    view = survival_view(trial, patients, p["group"], options, flt.describe())
    lines = [counts_line(view)] if view.result is not None else []
    if view.result is not None:
        lines += [x for x in [test_line(view.result)] if x] + notes(view.result, p["group"])
    lines.append(f"Kaplan-Meier estimates with {CI_LABEL} (lifelines).")
    numbers = export_frame(view.result) if view.result is not None else pd.DataFrame()
    name = p["endpoint"] if p["group"] == NO_GROUP else f"{p['endpoint']}_by_{p['group']}"
    fig = view.figure
    title = plain_text(fig.layout.title.text) or "Survival"
    subtitle = plain_text(fig.layout.title.subtitle.text) if fig.layout.title.subtitle else ""
    return ExportView(
        view=ids.VIEW_SURVIVAL, name=name, title=title, subtitle=subtitle, figure=fig,
        numbers=numbers, footnote=footnote_lines(trial, flt, len(patients), lines[:1], today),
        method=methods.survival_method(trial, p["endpoint"], p["origin"], p["group"], lines,
                                       flt, len(patients), data_dir),
        n=len(patients))


VIEW_BUILDERS: dict[str, Callable[..., ExportView]] = {
    ids.VIEW_TRAJECTORIES: build_trajectories,
    ids.VIEW_TABLES: build_tables,
    ids.VIEW_SURVIVAL: build_survival,
}
VIEW_TITLES = {ids.VIEW_TRAJECTORIES: "Trajectories", ids.VIEW_TABLES: "Tables",
               ids.VIEW_SURVIVAL: "Survival & relapse"}


def build_view(trial: Trial, spec: ViewSpec, today: date) -> ExportView:
    return VIEW_BUILDERS[spec.view](trial, spec, today)


# --- Figures with slide styling -----------------------------------------------------------------

def plain_text(text: str | None) -> str:
    """A figure title as plain text: line breaks become " · ", markup is dropped."""
    s = re.sub(r"<br\s*/?>", " · ", str(text or ""), flags=re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", s)).strip()


def _plotly_text(text: str) -> str:
    """Data text inside plotly's pseudo-HTML: escaped, so it is shown, never interpreted."""
    return html_lib.escape(str(text), quote=False)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def _slide_legend(fig: go.Figure, avail_px: int, font_px: int):
    """(rows, layout) of a horizontal legend above the plot, for a legend right of the plot."""
    leg = fig.layout.legend
    shown = [t.name for t in fig.data if t.showlegend is not False and t.name]
    above = leg.orientation == "h" and (leg.y or 0) > 1 and leg.entrywidthmode == "fraction"
    if above:  # already in rows above the plot, a fraction of its width per entry
        per_row = max(1, int(1 / (leg.entrywidth or 1)))
        return math.ceil(len(dict.fromkeys(shown)) / per_row), dict(
            x=0, xanchor="left", yref="container", yanchor="top")
    if not shown or leg.orientation == "h" or (leg.x is not None and leg.x < 1):
        return None
    title = plain_text(leg.title.text) if leg.title and leg.title.text else ""
    widths = [len(title) * font_px * 0.62 + 12] if title else []
    widths += [len(str(n)) * font_px * 0.58 + 60 for n in dict.fromkeys(shown)]
    rows, line = 1, 0.0
    for w in widths:
        if line and line + w > avail_px:
            rows, line = rows + 1, 0.0
        line += w
    return rows, dict(orientation="h", x=0, xanchor="left", yref="container", yanchor="top",
                      title=dict(side="left"))


def slide_figure(ev: ExportView, *, title: bool = True, footer: bool = True,
                 width: int = theme.SLIDE_WIDTH) -> go.Figure:
    """The view's figure styled for a slide: white, larger type, fixed size, and (optionally)
    the title and a footer with n, filters, tests and the data-provenance note."""
    fig = go.Figure(ev.figure)   # a copy: the view's figure is not modified
    lay = fig.layout
    scale = theme.SLIDE_FONT_SCALE
    base = (lay.font.size or theme.FONT_SIZE) * scale
    height = int(lay.height or 560)
    m = lay.margin
    t, b = int(m.t if m.t is not None else 80), int(m.b if m.b is not None else 60)
    l, r = int(m.l if m.l is not None else 70), int(m.r if m.r is not None else 30)
    for a in fig.layout.annotations:
        if a.font is not None and a.font.size:
            a.font.size = a.font.size * scale
    footer_lines = [x for line in ev.footnote for x in _wrap(line, int(width / 8.2))] \
        if footer else []
    line_px = theme.SLIDE_FOOTER_FONT * 1.45
    footer_px = int(len(footer_lines) * line_px + 24) if footer else 0
    new_b = b + footer_px
    new_h = height + footer_px
    head_px = 100 if title else 56     # title (and subtitle) at the top of the image
    legend = _slide_legend(fig, width - l - 40, round(14 * scale))
    if legend is not None:
        # A legend right of the plot takes a third of a slide: put it in rows above the plot.
        rows, legend_layout = legend
        r = 40
        legend_px = int(rows * 14 * scale * 1.7) + 8
        panel_titles = 34 if len(fig.layout.annotations) and any(
            a.yref == "paper" and (a.y or 0) >= 1 for a in fig.layout.annotations) else 8
        gap = 12  # between the subtitle and the legend's first row
        new_t = head_px + gap + legend_px + panel_titles
        new_h += new_t - t
        t = new_t
        fig.update_layout(legend={**legend_layout, "y": 1 - (head_px + gap) / new_h})
    else:
        new_h += max(head_px + 10 - t, 0)
        t = max(t, head_px + 10)
    l += 16
    plot_h = max(new_h - t - new_b, 1)
    plot_w = max(width - l - r, 1)
    fig.update_layout(
        template=theme.LIGHT_TEMPLATE, paper_bgcolor="white", plot_bgcolor="white",
        width=width, height=new_h, margin=dict(l=l, r=r, t=t, b=new_b),
        font=dict(family=theme.FONT_FAMILY, size=base, color="#222"),
    )
    fig.update_layout(legend_font_size=round(14 * scale))
    fig.update_xaxes(tickfont=dict(size=round(13 * scale)))
    fig.update_yaxes(tickfont=dict(size=round(13 * scale)))
    if title:
        fig.update_layout(title=dict(text=f"<b>{_plotly_text(ev.title)}</b>",
                                     font=dict(size=round(22 * scale)),
                                     subtitle=dict(text=_plotly_text(ev.subtitle),
                                                   font=dict(size=round(13 * scale),
                                                             color="#444")),
                                     x=0.01, xanchor="left", yref="container",
                                     y=1 - 18 / new_h, yanchor="top"))
    else:
        fig.update_layout(title=dict(text=_plotly_text(ev.subtitle), x=0.01, xanchor="left",
                                     yref="container", y=1 - 14 / new_h, yanchor="top",
                                     font=dict(size=round(13 * scale), color="#444"),
                                     subtitle=dict(text="")))
    if footer:
        fig.add_annotation(
            text="<br>".join(_plotly_text(x) for x in footer_lines), showarrow=False,
            xref="paper", yref="paper", x=-(l - 16) / plot_w, xanchor="left",
            y=-(new_b - 10) / plot_h, yanchor="bottom", align="left",
            font=dict(size=theme.SLIDE_FOOTER_FONT, color=theme.SLIDE_FOOTER_COLOR))
    return fig


def figure_png(ev: ExportView, *, title: bool = True, footer: bool = True,
               scale: int = theme.SLIDE_SCALE, width: int = theme.SLIDE_WIDTH) -> bytes:
    fig = slide_figure(ev, title=title, footer=footer, width=width)
    return pio.to_image(fig, format="png", scale=scale)


def figure_svg(ev: ExportView) -> bytes:
    return pio.to_image(slide_figure(ev), format="svg")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas: a cell starting with = + - @
    (or a tab or carriage return) gets a leading ' (OWASP CSV injection). Numbers stay numbers:
    a negative number is a number, not text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str)
                                    and v.startswith(FORMULA_START) else v)
    out.columns = [("'" + c if isinstance(c, str) and c.startswith(FORMULA_START) else c)
                   for c in out.columns]
    return out


def numbers_csv(ev: ExportView) -> str:
    return csv_safe(ev.numbers).to_csv(index=False)


# --- PowerPoint ---------------------------------------------------------------------------------

def _numbers_text(df: pd.DataFrame, max_rows: int = 200) -> str:
    if df.empty:
        return "(no numbers)"
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.max_colwidth", 40):
        text = df.head(max_rows).to_string(index=False, na_rep="–")
    more = f"\n… {len(df) - max_rows} more rows in the CSV export" if len(df) > max_rows else ""
    return text + more


def notes_text(ev: ExportView) -> str:
    parts = ["Numbers behind the figure" if ev.figure is not None else "Numbers",
             _numbers_text(ev.numbers), "", "How this was computed",
             *[f"- {x}" for x in ev.method.lines], "", *ev.footnote]
    return "\n".join(parts)


def _chunks(df: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    """Slices of at most `size` rows; a continuation row (empty first cell, e.g. the median
    under a mean) is never separated from the row above it."""
    out, start = [], 0
    first = df.iloc[:, 0].astype(str).tolist() if len(df.columns) else []
    while start < len(df) or not out:
        end = min(start + size, len(df))
        while start + 1 < end < len(df) and first[end] == "":
            end -= 1
        out.append(df.iloc[start:end])
        if end >= len(df):
            break
        start = end
    return out


def pptx_deck(trial: Trial, views: Sequence[ExportView], today: date) -> bytes:
    """A 16:9 deck: a title slide, then per view a slide with its title, the figure as a
    high-resolution image (or the tables as native tables), a footnote, and the numbers and the
    method in the slide notes."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    W = prs.slide_width
    margin = Inches(0.5)
    dark, grey, accent = RGBColor(0x22, 0x22, 0x22), RGBColor(0x55, 0x55, 0x55), \
        RGBColor(0x00, 0x72, 0xB2)

    def style_runs(frame, size, color=dark, bold=False):
        for p in frame.paragraphs:
            for run in p.runs:
                run.font.size, run.font.bold = Pt(size), bold
                run.font.color.rgb = color

    def add_text(slide, left, top, width, height, lines, size, color=grey):
        box = slide.shapes.add_textbox(left, top, width, height)
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = line
        style_runs(tf, size, color)
        return box

    def titled_slide(title_text: str):
        slide = prs.slides.add_slide(prs.slide_layouts[5])   # "Title Only"
        t = slide.shapes.title
        t.left, t.top, t.width, t.height = margin, Inches(0.3), W - 2 * margin, Inches(0.8)
        t.text = title_text
        tf = t.text_frame
        tf.word_wrap = True
        for p in tf.paragraphs:
            p.alignment = 1   # left
        style_runs(tf, 26, dark, bold=True)
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, margin, Inches(1.12), Inches(1.2),
                                     Inches(0.06))
        bar.fill.solid()
        bar.fill.fore_color.rgb = accent
        bar.line.fill.background()
        return slide

    def footnote(slide, ev: ExportView):
        add_text(slide, margin, Inches(6.55), W - 2 * margin, Inches(0.85), ev.footnote, 10)

    study = trial.study
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = study.title
    style_runs(first.shapes.title.text_frame, 36, dark, bold=True)
    sub = first.placeholders[1]
    sub.text = "\n".join(x for x in (
        " · ".join(x for x in (study.registry_id, study.citation) if x),
        f"{', '.join(VIEW_TITLES.get(v.view, v.view) for v in views)} · exported "
        f"{today.isoformat()}") if x)
    style_runs(sub.text_frame, 16, grey)
    if study.is_simulated:
        box = add_text(first, Inches(1.5), Inches(6.2), W - Inches(3), Inches(0.7),
                       [provenance_note(trial)], 14, RGBColor(0x7A, 0x4B, 0x00))
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xFF, 0xF3, 0xCD)

    for ev in views:
        if ev.figure is not None:
            slide = titled_slide(ev.title)
            png = figure_png(ev, title=False, footer=False, width=PPTX_FIGURE_WIDTH)
            from PIL import Image   # pillow comes with python-pptx
            w_px, h_px = Image.open(io.BytesIO(png)).size
            box_w, box_h = W - 2 * margin, Inches(5.25)
            ratio = min(box_w / w_px, box_h / h_px)
            pw, ph = int(w_px * ratio), int(h_px * ratio)
            slide.shapes.add_picture(io.BytesIO(png), Emu(int((W - pw) / 2)), Inches(1.25),
                                     Emu(pw), Emu(ph))
            footnote(slide, ev)
            slide.notes_slide.notes_text_frame.text = notes_text(ev)
        for caption, table in ev.tables:
            parts = _chunks(table, 9 if len(table.columns) > 5 else 12)
            for i, part in enumerate(parts):
                suffix = f" ({i + 1}/{len(parts)})" if len(parts) > 1 else ""
                slide = titled_slide(f"{caption}{suffix}")
                _add_table(slide, part, margin, Inches(1.35), W - 2 * margin, Pt)
                footnote(slide, ev)
                slide.notes_slide.notes_text_frame.text = (
                    f"{caption}\n{_numbers_text(table)}\n\nHow this was computed\n"
                    + "\n".join(f"- {x}" for x in ev.method.lines))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _add_table(slide, df: pd.DataFrame, left, top, width, Pt) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Emu

    rows, cols = len(df) + 1, len(df.columns)
    row_h = 330000
    shape = slide.shapes.add_table(rows, cols, left, top, width, Emu(row_h * rows))
    table = shape.table
    # The first column (labels) gets more room; the rest share the remainder.
    first = int(width * (0.30 if cols > 4 else 0.25))
    table.columns[0].width = Emu(first)
    for j in range(1, cols):
        table.columns[j].width = Emu(int((width - first) / (cols - 1)))
    for j, name in enumerate(df.columns):
        table.cell(0, j).text = str(name)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None else str(value)
    size = 11 if cols <= 5 else 10
    for i in range(rows):
        for j in range(cols):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Emu(30000)
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0
                    if i > 0:
                        run.font.color.rgb = RGBColor(0x22, 0x22, 0x22)


# --- HTML report --------------------------------------------------------------------------------

PPTX_FIGURE_WIDTH = 1000   # px: narrower than a PNG export, so the type is larger on the slide
REPORT_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#222;
max-width:1200px;margin:24px auto;padding:0 20px;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.3rem;margin-top:2.2rem;
border-bottom:3px solid #0072B2;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
.sub{color:#555}.banner{background:#fff3cd;border:1px solid #e6c35c;padding:8px 12px;
border-radius:6px;margin:12px 0}.foot{color:#555;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:.8rem}
details{margin:.6rem 0}
"""


def _table_html(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p class='foot'>No rows.</p>"
    return df.to_html(index=False, escape=True, na_rep="–", border=0)


def html_report(trial: Trial, views: Sequence[ExportView], today: date) -> str:
    """One self-contained HTML file: plotly.js inline (no CDN), figures, tables and notes."""
    esc = html_lib.escape
    study = trial.study
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{esc(study.short_title or study.title)}</title>"
             f"<style>{REPORT_CSS}</style></head><body>",
             f"<h1>{esc(study.title)}</h1>",
             f"<div class='sub'>{esc(' · '.join(x for x in (study.registry_id, study.citation) if x))}"
             f" · exported {today.isoformat()}</div>"]
    if study.is_simulated:
        parts.append(f"<div class='banner'><strong>Simulated data.</strong> "
                     f"{esc(provenance_note(trial))}</div>")
    plotly_js_included = False
    for ev in views:
        parts.append(f"<section><h2>{esc(ev.title)}</h2>")
        if ev.subtitle:
            parts.append(f"<div class='sub'>{esc(ev.subtitle)}</div>")
        if ev.figure is not None:
            fig = go.Figure(ev.figure)
            fig.update_layout(template=theme.LIGHT_TEMPLATE, width=None, autosize=True)
            parts.append(fig.to_html(full_html=False, include_plotlyjs=not plotly_js_included,
                                     config={"displaylogo": False, "responsive": True}))
            plotly_js_included = True
        for caption, table in ev.tables:
            parts.append(f"<h3>{esc(caption)}</h3>{_table_html(table)}")
        parts.append("<ul class='foot'>" + "".join(f"<li>{esc(x)}</li>" for x in ev.footnote)
                     + "</ul>")
        if ev.figure is not None:
            parts.append(f"<details><summary>Numbers behind the figure</summary>"
                         f"{_table_html(ev.numbers)}</details>")
        parts.append("<details><summary>How was this computed</summary><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in ev.method.lines) + "</ul>")
        if ev.method.snippet:
            parts.append(f"<pre><code>{esc(ev.method.snippet)}</code></pre>")
        parts.append("</details></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- Downloads ----------------------------------------------------------------------------------

def export_download(trial: Trial, spec: ViewSpec, fmt: str, today: date) -> dict:
    """The dcc.Download data of one export of one view."""
    ev = build_view(trial, spec, today)
    # Recorded before the file is made: an export that cannot be audited is not made.
    security.audit("export", fingerprint=getattr(trial, "fingerprint", ""), view=spec.view,
                   format=fmt)
    filename = export_filename(ev.name, fmt, today)
    if fmt == ids.FORMAT_PNG and ev.figure is not None:
        return dcc.send_bytes(figure_png(ev), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_SVG and ev.figure is not None:
        return dcc.send_bytes(figure_svg(ev), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_PPTX:
        return dcc.send_bytes(pptx_deck(trial, [ev], today), filename, type=MIME[fmt])
    if fmt == ids.FORMAT_HTML:
        return dict(content=html_report(trial, [ev], today), filename=filename, type=MIME[fmt])
    if fmt == ids.FORMAT_CSV:
        return dict(content=numbers_csv(ev), filename=filename, type=MIME[fmt])
    raise ValueError(f"unknown export format for this view: {fmt}")


def method_children(method: Method) -> list:
    """The method as text and the snippet as a code block (plain text, never HTML)."""
    children = [html.Ul([html.Li(x) for x in method.lines], className="method-lines")]
    if method.snippet:
        children += [html.Div("Python that reproduces these numbers from the data files "
                              "(pandas, scipy, lifelines):", className="method-snippet-title"),
                     html.Pre(html.Code(method.snippet), className="method-snippet")]
    return children


# --- Callbacks ----------------------------------------------------------------------------------

FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]
FILTER_IN = [Input(i.component_id, i.component_property) for i in FILTER_INPUTS]


def _make_download_callback(view: str, fmt: str):
    controls = [State(c, "value") for c in VIEW_CONTROLS[view].values()]

    def download(n_clicks, *values):
        if not n_clicks:
            return no_update
        k = len(controls)
        spec = spec_from_values(view, values[:k], values[k:])
        return export_download(current_trial(), spec, fmt, date.today())

    download.__name__ = f"download_{view}_{fmt}"
    return callback(
        Output({"type": ids.EXPORT_DOWNLOAD, "view": view, "format": fmt}, "data"),
        Input({"type": ids.EXPORT_BUTTON, "view": view, "format": fmt}, "n_clicks"),
        *controls, *FILTER_STATES, prevent_initial_call=True)(download)


# (view, format) -> the download callback, for the views whose layout holds a toolbar.
TOOLBAR_VIEWS = (ids.VIEW_TRAJECTORIES, ids.VIEW_TABLES, ids.VIEW_SURVIVAL)
DOWNLOAD_CALLBACKS = {(v, f): _make_download_callback(v, f)
                      for v in TOOLBAR_VIEWS for f in VIEW_FORMATS[v]}


@callback(Output({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
          Input({"type": ids.METHOD_TOGGLE, "view": MATCH}, "n_clicks"),
          State({"type": ids.METHOD_COLLAPSE, "view": MATCH}, "is_open"),
          prevent_initial_call=True)
def toggle_method(_clicks, is_open):
    return not is_open


def _method_for(view: str, control_values, filter_values) -> Method:
    trial = current_trial()
    spec = spec_from_values(view, control_values, filter_values)
    if view == ids.VIEW_TABLES:
        flt = spec_filter(trial, spec)
        return methods.tables_method(trial, flt, len(select_patients(trial.patients, flt)))
    return build_view(trial, spec, date.today()).method


@callback(Output({"type": ids.METHOD_BODY, "view": ids.VIEW_TRAJECTORIES}, "children"),
          Input({"type": ids.METHOD_COLLAPSE, "view": ids.VIEW_TRAJECTORIES}, "is_open"),
          *[Input(c, "value") for c in VIEW_CONTROLS[ids.VIEW_TRAJECTORIES].values()],
          *FILTER_IN)
def update_trajectories_method(is_open, *values):
    if not is_open:
        return no_update
    k = len(VIEW_CONTROLS[ids.VIEW_TRAJECTORIES])
    return method_children(_method_for(ids.VIEW_TRAJECTORIES, values[:k], values[k:]))


@callback(Output({"type": ids.METHOD_BODY, "view": ids.VIEW_TABLES}, "children"),
          Input({"type": ids.METHOD_COLLAPSE, "view": ids.VIEW_TABLES}, "is_open"),
          *FILTER_IN)
def update_tables_method(is_open, *filter_values):
    if not is_open:
        return no_update
    return method_children(_method_for(ids.VIEW_TABLES, [], filter_values))


@callback(Output({"type": ids.METHOD_BODY, "view": ids.VIEW_SURVIVAL}, "children"),
          Input({"type": ids.METHOD_COLLAPSE, "view": ids.VIEW_SURVIVAL}, "is_open"),
          *[Input(c, "value") for c in VIEW_CONTROLS[ids.VIEW_SURVIVAL].values()],
          *FILTER_IN)
def update_survival_method(is_open, *values):
    if not is_open:
        return no_update
    k = len(VIEW_CONTROLS[ids.VIEW_SURVIVAL])
    return method_children(_method_for(ids.VIEW_SURVIVAL, values[:k], values[k:]))
