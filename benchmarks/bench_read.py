"""Reading a municipal GeoPackage of 1 M zones with pyogrio and with fiona.

Writes the national synthetic zones (see ``national.py``) to a GeoPackage in a temporary
folder, then reads it back with :func:`arealkart.read_plan` using each engine and prints
the wall time, features/s and peak memory of each.  The faster engine is arealkart's
default (``engine="pyogrio"``).

    python benchmarks/bench_read.py                # 1 000 000 zones
    python benchmarks/bench_read.py --zones 200000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import generate

from arealkart import read_plan


def read_once(path: str, engine: str) -> None:
    """Read in a fresh process (for a clean peak-memory figure) and print the timing."""
    start = time.perf_counter()
    data = read_plan(path, engine=engine)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    n = len(data.zones)
    print(f"  {engine:<8} {wall:7.1f} s  {n / wall:10,.0f} features/s  peak {peak:.2f} GB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1_000_000)
    parser.add_argument("--read", nargs=2, metavar=("PATH", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.read:
        read_once(*args.read)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "planer.gpkg"
        zones = generate(args.zones, 0, seed=1).zones
        start = time.perf_counter()
        zones.to_file(path, engine="pyogrio")
        size = path.stat().st_size / 1024**2
        print(f"wrote {len(zones):,} zones ({size:,.0f} MB) in {time.perf_counter() - start:.1f} s")
        for engine in ("pyogrio", "fiona"):
            subprocess.run([sys.executable, __file__, "--read", str(path), engine], check=True)


if __name__ == "__main__":
    main()
