"""Coordinate reference systems in plan GML: ``srsName`` checks, axis order, one file CRS.

Every ``srsName`` must name an EPSG CRS that pyproj knows, projected or geographic, whose
area of use reaches Norway; anything else raises :class:`~arealkart.errors.CRSError`.
Geometries in a second CRS are transformed to the file's CRS, and zones and constraints
whose coordinates cannot reach the working CRS are marked as failed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from pyproj import Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from arealkart.errors import CRSError
from arealkart.load.geometry import NAME_A_CRS
from arealkart.load.gml.features import _Feature
from arealkart.load.planobjects import layer_of
from arealkart.model.schema import CRS as WORKING_CRS

_EPSG_SRS = re.compile(r"(?i)(?:^|[/:#])EPSG(?:/[\d.]+/|:[\d.]*:|:|\.xml#)(\d{1,9})")
_NORWAY = (
    (4.0, 57.5, 31.5, 71.5),  # mainland with coastal waters
    (10.0, 74.0, 35.0, 81.0),  # Svalbard
    (-9.1, 70.8, -7.9, 71.2),  # Jan Mayen
)
_DEGREES_PER_METRE = 1 / 111_320


@dataclass(frozen=True)
class _Ctx:
    """The srsName and srsDimension in force at an element."""

    srs: str | None = None
    dim: int | None = None


@dataclass(frozen=True)
class _Srs:
    name: str
    crs: pyproj.CRS
    swap: bool
    dimension: int
    unit: float  # CRS units per metre


class _SrsLookup:
    """Check and cache the CRS of every ``srsName`` met in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache: dict[str, _Srs] = {}

    def __call__(self, name: str, feature: str | None = None) -> _Srs:
        srs = self.cache.get(name)
        if srs is None:
            srs = self.cache[name] = _parse_srs(name, self.path, feature)
        return srs


def _parse_srs(name: str, path: Path, feature: str | None) -> _Srs:
    crs, authority_axes = _crs_of(name, path, feature)
    horizontal = crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs
    if not (horizontal.is_projected or horizontal.is_geographic):
        raise CRSError(
            path,
            f"srsName {name!r} names {crs.name}, a {crs.type_name}; expected a projected "
            "or geographic CRS such as EPSG:25832",
            feature=feature,
        )
    area = crs.area_of_use
    if area is not None and not any(_overlaps(area.bounds, box) for box in _NORWAY):
        raise CRSError(
            path,
            f"srsName {name!r} names {crs.name}, whose area of use ({area.name}) is far "
            "from Norway; Norwegian plan data uses EPSG:25832, 25833 or 25835, so the srsName "
            "is probably wrong",
            feature=feature,
        )
    axes = horizontal.axis_info
    swap = authority_axes and bool(axes) and axes[0].direction.lower() in ("north", "south")
    unit = 1 / axes[0].unit_conversion_factor if horizontal.is_projected and axes else 1.0
    if horizontal.is_geographic:
        unit = _DEGREES_PER_METRE
    return _Srs(name, horizontal, swap, max(2, min(3, len(crs.axis_info))), unit)


def _crs_of(name: str, path: Path, feature: str | None) -> tuple[pyproj.CRS, bool]:
    authority_axes = name.casefold().startswith("urn:") or "/def/crs/" in name.casefold()
    if name.rstrip().upper().endswith("CRS84"):
        return pyproj.CRS.from_user_input("OGC:CRS84"), False
    match = _EPSG_SRS.search(name.strip())
    if match is None or match.end() != len(name.strip()):
        raise CRSError(
            path,
            f"srsName {name!r} is not an EPSG code; expected e.g. "
            "'http://www.opengis.net/def/crs/EPSG/0/25832' or 'urn:ogc:def:crs:EPSG::25832'",
            feature=feature,
        )
    try:
        return pyproj.CRS.from_epsg(int(match.group(1))), authority_axes
    except (ProjCRSError, ValueError, OverflowError):
        raise CRSError(
            path,
            f"srsName {name!r} names EPSG:{match.group(1)}, which is not in the EPSG "
            "registry; Norwegian plan data uses EPSG:25832, 25833 or 25835",
            feature=feature,
        ) from None


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _file_crs(
    features: list[_Feature],
    collection_srs: str | None,
    lookup: _SrsLookup,
    path: Path,
    crs: Any,
) -> _Srs:
    """Choose the CRS for all geometries: the collection's, else the most common."""
    name = collection_srs
    if name is None:
        used = Counter(f.srs for f in features if f.geometry is not None and f.srs)
        name = used.most_common(1)[0][0] if used else None
    if name is not None:
        return lookup(name)
    has_geometry = any(f.geometry is not None for f in features)
    if crs is None and has_geometry:
        raise CRSError(
            path,
            "the file names no CRS (no srsName on the collection's gml:boundedBy "
            f"or on any geometry); name one: {NAME_A_CRS}",
        )
    try:
        user = pyproj.CRS.from_user_input(crs if crs is not None else WORKING_CRS)
    except (ProjCRSError, ValueError, TypeError) as exc:
        raise CRSError(path, f"unknown CRS {crs!r}: {exc}") from None
    return _Srs(str(crs), user, False, 2, 1.0 if user.is_projected else _DEGREES_PER_METRE)


def _to_file_crs(features: list[_Feature], target: _Srs, lookup: _SrsLookup) -> None:
    transformers: dict[str, Transformer] = {}
    for feature in features:
        if feature.geometry is None or not feature.srs or feature.srs == target.name:
            continue
        source = lookup(feature.srs)
        if source.crs.equals(target.crs):
            continue
        if feature.srs not in transformers:
            transformers[feature.srs] = Transformer.from_crs(source.crs, target.crs, always_xy=True)
        moved = shapely.transform(feature.geometry, _transform_with(transformers[feature.srs]))
        if not np.isfinite(shapely.get_coordinates(moved)).all():
            feature.fail(
                f"its coordinates cannot be transformed from {feature.srs} to {target.crs.name}"
            )
        else:
            feature.geometry = moved


def _check_working_crs(features: list[_Feature], target: _Srs) -> None:
    """Mark zones and constraints whose coordinates cannot reach EPSG:25832."""
    if target.crs.equals(pyproj.CRS.from_user_input(WORKING_CRS)):
        return
    transform = _transform_with(Transformer.from_crs(target.crs, WORKING_CRS, always_xy=True))
    for feature in features:
        if feature.geometry is None or layer_of(feature.objtype) == feature.objtype:
            continue
        if not np.isfinite(transform(shapely.get_coordinates(feature.geometry))).all():
            feature.fail(
                f"its coordinates lie outside the area where {target.crs.name} can "
                f"be transformed to {WORKING_CRS}"
            )


def _transform_with(transformer: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    def transform(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return transform
