"""A pygeoapi feature provider over one layer of a build's GeoPackage, read with pyogrio.

pygeoapi names it in its config by dotted path
(``name: arealkart.serve.provider.GeoPackageProvider``) and builds one per request.  It
needs nothing beyond a plain Python install: pygeoapi's own ``SQLiteGPKG`` provider loads
SpatiaLite into Python's ``sqlite3`` (``enable_load_extension``, which some Python builds
lack), and its ``OGR`` provider needs GDAL's ``osgeo`` bindings (not on PyPI as wheels);
pyogrio ships GDAL in its wheels and reads the GeoPackage's R-tree.

Each request opens the file by its path, so a server keeps answering across a rebuild
(the build swaps the whole output folder in at once) and serves the new build's features.

Provider definition (the ``providers`` entry of a collection)::

    type: feature
    name: arealkart.serve.provider.GeoPackageProvider
    data: /path/to/output/arealkart.gpkg
    table: ledige_arealer            # the layer
    id_field: ledig_id               # or options.id_columns for a composite id
    storage_crs: http://www.opengis.net/def/crs/EPSG/0/25832
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)
from pyproj import CRS

__all__ = ["GeoPackageProvider", "feature_ids"]

_JSON_TYPES = {"b": "boolean", "i": "integer", "u": "integer", "f": "number", "M": "string"}
"""numpy dtype kind → JSON Schema type of a field (anything else is a string)."""

_TRUE = {"true": 1, "1": 1, "false": 0, "0": 0}


class GeoPackageProvider(BaseProvider):
    """Features of one GeoPackage layer for pygeoapi: bbox, property filters, sorting, paging.

    Parameters
    ----------
    provider_def
        The provider's entry in the pygeoapi config (see the module's docstring).
    """

    def __init__(self, provider_def: Mapping[str, Any]) -> None:
        super().__init__(provider_def)
        self.path = Path(str(self.data))
        self.table = str(provider_def.get("table") or "")
        options = self.options or {}
        self.id_columns = tuple(options.get("id_columns") or [self.id_field])
        info = self._info()
        self.geometry = str(info["geometry_name"] or "geometry") if info["geometry_type"] else None
        self._fields = {
            str(name): _field(str(dtype))
            for name, dtype in zip(info["fields"], info["dtypes"], strict=True)
        }
        missing = [c for c in self.id_columns if c not in self._fields]
        if missing:
            raise ProviderConnectionError(
                f"{self.path}: layer {self.table!r} has no id column {missing}; "
                f"its columns: {sorted(self._fields)}"
            )

    def get_fields(self) -> dict[str, dict[str, str]]:
        """The layer's attribute fields and their JSON Schema types."""
        return dict(self._fields)

    # --- the two questions pygeoapi asks ------------------------------------------------------

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: Sequence[float] = (),
        properties: Sequence[tuple[str, str]] = (),
        sortby: Sequence[Mapping[str, str]] = (),
        select_properties: Sequence[str] = (),
        skip_geometry: bool = False,
        crs_transform_spec: Any = None,
        filterq: Any = None,
        q: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A page of the features matching ``bbox`` and ``properties`` (equality filters).

        ``bbox`` is in the storage CRS (pygeoapi transforms a CRS84 box to it): a feature
        matches when its geometry intersects the box.  Features come in the layer's order
        (the order the build wrote them) unless ``sortby`` names columns.
        """
        if filterq is not None or q:
            raise ProviderInvalidQueryError(
                user_msg="this service filters by bbox and property=value; filter (CQL) and q "
                "are not supported"
            )
        matches = self._matches(bbox, self._where(properties), [s["property"] for s in sortby])
        collection: dict[str, Any] = {
            "type": "FeatureCollection",
            "numberMatched": len(matches),
            "features": [],
        }
        if resulttype != "hits":
            page = _sorted(matches, sortby).index[offset : offset + limit]
            frame = self._read(fids=page.to_numpy()) if len(page) else None
            if frame is not None:
                frame = frame.loc[page]
                collection["features"] = self._features(
                    frame, select_properties, skip_geometry, crs_transform_spec
                )
        collection["numberReturned"] = len(collection["features"])
        return collection

    def get(self, identifier: str, crs_transform_spec: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The feature with this id (its id column's value, or the joined id columns).

        Raises
        ------
        ProviderItemNotFoundError
            When no feature has it.
        """
        if len(self.id_columns) == 1:
            frame = self._read(where=f'"{self.id_columns[0]}" = {_sql_text(identifier)}')
        else:
            frame = self._read()
            frame = frame[feature_ids(frame, self.id_columns) == str(identifier)]
        if not len(frame):
            raise ProviderItemNotFoundError(
                user_msg=f"{self.table} has no feature with id {identifier!r}"
            )
        return self._features(frame.iloc[:1], (), False, crs_transform_spec)[0]

    # --- reading ------------------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        try:
            return dict(pyogrio.read_info(self.path, layer=self.table))
        except Exception as exc:  # GDAL raises many types for missing or broken files
            raise ProviderConnectionError(
                f"{self.path}: cannot read layer {self.table!r}: {exc}"
            ) from None

    def _read(self, **options: Any) -> pd.DataFrame:
        """Read the layer (fids as index) with pyogrio's ``options``."""
        try:
            return pyogrio.read_dataframe(self.path, layer=self.table, fid_as_index=True, **options)
        except Exception as exc:  # GDAL raises many types for missing or broken files
            raise ProviderQueryError(
                f"{self.path}: cannot read layer {self.table!r}: {exc}"
            ) from None

    def _matches(self, bbox: Sequence[float], where: str | None, columns: list[str]) -> Any:
        """The matching features' fids (the index) and ``columns``, in the layer's order."""
        unknown = sorted(set(columns) - set(self._fields))
        if unknown:
            raise ProviderInvalidQueryError(user_msg=f"cannot sort by unknown columns {unknown}")
        box = _box(bbox)
        if box is not None and self.geometry is None:
            return pd.DataFrame(columns=columns)  # a table: nothing lies in a box
        frame = self._read(
            columns=columns,
            read_geometry=box is not None,
            bbox=None if box is None else tuple(box),
            where=where,
        )
        if box is not None:  # the R-tree gives the features whose envelope touches the box
            frame = frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]
        return frame.sort_index()  # SQLite may answer in an index's order: fid order is the build's

    def _where(self, properties: Iterable[tuple[str, str]]) -> str | None:
        """SQL for ``column = value`` filters, each value read as its column's type."""
        terms = []
        for column, value in properties:
            if column not in self._fields:
                raise ProviderInvalidQueryError(
                    user_msg=f"{self.table} has no property {column!r} to filter by; "
                    f"its properties: {', '.join(sorted(self._fields))}"
                )
            kind = self._fields[column]["type"]
            terms.append(f'"{column}" = {_sql_value(column, value, kind)}')
        return " AND ".join(terms) or None

    # --- writing GeoJSON features -------------------------------------------------------------

    def _features(
        self,
        frame: pd.DataFrame,
        select: Sequence[str],
        skip_geometry: bool,
        crs_transform_spec: Any,
    ) -> list[dict[str, Any]]:
        ids = feature_ids(frame, self.id_columns)
        columns = [c for c in frame.columns if c in self._fields and (not select or c in select)]
        rows = _json_rows(frame[columns])
        geometries: list[Any] = [None] * len(frame)
        if self.geometry is not None and not skip_geometry:
            geoms = gpd.GeoSeries(frame.geometry, crs=frame.crs)
            if crs_transform_spec is not None:
                geoms = geoms.to_crs(CRS.from_wkt(crs_transform_spec.target_crs_wkt))
            geometries = _json_geometries(geoms.values)
        return [
            {"type": "Feature", "id": fid, "geometry": geometry, "properties": row}
            for fid, geometry, row in zip(ids, geometries, rows, strict=True)
        ]


def feature_ids(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """A layer's stable feature ids: its id column, or ``columns``' values joined by ``-``."""
    if len(columns) == 1:
        return frame[columns[0]].astype(str)
    return frame[list(columns)].astype(str).agg("-".join, axis=1)


def _field(dtype: str) -> dict[str, str]:
    kind = np.dtype(dtype).kind if dtype != "object" else "O"
    field = {"type": _JSON_TYPES.get(kind, "string")}
    if kind == "M":
        field["format"] = "date-time"
    return field


def _box(bbox: Sequence[float]) -> list[float] | None:
    """A 2D box from pygeoapi's 4 or 6 numbers (``None`` for none)."""
    if not bbox:
        return None
    values = [float(v) for v in bbox]
    return values if len(values) == 4 else [values[0], values[1], values[3], values[4]]


def _sorted(frame: pd.DataFrame, sortby: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """``frame`` in ``sortby``'s order (stable: ties keep the layer's order)."""
    if not sortby:
        return frame
    return frame.sort_values(
        [s["property"] for s in sortby],
        ascending=[s.get("order", "+") != "-" for s in sortby],
        kind="stable",
    )


def _sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_value(column: str, value: str, kind: str) -> str:
    """``value`` as an SQL literal of a ``kind`` column, or a 400 naming what was expected."""
    text = str(value).strip()
    try:
        if kind == "integer":
            return str(int(text))
        if kind == "number":
            number = float(text)
            if math.isfinite(number):
                return repr(number)
        elif kind == "boolean":
            return str(_TRUE[text.casefold()])
        else:
            return _sql_text(value)
    except (ValueError, KeyError):
        pass
    expected = {"integer": "a whole number", "boolean": "true or false"}.get(kind, "a number")
    raise ProviderInvalidQueryError(user_msg=f"{column} must be {expected}, got {value!r}")


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: missing values as ``None``, dates as ISO 8601 text."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "M":
            out[column] = out[column].map(lambda t: None if pd.isna(t) else t.isoformat())
    out = out.astype(object).where(out.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]


def _json_geometries(geometries: Any) -> list[Any]:
    texts = shapely.to_geojson(np.asarray(geometries, dtype=object))
    return [None if t is None else json.loads(t) for t in texts]
