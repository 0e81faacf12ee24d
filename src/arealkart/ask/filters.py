"""Query filters: check and normalise what a user asks for before any data is read.

:func:`make_filters` turns the arguments of :func:`arealkart.ask.search` into a frozen
:class:`Filters` — municipality numbers, valid categories and statuses, ranges in m² and
NOK, points and areas in EPSG:25832 — and raises :class:`~arealkart.errors.QueryError`
naming the bad argument and the values it takes.  Nothing here touches the data.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from arealkart.ask.places import parse_bbox, parse_point, read_area
from arealkart.errors import MunicipalityError, QueryError
from arealkart.model.output_layers import PRECISION, QUERY_LAYERS, OutputLayer
from arealkart.model.vocabulary import (
    ATTRACTION_TYPES,
    CATEGORIES,
    COMBINATIONS,
    DISTANCE_COLUMNS,
    ZONE_USES,
)
from arealkart.registry.kommuner import kommunenummer

AREA_STEP = 10.0 ** -PRECISION["_m2"]
"""The precision areas are compared at, in m² (0.01)."""

DISTANCE = "avstand_m"
"""Column added when a query has a point: metres from the point to the feature."""


SORT_KEYS = {
    "avstand": (DISTANCE, False),
    "distance": (DISTANCE, False),
    "areal": (None, True),
    "area": (None, True),
    "pris": ("pris", False),
    "price": ("pris", False),
    "poeng": ("poeng", True),
    "score": ("poeng", True),
}
"""Named sort orders: nearest first, largest first, cheapest first, most attractive first.
Any other value is a column name, ascending, or descending with a leading ``-`` (e.g.
``"-tomter_estimert"``)."""

_CATEGORY_ALIASES = {"næring": "naering", "naering": "naering"}


@dataclass(frozen=True)
class Filters:
    """A validated query: every value normalised, ranges in m² and NOK, places in EPSG:25832."""

    layer: str
    kommuner: tuple[str, ...] | None = None
    kategorier: tuple[str, ...] | None = None
    kombinasjoner: tuple[str, ...] | None = None
    bruk: tuple[str, ...] | None = None
    statuser: tuple[str, ...] | None = None
    area_m2: tuple[float | None, float | None] = (None, None)
    pris: tuple[float | None, float | None] = (None, None)
    va: bool | None = None
    point: shapely.Point | None = None
    radius_m: float | None = None
    near_type: tuple[str, float] | None = None
    """The distance column of a kind of place and the most metres it may say."""
    region: BaseGeometry | None = None
    plan_ids: tuple[str, ...] | None = None
    feltnavn: tuple[str, ...] | None = None
    sort: tuple[str, bool] | None = None
    limit: int | None = None

    def envelope(self) -> tuple[float, float, float, float] | None:
        """The box every match must touch, or ``None`` when the query is not spatial."""
        boxes = []
        if self.point is not None and self.radius_m is not None:
            boxes.append(self.point.buffer(self.radius_m).bounds)
        if self.region is not None:
            boxes.append(self.region.bounds)
        if not boxes:
            return None
        west, south = max(b[0] for b in boxes), max(b[1] for b in boxes)
        east, north = min(b[2] for b in boxes), min(b[3] for b in boxes)
        return (west, south, east, north)

    def where(self, fields: Collection[str], *, certain: bool = False) -> str | None:
        """An SQL ``WHERE`` of the attribute filters GDAL can evaluate while reading.

        Only filters on columns in ``fields`` (the layer's) are included, and only those
        whose SQL meaning is the in-memory one (not the case-insensitive ``feltnavn``, nor
        ``va``, whose type differs between files); the in-memory filter runs afterwards
        anyway.  Areas are compared in memory as published, to 0.01 m² (see
        :data:`~arealkart.model.output_layers.PRECISION`), so the SQL bounds are widened by
        that much: every row the query keeps matches.  With ``certain``, they are narrowed
        by as much instead: every row that matches is kept by the attribute filters here.
        """
        clauses = [
            f"{column} IN ({', '.join(_sql_text(v) for v in values)})"
            for column, values in (
                ("kommunenummer", self.kommuner),
                ("kategori", self.kategorier),
                ("kombinasjon", self.kombinasjoner),
                ("bruk", self.bruk),
                ("status", self.statuser),
                ("plan_id", self.plan_ids),
            )
            if values is not None and column in fields
        ]
        if self.near_type is not None and self.near_type[0] in fields:
            clauses.append(f"{self.near_type[0]} <= {self.near_type[1]!r}")
        area = QUERY_LAYERS[self.layer].area
        nullable = self.layer == "tomter"  # a plot without a stated size uses its polygon's
        margin = AREA_STEP * (-1.0 if certain else 1.0)
        for column, (low, high), keep_null, slack in (
            (area, self.area_m2, nullable and not certain, margin),
            ("pris", self.pris, False, 0.0),
        ):
            if column not in fields:
                continue
            for operator, bound in ((">=", _shifted(low, -slack)), ("<=", _shifted(high, slack))):
                if bound is not None:
                    clause = f"{column} {operator} {bound!r}"
                    clauses.append(f"({clause} OR {column} IS NULL)" if keep_null else clause)
        return " AND ".join(clauses) or None


def _shifted(bound: float | None, by: float) -> float | None:
    return None if bound is None else float(bound) + by


def make_filters(
    layer: str = "ledige_arealer",
    *,
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
) -> Filters:
    """Check and normalise the arguments of :func:`query` (see there) into :class:`Filters`.

    Raises
    ------
    QueryError
        Naming the bad argument and the values it takes.
    """
    spec = check_layer(layer)
    point = parse_point(near) if near is not None else None
    return Filters(
        layer=layer,
        kommuner=_kommuner(kommune),
        kategorier=_choices(_categories(kategori), CATEGORIES, "kategori"),
        kombinasjoner=_choices(_lower(kombinasjon), COMBINATIONS, "kombinasjon"),
        bruk=_choices(_lower(bruk), ZONE_USES, "bruk"),
        statuser=_statuses(status, layer, spec),
        area_m2=_area_range(min_daa, max_daa, min_m2, max_m2),
        pris=_price_range(min_pris, max_pris, layer),
        va=_plots_only(va, "va", layer),
        point=point,
        radius_m=_radius(within_km if near_type is None else None, point),
        near_type=_near_type(near_type, within_km, point, layer),
        region=_region(bbox, polygon),
        plan_ids=_texts(plan_id, "plan_id"),
        feltnavn=_texts(feltnavn, "feltnavn", upper=True),
        sort=_sort(sort, spec, point, near_type),
        limit=_limit(limit),
    )


def check_layer(layer: str) -> OutputLayer:
    """The :class:`~arealkart.model.output_layers.OutputLayer` of a queryable layer.

    Raises
    ------
    QueryError
        For a layer that cannot be queried.
    """
    if layer not in QUERY_LAYERS:
        raise QueryError(f"unknown layer {layer!r}; expected one of {list(QUERY_LAYERS)}")
    return QUERY_LAYERS[layer]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | int | float):
        return [value]
    return list(value)


def _kommuner(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    try:
        return tuple(dict.fromkeys(kommunenummer(v) for v in _as_list(value)))
    except MunicipalityError as exc:
        raise QueryError(str(exc)) from None


def _categories(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [_CATEGORY_ALIASES.get(str(v).casefold(), str(v).casefold()) for v in _as_list(value)]


def _lower(value: Any) -> list[str] | None:
    return None if value is None else [str(v).casefold() for v in _as_list(value)]


def _choices(values: list[str] | None, allowed: Sequence[str], name: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    bad = [v for v in values if v not in allowed]
    if bad:
        raise QueryError(f"unknown {name} {bad}; valid values: {list(allowed)}")
    return tuple(dict.fromkeys(values))


def _statuses(value: Any, layer: str, spec: OutputLayer) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not spec.statuses:
        raise QueryError(
            "free areas have no status (every free area is free); filter plots with "
            "layer='tomter' (ledig/reservert/solgt/bebygd) or zones with layer='soner'"
        )
    values = [str(v).casefold() for v in _as_list(value)]
    return _choices(values, spec.statuses, f"status for {layer}")


def _range(
    name: str, low: float | None, high: float | None, low_name: str, high_name: str
) -> tuple[float | None, float | None]:
    for label, value in ((low_name, low), (high_name, high)):
        _finite(label, value)
        if value is not None and not value >= 0:
            raise QueryError(f"{label} must not be negative, got {value}")
    if low is not None and high is not None and low > high:
        raise QueryError(f"{low_name} ({low}) is greater than {high_name} ({high}): no {name} fits")
    return (low, high)


def _area_range(
    min_daa: float | None, max_daa: float | None, min_m2: float | None, max_m2: float | None
) -> tuple[float | None, float | None]:
    _range("area", min_daa, max_daa, "min_daa", "max_daa")
    _range("area", min_m2, max_m2, "min_m2", "max_m2")
    for daa, m2, which in ((min_daa, min_m2, "min"), (max_daa, max_m2, "max")):
        if daa is not None and m2 is not None:
            raise QueryError(f"give {which}_daa or {which}_m2, not both")
    low = min_m2 if min_m2 is not None else None if min_daa is None else min_daa * 1000.0
    high = max_m2 if max_m2 is not None else None if max_daa is None else max_daa * 1000.0
    return _range("area", low, high, "the minimum area", "the maximum area")


def _price_range(
    low: float | None, high: float | None, layer: str
) -> tuple[float | None, float | None]:
    if low is not None or high is not None:
        _plots_only(True, "min_pris/max_pris", layer)
    return _range("price", low, high, "min_pris", "max_pris")


def _plots_only(value: Any, name: str, layer: str) -> Any:
    if value is not None and layer != "tomter":
        raise QueryError(f"{name} applies to plots only; query layer='tomter'")
    return value


def _radius(within_km: float | None, point: shapely.Point | None) -> float | None:
    if within_km is None:
        return None
    if point is None:
        raise QueryError(
            "within_km needs a point or a kind of place: give near= (a place, 'lat,lon' or "
            "'E,N') or near_type= (sentrum, skole, barnehage, butikk, naeringshage)"
        )
    _finite("within_km", within_km)
    if not within_km > 0:
        raise QueryError(f"within_km must be positive, got {within_km}")
    return float(within_km) * 1000.0


def _near_type(
    kind: str | None, within_km: float | None, point: shapely.Point | None, layer: str
) -> tuple[str, float] | None:
    """``near_type`` with ``within_km``: within so many km of the nearest place of a kind."""
    if kind is None:
        return None
    key = place_kind(kind)
    if layer not in ("ledige_arealer", "tomter"):
        raise QueryError("near_type applies to free areas and plots; query layer='ledige_arealer'")
    if within_km is None:
        raise QueryError(f"near_type needs within_km: how near to a {key} (km)")
    if point is not None:
        raise QueryError("within_km is measured from near= or from near_type, not both")
    _finite("within_km", within_km)
    if not within_km >= 0:
        raise QueryError(f"within_km must not be negative, got {within_km}")
    return (DISTANCE_COLUMNS[key], float(within_km) * 1000.0)


def place_kind(kind: str) -> str:
    """A kind of place as written (``Næringshage``) → its name (``naeringshage``).

    Raises
    ------
    QueryError
        For a kind that is none of :data:`~arealkart.model.vocabulary.ATTRACTION_TYPES`.
    """
    key = str(kind).strip().casefold().replace("æ", "ae")
    if key not in ATTRACTION_TYPES:
        raise QueryError(f"unknown near_type {kind!r}; valid values: {list(ATTRACTION_TYPES)}")
    return key


def _region(bbox: Any, polygon: Any) -> BaseGeometry | None:
    parts = []
    if bbox is not None:
        parts.append(parse_bbox(bbox))
    if polygon is not None:
        parts.append(polygon if isinstance(polygon, BaseGeometry) else read_area(polygon))
    if not parts:
        return None
    for part in parts:
        if not np.isfinite(shapely.get_coordinates(part)).all():
            raise QueryError("the polygon has coordinates that are not finite numbers (NaN, inf)")
    region = parts[0] if len(parts) == 1 else shapely.intersection(parts[0], parts[1])
    shapely.prepare(region)
    return region


def _finite(name: str, value: Any) -> None:
    """A number that can be compared: not a text, ``true``, NaN or infinity."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise QueryError(f"{name} must be a finite number, got {value!r}")


def _texts(value: Any, name: str, *, upper: bool = False) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = [str(v).strip() for v in _as_list(value)]
    if not all(values):
        raise QueryError(f"{name} must not be empty")
    return tuple(v.upper() if upper else v for v in values)


def _sort(
    sort: str | None, spec: OutputLayer, point: shapely.Point | None, near_type: str | None
) -> tuple[str, bool] | None:
    if sort is None:
        return (DISTANCE, False) if point is not None else None
    key = sort.strip()
    if key.casefold() in SORT_KEYS:
        column, descending = SORT_KEYS[key.casefold()]
        if column == DISTANCE and point is None and near_type is not None:
            return (DISTANCE_COLUMNS[place_kind(near_type)], False)  # nearest of the kind first
        if column == DISTANCE and point is None:
            raise QueryError(
                "sorting by distance needs a point or a kind of place: give near= or near_type="
            )
        sort_column = column or spec.area
        assert sort_column is not None  # every queryable layer names its area column
        return (sort_column, descending)
    return (key[1:], True) if key.startswith("-") else (key, False)


def _limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise QueryError(f"limit must be a whole number of at least 1, got {limit!r}")
    return None if limit is None else int(limit)


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
