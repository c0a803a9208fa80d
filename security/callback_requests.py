"""Callback requests (POST /_dash-update-component) of a shape Dash cannot serve are refused
with 400 before Dash reads them: not JSON, not an object, missing or mistyped keys, an output no
callback has, or not as many inputs and states as the callback takes. (Dash would fail on them
with a KeyError or IndexError, answered as a 500.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flask

from .errors import plain

UPDATE_ROUTE = "_dash-update-component"


def _dependency(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), (str, dict))
        and isinstance(item.get("property"), str)
    )


def _dependencies(items: Any) -> bool:
    """A list of inputs (or states or outputs): each one, or a list of them (pattern
    matching with ALL or ALLSMALLER)."""
    return isinstance(items, list) and all(
        _dependency(i) or (isinstance(i, list) and all(map(_dependency, i))) for i in items
    )


def _outputs_fit(output: str, outputs: Any) -> bool:
    """The outputs as the callback's key names them: one, or as many as its "..a...b.." form
    lists; pattern-matching outputs (ids in braces) may match any number of components."""
    if "{" in output:
        return _dependency(outputs) or _dependencies(outputs)
    if output.startswith(".."):
        named = len(output[2:-2].split("..."))
        return (
            isinstance(outputs, list) and len(outputs) == named and all(map(_dependency, outputs))
        )
    return _dependency(outputs)


def _declared(callback: Any, key: str) -> int | None:
    declared = callback.get(key) if isinstance(callback, dict) else None
    return len(declared) if isinstance(declared, list) else None


def well_formed(body: Any, callbacks: Mapping[str, Any]) -> bool:
    """Whether `body` is a callback request Dash can serve with `callbacks` (the app's
    callback_map)."""
    if not isinstance(body, dict):
        return False
    output, outputs = body.get("output"), body.get("outputs")
    if not isinstance(output, str) or output not in callbacks:
        return False
    if not _outputs_fit(output, outputs):
        return False
    inputs, state = body.get("inputs"), body.get("state", [])
    changed = body.get("changedPropIds", [])
    if not (isinstance(inputs, list) and isinstance(state, list) and isinstance(changed, list)):
        return False
    if not (
        _dependencies(inputs) and _dependencies(state) and all(isinstance(c, str) for c in changed)
    ):
        return False
    callback = callbacks[output]
    return _declared(callback, "inputs") in (None, len(inputs)) and _declared(
        callback, "state"
    ) in (None, len(state))


def callback_request_check(
    route: str, callbacks: Mapping[str, Any]
) -> Callable[[], flask.Response | None]:
    """The before_request hook for the callback route `route` of an app."""

    def refuse_malformed_callback_request() -> flask.Response | None:
        req = flask.request
        if req.path != route or req.method != "POST":
            return None
        if not well_formed(req.get_json(silent=True), callbacks):
            return plain(400)
        return None

    return refuse_malformed_callback_request
