"""The route that assembles a PowerPoint deck from slides rendered in the browser.

    POST DECK_ROUTE  (multipart; header X-Trial-Export: 1)
        dataset   the key of the dataset the page shows (as components/context.py checks it)
        kind      "view" (one view's deck) or "pinned" (the pinned slides)
        specs     JSON list of ViewSpec dicts
        images    one PNG per figure slide, in order (plotly.js renders them, assets/export.js)
    -> the .pptx file, or 4xx with {"error": "..."} (plain text, shown by the browser)

Nothing the browser sends is trusted: the specs are checked and the views rebuilt from the
data on the server (the browser sends no text that ends up on a slide but the takeaway, a
plain line); the images must be PNGs within bounds, one per figure slide. The route has its
own request size limit; a header of our own means a cross-site form cannot post here;
authentication applies to it as to every route (security.install); the export is audited.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import flask

import security
from trial.model import Trial

from .. import ids
from ..context import SessionGone, current_dataset
from ..state.filters import COHORT_INPUTS
from ..state.urlstate import MAX_SLIDES
from ..state.viewspec import PATIENT_VIEWS, VIEW_CONTROLS, ViewSpec
from .build import VIEW_BUILDERS, ExportView, build_view
from .deck import pptx_deck
from .files import MIME, export_filename

DECK_ROUTE = "/_trial/deck"
DECK_HEADER = "X-Trial-Export"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 3 * 1024 * 1024
MIN_IMAGE_PX, MAX_IMAGE_PX = 100, 8000
MAX_SPECS_BYTES = 200_000
MAX_DECK_REQUEST = MAX_SLIDES * MAX_IMAGE_BYTES // 2 + MAX_SPECS_BYTES  # 45 MB
KINDS = ("view", "pinned")
FILTER_IDS = {i.component_id for i in COHORT_INPUTS}


class Refused(ValueError):
    """What the browser sent cannot be made into a deck; the message says why (plain text)."""


# --- validation (pure) ------------------------------------------------------------------------


def _json_value(v: Any, depth: int = 0) -> bool:
    """A control's or filter's value: a scalar, or a short list of scalars."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return not isinstance(v, str) or len(v) <= 200
    return (
        depth == 0 and isinstance(v, list) and len(v) <= 500 and all(_json_value(x, 1) for x in v)
    )


def _filter_value(cid: str, v: Any) -> bool:
    """A filter's value; the filters on any variable are a short mapping of variable names to
    ticked values or a range."""
    if cid != ids.FILTER_VARIABLES:
        return _json_value(v)
    return (
        isinstance(v, Mapping)
        and len(v) <= 200
        and all(isinstance(k, str) and len(k) <= 100 and _json_value(x) for k, x in v.items())
    )


def parse_spec(d: Any) -> ViewSpec:
    """A ViewSpec from the browser's dict, or Refused."""
    if not isinstance(d, Mapping) or d.get("view") not in VIEW_BUILDERS:
        raise Refused("a slide names no known view")
    params, filters = d.get("params") or {}, d.get("filters") or {}
    if not isinstance(params, Mapping) or not set(params) <= set(VIEW_CONTROLS[d["view"]]):
        raise Refused("a slide has unknown controls")
    if not isinstance(filters, Mapping) or not set(filters) <= FILTER_IDS:
        raise Refused("a slide has unknown filters")
    values_ok = all(_json_value(v) for v in params.values()) and all(
        _filter_value(cid, v) for cid, v in filters.items()
    )
    if not values_ok:
        raise Refused("a slide has a malformed value")
    if not isinstance(d.get("takeaway", ""), str):
        raise Refused("a slide's takeaway is not text")
    return ViewSpec.from_dict(d)


def parse_specs(text: str, trial: Trial, kind: str) -> list[ViewSpec]:
    if len(text) > MAX_SPECS_BYTES:
        raise Refused("the slides' description is too long")
    try:
        raw = json.loads(text)
    except ValueError:
        raise Refused("the slides' description is not JSON") from None
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SLIDES:
        raise Refused(f"a deck has 1 to {MAX_SLIDES} slides")
    if kind == "view" and len(raw) != 1:
        raise Refused("a view's deck has one view")
    for d in raw:  # pinned slides were made on this page's data (presenter.pins_of)
        if isinstance(d, Mapping) and "dataset" in d and d["dataset"] != trial.fingerprint:
            raise Refused("a slide was pinned on other data")
    return [check_patients(parse_spec(d), trial) for d in raw]


def check_patients(spec: ViewSpec, trial: Trial) -> ViewSpec:
    """A slide of one patient names, as plain text, a patient of the loaded trial."""
    if spec.view not in PATIENT_VIEWS:
        return spec
    pid = spec.params.get("patient")
    if not isinstance(pid, str) or not pid:
        raise Refused("a slide of one patient names no patient")
    if pid not in set(trial.patients["patient_id"].astype(str)):
        raise Refused("a slide names a patient who is not in these data")
    return spec


def check_png(data: bytes, i: int) -> bytes:
    """`data` if it is a PNG within the size bounds, else Refused."""
    from PIL import Image, UnidentifiedImageError

    where = f"image {i + 1}"
    if len(data) > MAX_IMAGE_BYTES:
        raise Refused(f"{where} is larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB")
    if not data.startswith(PNG_SIGNATURE):
        raise Refused(f"{where} is not a PNG")
    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if im.format != "PNG":
                raise Refused(f"{where} is not a PNG")
            if not (MIN_IMAGE_PX <= w <= MAX_IMAGE_PX and MIN_IMAGE_PX <= h <= MAX_IMAGE_PX):
                raise Refused(f"{where} is {w} x {h} px, outside {MIN_IMAGE_PX}–{MAX_IMAGE_PX}")
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise Refused(f"{where} is not a readable PNG") from None
    return data


def build_deck(
    trial: Trial, specs: list[ViewSpec], images: list[bytes], today: date
) -> tuple[list[ExportView], bytes]:
    """The views rebuilt from the specs and the deck made with the checked images."""
    try:
        views = [build_view(trial, s, today) for s in specs]
    except (KeyError, ValueError, TypeError, IndexError):
        raise Refused("a slide could not be made from its controls") from None
    wanted = sum(ev.figure is not None for ev in views)
    if len(images) != wanted:
        raise Refused(f"{len(images)} images sent for {wanted} figure slides")
    checked = [check_png(b, i) for i, b in enumerate(images)]
    return views, pptx_deck(trial, views, today, checked)


def deck_filename(views: list[ExportView], kind: str, today: date) -> str:
    name = views[0].name if kind == "view" else "pinned_slides"
    return export_filename(name, ids.FORMAT_PPTX, today)


# --- the route --------------------------------------------------------------------------------


def _refusal(message: str, status: int = 400) -> flask.Response:
    return flask.make_response(flask.jsonify({"error": message}), status)


def receive_deck() -> flask.Response:
    req = flask.request
    if req.headers.get(DECK_HEADER) != "1":
        return _refusal("Not an export from the dashboard.")
    try:
        dataset = current_dataset()
    except SessionGone as gone:
        return _refusal(gone.user_message, 409)
    if req.form.get("dataset") != dataset.key:
        return _refusal(SessionGone.user_message, 409)
    kind = req.form.get("kind", "")
    if kind not in KINDS:
        return _refusal("Unknown kind of deck.")
    trial, today = dataset.trial, date.today()
    try:
        specs = parse_specs(req.form.get("specs", ""), trial, kind)
        images = [f.read(MAX_IMAGE_BYTES + 1) for f in req.files.getlist("images")]
        if len(images) > MAX_SLIDES:
            raise Refused(f"more than {MAX_SLIDES} images")
        # Recorded before the file is made: an export that cannot be audited is not made.
        security.audit(
            "export",
            fingerprint=trial.fingerprint,
            view=specs[0].view if kind == "view" else "pinned",
            format=ids.FORMAT_PPTX,
            slides=len(specs),
        )
        views, data = build_deck(trial, specs, images, today)
    except Refused as err:
        return _refusal(f"The deck was not made: {err}.")
    response = flask.make_response(data)
    response.headers["Content-Type"] = MIME[ids.FORMAT_PPTX]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{deck_filename(views, kind, today)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def install(server: flask.Flask) -> None:
    """Serve the deck route on `server`, with its own request size limit."""
    server.add_url_rule(DECK_ROUTE, "trial_deck", receive_deck, methods=["POST"])

    @server.before_request
    def _deck_size_limit():
        if flask.request.path == DECK_ROUTE:
            flask.request.max_content_length = MAX_DECK_REQUEST
