"""The self-contained HTML report of views: plotly.js inline (no CDN), figures, tables, notes,
methods and snippets. Text from the data is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from trial.model import Trial

from ..figures import theme
from ..figures.text import escape
from .build import ExportView, provenance_note

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
details{margin:.6rem 0}.takeaway{font-size:1.15rem;font-weight:650;color:#0b5394;
background:#eef4fb;border-left:5px solid #0072B2;padding:6px 12px;margin:.6rem 0}
"""


def _table_html(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p class='foot'>No rows.</p>"
    return df.to_html(index=False, escape=True, na_rep="–", border=0)


def html_report(trial: Trial, views: Sequence[ExportView], today: date) -> str:
    """One self-contained HTML file: plotly.js inline (no CDN), figures, tables and notes."""
    esc = escape
    study = trial.study
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(study.short_title or study.title)}</title>"
        f"<style>{REPORT_CSS}</style></head><body>",
        f"<h1>{esc(study.title)}</h1>",
        f"<div class='sub'>{esc(' · '.join(x for x in (study.registry_id, study.citation) if x))}"
        f" · exported {today.isoformat()}</div>",
    ]
    if study.is_simulated:
        parts.append(
            f"<div class='banner'><strong>Simulated data.</strong> "
            f"{esc(provenance_note(trial))}</div>"
        )
    plotly_js_included = False
    for ev in views:
        parts.append(f"<section><h2>{esc(ev.title)}</h2>")
        if ev.subtitle:
            parts.append(f"<div class='sub'>{esc(ev.subtitle)}</div>")
        if ev.takeaway:
            parts.append(f"<p class='takeaway'>{esc(ev.takeaway)}</p>")
        if ev.figure is not None:
            fig = go.Figure(ev.figure)
            fig.update_layout(template=theme.LIGHT_TEMPLATE, width=None, autosize=True)
            parts.append(
                fig.to_html(
                    full_html=False,
                    include_plotlyjs=not plotly_js_included,
                    config={"displaylogo": False, "responsive": True},
                )
            )
            plotly_js_included = True
        for caption, table in ev.tables:
            parts.append(f"<h3>{esc(caption)}</h3>{_table_html(table)}")
        parts.append(
            "<ul class='foot'>" + "".join(f"<li>{esc(x)}</li>" for x in ev.footnote) + "</ul>"
        )
        if ev.points:
            parts.append(
                "<ul class='points'>" + "".join(f"<li>{esc(x)}</li>" for x in ev.points) + "</ul>"
            )
        if ev.figure is not None:
            parts.append(
                f"<details><summary>Numbers behind the figure</summary>"
                f"{_table_html(ev.numbers)}</details>"
            )
        parts.append(
            "<details><summary>How was this computed</summary><ul>"
            + "".join(f"<li>{esc(x)}</li>" for x in ev.method.lines)
            + "</ul>"
        )
        if ev.method.snippet:
            parts.append(f"<pre><code>{esc(ev.method.snippet)}</code></pre>")
        parts.append("</details></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
