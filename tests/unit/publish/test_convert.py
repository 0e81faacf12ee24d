"""``arealkart convert``: SOSI and plan GML to GeoPackage, FlatGeobuf and GeoJSON.

Every converted file is read back with GDAL (pyogrio; fiona for one) and compared with what
:func:`arealkart.read_plan` reads from the same input: the same features per layer, the
same ids, the same areas, and the issues report as its own layer.
"""

from __future__ import annotations

import contextlib
import sqlite3

import fiona
import geopandas as gpd
import pyogrio
import pytest

from arealkart.errors import ConfigError, FormatError, InputError, OutputError
from arealkart.load.read import read_plan
from arealkart.model.issues import source_feature
from arealkart.model.output_layers import CONVERT_LAYERS
from arealkart.model.schema import ID_COLUMNS
from arealkart.publish.convert import convert
from builders import VINJE, sosi_plan
from helpers import REAL, run_cli, shared_file

FORMATS = ("gpkg", "fgb", "geojson")
KIND_LAYERS = {layer.kind: name for name, layer in CONVERT_LAYERS.items() if layer.kind}
DIBK = REAL / "gml-dibk-rulevalidator"
REAL_PLANS = [
    REAL / "sosi-plan-evje-4219" / "Evjetun_leirsted.sos",
    REAL / "sosi-plan-evje-4219" / "Kjetsaa_massetak.sos",
    *(DIBK / f"gml.{name}.gml" for name in ("avgr.1-pass", "epsg.1-pass-1", "gmlid.1-2D-pass")),
    *(DIBK / f"gml.{name}.gml" for name in ("uuid.1-pass", "avgr.1-fail", "bue.2-fail")),
    *(DIBK / f"gml.{name}.gml" for name in ("flate.1-fail", "kurve.2-fail")),
]
"""Every real sample the readers read (the fail samples with their issues); flate.4-fail,
whose eastings lie 25 000 km off the meridian, has its own test."""


@pytest.fixture
def generated(tmp_path):
    """A generated SOSI plan: housing, leisure and road zones, and a flood zone over one."""
    east, north = VINJE
    squares = [
        (east, north, 50, 1111),
        (east + 50, north, 50, 1120),
        (east, north + 50, 30.5, 2011),
    ]
    return sosi_plan(tmp_path / "generert.sos", squares, hazards=[(east, north, 20)])


def _plan(request, tmp_path, name):
    if name == "generated":
        return request.getfixturevalue("generated")
    path = REAL_PLANS[int(name)]
    if not path.exists():
        pytest.skip(f"{path} is not available (the ../shared folder is absent)")
    return path


def _read_back(done):
    """Layer name → the GeoDataFrame GDAL reads from the converted file(s)."""
    if done.format == "gpkg":
        path = done.files[0]
        return {name: gpd.read_file(path, layer=name) for name in pyogrio.list_layers(path)[:, 0]}
    return {path.stem.rsplit("-", 1)[1]: gpd.read_file(path) for path in done.files}


def _perimeter_tolerance(frame):
    """The area a GeoJSON's 6 decimals of a degree (≤ 0.11 m) may move, summed."""
    return float(frame.geometry.length.sum()) * 0.12


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["generated", *map(str, range(len(REAL_PLANS)))])
def test_converted_layers_hold_what_read_plan_reads(request, tmp_path, name, fmt):
    source = _plan(request, tmp_path, name)
    expected = read_plan(source)
    done = convert(source, tmp_path / "ut" / f"plan.{fmt}")
    layers = _read_back(done)
    for kind, layer in KIND_LAYERS.items():
        read = expected.layer(kind)
        if not len(read) and fmt != "gpkg":
            assert layer not in layers  # FlatGeobuf and GeoJSON: a file per kind it holds
            continue
        got = layers[layer]
        assert len(got) == len(read) == done.features[layer], (layer, fmt)
        ids = got["id"] if fmt == "geojson" and "id" in got else got[ID_COLUMNS[kind]]
        assert sorted(ids.astype(str)) == sorted(read[ID_COLUMNS[kind]].astype(str))
        if not len(read):
            continue
        area = got.to_crs(25832).geometry.area.sum()
        tolerance = _perimeter_tolerance(read) if fmt == "geojson" else 0.01
        assert area == pytest.approx(read.geometry.area.sum(), abs=tolerance), (layer, fmt)
    issues = layers["avvik"]
    assert len(issues) == len(expected.issues) == done.features["avvik"]
    columns = ["file", "feature", "rule", "action"]
    got_rows = sorted(map(tuple, issues[columns].astype(str).to_numpy())) if len(issues) else []
    assert got_rows == sorted(map(tuple, expected.issues[columns].astype(str).to_numpy()))


def test_a_geopackage_holds_every_layer_with_its_description(generated, tmp_path):
    done = convert(generated, tmp_path / "plan.gpkg")
    assert list(pyogrio.list_layers(done.files[0])[:, 0]) == list(CONVERT_LAYERS)
    with contextlib.closing(sqlite3.connect(done.files[0])) as db:
        described = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
    assert described == {name: layer.description for name, layer in CONVERT_LAYERS.items()}
    assert pyogrio.read_info(done.files[0], layer="soner")["crs"] == "EPSG:25832"
    assert done.features["tomter"] == 0 and done.features["bygninger"] == 0
    with fiona.open(done.files[0], layer="hensynssoner") as layer:  # the other GDAL binding
        assert len(layer) == 1 and layer.crs.to_epsg() == 25832


@pytest.mark.parametrize("fmt", ["gpkg", "fgb"])
def test_another_crs_is_written_as_asked_with_the_same_areas(generated, tmp_path, fmt):
    done = convert(generated, tmp_path / f"plan.{fmt}", to_crs="EPSG:25833")
    assert done.crs == "EPSG:25833"
    path = next(p for p in done.files if "avvik" not in p.name)
    assert pyogrio.read_info(path, layer="soner")["crs"] == "EPSG:25833"
    back = gpd.read_file(path, layer="soner").to_crs(25832)
    assert back.area.sum() == pytest.approx(read_plan(generated).zones.area.sum(), rel=1e-7)


def test_geojson_is_rfc_7946_wgs84(generated, tmp_path):
    done = convert(generated, tmp_path / "plan.geojson")
    assert done.crs == "EPSG:4326"
    for path in done.files:
        assert pyogrio.read_info(path)["crs"] == "EPSG:4326"
    with pytest.raises(ConfigError, match="RFC 7946"):
        convert(generated, tmp_path / "plan.geojson", to_crs="EPSG:25833")


def test_a_feature_outside_the_target_crs_is_reported_not_written(tmp_path):
    source = shared_file("data", "real", "gml-dibk-rulevalidator", "gml.flate.4-fail.gml")
    read = read_plan(source)
    assert len(read.zones) == 1 and read.zones.total_bounds[0] < -25e6  # valid in 25832 only
    done = convert(source, tmp_path / "plan.geojson")  # WGS84: it has no place there
    issues = gpd.read_file(tmp_path / "plan-avvik.geojson")
    assert done.features == {"avvik": len(read.issues) + 1}
    assert not list(tmp_path.glob("plan-soner*"))
    moved = issues[issues["rule"] == "koordinat_feil"]
    assert list(moved["action"]) == ["excluded"] and list(moved["layer"]) == ["zones"]
    assert moved["feature"].iloc[0] == source_feature(read.zones["source"].iloc[0])
    kept = convert(source, tmp_path / "plan.gpkg")  # in its own CRS it is written as read
    assert kept.features["soner"] == 1 and kept.features["avvik"] == len(read.issues)


def test_an_input_without_a_crs_takes_crs_as_other_commands_do(tmp_path):
    east, north = VINJE
    plan = sosi_plan(tmp_path / "u.sos", [(east, north, 40, 1111)], koordsys="0")
    with pytest.raises(InputError):
        convert(plan, tmp_path / "u.gpkg")
    done = convert(plan, tmp_path / "u.gpkg", crs="EPSG:25832")
    assert done.features["soner"] == 1


def test_bad_input_and_targets_are_clear_errors_and_leave_nothing(generated, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        convert(tmp_path / "mangler.sos", tmp_path / "a.gpkg")
    export = tmp_path / "soner.geojson"
    gpd.read_file(_plan_geojson(tmp_path)).to_file(export)
    with pytest.raises(FormatError, match="not SOSI or plan GML"):
        convert(export, tmp_path / "b.gpkg")
    with pytest.raises(ConfigError, match="cannot tell the format"):
        convert(generated, tmp_path / "c.shp")
    with pytest.raises(ConfigError, match="unknown format"):
        convert(generated, tmp_path / "c.out", "shp")
    (tmp_path / "d-avvik.fgb").mkdir()  # one of the files cannot be written
    with pytest.raises(OutputError, match=r"d-avvik\.fgb in the way"):
        convert(generated, tmp_path / "d.fgb")
    assert sorted(p.name for p in tmp_path.glob("d-*")) == ["d-avvik.fgb"]
    blocked = tmp_path / "fil.txt"
    blocked.write_text("x")
    with pytest.raises(OutputError, match="cannot be written"):
        convert(generated, blocked / "e.gpkg")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "d-avvik.fgb",
        "fil.txt",
        "generert.sos",
        "plan-src.geojson",
        "soner.geojson",
    ]


def test_a_convert_that_fails_midway_leaves_none_of_its_files(generated, tmp_path, monkeypatch):
    import arealkart.publish.convert as module

    real = module.pyogrio.write_dataframe

    def full_disk(frame, path, *args, layer=None, **kwargs):
        if layer == "avvik":  # the last file: the others are written by now
            raise OSError(28, "No space left on device")
        return real(frame, path, *args, layer=layer, **kwargs)

    monkeypatch.setattr(module.pyogrio, "write_dataframe", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        convert(generated, tmp_path / "ut" / "plan.fgb")
    assert list((tmp_path / "ut").iterdir()) == []


def _plan_geojson(tmp_path):
    east, north = VINJE
    path = tmp_path / "plan-src.geojson"
    gpd.GeoDataFrame(
        {"RPAREALFORMÅL": [1111], "KOMM": ["4036"]},
        geometry=gpd.points_from_xy([east], [north]).buffer(10),
        crs=25832,
    ).to_file(path)
    return path


def test_the_cli_prints_the_layers_and_files(generated, tmp_path, capsys):
    code, out, err = run_cli(["convert", str(generated), str(tmp_path / "plan.fgb")], capsys)
    assert code == 0, err
    assert "soner 3, hensynssoner 1, tomter 0, bygninger 0; 0 issues (avvik)" in out
    assert out.count("wrote ") == 3 and "plan-soner.fgb (fgb, EPSG:25832)" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["{tmp}/mangler.sos", "{tmp}/a.gpkg"], 1, "no such file"),
        (["{plan}", "{tmp}/a.shp"], 2, "cannot tell the format"),
        (["{plan}", "{tmp}/a.geojson", "--to-crs", "EPSG:25833"], 2, "RFC 7946"),
        (["{plan}", "{tmp}/a.gpkg", "--to-crs", "EPSG:99999999"], 2, "unknown CRS"),
        (["{plan}", "{tmp}/a.gpkg", "--format", "shp"], 2, "'shp' is not one of"),
    ],
)
def test_the_cli_exit_codes(generated, tmp_path, capsys, args, code, message):
    argv = [a.format(tmp=tmp_path, plan=generated) for a in args]
    got, _, err = run_cli(["convert", *argv], capsys)
    assert got == code and message in err
    assert not list(tmp_path.glob("a*"))
