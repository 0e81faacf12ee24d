"""End to end: `arealkart build` on the demo writes real maps, GeoJSON, GeoPackage, tables."""

import json
import re
import subprocess

import fiona
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from arealkart.registry.kommuner import VEST_TELEMARK, resolve
from helpers import EXE, signed_area
from helpers import read_json as read_geojson

SLUGS = [resolve(n).slug for n in VEST_TELEMARK]


@pytest.fixture(scope="module")
def cli_output(tmp_path_factory):
    """`arealkart build` with no arguments, run as a user would, in an empty folder."""
    cwd = tmp_path_factory.mktemp("cli")
    done = subprocess.run(
        [EXE, "build", "--workers", "2"], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return cwd / "output", done.stdout


def test_cli_writes_every_output_under_output(cli_output):
    out, stdout = cli_output
    expected = {
        "arealkart.gpkg",
        "sammendrag.csv",
        "issues.csv",
        "regnskap.csv",
        "manifest.json",
        "kart/index.html",
        "kart/vest-telemark.html",
        "geojson/vest-telemark-ledig.geojson",
        "geojson/vest-telemark-tomter.geojson",
    }
    expected |= {f"kart/{s}.html" for s in SLUGS}
    # the demo region's main language is nynorsk (kart/); bokmål and English beside it
    for lang in ("nb", "en"):
        expected |= {f"kart/{lang}/{s}.html" for s in (*SLUGS, "index", "vest-telemark")}
    expected |= {f"geojson/{s}-ledig.geojson" for s in SLUGS}
    expected |= {f"geojson/{s}-tomter.geojson" for s in SLUGS}
    for folder in ("rapport", "rapport/nb", "rapport/en"):  # the report, as the maps
        expected |= {f"{folder}/{s}.html" for s in (*SLUGS, "vest-telemark")}
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert "Vest-Telemark:" in stdout and "daa free" in stdout
    assert "nothing unaccounted" in stdout
    assert "4036-vinje/planer.geojson" in stdout


def test_cli_output_option_and_bad_config(tmp_path):
    bad = subprocess.run(
        [EXE, "build", "--config", str(tmp_path / "nope.toml"), "--output", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "config file not found" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_geojson_follows_rfc7946(demo_build):
    out = demo_build.files[0].parents[0]
    data = read_geojson(out / "geojson" / "vest-telemark-ledig.geojson")
    assert "crs" not in data
    ids = [f["id"] for f in data["features"]]
    assert all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for feature in data["features"]:
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for polygon in polygons:
            assert signed_area(polygon[0]) > 0, "exterior rings are counter-clockwise"
            for hole in polygon[1:]:
                assert signed_area(hole) < 0, "holes are clockwise"
            lon, lat = np.asarray(polygon[0]).T
            assert (lon > 7.0).all() and (lon < 9.5).all()
            assert (lat > 58.8).all() and (lat < 60.1).all()
            assert all(len(repr(c).split(".")[-1]) <= 6 for c in polygon[0][0])
        assert "NaN" not in json.dumps(feature["properties"])


def test_outputs_agree_with_each_other(demo_build):
    out = demo_build.files[0].parent
    gpkg = out / "arealkart.gpkg"
    free = pyogrio.read_dataframe(gpkg, layer="ledige_arealer")
    geojson = read_geojson(out / "geojson" / "vest-telemark-ledig.geojson")
    assert len(geojson["features"]) == len(free) == len(demo_build.result.free) > 100
    summary = pd.read_csv(out / "sammendrag.csv", dtype={"kommunenummer": str})
    region = summary[summary["kommunenummer"] == "0000"].set_index("kategori")
    by_cat = free.groupby("kategori")["areal_m2"].sum() / 1000
    for category, daa in by_cat.items():
        assert region.loc[category, "ledig_daa"] == pytest.approx(daa, abs=0.001)
    per_muni = sum(
        len(read_geojson(out / "geojson" / f"{s}-ledig.geojson")["features"]) for s in SLUGS
    )
    assert per_muni == len(free)
    plots = read_geojson(out / "geojson" / "vest-telemark-tomter.geojson")["features"]
    free_plots = sum(1 for f in plots if f["properties"]["status"] == "ledig")
    assert free_plots == region["ledige_tomter"].sum()


def test_the_summary_counts_the_homes_and_mixed_zones_of_the_zones_layer(demo_build):
    out = demo_build.files[0].parent
    zones = pyogrio.read_dataframe(out / "arealkart.gpkg", layer="soner", read_geometry=False)
    zones = zones[zones["status"] != "ikke_byggeland"]
    summary = pd.read_csv(out / "sammendrag.csv", dtype={"kommunenummer": str})
    rows = summary[summary["kommunenummer"] != "0000"].set_index(["kommunenummer", "kategori"])
    keys = ["kommunenummer", "kategori"]
    mixed = zones[zones["bruk"].isin(["blandet", "fritid_i_boligfelt", "helars_i_fritidsfelt"])]
    for column, expected in (
        ("boliger_helars", zones.groupby(keys)["boliger_helars"].sum()),
        ("boliger_fritid", zones.groupby(keys)["boliger_fritid"].sum()),
        ("blandede_soner", mixed.groupby(keys).size()),
        ("blandet_ledig_daa", mixed.groupby(keys)["ledig_m2"].sum() / 1000),
    ):
        got = rows[column]
        assert got.sum() == pytest.approx(expected.sum(), abs=0.01), column
        for key, value in expected.items():
            assert got.loc[key] == pytest.approx(value, abs=0.001), (column, key)
    assert rows["blandede_soner"].sum() > 0  # the demo has mixed fields
    region = summary[summary["kommunenummer"] == "0000"]
    assert region["boliger_fritid"].sum() == rows["boliger_fritid"].sum()


def test_geopackage_opens_in_gdal_and_fiona_with_descriptions(demo_build):
    gpkg = demo_build.files[0].parent / "arealkart.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {
        "soner",
        "ledige_arealer",
        "tomter",
        "hensynssoner",
        "bygninger",
        "sammendrag",
        "avvik",
        "regnskap",
    }
    assert layers["sammendrag"] is None and layers["soner"] is not None
    assert set(fiona.listlayers(gpkg)) == set(layers)
    info = pyogrio.read_info(gpkg, layer="soner")
    assert info["crs"] == "EPSG:25832"
    assert (
        "area split" in info["layer_metadata"]["DESCRIPTION"]
        if info.get("layer_metadata")
        else True
    )
    with fiona.open(gpkg, layer="ledige_arealer") as src:
        assert len(src) == len(demo_build.result.free)


def test_every_demo_zone_is_in_the_output_or_the_issues_report(demo_build):
    data, result, issues = demo_build.data, demo_build.result, demo_build.issues
    excluded = issues[
        (issues["layer"] == "zones") & issues["action"].isin(["excluded", "unreadable"])
    ]
    out_ids = set(result.zones["zone_id"])
    assert len(out_ids) + excluded["feature"].nunique() == len(data.zones)
    assert out_ids.isdisjoint(set(excluded["feature"]))
    # the repealed plan in Seljord is excluded and said so
    repealed = data.zones[data.zones["planstatus"] == 4]
    assert len(repealed) > 0
    assert set(repealed["zone_id"]) <= set(excluded["feature"])
    assert (excluded["rule"] == "plan_ikke_gjeldende").sum() == len(repealed)


def test_area_invariant_holds_for_every_demo_zone(demo_build):
    z = demo_build.result.zones
    parts = z[["bebygd_m2", "blokkert_m2", "ubrukelig_m2", "ledig_m2", "ikke_byggeland_m2"]]
    assert np.allclose(parts.sum(axis=1), z["areal_m2"], atol=0.01)
    assert (parts >= -1e-9).all().all()
    assert np.allclose(z["areal_m2"], shapely.area(z.geometry.to_numpy()))


def test_point_buildings_count_as_built_land(demo_build):
    fyresdal = demo_build.result.zones[demo_build.result.zones["kommunenummer"] == "4032"]
    assert fyresdal["bebygd_m2"].sum() > 1000


def test_maps_are_real_leaflet_pages_with_the_layers(demo_build):
    page = (demo_build.files[0].parent / "kart" / "vinje.html").read_text(encoding="utf-8")
    assert "L.map(" in page and "leaflet" in page.lower()
    for label in (  # nynorsk, the demo region's language
        "Bustad – ledig",
        "Fritid – ledig",
        "Næring – ledig",
        "Kombinert – ledig",
        "Tomter",
        "Kommunegrenser",
        "Kartverket topografisk",
        "Syntetiske demodata (arealkart) – ikkje ekte plandata",
    ):
        assert label in page or json.dumps(label)[1:-1] in page, label
    index = (demo_build.files[0].parent / "kart" / "index.html").read_text(encoding="utf-8")
    for slug in SLUGS:
        assert f'href="{slug}.html"' in index


def _report_links(page):
    """The report links of a map page or index: plain hrefs, or escaped in the map's data."""
    text = page.read_text(encoding="utf-8").replace("\\/", "/").replace('\\"', '"')
    return re.findall(r'href="([^"]*rapport/[^"]*\.html)"', text)


def test_every_map_and_index_links_its_report_and_every_link_resolves(demo_build):
    out = demo_build.files[0].parent
    pages = sorted((out / "kart").rglob("*.html"))
    assert len(pages) == 3 * 8  # 3 languages × (index, region, 6 municipalities)
    for page in pages:
        links = _report_links(page)
        expected = 7 if page.name == "index.html" else 1
        assert len(links) == expected, page
        for href in links:
            target = (page.parent / href).resolve()
            assert target.is_file(), (page, href)
            assert target.parent.name in ("rapport", "nb", "en")
            if page.name != "index.html":
                assert target.name == page.name  # the report of the same scope


def test_a_build_without_the_report_links_none(tmp_path):
    from arealkart import build

    result = build(None, tmp_path / "ut", workers=1, parts=["maps"])
    assert not any(_report_links(p) for p in result.files if p.suffix == ".html")
