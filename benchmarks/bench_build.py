"""Benchmark ``arealkart build`` as a user runs it: files on disk, a config, one process.

Generates the national synthetic dataset (see ``national.py``) and writes it as a
municipality's GIS would export it, one folder per municipality: plan zones as a
GeoPackage (``planer.gpkg``), building footprints as FlatGeobuf (``bygg.fgb``) and
constraint zones as a GeoPackage (``hensyn.gpkg``), with a region config
(``region.toml``) listing them.  It then runs ``arealkart -v build`` in a subprocess and
prints:

* the wall time of each stage, from the ``stage <name>: <seconds> s`` lines the pipeline
  logs at INFO (read, check, classify, free_land, account, write);
* the peak memory of the build's whole process tree (the build and its workers), sampled
  from ``/proc`` every 0.1 s: the sum of PSS (proportional set size, from
  ``/proc/<pid>/smaps_rollup``: a page shared by a forked worker and its parent is
  counted once, split between them) and, for comparison, the sum of RSS (which counts
  shared pages once per process);
* the size of the outputs, in total and per top-level entry of the output folder;
* a rebuild into the same output folder after one municipality's plan file changed (the
  municipality with the most zones: the land-use code of 1 % of its zones), and its time
  as a share of the full build's.

Linux only (``/proc``).  Run on an otherwise idle machine, from the repository root::

    python benchmarks/bench_build.py --zones 100000
    python benchmarks/bench_build.py --zones 1000000 --workers 2
    python benchmarks/bench_build.py --zones 200 --kommuner 3820,3821,3822,3823,3824,3825

Options ``bench_build.py`` does not know are passed on to ``arealkart build`` (e.g.
``--lang nb``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import national
from sampling import Sampler

from arealkart.errors import MunicipalityError
from arealkart.registry.kommuner import boundaries, kommunenummer, resolve

STAGES = ("municipalities", "account", "write")
"""The build's stages, one after the other: their wall times add up to (almost) the build's."""
TASK_STAGES = ("read", "check", "classify", "free_land")
"""The stages of each municipality's task, summed over the municipalities built (several
run at once, so their sum can exceed the wall time of ``municipalities``)."""
STAGE_LINE = re.compile(r"arealkart\.pipeline: stage (\w+): ([0-9.]+) s")
SAMPLE_SECONDS = 0.1
CHANGED_SHARE = 0.01
"""Share of the changed municipality's zones whose land-use code the rebuild changes."""
PLAN_CODES = {1111: 3040, 1121: 3040, 1300: 3040, 1800: 3040, 3040: 1111}
"""The change: building land becomes green, green becomes housing (roads are left alone)."""

try:  # GDAL's Arrow path writes a million features several times faster
    import pyarrow  # noqa: F401

    ARROW = True
except ImportError:
    ARROW = False


# --- the input files ------------------------------------------------------------------------


def municipalities(kommuner: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """The municipalities to fill, with today's ``kommunenummer`` and border (EPSG:25832).

    Those of the borders arealkart ships (see ``national.py``); ``kommuner`` (any form the
    registry resolves) keeps only those.
    """
    munis = national.municipalities()
    if not kommuner:
        return munis
    wanted = {kommunenummer(k) for k in kommuner}
    missing = wanted - set(munis["kommunenummer"])
    if missing:
        raise SystemExit(f"--kommuner: no border for {sorted(missing)}")
    return munis[munis["kommunenummer"].isin(wanted)]


def _shipped_border(number: str, default):
    """The border arealkart ships for a municipality, else ``default``."""
    try:
        return boundaries([number]).geometry.iloc[0]
    except MunicipalityError:
        return default


@dataclass
class Inputs:
    """The written region: its config, and each municipality's folder and zone count."""

    config: Path
    folders: dict[str, Path]
    zones: dict[str, int]
    seconds: float
    bytes: int


def write_region(data: national.NationalData, folder: Path) -> Inputs:
    """Write each municipality's files and the region config into ``folder``."""
    started = time.perf_counter()
    layers = {
        "planer.gpkg": _plan_columns(data.zones),
        "hensyn.gpkg": _constraint_columns(data.constraints),
        "bygg.fgb": _building_columns(data.buildings),
    }
    numbers = sorted(set(data.zones["kommunenummer"]))
    folders = {n: folder / f"{n}-{resolve(n).slug}" for n in numbers}
    for path in folders.values():
        path.mkdir(parents=True)
    for name, gdf in layers.items():
        for number, part in _by_municipality(gdf):
            if number in folders:
                write_layer(part, folders[number] / name)
    config = folder / "region.toml"
    config.write_text(_config_text(folders, folder))
    zones = data.zones["kommunenummer"].value_counts().to_dict()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return Inputs(config, folders, zones, time.perf_counter() - started, size)


def _plan_columns(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zones with the columns of a plan export (``lokalid``, ``planid``, SOSI object type)."""
    return gpd.GeoDataFrame(
        {
            "lokalid": zones["zone_id"],
            "kommunenummer": zones["kommunenummer"],
            "planid": zones["plan_id"],
            "planstatus": zones["planstatus"],
            "ikrafttredelsesdato": zones["ikraft"].dt.date,
            "objtype": "RpArealformålOmråde",
            "arealformal": zones["arealformal"],
        },
        geometry=zones.geometry,
    )


def _constraint_columns(constraints: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "lokalid": "hensyn-" + constraints["hensyn_id"],
            "kommunenummer": constraints["kommunenummer"],
            "hensyn_kode": constraints["hensyn_kode"],
        },
        geometry=constraints.geometry,
    )


def _building_columns(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "bygningsnummer": buildings["bygg_id"],
            "bygningstype": 111,
            "kommunenummer": buildings["kommunenummer"],
        },
        geometry=buildings.geometry,
    )


def _by_municipality(gdf: gpd.GeoDataFrame):
    """``(kommunenummer, rows)`` slices of ``gdf`` sorted once (no per-group copies)."""
    ordered = gdf.iloc[np.argsort(gdf["kommunenummer"].to_numpy(), kind="stable")]
    numbers = ordered["kommunenummer"].to_numpy()
    starts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]]) if len(numbers) else []
    ends = [*starts[1:], len(numbers)]
    for start, end in zip(starts, ends, strict=True):
        yield numbers[start], ordered.iloc[start:end]


def write_layer(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write one layer with pyogrio (through Arrow when pyarrow is installed)."""
    layer = path.stem
    pyogrio.write_dataframe(gdf, path, layer=layer, use_arrow=ARROW)


def _config_text(folders: dict[str, Path], root: Path) -> str:
    lines = [
        "# Synthetic national region written by benchmarks/bench_build.py",
        "[region]",
        'navn = "Noreg (syntetisk)"',
        'slug = "noreg-syntetisk"',
        'attribution = "Syntetiske testdata (arealkart)"',
        "",
    ]
    for number, folder in folders.items():
        rel = folder.relative_to(root).as_posix()
        present = {p.name for p in folder.iterdir()}

        def entry(name: str, rel: str = rel, present: set[str] = present) -> str:
            return f'["{rel}/{name}"]' if name in present else "[]"

        lines += [
            "[[kommune]]",
            f'kommune = "{number}"',
            f"plans = {entry('planer.gpkg')}",
            f"buildings = {entry('bygg.fgb')}",
            f"constraints = {entry('hensyn.gpkg')}",
            "",
        ]
    return "\n".join(lines)


@dataclass
class Change:
    """The rebuild's change: a municipality, and the new land-use code of each changed zone."""

    kommune: str
    codes: pd.Series  # by the zone's lokalid


def change_plan(inputs: Inputs, seed: int) -> Change:
    """Change the land-use code of 1 % of the largest municipality's zones; rewrite its file."""
    number = max(inputs.zones, key=lambda n: inputs.zones[n])
    path = inputs.folders[number] / "planer.gpkg"
    plans = gpd.read_file(path, engine="pyogrio")
    blocks = plans.index[plans["arealformal"].isin(list(PLAN_CODES))]
    n = max(1, round(CHANGED_SHARE * len(plans)))
    pick = np.random.default_rng(seed).choice(blocks, n, replace=False)
    plans.loc[pick, "arealformal"] = plans.loc[pick, "arealformal"].map(PLAN_CODES)
    path.unlink()
    write_layer(plans, path)
    return Change(number, plans.loc[pick].set_index("lokalid")["arealformal"])


# --- running the build and measuring it -----------------------------------------------------


@dataclass
class Run:
    """One ``arealkart build``: exit code, wall time, stage times, peak memory of its tree."""

    returncode: int
    seconds: float
    stages: dict[str, float]
    peak_pss: int | None  # bytes; None where smaps_rollup is unreadable
    peak_rss: int
    stderr: str = field(repr=False)
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average before, after
    cache: str = ""  # the build's "Cache: …" line


class TreeMemory(Sampler):
    """Sample the memory of a process and all its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(interval)
        self.pid = pid
        self.peak_rss = 0
        self.peak_pss: int | None = 0

    def sample(self) -> None:
        """Add one sample: the sums of RSS and of PSS over the tree now."""
        rss, pss = 0, 0
        for pid in process_tree(self.pid):
            rss += _status_kb(pid, "VmRSS") * 1024
            pss_kb = _pss_kb(pid)
            if pss_kb is None:
                self.peak_pss = None
            pss += (pss_kb or 0) * 1024
        self.peak_rss = max(self.peak_rss, rss)
        if self.peak_pss is not None:
            self.peak_pss = max(self.peak_pss, pss)


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from the parent ids in ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])  # the name in () may hold spaces
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0  # ended, or a zombie without memory


def _pss_kb(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except PermissionError:
        return None  # not readable here
    except OSError:
        return 0  # ended meanwhile (ENOENT, ESRCH), or a kernel without smaps_rollup
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def run_build(config: Path, output: Path, extra: Sequence[str], log: Path) -> Run:
    """Run ``arealkart -v build`` on ``config`` into ``output`` and measure it."""
    command = [sys.executable, "-m", "arealkart", "-v", "build", "--config", str(config)]
    command += ["--output", str(output), *extra]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w") as err, (log.with_suffix(".out")).open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=err)  # files: no pipe to drain
        with TreeMemory(proc.pid) as memory:
            proc.wait()
    seconds = time.perf_counter() - started
    stderr = log.read_text(errors="replace")
    stages = {name: float(s) for name, s in STAGE_LINE.findall(stderr)}
    loads = (load, os.getloadavg()[0])
    cache = re.findall(r"^Cache: .*$", log.with_suffix(".out").read_text(), re.MULTILINE)
    peaks = (memory.peak_pss, memory.peak_rss)
    return Run(proc.returncode, seconds, stages, *peaks, stderr, loads, cache[-1] if cache else "")


def output_sizes(output: Path) -> dict[str, tuple[int, int]]:
    """Bytes and file count of each top-level entry of the output folder."""
    sizes = {}
    for entry in sorted(output.iterdir()):
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        name = entry.name + ("/" if entry.is_dir() else "")
        sizes[name] = (sum(p.stat().st_size for p in files), len(files))
    return sizes


# --- printing ---------------------------------------------------------------------------------


def _gb(n: int | None) -> str:
    return "unreadable" if n is None else f"{n / 1024**3:.2f} GB"


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB"


def print_run(title: str, run: Run) -> None:
    print(f"\n{title}: {run.seconds:.1f} s wall, exit code {run.returncode}")
    print(f"  load average {run.load[0]:.1f} before, {run.load[1]:.1f} after (an idle machine: ~0)")
    if run.returncode:
        print("  the build failed; its last message:")
        print("  " + _last_message(run.stderr))
        print("  the stages it finished:")
    for name in STAGES:
        if name in run.stages:
            print(f"  {name:<14} {run.stages[name]:8.2f} s")
        if name == "municipalities":
            for task in (t for t in TASK_STAGES if t in run.stages):
                print(f"    {task:<12} {run.stages[task]:8.2f} s  (summed over the tasks)")
    other = run.seconds - sum(run.stages.get(s, 0.0) for s in STAGES)
    what = "the failed stage, " if run.returncode else ""
    print(f"  {'other':<14} {other:8.2f} s  ({what}start-up, config, checks, printing)")
    if run.cache:
        print(f"  {run.cache}")
    print(f"  peak memory of the process tree: {_gb(run.peak_pss)} (sum of PSS)")
    print(f"  {'':32} {_gb(run.peak_rss)} (sum of RSS, counts shared pages per process)")


def _last_message(stderr: str, limit: int = 600) -> str:
    """The build's last log line (its error), shortened to ``limit`` characters."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "(nothing logged)"
    return last if len(last) <= limit else last[:limit] + " …"


def print_sizes(sizes: dict[str, tuple[int, int]]) -> None:
    total = sum(b for b, _ in sizes.values())
    count = sum(n for _, n in sizes.values())
    print(f"\noutput: {_mb(total)} in {count:,} files")
    for name, (size, n) in sizes.items():
        print(f"  {name:<32} {_mb(size):>12}  {n:>6,} files")


# --- main -------------------------------------------------------------------------------------


@dataclass
class Result:
    """What :func:`main` measured (for callers that want the figures, not the print-out)."""

    folder: Path
    inputs: Inputs
    build: Run
    sizes: dict[str, tuple[int, int]]
    rebuild: Run | None = None
    change: Change | None = None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Other options are passed on to 'arealkart build'.",
    )
    parser.add_argument("--zones", type=int, default=100_000, help="zones (default 100000)")
    parser.add_argument("--buildings", type=int, help="buildings (default 3 × zones)")
    parser.add_argument(
        "--kommuner", help="only these municipalities, comma-separated (e.g. 3820,3825)"
    )
    parser.add_argument("--workers", type=int, help="passed on to 'arealkart build'")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild")
    return parser


def main(argv: Sequence[str] | None = None) -> Result:
    args, extra = _parser().parse_known_args(argv)
    if args.workers:
        extra = ["--workers", str(args.workers), *extra]
    folder = Path(tempfile.mkdtemp(prefix="arealkart-bench-build-"))
    if not {"--cache", "--no-cache"} & set(extra):  # start cold, in the benchmark's folder
        extra = [*extra, "--cache", str(folder / "cache")]
    try:
        return _measure(args, extra, folder)
    finally:
        if args.keep:
            print(f"\nkept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _measure(args: argparse.Namespace, extra: list[str], folder: Path) -> Result:
    kommuner = [k.strip() for k in args.kommuner.split(",")] if args.kommuner else None
    munis = municipalities(kommuner)
    n_buildings = 3 * args.zones if args.buildings is None else args.buildings
    started = time.perf_counter()
    data = national.generate(args.zones, n_buildings, seed=args.seed, munis=munis)
    generated = time.perf_counter() - started
    counts = (len(data.zones), len(data.buildings), len(data.constraints))
    inputs = write_region(data, folder / "input")
    del data  # the build runs in its own process: do not hold the data beside it
    print(
        f"{counts[0]:,} zones, {counts[1]:,} buildings, {counts[2]:,} constraint zones in "
        f"{len(inputs.folders)} municipalities: generated in {generated:.1f} s, written in "
        f"{inputs.seconds:.1f} s ({_mb(inputs.bytes)}; Arrow {'on' if ARROW else 'off'})"
    )
    print(f"command: arealkart -v build --config region.toml --output output {' '.join(extra)}")
    output = folder / "output"
    build = run_build(inputs.config, output, extra, folder / "build.log")
    print_run("build", build)
    result = Result(folder, inputs, build, {})
    if build.returncode:
        return result
    result.sizes = output_sizes(output)
    print_sizes(result.sizes)
    if args.no_rebuild:
        return result
    result.change = change = change_plan(inputs, args.seed)
    rebuild = run_build(inputs.config, output, extra, folder / "rebuild.log")
    changed = f"{len(change.codes)} zones' land-use code in {change.kommune}"
    print_run(f"rebuild after changing {changed}", rebuild)
    if not rebuild.returncode:
        print(f"  rebuild / build: {rebuild.seconds / build.seconds:.0%}")
    result.rebuild = rebuild
    return result


if __name__ == "__main__":
    result = main()
    sys.exit(result.build.returncode or (result.rebuild.returncode if result.rebuild else 0))
