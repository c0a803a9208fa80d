"""Fuzz tests (hypothesis) of the loaders and the upload route, through the bounded check with
small limits. Property: every input gives either a valid trial or a `DataError` whose findings
each name a file and can be printed; never another exception, never a hang (a check stopped by
its time limit fails the test too).

The default run is quick (profile `fuzz-quick`); a long run:

    TRIAL_FUZZ_PROFILE=fuzz-long python -m pytest tests/test_fuzz.py    # 1,000 per test
    TRIAL_FUZZ_EXAMPLES=200 python -m pytest tests/test_fuzz.py          # any number
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hostile import adam, adam_xpt, zipped
from trial.limits import Limits
from trial.loader import load_trial_bounded
from trial.model import DataError, Trial
from trial.sessions import SessionSettings, SessionStore
from trial.upload import UploadLimits

from factories import study_dict, valid_tables, write_trial

settings.register_profile(
    "fuzz-quick",
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz-long",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings(
    settings.get_profile(os.environ.get("TRIAL_FUZZ_PROFILE", "fuzz-quick")),
    **(
        {"max_examples": int(os.environ["TRIAL_FUZZ_EXAMPLES"])}
        if os.environ.get("TRIAL_FUZZ_EXAMPLES")
        else {}
    ),
)
SMALL = Limits(
    seconds=30,
    memory_mb=1024,
    columns=60,
    rows=5_000,
    cells=60_000,
    excel_cells=5_000,
    sheets=4,
    json_bytes=200_000,
    parameters=50,
    visits=40,
    centers=50,
)

TRICKY = [
    "",
    " ",
    "P01",
    "P02",
    "0",
    "7",
    "-1",
    "1.5",
    "1e308",
    "1e400",
    "NaN",
    "inf",
    "9" * 40,
    "true",
    "F",
    "infusion",
    "death",
    "response",
    "MCR",
    "sledai",
    "c3",
    "published",
    "=1+1",
    '"',
    ",",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\u200b",
    "\u202e",
    "\u2066",
    "\u00a0",
    "\ufeff",
    "e\u0301",
    "\u00e9",
    "..",
    "a/b",
    "a\\b",
    "\ud800",
    "Center A",
    "x" * 300,
    "𝒳",
]
CELLS = st.one_of(
    st.sampled_from(TRICKY), st.text(max_size=10), st.integers(-(10**25), 10**25).map(str)
)


def outcome(load) -> Trial | None:
    """The property: a trial, or findings that name their file; nothing else."""
    try:
        return load()
    except DataError as err:
        assert err.findings
        for f in err.findings:
            assert f.file and f.level in ("error", "warning"), f
            str(f).encode("utf-8")  # every finding can be printed and sent
            assert "time limit" not in f.message, f  # a small input never runs for long
        return None


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


@st.composite
def native_table(draw):
    """One of the three tables: the valid one with random cells and header names."""
    name = draw(st.sampled_from(["patients", "measurements", "events"]))
    frame = valid_tables()[name]
    header = [
        draw(st.one_of(st.just(c), st.sampled_from(TRICKY), st.just(c.upper())))
        if draw(st.integers(0, 9)) == 0
        else c
        for c in frame.columns
    ]
    rows = frame.astype(str).values.tolist()
    for _ in range(draw(st.integers(0, 8))):
        r = draw(st.integers(0, len(rows) - 1))
        rows[r][draw(st.integers(0, len(header) - 1))] = draw(CELLS)
    return name, csv_bytes(header, rows)


@FUZZ
@given(native_table())
def test_native_csv_tables(case):
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp) / "t")
        (folder / f"{name}.csv").write_bytes(data)
        outcome(lambda: load_trial_bounded(folder, SMALL))


JSON_SNIPPETS = [
    '"title": "x", "title": "y"',
    '"n": ' + "1" * 5000,
    '"t": "\\ud800"',
    '"t": "\\udfff\\ud800"',
    '"n": NaN',
    '"n": -Infinity',
    '"n": 1e400',
    '"d": ' + "[" * 60 + "]" * 60,
    '"c": "' + "\u202e" + '"',
    '"centers": ["a", "a\\u200b"]',
    '"centers": []',
    '"title": ""',
    '"visits": [{"month": 0, "label": "B", "day": 1e300}]',
    '"measures": [{"code": "m", "label": "M", "max": 1e300}]',
]


@st.composite
def study_text(draw):
    study = study_dict()
    key = draw(st.sampled_from(sorted(study)))
    study[key] = draw(
        st.one_of(
            st.none(),
            st.booleans(),
            CELLS,
            st.integers(-(10**40), 10**40),
            st.floats(),
            st.lists(CELLS, max_size=4),
        )
    )
    text = json.dumps(study, ensure_ascii=draw(st.booleans()))
    snippet = draw(st.sampled_from(JSON_SNIPPETS))
    return text[:-1] + ", " + snippet + "}"


@FUZZ
@given(study_text())
def test_study_json(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp) / "t")
        (folder / "study.json").write_bytes(text.encode("utf-8", "surrogatepass"))
        outcome(lambda: load_trial_bounded(folder, SMALL))


@st.composite
def adam_csv(draw):
    frames = adam(subjects=draw(st.integers(1, 6)), parameters=draw(st.integers(1, 3)))
    name = draw(st.sampled_from(sorted(frames)))
    frame = frames[name]
    header = [
        draw(st.sampled_from([c, c.lower(), c + " ", "usubjid", "AVAL"]))
        if draw(st.integers(0, 7)) == 0
        else c
        for c in frame.columns
    ]
    rows = frame.values.tolist()
    for _ in range(draw(st.integers(0, 8))):
        r = draw(st.integers(0, len(rows) - 1))
        rows[r][draw(st.integers(0, len(header) - 1))] = draw(CELLS)
    files = {f"{k}.csv": v.to_csv(index=False).encode() for k, v in frames.items()}
    files[f"{name}.csv"] = csv_bytes(header, rows)
    return files


@FUZZ
@given(adam_csv())
def test_adam_csv(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "a"
        folder.mkdir()
        for n, data in files.items():
            (folder / n).write_bytes(data)
        outcome(lambda: load_trial_bounded(folder, SMALL))


XPT = {5: adam_xpt(5), 8: adam_xpt(8)}


@st.composite
def xpt_bytes(draw):
    files = dict(XPT[draw(st.sampled_from([5, 8]))])
    name = draw(st.sampled_from(sorted(files)))
    data = bytearray(files[name])
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cut", "flip", "insert", "repeat"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "cut":
            del data[at:]
        elif how == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(max_size=200))
        else:
            data += data[at : at + draw(st.integers(1, 400))]
    files[name] = bytes(data)
    return files


@FUZZ
@given(xpt_bytes())
def test_adam_xpt(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "a"
        folder.mkdir()
        for n, data in files.items():
            (folder / n).write_bytes(data)
        outcome(lambda: load_trial_bounded(folder, SMALL))


def _trial_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_trial(Path(tmp) / "t")
        return {p.name: p.read_bytes() for p in folder.iterdir()}


TRIAL_FILES = _trial_files()
NAMES = st.one_of(
    st.sampled_from(
        sorted(TRIAL_FILES)
        + [
            "adsl.xpt",
            "adlbc.xpt",
            "x.zip",
            "../../etc/passwd.csv",
            "a/b/c.csv",
            ".hidden.csv",
            "notes.txt",
            "pätients.csv",
            "a\u202e.csv",
        ]
    ),
    st.text(max_size=20),
)


@st.composite
def upload(draw):
    files = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(NAMES)
        data = draw(
            st.one_of(
                st.sampled_from(list(TRIAL_FILES.values())),
                st.sampled_from(list(XPT[5].values())),
                st.binary(max_size=300),
            )
        )
        if draw(st.integers(0, 5)) == 0:
            data = zipped({draw(st.sampled_from(sorted(TRIAL_FILES))): data})
            name = name + ".zip"
        files.append((name, data))
    if draw(st.booleans()):  # a whole trial, with one file changed
        files = [(n, d) for n, d in TRIAL_FILES.items() if n not in dict(files)] + files
    return files


@FUZZ
@given(upload())
def test_upload_route(files):
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(
            Path(tmp) / "up",
            SessionSettings(
                limits=UploadLimits(max_bytes=1 << 20, max_unpacked_bytes=4 << 20),
                check_limits=SMALL,
            ),
        )
        made = outcome(lambda: store.create(files, owner="fuzz"))
        sessions = [p for p in store.root.iterdir() if not p.name.startswith(".")]
        if made is None:
            assert sessions == []  # a refused upload leaves nothing behind
        else:
            token, dataset, _ = made
            assert len(sessions) == 1 and len(dataset.trial.patients) >= 1
            assert store.get(token, "fuzz") is dataset
