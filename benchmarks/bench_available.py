"""Benchmark the available-land engine at national scale, against a geopandas baseline.

Generates a national synthetic dataset in code (see ``national.py``), runs
:func:`arealkart.available_land` on all of it, and runs the same computation with plain
``geopandas.overlay(how="difference")`` on a subset.  Prints zones/s, wall time and peak
memory, and compares both methods' total free area on the subset.

The baseline does the whole computation the plain way: ``overlay(how="difference")`` of the
building zones with setback-buffered footprints and with blocking constraint zones, then
the same sliver removal and minimum sizes with GeoSeries methods.  A uniform setback is
used in both so that the two compute the same thing, and their total free areas are
compared.

    python benchmarks/bench_available.py                      # 1 M zones, 3 M buildings
    python benchmarks/bench_available.py --zones 100000 --buildings 300000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import generate
from sampling import Sampler

from arealkart import available_land, classify_zones
from arealkart.available.engine import MITRE, _per_zone, dissolve
from arealkart.available.parameters import Parameters
from arealkart.model.schema import conform
from arealkart.model.vocabulary import BUILDING_CATEGORIES

SETBACK = 4.0


class MemoryPeak(Sampler):
    """The peak of the machine's memory in use, above what was in use at ``baseline``.

    Sampled from ``/proc/meminfo`` (``MemTotal − MemAvailable``) every half second in a
    thread: cheap, and it counts each physical page once, so forked workers that share the
    parent's pages are not counted twice (summing their RSS would).  Run the benchmark on
    an otherwise idle machine.
    """

    def __init__(self, baseline: int) -> None:
        super().__init__(interval=0.5)
        self.baseline = baseline
        self.peak = 0

    def sample(self) -> None:
        self.peak = max(self.peak, memory_in_use())

    @property
    def gb(self) -> float:
        return (self.peak - self.baseline) / 1024**2


def memory_in_use() -> int:
    """``MemTotal − MemAvailable`` in kB."""
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])


def peak_rss_gb() -> float:
    """Peak resident memory of this process, in GB (its own maximum)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def baseline(zones: gpd.GeoDataFrame, buildings, constraints, params: Parameters) -> float:
    """The same computation in plain geopandas; returns the total free area in m².

    Building zones minus setback-buffered footprints (``overlay(how="difference")``), minus
    blocking constraint zones (again ``overlay``), then slivers removed with the same
    mitred opening, pieces exploded and those below the category's minimum dropped.
    """
    land = zones[zones["kategori"].isin(BUILDING_CATEGORIES)][["zone_id", "kategori", "geometry"]]
    buffered = buildings[["geometry"]].copy()
    buffered.geometry = buffered.buffer(SETBACK, join_style="mitre", mitre_limit=5.0)
    blocking = constraints[constraints["hensyn_kode"].isin(list(params.blokkerende))]
    free = gpd.overlay(land, buffered, how="difference", keep_geom_type=True)
    free = gpd.overlay(free, blocking[["geometry"]], how="difference", keep_geom_type=True)
    half = params.min_bredde / 2
    opened = free.buffer(-half, join_style="mitre", mitre_limit=5.0).buffer(
        half, join_style="mitre", mitre_limit=5.0
    )
    free = free.set_geometry(opened.make_valid().intersection(free.geometry))
    pieces = free.explode(index_parts=False)
    pieces = pieces[pieces.geom_type == "Polygon"]
    minimum = pieces["kategori"].map(params.min_areal)
    return float(pieces.area[pieces.area >= minimum].sum())


def geos_floor(zones: gpd.GeoDataFrame, buildings, params: Parameters) -> float:
    """Seconds spent in the GEOS operations the rule is made of, and in nothing else.

    Setback buffers of the footprints, one difference per building zone and the opening's
    inward and outward buffers, each a single vectorised call on the whole subset; the
    grouping of obstacles per zone is done beforehand and not timed, nor is anything else
    (blocked land, built parts, clipping, sizes, ids).  A lower bound on the time of the
    computation for an engine that runs these kernels (as the baseline does), so
    ``baseline / floor`` bounds the speed-up it can reach on one core.
    """
    land = zones[zones["kategori"].isin(BUILDING_CATEGORIES)].geometry.to_numpy()
    foot = buildings.geometry.to_numpy()
    t = time.perf_counter()
    buffered = shapely.buffer(foot, SETBACK, **MITRE)
    elapsed = time.perf_counter() - t
    obstacles = _per_zone(land, np.ones(len(land), dtype=bool), dissolve(buffered)).whole
    has = ~shapely.is_missing(obstacles)
    half = params.min_bredde / 2
    t = time.perf_counter()
    rest = shapely.difference(land[has], obstacles[has])
    shapely.buffer(shapely.buffer(rest, -half, **MITRE), half, **MITRE)
    return elapsed + time.perf_counter() - t


def engine_free(result) -> float:
    """The engine's total free area (ledig)."""
    return float(result.zones["ledig_m2"].sum())


def subset(data, zones, n: int):
    """The first municipalities' zones until about ``n`` zones, with their buildings etc."""
    counts = zones.groupby("kommunenummer").size()
    take = counts.index[np.cumsum(counts.to_numpy()) <= n]
    keep = lambda gdf: gdf[gdf["kommunenummer"].isin(take)]  # noqa: E731
    return keep(zones), keep(data.buildings), keep(data.constraints)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1_000_000)
    parser.add_argument("--buildings", type=int, default=3_000_000)
    parser.add_argument(
        "--subset", type=int, default=20_000, help="zones in the baseline comparison"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    params = Parameters.default().updated(avstand=dict.fromkeys(BUILDING_CATEGORIES, SETBACK))

    memory_at_start = memory_in_use()
    t0 = time.perf_counter()
    data = generate(args.zones, args.buildings, seed=1)
    zones = classify_zones(conform(data.zones, "zones"))
    buildings = conform(data.buildings, "buildings")
    constraints = conform(data.constraints, "constraints")
    print(
        f"generated {len(zones):,} zones, {len(buildings):,} buildings, "
        f"{len(constraints):,} constraint zones in {time.perf_counter() - t0:.1f} s "
        f"({zones['kommunenummer'].nunique()} municipalities)"
    )

    sub_z, sub_b, sub_c = subset(data, zones, args.subset)
    t = time.perf_counter()
    base_free = baseline(sub_z, sub_b, sub_c, params)
    base_time = time.perf_counter() - t
    t = time.perf_counter()
    sub_result = available_land(sub_z, sub_b, sub_c, parameters=params, workers=1)
    engine_time = time.perf_counter() - t
    sub_free = engine_free(sub_result)
    diff = abs(sub_free - base_free) / base_free * 100
    print(f"\nsubset of {len(sub_z):,} zones on 1 core:")
    print(
        f"  geopandas.overlay baseline {base_time:8.2f} s  {len(sub_z) / base_time:10,.0f} "
        f"zones/s  free {base_free / 1000:,.1f} daa"
    )
    print(
        f"  arealkart engine           {engine_time:8.2f} s  {len(sub_z) / engine_time:10,.0f} "
        f"zones/s  free {sub_free / 1000:,.1f} daa"
    )
    print(f"  speed-up {base_time / engine_time:.1f}x, total free area differs by {diff:.5f} %")
    floor = geos_floor(sub_z, sub_b, params)
    print(
        f"  the rule's GEOS kernels alone (setback buffers, difference, opening) take "
        f"{floor:.2f} s: an engine that runs them is at most {base_time / floor:.1f}x the "
        f"baseline on one core"
    )

    t = time.perf_counter()
    with MemoryPeak(memory_at_start) as memory:
        result = available_land(
            zones, buildings, constraints, parameters=params, workers=args.workers
        )
    wall = time.perf_counter() - t
    print(
        f"\nnational run, {args.workers} workers: {wall:.1f} s wall, "
        f"{len(zones) / wall:,.0f} zones/s "
        f"({len(zones) / wall / (len(sub_z) / base_time):.1f}x the baseline's zones/s), "
        f"peak memory {memory.gb:.2f} GB "
        f"(the machine's memory in use above the start of the benchmark: data, results and "
        f"workers; this process alone peaked at {peak_rss_gb():.2f} GB RSS)"
    )
    totals = result.zones.groupby("kategori")["ledig_m2"].sum() / 1e6
    print("  free land (km²): " + ", ".join(f"{k} {v:,.1f}" for k, v in totals.items()))
    print(f"  free areas: {len(result.free):,}")


if __name__ == "__main__":
    main()
