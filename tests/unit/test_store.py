"""The store of validated trials (trial/store.py): exact round trips, keys that follow every
input, damaged entries rebuilt, concurrent writers, errors never stored, and the bounded load
that reads Parquet instead of receiving the trial through its pipe."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from adam_factories import write_adam

import trial.loader
import trial.store
from trial.limits import Limits
from trial.loader import load_trial, load_trial_bounded
from trial.model import (
    ArmVariable,
    DataError,
    Design,
    EndpointChoice,
    Finding,
    Measure,
    Population,
    StoredTable,
    Study,
    Trial,
    Visit,
    VisitAxis,
)
from trial.store import (
    MANIFEST,
    PATIENT_ROW,
    DamagedEntry,
    Store,
    dataset_key,
    decode,
    default_root,
    encode,
)

from factories import assert_same_trial, valid_tables, write_trial

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data"
PILOT = ROOT.parent / "shared" / "data" / "cdiscpilot01"
QUICK = Limits(seconds=60, memory_mb=2048)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store")


def _entries(store: Store) -> list[Path]:
    return sorted(p for p in store.root.iterdir()) if store.root.is_dir() else []


def _round_trip(store: Store, folder: Path, config=None) -> None:
    direct = load_trial(folder, config)
    key = dataset_key(folder, config)
    assert store.put(key, direct)
    assert_same_trial(store.get(key, folder), direct)


# --- round trips ---------------------------------------------------------------------------


def test_the_demo_comes_back_exactly(store):
    _round_trip(store, DEMO)


def test_the_measurements_read_back_stay_in_their_file(store, demo_trial):
    """Read from the store, a trial leaves its measurements in the Parquet file the engine
    reads (no process holds their rows); their types, count and measures are those loaded."""
    store.put("k" * 64, demo_trial)
    got = store.get("k" * 64, demo_trial.source)
    assert isinstance(got.measurements, StoredTable)
    assert got.measurements.path == dict(got.parquet_files)["measurements"]
    assert got.measurement_count == len(demo_trial.measurements)
    assert got.measure_codes == demo_trial.measure_codes
    pd.testing.assert_frame_equal(
        got.measurement_template, demo_trial.measurements.iloc[0:0], check_index_type=False
    )


def test_small_adam_folders_come_back_exactly(store, tmp_path):
    _round_trip(store, write_adam(tmp_path / "adam"))
    config = {"title": "Configured title", "center_label": "Clinic"}
    _round_trip(store, write_adam(tmp_path / "configured"), config)


def test_every_kind_of_column_comes_back_exactly(store, demo_trial):
    """Types the loaders do not all make today but a table may hold: categoricals (ordered
    too), nullable integers, booleans and floats, strings, dates with and without a time zone,
    NaN or None in text, and an index that is not 0..n-1."""
    p = demo_trial.patients
    n = len(p)
    typed = p.assign(
        center=p["center"].astype("category"),
        grade=pd.Categorical(["low", "high"] * (n // 2), ["low", "high"], ordered=True),
        visits=pd.array([6] * (n - 1) + [None], dtype="Int64"),
        flag=pd.array([True] * (n - 1) + [None], dtype="boolean"),
        score=pd.array([1.5] * (n - 1) + [None], dtype="Float64"),
        note=pd.array(["x"] * (n - 1) + [None], dtype="string"),
        with_nan=["x"] * (n - 1) + [float("nan")],
        with_none=["x"] * (n - 1) + [None],
        enrolled=pd.date_range("2020-01-01", periods=n, freq="D"),
        signed=pd.date_range("2020-01-01 09:30", periods=n, freq="h", tz="Asia/Shanghai"),
    )
    events = demo_trial.events.set_axis(range(10, 10 + len(demo_trial.events) * 2, 2))
    t = replace(demo_trial, patients=typed, events=events)
    store.put("k" * 64, t)
    assert_same_trial(store.get("k" * 64, t.source), t)


def test_ids_are_kept_as_rows_of_the_patients_table(store, demo_trial):
    """Every table's ids are known patients: each file keeps the ids as text (the engine reads
    them in SQL) and their rows in the patients table, by which they are read back, sharing
    the patients' strings."""
    store.put("k" * 64, demo_trial)
    entry = store.root / ("k" * 64)
    for table in ("measurements", "events"):
        schema = pq.read_schema(entry / f"{table}.parquet")
        assert schema.field("patient_id").type == pa.string(), table
        rows = pq.read_table(entry / f"{table}.parquet", columns=[PATIENT_ROW])[0].to_numpy()
        ids = getattr(demo_trial, table)["patient_id"].tolist()
        assert demo_trial.patients["patient_id"].take(rows).tolist() == ids, table
    got = store.get("k" * 64, demo_trial.source)
    assert_same_trial(got, demo_trial)
    by_id = {id(v) for v in got.patients["patient_id"]}
    assert {id(v) for v in got.frame("measurements")["patient_id"]} <= by_id


def test_ids_unknown_to_the_patients_table_stay_text(store, demo_trial):
    events = demo_trial.events.assign(
        patient_id=["nobody"] + demo_trial.events["patient_id"].iloc[1:].tolist()
    )
    t = replace(demo_trial, events=events)
    store.put("k" * 64, t)
    entry = store.root / ("k" * 64)
    assert PATIENT_ROW not in pq.read_schema(entry / "events.parquet").names
    assert PATIENT_ROW in pq.read_schema(entry / "measurements.parquet").names
    assert_same_trial(store.get("k" * 64, t.source), t)


def _engine_rows(t: Trial) -> dict[str, pd.DataFrame]:
    """Each engine table's ids and patient rows, as the engine reads them."""
    return {
        name: t.engine.frame(f"SELECT patient_id, patient_row FROM {name}")
        for name in ("patients", "measurements", "events", "adverse_events")
    }


def test_the_engine_joins_on_each_ids_row_in_the_patients_table(store, demo_trial):
    """`patient_row`, the key every query joins on, is the id's row in the patients table,
    read from the store's files (the stored rows; the patients file's row numbers; looked up
    by id for a table stored without them) exactly as from the frames; an id the patients
    table does not know has no row (NULL in the files, -1 from the frames), so it joins no one."""
    events = demo_trial.events.assign(
        patient_id=["nobody"] + demo_trial.events["patient_id"].iloc[1:].tolist()
    )
    t = replace(demo_trial, events=events)
    store.put("k" * 64, t)
    stored = store.get("k" * 64, t.source)
    assert stored.parquet_files and not t.parquet_files
    ids = t.patients["patient_id"].astype(str).tolist()
    for name, rows in _engine_rows(stored).items():
        known = rows["patient_row"].notna()
        got = [ids[int(r)] for r in rows.loc[known, "patient_row"]]
        assert got == rows.loc[known, "patient_id"].tolist(), name
        assert set(rows.loc[~known, "patient_id"]) <= {"nobody"}, name
    assert _engine_rows(stored)["events"]["patient_row"].isna().sum() == 1
    from_frames = _engine_rows(t)
    assert (from_frames["events"]["patient_row"] == -1).sum() == 1
    for name, rows in _engine_rows(stored).items():
        want = from_frames[name].sort_values(["patient_id", "patient_row"], ignore_index=True)
        got = rows.fillna({"patient_row": -1}).astype({"patient_row": "int32"})
        got = got.sort_values(["patient_id", "patient_row"], ignore_index=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)


def test_rows_of_patients_not_in_the_trial_are_refused(demo_trial):
    some = demo_trial.patients.iloc[[3, 0]]
    assert demo_trial.patient_rows(some).tolist() == [3, 0]
    stranger = pd.DataFrame({"patient_id": ["nobody"]})
    with pytest.raises(ValueError, match="not in this trial"):
        demo_trial.patient_rows(stranger)


def test_the_cdisc_pilot_comes_back_exactly(store):
    if not PILOT.is_dir():
        pytest.skip(f"the CDISC pilot is not at {PILOT} (present in CI, absent on user clones)")
    _round_trip(store, PILOT)


def test_the_study_definition_codec_is_exact():
    visits = (Visit(0, "Baseline", 1), Visit(2.5, "Week 2.5", 18))
    study = Study(
        title="T",
        short_title="t",
        visits=visits,
        measures=(Measure("alt", "ALT", "U/L", ref_low=7.0, max=None, visits=visits),),
        column_labels=(("age", "Age (years)"),),
        primary_group="arm",
        design=Design(
            populations=(Population("SAFFL", "Safety population", "_pop_saffl", "ADSL", 9),),
            default_population=(("efficacy", "ITTFL"), ("safety", "SAFFL")),
            arms=(ArmVariable("planned", "TRT01P", "arm_planned", "planned (TRT01P)"),),
            visit_axes=(VisitAxis("ADLBC", "week", "AVISIT labels", visits),),
            endpoints=(EndpointChoice("NEXAC", "Exacerbations", "COUNT", False, "a count"),),
            excluded=(("screen failures", 2),),
            notes=("a note",),
        ),
    )
    finding = Finding("warning", "adsl.xpt", "m", row=3, column="AGE", value="\u202e", key=None)
    assert decode(Study, json.loads(json.dumps(encode(study)))) == study
    assert decode(Finding, json.loads(json.dumps(encode(finding)))) == finding
    broken = encode(study)
    del broken["design"]
    with pytest.raises(DamagedEntry):
        decode(Study, broken)


# --- keys ------------------------------------------------------------------------------------


def _copy_demo(tmp_path: Path, name: str = "demo") -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / name))


@pytest.mark.parametrize("file", sorted(p.name for p in DEMO.iterdir() if p.is_file()))
def test_a_changed_byte_in_any_file_gives_a_new_key(tmp_path, file):
    folder = _copy_demo(tmp_path)
    before = dataset_key(folder)
    data = bytearray((folder / file).read_bytes())
    data[len(data) // 2] ^= 1
    (folder / file).write_bytes(bytes(data))
    assert dataset_key(folder) != before


def test_the_key_follows_content_not_place(tmp_path):
    a, b = _copy_demo(tmp_path / "a"), _copy_demo(tmp_path / "b")
    assert dataset_key(a) == dataset_key(b)
    (b / "notes.txt").write_text("a new file")
    assert dataset_key(a) != dataset_key(b)


def test_the_config_the_limits_and_the_code_are_in_the_key(tmp_path, monkeypatch):
    folder = write_adam(tmp_path / "adam")
    plain = dataset_key(folder)
    assert dataset_key(folder, {"title": "A"}) not in (plain, dataset_key(folder, {"title": "B"}))
    config = tmp_path / "adam.json"
    config.write_text('{"title": "A"}')
    from_file = dataset_key(folder, config)
    config.write_text('{"title": "B"}')
    assert dataset_key(folder, config) != from_file
    assert dataset_key(folder, limits=Limits(rows=1000)) != plain
    assert dataset_key(folder, limits=Limits(seconds=1)) == plain  # time decides no finding
    monkeypatch.setattr(trial.store, "code_version", lambda: "other code")
    assert dataset_key(folder) != plain


def test_no_key_for_what_is_not_a_folder(tmp_path):
    assert dataset_key(tmp_path / "missing") is None
    (tmp_path / "file.csv").write_text("a\n")
    assert dataset_key(tmp_path / "file.csv") is None


# --- the bounded load through the store ------------------------------------------------------


def test_the_bounded_load_stores_and_does_not_send_the_trial(tmp_path, store, monkeypatch):
    sent = []

    def spy(*args):
        sent.append(real(*args))
        return sent[-1]

    real = trial.loader.run_bounded
    monkeypatch.setattr(trial.loader, "run_bounded", spy)
    got = load_trial_bounded(DEMO, QUICK, store=store)
    assert sent == [None]  # only a word came back through the pipe
    (entry,) = _entries(store)
    assert entry.name == dataset_key(DEMO, limits=QUICK)
    assert_same_trial(got, load_trial(DEMO))
    assert got.warnings  # the demo's warnings came through the store


def test_a_warm_load_reads_and_checks_no_source_file(store, monkeypatch):
    first = load_trial_bounded(DEMO, QUICK, store=store)

    def refuse(*args, **kw):
        raise AssertionError("the source files were read again")

    monkeypatch.setattr(trial.loader, "run_bounded", refuse)
    monkeypatch.setattr(trial.loader, "load_trial", refuse)
    assert_same_trial(load_trial_bounded(DEMO, QUICK, store=store), first)


def test_a_store_that_cannot_be_made_only_costs_the_keeping(tmp_path):
    """A store folder that cannot be made (a file in its way; a read-only disk alike): the
    dataset is checked and loaded as without a store, nothing is kept."""
    (tmp_path / "file").write_text("in the way")
    blocked = Store(tmp_path / "file" / "store")
    assert not blocked.put("k" * 64, load_trial(DEMO))
    got = load_trial_bounded(DEMO, QUICK, store=blocked)
    assert_same_trial(got, load_trial(DEMO))
    assert (tmp_path / "file").is_file()


def test_the_default_store_is_the_configured_folder_private(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAL_STORE_DIR", str(tmp_path / "configured"))
    assert default_root() == tmp_path / "configured"
    load_trial_bounded(DEMO, QUICK)
    root = tmp_path / "configured"
    (entry,) = list(root.iterdir())
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in entry.iterdir()} == {0o600}


def test_a_dataset_with_errors_is_never_stored_and_fails_alike_each_time(tmp_path, store):
    tables = valid_tables()
    tables["measurements"].loc[0, "value"] = "not a number"
    folder = write_trial(tmp_path / "bad", **tables)
    raised = []
    for _ in range(2):
        with pytest.raises(DataError) as caught:
            load_trial_bounded(folder, QUICK, store=store)
        raised.append(caught.value.findings)
    assert raised[0] == raised[1] and any(f.level == "error" for f in raised[0])
    assert not [p for p in _entries(store) if not p.name.startswith(".")]


def _damage_table(entry: Path) -> None:
    path = entry / "measurements.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _drop_manifest(entry: Path) -> None:
    (entry / MANIFEST).unlink()


def _truncate_document(entry: Path) -> None:
    path = entry / "trial.json"
    path.write_bytes(path.read_bytes()[:-10])


@pytest.mark.parametrize("damage", [_damage_table, _drop_manifest, _truncate_document])
def test_a_damaged_entry_is_rebuilt_not_trusted(store, damage):
    want = load_trial(DEMO)
    load_trial_bounded(DEMO, QUICK, store=store)
    (entry,) = _entries(store)
    damage(entry)
    assert store.get(entry.name, DEMO) is None  # detected, and removed
    assert not entry.exists()
    assert_same_trial(load_trial_bounded(DEMO, QUICK, store=store), want)
    (rebuilt,) = _entries(store)
    assert_same_trial(store.get(rebuilt.name, DEMO), want)


def _put_when_told(root: str, key: str, go, done) -> None:
    t = load_trial(DEMO)
    go.wait(30)
    done.put(Store(Path(root)).put(key, t))


def test_two_processes_storing_at_once_leave_one_valid_entry(store):
    ctx = multiprocessing.get_context("fork")
    go, done = ctx.Event(), ctx.Queue()
    key = dataset_key(DEMO)
    writers = [
        ctx.Process(target=_put_when_told, args=(str(store.root), key, go, done)) for _ in range(2)
    ]
    for w in writers:
        w.start()
    go.set()
    for w in writers:
        w.join(60)
    assert [done.get(timeout=5) for _ in writers] == [True, True]  # the loser is served too
    (entry,) = _entries(store)  # no half-written copy left behind
    assert entry.name == key
    assert_same_trial(store.get(key, DEMO), load_trial(DEMO))


def test_a_second_writer_keeps_the_first_entry(store):
    t = load_trial(DEMO)
    key = dataset_key(DEMO)
    assert store.put(key, t)
    manifest = (store.root / key / MANIFEST).stat()
    assert store.put(key, t)
    assert (store.root / key / MANIFEST).stat().st_ino == manifest.st_ino
    assert [p.name for p in _entries(store)] == [key]


def test_a_store_folder_open_to_others_is_refused(tmp_path):
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o755)
    with pytest.raises(ValueError, match="closed to others"):
        load_trial_bounded(DEMO, QUICK, store=Store(open_folder))
