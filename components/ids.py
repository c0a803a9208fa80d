"""Every component id of the app, in one place. Ids are never built from data values."""

# Filters (sidebar)
FILTER_CENTER = "filter-center"
FILTER_RESPONSE = "filter-response"
FILTER_RELAPSE = "filter-relapse"
FILTER_SEX = "filter-sex"
FILTER_LN = "filter-lupus-nephritis"
FILTER_AGE = "filter-age"
FILTER_RESET = "filter-reset"
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
