"""The demo data: deterministic, inside the real boundaries, and shaped like real plans."""

import filecmp
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from arealkart import read_plan
from arealkart.registry.kommuner import VEST_TELEMARK, boundaries
from helpers import DEMO, ROOT


def test_regenerating_the_demo_gives_identical_files(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_demo.py"), "--out", str(tmp_path)],
        check=True,
        cwd=ROOT,
    )
    committed = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert generated == committed
    _, mismatch, errors = filecmp.cmpfiles(
        DEMO, tmp_path, [str(p) for p in committed], shallow=False
    )
    assert mismatch == [] and errors == []


@pytest.fixture(scope="module")
def demo_zones():
    frames = [read_plan(p).zones for p in sorted(DEMO.glob("*/planer.geojson"))]
    return pd.concat(frames, ignore_index=True)


def test_every_municipality_has_plans_plots_buildings_and_constraints():
    folders = sorted(p.name for p in DEMO.iterdir() if p.is_dir())
    assert [f[:4] for f in folders] == sorted(VEST_TELEMARK)
    for folder in folders:
        files = {p.name for p in (DEMO / folder).iterdir()}
        assert {
            "planer.geojson",
            "hensynssoner.geojson",
            "tomter.geojson",
            "tomteregister.csv",
        } <= files
        assert files & {"bygninger.geojson", "bygningspunkt.geojson"}


def test_zones_lie_inside_their_municipality(demo_zones):
    borders = boundaries().set_index("kommunenummer")
    for number, zones in demo_zones.groupby("kommunenummer"):
        border = borders.loc[number, "geometry"]
        assert zones.geometry.within(border.buffer(1)).all(), number


def test_demo_size_and_mix_look_like_a_real_region(demo_zones):
    assert 300 <= len(demo_zones) <= 800
    assert set(demo_zones["objtype"]) == {"RP", "KP", "RB"}
    codes = set(demo_zones["arealformal"])
    assert {1111, 1112, 1121, 1171, 1300, 1340, 1800, 2011, 111, 150, 5200} <= codes
    assert demo_zones["feltnavn"].str.match(r"^(BFS|BFF|BN|BKB)\d+$").sum() > 100
    assert (demo_zones["planstatus"] == 4).any(), "a repealed plan is part of the demo"
    plots = pd.concat([pd.read_csv(p, sep=";") for p in DEMO.glob("*/tomteregister.csv")])
    assert len(plots) > 1000
    assert set(plots["status"].dropna()) == {"ledig", "reservert", "solgt"}
    assert plots["status"].isna().any(), "some plots have no register status"


def test_demo_is_labelled_synthetic():
    config = (DEMO / "vest-telemark.toml").read_text(encoding="utf-8")
    assert "Syntetiske demodata" in config
    with (DEMO / "4036-vinje" / "planer.geojson").open(encoding="utf-8") as fh:
        assert "Syntetiske demodata" in fh.readline() + fh.read(500)


def test_fyresdal_gives_buildings_as_points():
    gdf = gpd.read_file(DEMO / "4032-fyresdal" / "bygningspunkt.geojson")
    assert (gdf.geom_type == "Point").all() and len(gdf) > 20
