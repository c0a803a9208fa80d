"""The views: each module owns its layout and registers its thin callbacks with
`register(app)` (read the inputs, build the request, call the engine and a figure builder).
"""
