"""A layer prepared for fast queries: attribute codes and an STRtree, built once.

:class:`LayerIndex` wraps one layer of a build.  Attribute columns are factorised into
integer codes on first use, so a municipality or category filter is one ``numpy.isin``
over integers; the STRtree over the geometries is built on first spatial use, so distance,
box and polygon filters ask the tree for candidates instead of testing every feature.
:func:`read_layer` reads a layer of a build's GeoPackage, optionally only the features in
a box (GDAL uses the GeoPackage's R-tree) or matching an SQL filter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from arealkart.ask._gpkg import check_spatial_index, describe_layer, read_features
from arealkart.ask.filters import check_layer
from arealkart.errors import CRSError, QueryError
from arealkart.model.output_layers import GEOPACKAGE, PRECISION, QUERY_LAYERS
from arealkart.model.schema import CRS


def layer_area_m2(frame: pd.DataFrame, layer: str) -> np.ndarray:
    """Each row's area in m².

    The layer's area column (see :data:`~arealkart.model.output_layers.QUERY_LAYERS`);
    where that is missing, the polygon's area if the frame has geometries, else NaN;
    rounded to 0.01 m² as every output is (see
    :data:`~arealkart.model.output_layers.PRECISION`).
    """
    column = QUERY_LAYERS[layer].area
    if column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    else:
        values = np.full(len(frame), np.nan)
    missing = np.isnan(values)
    if missing.any() and isinstance(frame, gpd.GeoDataFrame):
        values = values.copy()
        values[missing] = shapely.area(frame.geometry.to_numpy()[missing])
    return np.round(values, PRECISION["_m2"])  # as published: the same answer from any source


# --- the index ------------------------------------------------------------------------------


class LayerIndex:
    """One layer prepared for fast queries: coded attributes and a lazy STRtree.

    Parameters
    ----------
    frame
        The layer; reprojected to EPSG:25832 if in another CRS.
    layer
        Which layer it is (a key of :data:`~arealkart.model.output_layers.QUERY_LAYERS`).
    """

    def __init__(self, frame: gpd.GeoDataFrame, layer: str = "ledige_arealer") -> None:
        check_layer(layer)
        if frame.crs is None and len(frame):
            raise CRSError(
                None,
                f"the {layer} frame has no CRS, so distances and areas cannot be measured; "
                "set the one its coordinates are in, e.g. frame.set_crs('EPSG:25832')",
            )
        if frame.crs is None:
            frame = frame.set_crs(CRS)
        elif frame.crs != CRS:
            frame = frame.to_crs(CRS)
        self.frame = frame.reset_index(drop=True)
        self.layer = layer
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}

    @classmethod
    def load(
        cls,
        source: str | os.PathLike[str] = "output",
        layer: str = "ledige_arealer",
        *,
        bbox: tuple[float, float, float, float] | None = None,
        where: str | None = None,
    ) -> LayerIndex:
        """Read a layer of a build (its output folder or GeoPackage, or a vector file).

        Parameters
        ----------
        bbox, where
            Read only features touching this EPSG:25832 box / matching this SQL filter.

        Raises
        ------
        QueryError
            If no build exists there, or the layer is missing or unreadable.
        """
        return cls(read_layer(source, layer, bbox=bbox, where=where), layer)

    def __len__(self) -> int:
        return len(self.frame)

    def prepare(self) -> LayerIndex:
        """Build the tree, bounds, areas and attribute codes now rather than on first use.

        Useful before timing queries or serving many; returns ``self``.
        """
        _ = self.tree, self.bounds, self.area_m2
        for column in ("kommunenummer", "kategori", "status", "plan_id"):
            if column in self.frame.columns:
                self._coded(column, upper=False)
        if "feltnavn" in self.frame.columns:
            self._coded("feltnavn", upper=True)
        return self

    @cached_property
    def geometries(self) -> np.ndarray:
        """The geometries as a numpy array of shapely objects."""
        return self.frame.geometry.to_numpy()

    @cached_property
    def tree(self) -> shapely.STRtree:
        """STRtree over :attr:`geometries`, built on first use."""
        return shapely.STRtree(self.geometries)

    @cached_property
    def bounds(self) -> np.ndarray:
        """Bounding boxes, shape (n, 4)."""
        return shapely.bounds(self.geometries)

    @cached_property
    def area_m2(self) -> np.ndarray:
        """The layer's area in m² (see :func:`layer_area_m2`)."""
        return layer_area_m2(self.frame, self.layer)

    def isin(
        self,
        column: str,
        values: Iterable[str],
        *,
        upper: bool = False,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Which of ``rows`` (default all) have ``column`` in ``values``.

        Compared as text; with ``upper``, case-insensitively.
        """
        codes, uniques = self._coded(column, upper)
        wanted = uniques.get_indexer(pd.Index([v.upper() if upper else v for v in values]))
        table = np.zeros(len(uniques) + 1, dtype=bool)  # the extra last slot: code -1 (NA)
        table[wanted[wanted >= 0]] = True
        return table[codes if rows is None else codes[rows]]

    def numbers(self, column: str) -> np.ndarray:
        """A column as floats (NaN where missing or not a number)."""
        self.require_column(column)
        return pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=float)

    def booleans(self, column: str) -> pd.Series:
        """A column as nullable booleans, whatever type GDAL gave it."""
        self.require_column(column)
        series = self.frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            words = series.astype("string").str.casefold()
            series = words.map({"true": True, "1": True, "false": False, "0": False})
        return series.astype("boolean")

    def near(self, geometry: BaseGeometry, distance: float | None = None) -> np.ndarray:
        """Rows intersecting ``geometry`` (or within ``distance`` m of it), via the tree."""
        if distance is None:
            return self.tree.query(geometry, predicate="intersects")
        return self.tree.query(geometry, predicate="dwithin", distance=distance)

    def distances(self, rows: np.ndarray, point: shapely.Point) -> np.ndarray:
        """Metres from ``point`` to each of ``rows`` (0 inside a feature)."""
        return shapely.distance(self.geometries[rows], point)

    def nearest(self, rows: np.ndarray, point: shapely.Point, k: int) -> np.ndarray:
        """The ``k`` of ``rows`` nearest to ``point``, nearest first (ties by row order).

        Exact, without measuring every row: when ``rows`` is most of the layer, the tree is
        asked for features within a growing distance until ``k`` of ``rows`` are found
        (every feature farther away is farther than those); when ``rows`` is a small
        selection, only rows whose bounding box is no farther than the k-th nearest of the
        nearest boxes are measured.
        """
        if len(rows) <= k:
            return self._by_distance(rows, point)
        if len(rows) > len(self) // 10:
            return self._nearest_by_tree(rows, point, k)
        box = _box_distance(self.bounds[rows], point.x, point.y)
        first = rows[np.argpartition(box, k - 1)[:k]]
        reach = self.distances(first, point).max()
        return self._by_distance(rows[box <= reach], point)[:k]

    def _nearest_by_tree(self, rows: np.ndarray, point: shapely.Point, k: int) -> np.ndarray:
        member = np.zeros(len(self), dtype=bool)
        member[rows] = True
        distance = 1_000.0
        while True:
            hits = np.sort(self.tree.query(point, predicate="dwithin", distance=distance))
            hits = hits[member[hits]]
            if len(hits) >= k:
                return self._by_distance(hits, point)[:k]
            distance *= 4

    def _by_distance(self, rows: np.ndarray, point: shapely.Point) -> np.ndarray:
        return rows[np.argsort(self.distances(rows, point), kind="stable")]

    def _coded(self, column: str, upper: bool) -> tuple[np.ndarray, pd.Index]:
        key = f"{column}:upper" if upper else column
        if key not in self._codes:
            self.require_column(column)
            text = self.frame[column].astype("string").str.strip()
            codes, uniques = pd.factorize(text.str.upper() if upper else text)
            self._codes[key] = (codes, pd.Index(uniques))
        return self._codes[key]

    def require_column(self, column: str) -> None:
        """Raise :class:`QueryError` naming the layer's columns if ``column`` is not one."""
        if column not in self.frame.columns:
            raise QueryError(
                f"layer {self.layer!r} has no column {column!r}; columns: "
                f"{[c for c in self.frame.columns if c != 'geometry']}"
            )


def _box_distance(bounds: np.ndarray, x: float, y: float) -> np.ndarray:
    dx = np.maximum(np.maximum(bounds[:, 0] - x, x - bounds[:, 2]), 0.0)
    dy = np.maximum(np.maximum(bounds[:, 1] - y, y - bounds[:, 3]), 0.0)
    return np.hypot(dx, dy)


def build_path(source: str | os.PathLike[str]) -> Path:
    """The GeoPackage of a build (``source`` is its output folder or the file itself).

    Raises
    ------
    QueryError
        If there is no such file: no build yet.
    """
    path = Path(source)
    if path.is_dir() or (not path.exists() and path.suffix.casefold() != ".gpkg"):
        path = path / GEOPACKAGE
    if not path.exists():
        raise QueryError(
            f"no build found at {path}; run 'arealkart build' first "
            f"(or point at a build's output folder)"
        )
    return path


def layer_fields(path: Path, layer: str) -> set[str]:
    """The attribute fields of ``layer`` in a GeoPackage (empty for other files).

    Raises
    ------
    QueryError
        If the GeoPackage has no such layer or cannot be read.
    """
    if path.suffix.casefold() != ".gpkg":
        return set()
    return set(describe_layer(path, layer).fields)


def read_layer(
    source: str | os.PathLike[str],
    layer: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer of a build's GeoPackage (``source`` is the file or the output folder).

    Parameters
    ----------
    bbox
        Read only features whose bounding box touches this EPSG:25832 box (GDAL answers
        from the GeoPackage's R-tree).
    where
        Read only features matching this SQL (GeoPackage only).

    A vector file that is not a GeoPackage (e.g. an exported GeoJSON) is read whole.  The
    features come in the layer's order (by feature id), however SQLite found them, so a
    part read with ``bbox`` or ``where`` is in the order of the whole layer.  A part is read
    with SQLite directly where the layer's column types allow (see
    :func:`arealkart.ask._gpkg.read_features`: the same frame, a few times faster), else
    with GDAL.

    Raises
    ------
    QueryError
        If no build exists there yet, or the layer is missing or unreadable.
    """
    path = build_path(source)
    is_gpkg = path.suffix.casefold() == ".gpkg"
    layer_fields(path, layer)
    if is_gpkg and bbox is not None:
        check_spatial_index(path, layer)
    if is_gpkg and (bbox is not None or where is not None):
        found = read_features(path, layer, bbox=bbox, where=where)
        if found is not None:
            return found
    try:
        frame = pyogrio.read_dataframe(
            path,
            layer=layer if is_gpkg else None,
            bbox=bbox if is_gpkg else None,
            where=where if is_gpkg else None,
            fid_as_index=is_gpkg,
        )
    except Exception as exc:  # GDAL raises many types for broken files
        raise QueryError(f"{path}: cannot read layer {layer!r}: {exc}") from None
    if is_gpkg and not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")  # R-tree or index order → the layer's order
    return frame.reset_index(drop=True) if is_gpkg else frame
