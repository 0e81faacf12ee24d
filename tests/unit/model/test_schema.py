import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from arealkart.errors import SchemaError
from arealkart.model.schema import (
    CRS,
    ZONE_COLUMNS,
    conform,
    empty,
    validate,
    validate_buildings,
    validate_constraints,
    validate_plots,
    validate_zones,
)


def zone_frame(**overrides):
    data = {
        "zone_id": ["z1"],
        "kommunenummer": ["4036"],
        "source": ["plan.sos#FLATE 1"],
        "plan_id": ["2020001"],
        "objtype": ["RP"],
        "arealformal": [1111],
    }
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=[box(0, 0, 10, 10)], crs=CRS)


def test_valid_zones_pass_and_are_returned_unchanged():
    zones = conform(zone_frame(), "zones")
    assert validate_zones(zones) is zones


@pytest.mark.parametrize("kind", ["zones", "plots", "buildings", "constraints"])
def test_empty_layers_have_every_canonical_column_and_validate(kind):
    layer = empty(kind)
    assert validate(layer, kind) is layer
    assert layer.crs == CRS


def test_missing_columns_are_named_with_the_expected_ones():
    zones = zone_frame().drop(columns=["arealformal", "plan_id"])
    with pytest.raises(SchemaError, match=r"missing columns \['plan_id', 'arealformal'\]") as e:
        validate_zones(zones)
    assert "Required columns" in str(e.value)
    assert "zone_id" in str(e.value)


def test_nulls_in_required_columns_are_named():
    zones = zone_frame(arealformal=[None])
    with pytest.raises(SchemaError, match=r"nulls in required columns \['arealformal'\]"):
        validate_zones(zones)


def test_kommunenummer_must_be_four_digits():
    with pytest.raises(SchemaError, match=r"4 digits, got \['834'\]"):
        validate_zones(zone_frame(kommunenummer=["834"]))


def test_objtype_must_be_a_known_code_list():
    with pytest.raises(SchemaError, match=r"objtype must be one of .*got \['XX'\]"):
        validate_zones(zone_frame(objtype=["XX"]))


def test_wrong_crs_is_reported():
    zones = zone_frame().to_crs("EPSG:4326")
    with pytest.raises(SchemaError, match="CRS must be EPSG:25832"):
        validate_zones(zones)


def test_geometry_types_that_do_not_belong_are_reported():
    zones = zone_frame()
    zones.geometry = [LineString([(0, 0), (1, 1)])]
    with pytest.raises(SchemaError, match=r"geometry types \['LineString'\] not allowed"):
        validate_zones(zones)


def test_points_are_allowed_for_buildings_and_plots_but_not_constraints():
    buildings = gpd.GeoDataFrame(
        {"bygg_id": ["b"], "kommunenummer": ["4036"], "source": ["x#1"]},
        geometry=[Point(0, 0)],
        crs=CRS,
    )
    assert validate_buildings(conform(buildings, "buildings")) is not None
    plots = gpd.GeoDataFrame(
        {"tomt_id": ["t"], "kommunenummer": ["4036"], "source": ["x#1"]},
        geometry=[Point(0, 0)],
        crs=CRS,
    )
    assert validate_plots(conform(plots, "plots")) is not None
    constraints = gpd.GeoDataFrame(
        {"hensyn_id": ["h"], "kommunenummer": ["4036"], "source": ["x#1"], "hensyn_kode": [320]},
        geometry=[Point(0, 0)],
        crs=CRS,
    )
    with pytest.raises(SchemaError, match="not allowed"):
        validate_constraints(conform(constraints, "constraints"))


def test_not_a_geodataframe():
    with pytest.raises(SchemaError, match="expected a GeoDataFrame, got DataFrame"):
        validate_zones(pd.DataFrame({"a": [1]}))


def test_unknown_kind():
    with pytest.raises(SchemaError, match="unknown layer kind 'roads'"):
        empty("roads")


def test_conform_adds_optional_columns_and_casts_types():
    zones = conform(zone_frame(arealformal=["1111"], planstatus=["3"]), "zones")
    assert list(zones.columns[: len(ZONE_COLUMNS)]) == list(ZONE_COLUMNS)
    assert zones["arealformal"].dtype == "Int64"
    assert zones["planstatus"].iloc[0] == 3
    assert zones["feltnavn"].isna().all()


def test_conform_names_a_column_that_cannot_be_cast():
    with pytest.raises(SchemaError, match="column 'arealformal' cannot be read as Int64"):
        conform(zone_frame(arealformal=["boliger"]), "zones")
