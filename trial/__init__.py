"""Domain package of the trial dashboard: loading, validation, statistics, demo data.
No Dash here."""
