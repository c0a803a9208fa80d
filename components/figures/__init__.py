"""Pure plotly builders: analysis results and options in, figures and display rows out.

Nothing here imports Dash or reads a request: every builder is tested with small frames.
"""
