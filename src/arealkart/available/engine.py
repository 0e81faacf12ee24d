"""The geometric core of the available-land rule, vectorised with shapely 2.

For the zones of one municipality, :func:`split_zones` finds the built, blocked, unusable
and free part of every zone with array operations over all zones at once:

1. building footprints (points become squares) are buffered by their setback and unioned
   once for the whole municipality; the union's disjoint parts are matched to zones with
   an STRtree, so each zone's obstacles form a valid MultiPolygon without a union per zone;
2. the same for blocking constraint zones;
3. ``bebygd = zone ∩ built``, ``blokkert = (zone − built) ∩ blocked`` and
   ``rest = zone − built − blocked``, each one vectorised overlay;
4. a morphological opening (mitred inward then outward buffer, clipped to ``rest``)
   removes slivers narrower than ``min_bredde``, and pieces smaller than ``min_areal`` are
   dropped: what is left is ``ledig``, the rest of ``rest`` is ``ubrukelig``.

No Python loop runs per zone or per building.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from arealkart.available.parameters import Parameters

log = logging.getLogger(__name__)

MITRE = {"join_style": "mitre", "mitre_limit": 5.0}
"""Buffers keep straight edges and right angles: a 10 × 10 m building with a 4 m setback
takes an 18 × 18 m square."""

GRID = 1e-6
"""Precision grid (m) of the fallback overlay.  Overlays run in floating precision (the
fastest, and exact); the rare one that meets a GEOS topology error is redone with
snap-rounding to 1 µm, which is robust and far finer than plan data."""

FINE_GRID = 1e-9
"""Grid (m) of the snap-rounded redo of a clip of the opening that came out wrong: fine
enough to add no measurable area, for polygons moved near the origin."""

INTERIORS_MEET = "T********"
"""DE-9IM pattern: the interiors intersect (touching edges do not count)."""


class WkbPickled:
    """Pickles its geometry arrays (the fields named in ``GEOMETRIES``) as WKB.

    One call per array rather than one per geometry: several times faster, which counts
    for what travels to and from worker processes.
    """

    GEOMETRIES: tuple[str, ...] = ()

    def __getstate__(self) -> dict:
        """The fields, with the geometry arrays as WKB."""
        state = dict(self.__dict__)
        for name in self.GEOMETRIES:
            state[name] = shapely.to_wkb(state[name])
        return state

    def __setstate__(self, state: dict) -> None:
        for name in self.GEOMETRIES:
            state[name] = shapely.from_wkb(state[name])
        self.__dict__.update(state)


@dataclass(frozen=True)
class ZoneSplit(WkbPickled):
    """The parts of each zone of one municipality (arrays aligned with the zones).

    ``bebygd`` and ``blokkert`` hold a geometry or ``None`` per zone, ``rest_m2`` the area
    of the land left after both (``ubrukelig`` is that land outside the free pieces);
    ``pieces`` are the free areas with ``owner`` the index of their zone; ``has_buildings``
    marks zones that buildings reach, ``ssb`` zones built as a whole by the ``ssb`` rule,
    and ``hensyn`` the zone's constraint codes as text (``"H310, H570"``).
    """

    bebygd: np.ndarray
    blokkert: np.ndarray
    rest_m2: np.ndarray
    pieces: np.ndarray
    owner: np.ndarray
    has_buildings: np.ndarray
    ssb: np.ndarray
    hensyn: np.ndarray

    GEOMETRIES = ("bebygd", "blokkert", "pieces")


@dataclass(frozen=True)
class Obstacles(WkbPickled):
    """The buildings and constraint zones of one municipality, as arrays."""

    buildings: np.ndarray
    constraints: np.ndarray
    constraint_codes: np.ndarray

    GEOMETRIES = ("buildings", "constraints")


def split_zones(
    geoms: np.ndarray,
    category: np.ndarray,
    counted: np.ndarray,
    obstacles: Obstacles,
    params: Parameters,
) -> ZoneSplit:
    """Split the zones of one municipality into built, blocked, unusable and free land.

    Parameters
    ----------
    geoms, category
        The zones' polygons and categories.
    counted
        Which zones are building land (the others get no parts).
    obstacles
        The municipality's buildings (polygons or points) and constraint zones.
    params
        The rule's thresholds.
    """
    foot = footprints(obstacles.buildings, params.punkt_fotavtrykk)
    built = _built_obstacles(geoms, category, counted, foot, params)
    has_buildings = ~shapely.is_missing(built.whole)
    ssb = _ssb_zones(geoms, counted, foot, params)
    built.whole[ssb] = built.inside[ssb] = geoms[ssb]
    blocked = _blocking_obstacles(geoms, counted, obstacles, params).whole
    bebygd = built.inside
    rest = difference(geoms, built.whole)
    blokkert = intersection(rest, blocked)
    rest = difference(rest, blocked)
    rest[~counted] = None
    pieces, owner = usable_pieces(rest, category, params)
    hensyn = constraint_codes(geoms, obstacles.constraints, obstacles.constraint_codes)
    return ZoneSplit(bebygd, blokkert, area(rest), pieces, owner, has_buildings | ssb, ssb, hensyn)


# --- obstacles ------------------------------------------------------------------------------


def footprints(geoms: np.ndarray, side: float) -> np.ndarray:
    """Building footprints, with empty and missing geometries left out.

    Polygons stay as they are; each point (also of a multipoint) becomes a ``side`` ×
    ``side`` square centred on it.
    """
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    kind = shapely.get_type_id(geoms)
    points = (kind == shapely.GeometryType.POINT) | (kind == shapely.GeometryType.MULTIPOINT)
    if points.any():
        xy, index = shapely.get_coordinates(geoms[points], return_index=True)
        half = side / 2
        squares = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
        geoms = geoms.copy()
        geoms[points] = shapely.multipolygons(squares, indices=index)
    return geoms


def building_setbacks(
    foot: np.ndarray,
    geoms: np.ndarray,
    category: np.ndarray,
    counted: np.ndarray,
    params: Parameters,
) -> tuple[np.ndarray, np.ndarray]:
    """Which buildings reach building land, and the setback of each.

    A building's setback is that of the building zone it stands in (by a point on its
    footprint); a building standing outside building land but within a setback of it gets
    the largest setback of the zones it reaches.
    """
    setback_of_zone = np.array([params.avstand.get(c, 0.0) for c in category])
    setback_of_zone[~counted] = 0.0
    land = np.flatnonzero(counted)
    setback = np.zeros(len(foot))
    used = np.zeros(len(foot), dtype=bool)
    if not len(land):
        return used, setback
    tree = shapely.STRtree(geoms[land])
    in_idx, in_zone = tree.query(shapely.point_on_surface(foot), predicate="within")
    setback[in_idx] = setback_of_zone[land[in_zone]]
    used[in_idx] = True
    # Only the few buildings outside building land need the (costlier) distance query.
    outside = np.flatnonzero(~used)
    reach = max(params.avstand.values(), default=0.0)
    near_idx, near_zone = tree.query(foot[outside], predicate="dwithin", distance=reach)
    np.maximum.at(setback, outside[near_idx], setback_of_zone[land[near_zone]])
    used[outside[near_idx]] = True
    return used, setback


def _built_obstacles(
    geoms: np.ndarray,
    category: np.ndarray,
    counted: np.ndarray,
    foot: np.ndarray,
    params: Parameters,
) -> Reach:
    """Per zone, the setback-buffered footprints that reach into it."""
    if not len(foot) or not counted.any():
        return _per_zone(geoms, counted, np.empty(0, dtype=object))
    used, setback = building_setbacks(foot, geoms, category, counted, params)
    buffered = valid(shapely.buffer(foot[used], setback[used], **MITRE))
    return _per_zone(geoms, counted, dissolve(buffered))


def _ssb_zones(
    geoms: np.ndarray, counted: np.ndarray, foot: np.ndarray, params: Parameters
) -> np.ndarray:
    """Zones built as a whole under the ``ssb`` rule: footprints cover ``ssb_dekning``."""
    n = len(geoms)
    if params.regel != "ssb" or not len(foot):
        return np.zeros(n, dtype=bool)
    covered = area(_per_zone(geoms, counted, dissolve(valid(foot))).inside)
    return counted & (covered >= params.ssb_dekning * area(geoms))


def _blocking_obstacles(
    geoms: np.ndarray, counted: np.ndarray, obstacles: Obstacles, params: Parameters
) -> Reach:
    """Per zone, the blocking constraint zones that reach into it."""
    blocking = np.isin(obstacles.constraint_codes, list(params.blokkerende))
    parts = dissolve(valid(obstacles.constraints[blocking]))
    return _per_zone(geoms, counted, parts)


def dissolve(geoms: np.ndarray) -> np.ndarray:
    """The union of polygons, as its disjoint polygon parts.

    Polygons that meet no other pass through untouched; each cluster of overlapping or
    touching polygons (found with one STRtree self-query and label propagation) is
    unioned on its own, so the work grows with the clusters, not with all polygons.
    """
    if not len(geoms):
        return np.empty(0, dtype=object)
    geoms = shapely.get_parts(geoms)
    geoms = geoms[shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = left != right
    left, right = left[pair], right[pair]
    label = connected_labels(len(geoms), left, right)
    clustered = np.zeros(len(geoms), dtype=bool)
    clustered[left] = True
    members = np.flatnonzero(clustered)
    _, group = np.unique(label[members], return_inverse=True)
    merged = grouped_union(geoms[members], group, group.max() + 1 if len(group) else 0)
    parts = shapely.get_parts(merged[~shapely.is_missing(merged)])
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    return np.concatenate([geoms[~clustered], parts])


def connected_labels(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of a graph given by edge arrays: the smallest node of each."""
    label = np.arange(n)
    while True:
        smaller = np.minimum(label[left], label[right])
        new = label.copy()
        np.minimum.at(new, left, smaller)
        np.minimum.at(new, right, smaller)
        new = new[new]  # jump to the label's label: halves the remaining path each round
        if np.array_equal(new, label):
            return label
        label = new


@dataclass(frozen=True)
class Reach:
    """The obstacle parts whose interiors meet each zone.

    One valid MultiPolygon per zone (``None`` where none): ``whole`` (to subtract) and
    ``inside`` (clipped to the zone).
    """

    whole: np.ndarray
    inside: np.ndarray


def _per_zone(geoms: np.ndarray, counted: np.ndarray, parts: np.ndarray) -> Reach:
    """Gather the disjoint ``parts`` that reach into each counted zone.

    Each (zone, part) pair is clipped on its own, and only where the part crosses the
    zone's edge; a pair whose clip has no area only touches the zone and is left out.
    """
    n = len(geoms)
    if not len(parts):
        return Reach(np.full(n, None, dtype=object), np.full(n, None, dtype=object))
    zone_idx, part_idx = shapely.STRtree(parts).query(geoms, predicate="intersects")
    keep = counted[zone_idx]
    zone_idx, part_idx = zone_idx[keep], part_idx[keep]
    pieces, pair = shapely.get_parts(clip(parts[part_idx], geoms[zone_idx]), return_index=True)
    polygons = shapely.get_type_id(pieces) == shapely.GeometryType.POLYGON
    real = polygons & ~shapely.is_empty(pieces)
    pieces, pair = pieces[real], pair[real]
    meets = np.zeros(len(zone_idx), dtype=bool)
    meets[pair] = True
    return Reach(
        whole=disjoint_groups(parts[part_idx[meets]], zone_idx[meets], n),
        inside=disjoint_groups(pieces, zone_idx[pair], n),
    )


def disjoint_groups(parts: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One MultiPolygon per owner from polygons that do not overlap; ``None`` where none.

    No union is needed: disjoint polygons already make a valid MultiPolygon.
    """
    out = np.full(n, None, dtype=object)
    if not len(parts):
        return out
    order = np.argsort(owner, kind="stable")
    collected = np.empty(n, dtype=object)
    shapely.multipolygons(parts[order], indices=owner[order], out=collected)
    present = np.unique(owner)
    out[present] = collected[present]
    return out


def grouped_union(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union the polygons of each group (which may overlap); ``None`` where none.

    Vectorised: each group's polygon parts are gathered into one MultiPolygon and dissolved
    with a zero-width buffer, a single GEOS call per group.
    """
    out = np.full(n, None, dtype=object)
    if not len(geoms):
        return out
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    collected = disjoint_groups(parts[keep], groups[index[keep]], n)
    present = ~shapely.is_missing(collected)
    out[present] = shapely.buffer(collected[present], 0)
    return out


def constraint_codes(geoms: np.ndarray, cgeoms: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each geometry's hensyn codes as text, e.g. ``"H310, H570"`` (``""`` for none)."""
    labels = np.full(len(geoms), "", dtype=object)
    if not len(cgeoms) or not len(geoms):
        return labels
    idx, c_idx = shapely.STRtree(cgeoms).query(geoms, predicate="intersects")
    inner = shapely.relate_pattern(geoms[idx], cgeoms[c_idx], INTERIORS_MEET)
    pairs = np.unique(np.column_stack([idx[inner], codes[c_idx[inner]].astype(np.int64)]), axis=0)
    for i, code in pairs:  # sorted by geometry, then code; one row per constraint met
        labels[i] = f"{labels[i]}, H{code}" if labels[i] else f"H{code}"
    return labels


# --- usable land ------------------------------------------------------------------------------


def usable_pieces(
    rest: np.ndarray, category: np.ndarray, params: Parameters
) -> tuple[np.ndarray, np.ndarray]:
    """Free land that is wide and large enough, as single polygons with their zone index.

    Slivers narrower than ``min_bredde`` are removed by :func:`opening`; pieces smaller
    than the category's ``min_areal`` go too.
    """
    has = np.flatnonzero(~shapely.is_missing(rest) & ~shapely.is_empty(rest))
    if not len(has):
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    parts, index = shapely.get_parts(opening(rest[has], params.min_bredde), return_index=True)
    owner = has[index]
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    min_area = np.array([params.min_areal.get(c, np.inf) for c in category])
    big = polygons & (shapely.area(parts) >= min_area[owner])
    return parts[big], owner[big]


def opening(land: np.ndarray, width: float) -> np.ndarray:
    """The land without its parts narrower than ``width``: a morphological opening.

    An inward then outward buffer of half the width, mitred so straight edges and right
    angles are kept exactly.  A mitred outward buffer can square off a short chamfer that
    the inward one removed and so stick out of the land; those openings are clipped to it.
    Which ones is decided on a probe, the opening by a hair less (:data:`GRID`): the
    outward buffer retraces the land's edges only up to rounding, so testing the opening
    itself would send almost every one to the costly overlay.  What the probe's test lets
    through stands out of the land by at most a few hairs, at mitred corners only.  An
    opening that is not the probe grown by a hair is clipped too.

    The buffers run with each polygon moved near the origin: GEOS redoes a buffer that
    fails in floating point on a grid of 12 significant digits, 10 µm at Norwegian UTM
    northings but a nanometre here, so such a redo cannot undo the probe's guarantee.
    """
    land, origin = _to_local(land)
    half = width / 2
    inner = shapely.buffer(land, -half, **MITRE)
    opened = shapely.buffer(inner, half, **MITRE)
    probe = shapely.buffer(inner, half - GRID, **MITRE)
    sound = shapely.is_valid(opened) & shapely.is_valid(probe)
    opened[~sound] = shapely.buffer(opened[~sound], 0)
    shapely.prepare(land)
    inside = sound & _grows_by_a_hair(probe, opened) & shapely.covered_by(probe, land)
    opened[~inside] = _clip_to(opened[~inside], land[~inside])
    return _shifted(opened, origin)


def _grows_by_a_hair(probe: np.ndarray, opened: np.ndarray) -> np.ndarray:
    """Whether ``opened`` is ``probe`` grown by :data:`GRID`, as it must be.

    The area grows by the length times the hair (to first order).  Where the core touches
    itself, GEOS can fill a hole in the buffer at exactly the half-width: such an opening
    fails this test and is clipped.
    """
    growth = shapely.area(opened) - shapely.area(probe)
    return growth <= 1.5 * GRID * shapely.length(opened) + 1e-8


def _clip_to(opened: np.ndarray, land: np.ndarray) -> np.ndarray:
    """``opened ∩ land``, checked: a clip larger than either operand is redone on a fine grid.

    The opening retraces the land's edges, and floating-point overlay can go silently wrong
    where edges nearly coincide (GEOS/JTS OverlayNG, locationtech/jts#1000): it returns a
    valid polygon that keeps part of the opening outside the land, so no error triggers
    :func:`overlay`'s fallback.  Such a clip is redone by snap-rounding, which is robust,
    on a grid of :data:`FINE_GRID` (the polygons are near the origin here).
    """
    clipped = overlay(shapely.intersection, opened, land)
    bound = np.minimum(shapely.area(opened), shapely.area(land))
    wrong = np.flatnonzero(shapely.area(clipped) > bound + 1e-8)
    if len(wrong):
        log.debug("redoing %d clip(s) of the opening on a %g m grid", len(wrong), FINE_GRID)
        clipped[wrong] = shapely.intersection(opened[wrong], land[wrong], grid_size=FINE_GRID)
    return clipped


def _to_local(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each geometry moved by the whole metres below its bounds, and that offset.

    Subtracting a nearby whole number is exact in floating point, so moving back restores
    the original coordinates bit for bit.
    """
    origin = np.floor(shapely.bounds(geoms)[:, :2])
    return _shifted(geoms, -origin), origin


def _shifted(geoms: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Each geometry moved by its row of ``offset`` (new geometries; the input is kept)."""
    xy, index = shapely.get_coordinates(geoms, return_index=True)
    return shapely.set_coordinates(geoms.copy(), xy + offset[index])


# --- robust array overlays ----------------------------------------------------------------------


def overlay(operation: Callable[..., np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run a shapely overlay in floating precision; redo it on :data:`GRID` if GEOS fails."""
    try:
        return operation(a, b)
    except shapely.errors.GEOSException as exc:
        log.debug("overlay fell back to a %g m grid: %s", GRID, exc)
        return operation(a, b, grid_size=GRID)


def valid(geoms: np.ndarray) -> np.ndarray:
    """Mend invalid polygons (e.g. the rare self-intersection of a mitred buffer)."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.buffer(geoms[bad], 0)
    return geoms


def clip(part: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """``part ∩ zone``, skipping the overlay where the part already lies inside the zone."""
    out = np.full(len(zone), None, dtype=object)
    idx = np.flatnonzero(~shapely.is_missing(part))
    if not len(idx):
        return out
    shapely.prepare(zone[idx])
    inside = shapely.contains(zone[idx], part[idx])
    out[idx[inside]] = part[idx[inside]]
    cut = idx[~inside]
    out[cut] = overlay(shapely.intersection, part[cut], zone[cut])
    return out


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``a ∩ b``; ``None`` where either is missing."""
    out = np.full(len(a), None, dtype=object)
    has = ~shapely.is_missing(a) & ~shapely.is_missing(b)
    out[has] = overlay(shapely.intersection, a[has], b[has])
    return out


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``a − b``; ``a`` where ``b`` is missing."""
    out = a.copy()
    has = ~shapely.is_missing(a) & ~shapely.is_missing(b)
    out[has] = overlay(shapely.difference, a[has], b[has])
    return out


def area(geoms: np.ndarray) -> np.ndarray:
    """Areas in m², 0 for missing geometries."""
    return np.nan_to_num(shapely.area(geoms), nan=0.0)
