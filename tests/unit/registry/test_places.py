"""Places: the built-in gazetteer, a region's places file, and how they merge."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from arealkart.config import load_config
from arealkart.errors import InputError
from arealkart.load.places import read_places
from arealkart.model.vocabulary import PLACE_TYPES, SETTLEMENT_TYPES
from arealkart.pipeline import region_places
from arealkart.registry.places import PLACE_COLUMNS, gazetteer, merge_places


def write(tmp_path, text, name="steder.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_built_in_place_is_a_settlement_with_a_source():
    table = gazetteer()
    assert list(table.columns) == list(PLACE_COLUMNS)
    assert set(table["type"]) <= set(SETTLEMENT_TYPES)
    assert (table["kilde"].str.len() > 0).all()
    assert set(table.loc[table["type"] == "kommunesenter", "kommunenummer"]) == {
        "4022", "4028", "4030", "4032", "4034", "4036",
    }  # fmt: skip


def test_a_places_file_in_wgs84_or_utm_or_as_points(tmp_path):
    lonlat = read_places(
        write(tmp_path, "navn,type,kilde,lat,lon\nSkulen,skole,kommunen,59.44,8.01\n")
    )
    assert lonlat.iloc[0][["navn", "type", "lat", "lon"]].tolist() == [
        "Skulen",
        "skole",
        59.44,
        8.01,
    ]
    utm = read_places(
        write(tmp_path, "navn,type,kilde,ost,nord\nHagen,naeringshage,x,442000,6590000\n", "u.csv")
    )
    assert utm.iloc[0]["lat"] == pytest.approx(59.44, abs=0.01)
    points = gpd.GeoDataFrame(
        {"navn": ["Butikken"], "type": ["butikk"], "kilde": ["eigen registrering"]},
        geometry=[Point(442000, 6590000)],
        crs="EPSG:25832",
    )
    points.to_file(tmp_path / "steder.geojson")
    vector = read_places(tmp_path / "steder.geojson")
    assert vector.iloc[0]["lon"] == pytest.approx(utm.iloc[0]["lon"], abs=1e-6)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Skulen,skole,,59.44,8.01", "the source of its position"),
        ("Kyrkja,kirke,x,59.44,8.01", "type one of"),
        (",skole,x,59.44,8.01", "a name"),
        ("Skulen,skole,x,8.01,59.44", "a position in Norway"),
    ],
)
def test_a_bad_row_names_the_file_the_line_and_what_was_expected(tmp_path, row, expected):
    path = write(tmp_path, f"navn,type,kilde,lat,lon\nDalen,sentrum,x,59.44,8.00\n{row}\n")
    with pytest.raises(InputError, match=expected) as caught:
        read_places(path)
    assert caught.value.path == str(path) and caught.value.line == 3
    assert str(path) in str(caught.value)


def test_a_file_without_positions_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="missing columns"):
        read_places(write(tmp_path, "navn,type,kilde\nSkulen,skole,x\n"))
    with pytest.raises(InputError, match="not found"):
        read_places(tmp_path / "nowhere.csv")


def test_a_users_row_replaces_the_built_in_one_of_the_same_name_and_type(tmp_path):
    mine = read_places(
        write(
            tmp_path,
            "navn,type,kilde,lat,lon\n"
            "dalen,kommunesenter,eigen måling,59.4410,8.0050\n"
            "Dalen skule,skole,kommunen,59.443,8.01\n",
        )
    )
    merged = merge_places(gazetteer(), mine)
    dalen = merged[merged["navn"].str.casefold() == "dalen"]
    assert len(dalen) == 1 and dalen.iloc[0]["kilde"] == "eigen måling"
    assert len(merged) == len(gazetteer()) + 1
    assert merge_places(gazetteer(), None).equals(gazetteer())


def test_the_demo_places_are_all_marked_as_invented():
    config = load_config()
    assert config.places is not None and config.places in config.files()
    demo = read_places(config.places)
    assert set(demo["type"]) == {"skole", "barnehage", "butikk", "naeringshage"}
    assert demo["kilde"].str.contains("syntetisk demostad").all()
    assert set(demo["type"]) <= set(PLACE_TYPES)
    assert len(region_places(config)) == len(gazetteer()) + len(demo)
    hager = demo[demo["type"] == "naeringshage"]
    assert sorted(hager["kommunenummer"]) == ["4022", "4028", "4030", "4032", "4034", "4036"]


def test_a_spreadsheets_places_file_semicolons_bom_decimal_commas_and_latin_1(tmp_path):
    text = "navn;type;kilde;lat;lon\nSkulen på Åmot;skole;kommunen;59,57;7,99\n"
    (tmp_path / "utf8.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "latin1.csv").write_bytes(text.encode("iso-8859-1"))
    for name in ("utf8.csv", "latin1.csv"):
        row = read_places(tmp_path / name).iloc[0]
        assert (row["navn"], row["lat"], row["lon"]) == ("Skulen på Åmot", 59.57, 7.99)


def test_a_point_file_with_an_empty_source_or_name_is_refused(tmp_path):
    points = gpd.GeoDataFrame(
        {"navn": ["Butikken", None], "type": ["butikk", "skole"], "kilde": [None, "x"]},
        geometry=[Point(442000, 6590000), Point(442100, 6590000)],
        crs="EPSG:25832",
    )
    path = tmp_path / "steder.gpkg"
    points.to_file(path)
    with pytest.raises(InputError, match=r"a name|the source"):
        read_places(path)


def test_columns_that_differ_only_in_case_are_named(tmp_path):
    path = write(tmp_path, "navn,Navn,type,kilde,lat,lon\na,b,skole,x,59.4,8.0\n")
    with pytest.raises(InputError, match=r"\['navn'\] appear twice"):
        read_places(path)
