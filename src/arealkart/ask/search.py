"""Ask a build for free land: by municipality, category, status, size, price, place and area.

:func:`query` filters one layer of a result — free areas (``ledige_arealer``), plots
(``tomter``) or zones (``soner``) — and every filter given must hold (AND)::

    query("output", kommune="Vinje", kategori="fritid", min_daa=2)
    query(result, layer="tomter", status="ledig", max_pris=400_000, va=True)
    query("output", near="Dalen", within_km=10, sort="areal", limit=20)
    query("output", bbox="7.9,59.4,8.1,59.5", feltnavn=["BFS1", "BFS2"])

``source`` is an :class:`~arealkart.available.AvailableLand`, a layer (GeoDataFrame), a
build's output folder or GeoPackage (default ``"output"``: the last build, read without
rebuilding), or a prepared :class:`LayerIndex`.

How it stays fast: the layer is wrapped in a :class:`LayerIndex`, which factorises
attribute columns into integer codes once and builds an STRtree over the geometries on
first spatial use, so a distance, box or polygon filter asks the tree for candidates
instead of testing every feature, and nearest-first ordering with a ``limit`` only measures
the features that can be nearest.  Reading from a GeoPackage passes the search envelope
to GDAL (which answers from the GeoPackage's R-tree) and the municipality, category,
status, plan, area and price filters as an SQL ``WHERE`` (the build indexes
``kommunenummer``), so only candidates are read at all.  For many queries against one
build, load once: ``index = LayerIndex.load("output").prepare()``.

When ``near`` is given the result has a column ``avstand_m``: the distance in metres from
the point to the nearest edge of each feature (0 inside it), and is sorted nearest first
unless ``sort`` says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from arealkart.ask._gpkg import kth_value
from arealkart.ask.filters import AREA_STEP, DISTANCE, Filters, make_filters
from arealkart.ask.index import LayerIndex, build_path, layer_fields
from arealkart.available.rule import AvailableLand
from arealkart.model.output_layers import QUERY_LAYERS

__all__ = ["query", "run_query"]


def query(
    source: AvailableLand | gpd.GeoDataFrame | LayerIndex | str | os.PathLike[str] = "output",
    *,
    layer: str = "ledige_arealer",
    kommune: str | int | Iterable[str | int] | None = None,
    kategori: str | Iterable[str] | None = None,
    kombinasjon: str | Iterable[str] | None = None,
    bruk: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    min_daa: float | None = None,
    max_daa: float | None = None,
    min_m2: float | None = None,
    max_m2: float | None = None,
    min_pris: float | None = None,
    max_pris: float | None = None,
    va: bool | None = None,
    near: Any = None,
    within_km: float | None = None,
    near_type: str | None = None,
    bbox: Any = None,
    polygon: str | os.PathLike[str] | BaseGeometry | None = None,
    plan_id: str | Iterable[str] | None = None,
    feltnavn: str | Iterable[str] | None = None,
    sort: str | None = None,
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Free areas, plots or zones that match every given filter.

    Parameters
    ----------
    source
        A result of :func:`arealkart.available_land`, a layer, a :class:`LayerIndex`, or a
        build's output folder or GeoPackage (default ``"output"``).
    layer
        ``"ledige_arealer"`` (free areas), ``"tomter"`` (plots) or ``"soner"`` (zones);
        ignored for a GeoDataFrame or LayerIndex source except to name its columns.
    kommune
        One municipality or several, in any name or number form the registry knows.
    kategori
        ``bolig``, ``fritid``, ``kombinert``, ``naering`` (or ``næring``), ``annet``; one
        or a list.
    kombinasjon
        Free areas and zones: what the plan lets mix, ``bolig_fritid``, ``bolig_naering``,
        ``sentrum``, ``annen``; one or a list.
    bruk
        Zones: how they are used today, ``ingen_boliger``, ``som_regulert``, ``blandet``,
        ``fritid_i_boligfelt``, ``helars_i_fritidsfelt`` (see
        :mod:`arealkart.available.use`); one or a list.
    status
        Plots: ``ledig``, ``reservert``, ``solgt``, ``bebygd``; zones: ``ledig``,
        ``delvis_utbygd``, ``utbygd``, ``blokkert``, ``ikke_byggeland``.  Free areas have none.
    min_daa, max_daa, min_m2, max_m2
        Area range (inclusive) in dekar or m²: free area for free areas and zones, plot size
        for plots.
    min_pris, max_pris, va
        Plots only: asking price range in NOK (plots without a price drop out) and whether
        water and sewer are connected.
    near
        A point: a place name, ``"lat,lon"``, ``"easting,northing"`` (EPSG:25832),
        ``"32V 442000 6590000"``, a pair, or a shapely Point in EPSG:25832 (see
        :func:`arealkart.ask.places.parse_point`).  Adds the column ``avstand_m``.
    within_km
        Keep features within this many km of ``near`` (edge distance), or, with
        ``near_type``, of the nearest place of that kind.
    near_type
        Free areas and plots: ``sentrum``, ``skole``, ``barnehage``, ``butikk`` or
        ``naeringshage``; with ``within_km``, keeps the land whose ``avstand_<type>_m`` is
        at most that (e.g. ``near_type="naeringshage", within_km=3``).
    bbox
        ``"west,south,east,north"`` in degrees or ``"minE,minN,maxE,maxN"`` in EPSG:25832;
        keeps features that intersect it.
    polygon
        A vector file of polygons (e.g. GeoJSON) or a geometry in EPSG:25832; keeps
        features that intersect it.
    plan_id, feltnavn
        Plan ids (exact) and field names (any case), one or a list.
    sort
        ``"avstand"`` (nearest first; the default with ``near``), ``"areal"`` (largest
        first), ``"pris"`` (cheapest first), or a column name (``-`` prefix: descending).
    limit
        Keep at most this many rows.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows in EPSG:25832, with ``avstand_m`` when ``near`` is given.

    Raises
    ------
    QueryError
        For an unknown layer, municipality, place, category or status (naming the valid
        values or closest names), a negative or inverted range, an unreadable polygon
        file, or a query before any build.
    """
    filters = make_filters(
        layer,
        kommune=kommune,
        kategori=kategori,
        kombinasjon=kombinasjon,
        bruk=bruk,
        status=status,
        min_daa=min_daa,
        max_daa=max_daa,
        min_m2=min_m2,
        max_m2=max_m2,
        min_pris=min_pris,
        max_pris=max_pris,
        va=va,
        near=near,
        within_km=within_km,
        near_type=near_type,
        bbox=bbox,
        polygon=polygon,
        plan_id=plan_id,
        feltnavn=feltnavn,
        sort=sort,
        limit=limit,
    )
    return run_query(_index(source, filters), filters)


def run_query(index: LayerIndex, filters: Filters) -> gpd.GeoDataFrame:
    """Apply validated :class:`Filters` to a :class:`LayerIndex`."""
    rows = _spatial(index, filters)
    rows = rows[_attribute_mask(index, filters, rows)]
    rows, distance = _order(index, filters, rows)
    out = index.frame.iloc[rows].reset_index(drop=True)
    if filters.point is not None:
        if distance is None:
            distance = index.distances(rows, filters.point)
        out[DISTANCE] = np.round(distance, 1)
    return out


def _index(source: Any, filters: Filters) -> LayerIndex:
    if isinstance(source, LayerIndex):
        return source
    if isinstance(source, AvailableLand):
        frames = {"ledige_arealer": source.free, "tomter": source.plots, "soner": source.zones}
        return LayerIndex(frames[filters.layer], filters.layer)
    if isinstance(source, gpd.GeoDataFrame):
        return LayerIndex(source, filters.layer)
    path = build_path(source)
    fields = layer_fields(path, filters.layer)
    where = _and(filters.where(fields), _cutoff(path, filters, fields))
    if (
        fields
        and filters.point is not None
        and filters.radius_m is None
        and _nearest_first(filters)
    ):
        return _nearest_candidates(path, filters, where)  # a GeoPackage: boxes are cheap
    return LayerIndex.load(path, filters.layer, bbox=filters.envelope(), where=where)


def _and(*clauses: str | None) -> str | None:
    return " AND ".join(f"({c})" for c in clauses if c) or None


def _exact_in_sql(f: Filters) -> bool:
    """Whether every filter of ``f`` is in its :meth:`Filters.where` (none only in memory)."""
    return f.feltnavn is None and f.va is None and f.region is None and f.radius_m is None


def _cutoff(path: Path, f: Filters, fields: set[str]) -> str | None:
    """A ``WHERE`` clause that leaves only the rows that can be among the largest ``limit``.

    For a query sorted by area with a limit and no filter outside SQL: the area of the
    ``limit``-th row among rows certain to match, less 0.01 m² for rows that tie with it
    once rounded (ties keep the layer's order), asked of the area's index in one look-up.
    """
    area = QUERY_LAYERS[f.layer].area
    if f.limit is None or f.sort is None or f.sort[0] != area or area not in fields:
        return None
    if not _exact_in_sql(f):
        return None
    descending = f.sort[1]
    value = kth_value(
        path, f.layer, area, f.where(fields, certain=True), f.limit, descending=descending
    )
    if value is None:
        return None
    if descending:
        return f"{area} >= {value - AREA_STEP!r}"
    return f"{area} <= {value + AREA_STEP!r}"


def _nearest_first(f: Filters) -> bool:
    """The nearest ``limit`` to a point, with no radius to bound the search."""
    if f.point is None or f.radius_m is not None or f.limit is None:
        return False
    return f.sort is not None and f.sort[0] == DISTANCE


NEAREST_REACH_M = tuple(1_000.0 * 4**i for i in range(7))
"""Half-widths of the boxes around the point read in turn for the nearest ``limit`` rows
when no radius bounds them (1 km to 4 096 km); past the last the whole layer is read."""


def _nearest_candidates(path: Path, f: Filters, where: str | None) -> LayerIndex:
    """The rows of a box around the point that hold the nearest ``f.limit`` matches.

    Boxes grow from 1 km until ``limit`` matches lie within the box's half-width of the
    point: every feature nearer than that is inside the box, so the box holds the nearest
    ``limit`` of the whole layer, and every feature that ties with the last of them.
    """
    assert f.point is not None and f.limit is not None  # _nearest_first and the caller
    x, y = f.point.x, f.point.y
    for reach in NEAREST_REACH_M:
        box = (x - reach, y - reach, x + reach, y + reach)
        index = LayerIndex.load(path, f.layer, bbox=box, where=where)
        if len(run_query(index, replace(f, radius_m=reach))) >= f.limit:
            return index
    return LayerIndex.load(path, f.layer, where=where)


def _spatial(index: LayerIndex, f: Filters) -> np.ndarray:
    """Rows that pass the spatial filters, asked of the STRtree; every row if none."""
    keep: np.ndarray | None = None
    if f.point is not None and f.radius_m is not None:
        keep = _hits(len(index), index.near(f.point, f.radius_m))
    if f.region is not None:
        hits = _hits(len(index), index.near(f.region))
        keep = hits if keep is None else keep & hits
    return np.arange(len(index)) if keep is None else np.flatnonzero(keep)


def _hits(n: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def _attribute_mask(index: LayerIndex, f: Filters, rows: np.ndarray) -> np.ndarray:
    mask = np.ones(len(rows), dtype=bool)
    subset = None if len(rows) == len(index) else rows
    for column, values, upper in (
        ("kommunenummer", f.kommuner, False),
        ("kategori", f.kategorier, False),
        ("kombinasjon", f.kombinasjoner, False),
        ("bruk", f.bruk, False),
        ("status", f.statuser, False),
        ("plan_id", f.plan_ids, False),
        ("feltnavn", f.feltnavn, True),
    ):
        if values is not None:
            mask &= index.isin(column, values, upper=upper, rows=subset)
    if f.area_m2 != (None, None):
        mask &= _in_range(index.area_m2[rows], f.area_m2)
    if f.pris != (None, None):
        mask &= _in_range(index.numbers("pris")[rows], f.pris)
    if f.near_type is not None:
        column, metres = f.near_type
        index.require_column(column)
        mask &= _in_range(index.numbers(column)[rows], (None, metres))
    if f.va is not None:
        va = index.booleans("va").iloc[rows]
        mask &= (va == f.va).fillna(False).to_numpy(dtype=bool)
    return mask


def _in_range(values: np.ndarray, bounds: tuple[float | None, float | None]) -> np.ndarray:
    low, high = bounds
    keep = np.ones(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
    return keep


def _order(index: LayerIndex, f: Filters, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows in the asked order, cut to the limit; distances too when they were measured."""
    if f.sort is None:
        return rows[: f.limit], None
    column, descending = f.sort
    if column == DISTANCE and f.point is not None:  # make_filters ensures the point
        if f.limit is not None and f.radius_m is None:
            return index.nearest(rows, f.point, f.limit), None
        distance = index.distances(rows, f.point)
        order = np.argsort(distance, kind="stable")[: f.limit]
        return rows[order], distance[order]
    return rows[_sort_order(index, column, descending, rows)][: f.limit], None


def _sort_order(index: LayerIndex, column: str, descending: bool, rows: np.ndarray) -> np.ndarray:
    if column == QUERY_LAYERS[index.layer].area:
        values = index.area_m2[rows]
    else:
        index.require_column(column)
        series = index.frame[column]
        if not pd.api.types.is_numeric_dtype(series):
            part = series.iloc[rows].reset_index(drop=True)
            ordered = part.sort_values(ascending=not descending, kind="stable", na_position="last")
            return ordered.index.to_numpy()
        values = index.numbers(column)[rows]
    return np.argsort(-values if descending else values, kind="stable")
