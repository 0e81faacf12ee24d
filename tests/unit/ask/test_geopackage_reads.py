"""A query of a GeoPackage reads only candidates, and answers exactly as a full scan does.

The layer is the query benchmark's: free areas of the national generator's plans over the
municipalities (small here), written as a build writes them, with ties added (equal
areas, a polygon repeated) and some areas left unrounded as another tool might write
them.  Every query kind of the benchmark, and ties, limits and empty answers, is asked of
the file (the fast path: SQL, the R-tree, the area index, SQLite rows) and of the whole
layer read by GDAL (the full scan); the answers must be the same rows in the same order
with the same numbers.
"""

import contextlib
import sqlite3
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from arealkart import query
from arealkart.ask._gpkg import check_spatial_index, read_features
from arealkart.ask.index import LayerIndex
from arealkart.errors import QueryError
from arealkart.model.output_layers import GEOPACKAGE
from arealkart.publish.export import write_geopackage
from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
bench = pytest.importorskip("bench_query")

LAYER = "ledige_arealer"


@contextlib.contextmanager
def editing(path):
    """The GeoPackage opened with SQLite to change attributes (not geometries) in place.

    GDAL's R-tree triggers call its ST_ functions; an attribute change runs none of their
    bodies, but SQLite needs the functions to exist.
    """

    def not_called(blob):
        raise AssertionError("a geometry changed")

    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.create_function("ST_IsEmpty", 1, lambda blob: 0)
        for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(name, 1, not_called)
        yield db


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A build folder holding the free areas, with ties and some unrounded areas."""
    free = bench.free_areas(20_000, seed=3)  # dense enough that most queries answer
    free.loc[free.index % 9 == 0, "areal_m2"] = 3_500.0  # many ties at the top
    free.loc[free.index % 13 == 1, "areal_m2"] = 1_000.0  # ties on a bound
    twins = free.index[free.index % 17 == 2]
    free.loc[twins, "geometry"] = free.geometry.iloc[0]  # equal distances from any point
    free["areal_daa"] = free["areal_m2"] / 1000.0
    folder = tmp_path_factory.mktemp("query-build")
    write_geopackage({LAYER: free}, folder / GEOPACKAGE)
    with editing(folder / GEOPACKAGE) as db:
        # as a file from another tool might hold them: not rounded to 0.01 m²
        db.execute(f"UPDATE {LAYER} SET areal_m2 = 2899.996 WHERE fid % 23 = 5")
        db.execute(f"UPDATE {LAYER} SET areal_m2 = 1000.004 WHERE fid % 29 = 6")
    return folder


@pytest.fixture(scope="module")
def full_scan(build):
    """The whole layer read by GDAL, queried in memory."""
    return LayerIndex(pyogrio.read_dataframe(build / GEOPACKAGE, layer=LAYER), LAYER)


@pytest.fixture(scope="module")
def area_file(tmp_path_factory):
    return bench.polygon_file(tmp_path_factory.mktemp("area"))


EXTRA = [
    ("largest 5, ties at the cut", {"sort": "areal", "limit": 5}),
    ("largest 40 of a category", {"kategori": "fritid", "sort": "areal", "limit": 40}),
    ("smallest first with a limit", {"sort": "areal_m2", "limit": 30}),
    ("descending by column name", {"sort": "-areal_m2", "limit": 7, "kommune": "Vinje"}),
    ("at least an unrounded bound", {"min_daa": 2.9}),
    ("at most a bound with ties", {"max_m2": 1000, "kategori": "bolig"}),
    ("largest with a minimum", {"min_m2": 1000, "sort": "areal", "limit": 25}),
    ("limit without sort", {"kategori": "naering", "limit": 15}),
    ("nearest 25, ties in distance", {"near": "60.39,5.32", "limit": 25}),
    ("nearest 3 of a category", {"near": "Dalen", "kategori": "kombinert", "limit": 3}),
    ("nearest more than there are", {"near": "Dalen", "kommune": "Tokke", "limit": 10_000}),
    ("nearest, sorted by area", {"near": "59.91,10.75", "sort": "areal", "limit": 5}),
    ("nearest in a box", {"near": "Dalen", "bbox": "7.9,59.3,8.7,59.8", "limit": 4}),
    ("field names any case", {"feltnavn": ["bfs1", "BFF2"], "sort": "areal", "limit": 9}),
    ("empty: no such area", {"min_daa": 1_000_000}),
    ("empty: nothing in the box", {"bbox": "5.0,58.0,5.01,58.01"}),
    ("empty: largest of nothing", {"min_daa": 1_000_000, "sort": "areal", "limit": 3}),
    ("empty: nearest of nothing", {"near": "Dalen", "min_daa": 1_000_000, "limit": 3}),
]


def cases():
    return [*bench.queries("AREA"), *EXTRA]


@pytest.mark.parametrize(("name", "filters"), cases(), ids=[c[0] for c in cases()])
def test_the_file_answers_as_a_full_scan(build, full_scan, area_file, name, filters):
    if filters.get("polygon") == "AREA":
        filters = {**filters, "polygon": area_file}
    from_file = query(build, **filters)
    expected = query(full_scan, **filters)
    # an empty answer read by GDAL has object columns where a slice of the layer has str
    assert_geodataframe_equal(from_file, expected, check_dtype=len(expected) > 0)


def test_the_answers_are_not_all_empty(build, full_scan):
    sizes = [len(query(full_scan, **f)) for _, f in bench.queries(None) if "polygon" not in f]
    assert sum(s > 0 for s in sizes) >= len(sizes) - 3  # a realistic mix, mostly answered


def test_sorting_by_area_reads_only_the_rows_near_the_top(build, monkeypatch):
    read = []
    real = read_features

    def counting(*args, **kwargs):
        frame = real(*args, **kwargs)
        read.append(len(frame) if frame is not None else None)
        return frame

    monkeypatch.setattr("arealkart.ask.index.read_features", counting)
    answer = query(build, sort="areal", limit=5)
    assert list(answer["areal_m2"]) == [3_500.0] * 5
    ties = int((pyogrio.read_dataframe(build / GEOPACKAGE, layer=LAYER)["areal_m2"] == 3500).sum())
    assert read == [ties]  # the tied top rows only, not the layer


def test_the_build_indexes_the_area_and_municipality(build):
    with contextlib.closing(sqlite3.connect(build / GEOPACKAGE)) as db:
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {f"idx_{LAYER}_areal_m2", f"idx_{LAYER}_kommunenummer"} <= indexes
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert pyogrio.read_info(build / GEOPACKAGE, layer=LAYER)["features"] == 20_000


# --- the SQLite reader against GDAL -------------------------------------------------------


def test_sqlite_reads_the_frame_gdal_reads(demo_build):
    path = demo_build.files[0].parent / GEOPACKAGE
    for layer in ("ledige_arealer", "tomter"):
        fast = read_features(path, layer, where="1")
        assert fast is not None, layer
        assert_geodataframe_equal(fast, pyogrio.read_dataframe(path, layer=layer))
        assert list(fast.dtypes.astype(str)) == list(
            pyogrio.read_dataframe(path, layer=layer).dtypes.astype(str)
        )


def test_missing_values_come_as_gdal_gives_them(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "ja": pd.array([True, None, False], dtype="boolean"),
            "tekst": ["a", None, "æøå"],
            "tall": [1.5, None, 2.0],
            "hel": [1, 2, 3],
        },
        geometry=[shapely.Point(1, 2), None, shapely.box(0, 0, 1, 1)],
        crs="EPSG:25832",
    )
    path = tmp_path / "t.gpkg"
    frame.to_file(path, layer="t", engine="pyogrio")
    fast = read_features(path, "t", where="1")
    assert fast is not None
    assert_geodataframe_equal(fast, pyogrio.read_dataframe(path, layer="t"))


def test_a_layer_with_dates_is_left_to_gdal(demo_build):
    path = demo_build.files[0].parent / GEOPACKAGE
    assert read_features(path, "soner", where="1") is None  # ikraft is a DATETIME
    with_dates = query(demo_build.files[0].parent, layer="soner", min_daa=1, sort="areal")
    assert list(with_dates["zone_id"]) == list(
        query(demo_build.result, layer="soner", min_daa=1, sort="areal")["zone_id"]
    )


def test_a_value_stored_in_another_type_is_left_to_gdal(tmp_path):
    frame = gpd.GeoDataFrame({"hel": [1, 2]}, geometry=[shapely.Point(0, 0)] * 2, crs=25832)
    path = tmp_path / "t.gpkg"
    frame.to_file(path, layer="t", engine="pyogrio")
    with editing(path) as db:
        db.execute("UPDATE t SET hel = 'to' WHERE fid = 2")
    assert read_features(path, "t", where="1") is None


def test_an_emptied_spatial_index_is_found_cheaply_or_not(build, tmp_path):
    damaged = tmp_path / GEOPACKAGE
    damaged.write_bytes((build / GEOPACKAGE).read_bytes())
    check_spatial_index(damaged, LAYER)  # whole
    with editing(damaged) as db:
        db.execute(f"DELETE FROM rtree_{LAYER}_geom WHERE id % 2 = 0")
    with pytest.raises(QueryError, match=r"damaged \(10000 of 20000"):
        query(tmp_path, bbox="5,58,30,71")


def test_a_null_geometry_is_not_taken_for_damage(tmp_path):
    frame = gpd.GeoDataFrame(
        {"ledig_id": ["a", "b"], "areal_m2": [1.0, 2.0]},
        geometry=[shapely.box(442_000, 6_590_000, 442_100, 6_590_100), None],
        crs=25832,
    )
    write_geopackage({LAYER: frame}, tmp_path / GEOPACKAGE)
    found = query(tmp_path, bbox="441000,6589000,443000,6591000")
    assert list(found["ledig_id"]) == ["a"]
    assert np.isclose(found["areal_m2"].iloc[0], 1.0)


@pytest.mark.slow
def test_the_query_benchmark_runs_end_to_end(capsys):
    bench.main(["--n", "3000", "--repeat", "1", "--gpkg"])
    out = capsys.readouterr().out
    assert "one shot from the GeoPackage, a fresh process each" in out
    assert "nearest 10 (no radius)" in out.split("one shot")[1]  # every kind, one shot too
