"""A road network: any line layer GDAL reads, for distances along the roads.

Where a region's config gives one (``[steder] vegnett``, e.g. an NVDB export of
``veglenke``), the distances from free land to centres, schools and næringshager are
measured along it (see :mod:`arealkart.available.attraction`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import pyogrio

from arealkart.errors import InputError
from arealkart.model.schema import CRS

__all__ = ["read_roads"]

log = logging.getLogger(__name__)

LINES = ("LineString", "MultiLineString")


def read_roads(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """The lines of a vector file, in EPSG:25832 (other geometries are left out, logged).

    Raises
    ------
    InputError
        For a file that cannot be read, has no CRS or holds no lines.
    """
    path = Path(path)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, columns=[])
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise InputError(path, f"cannot read the road network: {exc}") from None
    if gdf.crs is None:
        raise InputError(path, "the road network has no CRS; save it with one")
    lines = gdf[gdf.geom_type.isin(LINES) & ~gdf.geometry.is_empty]
    if lines.empty:
        raise InputError(path, "the road network holds no LineString features; expected lines")
    if len(lines) < len(gdf):
        log.warning("%s: %d features that are not lines left out", path, len(gdf) - len(lines))
    return lines[["geometry"]].to_crs(CRS).reset_index(drop=True)
