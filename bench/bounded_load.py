"""What the bounded load costs: `load_trial` in the process vs `load_trial_bounded` (a forked
check process with time and memory limits, the trial sent back pickled) on the same data.

    python bench/bounded_load.py [--repeat 3] [DIR ...]

Default data: the demo, the CDISC pilot (../shared/data/cdiscpilot01, if present) and a
100,000-patient synthetic trial (made in a temporary folder by `python -m trial simulate`).
Runs alternate between the two ways, in one process (file cache warm for both); prints the
medians and writes bench/bounded-results.json.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trial.limits import Limits  # noqa: E402
from trial.loader import load_trial, load_trial_bounded  # noqa: E402
from trial.model import Trial  # noqa: E402

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def transfer_seconds(trial: Trial) -> dict[str, float]:
    """The parts of the way back: pickling, unpickling, rebuilding the Trial."""
    found = {f.name: getattr(trial, f.name) for f in fields(Trial)}
    pickling, data = timed(lambda: pickle.dumps(found, protocol=5))
    unpickling, back = timed(lambda: pickle.loads(data))
    rebuild, _ = timed(lambda: Trial(**back))
    return {
        "pickle_s": pickling,
        "unpickle_s": unpickling,
        "rebuild_s": rebuild,
        "pickled_mb": len(data) / 1e6,
    }


def measure(path: Path, repeat: int) -> dict:
    plain, bounded = [], []
    for _ in range(repeat):
        seconds, trial = timed(lambda: load_trial(path))
        plain.append(seconds)
        seconds, _ = timed(lambda: load_trial_bounded(path, Limits()))
        bounded.append(seconds)
    a, b = statistics.median(plain), statistics.median(bounded)
    return {
        "data": path.name,
        "patients": len(trial.patients),
        "measurements": trial.measurement_count,
        "in_process_s": round(a, 3),
        "bounded_s": round(b, 3),
        "overhead_s": round(b - a, 3),
        "overhead_pct": round(100 * (b - a) / a, 1),
        **{k: round(v, 3) for k, v in transfer_seconds(trial).items()},
        "runs": repeat,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirs = args.dirs
        if not dirs:
            sim = Path(tmp) / "sim100k"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "trial",
                    "simulate",
                    "--patients",
                    "100000",
                    "--out",
                    str(sim),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            pilot = ROOT.parent / "shared" / "data" / "cdiscpilot01"
            dirs = [ROOT / "data"] + ([pilot] if pilot.is_dir() else []) + [sim]
        results = [measure(d, args.repeat) for d in dirs]
    for r in results:
        print(
            f"{r['data']:>14}: {r['patients']:>7,} patients, in process "
            f"{r['in_process_s']:.2f} s, "
            f"bounded {r['bounded_s']:.2f} s (+{r['overhead_s']:.2f} s, "
            f"{r['overhead_pct']:+.0f} %); pickle {r['pickle_s']:.2f} s, unpickle "
            f"{r['unpickle_s']:.2f} s, rebuild {r['rebuild_s']:.2f} s, {r['pickled_mb']:.0f} MB"
        )
    out = ROOT / "bench" / "bounded-results.json"
    out.write_text(
        json.dumps(
            {"time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results},
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
