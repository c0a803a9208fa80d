"""Benchmark of the store of validated trials (trial/store.py) at 40, 100,000 and 1,000,000
patients: the first conversion and validation, cold start with the store warm and cold, and the
peak resident memory of one process.

    python bench/store.py [--sizes 40 100000 1000000] [--repeats 3] [--workdir DIR]
                          [--max-seconds S --max-memory-mb MB] [--cold-max N]

For each size, with a new store folder (TRIAL_STORE_DIR) of its own, one after the other:
  * first conversion + validation: `python -m trial check DIR` on the empty store (the bounded
    check reads and validates the files and writes the store; the command then reads it back),
    its seconds, processor seconds (every process: comparable on a busy machine) and the peak
    resident memory of its largest process (the check's child);
  * cold start, store warm: `python app.py --data DIR` until `/` and `/_dash-layout` are served,
    median of --repeats, its processor time and the app process's peak resident memory
    (VmHWM): what one worker holds;
  * cold start, store cold: the same after emptying the store (the conversion is in it; the
    app's own peak memory excludes the check's child, given above).
Synthetic trials come from `bench/run.py`'s `dataset` (`python -m trial simulate`), made once
in --workdir. Results are printed and written to --json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from run import dataset, new_results, serve_app  # noqa: E402  (bench/ is this script's folder)

# Runs a command and prints its seconds and the peak resident memory (KiB) of the largest of
# its processes, children of children included (they are waited for).
PEAK = (
    "import resource, subprocess, sys, time; t = time.monotonic(); "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(time.monotonic() - t, u.ru_maxrss, u.ru_utime + u.ru_stime, rc)"
)
TARGETS = {  # size: (cold start warm s, first conversion s, one worker's memory MB)
    40: (3, 3, None),
    100000: (3, 10, 1024),
    1000000: (5, 60, 2048),
}


def with_store(store: Path) -> dict[str, str]:
    return {**os.environ, "TRIAL_STORE_DIR": str(store)}


def conversion(data: Path, store: Path, bounds: list[str]) -> dict:
    """`trial check` on an empty store: seconds, peak MB of its largest process, processor
    seconds of all its processes, exit code."""
    shutil.rmtree(store, ignore_errors=True)
    cmd = [sys.executable, "-c", PEAK, sys.executable, "-m", "trial", "check", str(data), *bounds]
    out = subprocess.run(cmd, env=with_store(store), capture_output=True, text=True, check=True)
    seconds, kib, cpu, code = out.stdout.split()
    return {
        "seconds": float(seconds),
        "peak_mb": int(kib) / 1024,
        "cpu_s": float(cpu),
        "exit": int(code),
    }


def measure(n: int, args: argparse.Namespace) -> dict:
    data = dataset(n, args.workdir)
    store = args.workdir / f"store-{n}"
    bounds = [
        f"--{k}={v}"
        for k, v in (("max-seconds", args.max_seconds), ("max-memory-mb", args.max_memory_mb))
        if v
    ]
    row: dict[str, object] = {"conversion": conversion(data, store, bounds)}
    warm = [serve_app(data, store) for _ in range(args.repeats)]
    row["warm"] = {
        "seconds": statistics.median(w["seconds"] for w in warm),
        "peak_mb": max(w["peak_mb"] for w in warm),
        "cpu_s": statistics.median(w["cpu_s"] for w in warm),
    }
    shutil.rmtree(store)
    # app.py checks under the default limits; beyond --cold-max the first conversion above
    # (with the bounds given) stands for it
    row["cold"] = serve_app(data, store) if n <= args.cold_max else None
    row["load_average"] = os.getloadavg()[0]
    return row


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return f"{value:,.1f}"
    return f"{value:,.1f} (≤ {target:,}: {'met' if value <= target else 'not met'})"


def markdown(results: dict) -> str:
    lines = [
        f"Machine: {results['machine']}. Run: {results['date']}.",
        "",
        "| patients | first conversion + validation (s) | its processor time (s) "
        "| its peak memory (MB) | cold start, store warm (s) | its processor time (s) "
        "| one worker's peak memory (MB) | cold start, store cold (s) | load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, row in results["sizes"].items():
        warm_s, conv_s, mem = TARGETS.get(int(n), (None, None, None))
        cold = f"{row['cold']['seconds']:.1f}" if row["cold"] else "not run"
        lines.append(
            f"| {int(n):,} | {_verdict(row['conversion']['seconds'], conv_s)} "
            f"| {row['conversion']['cpu_s']:.1f} | {row['conversion']['peak_mb']:,.0f} "
            f"| {_verdict(row['warm']['seconds'], warm_s)} | {row['warm']['cpu_s']:.1f} "
            f"| {_verdict(row['warm']['peak_mb'], mem)} "
            f"| {cold} "
            f"| {row['load_average']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "trial-bench")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "store-results.json")
    parser.add_argument("--max-seconds", type=float, help="the conversion's time limit")
    parser.add_argument("--max-memory-mb", type=int, help="the conversion's memory limit")
    parser.add_argument("--cold-max", type=int, default=10**12, help="largest cold app start")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = new_results()
    sizes = results["sizes"]
    for n in args.sizes:
        sizes[str(n)] = measure(n, args)
        print(json.dumps({n: sizes[str(n)]}), flush=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
