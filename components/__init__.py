"""Dash views of the trial dashboard: one module per view, each owning its layout and callbacks."""
