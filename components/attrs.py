"""The wildcard attributes of Dash html components: data-* and aria-*."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def attrs(values: Mapping[str, str]) -> dict[str, Any]:
    """`values` (e.g. {"aria-live": "polite"}) to pass as `**attrs(...)` to a component.

    Their names are not Python identifiers, so Dash takes them through its untyped `**kwargs`;
    a `**{...}` of str values would be checked by mypy against every named parameter (e.g.
    `hidden: bool`), which none of them is."""
    return dict(values)
