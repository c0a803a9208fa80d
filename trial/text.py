"""Unicode rules for text read from any input: one normal form, always encodable, identifiers
that look like what they are.

- Every text is put in Unicode normal form NFC, so that "é" typed as one character and as "e"
  plus a combining accent are the same value (and the same patient).
- Text that cannot be written back as UTF-8 (a lone surrogate, e.g. "\\ud800" in JSON) is
  refused: every page and export writes text as UTF-8.
- Identifiers (patient ids, centers, measure and parameter codes) must be printable: no control
  characters, no invisible formatting characters (zero-width spaces and joiners, the byte order
  mark, bidirectional controls such as U+202E, which reorder what is shown), no spaces other
  than the plain space. Two ids that differ only by such a character look identical on screen.
  Patient ids are also part of a page address (`/patients/<id>`): "." and ".." and the
  backslash cannot be, and at most `MAX_PATIENT_ID_CHARS` characters are accepted.
"""

from __future__ import annotations

import unicodedata

MAX_PATIENT_ID_CHARS = 64  # components/pages.py routes patient ids of up to 64 characters


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name(ch: str) -> str:
    return unicodedata.name(ch, "") or {
        "Cs": "a lone surrogate",
        "Co": "a private-use character",
        "Cn": "an unassigned code point",
    }.get(unicodedata.category(ch), "a control character")


def describe(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE': a character named the way a person can look it up."""
    return f"U+{ord(ch):04X} {_name(ch)}"


def escaped(text: str) -> str:
    """`text` with its invisible, control and unencodable characters written as escapes."""
    return "".join(
        c
        if c.isprintable() and encodable(c)
        else (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        for c in text
    )


def shown(text: str, limit: int = 80) -> str:
    """`text` as it may appear in a finding: invisible and unencodable characters written as
    escapes (so that the report shows them), at most `limit` characters."""
    out = escaped(text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def normal(text: str) -> str:
    """NFC, with characters that cannot be encoded as UTF-8 replaced by U+FFFD (they are
    reported by the caller; the replacement only keeps later steps from failing on them)."""
    if text.isascii():
        return text
    if not encodable(text):  # only surrogates cannot be encoded
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return unicodedata.normalize("NFC", text)


def _kind(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat == "Cf":
        bidi = unicodedata.bidirectional(ch) in (
            "LRE",
            "RLE",
            "LRO",
            "RLO",
            "PDF",
            "LRI",
            "RLI",
            "FSI",
            "PDI",
            "LRM",
            "RLM",
            "ALM",
        )
        return "a direction-control character" if bidi else "an invisible character"
    if cat in ("Zs", "Zl", "Zp"):
        return "a space other than the plain space"
    if cat == "Cs":
        return "a character that cannot be written as UTF-8"
    return "a control or non-printable character"


def identifier_problem(text: str, patient_id: bool = False) -> str | None:
    """Why `text` cannot be an identifier, as words that follow "the patient id" or "the
    value", or None if it can."""
    if not text.isprintable():
        ch = next(c for c in text if not c.isprintable())
        return (
            f"holds {_kind(ch)} ({describe(ch)}): identifiers must be visible text, since "
            f"two ids differing only by it look the same"
        )
    if patient_id:
        if text in (".", ".."):
            return "is '.' or '..', which the patient page's address cannot hold"
        if "\\" in text:
            return "holds a backslash, which the patient page's address cannot hold"
        if len(text) > MAX_PATIENT_ID_CHARS:
            return (
                f"has {len(text):,} characters; a patient id has at most "
                f"{MAX_PATIENT_ID_CHARS} (the patient page's address holds it)"
            )
    return None


def identifier_problems(values: list[str], patient_id: bool = False) -> dict[str, str]:
    """{value: why it cannot be an identifier} for the distinct `values` that cannot; a list
    of plain visible ids, the common case, is told in one pass over the joined text."""
    joined = "".join(values)
    if joined.isprintable() and not (
        patient_id
        and (
            "\\" in joined or any(v in (".", "..") or len(v) > MAX_PATIENT_ID_CHARS for v in values)
        )
    ):
        return {}
    why = {v: identifier_problem(v, patient_id) for v in values}
    return {v: w for v, w in why.items() if w}
