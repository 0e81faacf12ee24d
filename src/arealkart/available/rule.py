"""What land is still available: the rule and its results.

For every zone of building land (category ``bolig``, ``fritid``, ``kombinert`` or
``naering``) of a plan in force, the zone is split into disjoint parts::

    areal = bebygd + blokkert + ubrukelig + ledig      (+ ikke_byggeland for other zones)

``bebygd``
    within a building footprint buffered by its setback (mitred corners: a 10 × 10 m
    building with a 4 m setback takes 18 × 18 m), or the whole zone under the ``ssb``
    rule when footprints cover ``ssb_dekning`` of it or more;
``blokkert``
    what remains inside a constraint zone whose code blocks building (H310, H320, …, see
    ``arealkart/data/hensyn_regler.csv``);
``ubrukelig``
    what remains but is narrower than ``min_bredde`` or in pieces smaller than the
    category's ``min_areal``;
``ledig``
    the rest: usable free land, kept as separate free areas with their own ids.

Every threshold is a :class:`~arealkart.available.parameters.Parameters` field (defaults in
``arealkart/data/parametere.toml``; the rule in full in ``docs/regel.md``).  The geometry is
done by :mod:`arealkart.available.engine` with array operations, in parallel across municipalities.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.attraction import RoadNetwork, attraction, places_by_kind
from arealkart.available.engine import Obstacles, WkbPickled, ZoneSplit, area, split_zones
from arealkart.available.parameters import Parameters
from arealkart.available.plans import resolve_overlaps, select_zones_in_force
from arealkart.available.plots import judge_plots
from arealkart.available.use import home_use
from arealkart.errors import ConfigError
from arealkart.executors import executor, run_ordered
from arealkart.load.frames import canonical_layer
from arealkart.model.issues import concat_issues
from arealkart.model.resources import package_data
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import BUILDING_CATEGORIES

log = logging.getLogger(__name__)

REGEL_ANNET = "ikke_byggeformal"
REGEL_KP = "kp_ikke_framtidig"
REGEL_SSB = "ssb_dekning"
REGEL_FOOTPRINT = "fotavtrykk_avstand"
REGEL_UNBUILT = "ubebygd"
RULE_TEXTS = {
    REGEL_ANNET: "the zone's purpose is not building land",
    REGEL_KP: "master plan land that is not framtidig (see kp_arealst)",
    REGEL_SSB: "footprints cover at least ssb_dekning of the zone: built as a whole",
    REGEL_FOOTPRINT: "building footprints with their setback are built land",
    REGEL_UNBUILT: "no building stands on the zone",
}
"""Values of the ``regel`` column and what each means."""

__all__ = ["RULE_TEXTS", "AvailableLand", "available_land", "counted_zones"]


@dataclass(frozen=True)
class AvailableLand:
    """The result of :func:`available_land`.

    Attributes
    ----------
    zones
        Every zone kept, with ``areal_m2``, ``bebygd_m2``, ``blokkert_m2``,
        ``ubrukelig_m2``, ``ledig_m2``, ``ikke_byggeland_m2``, ``ledig_daa``,
        ``utbygd_andel``, ``status``, ``hensyn``, ``regel``, ``tomter_estimert``,
        ``kapasitet_m2`` and ``kapasitet_type``.
    free
        Free areas (one row per usable piece) with ``ledig_id`` and the zone's attributes.
    plots
        Plots with ``status`` (``ledig``, ``reservert``, ``solgt``, ``bebygd``) and
        ``status_grunnlag`` (``register og bygg`` or ``bygg``).
    built, blocked
        Per zone, the built and blocked parts (for maps).
    issues
        Zones excluded (plan not in force, covered by a plan that takes precedence) and
        overlaps, as issues-report rows.
    parameters
        The parameters used.
    """

    zones: gpd.GeoDataFrame
    free: gpd.GeoDataFrame
    plots: gpd.GeoDataFrame
    built: gpd.GeoDataFrame
    blocked: gpd.GeoDataFrame
    issues: pd.DataFrame
    parameters: Parameters

    LAYERS = ("zones", "free", "plots", "built", "blocked")
    """The fields that are layers (one row per zone, free area, plot or part)."""


def available_land(
    zones: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    constraints: gpd.GeoDataFrame | None = None,
    plots: gpd.GeoDataFrame | None = None,
    *,
    places: pd.DataFrame | gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | RoadNetwork | None = None,
    parameters: Parameters | None = None,
    workers: int = 1,
    pool: Executor | None = None,
    progress: bool = False,
    **overrides: Any,
) -> AvailableLand:
    """Work out how much of each zone and plot is still free to build on, and why.

    Parameters
    ----------
    zones
        Classified zones (see :func:`arealkart.classify_zones`), in any CRS.
    buildings, constraints, plots
        Canonical layers, or any GeoDataFrames of them (any CRS, the readers' column
        names, ``kommunenummer`` taken from the zone or municipality they lie in if
        missing: see :func:`arealkart.load.frames.canonical_layer`); ``None`` or empty
        where there are none.
    places
        Centres, schools, kindergartens, shops and næringshager that free land is measured
        to (see :mod:`arealkart.available.attraction`): a places table (see
        :func:`arealkart.registry.places.read_places`) or points with a ``type`` column;
        default the built-in gazetteer (the region's centres).
    roads
        A road network (a line layer in any CRS, or a :class:`RoadNetwork`) to measure
        distances along; default straight lines.
    parameters
        Thresholds; default :meth:`Parameters.default`.
    workers
        Local processes to run municipalities in parallel (1: in this process).
    pool
        Run the municipalities on this executor instead (see :mod:`arealkart.executors`):
        a dask cluster's, say; ``workers`` is then ignored.
    progress
        Show a progress bar over municipalities.
    **overrides
        Parameter changes, e.g. ``regel="ssb"`` or ``min_areal={"bolig": 500}``.

    Returns
    -------
    AvailableLand
    """
    params = (parameters or Parameters.default()).updated(**overrides)
    zones = canonical_layer(zones, "zones")
    if "kategori" not in zones.columns:
        raise ConfigError("zones have no 'kategori' column; run classify_zones(zones) first")
    areas = zones[["kommunenummer", "geometry"]]
    buildings = canonical_layer(buildings, "buildings", places=areas)
    constraints = canonical_layer(constraints, "constraints", places=areas)
    plots = canonical_layer(plots, "plots", places=areas)
    zones, plan_issues = select_zones_in_force(zones, params)
    zones, overlap_issues = resolve_overlaps(zones, params)
    counted = counted_zones(zones, params)
    with contextlib.nullcontext(pool) if pool else executor(workers) as runner:
        split = _run_municipalities(
            zones, counted, buildings, constraints, params, runner, progress
        )
    out_zones, free, built, blocked = _assemble(zones, counted, split, params)
    out_zones = home_use(out_zones, buildings, params.blandet_andel)
    judged = judge_plots(plots, out_zones, buildings, constraints, params)
    points = places_by_kind(places)
    network = RoadNetwork.from_lines(roads) if isinstance(roads, gpd.GeoDataFrame) else roads
    free = attraction(_with_use(free, out_zones), points, params, network)
    judged = attraction(judged, points, params, network, ranked=_free_plots(judged))
    issues = concat_issues([plan_issues, overlap_issues])
    return AvailableLand(out_zones, free, judged, built, blocked, issues, params)


def _with_use(free: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Free areas with their zone's ``bruk`` (its use today), after ``kombinasjon``."""
    use = free["zone_id"].map(zones.drop_duplicates("zone_id").set_index("zone_id")["bruk"])
    out = free.copy()
    at = out.columns.get_loc("kombinasjon") + 1 if "kombinasjon" in out else len(out.columns) - 1
    out.insert(int(at), "bruk", use.astype("string"))
    return out


def _free_plots(plots: gpd.GeoDataFrame) -> np.ndarray:
    return (plots["status"] == "ledig").to_numpy(dtype=bool, na_value=False)


# --- running municipalities, in parallel ------------------------------------------------------


@dataclass(frozen=True)
class _MunicipalityInput(WkbPickled):
    """One municipality's zones and obstacles, as arrays: what a worker splits.

    It travels to a worker process with its geometries as WKB, so a task needs nothing
    from the process that made it (see :mod:`arealkart.executors`).
    """

    zones: np.ndarray
    category: np.ndarray
    counted: np.ndarray
    obstacles: Obstacles
    params: Parameters

    GEOMETRIES = ("zones",)


def _split_municipality(job: _MunicipalityInput) -> ZoneSplit:
    return split_zones(job.zones, job.category, job.counted, job.obstacles, job.params)


def _run_municipalities(
    zones: gpd.GeoDataFrame,
    counted: np.ndarray,
    buildings: gpd.GeoDataFrame,
    constraints: gpd.GeoDataFrame,
    params: Parameters,
    pool: Executor,
    progress: bool,
) -> ZoneSplit:
    """Split every zone, one municipality at a time, and gather the parts in zone order."""
    groups = _positions_by_municipality(zones)
    keys = sorted(groups, key=lambda k: -len(groups[k]))  # largest first: workers stay busy
    jobs = _jobs(keys, groups, zones, counted, buildings, constraints, params)
    splits = run_ordered(
        pool, _split_municipality, jobs, desc="ledig areal", unit="kommune", progress=progress
    )
    return _merge_splits(len(zones), [(groups[k], s) for k, s in zip(keys, splits, strict=True)])


def _jobs(
    keys: list[str],
    groups: dict[str, np.ndarray],
    zones: gpd.GeoDataFrame,
    counted: np.ndarray,
    buildings: gpd.GeoDataFrame,
    constraints: gpd.GeoDataFrame,
    params: Parameters,
) -> Iterator[_MunicipalityInput]:
    geoms, category = zones.geometry.to_numpy(), zones["kategori"].astype(str).to_numpy()
    building_pos = _positions_by_municipality(buildings)
    constraint_pos = _positions_by_municipality(constraints)
    building_geoms = buildings.geometry.to_numpy()
    constraint_geoms = constraints.geometry.to_numpy()
    constraint_codes = constraints["hensyn_kode"].astype(int).to_numpy()
    none = np.empty(0, dtype=np.int64)
    for key in keys:
        pos, b, c = groups[key], building_pos.get(key, none), constraint_pos.get(key, none)
        obstacles = Obstacles(building_geoms[b], constraint_geoms[c], constraint_codes[c])
        yield _MunicipalityInput(geoms[pos], category[pos], counted[pos], obstacles, params)


def _merge_splits(n: int, parts: list[tuple[np.ndarray, ZoneSplit]]) -> ZoneSplit:
    """One :class:`ZoneSplit` over all zones from the municipalities' splits."""
    per_zone = {name: np.full(n, None, dtype=object) for name in ("bebygd", "blokkert")}
    rest_m2 = np.zeros(n)
    flags = {name: np.zeros(n, dtype=bool) for name in ("has_buildings", "ssb")}
    hensyn = np.full(n, "", dtype=object)
    pieces, owners = [np.empty(0, dtype=object)], [np.empty(0, dtype=np.int64)]
    for pos, split in parts:
        for name, values in per_zone.items():
            values[pos] = getattr(split, name)
        for name, values in flags.items():
            values[pos] = getattr(split, name)
        hensyn[pos] = split.hensyn
        rest_m2[pos] = split.rest_m2
        pieces.append(split.pieces)
        owners.append(pos[split.owner])
    return ZoneSplit(
        **per_zone,
        **flags,
        rest_m2=rest_m2,
        hensyn=hensyn,
        pieces=np.concatenate(pieces),
        owner=np.concatenate(owners),
    )


def _positions_by_municipality(gdf: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions of each municipality, found in one pass."""
    if not len(gdf):
        return {}
    indices = gdf.groupby("kommunenummer", sort=True).indices
    return {str(k): np.asarray(v) for k, v in indices.items()}  # already arrays


# --- the result layers, assembled once for all municipalities -----------------------------------


def _assemble(
    zones: gpd.GeoDataFrame, counted: np.ndarray, split: ZoneSplit, params: Parameters
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The result layers: zones with their columns, free areas, built and blocked parts."""
    out = zones.copy()
    _area_columns(out, split, counted)
    out["hensyn"] = pd.array(split.hensyn, dtype="string")
    out["regel"] = _rule_column(zones, counted, split)
    out["status"] = _status_column(out, counted, params)
    category = zones["kategori"].astype(str).to_numpy()
    per_piece = _plots_per_piece(split, category, params)
    out["tomter_estimert"] = np.bincount(split.owner, weights=per_piece, minlength=len(out)).astype(
        int
    )
    _capacity(out)
    free = _free_areas(zones, split, per_piece)
    built = _parts(zones, split.bebygd, out["bebygd_m2"].to_numpy(), "bebygd")
    blocked = _parts(zones, split.blokkert, out["blokkert_m2"].to_numpy(), "blokkert")
    return out, free, built, blocked


def counted_zones(zones: gpd.GeoDataFrame, params: Parameters) -> np.ndarray:
    """Zones that count as building land.

    A zone counts if its category is building land and, for master plans, its AREALST
    is one of ``kp_arealst``.
    """
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()
    master = zones["objtype"].isin(["KP"]).to_numpy()
    arealst_ok = zones["arealst"].isin(params.kp_arealst).fillna(False).to_numpy(dtype=bool)
    return building & (~master | arealst_ok)


def _area_columns(out: pd.DataFrame, split: ZoneSplit, counted: np.ndarray) -> None:
    total = area(out.geometry.to_numpy())
    ledig = np.bincount(split.owner, weights=area(split.pieces), minlength=len(out))
    out["areal_m2"] = total
    out["bebygd_m2"] = area(split.bebygd)
    out["blokkert_m2"] = area(split.blokkert)
    out["ubrukelig_m2"] = np.where(counted, np.maximum(split.rest_m2 - ledig, 0.0), 0.0)
    out["ledig_m2"] = ledig
    out["ikke_byggeland_m2"] = np.where(counted, 0.0, total)
    out["ledig_daa"] = ledig / 1000.0
    out["utbygd_andel"] = np.where(total > 0, out["bebygd_m2"] / np.maximum(total, 1e-9), 0.0)
    out["ledig_deler"] = np.bincount(split.owner, minlength=len(out))


def _rule_column(zones: pd.DataFrame, counted: np.ndarray, split: ZoneSplit) -> np.ndarray:
    regel = np.where(split.has_buildings, REGEL_FOOTPRINT, REGEL_UNBUILT).astype(object)
    regel[split.ssb] = REGEL_SSB
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()
    regel[building & ~counted] = REGEL_KP
    regel[~building] = REGEL_ANNET
    return regel


def _status_column(out: pd.DataFrame, counted: np.ndarray, params: Parameters) -> np.ndarray:
    share = out["utbygd_andel"].to_numpy()
    ledig = out["ledig_m2"].to_numpy()
    blocked = out["blokkert_m2"].to_numpy()
    status = np.where(share <= params.ledig_maks_andel, "ledig", "delvis_utbygd").astype(object)
    status[(share >= params.utbygd_min_andel) | (ledig <= 0)] = "utbygd"
    status[(ledig <= 0) & (blocked > out["bebygd_m2"].to_numpy())] = "blokkert"
    status[~counted] = "ikke_byggeland"
    return status


def _plots_per_piece(split: ZoneSplit, category: np.ndarray, params: Parameters) -> np.ndarray:
    """How many typical plots fit in each free piece (rounded down per piece)."""
    if not len(split.pieces):
        return np.empty(0)
    size = np.array([params.tomtestorrelse.get(c, np.inf) for c in category])
    return np.floor(area(split.pieces) / size[split.owner])


@cache
def _utnytting() -> pd.DataFrame:
    return pd.read_csv(package_data("utnytting.csv")).set_index("kode")


def _capacity(out: pd.DataFrame) -> None:
    """Indicative building capacity from utnytting (see ``data/utnytting.csv``).

    Percentages apply to the free area; square metres for a field are scaled by the free
    share of the zone; "not allowed" types give 0.
    """
    table = _utnytting()
    kind = out["utnyttingstype"].astype("Int64")
    regning = kind.map(table["regning"]).to_numpy(dtype=object)
    value = out["utnyttingstall"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ledig = out["ledig_m2"].to_numpy()
    share = np.where(out["areal_m2"] > 0, ledig / np.maximum(out["areal_m2"], 1e-9), 0.0)
    capacity = np.full(len(out), np.nan)
    percent, absolute, none = (regning == "prosent"), (regning == "absolutt"), (regning == "ingen")
    capacity[percent] = ledig[percent] * value[percent] / 100.0
    capacity[absolute] = value[absolute] * share[absolute]
    capacity[none] = 0.0
    out["kapasitet_m2"] = pd.array(np.round(capacity, 1), dtype="Float64")
    out["kapasitet_type"] = kind.map(table["merkelapp"]).astype("string")


_FREE_COLUMNS = [
    "ledig_id",
    "zone_id",
    "kommunenummer",
    "plan_id",
    "plan_navn",
    "feltnavn",
    "objtype",
    "arealformal",
    "formal_navn",
    "kategori",
    "kombinasjon",
    "areal_m2",
    "areal_daa",
    "tomter_estimert",
    "source",
]


def _free_areas(
    zones: gpd.GeoDataFrame, split: ZoneSplit, per_piece: np.ndarray
) -> gpd.GeoDataFrame:
    """One row per usable free piece, ordered and numbered stably within its zone.

    Pieces are numbered north to south, then west to east, by a point on each piece, so
    the same input gives the same ids (``<zone_id>-L<n>``).
    """
    if not len(split.pieces):
        return _empty_free()
    xy = shapely.get_coordinates(shapely.point_on_surface(split.pieces))
    order = np.lexsort((xy[:, 0].round(2), -xy[:, 1].round(2), split.owner))
    pieces, owner, per_piece = split.pieces[order], split.owner[order], per_piece[order]
    number = pd.Series(owner).groupby(owner).cumcount().to_numpy() + 1
    base = zones.iloc[owner].reset_index(drop=True)
    free = base[[c for c in _FREE_COLUMNS if c in base.columns]].copy()
    free["ledig_id"] = base["zone_id"].astype(str) + "-L" + pd.Series(number).astype(str)
    free["areal_m2"] = area(pieces)
    free["areal_daa"] = free["areal_m2"] / 1000.0
    free["tomter_estimert"] = per_piece.astype(int)
    free = free[[c for c in _FREE_COLUMNS if c in free.columns]]
    return gpd.GeoDataFrame(free, geometry=gpd.GeoSeries(pieces, crs=CRS), crs=CRS)


def _empty_free() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in _FREE_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def _parts(
    zones: gpd.GeoDataFrame, geoms: np.ndarray, areas: np.ndarray, kind: str
) -> gpd.GeoDataFrame:
    """The built or blocked part of each zone that has one, as a layer for maps."""
    has = areas > 0.01
    frame = zones.loc[has, ["zone_id", "kommunenummer", "kategori"]].reset_index(drop=True)
    frame["del"] = kind
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms[has], crs=CRS), crs=CRS)
