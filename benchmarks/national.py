"""A national-scale synthetic plan dataset, generated in code (never committed).

Plans are laid out like real detailed zoning plans: a grid of blocks (zones) separated by
a road zone, rotated, placed at random inside municipality boundaries — the borders
arealkart ships, Norway's of 2020 under today's numbers (355 municipalities: Ålesund and
Haram, one in 2020, are left out).  Buildings are footprints
inside the building zones; some plans get flood, landslide or cultural-heritage constraint
zones.  Everything is vectorised, so a million zones take seconds.

Usage from another benchmark::

    from national import generate
    data = generate(n_zones=1_000_000, n_buildings=3_000_000, seed=1)
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.registry.kommuner import shipped_boundaries

CRS = "EPSG:25832"

ROWS, COLS = 4, 5  # blocks per plan: 20 zones + 1 road zone
BLOCK_W, BLOCK_H, ROAD = 60.0, 50.0, 10.0
# (code, objtype, share of blocks): housing, leisure, business, combined, green
PURPOSES = [(1111, 0.40), (1121, 0.30), (1300, 0.10), (1800, 0.05), (3040, 0.15)]
BUILDING_CODES = {1111, 1121, 1300, 1800}


@dataclass
class NationalData:
    """Zones, buildings and constraints in the canonical layout (unclassified zones)."""

    zones: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    constraints: gpd.GeoDataFrame


def municipalities() -> gpd.GeoDataFrame:
    """Municipal boundaries in EPSG:25832 with a current 4-digit ``kommunenummer``."""
    return shipped_boundaries()[["kommunenummer", "geometry"]]


CELL = 500.0
"""Plans sit in their own 500 m grid cell (a plan is at most 440 m across), so plans never
overlap, as real plans mostly do not."""


def _plan_centres(munis: gpd.GeoDataFrame, n_plans: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Plan centres in distinct grid cells inside the municipalities, more in larger ones."""
    weight = np.sqrt(munis.area.to_numpy())
    per_muni = rng.multinomial(n_plans, weight / weight.sum())
    centres, owners = [], []
    for i, (geom, k) in enumerate(zip(munis.geometry, per_muni, strict=True)):
        if k:
            cells = _free_cells(geom, k, rng)
            centres.append(cells)
            owners.append(np.full(len(cells), i))
    return np.concatenate(centres), np.concatenate(owners)


def _free_cells(geom, k: int, rng) -> np.ndarray:
    """Centres of up to ``k`` distinct random grid cells whose centre is inside ``geom``."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    chosen = np.empty((0, 2))
    for _ in range(20):
        xy = rng.uniform((minx, miny), (maxx, maxy), (8 * k + 16, 2))
        cells = np.floor(xy / CELL) * CELL + CELL / 2
        cells = cells[shapely.contains_xy(geom, cells[:, 0], cells[:, 1])]
        chosen = np.unique(np.concatenate([chosen, cells]), axis=0)
        if len(chosen) >= k:
            break
    return chosen[rng.permutation(len(chosen))[:k]]


def _rotate(local: np.ndarray, angle: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Rotate local (…, n, 2) coordinates by per-item ``angle`` and move to ``origin``."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x, y = local[..., 0], local[..., 1]
    return np.stack(
        [c * x - s * y + origin[:, None, 0], s * x + c * y + origin[:, None, 1]], axis=-1
    )


def _rectangles(x0, y0, x1, y1) -> np.ndarray:
    """Closed rectangle rings, shape (n, 5, 2)."""
    return np.stack(
        [np.column_stack(p) for p in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]], axis=1
    )


def generate(
    n_zones: int = 1_000_000,
    n_buildings: int = 3_000_000,
    seed: int = 1,
    munis: gpd.GeoDataFrame | None = None,
) -> NationalData:
    """Generate the dataset: about ``n_zones`` zones and ``n_buildings`` buildings, inside
    ``munis`` (``kommunenummer`` and geometry in EPSG:25832; default :func:`municipalities`)."""
    rng = np.random.default_rng(seed)
    munis = municipalities() if munis is None else munis
    n_plans = max(1, n_zones // (ROWS * COLS + 1))
    centres, owner = _plan_centres(munis, n_plans, rng)
    n_plans = len(centres)  # fewer where a municipality has no more free cells
    angle = rng.uniform(0, np.pi, n_plans)
    numbers = munis["kommunenummer"].to_numpy()[owner]

    width = COLS * BLOCK_W + (COLS + 1) * ROAD
    height = ROWS * BLOCK_H + (ROWS + 1) * ROAD
    col, row = np.meshgrid(np.arange(COLS), np.arange(ROWS))
    bx0 = -width / 2 + ROAD + col.ravel() * (BLOCK_W + ROAD)
    by0 = -height / 2 + ROAD + row.ravel() * (BLOCK_H + ROAD)
    local_blocks = _rectangles(bx0, by0, bx0 + BLOCK_W, by0 + BLOCK_H)  # (20, 5, 2)
    blocks_per_plan = len(local_blocks)
    plan_of_block = np.repeat(np.arange(n_plans), blocks_per_plan)
    block_local = np.tile(local_blocks, (n_plans, 1, 1))
    block_xy = _rotate(block_local, angle[plan_of_block], centres[plan_of_block])
    blocks = shapely.polygons(block_xy)

    plan_local = _rectangles(
        np.array([-width / 2]),
        np.array([-height / 2]),
        np.array([width / 2]),
        np.array([height / 2]),
    )
    plan_xy = _rotate(np.repeat(plan_local, n_plans, axis=0), angle, centres)
    plan_polys = shapely.polygons(plan_xy)
    holes = shapely.multipolygons(blocks, indices=plan_of_block)
    roads = shapely.difference(plan_polys, holes)

    codes = rng.choice([p[0] for p in PURPOSES], size=len(blocks), p=[p[1] for p in PURPOSES])
    geometry = np.concatenate([blocks, roads])
    plan_index = np.concatenate([plan_of_block, np.arange(n_plans)])
    code_all = np.concatenate([codes, np.full(n_plans, 2011)])
    year = rng.integers(1990, 2025, n_plans)
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"z{i}" for i in range(len(geometry))],
            "kommunenummer": numbers[plan_index],
            "source": "national-synthetic",
            "plan_id": pd.Series(plan_index).map("{:07d}".format).to_numpy(),
            "planstatus": 3,
            "ikraft": pd.to_datetime(year[plan_index].astype(str), format="%Y"),
            "objtype": "RP",
            "arealformal": code_all,
        },
        geometry=geometry,
        crs=CRS,
    )

    buildings = _buildings(
        block_local, plan_of_block, codes, angle, centres, numbers, n_buildings, rng
    )
    constraints = _constraints(plan_polys, numbers, angle, centres, width, height, rng)
    return NationalData(zones, buildings, constraints)


PLOTS_X, PLOTS_Y = 3, 2  # plots per block: 20 × 25 m


def _buildings(block_local, plan_of_block, codes, angle, centres, numbers, n_buildings, rng):
    """One house on most plots of the building zones (20 × 25 m plots, 3 × 2 per block),
    8–14 m wide, near the plot's middle: spaced like a real housing field."""
    building_blocks = np.flatnonzero(np.isin(codes, list(BUILDING_CODES)))
    plots = np.repeat(building_blocks, PLOTS_X * PLOTS_Y)
    slot = np.tile(np.arange(PLOTS_X * PLOTS_Y), len(building_blocks))
    share = min(1.0, n_buildings / max(len(plots), 1))
    built = rng.random(len(plots)) < share
    block, slot = plots[built], slot[built]
    n = len(block)
    pw, ph = BLOCK_W / PLOTS_X, BLOCK_H / PLOTS_Y
    lo = block_local[block, 0]
    cx = lo[:, 0] + (slot % PLOTS_X + 0.5) * pw + rng.uniform(-1.5, 1.5, n)
    cy = lo[:, 1] + (slot // PLOTS_X + 0.5) * ph + rng.uniform(-2.0, 2.0, n)
    w = rng.uniform(8, 12, n)
    h = rng.uniform(8, 14, n)
    local = _rectangles(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    plan = plan_of_block[block]
    xy = _rotate(local, angle[plan], centres[plan])
    return gpd.GeoDataFrame(
        {
            "bygg_id": np.arange(n).astype(str),
            "kommunenummer": numbers[plan],
            "source": "national-synthetic",
        },
        geometry=shapely.polygons(xy),
        crs=CRS,
    )


def _constraints(plan_polys, numbers, angle, centres, width, height, rng):
    """Flood strips (H320) across 20 % of plans, landslide corners (H310) on 10 %,
    cultural heritage circles (H570, flagging only) on 5 %."""
    n = len(plan_polys)
    flood = np.flatnonzero(rng.random(n) < 0.2)
    strip = _rectangles(
        np.full(len(flood), -width),
        np.full(len(flood), -15.0),
        np.full(len(flood), width),
        np.full(len(flood), 15.0),
    )
    flood_geoms = shapely.polygons(_rotate(strip, angle[flood] + 0.4, centres[flood]))
    slide = np.flatnonzero(rng.random(n) < 0.1)
    corner = _rectangles(
        np.zeros(len(slide)),
        np.zeros(len(slide)),
        np.full(len(slide), width / 2),
        np.full(len(slide), height / 2),
    )
    slide_geoms = shapely.polygons(_rotate(corner, angle[slide], centres[slide]))
    heritage = np.flatnonzero(rng.random(n) < 0.05)
    heritage_geoms = shapely.buffer(shapely.points(centres[heritage]), 40)
    geoms = np.concatenate([flood_geoms, slide_geoms, heritage_geoms])
    plan = np.concatenate([flood, slide, heritage])
    code = np.concatenate(
        [np.full(len(flood), 320), np.full(len(slide), 310), np.full(len(heritage), 570)]
    )
    clipped = shapely.intersection(geoms, plan_polys[plan])
    return gpd.GeoDataFrame(
        {
            "hensyn_id": np.arange(len(geoms)).astype(str),
            "kommunenummer": numbers[plan],
            "source": "national-synthetic",
            "hensyn_kode": code,
        },
        geometry=clipped,
        crs=CRS,
    )
