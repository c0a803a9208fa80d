"""A small CDISC ADaM study written by hand for tests, with the traps real studies hold.

    folder = write_adam(tmp_path)                       # the study below, as CSV files
    frames = adam_frames(); frames["adsl"] = ...; write_adam(tmp_path, frames)

Study SMALL01: 12 subjects in ADSL, two sites.
- SF-1 and SF-2 are screen failures (ARM "Screen Failure", ARMCD SCRNFAIL; SAFFL, ITTFL N).
- S-01..S-10 are randomised (ITTFL Y): planned Placebo S-01..S-05, Drug S-06..S-10.
- S-03 was planned Placebo and received Drug; S-08 was planned Drug and never treated (no
  TRT01A, no first dose, SAFFL N). Safety population: 9 subjects, 4 on Placebo, 5 on Drug.
- ADSL has TRTSDTM (date and time of first dose) but no TRTSDT.
- S-05 died on 2020-03-15 (DTHFL Y, DTHDT); first dose 2020-01-05T09:30: study day 71.
- ADLB numbers visits (AVISITN 1 Screening, 2 Baseline, 3 Week 2, 4 Week 4, 5 Week 8); ADVS
  counts weeks (AVISITN 0, 2, 4, 8).
- ADTTE: TTAE (days), NEXAC (number of exacerbations, AVALU COUNT, CNSR empty) and OS (days):
  OS events for S-05 (who died in ADSL) and S-07 (no death in ADSL).
- ADAE: AEREL in several codings (PROBABLE, REMOTE, Y, N, NOT RELATED, DEFINITELY RELATED and
  an unknown code), AESEV MILD/MODERATE/SEVERE, one event before the first dose
  (TRTEMFL N), one serious event.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

RANDOMISED = [f"S-{i:02d}" for i in range(1, 11)]
SCREEN_FAILURES = ["SF-1", "SF-2"]
PLANNED = {**{p: "Placebo" for p in RANDOMISED[:5]}, **{p: "Drug" for p in RANDOMISED[5:]}}
ACTUAL = {**PLANNED, "S-03": "Drug", "S-08": ""}
FIRST_DOSE = {p: f"2020-01-{i + 1:02d}T09:30:00" for i, p in enumerate(RANDOMISED)}
FIRST_DOSE["S-08"] = ""


def adsl() -> pd.DataFrame:
    ids = RANDOMISED + SCREEN_FAILURES
    return pd.DataFrame(
        {
            "STUDYID": "SMALL01",
            "USUBJID": ids,
            "SITEID": ["101", "102"] * 6,
            "ARM": [PLANNED.get(p, "Screen Failure") for p in ids],
            "ARMCD": [PLANNED.get(p, "SCRNFAIL").upper()[:8] for p in ids],
            "TRT01P": [PLANNED.get(p, "") for p in ids],
            "TRT01A": [ACTUAL.get(p, "") for p in ids],
            "TRTSDTM": [FIRST_DOSE.get(p, "") for p in ids],
            "SAFFL": ["Y" if ACTUAL.get(p) else "N" for p in ids],
            "ITTFL": ["Y" if p in PLANNED else "N" for p in ids],
            "AGE": [34, 45, 51, 62, 70, 29, 38, 57, 66, 73, 41, 55],
            "AGEGR1": [
                "<65",
                "<65",
                "<65",
                "<65",
                ">=65",
                "<65",
                "<65",
                "<65",
                ">=65",
                ">=65",
                "<65",
                "<65",
            ],
            "SEX": ["F", "M"] * 6,
            "RACE": [
                "WHITE",
                "ASIAN",
                "WHITE",
                "BLACK",
                "WHITE",
                "ASIAN",
                "WHITE",
                "WHITE",
                "BLACK",
                "WHITE",
                "WHITE",
                "ASIAN",
            ],
            "DTHFL": ["Y" if p == "S-05" else "" for p in ids],
            "DTHDT": ["2020-03-15" if p == "S-05" else "" for p in ids],
        }
    )


ADLB_VISITS = [(1, "Screening"), (2, "Baseline"), (3, "Week 2"), (4, "Week 4"), (5, "Week 8")]
ADVS_VISITS = [(0, "Baseline"), (2, "Week 2"), (4, "Week 4"), (8, "Week 8")]
VISIT_DAY = {"Screening": -14, "Baseline": 1, "Week 2": 15, "Week 4": 29, "Week 8": 57}


def _bds(visits, paramcd: str, param: str, start: float, slope: float) -> pd.DataFrame:
    rows = []
    for k, pid in enumerate(RANDOMISED + SCREEN_FAILURES):
        if pid == "S-08" or pid in SCREEN_FAILURES:
            visits_of = [v for v in visits if v[1] in ("Screening",)] or visits[:1]
        else:
            visits_of = visits
        for n, label in visits_of:
            week = {"Screening": -2, "Baseline": 0}.get(label, None)
            week = int(label.split()[1]) if week is None else week
            drug = ACTUAL.get(pid) == "Drug"
            wobble = ((7 * k + 3 * week) % 5 - 2) * 0.5  # deterministic spread
            value = start + k + (slope if drug else 0.2) * week + wobble
            rows.append(
                {
                    "STUDYID": "SMALL01",
                    "USUBJID": pid,
                    "PARAMCD": paramcd,
                    "PARAM": param,
                    "AVISITN": n,
                    "AVISIT": label,
                    "ADY": VISIT_DAY[label],
                    "AVAL": round(value, 2),
                    "ABLFL": "Y" if label == "Baseline" else "",
                }
            )
    return pd.DataFrame(rows)


def adlb() -> pd.DataFrame:
    return _bds(ADLB_VISITS, "CREAT", "Creatinine (umol/L)", 80, -1.5)


def advs() -> pd.DataFrame:
    return _bds(ADVS_VISITS, "SYSBP", "Systolic Blood Pressure (mmHg)", 130, -2.0)


def adtte() -> pd.DataFrame:
    treated = [p for p in RANDOMISED if ACTUAL[p]]
    rows = []
    for k, pid in enumerate(treated):
        rows.append(
            {
                "USUBJID": pid,
                "PARAMCD": "TTAE",
                "PARAM": "Time to First Adverse Event",
                "AVAL": 10 + 7 * k,
                "AVALU": "DAYS",
                "CNSR": k % 2,
            }
        )
        rows.append(
            {
                "USUBJID": pid,
                "PARAMCD": "NEXAC",
                "PARAM": "Number of Exacerbations",
                "AVAL": k % 3,
                "AVALU": "COUNT",
                "CNSR": "",
            }
        )
        event = pid in ("S-05", "S-07")
        rows.append(
            {
                "USUBJID": pid,
                "PARAMCD": "OS",
                "PARAM": "Overall Survival",
                "AVAL": 71 if pid == "S-05" else 80 if pid == "S-07" else 120,
                "AVALU": "DAYS",
                "CNSR": 0 if event else 1,
            }
        )
    return pd.DataFrame(rows).assign(STUDYID="SMALL01")


# (subject, SOC, PT, AESEV, AESER, AEREL, ASTDY, TRTEMFL)
AE_ROWS = [
    ("S-01", "Gastrointestinal disorders", "Nausea", "MILD", "N", "PROBABLE", 3, "Y"),
    ("S-01", "Gastrointestinal disorders", "Nausea", "MODERATE", "N", "REMOTE", 20, "Y"),
    ("S-02", "Gastrointestinal disorders", "Diarrhoea", "MILD", "N", "N", 5, "Y"),
    ("S-03", "Gastrointestinal disorders", "Nausea", "SEVERE", "Y", "Y", 8, "Y"),
    ("S-04", "Nervous system disorders", "Headache", "MILD", "N", "NOT RELATED", -3, "N"),
    ("S-06", "Nervous system disorders", "Headache", "MODERATE", "N", "DEFINITELY RELATED", 9, "Y"),
    ("S-06", "Gastrointestinal disorders", "Nausea", "MILD", "N", "NONE", 12, "Y"),
    ("S-07", "Nervous system disorders", "Dizziness", "MILD", "N", "SOMETIMES", 4, "Y"),
    ("S-09", "Nervous system disorders", "Headache", "SEVERE", "N", "POSSIBLE", 30, "Y"),
]


def adae() -> pd.DataFrame:
    cols = ["USUBJID", "AEBODSYS", "AEDECOD", "AESEV", "AESER", "AEREL", "ASTDY", "TRTEMFL"]
    df = pd.DataFrame(AE_ROWS, columns=cols)
    return df.assign(STUDYID="SMALL01", AETERM=df["AEDECOD"].str.upper())


def adam_frames() -> dict[str, pd.DataFrame]:
    return {"adsl": adsl(), "adlb": adlb(), "advs": advs(), "adtte": adtte(), "adae": adae()}


def write_adam(folder: Path, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (frames or adam_frames()).items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder
