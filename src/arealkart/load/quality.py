"""Data quality checks over a whole region: duplicates, and features outside their border.

Readers already repair invalid polygons and report empty ones, file by file.  These checks
need all files together: the same zone delivered twice (in two files, or twice in one), and
features that lie outside the municipality they are said to belong to.  Each finding is a
row in the issues report; duplicates and features wholly outside are excluded.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.model.issues import Issue, concat_issues, issues_frame, source_feature, source_file
from arealkart.model.plandata import PlanData
from arealkart.model.schema import ID_COLUMNS, KIND_COLUMNS, KINDS
from arealkart.registry.kommuner import boundaries as municipality_boundaries
from arealkart.registry.kommuner import shipped_border_numbers

SAME_THING = {
    "zones": ("objtype", "arealformal"),
    "constraints": ("hensyn_kode",),
    "plots": (),
    "buildings": (),
}
"""Attributes that must also agree for two identical geometries to be one feature."""

BORDER_TOLERANCE = 500.0
"""Metres a feature may lie outside its municipality's (generalised) border unnoticed."""


def check_quality(data: PlanData, *, borders: gpd.GeoDataFrame | None = None) -> PlanData:
    """Drop duplicates and features outside their municipality, reporting each.

    Parameters
    ----------
    data
        Everything read for a region.
    borders
        Municipal borders (EPSG:25832, ``kommunenummer``), such as a region's
        (:meth:`~arealkart.config.RegionConfig.boundaries`); default the shipped borders
        of the municipalities that have one.  Features of municipalities without a border
        are not checked for it.
    """
    numbers = _numbers(data)
    borders = _shipped_borders(numbers) if borders is None else borders
    areas = tolerance_areas(borders, numbers)  # buffered once, for every layer
    layers, issues = {}, [data.issues]
    for kind in KINDS:
        layer, found = drop_duplicates(data.layer(kind), kind)
        if kind == "zones":
            layer, twice = drop_zones_from_two_sources(layer)
            issues.append(twice)
        layer, outside = check_borders(layer, kind, areas)
        layers[kind] = layer
        issues += [found, outside]
    return PlanData(**layers, issues=concat_issues(issues), counts=data.counts)


def drop_duplicates(layer: gpd.GeoDataFrame, kind: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Keep the first of features with the same id or the same geometry and attributes.

    Ids derived from the source (``file#feature``) are unique by construction and are not
    compared; real ids (LOKALID, plot and building numbers) are compared per municipality.
    """
    if not len(layer):
        return layer, issues_frame()
    id_column = ID_COLUMNS[kind]
    ids = layer[id_column].astype("string")
    real_id = ~ids.str.contains("#", regex=False).fillna(True)
    same_id = real_id & layer.assign(_id=ids).duplicated(["kommunenummer", "_id"])
    shape = pd.Series(
        shapely.to_wkb(shapely.normalize(layer.geometry.to_numpy())), index=layer.index
    )
    keys = [layer[c].astype("string") for c in SAME_THING[kind] if c in KIND_COLUMNS[kind]]
    same_shape = pd.concat([shape, *keys], axis=1).duplicated()
    repeated = (same_id | same_shape).to_numpy()
    first = _first_of(layer, ids, shape, same_id.to_numpy())
    rows = layer[repeated]
    issues = issues_frame(
        Issue(
            source_file(row.source),
            source_feature(row.source),
            kind,
            "duplikat",
            "excluded",
            f"{id_column} {getattr(row, id_column)}: the same {kind[:-1]} as {first[i]} "
            f"(same {'id' if same_id.iloc[i] else 'geometry'}); the first is kept",
        )
        for i, row in zip(np.flatnonzero(repeated).tolist(), rows.itertuples(), strict=True)
    )
    return layer[~repeated], issues


SOURCE_OVERLAP = 0.9
"""Share of the smaller zone two zones of the same code from different files must have in
common to be one zone given twice (a plan exported twice, say, with its arcs densified
differently) when one of them has no plan id.  Zones of the same plan id need only
overlap."""


def drop_zones_from_two_sources(zones: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Keep one of the zones that two input files both give, reporting the other.

    Two zones from different files are one zone when they have the same municipality and
    land-use code (``objtype`` and ``arealformal``) and either the same ``plan_id`` and any
    overlap, or (where one has no plan id) an overlap of at least :data:`SOURCE_OVERLAP`
    of the smaller one.  Zones of *different* plans are never merged here: a newer plan
    over an older one is the overlap rule's to settle (see
    :func:`arealkart.available.plans.resolve_overlaps`).  The zone of the file the config
    lists first is kept; the other is ``excluded`` with rule ``duplikat_kilde``.
    """
    if len(zones) < 2:
        return zones, issues_frame()
    geoms = zones.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    files = zones["source"].map(source_file).to_numpy()
    same = files[left] != files[right]
    for column in ("kommunenummer", "objtype", "arealformal"):
        values = zones[column].astype("string").fillna("").to_numpy()
        same &= values[left] == values[right]
    left, right = left[same], right[same]
    if not len(left):
        return zones, issues_frame()
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    plan = zones["plan_id"].astype("string").fillna("").to_numpy()
    known = (plan[left] != "") & (plan[right] != "")
    same_plan = known & (plan[left] == plan[right]) & (shared > 0)
    unnamed = ~known & (shared >= SOURCE_OVERLAP * smaller)
    twice = same_plan | unnamed
    kept_as: dict[int, int] = {}
    for first, later in zip(left[twice].tolist(), right[twice].tolist(), strict=True):
        kept_as.setdefault(later, first)
    gone = np.array(sorted(kept_as), dtype=int)
    source = zones["source"].astype(str).to_numpy()
    issues = issues_frame(
        Issue(
            source_file(source[i]),
            source_feature(source[i]),
            "zones",
            "duplikat_kilde",
            "excluded",
            f"zone_id {zones['zone_id'].iloc[i]}: the same zone as {source[kept_as[i]]} "
            "from another file (same plan and code, overlapping); the file listed first is "
            "kept",
        )
        for i in gone.tolist()
    )
    keep = np.ones(len(zones), dtype=bool)
    keep[gone] = False
    return zones[keep], issues


def _first_of(
    layer: gpd.GeoDataFrame, ids: pd.Series, shape: pd.Series, same_id: np.ndarray
) -> dict[int, str]:
    """For each row, the source of the first row it repeats."""
    source = layer["source"].astype(str).to_numpy()
    by_id = (
        pd.Series(source, index=layer.index)
        .groupby([layer["kommunenummer"].to_numpy(), ids.to_numpy()], dropna=False)
        .transform("first")
    )
    by_shape = pd.Series(source, index=layer.index).groupby(shape.to_numpy()).transform("first")
    chosen = np.where(same_id, by_id.to_numpy(), by_shape.to_numpy())
    return dict(enumerate(chosen))


def tolerance_areas(borders: gpd.GeoDataFrame, numbers: Iterable[str]) -> gpd.GeoSeries:
    """The borders of municipalities ``numbers`` widened by :data:`BORDER_TOLERANCE`.

    Indexed by ``kommunenummer`` and prepared for many tests each; only the municipalities
    asked for are buffered (a coastline's buffer is costly, and a national config holds
    every border while a task checks one municipality).
    """
    wanted = borders[borders["kommunenummer"].isin(set(numbers))]
    areas = wanted.set_index("kommunenummer").geometry.buffer(BORDER_TOLERANCE)
    shapely.prepare(areas.to_numpy())
    return areas


def check_borders(
    layer: gpd.GeoDataFrame, kind: str, areas: gpd.GeoSeries
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Exclude features wholly outside their municipality; flag those partly outside.

    A feature is *outside* when no part of it lies within :data:`BORDER_TOLERANCE` of the
    municipality's border, and *partly outside* when a point on it does not.  ``areas``:
    the widened borders, by municipality number (:func:`tolerance_areas`).
    """
    if not len(layer) or not len(areas):
        return layer, issues_frame()
    known = layer["kommunenummer"].isin(areas.index).to_numpy()
    area = areas.reindex(layer["kommunenummer"]).to_numpy()
    geoms = layer.geometry.to_numpy()
    outside = np.zeros(len(layer), dtype=bool)
    partly = np.zeros(len(layer), dtype=bool)
    outside[known] = ~shapely.intersects(area[known], geoms[known])
    points = shapely.point_on_surface(geoms[known])
    partly[known] = ~outside[known] & ~shapely.contains(area[known], points)
    id_column = ID_COLUMNS[kind]
    issues = issues_frame(
        Issue(
            source_file(row.source),
            str(getattr(row, id_column)),
            kind,
            "utenfor_kommune",
            "excluded" if out else "flagged",
            f"{'lies' if out else 'lies partly'} outside municipality {row.kommunenummer}",
        )
        for row, out in zip(
            layer[outside | partly].itertuples(), outside[outside | partly], strict=True
        )
    )
    return layer[~outside], issues


def _numbers(data: PlanData) -> set[str]:
    """The municipality numbers the features of ``data`` give."""
    numbers: set[str] = set()
    for kind in KINDS:
        numbers |= set(data.layer(kind)["kommunenummer"].dropna())
    return numbers


def _shipped_borders(numbers: set[str]) -> gpd.GeoDataFrame:
    """The shipped borders of those of ``numbers`` that have one."""
    shipped = sorted(numbers & shipped_border_numbers())
    if not shipped:
        return gpd.GeoDataFrame({"kommunenummer": []}, geometry=[], crs="EPSG:25832")
    return municipality_boundaries(shipped)
