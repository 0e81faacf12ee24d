"""The output folder as a published site: one whole build, no stale or foreign files.

Builds run as a user runs them (the ``arealkart`` command in a subprocess) where a test
kills them; devices and FIFOs are made inside the test's temporary folder, never the
machine's own.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from arealkart import build
from arealkart.errors import ConfigError, OutputError, QueryError
from arealkart.model.output_layers import GEOPACKAGE
from arealkart.publish.export import spreadsheet_safe, write_csv
from arealkart.publish.site import MANIFEST, PAUSE_AT, checksum, read_manifest
from helpers import DEMO, EXE


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )


def whole_build(folder: Path) -> dict[str, str]:
    """Check ``folder`` holds exactly one build: the files its manifest lists, unchanged."""
    manifest = read_manifest(folder)
    assert manifest is not None, f"{folder} has no manifest"
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert present == sorted([*manifest.paths(), MANIFEST])
    for entry in manifest.files:
        assert checksum(folder / entry["path"]) == entry["sha256"], entry["path"]
    return {str(e["path"]): str(e["sha256"]) for e in manifest.files}


def staging_folders(output: Path) -> list[Path]:
    return sorted(output.parent.glob(f".{output.name}.arealkart-*"))


def one_municipality_config(folder: Path, *, navn: str = "Vinje", slug: str = "vinje-kart") -> Path:
    """A region of Vinje alone, from a copy of the demo's Vinje files."""
    shutil.copytree(DEMO / "4036-vinje", folder / "4036-vinje")
    config = folder / "vinje.toml"
    config.write_text(
        f'[region]\nnavn = "{navn}"\nslug = "{slug}"\n\n[[kommune]]\nkommune = "Vinje"\n'
        'plans = ["4036-vinje/planer.geojson"]\n'
        'buildings = ["4036-vinje/bygninger.geojson"]\n'
        'constraints = ["4036-vinje/hensynssoner.geojson"]\n'
        'plots = [{ register = "4036-vinje/tomteregister.csv", '
        'geometry = "4036-vinje/tomter.geojson" }]\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_build) -> Path:
    """A copy of the demo build (a published folder with its manifest)."""
    out = tmp_path_factory.mktemp("site") / "output"
    shutil.copytree(demo_build.files[0].parent, out)
    return out


# --- the manifest and the whole swap -----------------------------------------------------------


def test_the_manifest_lists_every_file_with_its_checksum_and_the_inputs(site):
    files = whole_build(site)
    assert "arealkart.gpkg" in files and "kart/index.html" in files
    raw = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    assert raw["arealkart"] and len(raw["fingerprint"]) == 64
    assert raw["config"]["path"] == "vest-telemark.toml"
    inputs = {entry["path"]: entry for entry in raw["inputs"]}
    entry = inputs["4036-vinje/planer.geojson"]
    assert entry["sha256"] == checksum(DEMO / "4036-vinje" / "planer.geojson")
    assert entry["bytes"] == (DEMO / "4036-vinje" / "planer.geojson").stat().st_size


def test_a_new_build_removes_what_the_previous_build_wrote_and_it_did_not(tmp_path, site):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    assert (out / "kart" / "seljord.html").exists()
    config = one_municipality_config(tmp_path)
    done = run_cli("build", "-q", "--config", str(config), "--output", str(out))
    assert done.returncode == 0, done.stderr
    files = whole_build(out)
    assert not (out / "kart" / "seljord.html").exists()
    assert not (out / "geojson" / "vest-telemark-ledig.geojson").exists()
    assert "kart/vinje-kart.html" in files and "kart/vinje.html" in files
    vinje = (out / "kart" / "vinje.html").read_text(encoding="utf-8")
    assert "en/vinje.html" not in vinje  # no English twin from an earlier, other build
    assert staging_folders(out) == []


def test_pages_of_the_same_inputs_are_kept_and_linked_as_language_twins(tmp_path):
    out = tmp_path / "output"
    first = run_cli("build", "-q", "--lang", "nn", "--output", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr
    before = whole_build(out)
    assert "kart/vinje.html" in before
    assert not any(k.startswith(("kart/nb/", "kart/en/")) for k in before)
    done = run_cli(
        "map", "-q", "--lang", "en", "--lang", "nb", "--output", str(out), "--workers", "1"
    )
    assert done.returncode == 0, done.stderr
    after = whole_build(out)
    assert {k: v for k, v in after.items() if k in before and not k.endswith("index.html")} == {
        k: v for k, v in before.items() if not k.endswith("index.html")
    }
    assert {"kart/en/vinje.html", "kart/nb/vinje.html", "kart/nb/index.html"} <= set(after)
    index = (out / "kart" / "index.html").read_text(encoding="utf-8")
    assert 'href="nb/index.html"' in index and 'href="en/index.html"' in index
    english = (out / "kart" / "en" / "vinje.html").read_text(encoding="utf-8")
    assert 'href=\\"../vinje.html\\" lang=\\"nn\\"' in english
    assert 'href=\\"../nb/vinje.html\\" lang=\\"nb\\"' in english


def test_a_rebuild_of_the_same_input_is_byte_identical(tmp_path, site):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    build(None, out, workers=1)
    assert whole_build(out) == whole_build(site)
    assert (out / MANIFEST).read_bytes() == (site / MANIFEST).read_bytes()


# --- foreign files, odd output paths, slugs, the lock ------------------------------------------


def test_a_folder_with_files_arealkart_did_not_write_is_refused_unless_forced(tmp_path, site):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    (out / "kart" / "kontakt.html").write_text("<p>Ring oss</p>", encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    done = run_cli("build", "-q", "--output", str(out), "--workers", "1")
    assert done.returncode == 1
    assert "did not write" in done.stderr and "kart/kontakt.html" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    forced = run_cli("build", "-q", "--output", str(out), "--workers", "1", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "kart" / "kontakt.html").read_text(encoding="utf-8") == "<p>Ring oss</p>"
    assert "kart/kontakt.html" not in read_manifest(out).paths()


@pytest.mark.parametrize("where", ["home", "repository"])
def test_a_folder_of_other_files_is_never_taken_over(tmp_path, where):
    folder = tmp_path / where
    folder.mkdir()
    (folder / ("notater.txt" if where == "home" else "pyproject.toml")).write_text("x")
    with pytest.raises(OutputError, match="did not write"):
        build(None, folder, workers=1, parts=["tables"])


def test_an_empty_output_path_is_refused(tmp_path):
    done = run_cli("build", "-q", "--output", "", cwd=tmp_path)
    assert done.returncode == 1 and "empty path" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_region_slug_equal_to_a_municipality_is_a_config_error_before_any_writing(tmp_path):
    config = one_municipality_config(tmp_path, slug="vinje")
    out = tmp_path / "ut"
    done = run_cli("build", "-q", "--config", str(config), "--output", str(out))
    assert done.returncode == 1, done.stderr
    assert "slug 'vinje' is also Vinje's page" in done.stderr
    assert not out.exists()
    with pytest.raises(ConfigError, match="also Vinje's page"):
        build(config, out)


def test_a_second_build_into_the_same_folder_is_stopped(tmp_path):
    import fcntl

    out = tmp_path / "output"
    lock = tmp_path / ".output.arealkart.lock"
    with lock.open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build holds it
        done = run_cli("build", "-q", "--output", str(out))
    assert done.returncode == 1 and "another arealkart build is writing" in done.stderr
    assert not out.exists()


def test_too_little_free_space_is_a_warning_before_any_data_is_read(tmp_path, caplog):
    from arealkart.publish.site import preflight

    free = shutil.disk_usage(tmp_path).free
    with caplog.at_level("WARNING", logger="arealkart.publish.site"):
        assert preflight(tmp_path / "ut", expected_bytes=free * 2) == tmp_path / "ut"
    assert "MB free where the build needs about" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="arealkart.publish.site"):
        preflight(tmp_path / "ut", expected_bytes=1000)
    assert caplog.text == ""


def test_relative_input_paths_may_not_leave_the_config_folder(tmp_path):
    (tmp_path / "region").mkdir()
    config = tmp_path / "region" / "r.toml"
    config.write_text('[[kommune]]\nkommune = "Vinje"\nplans = ["../planer.geojson"]\n')
    with pytest.raises(ConfigError, match="points outside the config's folder"):
        build(config, tmp_path / "ut")


# --- write errors are the user's, with the cause ------------------------------------------------


def test_a_full_disk_is_a_clear_error_and_the_previous_output_stays(tmp_path, site, monkeypatch):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr("arealkart.publish.outputs.write_feature_texts", full)
    with pytest.raises(OutputError, match="the disk is full"):
        build(None, out, workers=1)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert staging_folders(out) == []


@contextlib.contextmanager
def small_tmpfs(folder: Path, options: str):
    """A tmpfs mounted at ``folder`` (inside the test's temporary folder) for the block."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_tmpfs_is_reported_as_a_full_disk(tmp_path):
    with small_tmpfs(tmp_path / "disk", "size=600k") as disk:
        done = run_cli("build", "-q", "--output", str(disk / "output"), "--workers", "1")
        assert done.returncode == 1, done.stderr
        assert "the disk is full" in done.stderr and "Traceback" not in done.stderr
        assert not (disk / "output").exists()
        assert staging_folders(disk / "output") == []


def test_a_read_only_folder_is_refused_before_any_data_is_read(tmp_path):
    folder = tmp_path / "ro"
    with contextlib.ExitStack() as stack:
        if os.geteuid() == 0:  # root writes anywhere: a read-only file system is the test
            stack.enter_context(small_tmpfs(folder, "ro,size=64k"))
        else:
            folder.mkdir(mode=0o555)
        done = run_cli("build", "-q", "--output", str(folder / "output"))
        assert done.returncode == 1
        assert "read-only or not writable" in done.stderr and "Traceback" not in done.stderr


# --- query and export targets ------------------------------------------------------------------


def test_query_and_export_never_write_into_the_build(tmp_path, site):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    before = whole_build(out)
    for args in (
        ["query", "--from", str(out), "--output", str(out / GEOPACKAGE)],
        ["query", "--from", str(out), "--format", "csv", "--output", str(out / "kart/index.html")],
        ["export", "--from", str(out), "--layer", "tomter", "--output", str(out / "t.csv")],
    ):
        done = run_cli(*args)
        assert done.returncode == 2 and "inside the build folder" in done.stderr, args
    assert whole_build(out) == before


def test_dash_writes_to_standard_output(site):
    done = run_cli(
        "export", "--from", str(site), "--layer", "sammendrag", "--format", "csv", "--output", "-"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kommunenummer,kommune,kategori")
    done = run_cli(
        "query", "--from", str(site), "--kommune", "Vinje", "--format", "geojson", "--output", "-"
    )
    assert done.returncode == 0 and json.loads(done.stdout)["type"] == "FeatureCollection"


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path, site):
    fifo = tmp_path / "rør"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = run_cli(
        "export",
        "--from",
        str(site),
        "--layer",
        "sammendrag",
        "--format",
        "csv",
        "--output",
        str(fifo),
    )
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith(b"kommunenummer,kommune,kategori")


def test_a_character_device_is_written_through_and_stays_a_device(tmp_path, site):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a null device of our own
    except PermissionError:
        pytest.skip("mknod is not allowed here")
    done = run_cli(
        "export",
        "--from",
        str(site),
        "--layer",
        "tomter",
        "--format",
        "csv",
        "--output",
        str(device),
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(device.stat().st_mode)
    assert device.read_bytes() == b""


def test_a_symlink_target_is_followed_not_replaced(tmp_path, site):
    real = tmp_path / "ekte.csv"
    real.write_text("old")
    link = tmp_path / "lenke.csv"
    link.symlink_to(real)
    done = run_cli("export", "--from", str(site), "--layer", "sammendrag", "--output", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and real.read_text().startswith("kommunenummer")


def test_a_broken_spatial_index_is_an_error_not_an_empty_answer(tmp_path, site):
    import sqlite3

    out = tmp_path / "output"
    shutil.copytree(site, out)
    with contextlib.closing(sqlite3.connect(out / GEOPACKAGE)) as db, db:
        db.execute("DELETE FROM rtree_ledige_arealer_geom")
    done = run_cli("query", "--from", str(out), "--near", "Åmot", "--within-km", "5")
    assert done.returncode == 2 and "spatial index" in done.stderr and "damaged" in done.stderr


def test_a_geopackage_missing_a_column_is_a_clear_error(tmp_path, site):
    import sqlite3

    out = tmp_path / "output"
    shutil.copytree(site, out)
    with contextlib.closing(sqlite3.connect(out / GEOPACKAGE)) as db, db:
        db.execute("ALTER TABLE ledige_arealer DROP COLUMN kategori")
    done = run_cli("query", "--from", str(out), "--kategori", "bolig")
    assert done.returncode == 2 and "has no column 'kategori'" in done.stderr
    assert "Traceback" not in done.stderr
    with pytest.raises(QueryError, match="no column 'kategori'"):
        from arealkart import query

        query(out, kategori="bolig")


# --- safe CSV and precision ---------------------------------------------------------------------


def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(tmp_path):
    risky = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\ry", "BFS1", None]
    frame = pd.DataFrame({"plan_navn": risky, "areal_m2": [-1.0] * len(risky)})
    path = write_csv(frame, tmp_path / "t.csv")
    table = pd.read_csv(path, keep_default_na=False)
    assert list(table["plan_navn"]) == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\ny",  # a carriage return would split the row: it is written as a line feed
        "BFS1",
        "",
    ]
    assert list(table["areal_m2"]) == [-1.0] * len(risky)  # numbers are numbers, not text
    assert spreadsheet_safe(frame)["plan_navn"].iloc[6] == "BFS1"


def test_a_formula_in_a_plan_name_is_text_in_csv_and_raw_in_geojson(tmp_path):
    config = one_municipality_config(tmp_path)
    plans = tmp_path / "4036-vinje" / "planer.geojson"
    data = json.loads(plans.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"][
            "plannavn" if "plannavn" in feature["properties"] else "plan_navn"
        ] = "=1+1"
    plans.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "ut"
    build(config, out, workers=1, parts=["tables", "geojson"])
    free = json.loads((out / "geojson" / "vinje-kart-ledig.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["plan_navn"] for f in free["features"]} == {"=1+1"}
    export = tmp_path / "ledig.csv"
    done = run_cli("export", "--from", str(out), "--output", str(export))
    assert done.returncode == 0, done.stderr
    assert set(pd.read_csv(export)["plan_navn"]) == {"'=1+1"}


def test_areas_daa_and_shares_are_written_at_the_documented_precision(site):
    import pyogrio

    def decimals(value: float) -> int:
        text = repr(float(value))
        return len(text.split(".")[1]) if "." in text and "e" not in text else 0

    free = json.loads((site / "geojson" / "vest-telemark-ledig.geojson").read_text("utf-8"))
    props = [f["properties"] for f in free["features"]]
    assert max(decimals(p["areal_m2"]) for p in props) <= 2
    assert max(decimals(p["areal_daa"]) for p in props) <= 4
    zones = pyogrio.read_dataframe(site / GEOPACKAGE, layer="soner", read_geometry=False)
    for column, most in (("ledig_m2", 2), ("ledig_daa", 4), ("utbygd_andel", 4)):
        assert max(decimals(v) for v in zones[column].dropna()) <= most, column
    summary = pd.read_csv(site / "sammendrag.csv")
    assert max(decimals(v) for v in summary["ledig_m2"]) <= 2


# --- kill -9 at any moment ----------------------------------------------------------------------


def _wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stage_has(out: Path, name: str):
    return lambda: any((s / name).exists() for s in staging_folders(out) if s.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize(
    "moment",
    [
        "after 0.5 s",
        "staging folder made",
        "GeoPackage staged",
        "staged",
        "before-swap",
        "after-swap",
    ],
)
def test_kill_9_at_any_moment_leaves_one_whole_build_and_no_orphan(tmp_path, site, moment):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    old = whole_build(out)
    config = one_municipality_config(tmp_path)  # another build, so old and new differ
    paused = tmp_path / "paused"
    env = {**os.environ, PAUSE_AT: f"{moment}:{paused}"}  # the build waits there to be killed
    process = subprocess.Popen(
        [EXE, "build", "-q", "--config", str(config), "--output", str(out), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # its own process group: its workers can be found after
    )
    conditions = {
        "after 0.5 s": lambda: time.sleep(0.5) or True,
        "staging folder made": lambda: any(s.is_dir() for s in staging_folders(out)),
        "GeoPackage staged": _stage_has(out, GEOPACKAGE),
    }
    reached = _wait_for(conditions.get(moment, paused.exists), timeout=120)
    assert reached and process.poll() is None, f"the build was not caught at {moment!r}"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert _wait_for(lambda: not _group_alive(process.pid), timeout=20), "workers outlived it"
    now = whole_build(out)  # one whole build: the old one or the new one
    assert now == old or "kart/vinje-kart.html" in now
    if moment == "after-swap":
        assert "kart/vinje-kart.html" in now
    if moment in ("staged", "before-swap"):
        assert now == old
    done = run_cli("build", "-q", "--config", str(config), "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "kart/vinje-kart.html" in whole_build(out)
    assert staging_folders(out) == []


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_build_that_cleans_up(tmp_path, site, how):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    old = whole_build(out)
    config = one_municipality_config(tmp_path)
    paused = tmp_path / "paused"
    process = subprocess.Popen(
        [EXE, "build", "-q", "--config", str(config), "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, PAUSE_AT: f"staged:{paused}"},
    )
    assert _wait_for(paused.exists, timeout=120)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and b"Aborted." in stderr
    assert whole_build(out) == old
    assert staging_folders(out) == []  # removed by the build itself, not left for the next


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_kill_9_during_the_free_land_stage_takes_its_workers_with_it(tmp_path):
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to see the worker processes")
    process = subprocess.Popen(
        [EXE, "build", "-q", "--output", str(tmp_path / "output"), "--workers", "2", "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait_for(lambda: len(_children(process.pid)) >= 2, timeout=120), "no workers seen"
        workers = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert _wait_for(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), 20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_the_machine_devices_are_devices():
    for device in ("/dev/null", "/dev/full"):
        if Path(device).exists():
            assert stat.S_ISCHR(Path(device).stat().st_mode), f"{device} is no longer a device"
