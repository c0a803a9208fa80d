"""Hostile datasets (bench/hostile.py: resource exhaustion, silent data loss, exceptions,
questionable data, and variants of each) through the upload route and the command line: each
refused with a precise finding naming its file, or accepted with a warning; never a traceback,
never a 500, the serving process alive, nothing left on disk."""

from __future__ import annotations

import json

import pytest
from test_upload import post_upload, sessions_on_disk

from app import create_app
from bench.hostile import CASES, Hostile, write
from components.context import SESSIONS_CONFIG_KEY
from components.state.routes import patient_path, resolve_patient
from trial.cli import main as trial_cli


@pytest.fixture(scope="module")
def served(demo_trial, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TRIAL_UPLOAD_DIR", str(tmp_path_factory.mktemp("uploads")))
    app = create_app(demo_trial)
    yield app
    mp.undo()


def _named(case: Hostile, findings: list[dict]) -> dict | None:
    return next(
        (
            f
            for f in findings
            if case.expect in f["message"] and (not case.file or f["file"] == case.file)
        ),
        None,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_upload_is_refused_precisely_or_accepted_with_its_warning(served, case):
    client = served.server.test_client()
    store = served.server.config[SESSIONS_CONFIG_KEY]
    before = set(sessions_on_disk(store.root))
    r = post_upload(client, list(case.files().items()))
    assert r.status_code == 200, r.get_data(as_text=True)[:200]
    answer = r.get_json()
    if case.outcome == "refused":
        assert answer["opened"] is False, answer
        assert all(f["file"] for f in answer["findings"])
        assert _named(case, answer["findings"]), json.dumps(answer["findings"][:3])[:600]
        assert set(sessions_on_disk(store.root)) <= before  # nothing new kept
    else:
        assert answer["opened"] is True, json.dumps(answer)[:600]
        page = client.get("/_dash-layout")  # the uploaded dataset's page is served
        assert page.status_code == 200
        if case.expect:
            assert case.expect in page.get_data(as_text=True)  # the Data quality panel says it
        client.delete_cookie("trial_session")
    assert client.get("/").status_code == 200  # the process still serves


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_check_command_reports_each_case_without_a_traceback(tmp_path, capsys, case):
    folder = write(tmp_path / "data", case.files())
    code = trial_cli(["check", str(folder)])
    out = capsys.readouterr()
    report = out.out + out.err
    assert "Traceback" not in report and "check failed" not in report
    assert code in ((1, 2) if case.outcome == "refused" else (0,))
    assert case.expect in report
    if case.file:
        assert any(
            line.startswith(("ERROR: " + case.file, "WARNING: " + case.file))
            for line in report.splitlines()
        )


def test_every_class_of_the_attack_run_has_cases():
    kinds = {c.kind for c in CASES}
    assert kinds == {"resources", "loss", "exception", "questionable"}
    assert len(CASES) >= 50 and len({c.name for c in CASES}) == len(CASES)


def test_a_patient_id_with_a_slash_has_a_page(served):
    """The page route percent-encodes ids: '/' is accepted (see test_browser_hostile.py for
    the browser); ids the address cannot hold are refused by the loader (test above)."""
    assert patient_path("site/1") == "/patients/site%2F1"
    assert resolve_patient("/patients/site%2F1", ["site/1"]) == "site/1"
    assert served.server.test_client().get("/patients/site%2F1").status_code == 200


def test_app_start_on_hostile_data_prints_the_findings(tmp_path, capsys):
    import app

    case = next(c for c in CASES if c.name == "5,000-digit integer in study.json")
    folder = write(tmp_path / "data", case.files())
    assert app.main(["--data", str(folder)]) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("Cannot start") and "5,000 digits" in err and "Traceback" not in err


def test_upload_of_a_hostile_zip_names_the_member(served):
    from bench.hostile import million_columns, zipped

    client = served.server.test_client()
    archive = zipped({"trial/study.json": (b"{}"), "trial/patients.csv": million_columns()})
    answer = post_upload(client, [("trial.zip", archive)]).get_json()
    assert answer["opened"] is False
    assert any(
        f["file"] == "patients.csv" and "columns: 1,000,000" in f["message"]
        for f in answer["findings"]
    )
