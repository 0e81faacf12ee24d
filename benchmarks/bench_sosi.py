"""Benchmark the native SOSI reader on large generated plan files.

Generates (in a temporary folder, never in the repository) synthetic reguleringsplan SOSI
files of about 25 MB and 100+ MB: a grid of RpArealformålOmråde FLATEs whose boundary
curves are shared with their neighbours (every seventh horizontal edge a .BUEP arc), one
RpPåskrift .TEKST per zone and one RpOmråde around the whole grid.  Each measurement runs in
a fresh child process so that its peak RSS (``resource.getrusage``) is its own:

``parse``
    stream every object through :func:`arealkart.load.sosi.parse_sosi` and drop it: the memory
    that stays is what the reader keeps (the packed curve coordinates);
``read``
    :func:`arealkart.load.sosi.read_sosi`: the full reader, zones and constraints as output.

A third file has the zones and curves of the 25 MB plan but is padded to 105 MB with more
labels: the same output from four times the text, to show that memory follows the output
(zones and kept curve coordinates), not the size of the file.

Run::

    .venv/bin/python benchmarks/bench_sosi.py            # about 25 MB and 105 MB
    .venv/bin/python benchmarks/bench_sosi.py --sizes 25 100 200
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SPACING = 5_000  # 50 m with ENHET 0.01
NORTH0, EAST0 = 649_000_000, 43_000_000  # around Evje (EPSG:25832), in 0.01 m
VERTICES = 8  # intermediate vertices per straight edge
CODES = (1110, 1120, 1130, 1300, 1600, 2010, 3040, 5110, 6770)
BYTES_PER_CELL = 1_830  # measured: 2 curves + 1 FLATE + 1 TEKST
BYTES_PER_TEXT = 400  # measured: one RpPåskrift .TEKST


# --------------------------------------------------------------------------- generation


def head() -> str:
    return (
        ".HODE\n..TEGNSETT UTF-8\n..TRANSPAR\n...KOORDSYS 22\n...VERT-DATUM NN2000\n"
        "...ORIGO-NØ 0 0\n...ENHET 0.01\n..SOSI-VERSJON 4.5\n..SOSI-NIVÅ 4\n"
    )


def ident() -> str:
    return (
        f"..IDENT\n...LOKALID {uuid.uuid4()}\n"
        "...NAVNEROM http://data.geonorge.no/4219/Reguleringsplaner/so\n"
        '...VERSJONID "2024-04-08 10:12:0.000000"\n'
    )


def node(i: int, j: int) -> tuple[int, int]:
    return NORTH0 + i * SPACING, EAST0 + j * SPACING


def wiggle(k: int, i: int, j: int) -> int:
    return ((i * 31 + j * 17 + k * 7) % 11 - 5) * 20  # ±1 m, shared by both neighbours


def edge_points(
    start: tuple[int, int],
    end: tuple[int, int],
    key: tuple[int, int],
) -> list[tuple[int, int]]:
    (n0, e0), (n1, e1) = start, end
    points = [start]
    for k in range(1, VERTICES + 1):
        t = k / (VERTICES + 1)
        dn, de = (wiggle(k, *key), 0) if n0 == n1 else (0, wiggle(k, *key))
        points.append((round(n0 + t * (n1 - n0)) + dn, round(e0 + t * (e1 - e0)) + de))
    return [*points, end]


def curve(serial: int, kind: str, points: list[tuple[int, int]]) -> str:
    lines = [
        f".{kind} {serial}:",
        "..OBJTYPE RpFormålGrense",
        "..FØRSTEDIGITALISERINGSDATO 20221124",
        "..OPPDATERINGSDATO 20240408",
        "..KVALITET 82",
        ident().rstrip("\n"),
        "..NØ",
        f"{points[0][0]} {points[0][1]} ...KP 1",
    ]
    lines += [f"{n} {e}" for n, e in points[1:-1]]
    lines.append(f"{points[-1][0]} {points[-1][1]} ...KP 1")
    return "\n".join(lines) + "\n"


def horizontal(serial: int, i: int, j: int) -> str:
    start, end = node(i, j), node(i, j + 1)
    if (i + j) % 7 == 0:
        middle = (start[0] + 300, (start[1] + end[1]) // 2)  # a 3 m bulge
        return curve(serial, "BUEP", [start, middle, end])
    return curve(serial, "KURVE", edge_points(start, end, (i, j)))


def vertical(serial: int, i: int, j: int) -> str:
    return curve(serial, "KURVE", edge_points(node(i, j), node(i + 1, j), (j, i + 1000)))


def ref_lines(refs: list[int]) -> str:
    tokens = [f":{r}" for r in refs]
    rows = [" ".join(tokens[k : k + 20]) for k in range(0, len(tokens), 20)]
    return "..REF " + "\n".join(rows) + "\n"


def zone(serial: int, i: int, j: int, refs: list[int]) -> str:
    code = CODES[(i * 3 + j) % len(CODES)]
    n, e = node(i, j)
    return (
        f".FLATE {serial}:\n..OBJTYPE RpArealformålOmråde\n..RPAREALFORMÅL {code}\n"
        f"..FELTNAVN F{i}_{j}\n..NASJONALAREALPLANID\n...KOMM 4219\n...PLANID 2024001\n"
        "..VERTNIV 2\n..EIERFORM 3\n..UTNYTT\n...UTNTYP 3\n...UTNTALL 30\n"
        f"..OPPDATERINGSDATO 20240408\n{ident()}{ref_lines(refs)}..NØ\n"
        f"{n + SPACING // 2} {e + SPACING // 2}\n"
    )


def text(serial: int, i: int, j: int) -> str:
    n0, e0 = node(i, j)
    n, e = n0 + SPACING // 2, e0 + SPACING // 2
    return (
        f".TEKST {serial}:\n..OBJTYPE RpPåskrift\n..RPPÅSKRIFTTYPE 2\n..VERTNIV 2\n"
        "..KVALITET 82\n..NASJONALAREALPLANID\n...PLANID 2024001\n...KOMM 4219\n"
        f"..STRENG F{i}_{j}\n..OPPDATERINGSDATO 20240408\n{ident()}..NØ\n"
        f"{n} {e}\n{n} {e - 29}\n{n} {e + 71}\n"
    )


class _Grid:
    """Serial numbers of the shared edges of an ``rows × cols`` grid of cells."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.h = lambda i, j: 1 + i * cols + j
        n_h = (rows + 1) * cols
        self.v = lambda i, j: 1 + n_h + i * (cols + 1) + j
        self.next = 1 + n_h + rows * (cols + 1)

    def cell_refs(self, i: int, j: int) -> list[int]:
        return [self.h(i, j), self.v(i, j + 1), -self.h(i + 1, j), -self.v(i, j)]

    def outline(self) -> list[int]:
        r, c = self.rows, self.cols
        return (
            [self.h(0, j) for j in range(c)]
            + [self.v(i, c) for i in range(r)]
            + [-self.h(r, j) for j in reversed(range(c))]
            + [-self.v(i, 0) for i in reversed(range(r))]
        )


def generate(path: Path, megabytes: float, zones_of: float | None = None) -> dict[str, int]:
    """Write a plan of about ``megabytes`` MB; return how many objects of each kind.

    With ``zones_of``, the grid is that of a ``zones_of`` MB plan, and the file is padded to
    ``megabytes`` with more labels per zone: a bigger file with the same output.
    """
    side = max(2, round(((zones_of or megabytes) * 1e6 / BYTES_PER_CELL) ** 0.5))
    labels = 1 + max(
        0, round((megabytes / (zones_of or megabytes) - 1) * BYTES_PER_CELL / BYTES_PER_TEXT)
    )
    grid = _Grid(side, side)
    serial = grid.next
    counts = {"curves": 0, "zones": 0, "texts": 0}
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(head())
        for i in range(side + 1):
            parts = [horizontal(grid.h(i, j), i, j) for j in range(side)]
            if i < side:
                parts += [vertical(grid.v(i, j), i, j) for j in range(side + 1)]
            counts["curves"] += len(parts)
            if i > 0:  # the zones of the row below, now that their top edges exist
                for j in range(side):
                    parts.append(zone(serial, i - 1, j, grid.cell_refs(i - 1, j)))
                    parts += [text(serial + 1 + k, i - 1, j) for k in range(labels)]
                    serial += 1 + labels
                counts["zones"] += side
                counts["texts"] += side * labels
            fh.write("".join(parts))
        plan = (
            f".FLATE {serial}:\n..OBJTYPE RpOmråde\n..NASJONALAREALPLANID\n...KOMM 4219\n"
            '...PLANID 2024001\n..PLANNAVN "Syntetisk plan"\n..PLANTYPE 35\n'
            f"..PLANSTAT 3\n{ident()}{ref_lines(grid.outline())}..NØ\n{NORTH0} {EAST0}\n"
        )
        fh.write(plan + ".SLUTT\n")
    counts["plans"] = 1
    return counts


# --------------------------------------------------------------------------- measuring


def child(mode: str, path: str) -> None:
    """Run one measurement and print it as JSON (runs in its own process)."""
    from arealkart.load.sosi import parse_sosi, read_sosi

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "parse":
        objects = sum(1 for _ in parse_sosi(path, areas_only=True))
        zones = None
    else:
        data = read_sosi(path)
        objects = int(data.counts["features"].sum())
        zones = len(data.zones)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "objects": objects,
                "zones": zones,
                "base_mb": base / 1024,
                "peak_mb": peak / 1024,
            }
        )
    )


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{mode} {path.name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=float,
        nargs="+",
        default=[25, 105],
        help="file sizes to generate, in MB (default: 25 105)",
    )
    parser.add_argument(
        "--padded",
        type=float,
        nargs=2,
        default=[105, 25],
        metavar=("MB", "ZONES_OF_MB"),
        help="also a file of MB padded with labels but with the zones (and "
        "curves) of a ZONES_OF_MB file (default: 105 25)",
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(
        f"# load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs (timings are wall clock in a fresh process)"
    )
    with tempfile.TemporaryDirectory(prefix="bench_sosi_") as tmp:
        print(
            f"{'file':>9} {'mode':>6} {'wall s':>7} {'MB/s':>6} {'cpu s':>6} {'MB/cpu-s':>8} "
            f"{'objects/s':>10} {'zones':>7} {'peak RSS MB':>11} {'above base':>10}"
        )
        runs = [(size, None) for size in args.sizes] + [tuple(args.padded)]
        for size, zones_of in runs:
            path = Path(tmp) / f"plan_{size:g}MB.sos"
            start = time.perf_counter()
            made = generate(path, size, zones_of)
            megabytes = path.stat().st_size / 1e6
            kept = made["curves"] * (VERTICES + 2) * 16 / 1e6
            padded = (
                f" (the zones of a {zones_of:g} MB plan, padded with labels)" if zones_of else ""
            )
            print(
                f"# generated {megabytes:.1f} MB{padded} in {time.perf_counter() - start:.1f} "
                f"s: {made}; curve coordinates the reader must keep: ~{kept:.0f} MB"
            )
            for mode in ("parse", "read"):
                r = measure(mode, path)
                print(
                    f"{megabytes:8.1f}M {mode:>6} {r['wall']:7.2f} "
                    f"{megabytes / r['wall']:6.1f} {r['cpu']:6.2f} {megabytes / r['cpu']:8.1f} "
                    f"{r['objects'] / r['wall']:10.0f} "
                    f"{r['zones'] if r['zones'] is not None else '-':>7} "
                    f"{r['peak_mb']:11.0f} {r['peak_mb'] - r['base_mb']:10.0f}"
                )
            path.unlink()
    print(f"# load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
