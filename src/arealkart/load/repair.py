"""Polygon validity check and repair with a time limit per feature.

:func:`shapely.make_valid` (and even :func:`shapely.is_valid`) can run for hours on one
polygon whose edges cross each other millions of times, and GEOS cannot be interrupted,
not even by Ctrl-C.  :func:`check_and_repair` therefore checks small polygons here and
sends every repair, and every large polygon, to a helper process
(:mod:`._repair_worker`); an answer that takes longer than the limit
``repair_seconds`` (:mod:`arealkart.load.limits`) stops that process, the polygon becomes
one issues row, and a new helper takes the next one.  A polygon with more than
``max_vertices`` vertices is not checked at all.  Waiting for the helper is plain Python,
so Ctrl-C stops a build at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from arealkart.load.limits import Limits, current

log = logging.getLogger(__name__)

_WORKER_SCRIPT = Path(__file__).with_name("_repair_worker.py")
_LENGTH = struct.Struct(">Q")
_START_SECONDS = 120
"""How long the helper may take to start (a busy machine imports shapely slowly)."""


class _TimeoutError(Exception):
    """The helper gave no answer within the limit."""


class _Worker:
    """One helper process and the pipes to it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # never holds the caller's stderr open
        )
        try:  # its start (Python, shapely) is not part of any polygon's time
            ready = self._read(1, time.monotonic() + _START_SECONDS)
        except _TimeoutError:
            ready = b""
        if ready != b"K":
            self.stop()
            raise RuntimeError(f"the repair helper did not start within {_START_SECONDS} s")

    def ask(self, wkb: bytes, seconds: float) -> tuple[bytes, list[bytes]]:
        """Send one polygon; return the answer's kind and fields, or raise _TimeoutError."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"W" + _LENGTH.pack(len(wkb)) + wkb)
        self.process.stdin.flush()
        deadline = time.monotonic() + seconds
        kind = self._read(1, deadline)
        count = {b"V": 0, b"R": 2, b"E": 1}.get(kind)
        if count is None:
            raise RuntimeError(f"the repair helper answered {kind!r}")
        fields = []
        for _ in range(count):
            (size,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
            fields.append(self._read(size, deadline))
        return kind, fields

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _TimeoutError
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise RuntimeError("the repair helper stopped")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.close_pipes()

    def close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def _helper() -> _Worker:
    global _worker
    if _worker is None or _worker.process.poll() is not None:
        if _worker is not None:
            _worker.stop()
        _worker = _Worker()
    return _worker


def _stop_helper() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
    _worker = None


def _forget_helper_in_child() -> None:
    """Close a forked process's copies of the helper's pipes; it starts its own if needed.

    The helper then sees the end of its input, and exits, as soon as its own parent ends.
    """
    global _worker
    if _worker is not None:
        _worker.close_pipes()
    _worker = None


atexit.register(_stop_helper)
os.register_at_fork(after_in_child=_forget_helper_in_child)


@dataclass
class Repaired:
    """What :func:`check_and_repair` did to each geometry (by position)."""

    geometries: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    """Position → why the polygon was invalid, for those repaired."""
    failed: dict[int, str] = field(default_factory=dict)
    """Position → why the polygon could not be checked or repaired (not usable)."""


def check_and_repair(geoms: np.ndarray, *, polygons: np.ndarray | None = None) -> Repaired:
    """Check polygons for validity and repair the invalid ones, each within the limits.

    Parameters
    ----------
    geoms
        Shapely geometries.
    polygons
        Which of them to check (default: every non-empty Polygon or MultiPolygon).

    Returns
    -------
    Repaired
        The geometries with the repaired ones replaced (by :func:`shapely.make_valid`'s
        "structure" method), the reason each repaired one was invalid, and those that were
        over ``max_vertices`` or not done within ``repair_seconds`` (left unchanged).
    """
    geoms = np.asarray(geoms, dtype=object)
    if polygons is None:
        polygons = np.isin(shapely.get_type_id(geoms), [3, 6]) & ~shapely.is_empty(geoms)
    limits = current()
    result = Repaired(geoms.copy())
    vertices = shapely.get_num_coordinates(geoms)
    for i in np.flatnonzero(polygons & (vertices > limits.max_vertices)):
        result.failed[int(i)] = (
            f"the polygon has {vertices[i]:,} vertices; at most {limits.max_vertices:,} "
            "are read (limit max_vertices)"
        ).replace(",", " ")
    small = polygons & (vertices < limits.check_in_process_vertices)
    small[small] = ~shapely.is_valid(geoms[small])
    large = polygons & (vertices >= limits.check_in_process_vertices)
    large &= vertices <= limits.max_vertices
    to_helper = np.flatnonzero(small | large)
    if len(to_helper):
        with _lock:
            for i in to_helper:
                _repair_one(result, int(i), int(vertices[i]), limits)
    return result


def _repair_one(result: Repaired, i: int, vertices: int, limits: Limits) -> None:
    wkb = shapely.to_wkb(result.geometries[i])
    try:
        kind, fields = _helper().ask(wkb, limits.repair_seconds)
    except _TimeoutError:
        _stop_helper()
        log.warning(
            "a polygon of %d vertices: no repair within %s s", vertices, limits.repair_seconds
        )
        result.failed[i] = (
            f"checking and repairing the polygon ({vertices} vertices) took more than "
            f"{limits.repair_seconds:g} s (limit repair_seconds); it was not used"
        )
        return
    except BaseException:  # Ctrl-C or a broken pipe: no helper is left half-way
        _stop_helper()
        raise
    if kind == b"R":
        result.reasons[i] = fields[0].decode()
        result.geometries[i] = shapely.from_wkb(fields[1])
    elif kind == b"E":
        result.failed[i] = f"the polygon cannot be checked: {fields[0].decode()}"
