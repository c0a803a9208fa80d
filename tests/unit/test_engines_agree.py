"""The same analysis on DuckDB (in process, the default, over the trial's frames), on DuckDB over
the Parquet files of the store of validated trials, and on PostgreSQL (a throwaway cluster
started here, read through a read-only role): identical numbers for the per-visit aggregates
and paired tests, Table 1, the adverse-event counts, the TEAE table and the waterfall, on the
demo and on the CDISC pilot.

The cluster needs PostgreSQL's server programs (Debian's `postgresql`: initdb and pg_ctl,
found on PATH or in /usr/lib/postgresql/*/bin). initdb refuses to run as root, so as root the
cluster runs as the `postgres` user; without the programs or that user the tests are skipped
with the reason (under CI missing programs are a failure: .ci/run installs them)."""

from __future__ import annotations

import dataclasses
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from trial import query, tables
from trial.analysis import response
from trial.analysis.cohort import Cohort, labelled
from trial.filters import PatientFilter, analysis_patients
from trial.loader import load_trial, load_trial_bounded
from trial.model import Trial
from trial.stats import baseline_values, engine_visit_summary, measure_patients
from trial.store import Store

from conftest import DEMO, free_port

READER = "trial_reader"
DATABASE = "trials"


def _program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_cluster_user() -> list[str]:
    """The command prefix that runs a program as the cluster's owner ([] when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run initdb as")
    runuser = shutil.which("runuser")
    if not runuser:
        pytest.skip("running as root and runuser is missing (initdb refuses to run as root)")
    return [runuser, "-u", "postgres", "--"]


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on loopback, on a free port."""

    def __init__(self, initdb: str, pg_ctl: str):
        self.prefix = _as_cluster_user()
        # mkdtemp, not pytest's tmp_path: root's pytest folders are closed to other users
        self.folder = Path(tempfile.mkdtemp(prefix="trial-pg-"))
        if self.prefix:
            shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.pg_ctl, self.data = pg_ctl, self.folder / "data"
        pwfile = self.folder / "admin.pw"
        pwfile.write_text(self.password)
        if self.prefix:
            shutil.chown(pwfile, "postgres")
        self._run(initdb, "-D", str(self.data), "-U", "admin", f"--pwfile={pwfile}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C")  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "log"), "-w", "start")  # fmt: skip

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    def url(self, user: str, password: str, database: str = "postgres", schema: str = "") -> str:
        url = f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    """(admin URL, reader password, cluster): a database `trials` and a role that may only
    read it."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (extra: postgres)")
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if not initdb or not pg_ctl:
        reason = "PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql)"
        if os.environ.get("CI"):  # as the browser tests: CI must run them (.ci/run installs it)
            pytest.fail(f"CI must compare the engines, but {reason}")
        pytest.skip(reason)
    cluster = Cluster(initdb, pg_ctl)
    try:
        reader_password = secrets.token_hex(16)
        with psycopg.connect(cluster.url("admin", cluster.password), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {DATABASE}")
            con.execute(
                f"CREATE ROLE {READER} LOGIN PASSWORD '{reader_password}' "
                "NOSUPERUSER NOCREATEDB NOCREATEROLE"
            )
        with psycopg.connect(cluster.url("admin", cluster.password, DATABASE)) as con:
            con.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            con.execute(f"ALTER ROLE {READER} SET default_transaction_read_only = on")
        yield cluster, reader_password
    finally:
        cluster.stop()


def on_postgres(trial: Trial, postgres, schema: str, monkeypatch) -> Trial:
    """The same trial, its engine on PostgreSQL: its tables published to `schema`, read by the
    read-only role through the one connection setting."""
    cluster, reader_password = postgres
    admin = cluster.url("admin", cluster.password, DATABASE)
    query.publish(admin, schema, trial.tables, READER)
    monkeypatch.setenv(query.DATABASE_URL, cluster.url(READER, reader_password, DATABASE, schema))
    copy = dataclasses.replace(trial)  # a new Trial: its engine reads the setting when opened
    assert copy.engine.backend == "postgresql"
    monkeypatch.delenv(query.DATABASE_URL)
    return copy


def from_store(path: Path, folder: Path) -> Trial:
    """The same trial read back from a store of validated trials in `folder`: its DuckDB
    engine reads the store's Parquet files where they lie instead of copies in memory."""
    store = Store(folder)
    load_trial_bounded(path, store=store)  # converts and keeps it
    trial = load_trial_bounded(path, store=store)  # read from the store
    assert trial.engine.backend == "duckdb"
    sources = trial._engine_sources()
    assert all(isinstance(sources[t], query.ParquetTable) for t in ("patients", "measurements"))
    return trial


def _study_path(study: str, shared: Path) -> Path:
    return DEMO if study == "demo" else shared / "cdiscpilot01"


@pytest.fixture(scope="module")
def on_pg(postgres, shared_data):
    """study -> (DuckDB trial, PostgreSQL trial), each study published once."""
    made: dict[str, tuple[Trial, Trial]] = {}
    with pytest.MonkeyPatch.context() as mp:

        def get(study: str) -> tuple[Trial, Trial]:
            if study not in made:
                trial = load_trial(_study_path(study, shared_data))
                assert trial.engine.backend == "duckdb"
                made[study] = (trial, on_postgres(trial, postgres, study, mp))
            return made[study]

        yield get


@pytest.fixture(scope="module", params=["demo", "pilot"])
def both(request, on_pg):
    """(DuckDB trial, PostgreSQL trial) of one study."""
    return on_pg(request.param)


@pytest.fixture(
    scope="module",
    params=[(s, b) for s in ("demo", "pilot") for b in ("postgresql", "parquet")],
    ids=lambda p: "-".join(p),
)
def pair(request, shared_data, tmp_path_factory):
    """(DuckDB trial over frames in memory, the same trial on another back-end): PostgreSQL,
    or DuckDB over the Parquet files of the store."""
    study, backend = request.param
    if backend == "postgresql":
        return request.getfixturevalue("on_pg")(study)
    path = _study_path(study, shared_data)
    return load_trial(path), from_store(path, tmp_path_factory.mktemp("store"))


def test_the_reader_cannot_write(both):
    _, pg = both
    with pytest.raises(Exception, match="read-only"):
        pg.engine.frame("CREATE TABLE measurements_copy AS SELECT * FROM measurements")
    with pytest.raises(Exception, match="read-only|permission"):
        pg.engine.frame("DELETE FROM measurements")


def _cohort(trial: Trial, code: str, column: str | None) -> pd.DataFrame:
    patients = measure_patients(trial, code, analysis_patients(trial, PatientFilter()))
    groups = labelled(trial, patients, column).astype(str)
    return pd.DataFrame({"patient_id": patients["patient_id"], "grp": groups.to_numpy()})


def test_per_visit_summaries_are_identical(pair):
    duck, pg = pair
    column = "response" if duck.has_response else "arm"
    # every measure of the demo; the key measures of the pilot (its labs are many: minutes)
    codes = duck.measure_codes if duck.study.source_format == "native" else duck.key_measure_codes
    for code in codes:
        months = tuple(v.month for v in duck.study.measure_visits(code))
        for column_ in (None, column):
            cohort = _cohort(duck, code, column_)
            for scale in ("value", "change", "pct_change"):
                for test in ("paired_t", "wilcoxon"):
                    args = (code, cohort, months, scale, test)
                    want = engine_visit_summary(duck, *args)
                    got = engine_visit_summary(pg, *args)
                    assert want["n"].sum() > 0 or scale != "value", code
                    pd.testing.assert_frame_equal(got, want, check_exact=True, obj=str(args[0]))


def test_table1_is_identical(pair):
    duck, pg = pair
    patients = analysis_patients(duck, PatientFilter())
    for who in (patients, patients.iloc[::3], patients.iloc[0:0]):
        want = tables.baseline_numbers(duck, who)
        pd.testing.assert_frame_equal(tables.baseline_numbers(pg, who), want, check_exact=True)


def test_adverse_event_counts_are_identical(pair):
    duck, pg = pair
    patients = analysis_patients(duck, PatientFilter(), "safety")
    for who in (patients, patients.iloc[::2]):
        want = tables.adverse_event_counts(duck, who)
        pd.testing.assert_frame_equal(tables.adverse_event_counts(pg, who), want, check_exact=True)
        want = tables.safety_numbers(duck, who)
        assert len(want)
        pd.testing.assert_frame_equal(tables.safety_numbers(pg, who), want, check_exact=True)


def test_best_change_is_identical(pair):
    """The waterfall's best % change per patient, every post-baseline change and who is counted
    but not drawn: one query on each back-end (ids ordered by bytes on both)."""
    duck, pg = pair
    for code in duck.key_measure_codes:
        for group in response.group_choices(duck):
            request = response.request_for(duck, Cohort(), code, group)
            want, got = response.best_change(duck, request), response.best_change(pg, request)
            assert len(want.best), (code, group)
            pd.testing.assert_frame_equal(got.best, want.best, check_exact=True, obj=code)
            pd.testing.assert_frame_equal(got.changes, want.changes, check_exact=True, obj=code)
            pd.testing.assert_frame_equal(got.by_group, want.by_group, check_exact=True)
            assert (got.no_baseline, got.no_post) == (want.no_baseline, want.no_post)


def test_baseline_values_of_the_patient_list_are_identical(pair):
    duck, pg = pair
    codes = duck.key_measure_codes
    ids = duck.patients["patient_id"].iloc[::2]
    want = baseline_values(duck, codes, ids)
    assert want.notna().to_numpy().sum() > len(ids)  # several measures' baselines found
    got = baseline_values(pg, codes, ids)
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_exact=True)
