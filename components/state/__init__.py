"""View state that URL sharing, exports and presenter mode share: view specs and their one
control map, the URL encoding, the filter widgets' values and the routes.
"""
