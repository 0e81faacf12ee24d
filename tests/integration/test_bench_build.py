"""The build benchmark at a small scale: the region it writes builds, and it measures it.

Nothing is timed here: the test checks that the generated files and config build with
every feature accounted for, that each pipeline stage reports its time, that the memory
figures are read, and that the rebuild publishes the changed plan.
"""

import re
import sys
import tempfile

import geopandas as gpd
import pandas as pd
import pytest

from arealkart.registry.kommuner import VEST_TELEMARK
from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

bench = pytest.importorskip("bench_build")

VEST_TELEMARK_2020 = "3820,3821,3822,3823,3824,3825"


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(folder))
        args = ["--zones", "200", "--kommuner", VEST_TELEMARK_2020, "--keep", "--lang", "nb"]
        return bench.main(args)


def test_the_generated_region_builds_with_every_feature_accounted_for(measured):
    assert measured.build.returncode == 0, measured.build.stderr[-2000:]
    balance = pd.read_csv(measured.folder / "output" / "regnskap.csv", dtype={"file": str})
    zones = balance[balance["layer"] == "zones"]
    assert zones["read"].sum() == sum(measured.inputs.zones.values())
    assert (balance["unaccounted"] == 0).all()
    assert set(measured.inputs.zones) <= set(VEST_TELEMARK)  # the 2020 numbers, as today's


def test_each_stage_reports_its_time_and_the_memory_of_the_tree_is_read(measured):
    assert set(measured.build.stages) == {*bench.STAGES, *bench.TASK_STAGES}
    assert sum(measured.build.stages[s] for s in bench.STAGES) <= measured.build.seconds
    assert 0 < measured.build.peak_pss <= measured.build.peak_rss
    assert {"arealkart.gpkg", "kart/", "geojson/", "rapport/"} <= set(measured.sizes)


def test_the_rebuild_publishes_the_changed_plan(measured):
    assert measured.rebuild.returncode == 0, measured.rebuild.stderr[-2000:]
    built = re.fullmatch(
        r"Cache: (\d+) of (\d+) municipalities reused; built anew: (.+) \(changed\); "
        r"their pages: (\d+) reused, 1 made anew",
        measured.rebuild.cache,
    )
    assert built, measured.rebuild.cache
    assert int(built[1]) == int(built[2]) - 1 == len(measured.inputs.zones) - 1
    assert int(built[4]) == int(built[1])  # the pages of the unchanged municipalities
    zones = gpd.read_file(measured.folder / "output" / "arealkart.gpkg", layer="soner")
    published = zones.set_index("zone_id")["arealformal"]
    change = measured.change
    assert len(change.codes) > 0
    assert published.loc[change.codes.index].tolist() == change.codes.tolist()
