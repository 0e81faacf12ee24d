"""Places: the built-in gazetteer, and the rules every places table keeps.

The gazetteer (``arealkart/data/steder.csv``) holds the region's municipal centres and
larger villages, each row with the source of its position.  A region's places file (the
config's ``[steder] fil``) adds schools, kindergartens, shops, business gardens
(næringshager) and centres, or replaces a built-in row of the same name and type.  It is
a CSV file with the gazetteer's columns (``navn``, ``type``, ``kilde``, ``lat``/``lon`` in
WGS84 or ``ost``/``nord`` in EPSG:25832, optionally ``kommunenummer`` and ``alias``), or
any vector file GDAL reads with points and the columns ``navn``, ``type`` and ``kilde``
(read by :func:`arealkart.load.places.read_places`).

Every row must name its source (``kilde``): a position nobody can check is not one to
measure distances from.  ``type`` is one of
:data:`~arealkart.model.vocabulary.PLACE_TYPES`.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd

from arealkart.errors import CodeListError, InputError
from arealkart.model.resources import package_data
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import PLACE_TYPES

__all__ = ["PLACE_COLUMNS", "checked_places", "gazetteer", "merge_places", "place_points"]

PLACE_COLUMNS = ("navn", "alias", "kommunenummer", "lat", "lon", "type", "kilde")
"""The columns of a places table (``alias`` is ``|``-separated; positions in WGS84)."""

WGS84 = "EPSG:4326"


def gazetteer() -> pd.DataFrame:
    """The built-in gazetteer (a copy): :data:`PLACE_COLUMNS`, from ``data/steder.csv``."""
    return _gazetteer().copy()


@cache
def _gazetteer() -> pd.DataFrame:
    path = package_data("steder.csv")
    table = pd.read_csv(path, dtype={"kommunenummer": str}, keep_default_na=False)
    try:
        return checked_places(table, "arealkart/data/steder.csv")
    except InputError as exc:
        raise CodeListError(str(exc)) from None


def merge_places(base: pd.DataFrame, extra: pd.DataFrame | None) -> pd.DataFrame:
    """``base`` with the rows of ``extra`` added; a row of the same name and type replaces.

    Names are compared without regard to case.
    """
    if extra is None or not len(extra):
        return base.reset_index(drop=True)
    key_extra = set(zip(extra["navn"].str.casefold(), extra["type"], strict=True))
    keep = [
        (name, kind) not in key_extra
        for name, kind in zip(base["navn"].str.casefold(), base["type"], strict=True)
    ]
    return pd.concat([base[keep], extra], ignore_index=True)[list(PLACE_COLUMNS)]


def place_points(places: pd.DataFrame) -> gpd.GeoDataFrame:
    """The places as points in EPSG:25832 (the working CRS, where distances are metres)."""
    points = gpd.points_from_xy(places["lon"].astype(float), places["lat"].astype(float), crs=WGS84)
    frame = places.reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84).to_crs(CRS)


# --- checking -------------------------------------------------------------------------------


def checked_places(table: pd.DataFrame, where: str) -> pd.DataFrame:
    """A places table (:data:`PLACE_COLUMNS`) of ``table``'s rows, each checked.

    Every row must be named, of a known type, sourced and in Norway.

    Raises
    ------
    InputError
        Naming ``where`` (the file), the row and what was expected.
    """
    missing = sorted({"navn", "type", "kilde", "lat", "lon"} - set(table.columns))
    if missing:
        raise InputError(
            where,
            f"missing columns {missing}; expected navn, type, kilde and lat/lon (WGS84) "
            f"or ost/nord (EPSG:25832)",
        )
    if table.columns.duplicated().any():
        twice = sorted(set(table.columns[table.columns.duplicated()]))
        raise InputError(where, f"columns {twice} appear twice (names are read without case)")
    out = pd.DataFrame(
        {
            column: table[column].fillna("").astype(str).str.strip()
            if column in table
            else pd.Series("", index=table.index)
            for column in PLACE_COLUMNS
            if column not in ("lat", "lon")
        }
    )
    out["lat"] = pd.to_numeric(table["lat"], errors="coerce")
    out["lon"] = pd.to_numeric(table["lon"], errors="coerce")
    _check_rows(out, where)
    return out[list(PLACE_COLUMNS)].reset_index(drop=True)


def _check_rows(table: pd.DataFrame, where: str) -> None:
    in_norway = table["lat"].between(57.5, 71.5) & table["lon"].between(4.0, 31.5)
    problems = [
        (table["navn"] == "", "a name (navn)"),
        (~table["type"].isin(PLACE_TYPES), f"type one of {list(PLACE_TYPES)}"),
        (table["kilde"] == "", "the source of its position (kilde)"),
        (~in_norway.to_numpy(dtype=bool), "a position in Norway (lat 57.5–71.5, lon 4–31.5)"),
    ]
    for bad, expected in problems:
        rows = np.flatnonzero(np.asarray(bad, dtype=bool))
        if len(rows):
            first = int(rows[0])
            got = table.iloc[first][["navn", "type", "lat", "lon"]].to_dict()
            raise InputError(
                where,
                f"{len(rows)} row(s) lack {expected}; the first has {got}",
                line=first + 2,
                feature=table.iloc[first]["navn"] or None,
            )
