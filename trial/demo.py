"""Seeded generator of the demo trial shipped in ``data`` (simulated data, clearly labelled).

The demo reproduces the trial of Wang D, Li J, Zhang Y, et al., "Umbilical cord mesenchymal stem
cell transplantation in active and refractory systemic lupus erythematosus: a multicenter clinical
study", Arthritis Res Ther 2014;16(2):R79 (NCT01741857). Patient-level data of that trial are not
public, so every published fact is reproduced exactly and everything else is simulated. Every
value says where it comes from (``provenance``: ``published``, ``inferred`` or ``simulated``).

What is published (provenance ``published``)
    * 40 patients; the four centers (names only); 13 MCR, 11 PCR, 16 NR; 37 of 40 alive at
      12 months.
    * Table 1, rows 1-13: age, disease duration, baseline SLEDAI and BILAG (measurements at
      month 0), prior immunosuppression and manifestations as printed, and the outcome
      (MCR / PCR / NR, "-> R" = relapse). ``lupus_nephritis`` of rows 1-13 is read off the
      printed code "LN". Patient 14: age 21 and disease duration 39 months. These columns are
      listed in ``published_fields``; the rest of each patient row (sex, center, follow-up) is
      simulated, so the row ``provenance`` is ``simulated``.
    * Table 2 (complete): the three herpesvirus infections, the tuberculosis infection and the
      three deaths (patient 9 day 7, patient 27 day 192, patient 14 day 256), with their days.
    * Infusions on day 0 and day 7 for every patient (the protocol).
    * Response events of rows 1-13 and the relapses of patients 8 and 9. **The fact is published,
      the day is simulated**: response days are put on the patient's 3-, 6- or 9-month visit,
      relapse days between visits. The event row is marked ``published`` because the event
      itself is.

What is inferred (arithmetic on published numbers, see trial-facts.md §1)
    * 7 relapses in all, all among the 24 responders: 3 by 9 months (day <= 273) and 4 more by
      12 months (273 < day <= 365). The five relapsers other than patients 8 and 9 are chosen at
      random among the simulated responders and their events are ``simulated``.

What is simulated (provenance ``simulated``)
    * Patients per center (sponsor largest: 16/9/8/7), sex (4 men of 40, ~90 % women), rows
      14-40 of Table 1 (age, duration, lupus nephritis in 22 of 27 rows, treatment and
      manifestation text in the printed style), the response grade of rows 15-40 (patients 14
      and 27, who died, are simulated non-responders), follow-up ends of survivors
      (day 366-372, just after the 12-month visit).
    * Every measurement except the published baseline SLEDAI/BILAG of patients 1-13: visit days
      (target day +/- 4, baseline day 0), all values, and ~3 % missing follow-up values.
      No measurement is made after a patient's death (patient 9 has baseline values only).
    * Units of the laboratory measures (``unit_assumed: true`` in study.json).

The published conflict is kept on purpose: Table 1 gives patient 9 "MCR -> R", Table 2 a death
on day 7. Patient 9 therefore has a response (MCR) and a relapse event *after* the death on
day 7. The loader reports it as a data-quality warning; nothing here "fixes" it.

How the measurements are simulated
    Each patient has a latent response strength ``s`` (MCR 0.75-0.95, PCR 0.45-0.65,
    NR 0.1-0.4: non-responders improve a little) and a per-measure goal value (a plausible
    "normal" value). The value at a
    visit is ``baseline + s * profile[measure][month] * (goal - baseline)`` plus noise, where
    ``profile`` encodes the published time course (SLEDAI flat at 1 month then falling;
    proteinuria falling late; creatinine/urea lowest and albumin/C3 highest at 6 months;
    ANA/anti-dsDNA falling early; BILAG falling steadily). Late responders (response at 6 or
    9 months) have half the improvement before their response visit. After a relapse most of
    the improvement is lost (0-35 % kept; BILAG keeps 60 %, a flare of a few organs) and SLEDAI
    is at least 4 points above its last value before the relapse. SLEDAI, BILAG (classic numeric
    grades A=9, B=3, C=1, D/E=0 for the three recorded domains; the total keeps the other
    domains) and ANA (dilution steps 1:80-1:2560) are whole numbers; lab values get
    multiplicative noise. Baseline ranges follow the group's other cohorts (trial-facts.md §7),
    never this trial; rows 1-13 get serology consistent with their printed ANA+/anti-dsDNA+.

How the published pattern is guaranteed
    The generator computes the same paired tests as the dashboard (patients with both the
    baseline and the visit value; paired t-test and Wilcoxon signed-rank, with scipy's default,
    Pratt, zero-split and R-style continuity-corrected variants; ANA and anti-dsDNA also on a
    log scale) and the visit means, and accepts a simulated draw only if the whole
    pattern of trial-facts.md §1 holds with a margin (significant means p <= 0.01, not
    significant means p >= 0.10; see ``pattern_problems``). Draws are tried in a fixed order
    (``numpy.random.default_rng([SEED, attempt])``) so the result is deterministic, and the
    files are written with fixed formatting: re-running reproduces them byte for byte.

Usage: ``python -m trial demo --out data`` or ``python -m trial.demo --out data``.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats

SEED = 20140079  # Arthritis Res Ther 2014;16:R79
MAX_ATTEMPTS = 2000

CITATION = "Wang D, Li J, Zhang Y, et al. Arthritis Res Ther 2014;16(2):R79. doi:10.1186/ar4520"

CENTERS = (
    "Drum Tower Hospital, Nanjing",
    "Jiangsu University Hospital, Zhenjiang",
    "Subei People's Hospital, Yangzhou",
    "Jiangsu Provincial People's Hospital, Nanjing",
)
CENTER_SIZES = (16, 9, 8, 7)  # simulated: the sizes are not published

N_PATIENTS = 40
VISITS = (
    (0, "Baseline", 0),
    (1, "1 mo", 30),
    (3, "3 mo", 91),
    (6, "6 mo", 182),
    (9, "9 mo", 273),
    (12, "12 mo", 365),
)
MONTHS = tuple(v[0] for v in VISITS)
TARGET_DAY = {m: d for m, _, d in VISITS}

# --- Published facts (trial-facts.md §1, §4, §5) -------------------------------------------

# Table 1, rows 1-13: age, disease duration (months), SLEDAI, BILAG, prior treatment, outcome,
# manifestations, all as printed. Outcome "MCR->R" = MCR then relapse.
TABLE1 = {
    "1": (46, 40, 17, 12, "CYC 0.8 g/mo × 28 mo", "PCR", "LN, A, C, V, H, ANA+, anti-dsDNA+"),
    "2": (37, 41, 12, 12, "CYC 0.8 g/mo × 35 mo", "PCR", "A, LN, V, ANA+, anti-dsDNA+, H"),
    "3": (21, 50, 11, 9, "MMF 1.5 g/d × 31 mo", "NR", "V, LN, C, anti-Sm+"),
    "4": (
        28,
        98,
        9,
        9,
        "CYC 0.8 g/mo × 10 mo; CYC 0.8 g/mo + MMF 1.0 g/d × 28 mo (stopped); LEF 20 mg/d × 31 mo",
        "MCR",
        "V, A, alopecia, LN, C, ANA+, anti-dsDNA+",
    ),
    "5": (
        26,
        120,
        12,
        8,
        "MMF 2.0 g/d × 50 mo (stopped); CYC 0.8 g/mo × 20 mo",
        "NR",
        "V, A, LN, ANA+, anti-dsDNA+",
    ),
    "6": (
        23,
        15,
        14,
        19,
        "CYC 0.8 g/mo × 15 mo; LEF 20 mg/d × 10 mo",
        "NR",
        "V, A, F, LN, P, ANA+, anti-dsDNA+",
    ),
    "7": (
        20,
        62,
        12,
        18,
        "MMF 1.5 g/d × 34 mo (stopped); CYC 0.8 g/mo × 24 mo",
        "PCR",
        "A, F, LN, C, P, ANA+",
    ),
    "8": (
        43,
        26,
        34,
        20,
        "CYC 0.8 g/mo × 10 mo (stopped); LEF 20 mg/d × 10 mo",
        "PCR->R",
        "C, V, LN, A, seizures, ANA+",
    ),
    "9": (36, 97, 10, 26, "CYC 0.8 g/mo × 29 mo", "MCR->R", "C, V, A, LN, P, ANA+"),
    "10": (
        39,
        60,
        10,
        7,
        "CYC 0.8 g/mo × 25 mo (stopped); LEF 20 mg/d × 30 mo",
        "PCR",
        "LN, A, V, ANA+, anti-Sm+",
    ),
    "11": (22, 40, 8, 16, "CYC 0.8 g/mo × 25 mo", "NR", "LN, C, P, ANA+, anti-dsDNA+"),
    "12": (
        20,
        50,
        14,
        13,
        "CYC 0.8 g/mo × 15 mo (stopped); VCR 1 mg/week × 4 (stopped)",
        "NR",
        "A, severe thrombocytopenia, V, F, ANA+, anti-dsDNA+, anti-Sm+",
    ),
    "13": (
        17,
        75,
        7,
        6,
        "MMF 1.5 g/d × 13 mo (stopped); LEF 20 mg/d × 30 mo",
        "NR",
        "severe thrombocytopenia, LN, A, ANA+, anti-dsDNA+",
    ),
}
TABLE1_FIELDS = "age;disease_duration_months;lupus_nephritis;prior_treatment;manifestations"
PATIENT14 = {"age": 21, "disease_duration_months": 39}
PATIENT14_FIELDS = "age;disease_duration_months"

N_RESPONSE = {"MCR": 13, "PCR": 11, "NR": 16}
DEATHS = {"9": 7, "27": 192, "14": 256}  # Table 2: patient -> day
# Table 2 adverse events other than deaths: (patient, term, severity, day, related)
TABLE2_AES = (
    ("2", "Herpesvirus infection", "AE", 291, "no"),
    ("3", "Herpesvirus infection", "AE", 135, "no"),
    ("3", "Herpesvirus infection", "AE", 187, "no"),
    ("12", "Tuberculosis infection", "AE", 326, "no"),
)
N_RELAPSE_BY_9M = 3  # day <= 273
N_RELAPSE_9_TO_12M = 4  # 273 < day <= 365
PUBLISHED_RELAPSERS = ("8", "9")
INFUSION_DAYS = (0, 7)
INFUSION_TERM = "UC-MSC"

# Simulated choices about deceased patients of unknown outcome.
SIMULATED_NR = ("14", "27")
N_MEN = 4
N_LN_SIMULATED_ROWS = 22  # of rows 14-40 (81 %)

# --- Measures ----------------------------------------------------------------------------------

MEASURES: tuple[dict, ...] = (
    dict(
        code="sledai",
        label="SLEDAI-2K",
        unit="score",
        unit_assumed=False,
        better="lower",
        ref_low=None,
        ref_high=None,
        min=0,
        max=105,
        key=True,
        population=None,
        log_scale=False,
        category="Disease activity",
    ),
    dict(
        code="bilag",
        label="BILAG total",
        unit="score",
        unit_assumed=False,
        better="lower",
        ref_low=None,
        ref_high=None,
        min=0,
        max=72,
        key=False,
        population=None,
        log_scale=False,
        category="Disease activity",
    ),
    dict(
        code="bilag_renal",
        label="BILAG renal",
        unit="score",
        unit_assumed=False,
        better="lower",
        ref_low=None,
        ref_high=None,
        min=0,
        max=9,
        key=False,
        population=None,
        log_scale=False,
        category="Disease activity",
    ),
    dict(
        code="bilag_hematological",
        label="BILAG hematological",
        unit="score",
        unit_assumed=False,
        better="lower",
        ref_low=None,
        ref_high=None,
        min=0,
        max=9,
        key=False,
        population=None,
        log_scale=False,
        category="Disease activity",
    ),
    dict(
        code="bilag_mucocutaneous",
        label="BILAG mucocutaneous",
        unit="score",
        unit_assumed=False,
        better="lower",
        ref_low=None,
        ref_high=None,
        min=0,
        max=9,
        key=False,
        population=None,
        log_scale=False,
        category="Disease activity",
    ),
    dict(
        code="proteinuria",
        label="24-h proteinuria",
        unit="g/24 h",
        unit_assumed=True,
        better="lower",
        ref_low=None,
        ref_high=0.15,
        min=0,
        max=30,
        key=True,
        population="lupus_nephritis",
        log_scale=False,
        category="Renal",
    ),
    dict(
        code="creatinine",
        label="Serum creatinine",
        unit="µmol/L",
        unit_assumed=True,
        better="lower",
        ref_low=44,
        ref_high=133,
        min=10,
        max=2000,
        key=True,
        population=None,
        log_scale=False,
        category="Renal",
    ),
    dict(
        code="bun",
        label="Urea nitrogen",
        unit="mmol/L",
        unit_assumed=True,
        better="lower",
        ref_low=2.9,
        ref_high=8.2,
        min=0.5,
        max=60,
        key=False,
        population=None,
        log_scale=False,
        category="Renal",
    ),
    dict(
        code="albumin",
        label="Serum albumin",
        unit="g/L",
        unit_assumed=True,
        better="higher",
        ref_low=35,
        ref_high=50,
        min=5,
        max=60,
        key=False,
        population=None,
        log_scale=False,
        category="Renal",
    ),
    dict(
        code="c3",
        label="Complement C3",
        unit="g/L",
        unit_assumed=True,
        better="higher",
        ref_low=0.9,
        ref_high=1.8,
        min=0,
        max=5,
        key=True,
        population=None,
        log_scale=False,
        category="Serology",
    ),
    dict(
        code="c4",
        label="Complement C4",
        unit="g/L",
        unit_assumed=True,
        better="higher",
        ref_low=0.1,
        ref_high=0.4,
        min=0,
        max=2,
        key=False,
        population=None,
        log_scale=False,
        category="Serology",
    ),
    dict(
        code="ana",
        label="ANA titre",
        unit="reciprocal titre",
        unit_assumed=True,
        better="lower",
        ref_low=None,
        ref_high=40,
        min=0,
        max=40960,
        key=False,
        population=None,
        log_scale=True,
        category="Serology",
    ),
    dict(
        code="anti_dsdna",
        label="Anti-dsDNA",
        unit="IU/mL",
        unit_assumed=True,
        better="lower",
        ref_low=None,
        ref_high=100,
        min=0,
        max=10000,
        key=True,
        population=None,
        log_scale=False,
        category="Serology",
    ),
)
MEASURE_CODES = tuple(m["code"] for m in MEASURES)
DECIMALS = {
    "sledai": 0,
    "bilag": 0,
    "bilag_renal": 0,
    "bilag_hematological": 0,
    "bilag_mucocutaneous": 0,
    "proteinuria": 2,
    "creatinine": 0,
    "bun": 1,
    "albumin": 1,
    "c3": 2,
    "c4": 2,
    "ana": 0,
    "anti_dsdna": 0,
}

# Fraction of a patient's achievable improvement reached at each visit (the published shapes).
PROFILE = {
    "sledai": {0: 0.0, 1: 0.0, 3: 0.6, 6: 0.8, 9: 0.9, 12: 1.0},
    "bilag": {0: 0.0, 1: 0.1, 3: 0.6, 6: 0.75, 9: 0.88, 12: 1.0},
    "proteinuria": {0: 0.0, 1: 0.0, 3: 0.03, 6: 0.06, 9: 0.75, 12: 0.9},
    "renal_labs": {0: 0.0, 1: 0.2, 3: 0.6, 6: 1.0, 9: 0.75, 12: 0.7},  # creatinine, bun
    "protein_labs": {0: 0.0, 1: 0.2, 3: 0.6, 6: 1.0, 9: 0.8, 12: 0.75},  # albumin, C3, C4
    "serology": {0: 0.0, 1: 0.2, 3: 0.75, 6: 0.85, 9: 0.85, 12: 0.85},  # ANA, anti-dsDNA
}
ANA_STEPS = (80, 160, 320, 640, 1280, 2560)
BILAG_GRADES = (0, 1, 3, 9)  # classic numeric BILAG: E/D = 0, C = 1, B = 3, A = 9

PROVENANCES = ("published", "inferred", "simulated", "recorded")


def _ln(manifestations: str) -> bool:
    return "LN" in [part.strip() for part in manifestations.split(",")]


def _response_group(outcome: str) -> str:
    return outcome.split("->")[0]


# --- Structure: patients and events ------------------------------------------------------------


def _simulated_manifestations(rng: np.random.Generator, ln: bool) -> str:
    parts = ["LN"] if ln else []
    for code, p in (("A", 0.55), ("C", 0.45), ("V", 0.5), ("H", 0.3), ("F", 0.2), ("P", 0.2)):
        if rng.random() < p:
            parts.append(code)
    if not ln and "H" not in parts:
        parts.append("H")
    serology = [
        code
        for code, p in (("ANA+", 0.9), ("anti-dsDNA+", 0.6), ("anti-Sm+", 0.2))
        if rng.random() < p
    ]
    if serology and "ANA+" not in serology:  # specific antibodies imply a positive ANA
        serology.insert(0, "ANA+")
    return ", ".join(parts + serology)


def _simulated_treatment(rng: np.random.Generator, duration: int) -> str:
    top = max(6, min(duration, 48))
    n1 = int(rng.integers(6, top + 1))
    n2 = int(rng.integers(3, max(4, min(duration - n1, 36)) + 1))
    templates = (
        f"CYC 0.8 g/mo × {n1} mo",
        f"MMF 2.0 g/d × {n1} mo",
        f"CYC 0.8 g/mo × {n1} mo (stopped); LEF 20 mg/d × {n2} mo",
        f"MMF 1.5 g/d × {n1} mo (stopped); CYC 0.8 g/mo × {n2} mo",
        f"CYC 0.8 g/mo × {n1} mo (stopped); MMF 1.5 g/d × {n2} mo",
    )
    return templates[int(rng.choice(len(templates), p=[0.35, 0.15, 0.2, 0.15, 0.15]))]


def _build_structure(rng: np.random.Generator) -> dict:
    """Patients, response groups, visit days and events (everything but the measurements)."""
    ids = [str(i) for i in range(1, N_PATIENTS + 1)]

    # Response groups: Table 1 rows 1-13 as printed, patients 14 and 27 NR, the rest at random.
    group = {pid: _response_group(TABLE1[pid][5]) for pid in TABLE1}
    for pid in SIMULATED_NR:
        group[pid] = "NR"
    remaining = {g: n - sum(1 for v in group.values() if v == g) for g, n in N_RESPONSE.items()}
    free = [pid for pid in ids if pid not in group]
    pool = [g for g in ("MCR", "PCR", "NR") for _ in range(remaining[g])]
    assert len(pool) == len(free)
    for pid, g in zip(free, rng.permutation(pool)):
        group[pid] = str(g)

    # Relapsers: 8 and 9 (published) plus 5 simulated responders among rows 15-40, alive.
    published_no_relapse = {pid for pid, row in TABLE1.items() if "->R" not in row[5]}
    candidates = [
        pid
        for pid in ids
        if group[pid] != "NR"
        and pid not in TABLE1
        and pid not in DEATHS
        and pid not in published_no_relapse
    ]
    n_other = N_RELAPSE_BY_9M + N_RELAPSE_9_TO_12M - len(PUBLISHED_RELAPSERS)
    relapsers = list(PUBLISHED_RELAPSERS) + sorted(
        (str(p) for p in rng.choice(candidates, size=n_other, replace=False)), key=int
    )
    early = set(str(p) for p in rng.choice(relapsers, size=N_RELAPSE_BY_9M, replace=False))

    # Visit days: target +/- 4 days, baseline on day 0.
    visit_day = {
        pid: {m: (0 if m == 0 else TARGET_DAY[m] + int(rng.integers(-4, 5))) for m in MONTHS}
        for pid in ids
    }

    # Follow-up: deceased -> day of death; survivors -> a few days after the 12-month visit.
    last_day = {}
    for pid in ids:
        if pid in DEATHS:
            last_day[pid] = DEATHS[pid]
        else:
            # Followed at least to day 366, so that every survivor is still at risk at 12 months
            # (day 365.25) in the time-to-event analyses.
            last_day[pid] = max(366, visit_day[pid][12] + int(rng.integers(0, 4)))

    # Response and relapse days (the days are simulated, also for published events).
    response_month, response_day, relapse_day = {}, {}, {}
    for pid in ids:
        if group[pid] == "NR":
            continue
        if pid in relapsers:
            m = int(rng.choice([3, 6], p=[0.6, 0.4]))
        else:
            m = int(rng.choice([3, 6, 9], p=[0.5, 0.35, 0.15]))
        response_month[pid] = m
        response_day[pid] = visit_day[pid][m]
    for pid in relapsers:
        if pid in early:  # after the 6-month visit, before the 9-month visit, day <= 273
            lo, hi = visit_day[pid][6] + 5, min(visit_day[pid][9] - 3, 273)
        else:  # after the 9-month visit, before the 12-month visit, 273 < day <= 365
            lo, hi = max(visit_day[pid][9] + 5, 274), min(visit_day[pid][12] - 3, 365)
        relapse_day[pid] = int(rng.integers(lo, hi + 1))

    # Patients.
    center_pool = [c for c, n in zip(CENTERS, CENTER_SIZES) for _ in range(n)]
    centers = dict(zip(ids, (str(c) for c in rng.permutation(center_pool))))
    men = set(str(p) for p in rng.choice(ids, size=N_MEN, replace=False))
    simulated_rows = [pid for pid in ids if pid not in TABLE1]
    ln_rows = set(
        str(p) for p in rng.choice(simulated_rows, size=N_LN_SIMULATED_ROWS, replace=False)
    )
    rows = []
    for pid in ids:
        row = {"patient_id": pid, "center": centers[pid], "last_followup_day": last_day[pid]}
        if pid in TABLE1:
            age, duration, _, _, treatment, _, manif = TABLE1[pid]
            ln = _ln(manif)
            fields = TABLE1_FIELDS
        else:
            ln = pid in ln_rows
            age = int(np.clip(round(rng.normal(31, 9)), 16, 58))
            duration = int(np.clip(round(rng.lognormal(math.log(50), 0.55)), 12, 180))
            if pid == "14":
                age, duration = PATIENT14["age"], PATIENT14["disease_duration_months"]
            treatment = _simulated_treatment(rng, duration)
            manif = _simulated_manifestations(rng, ln)
            fields = PATIENT14_FIELDS if pid == "14" else ""
        row.update(
            age=age,
            sex="M" if pid in men else "F",
            disease_duration_months=duration,
            lupus_nephritis=ln,
            prior_treatment=treatment,
            manifestations=manif,
            provenance="simulated",
            published_fields=fields,
        )
        rows.append(row)
    patients = pd.DataFrame(rows)

    # Events.
    ev = []

    def add(pid, day, event, term, severity="", related="", provenance="published"):
        ev.append(
            dict(
                patient_id=pid,
                day=int(day),
                event=event,
                term=term,
                severity=severity,
                related=related,
                provenance=provenance,
            )
        )

    for pid in ids:
        for d in INFUSION_DAYS:
            add(pid, d, "infusion", INFUSION_TERM)
        if pid in response_day:
            add(
                pid,
                response_day[pid],
                "response",
                group[pid],
                provenance="published" if pid in TABLE1 else "simulated",
            )
        if pid in relapse_day:
            add(
                pid,
                relapse_day[pid],
                "relapse",
                "",
                provenance="published" if pid in PUBLISHED_RELAPSERS else "simulated",
            )
        if pid in DEATHS:
            add(pid, DEATHS[pid], "death", "Death", "SAE", "no")
    for pid, term, severity, day, related in TABLE2_AES:
        add(pid, day, "adverse_event", term, severity, related)
    order = {
        e: i for i, e in enumerate(("infusion", "response", "relapse", "adverse_event", "death"))
    }
    events = pd.DataFrame(ev)
    events = (
        events.assign(_p=events["patient_id"].astype(int), _o=events["event"].map(order))
        .sort_values(["_p", "day", "_o", "term"], kind="mergesort")
        .drop(columns=["_p", "_o"])
        .reset_index(drop=True)
    )

    return dict(
        ids=ids,
        group=group,
        relapsers=relapsers,
        early=early,
        visit_day=visit_day,
        last_day=last_day,
        response_month=response_month,
        relapse_day=relapse_day,
        patients=patients,
        events=events,
    )


# --- Measurements ------------------------------------------------------------------------------


def _bilag_domains(rng: np.random.Generator, manif: str, ln: bool, total: int) -> list[int]:
    """Baseline grade indexes (into BILAG_GRADES) of the renal, hematological and
    mucocutaneous domains, downgraded until their sum fits inside the BILAG total."""
    codes = [p.strip() for p in manif.split(",")]
    hemat = "H" in codes or any("thrombocytopenia" in c for c in codes)
    skin = "C" in codes or "alopecia" in codes
    renal = int(rng.choice([2, 3], p=[0.6, 0.4])) if ln else int(rng.choice([0, 1]))
    hem = int(rng.choice([2, 3], p=[0.6, 0.4])) if hemat else int(rng.choice([0, 1]))
    muc = int(rng.choice([1, 2], p=[0.4, 0.6])) if skin else int(rng.choice([0, 1], p=[0.7, 0.3]))
    grades = [renal, hem, muc]
    while sum(BILAG_GRADES[g] for g in grades) > total:
        i = max(range(3), key=lambda k: (grades[k], -k))
        grades[i] -= 1
    return grades


def _simulate_measurements(s: dict, rng: np.random.Generator) -> pd.DataFrame:
    patients = s["patients"].set_index("patient_id")
    rows = []
    for pid in s["ids"]:
        p = patients.loc[pid]
        ln = bool(p["lupus_nephritis"])
        manif = str(p["manifestations"])
        codes = [c.strip() for c in manif.split(",")]
        group = s["group"][pid]
        strength = {
            "MCR": rng.uniform(0.75, 0.95),
            "PCR": rng.uniform(0.45, 0.65),
            "NR": rng.uniform(0.1, 0.4),
        }[group]
        relapse = s["relapse_day"].get(pid)
        lost = rng.uniform(0.0, 0.35)  # improvement fraction left after a relapse
        r_month = s["response_month"].get(pid, 99)
        months = [
            m
            for m in MONTHS
            if s["visit_day"][pid][m] <= s["last_day"][pid]
            and (pid not in DEATHS or s["visit_day"][pid][m] < DEATHS[pid])
        ]

        def frac(profile: str, m: int, sd: float = 0.08) -> float:
            """Fraction of the way from baseline to the goal reached at visit m."""
            if m == 0:
                return 0.0
            if relapse is not None and s["visit_day"][pid][m] > relapse:
                if profile == "bilag":  # flare of a few organs: part of the improvement lost
                    return 0.6 * strength * PROFILE[profile][m] + rng.normal(0, 0.05)
                return lost + rng.normal(0, 0.05)
            f = strength + rng.normal(0, sd)
            if m < r_month:
                f *= 0.5
            return f * PROFILE[profile][m]

        # Baselines (plausible ranges, trial-facts §7) and goals.
        if pid in TABLE1:
            sledai0, bilag0 = TABLE1[pid][2], TABLE1[pid][3]
        else:
            sledai0 = int(np.clip(round(8 + rng.gamma(2.2, 2.4)), 8, 34))
            bilag0 = int(np.clip(round(rng.normal(13, 5)), 6, 30))
        dsdna_pos = "anti-dsDNA+" in codes
        ana_pos = "ANA+" in codes
        base = {
            "proteinuria": float(np.clip(rng.lognormal(math.log(2.2), 0.5), 1.0, 8.0)),
            "creatinine": float(np.clip(rng.lognormal(math.log(88 if ln else 70), 0.25), 45, 260)),
            "bun": float(np.clip(rng.lognormal(math.log(7.0 if ln else 5.5), 0.25), 2.5, 20)),
            "albumin": float(np.clip(rng.normal(29 if ln else 35, 4.5), 18, 44)),
            "c3": float(np.clip(rng.normal(0.58, 0.15), 0.2, 1.1)),
            "c4": float(np.clip(rng.normal(0.10, 0.04), 0.02, 0.25)),
            "anti_dsdna": float(
                np.clip(rng.lognormal(math.log(320 if dsdna_pos else 45), 0.6), 5, 3000)
            ),
        }
        goal = {
            "proteinuria": float(np.clip(rng.normal(0.3, 0.12), 0.05, 0.8)),
            "creatinine": min(base["creatinine"], float(rng.normal(64, 8))),
            "bun": min(base["bun"], float(rng.normal(5.0, 0.7))),
            "albumin": max(base["albumin"], float(rng.normal(41, 2.5))),
            "c3": max(base["c3"], float(rng.normal(0.98, 0.1))),
            "c4": max(base["c4"], float(rng.normal(0.2, 0.04))),
            "anti_dsdna": min(base["anti_dsdna"], float(rng.lognormal(math.log(40), 0.4))),
        }
        noise = {
            "proteinuria": 0.2,
            "creatinine": 0.04,
            "bun": 0.05,
            "albumin": 0.03,
            "c3": 0.05,
            "c4": 0.08,
            "anti_dsdna": 0.2,
        }
        profile_of = {
            "proteinuria": "proteinuria",
            "creatinine": "renal_labs",
            "bun": "renal_labs",
            "albumin": "protein_labs",
            "c3": "protein_labs",
            "c4": "protein_labs",
            "anti_dsdna": "serology",
        }
        ana0 = (
            int(rng.choice(6, p=[0.0, 0.1, 0.25, 0.3, 0.25, 0.1]))
            if ana_pos
            else int(rng.choice([0, 1]))
        )
        domains0 = _bilag_domains(rng, manif, ln, bilag0)
        other0 = bilag0 - sum(BILAG_GRADES[g] for g in domains0)
        sledai_goal = float(rng.uniform(0, 2))

        pre_relapse_sledai = sledai0  # last value before a relapse
        for m in months:
            vals: dict[str, float] = {}
            # SLEDAI: integer score; after a relapse at least 4 points above the last value
            # before the relapse.
            if m == 0:
                sl = sledai0
            else:
                f = frac("sledai", m)
                drawn = sledai0 + f * (sledai_goal - sledai0) + rng.normal(0, 1.5)
                sl = int(np.clip(round(drawn), 0, 105))
                if relapse is not None and s["visit_day"][pid][m] > relapse:
                    sl = max(sl, pre_relapse_sledai + 4)
                else:
                    pre_relapse_sledai = sl
            vals["sledai"] = sl
            # BILAG domains improve by whole grades; the total keeps the non-recorded domains.
            if m == 0:
                doms, other = domains0, other0
            else:
                f = frac("bilag", m)
                doms = [
                    int(np.clip(g - math.floor(max(f, -0.3) * g + rng.uniform(0, 1)), 0, 3))
                    for g in domains0
                ]
                other = max(0, round(other0 * (1 - f) + rng.normal(0, 1.0)))
            dom_vals = [BILAG_GRADES[g] for g in doms]
            vals["bilag_renal"], vals["bilag_hematological"], vals["bilag_mucocutaneous"] = dom_vals
            vals["bilag"] = bilag0 if m == 0 else int(min(72, sum(dom_vals) + other))
            # Continuous laboratory values: move toward the goal, multiplicative noise.
            for code, prof in profile_of.items():
                if code == "proteinuria" and not ln:
                    continue
                b = base[code]
                if m == 0:
                    v = b
                elif code == "anti_dsdna":
                    f = frac(prof, m)
                    v = math.exp(
                        math.log(b)
                        + f * (math.log(goal[code]) - math.log(b))
                        + rng.normal(0, noise[code])
                    )
                else:
                    f = frac(prof, m)
                    v = (b + f * (goal[code] - b)) * math.exp(rng.normal(0, noise[code]))
                vals[code] = v
            # ANA: dilution steps.
            if m == 0:
                k = ana0
            else:
                f = frac("serology", m)
                k = int(np.clip(ana0 - round(f * 3 + rng.normal(0, 0.5)), 0, 5))
            vals["ana"] = ANA_STEPS[k]

            day = s["visit_day"][pid][m]
            for code in MEASURE_CODES:
                if code not in vals:
                    continue
                published = m == 0 and pid in TABLE1 and code in ("sledai", "bilag")
                rows.append(
                    dict(
                        patient_id=pid,
                        month=m,
                        day=day,
                        measure=code,
                        value=round(float(vals[code]), DECIMALS[code]),
                        provenance="published" if published else "simulated",
                    )
                )
    meas = pd.DataFrame(rows)
    # ~3 % missing values at follow-up visits (baseline complete).
    # The SLEDAI series of relapsers stays complete so that the worsening is always visible.
    protected = (meas["measure"] == "sledai") & meas["patient_id"].isin(s["relapsers"])
    drop = ((meas["month"] > 0) & ~protected).to_numpy() & (rng.random(len(meas)) < 0.03)
    return meas.loc[~drop].reset_index(drop=True)


# --- Pattern checks ----------------------------------------------------------------------------


def paired_values(meas: pd.DataFrame, code: str, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and visit values of the patients who have both."""
    sub = meas[meas["measure"] == code]
    wide = sub.pivot(index="patient_id", columns="month", values="value")
    if month not in wide or 0 not in wide:
        return np.array([]), np.array([])
    both = wide[[0, month]].dropna()
    return both[0].to_numpy(float), both[month].to_numpy(float)


def paired_pvalues(base: np.ndarray, visit: np.ndarray) -> dict[str, float]:
    """Paired t-test and Wilcoxon signed-rank p-values (several zero-difference rules)."""
    out = {"t": float(stats.ttest_rel(visit, base).pvalue)}
    if np.all(visit - base == 0):
        out.update(wilcoxon=1.0, wilcoxon_pratt=1.0, wilcoxon_zsplit=1.0, wilcoxon_cc=1.0)
        return out
    out["wilcoxon"] = float(stats.wilcoxon(visit, base).pvalue)
    out["wilcoxon_pratt"] = float(stats.wilcoxon(visit, base, zero_method="pratt").pvalue)
    out["wilcoxon_zsplit"] = float(stats.wilcoxon(visit, base, zero_method="zsplit").pvalue)
    # R's wilcox.test convention with ties or zeros: normal approximation, continuity correction
    out["wilcoxon_cc"] = float(stats.wilcoxon(visit, base, correction=True, method="approx").pvalue)
    return out


def visit_means(meas: pd.DataFrame, code: str) -> dict[int, float]:
    sub = meas[meas["measure"] == code]
    means = sub.groupby("month")["value"].mean()
    return {int(cast(int, m)): float(v) for m, v in means.items()}


# (measure, months where p < 0.05 is required, months where p >= 0.05 is required)
SIGNIFICANCE = (
    ("sledai", (3, 6, 9, 12), (1,)),
    ("proteinuria", (9, 12), (1, 3, 6)),
    ("anti_dsdna", (3,), ()),
    ("ana", (3,), ()),
    ("bilag", (3, 6, 9, 12), ()),
    ("bilag_renal", (12,), ()),
    ("bilag_hematological", (12,), ()),
    ("bilag_mucocutaneous", (12,), ()),
)
SIG_MARGIN = 0.01  # generator accepts "significant" only if every p <= 0.01 ...
NONSIG_MARGIN = 0.10  # ... and "not significant" only if every p >= 0.10


def pattern_problems(
    meas: pd.DataFrame, sig: float = SIG_MARGIN, nonsig: float = NONSIG_MARGIN
) -> list[str]:
    """Every way the measurements miss the published pattern (trial-facts.md §1)."""
    problems = []
    for code, sig_months, nonsig_months in SIGNIFICANCE:
        transforms: list[tuple[str, Callable]] = [("raw", lambda x: x)]
        if code in ("ana", "anti_dsdna"):
            transforms.append(("log", np.log))
        for name, tf in transforms:
            for month in sig_months + nonsig_months:
                b, v = paired_values(meas, code, month)
                ps = paired_pvalues(tf(b), tf(v))
                if month in sig_months and (max(ps.values()) > sig or v.mean() >= b.mean()):
                    problems.append(f"{code} ({name}) month {month}: not significant {ps}")
                if month in nonsig_months and min(ps.values()) < nonsig:
                    problems.append(f"{code} ({name}) month {month}: significant {ps}")
    for code, best in (("creatinine", min), ("bun", min), ("albumin", max), ("c3", max)):
        means = visit_means(meas, code)
        if best(means, key=lambda m: means[m]) != 6:
            problems.append(f"{code}: mean not best at 6 months {means}")
        for m in (9, 12):
            worse = means[m] > means[6] if best is min else means[m] < means[6]
            better_than_base = means[m] < means[0] if best is min else means[m] > means[0]
            if not (worse and better_than_base):
                problems.append(f"{code}: month {m} not slightly worse than 6 months {means}")
    means = visit_means(meas, "bilag")
    if not (means[3] <= 0.78 * means[0] and means[3] > means[6] > means[9] > means[12]):
        problems.append(f"bilag: not markedly lower at 3 months and falling {means}")
    return problems


# --- Public API --------------------------------------------------------------------------------


def build_study() -> dict:
    return {
        "title": "Umbilical cord MSC transplantation in active and refractory SLE",
        "short_title": "UC-MSC in refractory SLE",
        "registry_id": "NCT01741857",
        "citation": CITATION,
        "data_status": "simulated",
        "data_note": (
            "Patient-level values are simulated from the published summaries; "
            "values marked 'published' come from the paper."
        ),
        "time_origin": "First MSC infusion (day 0)",
        "centers": list(CENTERS),
        "visits": [{"month": m, "label": label, "day": d} for m, label, d in VISITS],
        "measures": [dict(m) for m in MEASURES],
    }


def _generate() -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    structure = _build_structure(np.random.default_rng(SEED))
    for attempt in range(MAX_ATTEMPTS):
        meas = _simulate_measurements(structure, np.random.default_rng([SEED, attempt]))
        if not pattern_problems(meas):
            break
    else:  # pragma: no cover - would mean the simulation model is broken
        raise RuntimeError(f"no draw in {MAX_ATTEMPTS} reproduces the published pattern")
    order = {c: i for i, c in enumerate(MEASURE_CODES)}
    meas = (
        meas.assign(_p=meas["patient_id"].astype(int), _o=meas["measure"].map(order))
        .sort_values(["_p", "month", "_o"], kind="mergesort")
        .drop(columns=["_p", "_o"])
        .reset_index(drop=True)
    )
    return build_study(), structure["patients"], meas, structure["events"], attempt


def build_demo() -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo trial: (study dict, patients, measurements, events). Deterministic."""
    study, patients, meas, events, _ = _generate()
    return study, patients, meas, events


def _format_value(code: str, value: float) -> str:
    d = DECIMALS[code]
    text = f"{value:.{d}f}"
    return "0" if float(text) == 0 and d == 0 else text


def write_demo(out_dir: pathlib.Path) -> None:
    """Write study.json, patients.csv, measurements.csv and events.csv into `out_dir`."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    study, patients, meas, events = build_demo()
    (out_dir / "study.json").write_text(
        json.dumps(study, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )

    patients = patients.copy()
    patients["lupus_nephritis"] = patients["lupus_nephritis"].map({True: "true", False: "false"})
    meas = meas.copy()
    meas["value"] = [_format_value(c, v) for c, v in zip(meas["measure"], meas["value"])]
    for name, frame in (("patients", patients), ("measurements", meas), ("events", events)):
        frame.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trial.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path("data"),
        help="output folder (default: data)",
    )
    args = parser.parse_args(argv)
    write_demo(args.out)
    print(f"demo trial written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
