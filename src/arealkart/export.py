"""Write results for other systems: RFC 7946 GeoJSON, GeoPackage and CSV.

All writes are atomic (a temporary file in the same folder, then a rename), so a failed
build never leaves half a file behind, and deterministic: the same input gives
byte-identical files (features sorted by id, fixed float formatting, no timestamps).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .schema import CRS

WGS84 = "EPSG:4326"
DECIMALS = 6
"""Decimals of longitude/latitude in GeoJSON: 6 decimals ≈ 0.1 m."""

FIXED_DATE = "2000-01-01T00:00:00.000Z"
"""Timestamp GDAL writes into GeoPackage metadata, fixed so builds are reproducible."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        tmp_path.replace(path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def to_rfc7946(gdf: gpd.GeoDataFrame, id_column: str) -> dict[str, Any]:
    """A GeoJSON FeatureCollection as RFC 7946 asks.

    Longitude/latitude in WGS84 with :data:`DECIMALS` decimals, exterior rings
    counter-clockwise and holes clockwise, no ``crs`` member, a string ``id`` per feature
    from ``id_column``, features sorted by id, ``null`` for missing values and ISO 8601
    dates.
    """
    gdf = gdf.sort_values(id_column, kind="stable")
    geoms = gdf.geometry.to_crs(WGS84).to_numpy() if len(gdf) else np.empty(0, dtype=object)
    geoms = shapely.orient_polygons(shapely.set_precision(geoms, 10**-DECIMALS), exterior_cw=False)
    props = gdf.drop(columns=gdf.geometry.name)
    features = [
        {
            "type": "Feature",
            "id": str(record[id_column]),
            "geometry": _geometry(geom),
            "properties": {k: json_value(v) for k, v in record.items()},
        }
        for record, geom in zip(props.to_dict("records"), geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _geometry(geom: Any) -> dict[str, Any] | None:
    if geom is None or shapely.is_empty(geom):
        return None
    return json.loads(shapely.to_geojson(geom))


def json_value(value: Any) -> Any:
    """A JSON-safe value: ``None`` for NA/NaN, ISO 8601 for dates, Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if _is_midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _is_midnight(value: datetime) -> bool:
    return value.hour == value.minute == value.second == value.microsecond == 0


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *, id_column: str) -> Path:
    """Write ``gdf`` as RFC 7946 GeoJSON (see :func:`to_rfc7946`), atomically.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    collection = to_rfc7946(gdf, id_column)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return Path(path)


def write_geopackage(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    descriptions: Mapping[str, str] | None = None,
) -> Path:
    """Write layers (GeoDataFrames in EPSG:25832, or plain tables) into one GeoPackage.

    The file is written in full to a temporary path and then renamed, so an existing
    GeoPackage is replaced only by a complete one.  Spatial indexes are on, layer
    descriptions filled from ``descriptions``, and GDAL's timestamps are fixed.
    """
    descriptions = descriptions or {}
    with atomic_path(path) as tmp, _fixed_gdal_date():
        for name, frame in layers.items():
            options = {"DESCRIPTION": descriptions.get(name, name), "SPATIAL_INDEX": "YES"}
            if isinstance(frame, gpd.GeoDataFrame):
                frame = _gpkg_ready(frame.to_crs(CRS) if frame.crs else frame.set_crs(CRS))
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    layer_options=options,
                    promote_to_multi=True,
                )
            else:
                options.pop("SPATIAL_INDEX")
                pyogrio.write_dataframe(
                    _gpkg_ready(frame), tmp, layer=name, driver="GPKG", layer_options=options
                )
    return Path(path)


def _gpkg_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast pandas extension dtypes GDAL does not take to plain ones."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.StringDtype | pd.BooleanDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif isinstance(dtype, pd.Int64Dtype):
            out[column] = (
                out[column].astype("float64")
                if out[column].isna().any()
                else out[column].astype("int64")
            )
        elif isinstance(dtype, pd.Float64Dtype):
            out[column] = out[column].astype("float64")
    return out


@contextlib.contextmanager
def _fixed_gdal_date() -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as UTF-8 CSV (comma-separated, ``.`` decimals), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)
