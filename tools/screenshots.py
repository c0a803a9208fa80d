"""Screenshots of the dashboard's states in headless Chromium, for review and the README.

    python tools/screenshots.py [--data data] [--out screenshots] [--url-path /]

Starts the app on a free loopback port, drives it with Selenium, and writes one PNG per state.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from trial.loader import load_trial  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(width: int, height: int) -> webdriver.Chrome:
    opts = Options()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(options=opts)


def serve(data: Path) -> str:
    port = free_port()
    app = create_app(load_trial(data))
    threading.Thread(target=lambda: app.run(host="127.0.0.1", port=port), daemon=True).start()
    time.sleep(2)
    return f"http://127.0.0.1:{port}"


def settle(driver, seconds: float = 2.5) -> None:
    time.sleep(seconds)


def click(driver, css: str, index: int = 0) -> None:
    driver.execute_script("arguments[0].click()", driver.find_elements(By.CSS_SELECTOR, css)[index])


def choose(driver, dropdown_css: str, text: str) -> None:
    driver.find_element(By.CSS_SELECTOR, dropdown_css).click()
    for option in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
        if option.text == text:
            option.click()
            return
    raise ValueError(f"no option {text!r} in {dropdown_css}")


def full_page(driver, path: Path, width: int) -> None:
    """A screenshot of the whole page height (patient pages are long)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height + 40, 800))
    settle(driver, 1.5)
    driver.save_screenshot(str(path))


def patient_states(driver, url: str, out: Path, only: bool = False) -> None:
    """The Patients tab and the pages of a responder, a non-responder and deceased patients."""
    width = driver.get_window_size()["width"]
    driver.get(url)
    settle(driver, 4)
    click(
        driver,
        "#main-tabs a",
        [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#main-tabs a")].index("Patients"),
    )
    settle(driver, 3)
    full_page(driver, out / "10-patients-tab.png", width)
    for name, pid in (
        ("11-patient-responder-4", "4"),
        ("12-patient-non-responder-3", "3"),
        ("13-patient-deceased-14", "14"),
        ("14-patient-9-quality", "9"),
    ):
        driver.set_window_size(width, 1300)
        driver.get(f"{url}/patients/{pid}")
        settle(driver, 4)
        full_page(driver, out / f"{name}.png", width)
    driver.get(f"{url}/patients/does-not-exist")
    settle(driver, 3)
    driver.save_screenshot(str(out / "15-patient-not-found.png"))


def options_of(driver, dropdown_css: str) -> list[str]:
    """The option texts of a dropdown (opens and closes it)."""
    driver.find_element(By.CSS_SELECTOR, dropdown_css).click()
    time.sleep(0.4)
    texts = [o.text for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.2)
    return texts


def try_choose(driver, dropdown_css: str, text: str) -> bool:
    """Pick an option by its text, or return False (said on stderr) when the data have no such
    option. Long lists (e.g. 50 lab parameters) are searched first and the option is clicked by
    script, so it need not be scrolled into view."""
    driver.find_element(By.CSS_SELECTOR, dropdown_css).click()
    time.sleep(0.3)
    search = driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search")
    if search:
        search[0].send_keys(text)
        time.sleep(0.3)
    for option in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
        if option.text == text:
            driver.execute_script("arguments[0].click()", option)
            return True
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    print(f"skipped: no option {text!r} in {dropdown_css}", file=sys.stderr)
    return False


def open_tab(driver, label: str) -> bool:
    for link in driver.find_elements(By.CSS_SELECTOR, "#main-tabs a"):
        if link.text.startswith(label):
            driver.execute_script("arguments[0].click()", link)
            return True
    print(f"skipped: no tab {label!r}", file=sys.stderr)
    return False


def generic_states(driver, url: str, out: Path, measures: list[str]) -> None:
    """States that exist for any trial's data (e.g. CDISC ADaM): the options are read from the
    page, not assumed. `measures`: labels to show (default: the first two)."""
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#traj-measure")
            and d.find_elements(By.CSS_SELECTOR, "#traj-graph .main-svg")
        )
    )
    settle(driver, 2)

    def shot(name: str, seconds: float = 2.5) -> None:
        settle(driver, seconds)
        driver.save_screenshot(str(out / f"{name}.png"))

    offered = [m for m in options_of(driver, "#traj-measure") if not m.startswith("Key measures")]
    groups = options_of(driver, "#traj-group")
    wanted = measures or offered[:2]
    shot("01-trajectories", 0.5)
    try_choose(driver, "#traj-measure", "Key measures (small multiples)")
    shot("02-key-measures")
    for i, label in enumerate(wanted, start=1):
        if not try_choose(driver, "#traj-measure", label):
            continue
        # for the later measures: the third choice first (the responder group, or the arm)
        order = [g for g in groups if g != "None"]
        if i > 1 and len(order) > 1:
            order = order[1:2] + order[:1] + order[2:]
        for j, group in enumerate(order):
            try_choose(driver, "#traj-group", group)
            slug = "-".join(
                w.lower() for w in group.replace("×", "x").split()[:3] if w.isalnum() or w == "x"
            )
            shot(
                f"03-{i}{'abcdefghijklmnopqrstuvwxyz'[j % 26]}-"
                f"{label.split(' ')[0].lower()}-by-{slug}"
            )
            if j >= 2 or i > 1:  # every grouping for the first measure, one for the others
                break
    # individual lines on one panel: many WebGL panels at once are slow in headless Chromium
    if len(groups) > 2:
        try_choose(driver, "#traj-group", groups[2])
    click(driver, "#traj-individual")
    click(driver, "#traj-scale input", 1)
    shot("04-change-individual")
    if open_tab(driver, "Survival"):
        shot("05-survival", 4)
        full_page(driver, out / "05-survival-full.png", driver.get_window_size()["width"])
    driver.get(url)
    settle(driver, 4)
    for box in driver.find_elements(By.CSS_SELECTOR, "#filter-center input"):
        driver.execute_script("arguments[0].click()", box)
    shot("06-empty")


def effect_states(driver, url: str, out: Path) -> None:
    """The forest plot (Effects tab) and the mixed model's estimated means (Trajectories), the
    figure scrolled to the top of the window: docs/screenshot-forest.png, -model.png."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    for name, query, graph in (
        ("screenshot-forest", "?tab=effects", "#effects-graph"),
        ("screenshot-model", "?measure=sledai&group=response&statistic=model", "#traj-graph"),
    ):
        driver.get(url + query)
        WebDriverWait(driver, 60).until(
            lambda d, graph=graph: d.find_elements(By.CSS_SELECTOR, f"{graph} .main-svg")
        )
        settle(driver, 6)
        tabs = driver.find_element(By.CSS_SELECTOR, "#main-tabs")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", tabs)
        settle(driver, 1.5)
        driver.save_screenshot(str(out / f"{name}.png"))


def upload_states(driver, url: str, out: Path, folder: Path) -> None:
    """The "Open data" dialog, then the dashboard on the files of `folder` opened in it."""
    driver.get(url)
    settle(driver, 4)
    click(driver, "#upload-open")
    settle(driver, 1)
    driver.save_screenshot(str(out / "upload-01-dialog.png"))
    files = [str(p.resolve()) for p in sorted(folder.iterdir()) if p.is_file()]
    zone = driver.find_element(By.CSS_SELECTOR, "#upload-files")
    driver.execute_script(
        "return window.trialUpload.input('files', arguments[0]);", zone.get_attribute("data-url")
    ).send_keys("\n".join(files))
    WebDriverWait(driver, 120).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, ".upload-bar .upload-name")
            and d.find_elements(By.CSS_SELECTOR, "#traj-graph .main-svg")
        )
    )
    settle(driver, 10)  # the first figures of a large dataset take a few seconds
    driver.save_screenshot(str(out / "upload-02-opened.png"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--width", type=int, default=1500)
    parser.add_argument("--height", type=int, default=1300)
    parser.add_argument(
        "--patients-only", action="store_true", help="only the Patients tab and the patient pages"
    )
    parser.add_argument(
        "--generic",
        action="store_true",
        help="states read from the page, for any trial's data (default when "
        "--data is not the demo)",
    )
    parser.add_argument(
        "--measure",
        action="append",
        default=[],
        help="with --generic: a measure label to show (repeatable)",
    )
    parser.add_argument(
        "--upload", type=Path, help="open the files of this folder through the upload dialog"
    )
    parser.add_argument(
        "--effects", action="store_true", help="only the forest plot and the mixed-model view"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    url = serve(args.data)
    driver = browser(args.width, args.height)
    try:
        if args.patients_only:
            patient_states(driver, url, args.out)
            return 0
        if args.upload:
            upload_states(driver, url, args.out, args.upload)
            return 0
        if args.effects:
            effect_states(driver, url, args.out)
            return 0
        if args.generic or args.measure or args.data.resolve() != (ROOT / "data").resolve():
            generic_states(driver, url, args.out, args.measure)
            print(f"screenshots in {args.out}")
            return 0
        driver.get(url)
        settle(driver, 4)
        driver.save_screenshot(str(args.out / "01-trajectories.png"))
        choose(driver, "#traj-measure", "Key measures (small multiples)")
        settle(driver)
        driver.save_screenshot(str(args.out / "02-key-measures.png"))
        choose(driver, "#traj-group", "Center × responder group")
        choose(driver, "#traj-measure", "24-h proteinuria")
        settle(driver)
        driver.save_screenshot(str(args.out / "03-facets.png"))
        choose(driver, "#traj-group", "Center")
        click(driver, "#traj-individual")
        click(driver, "#traj-scale input", 1)
        settle(driver)
        driver.save_screenshot(str(args.out / "04-center-change-individual.png"))
        for i in range(4):
            click(driver, "#filter-center input", i)
        settle(driver)
        driver.save_screenshot(str(args.out / "05-empty.png"))
        patient_states(driver, url, args.out)
    finally:
        driver.quit()
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
