"""The app's routes: "/" is the dashboard, "/patients/<id>" a patient's page (pure).

Patient ids in URLs are percent-encoded; a path is resolved only by looking the decoded id up in
the loaded trial (never used to build a file path or echoed as HTML).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote, unquote

PATIENTS_PREFIX = "/patients/"
MAX_ID_CHARS = 64
_PATIENT_PATH = re.compile(r"^/patients/([^/]+)/?$")

Route = Literal["dashboard", "patient", "not_found"]


def patient_path(patient_id) -> str:
    """The URL path of a patient's page (the id percent-encoded, so any text id is safe)."""
    return PATIENTS_PREFIX + quote(str(patient_id), safe="")


def route(pathname: str | None) -> tuple[Route, str | None]:
    """Which page a path shows, and the (decoded, not yet looked up) patient id if any."""
    if pathname in (None, "", "/"):
        return "dashboard", None
    match = _PATIENT_PATH.match(pathname)
    if not match:
        return "not_found", None
    try:
        raw = unquote(match.group(1), errors="strict")
    except UnicodeDecodeError:
        return "not_found", None
    if not raw or len(raw) > MAX_ID_CHARS or not raw.isprintable() or raw != raw.strip():
        return "not_found", None
    return "patient", raw


def resolve_patient(pathname: str | None, patient_ids) -> str | None:
    """The id of an existing patient addressed by `pathname`, else None."""
    kind, raw = route(pathname)
    if kind != "patient":
        return None
    return raw if raw in set(map(str, patient_ids)) else None
