"""The bounds on loading: the bounded check process (trial/bounded.py), the checks before
parsing (trial/precheck.py, trial/xport.py), strict JSON (trial/jsonfile.py), the Unicode rules
(trial/text.py), and the upload store's slots and clean-up after killed workers
(trial/sessions.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import bounded_work
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.hostile import adam_xpt
from components.state.routes import patient_path, resolve_patient
from trial.bounded import run_bounded
from trial.jsonfile import parse
from trial.limits import Limits
from trial.loader import load_trial, load_trial_bounded
from trial.model import DataError
from trial.precheck import Structure, inspect, missing_rows
from trial.text import identifier_problem, normal, shown
from trial.xport import read_layout

from factories import write_trial

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data"
QUICK = Limits(seconds=20, memory_mb=1024)


# --- the bounded check ---------------------------------------------------------------------


def test_a_check_beyond_its_time_is_stopped_and_names_the_file():
    start = time.monotonic()
    with pytest.raises(DataError) as caught:
        run_bounded(bounded_work.sleep_on, ("measurements.xlsx", 60), Limits(seconds=1), "trial")
    assert time.monotonic() - start < 10
    (finding,) = caught.value.findings
    assert finding.file == "measurements.xlsx" and caught.value.unreadable
    assert "stopped after 1 s, its time limit" in finding.message


def test_a_check_beyond_its_memory_is_stopped_and_names_the_file():
    with pytest.raises(DataError) as caught:
        run_bounded(bounded_work.allocate, (), Limits(seconds=30, memory_mb=256), "trial")
    (finding,) = caught.value.findings
    assert finding.file == "big.csv" and "more than 256 MB of memory, its limit" in finding.message


def test_a_crashing_reader_and_a_defect_are_findings_naming_the_file():
    with pytest.raises(DataError) as caught:
        run_bounded(bounded_work.abort, (), QUICK, "trial")
    assert caught.value.findings[0].file == "adsl.xpt"
    assert "ended abnormally" in caught.value.findings[0].message
    with pytest.raises(DataError) as caught:
        run_bounded(bounded_work.fail, (), QUICK, "trial")
    (finding,) = caught.value.findings
    assert finding.file == "events.csv" and "unexpected problem (KeyError)" in finding.message
    assert "a defect" not in finding.message  # the exception's own text is never shown


def test_the_bounded_load_gives_the_same_trial(demo_trial):
    bounded = load_trial_bounded(DEMO, QUICK)
    assert bounded.findings == demo_trial.findings
    assert bounded.fingerprint == demo_trial.fingerprint
    for name in ("patients", "measurements", "events", "tte"):
        pd.testing.assert_frame_equal(bounded.frame(name), demo_trial.frame(name))
    assert bounded.measure_codes == demo_trial.measure_codes  # derived again on arrival


def test_a_threaded_caller_gets_its_check_from_a_fork_server(demo_trial):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert threading.active_count() > 1
        assert len(load_trial_bounded(DEMO, QUICK).patients) == len(demo_trial.patients)
    finally:
        stop.set()
        other.join()


def test_the_check_command_stops_at_its_time_limit(tmp_path, capsys, monkeypatch):
    import trial.loader
    from trial.cli import main

    folder = write_trial(tmp_path / "t")

    # the check's process imports the replacement by name (bounded_work)
    monkeypatch.setattr(trial.loader, "_convert", bounded_work.slow_convert)
    assert main(["check", str(folder), "--max-seconds", "1"]) == 2
    out = capsys.readouterr().out
    assert "ERROR: patients.csv: the check was stopped after 1 s, its time limit" in out


# --- XPORT layout --------------------------------------------------------------------------


@pytest.mark.parametrize("version", [5, 8])
def test_the_xport_layout_finds_every_way_a_file_is_not_whole(version):
    data = adam_xpt(version)["adsl.xpt"]
    whole = read_layout(data)
    assert whole.problem is None and whole.rows_min <= 36 <= whole.rows_max
    assert whole.dataset == "ADSL" and whole.members == ("ADSL",) and whole.variables == 5
    for cut in (len(data) - 1, len(data) - 80, len(data) // 2 // 80 * 80 + 80, len(data) * 3 // 4):
        assert read_layout(data[:cut]).problem, cut
    two = data + adam_xpt(version)["adlbc.xpt"][240:]
    assert read_layout(two).members == ("ADSL", "ADLBC")
    assert read_layout(b"not a transport file") is None


def test_pyreadstat_reads_a_cut_xpt_silently_and_the_loader_refuses_it(tmp_path):
    import pyreadstat

    data = adam_xpt(5)["adsl.xpt"]
    layout, start = read_layout(data), data.find(b"OBS     HEADER RECORD") - 20 + 80
    cut = next(
        c
        for c in range(len(data) * 3 // 4 // 80 * 80, 0, -80)
        if (c - start) % layout.record_length
    )  # on an 80-byte record, mid-observation
    (tmp_path / "adsl.xpt").write_bytes(data[:cut])
    rows = len(pyreadstat.read_xport(str(tmp_path / "adsl.xpt"))[0])
    assert rows < 36  # read without a word
    with pytest.raises(DataError) as caught:
        load_trial(tmp_path)
    assert caught.value.findings[0].file == "adsl.xpt"
    assert "incomplete" in caught.value.findings[0].message


def test_a_v5_xpt_cut_where_an_observation_and_a_record_end_cannot_be_told(tmp_path):
    """The one cut the format cannot reveal (documented in trial/xport.py): version 5 states no
    count of observations."""
    data = adam_xpt(5)["adsl.xpt"]
    layout, start = read_layout(data), data.find(b"OBS     HEADER RECORD") - 20 + 80
    cut = next(
        c for c in range(start + 80, len(data), 80) if (c - start) % layout.record_length == 0
    )
    assert read_layout(data[:cut]).problem is None


def test_the_pilot_xpt_files_are_whole(shared_data):
    for path in sorted((shared_data / "cdiscpilot01").glob("*.xpt")):
        layout = read_layout(path.read_bytes())
        assert layout.problem is None and len(layout.members) == 1, path.name


# --- checks before parsing -----------------------------------------------------------------


def test_csv_columns_are_counted_with_their_quotes():
    header = b'"a,b",' + b",".join(b"c%d" % i for i in range(4)) + b"\n1,2,3,4,5\n"
    assert not inspect(Path("x.csv"), header, Limits(columns=5)).refused
    found = inspect(Path("x.csv"), header, Limits(columns=4)).findings
    assert found[0].message.startswith("columns: 5, more than the limit of 4")


def test_cells_count_rows_times_columns():
    data = b"a,b,c\n" + b"1,2,3\n" * 100
    assert inspect(Path("x.csv"), data, Limits(cells=300)).refused is False
    assert "cells (100 lines × 3 columns): 300" not in str(
        inspect(Path("x.csv"), data, Limits(cells=300)).findings
    )
    assert (
        "cells (100 lines × 3 columns)"
        in inspect(Path("x.csv"), data, Limits(cells=299)).findings[0].message
    )


def test_rows_read_are_compared_with_the_rows_stated():
    assert missing_rows("a.xpt", Structure(rows=(36, 36)), 36) == []
    (lost,) = missing_rows("a.xpt", Structure(rows=(36, 36)), 30)
    assert (
        lost.file == "a.xpt" and "only 30 rows could be read, but the file holds 36" in lost.message
    )
    assert missing_rows("a.csv", Structure(), 5) == []


# --- strict JSON ---------------------------------------------------------------------------


def test_json_problems_name_their_key_path():
    value, found = parse(
        "study.json",
        '{"visits": [{"day": 1, "day": 2}], '
        '"measures": [{"min": ' + "7" * 400 + "}], "
        '"title": "a\\ud800"}',
    )
    messages = {f.key: f.message for f in found}
    assert "given twice" in messages["visits[0].day"]
    assert "400 digits" in messages["measures[0].min"]
    assert "cannot be written as UTF-8" in messages["title"]
    assert value["measures"][0]["min"] is None and value["title"] == "a\ufffd"
    assert value["visits"][0]["day"] == 2
    assert (
        parse("study.json", "[" * 50_000 + "]" * 50_000)[1][0].message
        == "not usable JSON: nested too deeply"
    )


def test_json_texts_are_read_in_nfc():
    value, found = parse("adam.json", '{"title": "Jose\\u0301"}')
    assert found == [] and value["title"] == "Jos\u00e9"


# --- Unicode rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("P\u200b1", "U+200B ZERO WIDTH SPACE"),
        ("\u202eP1", "direction-control"),
        ("P\u2066", "direction-control"),
        ("P\u00a01", "U+00A0 NO-BREAK SPACE"),
        ("P\x07", "control"),
        ("P\ufeff", "U+FEFF"),
        ("P\u2028", "a space other than"),
    ],
)
def test_identifiers_must_be_visible(text, words):
    assert words in identifier_problem(text)


def test_patient_ids_must_fit_the_page_address():
    assert identifier_problem("a/b", patient_id=True) is None
    for bad in (".", "..", "a\\b", "x" * 65):
        assert identifier_problem(bad, patient_id=True)
        assert identifier_problem(bad) is None  # fine as a center or a code


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=70))
def test_every_patient_id_the_loader_accepts_has_a_working_page(text):
    """trial/text.py's rules and components/pages.py's route agree: an id the loader accepts
    (stripped, as every cell is) resolves to itself through its page's address."""
    pid = normal(text.strip())
    if not pid or identifier_problem(pid, patient_id=True):
        return
    assert resolve_patient(patient_path(pid), [pid]) == pid


def test_findings_show_invisible_characters_as_escapes():
    assert shown("P\u200b1") == "P\\u200b1" and shown("x" * 100, 10) == "x" * 9 + "…"


# --- the upload store ----------------------------------------------------------------------


def _store(root: Path, **kw):
    from trial.sessions import SessionSettings, SessionStore

    return SessionStore(root, SessionSettings(**kw))


def _demo_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir()) if p.suffix != ".md"]


def _partial(root: Path, marker: dict | None, age: float = 0) -> Path:
    from trial.sessions import CHECKING, DATA

    folder = root / os.urandom(16).hex()
    (folder / DATA).mkdir(parents=True)
    if marker is not None:
        (folder / CHECKING).write_text(json.dumps(marker))
    then = time.time() - age
    for p in (folder / CHECKING, folder):
        if p.exists():
            os.utime(p, (then, then))
    return folder


def test_folders_of_checks_that_will_never_finish_go_and_do_not_count(tmp_path):
    import socket

    gone = subprocess.Popen(["true"])
    gone.wait()
    store = _store(tmp_path / "up", max_sessions=2)
    host = socket.gethostname()
    dead = _partial(store.root, {"pid": gone.pid, "host": host})
    old = _partial(
        store.root, {"pid": os.getpid(), "host": host}, age=store.settings.abandoned_after + 1
    )
    running = _partial(store.root, {"pid": os.getpid(), "host": host})
    elsewhere = _partial(store.root, {"pid": gone.pid, "host": "another-host"})
    store.sweep(force=True)
    assert not dead.exists() and not old.exists()
    assert running.exists() and elsewhere.exists()  # a live check; another host's, young
    for folder in (running, elsewhere):
        import shutil

        shutil.rmtree(folder)
    for _ in range(2):
        _partial(store.root, {"pid": gone.pid, "host": host})
    store.create(_demo_files(), owner="ana")  # the abandoned ones do not fill the server


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # a zombie waiting to be reaped has ended


def test_a_worker_killed_during_a_check_leaves_nothing_behind(tmp_path):
    """A real process starts an upload whose bounded check hangs, and is killed (SIGKILL, as
    gunicorn kills a worker past its timeout): its check process dies with it, its folder is
    removed by the next sweep of another process, and its slot is free at once."""
    root = tmp_path / "up"
    script = f"""
import os, sys, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import trial.loader
from trial.sessions import SessionSettings, SessionStore
files = [(p.name, p.read_bytes()) for p in sorted(Path({str(DEMO)!r}).iterdir())
         if p.suffix != ".md"]
sys.path.insert(0, {str(ROOT / "tests")!r})
import bounded_work
trial.loader._convert = bounded_work.hanging_convert  # the check's process imports it by name
SessionStore(Path({str(root)!r}), SessionSettings(max_checking=1)).create(files, owner="ana")
"""
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        word, child = worker.stdout.readline().split()
        assert word == "checking" and int(child) != worker.pid
        store = _store(root, max_checking=1, max_sessions=1, slot_wait_seconds=0.5)
        with pytest.raises(DataError) as caught:  # its slot is taken while it checks
            store.create(_demo_files(), owner="bob")
        assert "try again in a minute" in caught.value.findings[0].message
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 10
    while not _gone(int(child)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(int(child))  # the check died with its worker
    _, dataset, _ = store.create(_demo_files(), owner="bob")  # slot free, folder gone
    assert len(dataset.trial.patients) == 40
    assert len([p for p in root.iterdir() if not p.name.startswith(".")]) == 1


def test_checks_beyond_the_servers_slots_wait_then_are_refused(tmp_path):
    from trial.sessions import SessionSettings, SessionStore

    entered, release = threading.Event(), threading.Event()

    def slow(path):
        entered.set()
        release.wait(30)
        return load_trial(path)

    store = SessionStore(
        tmp_path / "up", SessionSettings(max_checking=1, slot_wait_seconds=0.3), load=slow
    )
    first = threading.Thread(target=store.create, args=(_demo_files(), "ana"))
    first.start()
    try:
        assert entered.wait(30)
        with pytest.raises(DataError) as caught:
            store.create(_demo_files(), owner="bob")
        assert caught.value.findings[0].file == "upload"
    finally:
        release.set()
        first.join()


def test_a_session_that_cannot_be_read_again_is_gone_not_an_error(tmp_path):
    from trial.model import Finding
    from trial.sessions import SessionSettings, SessionStore

    token, _, _ = _store(tmp_path / "up").create(_demo_files(), owner="ana")

    def stopped(path):
        raise DataError([Finding("error", "measurements.csv", "stopped")], unreadable=True)

    other = SessionStore(tmp_path / "up", SessionSettings(), load=stopped)  # another worker
    assert other.get(token, "ana") is None


def test_a_user_has_one_upload_checked_at_a_time(tmp_path):
    from trial.sessions import SessionSettings, SessionStore

    entered, release = threading.Event(), threading.Event()

    def slow(path):
        entered.set()
        release.wait(30)
        return load_trial(path)

    store = SessionStore(tmp_path / "up", SessionSettings(max_checking=2), load=slow)
    first = threading.Thread(target=store.create, args=(_demo_files(), "ana"))
    first.start()
    try:
        assert entered.wait(30)
        start = time.monotonic()
        with pytest.raises(DataError) as caught:
            store.create(_demo_files(), owner="ana")
        assert time.monotonic() - start < 1  # refused at once, not waited for
        assert "previous upload is still being checked" in caught.value.findings[0].message
    finally:
        release.set()
        first.join()
