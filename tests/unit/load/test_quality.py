"""The load stage's checks of coordinates, CRS, duplicates and municipal borders.

Each builds a small municipal export in code and reads it with :func:`arealkart.read_plan`
(and :func:`arealkart.load.quality.check_quality`); bad files and defective features
through the whole build and the CLI are in ``integration/test_robustness.py``.
"""

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from arealkart import read_plan
from arealkart.errors import CRSError
from arealkart.load.quality import check_quality
from arealkart.model.plandata import combine
from arealkart.publish.accounting import balance, check_balance
from builders import E0, N0, VINJE, zones_file
from helpers import shared_file

# --- coordinates and CRS ---------------------------------------------------------------------


def test_degrees_in_a_projected_layer_are_caught(tmp_path):
    path = tmp_path / "planer.gpkg"
    zones_file(path, [box(8.6, 59.49, 8.61, 59.5)])
    with pytest.raises(CRSError, match=r"look like degrees .* use crs='EPSG:4326'"):
        read_plan(path)
    assert len(read_plan(path, crs="EPSG:4326").zones) == 1


def test_swapped_easting_and_northing_are_caught(tmp_path):
    path = tmp_path / "planer.gpkg"
    zones_file(path, [box(N0, E0, N0 + 50, E0 + 50)])
    with pytest.raises(CRSError, match="easting and northing look swapped"):
        read_plan(path)


def test_a_crs_meant_for_somewhere_else_is_an_error(tmp_path):
    path = tmp_path / "planer.gpkg"
    gdf = gpd.GeoDataFrame(
        {"RPAREALFORMÅL": [1111], "KOMM": ["4022"]},
        geometry=[box(500_000, 4_500_000, 500_100, 4_500_100)],
        crs="EPSG:32618",
    )  # UTM 18N: New York
    gdf.to_file(path)
    with pytest.raises(CRSError, match="far from Norway"):
        read_plan(path)


def test_features_far_from_norway_are_an_error(tmp_path):
    path = tmp_path / "planer.geojson"
    gdf = gpd.GeoDataFrame(
        {"RPAREALFORMÅL": [1111], "KOMM": ["4022"]},
        geometry=[box(18.0, -34.0, 18.001, -33.999)],
        crs=4326,
    )  # Cape Town
    gdf.to_file(path)
    with pytest.raises(CRSError, match="lie far from Norway"):
        read_plan(path)


def test_mixed_crs_inputs_are_reprojected_into_one(tmp_path):
    a = zones_file(tmp_path / "a.gpkg", [box(E0, N0, E0 + 50, N0 + 50)])
    b = tmp_path / "b.gpkg"
    gpd.read_file(a).to_crs(25833).to_file(b)
    za, zb = read_plan(a).zones, read_plan(b).zones
    assert za.crs == zb.crs == "EPSG:25832"
    assert read_plan(b).counts["crs"].tolist() == ["EPSG:25833"]  # noted in the accounting
    assert za.geometry.iloc[0].symmetric_difference(zb.geometry.iloc[0]).area < 0.01


# --- region-wide checks: duplicates and borders -------------------------------------------------


def test_duplicates_are_reported_once_and_excluded(tmp_path):
    same = box(E0, N0, E0 + 50, N0 + 50)
    path = zones_file(
        tmp_path / "planer.gpkg",
        [same, same, box(E0 + 60, N0, E0 + 90, N0 + 50), box(E0, N0 + 60, E0 + 9, N0 + 70)],
        lokalid=["a", "b", "c", "c"],
    )
    data = check_quality(read_plan(path))
    assert sorted(data.zones["zone_id"]) == ["a", "c"]
    dup = data.issues[data.issues["rule"] == "duplikat"]
    assert sorted(dup["feature"]) == ["1", "3"] and (dup["action"] == "excluded").all()
    assert dup["detail"].str.contains("zone_id c: the same zone").any()
    assert dup["detail"].str.contains("the first is kept").all()
    table = check_balance(balance(data.counts, {"zones": data.zones}, data.issues))
    assert table[["read", "written", "reported"]].values.tolist() == [[4, 2, 2]]


def test_features_outside_their_municipality(tmp_path):
    inside = box(VINJE[0], VINJE[1], VINJE[0] + 50, VINJE[1] + 50)
    oslo = box(597_000, 6_643_000, 597_050, 6_643_050)
    path = tmp_path / "planer.gpkg"
    gpd.GeoDataFrame({"RPAREALFORMÅL": [1111, 1111]}, geometry=[inside, oslo], crs=25832).to_file(
        path
    )
    data = check_quality(read_plan(path, kommune="Vinje"))
    assert len(data.zones) == 1
    issue = data.issues.iloc[0]
    assert (issue["rule"], issue["action"]) == ("utenfor_kommune", "excluded")
    assert "outside municipality 4036" in issue["detail"]


def test_one_plan_from_two_files_with_arcs_densified_differently_is_counted_once(tmp_path):
    sosi = shared_file("data", "real", "sosi-plan-evje-4219", "Kjetsaa_massetak.sos")
    first = read_plan(sosi, arc_tolerance=0.05)
    coarse = read_plan(sosi, arc_tolerance=2.0).zones.drop(columns=["source", "zone_id"])
    coarse.to_file(tmp_path / "eksport.gpkg", driver="GPKG")  # an export without LOKALID
    export = read_plan(tmp_path / "eksport.gpkg", kind="zones")
    assert not shapely.equals(first.zones.geometry, export.zones.geometry).all()
    checked = check_quality(combine([first, export]), borders=first.zones.iloc[:0])
    assert len(checked.zones) == len(first.zones)
    assert set(checked.zones["source"].map(lambda s: s.split("#")[0])) == {sosi.name}
    reported = checked.issues[checked.issues["rule"].isin(["duplikat", "duplikat_kilde"])]
    assert len(reported) == len(export.zones) and set(reported["file"]) == {"eksport.gpkg"}
    assert (checked.issues["rule"] == "duplikat_kilde").any()  # the arcs: not the same shape
