"""Combined use, actual: homes per zone from Matrikkelen's building types, hand-computed."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from arealkart.available.parameters import Parameters
from arealkart.available.use import USE_COLUMNS, home_kind, home_use
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import ZONE_USES

X, Y = 440_000.0, 6_590_000.0  # near Dalen, EPSG:25832


def zone(kategori, *, x=0.0, objtype="RP", kombinasjon=None, size=200.0):
    return {
        "zone_id": f"z{x:g}-{objtype}",
        "kategori": kategori,
        "kombinasjon": kombinasjon,
        "objtype": objtype,
        "geometry": box(X + x, Y, X + x + size, Y + size),
    }


def zones_of(*rows):
    return gpd.GeoDataFrame(list(rows), geometry="geometry", crs=CRS)


def homes(*groups):
    """Buildings: ``(bygningstype, count, x0)`` → points 10 m apart along y = 50."""
    rows = [
        {"bygningstype": kind, "geometry": shapely.Point(X + x0 + 10 * i + 5, Y + 50)}
        for kind, count, x0 in groups
        for i in range(count)
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


SHARE = Parameters.default().blandet_andel


def test_the_default_threshold_is_a_quarter():
    assert SHARE == 0.25


def test_a_leisure_field_with_seven_leisure_and_three_year_round_homes():
    out = home_use(zones_of(zone("fritid")), homes((161, 7, 0), (111, 3, 100)), SHARE)
    row = out.iloc[0]
    assert (row.boliger_fritid, row.boliger_helars) == (7, 3)
    assert row.andel_fritid == pytest.approx(0.7)
    assert row.bruk == "helars_i_fritidsfelt"  # 3 of 10 year-round ≥ 0.25


@pytest.mark.parametrize(
    ("kategori", "kombinasjon", "leisure", "year_round", "expected"),
    [
        ("bolig", None, 2, 8, "som_regulert"),  # 0.2 leisure < 0.25
        ("bolig", None, 3, 7, "fritid_i_boligfelt"),  # 0.3 ≥ 0.25
        ("fritid", None, 9, 1, "som_regulert"),
        ("kombinert", "bolig_fritid", 5, 5, "blandet"),
        ("kombinert", "bolig_fritid", 9, 1, "som_regulert"),  # planned mixed, used one way
        ("bolig", "bolig_fritid", 4, 6, "blandet"),  # a field overridden to let both in
        ("naering", None, 0, 2, None),  # business land is not judged
    ],
)
def test_use_follows_the_stated_threshold(kategori, kombinasjon, leisure, year_round, expected):
    buildings = homes((161, leisure, 0), (111, year_round, 100))
    out = home_use(zones_of(zone(kategori, kombinasjon=kombinasjon)), buildings, SHARE)
    bruk = out["bruk"].iloc[0]
    assert (None if pd.isna(bruk) else bruk) == expected
    assert out["boliger_fritid"].iloc[0] == leisure


def test_a_zone_without_homes_says_so_and_has_no_share():
    buildings = homes((211, 3, 0), (181, 2, 100))  # a factory and garages: no homes
    out = home_use(zones_of(zone("bolig")), buildings, SHARE)
    assert out["bruk"].iloc[0] == "ingen_boliger"
    assert (out["boliger_helars"].iloc[0], out["boliger_fritid"].iloc[0]) == (0, 0)
    assert pd.isna(out["andel_fritid"].iloc[0])


def test_each_building_counts_once_in_the_regulation_plan_over_a_master_plan():
    zones = zones_of(
        zone("fritid", x=0, objtype="KP", size=400),  # the master plan covers both
        zone("bolig", x=0, objtype="RP"),
        zone("bolig", x=200, objtype="RP"),
    )
    buildings = gpd.GeoDataFrame(
        {"bygningstype": [111, 161, 111]},
        geometry=[
            shapely.Point(X + 50, Y + 50),  # in the first regulation plan's zone
            shapely.Point(X + 200, Y + 50),  # on the edge the two RP zones share
            box(X + 300, Y + 300, X + 320, Y + 310),  # a footprint, in the KP zone only
        ],
        crs=CRS,
    )
    out = home_use(zones, buildings, SHARE).set_index("zone_id")
    total = out["boliger_helars"] + out["boliger_fritid"]
    assert total.sum() == 3
    assert out.loc["z0-KP", "boliger_helars"] == 1  # only the footprint beyond the RP zones
    assert out.loc["z0-RP", "boliger_helars"] == 1


def test_building_types_from_matrikkelen():
    kinds = home_kind(pd.Series([111, 159, 161, 163, 171, 211, 999, None], dtype="Int64"))
    assert kinds.tolist()[:6] == ["helars", "helars", "fritid", "fritid", "annet", "annet"]
    assert kinds.isna().tolist()[6:] == [True, True]  # unknown or missing: not a home


def test_available_land_gives_every_zone_its_homes_and_use(demo_build):
    zones = demo_build.result.zones
    assert set(USE_COLUMNS) <= set(zones.columns)
    buildings = demo_build.data.buildings
    counted = home_kind(buildings["bygningstype"]).isin(["helars", "fritid"]).sum()
    in_zones = zones["boliger_helars"].sum() + zones["boliger_fritid"].sum()
    assert in_zones <= counted  # a home outside every zone counts in none
    judged = zones["kategori"].isin(["bolig", "fritid", "kombinert"])
    assert zones.loc[judged, "bruk"].notna().all() and zones.loc[~judged, "bruk"].isna().all()
    assert set(zones["bruk"].dropna()) == set(ZONE_USES)  # the demo shows every use


@pytest.mark.parametrize("value", [-0.1, 1.5, "a quarter"])
def test_the_threshold_is_a_share(value):
    from arealkart.errors import ConfigError

    with pytest.raises(ConfigError, match="blandet_andel"):
        Parameters.default().updated(blandet_andel=value)


def test_a_higher_threshold_calls_fewer_fields_mixed():
    buildings = homes((161, 7, 0), (111, 3, 100))
    out = home_use(
        zones_of(zone("fritid")),
        buildings,
        Parameters.default().updated(blandet_andel=0.4).blandet_andel,
    )
    assert out["bruk"].iloc[0] == "som_regulert"  # 0.3 year-round < 0.4
