"""How fast does ``arealkart.ask.search`` answer on a national dataset of 1 000 000 free areas?

The free areas are the building zones of ``national.py``'s synthetic plans (20-block plans
placed inside the shipped borders of Norway's municipalities, generated in code), cut to
one million, each with a random free share of its block, current municipality numbers,
category, plan id and field name.  The layer is loaded once into a
:class:`arealkart.ask.index.LayerIndex` (STRtree, bounds, areas and attribute codes built
up front), then a fixed set of 20 typical queries runs ``--repeat`` times each; the script
prints each query's median and the p50 and p95 over the 20 medians.  The target is p95 ≤
100 ms.

With ``--gpkg`` the layer is also written to a GeoPackage (as a build writes it, with its
indexes) and the same queries are run the way ``arealkart query`` runs them: one shot,
each in a fresh Python process, timing the ``query()`` call from the build folder — the
look-ups in the GeoPackage's tables, reading only the candidates (through the R-tree and
the attribute indexes), and the query — after the imports, which are timed apart (the
median of ``--repeat`` fresh processes each).

Run::

    .venv/bin/python benchmarks/bench_query.py              # in memory
    .venv/bin/python benchmarks/bench_query.py --gpkg       # also one-shot from a GeoPackage
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import generate

from arealkart.ask.index import LayerIndex
from arealkart.ask.search import query
from arealkart.publish.export import write_geopackage
from arealkart.registry.kommuner import current_numbers

N_FREE = 1_000_000
CATEGORY = {1111: "bolig", 1121: "fritid", 1300: "naering", 1800: "kombinert"}


def free_areas(n: int = N_FREE, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` free areas shaped like arealkart's ``ledige_arealer`` layer."""
    data = generate(n_zones=int(n * 1.3), n_buildings=0, seed=seed)
    zones = data.zones[data.zones["arealformal"].isin(list(CATEGORY))].head(n)
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.05, 1.0, len(zones))
    area = zones.geometry.area.to_numpy() * share
    numbers = current_numbers(zones["kommunenummer"].astype("string")).astype(str)
    field = (zones.groupby("plan_id").cumcount() + 1).astype(str)
    letter = zones["arealformal"].map({1111: "BFS", 1121: "BFF", 1300: "BN", 1800: "BKB"})
    return gpd.GeoDataFrame(
        {
            "ledig_id": (zones["zone_id"] + "-L1").to_numpy(),
            "zone_id": zones["zone_id"].to_numpy(),
            "kommunenummer": numbers.to_numpy(),
            "plan_id": zones["plan_id"].to_numpy(),
            "feltnavn": (letter + field).to_numpy(),
            "kategori": zones["arealformal"].map(CATEGORY).to_numpy(),
            "areal_m2": area,
            "areal_daa": area / 1000.0,
        },
        geometry=zones.geometry.to_numpy(),
        crs=zones.crs,
    ).reset_index(drop=True)


def queries(polygon: Path) -> list[tuple[str, dict]]:
    """The fixed set: municipality + category, near a point, bbox, min area, combined."""
    return [
        ("kommune+kategori Vinje fritid", {"kommune": "Vinje", "kategori": "fritid"}),
        ("kommune+kategori Oslo bolig", {"kommune": "Oslo", "kategori": "bolig"}),
        ("kommune+kategori Bergen naering", {"kommune": "Bergen", "kategori": "naering"}),
        ("kommune+kategori Tromsø kombinert", {"kommune": "Tromsø", "kategori": "kombinert"}),
        ("near Dalen 10 km", {"near": "Dalen", "within_km": 10}),
        ("near Oslo 10 km", {"near": "59.91,10.75", "within_km": 10}),
        ("near Bergen 10 km", {"near": "60.39,5.32", "within_km": 10}),
        ("near Trondheim UTM33 10 km", {"near": "33 270000 7041000", "within_km": 10}),
        ("bbox Vest-Telemark", {"bbox": "7.9,59.3,8.7,59.8"}),
        ("bbox Oslo", {"bbox": "10.6,59.85,10.9,60.0"}),
        ("bbox Stavanger", {"bbox": "5.6,58.9,5.8,59.0"}),
        ("bbox UTM32", {"bbox": "440000,6580000,460000,6600000"}),
        ("min area, largest 50", {"min_daa": 2.9, "sort": "areal", "limit": 50}),
        ("min area (rare)", {"min_daa": 2.99}),
        ("kommune + min area", {"kommune": "Tokke", "min_daa": 1.5}),
        (
            "near+kategori+min+sort+limit",
            {
                "near": "59.91,10.75",
                "within_km": 20,
                "kategori": "bolig",
                "min_daa": 1,
                "sort": "areal",
                "limit": 20,
            },
        ),
        (
            "kommune+near+kategori",
            {"kommune": "Vinje", "near": "Rauland", "within_km": 15, "kategori": "fritid"},
        ),
        ("bbox+kategori+max", {"bbox": "10.0,59.5,11.0,60.5", "kategori": "fritid", "max_daa": 1}),
        ("nearest 10 (no radius)", {"near": "60.39,5.32", "limit": 10}),
        ("polygon file + kategori", {"polygon": polygon, "kategori": ["bolig", "kombinert"]}),
    ]


def polygon_file(folder: Path) -> Path:
    """A GeoJSON polygon around Seljord–Kviteseid (WGS84, as a user would draw it)."""
    path = folder / "område.geojson"
    ring = [[8.3, 59.3], [8.8, 59.3], [8.8, 59.6], [8.3, 59.6], [8.3, 59.3]]
    gpd.GeoDataFrame(geometry=[shapely.Polygon(ring)], crs="EPSG:4326").to_file(path)
    return path


def timed(fn, repeat: int) -> tuple[float, int]:
    """Median wall time (ms) of ``repeat`` calls and the number of rows returned."""
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(fn())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


ONE_SHOT = """
import json, sys, time
start = time.perf_counter()
from arealkart.ask.search import query
imported = time.perf_counter() - start
arguments = json.loads(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
rows = len(query(sys.argv[1], **arguments))
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps([imported * 1000, wall * 1000, cpu * 1000, rows]))
"""


def one_shot(folder: Path, arguments: dict, repeat: int) -> tuple[float, float, float, int]:
    """Median import, query and query CPU time (ms) over ``repeat`` fresh processes; rows.

    The CPU time (the process's own) is what the wall time would be on an idle machine,
    as long as the file is in the page cache; on a busy one the wall time is the larger.
    """
    text = json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in arguments.items()})
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", ONE_SHOT, str(folder), text],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        statistics.median(r[2] for r in runs),
        int(runs[-1][3]),
    )


def report(title: str, results: list[tuple[str, float, int]]) -> None:
    print(f"\n{title}")
    for name, ms, rows in results:
        print(f"  {name:<34} {ms:8.1f} ms  {rows:>7} rows")
    ms = np.array([r[1] for r in results])
    print(
        f"  p50 {np.percentile(ms, 50):.1f} ms   p95 {np.percentile(ms, 95):.1f} ms   "
        f"max {ms.max():.1f} ms   over {len(ms)} queries"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=N_FREE, help="number of free areas")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query")
    parser.add_argument("--gpkg", action="store_true", help="also one-shot from a GeoPackage")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    free = free_areas(args.n)
    print(f"generated {len(free):,} free areas in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    index = LayerIndex(free, "ledige_arealer").prepare()
    print(f"loaded: index (STRtree, bounds, codes) built in {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = queries(polygon_file(folder))
        results = [
            (name, *timed(lambda k=kw: query(index, **k), args.repeat)) for name, kw in cases
        ]
        report(f"in memory, after load (median of {args.repeat} runs each)", results)
        if args.gpkg:
            start = time.perf_counter()
            write_geopackage({"ledige_arealer": free}, folder / "arealkart.gpkg")
            print(f"\nwrote the GeoPackage in {time.perf_counter() - start:.1f} s")
            runs = [(name, *one_shot(folder, kw, args.repeat)) for name, kw in cases]
            imports = statistics.median(r[1] for r in runs)
            print(f"importing arealkart.ask.search in a fresh process: {imports:.0f} ms (median)")
            title = f"one shot from the GeoPackage, a fresh process each (median of {args.repeat})"
            report(title, [(name, ms, rows) for name, _, ms, _, rows in runs])
            report(f"{title}, CPU time", [(name, cpu, rows) for name, _, _, cpu, rows in runs])


if __name__ == "__main__":
    main()
