"""Bounded work: reader limits, and polygon repair that times out and can be interrupted.

The hostile cases of the issue at full size (a 50 MB SOSI value, a 10⁶-vertex
self-intersecting polygon) run in a child process whose peak memory is measured; the
others use small inputs and low limits set with ``reading_limits``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_sosi import balanced, curve, flate, head, square_curves, write

from arealkart.errors import ConfigError, QueryError, SosiError
from arealkart.load import read_plan
from arealkart.load.limits import LIMITS, reading_limits
from arealkart.load.repair import check_and_repair
from arealkart.load.sosi import _stream, read_sosi
from builders import star
from helpers import run_cli

GIB = 1 << 30


def plan_layer(path, geoms, crs="EPSG:25832"):
    n = len(geoms)
    frame = {
        "RPAREALFORMÅL": [1111] * n,
        "KOMM": ["4022"] * n,
        "PLANID": [f"p{i}" for i in range(n)],
    }
    gpd.GeoDataFrame(frame, geometry=list(geoms), crs=crs).to_file(path)
    return path


def square(x0=480_000.0, y0=6_600_000.0, size=50.0):
    return shapely.box(x0, y0, x0 + size, y0 + size)


def helper_processes() -> list[int]:
    """Pids of this process's children that run the repair helper."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if ppid == os.getpid() and b"_repair_worker" in cmdline:
                found.append(int(entry.name))
    return found


def run_child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON dict, to which the peak
    memory of the child and of its own children (the repair helper) is added."""
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, resource
        # VmHWM: this process's own peak (ru_maxrss would start at pytest's size);
        # the repair helper's is in RUSAGE_CHILDREN (an upper bound)
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = max(int(hwm.split()[1]), children)
        print(json.dumps({**RESULT, "peak_bytes": peak * 1024}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the limits themselves --------------------------------------------------------------


def test_limits_change_only_inside_the_with_block():
    with reading_limits(max_vertices=10, repair_seconds=0.5) as limits:
        assert (limits.max_vertices, limits.repair_seconds) == (10, 0.5)
        assert check_and_repair(np.array([star(50)])).failed
    assert not check_and_repair(np.array([square()])).failed
    assert LIMITS.max_vertices == 2_000_000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_vertex": 5}, r"unknown limits \['max_vertex'\]"),
        ({"max_vertices": 0}, "positive whole number"),
        ({"max_vertices": 2.5}, "positive whole number"),
        ({"max_vertices": True}, "positive whole number"),
        ({"repair_seconds": math.inf}, "positive number of seconds"),
        ({"repair_seconds": "10"}, "positive number of seconds"),
    ],
)
def test_bad_limits_are_config_errors(changes, message):
    with pytest.raises(ConfigError, match=message), reading_limits(**changes):
        pass


# --- SOSI: values, objects, references ----------------------------------------------------


def test_a_value_over_the_limit_is_left_empty_and_flagged(tmp_path):
    long_name = '"' + "A" * 5_000 + '"'
    zone = flate(
        10, ":1 :2", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110", "FELTNAVN": long_name}
    )
    path = write(tmp_path, head() + square_curves(10_000) + zone + ".SLUTT\n")
    with reading_limits(max_value_chars=1_000):
        data = read_sosi(path)
    (row,) = data.issues.itertuples()
    assert (row.feature, row.rule, row.action) == ("FLATE 10", "ugyldig_verdi", "flagged")
    assert "..FELTNAVN (5002 characters)" in row.detail and "max_value_chars" in row.detail
    assert len(data.zones) == 1 and pd.isna(data.zones.iloc[0]["feltnavn"])
    assert data.zones.iloc[0].geometry.area == pytest.approx(10_000)
    assert balanced(data)


def test_a_head_value_over_the_limit_is_a_clear_error(tmp_path):
    text = head().replace("..SOSI-VERSJON 4.5", '..SOSI-VERSJON 4.5\n..OMRÅDE "' + "x" * 2000 + '"')
    with (
        reading_limits(max_value_chars=1_000),
        pytest.raises(
            SosiError, match=r"plan\.sos, line 8: \.\.OMRÅDE in \.HODE is 2002 characters long"
        ),
    ):
        read_sosi(write(tmp_path, text + ".SLUTT\n"))


@pytest.mark.parametrize("block_size", [1 << 22, 700])
def test_an_object_over_the_limit_is_skipped_and_the_rest_is_read(
    tmp_path, monkeypatch, block_size
):
    monkeypatch.setattr(_stream, "BLOCK_SIZE", block_size)
    long_curve = curve(5, [(0, i) for i in range(2_000)])  # about 20 kB
    zone = flate(10, ":1 :2", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"})
    needs_long = flate(11, ":5", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"})
    text = head() + square_curves(10_000) + long_curve + zone + needs_long + ".SLUTT\n"
    path = write(tmp_path, text)
    with reading_limits(max_object_bytes=4_096):
        data = read_sosi(path)
    assert list(data.zones["zone_id"]) == ["id-10"]
    issues = data.issues.set_index("feature")
    assert issues.loc["KURVE 5", "rule"] == "objekt_for_stort"
    assert f"is {len(long_curve.encode()) - 1} bytes long" in issues.loc["KURVE 5", "detail"]
    assert issues.loc["FLATE 11", "rule"] == "geometri_feil"
    assert balanced(data)
    # the line numbers after the skipped object are still right
    bad = text.replace(
        ".SLUTT\n", curve(6, [(0, 0), (1, 1)]).replace("\n1 1\n", "\n1 x\n") + ".SLUTT\n"
    )
    with reading_limits(max_object_bytes=4_096):
        data = read_sosi(write(tmp_path, bad))
    expected_line = bad.count("\n", 0, bad.index("1 x")) + 1
    assert f"line {expected_line}: " in data.issues.set_index("feature").loc["KURVE 6", "detail"]


def test_a_ref_too_long_to_parse_is_one_issue_row(tmp_path):
    zone = flate(10, " ".join([":1 :2"] * 3_000), "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"})
    with reading_limits(max_refs=100):
        data = read_sosi(write(tmp_path, head() + square_curves(10_000) + zone + ".SLUTT\n"))
    (detail,) = data.issues.loc[data.issues["rule"] == "geometri_feil", "detail"]
    assert "the ..REF is" in detail and "at most 1600 are read" in detail
    assert balanced(data)


def test_a_50_mb_value_reads_in_bounded_memory(tmp_path):
    zone = flate(
        10,
        ":1 :2",
        "RpArealformålOmråde",
        {"RPAREALFORMÅL": "1110", "FELTNAVN": '"' + "A" * 50_000_000 + '"'},
    )
    path = write(tmp_path, head() + square_curves(10_000) + zone + ".SLUTT\n")
    result = run_child(
        f"""
        from arealkart.load.sosi import read_sosi
        data = read_sosi({str(path)!r})
        RESULT = {{"zones": len(data.zones), "rules": list(data.issues["rule"])}}
        """
    )
    assert result["zones"] == 1 and "ugyldig_verdi" in result["rules"]
    assert result["peak_bytes"] < GIB


# --- polygon repair -----------------------------------------------------------------------


def test_a_polygon_whose_repair_does_not_end_is_one_issue_row(tmp_path):
    path = plan_layer(tmp_path / "plan.geojson", [star(1_000), square(), square(480_100)])
    with reading_limits(repair_seconds=0.5):
        data = read_plan(path, objtype="RP")
    assert len(data.zones) == 2
    (row,) = data.issues.itertuples()
    assert (row.rule, row.action) == ("geometri_feil", "unreadable")
    assert "took more than 0.5 s (limit repair_seconds)" in row.detail


def test_invalid_polygons_are_still_repaired_beside_one_that_times_out():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    with reading_limits(repair_seconds=0.5):
        result = check_and_repair(np.array([bowtie, star(1_000), bowtie, square()]))
    assert set(result.failed) == {1} and set(result.reasons) == {0, 2}
    assert "Self-intersection" in result.reasons[0]
    assert shapely.area(result.geometries[0]) == pytest.approx(50)
    assert result.geometries[3].equals(square())
    assert len(helper_processes()) == 1  # the one stopped at the timeout is gone


def test_a_polygon_over_the_vertex_limit_is_not_checked(tmp_path):
    big = shapely.Point(480_000, 6_600_000).buffer(40, quad_segs=100)  # 401 vertices
    path = plan_layer(tmp_path / "plan.geojson", [big, square(480_100)])
    with reading_limits(max_vertices=400):
        data = read_plan(path, objtype="RP")
    assert len(data.zones) == 1
    (detail,) = data.issues["detail"]
    assert "has 401 vertices; at most 400 are read (limit max_vertices)" in detail


def test_ctrl_c_stops_a_repair_at_once_and_leaves_no_helper():
    main_thread = threading.main_thread().ident
    timer = threading.Timer(0.5, signal.pthread_kill, (main_thread, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt), reading_limits(repair_seconds=60):
        check_and_repair(np.array([star(1_000)]))
    timer.join()
    assert helper_processes() == []


def star_sosi(path):
    """:func:`star` of 10⁶ vertices as one SOSI curve and zone, beside a square zone."""
    ring = shapely.get_coordinates(star(1_000_000).exterior)
    points = np.rint(ring[:, ::-1] * 100).astype(np.int64)  # north east, in cm
    zone = {"RPAREALFORMÅL": "1110"}
    text = curve(1, points.tolist()) + flate(10, ":1", "RpArealformålOmråde", zone)
    text += square_curves(5_000, first=2) + flate(11, ":2 :3", "RpArealformålOmråde", zone)
    path.write_text(head() + text + ".SLUTT\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["geojson", "sos"])
def test_a_million_vertex_self_intersecting_polygon(tmp_path, kind):
    if kind == "geojson":
        path = plan_layer(tmp_path / "star.geojson", [star(1_000_000), square()])
    else:
        path = star_sosi(tmp_path / "star.sos")
    result = run_child(
        f"""
        from arealkart.load import read_plan
        data = read_plan({str(path)!r}, objtype="RP", kommune="4036")
        rows = data.issues[["rule", "detail"]].values.tolist()
        RESULT = {{"zones": len(data.zones), "rows": rows}}
        """
    )
    assert result["zones"] == 1
    ((rule, detail),) = result["rows"]
    assert rule == "geometri_feil" and "(1000001 vertices) took more than 10 s" in detail
    assert result["peak_bytes"] < GIB


def test_query_polygon_and_info_end_with_a_clear_message(tmp_path, capsys, demo_build):
    path = plan_layer(tmp_path / "omrade.geojson", [star(1_000)])
    with reading_limits(repair_seconds=0.5), pytest.raises(QueryError, match="feature 0: checking"):
        from arealkart.ask.places import read_area

        read_area(path)
    out = str(demo_build.files[0].parent)

    for argv in (["query", "--from", out, "--polygon", str(path)], ["info", str(path)]):
        with reading_limits(repair_seconds=0.5):
            code, stdout, stderr = run_cli(argv, capsys)
        assert "Traceback" not in stderr
        if argv[0] == "query":
            assert code == 2 and "took more than 0.5 s (limit repair_seconds)" in stderr
        else:
            assert code == 0 and "issues: 1 (unreadable 1)" in stdout
