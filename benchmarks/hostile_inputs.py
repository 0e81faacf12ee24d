"""Time and peak memory of the hostile inputs the reader limits are for.

Each case is written to a temporary folder and read in a fresh interpreter, whose peak
memory (with that of the repair helper it starts) is measured:

* a SOSI file whose ``..REF`` lists one curve 100 000 times;
* a SOSI file with one quoted value of 50 MB;
* a SOSI file with one object of 100 MB (a curve of about five million points);
* one self-intersecting polygon of 10⁶ vertices (beside a valid zone), in SOSI and GeoJSON;
* the same polygon given to ``arealkart query --polygon``.

    python benchmarks/hostile_inputs.py
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

HEAD = (
    ".HODE\n..TEGNSETT UTF-8\n..TRANSPAR\n...KOORDSYS 22\n...ORIGO-NØ 0 0\n"
    "...ENHET 0.01\n..SOSI-VERSJON 4.5\n"
)
SQUARE = (
    ".KURVE 1:\n..OBJTYPE RpFormålGrense\n..NØ\n0 0\n0 10000\n10000 10000\n"
    ".KURVE 2:\n..OBJTYPE RpFormålGrense\n..NØ\n10000 10000\n10000 0\n0 0\n"
)


def flate(refs: str, extra: str = "") -> str:
    return (
        ".FLATE 10:\n..OBJTYPE RpArealformålOmråde\n..RPAREALFORMÅL 1110\n"
        f"{extra}..NASJONALAREALPLANID\n...KOMM 4036\n...PLANID 1\n..REF {refs}\n..NØ\n1 1\n"
    )


def star(vertices: int) -> shapely.Polygon:
    i = np.arange(vertices)
    angle = 2 * math.pi * i * 0.382 * 7
    radius = 100 + (i % 7) * 10
    ring = np.c_[480_000 + radius * np.cos(angle), 6_600_000 + radius * np.sin(angle)]
    return shapely.Polygon(np.vstack([ring, ring[:1]]))


def write_cases(folder: Path) -> dict[str, str]:
    """Write the inputs; return case name → Python code that reads one."""
    repeats = folder / "ref_repeats.sos"
    repeats.write_text(HEAD + SQUARE + flate(" ".join([":1"] * 100_000)) + ".SLUTT\n")
    value = folder / "value_50mb.sos"
    long_name = f'..FELTNAVN "{"A" * 50_000_000}"\n'
    value.write_text(HEAD + SQUARE + flate(":1 :2", long_name) + ".SLUTT\n")
    big = folder / "object_100mb.sos"
    with big.open("w") as fh:
        fh.write(HEAD + SQUARE + ".KURVE 5:\n..OBJTYPE RpFormålGrense\n..NØ\n")
        fh.writelines(f"{i} {i}\n" for i in range(6_000_000))
        fh.write(flate(":1 :2") + ".SLUTT\n")
    polygons = folder / "star.geojson"
    frame = {"RPAREALFORMÅL": [1111, 1111], "KOMM": ["4022"] * 2, "PLANID": ["a", "b"]}
    geometry = [star(1_000_000), shapely.box(480_000, 6_600_000, 480_050, 6_600_050)]
    gpd.GeoDataFrame(frame, geometry=geometry, crs=25832).to_file(polygons)
    ring = np.rint(shapely.get_coordinates(star(1_000_000).exterior)[:, ::-1] * 100)
    star_sos = folder / "star.sos"
    with star_sos.open("w") as fh:
        fh.write(HEAD + SQUARE + ".KURVE 5:\n..OBJTYPE RpFormålGrense\n..NØ\n")
        fh.writelines(f"{n:.0f} {e:.0f}\n" for n, e in ring)
        fh.write(flate(":5").replace(".FLATE 10:", ".FLATE 11:") + flate(":1 :2") + ".SLUTT\n")
    sosi = "from arealkart.load.sosi import read_sosi\ndata = read_sosi({!r})\n"
    return {
        "SOSI ..REF with 100 000 repeats (300 KB)": sosi.format(str(repeats)),
        "SOSI value of 50 MB": sosi.format(str(value)),
        f"SOSI object of {big.stat().st_size / 1e6:.0f} MB": sosi.format(str(big)),
        "SOSI polygon of 10⁶ self-intersecting vertices": sosi.format(str(star_sos)),
        "GeoJSON polygon of 10⁶ self-intersecting vertices": (
            f"from arealkart import read_plan\ndata = read_plan({str(polygons)!r}, objtype='RP')\n"
        ),
        "query --polygon with that polygon": (
            "from arealkart.ask.places import read_area\nfrom arealkart.errors import QueryError\n"
            f"try:\n    read_area({str(polygons)!r})\nexcept QueryError as exc:\n"
            "    message = str(exc)\n"
        ),
    }


MEASURE = """
import json, resource, time
start = time.perf_counter()
{code}
seconds = time.perf_counter() - start
# VmHWM is this process's own peak (ru_maxrss would start at the parent's size); the
# repair helper's is in RUSAGE_CHILDREN (an upper bound: it starts at this process's size)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
peak = max(int(hwm.split()[1]), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
if "data" in globals():
    outcome = "; ".join(f"{{r.rule}}: {{r.detail[:90]}}" for r in data.issues.itertuples())
    outcome = f"{{len(data.zones)}} zone(s); " + outcome
else:
    outcome = message[-120:]
print(json.dumps({{"seconds": seconds, "peak_mb": peak / 1024, "outcome": outcome}}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        cases = write_cases(Path(folder))
        for name, code in cases.items():
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", MEASURE.format(code=textwrap.dedent(code))],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{name}: read in {result['seconds']:.1f} s "
                f"(process {time.perf_counter() - started:.1f} s), peak {result['peak_mb']:.0f} MB"
            )
            print(f"    {result['outcome']}")


if __name__ == "__main__":
    main()
