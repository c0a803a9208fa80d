"""Presenter mode of every pinnable view, at projector and laptop size, for review.

    python tools/presenter_shots.py [--data data] [--out presenter-shots] [--sizes 1280x720]

Starts the app on a free loopback port and opens each view as a one-slide link
(`?slides=…&present=1`, the link "Copy slides link" makes), then writes one PNG per view and
size once the slide's image has been drawn. The views are those of the study: the responder
views only where the data record responses, a subject's narrative for its first subject.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from screenshots import browser, serve  # noqa: E402

from components import ids  # noqa: E402
from components.shell import share  # noqa: E402
from components.state import urlstate as us  # noqa: E402
from trial.loader import load_trial  # noqa: E402
from trial.model import Trial  # noqa: E402


def view_specs(trial: Trial) -> dict[str, dict]:
    """Name -> ViewSpec dict of each pinnable view worth a look on this study."""
    group = "response" if trial.has_response else "none"
    specs = {
        "trajectories-key": {"view": ids.VIEW_TRAJECTORIES, "params": {}},
        "trajectories-one": {
            "view": ids.VIEW_TRAJECTORIES,
            "params": {"measure": trial.key_measure_codes[:1], "group": "center"},
        },
        "survival": {"view": ids.VIEW_SURVIVAL, "params": {"group": group}},
        "effects": {"view": ids.VIEW_EFFECTS, "params": {}},
        "waterfall": {"view": ids.VIEW_RESPONSE, "params": {"plot": "waterfall"}},
        "spider": {"view": ids.VIEW_RESPONSE, "params": {"plot": "spider"}},
        "tables": {"view": ids.VIEW_TABLES, "params": {}},
        "patients": {"view": ids.VIEW_PATIENTS, "params": {}},
        "narrative": {
            "view": ids.VIEW_NARRATIVE,
            "params": {"patient": str(trial.patients["patient_id"].iloc[0])},
        },
    }
    if trial.has_relapse:
        specs["relapse"] = {
            "view": ids.VIEW_SURVIVAL,
            "params": {"endpoint": "cif", "origin": "response"},
        }
    return specs


def shoot(driver, url: str, path: Path, timeout: float = 90) -> bool:
    """Open a slides link and save the slide once its image (or tables) is drawn."""
    driver.get(url)
    end = time.monotonic() + timeout
    ready = (
        "const m = document.querySelector('.present-modal.show');"
        f"const img = document.getElementById('{ids.PRESENT_IMAGE}');"
        f"const tables = document.getElementById('{ids.PRESENT_TABLES}');"
        "const drawn = img && img.src && img.src.startsWith('data:') && img.complete;"
        "const table = tables && tables.innerText.trim().length > 0;"
        "return !!m && (drawn || table) &&"
        " !document.querySelector('[data-dash-is-loading=\"true\"]');"
    )
    while time.monotonic() < end:
        if driver.execute_script(ready):
            time.sleep(1.0)  # fonts and the image's fade-in
            driver.save_screenshot(str(path))
            return True
        time.sleep(0.2)
    driver.save_screenshot(str(path))
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "presenter-shots")
    parser.add_argument("--sizes", nargs="+", default=["1920x1080", "1280x720"])
    parser.add_argument("--only", nargs="*", help="names of the views to take (default: all)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    trial = load_trial(args.data)
    schema = share.schema(trial)
    base = serve(args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    specs = view_specs(trial)
    failed = []
    for size in args.sizes:
        width, height = (int(x) for x in size.split("x"))
        driver = browser(width, height)
        try:
            for name, spec in specs.items():
                if args.only and name not in args.only:
                    continue
                url = f"{base}/?slides={us.encode_slides([spec], schema)}&present=1"
                path = args.out / f"present-{name}-{size}.png"
                if not shoot(driver, url, path):
                    failed.append(path.name)
                print(path)
        finally:
            driver.quit()
    if failed:
        print("not drawn in time:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
