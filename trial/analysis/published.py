"""Relapse "as published" beside "as estimated", for the demo's relapse endpoint.

The paper (Wang et al. 2014, abstract; trial-facts.md section 1) reports relapse as point counts
over the 24 responders (13 MCR + 11 PCR): 3 patients at the 9-month visit (12.5 %) and 4 at the
12-month visit (16.7 %), 7 in all, so each figure counts the patients whose relapse was recorded
at that visit (since the previous one). The dashboard estimates the cumulative incidence of
relapse (Aalen-Johansen, `trial.survival`): from day 0 (or the response), with censoring, death
before relapse as a competing event, and the rule that an event recorded after death is not
counted.
"""

from __future__ import annotations

import pandas as pd

from ..survival import analysis_flags, cif_landmarks, relapse_endpoint

# The trial these published numbers are of (shown beside the estimates of its data only).
REGISTRY_ID = "NCT01741857"
# Target days of the scheduled visits in the trial's protocol (month -> day).
VISIT_DAYS = {1: 30, 3: 91, 6: 182, 9: 273, 12: 365}


def relapses_by_month(patients, months) -> dict:
    """Cumulative relapses recorded by each visit's target day (e.g. 9 months = day 273)."""
    days = patients.loc[patients["relapse"], "relapse_day"].astype(float)
    return {str(m): int((days <= VISIT_DAYS.get(m, m * 30.4375)).sum()) for m in months}


PUBLISHED_RELAPSES = {9: 3, 12: 4}  # patients relapsing at the visit (abstract)
PUBLISHED_RESPONDERS = 24
EXPLANATION = (
    "The paper counts the patients whose relapse was recorded at each visit over all 24 "
    "responders (3 at 9 months, 4 more at 12 months); the estimate is the cumulative incidence "
    "of relapse by that day (Aalen-Johansen), which counts every relapse since the origin, "
    "allows for patients censored before the day and treats death before relapse as a "
    "competing event (and leaves out a relapse recorded after death)."
)


def published_vs_estimated(
    patients: pd.DataFrame, months=(9, 12), origin: str = "day0"
) -> pd.DataFrame:
    """One row per visit month: the published count and %, the same count in these data
    (relapses recorded since the previous month listed, and cumulative), over the recorded
    responders, and the Aalen-Johansen cumulative incidence with its 95 % CI at the visit's
    target day (`trial.summary.VISIT_DAYS`). Column `explanation` says how they differ."""
    months = list(months)
    cumulative = relapses_by_month(patients, months)
    responders = int(analysis_flags(patients)["responder_recorded"].sum())
    days = [float(VISIT_DAYS.get(m, m * 30.4375)) for m in months]
    cif = cif_landmarks(relapse_endpoint(patients, origin), days)
    rows, previous = [], 0
    for m, day, (_, est) in zip(months, days, cif.iterrows()):
        cum = cumulative[str(m)]
        pub = PUBLISHED_RELAPSES.get(m)
        rows.append(
            {
                "month": m,
                "day": day,
                "published_relapses": pub,
                "published_responders": PUBLISHED_RESPONDERS,
                "published_pct": None if pub is None else 100 * pub / PUBLISHED_RESPONDERS,
                "recorded_at_visit": cum - previous,
                "recorded_cumulative": cum,
                "recorded_responders": responders,
                "estimate_pct": 100 * est["estimate"],
                "lower_pct": 100 * est["lower"],
                "upper_pct": 100 * est["upper"],
                "at_risk": int(est["at_risk"]),
                "origin": origin,
                "explanation": EXPLANATION,
            }
        )
        previous = cum
    return pd.DataFrame(rows)
