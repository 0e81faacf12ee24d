"""A region's own municipal borders: any polygon file with a number column, any CRS."""

import geopandas as gpd
import pytest
import shapely

from arealkart.errors import InputError
from arealkart.load.borders import read_borders
from arealkart.registry.kommuner import boundaries


@pytest.fixture(scope="module")
def telemark():
    """Tokke and Vinje as shipped, in EPSG:25832."""
    return boundaries(["Tokke", "Vinje"])


def write(path, gdf, **kwargs):
    gdf.to_file(path, **kwargs)
    return path


def test_borders_in_another_crs_under_old_numbers_come_back_in_the_working_crs(tmp_path, telemark):
    theirs = gpd.GeoDataFrame(
        {"KOMMUNENR": ["3824", "0834"], "namn": ["Tokke", "Vinje"]},
        geometry=telemark.geometry.to_numpy(),
        crs=telemark.crs,
    ).to_crs("EPSG:4258")
    path = write(tmp_path / "grenser.gpkg", theirs, layer="kommuner")
    out = read_borders(path, kommuner=["4036", "4034"])
    assert out.crs == "EPSG:25832"
    assert out["kommunenummer"].tolist() == ["4036", "4034"]
    assert out["navn"].tolist() == ["Vinje", "Tokke"]
    ours = telemark.set_index("kommunenummer").geometry
    for row in out.itertuples():
        assert shapely.hausdorff_distance(row.geometry, ours[row.kommunenummer]) < 0.01


def test_a_named_column_and_layer_and_rows_of_one_municipality_become_one_border(tmp_path):
    halves = [shapely.box(440_000, 6_580_000, 445_000, 6_590_000)]
    halves.append(shapely.box(445_000, 6_580_000, 450_000, 6_590_000))
    gdf = gpd.GeoDataFrame({"komm": [4034, 4034], "id": [1, 2]}, geometry=halves, crs=25833)
    path = write(tmp_path / "grenser.gpkg", gdf, layer="tokke")
    out = read_borders(path, layer="tokke", column="komm")
    assert out["kommunenummer"].tolist() == ["4034"]
    # 10 × 10 km in UTM 33, measured in UTM 32 (whose scale there is 0.2 % larger)
    assert out.area.iloc[0] == pytest.approx(100e6, rel=5e-3)


def borders_file(
    tmp_path, numbers, geometries, column="kommunenummer", crs=25832, name="grenser.geojson"
):
    gdf = gpd.GeoDataFrame({column: numbers}, geometry=geometries, crs=crs)
    return write(tmp_path / name, gdf)


BOX = shapely.box(440_000, 6_580_000, 445_000, 6_590_000)
BOWTIE = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])


@pytest.mark.parametrize(
    ("numbers", "geometries", "column", "message"),
    [
        (["4034"], [BOX], "nr", r"need a column named one of \['kommunenummer'.*has \['nr'\]"),
        (["9999"], [BOX], "kommunenummer", r"row 1: 'kommunenummer': unknown municipality"),
        (["4034", "1507"], [BOX, BOX], "kommune", r"row 2: 'kommune': .*split in 2024"),
        (["4034", None], [BOX, BOX], "kommunenummer", r"row 2: no municipality number"),
        (["4034", "4036"], [BOX, BOWTIE], "kommunenr", r"row 2: invalid polygon \(Self-inter"),
        (["4034", "4036"], [BOX, shapely.Polygon()], "knr", r"row 2: empty geometry"),
        (["4034"], [shapely.Point(1, 1)], "kommunenummer", r"row 1: a Point; expected a"),
    ],
)
def test_every_mistake_names_the_file_and_row(tmp_path, numbers, geometries, column, message):
    path = borders_file(tmp_path, numbers, geometries, column)
    with pytest.raises(InputError, match=message) as caught:
        read_borders(path)
    assert caught.value.path == str(path)


def test_a_municipality_missing_from_the_file_is_named(tmp_path):
    path = borders_file(tmp_path, ["4034"], [BOX])
    with pytest.raises(InputError, match=r"grenser.geojson: no border for 4036 Vinje of the conf"):
        read_borders(path, kommuner=["4034", "4036"])


def test_a_file_without_a_crs_or_unreadable(tmp_path):
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = borders_file(tmp_path, ["4034"], [BOX], "knr", crs=None, name="grenser.shp")
    with pytest.raises(InputError, match=r"grenser.shp: the municipal borders have no CRS"):
        read_borders(path)
    junk = tmp_path / "grenser.gpkg"
    junk.write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match="cannot read the municipal borders"):
        read_borders(junk)
    with pytest.raises(InputError, match="cannot read the municipal borders"):
        read_borders(tmp_path / "nope.gpkg")


def test_a_changed_file_is_read_again(tmp_path):
    path = borders_file(tmp_path, ["4034"], [BOX])
    assert read_borders(path)["kommunenummer"].tolist() == ["4034"]
    other = borders_file(tmp_path, ["4036"], [BOX.buffer(1)])
    assert other == path
    assert read_borders(path)["kommunenummer"].tolist() == ["4036"]
