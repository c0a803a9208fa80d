"""Benchmark of the dashboard at 40, 1,000, 10,000 and 100,000 patients.

    python bench/run.py [--sizes 40 1000 10000 100000] [--repeats 15] [--no-browser]
                        [--out docs/benchmarks.md]

For each size it measures, in one run on this machine:
  * cold start: `python app.py --data DIR` until `/` and `/_dash-layout` are served;
  * server time of each callback that a filter change triggers (median and p95 over filter
    states), replaying real `/_dash-update-component` requests through the Flask app, and the
    bytes each update sends;
  * in headless Chromium, the time from a filter click to every visible figure repainted;
  * the naive plotly-express trajectory figure (`px.line(..., line_group="patient_id")`) on the
    same data, as the reference, and our/naive ratios (server time and bytes);
  * exports (`--exports`): the server's time for a PNG export (the slide figure handed to the
    browser) and for a 6-slide PowerPoint deck (the browser's job, then the deck route with the
    rendered images), the images being rendered in the browser and not counted here.
Sizes other than 40 (the demo) are synthetic trials from `python -m trial simulate`. The store
of validated trials (cold start from a converted dataset, the first conversion, one worker's
memory, up to 1,000,000 patients) has its own script: bench/store.py.
Results are printed as Markdown and written to --out.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.express as px  # noqa: E402
import plotly.io as pio  # noqa: E402

from app import create_app  # noqa: E402
from components import ids  # noqa: E402
from trial.loader import load_trial, load_trial_bounded  # noqa: E402
from trial.simulate import write_simulation  # noqa: E402
from trial.store import Store  # noqa: E402

FILTER_IDS = {
    ids.FILTER_CENTER,
    ids.FILTER_RESPONSE,
    ids.FILTER_RELAPSE,
    ids.FILTER_SEX,
    ids.FILTER_LN,
    ids.FILTER_AGE,
}


# --- data --------------------------------------------------------------------------------------


def dataset(n: int, workdir: Path) -> Path:
    if n == 40:
        return ROOT / "data"
    out = workdir / f"sim{n}"
    if not (out / "study.json").exists():
        k = 4 if n < 1000 else 10 if n < 10000 else 20 if n < 1_000_000 else 50
        write_simulation(out, n, k=k, seed=1)
    return out


# --- cold start ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, deadline: float, proc: subprocess.Popen | None = None) -> None:
    """Until `url` answers 200; fail at `deadline`, or as soon as the server `proc` has ended
    (a dataset the app refuses, for one)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the app ended (exit {proc.returncode}) before {url}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(url) from None
            time.sleep(0.05)


def peak_mb(pid: int) -> float:
    """The peak resident memory of process `pid` so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """Processor time (user + system) of process `pid` so far: what a start costs whatever else
    the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def launch_app(data: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`python app.py` on `data` at a free loopback port (with `env` added to the
    environment), and its address."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    return proc, f"http://127.0.0.1:{port}"


def serve_app(data: Path, store: Path) -> dict[str, float]:
    """Launch `python app.py` (its store of validated trials: `store`) until the page and its
    layout are served: the seconds it took, and the app process's peak memory (MB) and
    processor seconds then."""
    t0 = time.monotonic()
    proc, base = launch_app(data, {"TRIAL_STORE_DIR": str(store)})
    try:
        wait_for(base + "/", t0 + 600, proc)
        wait_for(base + "/_dash-layout", t0 + 600, proc)
        seconds = time.monotonic() - t0
        return {"seconds": seconds, "peak_mb": peak_mb(proc.pid), "cpu_s": cpu_seconds(proc.pid)}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # a busy machine: do not leave it serving
            proc.kill()
            proc.wait()


def cold_start(data: Path) -> float:
    """Seconds to serve the app with every file loaded and validated (an empty store: the
    store's own benchmark, bench/store.py, measures starts from a converted dataset)."""
    with tempfile.TemporaryDirectory() as store:
        return serve_app(data, Path(store) / "store")["seconds"]


# --- callbacks -----------------------------------------------------------------------------------


def initial_props(app) -> dict[tuple[str, str], object]:
    """(id, property) -> initial value of every component with a string id in the page the
    app serves (its layout is a function of the request's dataset)."""
    with app.server.test_request_context("/"):
        layout = app.layout()
    found = {}
    stack = [layout]
    while stack:
        c = stack.pop()
        if isinstance(c, (list, tuple)):
            stack.extend(c)
            continue
        if not hasattr(c, "to_plotly_json"):
            continue
        props = c.to_plotly_json()["props"]
        if isinstance(props.get("id"), str):
            for k, v in props.items():
                found[(props["id"], k)] = v
        for v in props.values():
            if hasattr(v, "to_plotly_json") or isinstance(v, (list, tuple)):
                stack.append(v)
    return found


def parse_outputs(output: str) -> list[dict]:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outputs = []
    for part in parts:
        id_, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(id_) if id_.startswith("{") else id_, "property": prop})
    return outputs


def is_wildcard(cb: dict) -> bool:
    return (
        '["ALL"]' in cb["output"]
        or '["MATCH"]' in cb["output"]
        or any(isinstance(i["id"], dict) for i in cb["inputs"] + cb["state"])
    )


def callback_list(app) -> list[dict]:
    """The app's callbacks as the browser gets them (Dash's public /_dash-dependencies)."""
    return app.server.test_client().get("/_dash-dependencies").get_json()


def filter_callbacks(app) -> list[dict]:
    """The callbacks a filter change triggers (string ids only)."""
    return [
        c
        for c in callback_list(app)
        if any(i["id"] in FILTER_IDS for i in c["inputs"] if isinstance(i["id"], str))
        and not c["output"].startswith("..filter-")
        and not is_wildcard(c)
    ]


# The tab each view lives on: views compute only while their tab is shown (the page's
# ids.VISIBLE_TAB, an input of every view callback), so each callback is measured with its own
# tab on screen (the cost a user on that tab pays for a filter change).
VIEW_TABS = {
    "traj-": ids.TAB_TRAJECTORIES,
    "surv-": ids.TAB_SURVIVAL,
    "effects-": ids.TAB_EFFECTS,
    "resp-": ids.TAB_RESPONSE,
    "swimmer-": ids.TAB_PATIENTS,
    "tables-": ids.TAB_TABLES,
}


def own_tab(cb: dict) -> str | None:
    return next((tab for prefix, tab in VIEW_TABS.items() if prefix in cb["output"]), None)


def shows_a_tab(cb: dict) -> bool:
    """A view callback: it computes only while its tab is shown."""
    return any(i["id"] == ids.VISIBLE_TAB for i in cb["inputs"])


def request_body(cb: dict, values: dict, changed: str) -> dict:
    outputs = parse_outputs(cb["output"])
    if own_tab(cb):
        tab = own_tab(cb)
        values = {**values, (ids.TABS, "active_tab"): tab, (ids.VISIBLE_TAB, "data"): tab}
    return {
        "output": cb["output"],
        "outputs": outputs if cb["output"].startswith("..") else outputs[0],
        "inputs": [
            {
                "id": i["id"],
                "property": i["property"],
                "value": values.get((i["id"], i["property"])),
            }
            for i in cb["inputs"]
        ],
        "state": [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get((s["id"], s["property"])),
            }
            for s in cb["state"]
        ],
        "changedPropIds": [changed],
    }


def filter_states(values: dict) -> list[dict]:
    """Center subsets and responder subsets a user would click through."""
    centers = values[(ids.FILTER_CENTER, "value")]
    responses = values[(ids.FILTER_RESPONSE, "value")]
    states = []
    for k in range(1, len(centers) + 1):
        states.append({(ids.FILTER_CENTER, "value"): centers[:k]})
    for r in responses:
        states.append({(ids.FILTER_RESPONSE, "value"): [x for x in responses if x != r]})
    return states


def time_callbacks(data: Path, repeats: int) -> dict[str, dict]:
    # The trial as `python app.py` serves it: converted into a store of validated trials and
    # read back from it (its DuckDB engine reads the store's files, which must stay meanwhile).
    with tempfile.TemporaryDirectory() as store:
        trial = load_trial_bounded(data, store=Store(Path(store) / "store"))
        return _time_callbacks(create_app(trial), repeats)


def _time_callbacks(app, repeats: int) -> dict[str, dict]:
    client = app.server.test_client()
    base_values = initial_props(app)
    result = {}
    for cb in filter_callbacks(app):
        times, sizes = [], []
        states = list(itertools.islice(itertools.cycle(filter_states(base_values)), repeats))
        for state in states:
            values = {**base_values, **state}
            changed = next(iter(state))
            body = request_body(cb, values, f"{changed[0]}.{changed[1]}")
            t0 = time.perf_counter()
            r = client.post("/_dash-update-component", json=body)
            times.append(time.perf_counter() - t0)
            if r.status_code not in (200, 204):
                raise RuntimeError(f"{cb['output']}: HTTP {r.status_code}: {r.data[:300]!r}")
            sizes.append(len(r.data))
        result[cb["output"]] = {
            "median_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * percentile(times, 95),
            "bytes": int(statistics.median(sizes)),
        }
    return result


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# --- naive reference ---------------------------------------------------------------------------


def naive_reference(data: Path, repeats: int = 3) -> dict:
    """The usual plotly-express way: one line per patient via line_group."""
    trial = load_trial(data)
    responders = trial.patients[["patient_id", "response"]]
    values = trial.measurement_rows(trial.patients, "sledai").merge(responders)
    times, size = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fig = px.line(values, x="month", y="value", color="response", line_group="patient_id")
        size = len(pio.to_json(fig))
        times.append(time.perf_counter() - t0)
    return {"median_ms": 1000 * statistics.median(times), "bytes": size}


# --- browser -------------------------------------------------------------------------------------

PAINT_JS = """
const done = arguments[arguments.length - 1];
const graphs = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent);
let pending = graphs.length;
const t0 = performance.now();
graphs.forEach(g => g.once ? g.once('plotly_afterplot', finish) : g.on('plotly_afterplot', finish));
function finish() { pending -= 1; if (pending === 0) done(performance.now() - t0); }
const box = document.querySelector(arguments[0]);
box.click();
setTimeout(() => done(-1), 60000);
"""


def browser_paint_ms(data: Path, clicks: int = 5) -> float:
    proc, base = launch_app(data)
    driver = _chromium(1500, 1100)
    try:
        wait_for(base + "/_dash-layout", time.monotonic() + 300, proc)
        driver.set_script_timeout(120)
        driver.get(base + "/")
        time.sleep(3)  # first render
        wait_idle(driver)
        times = []
        for i in range(clicks):
            boxes = driver.find_elements("css selector", f"#{ids.FILTER_CENTER} input")
            driver.execute_script("arguments[0].setAttribute('data-bench', '1')", boxes[i % 2])
            ms = driver.execute_async_script(PAINT_JS, "[data-bench='1']")
            driver.execute_script("arguments[0].removeAttribute('data-bench')", boxes[i % 2])
            times.append(ms)
            wait_idle(driver)
        return statistics.median(times)
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(10)


READY_JS = """
const graphs = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent);
const busy = document.querySelectorAll('[data-dash-is-loading="true"]').length;
const drawn = graphs.length > 0 && graphs.every(g => g.data && g.querySelector('.main-svg'));
return drawn && !busy ? performance.now() : null;
"""


def _chromium(width: int = 1920, height: int = 1080):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    opts = Options()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(options=opts)


def page_ready_ms(driver, url: str, timeout: float = 60) -> float:
    """Milliseconds from navigation start until every visible figure is drawn and no callback
    is pending (held for 300 ms, so a callback fired by the first render counts)."""
    driver.get(url)
    end = time.monotonic() + timeout
    ready_at, since = 0.0, None
    while time.monotonic() < end:
        at = driver.execute_script(READY_JS)
        if at is None:
            since = None
        elif since is None:
            ready_at, since = float(at), time.monotonic()
        elif time.monotonic() - since >= 0.3:
            return ready_at
        time.sleep(0.03)
    raise TimeoutError(url)


def page_times(data: Path, loads: int = 5) -> dict:
    """Median time to a usable first page and patient page, in headless Chromium at 1920x1080
    (the server and the browser on this machine; the browser's cache warm after the first)."""
    from trial.loader import load_trial

    patient = str(load_trial(data).patients["patient_id"].iloc[0])
    proc, base = launch_app(data)
    driver = _chromium()
    try:
        wait_for(base + "/_dash-layout", time.monotonic() + 300, proc)
        page_ready_ms(driver, base + "/")  # warm the browser's cache and the server
        first = [page_ready_ms(driver, base + "/") for _ in range(loads)]
        page = [page_ready_ms(driver, f"{base}/patients/{patient}") for _ in range(loads)]
        med = statistics.median
        return {"first_page_ms": med(first), "patient_page_ms": med(page)}
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(10)


def wait_idle(driver, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        busy = driver.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
        )
        if not busy:
            time.sleep(0.3)
            return
        time.sleep(0.1)


# --- report --------------------------------------------------------------------------------------


def new_results() -> dict:
    """An empty record of a run: the machine, the time, results by size to fill in."""
    return {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "sizes": {},
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


NAIVE_MAX_PATIENTS = 10_000
TARGETS = {  # size: (server median ms per filter change, browser ms, cold start s)
    40: (50, 500, 3),
    10000: (300, 1500, 6),
    100000: (1500, 3000, 20),
}
MAX_PAYLOAD = 500_000
SHORT_NAMES = {
    "selected-count": "selected count",
    "headline-cards": "headline cards",
    "traj-graph": "trajectories",
    "surv-graph": "survival curves",
    "patient-grid": "patient list",
    "swimmer-graph": "swimmer plot",
    "tables-baseline": "paper tables",
    "patient-page": "patient page",
}


def short_name(output: str) -> str:
    for key, name in SHORT_NAMES.items():
        if key in output:
            return name
    return output.strip(".")[:40]


def per_change(row: dict) -> tuple[float, float, int]:
    """Server time of a filter change on the tab where it costs most: the slowest callback
    (Dash sends them in parallel) and the sum (one worker serving them one after the other),
    counting the sidebar's callbacks and that tab's view; and the largest update in bytes."""
    own = {k: next((t for p, t in VIEW_TABS.items() if p in k), None) for k in row["callbacks"]}
    shared = [v for k, v in row["callbacks"].items() if own[k] is None]
    worst = (0.0, 0.0)
    for tab in set(VIEW_TABS.values()):
        fired = shared + [v for k, v in row["callbacks"].items() if own[k] == tab]
        times = [c["median_ms"] for c in fired]
        worst = max(worst, (max(times), sum(times)), key=lambda x: x[1])
    return (*worst, max(c["bytes"] for c in row["callbacks"].values()))


DECK_SPECS = [
    {"view": ids.VIEW_TRAJECTORIES, "params": {}},
    {"view": ids.VIEW_TRAJECTORIES, "params": {"measure": "proteinuria", "group": "center"}},
    {"view": ids.VIEW_SURVIVAL, "params": {"group": "response"}},
    {"view": ids.VIEW_SURVIVAL, "params": {"endpoint": "cif", "origin": "response"}},
    {"view": ids.VIEW_SURVIVAL, "params": {"endpoint": "rfs", "group": "center"}},
    {"view": ids.VIEW_TABLES, "params": {}},
]


def blank_pngs(figures: list[dict], scale: int) -> list[bytes]:
    """PNGs of the sizes the browser renders the deck's figures at (their content does not
    matter to the server)."""
    import io

    from PIL import Image

    out = []
    for f in figures:
        buf = io.BytesIO()
        Image.new(
            "RGB", (f["layout"]["width"] * scale, f["layout"]["height"] * scale), "white"
        ).save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def export_times(data: Path, repeats: int = 5) -> dict:
    """Server time (median ms) of a PNG export's job and of a 6-slide deck: the job the
    browser renders, and the deck route that assembles the file from the images."""
    from datetime import date

    from components.export import callbacks as excb
    from components.export import deckroute
    from components.shell import presenter
    from components.state.viewspec import ViewSpec

    app = create_app(load_trial(data))
    client = app.server.test_client()
    today = date.today()
    png, job_ms, route_ms = [], [], []
    for _ in range(repeats):
        with app.server.test_request_context("/"):
            trial = app.server.config["TRIAL"]
            t0 = time.perf_counter()
            excb.export_download(trial, ViewSpec.from_dict(DECK_SPECS[0]), ids.FORMAT_PNG, today)
            png.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            job = presenter.pinned_download(trial, DECK_SPECS, ids.FORMAT_PPTX, today)
            job_ms.append((time.perf_counter() - t0) * 1000)
        images = blank_pngs(job["figures"], job["scale"])
        form = {
            "dataset": "app",
            "kind": "pinned",
            "specs": json.dumps(job["specs"]),
            "images": [(__import__("io").BytesIO(b), f"{i}.png") for i, b in enumerate(images)],
        }
        t0 = time.perf_counter()
        r = client.post(
            deckroute.DECK_ROUTE,
            data=form,
            content_type="multipart/form-data",
            headers={deckroute.DECK_HEADER: "1"},
        )
        route_ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.data[:200]
    med = statistics.median
    return {
        "png_job_ms": med(png),
        "deck_job_ms": med(job_ms),
        "deck_route_ms": med(route_ms),
        "deck_server_ms": med(job_ms) + med(route_ms),
        "deck_slides": len(DECK_SPECS),
        "deck_bytes": len(r.data),
    }


def export_markdown(row: dict) -> str:
    return (
        f"Exports (server time, median; the browser renders the images): PNG export "
        f"{row['png_job_ms']:.0f} ms; {row['deck_slides']}-slide PowerPoint deck "
        f"{row['deck_server_ms'] / 1000:.1f} s (job {row['deck_job_ms']:.0f} ms + deck route "
        f"{row['deck_route_ms']:.0f} ms, {row['deck_bytes'] / 1e6:.1f} MB).\n"
    )


def markdown(results: dict) -> str:
    lines = [
        f"Machine: {results['machine']}. Run: {results['date']}.",
        "",
        "| patients | cold start (s) | server per filter change, slowest callback (ms) | "
        "sum of its callbacks (ms) | largest update (KB) | browser, click to painted (ms) | "
        "naive px figure (ms / KB) | trajectories vs naive: time, bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, row in results["sizes"].items():
        slowest, total, biggest = per_change(row)
        traj = next(v for k, v in row["callbacks"].items() if "traj-graph" in k)
        naive = row["naive"]
        versus = (
            (
                f"{naive['median_ms']:.0f} / {naive['bytes'] / 1000:.0f} | "
                f"{naive['median_ms'] / traj['median_ms']:.0f}× faster, "
                f"{naive['bytes'] / traj['bytes']:.0f}× smaller"
            )
            if naive
            else "not run | –"
        )
        lines.append(
            f"| {int(n):,} | {row['cold_start_s']:.1f} | {slowest:.0f} | {total:.0f} | "
            f"{biggest / 1000:.0f} | {row.get('browser_paint_ms', float('nan')):.0f} | "
            f"{versus} |"
        )
    lines += ["", "Per callback (median / p95 ms, bytes per update):", ""]
    sizes = list(results["sizes"])
    names = sorted({short_name(k) for r in results["sizes"].values() for k in r["callbacks"]})
    lines.append("| callback | " + " | ".join(f"{int(n):,}" for n in sizes) + " |")
    lines.append("|---|" + "---|" * len(sizes))
    for name in names:
        cells = []
        for n in sizes:
            match = [
                v for k, v in results["sizes"][n]["callbacks"].items() if short_name(k) == name
            ]
            cells.append(
                " · ".join(
                    f"{v['median_ms']:.0f} / {v['p95_ms']:.0f} ms, {v['bytes'] / 1000:.1f} KB"
                    for v in match
                )
                or "–"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "trial-bench")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--exports", action="store_true", help="only the export measurements, on the demo data"
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="only the first page and patient page load times, on the demo data",
    )
    args = parser.parse_args(argv)
    if args.pages:
        print(json.dumps(page_times(ROOT / "data"), indent=1))
        return 0
    if args.exports:
        row = export_times(ROOT / "data")
        print(json.dumps(row, indent=1))
        print(export_markdown(row))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = new_results()
    sizes = results["sizes"]
    for n in args.sizes:
        data = dataset(n, args.workdir)
        row = {"cold_start_s": cold_start(data)}
        row["callbacks"] = time_callbacks(data, args.repeats)
        # The naive figure takes minutes at 100,000 patients (over 6 min measured): only up to
        # NAIVE_MAX_PATIENTS, where the ratios are reported.
        row["naive"] = naive_reference(data) if n <= NAIVE_MAX_PATIENTS else None
        if not args.no_browser:
            row["browser_paint_ms"] = browser_paint_ms(data)
        sizes[str(n)] = row
        print(json.dumps({n: row}, indent=1), flush=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"results in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
