"""Unit tests of the URL state (components/urlstate.py): round trips, bad values -> notices."""

from __future__ import annotations

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from components import ids
from components.shell import share
from components.state import urlstate as us


@pytest.fixture(scope="module")
def schema(demo_trial):
    return share.schema(demo_trial)


@pytest.fixture(scope="module")
def pids(demo_trial):
    return list(demo_trial.patients["patient_id"].astype(str))


def test_defaults_encode_to_an_empty_query(schema):
    assert us.encode_state(schema.default_values(), schema) == ""
    assert us.decode_query("", schema) == ({}, [])


def test_round_trip_of_a_full_state(schema, demo_trial, pids):
    centers = list(demo_trial.centers)
    values = schema.default_values()
    values.update(
        {
            ids.TABS: ids.TAB_SURVIVAL,
            ids.SURV_ENDPOINT: "cif",
            ids.SURV_ORIGIN: "response",
            ids.SURV_GROUP: "center",
            ids.SURV_UNIT: "days",
            ids.SURV_CI: False,
            ids.TRAJ_MEASURE: "bilag",
            ids.TRAJ_GROUP: "center",
            ids.TRAJ_STATISTIC: "median_iqr",
            ids.TRAJ_SCALE: "change",
            ids.TRAJ_TEST: "wilcoxon",
            ids.TRAJ_INDIVIDUAL: True,
            ids.FILTER_CENTER: centers[1:],
            ids.FILTER_RESPONSE: [],
            ids.FILTER_RELAPSE: "no",
            ids.FILTER_SEX: ["F"],
            ids.FILTER_LN: "yes",
            ids.FILTER_AGE: [20, 40],
            ids.SELECTION_STORE: pids[:3],
        }
    )
    query = us.encode_state(values, schema)
    assert query.startswith("?tab=survival&")
    assert "&group=center" in query and "t.group=center" in query  # active vs other view
    decoded, notices = us.decode_query(query, schema, pids)
    assert notices == []
    for cid, value in values.items():
        if cid == ids.FILTER_ARM:  # no arms in the demo: never written
            continue
        got = decoded.get(cid, schema.controls[cid].default if cid in schema.controls else None)
        assert got == value, cid


def test_example_link_of_the_issue(schema, demo_trial):
    center = demo_trial.centers[0]
    query = "?" + us.urlencode(
        [("tab", "survival"), ("endpoint", "cif"), ("group", "center"), ("center", center)]
    )
    values, notices = us.decode_query(query, schema)
    assert notices == []
    assert values == {
        ids.TABS: ids.TAB_SURVIVAL,
        ids.SURV_ENDPOINT: "cif",
        ids.SURV_GROUP: "center",
        ids.FILTER_CENTER: [center],
    }


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("?measure=NOPE", "Measure: “NOPE” is not offered"),
        ("?center=Atlantis", "Center filter: unknown value(s) ignored: Atlantis"),
        ("?age=abc", "Age filter: “abc” is not a range"),
        ("?age=90-99", "outside the data"),
        ("?ci=maybe", "not on/off"),
        ("?tab=settings", "Tab “settings” does not exist"),
        ("?colour=red", "Unknown parameter “colour”"),
        ("?sel=99999", "unknown patient id(s) ignored: 99999"),
        ("?slides=%%%", ""),
    ],
)
def test_bad_values_are_ignored_with_a_notice(schema, pids, query, fragment):
    values, notices = us.decode_query(query, schema, pids)
    if fragment:
        assert any(fragment in n for n in notices), notices
    # Ignored parameters leave the controls alone (the selection is emptied of unknown ids).
    assert values in ({}, {ids.SELECTION_STORE: []})


def test_partly_bad_values_keep_the_good_part(schema, demo_trial, pids):
    c = demo_trial.centers[2]
    values, notices = us.decode_query(
        "?"
        + us.urlencode(
            [
                ("center", c),
                ("center", "X"),
                ("group", "center"),
                ("measure", "bogus"),
                ("age", "10-30"),
                ("sel", pids[0]),
                ("sel", "<script>"),
            ]
        ),
        schema,
        pids,
    )
    assert values[ids.FILTER_CENTER] == [c]
    assert values[ids.TRAJ_GROUP] == "center"
    assert values[ids.FILTER_AGE] == [16, 30]  # limited to the data's range
    assert values[ids.SELECTION_STORE] == [pids[0]]
    assert ids.TRAJ_MEASURE not in values
    assert len(notices) == 4


def test_unreadable_or_huge_queries_never_raise(schema):
    for q in ("?%ff%fe=1", "?" + "a=1&" * 5000, "?=&&=", "?tab"):
        values, notices = us.decode_query(q, schema)
        assert isinstance(values, dict) and isinstance(notices, list)


def test_slides_round_trip_and_bad_slides(schema, demo_trial):
    from components.shell.presenter import current_spec

    base = schema.default_values()
    a = current_spec(
        {**base, ids.TABS: ids.TAB_SURVIVAL, ids.SURV_GROUP: "center", ids.FILTER_SEX: ["F"]}
    )
    b = current_spec({**base, ids.TRAJ_MEASURE: "bilag", ids.TRAJ_SCALE: "change"})
    text = us.encode_slides([a, b], schema)
    assert len(text) < 400 and text.replace("-", "").replace("_", "").isalnum()
    specs, notices = us.decode_slides(text, schema)
    assert notices == []
    assert specs == [a, b]
    assert us.decode_slides("not-base64!", schema)[0] == []
    assert us.decode_slides("not-base64!", schema)[1]
    bad = us.encode_slides([{**a, "view": "nope"}, b], schema)
    specs, notices = us.decode_slides(bad, schema)
    assert specs == [b] and notices


def test_a_slide_keeps_its_takeaway_in_the_link_and_old_links_still_open(schema):
    import base64
    import json
    import zlib

    from components.shell.presenter import current_spec
    from components.state.viewspec import MAX_TAKEAWAY, ViewSpec

    base = schema.default_values()
    plain = current_spec({**base, ids.TRAJ_MEASURE: "c3"})
    noted = {**plain, "takeaway": "C3 rises & stays up — 12 months, p < 0.001"}
    specs, notices = us.decode_slides(us.encode_slides([noted, plain], schema), schema)
    assert notices == [] and specs == [noted, plain]
    assert ViewSpec.from_dict(specs[0]).takeaway == noted["takeaway"]
    # A link made before takeaways existed: each slide a query without one.
    old_texts = [us.encode_spec(plain, schema)]
    old = base64.urlsafe_b64encode(zlib.compress(json.dumps(old_texts).encode())).decode()
    assert us.decode_slides(old.rstrip("="), schema) == ([plain], [])
    # A takeaway is one printable line of at most MAX_TAKEAWAY characters.
    odd = {**plain, "takeaway": "line one\nline\x00two " + "x" * 500}
    spec, _ = us.decode_spec(us.encode_spec(odd, schema), schema)
    assert spec["takeaway"].startswith("line one line two x") and "\n" not in spec["takeaway"]
    assert len(spec["takeaway"]) == MAX_TAKEAWAY


def test_patients_tab_is_a_table_slide_and_the_quality_tab_has_no_spec(schema):
    from components.shell.presenter import current_spec

    spec = current_spec({ids.TABS: ids.TAB_PATIENTS})
    assert spec is not None and spec["view"] == ids.VIEW_PATIENTS
    assert current_spec({ids.TABS: ids.TAB_QUALITY}) is None


def state_args(values: dict) -> list:
    """The state values in the order of us.STATE_IDS (the callbacks' inputs)."""
    return [values.get(cid) for cid in us.STATE_IDS]


def test_back_and_forward_reapply_the_whole_state_and_own_writes_do_not(demo_trial, schema, pids):
    from app import create_app

    defaults = {**schema.default_values(), ids.SELECTION_STORE: []}
    changed = {
        **defaults,
        ids.TABS: ids.TAB_SURVIVAL,
        ids.SURV_GROUP: "center",
        ids.FILTER_SEX: ["F"],
        ids.SELECTION_STORE: pids[:1],
    }
    with create_app(demo_trial).server.test_request_context():
        query, written = share.write_url(*state_args(changed), True, "/")
        assert query == written and "group=center" in query
        # dcc.Location reports the app's own write: nothing is applied again.
        with pytest.raises(PreventUpdate):
            share.apply_url(query, True, written, *state_args(changed))
        # Back to the first entry (no query): what the query omits goes back to its default.
        out = share.apply_url("", True, written, *state_args(changed))
        restored = dict(zip(us.STATE_IDS, out))
        assert restored == {cid: defaults.get(cid, no_update) for cid in us.STATE_IDS}
        assert out[-3:] == (no_update,) * 3  # presenter mode left as it is
        # The restored state encodes to the query it came from: no new history entry.
        assert share.write_url(*state_args(restored), True, "/")[0] == ""
        # Forward again: the changed state, whole.
        out = share.apply_url(query, True, "", *state_args(defaults))
        assert dict(zip(us.STATE_IDS, out)) == {
            cid: changed.get(cid, no_update) for cid in us.STATE_IDS
        }
