"""A GeoDataFrame a notebook user has, as a canonical layer: the readers' rules, in memory.

``geopandas.read_file("bygninger.shp")`` or a frame in EPSG:4326 goes through the same
column aliases, reprojection and repair as a file read by :func:`~arealkart.load.read_plan`
(:func:`~arealkart.load.vector.to_canonical`), and a missing ``kommunenummer`` is taken from
where each feature lies.  :func:`~arealkart.classify_zones`,
:func:`~arealkart.available_land` and the maps call :func:`canonical_layer` on what they are
given, so a layer in another CRS is never silently measured in the wrong units.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from arealkart.errors import CRSError, SchemaError
from arealkart.load.vector import column_targets, to_canonical
from arealkart.model.issues import IssueLog
from arealkart.model.schema import CRS, KIND_COLUMNS, conform, empty
from arealkart.registry.kommuner import shipped_boundaries

__all__ = ["canonical_layer", "is_canonical", "municipalities_by_location"]


def canonical_layer(
    gdf: gpd.GeoDataFrame | None,
    kind: str,
    *,
    name: str | None = None,
    places: gpd.GeoDataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    issues: IssueLog | None = None,
) -> gpd.GeoDataFrame:
    """Return ``gdf`` as the canonical ``kind`` layer, in EPSG:25832.

    A layer that already is canonical (every required column, the working CRS) is
    returned as it is; any other goes through the readers' aliases, reprojection and
    repair.

    Parameters
    ----------
    gdf
        Any GeoDataFrame with a CRS; ``None`` gives an empty layer.
    kind
        ``zones``, ``constraints``, ``plots`` or ``buildings``.
    name
        What to call the frame in messages and in ``source`` (default: ``kind``).
    places
        Polygons with ``kommunenummer`` (zones, say) to take a missing municipality from;
        the shipped municipal borders are used for what they do not cover.
    columns
        Extra column aliases, ``{their_name: canonical_name}``.
    issues
        Where repairs and dropped features are reported (default: not kept).

    Raises
    ------
    SchemaError
        For something that is not a GeoDataFrame, a missing required column (named), or
        features whose municipality cannot be told.
    CRSError
        For a frame without a CRS.
    """
    label = name or kind
    if gdf is None:
        return empty(kind)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{label}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if not len(gdf):  # keep what columns it has (a classified zones layer, say)
        out = conform(gdf, kind)
        return out if out.crs is not None else out.set_crs(CRS)
    if gdf.crs is None:
        raise CRSError(
            label,
            "the frame has no CRS, so its coordinates cannot be placed; set the one they are "
            "in, e.g. frame.set_crs('EPSG:25832')",
        )
    if is_canonical(gdf, kind):  # only optional columns may be missing: add them as nulls
        return gdf if set(KIND_COLUMNS[kind]) <= set(gdf.columns) else conform(gdf, kind)
    frame = gdf
    if "kommunenummer" not in column_targets(gdf.columns, columns) or _some_missing(gdf):
        frame = gdf.assign(kommunenummer=municipalities_by_location(gdf, places, label))
    log = issues if issues is not None else IssueLog()
    out = to_canonical(frame, kind, path=Path(label), issues=log, columns=columns)
    if "source" in gdf.columns and gdf["source"].notna().all() and len(out) == len(gdf):
        out["source"] = gdf["source"].astype("string").to_numpy()
    return out


def is_canonical(gdf: gpd.GeoDataFrame, kind: str) -> bool:
    """Whether ``gdf`` already is a ``kind`` layer: working CRS, required columns filled."""
    if gdf.crs is None or not gdf.crs.equals(CRS):
        return False
    required = [n for n, c in KIND_COLUMNS[kind].items() if c.required]
    return all(c in gdf.columns and gdf[c].notna().all() for c in required)


def _some_missing(gdf: gpd.GeoDataFrame) -> bool:
    return "kommunenummer" in gdf.columns and bool(gdf["kommunenummer"].isna().any())


def municipalities_by_location(
    gdf: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None, label: str
) -> pd.Series:
    """Each feature's ``kommunenummer``: its own where it has one, else where it lies.

    A point inside each feature is looked up in ``places`` (features that carry a
    ``kommunenummer``), then in the shipped municipal borders.

    Raises
    ------
    SchemaError
        Naming how many features lie in no known municipality.
    """
    own = (
        gdf["kommunenummer"].astype("string")
        if "kommunenummer" in gdf.columns
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    missing = own.isna().to_numpy()
    if not missing.any():
        return own
    points = gpd.GeoSeries(gdf.geometry[missing].representative_point(), crs=gdf.crs)
    found = pd.Series(pd.NA, index=points.index, dtype="string")
    for source in (places, shipped_boundaries()):
        if source is None or not len(source) or "kommunenummer" not in source.columns:
            continue
        todo = found.isna().to_numpy()
        if not todo.any():
            break
        found[todo] = _lookup(points[todo], source)
    if found.isna().any():
        count = int(found.isna().sum())
        raise SchemaError(
            f"{label}: {count} feature(s) have no kommunenummer and lie in no known "
            "municipality (the shipped borders cover Norway but 1508 Ålesund and 1580 Haram "
            "as their own); add a kommunenummer column"
        )
    own[missing] = found.to_numpy()
    return own


def _lookup(points: gpd.GeoSeries, places: gpd.GeoDataFrame) -> np.ndarray:
    """The ``kommunenummer`` of the place each point lies in (NA where none)."""
    target = places[["kommunenummer", "geometry"]].to_crs(points.crs)
    left = gpd.GeoDataFrame(geometry=points.reset_index(drop=True), crs=points.crs)
    hits = left.sjoin(target, how="left", predicate="within")
    first = hits[~hits.index.duplicated(keep="first")]
    return first["kommunenummer"].astype("string").reindex(range(len(points))).to_numpy()
