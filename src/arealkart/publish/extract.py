"""One layer of a finished build, written again in another format: ``arealkart export``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from arealkart.ask.index import read_layer
from arealkart.errors import MunicipalityError, QueryError
from arealkart.model.output_layers import GEOJSON_LAYERS, OUTPUT_LAYERS
from arealkart.publish.export import format_for, schema_properties, single_parts, write_layer
from arealkart.registry.kommuner import kommunenummer

__all__ = ["Exported", "export_layer"]


@dataclass(frozen=True)
class Exported:
    """What :func:`export_layer` wrote: the file, its format and the rows in it."""

    path: Path
    format: str
    rows: int


def export_layer(
    source: str | os.PathLike[str],
    layer: str,
    output: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    kommune: str | int | Iterable[str | int] | None = None,
) -> Exported:
    """Write one layer of a build as GeoJSON, GeoJSON text sequence, GeoPackage or CSV.

    GeoJSON is RFC 7946 (WGS84, stable string ids; the documented properties for free
    areas and plots), geojsonseq is RFC 8142, GeoPackage is EPSG:25832 and CSV has
    ``lon``/``lat`` columns.

    Parameters
    ----------
    source
        A build's output folder or its GeoPackage.
    layer
        A layer of the build (a key of
        :data:`~arealkart.model.output_layers.OUTPUT_LAYERS`).
    output
        The file to write.
    fmt
        ``geojson``, ``geojsonseq``, ``gpkg`` or ``csv``; default from the file suffix.
    kommune
        Only these municipalities (any name or number form).

    Raises
    ------
    QueryError
        For an unknown layer, format or municipality, no build at ``source``, or a plain
        table asked for as GeoJSON.
    """
    if layer not in OUTPUT_LAYERS:
        raise QueryError(f"unknown layer {layer!r}; expected one of {list(OUTPUT_LAYERS)}")
    chosen = format_for(output, fmt)
    frame = read_layer(source, layer)
    numbers = _numbers(kommune)
    if numbers is not None:
        if "kommunenummer" not in frame.columns:
            raise QueryError(f"layer {layer!r} has no kommunenummer column to filter on")
        frame = frame[frame["kommunenummer"].astype(str).isin(numbers)]
    properties = schema_properties(layer) if layer in GEOJSON_LAYERS else None
    if chosen in ("geojson", "geojsonseq") and "geometry" in frame.columns:
        frame = single_parts(frame)  # as the build's GeoJSON has them
    written = write_layer(
        frame,
        output,
        chosen,
        layer=layer,
        id_column=OUTPUT_LAYERS[layer].id,
        properties=properties,
    )
    return Exported(written, chosen, len(frame))


def _numbers(values: str | int | Iterable[str | int] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | int):
        values = [values]
    try:
        return [kommunenummer(v) for v in values]
    except MunicipalityError as exc:
        raise QueryError(str(exc)) from None
