"""The ``arealkart`` command line: a thin skin over the public API (see :mod:`.main`).

Importing it is cheap: each command imports the pipeline stages it runs only when it
runs, so ``arealkart --help`` loads neither geopandas, shapely nor folium.
"""

from __future__ import annotations

from arealkart.cli.main import cli, main

__all__ = ["cli", "main"]
