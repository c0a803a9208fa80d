"""The security package: authentication on every route, headers, error pages, limits, traversal,
audit, malformed callback requests, logs. The sign-in throttle: tests/test_throttle.py."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import urllib.request

import flask
import pytest
from dash import Input, Output, html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

import security
from app import create_app
from components import ids
from security.throttle import PAIR_LIMIT, PAIR_WINDOW

from conftest import add_to_page

PASSWORD = "correct horse battery staple"
ENV = (
    "TRIAL_AUTH",
    "TRIAL_USERS_FILE",
    "TRIAL_AUTH_HEADER",
    "TRIAL_TRUSTED_PROXIES",
    "TRIAL_PROXY_HOPS",
    "TRIAL_AUDIT_LOG",
    "TRIAL_MAX_REQUEST_MB",
    "TRIAL_SECRET_KEY",
    "TRIAL_HSTS",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    # Each test its own sign-in throttle (the default is one file for this user on this host).
    monkeypatch.setenv("TRIAL_THROTTLE_STORE", str(tmp_path / "throttle" / "counts.sqlite3"))


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    path.write_text(
        "# dashboard users\n"
        f"alice:{generate_password_hash(PASSWORD)}\n"
        f"bob:{generate_password_hash('another long password', 'pbkdf2')}\n"
    )
    return path


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def update_request_authed(app) -> dict:
    deps = json.loads(
        app.server.test_client().get("/_dash-dependencies", headers=basic("alice", PASSWORD)).data
    )
    output = f"{ids.SELECTED_COUNT}.children"
    cb = next(d for d in deps if d["output"] == output)
    return {
        "output": output,
        "outputs": {"id": ids.SELECTED_COUNT, "property": "children"},
        "inputs": [dict(i, value=None) for i in cb["inputs"]],
        "state": [dict(i, value=None) for i in cb["state"]],
        "changedPropIds": [],
    }


def routes(app) -> list[str]:
    """One concrete URL for every route of the server (Dash's, assets, suites, pages)."""
    c = app.server.test_client
    index = app.index()
    suite = index.split('src="')[1].split('"')[0]  # a real component-suite script
    assert suite.startswith("/_dash-component-suites/")
    urls = {
        "/",
        "/_dash-layout",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_favicon.ico",
        "/assets/app.css",
        "/assets/00-bootstrap.min.css",
        suite,
        "/some/page",
    }
    for rule in app.server.url_map.iter_rules():
        if "<" not in rule.rule:
            urls.add(rule.rule)
    del c
    return sorted(urls)


def update_request(app, output: str = f"{ids.SELECTED_COUNT}.children") -> dict:
    """A /_dash-update-component body for the callback of `output`, its inputs set to None."""
    deps = json.loads(app.server.test_client().get("/_dash-dependencies").data)
    cb = next(d for d in deps if d["output"] == output)
    cid, prop = output.rsplit(".", 1)
    return {
        "output": output,
        "outputs": {"id": cid, "property": prop},
        "inputs": [dict(i, value=None) for i in cb["inputs"]],
        "state": [dict(i, value=None) for i in cb["state"]],
        "changedPropIds": [],
    }


# -- settings -----------------------------------------------------------------------------------


def test_defaults_are_local_and_off():
    s = security.Settings.from_env({})
    assert s.auth == "none" and s.audit_log is None and s.secret_key is None
    assert s.max_request_bytes == 8 * 1024 * 1024 and not s.hsts
    assert s.uploads and s.max_upload_bytes == 100 * 1024 * 1024 and s.upload_dir is None
    assert s.upload_ttl_minutes == 120


def test_an_upload_folder_others_can_read_refuses_to_start(demo_trial, monkeypatch, tmp_path):
    from app import create_app

    loose = tmp_path / "shared-uploads"
    loose.mkdir()
    loose.chmod(0o777)
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(loose))
    with pytest.raises(security.ConfigError, match="TRIAL_UPLOAD_DIR: .*chmod 700"):
        create_app(demo_trial)


@pytest.mark.parametrize(
    "env, words",
    [
        ({"TRIAL_AUTH": "ldap"}, "TRIAL_AUTH must be one of"),
        ({"TRIAL_AUTH": "basic"}, "needs TRIAL_USERS_FILE"),
        ({"TRIAL_TRUSTED_PROXIES": "10.0.0.1,proxy.local"}, "not an IP address"),
        ({"TRIAL_MAX_REQUEST_MB": "lots"}, "TRIAL_MAX_REQUEST_MB"),
        ({"TRIAL_MAX_REQUEST_MB": "-1"}, "TRIAL_MAX_REQUEST_MB"),
        ({"TRIAL_SECRET_KEY": "short"}, "too short"),
        ({"TRIAL_AUTH_HEADER": "X-User: admin"}, "header name"),
        ({"TRIAL_UPLOADS": "maybe"}, "TRIAL_UPLOADS must be on or off"),
        ({"TRIAL_MAX_UPLOAD_MB": "2000"}, "TRIAL_MAX_UPLOAD_MB"),
        ({"TRIAL_UPLOAD_TTL_MIN": "0"}, "TRIAL_UPLOAD_TTL_MIN"),
        ({"TRIAL_UPLOAD_TTL_MIN": "soon"}, "TRIAL_UPLOAD_TTL_MIN"),
    ],
)
def test_bad_settings_refuse_to_start(env, words):
    with pytest.raises(security.ConfigError, match=words):
        security.Settings.from_env(env)


@pytest.mark.parametrize(
    "content, words",
    [
        ("alice:secret\n", "not a scrypt or pbkdf2 hash"),
        ("alice\n", "expected username:hash"),
        ("# nobody\n", "lists no users"),
    ],
)
def test_bad_users_file(tmp_path, content, words):
    path = tmp_path / "users"
    path.write_text(content)
    with pytest.raises(security.ConfigError, match=words) as info:
        security.load_users(path)
    assert "secret" not in str(info.value)  # never echoes a password


def test_app_refuses_to_start_with_bad_users_file(tmp_path, monkeypatch, demo_trial):
    monkeypatch.setenv("TRIAL_AUTH", "basic")
    monkeypatch.setenv("TRIAL_USERS_FILE", str(tmp_path / "missing"))
    with pytest.raises(security.ConfigError, match="cannot be read"):
        create_app(demo_trial)


def test_debug_only_on_loopback():
    security.check_run_options("127.0.0.1", True)
    security.check_run_options("0.0.0.0", False)
    with pytest.raises(security.ConfigError, match="--debug"):
        security.check_run_options("0.0.0.0", True)


# -- authentication -----------------------------------------------------------------------------


@pytest.fixture
def basic_app(monkeypatch, users_file, demo_trial):
    monkeypatch.setenv("TRIAL_AUTH", "basic")
    monkeypatch.setenv("TRIAL_USERS_FILE", str(users_file))
    return create_app(demo_trial)


def test_every_route_refuses_unauthenticated_access(basic_app):
    client = basic_app.server.test_client()
    for url in routes(basic_app):
        for method in ("GET", "HEAD", "POST", "OPTIONS"):
            r = client.open(url, method=method)
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.headers["WWW-Authenticate"].startswith('Basic realm="Trial dashboard"')
            assert r.data in (b"", b"Authentication required.\n")
    r = client.post("/_dash-update-component", json={"output": "x.y"})
    assert r.status_code == 401


def test_correct_credentials_reach_every_route(basic_app):
    client = basic_app.server.test_client()
    for url in routes(basic_app):
        r = client.get(url, headers=basic("alice", PASSWORD))
        assert r.status_code in (200, 204), (url, r.status_code)
    body = update_request_authed(basic_app)
    r = client.post(
        "/_dash-update-component", json=body, headers=basic("bob", "another long password")
    )
    assert r.status_code == 200 and b"selected-count" in r.data


@pytest.mark.parametrize(
    "header",
    [
        basic("alice", "wrong password")["Authorization"],
        basic("mallory", PASSWORD)["Authorization"],
        basic("alice", "")["Authorization"],
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no colon here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xc3\x28").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b":" + PASSWORD.encode()).decode(),  # empty user
        "Basic " + base64.b64encode(b"alice\x00:" + PASSWORD.encode()).decode(),
        "Basic",
        "Basic ",
        "Bearer abc.def.ghi",
        "Digest username=alice",
        "basic " + "A" * 10_000,
        "Basic " + base64.b64encode(("alice:" + PASSWORD).encode()).decode() + "===",
        "\u00e9\u00e9",
    ],
)
def test_malformed_or_wrong_credentials_get_401_never_500(basic_app, header):
    client = basic_app.server.test_client()
    r = client.get("/_dash-layout", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.data == b"Authentication required.\n"


def test_parse_basic_is_total():
    assert security.parse_basic(basic("alice", "p:w")["Authorization"]) == ("alice", "p:w")
    for bad in (None, "", "Basic", "Basic ====", "Basic " + "\u00e9", "Basic YQ", "x y z"):
        assert security.parse_basic(bad) is None


def test_repeated_failures_are_throttled(basic_app):
    client = basic_app.server.test_client()
    for _ in range(PAIR_LIMIT):
        assert client.get("/", headers=basic("alice", "guess")).status_code == 401
    r = client.get("/", headers=basic("alice", PASSWORD))
    assert r.status_code == 429 and PAIR_WINDOW - 10 <= int(r.headers["Retry-After"]) <= PAIR_WINDOW
    assert r.data == b"Too many failed sign-in attempts; try again in a few minutes.\n"


@pytest.fixture
def header_app(monkeypatch, demo_trial):
    monkeypatch.setenv("TRIAL_AUTH", "header")
    monkeypatch.setenv("TRIAL_TRUSTED_PROXIES", "127.0.0.1, 10.1.0.0/16")
    return create_app(demo_trial)


def test_header_mode_trusts_only_the_proxy(header_app):
    client = header_app.server.test_client()
    user = {"X-Forwarded-User": "dr.wang@hospital.example"}
    ok = client.get("/_dash-layout", headers=user, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ok.status_code == 200
    ok = client.get("/", headers=user, environ_base={"REMOTE_ADDR": "10.1.3.4"})
    assert ok.status_code == 200
    # The same header from anywhere else is not trusted.
    r = client.get("/_dash-layout", headers=user, environ_base={"REMOTE_ADDR": "192.168.1.9"})
    assert r.status_code == 403
    # From the proxy but without a user (the proxy did not authenticate): refused.
    for headers in (
        {},
        {"X-Forwarded-User": ""},
        {"X-Forwarded-User": "a\x01b"},
        {"X-Forwarded-User": "x" * 1000},
    ):
        r = client.get("/_dash-layout", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert r.status_code == 401, headers


def test_header_mode_every_route(header_app):
    client = header_app.server.test_client()
    for url in routes(header_app):
        r = client.get(url, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert r.status_code == 401, url
        r = client.get(
            url, headers={"X-Forwarded-User": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.5"}
        )
        assert r.status_code == 403, url


def test_cross_site_posts_are_refused(demo_trial):
    app = create_app(demo_trial)
    client = app.server.test_client()
    UPDATE = update_request(app)
    r = client.post(
        "/_dash-update-component", json=UPDATE, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403
    r = client.post(
        "/_dash-update-component", json=UPDATE, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert r.status_code == 200


def test_hash_password_cli(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert security.main(["hash-password", "--user", "carol", "--stdin"]) == 0
    line = capsys.readouterr().out.strip()
    user, _, hashed = line.partition(":")
    assert user == "carol" and hashed.startswith("scrypt:") and PASSWORD not in line
    from werkzeug.security import check_password_hash

    assert check_password_hash(hashed, PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert security.main(["hash-password", "--user", "carol", "--stdin"]) == 2
    assert security.main(["hash-password", "--user", "a:b", "--stdin"]) == 2


# -- headers, errors, limits --------------------------------------------------------------------


def test_security_headers_on_every_response(demo_trial):
    app = create_app(demo_trial)
    client = app.server.test_client()
    for url in routes(app) + ["/assets/../app.py", "/_dash-component-suites/x/y.js"]:
        r = client.get(url)
        h = r.headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        script_src = csp.split("script-src ")[1].split(";")[0].split()
        assert "'unsafe-inline'" not in script_src
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Server"] == "trial-dashboard"
        assert "Werkzeug" not in str(h) and "Python" not in str(h)
        if not url.startswith(("/assets/", "/_dash-component-suites/", "/_favicon.ico")):
            assert h["Cache-Control"] == "no-store", url


def test_csp_hashes_match_the_inline_scripts(demo_trial):
    import hashlib
    import re

    app = create_app(demo_trial)
    r = app.server.test_client().get("/")
    page = re.sub(r"<!--.*?-->", "", r.get_data(as_text=True), flags=re.S)  # IE-only comment
    allowed = r.headers["Content-Security-Policy"].split("script-src ")[1].split(";")[0]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable  # Dash's renderer start-up
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_page_title_from_data_is_escaped(tmp_path, monkeypatch):
    from trial.loader import load_trial

    from factories import study_dict, write_trial

    study = study_dict()
    study["short_title"] = "</title><script>alert(1)</script>"
    app = create_app(load_trial(write_trial(tmp_path, study=study)))
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_server_header_of_the_development_server(demo_trial):
    from werkzeug.serving import make_server

    app = create_app(demo_trial)
    server = make_server(
        "127.0.0.1", 0, app.server, threaded=True, request_handler=security.QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_dash-layout") as r:
            assert r.headers["Server"] == "trial-dashboard"
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "/assets/../app.py",
        "/assets/..%2fapp.py",
        "/assets/%2e%2e/app.py",
        "/assets/%2e%2e%2fapp.py",
        "/assets/..\\app.py",
        "/assets/..%5capp.py",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/app.css/../../security.py",
        "/assets/%252e%252e/app.py",
        "/assets/\x00",
        "/_dash-component-suites/../../etc/passwd",
        "/_dash-component-suites/dash/../../app.py",
        "/_dash-component-suites/dash/%2e%2e/%2e%2e/app.py",
        "/_dash-component-suites/dash/..%2f..%2fapp.py",
        "/_dash-component-suites/dash/deps/..%2f..%2f..%2fsecurity.py",
        "/_dash-component-suites/%2e%2e/app.py",
        "/_dash-component-suites/os/path.py",
        "/_dash-component-suites/dash/dash.py",
        "/_dash-component-suites/dash/__init__.py",
        "/static/../app.py",
        "/..%2fapp.py",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/a/../../app.py",
    ],
)
def test_path_traversal_is_refused(demo_trial, url):
    client = create_app(demo_trial).server.test_client()
    r = client.get(url)
    assert r.status_code == 404, (url, r.status_code)
    body = r.get_data(as_text=True)
    assert body == "Not found.\n"


def test_error_pages_are_generic(demo_trial):
    client = create_app(demo_trial).server.test_client()
    r = client.delete("/_dash-layout")
    assert (r.status_code, r.data) == (405, b"Method not allowed.\n")
    r = client.post("/_dash-update-component", data=b"{not json", content_type="application/json")
    assert (r.status_code, r.data) == (400, b"Bad request.\n")
    r = client.post("/_dash-update-component", json={"output": "nothing.children"})
    assert (r.status_code, r.data) == (400, b"Bad request.\n")


SECRET_ID = "P-SECRET-0042"


@pytest.fixture
def captured_logs():
    """What the security log and the Flask app's own logger write."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    loggers = [security.log, logging.getLogger("app")]  # app.logger: Flask("app") of create_app
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def failing_routes(app):
    """A page route that fails with patient data in the message, and an after_request hook that
    fails (Flask logs that one itself, with `app.logger`)."""

    def patient(pid):
        raise ValueError(f"patient {pid} has value 17.3")

    app.server.add_url_rule("/test-patients/<pid>", "test_patient", patient)

    @app.server.after_request
    def fail_late(response):
        if flask.request.path.startswith("/test-late/"):
            raise KeyError(f"patient {SECRET_ID}")
        return response

    return app


@pytest.mark.parametrize("url", [f"/test-patients/{SECRET_ID}", f"/test-late/{SECRET_ID}"])
def test_server_errors_are_generic_and_logged_without_messages(demo_trial, captured_logs, url):
    app = failing_routes(create_app(demo_trial))
    assert app.server.logger is logging.getLogger("app")
    r = app.server.test_client().get(url)
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert body.startswith("Internal error. Reference ")
    assert "Traceback" not in body and ".py" not in body and "Error" not in body
    assert SECRET_ID not in body and "17.3" not in body
    logged = captured_logs.getvalue()
    ref = body.split("Reference ")[1].split(":")[0]
    assert f"ref={ref}" in logged and "test_security.py:" in logged  # type and where
    assert ("ValueError" if "patients" in url else "KeyError") in logged
    assert SECRET_ID not in logged and "17.3" not in logged and "Traceback" not in logged


def test_exceptions_logged_by_flask_lose_their_message(demo_trial, captured_logs):
    """Whatever logs an exception on app.logger (Flask's log_exception, a view's own
    logger.exception) logs its type and code locations only."""
    app = create_app(demo_trial)
    with app.server.test_request_context(f"/patients/{SECRET_ID}"):
        try:
            raise RuntimeError(f"patient {SECRET_ID}")
        except RuntimeError:
            app.server.logger.exception("failed on %s", flask.request.path)
    logged = captured_logs.getvalue()
    assert "RuntimeError" in logged and "test_security.py:" in logged
    assert SECRET_ID not in logged and "Traceback" not in logged


def test_request_size_limit(demo_trial, monkeypatch):
    monkeypatch.setenv("TRIAL_MAX_REQUEST_MB", "1")
    monkeypatch.setenv("TRIAL_UPLOADS", "off")
    app = create_app(demo_trial)
    assert app.server.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    r = app.server.test_client().post(
        "/_dash-update-component", data=b"x" * (1024 * 1024 + 1), content_type="application/json"
    )
    assert r.status_code == 413
    assert r.data == b"The request is too large: the limit is 1 MB. Nothing was processed.\n"


# -- callback errors ----------------------------------------------------------------------------


def failing_app(trial):
    app = create_app(trial)
    add_to_page(app, html.Button(id="boom-button"), html.Div(id="boom-out"))

    @app.callback(
        Output("boom-out", "children"), Input("boom-button", "n_clicks"), prevent_initial_call=True
    )
    def boom(_n):
        raise ValueError(f"patient {SECRET_ID} has value 17.3")  # data in the message

    return app


@pytest.fixture
def captured_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    security.log.addHandler(handler)
    yield stream
    security.log.removeHandler(handler)


def test_callback_error_gives_friendly_message_and_clean_log(demo_trial, captured_log):
    app = failing_app(demo_trial)
    r = app.server.test_client().post(
        "/_dash-update-component",
        json={
            "output": "boom-out.children",
            "outputs": {"id": "boom-out", "property": "children"},
            "inputs": [{"id": "boom-button", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["boom-button.n_clicks"],
            "state": [],
        },
    )
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    side = json.loads(body)["sideUpdate"][ids.APP_ERROR]
    assert side["is_open"] is True
    message = side["children"]
    assert message.startswith("This view could not be updated.")
    ref = message.split("reference ")[1].rstrip(".")
    assert len(ref) == 8
    assert SECRET_ID not in body and "17.3" not in body and "Traceback" not in body
    assert "boom-out" not in json.loads(body).get("response", {})  # outputs left unchanged
    logged = captured_log.getvalue()
    assert f"ref={ref}" in logged and "ValueError" in logged and "boom-out.children" in logged
    assert "test_security.py" in logged  # where it happened
    assert SECRET_ID not in logged and "17.3" not in logged


def test_error_component_is_in_the_layout(demo_trial):
    app = create_app(demo_trial)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert f'"id":"{ids.APP_ERROR}"' in layout.replace(" ", "")


# -- audit log ----------------------------------------------------------------------------------


def test_audit_log_records_loads_and_exports_without_data(
    tmp_path, monkeypatch, users_file, demo_trial
):
    log_path = tmp_path / "logs" / "audit.jsonl"
    monkeypatch.setenv("TRIAL_AUDIT_LOG", str(log_path))
    monkeypatch.setenv("TRIAL_AUTH", "basic")
    monkeypatch.setenv("TRIAL_USERS_FILE", str(users_file))
    app = create_app(demo_trial)
    create_app(demo_trial)  # a second load appends
    with app.server.test_request_context("/"):
        import flask

        flask.g.trial_user = "alice"
        security.audit(
            "export", fingerprint=demo_trial.fingerprint, view="survival", format="csv", rows=40
        )
        with pytest.raises(TypeError, match="text or a number"):
            security.audit("export", rows=demo_trial.patients)
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [r["action"] for r in records] == ["load", "load", "export"]
    load, _, export = records
    assert load["fingerprint"] == demo_trial.fingerprint and load["patients"] == 40
    assert load["user"].startswith("system") and load["time"].endswith("+00:00")
    assert export["user"] == "alice" and export["view"] == "survival"
    text = log_path.read_text()
    for pid in demo_trial.patients["patient_id"]:
        assert f'"{pid}"' not in text
    assert oct(log_path.stat().st_mode & 0o777) == "0o600"


def test_audit_is_off_by_default(demo_trial, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app(demo_trial)
    with app.server.app_context():
        security.audit("export", fingerprint="x")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_audit_log_refuses_to_start(tmp_path, monkeypatch, demo_trial):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TRIAL_AUDIT_LOG", str(blocker / "audit.jsonl"))
    with pytest.raises(security.ConfigError, match="TRIAL_AUDIT_LOG"):
        create_app(demo_trial)


# -- malformed callback requests ----------------------------------------------------------------


@pytest.fixture(scope="module")
def default_app(demo_trial):
    """One app for all the examples of a property-based test (building one takes a while)."""
    return create_app(demo_trial)


def malformed_bodies(valid: dict) -> list:
    without = [{k: v for k, v in valid.items() if k != key} for key in valid]
    retyped = [
        dict(valid, **{key: value})
        for key in valid
        for value in (None, 1, "x", [1], {"a": 1}, [[1]])
    ]
    one_input_short = dict(valid, inputs=valid["inputs"][:-1])
    bad_items = [
        dict(valid, inputs=[{"id": "x"}] + valid["inputs"][1:]),
        dict(valid, inputs=[{"property": "value"}] + valid["inputs"][1:]),
        dict(valid, inputs=[{"id": 1, "property": "value"}] + valid["inputs"][1:]),
        dict(valid, outputs={"id": ids.SELECTED_COUNT}),
        dict(valid, changedPropIds=[1]),
    ]
    return [{}, [], "x", 1, None, [valid], *without, *retyped, one_input_short, *bad_items]


def test_malformed_callback_requests_get_400_never_500(demo_trial):
    app = create_app(demo_trial)
    client = app.server.test_client()
    valid = update_request(app)
    assert client.post("/_dash-update-component", json=valid).status_code == 200
    answers = {}
    for body in malformed_bodies(valid):
        r = client.post("/_dash-update-component", json=body)
        answers.setdefault(r.status_code, []).append(body)
    # Keys Dash does without (state, changedPropIds) may be left out; nothing gets a 500.
    assert set(answers) <= {200, 400} and len(answers.get(400, [])) >= 40
    optional = {"state", "changedPropIds"}
    assert all(set(valid) - set(body) <= optional for body in answers.get(200, []))
    for data, kind in (
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b"output=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "text/plain"),
    ):
        r = client.post("/_dash-update-component", data=data, content_type=kind)
        assert (r.status_code, r.data) == (400, b"Bad request.\n"), (data, kind)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_json_callback_body_gets_200_or_400(default_app, data):
    app = default_app
    valid = update_request(app)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )
    body = dict(valid, inputs=list(valid["inputs"]))
    if data.draw(st.booleans()):  # one input (its id, property or value) replaced
        body["inputs"][data.draw(st.integers(0, len(body["inputs"]) - 1))] = data.draw(
            st.fixed_dictionaries(
                {}, optional={"id": json_values, "property": json_values, "value": json_values}
            )
        )
    for key in data.draw(st.lists(st.sampled_from(sorted(valid)), max_size=3, unique=True)):
        if data.draw(st.booleans()):
            del body[key]
        else:
            body[key] = data.draw(json_values)
    r = app.server.test_client().post("/_dash-update-component", json=body)
    assert r.status_code in (200, 400), body


def test_outputs_that_do_not_fit_the_callback_are_refused(default_app):
    """A single output sent as a list (even empty), or a multi-output callback with more or
    fewer outputs than it has: 400, not a server error (found by the fuzz test above)."""
    client = default_app.server.test_client()
    single = update_request(default_app)
    assert not single["output"].startswith("..")
    for outputs in ([], [single["outputs"]], [single["outputs"], single["outputs"]]):
        r = client.post("/_dash-update-component", json=dict(single, outputs=outputs))
        assert r.status_code == 400, outputs
    assert client.post("/_dash-update-component", json=single).status_code == 200


def test_a_multi_output_callback_needs_each_of_its_outputs(default_app):
    client = default_app.server.test_client()
    key = f"..{ids.DASHBOARD_PAGE}.hidden...{ids.PATIENT_PAGE}.hidden.."
    deps = json.loads(client.get("/_dash-dependencies").data)
    cb = next(d for d in deps if d["output"] == key)
    both = [
        {"id": ids.DASHBOARD_PAGE, "property": "hidden"},
        {"id": ids.PATIENT_PAGE, "property": "hidden"},
    ]
    body = {
        "output": key,
        "inputs": [dict(i, value="/") for i in cb["inputs"]],
        "state": [],
        "changedPropIds": [],
    }
    for outputs in ([], both[:1], both + both[:1], both[0]):
        r = client.post("/_dash-update-component", json=dict(body, outputs=outputs))
        assert r.status_code == 400, outputs
    assert client.post("/_dash-update-component", json=dict(body, outputs=both)).status_code == 200
