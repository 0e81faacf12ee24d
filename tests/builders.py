"""Small test inputs that more than one test file builds, in one place.

Builders used by one test file only stay in that file; the SOSI and GML text builders stay
beside the reader tests (``unit/load/test_sosi.py``, ``unit/load/test_gml.py``).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.parameters import Parameters
from arealkart.available.rule import AvailableLand
from arealkart.model.schema import CRS

E0, N0 = 480_000.0, 6_600_000.0  # near Seljord, EPSG:25832
VINJE = (420_000.0, 6_620_000.0)  # inside Vinje

AREA_RING = [(7.95, 59.40), (8.25, 59.40), (8.25, 59.55), (7.95, 59.55), (7.95, 59.40)]
"""A lon/lat rectangle near Dalen (Tokke), for the polygon filter of ``query``."""


def zones_file(path, geoms, **columns):
    """A municipal export at ``path``: housing zones (RP 1111) in force, in Seljord (4022)."""
    n = len(geoms)
    data = {"RPAREALFORMÅL": [1111] * n, "KOMM": ["4022"] * n, "PLANSTAT": [3] * n, **columns}
    gpd.GeoDataFrame(data, geometry=list(geoms), crs=25832).to_file(path)
    return path


def polygon_file(path):
    """A polygon file (GeoJSON in EPSG:4326) of :data:`AREA_RING`, written to ``path``."""
    gpd.GeoDataFrame(geometry=[shapely.Polygon(AREA_RING)], crs="EPSG:4326").to_file(path)
    return path


def star(vertices: int, *, x0: float = E0, y0: float = N0) -> shapely.Polygon:
    """A ring whose long edges jump around a centre: nearly every edge crosses every other,
    so :func:`shapely.make_valid` does not finish on it in any useful time."""
    i = np.arange(vertices)
    angle = 2 * math.pi * i * 0.382 * 7
    radius = 100 + (i % 7) * 10
    ring = np.c_[x0 + radius * np.cos(angle), y0 + radius * np.sin(angle)]
    return shapely.Polygon(np.vstack([ring, ring[:1]]))


def empty_result() -> AvailableLand:
    """The result of the available-land rule on no zones at all."""
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return AvailableLand(empty, empty, empty, empty, empty, pd.DataFrame(), Parameters.default())
