"""Municipal GIS exports and CSV plot registers, in every format and with both engines."""

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box

from arealkart import read_plan
from arealkart.errors import CRSError, FormatError, InputError, SchemaError
from arealkart.load.read import sniff_format
from builders import E0, N0

# writing test Shapefiles: GDAL cuts long column names, as real exports have them
pytestmark = [
    pytest.mark.filterwarnings("ignore:Column names longer than 10 characters:UserWarning"),
    pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def export_zones(columns=None, crs="EPSG:25832") -> gpd.GeoDataFrame:
    """A small municipal export of three zones, with Norwegian export column names."""
    data = {
        "RPAREALFORMÅL": [1111, 1121, 2011],
        "FELTNAVN": ["BFS1", "BFF2", "o_SKV1"],
        "PLANID": ["2019003", "2019003", "2019003"],
        "PLANNAVN": ["Sørbø boligfelt", "Sørbø boligfelt", "Sørbø boligfelt"],
        "KOMM": ["3820", "3820", "3820"],
        "PLANSTAT": [3, 3, 3],
        "IKRAFT": ["20190611", "20190611", "20190611"],
    }
    geoms = [
        box(E0, N0, E0 + 100, N0 + 80),
        box(E0 + 100, N0, E0 + 160, N0 + 80),
        box(E0, N0 - 10, E0 + 160, N0),
    ]
    gdf = gpd.GeoDataFrame(data if columns is None else columns, geometry=geoms, crs="EPSG:25832")
    return gdf.to_crs(crs) if crs else gdf.set_crs(None, allow_override=True)


FORMATS = {
    "gpkg": ("GPKG", "planer.gpkg"),
    "shp": ("ESRI Shapefile", "planer.shp"),
    "geojson": ("GeoJSON", "planer.geojson"),
    "fgb": ("FlatGeobuf", "planer.fgb"),
}


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_and_engine_reads_the_same_zones(tmp_path, fmt, engine):
    driver, name = FORMATS[fmt]
    path = tmp_path / name
    export_zones().to_file(path, driver=driver, engine="pyogrio")
    data = read_plan(path, engine=engine)
    zones = data.zones.sort_values("feltnavn").reset_index(drop=True)
    assert zones["feltnavn"].tolist() == ["BFF2", "BFS1", "o_SKV1"]
    assert zones["arealformal"].tolist() == [1121, 1111, 2011]
    assert (zones["objtype"] == "RP").all(), "RPAREALFORMÅL (or RPAREALFOR) means RP"
    assert (zones["kommunenummer"] == "4022").all(), "3820 is Seljord, 4022 today"
    assert zones["plan_navn"].iloc[0] == "Sørbø boligfelt"
    assert zones["ikraft"].iloc[0] == pd.Timestamp("2019-06-11")
    assert np.allclose(zones.area.sort_values(), [1600, 4800, 8000])
    assert zones.crs == "EPSG:25832"
    assert data.counts["features"].sum() == 3 and data.issues.empty
    assert zones["source"].str.startswith(f"{name}#").all()


def test_shapefile_column_names_are_cut_to_ten_characters(tmp_path):
    path = tmp_path / "planer.shp"
    export_zones().to_file(path)
    assert "RPAREALFOR" in gpd.read_file(path).columns
    assert read_plan(path).zones["arealformal"].tolist() == [1111, 1121, 2011]


def write_latin1_shapefile(tmp_path, with_cpg: bool):
    path = tmp_path / "planer.shp"
    zones = export_zones()
    zones["FELTNAVN"] = ["BFS1", "BFF_Ø", "o_SKV_Å"]
    zones.to_file(path, encoding="ISO-8859-1", engine="pyogrio")
    cpg = path.with_suffix(".cpg")
    if with_cpg:
        cpg.write_text("ISO-8859-1")
    elif cpg.exists():
        cpg.unlink()
    return path


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_latin1_shapefile_without_cpg_is_detected(tmp_path, engine):
    path = write_latin1_shapefile(tmp_path, with_cpg=False)
    assert not path.with_suffix(".cpg").exists()
    assert b"\xd8" in path.with_suffix(".dbf").read_bytes()  # Ø in ISO-8859-1
    zones = read_plan(path, engine=engine).zones
    assert zones["feltnavn"].tolist() == ["BFS1", "BFF_Ø", "o_SKV_Å"]
    assert zones["plan_navn"].iloc[0] == "Sørbø boligfelt"


def test_latin1_shapefile_with_cpg(tmp_path):
    path = write_latin1_shapefile(tmp_path, with_cpg=True)
    assert read_plan(path).zones["feltnavn"].tolist() == ["BFS1", "BFF_Ø", "o_SKV_Å"]


@pytest.mark.parametrize(
    ("column", "objtype"),
    [("KPAREALFORMÅL", "KP"), ("REGFORM", "RB"), ("AREALBRUK", "KP1985"), ("RPAREALFORMAL", "RP")],
)
def test_the_code_column_tells_the_code_list(tmp_path, column, objtype):
    zones = export_zones(columns={column: [110, 140, 310], "KOMM": ["4036"] * 3})
    path = tmp_path / "planer.gpkg"
    zones.to_file(path)
    assert set(read_plan(path).zones["objtype"]) == {objtype}


def test_a_generic_code_column_needs_plantype_or_objtype(tmp_path):
    path = tmp_path / "planer.gpkg"
    export_zones(
        columns={
            "formal": [1110, 1120, 2010],
            "kommunenummer": ["4036"] * 3,
            "plantype": [20, 20, 35],
        }
    ).to_file(path)
    assert read_plan(path).zones["objtype"].tolist() == ["KP", "KP", "RP"]
    bare = tmp_path / "bare.gpkg"
    export_zones(columns={"formal": [1110, 1120, 2010], "kommune": ["Vinje"] * 3}).to_file(bare)
    with pytest.raises(SchemaError, match=r"cannot tell which code list.*objtype='RP'"):
        read_plan(bare)
    assert set(read_plan(bare, objtype="KP").zones["objtype"]) == {"KP"}


def test_user_column_aliases_win(tmp_path):
    path = tmp_path / "planer.gpkg"
    export_zones(
        columns={"kode": [1111, 1121, 2011], "felt": ["A", "B", "C"], "egen": ["X", "Y", "Z"]}
    ).to_file(path)
    zones = read_plan(
        path, kommune="Tokke", objtype="RP", columns={"kode": "arealformal", "egen": "feltnavn"}
    ).zones
    assert zones["feltnavn"].tolist() == ["X", "Y", "Z"]
    assert (zones["kommunenummer"] == "4034").all()


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:25833", "EPSG:3857"])
def test_input_in_another_crs_is_reprojected(tmp_path, crs):
    path = tmp_path / "planer.geojson"
    export_zones(crs=crs).to_file(path)
    zones = read_plan(path).zones
    assert zones.crs == "EPSG:25832"
    minx, miny, *_ = zones.geometry.iloc[0].bounds
    assert abs(minx - E0) < 0.01 and abs(miny - N0) < 0.01
    assert zones.area.sum() == pytest.approx(14_400, rel=1e-6)


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_a_layer_without_crs_is_an_error_unless_one_is_named(tmp_path):
    path = tmp_path / "planer.shp"
    export_zones(crs=None).to_file(path)
    with pytest.raises(CRSError, match=r"planer.shp: the layer has no CRS; name one"):
        read_plan(path)
    zones = read_plan(path, crs="EPSG:25832").zones
    assert zones.area.sum() == pytest.approx(14_400)
    with pytest.raises(CRSError, match="unknown CRS 'EPSG:99999'"):
        read_plan(path, crs="EPSG:99999")


def test_a_geopackage_with_zones_and_constraints_layers(tmp_path):
    path = tmp_path / "kommuneplan.gpkg"
    export_zones().to_file(path, layer="arealformal")
    hensyn = gpd.GeoDataFrame(
        {"RPFARE": [320], "HENSYNSONENAVN": ["H320_1"], "KOMM": ["4022"]},
        geometry=[box(E0, N0, E0 + 50, N0 + 20)],
        crs=25832,
    )
    hensyn.to_file(path, layer="hensynssoner")
    data = read_plan(path)
    assert len(data.zones) == 3
    assert data.constraints["hensyn_kode"].tolist() == [320]
    assert data.constraints["hensyn_navn"].tolist() == ["H320_1"]
    assert data.constraints["source"].iloc[0] == "kommuneplan.gpkg#hensynssoner/0"
    assert sorted(data.counts["layer"]) == ["constraints", "zones"]


def test_a_layer_of_unknown_content_asks_for_kind(tmp_path):
    path = tmp_path / "noe.gpkg"
    gpd.GeoDataFrame({"navn": ["x"]}, geometry=[box(E0, N0, E0 + 10, N0 + 10)], crs=25832).to_file(
        path
    )
    with pytest.raises(SchemaError, match=r"cannot tell what the layer holds .*kind="):
        read_plan(path)
    data = read_plan(path, kind="buildings", kommune="Vinje")
    assert len(data.buildings) == 1


def test_invalid_and_empty_geometries_are_repaired_or_reported(tmp_path):
    bowtie = shapely.Polygon([(E0, N0), (E0 + 10, N0 + 10), (E0 + 10, N0), (E0, N0 + 10)])
    gdf = gpd.GeoDataFrame(
        {"RPAREALFORMÅL": [1111, 1111, 1111], "KOMM": ["4036"] * 3},
        geometry=[bowtie, box(E0, N0, E0 + 10, N0 + 10), shapely.Polygon()],
        crs=25832,
    )
    path = tmp_path / "planer.gpkg"
    gdf.to_file(path)
    data = read_plan(path)
    assert len(data.zones) == 2 and data.zones.is_valid.all()
    assert data.zones.area.iloc[0] == pytest.approx(50)  # the bow-tie's two triangles
    rules = data.issues.set_index("feature")["rule"].to_dict()
    assert rules == {"planer.gpkg#0": "geometri_reparert", "planer.gpkg#2": "geometri_tom"}


# --- plot registers -------------------------------------------------------------------------


def test_plot_register_with_utm_coordinates(tmp_path):
    path = tmp_path / "tomter.csv"
    path.write_text(
        "Tomtenr;Felt;Status;Pris;VA;Nord;Øst;Areal\n"
        "12;BFS1;Ledig;450 000;Ja;6600040;480050;812\n"
        "13;BFS1;Solgt;395000,-;nei;6600040;480090;\n"
        "14;BFS1;til salgs;;;6600040;480130;790\n",
        encoding="utf-8",
    )
    plots = read_plan(path, kommune="Seljord").plots
    assert plots["tomt_id"].tolist() == ["12", "13", "14"]
    assert plots["register_status"].tolist() == ["ledig", "solgt", "ledig"]
    assert plots["pris"].tolist()[:2] == [450000, 395000] and pd.isna(plots["pris"].iloc[2])
    assert plots["va"].tolist()[:2] == [True, False] and pd.isna(plots["va"].iloc[2])
    assert plots["tomt_m2"].iloc[0] == 812
    assert plots.geometry.iloc[0].equals(Point(480050, 6600040))


def test_plot_register_in_latin1_with_lat_lon(tmp_path):
    path = tmp_path / "tomter.csv"
    path.write_bytes(
        "tomt;felt;status;lat;lon\nA;BFF Ø;reservert;59.49;8.63\n".encode("iso-8859-1")
    )
    plots = read_plan(path, kommune="Seljord").plots
    assert plots["feltnavn"].tolist() == ["BFF Ø"]
    x, y = Transformer.from_crs(4326, 25832, always_xy=True).transform(8.63, 59.49)
    assert plots.geometry.iloc[0].distance(Point(x, y)) < 0.01


def test_plot_register_status_not_understood_is_flagged(tmp_path):
    path = tmp_path / "tomter.csv"
    path.write_text("tomt_id,status,nord,ost\nA,kanskje,6600000,480000\n", encoding="utf-8")
    data = read_plan(path, kommune="Vinje")
    assert pd.isna(data.plots["register_status"].iloc[0])
    assert data.issues["rule"].tolist() == ["ukjent_status"]
    assert data.issues["action"].tolist() == ["flagged"]


def test_plot_register_without_coordinates_needs_a_geometry_file(tmp_path):
    path = tmp_path / "tomter.csv"
    path.write_text("tomt_id,status\nA,ledig\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no coordinates; expected columns nord/ost"):
        read_plan(path, kommune="Vinje")


@pytest.mark.parametrize("content", [None, b"{ not json"])
def test_a_plot_geometry_file_that_cannot_be_read_is_a_clear_error(tmp_path, content):
    path = tmp_path / "tomteregister.csv"
    path.write_text("tomt_id,status\nA,ledig\n", encoding="utf-8")
    shapes = tmp_path / "tomter.geojson"
    if content is not None:
        shapes.write_bytes(content)
    with pytest.raises(InputError, match=r"tomter\.geojson"):
        read_plan(path, geometry=shapes, kommune="Vinje")


# --- picking the reader from the content -----------------------------------------------------


def test_the_reader_is_picked_from_the_content_not_the_name(tmp_path):
    gpkg = tmp_path / "planer.gpkg"
    export_zones().to_file(gpkg)
    disguised = tmp_path / "eksport.dat"
    shutil.copy(gpkg, disguised)
    assert sniff_format(disguised) == "gpkg"
    assert len(read_plan(disguised).zones) == 3
    geojson = tmp_path / "planer.txt"
    export_zones().to_file(geojson, driver="GeoJSON")
    assert sniff_format(geojson) == "geojson"
    sosi = tmp_path / "plan.txt"
    sosi.write_text(".HODE\n..TEGNSETT UTF-8\n.SLUTT\n", encoding="utf-8")
    assert sniff_format(sosi) == "sosi"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\xff" * 64, "unrecognised file format"),
        (b"<?xml version='1.0'?><root/>", "XML without a GML namespace"),
    ],
)
def test_files_that_are_nothing_known_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "x.gpkg"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message) as err:
        read_plan(path)
    assert str(path) in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_plan(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="is a folder, expected a file"):
        read_plan(tmp_path)


def test_a_truncated_geopackage_is_a_format_error(tmp_path):
    path = tmp_path / "planer.gpkg"
    export_zones().to_file(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(FormatError, match=r"planer\.gpkg"):
        read_plan(path)


def test_one_broken_ring_is_one_issue_row_and_points_and_lines_are_no_zones(tmp_path):
    import json

    from arealkart.publish.accounting import balance

    ring = [[479738, 6595287], [479838, 6595287], [479838, 6595387], [479738, 6595287]]
    geometries = [
        {"type": "Polygon", "coordinates": [ring]},
        {"type": "Polygon", "coordinates": [ring[:2]]},  # a ring of two points
        {"type": "Point", "coordinates": ring[0]},
        {"type": "LineString", "coordinates": ring[:2]},
    ]
    props = {"arealformal": 1111, "objtype": "RP", "planid": "1", "kommunenummer": "4022"}
    path = tmp_path / "planer.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": [
                    {"type": "Feature", "properties": props, "geometry": g} for g in geometries
                ],
            }
        ),
        encoding="utf-8",
    )
    data = read_plan(path)
    assert list(data.zones.geometry.geom_type) == ["Polygon"]
    rules = dict(zip(data.issues["feature"], data.issues["rule"], strict=True))
    assert rules == {
        "planer.geojson#1": "geometri_feil",
        "planer.geojson#2": "geometri_type",
        "planer.geojson#3": "geometri_type",
    }
    table = balance(data.counts, {"zones": data.zones}, data.issues)
    assert (table["unaccounted"] == 0).all()
