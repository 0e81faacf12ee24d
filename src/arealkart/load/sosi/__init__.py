r"""A native, streaming reader for the plan subset of SOSI 4.0/4.5 (``.sos`` files).

:func:`read_sosi` turns a SOSI file into the canonical layers (through
:func:`arealkart.load.planobjects.plan_objects_to_data`); :func:`parse_sosi` is the layer below it
and yields one :class:`~arealkart.load.planobjects.PlanObject` per SOSI object.

How the file is read
--------------------
* **Streaming.**  The file is read in blocks of bytes and cut into objects at every line
  that starts with a single ``.`` (``.KURVE 12:``, ``.FLATE 140:``, ``.SLUTT``); each object
  is decoded and parsed on its own, so memory does not grow with the file.  What is kept
  until the end is output-sized: the coordinates of every curve (``.FLATE`` objects may
  reference curves that come later in the file), packed in one numpy buffer, and the
  ``.FLATE`` objects whose curves have not been seen yet.  For speed, :func:`read_sosi`
  parses the coordinates of up to :data:`CURVE_BATCH` curves in one numpy call, and
  objects are handed on :data:`OUTPUT_BATCH` at a time so that their polygons are built
  in bulk; a coordinate block is never split into Python lines.
* **Character set.**  The head (``.HODE``) is read as bytes first and ``..TEGNSETT`` picks
  the decoder: ``UTF-8``, ``ISO8859-1``, ``ISO8859-10``, ``ANSI`` (read as ISO 8859-1, as the
  SOSI standard defines it), ``DOSN8`` (Norwegian DOS, code page 865), ``ND7`` and ``DECN7``
  (7-bit Norwegian, ISO 646-NO: ``[\]{|}`` are ``ÆØÅæøå``).  A UTF-8 byte order mark means
  UTF-8.  A head without ``..TEGNSETT`` is read as UTF-8 where it decodes and as ISO 8859-1
  where it does not.  ``encoding=`` overrides all of this.
* **Coordinates.**  ``...KOORDSYS`` gives the CRS through ``data/sosi_koordsys.csv``;
  coordinates are integers, northing first: real = integer × ``...ENHET`` + ``...ORIGO-NØ``.
  ``..NØ`` and ``..NØH`` blocks are read (the height is ignored), node markers such as
  ``...KP 1`` after a coordinate are skipped, several blocks in one object are concatenated.
* **Geometry.**  ``.KURVE``/``.LINJE`` are polylines; ``.BUEP`` is an arc through three
  points (a longer ``.BUEP`` is a chain of such arcs), densified with
  :func:`arealkart.load.geometry.arc_points`; ``.PUNKT``, ``.SYMBOL`` and ``.TEKST`` are points.
  A ``.FLATE`` is built from its signed ``..REF`` list (``:-12`` is curve 12 reversed,
  ``( … )`` an island): the curves are joined end to end into rings and made into a
  polygon with holes.  A curve whose sign contradicts its endpoints is turned round only
  when the endpoints prove it.

What happens with bad input
---------------------------
Problems that make the whole file unreadable raise :class:`~arealkart.errors.SosiError`
(an :class:`~arealkart.errors.InputError`) naming the file, the line and what was expected:
no ``.HODE``, an unknown ``..TEGNSETT`` or ``...KOORDSYS``, bytes that do not decode in the
declared character set, NUL bytes (binary data), a malformed object header line.  Problems
in one object go to the issues report and the rest of the file still loads.  A zone or
constraint that cannot be used is ``unreadable`` (layer ``zones``/``constraints``); any
other object (a curve, a text, the plan boundary) is counted as read and never output, so
its problem is ``flagged`` (layer: its ``OBJTYPE``), and the zones that need it are reported
``unreadable`` in their turn.  The rules:

``koordinat_feil``
    a coordinate line that is not integers, an implausible coordinate, an arc that cannot
    be computed, or coordinates outside the domain of the file's CRS;
``geometri_feil``
    a ``.FLATE`` whose ``..REF`` cannot be parsed, that references a missing or unreadable
    curve, or whose rings do not close (the detail names the reference or the gap);
``geometri_forenklet`` (``flagged``)
    a curve type read as straight segments (``.BUE``, ``.KLOTOIDE``, ``.SIRKEL``);
``fil_avkortet``
    a file without ``.SLUTT`` (cut off): everything up to the last object is read; the last
    object is counted and reported but not used, because nothing shows it is complete;
``objekt_for_stort``
    an object longer than ``max_object_bytes``: skipped without being held in memory;
``ugyldig_verdi`` (``flagged``)
    a value longer than ``max_value_chars``: left empty.

The limits are those of :mod:`arealkart.load.limits`; a ``..REF`` beyond them is a
``geometri_feil``.

Modules
-------
This module holds the public functions; the work is done in private modules, one step
each: ``_stream`` (bytes into objects), ``encoding`` (character sets), ``_text``
(comments, elements, quoted values), ``header`` (the ``.HODE``), ``_objects`` (one
object's attributes), ``_curves`` (coordinates, arcs, the curve store), ``areas``
(``.FLATE`` rings and polygons) and ``_parser`` (all objects of a file, in order).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjError

from arealkart.errors import SosiError
from arealkart.load.geometry import ARC_TOLERANCE
from arealkart.load.planobjects import PlanObject, plan_objects_to_data
from arealkart.load.sosi._objects import _report
from arealkart.load.sosi._parser import _Parser
from arealkart.load.sosi._stream import _open, _raw_objects
from arealkart.load.sosi.areas import parse_refs
from arealkart.load.sosi.encoding import TEGNSETT
from arealkart.load.sosi.header import (
    SosiHeader,
    _known_codes,
    _read_header,
    _ReadContext,
    koordsys_table,
)
from arealkart.model.issues import IssueLog
from arealkart.model.plandata import PlanData
from arealkart.model.schema import CRS as WORKING_CRS

logger = logging.getLogger(__name__)

__all__ = [
    "TEGNSETT",
    "SosiFile",
    "SosiHeader",
    "koordsys_table",
    "parse_refs",
    "parse_sosi",
    "read_sosi",
]


def read_sosi(
    path: str | Path,
    *,
    kommune: str | int | None = None,
    encoding: str | None = None,
    arc_tolerance: float = ARC_TOLERANCE,
    crs: Any = None,
    **_ignored: Any,
) -> PlanData:
    """Read a SOSI plan file into the canonical layers.

    Parameters
    ----------
    path
        A ``.sos`` file (reguleringsplan, kommuneplan, or older pbl 1985 plans).
    kommune
        Municipality for objects that carry no ``KOMM`` (any form the registry knows).
    encoding
        Character set overriding ``..TEGNSETT``: a SOSI name (``"ISO8859-1"``, ``"DOSN8"``
        …) or a Python codec name.
    arc_tolerance
        Largest distance (CRS units) between a densified ``.BUEP`` arc and the circle.
    crs
        CRS the coordinates are in: it overrides the head's ``...KOORDSYS`` (a warning
        says so when that names another), and reads a file whose code is missing or not
        in the table.
    **_ignored
        Options of other readers (``kind``, ``engine`` …), accepted and ignored.

    Returns
    -------
    PlanData
        Zones, constraints, the issues met, and ``counts`` covering every object of the
        file (objects that are neither zones nor constraints as ``other:<OBJTYPE>``).

    Raises
    ------
    SosiError
        If the file cannot be read as SOSI at all (see the module documentation).
    """
    path = Path(path)
    issues = IssueLog()
    sosi = parse_sosi(
        path,
        encoding=encoding,
        arc_tolerance=arc_tolerance,
        issues=issues,
        areas_only=True,
        crs=crs,
    )
    file_crs = _file_crs(sosi.header, crs, path)
    objects = list(sosi)
    _drop_untransformable(objects, file_crs, issues, path.name)
    return plan_objects_to_data(objects, path=path, crs=file_crs, issues=issues, kommune=kommune)


def parse_sosi(
    path: str | Path,
    *,
    encoding: str | None = None,
    arc_tolerance: float = ARC_TOLERANCE,
    issues: IssueLog | None = None,
    areas_only: bool = False,
    crs: Any = None,
) -> SosiFile:
    """Open a SOSI file: read its head now and its objects when iterated.

    Parameters
    ----------
    path
        The ``.sos`` file.
    encoding
        Character set overriding ``..TEGNSETT`` (see :func:`read_sosi`).
    arc_tolerance
        Largest distance between a densified ``.BUEP`` arc and the circle.
    issues
        Where per-object problems are recorded (a new log when ``None``).
    areas_only
        Read only what the layers need, as :func:`read_sosi` does.  Zones, constraints
        and plan objects are read in full; every other object (curves, texts, points …)
        is yielded as one shared :class:`PlanObject` per ``OBJTYPE``, without geometry or
        attributes: enough to count them, and memory does not grow with how many there
        are.  The curves' coordinates are kept for the areas as always.
    crs
        The CRS the coordinates are in, when the head's ``...KOORDSYS`` is missing or not
        in the table: then neither is a warning or an error.

    Returns
    -------
    SosiFile
        ``.header`` (a :class:`SosiHeader`), ``.issues``; iterate it for the objects.

    Raises
    ------
    SosiError
        For a missing ``.HODE``, an unknown ``..TEGNSETT`` or ``...KOORDSYS``, or a head
        that cannot be decoded.
    """
    path = Path(path)
    if not isinstance(arc_tolerance, int | float) or not 0 < arc_tolerance < math.inf:
        raise SosiError(path, f"arc_tolerance must be a positive number, got {arc_tolerance!r}")
    if encoding is not None and not isinstance(encoding, str):
        raise SosiError(path, f"encoding must be a name such as 'ISO8859-1', got {encoding!r}")
    header = _read_header(path, encoding, crs_given=crs is not None)
    return SosiFile(
        path, header, arc_tolerance, IssueLog() if issues is None else issues, areas_only
    )


class SosiFile:
    """A SOSI file whose head has been read; iterating it streams the objects.

    Create it with :func:`parse_sosi`.  Every iteration reads the file again from the start
    (and records its issues again).  ``.FLATE`` objects whose curves come later in the file
    are yielded at the end.
    """

    def __init__(
        self,
        path: Path,
        header: SosiHeader,
        arc_tolerance: float,
        issues: IssueLog,
        areas_only: bool,
    ) -> None:
        self.path = path
        self.header = header
        self.issues = issues
        self.arc_tolerance = arc_tolerance
        self.areas_only = areas_only

    def __iter__(self) -> Iterator[PlanObject]:
        context = _ReadContext(
            self.path, self.header, self.arc_tolerance, self.issues, self.areas_only
        )
        parser = _Parser(context)
        with _open(self.path) as fh:
            pieces = _raw_objects(fh, self.path)
            for _line, raw in pieces:
                if raw.startswith(b".HODE"):
                    break
            yield from parser.objects(pieces)


def _file_crs(header: SosiHeader, crs: Any, path: Path) -> pyproj.CRS:
    """The CRS of the coordinates: ``crs`` if given (it overrides the head), else the head's."""
    if crs is None and header.crs is None:
        raise SosiError(
            path,
            "the .HODE has no ...KOORDSYS, so the coordinates cannot be placed; "
            f"add it to the file or pass crs=… (known KOORDSYS codes: {_known_codes()})",
        )
    if crs is None:
        return pyproj.CRS.from_user_input(header.crs)
    try:
        given = pyproj.CRS.from_user_input(crs)
    except ProjError as exc:
        raise SosiError(path, f"unknown crs {crs!r}: {exc}") from None
    if header.crs is not None and not given.equals(pyproj.CRS.from_user_input(header.crs)):
        logger.warning(
            "%s: ...KOORDSYS %s says %s; using %s as asked",
            path.name,
            header.koordsys,
            header.crs,
            given.to_string(),
        )
    return given


def _drop_untransformable(
    objects: list[PlanObject], crs: pyproj.CRS, issues: IssueLog, file: str
) -> None:
    """Report and drop geometries whose coordinates do not transform to the working CRS.

    A wrong ``...KOORDSYS`` (projected coordinates read as degrees, say) gives coordinates
    outside the CRS's domain, which would otherwise turn into infinite coordinates.
    """
    if crs.equals(WORKING_CRS):
        return
    owners = [o for o in objects if o.geometry is not None]
    if not owners:
        return
    coords, index = shapely.get_coordinates([o.geometry for o in owners], return_index=True)
    transformer = pyproj.Transformer.from_crs(crs, WORKING_CRS, always_xy=True)
    x, y = transformer.transform(coords[:, 0], coords[:, 1])
    for i in np.unique(index[~(np.isfinite(x) & np.isfinite(y))]):
        obj = owners[i]
        _report(
            issues,
            file,
            obj.feature,
            obj.objtype,
            "koordinat_feil",
            f"coordinates outside the domain of {crs.to_string()}, so they cannot be "
            f"transformed to {WORKING_CRS}; is the file's ...KOORDSYS right?",
        )
        obj.geometry = None
