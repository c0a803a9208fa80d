"""Synthetic trials of any size in the native format, for benchmarks and demonstrations.

    python -m trial simulate --patients 10000 --centers 20 --seed 1 --out /tmp/sim10k

Same family as the demo generator (`trial.demo`): the same visits, measures, units and
improvement profiles, with response groups in the published proportions (32.5 % MCR, 27.5 % PCR)
and death and relapse rates of the same order. Nothing here is published: every row is marked
`simulated`, `study.json` says `data_status: simulated` and the title says "Synthetic". The
generation is vectorised (no per-patient Python loop), so 100,000 patients take seconds, and
done in blocks of patients written as they are made (Parquet row groups, or CSV appended), so
memory does not grow with the number of patients: 10,000,000 need the memory of one block.

By default only the key measures are simulated (SLEDAI, proteinuria, creatinine, C3,
anti-dsDNA); `--all-measures` adds the others. Tables are written as Parquet (fast to load) or,
with `--format csv`, as CSV.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .demo import DECIMALS, MEASURES, PROFILE, VISITS, build_study

RESPONSE_P = {"MCR": 0.325, "PCR": 0.275, "NR": 0.40}
DEATH_P = 0.075
RELAPSE_P = 0.29  # of responders (7 of 24 in the trial)
STRENGTH = {"MCR": (0.75, 0.95), "PCR": (0.45, 0.65), "NR": (0.1, 0.4)}
KEY_CODES = tuple(m["code"] for m in MEASURES if m["key"])
# Baseline (log-normal median, sigma) and goal of each simulated measure.
BASELINE = {
    "sledai": (12.0, 0.3),
    "bilag": (13.0, 0.35),
    "bilag_renal": (3.0, 0.6),
    "bilag_hematological": (1.0, 0.8),
    "bilag_mucocutaneous": (3.0, 0.6),
    "proteinuria": (2.2, 0.5),
    "creatinine": (85.0, 0.25),
    "bun": (6.8, 0.25),
    "albumin": (30.0, 0.15),
    "c3": (0.58, 0.25),
    "c4": (0.10, 0.35),
    "ana": (640.0, 0.8),
    "anti_dsdna": (250.0, 0.7),
}
GOAL = {
    "sledai": 1.0,
    "bilag": 2.0,
    "bilag_renal": 0.0,
    "bilag_hematological": 0.0,
    "bilag_mucocutaneous": 0.0,
    "proteinuria": 0.3,
    "creatinine": 64.0,
    "bun": 5.0,
    "albumin": 41.0,
    "c3": 0.98,
    "c4": 0.2,
    "ana": 160.0,
    "anti_dsdna": 40.0,
}
PROFILE_OF = {
    "sledai": "sledai",
    "bilag": "bilag",
    "bilag_renal": "bilag",
    "bilag_hematological": "bilag",
    "bilag_mucocutaneous": "bilag",
    "proteinuria": "proteinuria",
    "creatinine": "renal_labs",
    "bun": "renal_labs",
    "albumin": "protein_labs",
    "c3": "protein_labs",
    "c4": "protein_labs",
    "ana": "serology",
    "anti_dsdna": "serology",
}
MISSING_P = 0.03
BLOCK = 100_000  # patients generated and written at a time (~2.7 million measurements)


def center_names(k: int) -> list[str]:
    return [f"Center {i + 1:02d}" for i in range(k)]


def simulate_patients(
    n: int, k: int, rng: np.random.Generator, first: int = 1, width: int = 6
) -> pd.DataFrame:
    """`n` patients numbered from `first` (ids S000001, ... padded to `width` digits)."""
    groups = rng.choice(list(RESPONSE_P), size=n, p=list(RESPONSE_P.values()))
    died = rng.random(n) < DEATH_P
    death_day = np.where(died, rng.integers(8, 366, n), -1)
    followup = np.where(died, death_day, rng.integers(366, 380, n))
    return pd.DataFrame(
        {
            "patient_id": [f"S{i:0{width}d}" for i in range(first, first + n)],
            "center": np.array(center_names(k))[rng.integers(0, k, n)],
            "last_followup_day": followup,
            "age": np.clip(np.round(rng.normal(33, 10, n)), 15, 70).astype(int),
            "sex": np.where(rng.random(n) < 0.9, "F", "M"),
            "disease_duration_months": np.clip(np.round(rng.gamma(2.0, 30, n)), 6, 400).astype(int),
            "lupus_nephritis": rng.random(n) < 0.82,
            "provenance": "simulated",
            "_group": groups,
            "_death_day": death_day,
        }
    )


def simulate_events(p: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(p)
    ids = p["patient_id"].to_numpy()
    alive_at = p["last_followup_day"].to_numpy()
    responder = p["_group"].to_numpy() != "NR"
    response_day = np.array([30, 91, 182])[rng.integers(0, 3, n)]
    responds = responder & (response_day < alive_at)
    relapse_day = response_day + rng.integers(30, 200, n)
    relapses = responds & (rng.random(n) < RELAPSE_P) & (relapse_day < alive_at)
    died = p["_death_day"].to_numpy() >= 0
    frames = [
        pd.DataFrame({"patient_id": ids, "day": 0, "event": "infusion", "term": "UC-MSC"}),
        pd.DataFrame({"patient_id": ids, "day": 7, "event": "infusion", "term": "UC-MSC"}).loc[
            alive_at >= 7
        ],
        pd.DataFrame(
            {
                "patient_id": ids[responds],
                "day": response_day[responds],
                "event": "response",
                "term": p["_group"].to_numpy()[responds],
            }
        ),
        pd.DataFrame(
            {
                "patient_id": ids[relapses],
                "day": relapse_day[relapses],
                "event": "relapse",
                "term": "",
            }
        ),
        pd.DataFrame(
            {
                "patient_id": ids[died],
                "day": p["_death_day"].to_numpy()[died],
                "event": "death",
                "term": "Death",
                "severity": "SAE",
                "related": "no",
            }
        ),
    ]
    events = pd.concat(frames, ignore_index=True)
    for col, default in (("severity", ""), ("related", "")):
        events[col] = events[col].fillna(default) if col in events else default
    events["provenance"] = "simulated"
    return events.sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True)


def simulate_measurements(
    p: pd.DataFrame, codes: tuple[str, ...], rng: np.random.Generator
) -> pd.DataFrame:
    """All patients × visits × measures at once; values move from baseline toward a goal."""
    n = len(p)
    lo = np.array([STRENGTH[g][0] for g in p["_group"]])
    hi = np.array([STRENGTH[g][1] for g in p["_group"]])
    strength = rng.uniform(lo, hi)
    ln = p["lupus_nephritis"].to_numpy()
    end = p["last_followup_day"].to_numpy()
    # Baselines are drawn once per measure and shared by every visit.
    base_of = {
        code: rng.lognormal(np.log(BASELINE[code][0]), BASELINE[code][1], n) for code in codes
    }
    # The study's plausible range of each measure: lognormal tails pass it at a million patients
    # (a proteinuria above 30 g/24 h), and the app rightly refuses values outside it.
    bounds = {m["code"]: (m.get("min"), m.get("max")) for m in build_study()["measures"]}
    out = []
    for month, _, target in VISITS:
        day = np.zeros(n, int) if month == 0 else target + rng.integers(-4, 5, n)
        seen = (day <= end) if month else np.ones(n, bool)
        for code in codes:
            base = base_of[code]
            frac = strength * PROFILE[PROFILE_OF[code]][month]
            if month:
                frac = frac + rng.normal(0, 0.08, n)
            value = base + frac * (GOAL[code] - base)
            if month:
                value = value * np.exp(rng.normal(0, 0.05, n))
            keep = seen & ((month == 0) | (rng.random(n) >= MISSING_P))
            if code == "proteinuria":
                keep &= ln
            out.append(
                pd.DataFrame(
                    {
                        "patient_id": p["patient_id"].to_numpy()[keep],
                        "month": month,
                        "day": day[keep],
                        "measure": code,
                        "value": _within(value[keep], bounds.get(code, (None, None)), code),
                        "provenance": "simulated",
                    }
                )
            )
    return pd.concat(out, ignore_index=True)


def _within(values: np.ndarray, bounds: tuple, code: str) -> np.ndarray:
    """Values rounded as recorded and held inside the study's plausible range (and >= 0)."""
    low, high = bounds
    low = 0.0 if low is None else max(float(low), 0.0)
    return np.round(np.clip(values, low, np.inf if high is None else float(high)), DECIMALS[code])


def simulated_study(n: int, k: int, codes: tuple[str, ...]) -> dict:
    study = build_study()
    study.update(
        title=f"Synthetic trial: {n:,} patients in {k} centers (demo-family simulation)",
        short_title=f"Synthetic trial ({n:,} patients)",
        registry_id="",
        citation="",
        data_status="simulated",
        data_note="Every value is synthetic, generated for benchmarks; nothing is published.",
        centers=center_names(k),
        measures=[m for m in study["measures"] if m["code"] in codes],
    )
    return study


def _codes(all_measures: bool) -> tuple[str, ...]:
    return tuple(m["code"] for m in MEASURES) if all_measures else KEY_CODES


def simulate_blocks(
    n: int, k: int, seed: int, all_measures: bool = False, block: int = BLOCK
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """(patients, measurements, events) of consecutive blocks of at most `block` patients.

    One random stream runs through the blocks, so a trial of one block is the same as before
    blocks existed, and memory is bounded by the block, not by `n`."""
    rng = np.random.default_rng(seed)
    codes = _codes(all_measures)
    width = max(6, len(str(n)))
    for first in range(1, n + 1, block):
        patients = simulate_patients(min(block, n + 1 - first), k, rng, first, width)
        events = simulate_events(patients, rng)
        measurements = simulate_measurements(patients, codes, rng)
        yield patients.drop(columns=["_group", "_death_day"]), measurements, events


def simulate(n: int, k: int, seed: int, all_measures: bool = False, block: int = BLOCK):
    """(study dict, patients, measurements, events) of a synthetic trial, in memory."""
    blocks = list(simulate_blocks(n, k, seed, all_measures, block))
    return (
        simulated_study(n, k, _codes(all_measures)),
        *(pd.concat(parts, ignore_index=True) for parts in zip(*blocks)),
    )


class _TableWriter:
    """One table written block by block: Parquet row groups (`ParquetWriter`) or CSV appended
    after one header."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = path, fmt
        self.rows = 0
        self._started = False  # the CSV header is written once, even if a block is empty
        self._parquet: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "csv":
            frame.to_csv(
                self.path, mode="a", header=not self._started, index=False, lineterminator="\n"
            )
            self._started = True
        else:
            if self._parquet is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            else:  # every block in the first block's types (an empty block infers none)
                table = pa.Table.from_pandas(frame, schema=self._parquet.schema)
            self._parquet.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def write_simulation(
    out: Path,
    n: int,
    k: int,
    seed: int,
    fmt: str = "parquet",
    all_measures: bool = False,
    block: int = BLOCK,
) -> dict[str, int]:
    """Write the trial to the folder `out` block by block (10,000,000 patients fit in the
    memory of one block); the number of rows written per table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    study = simulated_study(n, k, _codes(all_measures))
    (out / "study.json").write_text(
        json.dumps(study, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    names = ("patients", "measurements", "events")
    for name in names:
        for old in out.glob(f"{name}.*"):
            old.unlink()
    writers = [_TableWriter(out / f"{name}.{fmt}", fmt) for name in names]
    try:
        for frames in simulate_blocks(n, k, seed, all_measures, block):
            for writer, frame in zip(writers, frames):
                writer.write(frame)
    finally:
        for writer in writers:
            writer.close()
    return {name: writer.rows for name, writer in zip(names, writers)}
