"""Compact encodings of what the map sends: polyline rings and columnar properties.

A map page carries its data once, as compactly as plain JSON allows:

* geometries as `encoded polylines <https://developers.google.com/maps/documentation/
  utilities/polylinealgorithm>`_ at 6 decimals ("polyline6"): integer micro-degrees,
  latitude first, each value the difference to the previous point of the ring, zig-zag
  and 5-bit chunked into printable characters.  A ring's closing point is dropped (Leaflet
  closes polygons).  A polygon without holes is one string; otherwise a feature is a list
  of polygons, each a list of rings;
* properties column by column; repeated strings as a dictionary (``{"d": values,
  "i": codes}``), missing values as ``null``.

Everything is vectorised over all coordinates at once with NumPy.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import shapely

from arealkart.publish.export import DECIMALS, json_value

SCALE = 10**DECIMALS
_CHUNKS = 7  # 35 bits: far more than ±180° in micro-degrees needs


def polyline_values(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Encode signed integers as polyline characters.

    Returns
    -------
    tuple
        All characters as ASCII bytes, and the number of characters of each value.
    """
    v = values.astype(np.int64)
    zigzag = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    shifts = (np.arange(_CHUNKS, dtype=np.uint64) * np.uint64(5))[None, :]
    shifted = zigzag[:, None] >> shifts
    needed = shifted > 0
    needed[:, 0] = True
    more = np.zeros_like(needed)
    more[:, :-1] = needed[:, 1:]
    chars = (shifted & np.uint64(31)) + np.uint64(63) + np.uint64(32) * more
    return chars[needed].astype(np.uint8).tobytes(), needed.sum(axis=1)


def _encode_rings(coords: np.ndarray, ring_offsets: np.ndarray) -> list[str]:
    """One polyline string per ring, the closing point of each ring dropped."""
    starts, ends = ring_offsets[:-1], ring_offsets[1:]
    if not len(starts):
        return []
    keep = np.ones(len(coords), dtype=bool)
    closed = (ends - starts > 1) & np.all(
        coords[np.maximum(ends - 1, 0)] == coords[np.minimum(starts, len(coords) - 1)], axis=1
    )
    keep[(ends - 1)[closed]] = False
    lengths = ends - starts - closed.astype(int)
    latlon = np.round(coords[keep][:, ::-1] * SCALE).astype(np.int64)
    ring_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    previous = np.vstack([np.zeros((1, 2), dtype=np.int64), latlon[:-1]])
    previous[ring_starts[lengths > 0]] = 0
    text, sizes = polyline_values((latlon - previous).ravel())
    bounds = np.concatenate([[0], np.cumsum(sizes.reshape(-1, 2).sum(axis=1))])
    point_bounds = np.concatenate([[0], np.cumsum(lengths)])
    decoded = text.decode("ascii")
    return [decoded[bounds[a] : bounds[b]] for a, b in itertools.pairwise(point_bounds)]


def encode_polygons(geoms: np.ndarray) -> list[Any]:
    """Polygons and MultiPolygons (WGS84) as polyline6 rings, one entry per geometry.

    A polygon without holes gives a string; anything else a list of polygons, each a
    list of ring strings (outer ring first).  Empty geometries give an empty list.
    """
    if not len(geoms):
        return []
    geom_type, coords, offsets = shapely.to_ragged_array(geoms)
    if geom_type == shapely.GeometryType.POLYGON:
        ring_offsets, poly_offsets = offsets
        geom_offsets = np.arange(len(poly_offsets))
    elif geom_type == shapely.GeometryType.MULTIPOLYGON:
        ring_offsets, poly_offsets, geom_offsets = offsets
    else:
        raise ValueError(f"expected polygons, got {geom_type!r}")
    rings = _encode_rings(coords, np.asarray(ring_offsets))
    out: list[Any] = []
    for g in range(len(geom_offsets) - 1):
        polygons = [
            rings[poly_offsets[p] : poly_offsets[p + 1]]
            for p in range(geom_offsets[g], geom_offsets[g + 1])
        ]
        if len(polygons) == 1 and len(polygons[0]) == 1:
            out.append(polygons[0][0])
        else:
            out.append(polygons)
    return out


def encode_points(geoms: np.ndarray) -> str:
    """Points (WGS84) as one polyline6 string, each point relative to the one before."""
    if not len(geoms):
        return ""
    xy = shapely.get_coordinates(geoms)
    if len(xy) != len(geoms):
        raise ValueError("every geometry must be one point")
    return _encode_rings(xy, np.array([0, len(xy)]))[0]


def column(values: pd.Series, decimals: int | None = None) -> Any:
    """One property column: a list, or a dictionary encoding for repeated strings."""
    if decimals is not None:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").round(decimals)
        if decimals == 0:
            return [None if pd.isna(v) else int(v) for v in numbers]
        return [None if pd.isna(v) else float(v) for v in numbers]
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        if len(uniques) < 0.5 * len(values):
            return {"d": [str(u) for u in uniques], "i": codes.tolist()}
    return [json_value(v) for v in values.tolist()]
