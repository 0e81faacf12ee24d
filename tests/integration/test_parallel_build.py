"""The build per municipality: local processes, dask, and the cache (hit, miss, stale, corrupt).

Every build here writes into its own temporary folders, with its own cache folder, from a
copy of the demo data (so a test can change one municipality's plan).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from arealkart import build
from arealkart.config import demo_config_path
from arealkart.pipeline.cache import PAGES, BuildCache
from arealkart.publish.site import MANIFEST, checksum, read_manifest
from helpers import EXE

VINJE = "4036"
ALL = {"4022", "4028", "4030", "4032", "4034", "4036"}


def files_of(folder: Path) -> dict[str, str]:
    """Every published file (the manifest too) by its SHA-256, checked against the manifest."""
    manifest = read_manifest(folder)
    assert manifest is not None, f"{folder} has no manifest"
    present = {
        p.relative_to(folder).as_posix(): checksum(p) for p in folder.rglob("*") if p.is_file()
    }
    assert set(present) == {*manifest.paths(), MANIFEST}
    return present


@pytest.fixture
def demo(tmp_path) -> Path:
    """A copy of the demo's config and data; its config file."""
    folder = tmp_path / "demo"
    shutil.copytree(demo_config_path().parent, folder)
    return folder / demo_config_path().name


def change_a_zone(config: Path) -> None:
    """Vinje's plan: one green zone becomes housing (its free land changes)."""
    path = config.parent / "4036-vinje" / "planer.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    zone = next(f for f in data["features"] if f["properties"]["arealformal"] == 3040)
    zone["properties"]["arealformal"] = 1111
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300, check=False)


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pkl"))


def test_cached_uncached_and_parallel_builds_are_byte_identical(demo, tmp_path):
    cache = tmp_path / "cache"
    cold = build(demo, tmp_path / "cold", workers=2, cache_dir=cache)
    assert sorted(cold.cache.built) == sorted(ALL) and not cold.cache.reused
    assert len(entries(cache)) == 6
    warm = build(demo, tmp_path / "warm", workers=2, cache_dir=cache)
    assert sorted(warm.cache.reused) == sorted(ALL) and not warm.cache.built
    serial = build(demo, tmp_path / "serial", workers=1, cache=False)
    assert serial.cache is None
    reference = files_of(tmp_path / "serial")
    assert files_of(tmp_path / "cold") == reference
    assert files_of(tmp_path / "warm") == reference
    assert len(reference) > 50  # maps, report, GeoJSON, GeoPackage, tables


def test_a_changed_plan_rebuilds_its_municipality_alone(demo, tmp_path):
    cache = tmp_path / "cache"
    build(demo, tmp_path / "first", workers=1, cache_dir=cache, parts=["tables"])
    change_a_zone(demo)
    again = build(demo, tmp_path / "again", workers=1, cache_dir=cache, parts=["tables"])
    assert again.cache.stale == [VINJE]
    assert sorted(again.cache.reused) == sorted(ALL - {VINJE})
    fresh = build(demo, tmp_path / "fresh", workers=1, cache=False, parts=["tables"])
    assert files_of(tmp_path / "again") == files_of(tmp_path / "fresh")
    assert files_of(tmp_path / "again") != files_of(tmp_path / "first")
    assert len(entries(cache)) == 6  # Vinje's old entry replaced, not kept beside the new
    assert again.result.zones.equals(fresh.result.zones)


def test_a_changed_parameter_rebuilds_every_municipality(demo, tmp_path):
    cache = tmp_path / "cache"
    build(demo, tmp_path / "first", workers=1, cache_dir=cache, parts=["tables"])
    text = demo.read_text(encoding="utf-8")
    demo.write_text(text.replace("[parameters]", "[parameters]\nmin_bredde = 12", 1))
    if "[parameters]" not in text:
        demo.write_text(text + "\n[parameters]\nmin_bredde = 12\n", encoding="utf-8")
    again = build(demo, tmp_path / "again", workers=1, cache_dir=cache, parts=["tables"])
    assert sorted(again.cache.stale) == sorted(ALL) and not again.cache.reused


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "other key", "not a result"])
def test_a_corrupt_entry_is_never_used(demo, tmp_path, damage):
    cache = tmp_path / "cache"
    good = build(demo, tmp_path / "first", workers=1, cache_dir=cache, parts=["tables"])
    entry = next(p for p in entries(cache) if p.name.startswith(VINJE))
    header, payload = entry.read_bytes().split(b"\n", 1)
    if damage == "flipped byte":
        middle = len(payload) // 2
        payload = payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1 :]
    elif damage == "truncated":
        payload = payload[: len(payload) // 3]
    elif damage == "other key":
        fields = json.loads(header)
        header = json.dumps({**fields, "key": "0" * 64}).encode()
    else:  # a valid checksum over a pickle of something else
        import hashlib
        import pickle

        payload = pickle.dumps({"zones": []})
        fields = json.loads(header)
        header = json.dumps({**fields, "sha256": hashlib.sha256(payload).hexdigest()}).encode()
    entry.write_bytes(header + b"\n" + payload)
    again = build(demo, tmp_path / "again", workers=1, cache_dir=cache, parts=["tables"])
    assert again.cache.corrupt == [VINJE]
    assert sorted(again.cache.reused) == sorted(ALL - {VINJE})
    assert files_of(tmp_path / "again") == files_of(tmp_path / "first")
    assert again.result.free.equals(good.result.free)
    third = build(demo, tmp_path / "third", workers=1, cache_dir=cache, parts=["tables"])
    assert sorted(third.cache.reused) == sorted(ALL)  # the entry was written anew


def test_no_cache_neither_reads_nor_writes_it(demo, tmp_path):
    cache = tmp_path / "cache"
    build(demo, tmp_path / "first", workers=1, cache_dir=cache, parts=["tables"])
    before = {p.name: p.read_bytes() for p in entries(cache)}
    change_a_zone(demo)
    built = build(demo, tmp_path / "again", workers=1, cache=False, cache_dir=cache)
    assert built.cache is None
    assert {p.name: p.read_bytes() for p in entries(cache)} == before


def test_the_key_follows_the_inputs_labels_and_options(demo):
    from arealkart.config import load_config

    config = load_config(demo)
    store = BuildCache(demo.parent / "cache", config)
    vinje = next(m for m in config.municipalities if m.kommune.nummer == VINJE)
    key = store.key(vinje, keep_going=False)
    assert key == BuildCache(demo.parent / "other", load_config(demo)).key(vinje, False)
    assert store.key(vinje, keep_going=True) != key
    change_a_zone(demo)
    assert store.key(vinje, keep_going=False) != key


def page_entries(cache: Path) -> list[Path]:
    return sorted((cache / PAGES).glob("*.pkl"))


def test_a_changed_plan_makes_its_municipality_pages_alone(demo, tmp_path):
    cache = tmp_path / "cache"
    options = {"workers": 1, "cache_dir": cache, "lang": "nb"}
    first = build(demo, tmp_path / "first", **options)
    assert sorted(first.cache.pages_made) == sorted(ALL) and not first.cache.pages_reused
    assert len(page_entries(cache)) == 6
    change_a_zone(demo)
    again = build(demo, tmp_path / "again", **options)
    assert again.cache.pages_made == [VINJE]
    assert sorted(again.cache.pages_reused) == sorted(ALL - {VINJE})
    fresh = build(demo, tmp_path / "fresh", workers=1, cache=False, lang="nb")
    assert fresh.cache is None
    assert files_of(tmp_path / "again") == files_of(tmp_path / "fresh")
    before, after = files_of(tmp_path / "first"), files_of(tmp_path / "again")
    changed = {path for path in after if before.get(path) != after[path]}
    pages = {(path.split("/")[0], Path(path).name) for path in changed}
    assert {("kart", "vinje.html"), ("rapport", "vinje.html")} <= pages
    assert ("kart", "seljord.html") not in pages and ("rapport", "tokke.html") not in pages
    assert "geojson/vinje-ledig.geojson" in changed
    assert "geojson/tokke-tomter.geojson" not in changed
    assert ("kart", "vest-telemark.html") in pages  # the region's pages hold Vinje's land
    assert len(page_entries(cache)) == 6  # Vinje's old pages replaced


def test_pages_are_made_anew_for_other_options_and_for_a_damaged_entry(demo, tmp_path):
    cache = tmp_path / "cache"
    build(demo, tmp_path / "nb", workers=1, cache_dir=cache, lang="nb", parts=["maps"])
    english = build(demo, tmp_path / "en", workers=1, cache_dir=cache, lang="en", parts=["maps"])
    assert sorted(english.cache.pages_made) == sorted(ALL)  # the language is in the key
    entry = next(p for p in page_entries(cache) if p.name.startswith(VINJE))
    data = bytearray(entry.read_bytes())
    data[-100] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = build(demo, tmp_path / "again", workers=1, cache_dir=cache, lang="en", parts=["maps"])
    assert again.cache.pages_made == [VINJE]
    assert files_of(tmp_path / "again") == files_of(tmp_path / "en")


def test_the_cli_says_what_it_reused(demo, tmp_path):
    cache = tmp_path / "cache"
    args = ["build", "--config", str(demo), "--workers", "1", "--cache", str(cache)]
    first = run_cli(*args, "--output", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert "Cache: 0 of 6 municipalities reused; built anew: " in first.stdout
    change_a_zone(demo)
    second = run_cli(*args, "--output", str(tmp_path / "b"))
    assert second.returncode == 0, second.stderr
    assert (
        "Cache: 5 of 6 municipalities reused; built anew: Vinje (changed); "
        "their pages: 5 reused, 1 made anew" in second.stdout
    )
    off = run_cli(*args, "--output", str(tmp_path / "c"), "--no-cache")
    assert "Cache: not used (--no-cache)" in off.stdout


# --- dask.distributed ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A dask LocalCluster of two worker processes on 127.0.0.1, closed after the module."""
    distributed = pytest.importorskip("distributed", reason="arealkart[dask] is not installed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # its HTTP server on a free port, loopback only
    ) as local:
        yield local


def test_a_dask_cluster_builds_the_same_bytes(demo, tmp_path, cluster):
    from distributed import Client

    local = build(demo, tmp_path / "local", workers=1, cache=False)
    with Client(cluster) as client:
        remote = build(demo, tmp_path / "dask", scheduler=client, cache=False)
        assert client.status == "running"  # a client passed in is left open
    assert files_of(tmp_path / "dask") == files_of(tmp_path / "local")
    assert remote.result.free.equals(local.result.free)


def test_the_cli_runs_on_a_scheduler_address(demo, tmp_path, cluster):
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    done = run_cli(
        "build", "--config", str(demo), "--output", str(tmp_path / "ut"),
        "--scheduler", address, "--no-cache", "--lang", "nn",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reference = build(demo, tmp_path / "ref", workers=1, cache=False, lang="nn")
    assert files_of(tmp_path / "ut") == files_of(Path(reference.files[0]).parent)
