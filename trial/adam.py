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

import numpy as np
import pandas as pd

from .io import (
    header_names,
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
    TTE_COLUMNS,
    DataError,
    Finding,
    Measure,
    Study,
    Trial,
    Visit,
    derive_outcomes,
    empty_tte,
)
from .precheck import inspect, missing_rows
from .text import identifier_problems, shown

CONFIG_FILE = "adam.json"
EXTENSIONS = (".xpt", ".sas7bdat", ".csv", ".xlsx", ".parquet")
BDS_PREFIXES = ("adlb", "advs", "adqs")
CAP = 10  # example rows per finding
DERIVED_VISIT_NUMBER = 99  # AVISITN from here on: derived visits (End of Treatment, Endpoint)
DERIVED_VISIT_WORDS = re.compile(r"end of|endpoint|early term|unsched|last|final|worst|best|"
                                 r"average|overall|follow.?up", re.I)
ARM_VARIABLES = ("TRT01A", "ARM", "TRT01P", "TRTA", "TRTP", "ACTARM")
NOT_GROUPS = {"STUDYID", "USUBJID", "SUBJID", "SITEID", "SEX", "AGE", "AGEU", "DTHFL"}
MAX_GROUP_LEVELS = 8
RELATED_NO = {"NONE", "NOT RELATED", "UNRELATED", "N", "NO", "UNLIKELY RELATED"}
ARM_COLUMN = "arm"
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
NUMERIC = {"AVAL", "AVISITN", "ADY", "A1LO", "A1HI", "BASE", "CHG", "CNSR", "AGE", "PARAMN",
           "ATPTN", "ASTDY", "AENDY", "TRTDUR", "TRTDURD"}
# Variables read from the BDS datasets (only these: a 74,000-row ADLBC loads in about a second).
BDS_VARIABLES = ("USUBJID", "PARAMCD", "PARAM", "PARAMN", "AVAL", "AVALU", "AVISIT", "AVISITN",
                 "ADY", "ADT", "A1LO", "A1HI", "ABLFL", "ATPT", "ATPTN", "ANL01FL", "DTYPE")
CONFIG_KEYS = {"title", "short_title", "registry_id", "citation", "data_status", "data_note",
               "time_origin", "center", "center_label", "arm", "groups", "parameters_first",
               "parameters", "visits", "visit_unit", "include_derived_records", "response",
               "tte_unit"}


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
    return any(p.is_file() and p.suffix.lower() in EXTENSIONS and _kind(p.stem.lower())
               for p in folder.iterdir())


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
    name: str            # lower case, e.g. "adlbc"
    file: str            # file name, e.g. "adlbc.xpt": the `file` of its findings
    kind: str            # adsl, bds, adtte, adae
    frame: pd.DataFrame  # upper-case variable names; text stripped, "" -> missing
    labels: dict[str, str] = field(default_factory=dict)
    text_rows: bool = False  # CSV/Excel: findings give spreadsheet rows (header = row 1)
    label: str = ""      # the dataset's own label, e.g. "Analysis Dataset Lab Blood Chemistry"


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


_WHAT = {".xpt": "a SAS transport (XPORT) file", ".sas7bdat": "a SAS dataset",
         ".csv": "a CSV file (UTF-8, comma separated)", ".xlsx": "an Excel workbook",
         ".parquet": "a Parquet file"}


def _read_frame(path: Path, data: bytes, usecols: tuple[str, ...] | None, limits: Limits
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
            return None, {}, "", [unreadable(path.name, f"cannot be read as {_WHAT[suffix]} (the "
                                                    f"file is damaged, or not in this format)")]
        found = []
    if df is not None:
        lost = missing_rows(path.name, structure, len(df))
        if lost:
            return None, {}, "", lost + structure.findings
    return df, labels, label, structure.findings + found


def _normalise(df: pd.DataFrame, file: str, text_rows: bool) -> tuple[pd.DataFrame | None,
                                                                      list[Finding]]:
    """Upper-case names; text stripped (AVISIT carries leading spaces) and in NFC, "" and "."
    -> missing. None when two variables have one name (ADaM names are not case-sensitive)."""
    names, findings = header_names(file, df.columns)
    upper = [n.upper() for n in names]
    first: dict[str, str] = {}
    for name, up in zip(names, upper):
        if up in first:
            findings.append(unreadable(file, f"two variables are named {shown(up)} "
                                             f"('{shown(first[up])}' and '{shown(name)}'): "
                                             f"variable names are not case-sensitive in ADaM; "
                                             f"keep one",
                                       row=1 if text_rows else None, column=shown(up),
                                       rule="header"))
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
            findings += text_findings(file, c, text, bad, changed,
                                      lambda idx: _rows_words(idx, text_rows),
                                      lambda i: int(i) + 2 if text_rows else None)
            text = text.where(~missing, None)
            out[c] = text.where(~text.isin(("", ".")), None)
        else:
            out[c] = s
    return pd.DataFrame(out, index=df.index), findings


def _rows_words(index, text_rows: bool) -> str:
    nums = [int(i) + 2 if text_rows else int(i) + 1 for i in list(index)[:CAP]]
    more = f", … ({len(index) - CAP} more)" if len(index) > CAP else ""
    return f"{'rows' if text_rows else 'records'} {', '.join(map(str, nums))}{more}"


def read_dataset(path: Path, kind: str, data: bytes | None = None,
                 limits: Limits | None = None) -> tuple[Dataset | None, list[Finding]]:
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
            level = "error" if c in ("AVAL", "CNSR", "AVISITN") else "warning"
            ex = s[bad]
            out.append(Finding(level, ds.file, f"{int(bad.sum())} value(s) of {c} are not "
                                               f"numbers ({_rows_text(ds, ex.index)}); they are "
                                               f"treated as missing",
                               row=_row(ds, ex.index[0]), column=c, value=str(ex.iloc[0]),
                               rule="number"))
        ds.frame[c] = num.astype(float)
    return out


# ---------------------------------------------------------------------------------------------
# Configuration

def read_config(folder: Path, config: dict | str | Path | None,
                limits: Limits | None = None) -> tuple[dict, list[Finding]]:
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
        return {}, [unreadable(name, "expected a JSON object {...} at the top level", rule="config")]
    out = []

    def bad(key, message, level="error"):
        out.append(Finding(level, name, message, key=key, rule="config",
                           value=json.dumps(obj.get(key), ensure_ascii=False)[:80]))

    for k in sorted(set(obj) - CONFIG_KEYS):
        bad(k, "unknown key, ignored (check the spelling)", "warning")
    for k in ("title", "short_title", "registry_id", "citation", "data_note", "time_origin",
              "center", "center_label", "arm", "visit_unit", "tte_unit"):
        if k in obj and not isinstance(obj[k], str):
            bad(k, "expected a text")
    if obj.get("data_status", "real") not in ("real", "simulated"):
        bad("data_status", "expected \"real\" or \"simulated\"")
    for k in ("groups", "parameters_first", "parameters"):
        if k in obj and not (isinstance(obj[k], list) and all(isinstance(x, str) for x in obj[k])):
            bad(k, "expected a list of texts (variable names or PARAMCD values)")
    if "visits" in obj:
        v = obj["visits"]
        ok = isinstance(v, list) and all(
            (isinstance(x, (int, float)) and not isinstance(x, bool))
            or (isinstance(x, dict) and isinstance(x.get("avisitn"), (int, float))) for x in v)
        if not ok:
            bad("visits", "expected a list of AVISITN numbers or of objects "
                          "{\"avisitn\": 4, \"label\": \"Week 4\"}")
    if "include_derived_records" in obj and not isinstance(obj["include_derived_records"], bool):
        bad("include_derived_records", "expected true or false")
    if "response" in obj:
        r = obj["response"]
        if not (isinstance(r, dict) and isinstance(r.get("variable"), str)
                and isinstance(r.get("levels", {}), dict)
                and all(v in ("MCR", "PCR", "NR") for v in r.get("levels", {}).values())):
            bad("response", "expected {\"variable\": \"ADSL variable\", \"levels\": {\"value in "
                            "the data\": \"MCR\" | \"PCR\" | \"NR\"}, \"day_variable\": "
                            "\"optional ADSL variable with the response day\"}")
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
    names = sorted(p.name for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name != CONFIG_FILE
                   and p.suffix.lower() in EXTENSIONS + (".json",) and dataset_kind(p) is None)
    if not names:
        return []
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return [Finding("warning", names[0], f"not read: {', '.join(names[:8])}{more} (an ADaM folder "
                                         f"is read for ADSL, ADLB*, ADVS*, ADQS*, ADTTE and ADAE)",
                    rule="unread_file")]


def _count_checks(datasets: dict[str, Dataset], cfg: dict, limits: Limits) -> list[Finding]:
    """What the views draw one of per item, counted right after reading: parameters, visits
    (BDS), sites (ADSL). Beyond the limits the folder is refused before any further work."""
    out = []
    for ds in datasets.values():
        f = ds.frame
        if ds.kind == "bds":
            for var, what, limit in (("PARAMCD", "parameters (PARAMCD)", limits.parameters),
                                     ("AVISITN", "visits (AVISITN)", limits.visits)):
                n = int(f[var].nunique()) if var in f.columns else 0
                if n > limit:
                    out.append(over(ds.file, f"distinct {what}", n, limit, column=var))
        if ds.kind == "adsl":
            center = cfg.get("center", "SITEID").upper()
            n = int(f[center].nunique()) if center in f.columns else 0
            if n > limits.centers:
                out.append(over(ds.file, f"distinct sites ({center})", n, limits.centers,
                                column=center))
    params = set()
    for ds in datasets.values():
        if ds.kind == "bds" and "PARAMCD" in ds.frame.columns:
            params |= set(ds.frame["PARAMCD"].dropna())
    if len(params) > limits.parameters and not out:
        out.append(over("BDS datasets", "distinct parameters (PARAMCD) in all", len(params),
                        limits.parameters, column="PARAMCD"))
    return out


def read_folder(path: str | Path, config: dict | str | Path | None = None,
                limits: Limits | None = None, progress: Progress | None = None) -> AdamFolder:
    """Read every dataset, each checked against `limits` before it is parsed; raises
    DataError(unreadable=True) when the folder cannot be used."""
    limits = limits or Limits()
    progress = progress or Progress()
    folder = Path(path)
    if not folder.is_dir():
        raise DataError([unreadable(str(folder), "folder not found" if not folder.exists()
                                else "this is a file, not a folder of ADaM datasets")],
                        unreadable=True)
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
        problems.append(unreadable("adsl", "missing: an ADaM folder must hold the subject-level "
                                       "dataset ADSL (adsl.xpt, adsl.sas7bdat, adsl.csv, "
                                       "adsl.xlsx or adsl.parquet)"))
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
            out.append(Finding("error", ds.file, f"required variable {var} is missing from "
                                                 f"{ds.name.upper()} (it has: {present})",
                               column=var, rule="missing_variable"))
        elif ds.frame[var].isna().all() and len(ds.frame) and var != "AVISITN":
            out.append(Finding("error", ds.file, f"variable {var} is empty in every record",
                               column=var, rule="missing_variable"))
    if ds.kind == "bds" and "PARAM" not in ds.frame.columns:
        out.append(Finding("warning", ds.file, "no PARAM variable: parameters are labelled by "
                                               "PARAMCD only", column="PARAM",
                           rule="missing_variable"))
    if ds.kind == "adae" and not {"AEDECOD", "AETERM"} & set(ds.frame.columns):
        out.append(Finding("error", ds.file, "neither AEDECOD nor AETERM: the adverse events "
                                             "have no term", column="AEDECOD",
                           rule="missing_variable"))
    if len(ds.frame) == 0:
        out.append(Finding("error" if ds.kind == "adsl" else "warning", ds.file,
                           "the dataset has no records", rule="empty_dataset"))
    return out


def _check_missing_ids(ds: Dataset) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns:
        return []
    miss = ds.frame["USUBJID"].isna()
    if not miss.any():
        return []
    return [Finding("error", ds.file, f"{int(miss.sum())} record(s) have no USUBJID "
                                      f"({_rows_text(ds, ds.frame.index[miss])})",
                    row=_row(ds, ds.frame.index[miss][0]), column="USUBJID", value="",
                    rule="missing_value")]


def _check_unknown_subjects(ds: Dataset, known: set) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns or not known:
        return []
    ids = ds.frame["USUBJID"]
    unknown = ids.notna() & ~ids.isin(known)
    if not unknown.any():
        return []
    who = pd.unique(ids[unknown])
    return [Finding("error", ds.file, f"{len(who)} subject(s) in {ds.name.upper()} are not in "
                                      f"ADSL: {_example_ids(who)} ({int(unknown.sum())} records: "
                                      f"{_rows_text(ds, ids.index[unknown])})",
                    row=_row(ds, ids.index[unknown][0]), column="USUBJID", value=str(who[0]),
                    patient_id=str(who[0]), rule="unknown_subject")]


def _check_adsl_keys(ds: Dataset) -> list[Finding]:
    if "USUBJID" not in ds.frame.columns:
        return []
    ids = ds.frame["USUBJID"].dropna()
    dup = ids[ids.duplicated(keep=False)]
    out = []
    for sid, grp in list(dup.groupby(dup, sort=False))[:CAP]:
        out.append(Finding("error", ds.file, f"USUBJID '{sid}' appears {len(grp)} times "
                                             f"({_rows_text(ds, grp.index)}); ADSL has one "
                                             f"record per subject", row=_row(ds, grp.index[1]),
                           column="USUBJID", value=str(sid), patient_id=str(sid),
                           rule="duplicate"))
    n = dup.nunique()
    if n > CAP:
        out.append(Finding("error", ds.file, f"… and {n - CAP} more duplicated USUBJID",
                           column="USUBJID", rule="duplicate"))
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
        why = identifier_problems([v for v in pd.unique(s.dropna()) if isinstance(v, str)],
                                  patient_id=var == "USUBJID")
        if not why:
            continue
        rows = s.index[s.isin(list(why))]
        first = s.loc[rows[0]]
        out.append(Finding("error", ds.file, f"{len(rows):,} record(s) of {var} cannot be used as "
                                             f"identifiers ({_rows_text(ds, rows)}); e.g. "
                                             f"'{shown(first)}': the value {why[first]}",
                           row=_row(ds, rows[0]), column=var, value=shown(first),
                           rule="identifier"))
    return out


def _check_magnitudes(ds: Dataset) -> list[Finding]:
    """Numbers no trial has (a day beyond 100 years, a value beyond 10^15, infinity)."""
    out = []
    for c in sorted(NUMERIC & set(ds.frame.columns)):
        v = ds.frame[c]
        if not pd.api.types.is_numeric_dtype(v):
            continue
        limit = MAX_DAY if c in DAY_VARIABLES else MAX_VISIT_NUMBER if c == "AVISITN" \
            else MAX_VALUE
        bad = v.abs() > limit
        if bad.any():
            ex = ds.frame.index[bad.to_numpy()]
            out.append(Finding("error", ds.file, f"{int(bad.sum()):,} value(s) of {c} are beyond "
                                                 f"±{limit:g}, more than any trial has "
                                                 f"({_rows_text(ds, ex)})",
                               row=_row(ds, ex[0]), column=c, value=f"{v.loc[ex[0]]:g}",
                               rule="magnitude"))
    return out


def _check_cnsr(ds: Dataset) -> list[Finding]:
    if "CNSR" not in ds.frame.columns:
        return []
    c = ds.frame["CNSR"]
    bad = c.isna() | (c < 0) | (c % 1 != 0)
    if not bad.any():
        return []
    ex = ds.frame.loc[bad]
    return [Finding("error", ds.file, f"{int(bad.sum())} record(s) have a CNSR that is not 0 "
                                      f"(event) or a positive whole number (censored): "
                                      f"{_rows_text(ds, ex.index)}",
                    row=_row(ds, ex.index[0]), column="CNSR",
                    value="" if pd.isna(ex["CNSR"].iloc[0]) else f"{ex['CNSR'].iloc[0]:g}",
                    patient_id=str(ex["USUBJID"].iloc[0]) if "USUBJID" in ex else None,
                    rule="cnsr")]


def _check_aval_tte(ds: Dataset) -> list[Finding]:
    if "AVAL" not in ds.frame.columns:
        return []
    a = ds.frame["AVAL"]
    bad = a.isna() | (a < 0)
    if not bad.any():
        return []
    ex = ds.frame.loc[bad]
    return [Finding("error", ds.file, f"{int(bad.sum())} record(s) have a missing or negative "
                                      f"time (AVAL): {_rows_text(ds, ex.index)}",
                    row=_row(ds, ex.index[0]), column="AVAL",
                    value="" if pd.isna(ex["AVAL"].iloc[0]) else f"{ex['AVAL'].iloc[0]:g}",
                    rule="time")]


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
                examples = "; ".join(f"'{u}' ({_rows_text(ds, s.index[s == u][:3])})"
                                     for u in levels[:4])
                out.append(Finding("error", ds.file, f"parameter {code} is recorded in "
                                                     f"{len(levels)} units (AVALU): {examples}; "
                                                     f"convert to one unit", column="AVALU",
                                   value=str(code), row=_row(ds, s.index[0]), rule="unit_mix"))
    if "PARAM" in f.columns:
        params = f.dropna(subset=["PARAM", "PARAMCD"]).drop_duplicates(["PARAMCD", "PARAM"])
        for code, g in params.groupby("PARAMCD"):
            if len(g) > 1:
                units = {_unit_and_label(p, code)[1] for p in g["PARAM"]}
                what = "units" if len(units) > 1 else "labels"
                level = "error" if len(units) > 1 else "warning"
                shown = "; ".join(f"'{p}'" for p in g["PARAM"][:4])
                out.append(Finding(level, ds.file, f"parameter {code} has {len(g)} different "
                                                   f"PARAM texts ({what} differ): {shown}",
                                   column="PARAM", value=str(code), row=_row(ds, g.index[0]),
                                   rule="unit_mix" if level == "error" else "param_label"))
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
            out.append(Finding("warning", ds.file, f"{int(bad.sum())} value(s) of {c} are not "
                                                   f"dates in ISO 8601 form (YYYY-MM-DD), e.g. "
                                                   f"'{ex.iloc[0]}' ({_rows_text(ds, ex.index)});"
                                                   f" they are treated as missing",
                               row=_row(ds, ex.index[0]), column=c, value=str(ex.iloc[0]),
                               rule="date"))
    return out


def _dates(s: pd.Series) -> pd.Series:
    """Dates (datetime.date objects from SAS, ISO text, numbers of days since 1960) -> Timestamp."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_datetime(s, unit="D", origin="1960-01-01", errors="coerce")
    return pd.to_datetime(s.astype(object).where(s.notna(), None), errors="coerce",
                          format="ISO8601")


def check_adam(path: str | Path, config: dict | str | Path | None = None) -> list[Finding]:
    """Every finding of an ADaM folder, errors first; nothing is raised."""
    try:
        return list(build_trial(path, config).findings)
    except DataError as e:
        return e.findings


# ---------------------------------------------------------------------------------------------
# Building the model

def _measure_rows(ds: Dataset, cfg: dict, notes: list[Finding]) -> pd.DataFrame:
    """Plottable BDS records with columns code, label, unit, patient_id, month, day, value,
    ref_low, ref_high, visit_label; exclusions counted in `notes`."""
    f = ds.frame
    if not set(REQUIRED["bds"]) <= set(f.columns):
        return pd.DataFrame()
    f = f.loc[f["USUBJID"].notna() & f["PARAMCD"].notna()]
    include_derived = bool(cfg.get("include_derived_records", False))
    keep = pd.Series(True, index=f.index)

    def exclude(mask: pd.Series, why: str) -> None:
        nonlocal keep
        mask = mask & keep
        n = int(mask.sum())
        if n:
            notes.append(Finding("warning", ds.file, f"{n:,} record(s) {why}: they are not "
                                                     f"plotted ({_rows_text(ds, f.index[mask])})",
                                 rule="excluded_records"))
            keep &= ~mask

    exclude(f["AVAL"].isna(), "have no numeric value (AVAL missing)")
    baseline = (f["ABLFL"] == "Y") if "ABLFL" in f.columns else pd.Series(False, index=f.index)
    if "DTYPE" in f.columns and not include_derived:
        kinds = ", ".join(sorted(pd.unique(f.loc[f["DTYPE"].notna() & keep, "DTYPE"])))
        exclude(f["DTYPE"].notna() & ~baseline, f"are derived or imputed (DTYPE {kinds}), not "
                                                f"observed; set include_derived_records to "
                                                f"plot them")
    exclude(f["AVISITN"].isna() & ~baseline, "are unscheduled visits (AVISITN missing)")
    label = f["AVISIT"] if "AVISIT" in f.columns else pd.Series(None, index=f.index, dtype=object)
    configured = _configured_visits(cfg)
    if configured is not None:
        exclude(~f["AVISITN"].isin(list(configured)) & ~baseline,
                "are at visits not listed in the configuration's visits")
    else:
        derived = (f["AVISITN"] >= DERIVED_VISIT_NUMBER) | \
            label.fillna("").str.contains(DERIVED_VISIT_WORDS)
        names = ", ".join(f"{n:g} '{lab}'" for n, lab in f.loc[derived & keep & ~baseline,
                                                                ["AVISITN", "AVISIT"]
                                                                if "AVISIT" in f.columns else
                                                                ["AVISITN", "AVISITN"]]
                          .drop_duplicates().itertuples(index=False))
        exclude(derived & ~baseline, f"are at derived visits (AVISITN {names}) that repeat or "
                                     f"summarise other visits, e.g. End of Treatment")
    f = f.loc[keep]
    baseline = baseline.loc[f.index]
    # The visit key: AVISITN; baseline records are visit 0 (the model's baseline).
    month = f["AVISITN"].where(~baseline, 0.0)
    params_with_ablfl = set(f.loc[baseline, "PARAMCD"])
    # Where a parameter has ABLFL records, other records at visit 0 are not its baseline.
    stray = (month == 0) & ~baseline & f["PARAMCD"].isin(params_with_ablfl)
    if stray.any():
        notes.append(Finding("warning", ds.file, f"{int(stray.sum()):,} record(s) at AVISITN 0 "
                                                 f"are not flagged as baseline (ABLFL) while "
                                                 f"another record is: they are not plotted "
                                                 f"({_rows_text(ds, f.index[stray])})",
                             column="ABLFL", rule="excluded_records"))
        f, month, baseline = f.loc[~stray], month.loc[~stray], baseline.loc[~stray]

    code = f["PARAMCD"].astype(str)
    label_col = f["PARAM"] if "PARAM" in f.columns else code
    tp = None
    if "ATPTN" in f.columns:
        # parameters with several time points per visit: one measure per time point
        multi = f.loc[f["ATPTN"].notna()].groupby("PARAMCD")["ATPTN"].nunique()
        multi = set(multi.index[multi > 1])
        tp = f["PARAMCD"].isin(multi) & f["ATPTN"].notna()
        code = code.where(~tp, code + "@" + f["ATPTN"].map(lambda x: f"{x:g}"))
        tplabel = f["ATPT"].fillna("").str.lower() if "ATPT" in f.columns else \
            f["ATPTN"].map(lambda x: f"time point {x:g}")
    rows = pd.DataFrame({
        "code": code, "paramcd": f["PARAMCD"].astype(str), "param": label_col,
        "patient_id": f["USUBJID"].astype(str), "month": month.astype(float),
        "day": f["ADY"] if "ADY" in f.columns else np.nan, "value": f["AVAL"].astype(float),
        "ref_low": f["A1LO"] if "A1LO" in f.columns else np.nan,
        "ref_high": f["A1HI"] if "A1HI" in f.columns else np.nan,
        "unit_var": f["AVALU"] if "AVALU" in f.columns else None,
        "visit_label": label.loc[f.index].where(~baseline, None),
        "baseline": baseline, "paramn": f["PARAMN"] if "PARAMN" in f.columns else np.nan,
        "anl": (f["ANL01FL"] == "Y") if "ANL01FL" in f.columns else False,
        "observed": f["DTYPE"].isna() if "DTYPE" in f.columns else True,
        "tp_label": tplabel.where(tp, "") if tp is not None else "",
        "dataset": ds.name.upper(), "file": ds.file,
    }, index=f.index)
    return _resolve_duplicates(ds, rows, notes)


def _resolve_duplicates(ds: Dataset, rows: pd.DataFrame, notes: list[Finding]) -> pd.DataFrame:
    """One record per patient, measure and visit: keep ANL01FL = Y, else observed, else first."""
    key = ["patient_id", "code", "month"]
    dup = rows.duplicated(key, keep=False)
    if not dup.any():
        return rows
    d = rows.loc[dup].assign(_pos=np.arange(int(dup.sum())))
    d = d.sort_values(["anl", "baseline", "observed", "_pos"],
                      ascending=[False, False, False, True], kind="stable")
    kept = d.drop_duplicates(key)
    dropped = d.index.difference(kept.index)
    groups = d.groupby(key, sort=False)
    examples = []
    for (pid, code, month), g in list(groups)[:3]:
        k = kept.loc[(kept["patient_id"] == pid) & (kept["code"] == code)
                     & (kept["month"] == month)].index[0]
        why = ("flagged ANL01FL = Y" if g.loc[k, "anl"] and not g["anl"].all()
               else "the baseline record (ABLFL)" if g.loc[k, "baseline"] and not g["baseline"].all()
               else "the first in file order")
        examples.append(f"subject {pid}, {code}, AVISITN {month:g}: {_rows_text(ds, g.index)}, "
                        f"kept {_rows_text(ds, [k]).replace('s ', ' ', 1)} "
                        f"({why})")
    n_keys = groups.ngroups
    notes.append(Finding("warning", ds.file,
                         f"{n_keys:,} subject/parameter/visit combination(s) (USUBJID, PARAMCD, "
                         f"AVISITN) have more than one record; one is kept per combination "
                         f"(ANL01FL = Y first, then observed records, then file order) and "
                         f"{len(dropped):,} record(s) are not plotted. Examples: "
                         + "; ".join(examples),
                         row=_row(ds, d.index[0]), column="AVISITN", rule="duplicate_key"))
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


def _visit_unit(labels: list[str]) -> str:
    words = [re.match(r"\s*(week|month|day|wk|cycle)\b", str(s), re.I) for s in labels]
    found = [w.group(1).lower() for w in words if w]
    if not found:
        return "visit"
    unit = max(set(found), key=found.count)
    return {"wk": "week"}.get(unit, unit)


def _mode(s: pd.Series) -> float | None:
    s = s.dropna()
    if s.empty:
        return None
    return float(s.mode().iloc[0])


def _build_measures(rows: pd.DataFrame, cfg: dict, notes: list[Finding]
                    ) -> tuple[tuple[Measure, ...], pd.DataFrame]:
    """Measures (ordered: configured first, then dataset and PARAMN order) and the rows with
    unique codes (a PARAMCD in two datasets is prefixed by the dataset name)."""
    if rows.empty:
        return (), rows
    clash = rows.groupby("code")["dataset"].nunique()
    clash = set(clash.index[clash > 1])
    if clash:
        rows = rows.assign(code=rows["code"].where(~rows["code"].isin(clash),
                                                   rows["dataset"] + ":" + rows["code"]))
    first = [c.upper() for c in cfg.get("parameters_first", [])]
    only = {c.upper() for c in cfg.get("parameters", [])}
    if only:
        rows = rows.loc[rows["paramcd"].str.upper().isin(only)]
    info = rows.groupby("code", sort=False).agg(
        paramcd=("paramcd", "first"), param=("param", "first"), dataset=("dataset", "first"),
        paramn=("paramn", "min"), tp_label=("tp_label", "first"), file=("file", "first"),
        unit_var=("unit_var", "first"), lo_n=("ref_low", "nunique"),
        hi_n=("ref_high", "nunique"))
    info["rank"] = [first.index(p.upper()) if p.upper() in first else len(first)
                    for p in info["paramcd"]]
    info = info.assign(_order=np.arange(len(info))).sort_values(
        ["rank", "dataset", "paramn", "_order"], kind="stable")
    missing = [c for c in first if c not in set(info["paramcd"].str.upper())]
    if missing:
        notes.append(Finding("warning", CONFIG_FILE, f"parameters_first names parameter(s) not "
                                                     f"in the data: {', '.join(missing)}",
                             key="parameters_first", rule="config"))
    keys = _key_codes(info, len(first))
    ref = rows.groupby("code").agg(lo=("ref_low", _mode), hi=("ref_high", _mode))
    measures = []
    varying = []
    for code, r in info.iterrows():
        label, unit = _unit_and_label(r["param"] if isinstance(r["param"], str) else None,
                                      r["paramcd"])
        if isinstance(r["unit_var"], str) and r["unit_var"]:
            unit = r["unit_var"]
        if r["tp_label"]:
            label = f"{label}, {r['tp_label']}"
        if r["lo_n"] > 1 or r["hi_n"] > 1:
            varying.append(str(code))
        lo, hi = (None if pd.isna(x) else float(x) for x in (ref.at[code, "lo"],
                                                              ref.at[code, "hi"]))
        measures.append(Measure(code=str(code), label=label, unit=unit,
                                ref_low=lo, ref_high=hi, key=code in keys,
                                category=r["dataset"]))
    if varying:
        where = sorted(set(info.loc[varying, "file"]))
        notes.append(Finding("warning", ", ".join(where),
                             f"the reference range (A1LO/A1HI) varies within parameter(s) "
                             f"{_example_ids(varying)} (e.g. by sex or age): the shaded range is "
                             f"the most frequent one", column="A1LO", rule="reference_range"))
    return tuple(measures), rows


def _key_codes(info: pd.DataFrame, n_first: int) -> set:
    """Codes of the key measures among the ordered parameters `info`: those `parameters_first`
    names, else the default safety labs (the first measure of each, so that a parameter in two
    lab datasets or at several time points appears once)."""
    if n_first:
        return set(info.index[info["rank"] < n_first])
    labs = info.loc[info["paramcd"].str.upper().isin(DEFAULT_KEY_PARAMETERS)]
    return set(labs.drop_duplicates("paramcd").index)


def _build_visits(rows: pd.DataFrame, cfg: dict) -> tuple[Visit, ...]:
    configured = _configured_visits(cfg) or {}
    out = []
    if rows.empty:
        return ()
    for month, g in rows.groupby("month"):
        labels = g["visit_label"].dropna()
        label = configured.get(month) or ("Baseline" if month == 0 else
                                          labels.mode().iloc[0] if len(labels) else f"{month:g}")
        day = g["day"].median()
        key = int(month) if float(month).is_integer() else month
        out.append(Visit(key, str(label), int(round(day)) if pd.notna(day) else 0))
    return tuple(out)


def _study_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    """ADaM study day: date - start + 1 on or after the start (day 1 = first dose), else date -
    start (no day 0)."""
    d = (dates - start).dt.days.astype(float)
    return d.where(d < 0, d + 1)


def _last_followup(adsl: pd.DataFrame, others: list[pd.Series]) -> pd.Series:
    """Latest known study day per subject (>= 0): the maximum of ADSL dates relative to TRTSDT
    (LSTALVDT, DTHDT, EOSDT, RFENDT, TRTEDT), treatment duration (TRTDURD, TRTDUR) and the
    latest analysis day of any record (ADY, ASTDY, AENDY) in the other datasets."""
    ids = adsl["USUBJID"].astype(str)
    cands = []
    if "TRTSDT" in adsl.columns:
        start = _dates(adsl["TRTSDT"])
        for c in ("LSTALVDT", "DTHDT", "EOSDT", "RFENDT", "TRTEDT"):
            if c in adsl.columns:
                cands.append(_study_day(_dates(adsl[c]), start))
    for c in ("TRTDURD", "TRTDUR"):
        if c in adsl.columns and pd.api.types.is_numeric_dtype(adsl[c]):
            cands.append(adsl[c].astype(float))
    frame = pd.concat([c.rename(i) for i, c in enumerate(cands)], axis=1) if cands else \
        pd.DataFrame(index=adsl.index)
    last = frame.max(axis=1) if cands else pd.Series(np.nan, index=adsl.index)
    last.index = ids
    for s in others:
        if len(s):
            last = pd.concat([last, s.groupby(level=0).max()], axis=1).max(axis=1) \
                .reindex(ids)
    return last.fillna(0).clip(lower=0).round().astype(int)


def _patients(ds: Dataset, cfg: dict, notes: list[Finding]) -> tuple[pd.DataFrame, dict]:
    """patients frame and column labels."""
    f = ds.frame.loc[ds.frame["USUBJID"].notna()].drop_duplicates("USUBJID")
    labels: dict[str, str] = {}
    out = pd.DataFrame({"patient_id": f["USUBJID"].astype(str)}, index=f.index)
    center = cfg.get("center", "SITEID").upper()
    if center in f.columns:
        out["center"] = f[center].astype(object).map(
            lambda v: "missing" if v is None or (isinstance(v, float) and np.isnan(v))
            else f"{v:g}" if isinstance(v, float) else str(v))
    else:
        out["center"] = "All"
        notes.append(Finding("warning", ds.file, f"no {center} variable: every subject is in one "
                                                 f"site 'All'", column=center,
                             rule="missing_variable"))
    arm_var = cfg.get("arm", "").upper() or next((v for v in ARM_VARIABLES if v in f.columns
                                                  and f[v].notna().any()), None)
    if arm_var and arm_var in f.columns:
        out[ARM_COLUMN] = f[arm_var].astype(object).where(f[arm_var].notna(), "missing")
        labels[ARM_COLUMN] = f"Arm ({arm_var})"
    else:
        notes.append(Finding("warning", ds.file, "no treatment arm variable (TRT01A, ARM, TRT01P): "
                                                 "the app offers no arm grouping",
                             column="TRT01A", rule="missing_variable"))
        arm_var = None
    if "SEX" in f.columns:
        out["sex"] = f["SEX"].astype(object)
    if "AGE" in f.columns:
        out["age"] = f["AGE"].astype(float)
    # grouping columns: configured, else categorical variables with 2-8 values
    wanted = [g.upper() for g in cfg["groups"]] if "groups" in cfg else None
    skip = NOT_GROUPS | {center} | ({arm_var} if arm_var else set())
    arm_values = out[ARM_COLUMN] if ARM_COLUMN in out else None
    for c in (wanted if wanted is not None else f.columns):
        if c not in f.columns:
            notes.append(Finding("warning", CONFIG_FILE, f"groups names {c}, which is not an ADSL "
                                                         f"variable", key="groups", value=c,
                                 rule="config"))
            continue
        s = f[c]
        if wanted is None:
            if c in skip or DATE_RE.search(c) or pd.api.types.is_numeric_dtype(s):
                continue
            levels = (s.fillna("N") if c.endswith("FL") else s).dropna().unique()
            if not 2 <= len(levels) <= MAX_GROUP_LEVELS:
                continue
            if arm_values is not None and s.astype(str).equals(arm_values.astype(str)):
                continue  # the same as the arm (ARM, TRT01P usually)
        name = c.lower()
        if name in out.columns:
            name = f"{name}_adsl"
        if c.endswith("FL"):
            s = s.fillna("N")  # ADaM flags: Y or empty
        out[name] = s.astype(object).where(s.notna(), "missing") \
            if not pd.api.types.is_numeric_dtype(s) else s
        labels[name] = f"{ds.labels.get(c) or c} ({c})"
    return out.reset_index(drop=True), labels


def _tte(ds: Dataset, cfg: dict, notes: list[Finding]) -> pd.DataFrame:
    f = ds.frame
    if not set(REQUIRED["adtte"]) <= set(f.columns):
        return empty_tte()
    f = f.dropna(subset=["USUBJID", "PARAMCD", "AVAL", "CNSR"])
    f = f.loc[(f["AVAL"] >= 0) & (f["CNSR"] >= 0) & (f["CNSR"] % 1 == 0)]
    dup = f.duplicated(["USUBJID", "PARAMCD"], keep=False)
    if dup.any():
        d = f.loc[dup]
        notes.append(Finding("warning", ds.file, f"{int(d.duplicated(['USUBJID', 'PARAMCD']).sum())}"
                                                 f" subject(s) have more than one record of an "
                                                 f"endpoint ({_rows_text(ds, d.index)}); the first "
                                                 f"is analysed", column="PARAMCD",
                             rule="duplicate_key", row=_row(ds, d.index[0])))
        f = f.drop_duplicates(["USUBJID", "PARAMCD"])
    param = f["PARAM"] if "PARAM" in f.columns else f["PARAMCD"]
    unit = pd.Series(cfg.get("tte_unit") or "", index=f.index, dtype=object)
    if not cfg.get("tte_unit"):
        from_param = param.map(lambda p: _unit_and_label(p, "")[1].lower()
                               if isinstance(p, str) else "")
        unit = f["AVALU"].fillna("").str.lower() if "AVALU" in f.columns else from_param
        unit = unit.where(unit != "", from_param)
        assumed = unit == ""
        if assumed.any():
            codes = ", ".join(sorted(pd.unique(f.loc[assumed, "PARAMCD"])))
            notes.append(Finding("warning", ds.file, f"no time unit for endpoint(s) {codes} "
                                                     f"(neither AVALU nor a unit in PARAM): "
                                                     f"days assumed (set tte_unit in "
                                                     f"{CONFIG_FILE} otherwise)",
                                 column="AVALU", rule="unit_assumed"))
            unit = unit.where(~assumed, "days")
    label = param.map(lambda p: _unit_and_label(p, "")[0] if isinstance(p, str) else p)
    censor_codes = sorted(pd.unique(f.loc[f["CNSR"] > 1, "CNSR"]))
    if censor_codes:
        notes.append(Finding("warning", ds.file, f"CNSR values {', '.join(f'{c:g}' for c in censor_codes)}"
                                                 f" are read as censored (ADaM: 0 = event, any "
                                                 f"positive value = censored, for a reason)",
                             column="CNSR", rule="cnsr"))
    return pd.DataFrame({"patient_id": f["USUBJID"].astype(str).to_numpy(),
                         "endpoint": f["PARAMCD"].astype(str).to_numpy(),
                         "label": label.astype(str).to_numpy(),
                         "time": f["AVAL"].astype(float).to_numpy(),
                         "event": (f["CNSR"] == 0).astype(int).to_numpy(),
                         "unit": unit.astype(str).to_numpy()})[list(TTE_COLUMNS)]


def _adverse_events(ds: Dataset, start: pd.Series, notes: list[Finding]) -> pd.DataFrame:
    f = ds.frame.loc[ds.frame["USUBJID"].notna()]
    day = f["ASTDY"] if "ASTDY" in f.columns else pd.Series(np.nan, index=f.index)
    if "ASTDT" in f.columns and day.isna().any():
        derived = _study_day(_dates(f["ASTDT"]), f["USUBJID"].map(start))
        day = day.fillna(derived)
    nodate = day.isna()
    if nodate.any():
        notes.append(Finding("warning", ds.file, f"{int(nodate.sum())} adverse event(s) have no "
                                                 f"start day (ASTDY, ASTDT): not shown on time "
                                                 f"axes ({_rows_text(ds, f.index[nodate])})",
                             column="ASTDY", rule="excluded_records"))
    f, day = f.loc[~nodate], day.loc[~nodate]
    term = f["AEDECOD"] if "AEDECOD" in f.columns else f.get("AETERM")
    if term is None:
        term = pd.Series("adverse event", index=f.index)
    if "AETERM" in f.columns:
        term = term.fillna(f["AETERM"])
    rel = f["AEREL"].fillna("") if "AEREL" in f.columns else pd.Series("", index=f.index)
    related = np.where(rel == "", "unknown",
                       np.where(rel.str.upper().isin(RELATED_NO), "no", "yes"))
    ser = f["AESER"].eq("Y") if "AESER" in f.columns else pd.Series(False, index=f.index)
    return pd.DataFrame({"patient_id": f["USUBJID"].astype(str), "day": day.round().astype(int),
                         "event": "adverse_event", "term": term.astype(object),
                         "severity": np.where(ser, "SAE", "AE"), "related": related,
                         "provenance": "recorded",
                         "body_system": f["AEBODSYS"] if "AEBODSYS" in f.columns else None})


def _response_events(adsl: pd.DataFrame, cfg: dict, start: pd.Series,
                     notes: list[Finding]) -> pd.DataFrame:
    spec = cfg.get("response")
    cols = ["patient_id", "day", "event", "term", "severity", "related", "provenance"]
    if not spec:
        return pd.DataFrame(columns=cols)
    var = spec["variable"].upper()
    if var not in adsl.columns:
        notes.append(Finding("warning", CONFIG_FILE, f"response variable {var} is not in ADSL: no "
                                                     f"response information", key="response",
                             value=var, rule="config"))
        return pd.DataFrame(columns=cols)
    levels = spec.get("levels") or {"CR": "MCR", "PR": "PCR"}
    grade = adsl[var].map(lambda v: levels.get(str(v)) if v is not None else None)
    day = pd.Series(0.0, index=adsl.index)
    dv = (spec.get("day_variable") or "").upper()
    if dv and dv in adsl.columns:
        d = adsl[dv]
        day = d.astype(float) if pd.api.types.is_numeric_dtype(d) else \
            _study_day(_dates(d), start.reindex(adsl["USUBJID"]).set_axis(adsl.index))
    ok = grade.isin(["MCR", "PCR"])
    return pd.DataFrame({"patient_id": adsl.loc[ok, "USUBJID"].astype(str),
                         "day": day[ok].fillna(0).round().astype(int), "event": "response",
                         "term": grade[ok], "severity": None, "related": None,
                         "provenance": "recorded"})


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
        known = set(adsl.frame["USUBJID"].dropna().astype(str)) \
            if "USUBJID" in adsl.frame else set()
    for ds in raw.datasets.values():
        with progress.working_on(ds.file, "checking"):
            if ds.kind != "adsl":
                findings += _check_unknown_subjects(ds, known)
            if ds.kind in ("bds", "adtte"):
                findings += _check_units(ds)
            if ds.kind == "adtte":
                findings += _check_cnsr(ds)
                findings += _check_aval_tte(ds)
    if not raw.of("bds"):
        findings.append(Finding("warning", str(raw.folder.name), "no BDS dataset with visits "
                                                                "(ADLB*, ADVS, ADQS*): no "
                                                                "trajectories", rule="no_measures"))
    return findings


def build_trial(path: str | Path, config: dict | str | Path | None = None,
                limits: Limits | None = None, progress: Progress | None = None) -> Trial:
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
    adsl = raw.datasets["adsl"]
    notes: list[Finding] = []
    patients, labels = _patients(adsl, cfg, notes)
    start = pd.Series(dtype="datetime64[ns]")
    if "TRTSDT" in adsl.frame.columns:
        start = pd.Series(_dates(adsl.frame["TRTSDT"]).to_numpy(),
                          index=adsl.frame["USUBJID"].astype(str)).groupby(level=0).first()

    parts = [_measure_rows(ds, cfg, notes) for ds in sorted(raw.of("bds"), key=lambda d: d.name)]
    parts = [p for p in parts if len(p)]
    rows = pd.concat(parts) if parts else pd.DataFrame(
        columns=["code", "patient_id", "month", "day", "value", "visit_label", "paramcd",
                 "param", "paramn", "dataset", "tp_label", "unit_var", "ref_low", "ref_high"])
    measures, rows = _build_measures(rows, cfg, notes)
    visits = _build_visits(rows, cfg)
    whole = rows["month"].dropna().mod(1).eq(0).all() if len(rows) else True
    measurements = pd.DataFrame({
        "patient_id": rows["patient_id"].astype(str),
        "month": rows["month"].astype("int64") if whole else rows["month"].astype(float),
        "day": rows["day"].astype(float).round().astype("Int64"),
        "measure": rows["code"].astype(str), "value": rows["value"].astype(float),
        "provenance": "recorded"}).reset_index(drop=True)

    events = [_adverse_events(ds, start, notes) for ds in raw.of("adae")]
    ae_days = [e.set_index("patient_id")["day"].astype(float) for e in events]
    bds_days = [rows.set_index("patient_id")["day"].astype(float).dropna()] if len(rows) else []
    patients["last_followup_day"] = patients["patient_id"].map(
        _last_followup(adsl.frame.drop_duplicates("USUBJID"), bds_days + ae_days)).astype(int)

    dead = pd.Series(False, index=adsl.frame.index)
    if "DTHFL" in adsl.frame.columns:
        dead |= adsl.frame["DTHFL"].eq("Y")
    death_day = pd.Series(np.nan, index=adsl.frame.index)
    if "DTHDT" in adsl.frame.columns and "TRTSDT" in adsl.frame.columns:
        death_day = _study_day(_dates(adsl.frame["DTHDT"]), _dates(adsl.frame["TRTSDT"]))
        dead |= death_day.notna()
    d = adsl.frame.loc[dead].drop_duplicates("USUBJID")
    lf = patients.set_index("patient_id")["last_followup_day"]
    dday = death_day.loc[d.index].fillna(d["USUBJID"].astype(str).map(lf))
    if len(d) and death_day.loc[d.index].isna().any():
        n = int(death_day.loc[d.index].isna().sum())
        notes.append(Finding("warning", adsl.file, f"{n} subject(s) died (DTHFL = Y) without a "
                                                   f"death date (DTHDT): their last known study "
                                                   f"day is taken as the day of death "
                                                   f"(subjects {_example_ids(d['USUBJID'])})",
                             column="DTHDT", rule="death_day"))
    events.append(pd.DataFrame({"patient_id": d["USUBJID"].astype(str),
                                "day": dday.round().astype(int), "event": "death",
                                "term": "Death", "severity": "SAE", "related": "unknown",
                                "provenance": "recorded"}))
    events.append(_response_events(adsl.frame.drop_duplicates("USUBJID"), cfg, start, notes))
    events = pd.concat([e for e in events if len(e)] or [pd.DataFrame(
        columns=["patient_id", "day", "event", "term", "severity", "related", "provenance"])],
        ignore_index=True)
    events["day"] = events["day"].astype(int)

    tte = pd.concat([_tte(ds, cfg, notes) for ds in raw.of("adtte")] or [empty_tte()],
                    ignore_index=True)
    patients["provenance"] = "recorded"
    study = _study(raw, cfg, measures, visits, adsl, rows, labels)
    findings += notes
    findings.sort(key=lambda f: f.level != "error")
    return Trial(study=study, patients=derive_outcomes(patients, events),
                 measurements=measurements, events=events, findings=tuple(findings),
                 source=str(path), fingerprint=raw.fingerprint, tte=tte)


def _study(raw: AdamFolder, cfg: dict, measures, visits, adsl: Dataset, rows: pd.DataFrame,
           labels: dict) -> Study:
    sid = adsl.frame["STUDYID"].dropna().iloc[0] if "STUDYID" in adsl.frame.columns and \
        adsl.frame["STUDYID"].notna().any() else raw.folder.name
    unit = cfg.get("visit_unit") or _visit_unit([v.label for v in visits if v.month != 0])
    title = cfg.get("title") or f"{sid} (CDISC ADaM)"
    return Study(title=title, short_title=cfg.get("short_title") or str(sid),
                 registry_id=cfg.get("registry_id", ""), citation=cfg.get("citation", ""),
                 data_status=cfg.get("data_status", "real"),
                 data_note=cfg.get("data_note", ""),
                 time_origin=cfg.get("time_origin") or "First dose (TRTSDT = day 1)",
                 visits=visits, measures=measures, visit_unit=unit,
                 center_label=cfg.get("center_label") or "Site",
                 primary_group=ARM_COLUMN if ARM_COLUMN in labels else None,
                 column_labels=tuple(labels.items()), source_format="adam")


def load_adam(path: str | Path, config: dict | str | Path | None = None,
              limits: Limits | None = None, progress: Progress | None = None) -> Trial:
    """Alias of `build_trial`: the Trial of an ADaM folder (raises DataError)."""
    return build_trial(path, config, limits, progress)
