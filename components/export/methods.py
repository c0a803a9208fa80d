""" "How was this computed": the method behind each view (test, CI method, denominators,
exclusions) and a short Python snippet that reproduces its numbers from the data files.

Pure: options in, text out. Snippets embed data values (center names, codes) only through
`repr`, so the code is always a valid literal, and the dashboard shows it as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from trial.analysis.cohort import BOTH, NO_GROUP
from trial.analysis.mixed import ASSUMPTIONS
from trial.analysis.multiplicity import MIN_PAIRED
from trial.analysis.subgroups import AGE_GROUP, ForestResult, age_cut
from trial.analysis.survival import SurvivalResult
from trial.analysis.trajectories import MODEL, TrajectoryResult
from trial.filters import PatientFilter
from trial.model import Trial
from trial.stats import TEST_LABELS
from trial.tables import CI_METHOD

from ..figures.trajectory import STATISTIC_LABELS

DATA_DIR = "data"  # what the snippets call the trial folder; tests pass the demo folder


@dataclass(frozen=True)
class Method:
    lines: tuple[str, ...]
    snippet: str = ""


# --- Shared snippet parts -----------------------------------------------------------------------

_READ = """\
import numpy as np
import pandas as pd
from scipy import stats

DATA = {data!r}  # the trial folder (patients.csv, measurements.csv, events.csv)
patients = pd.read_csv(f"{{DATA}}/patients.csv", dtype={{"patient_id": str}})
values = pd.read_csv(f"{{DATA}}/measurements.csv", dtype={{"patient_id": str}})
events = pd.read_csv(f"{{DATA}}/events.csv", dtype={{"patient_id": str}})

# Best recorded response (MCR over PCR over NR) and relapse, from the events.
resp = events[events["event"] == "response"]
mcr = resp.loc[resp["term"] == "MCR", "patient_id"]
patients["response"] = np.where(patients["patient_id"].isin(mcr), "MCR",
                                 np.where(patients["patient_id"].isin(resp["patient_id"]),
                                          "PCR", "NR"))
patients["relapse"] = patients["patient_id"].isin(
    events.loc[events["event"] == "relapse", "patient_id"])
"""


# (column, PatientFilter field, comparison), in the order the snippet applies them.
_FILTER_SELECTIONS = (
    ("center", "centers", "isin"),
    ("arm", "arms", "isin"),
    ("response", "responses", "isin"),
    ("relapse", "relapse", "=="),
    ("sex", "sexes", "isin"),
    ("lupus_nephritis", "lupus_nephritis", "=="),
    ("age", "age_min", ">="),
    ("age", "age_max", "<="),
)


def _selection(column: str, op: str, value) -> str:
    if op == "isin":
        return f'patients = patients[patients["{column}"].isin({list(value)!r})]'
    shown = float(value) if column == "age" else value
    return f'patients = patients[patients["{column}"] {op} {shown!r}]'


def filter_lines(flt: PatientFilter) -> str:
    """The sidebar filters as pandas selections (nothing when all patients are selected)."""
    out = [
        _selection(column, op, getattr(flt, field))
        for column, field, op in _FILTER_SELECTIONS
        if getattr(flt, field) is not None
    ]
    if not out:
        return "# Filters: none (all patients).\n"
    return "# Filters of the sidebar.\n" + "\n".join(out) + "\n"


# --- Trajectories -------------------------------------------------------------------------------

_TRAJ_TEST = {
    "paired_t": '''\
def paired_p(before, after):
    """Paired t-test (scipy.stats.ttest_rel); undefined with n < 2 or constant differences."""
    d = after - before
    if len(d) < 2 or np.allclose(d, d[0]):
        return np.nan
    return stats.ttest_rel(after, before).pvalue
''',
    "wilcoxon": '''\
def paired_p(before, after):
    """Wilcoxon signed-rank test as R's wilcox.test: exact without ties or zeros (n < 50),
    else the normal approximation with continuity correction."""
    d = after - before
    if len(d) < 2 or np.all(d == 0):
        return np.nan
    nz = d[d != 0]
    if len(nz) < 50 and len(nz) == len(d) and len(np.unique(np.abs(nz))) == len(nz):
        return stats.wilcoxon(d, method="exact").pvalue
    return stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx").pvalue
''',
}

_TRAJ_BODY = """\
rows = []
for code in {codes!r}:
    v = values[(values["measure"] == code) & values["patient_id"].isin(patients["patient_id"])]
    population = {populations!r}.get(code)  # e.g. proteinuria: lupus nephritis patients only
    if population:
        v = v[v["patient_id"].isin(patients.loc[patients[population], "patient_id"])]
    base = v[v["month"] == 0].set_index("patient_id")["value"]
    v = v.assign(baseline=v["patient_id"].map(base))
    v["change"] = v["value"] - v["baseline"]
    v["pct_change"] = 100 * v["change"] / v["baseline"].where(v["baseline"] != 0)
    by = patients.set_index("patient_id")
    v["group"] = {group_expr}
    for (group, month), d in v.groupby(["group", "month"]):
        x = d[{scale!r}].dropna().to_numpy(float)
        n = len(x)
        sd = x.std(ddof=1) if n > 1 else np.nan
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        q1, median, q3 = np.percentile(x, [25, 50, 75]) if n else (np.nan,) * 3
        paired = d.dropna(subset=["value", "baseline"])
        p = np.nan if month == 0 else paired_p(paired["baseline"].to_numpy(float),
                                                paired["value"].to_numpy(float))
        rows.append(dict(measure=code, group=group, month=month, n=n,
                         mean=x.mean() if n else np.nan, sd=sd,
                         ci_low=x.mean() - half if n else np.nan,
                         ci_high=x.mean() + half if n else np.nan, median=median, q1=q1, q3=q3,
                         n_paired=0 if month == 0 else len(paired), p_vs_baseline=p))
result = pd.DataFrame(rows)
print(result.round(4).to_string(index=False))
"""


def _group_expr(group: str, labels: dict[str, str]) -> str:
    if group == NO_GROUP:
        return '"All"'
    if group == BOTH:
        return 'v["patient_id"].map(by["center"]) + " · " + v["patient_id"].map(by["response"])'
    col = group
    if col in labels:  # true/false columns read as "<Name>: yes / no"
        name = labels[col]
        return (
            f'v["patient_id"].map(by[{col!r}]).map({{True: {name + ": yes"!r}, '
            f"False: {name + ': no'!r}}})"
        )
    return f'v["patient_id"].map(by[{col!r}]).astype(str)'


def trajectory_method(
    trial: Trial, result: TrajectoryResult, statistic: str, data_dir: str = DATA_DIR
) -> Method:
    request = result.request
    codes, group, flt, n_patients = (
        result.codes,
        request.group,
        request.cohort.filter,
        result.n_patients,
    )
    test = TEST_LABELS[request.test]
    lines = [
        f"Summary per visit: {STATISTIC_LABELS[statistic]}"
        + (
            " (t-interval: mean ± t(0.975, n − 1) · SD / √n)"
            if statistic == "mean_ci"
            else " (quartiles by linear interpolation, as R's default type 7)"
            if statistic == "median_iqr"
            else " (SD with n − 1)"
        )
        + ".",
        f"Test against baseline: two-sided {test} at each visit, on the patients who have both "
        "that visit's value and a baseline value (n paired). " + _marks(request.adjust),
        f"Small numbers: no test where a group has fewer than {MIN_PAIRED} pairs at a visit "
        "(the exact Wilcoxon p-value cannot fall below 0.0625 with 5 pairs); points of fewer "
        f"than {MIN_PAIRED} patients are drawn faded.",
        f"Denominator: the {n_patients} selected patients ({flt.describe()}); n at each visit "
        "counts the patients with a value at that visit.",
        "Exclusions: patients without a baseline value are summarised but not tested; a "
        "measure restricted to a population (e.g. proteinuria: lupus nephritis) uses only "
        "those patients.",
    ]
    for code in codes:
        m = trial.study.measure(code)
        if m.population:
            lines.append(f"{m.label}: only patients with {m.population.replace('_', ' ')}.")
        if m.unit_assumed:
            lines.append(f"{m.label}: unit {m.unit} assumed (not published).")
    if request.scale != "value":
        lines.append(
            "Change from baseline = value − baseline; % change = 100 · change / baseline "
            "(undefined for a baseline of 0)."
        )
    if statistic == MODEL:
        lines += _model_lines(request.scale)
    if trial.study.is_simulated:
        lines.append("The data are simulated (demo): the numbers illustrate the method only.")
    bools = {
        c: c.replace("_", " ").capitalize()
        for c in trial.patients.columns
        if str(trial.patients[c].dtype) == "bool"
    }
    populations = {
        c: trial.study.measure(c).population for c in codes if trial.study.measure(c).population
    }
    snippet = (
        _READ.format(data=data_dir)
        + "\n"
        + filter_lines(flt)
        + "\n"
        + _TRAJ_TEST[request.test]
        + "\n"
        + _TRAJ_BODY.format(
            codes=list(codes),
            populations=populations,
            group_expr=_group_expr(group, bools),
            scale=request.scale,
        )
    )
    snippet += _SMALL.format(min=MIN_PAIRED)
    if request.adjust != "none":
        snippet += _ADJUST.format(method=_ADJUST_METHODS[request.adjust])
    if statistic == MODEL and request.scale in ("value", "change"):
        snippet += _MODEL.format(scale=request.scale)
    return Method(tuple(lines), snippet)


_ADJUST_METHODS = {"holm": "holm", "hochberg": "simes-hochberg"}
_SMALL = """
# Small numbers: no test with fewer than {min} pairs.
result.loc[(result["month"] != 0) & (result["n_paired"] < {min}), "p_vs_baseline"] = np.nan
"""
_ADJUST = """
# The adjustment across each group's follow-up visits (R p.adjust).
from statsmodels.stats.multitest import multipletests
result["p_adjusted"] = np.nan
for _, rows in result.groupby(["measure", "group"]):
    ok = rows["p_vs_baseline"].notna()
    if ok.any():
        result.loc[rows.index[ok], "p_adjusted"] = multipletests(
            rows.loc[ok, "p_vs_baseline"], method={method!r})[1]
print(result[["measure", "group", "month", "p_vs_baseline", "p_adjusted"]].to_string())
"""
_MODEL = """
# The mixed model (REML, random intercept per patient) with statsmodels, for the last measure
# of the loop above (`v`): the model the dashboard fits with its own profiled-REML optimiser
# (statsmodels agrees to about 1e-5). Estimated means: fixed-effect predictions per cell.
import statsmodels.formula.api as smf
d = v.dropna(subset=[{scale!r}, "group"])
change = {scale!r} == "change"
d = d[d["month"] != 0] if change else d
formula = {scale!r} + " ~ C(month) * C(group)" + (" + baseline" if change else "")
fit = smf.mixedlm(formula, d, groups=d["patient_id"]).fit(reml=True)
grid = pd.MultiIndex.from_product([sorted(d["month"].unique()), sorted(d["group"].unique())],
                                  names=["month", "group"]).to_frame(index=False)
if change:
    grid["baseline"] = d["baseline"].mean()
grid["estimated_mean"] = fit.predict(grid)
print(grid.to_string(index=False))
"""


def _marks(adjust: str) -> str:
    if adjust == "none":
        return "* marks p < 0.05; no correction for multiple visits or groups."
    name = {"holm": "Holm", "hochberg": "Hochberg"}[adjust]
    return (
        f"* marks p < 0.05 after {name}'s adjustment across the follow-up visits of each "
        "group (R p.adjust); groups are not adjusted for each other."
    )


def _model_lines(scale: str) -> list[str]:
    if scale not in ("value", "change"):
        return ["Model: not fitted on the % change scale."]
    form = (
        "change = visit × group + baseline value (the ANCOVA form), follow-up visits"
        if scale == "change"
        else "value = visit × group, every visit"
    )
    return [
        f"Estimated means: linear mixed model, {form}, random intercept per patient, REML; "
        "means per visit and group with 95 % CI (normal reference; the baseline covariate "
        "at its mean). As R nlme::lme(y ~ visit * group, random = ~ 1 | id).",
        "Model assumptions: " + ASSUMPTIONS,
    ]


# --- Tables -------------------------------------------------------------------------------------

_TABLES_BODY = """\
# Table 1 (age) and response rates with exact (Clopper-Pearson) 95 % CIs, by center and overall.
groups = [*patients.groupby("center", sort=False), ("Overall", patients)]
rows = []
for name, d in groups:
    age = d["age"].dropna()
    q1, median, q3 = np.percentile(age, [25, 50, 75]) if len(age) else (np.nan,) * 3
    row = dict(group=name, n=len(d), age_mean=age.mean(), age_sd=age.std(ddof=1),
               age_median=median, age_q1=q1, age_q3=q3,
               female=int((d["sex"] == "F").sum()),
               lupus_nephritis=int(d["lupus_nephritis"].sum()))
    for outcome, success in {"mcr": ["MCR"], "pcr": ["PCR"], "overall": ["MCR", "PCR"]}.items():
        k = int(d["response"].isin(success).sum())
        ci = stats.binomtest(k, len(d)).proportion_ci(method="exact") if len(d) else None
        row[f"{outcome}_k"] = k
        row[f"{outcome}_ci_low"] = 100 * ci.low if ci else np.nan
        row[f"{outcome}_ci_high"] = 100 * ci.high if ci else np.nan
    rows.append(row)
result = pd.DataFrame(rows)
print(result.round(2).to_string(index=False))

# Table 2: adverse events and deaths of the selected patients, as recorded.
ae = events[events["event"].isin(["adverse_event", "death"])
            & events["patient_id"].isin(patients["patient_id"])]
print(ae[["patient_id", "term", "severity", "day", "related"]].to_string(index=False))
"""


def tables_method(
    trial: Trial, flt: PatientFilter, n_patients: int, data_dir: str = DATA_DIR
) -> Method:
    lines = [
        f"Denominator: the {n_patients} selected patients ({flt.describe()}), by center and "
        "overall. Percentages of categorical characteristics use the patients whose value is "
        "known.",
        "Continuous characteristics: mean ± SD (n − 1) and median (IQR; quartiles by linear "
        "interpolation, R's default type 7). Baseline measures are the month-0 values, in the "
        "measure's population (proteinuria: lupus nephritis patients); [n = k] marks missing "
        "values.",
        f"Response rates: best response as recorded (MCR over PCR), over all selected patients "
        f"(deaths and non-responders count as non-response); 95 % CI {CI_METHOD}, as R's "
        "binom.test.",
        "Adverse events: every adverse event and death recorded, as reported (Table 2 style); "
        "counts by term give events, patients with the event and their % of the selected "
        "patients.",
    ]
    if trial.study.is_simulated:
        lines.append("The data are simulated (demo) except the values marked published.")
    snippet = _READ.format(data=data_dir) + "\n" + filter_lines(flt) + "\n" + _TABLES_BODY
    return Method(tuple(lines), snippet)


# --- Survival -----------------------------------------------------------------------------------

_SURV_DAYS = """\
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

def first_day(kind):
    return events[events["event"] == kind].groupby("patient_id")["day"].min()

ids = patients["patient_id"]
patients["response_day"] = ids.map(first_day("response")).astype(float)
patients["relapse_day"] = ids.map(first_day("relapse")).astype(float)
patients["death_day"] = ids.map(first_day("death")).astype(float)
patients["death"] = patients["death_day"].notna()
patients["followup_end_day"] = patients["death_day"].fillna(patients["last_followup_day"])
DAYS_PER_MONTH = 365.25 / 12
"""

_SURV_ENDPOINT = {
    "os": """\
# Overall survival: all selected patients, from day 0 to death (event) or last follow-up.
d = patients.assign(time=patients["followup_end_day"].astype(float),
                    event=patients["death"].astype(int))
""",
    "relapse": """\
# Relapse after response: responders alive at their response ("as analysed"); a relapse counts
# when it follows the response and is not after death. Competing event: death before relapse.
alive = lambda day: patients["death_day"].isna() | (day <= patients["death_day"])
responder = patients["response"].isin(["MCR", "PCR"]) & patients["response_day"].notna() \\
    & alive(patients["response_day"])
relapse = patients["relapse"] & patients["relapse_day"].notna() & responder \\
    & (patients["relapse_day"] > patients["response_day"]) & alive(patients["relapse_day"])
d = patients[responder].copy()
rel = relapse[responder]
end = np.maximum(d["followup_end_day"], d["response_day"]).where(~rel, d["relapse_day"])
d["status"] = np.where(rel, 1, np.where(d["death"], 2, 0))   # 1 relapse, 2 death, 0 censored
d["time"] = end - {origin}
d["event"] = {event}
""",
}

_SURV_BODY = """\
by = d.set_index("patient_id")
d["group"] = {group_expr}
{landmark}rows = []
for group, g in d.groupby("group", sort=False):
    if {cif}:
        fit = AalenJohansenFitter(calculate_variance=False).fit(g["time"], g["status"],
                                                                event_of_interest=1)
        curve = fit.cumulative_density_
    else:
        fit = KaplanMeierFitter().fit(g["time"], g["event"])
        curve = fit.survival_function_
    at = lambda t: float(curve[curve.index <= t].iloc[-1, 0])
    rows.append(dict(group=group, n=len(g), events=int((g["event"] == 1).sum()),
                     m6=at(6 * DAYS_PER_MONTH), m12=at(12 * DAYS_PER_MONTH)))
result = pd.DataFrame(rows)
print(result.round(4).to_string(index=False))
if d["group"].nunique() > 1:
    test = multivariate_logrank_test(d["time"], d["group"], d["event"] == 1)
    print(f"log-rank chi2 = {{test.test_statistic:.2f}}, p = {{test.p_value:.3f}}")
"""


def survival_method(
    trial: Trial, result: SurvivalResult, lines, data_dir: str = DATA_DIR
) -> Method:
    """The survival view's method (its notes) and, for the endpoints derived from the events
    (os, cif, rfs), a lifelines snippet that reproduces the landmark estimates and the log-rank
    test."""
    request = result.request
    endpoint, origin, group = request.endpoint, request.origin, request.group
    flt, n_patients = request.cohort.filter, result.n_patients
    lines = (
        list(lines)
        + [
            f"Denominator: the {n_patients} selected patients ({flt.describe()}).",
            "Landmarks at 6 and 12 months (1 month = 365.25 / 12 days): the step function's value "
            "at that time; survival (Kaplan-Meier) or cumulative incidence of relapse "
            "(Aalen-Johansen, death before relapse competing).",
        ]
        + _effect_lines(result)
    )
    if endpoint not in ("os", "cif", "rfs"):
        return Method(tuple(lines), _cox_snippet(result) if result.hazard else "")
    if endpoint == "os":
        body = _SURV_ENDPOINT["os"]
    else:
        body = _SURV_ENDPOINT["relapse"].format(
            origin='d["response_day"]' if origin == "response" else "0.0",
            event='(d["status"] == 1).astype(int)'
            if endpoint == "cif"
            else '(d["status"] != 0).astype(int)',
        )
    bools = {
        c: c.replace("_", " ").capitalize()
        for c in trial.patients.columns
        if str(trial.patients[c].dtype) == "bool"
    }
    group_expr = _group_expr(group, bools).replace('v["patient_id"]', 'd["patient_id"]')
    snippet = (
        _READ.format(data=data_dir)
        + _SURV_DAYS
        + "\n"
        + filter_lines(flt)
        + "\n"
        + body
        + _SURV_BODY.format(
            group_expr=group_expr, cif=endpoint == "cif", landmark=_landmark_snippet(result)
        )
        + (_cox_snippet(result) if result.hazard else "")
    )
    return Method(tuple(lines), snippet)


def _effect_lines(result: SurvivalResult) -> list[str]:
    """How the hazard ratios, Gray's test and the landmark were computed."""
    out = []
    if result.hazard is not None:
        what = (
            "cause-specific Cox model of relapse (deaths censored: the hazard of relapse "
            "among those still alive)"
            if result.endpoint.cif
            else "Cox proportional hazards model"
        )
        out.append(
            f"Hazard ratios: {what}, Efron ties (as R's coxph), each group against the "
            "reference, Wald 95 % CI exp(b ± 1.96 SE) and Wald p; a group without "
            "events has no finite HR (not estimable, left out of the model); "
            "stratified: a baseline hazard per center. Proportional hazards: score "
            "test on the scaled Schoenfeld residuals against 1 − KM(t), as R's cox.zph."
        )
    if result.gray is not None:
        out.append(
            "Gray's test (Gray 1988; as R cmprsk::cuminc, rho = 0): a K-sample test of "
            "the cumulative incidence of relapse with death as a competing event; the "
            "log-rank test beside it compares the cause-specific hazard instead."
        )
    if result.landmark is not None:
        lm = result.landmark
        out.append(
            f"Landmark analysis at month {lm.months} (day {lm.day:g}): patients with the "
            "event or censored on or before the landmark are left out; the groups are "
            "each patient's status on the landmark day; times are counted from it "
            "(Anderson, Cain & Gelber 1983)."
        )
    if result.published is not None:
        out.append(
            "Relapse as published: the paper's counts of relapses recorded at the 9- and "
            "12-month visits over its 24 responders, beside the Aalen-Johansen estimate "
            "for all responders of these data."
        )
    return out


_LANDMARK = """
# Landmark at day {day!r}: patients followed beyond it, grouped by their status on that day,
# time counted from it.
known = d["{known}"].astype(float)
d = d[d["time"] > {day!r}].copy()
d["time"] = d["time"] - {day!r}
d["group"] = d["group"].where(known[d.index] <= {day!r}, {not_label!r})
"""


def _landmark_snippet(result: SurvivalResult) -> str:
    lm = result.landmark
    if lm is None:
        return ""
    return _LANDMARK.format(day=lm.day, known=f"{result.request.group}_day", not_label=lm.not_label)


_COX = """
# Hazard ratios against {reference!r} (lifelines CoxPHFitter, Efron ties).
from lifelines import CoxPHFitter
x = pd.get_dummies(d["group"].astype(str)).drop(columns=[{reference!r}]).astype(float)
for c in {covariates!r}:
    col = d[c]
    x = x.join(col.astype(float) if col.dtype.kind in "if" else
               pd.get_dummies(col.astype(str), prefix=c, drop_first=True).astype(float))
x = x.loc[:, x.std() > 0]  # a group without patients here has no column
x["time"], x["event"] = d["time"], {event}
if {strata!r}:
    x["stratum"] = d["center"]
cox = CoxPHFitter().fit(x, "time", "event", strata=["stratum"] if {strata!r} else None)
print(cox.summary[["exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p"]])
"""


def _cox_snippet(result: SurvivalResult) -> str:
    hz = result.hazard
    event = {"cif": '(d["status"] == 1).astype(int)', "rfs": '(d["status"] != 0).astype(int)'}.get(
        result.request.endpoint, 'd["event"]'
    )
    return _COX.format(
        reference=hz.cox.reference,
        covariates=list(hz.covariates),
        strata=bool(hz.strata),
        event=event,
    )


# --- Effects by subgroup ------------------------------------------------------------------------


def effects_method(trial: Trial, result: ForestResult, data_dir: str = DATA_DIR) -> Method:
    """The forest plot's method: what each line estimates, the test per subgroup variable,
    who is in it (the selected patients of the outcome's population)."""
    request = result.request
    lines = [
        f"Outcome: {result.outcome_label}; {result.n_patients} patients "
        f"({request.cohort.filter.describe()})."
    ]
    kind = result.kind
    if kind == "hr":
        lines.append(
            f"Each line: Cox proportional hazards model (Efron ties) of the arm within "
            f"the subgroup level, hazard ratio against {result.reference} with Wald "
            "95 % CI and p; an arm without events in a level is not estimable."
        )
    elif kind in ("rd", "or"):
        lines.append(
            f"Each line: response (MCR or PCR) of the arm against {result.reference} "
            "within the subgroup level: risk difference with Newcombe's hybrid score "
            "interval (method 10) or odds ratio from a logistic regression with Wald "
            "95 % CI (not estimable with 0 % or 100 % responders in an arm)."
        )
    elif kind == "event_rate":
        lines.append(
            "Each line (single arm): events / n with the exact Clopper-Pearson 95 % CI "
            "(a crude proportion: censoring before the end of follow-up is ignored) "
            "and the Kaplan-Meier median with its log-log CI."
        )
    else:
        lines.append(
            "Each line (single arm): responders / n with the exact Clopper-Pearson "
            "95 % CI, as R's binom.test."
        )
    if result.compared:
        lines.append(
            "Interaction: likelihood-ratio test of arm × subgroup (model with the "
            "products against the model with main effects; interaction terms of "
            "empty cells dropped, as R does). Subgroup analyses are exploratory."
        )
    elif kind == "event_rate":
        lines.append(
            "Across the levels of each subgroup: log-rank test (descriptive, the "
            "subgroups are not randomised)."
        )
    cut = age_cut(trial)
    if cut is not None and AGE_GROUP in request.subgroups:
        lines.append(f"Age group: at or below the trial's median age ({cut} years) or above.")
    lines += list(result.warnings)
    if trial.study.is_simulated:
        lines.append("The data are simulated (demo): the numbers illustrate the method only.")
    return Method(tuple(lines))
