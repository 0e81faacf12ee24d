"""Read municipal GIS exports and CSV plot registers into the canonical layers.

The exports may be GeoPackage, Shapefile, GeoJSON or FlatGeobuf.

Column names are mapped to the canonical schema through ``arealkart/data/kolonnealias.csv``
(``RPAREALFORMÅL``, ``RPAREALFOR`` as a Shapefile cuts it, ``arealformål``, ``FELTNAVN``,
``KOMM`` …), case-insensitively; a user's own ``columns={"their name": "canonical"}`` wins.
Which layer a file holds (zones, constraints, plots, buildings) is told by ``kind=`` or
inferred from its columns.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from arealkart.errors import FormatError, InputError, SchemaError
from arealkart.load.geometry import crs_label, repair_polygons, to_working_crs
from arealkart.model.issues import IssueLog, source_file
from arealkart.model.resources import package_data
from arealkart.model.schema import CRS, ID_COLUMNS, KIND_COLUMNS, conform, empty
from arealkart.model.vocabulary import REGISTER_STATUSES
from arealkart.registry.kommuner import current_numbers, kommunenummer

if TYPE_CHECKING:
    from arealkart.model.plandata import PlanData

ENGINES = ("pyogrio", "fiona")
DEFAULT_ENGINE = "pyogrio"

_KIND_MARKERS = (
    ("zones", "arealformal"),
    ("constraints", "hensyn_kode"),
    ("plots", "tomt_id"),
    ("plots", "register_status"),
    ("buildings", "bygg_id"),
    ("buildings", "bygningstype"),
)
_OBJTYPE_NAMES = {
    "rparealformålområde": "RP",
    "kparealformålområde": "KP",
    "rbformålområde": "RB",
    "kparealbrukområde": "KP1985",
    **{k.casefold(): k for k in ("RP", "KP", "RB", "KP1985")},
}
_STATUS_WORDS = {
    "ledig": "ledig",
    "til salgs": "ledig",
    "fri": "ledig",
    "available": "ledig",
    "reservert": "reservert",
    "opsjon": "reservert",
    "reserved": "reservert",
    "solgt": "solgt",
    "sold": "solgt",
    "bebygd": "solgt",
}
_TRUE = {"ja", "j", "yes", "y", "true", "1", "x", "sann"}
_FALSE = {"nei", "n", "no", "false", "0", "usann", ""}
_COORD_PAIRS = (
    (("ost", "nord"), None),
    (("øst", "nord"), None),
    (("easting", "northing"), None),
    (("x", "y"), None),
    (("lon", "lat"), "EPSG:4326"),
    (("lengde", "bredde"), "EPSG:4326"),
)


def read_vector(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    layer: str | None = None,
    kommune: str | int | None = None,
    crs: Any = None,
    objtype: str | None = None,
    engine: str = DEFAULT_ENGINE,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    **_ignored: Any,
) -> PlanData:
    """Read a GeoPackage, Shapefile, GeoJSON or FlatGeobuf into canonical layers.

    Parameters
    ----------
    path
        The file.
    kind
        ``zones``, ``constraints``, ``plots`` or ``buildings``; inferred from columns if
        omitted.
    layer
        Read only this layer of a multi-layer file (default: all layers).
    kommune
        Municipality for features without a municipality column.
    crs
        CRS of a file that has none; given for a file that has one, it replaces the
        file's CRS with a warning in the log.
    objtype
        Code list of a zones layer whose code column does not tell (``RP``, ``KP``, …).
    engine
        ``"pyogrio"`` (default, faster) or ``"fiona"``.
    columns
        Extra column aliases, ``{"their name": "canonical name"}``.
    encoding
        Text encoding of attribute values; Shapefiles without ``.cpg`` are detected.
    """
    from arealkart.model.plandata import combine

    path = Path(path)
    if engine not in ENGINES:
        raise InputError(path, f"unknown engine {engine!r}; expected one of {list(ENGINES)}")
    names = [layer] if layer else _layer_names(path, engine)
    encoding = encoding or _detect_encoding(path)
    parts = [
        canonical_part(
            _read_layer(path, name, engine, encoding),
            path=path,
            layer=name if len(names) > 1 else None,
            kind=kind,
            kommune=kommune,
            crs=crs,
            objtype=objtype,
            columns=columns,
        )
        for name in names
    ]
    return combine(parts)


def canonical_part(
    gdf: gpd.GeoDataFrame,
    *,
    path: Path,
    layer: str | None = None,
    kind: str | None = None,
    kommune: str | int | None = None,
    crs: Any = None,
    objtype: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> PlanData:
    """One layer as read from a file or a database table, as a canonical :class:`PlanData`.

    Its kind is inferred from its columns unless given; ``counts`` records the features read
    under ``path.name`` (the label of the input in the accounting) with the input's CRS.
    """
    from arealkart.model.plandata import PlanData

    layer_kind = kind or infer_kind(gdf, columns, path=path, layer=layer)
    issues = IssueLog()
    canonical = to_canonical(
        gdf,
        layer_kind,
        path=path,
        layer=layer,
        kommune=kommune,
        crs=crs,
        objtype=objtype,
        columns=columns,
        issues=issues,
    )
    read = {
        "file": path.name,
        "layer": layer_kind,
        "features": len(gdf),
        "crs": crs_label(crs if crs is not None else gdf.crs),
    }
    counts = pd.DataFrame([read])
    return PlanData(**{layer_kind: canonical}, issues=issues.frame(), counts=counts)


def infer_kind(
    gdf: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    path: Path | None = None,
    layer: str | None = None,
) -> str:
    """Tell from a layer's columns whether it holds zones, constraints, plots or buildings.

    Raises
    ------
    SchemaError
        If no column names a land-use code, hensyn code, plot id or building id.
    """
    mapped = {canonical for canonical, _ in _column_map(gdf.columns, columns).values()}
    for layer_kind, marker in _KIND_MARKERS:
        if marker in mapped:
            return layer_kind
    where = f"{path}" + (f", layer {layer!r}" if layer else "") if path else "layer"
    raise SchemaError(
        f"{where}: cannot tell what the layer holds from its columns {list(gdf.columns)}; "
        f"expected a land-use code (e.g. arealformål, RPAREALFORMÅL), a hensyn code, a plot "
        f"id or a building id, or pass kind='zones'|'constraints'|'plots'|'buildings'"
    )


def to_canonical(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    path: Path,
    issues: IssueLog,
    layer: str | None = None,
    kommune: str | int | None = None,
    crs: Any = None,
    objtype: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Rename, type, reproject and repair one layer into the canonical ``kind`` layer."""
    if kind not in KIND_COLUMNS:
        raise SchemaError(f"unknown kind {kind!r}; expected one of {list(KIND_COLUMNS)}")
    if not len(gdf):
        return empty(kind)
    mapping = _column_map(gdf.columns, columns)
    renamed = gdf.rename(columns={k: v for k, (v, _) in _kind_mapping(mapping, kind).items()})
    renamed = renamed.loc[:, ~renamed.columns.duplicated()]
    out = gpd.GeoDataFrame(renamed, geometry=gdf.geometry.name, crs=gdf.crs)
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    prefix = f"{path.name}#" + (f"{layer}/" if layer else "")
    out["source"] = [f"{prefix}{fid}" for fid in _feature_ids(gdf)]
    id_column = ID_COLUMNS[kind]
    if id_column not in out.columns or out[id_column].isna().all():
        out[id_column] = out["source"]
    out[id_column] = out[id_column].astype("string").fillna(out["source"])
    out["kommunenummer"] = _kommune_column(out, kommune, path)
    if kind == "zones":
        _require_code_column(out, path)
        out["objtype"] = _objtype_column(out, mapping, objtype, path)
        if "ikraft" in out.columns:
            out["ikraft"] = parse_dates(out["ikraft"])
    if kind == "plots":
        out = _normalise_plot_values(out, path, issues)
    out = _drop_unbuildable(out, gdf.attrs.get("bad_geometry", {}), kind, id_column, issues)
    out = to_working_crs(out, path=path, crs=crs, check=True)
    out = _drop_uncoded(out, kind, path, issues)
    out = repair_polygons(out, layer=kind, issues=issues, id_column=id_column)
    out = _drop_not_polygonal(out, kind, id_column, issues)
    return conform(out, kind)


POLYGONAL_KINDS = frozenset({"zones", "constraints"})
"""Layers whose features are areas: a point or line there is no zone."""


def _drop_unbuildable(
    out: gpd.GeoDataFrame, bad: Mapping[int, str], kind: str, id_column: str, issues: IssueLog
) -> gpd.GeoDataFrame:
    """Report and drop features whose geometry could not be built at all."""
    if not bad:
        return out
    rows = out.iloc[sorted(bad)]
    for (_, row), reason in zip(rows.iterrows(), [bad[i] for i in sorted(bad)], strict=True):
        issues.add(
            source_file(row["source"]),
            row[id_column],
            kind,
            "geometri_feil",
            "unreadable",
            f"the geometry cannot be built ({reason}); the rest of the file is read",
        )
    keep = np.ones(len(out), dtype=bool)
    keep[sorted(bad)] = False
    return out[keep]


def _drop_not_polygonal(
    out: gpd.GeoDataFrame, kind: str, id_column: str, issues: IssueLog
) -> gpd.GeoDataFrame:
    """Report and drop points and lines in a layer of areas (zones, constraint zones)."""
    if kind not in POLYGONAL_KINDS or not len(out):
        return out
    polygonal = np.isin(shapely.get_type_id(out.geometry.to_numpy()), [3, 6])
    for _, row in out[~polygonal].iterrows():
        issues.add(
            source_file(row["source"]),
            row[id_column],
            kind,
            "geometri_type",
            "excluded",
            f"a {row.geometry.geom_type} is not an area; {kind} must be polygons",
        )
    return out[polygonal]


def read_csv_plots(
    path: str | os.PathLike[str],
    *,
    geometry: str | os.PathLike[str] | None = None,
    kommune: str | int | None = None,
    crs: Any = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    engine: str = DEFAULT_ENGINE,
    **_ignored: Any,
) -> PlanData:
    """Read a plot register (tomteregister) from CSV.

    Plots get their geometry either from coordinate columns in the CSV (``nord``/``ost``
    in EPSG:25832 unless ``crs`` says otherwise, ``lat``/``lon`` in WGS84, or ``wkt``) or
    from a separate ``geometry`` file of plot polygons joined on the plot id.  Register
    rows without a geometry, and polygons without a register row, are reported.

    Parameters
    ----------
    path
        The CSV file; the delimiter (``;``, ``,`` or tab) and encoding (UTF-8 or
        ISO-8859-1) are detected.
    geometry
        A vector file of plot polygons with a plot id column.
    """
    from arealkart.model.plandata import PlanData

    path = Path(path)
    table = _read_csv(path, encoding)
    issues = IssueLog()
    if geometry is not None:
        gdf = _join_plot_geometry(table, Path(geometry), path, columns, engine, issues)
    else:
        gdf = _points_from_columns(table, path, crs)
        crs = None
    plots = to_canonical(
        gdf, "plots", path=path, kommune=kommune, crs=crs, columns=columns, issues=issues
    )
    counts = [
        {"file": path.name, "layer": "plots", "features": len(table), "crs": crs_label(gdf.crs)}
    ]
    if geometry is not None:
        plots = _with_geometry_source(plots, Path(geometry))
        counts.append(
            {
                "file": Path(geometry).name,
                "layer": "plots",
                "features": int(gdf.attrs.get("shapes_read", 0)),
                "crs": crs_label(gdf.crs),
            }
        )
    return PlanData(plots=plots, issues=issues.frame(), counts=pd.DataFrame(counts))


def _with_geometry_source(plots: gpd.GeoDataFrame, geometry: Path) -> gpd.GeoDataFrame:
    """Name both inputs of a joined plot: ``register.csv#3|tomter.geojson#7``."""
    if "_geometri_fid" not in plots.columns:  # no register row found its polygon
        return plots
    out = plots.drop(columns="_geometri_fid")
    out["source"] = (plots["source"] + "|" + geometry.name + "#" + plots["_geometri_fid"]).astype(
        "string"
    )
    return out


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse dates given as ``YYYYMMDD`` (SOSI style, text or integer) or ISO 8601 text."""
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    compact = text.str.fullmatch(r"\d{8}").fillna(False)
    out = pd.to_datetime(text.where(~compact), errors="coerce", format="ISO8601")
    out[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    return out.astype("datetime64[ms]")


# --- reading -------------------------------------------------------------------------


def _layer_names(path: Path, engine: str) -> list[str]:
    try:
        if engine == "fiona":
            import fiona

            return list(fiona.listlayers(path))
        import pyogrio

        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL raises many types for broken files
        raise FormatError(path, f"cannot be opened as a vector file: {exc}") from None


def _read_layer(
    path: Path, layer: str | None, engine: str, encoding: str | None
) -> gpd.GeoDataFrame:
    """One layer (``None``: the first) of a vector file; a clear error if it cannot be read."""
    options: dict[str, Any] = {"engine": engine}
    if layer is not None:
        options["layer"] = layer
    if encoding:
        options["encoding"] = encoding
    try:
        with warnings.catch_warnings():  # GDAL's note on an unclosed ring: handled below
            warnings.filterwarnings("ignore", "Non closed ring detected", RuntimeWarning)
            return gpd.read_file(path, **options)
    except shapely.errors.GEOSException as exc:  # one feature's geometry, not the file
        if engine != "pyogrio":
            raise FormatError(path, f"a geometry cannot be read: {exc}") from None
        return _read_with_bad_geometries(path, layer, encoding, exc)
    except Exception as exc:  # GDAL raises many types for broken files
        if layer is not None and (names := _known_layers(path, engine)) and layer not in names:
            raise FormatError(path, f"has no layer {layer!r}; its layers are {names}") from None
        what = "cannot be read" if layer is None else f"layer {layer!r} cannot be read"
        raise FormatError(path, f"{what}: {exc}") from None


def _known_layers(path: Path, engine: str) -> list[str]:
    try:
        return _layer_names(path, engine)
    except FormatError:  # an unreadable file: its own error says so
        return []


def _read_with_bad_geometries(
    path: Path, layer: str | None, encoding: str | None, error: Exception
) -> gpd.GeoDataFrame:
    """Read a layer in which some geometries are broken (a ring of two points, say).

    The attributes and the raw geometries are read apart; a geometry that cannot be built
    becomes missing, with the reason in ``attrs["bad_geometry"]`` (``{row: reason}``),
    so it is one issues row, not a lost file.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Non closed ring detected", RuntimeWarning)
            meta, _, wkb, fields = pyogrio.raw.read(
                path, layer=layer, encoding=encoding, datetime_as_string=True
            )
    except Exception as exc:  # GDAL raises many types for broken files
        raise FormatError(path, f"cannot be read: {exc}") from None
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    bad = shapely.is_missing(geoms) & np.array([w is not None for w in wkb], dtype=bool)
    table = pd.DataFrame(dict(zip(meta["fields"], fields, strict=True)))
    out = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs=meta["crs"]), crs=meta["crs"])
    out.attrs["bad_geometry"] = {int(i): str(error) for i in np.flatnonzero(bad)}
    return out


def _detect_encoding(path: Path) -> str | None:
    """ISO-8859-1 for a Shapefile without ``.cpg`` whose text is not valid UTF-8."""
    if path.suffix.lower() != ".shp" or path.with_suffix(".cpg").exists():
        return None
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return None
    raw = dbf.read_bytes()
    header_length = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    try:
        raw[header_length:].decode("utf-8")
    except UnicodeDecodeError:
        return "ISO-8859-1"
    return "UTF-8"


@cache
def _aliases() -> dict[str, tuple[str, str | None]]:
    table = pd.read_csv(package_data("kolonnealias.csv"), dtype=str, keep_default_na=False)
    rows: Iterator[Any] = table.itertuples(index=False)  # every cell a str
    return {row.alias.casefold(): (row.kolonne, row.objtype or None) for row in rows}


def _column_map(
    names: pd.Index, user: Mapping[str, str] | None
) -> dict[str, tuple[str, str | None]]:
    """Map input column names to ``(canonical name, implied objtype)``."""
    aliases = _aliases()
    user_map = {k.casefold(): v for k, v in (user or {}).items()}
    mine = {n: (user_map[str(n).casefold()], None) for n in names if str(n).casefold() in user_map}
    known = {
        n: aliases[str(n).casefold()]
        for n in names
        if n != "geometry" and n not in mine and str(n).casefold() in aliases
    }
    return {**mine, **known}  # the user's own mappings first: they win


def column_targets(names: Iterable[object], user: Mapping[str, str] | None = None) -> set[str]:
    """The canonical names that columns ``names`` stand for (by the aliases, and ``user``'s)."""
    return {canonical for canonical, _ in _column_map(pd.Index(list(names)), user).values()}


def _kind_mapping(mapping: dict, kind: str) -> dict[str, tuple[str, str | None]]:
    """Keep the mappings that belong to ``kind`` (``@id`` becomes its id column)."""
    wanted = set(KIND_COLUMNS[kind])
    out: dict[str, tuple[str, str | None]] = {}
    for name, (canonical, objtype) in mapping.items():
        canonical = ID_COLUMNS[kind] if canonical == "@id" else canonical
        if canonical in wanted and canonical not in {c for c, _ in out.values()}:
            out[name] = (canonical, objtype)
    return out


def _feature_ids(gdf: gpd.GeoDataFrame) -> list[str]:
    return [str(i) for i in gdf.index]


def _kommune_column(out: pd.DataFrame, kommune: Any, path: Path) -> pd.Series:
    if kommune is not None:
        return pd.Series(kommunenummer(kommune), index=out.index, dtype="string")
    if "kommunenummer" not in out.columns or out["kommunenummer"].isna().any():
        raise SchemaError(
            f"{path}: features without a municipality number; add a kommunenummer column "
            f"or pass kommune=… (e.g. kommune='Vinje')"
        )
    values = out["kommunenummer"].astype("string").str.replace(r"\.0$", "", regex=True)
    return current_numbers(values)


def _require_code_column(out: pd.DataFrame, path: Path) -> None:
    if "arealformal" not in out.columns:
        names = sorted(a for a, (column, _) in _aliases().items() if column == "arealformal")
        raise SchemaError(
            f"{path}: no arealformal column (the land-use code); expected it or one of its aliases "
            f"({', '.join(names[:8])}, …), or map yours with columns={{'their_name': "
            "'arealformal'}"
        )


def _objtype_column(out: pd.DataFrame, mapping: dict, objtype: str | None, path: Path) -> pd.Series:
    if objtype is not None:
        return pd.Series(_objtype_value(objtype, path), index=out.index, dtype="string")
    implied = {o for c, o in mapping.values() if c == "arealformal" and o}
    if "objtype" in out.columns and out["objtype"].notna().all():
        return out["objtype"].map(lambda v: _objtype_value(v, path)).astype("string")
    if len(implied) == 1:
        return pd.Series(implied.pop(), index=out.index, dtype="string")
    if "plantype" in out.columns and out["plantype"].notna().all():
        master = pd.to_numeric(out["plantype"], errors="coerce").between(20, 29)
        return pd.Series(np.where(master, "KP", "RP"), index=out.index, dtype="string")
    raise SchemaError(
        f"{path}: cannot tell which code list the land-use codes belong to; add an objtype "
        f"column (RP, KP, RB, KP1985 or a SOSI object type) or pass objtype='RP'"
    )


def _objtype_value(value: Any, path: Path) -> str:
    key = str(value).strip().casefold()
    if key not in _OBJTYPE_NAMES:
        raise SchemaError(
            f"{path}: unknown objtype {value!r}; expected RP, KP, RB, KP1985 or one of "
            f"RpArealformålOmråde, KpArealformålOmråde, RbFormålOmråde, KpArealbrukOmråde"
        )
    return _OBJTYPE_NAMES[key]


def _drop_uncoded(
    out: gpd.GeoDataFrame, kind: str, path: Path, issues: IssueLog
) -> gpd.GeoDataFrame:
    code = {"zones": "arealformal", "constraints": "hensyn_kode"}.get(kind)
    if code is None:
        return out
    if code not in out.columns:
        raise SchemaError(f"{path}: the {kind} layer has no {code} column")
    values = pd.to_numeric(out[code], errors="coerce")
    bad = values.isna()
    for row in out[bad].itertuples():
        issues.add(
            path.name,
            getattr(row, ID_COLUMNS[kind]),
            kind,
            "kode_mangler",
            "unreadable",
            f"{code} {getattr(row, code)!r} is not a number",
        )
    out = out[~bad].copy()
    out[code] = values[~bad].astype("int64")
    return out


# --- plot registers ---------------------------------------------------------------------


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    return read_text_table(path, encoding, what="CSV plot register")


def read_text_table(
    path: str | os.PathLike[str], encoding: str | None = None, *, what: str = "CSV file"
) -> pd.DataFrame:
    """A CSV file as spreadsheets write it, every value a text (empty ones NaN).

    The delimiter (``,``, ``;`` or tab) is sniffed; the encoding is ``encoding``, or UTF-8
    (with or without a BOM), or else ISO-8859-1.

    Raises
    ------
    FormatError
        For a file that cannot be decoded or parsed, naming ``what`` it should have been.
    """
    path = Path(path)
    raw = path.read_bytes()
    text = _decode(raw, encoding, path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FormatError(path, f"not a readable {what}: {exc}") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _decode(raw: bytes, encoding: str | None, path: Path) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise FormatError(path, f"cannot be decoded as {encoding}: {exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")


def _points_from_columns(table: pd.DataFrame, path: Path, crs: Any) -> gpd.GeoDataFrame:
    lower = {c.casefold(): c for c in table.columns}
    if "wkt" in lower:
        geoms = gpd.GeoSeries.from_wkt(table[lower["wkt"]])
        return gpd.GeoDataFrame(table, geometry=geoms, crs=crs or CRS)
    for (xname, yname), default_crs in _COORD_PAIRS:
        if xname in lower and yname in lower:
            x = _number(table[lower[xname]], path, xname)
            y = _number(table[lower[yname]], path, yname)
            return gpd.GeoDataFrame(
                table, geometry=gpd.points_from_xy(x, y), crs=crs or default_crs or CRS
            )
    raise SchemaError(
        f"{path}: the plot register has no coordinates; expected columns nord/ost (UTM), "
        f"lat/lon or wkt, or pass geometry=<file with plot polygons>"
    )


def _number(values: pd.Series, path: Path, name: str) -> pd.Series:
    cleaned = values.astype("string").str.replace(" ", "").str.replace(",", ".")
    numbers = pd.to_numeric(cleaned, errors="coerce")
    if numbers.isna().any():
        bad = values[numbers.isna()].iloc[0]
        raise SchemaError(f"{path}: column {name!r} holds a non-number {bad!r}")
    return numbers


def _join_plot_geometry(
    table: pd.DataFrame,
    geometry: Path,
    path: Path,
    columns: Mapping[str, str] | None,
    engine: str,
    issues: IssueLog,
) -> gpd.GeoDataFrame:
    register = table.rename(
        columns={
            k: v
            for k, (v, _) in _kind_mapping(_column_map(table.columns, columns), "plots").items()
        }
    )
    if "tomt_id" not in register.columns:
        raise SchemaError(f"{path}: the plot register has no plot id column (e.g. tomt_id)")
    shapes = _read_layer(geometry, None, engine, _detect_encoding(geometry))
    shape_map = _kind_mapping(_column_map(shapes.columns, columns), "plots")
    shapes = shapes.rename(columns={k: v for k, (v, _) in shape_map.items()})
    if "tomt_id" not in shapes.columns:
        raise SchemaError(f"{geometry}: the plot geometry file has no plot id column")
    read_count = len(shapes)
    register = _unique_register_rows(register, path, issues)
    shapes = _unique_plot_shapes(shapes[["tomt_id", "geometry"]], geometry, issues)
    shapes["_geometri_fid"] = shapes.index.astype(str)
    merged = register.reset_index(names="_rad").merge(
        shapes, on="tomt_id", how="left", indicator=True
    )
    for tomt in merged.loc[merged["_merge"] == "left_only", "tomt_id"]:
        issues.add(
            path.name,
            tomt,
            "plots",
            "tomt_uten_geometri",
            "unreadable",
            f"plot {tomt} has no polygon in {geometry.name}",
        )
    for tomt in sorted(set(shapes["tomt_id"]) - set(register["tomt_id"])):
        issues.add(
            geometry.name,
            tomt,
            "plots",
            "tomt_uten_register",
            "excluded",
            f"polygon {tomt} has no row in the plot register {path.name}",
        )
    merged = merged[merged["_merge"] == "both"].drop(columns="_merge").set_index("_rad")
    merged.index.name = None
    joined = gpd.GeoDataFrame(merged, geometry="geometry", crs=shapes.crs)
    joined.attrs["shapes_read"] = read_count
    return joined


def _unique_register_rows(register: pd.DataFrame, path: Path, issues: IssueLog) -> pd.DataFrame:
    """Keep the first register row of each plot id; report the others as duplicates."""
    repeated = register["tomt_id"].duplicated(keep="first") & register["tomt_id"].notna()
    positions = np.flatnonzero(repeated.to_numpy()).tolist()
    for line, tomt in zip(
        [p + 2 for p in positions],  # the file's line: a header, then rows from 0
        register["tomt_id"].iloc[positions],
        strict=True,
    ):
        issues.add(
            path.name,
            f"{tomt} (rad {line})",
            "plots",
            "duplikat",
            "excluded",
            f"register row {line} repeats plot id {tomt}; the first row is used",
        )
    return register[~repeated]


def _unique_plot_shapes(
    shapes: gpd.GeoDataFrame, geometry: Path, issues: IssueLog
) -> gpd.GeoDataFrame:
    """Keep the first polygon of each plot id; report the others as duplicates."""
    repeated = shapes["tomt_id"].duplicated(keep="first")
    for fid, tomt in shapes.loc[repeated, "tomt_id"].items():
        issues.add(
            geometry.name,
            tomt,
            "plots",
            "duplikat",
            "excluded",
            f"polygon {fid} repeats plot id {tomt}; the first polygon is used",
        )
    return shapes[~repeated].copy()


def _normalise_plot_values(out: gpd.GeoDataFrame, path: Path, issues: IssueLog) -> gpd.GeoDataFrame:
    out = out.copy()
    if "register_status" in out.columns:
        words = out["register_status"].astype("string").str.strip().str.casefold()
        status = words.map(_STATUS_WORDS)
        unknown = words.notna() & status.isna()
        for row in out[unknown].itertuples():
            issues.add(
                path.name,
                row.tomt_id,
                "plots",
                "ukjent_status",
                "flagged",
                f"register status {row.register_status!r} is not one of "
                f"{list(REGISTER_STATUSES)}; the plot is judged by buildings alone",
            )
        out["register_status"] = status.astype("string")
    for column in ("pris", "tomt_m2"):
        if column in out.columns:
            cleaned = (
                out[column]
                .astype("string")
                .str.replace(r"[^\d,.\-]", "", regex=True)
                .str.replace(",", ".")
                .str.rstrip(".-")
            )
            out[column] = pd.to_numeric(cleaned, errors="coerce")
            negative = out[column] < 0
            for row in out[negative.fillna(False)].itertuples():
                issues.add(
                    path.name,
                    row.tomt_id,
                    "plots",
                    "ugyldig_verdi",
                    "flagged",
                    f"{column} {getattr(row, column)} is negative; it is left empty",
                )
            out[column] = out[column].where(~negative.fillna(False))
    if "va" in out.columns:
        out["va"] = out["va"].map(_boolean).astype("boolean")
    return out


def _boolean(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = str(value).strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None
