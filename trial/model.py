"""The internal model of one trial: study metadata, three tables and the data-quality findings.

Everything downstream (statistics, figures, the command line) works on a `Trial`. A `Trial` is
built once by the loader and then treated as read-only: functions that need a different view of
the data return new frames, they never modify these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .query import (
    FILE_ROW,
    PATIENT_ROW,
    ROW_ORDER,
    STORED_ROW,
    Engine,
    ParquetTable,
    Source,
    open_engine,
)
from .text import escaped

# Copy-on-write makes accidental in-place edits of a shared frame affect only the local copy.
pd.set_option("mode.copy_on_write", True)

PROVENANCES = ("published", "inferred", "simulated", "recorded")
EVENT_TYPES = ("infusion", "response", "relapse", "death", "adverse_event")
RESPONSE_GRADES = ("MCR", "PCR")
RESPONSE_GROUPS = ("MCR", "PCR", "NR")
SEX_LABELS = {"F": "Female", "M": "Male"}  # how the usual sex codes read


BASELINE_MONTH = 0
ADVERSE_EVENTS = ("adverse_event", "death")  # the events an adverse-event listing shows


def typical_decimals(values: pd.Series) -> int:
    """Decimals for a variable: enough for its smallest typical magnitude (e.g. C3 in g/L)."""
    v = pd.to_numeric(values, errors="coerce").abs().dropna()
    v = v[v > 0]
    if v.empty:
        return 1
    typical = float(v.median())
    if typical >= 100:
        return 0
    if typical >= 10 or (v == v.round()).all():
        return 1
    return 2 if typical >= 0.1 else 3


@dataclass(frozen=True)
class Visit:
    month: float  # the visit's place on its axis: whole for the CSV format, any for ADaM
    label: str
    day: int


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str = ""
    unit_assumed: bool = False
    better: Literal["lower", "higher", "none"] = "none"
    ref_low: float | None = None
    ref_high: float | None = None
    min: float | None = None
    max: float | None = None
    key: bool = False
    population: str | None = None
    log_scale: bool = False
    category: str = ""
    # The measure's own visit axis (ADaM: from its dataset). Empty: the study's visits.
    visits: tuple[Visit, ...] = ()
    visit_unit: str = ""  # what its visit keys count; "": the study's unit

    @property
    def axis_title(self) -> str:
        unit = f"{self.unit}{', assumed' if self.unit_assumed else ''}"
        return f"{self.label} ({unit})" if self.unit else self.label


# --- The study definition: who is analysed, by which arm, on which axes --------------------------

Role = Literal["efficacy", "safety"]
ROLES: tuple[Role, ...] = ("efficacy", "safety")
ALL_SUBJECTS = "all"  # the population key of "every subject loaded"
ARM_COLUMN = "arm"  # the patients column of the arm an analysis groups by (planned or actual)
ARM_COLUMNS = (ARM_COLUMN, "arm_planned", "arm_actual")  # every column holding an arm


@dataclass(frozen=True)
class Population:
    """An analysis population: the subjects whose boolean patients column `column` is True."""

    key: str  # how filters, URLs and adam.json name it: the flag (SAFFL, ITTFL) or "TREATED"
    label: str  # "Safety population"
    column: str  # boolean patients column
    source: str  # where it comes from, in words: "ADSL SAFFL = Y"
    n: int = 0  # subjects in it, as loaded


@dataclass(frozen=True)
class ArmVariable:
    """One way of assigning subjects to arms: as planned (randomised) or as actually treated."""

    key: str  # "planned" or "actual"
    variable: str  # the data's variable, e.g. TRT01P
    column: str  # patients column holding it
    label: str  # "planned treatment (TRT01P)"


@dataclass(frozen=True)
class VisitAxis:
    """What one dataset's visit numbers mean, and the axis its measures are drawn on."""

    dataset: str  # e.g. ADLBC
    unit: str  # week, day, month or visit
    source: str  # in words, e.g. "AVISIT labels (AVISITN is a visit number)"
    visits: tuple[Visit, ...] = ()


@dataclass(frozen=True)
class EndpointChoice:
    """A time-to-event parameter of the data and whether it is analysed as such."""

    code: str
    label: str
    unit: str
    kept: bool
    reason: str = ""  # why it is not a time-to-event endpoint


@dataclass(frozen=True)
class Design:
    """The study definition the analyses follow: populations, arms, time origin, visit axes and
    endpoints, with the defaults of each kind of analysis (ADaM conventions: efficacy in the
    ITT/FAS by planned arm, safety in the safety population by actual treatment).

    Empty for a trial without populations or arms (the native format): every analysis then uses
    every patient, as before.
    """

    populations: tuple[Population, ...] = ()
    default_population: tuple[tuple[Role, str], ...] = ()  # role -> population key
    arms: tuple[ArmVariable, ...] = ()
    default_arm: tuple[tuple[Role, str], ...] = ()  # role -> arm key
    origin: str = ""  # "first dose", "first infusion"
    visit_axes: tuple[VisitAxis, ...] = ()
    endpoints: tuple[EndpointChoice, ...] = ()
    excluded: tuple[tuple[str, int], ...] = ()  # subjects not loaded: why, how many
    overall_survival: str = ""  # the ADTTE code of the study's own overall survival, if any
    reconciliation: tuple[tuple[str, int], ...] = ()  # ADSL deaths vs the study's OS
    notes: tuple[str, ...] = ()  # other choices, in words

    def population(self, key: str | None) -> Population | None:
        return next((p for p in self.populations if p.key == key), None)

    def arm(self, key: str | None) -> ArmVariable | None:
        return next((a for a in self.arms if a.key == key), None)

    def population_for(self, role: Role, override: str | None = None) -> Population | None:
        """The population an analysis of `role` uses: the override (a key; "all": none), else
        the role's default."""
        if override == ALL_SUBJECTS:
            return None
        chosen = self.population(override) if override else None
        return chosen or self.population(dict(self.default_population).get(role))

    def arm_for(self, role: Role, override: str | None = None) -> ArmVariable | None:
        chosen = self.arm(override) if override else None
        return (
            chosen
            or self.arm(dict(self.default_arm).get(role))
            or (self.arms[0] if self.arms else None)
        )

    def choices(self) -> list[str]:
        """Every choice made, in words (`trial check`, the Data quality tab)."""
        out = []
        for role in ROLES:
            pop = self.population_for(role)
            arm = self.arm_for(role)
            who = f"{pop.label} ({pop.source}, {pop.n} subjects)" if pop else "all subjects"
            by = f", by {arm.label}" if arm else ""
            if pop or arm:
                out.append(f"{role.capitalize()} analyses: {who}{by}")
        for why, n in self.excluded:
            out.append(f"Not analysed: {n} {why}")
        if self.origin:
            out.append(f"Time origin: {self.origin}")
        for axis in self.visit_axes:
            shown = ", ".join(f"{v.label} = {v.month:g}" for v in axis.visits[:4])
            more = ", …" if len(axis.visits) > 4 else ""
            out.append(
                f"Visit axis of {axis.dataset}: {axis.unit}s, from {axis.source} ({shown}{more})"
            )
        for e in self.endpoints:
            out.append(
                f"Endpoint {e.code} ({e.label}): "
                + (
                    f"time to event, in {e.unit}"
                    if e.kept
                    else f"not a time-to-event endpoint ({e.reason}): listed, not drawn"
                )
            )
        if self.overall_survival:
            counts = ", ".join(f"{k}: {n}" for k, n in self.reconciliation)
            out.append(
                f"Overall survival: the study's own ADTTE {self.overall_survival}"
                + (f"; reconciled with ADSL deaths ({counts})" if counts else "")
            )
        out += list(self.notes)
        return out


@dataclass(frozen=True)
class Study:
    title: str
    short_title: str
    registry_id: str = ""
    citation: str = ""
    data_status: Literal["real", "simulated"] = "real"
    data_note: str = ""
    time_origin: str = "Day 0"
    centers: tuple[str, ...] = ()
    visits: tuple[Visit, ...] = ()
    measures: tuple[Measure, ...] = ()
    # Added for ADaM and other non-native sources; the defaults keep the native format unchanged.
    visit_unit: str = "month"  # what the visit key (`Visit.month`) counts: month, week, day, visit
    center_label: str = "Center"  # how the data call a center, e.g. "Site"
    primary_group: str | None = None  # patients column to group by first, e.g. "arm"
    column_labels: tuple[tuple[str, str], ...] = ()  # patients column -> label from the data
    source_format: str = "native"  # "native" or "adam"
    design: Design = Design()  # populations, arms, origin, visit axes, endpoints
    variables: tuple[tuple[str, str], ...] = ()  # the data's variable (e.g. TRT01A) -> column

    @property
    def origin(self) -> str:
        """What time 0 (or day 1) is, in a few words: "first dose", "first infusion"."""
        if self.design.origin:
            return self.design.origin
        text = (self.time_origin or "day 0").split("(")[0].strip().lower()
        if "infusion" in text:
            return "first infusion"
        if "dose" in text:
            return "first dose"
        return text or "day 0"

    @property
    def visit_axis_title(self) -> str:
        """Title of the visit (x) axis of trajectories."""
        return self.axis_title_for(self.visit_unit)

    def axis_title_for(self, unit: str) -> str:
        """ "Weeks since first dose", "Months since first infusion" or "Visit"."""
        if unit in ("month", "week", "day"):
            return f"{unit.capitalize()}s since {self.origin}"
        return "Visit"

    def measure_visits(self, code: str) -> tuple[Visit, ...]:
        """The visit axis of one measure: its own (ADaM: its dataset's), else the study's."""
        return self.measure(code).visits or self.visits

    def measure_visit_unit(self, code: str) -> str:
        return self.measure(code).visit_unit or self.visit_unit

    def column_of(self, name: str) -> str | None:
        """The patients column a data variable's name stands for (e.g. "TRT01A" ->
        "arm_actual"), matched without regard to case; None when the data have no such
        variable."""
        upper = name.upper()
        return next((col for var, col in self.variables if var.upper() == upper), None)

    def column_label(self, column: str, default: str | None = None) -> str:
        """A patients column's label as the data name it (e.g. ADSL variable labels)."""
        for col, label in self.column_labels:
            if col == column:
                return label
        return default if default is not None else column.replace("_", " ").capitalize()

    @property
    def is_simulated(self) -> bool:
        return self.data_status == "simulated"

    def measure(self, code: str) -> Measure:
        for m in self.measures:
            if m.code == code:
                return m
        raise KeyError(code)

    @property
    def visit_months(self) -> tuple[float, ...]:
        return tuple(v.month for v in self.visits)

    def visit_label(self, month: float, code: str | None = None) -> str:
        """The label of a visit key (of measure `code`'s own axis when given)."""
        for v in self.measure_visits(code) if code else self.visits:
            if v.month == month:
                return v.label
        return f"Month {month:g}" if self.visit_unit == "month" else f"{month:g}"


Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in the input files, located as precisely as the data allow."""

    level: Level
    file: str
    message: str
    row: int | None = None  # spreadsheet row number: header = 1, first data row = 2
    column: str | None = None
    value: str | None = None
    patient_id: str | None = None
    rule: str = ""
    key: str | None = None  # for study.json: the key path, e.g. "measures[2].min"

    def __post_init__(self):
        # Findings quote the data: a quoted direction-control or invisible character would
        # reorder or hide what a report shows, and a lone surrogate could not be printed or
        # sent. Such characters are shown as escapes ("\u202e").
        for name in ("file", "message", "column", "value", "patient_id", "key"):
            text = getattr(self, name)
            if isinstance(text, str) and not text.isprintable():
                object.__setattr__(self, name, escaped(text))

    def location(self, with_patient: bool = False) -> list[str]:
        """Where the problem is: file, key, row, column, value (and patient), in that order."""
        where = [self.file]
        if self.key:
            where.append(f"key '{self.key}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.value is not None:
            where.append(f"value '{self.value}'")
        if with_patient and self.patient_id:
            where.append(f"patient {self.patient_id}")
        return where

    def __str__(self) -> str:
        return f"{self.level.upper()}: {', '.join(self.location())}: {self.message}"


class DataError(Exception):
    """The files cannot be used. `findings` lists every problem, not only the first."""

    def __init__(self, findings: list[Finding], unreadable: bool = False):
        self.findings = list(findings)
        self.unreadable = unreadable
        super().__init__("\n".join(str(f) for f in self.findings))


TTE_COLUMNS = ("patient_id", "endpoint", "label", "time", "event", "unit")


def empty_tte() -> pd.DataFrame:
    """The `Trial.tte` of a trial without time-to-event endpoints (e.g. the native format)."""
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype=object),
            "endpoint": pd.Series(dtype=object),
            "label": pd.Series(dtype=object),
            "time": pd.Series(dtype=float),
            "event": pd.Series(dtype=int),
            "unit": pd.Series(dtype=object),
        }
    )


# Adverse events as coded by the data (ADaM ADAE), for the safety tables: one row per record.
# severity and related hold the data's own codes (AESEV, AEREL); related_class reads the
# relatedness code as "yes", "no" or "unknown"; teae: treatment-emergent (TRTEMFL, or derived).
AE_COLUMNS = (
    "patient_id",
    "soc",
    "term",
    "severity",
    "serious",
    "related",
    "related_class",
    "teae",
    "day",
)


def empty_adverse_events() -> pd.DataFrame:
    """The `Trial.adverse_events` of a trial whose events carry no coding (the native format)."""
    return pd.DataFrame(
        {
            c: pd.Series(
                dtype=bool if c in ("serious", "teae") else float if c == "day" else object
            )
            for c in AE_COLUMNS
        }
    )


# The columns of the tables the query engine reads (Trial.tables; adverse events: AE_COLUMNS).
PATIENT_COLUMNS = ("patient_id", "age", "sex", "disease_duration_months", "lupus_nephritis")
MEASUREMENT_COLUMNS = ("patient_id", "measure", "month", "day", "value", "provenance")
EVENT_COLUMNS = ("patient_id", "event", "day", "term", "severity", "related")
ENGINE_COLUMNS = {
    "patients": PATIENT_COLUMNS,
    "measurements": MEASUREMENT_COLUMNS,
    "events": EVENT_COLUMNS,
    "adverse_events": AE_COLUMNS,
}


@dataclass(frozen=True)
class StoredTable:
    """A table left in its Parquet file (the store of validated trials, trial/store.py), which
    the query engine reads where it lies: no process holds its rows. `template` has its columns
    and their types (no rows); `read` gives it whole, as it was loaded (for the rare reader of
    every row, never a view: 27 million measurements take 1.9 GB in memory)."""

    path: str
    template: pd.DataFrame
    rows: int
    read: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    # Text columns whose missing values are NaN, not None, when read (the store keeps them so).
    nan_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trial:
    """A validated trial. `patients` carries the derived outcome columns (see `derive_outcomes`).

    `tte` holds time-to-event endpoints given as such by the data (ADaM ADTTE): one row per
    patient and endpoint with time (in `unit`, usually days) and event (1 = event, 0 = censored).
    It is empty for the native format, whose endpoints are derived from the events.
    `adverse_events` holds the coded adverse events of the safety tables (ADaM ADAE; empty for
    the native format, whose adverse events are in `events`).
    `measurements` are in memory as loaded, or, read from the store, left in its file
    (`StoredTable`): analyses read them through the engine (`measurement_rows`).
    """

    study: Study
    patients: pd.DataFrame
    measurements: pd.DataFrame | StoredTable
    events: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    source: str = ""
    fingerprint: str = ""
    tte: pd.DataFrame = field(default_factory=empty_tte)
    adverse_events: pd.DataFrame = field(default_factory=empty_adverse_events)
    # The order of the severity codes, mildest first, and which relatedness codes read as
    # related (the data's own words; from adam.json or the usual CDISC terms).
    severity_order: tuple[str, ...] = ()
    # (table, path) of Parquet files holding exactly these frames (the store's entry it was
    # read from, trial/store.py): the DuckDB engine reads them there instead of a copy.
    parquet_files: tuple[tuple[str, str], ...] = ()

    # Cached: every page and many requests ask, and at 2.8 million events each answer is a
    # scan of 0.2 s (26 of them made the app's first page take 5 s at 1,000,000 patients).
    @cached_property
    def has_response(self) -> bool:
        """Whether the data record responses (MCR/PCR): without them, responder views are hidden."""
        return bool((self.events["event"] == "response").any())

    @cached_property
    def has_relapse(self) -> bool:
        return bool((self.events["event"] == "relapse").any())

    @property
    def tte_endpoints(self) -> list[tuple[str, str]]:
        """(code, label) of the time-to-event endpoints in `tte`, in order of appearance."""
        pairs = self.tte[["endpoint", "label"]].drop_duplicates("endpoint")
        return [(str(c), str(lab)) for c, lab in pairs.itertuples(index=False)]

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "warning")

    def __post_init__(self):
        # Derived lookups are computed once, at load (before a server forks its workers), so
        # that requests only read them.
        _ = self.centers, self.measure_codes, self.key_measure_codes
        _ = self.has_response, self.has_relapse, self._patient_index

    @cached_property
    def display_decimals(self) -> dict[str, int]:
        """Decimals a table shows for each column of the engine's patients table and each
        measure (its baseline values): from the whole trial, so that they do not change
        with the filters; computed once, when first asked for (at 1,000,000 patients the
        medians take a tenth of a second)."""
        p = self.patients
        out = {c: typical_decimals(p[c]) for c in PATIENT_COLUMNS if c in p and c != "patient_id"}
        if {"measure", "month", "value"} <= set(self.measurement_template.columns):
            sql = f"SELECT measure, value FROM measurements WHERE month = {BASELINE_MONTH}"
            base = dict(tuple(self.engine.frame(sql).groupby("measure")["value"]))
            for code in _measures_in(self.measurements):
                out[str(code)] = typical_decimals(base.get(code, pd.Series(dtype=float)))
        return out

    @cached_property
    def adverse_event_rows(self) -> pd.DataFrame:
        """The events that are adverse events or deaths (the adverse-event listing's rows),
        selected once: at 2.8 million events, a tenth of a second."""
        e = self.events
        return e.loc[e["event"].isin(ADVERSE_EVENTS)]

    @cached_property
    def centers(self) -> list[str]:
        present = list(pd.unique(self.patients["center"]))
        ordered = [c for c in self.study.centers if c in present]
        return ordered + sorted(c for c in present if c not in ordered)

    @property
    def measurement_template(self) -> pd.DataFrame:
        """The measurements' columns and their types, without rows."""
        m = self.measurements
        return m.template if isinstance(m, StoredTable) else m.iloc[0:0]

    @cached_property
    def measurement_count(self) -> int:
        m = self.measurements
        return m.rows if isinstance(m, StoredTable) else len(m)

    @cached_property
    def measure_codes(self) -> list[str]:
        present = set(_measures_in(self.measurements))
        return [m.code for m in self.study.measures if m.code in present]

    @cached_property
    def key_measure_codes(self) -> list[str]:
        """The measures of the "Key measures" small multiples: those the study marks as key
        (study.json, or adam.json / the default safety labs for ADaM), else the first five."""
        return [c for c in self.measure_codes if self.study.measure(c).key] or self.measure_codes[
            :5
        ]

    def frame(self, name: str) -> pd.DataFrame:
        """The table `name` (a field of this class) in memory, the measurements read from the
        store's file when left there: for the rare reader of every row (the store, publishing
        to a database); analyses query the engine."""
        table = getattr(self, name)
        return table.read() if isinstance(table, StoredTable) else table

    def _columns(self, name: str) -> pd.Index:
        table = self.measurement_template if name == "measurements" else getattr(self, name)
        return table.columns

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the query engine reads (trial.query), with the columns its SQL uses and
        `PATIENT_ROW`, the key they join on (the measurements also `ROW_ORDER`)."""
        return {name: self._table_columns(name, self.frame(name)) for name in ENGINE_COLUMNS}

    def _engine_sources(self) -> dict[str, Source]:
        """`tables`, each read from its Parquet file where there is one (`parquet_files`)."""
        files = dict(self.parquet_files)
        out: dict[str, Source] = {}
        for name, columns in ENGINE_COLUMNS.items():
            present = tuple(c for c in columns if c in self._columns(name))
            if name in files and present:
                stored = STORED_ROW in pq.read_schema(files[name]).names
                rows = FILE_ROW if name == "patients" else STORED_ROW if stored else ""
                out[name] = ParquetTable(
                    files[name],
                    present,
                    text=("patient_id",),
                    rows=rows,
                    ordered=name == "measurements",
                )
            else:
                out[name] = self._table_columns(name, self.frame(name))
        return out

    def _table_columns(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        # Ids as text everywhere, so that a request's patients join the tables on equal types.
        out = frame.reindex(columns=[c for c in ENGINE_COLUMNS[name] if c in frame])
        if not len(out.columns):
            return out
        ids = out["patient_id"].astype(str)
        extra = {ROW_ORDER: np.arange(len(out), dtype=np.int64)} if name == "measurements" else {}
        return out.assign(patient_id=ids, **{PATIENT_ROW: self._rows_of(ids)}, **extra)

    @cached_property
    def _patient_index(self) -> pd.Index:
        return pd.Index(self.patients["patient_id"].astype(str))

    def _rows_of(self, ids: pd.Series) -> np.ndarray:
        # -1 for an id not in the patients table (the validator refuses them in the data)
        return self._patient_index.get_indexer(pd.Index(ids)).astype(np.int32)

    def patient_rows(self, patients: pd.DataFrame) -> np.ndarray:
        """The rows of `patients` (this trial's) in its patients table: the key the engine's
        tables join on (`PATIENT_ROW`). Integers join several times faster than text ids: at
        1,000,000 patients, reading the ids as text was most of a query's time."""
        rows = self._rows_of(patients["patient_id"].astype(str))
        if len(rows) and rows.min() < 0:
            raise ValueError("patients who are not in this trial")
        return rows

    @cached_property
    def engine(self) -> Engine:
        """The query engine over this trial's tables: DuckDB, or the database named by
        TRIAL_DATABASE_URL (trial.query). Opened when first used, in each process."""
        return open_engine(self._engine_sources())

    def measurement_rows(self, patients: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
        """The measurements of the given patients (this trial's; of one measure, or of every
        one), in the order they were loaded and with the types they were loaded with, from the
        engine: the same rows the loaded table holds, at any size and on any back-end."""
        template = self.measurement_template
        columns = [c for c in template.columns if c in MEASUREMENT_COLUMNS]
        if not len(patients) or not columns or (measure is not None and "measure" not in columns):
            return template[columns]
        shown = pd.DataFrame({PATIENT_ROW: self.patient_rows(patients)})
        sql = _MEASUREMENT_ROWS_SQL.format(
            columns=", ".join(f"m.{c}" for c in columns),
            measure="" if measure is None else "m.measure = $measure AND",
        )
        rows = self.engine.frame(sql, {"measure": measure}, {"shown": shown})
        return rows.astype(template[columns].dtypes.to_dict())


# The rows of some patients (`shown`: patient_row), of one measure or of all ({measure}).
_MEASUREMENT_ROWS_SQL = f"""
    SELECT {{columns}} FROM measurements m
    WHERE {{measure}} m.{PATIENT_ROW} IN (SELECT {PATIENT_ROW} FROM shown)
    ORDER BY m.{ROW_ORDER}
"""


def _measures_in(measurements: pd.DataFrame | StoredTable) -> list:
    """The measures that have rows, in the order they first appear: from the file's statistics
    where the table was left there (`_codes_in_file`), no strings made per row."""
    if isinstance(measurements, StoredTable):
        if "measure" not in measurements.template:
            return []
        return _codes_in_file(measurements.path, "measure")
    return list(pd.unique(measurements["measure"])) if "measure" in measurements else []


def _codes_in_file(path: str, column: str) -> list:
    """The distinct values of a text column of a Parquet file, in the order they first appear.
    A row group whose statistics give one value for its minimum and maximum holds only that
    value (the statistics bound every value in it); only the others are read, as a dictionary.
    The store writes each measure's rows together, so at 27 million measurements 4 of its 26
    row groups are read instead of all of them (0.24 s -> 0.03-0.08 s of every start)."""
    file = pq.ParquetFile(path, read_dictionary=[column])
    index = list(file.metadata.schema.names).index(column)  # of the leaf column
    codes: dict = {}
    for group in range(file.metadata.num_row_groups):
        stats = file.metadata.row_group(group).column(index).statistics
        if stats is not None and stats.has_min_max and stats.min == stats.max:
            codes.setdefault(stats.min, None)
            continue
        for chunk in file.read_row_group(group, columns=[column]).column(column).chunks:
            for code in chunk.dictionary.take(pc.unique(chunk.indices).drop_null()).to_pylist():
                codes.setdefault(code, None)
    return list(codes)


def _runs(values: pd.Series) -> list[tuple[object, int, int]] | None:
    """(value, start, stop) of each run of equal values, when each value has one run and none
    is missing; else None. (Comparing neighbours is three times as fast as factorizing.)"""
    v = values.to_numpy()
    if len(v) == 0:
        return None
    starts = np.concatenate([[0], np.flatnonzero(v[1:] != v[:-1]) + 1])
    firsts = v[starts]
    if pd.isna(firsts).any() or len(pd.unique(firsts)) != len(firsts):
        return None
    stops = np.append(starts[1:], len(v))
    return list(zip(firsts.tolist(), starts.tolist(), stops.tolist(), strict=True))


def grouped_by_measure(measurements: pd.DataFrame) -> pd.DataFrame:
    """The measurements with each measure's rows together (measures in the order they first
    appear, each measure's rows in their own order): one measure's rows are then contiguous, in
    memory and in the store's Parquet file, whose row groups the engine skips by their measure
    range when a query asks for one measure."""
    if "measure" not in measurements or measurements.empty:
        return measurements
    codes, _ = pd.factorize(measurements["measure"], sort=False)
    if codes.min() < 0 or _runs(measurements["measure"]) is not None:  # missing: to the groupby
        return measurements
    return measurements.take(np.argsort(codes, kind="stable")).reset_index(drop=True)


def _first_day(events: pd.DataFrame, mask: pd.Series) -> pd.Series:
    return events.loc[mask].groupby("patient_id")["day"].min()


def derive_outcomes(patients: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Return `patients` with the outcome columns derived from the events, as recorded.

    response: best recorded response (MCR over PCR over NR); response_day: first response;
    relapse/relapse_day: first relapse; death/death_day; followup_end_day: death day if any, else
    last follow-up. No event is dropped here: rules for analyses (such as ignoring events recorded
    after death) are applied by the analyses, which say so.
    """
    ids = patients["patient_id"]
    is_resp = events["event"] == "response"
    mcr_day = _first_day(events, is_resp & (events["term"] == "MCR"))
    resp_day = _first_day(events, is_resp)
    relapse_day = _first_day(events, events["event"] == "relapse")
    death_day = _first_day(events, events["event"] == "death")

    out = patients.copy()
    out["response"] = np.where(
        ids.isin(mcr_day.index), "MCR", np.where(ids.isin(resp_day.index), "PCR", "NR")
    )
    out["response_day"] = ids.map(resp_day).astype("Float64")
    out["relapse"] = ids.isin(relapse_day.index)
    out["relapse_day"] = ids.map(relapse_day).astype("Float64")
    out["death"] = ids.isin(death_day.index)
    out["death_day"] = ids.map(death_day).astype("Float64")
    out["followup_end_day"] = out["death_day"].fillna(out["last_followup_day"]).astype(float)
    return out
