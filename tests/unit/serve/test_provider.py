"""The pygeoapi provider over a build's GeoPackage, asked directly (no server)."""

from __future__ import annotations

import math

import pyogrio
import pytest
import shapely

from arealkart.model.output_layers import GEOPACKAGE, OUTPUT_LAYERS
from arealkart.serve.config import service_config

pygeoapi = pytest.importorskip("pygeoapi", reason="the serve extra: pip install 'arealkart[serve]'")

from pygeoapi.api.itemtypes import create_crs_transform_spec  # noqa: E402
from pygeoapi.provider.base import (  # noqa: E402
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

from arealkart.serve.provider import GeoPackageProvider  # noqa: E402

SERVED = ["ledige_arealer", "tomter", "soner", "hensynssoner", "sammendrag"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.fixture(scope="module")
def gpkg(demo_build):
    return demo_build.files[0].parent / GEOPACKAGE


@pytest.fixture(scope="module")
def definitions(gpkg):
    """Each served layer's provider entry, as the service config writes it."""
    resources = service_config(gpkg.parent)["resources"]
    return {name: resource["providers"][0] for name, resource in resources.items()}


def provider(definitions, layer):
    return GeoPackageProvider(definitions[layer])


def every_id(p, **query):
    """Every id the provider answers, page by page (a small page, to page many times)."""
    ids, offset = [], 0
    while True:
        page = p.query(offset=offset, limit=97, **query)
        ids += [f["id"] for f in page["features"]]
        if not page["features"]:
            return ids, page["numberMatched"]
        offset += 97


@pytest.mark.parametrize("layer", SERVED)
def test_paging_gives_every_feature_once_in_the_layers_order(definitions, gpkg, layer):
    p = provider(definitions, layer)
    ids, matched = every_id(p)
    frame = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)
    id_column = OUTPUT_LAYERS[layer].id
    expected = (
        list(frame[id_column])
        if id_column
        else list(frame["kommunenummer"] + "-" + frame["kategori"])
    )
    assert ids == expected
    assert matched == len(frame) == len(set(ids)) > 0


def test_a_page_says_how_many_match_and_hits_returns_no_features(definitions):
    p = provider(definitions, "ledige_arealer")
    page = p.query(offset=10, limit=5)
    hits = p.query(resulttype="hits")
    assert page["numberReturned"] == 5 and len(page["features"]) == 5
    assert hits["features"] == [] and hits["numberMatched"] == page["numberMatched"]


@pytest.mark.parametrize(
    ("layer", "column", "value", "where"),
    [
        ("ledige_arealer", "kategori", "bolig", "kategori = 'bolig'"),
        ("tomter", "va", "true", "va = 1"),
        ("ledige_arealer", "tomter_estimert", "3", "tomter_estimert = 3"),
        ("sammendrag", "kommunenummer", "4036", "kommunenummer = '4036'"),
    ],
)
def test_a_property_filter_matches_what_the_geopackage_holds(
    definitions, gpkg, layer, column, value, where
):
    p = provider(definitions, layer)
    ids, matched = every_id(p, properties=[(column, value)])
    frame = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False, where=where)
    assert 0 < matched == len(frame) == len(ids)


def test_a_quote_in_a_filter_value_is_data_not_sql(definitions):
    p = provider(definitions, "ledige_arealer")
    page = p.query(properties=[("kategori", "bolig' OR '1'='1")])
    assert page["numberMatched"] == 0


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [("va", "kanskje", "true or false"), ("pris", "billig", "a number"), ("pris", "nan", "number")],
)
def test_a_filter_value_of_the_wrong_type_is_a_400_naming_the_column(
    definitions, column, value, expected
):
    p = provider(definitions, "tomter")
    with pytest.raises(ProviderInvalidQueryError) as caught:
        p.query(properties=[(column, value)])
    assert column in caught.value.message and expected in caught.value.message


def test_sorting_and_a_bbox_in_the_storage_crs(definitions, gpkg):
    p = provider(definitions, "ledige_arealer")
    box = (440_000.0, 6_580_000.0, 470_000.0, 6_610_000.0)
    page = p.query(limit=10_000, bbox=list(box), sortby=[{"property": "areal_m2", "order": "-"}])
    areas = [f["properties"]["areal_m2"] for f in page["features"]]
    assert areas == sorted(areas, reverse=True)
    frame = pyogrio.read_dataframe(gpkg, layer="ledige_arealer")
    inside = frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]
    assert 0 < page["numberMatched"] == len(inside) < len(frame)
    assert {f["id"] for f in page["features"]} == set(inside["ledig_id"])


def test_get_by_id_and_an_unknown_id(definitions):
    plots = provider(definitions, "tomter")
    first = plots.query(limit=1)["features"][0]
    assert plots.get(first["id"]) == first
    with pytest.raises(ProviderItemNotFoundError, match="no feature with id"):
        plots.get("finst-ikkje")
    summary = provider(definitions, "sammendrag").get("4036-fritid")
    assert summary["geometry"] is None
    assert summary["properties"]["kommune"] == "Vinje"
    assert summary["properties"]["kategori"] == "fritid"


def test_features_in_crs84_lie_inside_the_collections_extent(definitions, gpkg):
    spec = definitions["ledige_arealer"]
    p = provider(definitions, "ledige_arealer")
    lonlat = p.query(limit=20, crs_transform_spec=create_crs_transform_spec(spec, CRS84))
    stored = p.query(limit=20)
    west, south, east, north = service_config(gpkg.parent)["resources"]["ledige_arealer"][
        "extents"
    ]["spatial"]["bbox"]
    for a, b in zip(lonlat["features"], stored["features"], strict=True):
        lon, lat = shapely.geometry.shape(a["geometry"]).centroid.coords[0]
        assert west <= lon <= east and south <= lat <= north
        assert shapely.geometry.shape(b["geometry"]).centroid.x > 100_000  # still metres


def test_properties_are_json_values(definitions):
    zone = provider(definitions, "soner").query(limit=1, skip_geometry=True)["features"][0]
    assert zone["geometry"] is None
    assert zone["properties"]["ikraft"].startswith("20")  # a date, as ISO 8601 text
    for value in zone["properties"].values():
        assert value is None or isinstance(value, str | int | float | bool)
        assert not (isinstance(value, float) and math.isnan(value))


def test_select_properties(definitions):
    p = provider(definitions, "ledige_arealer")
    feature = p.query(limit=1, select_properties=["areal_daa"])["features"][0]
    assert list(feature["properties"]) == ["areal_daa"] and feature["id"]
