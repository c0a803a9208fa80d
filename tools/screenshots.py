"""Screenshots of the dashboard's states in headless Chromium, for review and the README.

    python tools/screenshots.py [--data data/demo] [--out screenshots] [--url-path /]

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
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 f"--window-size={width},{height}"):
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--width", type=int, default=1500)
    parser.add_argument("--height", type=int, default=1300)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    url = serve(args.data)
    driver = browser(args.width, args.height)
    try:
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
    finally:
        driver.quit()
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
