"""A region's own municipal borders: any polygon layer with a municipality number column.

Where a region's config gives one (``[region] borders``), its borders replace the shipped
ones (Norway's of 2020) everywhere a build uses borders: the check for features outside
their municipality, the maps' borders and extents.  The numbers may be of any year the
registry knows (``3825``, ``4036``) or names; each is mapped to today's number, and the
polygons of one municipality (several rows, or two old municipalities merged since) become
one border.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from arealkart.errors import InputError, MunicipalityError
from arealkart.model.schema import CRS
from arealkart.registry.kommuner import resolve

__all__ = ["NUMBER_COLUMNS", "read_borders"]

log = logging.getLogger(__name__)

NUMBER_COLUMNS = ("kommunenummer", "kommunenr", "knr", "kommune")
"""Columns taken for the municipality number, in this order, when none is named (any case)."""
POLYGONS = ("Polygon", "MultiPolygon")


def read_borders(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    column: str | None = None,
    kommuner: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Municipal borders from a vector file, in EPSG:25832, under today's numbers.

    Parameters
    ----------
    path
        Any polygon layer GDAL reads, in any CRS (it must have one).
    layer
        The layer of a multi-layer file.
    column
        The column with the municipality numbers (or names); default the first of
        :data:`NUMBER_COLUMNS` the layer has.
    kommuner
        Current numbers of the municipalities wanted, in order; each must be in the file,
        and only these are returned.  Default: every municipality of the file.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kommunenummer``, ``navn`` and the border, one row per municipality.

    Raises
    ------
    InputError
        For a file that cannot be read or has no CRS, a missing number column, a row
        whose number is unknown or whose geometry is empty, invalid or not a polygon, and
        a wanted municipality the file does not hold.
    """
    path = Path(path)
    try:
        status = path.stat()
    except OSError as exc:
        raise InputError(path, f"cannot read the municipal borders: {exc.strerror}") from None
    stamp = (status.st_mtime_ns, status.st_size)
    gdf = _read(path, stamp, layer, column).copy()
    if kommuner is None:
        return gdf
    missing = [n for n in kommuner if n not in set(gdf["kommunenummer"])]
    if missing:
        held = ", ".join(gdf["kommunenummer"]) or "none"
        raise InputError(
            path,
            f"no border for {', '.join(f'{n} {resolve(n).navn}' for n in missing)} of the "
            f"config; the file holds municipalities {held}",
        )
    return gdf.set_index("kommunenummer", drop=False).loc[list(kommuner)].reset_index(drop=True)


@lru_cache(maxsize=4)
def _read(
    path: Path, stamp: tuple[int, int], layer: str | None, column: str | None
) -> gpd.GeoDataFrame:
    """The file's borders, dissolved by current number (cached while the file is unchanged)."""
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise InputError(path, f"cannot read the municipal borders: {exc}") from None
    if gdf.crs is None:
        raise InputError(path, "the municipal borders have no CRS; save the file with one")
    name = _number_column(gdf, path, column)
    numbers = [_number(value, path, name, row) for row, value in enumerate(gdf[name])]
    for row, geometry in enumerate(gdf.geometry):
        _check_geometry(geometry, path, row)
    borders = gpd.GeoDataFrame({"kommunenummer": numbers}, geometry=gdf.geometry.values)
    merged = borders.dissolve("kommunenummer", sort=False).reset_index()
    if len(merged) < len(borders):
        log.info("%s: %d rows make %d municipal borders", path, len(borders), len(merged))
    merged.insert(1, "navn", [resolve(n).navn for n in merged["kommunenummer"]])
    return merged.to_crs(CRS)


def _number_column(gdf: gpd.GeoDataFrame, path: Path, column: str | None) -> str:
    """The column of municipality numbers: the one named, or the first default found."""
    by_case = {str(c).casefold(): str(c) for c in gdf.columns if c != gdf.geometry.name}
    wanted = (column,) if column is not None else NUMBER_COLUMNS
    for name in wanted:
        if name.casefold() in by_case:
            return by_case[name.casefold()]
    what = f"a column {column!r}" if column else f"a column named one of {list(NUMBER_COLUMNS)}"
    raise InputError(
        path,
        f"the municipal borders need {what} with the municipality numbers; the file has "
        f"{sorted(by_case.values())} (name the column: borders = {{ path = …, column = … }})",
    )


def _number(value: Any, path: Path, column: str, row: int) -> str:
    """A row's current municipality number."""
    feature = f"row {row + 1}"
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        raise InputError(path, f"no municipality number in {column!r}", feature=feature)
    try:
        return resolve(value if isinstance(value, int | str) else str(value)).nummer
    except MunicipalityError as exc:
        raise InputError(path, f"{column!r}: {exc}", feature=feature) from None


def _check_geometry(geometry: shapely.Geometry | None, path: Path, row: int) -> None:
    """A border must be a valid, non-empty polygon."""
    feature = f"row {row + 1}"
    if geometry is None or geometry.is_empty:
        raise InputError(
            path, "empty geometry; expected the municipality's polygon", feature=feature
        )
    if geometry.geom_type not in POLYGONS:
        raise InputError(
            path, f"a {geometry.geom_type}; expected a (multi)polygon border", feature=feature
        )
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise InputError(
            path,
            f"invalid polygon ({reason}); repair the border (e.g. QGIS' Fix geometries)",
            feature=feature,
        )
