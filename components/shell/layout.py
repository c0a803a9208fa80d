"""The page: header, honesty banner, filter sidebar, the tabs of the views and the patient page.

`page_layout(default, uploads)` is the app's layout function: the page of the request's dataset
(the browser's upload, else the app's own), built once per dataset and kept, per app, for the
few datasets in use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import dash_bootstrap_components as dbc
import flask
from dash import html

from trial.model import Trial
from trial.sessions import Dataset, SessionSettings

from .. import ids
from ..attrs import attrs
from ..context import GONE_ON_LOAD, SessionGone, current_dataset
from ..state.filters import dataset_choices
from ..views import (
    cards,
    effects,
    filters,
    patient,
    patients,
    quality,
    response,
    survival,
    tables,
    trajectories,
)
from . import appearance, pages, presenter, selection, share, upload

MAX_CACHED_PAGES = 8


def honesty_banner(dataset: Dataset) -> html.Div:
    """On every page: whether the patient-level values are real or simulated."""
    study = dataset.trial.study
    if study.is_simulated:
        return dbc.Alert(
            [
                html.Strong("Simulated demo data. "),
                html.Span(study.data_note or "Patient-level values are simulated."),
                html.Span(" They are not the trial's patient data."),
            ],
            color="warning",
            className="honesty-banner mb-2",
            id="honesty-banner",
        )
    return html.Div(
        f"Data: {dataset.name}",  # a name, never a server path
        className="data-source text-muted small mb-2",
        id="honesty-banner",
        hidden=dataset.uploaded,
    )  # the upload bar names it


def header(trial: Trial, uploads: bool) -> html.Div:
    study = trial.study
    subtitle = " · ".join(x for x in (study.registry_id, study.citation) if x)
    return html.Div(
        [
            html.Div(
                [
                    html.H1(study.title, className="app-title"),
                    html.Div(subtitle, className="app-subtitle"),
                ]
            ),
            html.Div(
                [upload.open_button(uploads), appearance.theme_switch()], className="header-actions"
            ),
        ],
        className="app-header",
    )


def tab_labels(trial: Trial) -> dict[str, str]:
    """Tabs named for what they hold in these data: relapse only where the data record
    responses, "Time to event" for endpoints given as data (ADaM ADTTE), subjects for ADaM,
    safety where adverse events are coded."""
    if trial.has_response or trial.has_relapse:
        survival_label = "Survival & relapse"
    elif trial.tte_endpoints:
        survival_label = "Time to event"
    else:
        survival_label = "Survival"
    adam = trial.study.source_format == "adam"
    return {
        ids.TAB_TRAJECTORIES: "Trajectories",
        ids.TAB_SURVIVAL: survival_label,
        ids.TAB_PATIENTS: "Subjects" if adam else "Patients",
        ids.TAB_TABLES: "Tables & safety" if not trial.adverse_events.empty else "Tables",
    }


def tabs(trial: Trial) -> dbc.Tabs:
    n_warnings = len(trial.warnings)
    quality_label = f"Data quality ({n_warnings})" if n_warnings else "Data quality"
    labels = tab_labels(trial)
    return dbc.Tabs(
        [
            dbc.Tab(
                trajectories.layout(trial),
                label=labels[ids.TAB_TRAJECTORIES],
                tab_id=ids.TAB_TRAJECTORIES,
            ),
            dbc.Tab(
                survival.layout(trial), label=labels[ids.TAB_SURVIVAL], tab_id=ids.TAB_SURVIVAL
            ),
            dbc.Tab(effects.layout(trial), label="Effects by subgroup", tab_id=ids.TAB_EFFECTS),
            dbc.Tab(response.layout(trial), label="Response", tab_id=ids.TAB_RESPONSE),
            dbc.Tab(
                patients.layout(trial), label=labels[ids.TAB_PATIENTS], tab_id=ids.TAB_PATIENTS
            ),
            dbc.Tab(tables.layout(trial), label=labels[ids.TAB_TABLES], tab_id=ids.TAB_TABLES),
            dbc.Tab(
                quality.layout(trial),
                label=quality_label,
                tab_id=ids.TAB_QUALITY,
                label_class_name="text-warning-emphasis" if n_warnings else "",
            ),
        ],
        id=ids.TABS,
        active_tab=ids.TAB_TRAJECTORIES,
    )


def build_layout(dataset: Dataset, uploads: SessionSettings | None = None) -> dbc.Container:
    """The page for one dataset; `uploads`: the settings of browser uploads, None when off."""
    trial = dataset.trial
    return dbc.Container(
        [
            header(trial, uploads is not None),
            upload.controls(dataset, uploads),
            honesty_banner(dataset),
            dbc.Row(
                [
                    dbc.Col(
                        [selection.layout(), filters.layout(trial, dataset_choices(dataset))],
                        md=3,
                        lg=2,
                        className="sidebar",
                    ),
                    dbc.Col(
                        [
                            share.notice(),
                            pages.layout(
                                [
                                    html.Div(
                                        [share.layout(), presenter.toolbar()],
                                        className="share-bar",
                                        id=ids.SHARE_BAR,
                                    ),
                                    cards.layout(),
                                    tabs(trial),
                                ],
                                patient.layout(),
                            ),
                        ],
                        md=9,
                        lg=10,
                    ),
                ]
            ),
            presenter.stores_and_modal(),
            html.Div(id=ids.PAGE_DATASET, hidden=True, **attrs({"data-key": dataset.key})),
        ],
        fluid=True,
        className="app-container",
        id=ids.APP_CONTAINER,
    )


class PageCache:
    """The pages of the few datasets in use, by dataset key (one per app, not global)."""

    def __init__(self, build: Callable[[Dataset], dbc.Container], size: int = MAX_CACHED_PAGES):
        self._build = build
        self._size = size
        self._pages: OrderedDict[str, dbc.Container] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, dataset: Dataset) -> dbc.Container:
        with self._lock:
            if dataset.key in self._pages:
                self._pages.move_to_end(dataset.key)
                return self._pages[dataset.key]
        built = self._build(dataset)
        with self._lock:
            self._pages[dataset.key] = built
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
        return built


def page_layout(default: Dataset, uploads: SessionSettings | None):
    """The layout function: the page of the request's dataset, built once per dataset.

    A browser whose uploaded dataset has gone gets the default page with a notice, and its
    session cookie is cleared."""
    cache = PageCache(lambda dataset: build_layout(dataset, uploads))

    def layout():
        dataset, notice = default, None
        if flask.has_request_context():  # Dash also calls it once at start, outside requests
            try:
                dataset = current_dataset()
            except SessionGone:
                notice = GONE_ON_LOAD
                flask.after_this_request(upload.without_session_cookie)
        return html.Div([upload.gone_notice(notice), cache.page(dataset)])

    return layout
