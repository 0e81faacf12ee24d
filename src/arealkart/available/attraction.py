"""Attractive land: how far free land lies from centres, schools, shops and næringshager.

Every free area and plot gets, for each kind of place in
:data:`~arealkart.model.vocabulary.ATTRACTION_TYPES`, the distance in metres to the nearest
place of that kind (``avstand_<kind>_m``; empty where no place of the kind is given or,
along roads, none can be reached).  Distances are straight lines from the nearest edge of
the land (0 for a place inside it) in EPSG:25832, or, where the config gives a road network,
along the roads (:class:`RoadNetwork`); ``avstand_grunnlag`` says which.

The score ``poeng`` (0–100) weighs the distances by the land's category, with the
parameters ``naer_m``, ``fjern_m`` and ``vekt`` (``data/parametere.toml``)::

    points(kind) = 1 within naer_m, 0 beyond fjern_m, falling in a straight line between
    poeng = 100 × Σ vekt(kind) × points(kind) / Σ vekt(kind)

summed over the kinds with at least one place.  A kind that cannot be reached along the
roads gives 0 points.  The score never rises as a distance grows.  ``rang`` ranks the land
within its municipality and category (1 the most attractive; equal scores share a rank).
Plots get a score and a rank only while they are free (status ``ledig``): a sold or built
plot is no choice to weigh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse
import shapely
from scipy.sparse.csgraph import dijkstra

from arealkart.available.parameters import Parameters
from arealkart.errors import ConfigError
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import ATTRACTION_TYPES, COUNTS_AS, DISTANCE_COLUMNS, PLACE_TYPES
from arealkart.registry.places import gazetteer, place_points

__all__ = [
    "ATTRACTION_COLUMNS",
    "RoadNetwork",
    "attraction",
    "places_by_kind",
    "score",
]


ATTRACTION_COLUMNS = (*DISTANCE_COLUMNS.values(), "avstand_grunnlag", "poeng", "rang")
"""The columns :func:`attraction` adds."""

_SNAP = 0.1
"""Road vertices closer than this (m) are one node of the network."""


@dataclass(frozen=True)
class RoadNetwork:
    """A road network as a graph: line vertices are nodes, segments are edges.

    Lines meet where they share a vertex (to 0.1 m); two roads that cross without one (a
    bridge over a road) do not meet.  Land and places join the network at its nearest
    vertex, and the straight line to it counts in the distance.
    """

    nodes: np.ndarray
    graph: scipy.sparse.csr_array

    @classmethod
    def from_lines(cls, lines: gpd.GeoDataFrame | gpd.GeoSeries) -> RoadNetwork:
        """The network of a line layer in any CRS (other geometries are refused).

        Raises
        ------
        ConfigError
            If the layer has no CRS or holds anything but lines, or none.
        """
        series = lines.geometry if isinstance(lines, gpd.GeoDataFrame) else lines
        if series.crs is None:
            raise ConfigError("the road network has no CRS")
        kinds = set(series.geom_type.dropna())
        if not kinds or kinds - {"LineString", "MultiLineString"}:
            raise ConfigError(f"a road network holds lines; got {sorted(kinds) or 'nothing'}")
        parts = shapely.get_parts(series.to_crs(CRS).to_numpy())
        xy, owner = shapely.get_coordinates(parts, return_index=True)
        keys, node = np.unique(np.round(xy / _SNAP).astype(np.int64), axis=0, return_inverse=True)
        same_line = owner[1:] == owner[:-1]
        start, end = node[:-1][same_line], node[1:][same_line]
        length = np.hypot(*(xy[1:][same_line] - xy[:-1][same_line]).T)
        keep = start != end
        start, end, length = start[keep], end[keep], length[keep]
        if not len(length):
            raise ConfigError("the road network has no segments: its lines are empty or 0 m long")
        n = len(keys)
        graph = scipy.sparse.coo_array(
            (np.concatenate([length, length]), (np.r_[start, end], np.r_[end, start])),
            shape=(n, n),
        )
        return cls(shapely.points(keys * _SNAP), _shortest_edges(graph))

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.nodes)

    def distances(
        self, land: np.ndarray, places: Mapping[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """The distance (m) from each piece of land to the nearest place of each kind.

        Land joins the network at every vertex inside it, or else at its nearest vertex
        (found once for all kinds); ``inf`` where no place can be reached along the roads.
        """
        land_node, land_access = _nearest(self._tree, land)
        inside_land, inside_node = self._tree.query(land, predicate="intersects")
        out = {}
        for kind, points in places.items():
            along = self._from(points)
            metres = land_access + along[land_node]
            np.minimum.at(metres, inside_land, along[inside_node])
            out[kind] = metres
        return out

    def _from(self, places: np.ndarray) -> np.ndarray:
        """Every node's distance along the roads to the nearest of ``places``."""
        place_node, place_access = _nearest(self._tree, places)
        n = len(self.nodes)
        roads = self.graph.tocoo()
        # one more node, joined to every place's node by the straight line to the place
        joined = scipy.sparse.coo_array(
            (
                np.r_[roads.data, place_access + 1e-9],
                (np.r_[roads.row, np.full(len(places), n)], np.r_[roads.col, place_node]),
            ),
            shape=(n + 1, n + 1),
        )
        return dijkstra(_shortest_edges(joined), directed=True, indices=n)[:n]


def _shortest_edges(graph: scipy.sparse.coo_array) -> scipy.sparse.csr_array:
    """The graph with the shortest of parallel edges (a sparse matrix would sum them)."""
    order = np.lexsort((graph.data, graph.col, graph.row))
    row, col, data = graph.row[order], graph.col[order], graph.data[order]
    first = np.r_[True, (row[1:] != row[:-1]) | (col[1:] != col[:-1])]
    return scipy.sparse.csr_array((data[first], (row[first], col[first])), shape=graph.shape)


def _nearest(tree: shapely.STRtree, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each geometry the nearest item of ``tree`` and the distance to it."""
    (rows, items), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    nearest = np.zeros(len(geoms), dtype=np.int64)
    access = np.full(len(geoms), np.inf)
    nearest[rows], access[rows] = items, dist
    return nearest, access


def places_by_kind(places: pd.DataFrame | gpd.GeoDataFrame | None) -> dict[str, np.ndarray]:
    """Each kind of place's points in EPSG:25832; ``None`` takes the built-in gazetteer.

    ``places`` is a places table (see :mod:`arealkart.registry.places`) or a GeoDataFrame
    of points with a ``type`` column, in any CRS.  A municipal centre counts as a centre.

    Raises
    ------
    ConfigError
        For places without a ``type`` column, of an unknown type, or not points.
    """
    if places is None:
        places = gazetteer()
    if "type" not in places.columns:
        raise ConfigError(f"places need a 'type' column, one of {list(PLACE_TYPES)}")
    unknown = sorted(set(places["type"].astype(str)) - set(PLACE_TYPES))
    if unknown:
        raise ConfigError(f"unknown place types {unknown}; expected some of {list(PLACE_TYPES)}")
    if isinstance(places, gpd.GeoDataFrame):
        if places.crs is None:
            raise ConfigError("places have no CRS")
        points = places.to_crs(CRS)
    elif {"lat", "lon"} <= set(places.columns):
        points = place_points(places)
    else:
        raise ConfigError("places need lat and lon columns (WGS84), or be a GeoDataFrame")
    if len(points) and not (points.geom_type == "Point").all():
        raise ConfigError("places must be points")
    kind = points["type"].astype(str).replace(COUNTS_AS)
    return {k: points.geometry[(kind == k).to_numpy()].to_numpy() for k in ATTRACTION_TYPES}


def attraction(
    land: gpd.GeoDataFrame,
    places: dict[str, np.ndarray],
    params: Parameters,
    roads: RoadNetwork | None = None,
    ranked: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """``land`` (free areas or plots, EPSG:25832) with :data:`ATTRACTION_COLUMNS` added.

    Parameters
    ----------
    land
        Rows with ``kommunenummer``, ``kategori`` and geometry.
    places
        Points per kind of place (see :func:`places_by_kind`).
    params
        The weights and distance bands.
    roads
        Measure along this network instead of in straight lines.
    ranked
        Which rows get a score and take part in the ranking (default all; the others get
        their distances only).
    """
    out = land.copy()
    geoms = out.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    present = {kind: places[kind] for kind in ATTRACTION_TYPES if len(places[kind])}
    found = _distances(geoms[usable], present, roads) if usable.any() else {}
    for kind in ATTRACTION_TYPES:
        metres = np.full(len(out), np.nan)
        if kind in found:
            metres[usable] = found[kind]
        out[DISTANCE_COLUMNS[kind]] = np.round(np.where(np.isinf(metres), np.nan, metres))
    out["avstand_grunnlag"] = pd.array(
        ["vegnett" if roads is not None else "luftlinje"] * len(out), dtype="string"
    )
    ranked = usable & (np.ones(len(out), dtype=bool) if ranked is None else ranked)
    out["poeng"] = np.where(ranked, np.round(score(out, list(present), params), 1), np.nan)
    out["rang"] = _rank(out, ranked)
    geometry = out.geometry.name
    return out[[*(c for c in out.columns if c != geometry), geometry]]


def _distances(
    geoms: np.ndarray, places: Mapping[str, np.ndarray], roads: RoadNetwork | None
) -> dict[str, np.ndarray]:
    """Per kind, straight-line distances, or road distances (0 for a place on the land)."""
    straight = {kind: _nearest(shapely.STRtree(p), geoms)[1] for kind, p in places.items()}
    if roads is None:
        return straight
    along = roads.distances(geoms, places)
    return {kind: np.where(straight[kind] == 0, 0.0, along[kind]) for kind in places}


def score(land: pd.DataFrame, kinds: list[str], params: Parameters) -> np.ndarray:
    """The score 0–100 of each row from its distances and category (NaN: no weights).

    Parameters
    ----------
    land
        Rows with ``kategori`` and the distance columns.
    kinds
        The kinds of place that count (those with at least one place).
    params
        ``naer_m``, ``fjern_m`` and ``vekt``.
    """
    category = land["kategori"].astype(str).to_numpy()
    total = np.zeros(len(land))
    weights = np.zeros(len(land))
    for kind in kinds:
        near, far = params.naer_m[kind], params.fjern_m[kind]
        metres = land[DISTANCE_COLUMNS[kind]].to_numpy(dtype=float, na_value=np.nan)
        points = np.clip((far - metres) / (far - near), 0.0, 1.0)
        points = np.where(np.isnan(metres), 0.0, points)  # beyond reach along the roads
        weight = np.array([params.vekt.get(c, {}).get(kind, 0.0) for c in category])
        total += weight * points
        weights += weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weights > 0, 100.0 * total / weights, np.nan)


def _rank(land: pd.DataFrame, ranked: np.ndarray) -> pd.Series:
    """Rank by score within municipality and category, among the ``ranked`` rows."""
    poeng = land["poeng"].where(ranked)
    groups = [land["kommunenummer"].astype(str), land["kategori"].astype(str)]
    rank = poeng.groupby(groups).rank(method="min", ascending=False)
    return rank.astype("Int64")
