"""The deck route (components/export/deckroute.py): the browser's rendered slides in, a deck
out; everything the browser sends is checked, and the export is audited."""

from __future__ import annotations

import io
import json

import pytest
from dash.exceptions import PreventUpdate
from PIL import Image
from pptx import Presentation

from app import create_app
from components import ids
from components.export import deckroute
from components.state.viewspec import ViewSpec

SLEDAI = ViewSpec(
    ids.VIEW_TRAJECTORIES,
    {"measure": "sledai", "group": "response"},
    takeaway="SLEDAI falls by month 3",
).to_dict()
OS = ViewSpec(ids.VIEW_SURVIVAL, {"group": "center"}).to_dict()
TABLES = ViewSpec(ids.VIEW_TABLES).to_dict()


def png(width: int = 800, height: int = 400) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (220, 230, 240)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def audit_log(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("TRIAL_AUDIT_LOG", str(log))
    return log


@pytest.fixture
def client(demo_trial, audit_log):
    return create_app(demo_trial).server.test_client()


def post(client, specs, images, *, kind="pinned", dataset="app", header=True):
    data = {
        "dataset": dataset,
        "kind": kind,
        "specs": json.dumps(specs),
        "images": [(io.BytesIO(b), f"slide{i}.png") for i, b in enumerate(images)],
    }
    headers = {deckroute.DECK_HEADER: "1"} if header else {}
    return client.post(
        deckroute.DECK_ROUTE, data=data, headers=headers, content_type="multipart/form-data"
    )


def test_the_route_assembles_the_deck_from_the_browser_images(client, audit_log, demo_trial):
    images = [png(), png(900, 450)]
    r = post(client, [SLEDAI, TABLES, OS], images)
    assert r.status_code == 200, r.get_json()
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "pinned_slides_" in r.headers["Content-Disposition"]
    prs = Presentation(io.BytesIO(r.data))
    slides = list(prs.slides)
    pictures = [[sh.image.blob for sh in s.shapes if sh.shape_type == 13] for s in slides]
    assert pictures[1] == [images[0]] and pictures[-1] == [images[1]]
    assert sum(1 for p in pictures if p) == 2  # tables are native tables, no picture
    texts = [sh.text_frame.text for sh in slides[1].shapes if sh.has_text_frame]
    assert "SLEDAI falls by month 3" in texts
    records = [json.loads(x) for x in audit_log.read_text().splitlines()]
    export = [x for x in records if x["action"] == "export"][-1]
    assert export["view"] == "pinned" and export["format"] == "pptx" and export["slides"] == 3
    assert export["fingerprint"] == demo_trial.fingerprint


def test_one_view_deck_is_named_after_the_view(client):
    r = post(client, [SLEDAI], [png()], kind="view")
    assert r.status_code == 200 and "sledai_by_response_" in r.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "specs, images, message",
    [
        ([SLEDAI], [], "0 images sent for 1 figure slides"),
        ([SLEDAI], [png(), png()], "2 images sent for 1 figure slides"),
        ([SLEDAI], [b"GIF89a not a png"], "image 1 is not a PNG"),
        ([SLEDAI], [b"\x89PNG\r\n\x1a\n" + b"\x00" * 40], "image 1 is not a readable PNG"),
        ([SLEDAI], [png(50, 50)], "outside 100–8000"),
        ([{"view": "nope"}], [], "names no known view"),
        ([{**SLEDAI, "params": {"measure": "sledai", "evil": 1}}], [png()], "unknown controls"),
        ([{**SLEDAI, "filters": {"x": [1]}}], [png()], "unknown filters"),
        ([{**SLEDAI, "params": {"measure": {"a": 1}}}], [png()], "malformed value"),
        ([{**SLEDAI, "dataset": "0123456789ab"}], [png()], "pinned on other data"),
        ([], [], "1 to 30 slides"),
        ([TABLES] * 31, [], "1 to 30 slides"),
    ],
)
def test_what_the_browser_sends_is_checked(client, specs, images, message):
    r = post(client, specs, images)
    assert r.status_code == 400
    assert message in r.get_json()["error"]


def test_an_oversized_image_is_refused(client):
    big = png() + b"\x00" * (deckroute.MAX_IMAGE_BYTES + 1)
    r = post(client, [SLEDAI], [big])
    assert r.status_code == 400 and "larger than 3 MB" in r.get_json()["error"]


def test_a_request_over_the_route_limit_is_refused(client):
    body = b"x" * (deckroute.MAX_DECK_REQUEST + 1)
    r = client.post(
        deckroute.DECK_ROUTE,
        data=body,
        headers={deckroute.DECK_HEADER: "1"},
        content_type="multipart/form-data; boundary=b",
    )
    assert r.status_code == 413


def test_a_cross_site_form_or_another_page_cannot_post(client):
    r = post(client, [SLEDAI], [png()], header=False)
    assert r.status_code == 400 and "Not an export" in r.get_json()["error"]
    r = post(client, [SLEDAI], [png()], dataset="another-page")
    assert r.status_code == 409
    r = post(client, [SLEDAI], [png()], kind="other")
    assert r.status_code == 400


def test_the_route_needs_authentication_like_every_route(demo_trial, tmp_path, monkeypatch):
    from werkzeug.security import generate_password_hash

    users = tmp_path / "users"
    users.write_text(f"ana:{generate_password_hash('pw-long-enough-1')}\n")
    monkeypatch.setenv("TRIAL_AUTH", "basic")
    monkeypatch.setenv("TRIAL_USERS_FILE", str(users))
    client = create_app(demo_trial).server.test_client()
    r = post(client, [SLEDAI], [png()])
    assert r.status_code == 401


def test_a_slide_with_variable_filters_and_a_selection_is_accepted(client, demo_trial):
    """What a browser sends once a filter on any variable or a selection is set (before: the
    variables' mapping was refused as a malformed value, so no deck was ever made)."""
    chosen = demo_trial.patients["patient_id"].astype(str).tolist()[:6]
    spec = {
        **SLEDAI,
        "filters": {
            **SLEDAI.get("filters", {}),
            ids.FILTER_VARIABLES: {"age": [20, 40]},
            ids.SELECTION_STORE: chosen,
        },
    }
    r = post(client, [spec], [png()], kind="view")
    assert r.status_code == 200, r.get_json()
    bad = {**spec, "filters": {ids.FILTER_VARIABLES: {"age": {"deep": 1}}}}
    assert post(client, [bad], [png()], kind="view").status_code == 400


# --- a patient's case narrative, pinned from the patient page (issue 16) ------------------------


def pinned_from_the_patient_page(app, pathname: str, takeaway: str = "", pins=None):
    from components.shell import presenter

    with app.server.test_request_context():
        return presenter.pin_narrative([1], pins or [], [takeaway], pathname)


def test_pinning_on_a_patient_page_adds_that_patients_narrative(demo_trial):
    app = create_app(demo_trial)
    pins, takeaway, note = pinned_from_the_patient_page(app, "/patients/9", "A conflict")
    (spec,) = pins
    assert spec["view"] == ids.VIEW_NARRATIVE and spec["params"] == {"patient": "9"}
    assert spec["filters"] == {}  # one patient: the filters and the selection do not apply
    assert spec["dataset"] == demo_trial.fingerprint and spec["takeaway"] == "A conflict"
    assert takeaway == [""] and "1 pinned" in note[0]
    again, _, note = pinned_from_the_patient_page(app, "/patients/2", pins=pins)
    assert [p["params"]["patient"] for p in again] == ["9", "2"] and "2 pinned" in note[0]


def test_the_patient_page_presents_its_narrative_and_offers_pin_and_present(demo_trial):
    from components.shell import presenter
    from components.views import filters, patient

    app = create_app(demo_trial)
    with app.server.test_request_context():
        deck, is_open = presenter.present_narrative([1], "/patients/12")
        page = patient.render_patient_page("/patients/12", *filters.reset_filters(1))
        with pytest.raises(PreventUpdate):  # not a patient's page: nothing pinned
            presenter.pin_narrative([1], [], [""], "/patients/no-such-id")
        with pytest.raises(PreventUpdate):  # the page drawn, nothing clicked
            presenter.pin_narrative([None], [], [""], "/patients/12")
    assert is_open and deck["slides"][0]["params"] == {"patient": "12"}
    found = {str(c.id) for c in html_tree(page) if getattr(c, "id", None) is not None}
    assert str(ids.NARRATIVE_PIN) in found and str(ids.NARRATIVE_PRESENT) in found


def html_tree(node):
    if isinstance(node, (list, tuple)):
        for x in node:
            yield from html_tree(x)
        return
    if node is None or isinstance(node, (str, int, float)):
        return
    yield node
    yield from html_tree(getattr(node, "children", None))


def test_the_route_makes_a_deck_of_a_pinned_narrative(client, demo_trial):
    pins, _, _ = pinned_from_the_patient_page(create_app(demo_trial), "/patients/9")
    r = post(client, pins, [png()])
    assert r.status_code == 200, r.get_json()
    prs = Presentation(io.BytesIO(r.data))
    assert prs.slides[1].shapes.title.text == "Patient 9: case narrative"


@pytest.mark.parametrize(
    "patient, message",
    [
        ("no-such-id", "names a patient who is not in these data"),
        ("09", "names a patient who is not in these data"),
        (9, "names no patient"),
        (["9"], "names no patient"),
        (None, "names no patient"),
        ("", "names no patient"),
    ],
)
def test_the_route_refuses_a_narrative_of_an_unknown_patient(client, patient, message):
    spec = {"view": ids.VIEW_NARRATIVE, "params": {"patient": patient}, "filters": {}}
    r = post(client, [spec], [png()])
    assert r.status_code == 400 and message in r.get_json()["error"]
