"""The one table of what a build writes: its GeoPackage layers, their ids and areas.

Every stage that names an output layer reads it from here: the writer (layer order and
descriptions), the GeoJSON export (feature ids, file suffixes, JSON Schemas), the queries
(area and status columns) and the CLI (layer choices).  The table itself is package data,
``arealkart/data/utdata.toml``; a new output layer is one table there.

Importing this module is cheap (no pandas, no geopandas): the CLI reads it to offer its
choices.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from arealkart.errors import ConfigError
from arealkart.model import vocabulary
from arealkart.model.resources import package_data

__all__ = [
    "CONVERT_FORMATS",
    "CONVERT_LAYERS",
    "GEOJSON_LAYERS",
    "GEOPACKAGE",
    "LAYER_DESCRIPTIONS",
    "OUTPUT_LAYERS",
    "OUTPUT_PARTS",
    "PRECISION",
    "QUERY_LAYERS",
    "ConvertLayer",
    "OutputLayer",
    "output_parts",
]

GEOPACKAGE = "arealkart.gpkg"
"""File name of a build's GeoPackage in the output folder."""

OUTPUT_PARTS = ("tables", "geojson", "maps", "rapport")
"""What a build can write: GeoPackage and CSV tables, GeoJSON, the HTML maps, and the
report (``rapport/``), in the order they are written."""

PRECISION = {"_m2": 2, "_daa": 4, "_andel": 4}
"""Decimals of published numbers, by the end of the column's name: areas in m² to
0.01 m², in daa to 0.0001 daa (0.1 m²), shares to 0.0001.  Every output (GeoJSON,
GeoPackage, CSV) is written so, and queries compare areas at the same precision, so an
answer is the same from memory and from the files; the computation keeps full precision."""


@dataclass(frozen=True)
class OutputLayer:
    """One layer of a build's GeoPackage.

    Attributes
    ----------
    name
        The GeoPackage layer name, e.g. ``ledige_arealer``.
    id
        The column that identifies a feature, or ``None`` for a plain table.
    area
        The m² column that size filters and sorts use (queryable layers).
    query
        Whether :func:`arealkart.ask.search` can ask this layer.
    statuses
        The values its ``status`` column takes (empty where it has none).
    geojson
        Suffix of its per-scope GeoJSON file (``<scope>-<suffix>.geojson``), if written.
    schema
        File name of the JSON Schema of its GeoJSON features (in ``data/schema/``).
    description
        The GeoPackage layer description.
    """

    name: str
    id: str | None
    area: str | None
    query: bool
    statuses: tuple[str, ...]
    geojson: str | None
    schema: str | None
    description: str


@cache
def _table() -> dict[str, OutputLayer]:
    with package_data("utdata.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    return {name: _layer(name, spec) for name, spec in raw.items()}


def _layer(name: str, spec: Mapping[str, object]) -> OutputLayer:
    statuses = spec.get("statuses")
    return OutputLayer(
        name=name,
        id=_text(spec.get("id")),
        area=_text(spec.get("area")),
        query=bool(spec.get("query", False)),
        statuses=tuple(getattr(vocabulary, str(statuses))) if statuses else (),
        geojson=_text(spec.get("geojson")),
        schema=_text(spec.get("schema")),
        description=str(spec["description"]),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


OUTPUT_LAYERS: Mapping[str, OutputLayer] = _table()
"""Every layer of a build's GeoPackage, in the order they are written."""

QUERY_LAYERS: Mapping[str, OutputLayer] = {
    name: layer for name, layer in OUTPUT_LAYERS.items() if layer.query
}
"""Queryable layers: zones (area = free land in the zone), free areas, and plots (area =
the register's plot size, or the polygon's when the register has none)."""

GEOJSON_LAYERS: Mapping[str, OutputLayer] = {
    name: layer for name, layer in OUTPUT_LAYERS.items() if layer.geojson
}
"""Layers written as RFC 7946 GeoJSON for the region and each municipality."""

LAYER_DESCRIPTIONS: Mapping[str, str] = {
    name: layer.description for name, layer in OUTPUT_LAYERS.items()
}
"""GeoPackage layer name → its description."""


@dataclass(frozen=True)
class ConvertLayer:
    """One layer of what ``arealkart convert`` writes.

    Attributes
    ----------
    name
        The layer name (``soner``); with FlatGeobuf and GeoJSON, the file's suffix.
    kind
        The canonical layer written (``zones``), or ``None`` for the issues report.
    description
        The layer description.
    """

    name: str
    kind: str | None
    description: str


@cache
def _conversion() -> dict[str, Any]:
    with package_data("konvertering.toml").open("rb") as fh:
        return tomllib.load(fh)


CONVERT_FORMATS: Mapping[str, str] = {
    str(name): str(suffix) for name, suffix in _conversion()["formats"].items()
}
"""What ``arealkart convert`` writes: format name → file suffix (``gpkg`` → ``.gpkg``)."""

CONVERT_LAYERS: Mapping[str, ConvertLayer] = {
    name: ConvertLayer(name, _text(spec.get("kind")), str(spec["description"]))
    for name, spec in _conversion()["layers"].items()
}
"""The layers ``arealkart convert`` writes, in order: one per kind, then the issues report."""


def output_parts(parts: Iterable[str] | None) -> tuple[str, ...]:
    """Check a selection of :data:`OUTPUT_PARTS` (``None``: all), keeping their order."""
    if parts is None:
        return OUTPUT_PARTS
    chosen = set(parts)
    unknown = sorted(chosen - set(OUTPUT_PARTS))
    if unknown or not chosen:
        raise ConfigError(f"unknown output parts {unknown}; expected some of {list(OUTPUT_PARTS)}")
    return tuple(p for p in OUTPUT_PARTS if p in chosen)
