"""Write a build's layers and tables into PostGIS, replacing the previous build's whole.

:func:`stage_postgis` writes every layer of the GeoPackage (the same names, columns and
rounded values) into a new schema beside the target, with a primary key ``fid``, a GiST
index on each geometry, the GeoPackage's attribute indexes, and the layer and column
descriptions as comments.  :meth:`StagedSchema.swap` then renames the old schema away,
the new one into its place and drops the old, in one transaction: a reader sees the whole
previous build or the whole new one.  A build that fails drops its staged schema
(:meth:`StagedSchema.discard`); one that died is cleaned up by the next, which holds an
advisory lock on the target's name while it writes, so two builds never write one schema.

Geometries are stored as ``geometry(<type>, 25832)``: MultiPolygon for the zone layers,
the one type a layer has otherwise (``Geometry`` where they are mixed).
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.errors import ArealkartError, InputError, OutputError
from arealkart.load.postgis import first_line, open_connection
from arealkart.model.database import redacted
from arealkart.model.schema import CRS
from arealkart.publish.export import INDEXED_COLUMNS, geojson_schema, rounded

__all__ = [
    "DEFAULT_SCHEMA",
    "PostgisWritten",
    "StagedSchema",
    "check_postgis",
    "check_schema_name",
    "stage_postgis",
    "write_postgis",
]

log = logging.getLogger(__name__)

DEFAULT_SCHEMA = "arealkart"
"""The schema a build writes into unless told otherwise (``--schema``)."""
SRID = 25832
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_FID = "fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
_STAGE = "__ny_"
_OLD = "__gammal_"


@dataclass(frozen=True)
class PostgisWritten:
    """What a build wrote into PostGIS: the schema, and rows per table."""

    url: str
    """The server, redacted (no password)."""
    schema: str
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class StagedSchema:
    """A build written into a new schema, not yet swapped in (see :func:`stage_postgis`)."""

    conn: Any
    url: str
    schema: str
    stage: str
    rows: dict[str, int]

    def swap(self) -> PostgisWritten:
        """Put the staged schema in the target's place in one transaction; drop the old.

        Raises
        ------
        OutputError
            If the database refuses (the staged schema is dropped then).
        """
        old = f"{self.schema}{_OLD}{secrets.token_hex(4)}"
        try:
            with self.conn.transaction():
                if _schema_exists(self.conn, self.schema):
                    self.conn.execute(f'ALTER SCHEMA "{self.schema}" RENAME TO "{old}"')
                self.conn.execute(f'ALTER SCHEMA "{self.stage}" RENAME TO "{self.schema}"')
                self.conn.execute(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')
        except Exception as exc:
            self.discard()
            raise _error(self.url, f"cannot replace schema {self.schema!r}", exc) from None
        self.close()
        log.info("PostGIS: schema %s replaced (%s)", self.schema, redacted(self.url))
        return PostgisWritten(redacted(self.url), self.schema, dict(self.rows))

    def discard(self) -> None:
        """Drop the staged schema (a build that failed after staging it)."""
        try:
            with self.conn.transaction():
                self.conn.execute(f'DROP SCHEMA IF EXISTS "{self.stage}" CASCADE')
        except Exception as exc:  # the build's own error is the one to show
            log.warning("PostGIS: could not drop %s: %s", self.stage, redacted(str(exc)))
        self.close()

    def close(self) -> None:
        """Release the lock on the target's name, then the connection.

        The lock is released before the connection closes: the server ends a closed
        session a moment later, and a next build must not find the lock still held.
        """
        _release(self.conn, self.schema)


def write_postgis(
    layers: Mapping[str, pd.DataFrame],
    url: str,
    *,
    schema: str = DEFAULT_SCHEMA,
    descriptions: Mapping[str, str] | None = None,
) -> PostgisWritten:
    """Write ``layers`` into ``schema``, replacing what it held, in one swap.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame (reprojected to EPSG:25832) or plain table.
    url
        A libpq connection URL of a database with PostGIS.
    schema
        The schema the layers end up in (a plain lower-case SQL name).
    descriptions
        Layer name → table comment.

    Raises
    ------
    OutputError
        If the database cannot be reached or written, or lacks PostGIS.
    """
    return stage_postgis(layers, url, schema=schema, descriptions=descriptions).swap()


def stage_postgis(
    layers: Mapping[str, pd.DataFrame],
    url: str,
    *,
    schema: str = DEFAULT_SCHEMA,
    descriptions: Mapping[str, str] | None = None,
) -> StagedSchema:
    """Write ``layers`` into a new schema beside ``schema``, to swap in later.

    See :func:`write_postgis` for the parameters.  The returned stage holds its connection
    (and the lock on ``schema``) until :meth:`StagedSchema.swap` or
    :meth:`StagedSchema.discard`.
    """
    conn = _claim(url, schema)
    stage = f"{schema}{_STAGE}{secrets.token_hex(4)}"
    try:
        _drop_leftovers(conn, schema)
        with conn.transaction():
            conn.execute(f'CREATE SCHEMA "{stage}"')
            rows = {
                name: _write_table(conn, stage, name, frame, (descriptions or {}).get(name))
                for name, frame in layers.items()
            }
    except Exception as exc:
        _release(conn, schema)
        if isinstance(exc, ArealkartError):
            raise
        raise _error(url, f"cannot write schema {schema!r}", exc) from None
    return StagedSchema(conn, url, schema, stage, rows)


def check_postgis(url: str, schema: str = DEFAULT_SCHEMA) -> None:
    """Check, before a build does its work, that it could write ``schema`` at ``url``.

    The server answers, the database has PostGIS, the user may create schemas in it, and
    no other build is writing ``schema`` now.

    Raises
    ------
    OutputError
        Naming what is missing, the URL redacted.
    """
    conn = _claim(url, schema)
    try:
        allowed = conn.execute(
            "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
        ).fetchone()[0]
        if not allowed:
            raise OutputError(
                redacted(url),
                "the user may not create schemas in this database "
                "(GRANT CREATE ON DATABASE … TO …)",
            )
    finally:
        _release(conn, schema)


def check_schema_name(schema: str) -> str:
    """``schema`` if it is a plain SQL name arealkart may own; an error otherwise.

    Raises
    ------
    OutputError
        For anything but lower-case letters, digits and ``_`` (at most 40, not starting
        with a digit).
    """
    if not _SCHEMA_NAME.match(schema) or _STAGE in schema or _OLD in schema:
        raise OutputError(
            None,
            f"schema {schema!r}: expected a plain lower-case SQL name (letters a-z, digits, _; "
            f"at most 40 characters), e.g. 'arealkart'",
        )
    return schema


def _claim(url: str, schema: str) -> Any:
    """A connection to ``url`` holding the lock on ``schema``, in a database with PostGIS.

    Raises
    ------
    OutputError
        For a bad schema name, a server that cannot be reached, no PostGIS, or another
        build writing ``schema`` now (the connection is closed then).
    """
    check_schema_name(schema)
    try:
        conn = open_connection(url, autocommit=True)
    except InputError as exc:
        raise OutputError(exc.path, exc.detail) from None
    try:
        if conn.execute("SELECT to_regtype('geometry')").fetchone()[0] is None:
            raise OutputError(
                redacted(url), "the database has no PostGIS (CREATE EXTENSION postgis)"
            )
        locked = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_lock_key(schema)])
        if not locked.fetchone()[0]:
            raise OutputError(
                redacted(url),
                f"another build is writing schema {schema!r}; try again when it is done",
            )
    except BaseException:
        _release(conn, schema)
        raise
    return conn


def _lock_key(schema: str) -> str:
    return f"arealkart:{schema}"


def _release(conn: Any, schema: str) -> None:
    """Release the lock on ``schema`` (if held) and close the connection."""
    if conn.closed:
        return
    with contextlib.suppress(Exception):  # a broken connection holds no lock
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_lock_key(schema)])
    conn.close()


def _drop_leftovers(conn: Any, schema: str) -> None:
    """Stage and old schemas of builds that died (this build holds the lock)."""
    names = conn.execute(  # starts_with, not LIKE: '_' in a name is no wildcard
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) "
        "OR starts_with(nspname, %s)",
        [f"{schema}{_STAGE}", f"{schema}{_OLD}"],
    ).fetchall()
    for (name,) in names:
        log.info("PostGIS: dropping %s, left by a build that stopped", name)
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _schema_exists(conn: Any, schema: str) -> bool:
    found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
    return found is not None


def _write_table(
    conn: Any, stage: str, name: str, frame: pd.DataFrame, description: str | None
) -> int:
    table = f'"{stage}"."{name}"'
    frame = rounded(frame)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geometry is not None:
        frame = frame.to_crs(CRS) if frame.crs else frame.set_crs(CRS)
    columns = [c for c in frame.columns if c != geometry]
    types = {c: _sql_type(frame[c]) for c in columns}
    if geometry is not None:
        types[geometry] = f"geometry({_geometry_type(frame.geometry)}, {SRID})"
    ddl = ", ".join(f'"{c}" {t}' for c, t in types.items())
    conn.execute(f"CREATE TABLE {table} ({_FID}, {ddl})")
    names = ", ".join(f'"{c}"' for c in types)
    with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in _rows(frame, columns, geometry):
            copy.write_row(row)
    _indexes(conn, stage, name, geometry, columns)
    _comments(conn, table, name, description, columns)
    return len(frame)


def _sql_type(values: pd.Series) -> str:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamptz" if getattr(dtype, "tz", None) else "timestamp"
    present = values.dropna()
    if len(present) and all(isinstance(v, bool) for v in present):
        return "boolean"
    if len(present) and all(_is_date(v) for v in present):
        return "date"
    return "text"


def _is_date(value: Any) -> bool:
    import datetime as dt

    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _geometry_type(geoms: gpd.GeoSeries) -> str:
    kinds = set(geoms.geom_type.dropna())
    if kinds <= {"Polygon", "MultiPolygon"} and kinds:
        return "MultiPolygon"
    return kinds.pop() if len(kinds) == 1 else "Geometry"


def _rows(frame: pd.DataFrame, columns: Sequence[str], geometry: str | None) -> Iterable[tuple]:
    values = [_python_values(frame[c]) for c in columns]
    if geometry is not None:
        values.append(_ewkb(frame.geometry))
    return zip(*values, strict=True) if values else iter(())


def _python_values(values: pd.Series) -> list[Any]:
    """Plain Python values, missing ones (NaN, NA, NaT) as ``None``."""
    missing = values.isna().to_numpy()
    out = values.astype(object).tolist()
    return [None if m else v for v, m in zip(out, missing, strict=True)]


def _ewkb(geoms: gpd.GeoSeries) -> list[str | None]:
    """Hex EWKB with the SRID; multi-polygons for the polygon layers, as the column says."""
    array = np.asarray(geoms.values, dtype=object)
    polygons = shapely.get_type_id(array) == 3
    array[polygons] = [
        shapely.MultiPolygon([p]) if not p.is_empty else shapely.MultiPolygon()
        for p in array[polygons]
    ]
    array = shapely.set_srid(array, SRID)
    return [None if g is None else g for g in shapely.to_wkb(array, hex=True, include_srid=True)]


def _indexes(
    conn: Any, stage: str, name: str, geometry: str | None, columns: Sequence[str]
) -> None:
    table = f'"{stage}"."{name}"'
    if geometry is not None:
        conn.execute(f'CREATE INDEX "{name}_geom_idx" ON {table} USING GIST ("{geometry}")')
    for column in (c for c in INDEXED_COLUMNS if c in columns):
        conn.execute(f'CREATE INDEX "{name}_{column}_idx" ON {table} ("{column}")')


def _comments(
    conn: Any, table: str, name: str, description: str | None, columns: Sequence[str]
) -> None:
    if description:
        conn.execute(f"COMMENT ON TABLE {table} IS {_literal(conn, description)}")
    for column, text in _column_descriptions(name).items():
        if column in columns:
            conn.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_literal(conn, text)}')


def _column_descriptions(name: str) -> dict[str, str]:
    """A layer's field descriptions from its GeoJSON schema, where it has one."""
    try:
        properties = geojson_schema(name)["properties"]["properties"]["properties"]
    except (ArealkartError, KeyError, TypeError):
        return {}
    return {k: v["description"] for k, v in properties.items() if "description" in v}


def _literal(conn: Any, text: str) -> str:
    from psycopg import sql

    return sql.Literal(text).as_string(conn)


def _error(url: str, what: str, exc: Exception) -> OutputError:
    return OutputError(redacted(url), f"{what}: {first_line(exc)}")
