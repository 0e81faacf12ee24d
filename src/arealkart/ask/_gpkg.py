"""What a query asks a GeoPackage directly, in SQLite: layers, fields, index health, rows.

These look-ups answer from the GeoPackage's own tables (``gpkg_contents``,
``gpkg_geometry_columns``, the R-tree and the attribute indexes a build writes), each in a
millisecond or so on a national build, where opening the file with GDAL to ask the same
would cost tens.  :func:`read_features` reads the rows a query asks for in one SQL
statement, a few times faster than GDAL, into the very frame GDAL (pyogrio) would give:
the same columns, values and dtypes; for a layer with a column type or geometry encoding
it does not know it returns ``None`` and the caller reads with GDAL.  The file is opened
read-only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.errors import QueryError


@dataclass(frozen=True)
class GpkgLayer:
    """One layer of a GeoPackage as its tables describe it.

    Attributes
    ----------
    fields
        The attribute columns in table order (without the feature id and geometry).
    fid
        The feature id column (the table's integer primary key).
    geometry
        The geometry column, or ``None`` for a plain table.
    rtree
        The layer's R-tree table (``rtree_<layer>_<geometry>``), or ``None`` if it has none.
    """

    fields: tuple[str, ...]
    fid: str
    geometry: str | None
    rtree: str | None
    types: tuple[str, ...] = ()
    """The declared SQL type of each field, upper case (``TEXT``, ``REAL``, …)."""


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """The GeoPackage opened read-only, closed on leaving."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


def describe_layer(path: Path, layer: str) -> GpkgLayer:
    """Fields, id, geometry column and R-tree of ``layer`` in the GeoPackage at ``path``.

    Raises
    ------
    QueryError
        If the file has no such layer (naming those it has) or is not a readable GeoPackage.
    """
    try:
        with connect(path) as db:
            names = [str(r[0]) for r in db.execute("SELECT table_name FROM gpkg_contents")]
            if layer not in names:
                raise QueryError(f"{path} has no layer {layer!r}; layers: {names}")
            return _describe(db, layer)
    except sqlite3.Error as exc:
        raise QueryError(f"{path}: cannot read layer {layer!r}: {exc}") from None


def _describe(db: sqlite3.Connection, layer: str) -> GpkgLayer:
    columns = db.execute(f"PRAGMA table_info({_quote(layer)})").fetchall()
    fid = next((str(c[1]) for c in columns if c[5] == 1), "fid")
    found = db.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
    ).fetchone()
    geometry = None if found is None else str(found[0])
    rtree = None
    if geometry is not None:
        name = f"rtree_{layer}_{geometry}"
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        rtree = name if exists else None
    kept = [c for c in columns if str(c[1]) not in (fid, geometry)]
    return GpkgLayer(
        fields=tuple(str(c[1]) for c in kept),
        fid=fid,
        geometry=geometry,
        rtree=rtree,
        types=tuple(str(c[2]).upper() for c in kept),
    )


def check_spatial_index(path: Path, layer: str) -> None:
    """Make sure a box query can trust the layer's R-tree: it indexes every geometry.

    A GeoPackage whose spatial index was emptied or damaged would answer a box query with
    too few features, silently.  The R-tree's own list of its entries (``<rtree>_rowid``)
    is counted against the table's rows, which SQLite counts from its smallest index; only
    when they differ (a layer with empty geometries, or a damaged index) are the features
    with a geometry counted, which reads the whole table.  Checked once per file version.

    Raises
    ------
    QueryError
        If the index is missing or does not hold every feature with a geometry.
    """
    stat = path.stat()
    _check_index_once(path, layer, stat.st_mtime_ns, stat.st_size)


@cache
def _check_index_once(path: Path, layer: str, mtime: int, size: int) -> None:
    try:
        with connect(path) as db:
            spec = _describe(db, layer)
            if spec.geometry is None:
                return  # a plain table: no spatial index to trust
            if spec.rtree is None:
                raise sqlite3.OperationalError(f"no such table: rtree_{layer}_{spec.geometry}")
            table = _quote(layer)
            indexed = _count(db, f"SELECT count(*) FROM {_quote(spec.rtree + '_rowid')}")
            if indexed == _count(db, f"SELECT count(*) FROM {table}"):
                return
            geometry = _quote(spec.geometry)
            features = _count(db, f"SELECT count(*) FROM {table} WHERE {geometry} IS NOT NULL")
    except sqlite3.Error as exc:
        raise QueryError(
            f"{path}: the spatial index of layer {layer!r} cannot be read ({exc}); "
            "rebuild with 'arealkart build'"
        ) from None
    if indexed != features:
        raise QueryError(
            f"{path}: the spatial index of layer {layer!r} is damaged ({indexed} of "
            f"{features} features indexed), so a spatial query would miss features; "
            "rebuild with 'arealkart build'"
        )


def kth_value(
    path: Path, layer: str, column: str, where: str | None, k: int, *, descending: bool
) -> float | None:
    """The ``k``-th largest (or smallest) ``column`` among the rows matching ``where``.

    ``None`` when fewer than ``k`` rows have a number there, when the column is not
    indexed (the answer would cost a scan of the table), or when some row has no value in
    it (a missing area is measured from the polygon, which SQL cannot).

    Raises
    ------
    QueryError
        If the file cannot be read.
    """
    name = _quote(column)
    try:
        with connect(path) as db:
            if not _indexed(db, layer, column):
                return None
            table = _quote(layer)
            if db.execute(f"SELECT 1 FROM {table} WHERE {name} IS NULL LIMIT 1").fetchone():
                return None
            clause = f"{name} IS NOT NULL" + (f" AND ({where})" if where else "")
            order = "DESC" if descending else "ASC"
            found = db.execute(
                f"SELECT {name} FROM {table} WHERE {clause} ORDER BY {name} {order} "
                "LIMIT 1 OFFSET ?",
                (k - 1,),
            ).fetchone()
    except sqlite3.Error as exc:
        raise QueryError(f"{path}: cannot read layer {layer!r}: {exc}") from None
    if found is None or not isinstance(found[0], int | float):
        return None
    return float(found[0])


# --- reading rows -------------------------------------------------------------------------


def read_features(
    path: Path,
    layer: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | None = None,
) -> gpd.GeoDataFrame | None:
    """The features of ``layer`` matching ``where`` whose R-tree box touches ``bbox``.

    In the layer's order (by feature id), as ``pyogrio.read_dataframe`` gives them: the
    same columns in the same order, the geometry column named ``geometry``, text as
    strings, integer and boolean columns with a missing value as floats with NaN.  The box
    is the R-tree's (stored in single precision, rounded outwards), so a feature just
    outside may be read too; a query tests every candidate against the exact area anyway.

    Returns ``None`` (read with GDAL instead) for a layer with a column type other than
    TEXT, REAL, DOUBLE, INTEGER or BOOLEAN, a CRS without an EPSG code, a value SQLite holds
    in another type than its column's, or a geometry in an extended encoding.

    Raises
    ------
    QueryError
        If the file cannot be read.
    """
    try:
        with connect(path) as db:
            spec = _describe(db, layer)
            crs = _epsg(db, layer)
            if spec.geometry is None or crs is None or not _known_types(spec.types):
                return None
            if _has_json(db, layer):
                return None  # GDAL parses JSON columns
            sql, parameters = _select(layer, spec, bbox, where)
            if sql is None:
                return None
            rows = db.execute(sql, parameters).fetchall()
    except sqlite3.Error as exc:
        raise QueryError(f"{path}: cannot read layer {layer!r}: {exc}") from None
    return _frame(rows, spec, crs) if rows else None  # GDAL types an empty frame


def _select(
    layer: str,
    spec: GpkgLayer,
    bbox: tuple[float, float, float, float] | None,
    where: str | None,
) -> tuple[str | None, tuple[float, ...]]:
    assert spec.geometry is not None  # read_features checks
    names = ", ".join(f"m.{_quote(c)}" for c in (*spec.fields, spec.geometry))
    source = f"{_quote(layer)} AS m"
    clauses = [f"({where})"] if where else []
    parameters: tuple[float, ...] = ()
    if bbox is not None:
        if spec.rtree is None:
            return None, ()
        source += f" JOIN {_quote(spec.rtree)} AS r ON r.id = m.{_quote(spec.fid)}"
        clauses.append("r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?")
        parameters = (bbox[0], bbox[2], bbox[1], bbox[3])
    condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    # "+fid": sorted afterwards, so that SQLite still drives by the index the WHERE needs
    return f"SELECT {names} FROM {source}{condition} ORDER BY +m.{_quote(spec.fid)}", parameters


_CONVERTERS: dict[str, Callable[[Sequence[object]], np.ndarray | None]] = {}


def _known_types(types: Sequence[str]) -> bool:
    return all(_base_type(t) in _CONVERTERS for t in types)


def _base_type(declared: str) -> str:
    return declared.split("(", 1)[0].strip()


def _frame(rows: list[tuple[object, ...]], spec: GpkgLayer, crs: str) -> gpd.GeoDataFrame | None:
    columns = list(zip(*rows, strict=True))
    data: dict[str, object] = {}
    for name, declared, values in zip(spec.fields, spec.types, columns, strict=False):
        array = _CONVERTERS[_base_type(declared)](values)
        if array is None:
            return None
        data[name] = array
    geometry = _geometries(columns[-1])
    if geometry is None:
        return None
    frame = pd.DataFrame(data, columns=list(spec.fields))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)  # as pyogrio builds it


_NONE = type(None)


def _texts(values: Sequence[object]) -> np.ndarray | None:
    if not set(map(type, values)) <= {str, _NONE}:
        return None
    return np.array(values, dtype=object)


def _reals(values: Sequence[object]) -> np.ndarray | None:
    kinds = set(map(type, values))
    if not kinds <= {float, int, _NONE}:
        return None
    if _NONE in kinds:
        values = [np.nan if v is None else v for v in values]
    return np.array(values, dtype=float)


def _integers(values: Sequence[object]) -> np.ndarray | None:
    kinds = set(map(type, values))
    if not kinds <= {int, _NONE}:
        return None
    return _reals(values) if _NONE in kinds else np.array(values, dtype=np.int64)


def _booleans(values: Sequence[object]) -> np.ndarray | None:
    if not set(values) <= {0, 1, None} or not set(map(type, values)) <= {int, _NONE}:
        return None
    return _reals(values) if None in values else np.array(values, dtype=bool)


_CONVERTERS.update(
    {"TEXT": _texts, "REAL": _reals, "DOUBLE": _reals, "INTEGER": _integers, "BOOLEAN": _booleans}
)

_ENVELOPE_BYTES = (0, 32, 48, 48, 64)
"""Length of a GeoPackage geometry header's envelope, by its envelope code (flags bits 1–3)."""


def _geometries(blobs: Sequence[object]) -> np.ndarray | None:
    """GeoPackage geometry blobs → shapely geometries; ``None`` for an encoding not handled."""
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        if not isinstance(blob, bytes) or len(blob) < 8 or blob[:2] != b"GP":
            return None
        flags = blob[3]
        envelope = (flags >> 1) & 7
        if flags & 0b100000 or envelope >= len(_ENVELOPE_BYTES):
            return None  # an extended geometry type, or no valid envelope code
        wkb.append(blob[8 + _ENVELOPE_BYTES[envelope] :])
    return shapely.from_wkb(np.array(wkb, dtype=object))


def _has_json(db: sqlite3.Connection, layer: str) -> bool:
    try:
        found = db.execute(
            "SELECT 1 FROM gpkg_data_columns WHERE table_name = ? AND mime_type LIKE '%json%'",
            (layer,),
        ).fetchone()
    except sqlite3.OperationalError:  # no gpkg_data_columns table: no JSON columns
        return False
    return found is not None


def _epsg(db: sqlite3.Connection, layer: str) -> str | None:
    found = db.execute(
        "SELECT s.organization, s.organization_coordsys_id FROM gpkg_geometry_columns g "
        "JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id WHERE g.table_name = ?",
        (layer,),
    ).fetchone()
    if found is None or str(found[0]).upper() != "EPSG" or not int(found[1]) > 0:
        return None
    return f"EPSG:{int(found[1])}"


def _indexed(db: sqlite3.Connection, layer: str, column: str) -> bool:
    """Whether an index of ``layer`` starts with ``column``."""
    for index in db.execute(f"PRAGMA index_list({_quote(layer)})").fetchall():
        first = db.execute(f"PRAGMA index_info({_quote(str(index[1]))})").fetchone()
        if first is not None and first[2] == column:
            return True
    return False


def _count(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
