"""PostGIS out (``build --to-postgis``) and in (``{ postgis = URL, table = … }``), for real.

Every test talks to a real PostgreSQL + PostGIS server the test set-up starts on 127.0.0.1
(see ``tests/postgis_server.py``), each in a fresh database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from arealkart import build
from arealkart.config import load_config
from arealkart.errors import ConfigError, CRSError, InputError, OutputError
from arealkart.load.postgis import read_postgis
from arealkart.model.output_layers import GEOPACKAGE, OUTPUT_LAYERS
from arealkart.publish.postgis import write_postgis
from helpers import DEMO, EXE

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.slow

AREAS = {"soner": "ledig_m2", "ledige_arealer": "areal_m2", "tomter": "tomt_m2"}
SECRET = "hemmeleg-passord"


def _rows(url, sql, *args):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _with_password(url):
    """The same server and database, logged in with a password (trust auth ignores it)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")


@pytest.fixture(scope="module")
def built_to_postgis(postgis_server, tmp_path_factory):
    url = postgis_server.create_database("ut")
    out = tmp_path_factory.mktemp("pg-build")
    return url, build(None, out, workers=1, parts=["tables"], to_postgis=_with_password(url))


# --- PostGIS out ------------------------------------------------------------------------------


def test_every_layer_and_table_of_the_geopackage_is_in_postgis_with_its_rows(built_to_postgis):
    url, result = built_to_postgis
    gpkg = result.files[0].parent / GEOPACKAGE
    tables = dict(
        _rows(
            url,
            "SELECT table_name, 1 FROM information_schema.tables WHERE table_schema = %s",
            "arealkart",
        )
    )
    assert set(tables) == set(OUTPUT_LAYERS)
    for layer in OUTPUT_LAYERS:
        expected = len(gpd.read_file(gpkg, layer=layer))
        assert _rows(url, f'SELECT count(*) FROM arealkart."{layer}"')[0][0] == expected, layer
        assert result.postgis.rows[layer] == expected


def test_geometry_columns_are_srid_25832_with_a_spatial_index_each(built_to_postgis):
    url, _ = built_to_postgis
    columns = _rows(
        url,
        "SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = 'arealkart'",
    )
    assert {c[0] for c in columns} == {
        "soner",
        "ledige_arealer",
        "tomter",
        "hensynssoner",
        "bygninger",
    }
    assert {c[1] for c in columns} == {25832}
    assert {c[0]: c[2] for c in columns}["soner"] == "MULTIPOLYGON"
    gist = _rows(
        url,
        "SELECT tablename FROM pg_indexes WHERE schemaname = 'arealkart' "
        "AND indexdef ILIKE '%%USING gist%%'",
    )
    assert {g[0] for g in gist} == {c[0] for c in columns}


def test_area_totals_equal_the_geopackage(built_to_postgis):
    url, result = built_to_postgis
    gpkg = result.files[0].parent / GEOPACKAGE
    for layer, column in AREAS.items():
        frame = gpd.read_file(gpkg, layer=layer)
        total = _rows(url, f'SELECT sum("{column}") FROM arealkart."{layer}"')[0][0]
        assert total == pytest.approx(frame[column].sum(), abs=0.01), layer
        area = _rows(url, f'SELECT sum(ST_Area(geometry)) FROM arealkart."{layer}"')[0][0]
        assert area == pytest.approx(frame.geometry.area.sum(), rel=1e-9), layer


def test_tables_and_columns_carry_their_descriptions(built_to_postgis):
    url, _ = built_to_postgis
    table = _rows(url, "SELECT obj_description('arealkart.ledige_arealer'::regclass)")[0][0]
    assert table.startswith("Usable free building land") and "Syntetiske demodata" in table
    column = _rows(
        url,
        "SELECT col_description('arealkart.ledige_arealer'::regclass, ordinal_position::int) "
        "FROM information_schema.columns WHERE table_schema = 'arealkart' "
        "AND table_name = 'ledige_arealer' AND column_name = 'ledig_id'",
    )[0][0]
    assert column.startswith("Free-area id")


def test_the_password_is_never_kept(built_to_postgis):
    _, result = built_to_postgis
    assert SECRET not in result.postgis.url and "***" in result.postgis.url
    manifest = (result.files[0].parent / "manifest.json").read_text(encoding="utf-8")
    assert SECRET not in manifest


def test_a_second_build_replaces_the_tables_whole(postgis_db, tmp_path):
    first = build(None, tmp_path / "a", workers=1, parts=["tables"], to_postgis=postgis_db)
    with psycopg.connect(postgis_db) as conn:  # what a planner might have added by hand
        conn.execute("CREATE TABLE arealkart.mine (x int)")
        conn.execute("DELETE FROM arealkart.tomter")
    build(None, tmp_path / "b", workers=1, parts=["tables"], to_postgis=postgis_db)
    tables = {
        r[0]
        for r in _rows(
            postgis_db,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'arealkart'",
        )
    }
    assert tables == set(OUTPUT_LAYERS)
    assert (
        _rows(postgis_db, "SELECT count(*) FROM arealkart.tomter")[0][0]
        == first.postgis.rows["tomter"]
    )
    schemas = _rows(postgis_db, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'arealkart%%'")
    assert schemas == [("arealkart",)]


def test_a_build_that_fails_to_write_its_files_leaves_postgis_as_it_was(
    postgis_db, tmp_path, monkeypatch
):
    build(None, tmp_path / "a", workers=1, parts=["tables"], to_postgis=postgis_db)
    with psycopg.connect(postgis_db) as conn:
        conn.execute("DELETE FROM arealkart.soner WHERE fid > 10")
    import arealkart.pipeline

    def full_disk(*args, **kwargs):
        raise OutputError(tmp_path / "b", "no space left on device")

    monkeypatch.setattr(arealkart.pipeline, "write_outputs", full_disk)
    with pytest.raises(OutputError, match="no space left"):
        build(None, tmp_path / "b", workers=1, parts=["tables"], to_postgis=postgis_db)
    assert _rows(postgis_db, "SELECT count(*) FROM arealkart.soner")[0][0] == 10
    schemas = _rows(postgis_db, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'arealkart%%'")
    assert schemas == [("arealkart",)]


def test_a_schema_left_by_a_build_that_died_is_removed_by_the_next(postgis_db):
    with psycopg.connect(postgis_db) as conn:
        conn.execute("CREATE SCHEMA arealkart__ny_dead0001")
    layer = gpd.GeoDataFrame(
        {"a": [1]}, geometry=gpd.points_from_xy([500000], [6600000]), crs=25832
    )
    write_postgis({"punkt": layer}, postgis_db)
    schemas = _rows(postgis_db, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'arealkart%%'")
    assert schemas == [("arealkart",)]


def test_a_schema_whose_name_only_looks_like_a_stage_is_left_alone(postgis_db):
    with psycopg.connect(postgis_db) as conn:  # 'arealkart__ny_%' as a LIKE pattern matches it
        conn.execute("CREATE SCHEMA arealkart2xny_mine")
        conn.execute("CREATE TABLE arealkart2xny_mine.t (x int)")
    layer = pd.DataFrame({"a": [1]})
    write_postgis({"t": layer}, postgis_db)
    assert _rows(postgis_db, "SELECT count(*) FROM arealkart2xny_mine.t") == [(0,)]


def test_values_arrive_as_they_were_written(postgis_db):
    import datetime as dt

    from shapely.geometry import Point, Polygon

    texts = ["tab\there", "line\nbreak", "back\\slash 'quote' \"dq\"", None]
    layer = gpd.GeoDataFrame(
        {
            "tekst": texts,
            "tal": pd.array([1, None, 3, 4], dtype="Int64"),
            "areal_m2": [1.234567, float("nan"), 3.0, 4.0],
            "ja": pd.array([True, None, False, True], dtype="boolean"),
            "dato": [dt.date(2024, 4, 11), None, dt.date(2020, 1, 1), None],
        },
        geometry=[Polygon([(0, 0), (1, 0), (1, 1)]), Point(2, 2), Polygon(), None],
        crs=25832,
    )
    write_postgis({"t": layer}, postgis_db)
    rows = _rows(
        postgis_db,
        "SELECT tekst, tal, areal_m2, ja, dato, ST_GeometryType(geometry), ST_SRID(geometry) "
        "FROM arealkart.t ORDER BY fid",
    )
    assert [r[0] for r in rows] == texts
    assert [r[1] for r in rows] == [1, None, 3, 4]
    assert [r[2] for r in rows] == [1.23, None, 3.0, 4.0]  # rounded as every output (0.01 m²)
    assert [r[3] for r in rows] == [True, None, False, True]
    assert [r[4] for r in rows] == [dt.date(2024, 4, 11), None, dt.date(2020, 1, 1), None]
    assert [r[5] for r in rows] == ["ST_MultiPolygon", "ST_Point", "ST_MultiPolygon", None]
    assert {r[6] for r in rows[:3]} == {25832}


def test_two_builds_never_write_one_schema_at_once(postgis_db):
    layer = pd.DataFrame({"a": [1]})
    with psycopg.connect(postgis_db, autocommit=True) as other:  # a build busy writing
        other.execute("SELECT pg_advisory_lock(hashtext('arealkart:plan'))")
        with pytest.raises(OutputError, match="another build is writing schema 'plan'"):
            write_postgis({"t": layer}, postgis_db, schema="plan")
        write_postgis({"t": layer}, postgis_db, schema="anna")  # another schema is free
        other.execute("SELECT pg_advisory_unlock(hashtext('arealkart:plan'))")  # it is done
    write_postgis({"t": layer}, postgis_db, schema="plan")  # and this one once it is done
    assert _rows(postgis_db, "SELECT count(*) FROM plan.t")[0][0] == 1


def test_bad_schema_names_and_unreachable_servers_are_clear_errors(postgis_server, tmp_path):
    layer = pd.DataFrame({"a": [1]})
    with pytest.raises(OutputError, match="plain lower-case SQL name"):
        write_postgis({"t": layer}, postgis_server.url(), schema='x"; DROP TABLE y; --')
    closed = f"postgresql://postgres:{SECRET}@127.0.0.1:1/none"
    with pytest.raises(OutputError, match="cannot connect") as caught:
        build(None, tmp_path / "o", parts=["tables"], to_postgis=closed)
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    assert not (tmp_path / "o").exists()
    no_postgis = postgis_server.url("postgres")  # the maintenance database has no extension
    with pytest.raises(OutputError, match="no PostGIS"):
        write_postgis({"t": layer}, no_postgis)


def _arealkart(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=600, check=False)


def test_the_cli_writes_postgis_and_shows_no_password(postgis_db, tmp_path):
    done = _arealkart(
        "build",
        "--output",
        str(tmp_path / "o"),
        "--workers",
        "1",
        "--to-postgis",
        _with_password(postgis_db),
        "--schema",
        "plan",
    )
    assert done.returncode == 0, done.stderr
    assert "PostGIS schema plan" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    assert _rows(postgis_db, "SELECT count(*) FROM plan.ledige_arealer")[0][0] > 0


def test_a_build_checks_the_database_before_it_does_its_work(postgis_db, tmp_path, monkeypatch):
    import arealkart.pipeline

    def no_work(*args, **kwargs):
        raise AssertionError("the build read its inputs before checking the database")

    monkeypatch.setattr(arealkart.pipeline, "load_region", no_work)
    closed = f"postgresql://postgres:{SECRET}@127.0.0.1:1/plan"
    with pytest.raises(OutputError, match="cannot connect"):
        build(None, tmp_path / "a", to_postgis=closed)
    database = postgis_db.rsplit("/", 1)[1]
    with psycopg.connect(postgis_db, autocommit=True) as conn:  # a user who may only read
        conn.execute("CREATE ROLE lesar_utan_skrivetilgang LOGIN")
        conn.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
    reader = postgis_db.replace("//postgres@", "//lesar_utan_skrivetilgang@")
    with pytest.raises(OutputError, match="may not create schemas"):
        build(None, tmp_path / "b", to_postgis=reader)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_cli_refuses_a_bad_schema_before_building(postgis_db, tmp_path):
    done = _arealkart(
        "build", "--output", str(tmp_path / "o"), "--to-postgis", postgis_db, "--schema", "Plan X"
    )
    assert done.returncode == 1 and "plain lower-case SQL name" in done.stderr
    assert not (tmp_path / "o").exists()


def test_the_url_may_come_from_the_environment(postgis_db, tmp_path):
    env = {**os.environ, "AREALKART_POSTGIS": _with_password(postgis_db)}
    done = subprocess.run(
        [EXE, "build", "--output", str(tmp_path / "o"), "--workers", "1", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert _rows(postgis_db, "SELECT count(*) FROM arealkart.soner")[0][0] > 0


# --- PostGIS in -------------------------------------------------------------------------------


def _load_demo_inputs(url):
    """The demo's plan, constraint and building files as tables of schema ``inn``, as given."""
    layers = {}
    config = load_config(None)
    for muni in config.municipalities:
        for source in muni.sources:
            if source.kind != "plots":
                name = f"{source.kind or 'plans'}_{muni.kommune.nummer}"
                layers[name] = gpd.read_file(source.path)
    write_postgis(layers, url, schema="inn")
    return layers


def _postgis_config(folder: Path, url: str, plots: str = "files") -> Path:
    """The demo's config with its plans, constraints and buildings read from PostGIS."""
    text = (DEMO / "vest-telemark.toml").read_text(encoding="utf-8")
    shutil.copytree(DEMO, folder, dirs_exist_ok=True)
    config = load_config(None)
    for muni in config.municipalities:
        for source in muni.sources:
            if source.kind == "plots":
                continue
            key = source.kind or "plans"
            relative = source.path.relative_to(DEMO).as_posix()
            table = f"inn.{key}_{muni.kommune.nummer}"
            text = text.replace(f'"{relative}"', f'{{ postgis = "{url}", table = "{table}" }}')
    path = folder / "region.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_build_read_from_postgis_gives_the_same_summary_as_from_files(
    postgis_db, tmp_path, demo_build
):
    _load_demo_inputs(postgis_db)
    config = _postgis_config(tmp_path / "inn", _with_password(postgis_db))
    result = build(config, tmp_path / "ut", workers=1, parts=["tables"])
    pd.testing.assert_frame_equal(
        result.summary.reset_index(drop=True), demo_build.summary.reset_index(drop=True)
    )
    files = set(result.balance["file"])
    assert "postgis:" + postgis_db.rsplit("/", 1)[1] + ".inn.plans_4036" in files
    assert (result.balance["unaccounted"] == 0).all()
    manifest = json.loads((tmp_path / "ut" / "manifest.json").read_text(encoding="utf-8"))
    database_inputs = [i for i in manifest["inputs"] if "postgis" in i]
    assert len(database_inputs) == 18 and all(i["rows"] > 0 for i in database_inputs)
    assert SECRET not in json.dumps(manifest)


def test_a_table_that_changed_changes_the_build_fingerprint(postgis_db, tmp_path):
    _load_demo_inputs(postgis_db)
    config = _postgis_config(tmp_path / "inn", postgis_db)
    build(config, tmp_path / "ut", workers=1, parts=["tables"])
    before = json.loads((tmp_path / "ut" / "manifest.json").read_text(encoding="utf-8"))
    with psycopg.connect(postgis_db) as conn:
        conn.execute("DELETE FROM inn.plans_4036 WHERE fid = 1")
    build(config, tmp_path / "ut", workers=1, parts=["tables"])
    after = json.loads((tmp_path / "ut" / "manifest.json").read_text(encoding="utf-8"))
    assert before["fingerprint"] != after["fingerprint"]


def test_a_query_reads_like_a_table_and_rows_keep_their_database_keys(postgis_db):
    layers = _load_demo_inputs(postgis_db)
    whole = read_postgis(postgis_db, table="inn.plans_4036", kommune="4036")
    part = read_postgis(
        postgis_db, query="SELECT * FROM inn.plans_4036 WHERE fid <= 20;", kommune="4036"
    )
    database = postgis_db.rsplit("/", 1)[1]
    assert whole.counts["features"].iloc[0] == len(layers["plans_4036"])
    assert part.counts["features"].iloc[0] == 20
    assert set(part.zones["zone_id"]) <= set(whole.zones["zone_id"])
    keys = whole.zones["source"].str.rsplit("#", n=1).str[1].astype(int)  # the table's fid
    assert whole.zones["source"].str.startswith(f"postgis:{database}.inn.plans_4036#").all()
    assert keys.between(1, len(layers["plans_4036"])).all() and keys.is_unique
    picked = part.zones["source"].str.rsplit("#", n=1).str[1].astype(int)
    assert picked.le(20).all()
    assert "fid" not in part.zones.columns
    assert part.counts["file"].iloc[0].startswith(f"postgis:{database}.query-")


def test_postgis_columns_are_mapped_and_reprojected_like_a_file(postgis_db):
    zones = gpd.read_file(DEMO / "4036-vinje" / "planer.geojson").head(5).to_crs(25833)
    write_postgis({"soner33": zones}, postgis_db, schema="inn")
    with psycopg.connect(postgis_db) as conn:  # write_postgis stores 25832; make it 25833
        conn.execute(
            "ALTER TABLE inn.soner33 ALTER COLUMN geometry TYPE geometry(MultiPolygon, 25833) "
            "USING ST_Transform(geometry, 25833)"
        )
    read = read_postgis(postgis_db, table="inn.soner33", kommune="4036")
    assert read.zones.crs.to_epsg() == 25832
    assert read.counts["crs"].iloc[0] == "EPSG:25833"
    original = gpd.read_file(DEMO / "4036-vinje" / "planer.geojson").head(5).to_crs(25832)
    assert read.zones.geometry.area.sum() == pytest.approx(original.geometry.area.sum(), rel=1e-6)
    assert len(read.zones) == 5
    assert set(read.zones["zone_id"]) == set(original["lokalid"])  # the aliases, as for files
    assert pd.api.types.is_datetime64_any_dtype(read.zones["ikraft"])


def test_rows_without_a_key_are_read_with_a_warning(postgis_db, caplog):
    with psycopg.connect(postgis_db) as conn:
        conn.execute("CREATE TABLE utan_nokkel (arealformal int, g geometry(Polygon, 25832))")
        conn.execute(
            "INSERT INTO utan_nokkel VALUES (1111, ST_MakeEnvelope(420000, 6620000, 420050, "
            "6620050, 25832)), (1120, ST_MakeEnvelope(420100, 6620000, 420150, 6620050, 25832))"
        )
    with caplog.at_level("WARNING", logger="arealkart.load.postgis"):
        read = read_postgis(postgis_db, table="utan_nokkel", kommune="4036", objtype="RP")
    assert len(read.zones) == 2
    assert "no primary key" in caplog.text and "utan_nokkel" in caplog.text


def test_bad_postgis_sources_are_clear_errors(postgis_db):
    with psycopg.connect(postgis_db) as conn:
        conn.execute("CREATE SCHEMA inn")
        conn.execute("CREATE TABLE inn.ingen (a int)")
        conn.execute(
            "CREATE TABLE inn.to (a int, g1 geometry(Point, 25832), g2 geometry(Point, 25832))"
        )
        conn.execute("CREATE TABLE inn.blanda (a text, g geometry)")
        conn.execute(
            "INSERT INTO inn.blanda VALUES ('x', 'SRID=25832;POINT(500000 6600000)'), "
            "('y', 'SRID=25833;POINT(500000 6600000)')"
        )
    label = "postgis:" + postgis_db.rsplit("/", 1)[1]
    with pytest.raises(InputError, match=f"{label}.inn.mangler: cannot be read: .*does not exist"):
        read_postgis(postgis_db, table="inn.mangler")
    with pytest.raises(InputError, match="no geometry column"):
        read_postgis(postgis_db, table="inn.ingen")
    with pytest.raises(InputError, match=r"geometry columns \['g1', 'g2'\]"):
        read_postgis(postgis_db, table="inn.to")
    with pytest.raises(CRSError, match=r"several SRIDs \[25832, 25833\]"):
        read_postgis(postgis_db, table="inn.blanda")
    with pytest.raises(ConfigError, match="not a table name"):
        read_postgis(postgis_db, table="inn.x; DROP TABLE inn.ingen")
    with pytest.raises(ConfigError, match="not both"):
        read_postgis(postgis_db, table="inn.ingen", query="SELECT 1")
    with pytest.raises(InputError, match=r"\*\*\*.*cannot connect") as caught:
        read_postgis(f"postgresql://u:{SECRET}@127.0.0.1:1/db", table="t")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('{ postgis = "postgresql://u@h/db" }', "give either table"),
        (
            '{ postgis = "postgresql://u@h/db", table = "t", query = "SELECT 1" }',
            "give either table",
        ),
        ('{ postgis = "postgresql://u@h/db", table = "a.b.c" }', "not a table name"),
        ('{ postgis = "postgresql://u@h/db", table = "t", register = "x" }', "unknown keys"),
        (f'{{ postgis = "postgresql://u:{SECRET}@h/db", tabel = "t" }}', "tabel"),
        ("{ postgis = 5, table = 't' }", "must be a connection URL"),
    ],
)
def test_bad_postgis_config_entries_are_clear_errors(tmp_path, entry, message):
    path = tmp_path / "region.toml"
    path.write_text(
        f'[region]\nnavn = "R"\n[[kommune]]\nkommune = "Vinje"\nplans = [{entry}]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert SECRET not in str(caught.value)
