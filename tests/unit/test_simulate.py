"""The synthetic-trial generator behind the benchmarks."""

import pandas as pd
import pytest

from trial.cli import main
from trial.loader import load_trial
from trial.simulate import simulate


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_simulated_trial_is_valid_and_says_it_is_synthetic(tmp_path, fmt):
    assert (
        main(
            [
                "simulate",
                "--patients",
                "300",
                "--centers",
                "5",
                "--seed",
                "7",
                "--out",
                str(tmp_path),
                "--format",
                fmt,
            ]
        )
        == 0
    )
    trial = load_trial(tmp_path)
    assert len(trial.patients) == 300 and len(trial.centers) == 5
    assert trial.study.is_simulated and "Synthetic" in trial.study.title
    assert set(trial.measurements["provenance"]) == {"simulated"}
    assert not [f for f in trial.findings if f.level == "error"]


def test_same_seed_same_trial_other_seed_other_trial():
    a = simulate(200, 3, seed=1)
    b = simulate(200, 3, seed=1)
    c = simulate(200, 3, seed=2)
    for x, y in zip(a[1:], b[1:]):
        pd.testing.assert_frame_equal(x, y)
    assert not a[2]["value"].equals(c[2]["value"])


def test_proportions_follow_the_trial():
    _, patients, measurements, events = simulate(20000, 10, seed=3)
    responses = events.loc[events["event"] == "response", "term"].value_counts() / len(patients)
    assert responses["MCR"] == pytest.approx(0.325, abs=0.02)
    assert responses["PCR"] == pytest.approx(0.275, abs=0.02)
    deaths = (events["event"] == "death").sum() / len(patients)
    assert deaths == pytest.approx(0.075, abs=0.01)
    # SLEDAI falls on average, as in the trial.
    sledai = measurements.loc[measurements["measure"] == "sledai"].groupby("month")["value"].mean()
    assert sledai[12] < sledai[0]
