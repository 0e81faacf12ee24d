"""``[region] borders``: a region's own municipal borders, used wherever a build uses borders."""

import geopandas as gpd
import pytest
import shapely
from test_config import X, Y, rewrite, write_region

from arealkart import build
from arealkart.config import load_config
from arealkart.errors import ConfigError, InputError
from arealkart.publish.scopes import build_scopes
from arealkart.registry.kommuner import boundaries

FAR = (X + 3000, Y + 3000)
"""A field 4 km from the test region's, inside Tokke's shipped border."""


@pytest.fixture
def region(tmp_path):
    """The test region of Tokke, with a second plan 4 km from the first."""
    config = write_region(tmp_path)
    far = gpd.GeoDataFrame(
        {
            "lokalid": ["f1"],
            "planid": ["2024002"],
            "objtype": ["RpArealformålOmråde"],
            "arealformal": [1111],
            "feltnavn": ["BFS9"],
        },
        geometry=[shapely.box(*FAR, FAR[0] + 80, FAR[1] + 60)],
        crs="EPSG:25832",
    )
    far.to_file(tmp_path / "tokke" / "langt.geojson")
    return rewrite(
        config,
        'plans = ["tokke/planer.geojson"]',
        'plans = ["tokke/planer.geojson", "tokke/langt.geojson"]',
    )


def own_borders(folder):
    """Tokke's border as the field's surroundings only, in ETRS89 lat/lon, column ``komm``."""
    near = shapely.box(X - 200, Y - 200, X + 400, Y + 350)
    gdf = gpd.GeoDataFrame({"komm": ["3824"]}, geometry=[near], crs="EPSG:25832")
    gdf.to_crs("EPSG:4258").to_file(folder / "grenser.gpkg", layer="kommuner")
    return near


def test_the_config_names_its_borders_file_with_layer_and_column(region):
    own_borders(region.parent)
    rewrite(
        region,
        'attribution = "Testdata"',
        'attribution = "Testdata"\n'
        'borders = { path = "grenser.gpkg", layer = "kommuner", column = "komm" }',
    )
    cfg = load_config(region)
    assert cfg.borders is not None and cfg.borders.path == region.parent / "grenser.gpkg"
    assert cfg.borders.options == {"layer": "kommuner", "column": "komm"}
    assert cfg.borders.path in cfg.files()  # its checksum goes in the manifest
    gdf = cfg.boundaries()
    assert gdf["kommunenummer"].tolist() == ["4034"] and gdf.crs == "EPSG:25832"


def test_a_build_checks_features_and_frames_maps_with_the_configs_borders(region, tmp_path):
    near = own_borders(region.parent)
    rewrite(
        region,
        'attribution = "Testdata"',
        'attribution = "Testdata"\nborders = { path = "grenser.gpkg", column = "KOMM" }',
    )
    built = build(region, tmp_path / "ut", workers=1, parts=["tables"])
    outside = built.issues[built.issues["rule"] == "utenfor_kommune"]
    assert outside["detail"].tolist() == ["lies outside municipality 4034"]
    assert outside["file"].tolist() == ["tokke/langt.geojson"]
    scope_borders = [scope.borders for scope in build_scopes(built)]
    for gdf in scope_borders:
        assert gdf["kommunenummer"].tolist() == ["4034"]
        assert shapely.equals_exact(gdf.geometry.iloc[0], near, tolerance=0.01)


def test_without_borders_the_shipped_ones_keep_the_far_plan(region, tmp_path):
    built = build(region, tmp_path / "ut", workers=1, parts=["tables"])
    assert not (built.issues["rule"] == "utenfor_kommune").any()
    (scope, *_) = build_scopes(built)
    shipped = boundaries(["Tokke"]).geometry.iloc[0]
    assert shapely.equals(scope.borders.geometry.iloc[0], shipped)


def test_a_file_without_a_municipality_of_the_config_stops_the_build_first(region, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"kommunenummer": ["4036"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=25832
    )
    gdf.to_file(region.parent / "grenser.geojson")
    rewrite(
        region, 'attribution = "Testdata"', 'attribution = "Testdata"\nborders = "grenser.geojson"'
    )
    with pytest.raises(
        InputError, match=r"grenser.geojson: no border for 4034 Tokke of the config"
    ):
        build(region, tmp_path / "ut", workers=1, parts=["tables"])
    assert not (tmp_path / "ut").exists()


def test_a_region_of_several_counties_resolves_and_has_shipped_borders(tmp_path):
    config = tmp_path / "norge.toml"
    config.write_text(
        '[region]\nnavn = "Byene"\nslug = "byene"\n'
        '[[kommune]]\nkommune = "0301"\n'
        '[[kommune]]\nkommune = "Bergen"\n'
        '[[kommune]]\nkommune = "Tråante"\n'
        "[[kommune]]\nkommune = 5401\n",
        encoding="utf-8",
    )
    cfg = load_config(config)
    names = [(m.kommune.nummer, m.kommune.navn, m.kommune.slug) for m in cfg.municipalities]
    assert names == [
        ("0301", "Oslo", "oslo"),
        ("4601", "Bergen", "bergen"),
        ("5001", "Trondheim - Tråante", "trondheim"),
        ("5501", "Tromsø", "tromso"),
    ]
    borders = cfg.boundaries()
    assert borders["kommunenummer"].tolist() == ["0301", "4601", "5001", "5501"]
    assert (borders.area > 100e6).all()


def test_haram_without_borders_asks_for_them(tmp_path):
    config = tmp_path / "haram.toml"
    config.write_text('[region]\nslug = "nord"\n[[kommune]]\nkommune = "Haram"\n', encoding="utf-8")
    cfg = load_config(config)
    with pytest.raises(
        ConfigError,
        match=r"haram.toml: no shipped border for \['1580'\]: the shipped borders of 2020 hold "
        r"1508 Ålesund and 1580 Haram together as 1507 Ålesund; give the region's own borders",
    ):
        cfg.boundaries()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("3", r"\[region\] borders: a file path must be a text, got 3"),
        ('{ fil = "g.gpkg" }', r"\[region\] borders: unknown keys \['fil'\]"),
        ('{ layer = "k" }', r"\[region\] borders needs a path"),
        ('{ path = "g.gpkg", column = 1 }', r"\[region\] borders column must be a text, got 1"),
        ('"../g.gpkg"', "points outside the config's folder"),
        ('"grenser.gpkg"', r"1 input file\(s\) not found.*grenser.gpkg"),
    ],
)
def test_every_mistake_in_borders_is_named(region, entry, message):
    rewrite(region, 'attribution = "Testdata"', f"borders = {entry}")
    with pytest.raises(ConfigError, match=message):
        load_config(region)
