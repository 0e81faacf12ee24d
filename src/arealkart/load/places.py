"""A region's places file: schools, kindergartens, shops, næringshager and centres.

The config's ``[steder] fil`` is a CSV file with the gazetteer's columns (``navn``,
``type``, ``kilde``, ``lat``/``lon`` in WGS84 or ``ost``/``nord`` in EPSG:25832, optionally
``kommunenummer`` and ``alias``), or any vector file GDAL reads with points and the columns
``navn``, ``type`` and ``kilde``.  Its rows are checked as the gazetteer's are (see
:func:`arealkart.registry.places.checked_places`).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from arealkart.errors import InputError
from arealkart.load.vector import read_text_table
from arealkart.model.schema import CRS
from arealkart.registry.places import checked_places

__all__ = ["read_places"]

WGS84 = "EPSG:4326"


def read_places(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A region's places file as a places table (:data:`PLACE_COLUMNS`).

    Raises
    ------
    InputError
        For a missing or unreadable file, or a row without a name, a known type, a source
        or a position in Norway: the error names the file, the row and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "places file not found")
    table = _read_csv(path) if path.suffix.lower() == ".csv" else _read_vector(path)
    return checked_places(table, str(path))


def _read_csv(path: Path) -> pd.DataFrame:
    """A places CSV as spreadsheets write it.

    ``,``, ``;`` or tab; UTF-8 (with or without a BOM) or ISO-8859-1; decimal commas in
    the coordinates.
    """
    table = read_text_table(path, what="places file (CSV)")
    table.columns = [str(c).strip().lower() for c in table.columns]
    for column in ("lat", "lon", "ost", "nord"):
        if column in table.columns:
            table[column] = table[column].str.strip().str.replace(",", ".", regex=False)
    if {"ost", "nord"} <= set(table.columns) and not {"lat", "lon"} <= set(table.columns):
        table = _lonlat_from_utm(table, path)
    return table


def _lonlat_from_utm(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    east = pd.to_numeric(table["ost"], errors="coerce")
    north = pd.to_numeric(table["nord"], errors="coerce")
    bad = table.index[east.isna() | north.isna()]
    if len(bad):
        raise InputError(
            path,
            "ost and nord must be numbers (EPSG:25832 metres)",
            line=int(bad[0]) + 2,
            feature=str(table.loc[bad[0], "navn"]) if "navn" in table else None,
        )
    points = gpd.GeoSeries(gpd.points_from_xy(east, north), crs=CRS).to_crs(WGS84)
    return table.assign(lon=points.x.astype(str), lat=points.y.astype(str))


def _read_vector(path: Path) -> pd.DataFrame:
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise InputError(path, f"cannot read the places file: {exc}") from None
    if gdf.crs is None:
        raise InputError(path, "the places file has no CRS; save it with one")
    kinds = set(gdf.geometry.geom_type.dropna())
    if kinds - {"Point"}:
        raise InputError(path, f"expected Point features only, found {sorted(kinds)}")
    points = gdf.geometry.to_crs(WGS84)
    table = pd.DataFrame(gdf.drop(columns="geometry")).fillna("").astype(str)
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table.assign(lon=points.x, lat=points.y)
