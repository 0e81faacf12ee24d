"""Export: RFC 7946 and RFC 8142 GeoJSON, GeoPackage and CSV, schema-valid, round-tripped
through GDAL (pyogrio) and fiona, deterministic and atomic."""

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import fiona
import geopandas as gpd
import jsonschema
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from arealkart import build
from arealkart.errors import OutputError
from arealkart.model.output_layers import GEOPACKAGE
from arealkart.model.output_layers import GEOPACKAGE as QUERY_GEOPACKAGE
from arealkart.publish import outputs
from arealkart.publish.export import (
    RECORD_SEPARATOR,
    atomic_path,
    feature_ids,
    geojson_schema,
    rounded,
    schema_properties,
    to_rfc7946,
    write_csv,
    write_geojson,
    write_geopackage,
    write_layer,
)
from arealkart.publish.outputs import write_outputs
from arealkart.registry.kommuner import VEST_TELEMARK, resolve
from helpers import read_json, signed_area

SLUGS = ["vest-telemark"] + [resolve(n).slug for n in VEST_TELEMARK]


@pytest.fixture(scope="module")
def out(demo_build):
    return demo_build.files[0].parent


def test_the_query_module_reads_the_file_the_pipeline_writes():
    assert QUERY_GEOPACKAGE == GEOPACKAGE


# --- GeoJSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "suffix"), [("ledige_arealer", "ledig"), ("tomter", "tomter")])
def test_every_exported_feature_is_valid_against_the_schema(out, layer, suffix):
    schema = geojson_schema(layer)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    seen = 0
    for slug in SLUGS:
        data = read_json(out / "geojson" / f"{slug}-{suffix}.geojson")
        assert set(data) == {"type", "features"}, "no crs member, nothing else"
        for feature in data["features"]:
            errors = sorted(validator.iter_errors(feature), key=str)
            assert not errors, f"{slug} {feature['id']}: {errors[0].message}"
            assert list(feature["properties"]) == schema_properties(layer)
            seen += 1
    assert seen > 100


def test_schema_documents_every_property(out):
    for layer in ("ledige_arealer", "tomter"):
        props = geojson_schema(layer)["properties"]["properties"]["properties"]
        assert all(len(p.get("description", "")) > 10 for p in props.values()), layer


def test_ids_are_the_same_in_region_and_municipal_files(out):
    region = {
        f["id"]: f for f in read_json(out / "geojson/vest-telemark-tomter.geojson")["features"]
    }
    municipal = [
        f for s in SLUGS[1:] for f in read_json(out / "geojson" / f"{s}-tomter.geojson")["features"]
    ]
    assert len(municipal) == len(region)
    for feature in municipal:
        assert region[feature["id"]] == feature


def test_rfc7946_orientation_precision_nulls_and_dates(tmp_path):
    outer = shapely.Polygon(
        [(440000, 6590000), (440000, 6590100), (440100, 6590100), (440100, 6590000)],
        holes=[[(440010, 6590010), (440050, 6590010), (440050, 6590050), (440010, 6590050)]],
    )
    gdf = gpd.GeoDataFrame(
        {
            "fid": ["b", "a", "c"],
            "tall": [1.5, np.nan, 2.0],
            "heltall": pd.array([1, None, 3], dtype="Int64"),
            "ja": pd.array([True, None, False], dtype="boolean"),
            "dato": pd.to_datetime(["2020-05-17", None, "2021-01-02 10:30"], format="ISO8601"),
            "tekst": pd.array(["x", None, "z"], dtype="string"),
        },
        geometry=[outer, shapely.MultiPolygon([outer]), None],
        crs="EPSG:25832",
    )
    collection = to_rfc7946(gdf, "fid")
    assert "crs" not in collection
    features = collection["features"]
    assert [f["id"] for f in features] == ["a", "b", "c"]
    b, a, c = features[1], features[0], features[2]
    assert b["properties"] == {
        "fid": "b",
        "tall": 1.5,
        "heltall": 1,
        "ja": True,
        "dato": "2020-05-17",
        "tekst": "x",
    }
    assert a["properties"]["tall"] is None and a["properties"]["heltall"] is None
    assert a["properties"]["ja"] is None and a["properties"]["dato"] is None
    assert c["properties"]["dato"] == "2021-01-02T10:30:00" and c["geometry"] is None
    rings = b["geometry"]["coordinates"]
    assert signed_area(rings[0]) > 0 and signed_area(rings[1]) < 0
    assert signed_area(a["geometry"]["coordinates"][0][0]) > 0
    text = json.dumps(collection)
    assert "NaN" not in text
    for ring in rings:
        for lon, lat in ring:
            assert round(lon, 6) == lon and round(lat, 6) == lat
            assert 7 < lon < 9 and 59 < lat < 60


def test_repeated_ids_are_qualified_then_numbered():
    frame = pd.DataFrame(
        {
            "tomt_id": ["1", "1", "2", "3", "3"],
            "kommunenummer": ["4036", "4034", "4036", "4036", "4036"],
        }
    )
    assert list(feature_ids(frame, "tomt_id")) == ["4036/1", "4034/1", "2", "4036/3", "4036/3~2"]


def test_geojson_text_sequence_is_rfc8142_and_reads_back(tmp_path, demo_build):
    plots = demo_build.result.plots
    path = write_geojson(
        plots,
        tmp_path / "tomter.geojsons",
        id_column="tomt_id",
        properties=schema_properties("tomter"),
        seq=True,
    )
    raw = path.read_bytes()
    records = raw.split(RECORD_SEPARATOR.encode())
    assert records[0] == b"" and len(records) - 1 == len(plots)
    assert all(r.endswith(b"\n") and r.count(b"\n") == 1 for r in records[1:])
    validator = jsonschema.Draft202012Validator(geojson_schema("tomter"))
    for record in records[1:]:
        validator.validate(json.loads(record))
    check_round_trip(path, plots, "tomt_id")


# --- round trips through GDAL and fiona ------------------------------------------------


def check_round_trip(path, source, id_column, layer=None):
    """Counts, ids and values survive a read through pyogrio and through fiona.

    The values are those of the source at the documented precision (areas to 0.01 m²).
    """
    expected = rounded(source).set_index(id_column).sort_index()
    gdal = pyogrio.read_dataframe(path, layer=layer)
    assert len(gdal) == len(source)
    gdal = gdal.set_index(id_column).sort_index()
    assert list(gdal.index) == list(expected.index)
    for column in ("kommunenummer", "kategori"):
        assert list(gdal[column].astype(str)) == list(expected[column].astype(str))
    numeric = "areal_m2" if "areal_m2" in expected else "pris"
    np.testing.assert_allclose(
        gdal[numeric].astype(float), expected[numeric].astype(float), rtol=1e-9
    )
    with fiona.open(path, layer=layer) as src:
        records = {f.properties[id_column]: dict(f.properties) for f in src}
    assert sorted(records) == list(expected.index)
    some = expected.index[0]
    assert records[some]["kategori"] == expected.loc[some, "kategori"]
    value = float(records[some][numeric])  # CSV gives text
    assert value == pytest.approx(float(expected.loc[some, numeric]))


@pytest.mark.parametrize("fmt", ["geojson", "geojsonseq", "gpkg", "csv"])
def test_every_format_round_trips(tmp_path, demo_build, fmt):
    free = demo_build.result.free
    suffix = {"geojson": ".geojson", "geojsonseq": ".geojsons", "gpkg": ".gpkg", "csv": ".csv"}
    path = write_layer(
        free, tmp_path / f"ledig{suffix[fmt]}", fmt, layer="ledige_arealer", id_column="ledig_id"
    )
    check_round_trip(path, free, "ledig_id", layer="ledige_arealer" if fmt == "gpkg" else None)
    if fmt == "csv":
        table = pd.read_csv(path, dtype={"kommunenummer": str})
        assert table["lon"].between(7, 9.5).all() and table["lat"].between(58.8, 60.1).all()


def test_build_geojson_round_trips(out, demo_build):
    free = demo_build.result.free
    check_round_trip(out / "geojson/vest-telemark-ledig.geojson", free, "ledig_id")
    plots = demo_build.result.plots
    check_round_trip(out / "geojson/vest-telemark-tomter.geojson", plots, "tomt_id")


def test_build_geopackage_layers_index_descriptions_and_types(out, demo_build):
    gpkg = out / GEOPACKAGE
    layers = dict(pyogrio.list_layers(gpkg))
    assert list(layers) == [
        "soner",
        "ledige_arealer",
        "tomter",
        "hensynssoner",
        "bygninger",
        "sammendrag",
        "avvik",
        "regnskap",
    ]
    assert set(fiona.listlayers(gpkg)) == set(layers)
    with sqlite3.connect(gpkg) as db:
        contents = dict(db.execute("select table_name, description from gpkg_contents"))
        rtrees = {
            r[0]
            for r in db.execute(
                "select table_name from gpkg_extensions where extension_name='gpkg_rtree_index'"
            )
        }
        srs = {r[0] for r in db.execute("select srs_id from gpkg_geometry_columns")}
        dates = {r[0] for r in db.execute("select last_change from gpkg_contents")}
    assert all(len(contents[name]) > 20 for name in layers)
    assert rtrees == {"soner", "ledige_arealer", "tomter", "hensynssoner", "bygninger"}
    assert srs == {25832} and dates == {"2000-01-01T00:00:00.000Z"}
    for name in ("soner", "ledige_arealer", "tomter", "hensynssoner", "bygninger"):
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:25832"
        assert info["features"] == len(pyogrio.read_dataframe(gpkg, layer=name))
    tomter = pyogrio.read_info(gpkg, layer="tomter")
    subtype = dict(zip(tomter["fields"], tomter["ogr_subtypes"], strict=True))
    assert subtype["va"] == "OFSTBoolean", "water/sewer stays a boolean"
    check_round_trip(gpkg, demo_build.result.plots, "tomt_id", layer="tomter")
    summary = pyogrio.read_dataframe(gpkg, layer="sammendrag")
    assert len(summary) == len(demo_build.summary)


def test_summary_and_issues_csv(out, demo_build):
    summary = pd.read_csv(out / "sammendrag.csv", dtype={"kommunenummer": str})
    assert len(summary) == (len(VEST_TELEMARK) + 1) * 4
    assert set(summary["kategori"]) == {"bolig", "fritid", "kombinert", "naering"}
    pd.testing.assert_frame_equal(
        summary, demo_build.summary.astype(summary.dtypes.to_dict()), check_dtype=False
    )
    with fiona.open(out / "sammendrag.csv") as src:
        assert len(src) == len(summary)
    issues = pyogrio.read_dataframe(out / "issues.csv")
    assert list(issues.columns) == ["file", "feature", "layer", "rule", "action", "detail"]
    assert len(issues) == len(demo_build.issues)


def test_write_csv_is_plain_for_tables(tmp_path):
    path = write_csv(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8") == "a,b\n1,x\n2,y\n"


def test_write_layer_refuses_geojson_for_tables(tmp_path):
    from arealkart.errors import QueryError

    with pytest.raises(QueryError, match=r"no geometry or ids; write it as csv or gpkg"):
        write_layer(pd.DataFrame({"a": [1]}), tmp_path / "a.geojson", "geojson", layer="avvik")


# --- determinism and atomic writes --------------------------------------------------------------


def test_the_same_input_gives_byte_identical_files(tmp_path, out):
    again = tmp_path / "again"
    build(None, again, workers=2, parts=["tables", "geojson"])
    files = sorted(
        p.relative_to(out)
        for p in out.rglob("*")
        if p.is_file() and p.suffix != ".html" and p.name != "manifest.json"
    )
    assert len(files) == 3 + 1 + 2 * len(SLUGS)  # 3 CSV tables, the GeoPackage, GeoJSON
    for name in files:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    assert not list(again.glob(".*")), "no staging folder or temporary file is left"


def test_atomic_path_leaves_the_old_file_when_a_write_fails(tmp_path):
    target = tmp_path / "fil.geojson"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a fi", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["fil.geojson"]


def test_a_build_that_fails_midway_leaves_the_previous_output_intact(
    tmp_path, out, demo_build, monkeypatch
):
    previous = tmp_path / "output"
    shutil.copytree(out, previous)
    before = {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    calls = {"n": 0}
    original = outputs._write_file

    def failing(path, data):
        calls["n"] += 1
        if calls["n"] == 5:  # a few files are complete, this one is half written
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_bytes(data[: len(data) // 2])
            raise OSError("disk full")
        return original(path, data)

    monkeypatch.setattr(outputs, "_write_file", failing)
    d = demo_build
    with pytest.raises(OutputError, match="disk full"):
        write_outputs(d, previous, lang="nb")
    after = {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in previous.iterdir() if p.name.startswith(".")]


def test_dates_and_numpy_values_are_json_safe():
    from arealkart.publish.export import json_value

    assert json_value(np.int64(3)) == 3 and isinstance(json_value(np.int64(3)), int)
    assert json_value(np.float32(np.nan)) is None
    assert json_value(np.bool_(True)) is True
    assert json_value(dt.date(2024, 1, 2)) == "2024-01-02"
    assert json_value(pd.NaT) is None and json_value(pd.NA) is None


def test_write_geopackage_keeps_nullable_types(tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "n": pd.array([1, None], dtype="Int64"),
            "b": pd.array([True, None], dtype="boolean"),
            "s": pd.array(["x", None], dtype="string"),
        },
        geometry=[shapely.Point(440000, 6590000)] * 2,
        crs="EPSG:25832",
    )
    path = write_geopackage({"t": gdf}, tmp_path / "t.gpkg", descriptions={"t": "test layer"})
    info = pyogrio.read_info(path, layer="t")
    assert list(info["ogr_types"]) == ["OFTInteger64", "OFTInteger", "OFTString"]
    assert info["layer_metadata"]["DESCRIPTION"] == "test layer"
    with fiona.open(path) as src:
        assert [dict(f.properties) for f in src] == [
            {"n": 1, "b": True, "s": "x"},
            {"n": None, "b": None, "s": None},
        ]
