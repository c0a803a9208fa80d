"""Bounded concurrent attack on loopback: clients uploading hostile datasets while others explore.

    python bench/attack.py [--uploaders 20] [--explorers 20] [--seconds 60] [--workers 4]

Starts the documented production server (gunicorn, preloaded app, worker recycling, 60 s worker
timeout) on a free 127.0.0.1 port with its own private upload folder. First the explorers alone
(`--baseline-seconds`) replay the callbacks of filter changes, as bench/load.py does; then, for
`--seconds`, `--uploaders` threads upload the hostile datasets of bench/hostile.py one after the
other (each thread from a different one) while the explorers go on. Every client is its own
signed-in user (`TRIAL_AUTH=header` from the trusted loopback, `--users distinct`, the harder
case: one user gets one upload checked at a time) or all are one anonymous user (`--users one`).
Reported: worker deaths
(timeouts, kills and crashes in the server's log; recycling after --max-requests is counted
apart), explorer errors and latency (median, p95, max) with and without the attack, upload
answers (refused with findings naming the expected file, accepted, refused because the server
was busy, HTTP errors), server memory, and what is left in the upload folder once the uploads
stopped. Traffic goes to 127.0.0.1 only and stops by itself. Writes bench/attack-results.json.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hostile import CASES, Hostile  # noqa: E402
from load import production_command, requests_to_replay, rss_mb, worker_pids  # noqa: E402
from run import free_port, percentile  # noqa: E402

UPLOAD_ROUTE = "/_trial/upload"  # components/upload.py
USER_HEADER = "X-Forwarded-User"  # TRIAL_AUTH=header's default
DEATHS = re.compile(
    r"WORKER TIMEOUT|was sent SIGKILL|was sent SIG|exited with code|"
    r"terminated due to signal|Perhaps out of memory",
    re.I,
)
RECYCLED = re.compile(r"Autorestarting worker", re.I)


def multipart(files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="dataset/{name}"\r\nContent-Type: application/octet-stream'
                f"\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def prepared() -> list[tuple[Hostile, bytes, str]]:
    out = []
    for case in CASES:
        body, boundary = multipart(case.files())
        out.append((case, body, boundary))
    return out


def upload_answer(case: Hostile, answer: dict) -> str:
    if answer.get("opened"):
        return "accepted" if case.outcome == "accepted" else "accepted (expected refused)"
    findings = answer.get("findings") or []
    if any("try again in a minute" in f.get("message", "") for f in findings):
        return "busy (server)"
    if any("still being checked" in f.get("message", "") for f in findings):
        return "busy (user)"
    if any(
        case.expect in f.get("message", "") and (not case.file or f.get("file") == case.file)
        for f in findings
    ):
        return "refused as expected"
    return "refused (other finding)"


def uploader(
    url: str, cases: list, stop: float, offset: int, results: list, who: dict[str, str]
) -> None:
    for case, body, boundary in itertools.islice(itertools.cycle(cases), offset, None):
        if time.monotonic() > stop:
            return
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-Trial-Upload": "1",
                **who,
            },
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as r:
                outcome = upload_answer(case, json.loads(r.read()))
        except urllib.error.HTTPError as e:
            outcome = f"HTTP {e.code}"
        except Exception as e:  # every failure is counted
            outcome = f"error {type(e).__name__}"
        results.append((case.name, outcome, time.perf_counter() - start))


def explorer(
    url: str,
    bodies: list[bytes],
    stop: float,
    latencies: list,
    errors: list,
    offset: int,
    who: dict[str, str],
) -> None:
    """bench/load.py's user, signed in as `who`: replays filter-change callbacks."""
    for body in itertools.islice(itertools.cycle(bodies), offset, None):
        if time.monotonic() > stop:
            return
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", **who}
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                r.read()
                if r.status not in (200, 204):
                    errors.append(r.status)
        except Exception as e:  # every failure counts as an error
            errors.append(repr(e)[:80])
        latencies.append(time.perf_counter() - start)


def wait_ready(url: str, who: dict[str, str], deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=who), timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(url) from None
            time.sleep(0.1)


def signed_in(distinct: bool, name: str) -> dict[str, str]:
    return {USER_HEADER: name} if distinct else {}


def explore(
    url: str, bodies: list[bytes], seconds: float, clients: int, distinct: bool
) -> tuple[list, list]:
    latencies: list[float] = []
    errors: list = []
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=explorer,
            args=(url, bodies, stop, latencies, errors, i * 7, signed_in(distinct, f"ex{i}")),
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def summary(latencies: list[float]) -> dict:
    if not latencies:
        return {}
    return {
        "requests": len(latencies),
        "median_ms": round(1000 * statistics.median(latencies)),
        "p95_ms": round(1000 * percentile(latencies, 95)),
        "max_ms": round(1000 * max(latencies)),
    }


def leftovers(root: Path) -> dict:
    sessions = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    partial = [p for p in sessions if not (p / "meta.json").exists()]
    return {"sessions": len(sessions), "without_meta": len(partial)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--uploaders", type=int, default=20)
    parser.add_argument("--explorers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", choices=("distinct", "one"), default="distinct")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "attack-results.json")
    args = parser.parse_args(argv)
    distinct = args.users == "distinct"
    bodies = requests_to_replay(args.data)
    cases = prepared()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        uploads = Path(tmp) / "uploads"
        uploads.mkdir(mode=0o700)
        log = Path(tmp) / "gunicorn.log"
        env = {
            **os.environ,
            "TRIAL_DATA": str(args.data),
            "TRIAL_UPLOAD_DIR": str(uploads),
            **({"TRIAL_AUTH": "header", "TRIAL_TRUSTED_PROXIES": "127.0.0.1"} if distinct else {}),
        }
        with open(log, "w") as log_file:
            server = subprocess.Popen(
                production_command(port, args.workers),
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base + "/_dash-layout", signed_in(distinct, "check"), time.monotonic() + 180)
            explore(
                base + "/_dash-update-component", bodies, 5, args.explorers, distinct
            )  # warm up
            start_pids = worker_pids(server.pid)
            start_rss = {pid: round(rss_mb(pid)) for pid in start_pids}
            baseline, baseline_errors = explore(
                base + "/_dash-update-component",
                bodies,
                args.baseline_seconds,
                args.explorers,
                distinct,
            )
            uploads_done: list = []
            stop = time.monotonic() + args.seconds
            attackers = [
                threading.Thread(
                    target=uploader,
                    args=(
                        base + UPLOAD_ROUTE,
                        cases,
                        stop,
                        i * 3,
                        uploads_done,
                        signed_in(distinct, f"up{i}"),
                    ),
                )
                for i in range(args.uploaders)
            ]
            for t in attackers:
                t.start()
            during, during_errors = explore(
                base + "/_dash-update-component", bodies, args.seconds, args.explorers, distinct
            )
            for t in attackers:
                t.join()
            end_pids = worker_pids(server.pid)
            end_rss = {pid: round(rss_mb(pid)) for pid in end_pids}
            still_serving = (
                urllib.request.urlopen(
                    urllib.request.Request(base + "/", headers=signed_in(distinct, "check")),
                    timeout=30,
                ).status
                == 200
            )
            left = leftovers(uploads)
        finally:
            server.terminate()
            server.wait(30)
        text = log.read_text(errors="replace")
    deaths = [line for line in text.splitlines() if DEATHS.search(line)]
    outcomes = collections.Counter(outcome for _, outcome, _ in uploads_done)
    wrong = sorted(
        {
            (name, outcome)
            for name, outcome, _ in uploads_done
            if outcome.startswith(("accepted (", "refused (", "HTTP", "error"))
        }
    )
    result = {
        "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "server": " ".join(production_command(port, args.workers)[2:]),
        "users": args.users,
        "uploaders": args.uploaders,
        "explorers": args.explorers,
        "seconds": args.seconds,
        "hostile_datasets": len(cases),
        "worker_deaths": len(deaths),
        "death_lines": deaths[:10],
        "workers_recycled": len(RECYCLED.findall(text)),
        "workers_same_at_end": sorted(start_pids) == sorted(end_pids),
        "explorers_alone": {**summary(baseline), "errors": len(baseline_errors)},
        "explorers_under_attack": {
            **summary(during),
            "errors": len(during_errors),
            "error_examples": during_errors[:5],
        },
        "uploads": {
            **summary([s for _, _, s in uploads_done]),
            "answers": dict(outcomes),
            "unexpected": wrong[:20],
        },
        "worker_rss_mb_start": start_rss,
        "worker_rss_mb_end": end_rss,
        "still_serving": still_serving,
        "upload_folder_after": left,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = (
        not deaths
        and not during_errors
        and not baseline_errors
        and still_serving
        and left["without_meta"] == 0
        and not any(o.startswith(("HTTP", "error")) for o in outcomes)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
