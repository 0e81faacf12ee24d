"""Convert a SOSI or plan GML file into GeoPackage, FlatGeobuf or GeoJSON.

What ``arealkart convert`` runs, for a planner who wants a plan in a GIS format without a
build: the file is read as a build reads it (:func:`arealkart.load.read.read_plan`: arcs
densified, surfaces built from their curves, geometries repaired, reprojected to
EPSG:25832), and written in the canonical columns, one layer per kind
(:data:`~arealkart.model.output_layers.CONVERT_LAYERS`: ``soner``, ``hensynssoner``,
``tomter``, ``bygninger``) and the issues report as the layer ``avvik``.  Every feature
read is in a layer or in ``avvik`` (checked before anything is written).

- **GeoPackage**: one file, every layer (empty ones too, so a project that opens the layers
  of one plan opens those of the next), with layer descriptions and spatial indexes.
- **FlatGeobuf** and **GeoJSON** hold one layer a file: ``<name>-<layer>.<suffix>`` beside
  the target ``<name>.<suffix>``, for the kinds the file holds and ``avvik`` (a table
  without geometries; in FlatGeobuf without a spatial index, which GDAL needs for that).
- GeoJSON is RFC 7946 (WGS84, as every GeoJSON arealkart writes); GeoPackage and
  FlatGeobuf are in EPSG:25832 unless ``to_crs`` names another CRS.

The files are written to temporary names and renamed into place only when all are
complete: a convert that fails leaves no partial output.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from arealkart.errors import ConfigError, FormatError, InputError, OutputError
from arealkart.load.read import PLAN_FORMATS, read_plan, sniff_format
from arealkart.model.issues import IssueLog, concat_issues, source_feature, source_file
from arealkart.model.output_layers import CONVERT_FORMATS, CONVERT_LAYERS
from arealkart.model.plandata import PlanData
from arealkart.model.schema import CRS, ID_COLUMNS, KINDS
from arealkart.publish.accounting import balance, check_balance
from arealkart.publish.export import atomic_path, gdal_ready, write_geojson, write_geopackage

__all__ = ["Converted", "check_target", "convert", "convert_format", "in_crs"]

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Converted:
    """What :func:`convert` wrote.

    Attributes
    ----------
    files
        The files written, in layer order.
    features
        Features per layer name (``{"soner": 12, …, "avvik": 2}``).
    format
        The format written (``gpkg``, ``fgb``, ``geojson``).
    crs
        The CRS of the written geometries.
    """

    files: tuple[Path, ...]
    features: dict[str, int]
    format: str
    crs: str


def convert(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    to_crs: Any = None,
    **options: Any,
) -> Converted:
    """Convert a SOSI or plan GML file into GeoPackage, FlatGeobuf or GeoJSON.

    Parameters
    ----------
    source
        A SOSI (``.sos``) or plan GML file.
    target
        The file to write (``plan.gpkg``); for FlatGeobuf and GeoJSON the name the layers'
        files are named after (``plan.fgb`` → ``plan-soner.fgb``, …).
    fmt
        ``"gpkg"``, ``"fgb"`` or ``"geojson"``; default from ``target``'s suffix.
    to_crs
        CRS of the written geometries (GeoPackage, FlatGeobuf); default EPSG:25832.
        GeoJSON is always WGS84 (RFC 7946).
    **options
        For the reader, as :func:`arealkart.load.read.read_plan` takes them: ``kommune``,
        ``crs`` (of a file that declares none), ``arc_tolerance``.

    Returns
    -------
    Converted

    Raises
    ------
    InputError
        If the source is missing or unreadable, or neither SOSI nor plan GML.
    ConfigError
        For an unknown format or CRS, or a CRS other than WGS84 for GeoJSON.
    OutputError
        If the target cannot be written (nothing is left half-written).
    AccountingError
        If a feature read would be in no layer and not in the issues report.
    """
    fmt, crs = check_target(target, fmt, to_crs)
    path = Path(source)
    _require_plan(path)
    data = in_crs(read_plan(path, **options), crs)
    check_balance(balance(data.counts, {k: data.layer(k) for k in KINDS}, data.issues))
    layers = _layers(data, fmt)
    files = _write(layers, Path(target), fmt, crs)
    counts = {name: len(frame) for name, frame in layers.items()}
    return Converted(files, counts, fmt, crs)


def convert_format(target: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write: ``fmt``, or the one ``target``'s suffix names.

    Raises
    ------
    ConfigError
        For an unknown format, or a target whose suffix names none (and no ``fmt``).
    """
    if fmt is not None:
        if fmt not in CONVERT_FORMATS:
            raise ConfigError(f"unknown format {fmt!r}; expected one of {list(CONVERT_FORMATS)}")
        return fmt
    suffix = Path(target).suffix.lower()
    found = next((name for name, end in CONVERT_FORMATS.items() if end == suffix), None)
    if suffix == ".json":
        found = "geojson"
    if found is None:
        suffixes = ", ".join([*CONVERT_FORMATS.values(), ".json"])
        raise ConfigError(
            f"{target}: cannot tell the format from the suffix {suffix!r}; give --format or "
            f"a target ending in {suffixes}"
        )
    return found


def check_target(
    target: str | os.PathLike[str], fmt: str | None = None, to_crs: Any = None
) -> tuple[str, str]:
    """The format and CRS :func:`convert` would write ``target`` in.

    Raises
    ------
    ConfigError
        For an unknown format or CRS, or a CRS other than WGS84 for GeoJSON.
    """
    fmt = convert_format(target, fmt)
    return fmt, _target_crs(fmt, to_crs)


def _target_crs(fmt: str, to_crs: Any) -> str:
    if to_crs is None:
        return WGS84 if fmt == "geojson" else CRS
    try:
        parsed = pyproj.CRS.from_user_input(to_crs)
    except pyproj.exceptions.CRSError:
        raise ConfigError(f"unknown CRS {to_crs!r}; expected e.g. 'EPSG:25833'") from None
    code = parsed.to_epsg()
    name = f"EPSG:{code}" if code else parsed.to_string()
    if fmt == "geojson" and name != WGS84:
        raise ConfigError(
            f"GeoJSON is written in WGS84 (RFC 7946), not {name}; write gpkg or fgb for {name}"
        )
    return name


def in_crs(data: PlanData, crs: str) -> PlanData:
    """The plan's layers reprojected to ``crs``; features that cannot be are reported.

    A feature whose coordinates have no place in ``crs`` (an easting 25 000 km off its
    zone's meridian is a number in EPSG:25832 but nowhere on the earth in WGS84) is left
    out and reported as ``excluded`` (rule ``koordinat_feil``), so it is still accounted
    for instead of being written without its geometry.
    """
    log = IssueLog()
    layers = {}
    for kind in KINDS:
        frame = data.layer(kind)
        if not len(frame):
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # inf coordinates: reported below
            moved = frame.to_crs(crs)
        lost = ~_finite(moved.geometry.to_numpy())
        for source in moved.loc[lost, "source"]:
            log.add(
                source_file(source),
                source_feature(source),
                kind,
                "koordinat_feil",
                "excluded",
                f"its coordinates cannot be transformed to {crs} (outside that CRS's domain)",
            )
        layers[kind] = moved[~lost]
    return replace(data, **layers, issues=concat_issues([data.issues, log.frame()]))


def _finite(geometries: np.ndarray) -> np.ndarray:
    """Whether each geometry is missing or has only finite coordinates."""
    coords, index = shapely.get_coordinates(geometries, return_index=True)
    bad = np.zeros(len(geometries), dtype=bool)
    bad[index[~np.isfinite(coords).all(axis=1)]] = True
    return ~bad


def _require_plan(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "no such file")
    found = sniff_format(path)
    if found not in PLAN_FORMATS:
        raise FormatError(
            path,
            f"is {found}, not SOSI or plan GML; convert reads .sos and plan .gml files "
            f"(other GIS files open in GDAL or QGIS as they are)",
        )


def _layers(data: PlanData, fmt: str) -> dict[str, pd.DataFrame]:
    """Layer name → frame: the kinds (all in a GeoPackage, those with features otherwise)."""
    layers: dict[str, pd.DataFrame] = {}
    for name, layer in CONVERT_LAYERS.items():
        if layer.kind is None:
            layers[name] = data.issues
        elif fmt == "gpkg" or len(data.layer(layer.kind)):
            layers[name] = data.layer(layer.kind)
    return layers


def _write(
    layers: Mapping[str, pd.DataFrame], target: Path, fmt: str, crs: str
) -> tuple[Path, ...]:
    paths = [target] if fmt == "gpkg" else [_layer_file(target, name, fmt) for name in layers]
    folders = [path.name for path in paths if path.is_dir()]
    if folders:
        names = ", ".join(folders)
        raise OutputError(target, f"cannot be written: {names} in the way (a folder, not a file)")
    try:
        if fmt == "gpkg":
            return (_write_geopackage(layers, target, crs),)
        with contextlib.ExitStack() as stack:  # every file renamed into place at the end
            return tuple(
                _write_one(stack, frame, _layer_file(target, name, fmt), name, fmt, crs)
                for name, frame in layers.items()
            )
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise OutputError(target, f"cannot be written: {exc}") from None


def _write_geopackage(layers: Mapping[str, pd.DataFrame], target: Path, crs: str) -> Path:
    descriptions = {name: layer.description for name, layer in CONVERT_LAYERS.items()}
    return write_geopackage(layers, target, descriptions=descriptions, crs=crs)


def _layer_file(target: Path, name: str, fmt: str) -> Path:
    stem = target.name[: -len(target.suffix)] if target.suffix else target.name
    return target.with_name(f"{stem}-{name}{CONVERT_FORMATS[fmt]}")


def _write_one(
    stack: contextlib.ExitStack, frame: pd.DataFrame, path: Path, name: str, fmt: str, crs: str
) -> Path:
    tmp = stack.enter_context(atomic_path(path))
    kind = CONVERT_LAYERS[name].kind
    if fmt == "geojson" and kind is not None:
        write_geojson(frame, tmp, id_column=ID_COLUMNS[kind])
    elif fmt == "geojson":
        table = gpd.GeoDataFrame(gdal_ready(frame), geometry=[None] * len(frame), crs=WGS84)
        options = {"RFC7946": "YES"}
        pyogrio.write_dataframe(table, tmp, driver="GeoJSON", layer=name, layer_options=options)
    elif kind is not None:
        layer = gdal_ready(gpd.GeoDataFrame(frame).to_crs(crs))
        pyogrio.write_dataframe(layer, tmp, driver="FlatGeobuf", layer=name, promote_to_multi=True)
    else:
        options = {"SPATIAL_INDEX": "NO"}  # a table without geometries (GDAL needs this)
        table = gdal_ready(frame)
        pyogrio.write_dataframe(table, tmp, driver="FlatGeobuf", layer=name, layer_options=options)
    return path
