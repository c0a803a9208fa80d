"""The numbers on screen are the numbers of `python -m trial summary --json`: for every
endpoint and grouping of the Survival tab, and every grouping of the Trajectories tab, the
callbacks' figures and tables hold what the command line prints for the same request (all
patients), on the demo and on the CDISC pilot. Both read the analysis engine; this test keeps
them from drifting apart."""

from __future__ import annotations

import contextlib
import functools
import html
import io
import json

import numpy as np
import pytest

from app import create_app
from components import ids
from components.state.filters import FILTER_INPUTS
from components.views import survival, trajectories
from trial.analysis.cohort import NO_GROUP, group_options, survival_group_options
from trial.analysis.survival import endpoint_choices, endpoint_for
from trial.cli import main as cli_main
from trial.loader import load_trial

from conftest import DEMO, page_components


def cli_summary(path, by: str | None) -> dict:
    return json.loads(_cli_output(str(path), by))


@functools.lru_cache(maxsize=64)
def _cli_output(path: str, by: str | None) -> str:
    """The command's output, run once per study and grouping for every test of this module (a
    summary of the pilot fits every model of every endpoint: seconds each)."""
    args = ["summary", path, "--json"] + (["--by", by] if by else [])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(args) == 0
    return out.getvalue()


@pytest.fixture(scope="module", params=["demo", "pilot"])
def study(request):
    if request.param == "demo":
        path = DEMO
    else:
        path = request.getfixturevalue("shared_data") / "cdiscpilot01"
    trial = load_trial(path)
    app = create_app(trial)
    layout = page_components(app)
    values = [getattr(layout[i.component_id], i.component_property) for i in FILTER_INPUTS]
    return path, trial, app, values


def curves(fig) -> dict[str, list[float]]:
    """Step-curve y values by group (the legend reads "<group> (n = ...)")."""
    return {
        html.unescape(t.name.rsplit(" (n = ", 1)[0]): list(t.y)
        for t in fig.data
        if t.mode == "lines" and t.line.shape == "hv" and t.hovertext is not None
    }


def risk_numbers(fig) -> dict[tuple[str, str], list[int]]:
    return {
        tuple(html.unescape(t.name).rsplit(": ", 1)): [int(v) for v in t.text]
        for t in fig.data
        if t.mode == "text"
    }


ROW_KEYS = {"At risk": "at_risk", "Deaths": "competing", "Censored": "censored"}


def json_endpoint(summary: dict, trial, key: str) -> dict:
    ep = endpoint_for(trial, key)
    s = summary["survival"]
    return s["time_to_event"][ep.tte] if ep.tte else s[ep.json_key]


def test_survival_tab_equals_the_command_line(study):
    path, trial, app, values = study
    checked = 0
    for group in survival_group_options(trial):
        summary = cli_summary(path, None if group == NO_GROUP else group)
        for key in endpoint_choices(trial):
            unit = "days" if key.startswith("tte:") else "months"
            with app.server.test_request_context():
                fig, *_ = survival.update_survival(
                    ids.TAB_SURVIVAL, key, "day0", group, unit, True, *values
                )
            data = json_endpoint(summary, trial, key)
            groups = {g["group"]: g for g in data["groups"]}
            shown = curves(fig)
            assert set(shown) == {
                "All" if g == "All" else g for g, v in groups.items() if v["estimable"]
            }, (key, group)
            for g, ys in shown.items():
                np.testing.assert_allclose(
                    ys,
                    [r["estimate"] for r in groups[g]["table"]],
                    rtol=1e-12,
                    err_msg=f"{key} {group} {g}",
                )
            ep = endpoint_for(trial, key)
            for (g, row), numbers in risk_numbers(fig).items():
                column = dict(ep.risk_rows)
                name = {v: k for k, v in column.items()}[row]
                assert numbers == [r[name] for r in groups[g]["risk_table"]], (key, group, row)
            checked += 1
    assert checked >= len(survival_group_options(trial))


def trajectory_numbers(rows) -> dict:
    return {(r["group"], r["month"]): (r["n"], r["estimate"]) for r in rows}


def test_trajectories_tab_equals_the_command_line(study):
    path, trial, app, values = study
    codes = trial.measure_codes[:3]
    groups = [g for g in group_options(trial) if "+" not in g]
    for group in groups:
        summary = cli_summary(path, None if group == NO_GROUP else group)
        for code in codes:
            with app.server.test_request_context():
                fig, rows, _ = trajectories.update_trajectories(
                    ids.TAB_TRAJECTORIES,
                    code,
                    group,
                    "mean_sd",
                    "value",
                    "paired_t",
                    False,
                    *values,
                    [],
                )
            m = summary["measures"][code]
            visits = m["groups"] if group != NO_GROUP else {"All": m["visits"]}
            want = {
                (g, v["month"]): (v["n"], v["mean"], v["p_vs_baseline"])
                for g, vs in visits.items()
                for v in vs
            }
            got = {(r["group"], r["month"]): r for r in rows}
            assert set(got) == set(want), (code, group)
            for k, (n, mean, p) in want.items():
                assert got[k]["n"] == n
                assert got[k]["estimate"] == (None if mean is None else float(f"{mean:.3g}"))
                assert got[k]["p_vs_baseline"] == (None if p is None else float(f"{p:.4g}"))
            # the plotted means are the JSON's to full precision
            lines = {
                html.unescape(t.name): t
                for t in fig.data
                if t.mode == "lines+markers" and t.type == "scatter"
            }
            for g, vs in visits.items():
                means = [v["mean"] for v in vs if v["n"] > 0]
                np.testing.assert_allclose(list(lines[g].y), means, rtol=1e-12)


# --- The effect estimates: hazard ratios, Gray's test, model means, the forest ----------------

EFFECT_GROUP = {"demo": "response", "pilot": "arm"}


@pytest.fixture(scope="module")
def effects_summary(study):
    """The command line's summary grouped as the effect checks need (one run per study)."""
    path, trial, app, values = study
    by = "response" if trial.has_response else "arm"
    return by, cli_summary(path, by)


def test_hazard_ratios_on_screen_equal_the_command_line(study, effects_summary):
    from components.figures.hazard import hr_text, p_value

    path, trial, app, values = study
    by, summary = effects_summary
    for key in endpoint_choices(trial):
        unit = "days" if key.startswith("tte:") else "months"
        with app.server.test_request_context():
            out = survival.update_survival(ids.TAB_SURVIVAL, key, "day0", by, unit, True, *values)
        data = json_endpoint(summary, trial, key)
        shown = html.unescape(str(out[8]))
        hz = data["hazard_ratios"]
        assert f"against {hz['reference']}" in shown, key
        for level in hz["levels"]:
            assert f"Td('{level['level']}')" in shown or f'Td("{level["level"]}")' in shown
            assert hr_text(level["hr"], level["lower"], level["upper"]) in shown, (key, level)
            if level["estimable"]:
                assert p_value(level["p"]) in shown
        if data.get("gray"):
            g = data["gray"]
            assert f"χ² = {g['statistic']:.2f}, df = {g['df']}" in str(out[2])


def test_model_means_on_screen_equal_the_command_line(study, effects_summary):
    path, trial, app, values = study
    by, summary = effects_summary
    code = trial.key_measure_codes[0]
    for scale in ("value", "change"):
        with app.server.test_request_context():
            fig, rows, _ = trajectories.update_trajectories(
                ids.TAB_TRAJECTORIES,
                code,
                by,
                "model",
                scale,
                "paired_t",
                False,
                *values,
                [],
                "holm",
            )
        model = summary["measures"][code]["model"][scale]
        assert model["groups"], (code, scale)
        lines = {
            html.unescape(t.name): t
            for t in fig.data
            if t.mode == "lines+markers" and t.type == "scatter"
        }
        got = {(r["group"], r["month"]): r for r in rows}
        for g, visits in model["groups"].items():
            want = {v["visit"]: v["estimate"] for v in visits}
            drawn = dict(zip(lines[g].x, lines[g].y))  # x: visit (+ the group's dodge)
            np.testing.assert_allclose(
                sorted(v for v in drawn.values() if v is not None and np.isfinite(v)),
                sorted(want.values()),
                rtol=1e-12,
            )
            for month, est in want.items():
                assert got[(g, month)]["estimate"] == float(f"{est:.3g}")
        # the marks: the Holm-adjusted p-values of the command line
        for g, visits in summary["measures"][code]["groups"].items():
            for v in visits:
                row = got.get((g, v["month"]))
                if row and scale == "value":
                    assert row["p_adjusted"] == (
                        None if v["p_holm"] is None else float(f"{v['p_holm']:.4g}")
                    )


def test_forest_on_screen_equals_the_command_line(study, effects_summary):
    from components.views import effects

    path, trial, app, values = study
    by, summary = effects_summary
    forest = summary["effects_by_subgroup"]
    page_layout = page_components(app)
    outcome = page_layout[ids.EFFECTS_OUTCOME].value
    subgroups = [s for s in forest["subgroups"]]
    with app.server.test_request_context():
        fig, *_ = effects.update_effects(
            ids.TAB_EFFECTS,
            outcome,
            subgroups,
            forest["compare"] or "none",
            page_layout[ids.EFFECTS_REFERENCE].value,
            "rd",
            *values,
        )
    want = forest["outcomes"][outcome]["rows"]
    drawn = sorted(float(x) for t in fig.data if t.name != "rows" for x in t.x)
    np.testing.assert_allclose(
        drawn,
        sorted(r["estimate"] for r in want if r["estimable"] and r["estimate"] is not None),
        rtol=1e-12,
    )
    hit = [t for t in fig.data if t.name == "rows"][0]
    assert [list(c) for c in hit.customdata] == [[r["subgroup"], r["level"]] for r in want]
