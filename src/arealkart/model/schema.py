"""The canonical data model: the columns every reader produces and every stage consumes.

There are four kinds of layer:

``zones``
    Plan land-use polygons (arealformål), from reguleringsplaner and kommuneplaner, old
    (pbl 1985) and new (pbl 2008).
``plots``
    Plots (tomter) from a plot register, as polygons or points.
``buildings``
    Building footprints (polygons) or building points.
``constraints``
    Constraint zones (hensynssoner) such as H320 flomfare.

All geometries are in :data:`CRS` (EPSG:25832, ETRS89 / UTM zone 32N), where areas are in
square metres.  Every row carries ``source`` (file and feature id) so any output traces
back to its input.  :func:`validate` checks a layer and raises :class:`SchemaError` that
names the missing or invalid columns and lists the expected ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import pandas as pd
from pandas.api.types import pandas_dtype

from arealkart.errors import SchemaError

CRS = "EPSG:25832"
"""The working CRS of arealkart (ETRS89 / UTM zone 32N), used for all areas."""

OBJTYPES = ("RP", "KP", "RB", "KP1985")
"""Code list an ``arealformal`` code belongs to.

``RP``: RpArealformål (reguleringsplan, pbl 2008); ``KP``: KpArealformål (kommuneplan,
pbl 2008); ``RB``: reguleringsformål (RbFormålOmråde, pbl 1985); ``KP1985``: kommuneplan
arealbruk (KpArealbrukOmråde, pbl 1985).  The same number means different things in
different lists, so a code is only meaningful together with its ``objtype``.
"""


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, pandas dtype, whether it may be missing, and meaning."""

    name: str
    dtype: str
    required: bool
    doc: str


def _cols(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}


_COMMON = (
    Column("kommunenummer", "string", True, "4-digit municipality number, current numbering"),
    Column("source", "string", True, "input file and feature id, e.g. 'plan.sos#FLATE 140'"),
)
_PLAN = (
    Column("plan_id", "string", True, "plan identifier (PLANID) within the municipality"),
    Column("plan_navn", "string", False, "plan name (PLANNAVN)"),
    Column("plantype", "Int64", False, "PLANTYPE code (20 kommuneplan, 35 detaljregulering, …)"),
    Column("planstatus", "Int64", False, "PLANSTAT code (3 endelig vedtatt, 4 opphevet, …)"),
    Column("ikraft", "datetime64[ms]", False, "date the plan came into force (IKRAFT)"),
)

ZONE_COLUMNS = _cols(
    Column("zone_id", "string", True, "stable zone id: LOKALID or derived from the source"),
    *_COMMON,
    *_PLAN,
    Column("objtype", "string", True, "code list of arealformal: RP, KP, RB or KP1985"),
    Column("arealformal", "Int64", True, "land-use code (RPAREALFORMÅL, KPAREALFORMÅL, …)"),
    Column("arealst", "Int64", False, "KP status: 1 nåværende, 2 framtidig, 3 videreutvikling"),
    Column("feltnavn", "string", False, "field name, e.g. BFS1, BFF3, o_SKV2"),
    Column("eierform", "Int64", False, "EIERFORM: 1 offentlig, 2 felles, 3 annen"),
    Column("utnyttingstype", "Int64", False, "UTNTYP code (e.g. 3 %-BYA)"),
    Column("utnyttingstall", "Float64", False, "UTNTALL value for utnyttingstype"),
)

PLOT_COLUMNS = _cols(
    Column("tomt_id", "string", True, "plot id in the register"),
    *_COMMON,
    Column("plan_id", "string", False, "plan the plot lies in"),
    Column("feltnavn", "string", False, "field the plot belongs to"),
    Column("register_status", "string", False, "status in the register: ledig/reservert/solgt"),
    Column("tomt_m2", "Float64", False, "plot area stated by the register, m²"),
    Column("pris", "Float64", False, "asking price, NOK"),
    Column("va", "boolean", False, "water and sewer (VA) connected"),
)

BUILDING_COLUMNS = _cols(
    Column("bygg_id", "string", True, "building id (bygningsnummer or source id)"),
    *_COMMON,
    Column("bygningstype", "Int64", False, "building type code (Matrikkelen)"),
)

CONSTRAINT_COLUMNS = _cols(
    Column("hensyn_id", "string", True, "stable constraint zone id"),
    *_COMMON,
    Column("plan_id", "string", False, "plan the zone belongs to"),
    Column("hensyn_kode", "Int64", True, "hensynssone code without H, e.g. 320"),
    Column("hensyn_objtype", "string", False, "SOSI object type, e.g. RpFareSone"),
    Column("hensyn_navn", "string", False, "HENSYNSONENAVN, e.g. H320_1"),
)

KIND_COLUMNS: Mapping[str, dict[str, Column]] = {
    "zones": ZONE_COLUMNS,
    "plots": PLOT_COLUMNS,
    "buildings": BUILDING_COLUMNS,
    "constraints": CONSTRAINT_COLUMNS,
}

KINDS = tuple(KIND_COLUMNS)
"""The four kinds of layer: ``zones``, ``plots``, ``buildings``, ``constraints``."""

ID_COLUMNS: Mapping[str, str] = {
    kind: next(iter(columns)) for kind, columns in KIND_COLUMNS.items()
}
"""Each layer's id column (its first column): ``zone_id``, ``tomt_id``, ``bygg_id``,
``hensyn_id``."""

_GEOM_TYPES = {
    "zones": {"Polygon", "MultiPolygon"},
    "plots": {"Polygon", "MultiPolygon", "Point"},
    "buildings": {"Polygon", "MultiPolygon", "Point"},
    "constraints": {"Polygon", "MultiPolygon"},
}


def empty(kind: str) -> gpd.GeoDataFrame:
    """Return an empty layer of ``kind`` with every canonical column and the working CRS.

    Parameters
    ----------
    kind
        One of ``"zones"``, ``"plots"``, ``"buildings"``, ``"constraints"``.
    """
    return _empty(kind).copy()


@cache
def _empty(kind: str) -> gpd.GeoDataFrame:
    """The template :func:`empty` copies (made once: a frame of 20 typed columns costs)."""
    columns = _columns_of(kind)
    data = {name: pd.Series(dtype=col.dtype) for name, col in columns.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def conform(gdf: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` with every canonical column present and cast to its dtype.

    Missing optional columns are added as nulls; extra columns are kept after the
    canonical ones.  Values that cannot be cast raise :class:`SchemaError`.
    """
    columns = _columns_of(kind)
    dtypes = dict(zip(gdf.columns, gdf.dtypes, strict=True))  # one look-up, not one a column
    changed = {}
    for name, col in columns.items():
        if name not in dtypes:
            changed[name] = pd.Series(pd.NA, index=gdf.index, dtype=col.dtype)
        elif dtypes[name] != pandas_dtype(col.dtype):
            try:
                changed[name] = _cast(gdf[name], col.dtype)
            except (TypeError, ValueError) as exc:
                raise SchemaError(
                    f"{kind}: column {name!r} cannot be read as {col.dtype}: {exc}"
                ) from exc
    out = gdf.assign(**changed) if changed else gdf.copy()
    ordered = [*columns, *(c for c in out.columns if c not in columns and c != "geometry")]
    if list(out.columns) != [*ordered, "geometry"]:
        out = out[[*ordered, "geometry"]]
    if isinstance(out, gpd.GeoDataFrame) and out.active_geometry_name == "geometry":
        return out
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    # astype() looks a dtype name up with pandas_dtype() itself; doing it here lets the
    # type checker see a dtype rather than an arbitrary string
    if dtype.startswith("datetime"):
        return pd.to_datetime(series, errors="raise").astype(pandas_dtype(dtype))
    if dtype in {"Int64", "Float64"}:
        return pd.to_numeric(series, errors="raise").astype(pandas_dtype(dtype))
    return series.astype(pandas_dtype(dtype))


def validate(gdf: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Check that ``gdf`` is a valid layer of ``kind``; return it unchanged if so.

    Raises
    ------
    SchemaError
        Naming every missing required column, every required column with nulls, a wrong
        CRS, or geometry types that do not belong in the layer, and listing the expected
        columns.
    """
    columns = _columns_of(kind)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{kind}: expected a GeoDataFrame, got {type(gdf).__name__}")
    problems: list[str] = []
    missing = [n for n, c in columns.items() if c.required and n not in gdf.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    nulls = [
        n for n, c in columns.items() if c.required and n in gdf.columns and gdf[n].isna().any()
    ]
    if nulls:
        problems.append(f"nulls in required columns {nulls}")
    if "kommunenummer" in gdf.columns:
        bad = gdf["kommunenummer"].dropna().astype(str)
        bad = bad[~bad.str.fullmatch(r"\d{4}")]
        if len(bad):
            problems.append(f"kommunenummer must be 4 digits, got {sorted(set(bad))[:5]}")
    if "objtype" in gdf.columns and kind == "zones":
        wrong = sorted(set(gdf["objtype"].dropna()) - set(OBJTYPES))
        if wrong:
            problems.append(f"objtype must be one of {list(OBJTYPES)}, got {wrong}")
    if len(gdf) and (gdf.crs is None or not gdf.crs.equals(CRS)):
        problems.append(f"CRS must be {CRS}, got {gdf.crs}")
    types = set(gdf.geometry.dropna().geom_type.unique()) if len(gdf) else set()
    if types - _GEOM_TYPES[kind]:
        problems.append(
            f"geometry types {sorted(types - _GEOM_TYPES[kind])} not allowed "
            f"(expected {sorted(_GEOM_TYPES[kind])})"
        )
    if problems:
        expected = [n for n, c in columns.items() if c.required]
        raise SchemaError(
            f"invalid {kind} layer: {'; '.join(problems)}. "
            f"Required columns: {expected}; optional: "
            f"{[n for n, c in columns.items() if not c.required]}"
        )
    return gdf


def validate_zones(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate a zones layer; see :func:`validate`."""
    return validate(gdf, "zones")


def validate_plots(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate a plots layer; see :func:`validate`."""
    return validate(gdf, "plots")


def validate_buildings(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate a buildings layer; see :func:`validate`."""
    return validate(gdf, "buildings")


def validate_constraints(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate a constraints layer; see :func:`validate`."""
    return validate(gdf, "constraints")


def _columns_of(kind: str) -> dict[str, Column]:
    try:
        return KIND_COLUMNS[kind]
    except KeyError:
        raise SchemaError(
            f"unknown layer kind {kind!r}; expected one of {list(KIND_COLUMNS)}"
        ) from None
