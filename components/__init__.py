"""The dashboard's user interface, by role (docs/architecture.md):

ids, context    component ids; the dataset of the request
attrs           the data-* and aria-* attributes of html components
state/          view specs (one control map), URL state, filter values, routes
figures/        pure plotly builders: analysis results in, figures and rows out (no Dash)
views/          one module per view: layout + thin callbacks (`register(app)`)
shell/          the page, routing, share, selection, presenter, upload, theme switch
export/         images, PowerPoint, HTML report, CSV, method snippets, the toolbar
"""
