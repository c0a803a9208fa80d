"""Bounded load test on loopback: concurrent users replaying real filter changes.

    python bench/load.py [--data data] [--users 20] [--seconds 60] [--workers 4]

Starts the documented production server (gunicorn, preloaded app, worker recycling) on a free
127.0.0.1 port, lets --users threads replay the callbacks a filter change triggers, for
--seconds, and reports requests, errors, latency (median, p95, max) and each worker's memory at
the start and the end. Traffic goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import (  # noqa: E402
    filter_callbacks,
    filter_states,
    free_port,
    initial_props,
    percentile,
    request_body,
    wait_for,
)

from app import create_app  # noqa: E402
from trial.loader import load_trial  # noqa: E402


def production_command(port: int, workers: int) -> list[str]:
    """The documented production command (docs/benchmarks.md, README)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--preload",
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        "--timeout",
        "60",
        "--bind",
        f"127.0.0.1:{port}",
        "app:server",
    ]


def requests_to_replay(data: Path) -> list[bytes]:
    app = create_app(load_trial(data))
    values = initial_props(app)
    bodies = []
    for state in filter_states(values):
        changed = next(iter(state))
        for cb in filter_callbacks(app):
            body = request_body(cb, {**values, **state}, f"{changed[0]}.{changed[1]}")
            bodies.append(json.dumps(body).encode())
    return bodies


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def user(
    url: str,
    bodies: list[bytes],
    stop: float,
    latencies: list[float],
    errors: list[int | str],
    offset: int,
) -> None:
    for body in itertools.islice(itertools.cycle(bodies), offset, None):
        if time.monotonic() > stop:
            return
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
                if r.status not in (200, 204):
                    errors.append(r.status)
        except Exception as e:  # every failure counts as an error
            errors.append(repr(e)[:80])
        latencies.append(time.perf_counter() - t0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "load-results.json")
    args = parser.parse_args(argv)
    bodies = requests_to_replay(args.data)
    port = free_port()
    env = {**os.environ, "TRIAL_DATA": str(args.data)}
    server = subprocess.Popen(
        production_command(port, args.workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/_dash-layout", time.monotonic() + 120, server)
        # Warm up every worker, then take the memory baseline.
        warm_lat: list[float] = []
        warm_err: list[int | str] = []
        user(base + "/_dash-update-component", bodies, time.monotonic() + 5, warm_lat, warm_err, 0)
        start_rss = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
        latencies: list[float] = []
        errors: list[int | str] = []
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=user,
                args=(base + "/_dash-update-component", bodies, stop, latencies, errors, i * 7),
            )
            for i in range(args.users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        end_rss = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
    finally:
        server.terminate()
        server.wait(20)
    same = [pid for pid in start_rss if pid in end_rss]
    growth = max((end_rss[p] - start_rss[p]) / start_rss[p] for p in same) if same else None
    result = {
        "users": args.users,
        "seconds": args.seconds,
        "workers": args.workers,
        "data": str(args.data),
        "requests": len(latencies),
        "errors": len(errors),
        "error_examples": errors[:5],
        "latency_ms": {
            "median": 1000 * statistics.median(latencies),
            "p95": 1000 * percentile(latencies, 95),
            "max": 1000 * max(latencies),
        },
        "worker_rss_mb_start": start_rss,
        "worker_rss_mb_end": end_rss,
        "max_worker_growth": growth,
        "note": "workers recycled during the run are not in the growth figure"
        if len(same) < len(start_rss)
        else "",
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
