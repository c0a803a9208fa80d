"""Load a folder of CDISC ADaM datasets into the internal model (`trial.model.Trial`).

    trial = load_adam("../shared/data/cdiscpilot01")            # adam.json in the folder, if any
    trial = load_adam(folder, config={"parameters_first": ["CREAT", "ALB", "BUN"]})
    findings = check_adam(folder)                                # every problem, nothing raised

Datasets are found by name (case-insensitive): ADSL (required), any BDS dataset whose name starts
with ADLB, ADVS or ADQS (measurements), ADTTE (time-to-event endpoints) and ADAE (adverse
events). Each may be SAS transport (.xpt, read with pyreadstat: pandas' reader decodes stored zeros
as 5.4e-79), SAS (.sas7bdat), CSV (UTF-8, header row), Excel (.xlsx, first sheet) or Parquet.
Other files (define.xml, other datasets) are ignored.

Mapping (data/README.md, section "CDISC ADaM", says the same for users):

  patients      ADSL: USUBJID -> patient_id; SITEID -> center; TRT01A (else ARM, TRT01P, TRTA)
                -> arm; SEX -> sex; AGE -> age; other categorical ADSL variables with 2 to 8
                values (e.g. AGEGR1, RACE, population flags) as grouping columns, named by their
                variable labels. last_followup_day: the latest study day known for the subject
                (see `_last_followup`).
  measurements  BDS: PARAMCD -> measure code, PARAM -> label and unit ("Creatinine (umol/L)"), or
                AVALU; AVAL -> value; AVISITN -> visit key (`month` column of the model; the
                unit, e.g. week, is `Study.visit_unit`); AVISIT -> visit label; ADY -> day;
                A1LO/A1HI -> reference range. Baseline (visit key 0) is the record flagged
                ABLFL = "Y" (else AVISITN 0). A parameter measured at several time points per
                visit (ATPTN, e.g. blood pressure lying and standing) becomes one measure per
                time point. Not plotted, and counted in warnings: unscheduled records (AVISITN
                missing), derived visits (AVISITN >= 99 or labels such as "End of Treatment"),
                imputed records (DTYPE set, e.g. LOCF), missing AVAL. Where a patient has several
                records of one parameter and visit, the record flagged ANL01FL = "Y" is kept,
                else the first observed (DTYPE empty) in file order; this is reported.
  tte           ADTTE: PARAMCD -> endpoint, PARAM -> label, AVAL -> time, CNSR 0 -> event,
                CNSR > 0 -> censored; unit from AVALU or the PARAM text, else days (assumed).
  events        ADAE: one adverse_event per record, day ASTDY, term AEDECOD (else AETERM),
                severity SAE when AESER = "Y"; a death per subject with DTHFL = "Y" (day DTHDT,
                else the last follow-up day).

ADaM has no MCR/PCR response or relapse: unless the configuration names a response variable, the
trial has no response events and the app hides responder filters and cards.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from .design import (
    ACTUAL_ARM_VARIABLES,
    EFFICACY_FLAGS,
    PLANNED_ARM_VARIABLES,
    POPULATION_FLAGS,
    PRE_BASELINE_WORDS,
    SAFETY_FLAGS,
    SCREEN_FAILURE,
    TREATED,
    UNSCHEDULED_WORDS,
    arm_label,
    main_unit,
    not_time_to_event,
    position,
    severity_order,
    time_unit,
    visit_time,
)
from .design import related_class as design_related_class
from .io import (
    header_names,
    or_none,
    parquet_frame,
    read_json_file,
    read_table,
    several_files,
    text_cells,
    text_findings,
    unreadable,
)
from .limits import MAX_DAY, MAX_VALUE, MAX_VISIT_NUMBER, Limits, Progress, over
from .model import (
    AE_COLUMNS,
    ALL_SUBJECTS,
    ARM_COLUMN,
    ROLES,
    TTE_COLUMNS,
    ArmVariable,
    DataError,
    Design,
    EndpointChoice,
    Finding,
    Level,
    Measure,
    Population,
    Study,
    Trial,
    Visit,
    VisitAxis,
    derive_outcomes,
    empty_adverse_events,
    empty_tte,
    grouped_by_measure,
)
from .precheck import inspect, missing_rows
from .text import identifier_problems, shown

CONFIG_FILE = "adam.json"
EXTENSIONS = (".xpt", ".sas7bdat", ".csv", ".xlsx", ".parquet")
BDS_PREFIXES = ("adlb", "advs", "adqs")
CAP = 10  # example rows per finding
DERIVED_VISIT_NUMBER = 99  # AVISITN from here on: derived visits (End of Treatment, Endpoint)
DERIVED_VISIT_WORDS = re.compile(
    r"end of|endpoint|early term|unsched|last|final|worst|best|"
    r"average|overall|follow.?up",
    re.I,
)
# The key measures when adam.json names none (`parameters_first`): the routine safety labs an
# investigator reads first (creatinine, albumin, urea nitrogen, ALT, AST), by their CDISC
# controlled-terminology PARAMCD, wherever the data have them. Without any of them the views
# fall back to the first five measures (`Trial.key_measure_codes`).
DEFAULT_KEY_PARAMETERS = ("CREAT", "ALB", "BUN", "ALT", "AST")

REQUIRED = {
    "adsl": ("USUBJID",),
    "bds": ("USUBJID", "PARAMCD", "AVAL", "AVISITN"),
    "adtte": ("USUBJID", "PARAMCD", "AVAL", "CNSR"),
    "adae": ("USUBJID",),
}
NUMERIC = {
    "AVAL",
    "AVISITN",
    "ADY",
    "A1LO",
    "A1HI",
    "BASE",
    "CHG",
    "CNSR",
    "AGE",
    "PARAMN",
    "ATPTN",
    "ASTDY",
    "AENDY",
    "TRTDUR",
    "TRTDURD",
}
# Variables read from the BDS datasets (only these: a 74,000-row ADLBC loads in about a second).
BDS_VARIABLES = (
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "PARAMN",
    "AVAL",
    "AVALU",
    "AVISIT",
    "AVISITN",
    "ADY",
    "ADT",
    "A1LO",
    "A1HI",
    "ABLFL",
    "ATPT",
    "ATPTN",
    "ANL01FL",
    "DTYPE",
    "PARCAT1",
)
CONFIG_KEYS = {
    "title",
    "short_title",
    "registry_id",
    "citation",
    "data_status",
    "data_note",
    "time_origin",
    "center",
    "center_label",
    "arm",
    "groups",
    "parameters_first",
    "parameters",
    "visits",
    "visit_unit",
    "include_derived_records",
    "response",
    "tte_unit",
    "arms",
    "populations",
    "related_values",
}


# ---------------------------------------------------------------------------------------------
# Files


def find_datasets(folder: Path) -> dict[str, list[Path]]:
    """Dataset name (lower case, e.g. "adlbc") -> files holding it (more than one is an error)."""
    out: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        suffix = p.suffix.lower()
        if p.is_file() and suffix in EXTENSIONS and p.stem.lower().startswith("ad"):
            out.setdefault(p.stem.lower(), []).append(p)
    return out


def dataset_kind(path: Path) -> str | None:
    """adsl, bds, adtte or adae for a file holding an ADaM dataset this dashboard reads (by
    its name and extension), else None."""
    return _kind(path.stem.lower()) if path.suffix.lower() in EXTENSIONS else None


def is_adam_folder(path: str | Path) -> bool:
    """A folder holding ADaM datasets (adsl.xpt, ADLBC.csv, ...) and no native study.json. A
    folder with ADaM datasets but no ADSL is one too: loading it says that ADSL is missing."""
    folder = Path(path)
    if not folder.is_dir() or (folder / "study.json").is_file():
        return False
    return any(
        p.is_file() and p.suffix.lower() in EXTENSIONS and _kind(p.stem.lower())
        for p in folder.iterdir()
    )


def _kind(name: str) -> str | None:
    if name == "adsl":
        return "adsl"
    if name == "adtte":
        return "adtte"
    if name == "adae":
        return "adae"
    if name.startswith(BDS_PREFIXES):
        return "bds"
    return None


@dataclass
class Dataset:
    name: str  # lower case, e.g. "adlbc"
    file: str  # file name, e.g. "adlbc.xpt": the `file` of its findings
    kind: str  # adsl, bds, adtte, adae
    frame: pd.DataFrame  # upper-case variable names; text stripped, "" -> missing
    labels: dict[str, str] = field(default_factory=dict)
    text_rows: bool = False  # CSV/Excel: findings give spreadsheet rows (header = row 1)
    label: str = ""  # the dataset's own label, e.g. "Analysis Dataset Lab Blood Chemistry"


def _read_sas(path: Path, usecols: tuple[str, ...] | None):
    import pyreadstat

    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    _, meta = reader(str(path), metadataonly=True)
    cols = None
    if usecols is not None:
        cols = [c for c in meta.column_names if c.upper() in usecols]
    df, meta = reader(str(path), usecols=cols)
    labels = {c.upper(): (lab or "") for c, lab in zip(meta.column_names, meta.column_labels)}
    return df, labels, meta.file_label or ""


_WHAT = {
    ".xpt": "a SAS transport (XPORT) file",
    ".sas7bdat": "a SAS dataset",
    ".csv": "a CSV file (UTF-8, comma separated)",
    ".xlsx": "an Excel workbook",
    ".parquet": "a Parquet file",
}


def _read_frame(
    path: Path, data: bytes, usecols: tuple[str, ...] | None, limits: Limits
) -> tuple[pd.DataFrame | None, dict, str, list[Finding]]:
    """(frame, variable labels, dataset label, findings) of one dataset file; the frame is
    None when the file cannot be used. Every rows the file states it holds must be read."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx"):  # text cells, as the native format reads them
        df, found = read_table(path, data, limits)
        return df, {}, "", found
    structure = inspect(path, data, limits)
    if structure.refused:
        return None, {}, "", structure.findings
    if suffix == ".parquet":
        df, found = parquet_frame(path.name, data)
        labels, label = {}, ""
    else:
        try:
            df, labels, label = _read_sas(path, usecols)
        except Exception:  # pyreadstat raises its own kinds, with messages about internals
            return (
                None,
                {},
                "",
                [
                    unreadable(
                        path.name,
                        f"cannot be read as {_WHAT[suffix]} (the "
                        f"file is damaged, or not in this format)",
                    )
                ],
            )
        found = []
    if df is not None:
        lost = missing_rows(path.name, structure, len(df))
        if lost:
            return None, {}, "", lost + structure.findings
    return df, labels, label, structure.findings + found


def _normalise(
    df: pd.DataFrame, file: str, text_rows: bool
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """Upper-case names; text stripped (AVISIT carries leading spaces) and in NFC, "" and "."
    -> missing. None when two variables have one name (ADaM names are not case-sensitive)."""
    names, findings = header_names(file, df.columns)
    upper = [n.upper() for n in names]
    first: dict[str, str] = {}
    for name, up in zip(names, upper):
        if up in first:
            findings.append(
                unreadable(
                    file,
                    f"two variables are named {shown(up)} "
                    f"('{shown(first[up])}' and '{shown(name)}'): "
                    f"variable names are not case-sensitive in ADaM; "
                    f"keep one",
                    row=1 if text_rows else None,
                    column=shown(up),
                    rule="header",
                )
            )
        first.setdefault(up, name)
    if any(f.level == "error" for f in findings):
        return None, findings
    df = df.set_axis(upper, axis=1)
    out = {}
    for c in df.columns:
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            first_value = s.dropna().head(1)
            if len(first_value) and not isinstance(first_value.iloc[0], str):
                out[c] = s  # e.g. datetime.date objects from SAS dates
                continue
            missing = s.isna()
            text, bad, changed = text_cells(s)
            findings += text_findings(
                file,
                c,
                text,
                bad,
                changed,
                lambda idx: _rows_words(idx, text_rows),
                lambda i: int(i) + 2 if text_rows else None,
            )
            text = or_none(text, ~missing)
            out[c] = or_none(text, ~text.isin(("", ".")))
        else:
            out[c] = s
    return pd.DataFrame(out, index=df.index), findings


def _rows_words(index, text_rows: bool) -> str:
    nums = [int(i) + 2 if text_rows else int(i) + 1 for i in list(index)[:CAP]]
    more = f", … ({len(index) - CAP} more)" if len(index) > CAP else ""
    return f"{'rows' if text_rows else 'records'} {', '.join(map(str, nums))}{more}"


def read_dataset(
    path: Path, kind: str, data: bytes | None = None, limits: Limits | None = None
) -> tuple[Dataset | None, list[Finding]]:
    """One dataset file (its bytes `data`, read here if not given) checked against `limits`
    before it is parsed, read whole or not at all."""
    limits = limits or Limits()
    usecols = BDS_VARIABLES if kind == "bds" else None
    suffix = path.suffix.lower()
    data = path.read_bytes() if data is None else data
    if len(data) == 0:
        return None, [unreadable(path.name, "the file is empty (0 bytes)")]
    df, labels, label, found = _read_frame(path, data, usecols, limits)
    if df is None:
        return None, found
    text_rows = suffix in (".csv", ".xlsx")
    if not text_rows:  # text files keep their index: spreadsheet row = index + 2
        df = df.reset_index(drop=True)
    df, more = _normalise(df, path.name, text_rows)
    if df is None:
        return None, found + more
    if usecols is not None:
        df = df[[c for c in df.columns if c in usecols]]
    ds = Dataset(path.stem.lower(), path.name, kind, df, labels, text_rows=text_rows, label=label)
    return ds, found + more + _convert_numbers(ds)


def _rows_text(ds: Dataset, index) -> str:
    """'rows 2, 5, 9' (text files: spreadsheet rows) or 'records 1, 4, 8' (SAS, Parquet)."""
    return _rows_words(index, ds.text_rows)


def _row(ds: Dataset, i) -> int | None:
    return int(i) + 2 if ds.text_rows else None


def _convert_numbers(ds: Dataset) -> list[Finding]:
    """Numeric variables stored as text (CSV, Excel) -> numbers; report what is not a number."""
    out = []
    for c in NUMERIC & set(ds.frame.columns):
        s = ds.frame[c]
        if pd.api.types.is_numeric_dtype(s):
            ds.frame[c] = s.astype(float)
            continue
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            level: Level = "error" if c in ("AVAL", "CNSR", "AVISITN") else "warning"
            ex = s[bad]
            out.append(
                Finding(
                    level,
                    ds.file,
                    f"{int(bad.sum())} value(s) of {c} are not "
                    f"numbers ({_rows_text(ds, ex.index)}); they are "
                    f"treated as missing",
                    row=_row(ds, ex.index[0]),
                    column=c,
                    value=str(ex.iloc[0]),
                    rule="number",
                )
            )
        ds.frame[c] = num.astype(float)
    return out


# ---------------------------------------------------------------------------------------------
# Configuration


def read_config(
    folder: Path, config: dict | str | Path | None, limits: Limits | None = None
) -> tuple[dict, list[Finding]]:
    """The configuration mapping and findings about it. `config` overrides `folder/adam.json`."""
    name = CONFIG_FILE
    if config is None:
        p = folder / CONFIG_FILE
        if not p.is_file():
            return {}, []
        config = p
    if isinstance(config, (str, Path)):
        p = Path(config)
        name = p.name
        if not p.is_file():
            return {}, [unreadable(name, "configuration file not found", rule="config")]
        obj, _, found = read_json_file(p, limits or Limits())
        if obj is None or found:
            return {}, [replace(f, rule="config") for f in found]
    else:
        obj = config
    if not isinstance(obj, dict):
        return {}, [
            unreadable(name, "expected a JSON object {...} at the top level", rule="config")
        ]
    out = []

    def bad(key, message, level="error"):
        out.append(
            Finding(
                level,
                name,
                message,
                key=key,
                rule="config",
                value=json.dumps(obj.get(key), ensure_ascii=False)[:80],
            )
        )

    for k in sorted(set(obj) - CONFIG_KEYS):
        bad(k, "unknown key, ignored (check the spelling)", "warning")
    for k in (
        "title",
        "short_title",
        "registry_id",
        "citation",
        "data_note",
        "time_origin",
        "center",
        "center_label",
        "arm",
        "visit_unit",
        "tte_unit",
    ):
        if k in obj and not isinstance(obj[k], str):
            bad(k, "expected a text")
    if obj.get("data_status", "real") not in ("real", "simulated"):
        bad("data_status", 'expected "real" or "simulated"')
    for k in ("groups", "parameters_first", "parameters"):
        if k in obj and not (isinstance(obj[k], list) and all(isinstance(x, str) for x in obj[k])):
            bad(k, "expected a list of texts (variable names or PARAMCD values)")
    if "visits" in obj:
        v = obj["visits"]
        ok = isinstance(v, list) and all(
            (isinstance(x, (int, float)) and not isinstance(x, bool))
            or (isinstance(x, dict) and isinstance(x.get("avisitn"), (int, float)))
            for x in v
        )
        if not ok:
            bad(
                "visits",
                "expected a list of AVISITN numbers or of objects "
                '{"avisitn": 4, "label": "Week 4"}',
            )
    for k, allowed in (
        ("arms", {"planned", "actual", "efficacy", "safety"}),
        ("populations", {"efficacy", "safety"}),
    ):
        if k in obj and not (
            isinstance(obj[k], dict)
            and set(obj[k]) <= allowed
            and all(isinstance(v, str) for v in obj[k].values())
        ):
            bad(
                k,
                f"expected an object with text values and the keys {', '.join(sorted(allowed))}"
                ' (e.g. {"efficacy": "ITTFL", "safety": "SAFFL"})',
            )
    if "related_values" in obj and not (
        isinstance(obj["related_values"], list)
        and all(isinstance(x, str) for x in obj["related_values"])
    ):
        bad("related_values", "expected a list of the AEREL codes that mean related")
    if "include_derived_records" in obj and not isinstance(obj["include_derived_records"], bool):
        bad("include_derived_records", "expected true or false")
    if "response" in obj:
        r = obj["response"]
        if not (
            isinstance(r, dict)
            and isinstance(r.get("variable"), str)
            and isinstance(r.get("levels", {}), dict)
            and all(v in ("MCR", "PCR", "NR") for v in r.get("levels", {}).values())
        ):
            bad(
                "response",
                'expected {"variable": "ADSL variable", "levels": {"value in '
                'the data": "MCR" | "PCR" | "NR"}, "day_variable": '
                '"optional ADSL variable with the response day"}',
            )
    if any(f.level == "error" for f in out):
        return {}, out
    return obj, out


# ---------------------------------------------------------------------------------------------
# Reading the folder


@dataclass
class AdamFolder:
    folder: Path
    datasets: dict[str, Dataset]
    config: dict
    fingerprint: str
    findings: list[Finding]

    def of(self, kind: str) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.kind == kind]


def _unread_files(folder: Path) -> list[Finding]:
    """A warning naming the data files of the folder that are not read (nothing silently)."""
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.name != CONFIG_FILE
        and p.suffix.lower() in EXTENSIONS + (".json",)
        and dataset_kind(p) is None
    )
    if not names:
        return []
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return [
        Finding(
            "warning",
            names[0],
            f"not read: {', '.join(names[:8])}{more} (an ADaM folder "
            f"is read for ADSL, ADLB*, ADVS*, ADQS*, ADTTE and ADAE)",
            rule="unread_file",
        )
    ]


def _count_checks(datasets: dict[str, Dataset], cfg: dict, limits: Limits) -> list[Finding]:
    """What the views draw one of per item, counted right after reading: parameters, visits
    (BDS), sites (ADSL). Beyond the limits the folder is refused before any further work."""
    out = []
    for ds in datasets.values():
        f = ds.frame
        if ds.kind == "bds":
            for var, what, limit in (
                ("PARAMCD", "parameters (PARAMCD)", limits.parameters),
                ("AVISITN", "visits (AVISITN)", limits.visits),
            ):
                n = int(f[var].nunique()) if var in f.columns else 0
                if n > limit:
                    out.append(over(ds.file, f"distinct {what}", n, limit, column=var))
        if ds.kind == "adsl":
            center = cfg.get("center", "SITEID").upper()
            n = int(f[center].nunique()) if center in f.columns else 0
            if n > limits.centers:
                out.append(
                    over(ds.file, f"distinct sites ({center})", n, limits.centers, column=center)
                )
    params = set()
    for ds in datasets.values():
        if ds.kind == "bds" and "PARAMCD" in ds.frame.columns:
            params |= set(ds.frame["PARAMCD"].dropna())
    if len(params) > limits.parameters and not out:
        out.append(
            over(
                "BDS datasets",
                "distinct parameters (PARAMCD) in all",
                len(params),
                limits.parameters,
                column="PARAMCD",
            )
        )
    return out


def read_folder(
    path: str | Path,
    config: dict | str | Path | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> AdamFolder:
    """Read every dataset, each checked against `limits` before it is parsed; raises
    DataError(unreadable=True) when the folder cannot be used."""
    limits = limits or Limits()
    progress = progress or Progress()
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            [
                unreadable(
                    str(folder),
                    "folder not found"
                    if not folder.exists()
                    else "this is a file, not a folder of ADaM datasets",
                )
            ],
            unreadable=True,
        )
    problems: list[Finding] = []
    notes: list[Finding] = _unread_files(folder)
    with progress.working_on(CONFIG_FILE):
        cfg, found = read_config(folder, config, limits)
    problems += [f for f in found if f.level == "error"]
    notes += [f for f in found if f.level != "error"]
    digest = hashlib.sha256()
    datasets: dict[str, Dataset] = {}
    for name, files in find_datasets(folder).items():
        kind = _kind(name)
        if kind is None:
            continue
        if len(files) > 1:
            problems.append(several_files(files, f"the {name.upper()} dataset"))
            continue
        p = files[0]
        try:
            data = p.read_bytes()
        except OSError as e:
            problems.append(unreadable(p.name, f"cannot be opened ({e.strerror or 'error'})"))
            continue
        digest.update(p.name.encode() + b"\0" + data + b"\0")
        with progress.working_on(p.name):
            ds, found = read_dataset(p, kind, data, limits)
        if ds is None:
            problems += found
            continue
        datasets[name] = ds
        notes += found
    if "adsl" not in datasets and not any(f.file.lower().startswith("adsl.") for f in problems):
        problems.append(
            unreadable(
                "adsl",
                "missing: an ADaM folder must hold the subject-level "
                "dataset ADSL (adsl.xpt, adsl.sas7bdat, adsl.csv, "
                "adsl.xlsx or adsl.parquet)",
            )
        )
    problems += _count_checks(datasets, cfg, limits)
    if problems:
        raise DataError(problems + notes, unreadable=True)
    return AdamFolder(folder, datasets, cfg, digest.hexdigest()[:12], notes)


# ---------------------------------------------------------------------------------------------
# Checks (every problem in plain words, with dataset, variable and example rows)


def _example_ids(ids) -> str:
    ids = [str(x) for x in ids]
    more = f", … ({len(ids) - CAP} more)" if len(ids) > CAP else ""
    return ", ".join(ids[:CAP]) + more


def _check_required(ds: Dataset) -> list[Finding]:
    out = []
    present = ", ".join(ds.frame.columns[:30]) + (" …" if len(ds.frame.columns) > 30 else "")
    for var in REQUIRED[ds.kind]:
        if var not in ds.frame.columns:
            out.append(
                Finding(
                    "error",
                    ds.file,
                    f"required variable {var} is missing from "
                    f"{ds.name.upper()} (it has: {present})",
                    column=var,
                    rule="missing_variable",
                )
            )
        elif ds.frame[var].isna().all() and len(ds.frame) and var != "AVISITN":
            out.append(
                Finding(
                    "error",
                    ds.file,
                    f"variable {var} is empty in every record",
                    column=var,
                    rule="missing_variable",
                )
            )
    if ds.kind == "bds" and "PARAM" not in ds.frame.columns:
        out.append(
            Finding(
                "warning",
                ds.file,
                "no PARAM variable: parameters are labelled by PARAMCD only",
                column="PARAM",
                rule="missing_variable",
            )
        )
    if ds.kind == "adae" and not {"AEDECOD", "AETERM"} & set(ds.frame.columns):
        out.append(
            Finding(
                "error",
                ds.file,
                "neither AEDECOD nor AETERM: the adverse events have no term",
                column="AEDECOD",
                rule="missing_variable",
            )
        )
    if len(ds.frame) == 0:
        out.append(
            Finding(
                "error" if ds.kind == "adsl" else "warning",
                ds.file,
                "the dataset has no records",
                rule="empty_dataset",
            )
        )
    return out


def _check_missing_ids(ds: Dataset) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns:
        return []
    miss = ds.frame["USUBJID"].isna()
    if not miss.any():
        return []
    return [
        Finding(
            "error",
            ds.file,
            f"{int(miss.sum())} record(s) have no USUBJID ({_rows_text(ds, ds.frame.index[miss])})",
            row=_row(ds, ds.frame.index[miss][0]),
            column="USUBJID",
            value="",
            rule="missing_value",
        )
    ]


def _check_unknown_subjects(ds: Dataset, known: set) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns or not known:
        return []
    ids = ds.frame["USUBJID"]
    unknown = ids.notna() & ~ids.isin(known)
    if not unknown.any():
        return []
    who = pd.unique(ids[unknown])
    return [
        Finding(
            "error",
            ds.file,
            f"{len(who)} subject(s) in {ds.name.upper()} are not in "
            f"ADSL: {_example_ids(who)} ({int(unknown.sum())} records: "
            f"{_rows_text(ds, ids.index[unknown])})",
            row=_row(ds, ids.index[unknown][0]),
            column="USUBJID",
            value=str(who[0]),
            patient_id=str(who[0]),
            rule="unknown_subject",
        )
    ]


def _check_adsl_keys(ds: Dataset) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns:
        return []
    ids = ds.frame["USUBJID"].dropna()
    dup = ids[ids.duplicated(keep=False)]
    out = []
    for sid, grp in list(dup.groupby(dup, sort=False))[:CAP]:
        out.append(
            Finding(
                "error",
                ds.file,
                f"USUBJID '{sid}' appears {len(grp)} times "
                f"({_rows_text(ds, grp.index)}); ADSL has one "
                f"record per subject",
                row=_row(ds, grp.index[1]),
                column="USUBJID",
                value=str(sid),
                patient_id=str(sid),
                rule="duplicate",
            )
        )
    n = dup.nunique()
    if n > CAP:
        out.append(
            Finding(
                "error",
                ds.file,
                f"… and {n - CAP} more duplicated USUBJID",
                column="USUBJID",
                rule="duplicate",
            )
        )
    return out


DAY_VARIABLES = {"ADY", "ASTDY", "AENDY", "TRTDUR", "TRTDURD"}


def _check_identifiers(ds: Dataset, cfg: dict) -> list[Finding]:
    """Subject ids, parameter codes and sites must be visible text (trial/text.py); subject
    ids also usable in a page address."""
    center = str(cfg.get("center", "SITEID")).upper()
    out = []
    for var in ("USUBJID", "PARAMCD", center):
        if var not in ds.frame.columns or ds.frame[var].dtype != object:
            continue
        s = ds.frame[var]
        why = identifier_problems(
            [v for v in pd.unique(s.dropna()) if isinstance(v, str)], patient_id=var == "USUBJID"
        )
        if not why:
            continue
        rows = s.index[s.isin(list(why))]
        first = s.loc[rows[0]]
        out.append(
            Finding(
                "error",
                ds.file,
                f"{len(rows):,} record(s) of {var} cannot be used as "
                f"identifiers ({_rows_text(ds, rows)}); e.g. "
                f"'{shown(first)}': the value {why[first]}",
                row=_row(ds, rows[0]),
                column=var,
                value=shown(first),
                rule="identifier",
            )
        )
    return out


def _check_magnitudes(ds: Dataset) -> list[Finding]:
    """Numbers no trial has (a day beyond 100 years, a value beyond 10^15, infinity)."""
    out = []
    for c in sorted(NUMERIC & set(ds.frame.columns)):
        v = ds.frame[c]
        if not pd.api.types.is_numeric_dtype(v):
            continue
        limit = MAX_DAY if c in DAY_VARIABLES else MAX_VISIT_NUMBER if c == "AVISITN" else MAX_VALUE
        bad = v.abs() > limit
        if bad.any():
            ex = ds.frame.index[bad.to_numpy()]
            out.append(
                Finding(
                    "error",
                    ds.file,
                    f"{int(bad.sum()):,} value(s) of {c} are beyond "
                    f"±{limit:g}, more than any trial has "
                    f"({_rows_text(ds, ex)})",
                    row=_row(ds, ex[0]),
                    column=c,
                    value=f"{v.loc[ex[0]]:g}",
                    rule="magnitude",
                )
            )
    return out


def _check_cnsr(ds: Dataset) -> list[Finding]:
    if "CNSR" not in ds.frame.columns:
        return []
    c = ds.frame["CNSR"]
    bad = c.isna() | (c < 0) | (c % 1 != 0)
    if not bad.any():
        return []
    ex = ds.frame.loc[bad]
    return [
        Finding(
            "error",
            ds.file,
            f"{int(bad.sum())} record(s) have a CNSR that is not 0 "
            f"(event) or a positive whole number (censored): "
            f"{_rows_text(ds, ex.index)}",
            row=_row(ds, ex.index[0]),
            column="CNSR",
            value="" if pd.isna(ex["CNSR"].iloc[0]) else f"{ex['CNSR'].iloc[0]:g}",
            patient_id=str(ex["USUBJID"].iloc[0]) if "USUBJID" in ex else None,
            rule="cnsr",
        )
    ]


def _check_aval_tte(ds: Dataset) -> list[Finding]:
    if "AVAL" not in ds.frame.columns:
        return []
    a = ds.frame["AVAL"]
    bad = a.isna() | (a < 0)
    if not bad.any():
        return []
    ex = ds.frame.loc[bad]
    return [
        Finding(
            "error",
            ds.file,
            f"{int(bad.sum())} record(s) have a missing or negative "
            f"time (AVAL): {_rows_text(ds, ex.index)}",
            row=_row(ds, ex.index[0]),
            column="AVAL",
            value="" if pd.isna(ex["AVAL"].iloc[0]) else f"{ex['AVAL'].iloc[0]:g}",
            rule="time",
        )
    ]


def _unit_and_label(param: str | None, code: str) -> tuple[str, str]:
    """'Creatinine (umol/L)' -> ('Creatinine', 'umol/L')."""
    if not param:
        return code, ""
    m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", param)
    return (m.group(1), m.group(2).strip()) if m else (param, "")


def _check_units(ds: Dataset) -> list[Finding]:
    """Each parameter must be in one unit (AVALU, or the unit in PARAM)."""
    f = ds.frame
    if "PARAMCD" not in f.columns:
        return []
    out = []
    if "AVALU" in f.columns:
        units = f.dropna(subset=["AVALU", "PARAMCD"]).groupby("PARAMCD")["AVALU"]
        for code, s in units:
            levels = list(pd.unique(s))
            if len(levels) > 1:
                examples = "; ".join(
                    f"'{u}' ({_rows_text(ds, s.index[s == u][:3])})" for u in levels[:4]
                )
                out.append(
                    Finding(
                        "error",
                        ds.file,
                        f"parameter {code} is recorded in "
                        f"{len(levels)} units (AVALU): {examples}; "
                        f"convert to one unit",
                        column="AVALU",
                        value=str(code),
                        row=_row(ds, s.index[0]),
                        rule="unit_mix",
                    )
                )
    if "PARAM" in f.columns:
        params = f.dropna(subset=["PARAM", "PARAMCD"]).drop_duplicates(["PARAMCD", "PARAM"])
        for code, g in params.groupby("PARAMCD"):
            if len(g) > 1:
                param_units = {_unit_and_label(p, str(code))[1] for p in g["PARAM"]}
                what = "units" if len(param_units) > 1 else "labels"
                level: Level = "error" if len(param_units) > 1 else "warning"
                shown = "; ".join(f"'{p}'" for p in g["PARAM"][:4])
                out.append(
                    Finding(
                        level,
                        ds.file,
                        f"parameter {code} has {len(g)} different "
                        f"PARAM texts ({what} differ): {shown}",
                        column="PARAM",
                        value=str(code),
                        row=_row(ds, g.index[0]),
                        rule="unit_mix" if level == "error" else "param_label",
                    )
                )
    return out


DATE_RE = re.compile(r"(DT|DTC|DTM)$")


def _check_dates(ds: Dataset) -> list[Finding]:
    """Date variables (…DT, …DTC, …DTM) held as text must be ISO 8601 dates."""
    out = []
    for c in ds.frame.columns:
        if not DATE_RE.search(c):
            continue
        s = ds.frame[c].dropna()
        if s.empty or not isinstance(s.iloc[0], str):
            continue
        parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
        # partial ISO dates (2014-03, 2014) are valid ADaM/SDTM values
        partial = s.str.fullmatch(r"\d{4}(-\d{2})?")
        bad = parsed.isna() & ~partial
        if bad.any():
            ex = s[bad]
            out.append(
                Finding(
                    "warning",
                    ds.file,
                    f"{int(bad.sum())} value(s) of {c} are not "
                    f"dates in ISO 8601 form (YYYY-MM-DD), e.g. "
                    f"'{ex.iloc[0]}' ({_rows_text(ds, ex.index)});"
                    f" they are treated as missing",
                    row=_row(ds, ex.index[0]),
                    column=c,
                    value=str(ex.iloc[0]),
                    rule="date",
                )
            )
    return out


def _dates(s: pd.Series) -> pd.Series:
    """Dates (datetime.date objects from SAS, ISO text, numbers of days since 1960) -> Timestamp."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_datetime(s, unit="D", origin="1960-01-01", errors="coerce")
    return pd.to_datetime(or_none(s.astype(object), s.notna()), errors="coerce", format="ISO8601")


def check_adam(path: str | Path, config: dict | str | Path | None = None) -> list[Finding]:
    """Every finding of an ADaM folder, errors first; nothing is raised."""
    try:
        return list(build_trial(path, config).findings)
    except DataError as e:
        return e.findings


# ---------------------------------------------------------------------------------------------
# Building the model: measurements and their visit axes


def _measure_rows(
    ds: Dataset, cfg: dict, notes: list[Finding]
) -> tuple[pd.DataFrame, VisitAxis | None]:
    """Plottable BDS records (columns code, label, unit, patient_id, month, day, value, ref_low,
    ref_high, visit_label, ...) and the dataset's visit axis; exclusions counted in `notes`.
    `month` is the record's place on the axis (`_visit_axis`), 0 for the baseline record."""
    f = ds.frame
    if not set(REQUIRED["bds"]) <= set(f.columns):
        return pd.DataFrame(), None
    f = f.loc[f["USUBJID"].notna() & f["PARAMCD"].notna()]
    include_derived = bool(cfg.get("include_derived_records", False))
    keep = pd.Series(True, index=f.index)

    def exclude(mask: pd.Series, why: str) -> None:
        nonlocal keep
        mask = mask & keep
        n = int(mask.sum())
        if n:
            notes.append(
                Finding(
                    "warning",
                    ds.file,
                    f"{n:,} record(s) {why}: they are not "
                    f"plotted ({_rows_text(ds, f.index[mask])})",
                    rule="excluded_records",
                )
            )
            keep &= ~mask

    exclude(f["AVAL"].isna(), "have no numeric value (AVAL missing)")
    baseline = (f["ABLFL"] == "Y") if "ABLFL" in f.columns else pd.Series(False, index=f.index)
    if "DTYPE" in f.columns and not include_derived:
        kinds = ", ".join(sorted(pd.unique(f.loc[f["DTYPE"].notna() & keep, "DTYPE"])))
        exclude(
            f["DTYPE"].notna() & ~baseline,
            f"are derived or imputed (DTYPE {kinds}), not "
            f"observed; set include_derived_records to "
            f"plot them",
        )
    exclude(f["AVISITN"].isna() & ~baseline, "are unscheduled visits (AVISITN missing)")
    label = f["AVISIT"] if "AVISIT" in f.columns else pd.Series(None, index=f.index, dtype=object)
    text = label.fillna("")
    unscheduled = text.str.contains(UNSCHEDULED_WORDS) & ~baseline
    exclude(unscheduled, f"are unscheduled visits (AVISITN {_visit_names(f, unscheduled & keep)})")
    configured = _configured_visits(cfg)
    if configured is not None:
        exclude(
            ~f["AVISITN"].isin(list(configured)) & ~baseline,
            "are at visits not listed in the configuration's visits",
        )
    else:
        derived = (f["AVISITN"] >= DERIVED_VISIT_NUMBER) | text.str.contains(DERIVED_VISIT_WORDS)
        exclude(
            derived & ~baseline,
            f"are at derived visits (AVISITN "
            f"{_visit_names(f, derived & keep & ~baseline)}) that "
            f"repeat or summarise other visits, e.g. End of Treatment",
        )
    f, label = f.loc[keep], label.loc[keep]
    baseline = baseline.loc[f.index]
    axis, month, before = _visit_axis(ds, f, baseline, label, cfg)
    exclude_before = before & ~baseline
    if exclude_before.any():
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{int(exclude_before.sum()):,} record(s) are "
                f"at visits before baseline (AVISITN "
                f"{_visit_names(f, exclude_before)}): the "
                f"baseline is the ABLFL record, so they are "
                f"neither plotted nor tested "
                f"({_rows_text(ds, f.index[exclude_before])})",
                column="AVISIT",
                rule="excluded_records",
            )
        )
        f, month, baseline = (
            f.loc[~exclude_before],
            month.loc[~exclude_before],
            baseline.loc[~exclude_before],
        )
    params_with_ablfl = set(f.loc[baseline, "PARAMCD"])
    # Where a parameter has ABLFL records, other records at visit 0 are not its baseline.
    stray = (month == 0) & ~baseline & f["PARAMCD"].isin(params_with_ablfl)
    if stray.any():
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{int(stray.sum()):,} record(s) at the "
                f"baseline visit are not flagged as baseline "
                f"(ABLFL) while another record is: they are "
                f"not plotted ({_rows_text(ds, f.index[stray])})",
                column="ABLFL",
                rule="excluded_records",
            )
        )
        f, month, baseline = f.loc[~stray], month.loc[~stray], baseline.loc[~stray]

    code = f["PARAMCD"].astype(str)
    label_col = f["PARAM"] if "PARAM" in f.columns else code
    tp = None
    if "ATPTN" in f.columns:
        # parameters with several time points per visit: one measure per time point
        n_points = f.loc[f["ATPTN"].notna()].groupby("PARAMCD")["ATPTN"].nunique()
        multi = set(n_points.index[n_points > 1])
        tp = f["PARAMCD"].isin(multi) & f["ATPTN"].notna()
        code = code.where(~tp, code + "@" + f["ATPTN"].map(lambda x: f"{x:g}"))
        tplabel = (
            f["ATPT"].fillna("").str.lower()
            if "ATPT" in f.columns
            else f["ATPTN"].map(lambda x: f"time point {x:g}")
        )
    rows = pd.DataFrame(
        {
            "code": code,
            "paramcd": f["PARAMCD"].astype(str),
            "param": label_col,
            "patient_id": f["USUBJID"].astype(str),
            "month": month.astype(float),
            "avisitn": f["AVISITN"].astype(float),
            "day": f["ADY"] if "ADY" in f.columns else np.nan,
            "value": f["AVAL"].astype(float),
            "ref_low": f["A1LO"] if "A1LO" in f.columns else np.nan,
            "ref_high": f["A1HI"] if "A1HI" in f.columns else np.nan,
            "unit_var": f["AVALU"] if "AVALU" in f.columns else None,
            "visit_label": or_none(label.loc[f.index], ~baseline),
            "baseline": baseline,
            "paramn": f["PARAMN"] if "PARAMN" in f.columns else np.nan,
            "parcat": f["PARCAT1"] if "PARCAT1" in f.columns else None,
            "anl": (f["ANL01FL"] == "Y") if "ANL01FL" in f.columns else False,
            "observed": f["DTYPE"].isna() if "DTYPE" in f.columns else True,
            "tp_label": tplabel.where(tp, "") if tp is not None else "",
            "dataset": ds.name.upper(),
            "file": ds.file,
        },
        index=f.index,
    )
    return _resolve_duplicates(ds, rows, notes), axis


def _visit_names(f: pd.DataFrame, mask: pd.Series) -> str:
    """ "99 'End of Treatment', 1 'Screening'": the AVISITN and AVISIT of the masked records."""
    cols = ["AVISITN", "AVISIT"] if "AVISIT" in f.columns else ["AVISITN", "AVISITN"]
    pairs = f.loc[mask, cols].drop_duplicates().itertuples(index=False)
    return ", ".join(("?" if pd.isna(n) else f"{n:g}") + f" '{lab}'" for n, lab in pairs)


def _visit_axis(
    ds: Dataset, f: pd.DataFrame, baseline: pd.Series, label: pd.Series, cfg: dict
) -> tuple[VisitAxis, pd.Series, pd.Series]:
    """What the dataset's AVISITN means, as its own AVISIT labels say: the axis (unit and
    source in words), each record's place on it (baseline 0) and the records at visits before
    baseline (screening, run-in: not on the axis).

    A label naming a time ("Week 26", "Day 15", "Month 3") places its visit at that time, in the
    unit most labels use, whatever AVISITN is (ADLB's AVISITN is often a visit number, ADVS's a
    week number). Visits whose label names no time are placed at their median study day (ADY).
    Without such labels (or with `visit_unit` in adam.json) AVISITN itself is the axis."""
    post = f.loc[~baseline & f["AVISITN"].notna()]
    by_n = (
        label.loc[post.index]
        .fillna("")
        .groupby(post["AVISITN"])
        .agg(lambda s: s.mode().iloc[0] if len(s.mode()) else "")
    )
    days = post["ADY"].groupby(post["AVISITN"]).median() if "ADY" in post.columns else None
    parsed = {n: visit_time(lab) for n, lab in by_n.items()}
    before = {
        n
        for n, lab in by_n.items()
        if PRE_BASELINE_WORDS.search(lab) or ((t := parsed[n]) is not None and t[0] < 0)
    }
    scheduled = [n for n in by_n.index if n not in before]
    unit = main_unit(t[1] for t in (parsed[n] for n in scheduled) if t is not None)
    unparsed = [n for n in scheduled if parsed[n] is None]
    by_day = days is not None and days.reindex(unparsed).notna().all()
    name = ds.name.upper()
    if cfg.get("visit_unit") or unit is None or (unparsed and not by_day):
        unit = cfg.get("visit_unit") or "visit"
        places = {n: float(n) for n in scheduled}
        source = (
            f"AVISITN, in {unit}s as {CONFIG_FILE} says (visit_unit)"
            if cfg.get("visit_unit")
            else "AVISITN (visit numbers: the AVISIT labels name no week, day or month)"
        )
    else:
        places = {}
        for n in scheduled:
            t = parsed[n]
            # a visit without a time in its label is placed by its day: here `by_day`, days known
            time = t[0] if t is not None else _day_time(cast(pd.Series, days)[n])
            places[n] = position(time, unit)
        if all(places[n] == n for n in scheduled):
            source = f"AVISITN, which counts {unit}s as the AVISIT labels say"
        else:
            example = next((n for n in reversed(scheduled) if places[n] != n), scheduled[-1])
            source = f"the AVISIT labels: AVISITN is a visit number ({example:g} = {by_n[example]})"
        if unparsed:
            source += (
                ", and the median study day (ADY) of visits whose label names no time "
                f"({', '.join(repr(by_n[n]) for n in unparsed[:3])})"
            )
    month = f["AVISITN"].map(places).where(~baseline, 0.0)
    is_before = f["AVISITN"].isin(list(before)) & ~baseline
    return VisitAxis(name, unit, source), month, is_before


def _day_time(ady: float) -> float:
    """An ADaM study day (day 1 = first dose, no day 0) as days since the first dose."""
    return ady - 1 if ady >= 1 else ady


def _resolve_duplicates(ds: Dataset, rows: pd.DataFrame, notes: list[Finding]) -> pd.DataFrame:
    """One record per patient, measure and visit: keep ANL01FL = Y, else observed, else first."""
    key = ["patient_id", "code", "month"]
    dup = rows.duplicated(key, keep=False)
    if not dup.any():
        return rows
    d = rows.loc[dup].assign(_pos=np.arange(int(dup.sum())))
    d = d.sort_values(
        ["anl", "baseline", "observed", "_pos"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    kept = d.drop_duplicates(key)
    dropped = d.index.difference(kept.index)
    groups = d.groupby(key, sort=False)
    examples = []
    for (pid, code, month), g in list(groups)[:3]:
        k = kept.loc[
            (kept["patient_id"] == pid) & (kept["code"] == code) & (kept["month"] == month)
        ].index[0]
        why = (
            "flagged ANL01FL = Y"
            if g.loc[k, "anl"] and not g["anl"].all()
            else "the baseline record (ABLFL)"
            if g.loc[k, "baseline"] and not g["baseline"].all()
            else "the first in file order"
        )
        examples.append(
            f"subject {pid}, {code}, AVISITN {month:g}: {_rows_text(ds, g.index)}, "
            f"kept {_rows_text(ds, [k]).replace('s ', ' ', 1)} "
            f"({why})"
        )
    n_keys = groups.ngroups
    notes.append(
        Finding(
            "warning",
            ds.file,
            f"{n_keys:,} subject/parameter/visit combination(s) (USUBJID, PARAMCD, "
            f"AVISITN) have more than one record; one is kept per combination "
            f"(ANL01FL = Y first, then observed records, then file order) and "
            f"{len(dropped):,} record(s) are not plotted. Examples: " + "; ".join(examples),
            row=_row(ds, d.index[0]),
            column="AVISITN",
            rule="duplicate_key",
        )
    )
    return rows.drop(index=dropped)


def _configured_visits(cfg: dict) -> dict[float, str | None] | None:
    if "visits" not in cfg:
        return None
    out: dict[float, str | None] = {}
    for v in cfg["visits"]:
        if isinstance(v, dict):
            out[float(v["avisitn"])] = v.get("label")
        else:
            out[float(v)] = None
    return out


def _mode(s: pd.Series) -> float | None:
    s = s.dropna()
    if s.empty:
        return None
    return float(s.mode().iloc[0])


def _build_measures(
    rows: pd.DataFrame, cfg: dict, notes: list[Finding]
) -> tuple[tuple[Measure, ...], pd.DataFrame]:
    """Measures (ordered: configured first, then dataset and PARAMN order) and the rows with
    unique codes (a PARAMCD in two datasets is prefixed by the dataset name)."""
    if rows.empty:
        return (), rows
    n_datasets = rows.groupby("code")["dataset"].nunique()
    clash = set(n_datasets.index[n_datasets > 1])
    if clash:
        rows = rows.assign(
            code=rows["code"].where(~rows["code"].isin(clash), rows["dataset"] + ":" + rows["code"])
        )
    first = [c.upper() for c in cfg.get("parameters_first", [])]
    only = {c.upper() for c in cfg.get("parameters", [])}
    if only:
        rows = rows.loc[rows["paramcd"].str.upper().isin(only)]
    info = rows.groupby("code", sort=False).agg(
        paramcd=("paramcd", "first"),
        param=("param", "first"),
        dataset=("dataset", "first"),
        paramn=("paramn", "min"),
        tp_label=("tp_label", "first"),
        file=("file", "first"),
        unit_var=("unit_var", "first"),
        lo_n=("ref_low", "nunique"),
        hi_n=("ref_high", "nunique"),
    )
    info["rank"] = [
        first.index(p.upper()) if p.upper() in first else len(first) for p in info["paramcd"]
    ]
    info = info.assign(_order=np.arange(len(info))).sort_values(
        ["rank", "dataset", "paramn", "_order"], kind="stable"
    )
    missing = [c for c in first if c not in set(info["paramcd"].str.upper())]
    if missing:
        notes.append(
            Finding(
                "warning",
                CONFIG_FILE,
                f"parameters_first names parameter(s) not in the data: {', '.join(missing)}",
                key="parameters_first",
                rule="config",
            )
        )
    keys = _key_codes(info, len(first))
    ref = rows.groupby("code").agg(lo=("ref_low", _mode), hi=("ref_high", _mode))
    measures = []
    varying = []
    for code, r in info.iterrows():
        label, unit = _unit_and_label(
            r["param"] if isinstance(r["param"], str) else None, r["paramcd"]
        )
        if isinstance(r["unit_var"], str) and r["unit_var"]:
            unit = r["unit_var"]
        if r["tp_label"]:
            label = f"{label}, {r['tp_label']}"
        if r["lo_n"] > 1 or r["hi_n"] > 1:
            varying.append(str(code))
        lo, hi = (  # the modes of the numeric A1LO and A1HI
            None if pd.isna(x) else float(cast(float, x))
            for x in (ref.at[code, "lo"], ref.at[code, "hi"])
        )
        measures.append(
            Measure(
                code=str(code),
                label=label,
                unit=unit,
                ref_low=lo,
                ref_high=hi,
                key=code in keys,
                category=r["dataset"],
            )
        )
    if varying:
        where = sorted(set(info.loc[varying, "file"]))
        notes.append(
            Finding(
                "warning",
                ", ".join(where),
                f"the reference range (A1LO/A1HI) varies within parameter(s) "
                f"{_example_ids(varying)} (e.g. by sex or age): the shaded range is "
                f"the most frequent one",
                column="A1LO",
                rule="reference_range",
            )
        )
    return tuple(measures), rows


def _key_codes(info: pd.DataFrame, n_first: int) -> set:
    """Codes of the key measures among the ordered parameters `info`: those `parameters_first`
    names, else the default safety labs (the first measure of each, so that a parameter in two
    lab datasets or at several time points appears once)."""
    if n_first:
        return set(info.index[info["rank"] < n_first])
    labs = info.loc[info["paramcd"].str.upper().isin(DEFAULT_KEY_PARAMETERS)]
    return set(labs.drop_duplicates("paramcd").index)


def _study_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    """ADaM study day: date - start + 1 on or after the start (day 1 = first dose), else date -
    start (no day 0)."""
    d = (dates - start).dt.days.astype(float)
    return d.where(d < 0, d + 1)


def _last_followup(adsl: pd.DataFrame, start: pd.Series, others: list[pd.Series]) -> pd.Series:
    """Latest known study day per subject (>= 0): the maximum of ADSL dates relative to the
    first dose (LSTALVDT, DTHDT, EOSDT, RFENDT, TRTEDT), treatment duration (TRTDURD, TRTDUR)
    and the latest analysis day of any record (ADY, ASTDY, AENDY) in the other datasets."""
    ids = adsl["USUBJID"].astype(str)
    cands = []
    if len(start):
        first = ids.map(start)
        for c in ("LSTALVDT", "DTHDT", "EOSDT", "RFENDT", "TRTEDT"):
            if c in adsl.columns:
                cands.append(_study_day(_dates(adsl[c]), first))
    for c in ("TRTDURD", "TRTDUR"):
        if c in adsl.columns and pd.api.types.is_numeric_dtype(adsl[c]):
            cands.append(adsl[c].astype(float))
    frame = (
        pd.concat([c.rename(i) for i, c in enumerate(cands)], axis=1)
        if cands
        else pd.DataFrame(index=adsl.index)
    )
    last = frame.max(axis=1) if cands else pd.Series(np.nan, index=adsl.index)
    last.index = ids
    for s in others:
        if len(s):
            last = pd.concat([last, s.groupby(level=0).max()], axis=1).max(axis=1).reindex(ids)
    return last.fillna(0).clip(lower=0).round().astype(int)


def _build_visits(rows: pd.DataFrame, cfg: dict) -> tuple[Visit, ...]:
    """The visits of some rows (one dataset's, or one measure's): place, label, median day."""
    configured = _configured_visits(cfg) or {}
    out = []
    if rows.empty:
        return ()
    for month, g in rows.groupby("month"):
        labels = g["visit_label"].dropna()
        avisitn = g["avisitn"].dropna()
        named = configured.get(float(avisitn.iloc[0])) if len(avisitn) else None
        label = named or (
            "Baseline" if month == 0 else labels.mode().iloc[0] if len(labels) else f"{month:g}"
        )
        day = g["day"].median()
        place = cast(float, month)  # the rows' month column is float
        key = int(place) if float(place).is_integer() else place
        out.append(Visit(key, str(label), int(round(day)) if pd.notna(day) else 0))
    return tuple(out)


def _with_visits(
    measures: tuple[Measure, ...], rows: pd.DataFrame, cfg: dict, axes: dict[str, VisitAxis]
) -> tuple[Measure, ...]:
    """Each measure with its own axis: its dataset's unit and the visits it has values at."""
    if rows.empty:
        return measures
    by_code = dict(tuple(rows.groupby("code", sort=False)))
    out = []
    for m in measures:
        axis = axes.get(m.category)
        out.append(
            replace(
                m, visits=_build_visits(by_code[m.code], cfg), visit_unit=axis.unit if axis else ""
            )
        )
    return tuple(out)


def _study_visits(
    measures: tuple[Measure, ...], rows: pd.DataFrame, cfg: dict
) -> tuple[tuple[Visit, ...], str]:
    """The study's visits and unit (what views without a measure show, e.g. a patient's
    timeline): every dataset's when they share one unit, else those of the first key
    measure's dataset."""
    units = {m.visit_unit for m in measures}
    if len(units) <= 1:
        return _build_visits(rows, cfg), (units.pop() if units else "visit")
    first = next((m for m in measures if m.key), measures[0])
    return (_build_visits(rows.loc[rows["dataset"] == first.category], cfg), first.visit_unit)


# ---------------------------------------------------------------------------------------------
# Building the model: subjects, populations and arms


def _screen_failures(
    raw: AdamFolder, notes: list[Finding]
) -> tuple[dict[str, Dataset], tuple[tuple[str, int], ...]]:
    """The datasets without the subjects never randomised (ARMCD, ARM or TRT01P "Screen
    Failure", "Not Assigned"): they are in no analysis population. Counted in `notes`."""
    adsl = raw.datasets["adsl"]
    f = adsl.frame
    mask = pd.Series(False, index=f.index)
    var = ""
    for v in ("ARMCD", "ARM", "TRT01P"):
        if v in f.columns:
            hit = f[v].fillna("").astype(str).str.contains(SCREEN_FAILURE)
            var = var or (v if hit.any() else "")
            mask |= hit
    if not mask.any() or "USUBJID" not in f.columns:
        return raw.datasets, ()
    ids = set(f.loc[mask, "USUBJID"].dropna().astype(str))
    values = ", ".join(f"'{v}'" for v in pd.unique(f.loc[mask, var].dropna()))
    why = f"screen failures ({var} = {values})"
    notes.append(
        Finding(
            "warning",
            adsl.file,
            f"{len(ids)} {why} are not analysed: never "
            f"randomised, they are in no analysis "
            f"population, and their records in the other "
            f"datasets are not loaded (subjects "
            f"{_example_ids(sorted(ids))})",
            column=var,
            rule="screen_failure",
        )
    )
    out = {
        name: replace(ds, frame=ds.frame.loc[~ds.frame["USUBJID"].astype(str).isin(ids)])
        if "USUBJID" in ds.frame.columns
        else ds
        for name, ds in raw.datasets.items()
    }
    return out, ((why, len(ids)),)


def _treatment_start(adsl: pd.DataFrame) -> tuple[pd.Series, str]:
    """Date of first dose per subject (index USUBJID) and the variable it comes from: TRTSDT,
    else the date of TRTSDTM, else RFXSTDTC, RFSTDTC (SDTM reference start)."""
    for var in ("TRTSDT", "TRTSDTM", "RFXSTDTC", "RFSTDTC"):
        if var in adsl.columns and adsl[var].notna().any():
            s = adsl[var]
            if var.endswith("DTM") and pd.api.types.is_numeric_dtype(s):
                dates = pd.to_datetime(s, unit="s", origin="1960-01-01", errors="coerce")
            else:
                dates = _dates(s)
            return pd.Series(
                dates.dt.normalize().to_numpy(), index=adsl["USUBJID"].astype(str)
            ).groupby(level=0).first(), var
    return pd.Series(dtype="datetime64[ns]"), ""


@dataclass
class _Subjects:
    """The patients frame of ADSL and what the study definition takes from it."""

    frame: pd.DataFrame
    labels: dict[str, str]
    variables: dict[str, str]  # ADSL variable -> patients column
    populations: tuple[Population, ...] = ()
    default_population: tuple = ()
    arms: tuple[ArmVariable, ...] = ()
    default_arm: tuple = ()
    notes: tuple[str, ...] = ()


ID_VARIABLES = {"STUDYID", "USUBJID", "SUBJID"}
MAPPED_VARIABLES = {"SEX": "sex", "AGE": "age"}
MAX_TEXT_LEVELS = 60  # a character variable with more values is free text, not a variable to
# filter or group on (e.g. comments)


def _patients(ds: Dataset, cfg: dict, start: pd.Series, notes: list[Finding]) -> _Subjects:
    """One row per subject: id, site, the planned and actual arm, sex, age, the population
    flags (as booleans, `_pop_<flag>`) and every other subject-level variable (categorical
    ones as text, numeric ones as numbers), each labelled by its ADSL label."""
    f = ds.frame.loc[ds.frame["USUBJID"].notna()].drop_duplicates("USUBJID")
    labels: dict[str, str] = {}
    variables = {"USUBJID": "patient_id"}
    out = pd.DataFrame({"patient_id": f["USUBJID"].astype(str)}, index=f.index)
    center = cfg.get("center", "SITEID").upper()
    if center in f.columns:
        out["center"] = (
            f[center]
            .astype(object)
            .map(
                lambda v: (
                    "missing"
                    if v is None or (isinstance(v, float) and np.isnan(v))
                    else f"{v:g}"
                    if isinstance(v, float)
                    else str(v)
                )
            )
        )
        variables[center] = "center"
    else:
        out["center"] = "All"
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"no {center} variable: every subject is in one site 'All'",
                column=center,
                rule="missing_variable",
            )
        )
    arms, default_arm, arm_vars = _arms(f, cfg, out, labels, variables, notes, ds)
    for var, col in MAPPED_VARIABLES.items():
        if var in f.columns:
            out[col] = f[var].astype(float) if col == "age" else f[var].astype(object)
            variables[var] = col
    populations, default_population, pop_notes = _populations(f, cfg, start, out, ds, notes)
    skip = ID_VARIABLES | {center} | set(MAPPED_VARIABLES) | arm_vars
    _subject_variables(ds, f, cfg, skip, out, labels, variables, notes)
    return _Subjects(
        out.reset_index(drop=True),
        labels,
        variables,
        populations,
        default_population,
        arms,
        default_arm,
        pop_notes,
    )


def _arms(
    f: pd.DataFrame,
    cfg: dict,
    out: pd.DataFrame,
    labels: dict,
    variables: dict,
    notes: list[Finding],
    ds: Dataset,
):
    """The planned and the actual arm (columns arm_planned, arm_actual) and `arm`, the arm of
    efficacy analyses (planned where the data have it). adam.json `arms` may name either
    variable and each kind of analysis's arm; the older `arm` names one for both."""
    spec = cfg.get("arms") or {}
    found: dict[str, str] = {}
    if cfg.get("arm"):
        var = cfg["arm"].upper()
        found["actual" if var in ACTUAL_ARM_VARIABLES else "planned"] = var
    for key, candidates in (("planned", PLANNED_ARM_VARIABLES), ("actual", ACTUAL_ARM_VARIABLES)):
        wanted = (spec.get(key) or "").upper()
        if wanted:
            found[key] = wanted
        elif key not in found and not cfg.get("arm"):
            var = next((v for v in candidates if v in f.columns and f[v].notna().any()), None)
            if var:
                found[key] = var
    arms = []
    for key, var in found.items():
        if var not in f.columns:
            notes.append(
                Finding(
                    "warning",
                    CONFIG_FILE,
                    f"the {key} arm variable {var} is not in ADSL",
                    key="arms",
                    value=var,
                    rule="config",
                )
            )
            continue
        col = f"arm_{key}"
        out[col] = f[var].astype(object).where(f[var].notna(), "missing")
        labels[col] = arm_label(key, var).capitalize()
        variables[var] = col
        arms.append(ArmVariable(key, var, col, arm_label(key, var)))
    if not arms:
        notes.append(
            Finding(
                "warning",
                ds.file,
                "no treatment arm variable (TRT01P, ARM, "
                "TRT01A, ACTARM): the app offers no arm "
                "grouping",
                column="TRT01P",
                rule="missing_variable",
            )
        )
        return (), (), set()
    keys = [a.key for a in arms]
    default = tuple(
        (
            role,
            spec.get(role)
            if spec.get(role) in keys
            else ("planned" if role == "efficacy" else "actual")
            if ("planned" if role == "efficacy" else "actual") in keys
            else keys[0],
        )
        for role in ROLES
    )
    efficacy_arm = next(a for a in arms if a.key == dict(default)["efficacy"])
    out[ARM_COLUMN] = out[efficacy_arm.column]
    labels[ARM_COLUMN] = "Arm"
    # Variables holding the same assignment as an arm (ARM beside TRT01P) are that arm too.
    for var in set(PLANNED_ARM_VARIABLES + ACTUAL_ARM_VARIABLES) & set(f.columns):
        if var in variables:
            continue
        same = next((a for a in arms if f[var].astype(str).equals(f[a.variable].astype(str))), None)
        if same is not None:
            variables[var] = same.column
    arm_vars = {v for v, c in variables.items() if c.startswith("arm_")}
    return tuple(arms), default, arm_vars


def _populations(
    f: pd.DataFrame,
    cfg: dict,
    start: pd.Series,
    out: pd.DataFrame,
    ds: Dataset,
    notes: list[Finding],
):
    """Analysis populations: each ADaM flag present (SAFFL, ITTFL, FASFL, EFFFL, PPROTFL, and
    any flag adam.json names), as a boolean column `_pop_<flag>`; "Treated subjects" (a first
    dose date) where a default has no flag. Defaults: efficacy ITTFL, else FASFL, else EFFFL;
    safety SAFFL; else treated subjects."""
    spec = cfg.get("populations") or {}
    named = {str(v).upper() for v in spec.values() if str(v).lower() != ALL_SUBJECTS}
    flags = [v for v in POPULATION_FLAGS if v in f.columns] + sorted(
        v for v in named - set(POPULATION_FLAGS) if v in f.columns
    )
    pops = []
    for flag in flags:
        col = f"_pop_{flag.lower()}"
        out[col] = f[flag].astype(str).str.upper().eq("Y").to_numpy()
        label = POPULATION_FLAGS.get(flag) or ds.labels.get(flag) or flag
        pops.append(Population(flag, label, col, f"ADSL {flag} = Y"))
    for v in sorted(named - set(flags)):
        notes.append(
            Finding(
                "warning",
                CONFIG_FILE,
                f"populations names {v}, which is not an ADSL variable: the default is used",
                key="populations",
                value=v,
                rule="config",
            )
        )
    defaults = {}
    for role, candidates in (("efficacy", EFFICACY_FLAGS), ("safety", SAFETY_FLAGS)):
        wanted = str(spec.get(role) or "")
        if wanted.lower() == ALL_SUBJECTS:
            defaults[role] = ALL_SUBJECTS
        elif wanted.upper() in flags:
            defaults[role] = wanted.upper()
        else:
            defaults[role] = next((c for c in candidates if c in flags), "")
    pop_notes = []
    if not all(defaults.values()) and len(start):
        treated = out["patient_id"].map(start).notna().to_numpy()
        out["_pop_treated"] = treated
        pops.append(
            Population(
                TREATED, "Treated subjects", "_pop_treated", "derived: a first dose date in ADSL"
            )
        )
        for role in ROLES:
            if not defaults[role]:
                defaults[role] = TREATED
                pop_notes.append(
                    f"No {'SAFFL' if role == 'safety' else 'ITTFL, FASFL or EFFFL'}"
                    f" in ADSL: {role} analyses use the treated subjects"
                )
    pops = [replace(p, n=int(out[p.column].sum())) for p in pops]
    for p in pops:
        if p.n == 0:
            notes.append(
                Finding(
                    "warning",
                    ds.file,
                    f"no subject is in the {p.label} ({p.source})",
                    column=p.key,
                    rule="population",
                )
            )
    if len(start):
        untreated = out["patient_id"].map(start).isna()
        if untreated.any():
            pop_notes.append(
                f"{int(untreated.sum())} subject(s) have no first dose date "
                f"(randomised, never treated): not in safety analyses "
                f"({_example_ids(out.loc[untreated, 'patient_id'])})"
            )
    return tuple(pops), tuple((r, defaults[r] or ALL_SUBJECTS) for r in ROLES), tuple(pop_notes)


def _subject_variables(
    ds: Dataset,
    f: pd.DataFrame,
    cfg: dict,
    skip: set,
    out: pd.DataFrame,
    labels: dict,
    variables: dict,
    notes: list[Finding],
) -> None:
    """Every other ADSL variable a statistician may filter or group on (or those `groups`
    names): text variables with 2 to 60 values (flags: empty = N) and numbers. Not kept:
    identifiers, dates, constants and the numeric codes of text variables (AGEGR1N beside
    AGEGR1)."""
    wanted = [g.upper() for g in cfg["groups"]] if "groups" in cfg else None
    for c in wanted if wanted is not None else f.columns:
        if c not in f.columns:
            notes.append(
                Finding(
                    "warning",
                    CONFIG_FILE,
                    f"groups names {c}, which is not an ADSL variable",
                    key="groups",
                    value=c,
                    rule="config",
                )
            )
            continue
        s = f[c]
        numeric = pd.api.types.is_numeric_dtype(s)
        if wanted is None:
            if c in skip or c in variables or DATE_RE.search(c) or c.endswith(("DY", "DTF")):
                continue
            if numeric and c.endswith("N") and c[:-1] in f.columns:
                continue  # the numeric code of a text variable
            values = (s.fillna("N") if c.endswith("FL") else s).dropna()
            if values.nunique() < 2 or (not numeric and values.nunique() > MAX_TEXT_LEVELS):
                continue
            if not numeric and not isinstance(values.iloc[0], str):
                continue  # dates and times held as objects
        name = c.lower()
        if name in out.columns:
            name = f"{name}_adsl"
        if c.endswith("FL") and not numeric:
            s = s.fillna("N")  # ADaM flags: Y or empty
        out[name] = s.astype(float) if numeric else s.astype(object).where(s.notna(), "missing")
        labels[name] = f"{ds.labels[c]} ({c})" if ds.labels.get(c) else c
        variables[c] = name


# ---------------------------------------------------------------------------------------------
# Building the model: endpoints, adverse events, deaths

OS_CODES = {"OS", "OVRLSURV", "TTDEATH"}
OS_WORDS = re.compile(r"overall\s+survival|time\s+to\s+death\b", re.I)


def _tte(
    ds: Dataset, cfg: dict, notes: list[Finding]
) -> tuple[pd.DataFrame, tuple[EndpointChoice, ...]]:
    """The time-to-event endpoints of ADTTE and, for every parameter, whether it is one: a
    parameter whose unit is not a time (AVALU = COUNT), or whose label reads as a count, is
    listed, not analysed."""
    f = ds.frame
    if not set(REQUIRED["adtte"]) <= set(f.columns):
        return empty_tte(), ()
    f = f.dropna(subset=["USUBJID", "PARAMCD"])
    param = f["PARAM"] if "PARAM" in f.columns else f["PARAMCD"]
    label = param.map(lambda p: _unit_and_label(p, "")[0] if isinstance(p, str) else p)
    unit = _tte_units(f, param, cfg)
    choices = []
    dropped = []
    for code, g in f.groupby("PARAMCD", sort=False):
        lab = str(label.loc[g.index[0]])
        u = str(unit.loc[g.index[0]])
        why = "" if cfg.get("tte_unit") else not_time_to_event(u, lab)
        choices.append(EndpointChoice(str(code), lab, time_unit(u) or u or "days", not why, why))
        if why:
            dropped.append(f"{code} '{lab}' ({why})")
    if dropped:
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{len(dropped)} ADTTE parameter(s) are not "
                f"times to an event and are not drawn as "
                f"curves: {'; '.join(dropped)}",
                column="AVALU",
                rule="not_time_to_event",
            )
        )
    kept = {c.code for c in choices if c.kept}
    assumed = sorted(c for c in kept if not unit.loc[f["PARAMCD"].astype(str) == c].iloc[0])
    if assumed:
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"no time unit for endpoint(s) "
                f"{', '.join(assumed)} (neither AVALU nor a "
                f"unit in PARAM): days assumed (set tte_unit "
                f"in {CONFIG_FILE} otherwise)",
                column="AVALU",
                rule="unit_assumed",
            )
        )
    f = f.loc[f["PARAMCD"].astype(str).isin(kept)].dropna(subset=["AVAL", "CNSR"])
    f = f.loc[(f["AVAL"] >= 0) & (f["CNSR"] >= 0) & (f["CNSR"] % 1 == 0)]
    dup = f.duplicated(["USUBJID", "PARAMCD"], keep=False)
    if dup.any():
        d = f.loc[dup]
        n_dup = int(d.duplicated(["USUBJID", "PARAMCD"]).sum())
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{n_dup} subject(s) have more than one "
                f"record of an endpoint "
                f"({_rows_text(ds, d.index)}); the first "
                f"is analysed",
                column="PARAMCD",
                rule="duplicate_key",
                row=_row(ds, d.index[0]),
            )
        )
        f = f.drop_duplicates(["USUBJID", "PARAMCD"])
    censor_codes = sorted(pd.unique(f.loc[f["CNSR"] > 1, "CNSR"]))
    if censor_codes:
        shown = ", ".join(f"{c:g}" for c in censor_codes)
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"CNSR values {shown} are read as censored "
                f"(ADaM: 0 = event, any positive value = "
                f"censored, for a reason)",
                column="CNSR",
                rule="cnsr",
            )
        )
    units = unit.loc[f.index].map(lambda u: time_unit(u) or u or "days")
    tte = pd.DataFrame(
        {
            "patient_id": f["USUBJID"].astype(str).to_numpy(),
            "endpoint": f["PARAMCD"].astype(str).to_numpy(),
            "label": label.loc[f.index].astype(str).to_numpy(),
            "time": f["AVAL"].astype(float).to_numpy(),
            "event": (f["CNSR"] == 0).astype(int).to_numpy(),
            "unit": units.astype(str).to_numpy(),
        }
    )[list(TTE_COLUMNS)]
    return tte, tuple(choices)


def _tte_units(f: pd.DataFrame, param: pd.Series, cfg: dict) -> pd.Series:
    """Each record's unit as the data give it (AVALU, else the unit in PARAM; adam.json
    `tte_unit` for all), "" where none is given."""
    if cfg.get("tte_unit"):
        return pd.Series(cfg["tte_unit"], index=f.index, dtype=object)
    from_param = param.map(lambda p: _unit_and_label(p, "")[1] if isinstance(p, str) else "")
    unit = f["AVALU"].fillna("").astype(str) if "AVALU" in f.columns else from_param
    return unit.where(unit != "", from_param)


def _overall_survival(tte: pd.DataFrame, choices: tuple[EndpointChoice, ...]) -> str:
    """The ADTTE code of the study's own overall survival (PARAMCD OS, or PARAM "Overall
    survival"), "" when it has none."""
    for c in choices:
        if c.kept and (c.code.upper() in OS_CODES or OS_WORDS.search(c.label)):
            return c.code
    return ""


def _reconcile_deaths(
    tte: pd.DataFrame, code: str, dead: set[str], adsl: Dataset, notes: list[Finding]
) -> tuple[tuple[str, int], ...]:
    """How the ADSL deaths (DTHFL, DTHDT) and the study's overall-survival events agree."""
    os_rows = tte.loc[tte["endpoint"] == code]
    events = set(os_rows.loc[os_rows["event"] == 1, "patient_id"])
    both, only_adsl, only_os = dead & events, dead - events, events - dead
    counts = (
        ("ADSL deaths", len(dead)),
        (f"{code} events", len(events)),
        ("in both", len(both)),
        ("ADSL only", len(only_adsl)),
        (f"{code} only", len(only_os)),
    )
    if only_adsl or only_os:
        examples = "; ".join(
            f"{what}: {_example_ids(sorted(ids))}"
            for what, ids in (("ADSL only", only_adsl), (f"{code} only", only_os))
            if ids
        )
        notes.append(
            Finding(
                "warning",
                adsl.file,
                f"ADSL records {len(dead)} death(s) (DTHFL, "
                f"DTHDT) and the study's overall survival "
                f"(ADTTE {code}) {len(events)} event(s): "
                f"{len(both)} in both, {len(only_adsl)} only "
                f"in ADSL, {len(only_os)} only in {code} "
                f"({examples}). Overall survival is the "
                f"study's {code}; the ADSL deaths are shown "
                f"on patient pages and in the counts of "
                f"deaths",
                column="DTHFL",
                rule="death_reconciliation",
            )
        )
    return counts


def _ae_day(f: pd.DataFrame, start: pd.Series) -> pd.Series:
    """ASTDY, else the study day of ASTDT (ADaM: day 1 = first dose)."""
    day = f["ASTDY"].astype(float) if "ASTDY" in f.columns else pd.Series(np.nan, index=f.index)
    if "ASTDT" in f.columns and day.isna().any():
        derived = _study_day(_dates(f["ASTDT"]), f["USUBJID"].astype(str).map(start))
        day = day.fillna(derived)
    return day


def _coded_adverse_events(
    ds: Dataset, start: pd.Series, cfg: dict, notes: list[Finding]
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Every ADAE record with its coding, for the safety tables (`Trial.adverse_events`), and
    the severity codes in order. Treatment-emergent: TRTEMFL = Y; without TRTEMFL, events
    starting on or after the first dose (or without a start day) count, as a warning says."""
    f = ds.frame.loc[ds.frame["USUBJID"].notna()]
    day = _ae_day(f, start)
    term = _first_of(f, ("AEDECOD", "AETERM"), "Not coded")
    soc = _first_of(f, ("AEBODSYS", "AESOC"), "Not coded")
    severity = _first_of(f, ("AESEV", "AETOXGR"), None)
    if severity.notna().any() and pd.api.types.is_numeric_dtype(severity):
        severity = severity.map(lambda g: None if pd.isna(g) else f"{g:g}")
    related = (
        f["AEREL"].astype(object)
        if "AEREL" in f.columns
        else pd.Series(None, index=f.index, dtype=object)
    )
    codes = cfg.get("related_values")
    related_class = related.map(lambda c: design_related_class(c, codes))
    unknown = sorted(
        {
            str(c)
            for c, k in zip(related, related_class, strict=True)
            if k == "unknown" and c is not None and str(c).strip()
        }
    )
    if unknown:
        shown = ", ".join(repr(u) for u in unknown)
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"AEREL value(s) {shown} read neither as "
                f"related nor as not related: counted as "
                f"unknown (list the related codes "
                f"in {CONFIG_FILE}, related_values)",
                column="AEREL",
                rule="coding",
            )
        )
    if "TRTEMFL" in f.columns:
        teae = f["TRTEMFL"].eq("Y")
    else:
        teae = day.isna() | (day >= 1)
        notes.append(
            Finding(
                "warning",
                ds.file,
                "no TRTEMFL variable: adverse events starting "
                "on or after the first dose (ASTDY >= 1), or "
                "without a start day, are taken as "
                "treatment-emergent",
                column="TRTEMFL",
                rule="derived_flag",
            )
        )
    frame = pd.DataFrame(
        {
            "patient_id": f["USUBJID"].astype(str),
            "soc": soc.astype(object),
            "term": term.astype(object),
            "severity": severity.astype(object),
            "serious": f["AESER"].eq("Y") if "AESER" in f.columns else False,
            "related": related,
            "related_class": related_class,
            "teae": teae.astype(bool),
            "day": day,
        }
    )
    return frame[list(AE_COLUMNS)], severity_order(frame["severity"].dropna())


def _first_of(f: pd.DataFrame, names: tuple[str, ...], default) -> pd.Series:
    """The first of the variables present, filled from the next ones, then `default`."""
    out = pd.Series(default, index=f.index, dtype=object)
    for name in reversed(names):
        if name in f.columns:
            out = f[name].where(f[name].notna(), out)
    return out


def _adverse_events(coded: pd.DataFrame, ds: Dataset, notes: list[Finding]) -> pd.DataFrame:
    """The coded adverse events as events of the timeline (those with a start day)."""
    nodate = coded["day"].isna()
    if nodate.any():
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{int(nodate.sum())} adverse event(s) have no "
                f"start day (ASTDY, ASTDT): not shown on time "
                f"axes; counted in the safety tables "
                f"({_rows_text(ds, coded.index[nodate])})",
                column="ASTDY",
                rule="excluded_records",
            )
        )
    e = coded.loc[~nodate]
    return pd.DataFrame(
        {
            "patient_id": e["patient_id"],
            "day": e["day"].round().astype(int),
            "event": "adverse_event",
            "term": e["term"],
            "severity": np.where(e["serious"], "SAE", "AE"),
            "related": e["related_class"],
            "provenance": "recorded",
            "body_system": e["soc"],
        }
    )


def _response_events(
    adsl: pd.DataFrame, cfg: dict, start: pd.Series, notes: list[Finding]
) -> pd.DataFrame:
    spec = cfg.get("response")
    cols = ["patient_id", "day", "event", "term", "severity", "related", "provenance"]
    if not spec:
        return pd.DataFrame(columns=cols)
    var = spec["variable"].upper()
    if var not in adsl.columns:
        notes.append(
            Finding(
                "warning",
                CONFIG_FILE,
                f"response variable {var} is not in ADSL: no response information",
                key="response",
                value=var,
                rule="config",
            )
        )
        return pd.DataFrame(columns=cols)
    levels = spec.get("levels") or {"CR": "MCR", "PR": "PCR"}
    grade = adsl[var].map(lambda v: levels.get(str(v)) if v is not None else None)
    day = pd.Series(0.0, index=adsl.index)
    dv = (spec.get("day_variable") or "").upper()
    if dv and dv in adsl.columns:
        d = adsl[dv]
        day = (
            d.astype(float)
            if pd.api.types.is_numeric_dtype(d)
            else _study_day(_dates(d), start.reindex(adsl["USUBJID"]).set_axis(adsl.index))
        )
    ok = grade.isin(["MCR", "PCR"])
    return pd.DataFrame(
        {
            "patient_id": adsl.loc[ok, "USUBJID"].astype(str),
            "day": day[ok].fillna(0).round().astype(int),
            "event": "response",
            "term": grade[ok],
            "severity": None,
            "related": None,
            "provenance": "recorded",
        }
    )


def _deaths(
    adsl: pd.DataFrame, start: pd.Series, lf: pd.Series, ds: Dataset, notes: list[Finding]
) -> pd.DataFrame:
    """A death event per subject with DTHFL = Y or a death date (DTHDT, else DTHDTC): on the
    study day of the death date from the first dose (TRTSDT, or TRTSDTM's date), else, said in
    a warning, on the last known study day."""
    ids = adsl["USUBJID"].astype(str)
    dead = adsl["DTHFL"].eq("Y") if "DTHFL" in adsl.columns else pd.Series(False, index=adsl.index)
    date_var = next((v for v in ("DTHDT", "DTHDTC") if v in adsl.columns), None)
    death_day = pd.Series(np.nan, index=adsl.index)
    if date_var:
        death_day = _study_day(_dates(adsl[date_var]), ids.map(start))
        dead |= _dates(adsl[date_var]).notna()
    d = adsl.loc[dead]
    day = death_day.loc[d.index]
    if day.isna().any():
        n = int(day.isna().sum())
        why = (
            "without a death date (DTHDT)"
            if date_var is None or _dates(adsl.loc[d.index, date_var]).isna().any()
            else "without a first dose date (TRTSDT, TRTSDTM) to count the day of death from"
        )
        notes.append(
            Finding(
                "warning",
                ds.file,
                f"{n} subject(s) died (DTHFL = Y) {why}: their "
                f"last known study day is taken as the day of "
                f"death (subjects "
                f"{_example_ids(d.loc[day.isna(), 'USUBJID'])})",
                column="DTHDT",
                rule="death_day",
            )
        )
    day = day.fillna(d["USUBJID"].astype(str).map(lf))
    return pd.DataFrame(
        {
            "patient_id": d["USUBJID"].astype(str),
            "day": day.round().astype(int),
            "event": "death",
            "term": "Death",
            "severity": "SAE",
            "related": "unknown",
            "provenance": "recorded",
        }
    )


def _time_to_event_only(ds: Dataset, cfg: dict) -> Dataset:
    """ADTTE without the parameters that are not times to an event (their checks differ)."""
    f = ds.frame
    if "PARAMCD" not in f.columns or cfg.get("tte_unit"):
        return ds
    param = f["PARAM"] if "PARAM" in f.columns else f["PARAMCD"]
    unit = _tte_units(f, param, cfg)
    label = param.map(lambda p: _unit_and_label(p, "")[0] if isinstance(p, str) else "")
    why = [not_time_to_event(u, lab) for u, lab in zip(unit, label, strict=True)]
    return replace(ds, frame=f.loc[[not w for w in why]])


def _checks(raw: AdamFolder, progress: Progress) -> list[Finding]:
    """Every check of the datasets read, each run on one file at a time."""
    cfg = raw.config
    findings: list[Finding] = list(raw.findings)
    adsl = raw.datasets["adsl"]
    for ds in raw.datasets.values():
        with progress.working_on(ds.file, "checking"):
            findings += _check_required(ds)
            findings += _check_missing_ids(ds)
            findings += _check_identifiers(ds, cfg)
            findings += _check_magnitudes(ds)
            findings += _check_dates(ds)
    with progress.working_on(adsl.file, "checking"):
        findings += _check_adsl_keys(adsl)
        known = (
            set(adsl.frame["USUBJID"].dropna().astype(str)) if "USUBJID" in adsl.frame else set()
        )
    for ds in raw.datasets.values():
        if ds.kind != "adsl":
            findings += _check_unknown_subjects(ds, known)
        if ds.kind in ("bds", "adtte"):
            findings += _check_units(ds)
        if ds.kind == "adtte":
            findings += _check_cnsr(_time_to_event_only(ds, cfg))
            findings += _check_aval_tte(_time_to_event_only(ds, cfg))
    if not raw.of("bds"):
        findings.append(
            Finding(
                "warning",
                str(raw.folder.name),
                "no BDS dataset with visits (ADLB*, ADVS, ADQS*): no trajectories",
                rule="no_measures",
            )
        )
    return findings


def build_trial(
    path: str | Path,
    config: dict | str | Path | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Trial:
    """Read, check and map an ADaM folder (each file checked against `limits` before it is
    parsed). Raises DataError listing every finding when the folder cannot be read or has
    errors; otherwise the Trial with its warnings."""
    progress = progress or Progress()
    raw = read_folder(path, config, limits, progress)
    findings = _checks(raw, progress)
    if any(f.level == "error" for f in findings):
        findings.sort(key=lambda f: f.level != "error")
        raise DataError(findings)
    with progress.working_on(", ".join(ds.file for ds in raw.datasets.values()), "loading"):
        return _assemble(path, raw, findings)


def _assemble(path: str | Path, raw: AdamFolder, findings: list[Finding]) -> Trial:
    """The Trial of a folder whose checks found no error."""
    cfg = raw.config
    notes: list[Finding] = []
    datasets, excluded = _screen_failures(raw, notes)
    raw = replace(raw, datasets=datasets)
    trial = _map(raw, cfg, excluded, notes, str(path))
    findings += notes
    findings.sort(key=lambda f: f.level != "error")
    return replace(trial, findings=tuple(findings))


def _map(raw: AdamFolder, cfg: dict, excluded: tuple, notes: list[Finding], source: str) -> Trial:
    """The Trial of a checked folder (screen failures already out)."""
    adsl = raw.datasets["adsl"]
    start, start_var = _treatment_start(adsl.frame)
    subjects = _patients(adsl, cfg, start, notes)
    patients = subjects.frame
    parts = [_measure_rows(ds, cfg, notes) for ds in sorted(raw.of("bds"), key=lambda d: d.name)]
    axes = {axis.dataset: axis for rows, axis in parts if axis is not None and len(rows)}
    frames = [rows for rows, _ in parts if len(rows)]
    rows = (
        pd.concat(frames)
        if frames
        else pd.DataFrame(
            columns=[
                "code",
                "patient_id",
                "month",
                "avisitn",
                "day",
                "value",
                "visit_label",
                "paramcd",
                "param",
                "paramn",
                "dataset",
                "tp_label",
                "unit_var",
                "ref_low",
                "ref_high",
                "parcat",
            ]
        )
    )
    measures, rows = _build_measures(rows, cfg, notes)
    measures = _with_visits(measures, rows, cfg, axes)
    axes = {
        name: replace(axis, visits=_build_visits(rows.loc[rows["dataset"] == name], cfg))
        for name, axis in axes.items()
    }
    visits, unit = _study_visits(measures, rows, cfg) if measures else ((), "visit")
    whole = rows["month"].dropna().mod(1).eq(0).all() if len(rows) else True
    measurements = pd.DataFrame(
        {
            "patient_id": rows["patient_id"].astype(str),
            "month": rows["month"].astype("int64") if whole else rows["month"].astype(float),
            "day": rows["day"].astype(float).round().astype("Int64"),
            "measure": rows["code"].astype(str),
            "value": rows["value"].astype(float),
            "provenance": "recorded",
        }
    ).reset_index(drop=True)

    coded = [_coded_adverse_events(ds, start, cfg, notes) for ds in raw.of("adae")]
    adverse = (
        pd.concat([c for c, _ in coded], ignore_index=False) if coded else empty_adverse_events()
    )
    event_parts = [
        _adverse_events(c, ds, notes) for (c, _), ds in zip(coded, raw.of("adae"), strict=True)
    ]
    ae_days = [e.set_index("patient_id")["day"].astype(float) for e in event_parts]
    bds_days = [rows.set_index("patient_id")["day"].astype(float).dropna()] if len(rows) else []
    adsl_rows = adsl.frame.drop_duplicates("USUBJID")
    patients["last_followup_day"] = (
        patients["patient_id"].map(_last_followup(adsl_rows, start, bds_days + ae_days)).astype(int)
    )
    patients["_treatment_start_day"] = np.where(
        patients["patient_id"].map(start).notna(), 1.0, np.nan
    )
    patients["_treatment_end_day"] = (
        _treatment_end(adsl_rows, start).reindex(patients["patient_id"]).to_numpy()
    )
    lf = patients.set_index("patient_id")["last_followup_day"]
    deaths = _deaths(adsl_rows, start, lf, adsl, notes)
    event_parts.append(deaths)
    event_parts.append(_response_events(adsl_rows, cfg, start, notes))
    events = pd.concat(
        [e for e in event_parts if len(e)]
        or [
            pd.DataFrame(
                columns=["patient_id", "day", "event", "term", "severity", "related", "provenance"]
            )
        ],
        ignore_index=True,
    )
    events["day"] = events["day"].astype(int)

    tte_parts = [_tte(ds, cfg, notes) for ds in raw.of("adtte")]
    tte = pd.concat([t for t, _ in tte_parts] or [empty_tte()], ignore_index=True)
    choices = tuple(c for _, cs in tte_parts for c in cs)
    os_code = _overall_survival(tte, choices)
    reconciliation = (
        _reconcile_deaths(tte, os_code, set(deaths["patient_id"]), adsl, notes) if os_code else ()
    )
    patients["provenance"] = "recorded"
    design = Design(
        populations=subjects.populations,
        default_population=subjects.default_population,
        arms=subjects.arms,
        default_arm=subjects.default_arm,
        origin="first dose",
        visit_axes=tuple(axes[d] for d in sorted(axes)),
        endpoints=choices,
        excluded=excluded,
        overall_survival=os_code,
        reconciliation=reconciliation,
        notes=_design_notes(subjects, start_var, patients),
    )
    study = _study(raw, cfg, measures, visits, unit, subjects, design, start_var)
    severity = tuple(dict.fromkeys(s for _, order in coded for s in order))
    return Trial(
        study=study,
        patients=derive_outcomes(patients, events),
        measurements=grouped_by_measure(measurements),
        events=events,
        source=source,
        fingerprint=raw.fingerprint,
        tte=tte,
        adverse_events=adverse.reset_index(drop=True),
        severity_order=severity,
    )


def _treatment_end(adsl: pd.DataFrame, start: pd.Series) -> pd.Series:
    """Study day of the last dose per subject (TRTEDT, else TRTDURD/TRTDUR days of treatment)."""
    ids = adsl["USUBJID"].astype(str)
    end = pd.Series(np.nan, index=adsl.index)
    if "TRTEDT" in adsl.columns and len(start):
        end = _study_day(_dates(adsl["TRTEDT"]), ids.map(start))
    for c in ("TRTDURD", "TRTDUR"):
        if c in adsl.columns and pd.api.types.is_numeric_dtype(adsl[c]):
            end = end.fillna(adsl[c].astype(float))
    return pd.Series(end.to_numpy(), index=ids)


def _design_notes(subjects: _Subjects, start_var: str, patients: pd.DataFrame) -> tuple:
    out = list(subjects.notes)
    if start_var and start_var != "TRTSDT":
        out.append(f"First dose date: {start_var} (ADSL has no TRTSDT)")
    elif not start_var:
        out.append(
            "No first dose date in ADSL (TRTSDT, TRTSDTM): study days are the data's "
            "own ADY and ASTDY"
        )
    planned, actual = (
        next((a for a in subjects.arms if a.key == k), None) for k in ("planned", "actual")
    )
    if planned and actual:
        differ = patients[planned.column].astype(str) != patients[actual.column].astype(str)
        out.append(
            f"Planned and actual treatment differ for {int(differ.sum())} subject(s)"
            + (f" ({_example_ids(patients.loc[differ, 'patient_id'])})" if differ.any() else "")
        )
    return tuple(out)


def _study(
    raw: AdamFolder,
    cfg: dict,
    measures,
    visits,
    unit: str,
    subjects: _Subjects,
    design: Design,
    start_var: str,
) -> Study:
    adsl = raw.datasets["adsl"]
    sid = (
        adsl.frame["STUDYID"].dropna().iloc[0]
        if "STUDYID" in adsl.frame.columns and adsl.frame["STUDYID"].notna().any()
        else raw.folder.name
    )
    title = cfg.get("title") or f"{sid} (CDISC ADaM)"
    origin = f"First dose ({start_var or 'TRTSDT'} = day 1)"
    return Study(
        title=title,
        short_title=cfg.get("short_title") or str(sid),
        registry_id=cfg.get("registry_id", ""),
        citation=cfg.get("citation", ""),
        data_status=cfg.get("data_status", "real"),
        data_note=cfg.get("data_note", ""),
        time_origin=cfg.get("time_origin") or origin,
        visits=visits,
        measures=measures,
        visit_unit=cfg.get("visit_unit") or unit,
        center_label=cfg.get("center_label") or "Site",
        primary_group=ARM_COLUMN if ARM_COLUMN in subjects.frame else None,
        column_labels=tuple(subjects.labels.items()),
        source_format="adam",
        design=design,
        variables=tuple(subjects.variables.items()),
    )


def load_adam(
    path: str | Path,
    config: dict | str | Path | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Trial:
    """Alias of `build_trial`: the Trial of an ADaM folder (raises DataError)."""
    return build_trial(path, config, limits, progress)
