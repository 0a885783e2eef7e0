"""``harness ui``: a local web dashboard over ``$HARNESS_HOME`` (Starlette + uvicorn),
and ``RunDetails``, the live view of a run or sweep in Jupyter.

The JSON API returns the same objects as the CLI's ``--format json`` (the builders
live in ``harness.sdk`` and the CLI calls the same ones); the pages are static files
(``static/``) with uPlot, shipped in the package, drawing the charts.
"""
