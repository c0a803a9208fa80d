"""Real-browser test (dash_duo, headless Chromium): a user opens a dataset of their own from the
header, sees it checked and explores it in their session, then closes it; a broken dataset is
refused with its findings and changes nothing."""

from __future__ import annotations

import pytest

from components import ids

from conftest import start_dashboard, wait_until
from factories import study_dict, valid_tables, write_trial

pytestmark = pytest.mark.browser


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setenv("TRIAL_UPLOAD_DIR", str(root))
    return root


def other_trial_files(folder, *, title: str, **tables) -> list[str]:
    study = study_dict()
    study["title"] = title
    written = write_trial(folder, study=study, **{"tables": valid_tables(), **tables})
    (written / "README.md").write_text("notes")
    return [str(p) for p in sorted(written.iterdir())]


def drop_files(duo, paths: list[str]) -> None:
    """Choose files as a user would in the dialog's file picker (assets/upload.js)."""
    duo.find_element(f"#{ids.UPLOAD_OPEN}").click()
    zone = duo.wait_for_element(f"#{ids.UPLOAD_FILES}")
    file_input = duo.driver.execute_script(
        "return window.trialUpload.input('files', arguments[0], arguments[1]);",
        zone.get_attribute("data-url"),
        zone.get_attribute("data-limit"),
    )
    file_input.send_keys("\n".join(paths))


def title(duo) -> str:
    return duo.find_element(".app-title").text


def test_open_explore_and_close_an_uploaded_dataset(dash_duo, demo_trial, tmp_path, uploads):
    duo = start_dashboard(dash_duo, demo_trial)
    demo_title = title(duo)
    drop_files(duo, other_trial_files(tmp_path / "other", title="Uploaded pilot study"))
    wait_until(lambda: title(duo) == "Uploaded pilot study", timeout=30)
    duo.wait_for_element(f"#{ids.TRAJ_GRAPH} .main-svg", timeout=30)
    bar = duo.find_element(".upload-bar").text
    assert "Uploaded dataset: events.csv + 3 more files" in bar and "only in this browser" in bar
    assert len([p for p in uploads.iterdir() if p.is_dir() and not p.name.startswith(".")]) == 1
    duo.find_element(f"#{ids.UPLOAD_CLOSE}").click()
    wait_until(lambda: title(duo) == demo_title, timeout=30)
    assert [p for p in uploads.iterdir() if p.is_dir() and not p.name.startswith(".")] == []
    assert not duo.find_element(".upload-bar").is_displayed()


def test_a_page_whose_dataset_was_closed_elsewhere_says_so(dash_duo, demo_trial, tmp_path, uploads):
    duo = start_dashboard(dash_duo, demo_trial)
    drop_files(duo, other_trial_files(tmp_path / "other", title="Uploaded pilot study"))
    wait_until(lambda: title(duo) == "Uploaded pilot study", timeout=30)
    duo.wait_for_element(f"#{ids.TRAJ_GRAPH} .main-svg", timeout=30)
    duo.driver.delete_cookie("trial_session")  # as if closed in another tab
    duo.find_element(f"#{ids.FILTER_RESET}").click()
    duo.wait_for_contains_text(f"#{ids.APP_ERROR}", "no longer open in this browser", timeout=20)
    assert "of 40 " not in duo.find_element(f"#{ids.SELECTED_COUNT}").text


def test_a_broken_upload_lists_its_findings(dash_duo, demo_trial, tmp_path, uploads):
    duo = start_dashboard(dash_duo, demo_trial)
    demo_title = title(duo)
    events = valid_tables()["events"].copy()
    events.loc[0, "event"] = "infusoin"
    drop_files(duo, other_trial_files(tmp_path / "bad", title="Broken", events=events))
    duo.wait_for_contains_text(f"#{ids.UPLOAD_STATUS}", "The dataset was not opened", timeout=30)
    status = duo.find_element(f"#{ids.UPLOAD_STATUS}").text
    assert "events.csv" in status and "row 2" in status and "infusoin" in status
    assert (
        title(duo) == demo_title
        and [p for p in uploads.iterdir() if p.is_dir() and not p.name.startswith(".")] == []
    )


def test_files_over_the_limit_are_not_sent(dash_duo, demo_trial, tmp_path, uploads, monkeypatch):
    monkeypatch.setenv("TRIAL_MAX_UPLOAD_MB", "0.001")
    duo = start_dashboard(dash_duo, demo_trial)
    drop_files(duo, other_trial_files(tmp_path / "other", title="Too big"))
    duo.wait_for_contains_text(f"#{ids.UPLOAD_STATUS}", "Nothing was sent", timeout=20)
    assert "the limit is 0.0 MB" not in duo.find_element(f"#{ids.UPLOAD_STATUS}").text
    assert [p for p in uploads.iterdir() if p.is_dir() and not p.name.startswith(".")] == []
