"""Exports of a view: slide-styled figures, PowerPoint decks, HTML reports, CSV files, the
method text and snippets, and the toolbar that offers them.
"""
