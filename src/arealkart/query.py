"""Ask the built result for free land: by municipality, category, status and size."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pyogrio

from .available import PLOT_STATUSES, ZONE_STATUSES, AvailableLand
from .classify import CATEGORIES
from .errors import QueryError
from .kommuner import kommunenummer
from .pipeline import GEOPACKAGE

LAYERS = {"ledige_arealer": "areal_m2", "tomter": "tomt_m2", "soner": "ledig_m2"}
"""Queryable layers and the area column each filters on."""


def load_result(source: str | os.PathLike[str], layer: str) -> gpd.GeoDataFrame:
    """Read one layer of a build's GeoPackage (``source`` is the file or the output folder).

    Raises
    ------
    QueryError
        If no build exists there yet.
    """
    path = Path(source)
    if path.is_dir():
        path = path / GEOPACKAGE
    if not path.exists():
        raise QueryError(f"no build found at {path}; run 'arealkart build' first")
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # GDAL raises many types for broken files
        raise QueryError(f"{path}: cannot read layer {layer!r}: {exc}") from None


def query(
    source: AvailableLand | gpd.GeoDataFrame | str | os.PathLike[str] = "output",
    *,
    layer: str = "ledige_arealer",
    kommune: str | int | None = None,
    kategori: str | list[str] | None = None,
    status: str | list[str] | None = None,
    min_daa: float | None = None,
    max_daa: float | None = None,
    sort: str | None = None,
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Free areas, plots or zones that match every given filter.

    Parameters
    ----------
    source
        A result of :func:`arealkart.available_land`, a layer, or a build's output folder
        or GeoPackage (default ``"output"``).
    layer
        ``"ledige_arealer"`` (free areas), ``"tomter"`` (plots) or ``"soner"`` (zones).
    kommune
        Any name or number form the municipality registry knows.
    kategori, status
        One value or a list.
    min_daa, max_daa
        Size range in dekar (free area for areas and zones, plot size for plots).
    sort
        ``"areal"`` (largest first) or a column name.
    limit
        Keep at most this many rows.

    Raises
    ------
    QueryError
        For an unknown layer, category or status, an inverted or negative size range, or a
        query before any build.
    """
    if layer not in LAYERS:
        raise QueryError(f"unknown layer {layer!r}; expected one of {list(LAYERS)}")
    gdf = _layer(source, layer)
    mask = gdf.index == gdf.index
    if kommune is not None:
        mask &= gdf["kommunenummer"] == kommunenummer(kommune)
    if kategori is not None:
        mask &= gdf["kategori"].isin(_values(kategori, CATEGORIES, "kategori"))
    if status is not None:
        allowed = PLOT_STATUSES if layer == "tomter" else ZONE_STATUSES
        if layer == "ledige_arealer":
            raise QueryError("free areas have no status; query layer='soner' or 'tomter'")
        mask &= gdf["status"].isin(_values(status, allowed, "status"))
    area = gdf[LAYERS[layer]].astype(float) / 1000.0
    _check_range(min_daa, max_daa)
    if min_daa is not None:
        mask &= area >= min_daa
    if max_daa is not None:
        mask &= area <= max_daa
    out = gdf[mask]
    if sort is not None:
        column = LAYERS[layer] if sort == "areal" else sort
        if column not in out.columns:
            raise QueryError(f"cannot sort by {sort!r}; columns: {list(out.columns)}")
        out = out.sort_values(column, ascending=sort != "areal", kind="stable")
    return out.head(limit) if limit is not None else out


def _layer(source, layer: str) -> gpd.GeoDataFrame:
    if isinstance(source, AvailableLand):
        return {"ledige_arealer": source.free, "tomter": source.plots, "soner": source.zones}[layer]
    if isinstance(source, gpd.GeoDataFrame):
        return source
    return load_result(source, layer)


def _values(value: str | list[str], allowed: tuple[str, ...], name: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise QueryError(f"unknown {name} {bad}; valid values: {list(allowed)}")
    return values


def _check_range(low: float | None, high: float | None) -> None:
    for name, value in (("min_daa", low), ("max_daa", high)):
        if value is not None and value < 0:
            raise QueryError(f"{name} must not be negative, got {value}")
    if low is not None and high is not None and low > high:
        raise QueryError(f"min_daa ({low}) is greater than max_daa ({high})")
