"""Text from the data in figures, reports and file names: the one escaping helper.

plotly reads a subset of HTML in labels, titles, hovers and annotations; text from the data
is escaped so that it is shown as typed and never read as markup. The HTML report escapes with
the same function (attributes too: quotes are escaped there).
"""

from __future__ import annotations

import html
import re


def escape(text, quote: bool = False) -> str:
    """`text` as HTML-safe text (None -> ""); `quote=True` for attribute values."""
    return html.escape("" if text is None else str(text), quote=quote)


def plot_text(text) -> str:
    """Data text for plotly labels (legend, hover, annotations, titles)."""
    return escape(text)


def plain_text(text: str | None) -> str:
    """A figure title as plain text: line breaks become " · ", markup is dropped."""
    s = re.sub(r"<br\s*/?>", " · ", str(text or ""), flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", s)).strip()


def safe_name(text: str, limit: int = 60) -> str:
    """Lower-case letters, digits and single underscores only (file names)."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")[:limit].strip("_")
    return s or "export"
