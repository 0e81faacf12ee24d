"""``.FLATE`` areas: the ``..REF`` list, rings joined from curves, polygons with holes.

A ``.FLATE`` is built from its signed ``..REF`` list (``:-12`` is curve 12 reversed,
``( … )`` an island): the curves are joined end to end into rings and made into a polygon
with holes.  A curve whose sign contradicts its endpoints is turned round only when the
endpoints prove it.  A ``.FLATE`` whose curves come later in the file waits until the end;
polygons are built in bulk, a batch of areas at a time.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from itertools import accumulate

import numpy as np
import shapely

from arealkart.load.limits import current
from arealkart.load.planobjects import PlanObject
from arealkart.load.sosi._curves import _Curves
from arealkart.load.sosi._objects import _Object, _report
from arealkart.model.issues import IssueLog

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader

_REF_TOKEN = re.compile(r"\(|\)|:[ \t]*-?\d+|[^\s()]+")


def parse_refs(text: str) -> tuple[list[int], list[list[int]]]:
    """Parse a ``..REF`` value into the outer references and the island groups.

    ``":1 (:2 :-3) :-4"`` gives ``([1, -4], [[2, -3]])``.

    Raises
    ------
    ValueError
        For unbalanced or nested parentheses and tokens that are not ``:n`` or ``:-n``.
    """
    outer: list[int] = []
    islands: list[list[int]] = []
    group: list[int] | None = None
    for token in _REF_TOKEN.findall(text):
        if token == "(":
            if group is not None:
                raise ValueError("nested '(' in ..REF")
            group = []
        elif token == ")":
            if group is None:
                raise ValueError("')' without '(' in ..REF")
            if group:
                islands.append(group)
            group = None
        elif token.startswith(":"):
            (outer if group is None else group).append(int(token[1:]))
        else:
            raise ValueError(f"unexpected {token!r} in ..REF; expected :n, :-n or ( … )")
    if group is not None:
        raise ValueError("'(' without ')' in ..REF")
    return outer, islands


class _FlateError(ValueError):
    """A ``.FLATE`` whose rings cannot be assembled; the message says why."""


_REF_CHARS = 16
"""Characters one reference may take in a ``..REF`` (``:-1234567`` and spaces), for the
length check made before the list is parsed."""


def _check_ref_length(ref: str) -> None:
    limit = current().max_refs * _REF_CHARS
    if len(ref) > limit:
        raise _FlateError(
            f"the ..REF is {len(ref)} characters long; at most {limit} are read "
            "(16 per curve, limit max_refs)"
        )


def _check_ref_counts(refs: list[int]) -> None:
    """At most ``max_refs`` references, none repeated more than ``max_ref_repeats`` times.

    A boundary passes along a curve once (twice where a ring touches itself); a ``..REF``
    listing one curve thousands of times would make its rings that many times longer, so
    such an area is reported, not built (see :mod:`arealkart.load.limits`).
    """
    limits = current()
    if len(refs) > limits.max_refs:
        raise _FlateError(f"the ..REF lists {len(refs)} curves; at most {limits.max_refs} are read")
    counts = Counter(abs(r) for r in refs)
    curve, times = counts.most_common(1)[0]
    if times > limits.max_ref_repeats:
        raise _FlateError(
            f"the ..REF lists curve :{curve} {times} times; a boundary uses a curve at most "
            f"{limits.max_ref_repeats} times"
        )


class _Areas:
    """Assemble ``.FLATE`` objects from the curves they reference; build their polygons."""

    def __init__(self, curves: _Curves, file: str, issues: IssueLog, tolerance: float) -> None:
        self.curves = curves
        self.store = curves.store
        self.file = file
        self.issues = issues
        self.tolerance = tolerance
        self.deferred: list[tuple[PlanObject, list[int], list[list[int]]]] = []
        self.rings: list[tuple[PlanObject, list[np.ndarray], list[np.ndarray]]] = []

    def build_polygons(self) -> None:
        """Give the areas assembled since the last call their polygons, in bulk."""
        _build_polygons(self.rings)
        self.rings = []

    def finish(self) -> list[PlanObject]:
        """Assemble the areas that waited for later curves; return them in file order."""
        deferred, self.deferred = self.deferred, []
        for plan_object, outer, islands in deferred:
            self._area(plan_object, outer, islands)
        return [plan_object for plan_object, _, _ in deferred]

    def flate(self, obj: _Object) -> PlanObject | None:
        """Read a ``.FLATE``: now if all its curves have been read, else at :meth:`finish`.

        Returns ``None`` for a ``.FLATE`` that waits, which :meth:`finish` returns later.
        """
        self.curves.flush()
        plan_object = PlanObject(obj.objtype, obj.feature, obj.attrs)
        try:
            if obj.ref is None:
                raise _FlateError("the .FLATE has no ..REF to its boundary curves")
            _check_ref_length(obj.ref)
            obj.attrs["REF"] = " ".join(obj.ref.split())
            try:
                outer, islands = parse_refs(obj.ref)
            except ValueError as exc:
                raise _FlateError(str(exc)) from None
            if not outer:
                raise _FlateError("the ..REF has no outer boundary (only islands)")
            _check_ref_counts([*outer, *(r for group in islands for r in group)])
        except _FlateError as exc:
            self._flate_issue(plan_object, str(exc))
            return plan_object
        refs = [*outer, *(r for group in islands for r in group)]
        if all(abs(r) in self.store for r in refs):
            self._area(plan_object, outer, islands)
            return plan_object
        self.deferred.append((plan_object, outer, islands))
        return None

    def _area(self, plan_object: PlanObject, outer: list[int], islands: list[list[int]]) -> None:
        """Assemble the rings of an area; its polygon is built when the queue is drained."""
        try:
            shells = self._rings(outer)
            holes = [ring for group in islands for ring in self._rings(group)]
        except _FlateError as exc:
            self._flate_issue(plan_object, str(exc))
            return
        self.rings.append((plan_object, shells, holes))

    def _flate_issue(self, plan_object: PlanObject, detail: str) -> None:
        _report(
            self.issues,
            self.file,
            plan_object.feature,
            plan_object.objtype,
            "geometri_feil",
            detail,
        )

    def _rings(self, refs: list[int]) -> list[np.ndarray]:
        arrays = [self._oriented(ref) for ref in refs]
        ring = _one_ring(arrays, self.tolerance)
        if ring is not None:
            return [ring]
        parts = []
        for ref, xy in zip(refs, arrays, strict=True):
            (x0, y0), (x1, y1) = xy[[0, -1]].tolist()
            parts.append((ref, xy, (x0, y0), (x1, y1)))
        return _chain(parts, self.tolerance)

    def _oriented(self, ref: int) -> np.ndarray:
        xy = self.store.get(abs(ref))
        if xy is None:
            why = self.store.unreadable.get(abs(ref))
            if why is not None:
                raise _FlateError(f"references curve :{ref}, which could not be read ({why})")
            raise _FlateError(
                f"references :{ref}, which is not a curve (.KURVE/.LINJE/.BUEP) in the file"
            )
        return xy[::-1] if ref < 0 else xy


def _one_ring(arrays: list[np.ndarray], tolerance: float) -> np.ndarray | None:
    """The usual case, with a few numpy calls: curves that follow each other exactly.

    Returns the closed ring when every curve starts where the one before it ends and the
    last ends where the first starts; ``None`` otherwise (then :func:`_chain` decides).
    """
    cat = np.concatenate(arrays) if len(arrays) > 1 else arrays[0].copy()
    ends = list(accumulate([len(a) for a in arrays]))
    firsts = [0, *ends[:-1]]
    if len(cat) - len(arrays) < 3:
        return None
    points = cat[[e - 1 for e in ends] + [*firsts[1:], 0]].ravel().tolist()
    n = 2 * len(arrays)
    for i in range(0, n, 2):  # end of curve k against start of curve k + 1 (and k = last)
        if (
            abs(points[i] - points[n + i]) > tolerance
            or abs(points[i + 1] - points[n + i + 1]) > tolerance
        ):
            return None
    if len(arrays) > 1:
        keep = np.ones(len(cat), dtype=bool)
        keep[firsts[1:]] = False
        cat = cat[keep]
    cat[-1] = cat[0]
    return cat


_Part = tuple[int, np.ndarray, tuple[float, float], tuple[float, float]]
"""A curve as a ring needs it: (signed reference, coordinates, first point, last point)."""


def _chain(parts: list[_Part], tolerance: float) -> list[np.ndarray]:
    """Join oriented curves end to end into closed rings."""

    def near(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return abs(p[0] - q[0]) <= tolerance and abs(p[1] - q[1]) <= tolerance

    rings: list[np.ndarray] = []
    first_ref, xy, start, end = parts[0]
    current, refs = [xy], [first_ref]
    for ref, part, head, tail in parts[1:]:
        if near(head, end):
            current.append(part)
            end = tail
        elif near(tail, end):
            logger.debug("curve :%d is reversed against its sign; its endpoints prove it", ref)
            current.append(part[::-1])
            end = head
        elif len(current) == 1 and (near(head, start) or near(tail, start)):
            # the first curve's sign is the wrong one: turn it round
            forward = near(head, start)
            current = [current[0][::-1], part if forward else part[::-1]]
            start, end = end, tail if forward else head
        elif near(start, end):
            rings.append(_closed(current, refs, start, end, tolerance))
            current, refs, start, end = [part], [], head, tail
        else:
            gap = math.dist(end, head)
            raise _FlateError(
                f"gap of {gap:.2f} between the end of :{refs[-1]} and the start of :{ref}"
            )
        refs.append(ref)
    rings.append(_closed(current, refs, start, end, tolerance))
    return rings


def _closed(
    parts: list[np.ndarray],
    refs: list[int],
    start: tuple[float, float],
    end: tuple[float, float],
    tolerance: float,
) -> np.ndarray:
    if abs(start[0] - end[0]) > tolerance or abs(start[1] - end[1]) > tolerance:
        raise _FlateError(
            f"the ring does not close: gap of {math.dist(start, end):.2f} "
            f"between the end of :{refs[-1]} and the start of :{refs[0]}"
        )
    ring = (
        np.concatenate([parts[0], *(p[1:] for p in parts[1:])])
        if len(parts) > 1
        else parts[0].copy()
    )
    ring[-1] = ring[0]
    if len(ring) < 4:
        raise _FlateError(
            f"the ring {' '.join(f':{r}' for r in refs)} has fewer than 3 distinct points"
        )
    return ring


def _build_polygons(
    areas: list[tuple[PlanObject, list[np.ndarray], list[np.ndarray]]],
) -> None:
    """Set each area's geometry; polygons of one ring and no holes are built in one call."""
    simple = [(obj, shells[0]) for obj, shells, holes in areas if len(shells) == 1 and not holes]
    if simple:
        coords = np.concatenate([ring for _, ring in simple])
        index = np.repeat(np.arange(len(simple)), [len(ring) for _, ring in simple])
        polygons = shapely.polygons(shapely.linearrings(coords, indices=index))
        for (obj, _), polygon in zip(simple, polygons, strict=True):
            obj.geometry = polygon
    for obj, shells, holes in areas:
        if len(shells) != 1 or holes:
            obj.geometry = _polygon(shells, holes)


def _polygon(shells: list[np.ndarray], holes: list[np.ndarray]) -> shapely.Geometry:
    """Polygon (or MultiPolygon, for several outer rings) with each hole in its shell.

    Nothing is repaired here: an invalid result is repaired and reported downstream.
    """
    if len(shells) == 1 and not holes:
        return shapely.polygons(shells[0])
    if len(shells) == 1:
        return shapely.polygons(
            shapely.linearrings(shells[0]),
            holes=shapely.linearrings(holes)
            if len(holes) == 1
            else [shapely.linearrings(h) for h in holes],
        )
    outlines = [shapely.Polygon(shell) for shell in shells]
    owned: list[list[np.ndarray]] = [[] for _ in shells]
    for hole in holes:
        x, y = hole[0]
        owner = next((i for i, o in enumerate(outlines) if shapely.intersects_xy(o, x, y)), 0)
        owned[owner].append(hole)
    return shapely.MultiPolygon([shapely.Polygon(s, h) for s, h in zip(shells, owned, strict=True)])
