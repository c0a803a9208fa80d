"""The benchmark scripts replay real callback requests: they must keep working as the app
changes (bench/run.py, bench/load.py are run by hand, not by the tests)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from app import create_app
from bench.run import (
    filter_callbacks,
    filter_states,
    free_port,
    initial_props,
    own_tab,
    request_body,
    shows_a_tab,
    wait_for,
)
from components import ids


def test_the_benchmark_replays_callback_requests_the_app_answers(demo_trial):
    app = create_app(demo_trial)
    values = initial_props(app)
    assert values[(ids.FILTER_CENTER, "value")] == demo_trial.centers
    states = filter_states(values)
    assert len(states) == len(demo_trial.centers) + 3  # centers one by one, then each group out
    client = app.server.test_client()
    callbacks = filter_callbacks(app)
    assert any(ids.TRAJ_GRAPH in cb["output"] for cb in callbacks)
    for cb in callbacks:
        changed = next(iter(states[0]))
        body = request_body(cb, {**values, **states[0]}, f"{changed[0]}.{changed[1]}")
        r = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert r.status_code in (200, 204), cb["output"]
        if shows_a_tab(cb):  # measured with its tab on screen: it computes and answers
            assert r.status_code == 200 and r.get_json()["response"], cb["output"]
    views = [cb for cb in callbacks if shows_a_tab(cb)]
    assert {ids.TAB_TRAJECTORIES, ids.TAB_SURVIVAL, ids.TAB_TABLES} <= {own_tab(v) for v in views}


def test_the_export_benchmark_makes_a_deck(monkeypatch):
    from bench.run import export_times

    from conftest import DEMO

    row = export_times(DEMO, repeats=1)
    assert row["deck_slides"] == 6 and row["deck_bytes"] > 10_000
    assert row["png_job_ms"] > 0 and row["deck_route_ms"] > 0


def test_waiting_for_an_app_that_ended_fails_at_once():
    """A dataset the app refuses ends it: the benchmark says so instead of waiting 10 minutes."""
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="exit 3"):
        wait_for(f"http://127.0.0.1:{free_port()}/", start + 600, proc)
    assert time.monotonic() - start < 5
