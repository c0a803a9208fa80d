"""Patient drill-down (issue 5): routing, pure builders, and callbacks called directly."""

import pytest
from dash import no_update

from app import create_app
from components import ids
from components.figures.cohort import swimmer_figure, swimmer_order
from components.figures.patient import (
    event_rows,
    measures_figure,
    outcome_rows,
    timeline_figure,
    value_rows,
)
from components.figures.text import plot_text as plain
from components.shell import pages, selection
from components.state import routes
from components.views import filters, patient, trajectories
from components.views import patients as patient_list
from trial.analysis.patients import group_medians, natural_key, neighbours, patient_record


@pytest.fixture(scope="module")
def app(demo_trial):
    return create_app(demo_trial)


def all_values(app):
    with app.server.test_request_context():
        return list(filters.reset_filters(1))


def only_responses(app, demo_trial, groups):
    values = all_values(app)
    values[1] = list(groups)
    return values


def texts(component) -> str:
    """All text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def find(component, id_):
    if isinstance(component, (list, tuple)):
        for c in component:
            hit = find(c, id_)
            if hit is not None:
                return hit
        return None
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    return find(children, id_) if children is not None and not isinstance(children, str) else None


# --- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/", ("dashboard", None)),
        (None, ("dashboard", None)),
        ("", ("dashboard", None)),
        ("/patients/9", ("patient", "9")),
        ("/patients/9/", ("patient", "9")),
        ("/patients/A%2F1", ("patient", "A/1")),
        ("/patients/", ("not_found", None)),
        ("/patients/1/2", ("not_found", None)),
        ("/patients/..%2F..%2Fetc", ("patient", "../../etc")),  # only ever looked up, never a path
        ("/patients/%ff", ("not_found", None)),
        ("/patients/" + "x" * 65, ("not_found", None)),
        ("/elsewhere", ("not_found", None)),
    ],
)
def test_route(path, expected):
    assert routes.route(path) == expected


def test_patient_path_round_trips_any_id():
    for pid in ("9", "A/1", "x y", "<b>", "é"):
        assert routes.route(routes.patient_path(pid)) == ("patient", pid)


def test_resolve_only_existing_patients(demo_trial):
    pids = demo_trial.patients["patient_id"]
    assert routes.resolve_patient("/patients/9", pids) == "9"
    assert routes.resolve_patient("/patients/99", pids) is None
    assert routes.resolve_patient("/patients/..%2F..%2Fetc", pids) is None


def test_router_toggles_visibility_only():
    assert pages.show_page("/") == (False, True)
    assert pages.show_page("/patients/9") == (True, False)
    assert pages.show_page("/nonsense") == (True, False)


# --- click-through ---------------------------------------------------------------------------


def test_clicked_patient_from_each_view():
    line = {"points": [{"curveNumber": 3, "pointNumber": 2, "customdata": "7"}]}
    summary_point = {"points": [{"curveNumber": 0, "pointNumber": 1, "x": 3, "y": 5}]}
    assert pages.clicked_patient(ids.TRAJ_GRAPH, line, None, None) == "7"
    assert pages.clicked_patient(ids.TRAJ_GRAPH, summary_point, None, None) is None
    assert pages.clicked_patient(ids.SWIMMER_GRAPH, None, line, None) == "7"
    assert (
        pages.clicked_patient(
            ids.PATIENT_GRID, None, None, {"colId": "center", "rowId": "12", "value": "x"}
        )
        == "12"
    )
    # The row's selection checkbox selects, it does not navigate.
    assert (
        pages.clicked_patient(
            ids.PATIENT_GRID, None, None, {"colId": "ag-Grid-SelectionColumn", "rowId": "12"}
        )
        is None
    )


def test_open_patient_callback(app):
    with app.server.test_request_context():
        path, traj_reset, swim_reset = pages.open_patient(
            {"points": [{"customdata": "9"}]}, None, None
        )
        assert path == "/patients/9" and traj_reset is None and swim_reset is no_update
        assert (
            pages.open_patient(None, None, {"colId": "center", "rowId": "12"})[0] == "/patients/12"
        )
        # An id that is not a patient does not navigate.
        assert pages.open_patient({"points": [{"customdata": "999"}]}, None, None)[0] is no_update


# --- patient page ----------------------------------------------------------------------------


def test_patient_9_shows_both_published_facts_and_the_warning(app):
    with app.server.test_request_context():
        page = patient.render_patient_page("/patients/9", *all_values(app))
    text = texts(page)
    assert "Patient 9" in text
    assert "MCR (day 186) — recorded after death" in text
    assert "Relapse" in text and "day 339" in text
    assert "day 7" in text and "Death" in text
    warnings = find(page, ids.PATIENT_WARNINGS)
    assert warnings is not None and "death is recorded on day 7" in texts(warnings)
    assert "published" in text


def test_patient_9_outcomes_are_published(demo_trial):
    rec = patient_record(demo_trial, "9")
    rows = {r["item"]: r for r in outcome_rows(rec)}
    assert rows["Best response"]["provenance"] == "published"
    assert rows["Relapse"]["provenance"] == "published"
    assert rows["Death"]["provenance"] == "published" and rows["Death"]["value"].startswith("day 7")
    notes = [r["note"] for r in event_rows(rec)]
    assert notes.count("recorded after death") == 2


def test_simulated_patient_says_so(app):
    with app.server.test_request_context():
        page = patient.render_patient_page("/patients/20", *all_values(app))
    note = find(page, ids.PATIENT_PROVENANCE_NOTE)
    assert note is not None and "simulated" in texts(note)
    assert find(page, ids.PATIENT_WARNINGS) is None


def test_unknown_and_malformed_ids_show_not_found_without_echo(app):
    with app.server.test_request_context():
        for path in (
            "/patients/999",
            "/patients/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "/patients/a/b",
            "/patients/%ff",
        ):
            page = patient.render_patient_page(path, *all_values(app))
            assert page.id == ids.PATIENT_NOT_FOUND
            text = texts(page)
            assert "Patient not found" in text and "script" not in text and "999" not in text
        # The way back keeps the dashboard's state (a link without it reads as a new state).
        page = patient.render_patient_page("/patients/999", *all_values(app), "?tab=survival")
        assert find(page, ids.PATIENT_BACK).href == "/?tab=survival"


def test_previous_next_follow_filters(app, demo_trial):
    values = only_responses(app, demo_trial, ["NR"])
    nr = [p for p in demo_trial.patients.loc[demo_trial.patients["response"] == "NR", "patient_id"]]
    nr = sorted(nr, key=natural_key)
    with app.server.test_request_context():
        page = patient.render_patient_page(f"/patients/{nr[1]}", *values)
    prev, nxt = find(page, ids.PATIENT_PREV), find(page, ids.PATIENT_NEXT)
    assert prev.href == f"/patients/{nr[0]}" and nxt.href == f"/patients/{nr[2]}"
    assert f"2 of {len(nr)}" in texts(page)


def test_neighbours_at_ends_and_outside_filters():
    all_ids = [str(i) for i in range(1, 13)]
    nb = neighbours(all_ids, ["2", "5", "10"], "2")
    assert (nb.previous, nb.next, nb.position, nb.count) == (None, "5", 1, 3)
    nb = neighbours(all_ids, ["2", "5", "10"], "7")  # outside the filters
    assert (nb.previous, nb.next, nb.position) == ("5", "10", None)


def test_natural_order():
    assert sorted(["10", "2", "1", "A2", "A10"], key=natural_key) == ["1", "2", "10", "A2", "A10"]


def test_measures_figure_has_patient_median_and_provenance(demo_trial):
    rec = patient_record(demo_trial, "4")
    fig = measures_figure(demo_trial, rec, group_medians(demo_trial, rec.group))
    names = {t.name for t in fig.data if t.showlegend is not False}
    assert "Median of MCR group (n = 13)" in names
    assert {"Patient 4: published value", "Patient 4: simulated value"} <= names
    symbols = {t.marker.symbol for t in fig.data if t.name and "value" in t.name}
    assert symbols == {"circle", "circle-open"}
    assert len(fig.layout.shapes) >= 5  # reference ranges


def test_value_rows_flag_and_provenance(demo_trial):
    rows = value_rows(demo_trial, patient_record(demo_trial, "4"))
    c3 = [r for r in rows if r["measure"] == "Complement C3" and r["month"] == 0][0]
    assert c3["flag"] == "below range" and c3["reference"] == "0.9–1.8"
    assert {r["provenance"] for r in rows} == {"published", "simulated"}


def test_timeline_marks_events_after_death(demo_trial):
    fig = timeline_figure(patient_record(demo_trial, "9"), list(demo_trial.study.visits))
    events = [t for t in fig.data if t.mode == "markers+text" and len(t.x) > 1][0]
    after = [t for t in events.text if "after recorded death" in t]
    assert len(after) == 2


def test_data_text_is_escaped_in_figures():
    assert plain("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"


# --- patient list, swimmer, selection ---------------------------------------------------------


def test_patient_list_rows_follow_filters(app, demo_trial):
    with app.server.test_request_context():
        rows, note = patient_list.update_patient_list("", *only_responses(app, demo_trial, ["MCR"]))
        assert note == ""
    assert len(rows) == 13 and {r["response"] for r in rows} == {"MCR"}
    r9 = [r for r in rows if r["patient_id"] == "9"][0]
    assert r9["death"] == "yes" and r9["relapse"] == "yes" and r9["base_sledai"] == 10


def test_swimmer_sorted_by_group_clickable_and_highlighted(demo_trial):
    order = swimmer_order(demo_trial.patients)
    groups = demo_trial.patients.set_index("patient_id").loc[order, "response"].tolist()
    assert groups == sorted(groups, key=["MCR", "PCR", "NR"].index)
    fig = swimmer_figure(demo_trial.patients, demo_trial.events, ["9"])
    bars = [t for t in fig.data if t.type == "bar"]
    assert {t.name for t in bars} == {"MCR", "PCR", "NR"}
    assert sum(len(t.customdata) for t in bars) == 40
    mcr = [t for t in bars if t.name == "MCR"][0]
    i = list(mcr.customdata).index("9")
    assert mcr.marker.line.width[i] == 3 and sorted(set(mcr.marker.line.width)) == [0, 3]
    names = {t.name for t in fig.data}
    assert {
        "Relapse",
        "Death",
        "Adverse event",
        "Follow-up ongoing",
        "Response (MCR / PCR)",
    } <= names
    assert fig.layout.yaxis.type == "category"


def test_swimmer_empty():
    import pandas as pd

    fig = swimmer_figure(pd.DataFrame(columns=["patient_id", "response"]), pd.DataFrame())
    assert "No patients" in fig.layout.annotations[0].text


def test_selection_from_trajectories_grid_and_clear(app):
    lasso = {"points": [{"customdata": "5"}, {"customdata": "3"}, {"x": 1, "y": 2}]}
    with app.server.test_request_context():
        store, grid = selection.update_selection(
            lasso, None, None, None, [], [], trigger=ids.TRAJ_GRAPH
        )
        assert store == ["3", "5"] and grid == {"ids": ["3", "5"]}
        # The grid shows only patients 1-5 (filters): unticking 3 keeps the hidden 12 selected.
        rows = [{"patient_id": str(i)} for i in range(1, 6)]
        store, grid = selection.update_selection(
            None,
            None,
            [{"patient_id": "5"}],
            None,
            ["3", "5", "12"],
            rows,
            trigger=ids.PATIENT_GRID,
        )
        assert store == ["5", "12"] and grid is no_update
        # The grid echoing the selection it was given changes nothing.
        assert selection.update_selection(
            None, None, {"ids": ["5"]}, None, ["5", "12"], rows, trigger=ids.PATIENT_GRID
        ) == (no_update, no_update)
        # An empty box keeps the selection; the chip clears it.
        assert selection.update_selection(
            {"points": []}, None, None, None, ["5"], rows, trigger=ids.TRAJ_GRAPH
        ) == (no_update, no_update)
        assert selection.update_selection(
            None, None, None, 1, ["5"], rows, trigger=ids.SELECTION_CLEAR
        ) == ([], {"ids": []})


def test_chip():
    assert selection.update_chip([]) == ([], True)
    children, hidden = selection.update_chip(["3", "5"])
    assert not hidden and texts(children).startswith("2 selected")


def test_selected_lines_are_bold_in_trajectories(app):
    with app.server.test_request_context():
        fig, _, _ = trajectories.update_trajectories(
            ids.TAB_TRAJECTORIES,
            "sledai",
            "response",
            "mean_sd",
            "value",
            "paired_t",
            True,
            *all_values(app),
            ["3", "9"],
        )
    selected = [t for t in fig.data if t.name and t.name.endswith("selected patients")]
    assert {t.name for t in selected} == {"NR: selected patients", "MCR: selected patients"}
    assert all(t.line.width > 3 for t in selected)
    assert {c for t in selected for c in t.customdata if c is not None} == {"3", "9"}
    individual = [t for t in fig.data if t.name and t.name.endswith(": patients")]
    assert individual and all(t.line.width == 1 for t in individual)


def test_more_measures_are_drawn_on_demand_and_absent_pages_need_nothing(shared_data):
    """The pilot (about 50 lab parameters) offers further measures on its subject pages; the
    demo's pages have none, and the callback then has no component to serve (before: a plain
    id absent from the page was reported as an error in every browser)."""
    from dash.exceptions import PreventUpdate

    from components.views.patient import drawn_codes, render_more_measures
    from trial.loader import load_trial

    pilot = load_trial(shared_data / "cdiscpilot01")
    server = create_app(pilot).server
    pid = str(pilot.patients["patient_id"].iloc[0])
    _, rest = drawn_codes(pilot)
    with server.test_request_context():
        figures = render_more_measures([rest[:2]], routes.patient_path(pid))
        with pytest.raises(PreventUpdate):
            render_more_measures([], routes.patient_path(pid))  # a page without the dropdown
        with pytest.raises(PreventUpdate):
            render_more_measures([[]], routes.patient_path(pid))  # nothing chosen yet
    assert len(figures) == 1
    titles = " ".join(a.text for a in figures[0].layout.annotations)
    labels = [pilot.study.measure(c).label for c in rest[:2]]
    assert all(label in titles for label in labels), (labels, titles)
