"""Vector tiles of a region's areas: the PMTiles archive, the page that reads it, the build."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pyogrio
import pytest

from arealkart.config import load_config
from arealkart.errors import ConfigError
from arealkart.publish.maps import build_map, save_map
from arealkart.publish.maps.tiles import (
    TILE_LAYER,
    area_count,
    tile_settings,
    tiles_wanted,
    write_tiles,
)
from arealkart.publish.outputs import write_outputs
from arealkart.registry.kommuner import boundaries
from helpers import DEMO

pytestmark = pytest.mark.filterwarnings("ignore:driver PMTiles does not support open option")


@pytest.fixture(scope="module")
def archive(demo_build, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "vest-telemark.pmtiles"
    return write_tiles(demo_build.result, path)


def read_zoom(path, zoom: int) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=TILE_LAYER, ZOOM_LEVEL=zoom)


def policy(page: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)


def test_the_archive_opens_with_its_layer_and_zooms(archive):
    settings = tile_settings()
    assert [row[0] for row in pyogrio.list_layers(archive)] == [TILE_LAYER]
    meta = pyogrio.read_info(archive, layer=TILE_LAYER)["dataset_metadata"]
    assert (int(meta["minzoom"]), int(meta["maxzoom"])) == (
        settings["min_zoom"],
        settings["maks_zoom"],
    )


def test_every_free_area_is_in_the_deepest_tiles_with_its_properties(archive, demo_build):
    free = demo_build.result.free
    tiles = read_zoom(archive, tile_settings()["maks_zoom"])
    areas = tiles[tiles["lag"] == "ledig"]
    assert set(areas["id"]) == set(free["ledig_id"])  # each area, cut into its tiles
    one = areas.drop_duplicates("id").set_index("id")
    source = free.set_index("ledig_id").loc[one.index]
    assert (one["kategori"] == source["kategori"]).all()
    assert (one["plan_navn"].fillna("") == source["plan_navn"].fillna("")).all()
    assert (one["areal_m2"] - source["areal_m2"]).abs().max() <= 0.05  # 1 decimal
    assert {"kommune", "kommunenummer", "status", "rang_totalt"} <= set(one.columns)


def test_every_free_area_has_its_point_even_at_the_shallowest_zoom(archive, demo_build):
    tiles = read_zoom(archive, tile_settings()["min_zoom"])
    points = tiles[tiles["lag"] == "ledig_punkt"]
    assert set(points["id"]) == set(demo_build.result.free["ledig_id"])
    assert set(points.geom_type) <= {"Point", "MultiPoint"}


def test_built_and_blocked_parts_are_in_the_tiles(archive, demo_build):
    tiles = read_zoom(archive, tile_settings()["maks_zoom"])
    result = demo_build.result
    for key, parts in (("bebygd", result.built), ("blokkert", result.blocked)):
        drawn = tiles[tiles["lag"] == key]
        # parts have no id of their own: each is in at least one tile, none is made up
        assert len(parts) <= len(drawn)
        assert set(drawn["kategori"].dropna()) == set(parts["kategori"].dropna())


def test_the_threshold_counts_free_areas_and_parts(demo_build):
    result = demo_build.result
    n = area_count(result)
    assert n == len(result.free) + len(result.built) + len(result.blocked)
    assert tiles_wanted(demo_build.result, n - 1)
    assert not tiles_wanted(demo_build.result, n)
    assert not tiles_wanted(demo_build.result)  # the demo is far below kart.toml's


def test_a_tiled_page_carries_no_area_and_may_read_its_own_origin(demo_build, tmp_path):
    result = demo_build.result
    m = build_map(result, boundaries(["Seljord"]), title="Vest-Telemark", tiles="r.pmtiles")
    page = save_map(m, tmp_path / "r.html").read_text(encoding="utf-8")
    payload = json.loads(re.search(r"arealkartInit\([^,]+, (\{.*\})\);", page).group(1))
    assert payload["tiles"]["url"] == "r.pmtiles"
    assert "geom" not in payload["layers"]["ledig"] and "props" not in payload["layers"]["ledig"]
    assert payload["layers"]["ledig"]["count"] == len(result.free)
    assert set(payload["layers"]["ledig"]["facts"]["categories"]) == set(result.free["kategori"])
    assert "connect-src 'self'" in policy(page)
    assert re.search(
        r'protomaps-leaflet@[\d.]+/dist/protomaps-leaflet.js" integrity="sha384-', page
    )
    plain = save_map(build_map(result, title="Vest-Telemark"), tmp_path / "p.html")
    text = plain.read_text(encoding="utf-8")
    assert "connect-src" not in policy(text)
    assert not [src for src in re.findall(r'<script src="([^"]+)"', text) if "protomaps" in src]


def test_a_build_above_the_threshold_writes_one_archive_for_every_language(demo_build, tmp_path):
    build = dataclasses.replace(
        demo_build, config=dataclasses.replace(demo_build.config, tile_threshold=0)
    )
    out = tmp_path / "out"
    write_outputs(build, out, lang=["nn", "en"], parts=["maps"])
    slug = build.config.slug
    assert sorted(p.name for p in out.rglob("*.pmtiles")) == [f"{slug}.pmtiles"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert f"kart/{slug}.pmtiles" in json.dumps(manifest)
    english = (out / "kart" / "en" / f"{slug}.html").read_text(encoding="utf-8")
    assert f'"url":"../{slug}.pmtiles"' in english
    municipality = (out / "kart" / "vinje.html").read_text(encoding="utf-8")
    assert '"tiles"' not in municipality  # municipality pages carry their areas


@pytest.mark.parametrize("value", [-1, "20000", 1.5, True])
def test_a_bad_tile_threshold_in_a_config_is_named(tmp_path, value):
    text = (DEMO / "vest-telemark.toml").read_text(encoding="utf-8")
    path = tmp_path / "region.toml"
    path.write_text(f"{text}\n[kart]\nfliser_over = {json.dumps(value)}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[kart\] fliser_over must be a whole number"):
        load_config(path, check_files=False)


def test_a_config_sets_its_own_tile_threshold(tmp_path):
    text = (DEMO / "vest-telemark.toml").read_text(encoding="utf-8")
    path = tmp_path / "region.toml"
    path.write_text(f"{text}\n[kart]\nfliser_over = 120\n", encoding="utf-8")
    assert load_config(path, check_files=False).tile_threshold == 120
    assert load_config(DEMO / "vest-telemark.toml", check_files=False).tile_threshold is None


def test_a_tiled_page_with_local_assets_loads_protomaps_from_lib(demo_build, tmp_path):
    m = build_map(demo_build.result, title="Vest-Telemark", tiles="r.pmtiles", assets="local")
    page = save_map(m, tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<script src="lib/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js">' in page
    assert "script-src" in policy(page) and "'self'" in policy(page).split("script-src")[1]


def test_a_point_carries_what_the_filters_and_the_list_need_only(archive):
    tiles = read_zoom(archive, tile_settings()["min_zoom"])
    points = tiles[tiles["lag"] == "ledig_punkt"].dropna(axis=1, how="all")
    assert "plan_navn" not in points.columns and "hensyn_blokkerer" not in points.columns
    assert {"id", "kategori", "areal_m2"} <= set(points.columns)
