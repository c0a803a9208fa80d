"""Shared fixtures. Browser tests need Debian's chromium and chromium-driver: where they are
missing the browser tests are skipped with the reason, except under CI, where that is a failure."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def browser_available() -> bool:
    return bool(shutil.which("chromedriver")) and bool(
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: every dash_duo test is a browser test
def pytest_collection_modifyitems(config, items):
    browser_tests = [i for i in items if "dash_duo" in getattr(i, "fixturenames", ())]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    if browser_available():
        return
    reason = (
        "headless Chromium and chromedriver are not installed "
        "(apt-get install chromium chromium-driver)"
    )
    if browser_tests and os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests, but {reason}")
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Every test's loads keep their validated trials in a store of its own (trial/store.py),
    never in the user's cache folder, and no test is served what another stored."""
    monkeypatch.setenv("TRIAL_STORE_DIR", str(tmp_path_factory.mktemp("store") / "store"))


@pytest.fixture(scope="session")
def demo_trial():
    from trial.loader import load_trial

    return load_trial(DEMO)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"public test data not found at {SHARED_DATA} (present in CI, absent on user clones)"
        )
    return SHARED_DATA


def free_port() -> int:
    """A free loopback port: not dash_duo's default 8050, which other runs may be serving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(
    duo,
    trial,
    *,
    ready: str | None = None,
    timeout: float = 30,
    size: tuple[int, int] = (1500, 1100),
):
    """Serve `create_app(trial)` to the dash_duo browser and wait until `ready` has rendered."""
    from app import create_app
    from components import ids

    duo.driver.set_window_size(*size)
    duo.start_server(create_app(trial), port=free_port())
    duo.wait_for_element(ready or f"#{ids.TRAJ_GRAPH} .main-svg", timeout=timeout)
    return duo


def wait_until(predicate, timeout: float = 20.0, msg="condition not met in time") -> None:
    """Wait for `predicate()` to hold in the browser (exceptions while a view redraws count as
    not yet); fail after `timeout` seconds, with `msg` (or `msg()`, to say what was seen)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if predicate():
                return
        except Exception:  # the page is being redrawn
            pass
        time.sleep(0.2)
    raise AssertionError(msg() if callable(msg) else msg)


def page(app):
    """The page the app serves at "/" to a browser without an uploaded dataset."""
    with app.server.test_request_context("/"):
        return app.layout()


def page_components(app) -> dict:
    """The page's components that have a plain (text) id, by id."""
    return {c.id: c for c in page(app)._traverse() if isinstance(getattr(c, "id", None), str)}


def add_to_page(app, *components) -> None:
    """Serve `components` in the page too (tests that add a callback of their own)."""
    from dash import html

    served = app.layout
    app.layout = lambda: html.Div([served(), *components])
    app.validation_layout = None


@pytest.fixture
def started(dash_duo, demo_trial):
    """The dashboard on the demo trial, first figure drawn."""
    return start_dashboard(dash_duo, demo_trial)


def trajectory_view_of(
    trial,
    flt=None,
    measure="sledai",
    group="none",
    statistic="mean_sd",
    scale="value",
    test="paired_t",
    show_individual=False,
):
    """(figure, table rows, notes) of the trajectories view for one state of the controls, as
    the view's callback computes them."""
    from components.figures.trajectory import TrajectoryOptions, trajectory_view
    from trial.analysis.cohort import Cohort
    from trial.analysis.trajectories import TrajectoryRequest, analyse_trajectories
    from trial.filters import PatientFilter

    cohort = Cohort(flt or PatientFilter())
    result = analyse_trajectories(trial, TrajectoryRequest(cohort, measure, group, scale, test))
    v = trajectory_view(trial, result, TrajectoryOptions(statistic, show_individual))
    return v.figure, v.rows, v.notes


def settled(sample, quiet: float = 1.0, timeout: float = 30.0):
    """The value of `sample()` once it has stayed the same for `quiet` seconds (the page has
    stopped changing); fail after `timeout` seconds."""
    end = time.time() + timeout
    value, since = sample(), time.time()
    while time.time() < end:
        time.sleep(0.2)
        now = sample()
        if now != value:
            value, since = now, time.time()
        elif time.time() - since >= quiet:
            return value
    raise AssertionError("the page kept changing")


def downloaded(folder, pattern: str, timeout: float = 90.0):
    """The first non-empty file matching `pattern` in `folder`, once the browser has written it."""
    from pathlib import Path

    found: list = []

    def ready() -> bool:
        found[:] = [p for p in Path(folder).glob(pattern) if p.stat().st_size]
        return bool(found)

    wait_until(ready, timeout=timeout, msg=f"no {pattern} downloaded")
    return found[0]
