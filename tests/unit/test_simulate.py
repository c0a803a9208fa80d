"""The synthetic-trial generator behind the benchmarks."""

import pandas as pd
import pytest

from trial.cli import main
from trial.loader import load_trial
from trial.simulate import simulate, write_simulation


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


@pytest.mark.parametrize("block", [100_000, 3_000])
def test_proportions_follow_the_trial(block):
    """The same shape whether the patients are made in one block or several."""
    _, patients, measurements, events = simulate(20000, 10, seed=3, block=block)
    responses = events.loc[events["event"] == "response", "term"].value_counts() / len(patients)
    assert responses["MCR"] == pytest.approx(0.325, abs=0.02)
    assert responses["PCR"] == pytest.approx(0.275, abs=0.02)
    deaths = (events["event"] == "death").sum() / len(patients)
    assert deaths == pytest.approx(0.075, abs=0.01)
    # SLEDAI falls on average, as in the trial.
    sledai = measurements.loc[measurements["measure"] == "sledai"].groupby("month")["value"].mean()
    assert sledai[12] < sledai[0]


def test_values_stay_inside_the_studys_plausible_range(monkeypatch):
    """Before: lognormal tails passed the study's maximum at a million patients (5 proteinuria
    values above 30 g/24 h), so `trial simulate` wrote a trial the app refused. Here the tails
    are made wide on purpose (baselines far beyond the maximum, below the minimum)."""
    import trial.simulate as sim
    from trial.demo import build_study

    wide = {
        code: (median * (200 if code == "proteinuria" else 0.001), 1.5)
        for code, (median, _) in sim.BASELINE.items()
    }
    monkeypatch.setattr(sim, "BASELINE", wide)
    _, _, measurements, _ = simulate(2_000, 4, 1)
    bounds = {m["code"]: (m.get("min"), m.get("max")) for m in build_study()["measures"]}
    proteinuria = measurements.loc[measurements["measure"] == "proteinuria", "value"]
    assert (proteinuria == bounds["proteinuria"][1]).any()  # the tail reached the maximum
    for code, values in measurements.groupby("measure")["value"]:
        low, high = bounds[code]
        assert values.min() >= max(low or 0, 0), code
        assert high is None or values.max() <= high, code


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_trial_written_block_by_block_is_whole_and_valid(tmp_path, fmt):
    """Blocks of 400 patients: ids run on across blocks, every table is complete (as the same
    blocks made in memory), and the trial loads without errors."""
    counts = write_simulation(tmp_path, 1_000, 3, seed=4, fmt=fmt, block=400)
    _, patients, measurements, events = simulate(1_000, 3, seed=4, block=400)
    assert counts == {
        "patients": len(patients),
        "measurements": len(measurements),
        "events": len(events),
    }
    trial = load_trial(tmp_path)
    assert trial.patients["patient_id"].is_unique and len(trial.patients) == 1_000
    assert not [f for f in trial.findings if f.level == "error"]
    if fmt == "parquet":
        for name, frame in (("patients", patients), ("measurements", measurements)):
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)
    assert len(trial.measurements) == len(measurements)
