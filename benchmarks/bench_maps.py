"""Map size and drawing speed: arealkart's maps against ``GeoDataFrame.explore()``.

Generates synthetic zones (one free area each, random category, 600–6 000 m², 8-vertex
polygons) inside Vest-Telemark's real borders, writes a region map of them with
:func:`arealkart.publish.maps.build_map` and the same features with ``GeoDataFrame.explore()``,
and opens both in headless Chromium (offline, as the browser tests do).  Prints, per size:
the HTML size, the time from navigation start until every feature is drawn, and for
arealkart's map the time a zoom, a pan and a filter change take until the next frame.

    .venv/bin/python benchmarks/bench_maps.py [--sizes 1000 10000 50000] [--keep DIR]
    .venv/bin/python benchmarks/bench_maps.py --tiles [--sizes 50000 200000]

With ``--tiles``, the region page that carries its areas is set against the page drawn
from vector tiles (:mod:`arealkart.publish.maps.tiles`): both are served over HTTP on
127.0.0.1 by :func:`arealkart.serve.files.file_server`, and it prints, per size, the
page's size and the archive's, the seconds to write each, the time until the opening view
is drawn (every area for the embedded page; the tiles of the view for the tiled one) and
the time a zoom and a pan take until the map is drawn again (for the tiled page: until its
new tiles are drawn).

Needs the test set-up (Playwright, Chromium, ``.cache/map-assets``) and, for
``explore()``: ``pip install -e '.[bench]'`` (mapclassify; matplotlib comes with arealkart).

Targets: HTML ≤ 1/3 of explore()'s; all features drawn in ≤ 2 s at 10 000 zones; the
50 000-zone region map stays responsive.  explore()'s extra CSS/JS (jQuery, Bootstrap,
Font Awesome …) are answered with empty files here, which only flatters explore().
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]  # browser, helpers

from arealkart.available.parameters import Parameters  # noqa: E402
from arealkart.available.rule import AvailableLand  # noqa: E402
from arealkart.model.schema import CRS  # noqa: E402
from arealkart.publish.maps import build_map, save_map  # noqa: E402
from arealkart.publish.maps.assets import npm_source  # noqa: E402
from arealkart.publish.maps.tiles import write_tiles  # noqa: E402
from arealkart.publish.summary import summarise  # noqa: E402
from arealkart.registry.kommuner import boundaries  # noqa: E402
from browser import VIEWPORT, Offline, ensure_assets, launch  # noqa: E402

CATEGORIES = np.array(["bolig", "fritid", "kombinert", "naering"])
VERTICES = 8

PROBE = """
window.__bench = {drawnAt: null, count: 0};
(function loop() {
  var n = 0;
  if (window.arealkart) {
    if (window.arealkart.ready) {
      var d = window.arealkart.drawn();
      n = d.bolig + d.fritid + d.kombinert + d.naering;
    }
  } else {
    n = document.querySelectorAll("path.leaflet-interactive").length;
  }
  window.__bench.count = n;
  if (n >= TARGET) {
    window.__bench.drawnAt = window.arealkart ? window.arealkart.drawnAt : performance.now();
    return;
  }
  requestAnimationFrame(loop);
})();
"""

INTERACT = """
async (action) => {
  const map = window.arealkart.map;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  await frame();
  const t0 = performance.now();
  if (action === "zoom") { map.setZoom(map.getZoom() + 1, {animate: false}); }
  if (action === "pan") { map.panBy([300, 150], {animate: false}); }
  if (action === "filter") {
    const input = document.querySelector(".ak-filter input[name=min_daa]");
    input.value = "2";
    input.dispatchEvent(new Event("input", {bubbles: true}));
  }
  await frame();
  await frame();
  return performance.now() - t0;
}
"""


TILED_INTERACT = """
async (action) => {
  const map = window.arealkart.map, layer = window.arealkart.tiles.layer;
  const t0 = performance.now();
  const drawn = new Promise((resolve) => {
    layer.once("load", () => resolve());
    setTimeout(resolve, 20000);
  });
  if (action === "zoom") { map.setZoom(map.getZoom() + 1, {animate: false}); }
  if (action === "pan") { map.panBy([300, 150], {animate: false}); }
  await drawn;
  return performance.now() - t0;
}
"""


def synthetic_result(n: int, seed: int = 1) -> AvailableLand:
    """``n`` zones inside Vest-Telemark, each wholly free, with plausible attributes."""
    rng = np.random.default_rng(seed)
    borders = boundaries()
    minx, miny, maxx, maxy = borders.total_bounds
    region = shapely.union_all(borders.geometry.to_numpy())
    centres = np.empty((0, 2))
    while len(centres) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(2 * n, 2))
        centres = np.vstack([centres, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    centres = centres[:n]
    area = rng.uniform(600, 6000, n)
    radius = np.sqrt(area / np.pi)[:, None] * rng.uniform(0.8, 1.2, (n, VERTICES))
    angles = np.sort(rng.uniform(0, 2 * np.pi, (n, VERTICES)), axis=1)
    ring = np.stack(
        [centres[:, :1] + radius * np.cos(angles), centres[:, 1:] + radius * np.sin(angles)],
        axis=2,
    )
    polygons = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    owner = borders.sindex.query(shapely.points(centres), predicate="within")
    kommune = np.empty(n, dtype=object)
    kommune[owner[0]] = borders["kommunenummer"].to_numpy()[owner[1]]
    category = rng.choice(CATEGORIES, n)
    ids = [f"sone-{i:06d}" for i in range(n)]
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ids,
            "kommunenummer": kommune,
            "plan_id": [f"2020{i % 997:03d}" for i in range(n)],
            "plan_navn": [f"Detaljregulering felt {i % 997}" for i in range(n)],
            "feltnavn": [f"B{i % 50}" for i in range(n)],
            "arealformal": np.where(category == "naering", 1300, 1110),
            "formal_navn": np.where(category == "naering", "Næringsbebyggelse", "Boligbebyggelse"),
            "kategori": category,
            "areal_m2": shapely.area(polygons),
            "ledig_m2": shapely.area(polygons),
            "status": "ledig",
            "hensyn": np.where(rng.random(n) < 0.1, "H570", ""),
            "tomter_estimert": (shapely.area(polygons) // 1000).astype(int),
        },
        geometry=gpd.GeoSeries(polygons, crs=CRS),
        crs=CRS,
    )
    free = zones.drop(columns=["ledig_m2", "status", "hensyn"]).assign(
        ledig_id=[f"{i}-L1" for i in ids], areal_daa=zones["areal_m2"] / 1000
    )
    empty = gpd.GeoDataFrame(
        {c: pd.Series(dtype="object") for c in ("zone_id", "kommunenummer", "kategori")},
        geometry=gpd.GeoSeries([], crs=CRS),
        crs=CRS,
    )
    plots = empty.assign(status=pd.Series(dtype="object"))
    return AvailableLand(zones, free, plots, empty, empty, pd.DataFrame(), Parameters.default())


def write_pages(n: int, folder: Path) -> tuple[Path, Path, float, float]:
    """Both maps of ``n`` zones; returns their paths and the seconds each took to write."""
    result = synthetic_result(n)
    t0 = time.perf_counter()
    ours = save_map(
        build_map(
            result,
            boundaries(),
            title=f"{n} soner",
            summary=summarise(result),
            region="Vest-Telemark",
        ),
        folder / f"arealkart-{n}.html",
    )
    t1 = time.perf_counter()
    explore = folder / f"explore-{n}.html"
    result.free.explore().save(str(explore))
    t2 = time.perf_counter()
    return ours, explore, t1 - t0, t2 - t1


class Benchmark(Offline):
    """Offline routing that also answers explore()'s other CDN files with empty bodies."""

    def handle(self, route) -> None:
        """Serve npm files and tiles as the tests do; empty scripts, styles and fonts else."""
        kinds = {"script", "stylesheet", "font"}
        if npm_source(route.request.url) is None and route.request.resource_type in kinds:
            route.fulfill(status=200, body="")
            return
        super().handle(route)


def measure(context, path: Path, n: int, interact: bool) -> dict[str, float]:
    """Open a page; time until all ``n`` features are drawn, and interactions."""
    page = context.new_page()
    page.add_init_script(PROBE.replace("TARGET", str(n)))
    page.goto(path.as_uri(), timeout=180_000)
    page.wait_for_function("window.__bench.drawnAt !== null", timeout=180_000, polling=200)
    out = {"drawn_ms": page.evaluate("window.__bench.drawnAt")}
    if interact:
        for action in ("zoom", "pan", "filter"):
            out[f"{action}_ms"] = page.evaluate(INTERACT, action)
    page.close()
    return out


def write_tiled(n: int, folder: Path) -> tuple[Path, Path, Path, float, float]:
    """The embedded and the tiled region page of ``n`` zones, and the archive."""
    result = synthetic_result(n)
    kwargs = {"title": f"{n} soner", "summary": summarise(result), "region": "Vest-Telemark"}
    t0 = time.perf_counter()
    embedded = save_map(build_map(result, boundaries(), **kwargs), folder / f"inne-{n}.html")
    t1 = time.perf_counter()
    archive = write_tiles(result, folder / f"fliser-{n}.pmtiles")
    tiled = save_map(
        build_map(result, boundaries(), tiles=archive.name, **kwargs), folder / f"fliser-{n}.html"
    )
    t2 = time.perf_counter()
    return embedded, tiled, archive, t1 - t0, t2 - t1


def measure_url(context, url: str, n: int, tiled: bool) -> dict[str, float]:
    """Open a served page; time until its opening view is drawn, a zoom and a pan."""
    page = context.new_page()
    if not tiled:
        page.add_init_script(PROBE.replace("TARGET", str(n)))
    page.goto(url, timeout=300_000)
    if tiled:
        page.wait_for_function("window.arealkart && window.arealkart.ready", timeout=300_000)
        out = {"drawn_ms": page.evaluate("window.arealkart.drawnAt")}
        counts = page.evaluate("arealkart.drawn()")
        out["areas_drawn"] = sum(counts[c] for c in CATEGORIES)
    else:
        page.wait_for_function("window.__bench.drawnAt !== null", timeout=300_000, polling=200)
        out = {"drawn_ms": page.evaluate("window.__bench.drawnAt"), "areas_drawn": n}
    for action in ("zoom", "pan"):
        out[f"{action}_ms"] = page.evaluate(TILED_INTERACT if tiled else INTERACT, action)
    page.close()
    return out


def compare_tiles(sizes: list[int], folder: Path) -> int:
    """The embedded against the tiled region page, served over HTTP (``--tiles``)."""
    import threading

    from playwright.sync_api import sync_playwright

    from arealkart.serve.files import file_server

    server = file_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = browser.new_context(viewport=VIEWPORT)
            Benchmark().attach(context)
            for n in sizes:
                embedded, tiled, archive, t_embedded, t_tiled = write_tiled(n, folder)
                for kind, page, seconds in (
                    ("embedded", embedded, t_embedded),
                    ("tiles", tiled, t_tiled),
                ):
                    got = measure_url(context, f"{base}/{page.name}", n, kind == "tiles")
                    rows.append(
                        {
                            "zones": n,
                            "page": kind,
                            "html_MB": page.stat().st_size / 1e6,
                            "tiles_MB": archive.stat().st_size / 1e6 if kind == "tiles" else 0.0,
                            "write_s": seconds,
                            "drawn_s": got["drawn_ms"] / 1e3,
                            "areas_drawn": got["areas_drawn"],
                            "zoom_ms": got["zoom_ms"],
                            "pan_ms": got["pan_ms"],
                        }
                    )
                    print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    print(
        "\nembedded vs vector-tile region pages, served on 127.0.0.1, headless Chromium, 1280×800"
    )
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--keep", type=Path, help="keep the HTML files in this folder")
    parser.add_argument(
        "--tiles", action="store_true", help="embedded against vector-tile pages, over HTTP"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    ensure_assets()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-maps-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.tiles:
        return compare_tiles(args.sizes or [50000, 200000], folder)
    args.sizes = args.sizes or [1000, 10000, 50000]
    rows = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=VIEWPORT)
        Benchmark().attach(context)
        for n in args.sizes:
            ours, explore, t_ours, t_explore = write_pages(n, folder)
            mine = measure(context, ours, n, interact=True)
            theirs = measure(context, explore, n, interact=False)
            rows.append(
                {
                    "zones": n,
                    "html_kB": ours.stat().st_size / 1e3,
                    "explore_html_kB": explore.stat().st_size / 1e3,
                    "size_ratio": ours.stat().st_size / explore.stat().st_size,
                    "drawn_s": mine["drawn_ms"] / 1e3,
                    "explore_drawn_s": theirs["drawn_ms"] / 1e3,
                    "zoom_ms": mine["zoom_ms"],
                    "pan_ms": mine["pan_ms"],
                    "filter_ms": mine["filter_ms"],
                    "write_s": t_ours,
                    "explore_write_s": t_explore,
                }
            )
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
        browser.close()
    print("\narealkart maps vs GeoDataFrame.explore(), headless Chromium, 1280×800")
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
