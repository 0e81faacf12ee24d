"""``arealkart serve`` as a user runs it: a server on 127.0.0.1 in a subprocess, asked over HTTP.

The server serves a copy of the demo build (it writes ``serve/`` into the build it
serves); it is started once for the module on a free port and stopped at the end.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from arealkart import build
from arealkart.cli.main import main
from arealkart.model.output_layers import GEOPACKAGE, OUTPUT_LAYERS
from arealkart.publish.site import MANIFEST, checksum, read_manifest

pytest.importorskip("pygeoapi", reason="the serve extra: pip install 'arealkart[serve]'")

pytestmark = pytest.mark.slow

SERVED = ["ledige_arealer", "tomter", "soner", "hensynssoner", "sammendrag"]
EPSG25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, **params: str) -> dict:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(url + query, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def refusal(url: str, **params: str) -> int:
    """The HTTP status of a request the server refuses."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(url, **params)
    caught.value.close()
    return caught.value.code


def start(folder: Path, logs: Path) -> tuple[subprocess.Popen, str]:
    """``arealkart serve`` on a free port of 127.0.0.1; returns once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "arealkart",
        "serve",
        "--from",
        str(folder),
        "--port",
        str(port),
    ]
    with (logs / "stdout.txt").open("w") as out, (logs / "stderr.txt").open("w") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((logs / "stderr.txt").read_text(encoding="utf-8"))
        try:
            get(f"{url}/conformance")
            return process, url
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    process.kill()
    raise AssertionError("arealkart serve did not answer within 120 s")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_build) -> Path:
    out = tmp_path_factory.mktemp("served") / "output"
    shutil.copytree(demo_build.files[0].parent, out)
    return out


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    process, url = start(site, tmp_path_factory.mktemp("serve-logs"))
    yield url
    stop(process)


def layer(site: Path, name: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(site / GEOPACKAGE, layer=name)


def every_feature(url: str, name: str, **params: str) -> list[dict]:
    features: list[dict] = []
    while True:
        page = get(
            f"{url}/collections/{name}/items", limit="1000", offset=str(len(features)), **params
        )
        features += page["features"]
        if len(features) >= page["numberMatched"]:
            return features


def ids_of(site: Path, name: str) -> list[str]:
    frame = layer(site, name)
    column = OUTPUT_LAYERS[name].id
    if column is None:
        return list(frame["kommunenummer"] + "-" + frame["kategori"])
    return list(frame[column])


def test_conformance_declares_features_core_and_geojson(server):
    declared = set(get(f"{server}/conformance")["conformsTo"])
    assert {f"{CONFORMANCE}core", f"{CONFORMANCE}geojson"} <= declared


def test_one_collection_per_layer_with_its_titles_and_both_crs(server):
    collections = get(f"{server}/collections")["collections"]
    assert [c["id"] for c in collections] == SERVED
    one = get(f"{server}/collections/ledige_arealer", lang="en")
    assert one["title"] == "Free land"
    assert get(f"{server}/collections/hensynssoner", lang="nn")["title"] == "Omsynssoner"
    assert one["storageCrs"] == EPSG25832
    assert EPSG25832 in one["crs"] and "http://www.opengis.net/def/crs/OGC/1.3/CRS84" in one["crs"]


@pytest.mark.parametrize("name", SERVED)
def test_every_collection_has_the_geopackages_features_and_free_daa(server, site, name):
    features = every_feature(server, name)
    assert [f["id"] for f in features] == ids_of(site, name)
    frame = layer(site, name)
    for column in [c for c in frame.columns if c.endswith("_daa")]:
        served = sum(f["properties"][column] or 0 for f in features)
        assert served == pytest.approx(frame[column].sum(), abs=1e-6), column
    assert get(f"{server}/collections/{name}/items", resulttype="hits")["numberMatched"] == len(
        frame
    )


def test_a_bbox_query_equals_arealkart_query_bbox(server, site, tmp_path, capsys):
    box = "440000,6580000,470000,6610000"  # minE,minN,maxE,maxN in EPSG:25832, as query reads it
    answer = tmp_path / "query.csv"
    assert main_ok(["query", "--from", str(site), "--bbox", box, "--output", str(answer)])
    capsys.readouterr()
    expected = set(pd.read_csv(answer)["ledig_id"])
    served = {
        f["id"]
        for f in every_feature(server, "ledige_arealer", bbox=box, **{"bbox-crs": EPSG25832})
    }
    assert served == expected
    assert 0 < len(served) < len(layer(site, "ledige_arealer"))


def test_property_filters_and_one_feature_by_id(server, site):
    plots = layer(site, "tomter")
    free = every_feature(server, "tomter", status="ledig", va="true")
    expected = plots[(plots["status"] == "ledig") & (plots["va"] == True)]  # noqa: E712
    assert [f["id"] for f in free] == list(expected["tomt_id"])
    first = free[0]["id"]
    one = get(f"{server}/collections/tomter/items/{urllib.parse.quote(first)}", crs=EPSG25832)
    stored = plots.set_index("tomt_id").geometry[first]
    assert shapely.equals_exact(shapely.geometry.shape(one["geometry"]), stored, tolerance=1e-6)
    assert refusal(f"{server}/collections/tomter/items/finst-ikkje") == 404
    assert refusal(f"{server}/collections/tomter/items", pris="billig") == 400
    # a misspelt property is refused, not answered as if it were not there (all features)
    assert refusal(f"{server}/collections/ledige_arealer/items", kategorie="bolig") == 400


def test_gdal_reads_a_collection_back_with_the_same_features(server, site):
    assert "OAPIF" in pyogrio.list_drivers()
    read = pyogrio.read_dataframe(f"OAPIF:{server}", layer="ledige_arealer")
    stored = layer(site, "ledige_arealer")
    assert list(read["ledig_id"]) == list(stored["ledig_id"])
    assert read.crs.to_epsg() == 25832  # GDAL asks for the storage CRS the service offers
    assert read["areal_daa"].sum() == pytest.approx(stored["areal_daa"].sum())
    assert shapely.equals_exact(read.geometry.values, stored.geometry.values, tolerance=1e-6).all()


def test_ctrl_c_stops_the_server_cleanly(site, tmp_path):
    process, url = start(site, tmp_path)
    assert get(f"{url}/collections")["collections"]
    assert stop(process) == 0
    assert "Stopped." in (tmp_path / "stdout.txt").read_text(encoding="utf-8")
    with pytest.raises(urllib.error.URLError):
        get(f"{url}/collections")


def test_the_config_is_written_beside_the_build_and_a_next_build_keeps_it(tmp_path, site):
    out = tmp_path / "output"
    shutil.copytree(site, out)
    assert main_ok(["serve", "--from", str(out), "--write-only", "-q"])
    kept = {p: checksum(out / "serve" / p) for p in ("pygeoapi.yml", "openapi.yml")}
    assert f"data: {(out / GEOPACKAGE).resolve()}" in (out / "serve" / "pygeoapi.yml").read_text(
        encoding="utf-8"
    )
    build(None, out, workers=1, parts=["tables"])
    assert {p: checksum(out / "serve" / p) for p in kept} == kept
    manifest = read_manifest(out)
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert present - manifest.paths() - {MANIFEST} == {"serve/pygeoapi.yml", "serve/openapi.yml"}
    assert not any(path.startswith("serve/") for path in manifest.paths())


def main_ok(argv: list[str]) -> bool:
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code in (0, None)
    return True


def test_a_port_in_use_is_a_clear_error(site, capsys, monkeypatch):
    for name in ("PYGEOAPI_CONFIG", "PYGEOAPI_OPENAPI"):  # serve sets them: restore after
        monkeypatch.setenv(name, "")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        with pytest.raises(SystemExit) as caught:
            main(["serve", "--from", str(site), "--port", port])
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert f"cannot listen on http://127.0.0.1:{port}" in err and "--port" in err
    assert "Traceback" not in err
