"""One layer of a finished build, or a query's answer, written to a file: ``arealkart export``.

The file may be ``"-"`` (standard output), a device or a FIFO (written through), but not a
file inside the build folder it was read from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from arealkart.ask.index import read_layer
from arealkart.errors import MunicipalityError, QueryError
from arealkart.model.output_layers import GEOJSON_LAYERS, OUTPUT_LAYERS
from arealkart.publish.export import (
    FORMATS,
    format_for,
    schema_properties,
    single_parts,
    write_layer,
    written_to,
)
from arealkart.publish.site import write_error
from arealkart.registry.kommuner import kommunenummer

__all__ = ["STDOUT", "Exported", "check_outside_build", "export_layer", "write_result"]

STDOUT = "-"
"""The output name that means standard output."""


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
    stream: BinaryIO | None = None,
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
    stream
        Where an ``output`` of ``"-"`` is written (default: standard output).

    Raises
    ------
    QueryError
        For an unknown layer, format or municipality, no build at ``source``, a plain
        table asked for as GeoJSON, or an output inside the build folder.
    OutputError
        When the file cannot be written.
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
    return write_result(
        frame, output, chosen, layer=layer, source=source, properties=properties, stream=stream
    )


def write_result(
    frame: pd.DataFrame,
    output: str | os.PathLike[str],
    fmt: str,
    *,
    layer: str,
    source: str | os.PathLike[str] | None = None,
    properties: Sequence[str] | None = None,
    stream: BinaryIO | None = None,
) -> Exported:
    """Write rows of a build's layer (a query's answer, say) to a file or to ``stream``.

    Parameters
    ----------
    output
        The file, or ``"-"`` for ``stream``.  A device or FIFO is written through, never
        replaced.
    fmt
        A key of :data:`~arealkart.publish.export.FORMATS`.
    layer
        The layer the rows come from (its id column names the GeoJSON ids).
    source
        The build they were read from: an output inside its folder is refused, so a query
        cannot overwrite the build it asks.
    stream
        Where ``"-"`` writes (default: standard output).

    Raises
    ------
    QueryError
        For an output inside the build folder.
    OutputError
        When the file cannot be written (disk full, read-only, permission).
    """
    spec = OUTPUT_LAYERS.get(layer)
    id_column = spec.id if spec is not None else None
    if os.fspath(output) == STDOUT:
        with written_to(stream or sys.stdout.buffer, FORMATS[fmt]) as tmp:
            _write(frame, tmp, fmt, layer, id_column, properties)
        return Exported(Path(STDOUT), fmt, len(frame))
    if source is not None:
        check_outside_build(output, source)
    return Exported(_write(frame, output, fmt, layer, id_column, properties), fmt, len(frame))


def _write(
    frame: pd.DataFrame,
    output: str | os.PathLike[str],
    fmt: str,
    layer: str,
    id_column: str | None,
    properties: Sequence[str] | None,
) -> Path:
    try:
        return write_layer(
            frame, output, fmt, layer=layer, id_column=id_column, properties=properties
        )
    except OSError as exc:
        raise write_error(output, exc) from None


def check_outside_build(output: str | os.PathLike[str], source: str | os.PathLike[str]) -> None:
    """Refuse an output file inside the build folder ``source`` (or its GeoPackage)."""
    build_folder = Path(source).resolve()
    if build_folder.suffix.casefold() == ".gpkg":
        build_folder = build_folder.parent
    target = Path(os.path.realpath(output))
    if target == build_folder or build_folder in target.parents:
        raise QueryError(
            f"--output {output} is inside the build folder {build_folder}; writing there "
            "would change the build (a new build replaces the folder whole): write elsewhere"
        )


def _numbers(values: str | int | Iterable[str | int] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str | int):
        values = [values]
    try:
        return [kommunenummer(v) for v in values]
    except MunicipalityError as exc:
        raise QueryError(str(exc)) from None
