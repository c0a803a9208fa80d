"""The app shell: the page, routing, shareable state, linked selection, presenter mode,
uploads and the theme switch; it wires the views together.
"""
