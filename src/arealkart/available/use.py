"""Combined use, actual: the year-round and leisure homes that stand in each zone.

Matrikkelen gives every building a ``bygningstype``; ``data/bygningstyper.csv`` says which
are year-round homes (``helars``: 111–159), leisure homes (``fritid``: 161–163) and no home
(``annet``), with the source of each row.  A building counts in the zone its footprint's
representative point (or its point) lies in (a regulation plan's zone before a master
plan's it overlaps).  Per zone:

- ``boliger_helars``, ``boliger_fritid``: the homes of each kind;
- ``andel_fritid``: leisure homes / all homes (empty where the zone has none);
- ``bruk``: for zones of housing, leisure homes or combined use (see
  :data:`~arealkart.model.vocabulary.ZONE_USES`), with the threshold ``blandet_andel``
  (``data/parametere.toml``):

  ``ingen_boliger``
      no home stands in the zone;
  ``fritid_i_boligfelt``
      a housing zone with at least ``blandet_andel`` leisure homes;
  ``helars_i_fritidsfelt``
      a leisure zone with at least ``blandet_andel`` year-round homes;
  ``blandet``
      a zone planned for both (``kategori`` kombinert or ``kombinasjon`` bolig_fritid)
      where each kind has at least ``blandet_andel``;
  ``som_regulert``
      otherwise: used as planned.
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.errors import CodeListError
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import HOME_KINDS

USE_COLUMNS = ("boliger_helars", "boliger_fritid", "andel_fritid", "bruk")
"""The columns :func:`home_use` adds to the zones."""

_JUDGED = ("bolig", "fritid", "kombinert")


@cache
def building_kinds() -> pd.DataFrame:
    """The rule ``bygningstype`` range → ``helars``/``fritid``/``annet`` (package data)."""
    table = pd.read_csv(package_data("bygningstyper.csv"))
    bad = table[~table["bruk"].isin(HOME_KINDS) | (table["fra"] > table["til"])]
    if len(bad):
        raise CodeListError(
            f"arealkart/data/bygningstyper.csv, rows {list(bad.index + 2)}: expected fra ≤ til "
            f"and bruk one of {list(HOME_KINDS)}"
        )
    return table


def home_kind(bygningstype: pd.Series) -> pd.Series:
    """Each building's kind: ``helars``, ``fritid``, ``annet``; empty for no or an unknown type."""
    code = pd.to_numeric(bygningstype, errors="coerce")
    kind = pd.Series(pd.NA, index=bygningstype.index, dtype="string")
    for fra, til, bruk in building_kinds()[["fra", "til", "bruk"]].itertuples(index=False):
        kind[code.between(int(fra), int(til)).fillna(False)] = str(bruk)
    return kind


def home_use(
    zones: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, share: float
) -> gpd.GeoDataFrame:
    """``zones`` with the homes in each and the use they show (:data:`USE_COLUMNS`).

    Parameters
    ----------
    zones
        Classified zones (``kategori``, ``kombinasjon``, ``objtype``) in EPSG:25832; where
        a regulation plan's zone overlaps a master plan's, a building counts in the first.
    buildings
        Buildings with ``bygningstype``, footprints or points, in the same CRS.
    share
        ``blandet_andel``: the smallest share of the other kind of home that counts.
    """
    out = zones.copy()
    helars, fritid = _counts(zones, buildings)
    homes = helars + fritid
    out["boliger_helars"] = pd.array(helars, dtype="Int64")
    out["boliger_fritid"] = pd.array(fritid, dtype="Int64")
    andel = np.where(homes > 0, fritid / np.maximum(homes, 1), np.nan)
    out["andel_fritid"] = pd.array(np.round(andel, 3), dtype="Float64")
    out["bruk"] = _judge(zones, homes, andel, share)
    return out


def _counts(zones: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Year-round and leisure homes per zone; a building counts once, in one zone."""
    helars = np.zeros(len(zones), dtype=np.int64)
    fritid = np.zeros(len(zones), dtype=np.int64)
    if not len(zones) or not len(buildings) or "bygningstype" not in buildings.columns:
        return helars, fritid
    kind = home_kind(buildings["bygningstype"]).fillna("").to_numpy(dtype=str)
    homes = np.isin(kind, ["helars", "fritid"])
    points = shapely.point_on_surface(buildings.geometry.to_numpy()[homes])
    tree = shapely.STRtree(zones.geometry.to_numpy())
    point_index, zone_index = tree.query(points, predicate="intersects")
    # one zone per building: a regulation plan's before a master plan's it overlaps (the
    # rule's precedence), and on a shared edge the first
    master = zones["objtype"].isin(["KP", "KP1985"]).to_numpy()[zone_index]
    order = np.lexsort((zone_index, master, point_index))
    point_index, zone_index = point_index[order], zone_index[order]
    first = np.unique(point_index, return_index=True)[1]
    point_index, zone_index = point_index[first], zone_index[first]
    is_leisure = kind[homes][point_index] == "fritid"
    np.add.at(fritid, zone_index[is_leisure], 1)
    np.add.at(helars, zone_index[~is_leisure], 1)
    return helars, fritid


def _judge(
    zones: gpd.GeoDataFrame, homes: np.ndarray, andel: np.ndarray, share: float
) -> pd.Series:
    category = zones["kategori"].astype("string").fillna("").to_numpy(dtype=str)
    mix = zones.get("kombinasjon", pd.Series(pd.NA, index=zones.index))
    both = (category == "kombinert") | (mix.astype("string") == "bolig_fritid").fillna(False)
    leisure = np.nan_to_num(andel, nan=0.0)
    year_round = np.where(homes > 0, 1.0 - leisure, 0.0)
    bruk = np.select(
        [
            homes == 0,
            both.to_numpy() & (leisure >= share) & (year_round >= share),
            both.to_numpy(),
            (category == "bolig") & (leisure >= share),
            (category == "fritid") & (year_round >= share),
        ],
        ["ingen_boliger", "blandet", "som_regulert", "fritid_i_boligfelt", "helars_i_fritidsfelt"],
        default="som_regulert",
    )
    judged = pd.Series(bruk, index=zones.index, dtype="string")
    return judged.where(pd.Series(np.isin(category, _JUDGED), index=zones.index))
