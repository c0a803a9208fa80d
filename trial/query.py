"""The query layer: where the analysis engine's aggregates are computed, in SQL.

    engine = open_engine(tables)                  # DuckDB in process over the given frames
    engine = open_engine(tables, "postgresql://app@127.0.0.1:5432/trials?options=-csearch_path%3Ddemo")
    frame = engine.frame(sql, {"measure": "sledai"}, relations={"cohort": cohort})

One SQL text runs on every back-end: a portable subset of SQL (standard aggregates,
window functions, `GROUPING SETS`, `FILTER`, `CASE`, `NULLIF`, `array_agg`, ordered
and subscripted: `array_agg(x ORDER BY x)[i]`, 1-based in both) that DuckDB and
PostgreSQL run alike, with named parameters written `$name`. Sums are written so that they do
not depend on the order of the rows (`cells_sql`): every engine gives the same means and SDs to
the last bit. Quantiles are not asked of the
database (`percentile_cont` interpolates differently in each engine and in pandas): queries
return the order statistics and `interpolate` does the arithmetic, once, in Python.

Tables are named by the caller (`patients`, `measurements`, `events`, `adverse_events`: see
`trial.model.Trial.tables`). A request's own small relations (the selected patients and their
group) are bound per query under a name: registered with DuckDB, sent to PostgreSQL as arrays
unnested in a `WITH` clause (no temporary table: the app's role only reads).

Back-ends (docs/architecture.md, "The query layer"):
- DuckDB (default): an in-process connection over the Parquet files of the store of
  validated trials where a trial was read from it (`ParquetTable`: nothing copied into
  memory, every worker reads the same files), else over Arrow copies of the trial's frames
  (made once per engine and only read afterwards); one thread per connection, so that sums
  are added in the same order at every call.
- PostgreSQL: chosen by one setting, the connection URL (`TRIAL_DATABASE_URL`), whose
  `search_path` names the schema holding the trial's tables (written by `publish`); the
  sessions are read-only.

Connections are pooled per engine and per process: a connection is used by one request at a
time and goes back to the pool afterwards; a forked worker opens its own.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

DATABASE_URL = "TRIAL_DATABASE_URL"  # the one setting that selects the server back-end
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


class Connection(Protocol):
    def frame(
        self, sql: str, params: Mapping[str, Any], relations: Mapping[str, pd.DataFrame]
    ) -> pd.DataFrame: ...

    def close(self) -> None: ...


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """An Arrow table of a frame: NaN becomes NULL, as SQL aggregates expect; a column of
    text stays text when the frame is empty (Arrow would make it of no type)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if len(frame) or not any(pa.types.is_null(t) for t in table.schema.types):
        return table
    schema = pa.schema(
        [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    )
    return table.cast(schema)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


PATIENT_ROW = "patient_row"  # in every table the engine reads: its patient's row in `patients`
FILE_ROW = "file_row_number"  # DuckDB's row number of a Parquet file (`read_parquet` option)
STORED_ROW = "__patient_row"  # the same, as the store of validated trials writes it (trial.store)
# In the measurements: the row's place in the table as loaded, so that rows read back in SQL
# come in the order the loader left them (the order every analysis saw in memory).
ROW_ORDER = "row_order"


@dataclass(frozen=True)
class ParquetTable:
    """A table DuckDB reads from a Parquet file where it lies, instead of from a copy in memory:
    the file's `columns`, those in `text` as text (ids, as `Trial.tables` gives them), and
    `PATIENT_ROW` from the file's column `rows` (`FILE_ROW`: the patients table itself), or
    looked up in the patients table by id when the file has none; `ROW_ORDER` where `ordered`
    (the row's place in the file). Every process reads the same file (through the system's page
    cache), so a worker's memory does not grow with the data."""

    path: str
    columns: tuple[str, ...]
    text: tuple[str, ...] = ()
    rows: str = ""
    ordered: bool = False

    def select(self) -> str:
        cols = [
            f"CAST(t.{_identifier(c)} AS VARCHAR) AS {_identifier(c)}"
            if c in self.text
            else f"t.{_identifier(c)}"
            for c in self.columns
        ]
        if self.ordered:
            cols.append(f"t.{FILE_ROW} AS {ROW_ORDER}")
        numbered = self.ordered or self.rows == FILE_ROW
        path = self.path.replace("'", "''")
        source = f"read_parquet('{path}'{', file_row_number = true' if numbered else ''}) t"
        if self.rows:
            return (
                f"SELECT {', '.join(cols)}, CAST(t.{_identifier(self.rows)} AS INTEGER) "
                f"AS {PATIENT_ROW} "
                f"FROM {source}"
            )
        return (
            f"SELECT {', '.join(cols)}, p.{PATIENT_ROW} FROM {source} "
            f"LEFT JOIN patients p ON p.patient_id = CAST(t.patient_id AS VARCHAR)"
        )


Source = pd.DataFrame | ParquetTable


class DuckDBConnection:
    def __init__(self, tables: Mapping[str, pa.Table | ParquetTable]):
        import duckdb

        self._con = duckdb.connect(":memory:")
        # One thread: the same query adds the same numbers in the same order every time (the
        # view and its export agree to the last bit), and two users share the two cores.
        self._con.execute("SET threads = 1")
        for name, table in tables.items():
            if isinstance(table, ParquetTable):
                self._con.execute(f"CREATE VIEW {_identifier(name)} AS {table.select()}")
            else:
                self._con.register(name, table)

    def frame(self, sql, params, relations):
        for name, rel in relations.items():
            self._con.register(name, _arrow(rel))
        try:
            return self._con.execute(sql, dict(params)).df()
        finally:
            for name in relations:
                self._con.unregister(name)

    def close(self) -> None:
        self._con.close()


def _sql_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_integer_dtype(values):
        return "bigint"
    if pd.api.types.is_float_dtype(values):
        return "double precision"
    return "text"


def _python_values(values: pd.Series) -> list:
    """Plain Python values with missing ones as None (what the driver sends as NULL)."""
    return [None if pd.isna(v) else v for v in values.astype(object).tolist()]


def _with_relations(sql: str, relations: Mapping[str, pd.DataFrame]) -> tuple[str, dict]:
    """The relations as `name(cols) AS (SELECT * FROM unnest(arrays))` before the query's own
    `WITH` clauses, and the arrays as parameters."""
    ctes, params = [], {}
    for name, rel in relations.items():
        arrays = []
        for i, col in enumerate(rel.columns):
            key = f"_{name}_{i}"
            params[key] = _python_values(rel[col])
            arrays.append(f"%({key})s::{_sql_type(rel[col])}[]")
        cols = ", ".join(rel.columns)
        ctes.append(f"{name}({cols}) AS (SELECT * FROM unnest({', '.join(arrays)}))")
    if not ctes:
        return sql, params
    body = sql.lstrip()
    if body[:4].upper() == "WITH":
        return f"WITH {', '.join(ctes)}, {body[4:]}", params
    return f"WITH {', '.join(ctes)} {body}", params


class PostgresConnection:
    def __init__(self, url: str):
        import psycopg

        self._con = psycopg.connect(url, autocommit=True)
        self._con.execute("SET default_transaction_read_only = on")

    def frame(self, sql, params, relations):
        text, bound = _with_relations(sql.replace("%", "%%"), relations)
        text = _PARAM.sub(r"%(\1)s", text)
        with self._con.cursor() as cur:
            cur.execute(text, {**params, **bound})
            names = [d.name for d in cur.description or ()]
            rows = cur.fetchall()
        return pd.DataFrame.from_records(rows, columns=names, coerce_float=True)

    def close(self) -> None:
        self._con.close()


class Engine:
    """Runs queries on one back-end through a pool of connections of this process."""

    def __init__(self, tables: Mapping[str, Source], url: str | None = None):
        self.url = url or None
        self.backend = "postgresql" if self.url else "duckdb"
        self._sources = dict(tables)
        self._arrow: dict[str, pa.Table | ParquetTable] | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._idle: queue.SimpleQueue = queue.SimpleQueue()

    def _tables(self) -> dict[str, pa.Table | ParquetTable]:
        with self._lock:
            if self._arrow is None:
                self._arrow = {
                    name: t if isinstance(t, ParquetTable) else _arrow(t)
                    for name, t in self._sources.items()
                }
                self._sources = {}  # only the Arrow copies are read from now on
            return self._arrow

    def _connect(self) -> Connection:
        if self.url:
            return PostgresConnection(self.url)
        return DuckDBConnection(self._tables())

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        if os.getpid() != self._pid:  # a forked worker: the parent's connections are not ours
            self._pid, self._idle = os.getpid(), queue.SimpleQueue()
        try:
            con = self._idle.get_nowait()
        except queue.Empty:
            con = self._connect()
        try:
            yield con
        except BaseException:
            con.close()  # a connection whose query failed is not handed to the next request
            raise
        self._idle.put(con)

    def frame(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        relations: Mapping[str, pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """The rows of a query as a frame (NULL as NaN in numeric columns). Parameters the
        query does not name are left out (one set of parameters may serve several queries)."""
        names = set(_PARAM.findall(sql))
        used = {k: v for k, v in (params or {}).items() if k in names}
        with self.connection() as con:
            return con.frame(sql, used, relations or {})


def open_engine(tables: Mapping[str, Source], url: str | None = None) -> Engine:
    """The engine over `tables` (frames, or Parquet files DuckDB reads where they lie): DuckDB,
    or the database at `url` (default: the
    `TRIAL_DATABASE_URL` setting), which must hold the same tables."""
    return Engine(tables, url if url is not None else os.environ.get(DATABASE_URL))


def scratch_engine(**tables: pd.DataFrame) -> Engine:
    """A DuckDB engine over the given frames only (statistics of a frame the caller holds)."""
    return Engine(tables, None)


# --- Per-cell statistics: moments and order statistics ------------------------------------------
#
# Sums are where engines differ: each adds in its own order with its own algorithm (DuckDB and
# PostgreSQL disagree in the last bits, and a plain sum can move a mean such as 6.975, of values
# with two decimals, across a rounding boundary). So each value (for the sum) and each residual
# from the cell's median value (for the SD) is split into a part on a
# coarse grid (27 bits below the largest one: sums of these are exact in any order, on any
# engine) and a remainder too small for its rounding to matter. Mean and SD then come out the
# same on every engine and as pandas' compensated sums give them; quantiles are interpolated in
# Python from the order statistics.


def _grid(vmax: str) -> str:
    """The coarse grid of values whose largest magnitude is `vmax`: 26 bits below its power
    of two."""
    return (
        f"(CASE WHEN {vmax} > 0 THEN power(CAST(2 AS DOUBLE PRECISION), "
        f"floor(ln({vmax}) / ln(2)) - 26) ELSE 1 END)"
    )


# The parts each sum is split into: (name, value, its cell's largest magnitude), per value n.
def _parts(n: str) -> tuple[tuple[str, str, str], ...]:
    r, a = f"{n}_res", f"{n}_a"
    return ((f"{n}_p0", n, f"{n}_ax"), (f"{n}_p1", r, a), (f"{n}_p2", f"{r} * {r}", f"{a} * {a}"))


def _rank(q: float | str, n: str) -> str:
    """Rank floor(q (n - 1)) + 1 of n values, as an index into their sorted array."""
    return f"CAST(floor({q} * ({n} - 1)) + 1 AS INTEGER)"


def cells_sql(
    source: str,
    keys: str,
    values: Mapping[str, str],
    ranked: str,
    quantiles: tuple[tuple[str, float], ...] = (),
    extra: str = "",
) -> str:
    """CTEs and a SELECT, to follow `WITH <source's CTEs>,`: per cell (`keys`, columns that are
    never NULL) of relation `source`, for each named value expression its moments (`<name>_n`,
    `_sum`, `_s1`, `_s2` (sums of the residuals from the cell's median value and of their
    squares: the median is within one SD of the mean, so the SD loses no precision), `_min`,
    `_max`; read them with `moments`), and the order statistics of value `ranked` around each
    quantile (`<quantile>_lo`, `_hi`; read them with `interpolate`). `extra`: more aggregates
    over the rows (which have the named values as columns)."""
    cols = ", ".join(f"{e} AS {n}" for n, e in values.items())
    # Each cell's values sorted once, in an array (ranks as window functions sorted every row
    # of the query with its keys, about four times as slow on DuckDB), and read at once: the
    # centre of its residuals and the order statistics. Only scalars leave that step, so the
    # arrays are never stored (materialising them took 4 of 17 s at 1,000,000 patients).
    whole = ", ".join(
        f"count({n}) AS {n}_n, min({n}) AS {n}_min, max({n}) AS {n}_max, "
        f"max(abs({n})) AS {n}_ax, array_agg({n} ORDER BY {n}) FILTER (WHERE {n} IS NOT NULL) "
        f"AS {n}_sorted"
        for n in values
    )
    scalars = ", ".join(f"{n}_{k}" for n in values for k in ("n", "min", "max", "ax"))
    centres = ", ".join(f"{n}_sorted[{_rank(0.5, f'{n}_n')}] AS {n}_k" for n in values)
    stats = "".join(f", {_order_stats_sql(ranked, name, q)}" for name, q in quantiles)
    # The largest residual is the larger of the two at the ends (rounding is monotonic, so it
    # is the same number as the largest of every row's).
    spans = ", ".join(f"greatest({n}_max - {n}_k, {n}_k - {n}_min) AS {n}_a" for n in values)
    # each part's grid, once per cell (from the cell's largest magnitudes: computed per row,
    # its logarithms and powers were an eighth of the query's time)
    grids = ", ".join(f"{_grid(m)} AS {name}_g" for n in values for name, _, m in _parts(n))
    needed = ", ".join(
        f"w.{n}_k, v.{n} - w.{n}_k AS {n}_res, "
        + ", ".join(f"w.{name}_g" for name, _, _ in _parts(n))
        for n in values
    )
    # each value's parts on the grid, computed once per row (the aggregates then only add: a
    # query with the grids written inside its sums took DuckDB ~10 % longer to plan)
    highs = ", ".join(
        f"({v}) AS {name}_v, round(({v}) / {name}_g) * {name}_g AS {name}_h"
        for n in values
        for name, v, _ in _parts(n)
    )
    sums = [_sums_sql(n) for n in values] + ([extra] if extra else [])
    ends = [f"w.{n}_{k}" for n in values for k in ("n", "min", "max")]
    ends += [f"w.{name}_{end}" for name, _ in quantiles for end in ("lo", "hi")]
    return f"""
    cell_values AS (SELECT {keys}, {cols} FROM {source}),
    cell_sorted AS (SELECT {keys}, {whole} FROM cell_values GROUP BY {keys}),
    cell_centres AS (SELECT {keys}, {scalars}, {centres}{stats} FROM cell_sorted),
    cell_spans AS (SELECT *, {spans} FROM cell_centres),
    cell_whole AS MATERIALIZED (SELECT *, {grids} FROM cell_spans),
    cell_residuals AS (
        SELECT v.*, {needed} FROM cell_values v JOIN cell_whole w USING ({keys})
    ),
    cell_rows AS (SELECT *, {highs} FROM cell_residuals),
    cell_sums AS (SELECT {keys}, {", ".join(sums)} FROM cell_rows GROUP BY {keys})
    SELECT s.*, {", ".join(ends)} FROM cell_sums s JOIN cell_whole w USING ({keys})
    """


def _sums_sql(n: str) -> str:
    p0, p1, p2 = (name for name, _, _ in _parts(n))
    split = {
        k: f"sum({p}_h) + sum({p}_v - {p}_h)" for k, p in (("sum", p0), ("s1", p1), ("s2", p2))
    }
    return f"{split['sum']} AS {n}_sum, {split['s1']} AS {n}_s1, {split['s2']} AS {n}_s2"


def _order_stats_sql(x: str, name: str, q: float) -> str:
    """The values of ranks floor(q (n - 1)) + 1 and the next one (the last when there is none)."""
    lo = _rank(q, f"{x}_n")
    return f"{x}_sorted[{lo}] AS {name}_lo, {x}_sorted[least({lo} + 1, {x}_n)] AS {name}_hi"


def moments(cells: pd.DataFrame, n: str) -> pd.DataFrame:
    """n, mean, SD (n - 1; NaN for fewer than two values, 0 when all are equal), min and max of
    the named value of `cells_sql`'s cells."""
    k = cells[f"{n}_n"].fillna(0).to_numpy(float)
    s1, s2 = cells[f"{n}_s1"].to_numpy(float), cells[f"{n}_s2"].to_numpy(float)
    low, high = cells[f"{n}_min"].to_numpy(float), cells[f"{n}_max"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the sum (correctly rounded but for the remainders' rounding) over n, as pandas' and
        # numpy's (compensated, pairwise) sums divide
        mean = cells[f"{n}_sum"].to_numpy(float) / k
        sd = np.sqrt(np.maximum((s2 - s1 * s1 / k) / (k - 1), 0))
    sd = np.where(k > 1, np.where(low == high, 0.0, sd), np.nan)
    return pd.DataFrame(
        {"n": k.astype(int), "mean": mean, "sd": sd, "min": low, "max": high}, index=cells.index
    )


def interpolate(rows: pd.DataFrame, name: str, q: float, n: str) -> pd.Series:
    """Quantile q by linear interpolation between the order statistics (R's type 7, pandas'
    and numpy's default): lo + (hi - lo) * frac, frac the fractional part of q (n - 1), n the
    column counting the values."""
    pos = q * (rows[n].to_numpy(float) - 1)
    frac = pos - np.floor(pos)
    lo, hi = rows[f"{name}_lo"].to_numpy(float), rows[f"{name}_hi"].to_numpy(float)
    # the median of an even number of values: the midpoint of the middle two, rounded once (as
    # pandas; its other quantiles interpolate)
    midpoint = q == 0.5 and frac == 0.5
    between = np.where(midpoint, (lo + hi) / 2, lo + (hi - lo) * frac)
    return pd.Series(between, index=rows.index)


# --- Writing a trial's tables into PostgreSQL ---------------------------------------------------


def publish(admin_url: str, schema: str, tables: Mapping[str, pd.DataFrame], reader: str) -> None:
    """Write `tables` into `schema` (replaced) and let the role `reader` read them only: how a
    dataset is put where the PostgreSQL back-end reads it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as con:
        s = sql.Identifier(schema)
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(s))
        con.execute(sql.SQL("CREATE SCHEMA {}").format(s))
        for name, frame in tables.items():
            _copy_table(con, schema, name, frame)
        con.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, sql.Identifier(reader)))
        con.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                s, sql.Identifier(reader)
            )
        )


def _copy_table(con, schema: str, name: str, frame: pd.DataFrame) -> None:
    from psycopg import sql

    table = sql.Identifier(schema, name)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_sql_type(frame[c])))
        for c in frame.columns
    )
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
    names = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    with con.cursor() as cur:
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)) as copy:
            for row in zip(*(_python_values(frame[c]) for c in frame.columns)):
                copy.write_row(row)
