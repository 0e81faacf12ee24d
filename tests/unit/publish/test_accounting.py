"""Every input feature is in the output or in the issues report."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box as local_box

from arealkart import available_land, classify_zones, read_plan
from arealkart.classify import classification_issues
from arealkart.errors import AccountingError
from arealkart.model.issues import concat_issues
from arealkart.model.plandata import combine, relabel
from arealkart.publish.accounting import balance, check_balance, source_files
from helpers import DEMO


def box(x0, y0, x1, y1):
    """A box near Seljord in EPSG:25832, given in metres from a local origin."""
    return local_box(480_000 + x0, 6_600_000 + y0, 480_000 + x1, 6_600_000 + y1)


def read_demo_municipality(folder):
    parts = []
    for name, options in [
        ("planer.geojson", {}),
        ("hensynssoner.geojson", {"kind": "constraints"}),
        (next(p.name for p in folder.glob("bygning*.geojson")), {"kind": "buildings"}),
        ("tomteregister.csv", {"geometry": folder / "tomter.geojson"}),
    ]:
        data = read_plan(folder / name, kommune=folder.name[:4], **options)
        names = {n: f"{folder.name}/{n}" for n in (name, "tomter.geojson")}
        parts.append(relabel(data, names))
    return combine(parts)


def test_source_files_split_joined_sources():
    sources = pd.Series(["a/reg.csv#3|a/t.geojson#7", "plan.sos#FLATE 12"])
    assert source_files(sources).tolist() == ["a/reg.csv", "a/t.geojson", "plan.sos"]


def test_the_demo_balances_per_file_and_layer():
    data = combine(read_demo_municipality(f) for f in sorted(DEMO.glob("40*")))
    zones = classify_zones(data.zones)
    result = available_land(zones, data.buildings, data.constraints, data.plots)
    issues = concat_issues([data.issues, classification_issues(zones), result.issues])
    outputs = {
        "zones": result.zones,
        "constraints": data.constraints,
        "plots": result.plots,
        "buildings": data.buildings,
    }
    table = check_balance(balance(data.counts, outputs, issues))
    assert (table["unaccounted"] == 0).all()
    assert len(table) == 6 * 5  # six municipalities × five files
    zones_read = table.loc[table["layer"] == "zones", "read"].sum()
    assert zones_read == len(data.zones) > 300
    # the repealed plan in Seljord: read, not written, reported
    seljord = table.set_index(["file", "layer"]).loc[("4022-seljord/planer.geojson", "zones")]
    assert seljord["reported"] >= 2 and seljord["written"] == seljord["read"] - seljord["reported"]


def test_a_lost_feature_is_caught(tmp_path):
    zones = gpd.GeoDataFrame(
        {"arealformal": [1111, 1111], "objtype": "RP"},
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
        crs=25832,
    )
    path = tmp_path / "planer.gpkg"
    zones.to_file(path)
    data = read_plan(path, kommune="Vinje")
    result = available_land(classify_zones(data.zones))
    lost = result.zones.iloc[:1]
    table = balance(data.counts, {"zones": lost}, concat_issues([data.issues, result.issues]))
    assert table["unaccounted"].tolist() == [1]
    with pytest.raises(
        AccountingError,
        match=r"planer.gpkg zones: read 2, written 1, "
        r"reported 0",
    ):
        check_balance(table)


def test_reader_drops_are_counted_as_reported(tmp_path):
    zones = gpd.GeoDataFrame(
        {"arealformal": ["1111", "bolig", "1121"], "objtype": "RP"},
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), None],
        crs=25832,
    )
    path = tmp_path / "planer.geojson"
    zones.to_file(path)
    data = read_plan(path, kommune="Vinje")
    assert len(data.zones) == 1
    assert set(data.issues["rule"]) == {"kode_mangler", "geometri_tom"}
    table = check_balance(balance(data.counts, {"zones": data.zones}, data.issues))
    assert table[["read", "written", "reported"]].values.tolist() == [[3, 1, 2]]


def test_duplicate_plot_polygons_and_missing_register_rows_are_reported(tmp_path):
    register = tmp_path / "tomter.csv"
    register.write_text(
        "tomt_id;status;pris\nA;ledig;100 000\nB;solgt;200000\nC;ledig;\n", encoding="utf-8"
    )
    shapes = gpd.GeoDataFrame(
        {"tomt_id": ["A", "B", "B", "D"]},
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10), box(60, 0, 70, 10)],
        crs=25832,
    )
    shapes.to_file(tmp_path / "tomter.geojson")
    data = read_plan(register, geometry=tmp_path / "tomter.geojson", kommune="Seljord")
    assert data.plots["tomt_id"].tolist() == ["A", "B"]
    assert data.plots["pris"].tolist() == [100000, 200000]
    rules = dict(zip(data.issues["feature"], data.issues["rule"], strict=True))
    assert rules == {"C": "tomt_uten_geometri", "B": "duplikat", "D": "tomt_uten_register"}
    table = check_balance(balance(data.counts, {"plots": data.plots}, data.issues))
    assert table.set_index("file").loc["tomter.geojson", "read"] == 4
