"""The available-land benchmark at a small scale: it runs, and it compares like with like.

The benchmark's figures are not checked here (tests do not time things); what is checked
is that the engine and the plain geopandas baseline it is measured against compute the
same free land on the national generator's data, and that the script runs end to end.
"""

import sys

import pytest

from helpers import ROOT

BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

bench = pytest.importorskip("bench_available")


@pytest.fixture(scope="module")
def small_national():
    data = bench.generate(n_zones=3_000, n_buildings=9_000, seed=7)
    zones = bench.classify_zones(bench.conform(data.zones, "zones"))
    buildings = bench.conform(data.buildings, "buildings")
    constraints = bench.conform(data.constraints, "constraints")
    return zones, buildings, constraints


def test_engine_and_overlay_baseline_find_the_same_free_land(small_national):
    zones, buildings, constraints = small_national
    params = bench.Parameters.default().updated(
        avstand=dict.fromkeys(bench.BUILDING_CATEGORIES, bench.SETBACK)
    )
    base = bench.baseline(zones, buildings, constraints, params)
    engine = bench.engine_free(
        bench.available_land(zones, buildings, constraints, parameters=params)
    )
    assert base > 0
    assert engine == pytest.approx(base, rel=1e-4)  # the 0.01 %


def test_the_benchmark_script_runs_end_to_end(capsys):
    bench.main(["--zones", "2000", "--buildings", "6000", "--subset", "500", "--workers", "2"])
    out = capsys.readouterr().out
    assert "speed-up" in out and "GEOS kernels alone" in out and "national run, 2 workers" in out
