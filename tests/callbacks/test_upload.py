"""Opening a dataset uploaded in a browser: the checks on the files (trial/upload.py), the
session store (trial/sessions.py) and the whole round trip through the Flask app."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

import security
from app import create_app
from components import ids
from components.context import SESSION_COOKIE, SESSIONS_CONFIG_KEY
from components.shell.upload import UPLOAD_HEADER, UPLOAD_ROUTE, result_view
from components.state.filters import COHORT_INPUTS
from trial.model import DataError
from trial.sessions import STORE, SessionSettings, SessionStore
from trial.upload import UploadLimits, declared_entries, stage_upload

from conftest import page_components
from factories import study_dict, valid_tables, write_trial

DEMO = Path(__file__).resolve().parents[2] / "data"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_files(folder: Path, prefix: str = "") -> list[tuple[str, bytes]]:
    return [(prefix + p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]


def sessions_on_disk(root: Path) -> list[Path]:
    """The session folders under a store's root (not its `.slots` of upload checks)."""
    return [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]


def messages(err: DataError) -> list[str]:
    return [f"{f.file}: {f.message}" for f in err.findings]


# --- the files ---------------------------------------------------------------------------------


def test_files_of_a_dropped_folder_are_written_flat_and_non_data_set_aside(tmp_path):
    staged = stage_upload(folder_files(DEMO, "trial-demo/"), tmp_path)
    assert sorted(staged.written) == [
        "events.csv",
        "measurements.csv",
        "patients.csv",
        "study.json",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(staged.written)
    assert (tmp_path / "study.json").read_bytes() == (DEMO / "study.json").read_bytes()
    assert [n for n, _why in staged.ignored] == ["trial-demo/README.md"]
    assert "not a data file" in staged.ignored[0][1]
    assert staged.display_name == "trial-demo"


def test_a_zip_is_unpacked_and_its_paths_cannot_escape_the_folder(tmp_path):
    target = tmp_path / "a" / "b" / "upload"
    target.mkdir(parents=True)
    archive = zipped(
        {
            "../../outside.csv": b"a,b\n1,2\n",
            "study/adsl.csv": b"x\n1\n",
            "__MACOSX/._adsl.csv": b"junk",
            "inner.zip": b"PK",
        }
    )
    staged = stage_upload([("study.zip", archive)], target)
    assert sorted(staged.written) == ["adsl.csv", "outside.csv"]
    assert (target / "outside.csv").read_bytes() == b"a,b\n1,2\n"
    assert [p.name for p in tmp_path.rglob("outside.csv")] == ["outside.csv"]
    assert sorted(n for n, _ in staged.ignored) == [
        "study.zip/__MACOSX/._adsl.csv",
        "study.zip/inner.zip",
    ]
    assert staged.display_name == "study.zip"


def test_every_unusable_file_is_named_at_once(tmp_path):
    with pytest.raises(DataError) as caught:
        stage_upload(
            [
                ("a/patients.csv", b"x"),
                ("b/patients.csv", b"y"),
                ("bad;name.csv", b"z"),
                ("broken.zip", b"not a zip"),
            ],
            tmp_path,
        )
    found = messages(caught.value)
    assert len(found) == 3
    assert any(m.startswith("b/patients.csv: a second file named patients.csv") for m in found)
    assert any(m.startswith("bad;name.csv: the file name has characters") for m in found)
    assert "broken.zip: is not a readable zip archive" in found


def test_an_upload_without_data_files_is_refused_saying_what_was_set_aside(tmp_path):
    with pytest.raises(DataError) as caught:
        stage_upload([("notes.docx", b"x"), ("define.xml", b"<x/>")], tmp_path)
    (message,) = messages(caught.value)
    assert "no data file was found" in message and "define.xml" in message


def test_a_zip_that_unpacks_beyond_the_limit_is_refused_while_reading(tmp_path):
    bomb = zipped({"adlb.csv": b"0" * 5_000_000})  # ~5 kB packed
    assert len(bomb) < 50_000
    with pytest.raises(DataError) as caught:
        stage_upload([("bomb.zip", bomb)], tmp_path, UploadLimits(max_unpacked_bytes=1_000_000))
    assert "unpack to more than" in messages(caught.value)[0]
    assert (tmp_path / "adlb.csv").stat().st_size <= 1_000_000 + 1024 * 1024


def test_a_zip_declaring_too_many_entries_is_refused_before_its_directory_is_read(tmp_path):
    many = zipped({f"f{i}.txt": b"" for i in range(300)})
    assert declared_entries(io.BytesIO(many)) == 300
    with pytest.raises(DataError) as caught:
        stage_upload([("many.zip", many)], tmp_path, UploadLimits(max_files=64))
    assert "holds 300 files" in messages(caught.value)[0]


def test_compressed_files_are_bounded_by_what_they_expand_to(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"USUBJID": ["0" * 50] * 100_000})
    target = tmp_path / "up"
    target.mkdir()
    source = tmp_path / "adsl.parquet"
    frame.to_parquet(source)
    assert source.stat().st_size < 100_000  # compresses to almost nothing
    with pytest.raises(DataError) as caught:
        stage_upload(
            [("adsl.parquet", source.read_bytes())],
            target,
            UploadLimits(max_unpacked_bytes=500_000),
        )
    assert "expand to about" in messages(caught.value)[0]


def test_empty_and_non_data_files_do_not_stop_an_upload(tmp_path):
    staged = stage_upload(
        [("d/.gitkeep", b""), ("d/notes.txt", b""), ("d/adsl.csv", b"")], tmp_path
    )
    assert staged.written == ["adsl.csv"] and len(staged.ignored) == 2


def test_files_are_private_to_the_server_user(tmp_path, clock):
    store = make_store(tmp_path / "root", clock)
    store.create(folder_files(DEMO), owner="ana")
    (session,) = sessions_on_disk(tmp_path / "root")
    for path in [session, session / "data", *session.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_a_shared_upload_folder_must_be_private(tmp_path, clock):
    from trial.private import UnsafeFolder

    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    with pytest.raises(UnsafeFolder):
        make_store(loose, clock)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "private-target")
    (tmp_path / "private-target").mkdir(mode=0o700)
    with pytest.raises(UnsafeFolder):
        make_store(link, clock)


# --- the session store -------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def make_store(root, clock, **kw) -> SessionStore:
    return SessionStore(root, SessionSettings(ttl_seconds=600, **kw), clock=clock)


def test_a_session_is_found_by_its_token_and_owner_only(tmp_path, clock):
    store = make_store(tmp_path, clock)
    token, dataset, _ = store.create(folder_files(DEMO), owner="ana")
    assert dataset.uploaded and len(dataset.trial.patients) == 40
    assert dataset.trial.source == dataset.name == "events.csv + 3 more files"
    assert store.get(token, "ana") is dataset
    assert store.get(token, "bob") is None
    assert store.get(token[:-1] + ("A" if token[-1] != "A" else "B"), "ana") is None
    assert store.get("../../etc", "ana") is None
    # The token itself is never a path on disk.
    assert all(token not in str(p) for p in tmp_path.rglob("*"))


def test_another_process_finds_the_session_on_disk(tmp_path, clock):
    token, dataset, _ = make_store(tmp_path, clock).create(folder_files(DEMO), owner="ana")
    other = make_store(tmp_path, clock)
    found = other.get(token, "ana")
    assert found is not dataset and found.name == dataset.name
    assert found.trial.fingerprint == dataset.trial.fingerprint


def test_another_process_reads_the_upload_converted_and_it_goes_with_the_session(
    tmp_path, clock, monkeypatch
):
    """The check of an upload keeps its validated trial inside the session's folder: another
    worker serves it without checking it again, and closing the session deletes it."""
    import trial.loader

    here = make_store(tmp_path, clock)
    token, dataset, _ = here.create(folder_files(DEMO), owner="ana")
    (session,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in (session / STORE).iterdir()]  # one entry, in the session

    def refuse(*args, **kw):
        raise AssertionError("checked again")

    monkeypatch.setattr(trial.loader, "run_bounded", refuse)
    found = make_store(tmp_path, clock).get(token, "ana")
    assert found is not None and found.trial.fingerprint == dataset.trial.fingerprint
    assert found.trial.source == dataset.trial.source == dataset.name
    here.close(token, "ana")
    assert not session.exists()


def test_a_session_closed_by_another_process_is_gone_here_too(tmp_path, clock):
    here = make_store(tmp_path, clock)
    token, _, _ = here.create(folder_files(DEMO), owner="ana")
    assert here.get(token, "ana") is not None  # its owner is now known here
    make_store(tmp_path, clock).close(token, "ana")
    assert here.get(token, "ana") is None


def test_an_unused_session_expires_with_its_files_and_use_keeps_it(tmp_path, clock):
    store = make_store(tmp_path, clock)
    token, _, _ = store.create(folder_files(DEMO), owner="ana")
    clock.now += 500
    assert store.get(token, "ana") is not None  # used: its time starts again
    clock.now += 500
    assert store.get(token, "ana") is not None
    clock.now += 601
    assert store.get(token, "ana") is None
    assert sessions_on_disk(tmp_path) == []


def test_sweeping_deletes_other_expired_sessions(tmp_path, clock):
    store = make_store(tmp_path, clock)
    old, _, _ = store.create(folder_files(DEMO), owner="ana")
    clock.now += 601
    new, _, _ = store.create(folder_files(DEMO), owner="bob")
    assert len(sessions_on_disk(tmp_path)) == 1
    assert store.get(old, "ana") is None and store.get(new, "bob") is not None


def test_closing_deletes_at_once_but_only_for_the_owner(tmp_path, clock):
    store = make_store(tmp_path, clock)
    token, _, _ = store.create(folder_files(DEMO), owner="ana")
    store.close(token, "bob")
    assert store.get(token, "ana") is not None
    store.close(token, "ana")
    assert store.get(token, "ana") is None and sessions_on_disk(tmp_path) == []


def test_invalid_data_keeps_nothing(tmp_path, clock):
    store = make_store(tmp_path, clock)
    files = [(n, b) for n, b in folder_files(DEMO) if n != "events.csv"]
    with pytest.raises(DataError) as caught:
        store.create(files, owner="ana")
    assert any("events" in m and "missing" in m for m in messages(caught.value))
    assert sessions_on_disk(tmp_path) == []


def test_the_number_of_sessions_is_bounded(tmp_path, clock):
    store = make_store(tmp_path, clock, max_sessions=2, max_loaded=1)
    tokens = [store.create(folder_files(DEMO), owner=f"u{i}")[0] for i in range(2)]
    with pytest.raises(DataError) as caught:
        store.create(folder_files(DEMO), owner="u3")
    assert "already keeps 2 uploaded datasets" in messages(caught.value)[0]
    # Only one trial stays loaded in memory; the other is read again from its folder.
    assert len(store._loaded) == 1
    assert store.get(tokens[0], "u0") is not None and store.get(tokens[1], "u1") is not None
    assert len(store._loaded) == 1


def test_a_user_opening_more_than_their_share_loses_their_oldest(tmp_path, clock):
    store = make_store(tmp_path, clock, max_per_owner=2)
    first, _, _ = store.create(folder_files(DEMO), owner="ana")
    clock.now += 1
    second, _, _ = store.create(folder_files(DEMO), owner="ana")
    clock.now += 1
    other, _, _ = store.create(folder_files(DEMO), owner="bob")
    clock.now += 1
    store.create(folder_files(DEMO), owner="ana")
    assert store.get(first, "ana") is None
    assert store.get(second, "ana") is not None and store.get(other, "bob") is not None


def test_folders_of_dashboards_that_died_are_removed(tmp_path):
    import subprocess

    from trial.sessions import PID_FILE, TEMP_PREFIX, remove_abandoned

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead, alive = tmp_path / f"{TEMP_PREFIX}dead", tmp_path / f"{TEMP_PREFIX}alive"
    for folder, pid in ((dead, gone.pid), (alive, os.getpid())):
        (folder / "x").mkdir(parents=True)
        (folder / PID_FILE).write_text(str(pid))
    remove_abandoned(tmp_path)
    assert not dead.exists() and alive.exists()


def test_many_requests_at_once_load_a_session_once(tmp_path, clock):
    import threading

    from trial.loader import load_trial

    token, _, _ = make_store(tmp_path, clock).create(folder_files(DEMO), owner="ana")
    loads = []

    def counting_load(path):
        loads.append(path)
        return load_trial(path)

    other = SessionStore(
        tmp_path, SessionSettings(ttl_seconds=600), clock=clock, load=counting_load
    )
    found = []
    threads = [
        threading.Thread(target=lambda: found.append(other.get(token, "ana"))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(d) for d in found}) == 1


# --- through the app ---------------------------------------------------------------------------


def callback_request(outputs, inputs, state=()):
    def spec(pairs, with_value):
        return [
            {"id": i, "property": p, **({"value": v} if with_value else {})}
            for i, p, *v in pairs
            for v in [v[0] if v else None]
        ]

    output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    return {
        "output": output if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": spec(outputs, False) if len(outputs) > 1 else spec(outputs, False)[0],
        "inputs": spec(inputs, True),
        "state": spec(state, True),
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }


def post_upload(client, files: list[tuple[str, bytes]], header: bool = True):
    """What assets/upload.js sends: one multipart request, a folder path in each name."""
    return client.post(
        UPLOAD_ROUTE,
        data={"files": [(io.BytesIO(b), n) for n, b in files]},
        content_type="multipart/form-data",
        headers={UPLOAD_HEADER: "1"} if header else {},
    )


def said(answer: dict | None) -> list[tuple]:
    """The file and message of each finding in an upload's answer, for assertion messages."""
    return [(f.get("file"), f.get("message")) for f in (answer or {}).get("findings", [])]


def opened_upload(client, files: list[tuple[str, bytes]]):
    """`post_upload` of files that must open: if the server refuses them, the assertion shows
    its answer (the findings say why; CI has refused valid uploads and said only KeyError)."""
    r = post_upload(client, files)
    answer = r.get_json(silent=True)
    assert r.status_code == 200 and answer and answer.get("opened") is True, (
        r.status_code,
        said(answer),
    )
    return r


@pytest.fixture
def served(demo_trial, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(tmp_path / "uploads"))
    return create_app(demo_trial)


@pytest.fixture
def other_trial(tmp_path) -> list[tuple[str, bytes]]:
    study = study_dict()
    study["title"] = "Uploaded pilot study"
    folder = write_trial(tmp_path / "other", study=study, tables=valid_tables())
    return folder_files(folder, "other/")


def layout_text(client) -> str:
    return client.get("/_dash-layout").get_data(as_text=True)


def cookies_set(response) -> dict[str, str]:
    """name -> the Set-Cookie header of each cookie the response sets."""
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def owner_of(app, client) -> str:
    """Whom the server counts as the owner of what this browser opens."""
    cookie = client.get_cookie(security.BROWSER_COOKIE)
    headers = {"Cookie": f"{security.BROWSER_COOKIE}={cookie.value}"} if cookie else {}
    with app.server.test_request_context("/", headers=headers):
        return security.session_owner()


def test_an_upload_opens_in_its_session_only(served, other_trial):
    client, stranger = served.server.test_client(), served.server.test_client()
    r = opened_upload(client, other_trial)
    assert r.get_json()["name"] == "other" and r.get_json()["ignored"] == []
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    assert "SameSite=Lax" in cookie and "Expires" not in cookie
    page = layout_text(client)
    assert "Uploaded pilot study" in page and "Uploaded dataset: " in page
    assert "Uploaded pilot study" not in layout_text(stranger)


def test_anonymous_browsers_never_evict_each_others_datasets(served, other_trial):
    """Before: without sign-in every browser was the one owner "anonymous", whose share is 3
    uploads, so a fourth browser's upload deleted another browser's dataset."""
    store = served.server.config[SESSIONS_CONFIG_KEY]
    browsers = [served.server.test_client() for _ in range(store.settings.max_per_owner + 2)]
    for browser in browsers:
        browser.get("/")
        opened_upload(browser, other_trial)
    sessions = [p for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(sessions) == len(browsers)
    assert all("Uploaded dataset: " in layout_text(b) for b in browsers)
    assert len({owner_of(served, b) for b in browsers}) == len(browsers)
    opened_upload(browsers[0], other_trial)  # a browser's next upload replaces its own only
    sessions = [p for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(sessions) == len(browsers)
    assert all("Uploaded dataset: " in layout_text(b) for b in browsers)


def test_each_browser_gets_a_private_id_on_its_first_page(served):
    browser = served.server.test_client()
    cookie = cookies_set(browser.get("/"))[security.BROWSER_COOKIE]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires" not in cookie and "Secure" not in cookie  # plain HTTP; goes with the browser
    assert security.BROWSER_COOKIE not in cookies_set(browser.get("/_dash-layout"))  # kept
    owner = owner_of(served, browser)
    assert owner == owner_of(served, browser) != owner_of(served, served.server.test_client())
    fresh = served.server.test_client()
    assert security.BROWSER_COOKIE not in cookies_set(fresh.get("/assets/app.css"))  # cacheable
    fresh.set_cookie(security.BROWSER_COOKIE, "chosen-by-the-client")
    assert security.BROWSER_COOKIE in cookies_set(fresh.get("/"))  # not a valid id: replaced


def test_signed_in_users_own_their_uploads_in_any_browser(
    demo_trial, monkeypatch, tmp_path, other_trial
):
    users = tmp_path / "users"
    users.write_text(f"alice:{generate_password_hash('a long password', 'pbkdf2:sha256:1000')}\n")
    for name, value in {
        "TRIAL_AUTH": "basic",
        "TRIAL_USERS_FILE": str(users),
        "TRIAL_THROTTLE_STORE": str(tmp_path / "throttle" / "counts.sqlite3"),
        "TRIAL_UPLOAD_DIR": str(tmp_path / "up"),
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(demo_trial)
    alice = {"Authorization": "Basic " + base64.b64encode(b"alice:a long password").decode()}
    laptop, phone = app.server.test_client(), app.server.test_client()
    r = laptop.post(
        UPLOAD_ROUTE,
        headers={**alice, UPLOAD_HEADER: "1"},
        data={"files": [(io.BytesIO(b), n) for n, b in other_trial]},
        content_type="multipart/form-data",
    )
    assert r.get_json()["opened"] is True and security.BROWSER_COOKIE not in cookies_set(r)
    phone.set_cookie(SESSION_COOKIE, laptop.get_cookie(SESSION_COOKIE).value)
    page = phone.get("/_dash-layout", headers=alice).get_data(as_text=True)
    assert "Uploaded dataset: " in page  # the user's, wherever the cookie goes


def test_closing_returns_to_the_default_data_and_deletes_the_files(served, other_trial):
    client = served.server.test_client()
    opened_upload(client, other_trial)
    root = served.server.config[SESSIONS_CONFIG_KEY].root
    assert len(sessions_on_disk(root)) == 1
    body = callback_request([(ids.UPLOAD_RELOAD, "href")], [(ids.UPLOAD_CLOSE, "n_clicks", 1)])
    # A second output on the same property: Dash keys it with a hash.
    body["output"] = next(
        k for k in served.callback_map if k.startswith(f"{ids.UPLOAD_RELOAD}.href@")
    )
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200 and f"{SESSION_COOKIE}=;" in r.headers["Set-Cookie"]
    assert sessions_on_disk(root) == []
    assert "Uploaded pilot study" not in layout_text(client)


def test_a_refused_upload_lists_the_findings_and_changes_nothing(served, other_trial):
    client = served.server.test_client()
    broken = [
        (n, b.replace(b"MCR", b"MXR", 1) if n.endswith("events.csv") else b) for n, b in other_trial
    ]
    r = post_upload(client, broken)
    assert r.status_code == 200 and SESSION_COOKIE not in cookies_set(r)
    answer = r.get_json()
    assert answer["opened"] is False and answer["problems"] == answer["errors"] == 1, said(answer)
    (finding,) = answer["findings"]
    assert finding["file"] == "events.csv" and finding["value"] == "MXR", finding
    assert sessions_on_disk(served.server.config[SESSIONS_CONFIG_KEY].root) == []


def test_a_gone_session_is_said_on_the_page_and_in_callbacks(served, other_trial):
    client = served.server.test_client()
    opened_upload(client, other_trial)
    token = client.get_cookie(SESSION_COOKIE).value
    served.server.config[SESSIONS_CONFIG_KEY].close(token, owner_of(served, client))
    r = client.get("/_dash-layout")
    assert "is no longer on the server" in r.get_data(as_text=True)
    assert f"{SESSION_COOKIE}=;" in r.headers["Set-Cookie"]
    client.set_cookie(SESSION_COOKIE, token)  # e.g. a second tab that had not reloaded
    shown = page_components(served)
    r = client.post(
        "/_dash-update-component",
        json=callback_request(
            [(ids.SELECTED_COUNT, "children")],
            [
                (
                    i.component_id,
                    i.component_property,
                    getattr(shown[i.component_id], i.component_property),
                )
                for i in COHORT_INPUTS
            ],
        ),
    )
    assert "no longer open in this browser" in json.dumps(r.get_json())


def test_the_session_cookie_is_secure_behind_https(demo_trial, monkeypatch, tmp_path, other_trial):
    monkeypatch.setenv("TRIAL_HSTS", "1")
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(tmp_path / "up"))
    r = opened_upload(create_app(demo_trial).server.test_client(), other_trial)
    cookies = cookies_set(r)
    assert "Secure" in cookies[SESSION_COOKIE] and "Secure" in cookies[security.BROWSER_COOKIE]


def page_key(client) -> str:
    """The key of the dataset of the page this client would get (ids.PAGE_DATASET)."""

    def find(node):
        if isinstance(node, dict):
            props = node.get("props") or {}
            if props.get("id") == ids.PAGE_DATASET:
                return props["data-key"]
            return next((k for k in map(find, node.values()) if k), None)
        if isinstance(node, list):
            return next((k for k in map(find, node) if k), None)
        return None

    return find(client.get("/_dash-layout").get_json())


def count_request(app, page: str | None) -> dict:
    shown = page_components(app)
    body = callback_request(
        [(ids.SELECTED_COUNT, "children")],
        [
            (
                i.component_id,
                i.component_property,
                getattr(shown[i.component_id], i.component_property),
            )
            for i in COHORT_INPUTS
        ],
    )
    if page is not None:
        body["trialDataset"] = page
    return body


def test_a_page_never_computes_on_another_dataset_than_its_own(served, other_trial):
    # Two tabs of one browser share the cookie: tab A shows the default data, tab B uploads.
    tab = served.server.test_client()
    default_key = page_key(tab)
    opened_upload(tab, other_trial)
    uploaded_key = page_key(tab)
    assert default_key == "app" and uploaded_key not in ("app", None)

    def count(page):
        return json.dumps(
            tab.post("/_dash-update-component", json=count_request(served, page)).get_json()
        )

    theirs = f" of {len(valid_tables()['patients'])} "
    assert theirs in count(uploaded_key)
    assert "no longer open in this browser" in count(default_key)  # tab A, after B's upload
    token = tab.get_cookie(SESSION_COOKIE).value
    tab.delete_cookie(SESSION_COOKIE)  # tab B closed the upload
    assert "no longer open in this browser" in count(uploaded_key)
    assert " of 40 " in count(default_key)
    tab.set_cookie(SESSION_COOKIE, token)
    assert theirs in count(None)  # a request that does not say its page: the cookie decides


def test_uploads_can_be_switched_off(demo_trial, monkeypatch, other_trial):
    monkeypatch.setenv("TRIAL_UPLOADS", "off")
    app = create_app(demo_trial)
    assert app.server.config[SESSIONS_CONFIG_KEY] is None
    client = app.server.test_client()
    r = post_upload(client, other_trial)
    assert r.status_code in (404, 405) and SESSION_COOKIE not in cookies_set(r)  # no such route


def test_only_the_upload_route_takes_large_requests(demo_trial, monkeypatch, other_trial, tmp_path):
    monkeypatch.setenv("TRIAL_MAX_UPLOAD_MB", "0.5")
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(tmp_path / "up"))
    app = create_app(demo_trial)
    assert app.server.config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024  # everything else
    client = app.server.test_client()
    r = post_upload(client, other_trial + [("big.csv", b"x" * 600_000)])
    assert r.status_code == 413
    assert r.get_data(as_text=True) == (
        "The request is too large: the limit is 0.5 MB. Nothing was processed.\n"
    )
    opened_upload(client, other_trial)


def test_a_cross_site_form_cannot_upload(served, other_trial):
    r = post_upload(served.server.test_client(), other_trial, header=False)
    assert r.status_code == 400 and SESSION_COOKIE not in cookies_set(r)


def test_the_dialog_shows_findings_or_reloads():
    status, href = result_view(
        {
            "opened": False,
            "problems": 60,
            "errors": 58,
            "findings": [
                {"level": "error", "file": "adsl.xpt", "message": "missing", "column": "USUBJID"}
            ],
        }
    )
    text = json.dumps(status.to_plotly_json(), default=str)
    assert "58 errors must be fixed first (and 2 warnings, to know about)" in text
    assert "adsl.xpt" in text and "and 59 more" in text
    status, href = result_view(
        {
            "opened": True,
            "name": "pilot",
            "subjects": 254,
            "ignored": [["pilot/define.xml", "not a data file"]],
        }
    )
    text = json.dumps(status.to_plotly_json(), default=str)
    assert href == "/" and "pilot" in text and "254 subjects" in text and "define.xml" in text
    status, _ = result_view({"opened": False, "error": "The request is too large"})
    assert "too large" in json.dumps(status.to_plotly_json(), default=str)


def test_expired_sessions_go_without_their_owner_coming_back(served, other_trial):
    store = served.server.config[SESSIONS_CONFIG_KEY]
    opened_upload(served.server.test_client(), other_trial)
    (folder,) = sessions_on_disk(store.root)
    old = folder.joinpath("meta.json").stat().st_mtime - store.settings.ttl_seconds - 1
    os.utime(folder / "meta.json", (old, old))
    store._last_sweep = float("-inf")  # as a minute later
    served.server.test_client().get("/")  # anyone, without a session
    assert not folder.exists()


def test_uploads_are_audited_without_file_contents(demo_trial, monkeypatch, tmp_path, other_trial):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("TRIAL_AUDIT_LOG", str(log))
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(tmp_path / "up"))
    client = create_app(demo_trial).server.test_client()
    post_upload(client, other_trial[:2])  # incomplete: refused
    opened_upload(client, other_trial)
    records = [json.loads(x) for x in log.read_text().splitlines()]
    uploads = [r for r in records if r["action"] == "upload"]
    assert [r["result"] for r in uploads] == ["refused", "opened"]
    assert uploads[0]["problems"] >= 1
    assert uploads[1]["patients"] == len(valid_tables()["patients"])
    assert "P01" not in log.read_text()


def test_the_temporary_folder_goes_when_the_app_stops(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from conftest import ROOT, free_port

    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("TRIAL_UPLOAD_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        made = [p for p in tmp_path.iterdir() if p.name.startswith("trial-uploads-")]
        assert len(made) == 1 and made[0].is_dir()
        assert oct(made[0].stat().st_mode & 0o777) == "0o700"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not made[0].exists()
