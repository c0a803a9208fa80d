"""Every component id of the app, in one place. Ids are never built from data values."""

# Filters (sidebar)
FILTER_CENTER = "filter-center"
FILTER_RESPONSE = "filter-response"
FILTER_RELAPSE = "filter-relapse"
FILTER_SEX = "filter-sex"
FILTER_LN = "filter-lupus-nephritis"
FILTER_AGE = "filter-age"
FILTER_ARM = "filter-arm"
FILTER_RESET = "filter-reset"
# The analysis set and filters on any subject-level variable (components/views/filters.py)
FILTER_POPULATION = "filter-population"  # dropdown: the population (default: each view's)
FILTER_ARM_BASIS = "filter-arm-basis"  # radio: planned or actual arm (default: each view's)
FILTER_ANALYSIS = "filter-analysis"  # the section holding the two
FILTER_VARIABLES = "filter-variables"  # store: {column: {"values": [...]} | {"range": [lo, hi]}}
FILTER_VARIABLES_SHOWN = "filter-variables-shown"  # store: the filters the widgets show
FILTER_VARIABLE_CHOICES = "filter-variable-choices"  # store (static): the variables offered
FILTER_VARIABLE_ADD = "filter-variable-add"  # dropdown: add a filter on a variable
FILTER_VARIABLE_LIST = "filter-variable-list"  # the widgets of the added filters
# Pattern-matching ids {"type": FILTER_VAR_*, "index": i}, i: the variable's position in the
# trial's offered variables (never a value of the data).
FILTER_VAR_VALUES = "filter-var-values"  # checklist of a categorical variable
FILTER_VAR_RANGE = "filter-var-range"  # range slider of a numeric variable
FILTER_VAR_REMOVE = "filter-var-remove"  # button removing the filter
SELECTED_COUNT = "selected-count"

# Headline cards
CARDS = "headline-cards"

# Tabs
TABS = "main-tabs"
TAB_TRAJECTORIES = "tab-trajectories"
TAB_SURVIVAL = "tab-survival"
TAB_QUALITY = "tab-quality"

# Trajectories
TRAJ_MEASURE = "traj-measure"
TRAJ_GROUP = "traj-group"
TRAJ_STATISTIC = "traj-statistic"
TRAJ_SCALE = "traj-scale"
TRAJ_TEST = "traj-test"
TRAJ_INDIVIDUAL = "traj-individual"
TRAJ_GRAPH = "traj-graph"
TRAJ_TABLE = "traj-table"
TRAJ_NOTE = "traj-note"

# Data quality
QUALITY_PANEL = "quality-panel"
QUALITY_BADGE = "quality-badge"

# Survival & relapse (the tab id TAB_SURVIVAL is with the tabs above)
SURV_ENDPOINT = "surv-endpoint"
SURV_ORIGIN = "surv-origin"
SURV_GROUP = "surv-group"
SURV_UNIT = "surv-unit"
SURV_CI = "surv-ci"
SURV_GRAPH = "surv-graph"
SURV_SUMMARY = "surv-summary"
SURV_ESTIMATES = "surv-estimates"
SURV_RECONCILIATION = "surv-reconciliation"
SURV_PATIENTS = "surv-patients"
SURV_DOWNLOAD_BUTTON = "surv-download-button"
SURV_DOWNLOAD = "surv-download"

# Routing and pages (components/pages.py)
URL = "url"
DASHBOARD_PAGE = "dashboard-page"
# The tab whose view is on screen: the active tab on the dashboard, none on a patient's page.
VISIBLE_TAB = "visible-tab"
PATIENT_PAGE = "patient-page"
PATIENT_NAV = "patient-nav"  # the way back, previous / next (follow filters and URL)
PATIENT_BODY = "patient-body"  # the rest of the page (drawn once per patient and theme)

# Patient page (components/patient.py)
PATIENT_BACK = "patient-back"
PATIENT_PREV = "patient-prev"
PATIENT_NEXT = "patient-next"
PATIENT_MEASURES_GRAPH = "patient-measures-graph"
PATIENT_TIMELINE_GRAPH = "patient-timeline-graph"
PATIENT_VALUES_TABLE = "patient-values-table"
PATIENT_WARNINGS = "patient-warnings"
PATIENT_PROVENANCE_NOTE = "patient-provenance-note"
PATIENT_NOT_FOUND = "patient-not-found"
# Further measures on demand (studies with many parameters): only on some patient pages, so
# their callback matches them by pattern (a plain id absent from the page is an error there).
PATIENT_MORE_MEASURES = {"type": "patient-more-measures", "index": 0}  # dropdown, by dataset
PATIENT_MORE_GRAPH = {"type": "patient-more-graph", "index": 0}

# Patients tab: list and swimmer plot (components/patient_list.py)
TAB_PATIENTS = "tab-patients"
PATIENT_GRID = "patient-grid"
PATIENT_LIST_NOTE = "patient-list-note"
PATIENT_SELECTION_NOTE = "patient-selection-note"
PATIENT_SEARCH = "patient-search"
SWIMMER_GRAPH = "swimmer-graph"

# Linked selection of patients (components/selection.py)
SELECTION_STORE = "patient-selection"
SELECTION_CHIP = "selection-chip"
SELECTION_CLEAR = "selection-clear"

# Callback error message (security/errors.py)
APP_ERROR = "app-error"

# Tables for the paper (components/tables.py)
TAB_TABLES = "tab-tables"
TABLES_BASELINE = "tables-baseline"
TABLES_RESPONSE = "tables-response"
TABLES_AE = "tables-ae"
TABLES_AE_COUNTS = "tables-ae-counts"
TABLES_NOTE = "tables-note"
# Pattern-matching ids {"type": TABLE_CSV_BUTTON / TABLE_CSV_DOWNLOAD, "table": TABLE_*}
TABLE_CSV_BUTTON = "table-csv-button"
TABLE_CSV_DOWNLOAD = "table-csv-download"
TABLE_BASELINE = "baseline"
TABLE_RESPONSE = "response"
TABLE_AE = "adverse-events"
TABLE_AE_COUNTS = "adverse-event-counts"
TABLE_SAFETY = "safety"  # the key of the safety table (CSV download)
TABLES_SAFETY = "tables-safety"  # AG Grid: TEAE by SOC and PT, by arm
TABLES_SAFETY_BREAKDOWN = "tables-safety-breakdown"  # radio: subjects, severity, serious, ...
TABLES_SAFETY_SUBJECTS = "tables-safety-subjects"  # the subjects behind a clicked cell
TABLES_SAFETY_NOTE = "tables-safety-note"
TABLES_SECTION = "tables-section"  # pattern-matching {"type": ..., "table": key}

# Export toolbar and "How was this computed" (components/export.py, export_toolbar.py).
# Pattern-matching ids: {"type": EXPORT_BUTTON, "view": VIEW_*, "format": FORMAT_*},
# {"type": EXPORT_DOWNLOAD | METHOD_TOGGLE | METHOD_COLLAPSE | METHOD_BODY, "view": VIEW_*}.
EXPORT_BUTTON = "export-button"
EXPORT_DOWNLOAD = "export-download"
# {"type": EXPORT_JOB, "view", "format"}: store of what the browser renders (assets/export.js);
# {"type": EXPORT_PROGRESS, "view"}: its progress ("Rendering slide 3 of 6…").
EXPORT_JOB = "export-job"
EXPORT_PROGRESS = "export-progress"
METHOD_TOGGLE = "method-toggle"
METHOD_COLLAPSE = "method-collapse"
METHOD_BODY = "method-body"
VIEW_TRAJECTORIES = "trajectories"
VIEW_TABLES = "tables"
VIEW_PATIENTS = "patients"  # the patient list as a table slide
VIEW_SURVIVAL = "survival"
FORMAT_PNG = "png"
FORMAT_SVG = "svg"
FORMAT_PPTX = "pptx"
FORMAT_HTML = "html"
FORMAT_CSV = "csv"

# Light / dark theme (components/theme_switch.py)
THEME_SWITCH = "theme-switch"
APP_CONTAINER = "app-container"
THEME_TEMPLATES = "theme-templates"

# Shareable state and presenter mode (components/share.py, components/presenter.py)
URL_LOADED = "url-loaded"  # store: the URL's state has been applied (once per load)
SHARE_BAR = "share-bar"
SHARE_COPY = "share-copy"  # dcc.Clipboard: the link of the current view
SHARE_NOTICE = "share-notice"  # dismissible alert: what the link asked for that was ignored
PIN_STORE = "pinned-views"  # local storage: the pinned ViewSpecs
PIN_BUTTON = "pin-button"
PIN_COUNT = "pin-count"
PIN_CLEAR = "pin-clear"
PIN_PPTX = "pin-pptx"
PIN_HTML = "pin-html"
PIN_DOWNLOAD = "pin-download"
PIN_LINK_COPY = "pin-link-copy"  # dcc.Clipboard: a link to the pinned slides
PIN_TAKEAWAY = "pin-takeaway"  # the takeaway line typed before pinning
PIN_JOB = "pin-job"  # store: the pinned deck for the browser to render
PIN_PROGRESS = "pin-progress"
PRESENT_BUTTON = "present-button"
PRESENT_PINNED = "present-pinned"
PRESENT_MODAL = "present-modal"
PRESENT_DECK = "present-deck"  # store: {"slides": [ViewSpec dicts], "index": i}
PRESENT_SLIDE = "present-slide"
PRESENT_PREV = "present-prev"
PRESENT_NEXT = "present-next"
PRESENT_COUNTER = "present-counter"
PRESENT_FRAME = "present-frame"  # store: the slide body's size, measured in the browser
PRESENT_FIGURE = "present-figure"  # store: the slide's figure (plotly JSON) at that size
PRESENT_IMAGE = "present-image"  # the figure rendered by plotly.js in the browser
PRESENT_TABLES = "present-tables"  # the tables of a slide without a figure
PRESENT_FOOTER = "present-footer"

# Added for the survival origin control and history navigation
SURV_ORIGIN_CONTROL = "surv-origin-control"  # the column holding the relapse origin control
URL_WRITTEN = "url-written"  # store: the query the app itself last wrote (share.py)

# Opening a dataset in the browser (components/upload.py)
UPLOAD_OPEN = "upload-open"  # header button: opens the upload dialog
UPLOAD_MODAL = "upload-modal"
UPLOAD_FILES = "upload-files"  # drop zone: files or a zip (drag and drop: folders too)
UPLOAD_FOLDER = "upload-folder"  # drop zone: a folder, from the file picker
UPLOAD_PROGRESS = "upload-progress"  # written by assets/upload.js while sending
UPLOAD_RESULT = "upload-result"  # store: the upload route's answer (assets/upload.js)
UPLOAD_STATUS = "upload-status"  # what was checked: the findings, or the dataset opened
UPLOAD_RELOAD = "upload-reload"  # dcc.Location: reloads the page on the new dataset
UPLOAD_CLOSE = "upload-close"  # banner button: close the uploaded dataset
UPLOAD_NOTICE = "upload-notice"  # the page's notice that an uploaded dataset has gone
PAGE_DATASET = "page-dataset"  # hidden; data-key: the dataset the page shows

# Effect estimates in the Survival tab (trial/analysis/effects.py)
SURV_REFERENCE = "surv-reference"  # the hazard ratios' reference group
SURV_STRATA = "surv-strata"  # Cox model stratified by center
SURV_COVARIATES = "surv-covariates"  # patient columns the Cox model adjusts for
SURV_LANDMARK = "surv-landmark"  # none / 3 / 6 months
SURV_WARNINGS = "surv-warnings"  # guarantee-time warning, landmark exclusions
SURV_EFFECTS = "surv-effects"  # hazard ratios, PH check, Gray's test
SURV_PUBLISHED = "surv-published"  # relapse as published beside the estimate

# Trajectories: multiplicity across visits
TRAJ_ADJUST = "traj-adjust"

# Effects tab: forest plot of subgroups (components/views/effects.py)
TAB_EFFECTS = "tab-effects"
VIEW_EFFECTS = "effects"
EFFECTS_OUTCOME = "effects-outcome"
EFFECTS_SUBGROUPS = "effects-subgroups"
EFFECTS_COMPARE = "effects-compare"  # the arms compared within each subgroup (or none)
EFFECTS_REFERENCE = "effects-reference"  # the reference arm
EFFECTS_MEASURE = "effects-measure"  # response with arms: risk difference or odds ratio
EFFECTS_GRAPH = "effects-graph"
EFFECTS_NOTE = "effects-note"
EFFECTS_TABLE = "effects-table"
EFFECTS_CLICKED = "effects-clicked"  # what a click on a row did to the filters

# Response tab: waterfall and spider plot of % change from baseline (components/views/response.py)
TAB_RESPONSE = "tab-response"
VIEW_RESPONSE = "response"
RESP_PLOT = "resp-plot"  # radio: waterfall or spider
RESP_MEASURE = "resp-measure"
RESP_GROUP = "resp-group"
RESP_GRAPH = "resp-graph"
RESP_NOTE = "resp-note"
RESP_TABLE = "resp-table"

# One patient's case narrative slide (components/export/build.py, components/figures/narrative.py)
VIEW_NARRATIVE = "narrative"
# The narrative's one control, the patient id: in view specs and slide links only (no component
# on the dashboard holds it; the patient page pins its own patient).
NARRATIVE_PATIENT = "narrative-patient"
# The patient page's Present and Pin (only on a patient page, so matched by pattern).
NARRATIVE_PRESENT = {"type": "narrative-present", "index": 0}
NARRATIVE_PIN = {"type": "narrative-pin", "index": 0}
NARRATIVE_TAKEAWAY = {"type": "narrative-takeaway", "index": 0}
NARRATIVE_PIN_NOTE = {"type": "narrative-pin-note", "index": 0}
