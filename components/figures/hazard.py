"""What the survival view says about effects, as text and rows (pure): hazard ratios against the
reference with the proportional-hazards check, Gray's test, the guarantee-time warning and the
landmark's exclusions, and the paper's relapse counts beside the estimate.

A `SurvivalResult` in (trial.analysis.survival, which computes everything); strings and plain
rows out, for the tab, its exports and the method panel alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trial.analysis.display import format_p
from trial.analysis.records import records
from trial.analysis.survival import SurvivalResult

HR_COLUMN = "HR (95 % CI)"
NOT_ESTIMABLE = "not estimable"


def number(x, digits: int = 2) -> str:
    """A ratio to `digits` decimals (3 significant digits from 10 on); "–" if missing."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:.{digits}f}" if abs(x) < 10 else f"{x:.3g}"


def hr_text(hr, lower, upper) -> str:
    """E.g. "1.62 (0.15–17.9)"."""
    if hr is None or not np.isfinite(hr):
        return NOT_ESTIMABLE
    return f"{number(hr)} ({number(lower)}–{number(upper)})"


def p_value(p) -> str:
    return format_p(p, bare=True)


def _p_clause(p) -> str:
    text = p_value(p)
    return "p not computable" if text == "–" else f"p {text}" if text[0] == "<" else f"p = {text}"


# --- Hazard ratios ----------------------------------------------------------------------------


def what_ratio(result: SurvivalResult) -> str:
    """ "Hazard ratio" or, for the cumulative incidence, "Cause-specific hazard ratio"."""
    return (
        "Cause-specific hazard ratio of relapse (deaths censored)"
        if result.endpoint.cif
        else "Hazard ratio"
    )


def ratios_heading(result: SurvivalResult) -> str:
    """The table's heading: "Hazard ratios", or the cause-specific ones of relapse."""
    return (
        "Cause-specific hazard ratios of relapse (deaths censored)"
        if result.endpoint.cif
        else "Hazard ratios"
    )


def hazard_caption(result: SurvivalResult) -> str:
    """What the table holds: the model, its reference, strata and covariates."""
    hz = result.hazard
    if hz is None:
        return ""
    parts = [
        f"{what_ratio(result)} against {hz.cox.reference} (Cox, Efron ties, Wald 95 % CI and p)"
    ]
    if hz.strata:
        parts.append("stratified by center")
    if hz.covariates:
        parts.append("adjusted for " + ", ".join(hz.covariates))
    return " · ".join(parts) + "."


def hazard_rows(result: SurvivalResult) -> list[dict]:
    """Display rows: the reference first, then each group's HR, p and why it has none."""
    hz = result.hazard
    if hz is None:
        return []
    ref = hz.cox.reference
    counts = result.summary.set_index("group")
    ref_n = ref_events = ""
    if ref is not None and ref in counts.index:
        ref_n, ref_events = (str(int(counts[c].loc[ref])) for c in ("n", "events"))
    rows = [
        {
            "Group": ref,
            "n": ref_n,
            "Events": ref_events,
            HR_COLUMN: "1 (reference)",
            "p": "",
            "Note": "",
        }
    ]
    for r in records(hz.levels):
        rows.append(
            {
                "Group": r["level"],
                "n": str(r["n"]),
                "Events": str(r["events"]),
                HR_COLUMN: hr_text(r["hr"], r["lower"], r["upper"]),
                "p": p_value(r["p"]),
                "Note": r["note"] or "",
            }
        )
    return rows


def hazard_line(result: SurvivalResult) -> str | None:
    """One line for footnotes: "Hazard ratio vs MCR (Cox): PCR not estimable; NR 1.62
    (0.15–17.9), p = 0.711"."""
    hz = result.hazard
    if hz is None:
        return None
    parts = [
        f"{r['level']} {hr_text(r['hr'], r['lower'], r['upper'])}"
        + (f", {_p_clause(r['p'])}" if r["estimable"] else "")
        for r in records(hz.levels)
    ]
    extra = (" stratified by center" if hz.strata else "") + (
        " adjusted for " + ", ".join(hz.covariates) if hz.covariates else ""
    )
    return f"{what_ratio(result)} vs {hz.cox.reference} (Cox{extra}): " + "; ".join(parts) + "."


def ph_line(result: SurvivalResult) -> str | None:
    """The proportional-hazards check (Schoenfeld residuals, as R's cox.zph)."""
    hz = result.hazard
    if hz is None:
        return None
    glob = hz.ph_global
    if glob is None:
        return "Proportional hazards: not checked (no model could be fitted)."
    verdict = (
        "the hazard ratio may change over time"
        if glob["p"] is not None and glob["p"] < 0.05
        else "no evidence that the hazard ratio changes over time"
    )
    return (
        f"Proportional hazards (Schoenfeld residuals, cox.zph): global χ² = "
        f"{glob['chisq']:.2f}, df = {glob['df']}, {_p_clause(glob['p'])}: {verdict}."
    )


def model_messages(result: SurvivalResult) -> list[str]:
    """Why a group has no hazard ratio, what was left out of the model, convergence."""
    hz = result.hazard
    if hz is None:
        return []
    return list(dict.fromkeys(m[:1].upper() + m[1:] for m in (*hz.messages, *hz.cox.messages)))


# --- Tests ----------------------------------------------------------------------------------------


def gray_line(result: SurvivalResult) -> str | None:
    g = result.gray
    if g is None:
        return None
    strata = " stratified by center" if result.hazard and result.hazard.strata else ""
    head = (
        f"Gray's test{strata} (cumulative incidence of relapse, death a competing event) "
        f"across {len(g.groups)} groups"
    )
    if not np.isfinite(g.statistic):
        return f"{head}: not computable ({g.message})."
    return f"{head}: χ² = {g.statistic:.2f}, df = {g.df}, {_p_clause(g.p)}."


# --- Guarantee time and landmark ------------------------------------------------------------------


def landmark_line(result: SurvivalResult) -> str | None:
    lm = result.landmark
    if lm is None:
        return None
    ex = {r["reason"].split(" on or before")[0]: r["n"] for r in records(lm.excluded)}
    return (
        f"Landmark at month {lm.months} (day {lm.day:g}): the groups are the status reached "
        f"by then and the curves start there. Left out: {ex.get('event', 0)} with the event "
        f"and {ex.get('censored', 0)} censored on or before the landmark; {lm.n} patients "
        f"analysed, of whom {lm.reached_later} reached the status later and count as "
        f"“{lm.not_label}”."
    )


def warnings(result: SurvivalResult) -> list[str]:
    """Said above the numbers: a grouping known only after the origin compared from the origin
    (guarantee-time bias), or the landmark analysis that avoids it; what does not apply."""
    out = list(result.notices)
    check = result.guarantee
    if result.landmark is not None:
        out.append(landmark_line(result) or "")
    elif check is not None and check.post_baseline:
        out.append(
            "Warning: " + check.message + " The Landmark option above does that at 3 or 6 months."
        )
    return out


# --- The paper's relapse counts beside the estimate --------------------------------------------


def published_lines(result: SurvivalResult) -> list[str]:
    """ "As published" next to "as estimated" for each visit the paper reports, and why they
    differ (only on this trial's data: `SurvivalResult.published`)."""
    t = result.published
    if t is None or t.empty:
        return []
    out = []
    for r in records(t):
        since = "day 0" if r["origin"] == "day0" else "the response"
        if r["estimate_pct"] is None:
            estimate = (
                f"not estimable {r['day']:g} days after {since} (beyond the follow-up "
                "of these responders)"
            )
        else:
            estimate = (
                f"{r['estimate_pct']:.1f} % (95 % CI {r['lower_pct']:.1f}–"
                f"{r['upper_pct']:.1f}) {r['day']:g} days after {since}"
            )
        out.append(
            f"Month {r['month']}: published {r['published_relapses']} of "
            f"{r['published_responders']} responders ({r['published_pct']:.1f} %, relapses "
            f"recorded at that visit) · estimated cumulative incidence: {estimate}, all "
            "responders."
        )
    out.append(str(t["explanation"].iloc[0]))
    return out


# --- Numbers for the exports -------------------------------------------------------------------


def effects_frame(result: SurvivalResult) -> pd.DataFrame:
    """Hazard ratios, the PH test, Gray's test and the published counts as CSV-ready rows (a
    `section` column; the same values the tab shows, unrounded)."""
    parts = []
    hz = result.hazard
    if hz is not None:
        lv = hz.levels.assign(
            section="hazard ratio",
            strata=hz.strata or "",
            covariates=", ".join(hz.covariates),
            cause_specific=hz.cause_specific,
        )
        parts.append(lv)
        parts.append(hz.cox.ph_test.assign(section="proportional hazards (cox.zph)"))
    if result.gray is not None:
        g = result.gray.to_dict()
        parts.append(
            pd.DataFrame(
                [
                    {
                        "section": "Gray's test",
                        "statistic": g["statistic"],
                        "df": g["df"],
                        "p": g["p"],
                        "groups": ", ".join(g["groups"]),
                    }
                ]
            )
        )
    if result.published is not None:
        parts.append(
            result.published.drop(columns="explanation").assign(
                section="relapse as published vs estimated"
            )
        )
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["section"] + [c for c in out.columns if c != "section"]]
