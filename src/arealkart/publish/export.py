"""Write results for other systems: GeoJSON, GeoJSON text sequences, GeoPackage and CSV.

GeoJSON follows RFC 7946: WGS84 longitude/latitude with :data:`DECIMALS` decimals,
exterior rings counter-clockwise and holes clockwise, no ``crs`` member, a string ``id``
per feature (stable across rebuilds of the same input), ``null`` (never NaN) for missing
values and ISO 8601 dates.  The properties of the build's free areas and plots are
documented by JSON Schemas shipped with the package (``arealkart/data/schema/``; see
:func:`geojson_schema`).  With ``seq=True`` the same features are written as a GeoJSON
text sequence (RFC 8142): each feature preceded by the record separator ``0x1E`` and
followed by a line feed, for consumers that stream.

All writes are atomic (a temporary file in the same folder, then a rename), so a failed
write never leaves half a file behind, and deterministic: the same input gives
byte-identical files (features sorted by id, fixed float formatting, GeoPackage
timestamps fixed to :data:`FIXED_DATE`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from arealkart.errors import ArealkartError, QueryError
from arealkart.model.output_layers import GEOJSON_LAYERS, PRECISION, QUERY_LAYERS
from arealkart.model.resources import package_data
from arealkart.model.schema import CRS

WGS84 = "EPSG:4326"
DECIMALS = 6
"""Decimals of longitude/latitude in GeoJSON: 6 decimals ≈ 0.1 m."""

FIXED_DATE = "2000-01-01T00:00:00.000Z"
"""Timestamp GDAL writes into GeoPackage metadata, fixed so builds are reproducible."""

RECORD_SEPARATOR = "\x1e"
"""RFC 8142 record separator that starts every feature of a GeoJSON text sequence."""

FORMATS = {"geojson": ".geojson", "geojsonseq": ".geojsons", "gpkg": ".gpkg", "csv": ".csv"}
"""Export formats and their file suffixes."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A symbolic link is followed: the file it points to is replaced, not the link.  A target
    that exists but is not a regular file (a device such as ``/dev/null``, a FIFO) is never
    replaced: the complete temporary file is copied into it.
    """
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file() and not path.is_dir():
        with path.open("wb") as sink, written_to(sink, path.suffix) as through:
            yield through
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        tmp_path.replace(path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def written_to(sink: BinaryIO, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary file path (ending in ``suffix``); copy the file into ``sink`` after.

    For targets that cannot be renamed onto: a device, a FIFO, standard output.
    """
    with tempfile.TemporaryDirectory(prefix="arealkart-") as folder:
        tmp_path = Path(folder) / f"out{suffix}"
        yield tmp_path
        with tmp_path.open("rb") as source:
            shutil.copyfileobj(source, sink)


# --- GeoJSON ------------------------------------------------------------------------------


def geojson_schema(layer: str) -> dict[str, Any]:
    """The JSON Schema of one GeoJSON feature of ``layer`` (``ledige_arealer``, ``tomter``)."""
    return json.loads(json.dumps(_schema(_schema_file(layer))))


def schema_properties(layer: str) -> list[str]:
    """The documented GeoJSON property names of ``layer``, in order."""
    return list(_schema(_schema_file(layer))["properties"]["properties"]["properties"])


def _schema_file(layer: str) -> str:
    schemas = {name: spec.schema for name, spec in GEOJSON_LAYERS.items() if spec.schema}
    if layer not in schemas:
        raise ArealkartError(f"no GeoJSON schema for {layer!r}; schemas: {list(schemas)}")
    return schemas[layer]


@cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads(package_data(f"schema/{name}").read_text(encoding="utf-8"))


def feature_ids(gdf: pd.DataFrame, id_column: str) -> pd.Series:
    """A unique string id per row, stable for the same input.

    The value of ``id_column``; where a value repeats (two municipalities numbering their
    plots 1, 2, 3 …), it is qualified by the municipality number (``"4036/12"``), and
    any still repeated get ``~2``, ``~3`` … in row order.
    """
    ids = gdf[id_column].astype("string").fillna("uten-id").astype(object)
    repeated = ids.duplicated(keep=False)
    if repeated.any() and "kommunenummer" in gdf.columns:
        prefix = gdf["kommunenummer"].astype("string").fillna("").astype(object)
        ids = ids.where(~repeated, prefix + "/" + ids)
        repeated = ids.duplicated(keep=False)
    if repeated.any():
        number = ids.groupby(ids).cumcount() + 1
        ids = ids.where(~repeated | (number == 1), ids + "~" + number.astype(str))
    return pd.Series(ids.to_numpy(), index=gdf.index, dtype=object)


def to_rfc7946(
    gdf: gpd.GeoDataFrame, id_column: str, *, properties: Sequence[str] | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection as RFC 7946 asks.

    Parameters
    ----------
    gdf
        Features in any CRS (reprojected to WGS84).
    id_column
        Column giving each feature's ``id`` (made unique by :func:`feature_ids`).
    properties
        Columns to write as properties, in this order (missing ones as ``null``); default
        every column but the geometry.
    """
    features = _features(*_sorted_by_id(rounded(gdf), id_column), properties)
    return {"type": "FeatureCollection", "features": list(features)}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV text cell starting with one of these gets a leading ``'`` (the OWASP rule
against formula injection), so a spreadsheet shows it as text instead of running it."""


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with areas, daa and shares rounded as :data:`PRECISION` says."""
    changes = {}
    for column in frame.columns:
        decimals = next((d for end, d in PRECISION.items() if str(column).endswith(end)), None)
        if decimals is not None and pd.api.types.is_float_dtype(frame[column].dtype):
            changes[column] = frame[column].round(decimals)
    return frame.assign(**changes) if changes else frame


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells a spreadsheet shows as text, as they are.

    A text that starts with one of :data:`FORMULA_START` gets a leading ``'``, and a
    carriage return inside a text becomes a line feed (a CSV field with a line feed is
    quoted; one with a lone carriage return would split the row).  Numbers are left alone.
    """
    changes = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            fixed = values.map(_safe_text, na_action="ignore")
            if not fixed.equals(values):
                changes[column] = fixed
    return frame.assign(**changes) if changes else frame


def _safe_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def feature_texts(
    gdf: gpd.GeoDataFrame, id_column: str, properties: Sequence[str] | None = None
) -> pd.Series:
    """Each feature as its RFC 7946 JSON text, in file order (by id), indexed like ``gdf``.

    Made once, the texts can be written to several files (:func:`write_feature_texts`).
    """
    ordered, ids = _sorted_by_id(rounded(gdf), id_column)
    texts = [_dumps(f) for f in _features(ordered, ids, properties)]
    return pd.Series(texts, index=ordered.index, dtype=object)


def _sorted_by_id(gdf: gpd.GeoDataFrame, id_column: str) -> tuple[gpd.GeoDataFrame, pd.Series]:
    ids = feature_ids(gdf, id_column)
    order = np.argsort(ids.to_numpy(dtype=str), kind="stable")
    return gdf.iloc[order], ids.iloc[order]


def _features(
    gdf: gpd.GeoDataFrame, ids: pd.Series, properties: Sequence[str] | None
) -> Iterator[dict[str, Any]]:
    geoms = gdf.geometry.to_crs(WGS84).to_numpy() if len(gdf) else np.empty(0, dtype=object)
    geoms = shapely.orient_polygons(shapely.set_precision(geoms, 10**-DECIMALS), exterior_cw=False)
    geometries = _geometries(geoms)
    columns = list(properties) if properties is not None else list(gdf.columns)
    table = gdf.drop(columns=gdf.geometry.name).reindex(
        columns=[c for c in columns if c != gdf.geometry.name]
    )
    for fid, record, geometry in zip(ids, table.to_dict("records"), geometries, strict=True):
        yield {
            "type": "Feature",
            "id": fid,
            "geometry": geometry,
            "properties": {k: json_value(v) for k, v in record.items()},
        }


def _geometries(geoms: np.ndarray) -> list[dict[str, Any] | None]:
    """GeoJSON geometry objects, coordinates rounded to :data:`DECIMALS`.

    ``None`` for missing or empty geometries; converted in one vectorised call.
    """
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))
    texts = shapely.to_geojson(geoms)
    blank = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    return [None if b else json.loads(t) for b, t in zip(blank, texts, strict=True)]


def json_value(value: Any) -> Any:
    """A JSON-safe value: ``None`` for NA/NaN, ISO 8601 for dates, Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if _is_midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _is_midnight(value: datetime) -> bool:
    return value.hour == value.minute == value.second == value.microsecond == 0


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    id_column: str,
    properties: Sequence[str] | None = None,
    seq: bool = False,
) -> Path:
    """Write ``gdf`` as RFC 7946 GeoJSON (see :func:`to_rfc7946`), atomically.

    Parameters
    ----------
    seq
        Write a GeoJSON text sequence (RFC 8142, usually ``.geojsons``) instead of a
        FeatureCollection: one feature per record, each ``0x1E``, the JSON, a line feed.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return write_feature_texts(feature_texts(gdf, id_column, properties), path, seq=seq)


def write_feature_texts(
    texts: Iterable[str], path: str | os.PathLike[str], *, seq: bool = False
) -> Path:
    """Write features' JSON texts as a FeatureCollection, atomically.

    With ``seq``, a GeoJSON text sequence (RFC 8142) instead.
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        if seq:
            for text in texts:
                fh.write(f"{RECORD_SEPARATOR}{text}\n")
        else:
            fh.writelines(feature_collection(texts))
    return Path(path)


def feature_collection(texts: Iterable[str]) -> Iterator[str]:
    """Features' JSON texts as the pieces of a FeatureCollection, one feature per line."""
    yield '{"type":"FeatureCollection","features":['
    for i, text in enumerate(texts):
        yield ("\n" if i == 0 else ",\n") + text
    yield "]}\n"


# --- GeoPackage and CSV ---------------------------------------------------------------------


INDEXED_COLUMNS = ("kommunenummer",)
"""Columns of GeoPackage layers that get an SQLite index, so that reading one municipality
(as :func:`arealkart.ask.search` does) need not scan the table.  Categories and statuses, with
a handful of values each, gain nothing from one (and mislead SQLite's planner).  Each
queryable layer's area column (see :data:`~arealkart.model.output_layers.QUERY_LAYERS`) is
indexed as well, so a size filter or the largest first reads only the rows it keeps."""


def write_geopackage(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    descriptions: Mapping[str, str] | None = None,
    indexed: Sequence[str] = INDEXED_COLUMNS,
    crs: str = CRS,
) -> Path:
    """Write layers (GeoDataFrames, reprojected to ``crs``, or plain tables) into one GeoPackage.

    The file is written in full to a temporary path and then renamed, so an existing
    GeoPackage is replaced only by a complete one.  Spatial indexes are on, attribute
    indexes on the ``indexed`` columns a layer has, layer descriptions filled from
    ``descriptions``, GDAL's timestamps are fixed, and nullable integers and booleans keep
    their types.
    """
    descriptions = descriptions or {}
    with atomic_path(path) as tmp:
        _write_layers(layers, tmp, descriptions, crs)
        _index_columns(tmp, {name: list(frame.columns) for name, frame in layers.items()}, indexed)
    return Path(path)


def _index_columns(path: Path, columns: Mapping[str, list[str]], indexed: Sequence[str]) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        for layer, names in columns.items():
            area = QUERY_LAYERS[layer].area if layer in QUERY_LAYERS else None
            wanted = dict.fromkeys([*indexed, *([area] if area else [])])
            for column in (c for c in wanted if c in names):
                db.execute(f'CREATE INDEX "idx_{layer}_{column}" ON "{layer}" ("{column}")')


def _write_layers(
    layers: Mapping[str, pd.DataFrame], tmp: Path, descriptions: Mapping[str, str], crs: str
) -> None:
    with _fixed_gdal_date():
        for name, frame in layers.items():
            options = {"DESCRIPTION": descriptions.get(name, name), "SPATIAL_INDEX": "YES"}
            if isinstance(frame, gpd.GeoDataFrame):
                frame = gdal_ready((frame if frame.crs else frame.set_crs(CRS)).to_crs(crs))
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    layer_options=options,
                    promote_to_multi=True,
                )
            else:
                options.pop("SPATIAL_INDEX")
                pyogrio.write_dataframe(
                    gdal_ready(frame), tmp, layer=name, driver="GPKG", layer_options=options
                )


def gdal_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy to write with GDAL: rounded, text extension dtypes as plain objects.

    pyogrio writes pandas' nullable ``Int64`` and ``boolean`` columns as GDAL integer and
    boolean fields with nulls, so they are kept; ``Float64`` becomes ``float64``.
    """
    out = rounded(frame).copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.StringDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif isinstance(dtype, pd.Float64Dtype):
            out[column] = out[column].astype("float64")
    return out


@contextlib.contextmanager
def _fixed_gdal_date() -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as UTF-8 CSV (comma-separated, ``.`` decimals), atomically.

    A GeoDataFrame is written without its geometry and with ``lon``/``lat`` (WGS84,
    :data:`DECIMALS` decimals) of a point inside each feature, for spreadsheets.  Numbers
    are rounded as :data:`PRECISION` says, and a text cell that a spreadsheet would run as
    a formula gets a leading ``'`` (:func:`spreadsheet_safe`).
    """
    if isinstance(frame, gpd.GeoDataFrame):
        frame = _with_lonlat(frame)
    frame = spreadsheet_safe(rounded(frame))
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def _with_lonlat(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    points = gdf.geometry.representative_point()
    points = points.to_crs(WGS84) if gdf.crs is not None else points
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    table["lon"] = points.x.round(DECIMALS).to_numpy()
    table["lat"] = points.y.round(DECIMALS).to_numpy()
    return table


def single_parts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with one-part MultiPolygons (and MultiPoints …) as plain Polygons (Points).

    A GeoPackage layer holds one geometry type, so :func:`write_geopackage` promotes
    polygons to MultiPolygons; this undoes that for formats where the simple type is usual.
    """
    geoms = gdf.geometry.to_numpy()
    multi = shapely.get_type_id(geoms) >= 4  # MultiPoint, MultiLineString, MultiPolygon, …
    single = multi & (shapely.get_num_geometries(geoms) == 1)
    if not single.any():
        return gdf
    geoms = geoms.copy()
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


# --- one layer in a chosen format -------------------------------------------------------------


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The export format: ``fmt`` if given, else from the file suffix.

    Raises
    ------
    QueryError
        For an unknown format or a suffix that names none.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise QueryError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.casefold()
    by_suffix = {v: k for k, v in FORMATS.items()} | {".json": "geojson", ".geojsonl": "geojsonseq"}
    if suffix not in by_suffix:
        raise QueryError(
            f"cannot tell the format of {Path(path).name!r}; give a format "
            f"({', '.join(FORMATS)}) or a file ending in {', '.join(FORMATS.values())}"
        )
    return by_suffix[suffix]


def write_layer(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    layer: str,
    id_column: str | None = None,
    properties: Sequence[str] | None = None,
    description: str | None = None,
) -> Path:
    """Write one layer (or table) in ``fmt`` (a key of :data:`FORMATS`), atomically.

    Parameters
    ----------
    layer
        Layer name (the GeoPackage layer; also picks the documented GeoJSON properties of
        ``ledige_arealer`` and ``tomter``).
    id_column
        Feature ids for GeoJSON; required for the GeoJSON formats.
    properties
        GeoJSON properties to write (default: every column); e.g.
        ``schema_properties("tomter")`` for exactly the documented ones.
    description
        GeoPackage layer description.

    Raises
    ------
    QueryError
        For a plain table in a GeoJSON format, or a GeoJSON format without ``id_column``.
    """
    spatial = isinstance(frame, gpd.GeoDataFrame)
    if fmt in ("geojson", "geojsonseq") and (not spatial or id_column is None):
        raise QueryError(f"layer {layer!r} has no geometry or ids; write it as csv or gpkg")
    ids = cast(str, id_column)  # not None for the GeoJSON formats: refused just above
    writers: dict[str, Callable[[], Path]] = {
        "geojson": lambda: write_geojson(frame, path, id_column=ids, properties=properties),
        "geojsonseq": lambda: write_geojson(
            frame, path, id_column=ids, properties=properties, seq=True
        ),
        "gpkg": lambda: write_geopackage(
            {layer: frame}, path, descriptions={layer: description or layer}
        ),
        "csv": lambda: write_csv(frame, path),
    }
    return writers[format_for(path, fmt)]()
