"""What land is still available: the rule and the vectorised engine.

For every zone of building land (category ``bolig``, ``fritid``, ``kombinert`` or
``naering``) of a plan in force, the zone is split into four disjoint parts::

    areal = bebygd + blokkert + ubrukelig + ledig

``bebygd``
    the zone's land within a building footprint buffered by the category's setback
    (mitred corners: a 10 × 10 m building with a 4 m setback takes 18 × 18 m), or the
    whole zone under the ``ssb`` rule when footprints cover ``ssb_dekning`` or more;
``blokkert``
    what remains inside a constraint zone whose code blocks building (H310, H320, …, see
    ``arealkart/data/hensyn_regler.csv``);
``ubrukelig``
    what remains but is narrower than ``min_bredde`` or in pieces smaller than the
    category's ``min_areal``;
``ledig``
    the rest: usable free land, kept as separate free areas with their own ids.

Every threshold is a :class:`Parameters` field, with defaults in
``arealkart/data/parametere.toml``.  The work is done with shapely 2 array operations over
all zones at once (STRtree pair queries, grouped unions, vectorised overlay) and runs in
parallel across municipalities.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from ._resources import package_data
from .classify import BUILDING_CATEGORIES
from .errors import ConfigError
from .issues import Issue, issues_frame
from .schema import CRS, empty

log = logging.getLogger(__name__)

RULES = ("fotavtrykk", "ssb")
ZONE_STATUSES = ("ledig", "delvis_utbygd", "utbygd", "blokkert", "ikke_byggeland")
PLOT_STATUSES = ("ledig", "reservert", "solgt", "bebygd")

REGEL_ANNET = "ikke_byggeformal"
REGEL_KP = "kp_ikke_framtidig"
REGEL_SSB = "ssb_dekning"
REGEL_FOOTPRINT = "fotavtrykk_avstand"
REGEL_UNBUILT = "ubebygd"

_MITRE = {"join_style": "mitre", "mitre_limit": 5.0}
GRID = 1e-6
"""Precision grid (m) of overlay operations: snap-rounding to 1 µm makes every overlay
robust (no GEOS topology errors) at a precision far finer than plan data."""


@dataclass(frozen=True)
class Parameters:
    """Thresholds of the available-land rule; defaults from ``parametere.toml``.

    See that file for the meaning and the reasons of each default.
    """

    regel: str
    ssb_dekning: float
    punkt_fotavtrykk: float
    ledig_maks_andel: float
    utbygd_min_andel: float
    min_bredde: float
    gjeldende_planstatus: tuple[int, ...]
    kp_arealst: tuple[int, ...]
    reguleringsplan_foran: bool
    avstand: Mapping[str, float] = field(default_factory=dict)
    min_areal: Mapping[str, float] = field(default_factory=dict)
    tomtestorrelse: Mapping[str, float] = field(default_factory=dict)
    blokkerende: frozenset[int] = frozenset()
    flaggende: frozenset[int] = frozenset()

    @classmethod
    def default(cls) -> Parameters:
        """The defaults from package data."""
        return _default_parameters()

    def updated(self, **changes: Any) -> Parameters:
        """Return a copy with ``changes``; mappings are merged into the defaults.

        Raises
        ------
        ConfigError
            For an unknown parameter, rule or category, or a negative threshold.
        """
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"unknown parameters {unknown}; known: {sorted(names)}")
        merged: dict[str, Any] = {}
        for key, value in changes.items():
            current = getattr(self, key)
            if isinstance(current, Mapping):
                merged[key] = {**current, **_category_map(key, value)}
            elif isinstance(current, frozenset):
                merged[key] = frozenset(int(v) for v in value)
            elif isinstance(current, tuple):
                merged[key] = tuple(int(v) for v in value)
            else:
                merged[key] = value
        return _checked(replace(self, **merged))


def _category_map(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"parameter {key!r} must be a table of category → number")
    bad = sorted(set(value) - set(BUILDING_CATEGORIES))
    if bad:
        raise ConfigError(
            f"parameter {key!r}: unknown categories {bad}; expected {list(BUILDING_CATEGORIES)}"
        )
    return {k: float(v) for k, v in value.items()}


def _checked(params: Parameters) -> Parameters:
    if params.regel not in RULES:
        raise ConfigError(f"regel must be one of {list(RULES)}, got {params.regel!r}")
    numbers = {
        "ssb_dekning": params.ssb_dekning,
        "punkt_fotavtrykk": params.punkt_fotavtrykk,
        "ledig_maks_andel": params.ledig_maks_andel,
        "utbygd_min_andel": params.utbygd_min_andel,
        "min_bredde": params.min_bredde,
        **{f"avstand.{k}": v for k, v in params.avstand.items()},
        **{f"min_areal.{k}": v for k, v in params.min_areal.items()},
        **{f"tomtestorrelse.{k}": v for k, v in params.tomtestorrelse.items()},
    }
    negative = [k for k, v in numbers.items() if not v >= 0]
    if negative:
        raise ConfigError(f"parameters must not be negative: {negative}")
    if any(v <= 0 for v in params.tomtestorrelse.values()):
        raise ConfigError("tomtestorrelse must be positive for every category")
    if params.ledig_maks_andel > params.utbygd_min_andel:
        raise ConfigError("ledig_maks_andel must not exceed utbygd_min_andel")
    return params


@cache
def _default_parameters() -> Parameters:
    with package_data("parametere.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    rules = pd.read_csv(package_data("hensyn_regler.csv"))
    return _checked(
        Parameters(
            regel=raw["regel"],
            ssb_dekning=raw["ssb_dekning"],
            punkt_fotavtrykk=raw["punkt_fotavtrykk"],
            ledig_maks_andel=raw["ledig_maks_andel"],
            utbygd_min_andel=raw["utbygd_min_andel"],
            min_bredde=raw["min_bredde"],
            gjeldende_planstatus=tuple(raw["gjeldende_planstatus"]),
            kp_arealst=tuple(raw["kp_arealst"]),
            reguleringsplan_foran=raw["reguleringsplan_foran"],
            avstand=dict(raw["avstand"]),
            min_areal=dict(raw["min_areal"]),
            tomtestorrelse=dict(raw["tomtestorrelse"]),
            blokkerende=frozenset(rules.loc[rules["effekt"] == "blokkerer", "kode"]),
            flaggende=frozenset(rules.loc[rules["effekt"] == "flagger", "kode"]),
        )
    )


@dataclass(frozen=True)
class AvailableLand:
    """The result of :func:`available_land`.

    Attributes
    ----------
    zones
        Every zone kept, with ``areal_m2``, ``bebygd_m2``, ``blokkert_m2``,
        ``ubrukelig_m2``, ``ledig_m2``, ``ledig_daa``, ``utbygd_andel``, ``status``,
        ``hensyn``, ``regel``, ``tomter_estimert``, ``kapasitet_m2`` and ``kapasitet_type``.
    free
        Free areas (one row per usable piece) with ``ledig_id`` and the zone's attributes.
    plots
        Plots with ``status`` (``ledig``, ``reservert``, ``solgt``, ``bebygd``) and
        ``status_grunnlag`` (``register og bygg`` or ``bygg``).
    built, blocked
        Per zone, the built and blocked parts (for maps).
    issues
        Zones excluded (plan not in force, covered by a newer plan) and overlaps, as
        issues-report rows.
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


def available_land(
    zones: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    constraints: gpd.GeoDataFrame | None = None,
    plots: gpd.GeoDataFrame | None = None,
    *,
    parameters: Parameters | None = None,
    workers: int = 1,
    progress: bool = False,
    **overrides: Any,
) -> AvailableLand:
    """Work out how much of each zone and plot is still free to build on, and why.

    Parameters
    ----------
    zones
        Classified zones (see :func:`arealkart.classify_zones`).
    buildings, constraints, plots
        Canonical layers; ``None`` or empty where there are none.
    parameters
        Thresholds; default :meth:`Parameters.default`.
    workers
        Processes to run municipalities in parallel (1: in this process).
    progress
        Show a progress bar over municipalities.
    **overrides
        Parameter changes, e.g. ``regel="ssb"`` or ``min_areal={"bolig": 500}``.

    Returns
    -------
    AvailableLand
    """
    params = (parameters or Parameters.default()).updated(**overrides)
    if "kategori" not in zones.columns:
        raise ConfigError("zones have no 'kategori' column; run classify_zones(zones) first")
    buildings = empty("buildings") if buildings is None else buildings
    constraints = empty("constraints") if constraints is None else constraints
    plots = empty("plots") if plots is None else plots
    zones, plan_issues = select_zones_in_force(zones, params)
    zones, overlap_issues = resolve_overlaps(zones, params)
    jobs = [
        (
            zones[zones["kommunenummer"] == k],
            buildings[buildings["kommunenummer"] == k],
            constraints[constraints["kommunenummer"] == k],
            params,
        )
        for k in sorted(zones["kommunenummer"].unique())
    ]
    results = list(_run(jobs, workers, progress))
    zone_parts = [r[0] for r in results]
    out_zones = _concat(zone_parts, zones)
    free = _concat([r[1] for r in results], _empty_free())
    built = _concat([r[2] for r in results], _empty_parts())
    blocked = _concat([r[3] for r in results], _empty_parts())
    judged = judge_plots(plots, out_zones, buildings, constraints, params)
    issues = pd.concat([plan_issues, overlap_issues], ignore_index=True)
    return AvailableLand(out_zones, free, judged, built, blocked, issues.astype("string"), params)


def _run(jobs, workers: int, progress: bool):
    bar = tqdm(total=len(jobs), desc="ledig areal", unit="kommune", disable=not progress)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _compute_municipality(*job)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(_compute_municipality, *zip(*jobs, strict=True)):
                yield result
                bar.update()
    bar.close()


def _concat(frames: list[gpd.GeoDataFrame], template: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return template.iloc[0:0].copy()
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=CRS)


# --- plans in force and overlaps --------------------------------------------------------------


def select_zones_in_force(
    zones: gpd.GeoDataFrame, params: Parameters
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Drop zones of plans not in force; report each (rule ``plan_ikke_gjeldende``)."""
    status = zones["planstatus"]
    keep = status.isna() | status.isin(params.gjeldende_planstatus)
    dropped = zones[~keep]
    issues = issues_frame(
        Issue(
            _file(row.source),
            str(row.zone_id),
            "zones",
            "plan_ikke_gjeldende",
            "excluded",
            f"plan {row.plan_id} has planstatus {row.planstatus} (in force: "
            f"{list(params.gjeldende_planstatus)}); the zone is not counted",
        )
        for row in dropped.itertuples(index=False)
    )
    unknown = zones[status.isna()]
    flagged = issues_frame(
        Issue(
            _file(row.source),
            str(row.zone_id),
            "zones",
            "planstatus_mangler",
            "flagged",
            f"plan {row.plan_id} has no planstatus; assumed in force",
        )
        for row in unknown.itertuples(index=False)
    )
    return zones[keep].copy(), pd.concat([issues, flagged], ignore_index=True)


def plan_precedence(zones: gpd.GeoDataFrame, params: Parameters) -> np.ndarray:
    """Rank of each zone: where zones of different plans overlap, the higher rank wins.

    Regulation plans rank above master plans when ``reguleringsplan_foran``; within a
    level the newer ``ikraft`` wins; ties are broken by plan id for determinism.
    """
    level = (~zones["objtype"].isin(["KP", "KP1985"])).astype(int).to_numpy()
    if not params.reguleringsplan_foran:
        level = np.zeros(len(zones), dtype=int)
    date = zones["ikraft"].astype("datetime64[ms]").fillna(pd.Timestamp("1900-01-01"))
    keys = pd.DataFrame(
        {"level": level, "date": date.to_numpy(), "plan": zones["plan_id"].fillna("").to_numpy()}
    )
    order = keys.sort_values(["level", "date", "plan"], kind="stable").index.to_numpy()
    rank = np.empty(len(zones), dtype=np.int64)
    rank[order] = np.arange(len(zones))
    return rank


def resolve_overlaps(
    zones: gpd.GeoDataFrame, params: Parameters
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Clip each zone by the zones of plans that take precedence over it.

    Zones left with no area are dropped; every overlap is reported (``plan_overlapp``).
    """
    zones = zones.reset_index(drop=True)
    geoms = zones.geometry.to_numpy()
    if len(zones) == 0:
        return zones, issues_frame()
    rank = plan_precedence(zones, params)
    plan = (zones["kommunenummer"].astype(str) + "/" + zones["plan_id"].fillna("")).to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = (plan[left] != plan[right]) & (rank[right] > rank[left])
    left, right = left[pairs], right[pairs]
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right], grid_size=GRID))
    real = overlap > 0.01
    left, right, overlap = left[real], right[real], overlap[real]
    if not len(left):
        return zones, issues_frame()
    covers = grouped_union(geoms[right], left, len(zones))
    hit = np.unique(left)
    clipped = geoms.copy()
    clipped[hit] = shapely.difference(geoms[hit], covers[hit], grid_size=GRID)
    issues = []
    for i, j, area in zip(left, right, overlap, strict=True):
        zi, zj = zones.iloc[i], zones.iloc[j]
        issues.append(
            Issue(
                _file(zi.source),
                str(zi.zone_id),
                "zones",
                "plan_overlapp",
                "excluded" if shapely.area(clipped[i]) < 0.01 else "flagged",
                f"{area:.0f} m² overlapped by {zj.feltnavn or zj.zone_id} in plan {zj.plan_id} "
                f"({_date_text(zj.ikraft)}), which takes precedence",
            )
        )
    out = zones.copy()
    out.geometry = gpd.GeoSeries(clipped, crs=zones.crs)
    gone = shapely.area(clipped) < 0.01
    return out[~gone].reset_index(drop=True), issues_frame(_dedupe(issues))


def _dedupe(issues: list[Issue]) -> list[Issue]:
    """One row per (zone, action): excluded wins over flagged; details joined."""
    by_zone: dict[str, list[Issue]] = {}
    for issue in issues:
        by_zone.setdefault(issue.feature, []).append(issue)
    out = []
    for items in by_zone.values():
        action = "excluded" if any(i.action == "excluded" for i in items) else "flagged"
        first = items[0]
        out.append(replace(first, action=action, detail="; ".join(i.detail for i in items)))
    return out


def _date_text(value: Any) -> str:
    return "no date" if pd.isna(value) else f"i kraft {pd.Timestamp(value).date()}"


def _file(source: Any) -> str:
    return str(source).split("#", 1)[0]


# --- the engine ---------------------------------------------------------------------------------


def grouped_union(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union the polygons of each group: ``out[g]`` is the union of ``geoms[groups == g]``.

    Vectorised: the polygon parts of each group are gathered into one MultiPolygon and
    dissolved with a zero-width buffer, which unions overlapping parts in a single GEOS
    call per group.  Groups with no member give ``None``.
    """
    out = np.full(n, None, dtype=object)
    if len(geoms) == 0:
        return out
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), [3])
    parts, owner = parts[keep], groups[index[keep]]
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    collected = np.empty(n, dtype=object)
    shapely.multipolygons(parts, indices=owner, out=collected)
    present = np.unique(owner)
    out[present] = shapely.buffer(collected[present], 0)
    return out


def footprints(buildings: gpd.GeoDataFrame, side: float) -> np.ndarray:
    """Building footprints; points become ``side`` × ``side`` squares centred on them."""
    geoms = buildings.geometry.to_numpy()
    points = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    if points.any():
        xy = shapely.get_coordinates(geoms[points])
        half = side / 2
        geoms = geoms.copy()
        geoms[points] = shapely.box(
            xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half
        )
    return geoms


def _compute_municipality(zones, buildings, constraints, params):
    """Split every zone of one municipality into built, blocked, unusable and free land."""
    zones = zones.reset_index(drop=True)
    n = len(zones)
    geoms = zones.geometry.to_numpy()
    category = zones["kategori"].astype(str).to_numpy()
    counted = _counted(zones, params)
    built_union, cover = _built_land(geoms, category, counted, buildings, params)
    ssb = (params.regel == "ssb") & (cover >= params.ssb_dekning) & counted
    built_union[ssb] = geoms[ssb]
    block_union, codes = _constraint_land(geoms, constraints, params)
    block_union[~counted] = None
    bebygd = _intersection(geoms, built_union)
    rest = _difference(geoms, built_union)
    blokkert = _intersection(rest, block_union)
    rest = _difference(rest, block_union)
    rest[~counted] = None
    pieces, owner = usable_pieces(rest, category, params)
    ubrukelig = _difference(rest, grouped_union(pieces, owner, n))
    out = zones.copy()
    _area_columns(out, geoms, bebygd, blokkert, ubrukelig, pieces, owner, counted)
    out["hensyn"] = codes
    out["regel"] = _rule_column(zones, counted, ssb, built_union, params)
    out["status"] = _status_column(out, counted, params)
    plots_per_piece = _plots_per_piece(pieces, owner, category, params)
    _estimates(out, plots_per_piece, owner, params)
    free = _free_areas(zones, pieces, owner, plots_per_piece)
    return out, free, _parts(zones, bebygd, "bebygd"), _parts(zones, blokkert, "blokkert")


def _counted(zones: gpd.GeoDataFrame, params: Parameters) -> np.ndarray:
    """Zones that count as building land.

    A zone counts if its category is building land and, for master plans, its AREALST
    is one of ``kp_arealst``.
    """
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()
    master = zones["objtype"].isin(["KP"]).to_numpy()
    arealst_ok = zones["arealst"].isin(params.kp_arealst).fillna(False).to_numpy()
    return building & (~master | arealst_ok)


def _built_land(geoms, category, counted, buildings, params):
    """Union of setback-buffered footprints per zone, and the footprint cover share."""
    n = len(geoms)
    if not len(buildings) or not counted.any():
        return np.full(n, None, dtype=object), np.zeros(n)
    foot = footprints(buildings, params.punkt_fotavtrykk)
    setbacks = np.array([params.avstand.get(c, 0.0) for c in category])
    tree = shapely.STRtree(foot)
    zone_idx, foot_idx = tree.query(
        geoms, predicate="dwithin", distance=max(params.avstand.values(), default=0.0)
    )
    keep = counted[zone_idx]
    zone_idx, foot_idx = zone_idx[keep], foot_idx[keep]
    buffered = _valid(shapely.buffer(foot[foot_idx], setbacks[zone_idx], **_MITRE))
    union = grouped_union(buffered, zone_idx, n)
    raw = grouped_union(foot[foot_idx], zone_idx, n)
    cover = np.zeros(n)
    has = np.flatnonzero(~shapely.is_missing(raw))
    if len(has):
        cover[has] = shapely.area(
            shapely.intersection(geoms[has], raw[has], grid_size=GRID)
        ) / np.maximum(shapely.area(geoms[has]), 1e-9)
    return union, cover


def _constraint_land(geoms, constraints, params):
    """Union of blocking constraint zones per zone, and each zone's hensyn codes."""
    n = len(geoms)
    codes = np.full(n, "", dtype=object)
    if not len(constraints):
        return np.full(n, None, dtype=object), codes
    cgeoms = constraints.geometry.to_numpy()
    ccodes = constraints["hensyn_kode"].astype(int).to_numpy()
    zone_idx, c_idx = shapely.STRtree(cgeoms).query(geoms, predicate="intersects")
    overlap = (
        shapely.area(shapely.intersection(geoms[zone_idx], cgeoms[c_idx], grid_size=GRID)) > 0.01
    )
    zone_idx, c_idx = zone_idx[overlap], c_idx[overlap]
    blocking = np.isin(ccodes[c_idx], list(params.blokkerende))
    union = grouped_union(cgeoms[c_idx[blocking]], zone_idx[blocking], n)
    frame = pd.DataFrame({"zone": zone_idx, "code": ccodes[c_idx]}).drop_duplicates()
    labels = (
        frame.sort_values(["zone", "code"])
        .groupby("zone")["code"]
        .agg(lambda s: ", ".join(f"H{c}" for c in s))
    )
    codes[labels.index.to_numpy()] = labels.to_numpy()
    return union, codes


def usable_pieces(rest: np.ndarray, category: np.ndarray, params: Parameters):
    """Free land that is wide and large enough, as single polygons with their zone index.

    Slivers narrower than ``min_bredde`` are removed by a morphological opening (an
    inward then outward buffer of half the width, mitred so straight edges and right
    angles are kept exactly); pieces smaller than the category's ``min_areal`` go too.
    """
    has = np.flatnonzero(~shapely.is_missing(rest) & ~shapely.is_empty(rest))
    if not len(has):
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    half = params.min_bredde / 2
    opened = _valid(shapely.buffer(shapely.buffer(rest[has], -half, **_MITRE), half, **_MITRE))
    opened = shapely.intersection(opened, rest[has], grid_size=GRID)
    parts, index = shapely.get_parts(opened, return_index=True)
    owner = has[index]
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    min_area = np.array([params.min_areal.get(c, np.inf) for c in category])
    big = polygons & (shapely.area(parts) >= min_area[owner])
    return parts[big], owner[big]


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Mend the rare self-intersection a mitred buffer leaves at sharp corners."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.buffer(geoms[bad], 0)
    return geoms


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.full(len(a), None, dtype=object)
    has = ~shapely.is_missing(a) & ~shapely.is_missing(b)
    out[has] = shapely.intersection(a[has], b[has], grid_size=GRID)
    return out


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = a.copy()
    has = ~shapely.is_missing(a) & ~shapely.is_missing(b)
    out[has] = shapely.difference(a[has], b[has], grid_size=GRID)
    return out


def _area(geoms: np.ndarray) -> np.ndarray:
    return np.nan_to_num(shapely.area(geoms), nan=0.0)


def _area_columns(out, geoms, bebygd, blokkert, ubrukelig, pieces, owner, counted) -> None:
    total = _area(geoms)
    ledig = np.bincount(owner, weights=_area(pieces), minlength=len(geoms))
    out["areal_m2"] = total
    out["bebygd_m2"] = _area(bebygd)
    out["blokkert_m2"] = _area(blokkert)
    out["ubrukelig_m2"] = np.where(counted, _area(ubrukelig), 0.0)
    out["ledig_m2"] = ledig
    out["ikke_byggeland_m2"] = np.where(counted, 0.0, total - out["bebygd_m2"] - out["blokkert_m2"])
    out["ledig_daa"] = ledig / 1000.0
    out["utbygd_andel"] = np.where(total > 0, out["bebygd_m2"] / np.maximum(total, 1e-9), 0.0)
    out["ledig_deler"] = np.bincount(owner, minlength=len(geoms))


def _rule_column(zones, counted, ssb, built_union, params) -> np.ndarray:
    regel = np.full(len(zones), REGEL_UNBUILT, dtype=object)
    regel[~shapely.is_missing(built_union)] = REGEL_FOOTPRINT
    regel[ssb] = REGEL_SSB
    master = zones["objtype"].isin(["KP"]).to_numpy()
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()
    regel[building & master & ~counted] = REGEL_KP
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


_PERCENT_TYPES = {
    1: "BYA-87 %",
    3: "TU %",
    5: "F %",
    12: "%-BYA",
    14: "%-TU",
    16: "%-BYA",
    18: "%-BRA",
}
_ABSOLUTE_TYPES = {
    2: "BRA-87 m²",
    6: "BGA m²",
    7: "BFA m²",
    13: "T-BRA m²",
    15: "BYA m²",
    17: "BRA m²",
}


def _plots_per_piece(pieces, owner, category, params) -> np.ndarray:
    """How many typical plots fit in each free piece (rounded down per piece)."""
    size = np.array([params.tomtestorrelse.get(c, np.inf) for c in category])
    if not len(pieces):
        return np.empty(0)
    return np.floor(_area(pieces) / size[owner])


def _estimates(out, plots_per_piece, owner, params) -> None:
    """Estimated plots that fit and indicative building capacity per zone."""
    out["tomter_estimert"] = np.bincount(owner, weights=plots_per_piece, minlength=len(out)).astype(
        int
    )
    kind = out["utnyttingstype"]
    value = out["utnyttingstall"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ledig = out["ledig_m2"].to_numpy()
    share = np.where(out["areal_m2"] > 0, ledig / np.maximum(out["areal_m2"], 1e-9), 0.0)
    percent = kind.isin(list(_PERCENT_TYPES)).fillna(False).to_numpy()
    absolute = kind.isin(list(_ABSOLUTE_TYPES)).fillna(False).to_numpy()
    capacity = np.full(len(out), np.nan)
    capacity[percent] = ledig[percent] * value[percent] / 100.0
    capacity[absolute] = value[absolute] * share[absolute]
    labels = {**_PERCENT_TYPES, **_ABSOLUTE_TYPES}
    out["kapasitet_m2"] = pd.Series(capacity, index=out.index).round(1).astype("Float64")
    out["kapasitet_type"] = kind.map(labels).astype("string")


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
    "areal_m2",
    "areal_daa",
    "tomter_estimert",
    "source",
]


def _free_areas(
    zones: gpd.GeoDataFrame, pieces: np.ndarray, owner: np.ndarray, plots_per_piece: np.ndarray
) -> gpd.GeoDataFrame:
    """One row per usable free piece, ordered and numbered stably within its zone.

    Pieces are numbered north to south, then west to east, by a point on each piece.
    """
    if not len(pieces):
        return _empty_free()
    point = shapely.point_on_surface(pieces)
    xy = shapely.get_coordinates(point)
    order = np.lexsort((xy[:, 0].round(2), -xy[:, 1].round(2), owner))
    pieces, owner, plots_per_piece = pieces[order], owner[order], plots_per_piece[order]
    number = pd.Series(owner).groupby(owner).cumcount().to_numpy() + 1
    base = zones.iloc[owner].reset_index(drop=True)
    free = base[[c for c in _FREE_COLUMNS if c in base.columns]].copy()
    free["ledig_id"] = base["zone_id"].astype(str) + "-L" + pd.Series(number).astype(str)
    free["areal_m2"] = _area(pieces)
    free["areal_daa"] = free["areal_m2"] / 1000.0
    free["tomter_estimert"] = plots_per_piece.astype(int)
    free = free[[c for c in _FREE_COLUMNS if c in free.columns]]
    return gpd.GeoDataFrame(free, geometry=gpd.GeoSeries(pieces, crs=CRS), crs=CRS)


def _empty_free() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in _FREE_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def _parts(zones: gpd.GeoDataFrame, geoms: np.ndarray, kind: str) -> gpd.GeoDataFrame:
    has = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    has &= _area(geoms) > 0.01
    frame = zones.loc[has, ["zone_id", "kommunenummer", "kategori"]].reset_index(drop=True)
    frame["del"] = kind
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms[has], crs=CRS), crs=CRS)


def _empty_parts() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {c: pd.Series(dtype="object") for c in ("zone_id", "kommunenummer", "kategori", "del")}
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


# --- plots --------------------------------------------------------------------------------------


def judge_plots(
    plots: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    constraints: gpd.GeoDataFrame,
    params: Parameters,
) -> gpd.GeoDataFrame:
    """Give every plot a status and the zone (category, plan) it lies in.

    A plot is ``ledig`` only if the register says so (or has no status) and no building
    stands on it; with a building it is ``bebygd``; otherwise the register's ``reservert``
    or ``solgt``.  ``status_grunnlag`` says whether the register took part.
    """
    out = plots.copy()
    if not len(out):
        for column in ("status", "status_grunnlag", "zone_id", "kategori", "hensyn"):
            out[column] = pd.Series(dtype="string")
        return out
    geoms = out.geometry.to_numpy()
    has_building = np.zeros(len(out), dtype=bool)
    if len(buildings):
        foot = footprints(buildings, params.punkt_fotavtrykk)
        plot_idx, _ = shapely.STRtree(foot).query(geoms, predicate="intersects")
        has_building[np.unique(plot_idx)] = True
    register = out["register_status"].astype("string")
    status = register.fillna("ledig").to_numpy(dtype=object)
    status[has_building] = "bebygd"
    out["status"] = pd.array(status, dtype="string")
    out["status_grunnlag"] = np.where(register.isna(), "bygg", "register og bygg")
    out["status_grunnlag"] = out["status_grunnlag"].astype("string")
    _attach_zone(out, zones)
    out["hensyn"] = _plot_hensyn(geoms, constraints)
    return out


def _attach_zone(out: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
    """The zone under each plot's representative point, preferring building land."""
    points = shapely.point_on_surface(out.geometry.to_numpy())
    zone_geoms = zones.geometry.to_numpy()
    plot_idx, zone_idx = shapely.STRtree(zone_geoms).query(points, predicate="within")
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()[zone_idx]
    frame = pd.DataFrame({"plot": plot_idx, "zone": zone_idx, "building": building})
    best = frame.sort_values(["plot", "building"], ascending=[True, False]).drop_duplicates("plot")
    zone_id = np.full(len(out), None, dtype=object)
    kategori = np.full(len(out), None, dtype=object)
    zone_id[best["plot"]] = zones["zone_id"].to_numpy()[best["zone"]]
    kategori[best["plot"]] = zones["kategori"].to_numpy()[best["zone"]]
    out["zone_id"] = pd.array(zone_id, dtype="string")
    out["kategori"] = pd.array(kategori, dtype="string")


def _plot_hensyn(geoms: np.ndarray, constraints: gpd.GeoDataFrame):
    labels = np.full(len(geoms), "", dtype=object)
    if len(constraints):
        cgeoms = constraints.geometry.to_numpy()
        codes = constraints["hensyn_kode"].astype(int).to_numpy()
        plot_idx, c_idx = shapely.STRtree(cgeoms).query(geoms, predicate="intersects")
        frame = pd.DataFrame({"plot": plot_idx, "code": codes[c_idx]}).drop_duplicates()
        grouped = (
            frame.sort_values(["plot", "code"])
            .groupby("plot")["code"]
            .agg(lambda s: ", ".join(f"H{c}" for c in s))
        )
        labels[grouped.index.to_numpy()] = grouped.to_numpy()
    return pd.array(labels, dtype="string")
