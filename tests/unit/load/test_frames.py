"""The public API takes what a notebook user has: plain frames, any CRS, no kommunenummer.

The demo's Seljord files read with plain ``geopandas.read_file`` (the readers' column
names, no municipality column, other CRS) must give the same numbers as the canonical
layers ``read_plan`` makes, or a clear error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from arealkart import available_land, classify_zones, read_plan
from arealkart.errors import CRSError, SchemaError
from arealkart.load.frames import canonical_layer, municipalities_by_location
from helpers import DEMO

SELJORD = DEMO / "4022-seljord"


@pytest.fixture(scope="module")
def canonical():
    zones = classify_zones(read_plan(SELJORD / "planer.geojson").zones)
    buildings = read_plan(SELJORD / "bygninger.geojson", kind="buildings").buildings
    constraints = read_plan(SELJORD / "hensynssoner.geojson", kind="constraints").constraints
    return zones, buildings, constraints, available_land(zones, buildings, constraints)


def plain(name: str, *drop: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(SELJORD / name)
    return frame.drop(columns=[c for c in drop if c in frame.columns])


def per_zone(result, column: str) -> pd.Series:
    return result.zones.set_index("zone_id")[column].sort_index()


@pytest.mark.parametrize("crs", ["EPSG:25832", "EPSG:25833", "EPSG:4326", "EPSG:3857"])
def test_buildings_in_any_crs_give_the_same_built_land(canonical, crs):
    zones, buildings, constraints, expected = canonical
    result = available_land(zones, buildings.to_crs(crs), constraints)
    np.testing.assert_allclose(
        per_zone(result, "bebygd_m2"), per_zone(expected, "bebygd_m2"), atol=0.5
    )
    np.testing.assert_allclose(
        per_zone(result, "ledig_m2"), per_zone(expected, "ledig_m2"), atol=0.5
    )


def test_zones_in_degrees_get_areas_in_square_metres(canonical):
    zones, buildings, constraints, expected = canonical
    result = available_land(zones.to_crs("EPSG:4326"), buildings, constraints)
    assert result.zones.crs.equals("EPSG:25832")
    np.testing.assert_allclose(
        per_zone(result, "areal_m2"), per_zone(expected, "areal_m2"), rtol=1e-6
    )
    assert result.zones["ledig_m2"].sum() == pytest.approx(
        expected.zones["ledig_m2"].sum(), rel=1e-5
    )


def test_plain_read_file_frames_of_every_kind_work_without_kommunenummer(canonical):
    *_, expected = canonical
    zones = classify_zones(plain("planer.geojson", "kommunenummer"))
    assert set(zones["kommunenummer"]) == {"4022"}  # from where the zones lie
    result = available_land(
        zones,
        plain("bygninger.geojson", "kommunenummer"),
        plain("hensynssoner.geojson", "kommunenummer"),
        plain("tomter.geojson", "kommunenummer"),
    )
    np.testing.assert_allclose(
        per_zone(result, "ledig_m2"), per_zone(expected, "ledig_m2"), atol=0.01
    )
    assert len(result.plots) == len(plain("tomter.geojson"))
    assert set(result.plots["kommunenummer"]) == {"4022"}


def test_a_canonical_layer_passes_through_unchanged(canonical):
    zones, *_ = canonical
    assert canonical_layer(zones, "zones") is zones


def test_a_frame_without_a_crs_is_a_crs_error():
    frame = plain("bygninger.geojson").set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"no CRS.*set_crs"):
        canonical_layer(frame, "buildings")


def test_a_missing_required_column_is_a_schema_error_naming_it():
    with pytest.raises(SchemaError, match="no arealformal column"):
        classify_zones(plain("planer.geojson", "arealformal"))


def test_something_that_is_not_a_geodataframe_is_a_schema_error():
    with pytest.raises(SchemaError, match="expected a GeoDataFrame, got DataFrame"):
        available_land(pd.DataFrame({"a": [1]}))


def test_a_feature_in_no_known_municipality_is_named():
    far = plain("bygninger.geojson", "kommunenummer")
    far = far.set_geometry(far.geometry.translate(xoff=-400_000))
    with pytest.raises(SchemaError, match=r"\d+ feature\(s\) have no kommunenummer"):
        municipalities_by_location(far, None, "bygg")


def test_query_measures_a_layer_in_degrees_in_metres_and_refuses_one_without_a_crs(canonical):
    from arealkart import query

    *_, result = canonical
    free = result.free
    near = {"near": "Seljord", "within_km": 3}
    expected = list(query(free, **near)["ledig_id"])
    assert expected
    assert list(query(free.to_crs("EPSG:4326"), **near)["ledig_id"]) == expected
    with pytest.raises(CRSError, match="no CRS"):
        query(free.set_crs(None, allow_override=True), **near)


def test_map_geometry_of_a_layer_in_another_crs_is_simplified_in_metres(canonical):
    from arealkart.publish.maps.layers import web_geometry

    *_, result = canonical
    free = result.free
    here = web_geometry(free)
    there = web_geometry(free.to_crs("EPSG:3857"))
    assert list(shapely.get_num_coordinates(here)) == list(shapely.get_num_coordinates(there))
    with pytest.raises(CRSError):
        web_geometry(free.set_crs(None, allow_override=True))


def test_a_frame_with_no_code_column_at_all_says_which_column_is_missing():
    frame = plain("planer.geojson")[["geometry"]]
    with pytest.raises(SchemaError, match=r"no arealformal column .*aliases \(arealbruk, "):
        classify_zones(frame)
