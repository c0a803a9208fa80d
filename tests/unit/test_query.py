"""The query layer (trial/query.py): per-cell moments and quantiles in SQL against pandas and
numpy (independent implementations), sums that do not depend on the order of the rows, and
request relations that do not outlive their query."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trial import query

QUARTILES = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """n, mean, SD and quartiles of `x` per group `g`, through the query layer."""
    engine = query.scratch_engine(rows=frame)
    sql = "WITH " + query.cells_sql("rows", "g", {"x": "x"}, "x", QUARTILES)
    got = engine.frame(sql).set_index("g").sort_index()
    out = query.moments(got, "x")
    for name, q in QUARTILES:
        out[name] = query.interpolate(got, name, q, "x_n")
    return out


@pytest.fixture
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n = 400
    x = np.round(rng.lognormal(2, 1, n), 2)
    x[rng.random(n) < 0.1] = np.nan  # missing values are left out, as pandas does
    return pd.DataFrame({"g": rng.choice(list("abcdefg"), n), "x": x})


def test_moments_and_quartiles_match_pandas(sample):
    got = cells(sample)
    by = sample.groupby("g")["x"]
    want = pd.DataFrame(
        {
            "n": by.count(),
            "mean": by.mean(),
            "sd": by.std(),
            "min": by.min(),
            "max": by.max(),
            "q1": by.quantile(0.25),
            "median": by.median(),
            "q3": by.quantile(0.75),
        }
    )
    assert got["n"].tolist() == want["n"].tolist()
    for col in ("min", "max", "q1", "median", "q3"):  # order statistics: to the last bit
        assert got[col].tolist() == want[col].tolist(), col
    for col in ("mean", "sd"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-14, err_msg=col)


def test_order_statistics_of_every_small_cell_size_match_pandas():
    """Ranks floor(q (n - 1)) + 1 and the next, for n = 1 to 12, ties and gaps included."""
    x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, 8.0]
    frame = pd.DataFrame({"g": [f"{n:02d}" for n in range(1, 13) for _ in range(n)]})
    frame["x"] = [x[i] for n in range(1, 13) for i in range(n)]
    got = cells(frame)
    by = frame.groupby("g")["x"]
    for name, q in QUARTILES:
        assert got[name].tolist() == by.quantile(q).tolist(), name


def test_quartiles_are_r_type_7():
    # R: quantile(c(1, 2, 4, 8), c(.25, .5, .75)) -> 1.75 3.00 5.00
    got = cells(pd.DataFrame({"g": "a", "x": [8.0, 1.0, 4.0, 2.0]})).iloc[0]
    assert (got["q1"], got["median"], got["q3"]) == (1.75, 3.0, 5.0)


def test_a_mean_at_a_rounding_boundary_is_the_compensated_one():
    # A plain left-to-right sum of these gives 6.975000000000001 ("6.98" to two decimals);
    # the exact sum over n is 6.975 ("6.97"), as pandas and numpy give it.
    # (the demo's baseline urea nitrogen at one center, Table 1)
    x = [7.5, 7.3, 6.6, 6.3, 8.7, 6.5, 5.6, 7.2, 11.0, 8.3, 6.4, 8.4, 5.4, 5.0, 5.2, 6.2]
    assert sum(x) / len(x) != np.mean(x)
    got = cells(pd.DataFrame({"g": "a", "x": x})).iloc[0]
    assert got["mean"] == np.mean(x) == pd.Series(x).mean()
    assert f"{got['mean']:.2f}" == f"{np.mean(x):.2f}"


def test_sums_do_not_depend_on_the_order_of_the_rows(sample):
    first = cells(sample)
    for seed in range(3):
        shuffled = sample.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(cells(shuffled), first, check_exact=True)


def test_sd_of_one_value_is_undefined_and_of_equal_values_zero():
    got = cells(pd.DataFrame({"g": ["one", "same", "same", "same"], "x": [1.0, 0.1, 0.1, 0.1]}))
    assert np.isnan(got.loc["one", "sd"]) and got.loc["one", "mean"] == 1.0
    assert got.loc["same", "sd"] == 0.0


def test_no_values_give_n_zero_and_missing_statistics():
    got = cells(pd.DataFrame({"g": ["a", "a"], "x": [np.nan, np.nan]})).iloc[0]
    assert got["n"] == 0
    assert np.isnan([got["mean"], got["sd"], got["median"], got["min"]]).all()


def test_a_request_relation_does_not_outlive_its_query():
    engine = query.scratch_engine(t=pd.DataFrame({"id": ["1", "2", "3"]}))
    cohort = pd.DataFrame({"id": ["2"]})
    sql = "SELECT count(*) AS n FROM t JOIN cohort USING (id)"
    assert engine.frame(sql, relations={"cohort": cohort})["n"].tolist() == [1]
    with pytest.raises(Exception, match="cohort"):
        engine.frame(sql)  # the next request on the same (pooled) connection sees no cohort
    # and the failed query's connection was not handed back: the next one works
    assert engine.frame(sql, relations={"cohort": cohort})["n"].tolist() == [1]


def test_parameters_a_query_does_not_name_are_left_out():
    engine = query.scratch_engine(t=pd.DataFrame({"v": [1, 2, 3]}))
    got = engine.frame("SELECT count(*) AS n FROM t WHERE v >= $low", {"low": 2, "m10": "x"})
    assert got["n"].tolist() == [2]


def test_postgres_relations_are_unnested_arrays_before_the_query_ctes():
    rel = pd.DataFrame({"patient_id": ["1", "2"], "grp": ["a", None], "flag": [True, False]})
    sql, params = query._with_relations(
        "WITH x AS (SELECT 1) SELECT * FROM x, cohort", {"cohort": rel}
    )
    assert sql.startswith(
        "WITH cohort(patient_id, grp, flag) AS (SELECT * FROM unnest(%(_cohort_0)s::text[], "
        "%(_cohort_1)s::text[], %(_cohort_2)s::boolean[])),  x AS (SELECT 1)"
    )
    assert params == {"_cohort_0": ["1", "2"], "_cohort_1": ["a", None], "_cohort_2": [True, False]}


def test_the_connection_setting_chooses_the_back_end(monkeypatch):
    monkeypatch.delenv(query.DATABASE_URL, raising=False)
    assert query.open_engine({}).backend == "duckdb"
    monkeypatch.setenv(query.DATABASE_URL, "postgresql://app@127.0.0.1:1/trials")
    assert query.open_engine({}).backend == "postgresql"  # connects only when first queried
