"""Strict JSON for the configuration files (study.json, adam.json).

Python's json module loses data without a word or fails in its own words: a key given twice
keeps its last value, a 5,000-digit integer stops the reader with Python's int-conversion
error, "\\ud800" gives a text no page can send, and deep nesting exhausts the stack. Here each
of these is a finding naming the key path (`measures[2].min`), and every text is put in Unicode
normal form NFC (trial/text.py). NaN, Infinity and numbers beyond a float (1e400) are read as
non-finite floats, which the validation of each value refuses where a number is expected.
"""

from __future__ import annotations

import json
from typing import Any

from .model import Finding
from .text import describe, encodable, normal, shown

MAX_DIGITS = 30  # integer digits accepted: far beyond any count, day or measurement
MAX_DEPTH = 32  # nesting of objects and lists


class _Object(dict):
    """A JSON object, with the keys it gave more than once."""

    repeated: tuple[str, ...] = ()


class _Marker:
    """A value the standard does not allow or that cannot be a number here, kept for the
    report."""

    def __init__(self, text: str, why: str):
        self.text = text
        self.why = why


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    repeated = []
    for key, value in pairs:
        if key in obj:
            repeated.append(key)
        obj[key] = value
    obj.repeated = tuple(repeated)
    return obj


def _integer(text: str) -> int | _Marker:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        return _Marker(
            text[:20] + "…", f"a number with {digits:,} digits: too large to be a value here"
        )
    return int(text)


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


class _Cleaner:
    def __init__(self, file: str):
        self.file = file
        self.findings: list[Finding] = []

    def error(self, path: str, message: str, value: str | None = None) -> None:
        self.findings.append(
            Finding("error", self.file, message, key=path or None, value=value, rule="json")
        )

    def text(self, text: str, path: str) -> str:
        if not encodable(text):
            bad = next(c for c in text if not encodable(c))
            self.error(
                path,
                f"the text holds a character that cannot be written as UTF-8 "
                f"({describe(bad)}, e.g. an escape such as \\ud800 without its "
                f"pair): remove it",
                shown(text),
            )
        return normal(text)

    def value(self, value: Any, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.error(path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(value, _Marker):
            self.error(path, value.why, value.text)
            return None
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, list):
            return [self.value(v, _path(path, i), depth + 1) for i, v in enumerate(value)]
        if isinstance(value, dict):
            for key in getattr(value, "repeated", ()):
                self.error(
                    _path(path, key),
                    "this key is given twice in the same object; JSON "
                    "readers keep only the last value: keep one",
                )
            return {
                self.text(k, _path(path, k)): self.value(v, _path(path, k), depth + 1)
                for k, v in value.items()
            }
        return value


def parse(file: str, text: str) -> tuple[Any, list[Finding]]:
    """The JSON value of `text` (texts in NFC) and the errors found in it. The value is None
    when the text is not JSON at all; otherwise it can be checked further (a value reported
    here is null in it, a text with an unencodable character has U+FFFD in its place)."""
    try:
        raw = json.loads(text, object_pairs_hook=_object, parse_int=_integer)
    except json.JSONDecodeError as e:
        return None, [
            Finding(
                "error",
                file,
                f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
                rule="unreadable",
            )
        ]
    except RecursionError:
        return None, [
            Finding("error", file, "not usable JSON: nested too deeply", rule="unreadable")
        ]
    cleaner = _Cleaner(file)
    value = cleaner.value(raw, "", 0)
    return value, cleaner.findings
