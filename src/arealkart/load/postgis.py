"""Read zones, plots, buildings or constraint zones from a PostGIS table or query.

A config file entry ``{ postgis = "postgresql://user@host/db", table = "plan.soner" }`` (or
``query = "SELECT …"`` instead of ``table``) is read here into the same canonical layer as a
file: the same column aliases, CRS checks, repairs, issues report and accounting (see
:func:`arealkart.load.vector.canonical_part`).  The input is labelled
``postgis:<database>.<table>`` (or ``postgis:<database>.query-<digest>``) in ``source``,
the issues report and the accounting.

Passwords: give them through ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads both) rather than
in the URL.  A password in the URL is used to connect but never printed, logged or written:
:func:`redacted` replaces it wherever a URL is shown.

The database driver is ``psycopg`` (version 3), the optional extra ``arealkart[postgis]``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from arealkart.errors import ConfigError, CRSError, InputError
from arealkart.load.vector import canonical_part
from arealkart.model.database import database_label, quoted_name, redacted

if TYPE_CHECKING:
    from arealkart.model.plandata import PlanData

log = logging.getLogger(__name__)

__all__ = ["INSTALL_HINT", "first_line", "open_connection", "read_postgis"]

INSTALL_HINT = "install the PostGIS extra: pip install 'arealkart[postgis]'"


def open_connection(url: str, *, autocommit: bool = False) -> Any:
    """A new psycopg connection to ``url`` (the caller closes it).

    Raises
    ------
    ConfigError
        If psycopg is not installed.
    InputError
        If the server cannot be reached or refuses the login (the URL shown redacted).
    """
    try:
        import psycopg
    except ImportError:
        raise ConfigError(f"reading or writing PostGIS needs psycopg: {INSTALL_HINT}") from None
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=20)
    except psycopg.Error as exc:
        raise InputError(redacted(url), f"cannot connect: {first_line(exc)}") from None


def first_line(exc: Exception) -> str:
    """A database error's first line, any password in it redacted."""
    return redacted(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def read_postgis(
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    kind: str | None = None,
    kommune: str | int | None = None,
    crs: Any = None,
    objtype: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> PlanData:
    """Read one PostGIS table or query into its canonical layer.

    ``counts`` holds, besides the rows read, a SHA-256 of them (``sha256``): what a file's
    checksum is to a file, for the build's fingerprint and manifest.

    Parameters
    ----------
    url
        A libpq connection URL or ``key=value`` string.
    table, query
        The table (``"soner"`` or ``"plan.soner"``) or a ``SELECT`` to read; exactly one.
    kind
        ``zones``, ``constraints``, ``plots`` or ``buildings``; inferred from the columns
        if omitted, as for files.
    kommune, crs, objtype, columns
        As for :func:`arealkart.load.vector.read_vector`; ``crs`` is for geometries whose
        SRID is 0.

    Raises
    ------
    ConfigError
        For neither or both of ``table`` and ``query``, or psycopg missing.
    InputError
        If the database cannot be reached, the table or query fails, or it has no or several
        geometry columns; :class:`~arealkart.errors.CRSError` for mixed SRIDs.
    """
    label = database_label(url, table, query)
    if (table is None) == (query is None):
        which = "both" if table else "neither"
        raise ConfigError(f"{label}: give either 'table' or 'query', not {which}")
    with open_connection(url) as conn:
        gdf = _read_frame(conn, table, query, label)
    options = {"kind": kind, "kommune": kommune, "crs": crs, "objtype": objtype}
    data = canonical_part(gdf, path=Path(label), columns=columns, **options)
    return replace(data, counts=data.counts.assign(sha256=_digest(gdf)))


def _digest(gdf: gpd.GeoDataFrame) -> str:
    """A SHA-256 of the rows as read: their keys, values and geometries (as WKB)."""
    rows = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
    rows["geometry"] = shapely.to_wkb(gdf.geometry.to_numpy(), hex=True)
    hashed = pd.util.hash_pandas_object(rows.assign(key=rows.index.astype(str)), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


KEY_NAMES = ("fid", "gid", "ogc_fid")
"""Columns that identify a row of a query (or of a table without a one-column primary key)
when they are unique: they become the feature id in ``source``, not an attribute."""


def _bare(query: str) -> str:
    """A query as a subquery: without the trailing ``;`` a user may have typed."""
    return query.strip().rstrip(";").strip()


def _read_frame(conn: Any, table: str | None, query: str | None, label: str) -> gpd.GeoDataFrame:
    """The rows of a table or query, its one geometry column as shapely geometries.

    The rows are indexed by their key (the table's one-column primary key, else a unique
    column of :data:`KEY_NAMES`), so each feature's id in ``source`` is its key in the
    database, and a table's rows come in the key's order.
    """
    import psycopg

    name = quoted_name(table, label) if table else None
    source = f"SELECT * FROM {name}" if name else _bare(str(query))
    try:
        names, geometry = _columns(conn, source, label)
        key = _primary_key(conn, name) if name else None
        others = [f'q."{n}"' for n in names if n != geometry]
        select = ", ".join([*others, f'ST_AsEWKB(q."{geometry}") AS "{geometry}"'])
        order = f' ORDER BY q."{key}"' if key else ""
        rows = conn.execute(f"SELECT {select} FROM ({source}) AS q{order}").fetchall()
    except psycopg.Error as exc:
        raise InputError(label, f"cannot be read: {first_line(exc)}") from None
    attributes = [n for n in names if n != geometry]
    frame = pd.DataFrame.from_records(rows, columns=[*attributes, geometry])
    wkb = [bytes(v) if v is not None else None for v in frame.pop(geometry)]
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=_srid(geoms, label))
    key = key or next((n for n in KEY_NAMES if n in attributes and gdf[n].is_unique), None)
    if key and gdf[key].notna().all():
        return gdf.set_index(key).rename_axis(None)
    log.warning(
        "%s: no primary key and no unique %s column: its rows are numbered in the order the "
        "database returns them, which may change between builds (give the table a key)",
        label,
        "/".join(KEY_NAMES),
    )
    return gdf


def _primary_key(conn: Any, table: str) -> str | None:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary",
        [table],
    ).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def _columns(conn: Any, source: str, label: str) -> tuple[list[str], str]:
    cursor = conn.execute(f"SELECT * FROM ({source}) AS q LIMIT 0")
    oid = conn.execute("SELECT to_regtype('geometry')::oid").fetchone()[0]
    if oid is None:
        raise InputError(label, "the database has no PostGIS (CREATE EXTENSION postgis)")
    names = [d.name for d in cursor.description]
    geometries = [d.name for d in cursor.description if d.type_code == oid]
    if len(geometries) != 1:
        found = f"geometry columns {geometries}" if geometries else "no geometry column"
        raise InputError(label, f"has {found} among {names}; expected exactly one")
    return names, geometries[0]


def _srid(geoms: Any, label: str) -> str | None:
    srids = {int(s) for s in shapely.get_srid(geoms[~shapely.is_missing(geoms)])} - {0}
    if len(srids) > 1:
        raise CRSError(label, f"geometries in several SRIDs {sorted(srids)}; expected one")
    return f"EPSG:{srids.pop()}" if srids else None
