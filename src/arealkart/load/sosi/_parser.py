"""Turn the objects of one SOSI file into :class:`~arealkart.load.planobjects.PlanObject` records.

:class:`_Parser` decodes each object after the head, hands it to the reader of its kind
(:class:`._curves._Curves` for points and curves, :class:`._areas._Areas` for ``.FLATE``)
and yields the results :data:`OUTPUT_BATCH` at a time, so that their polygons are built in
bulk.  A file without ``.SLUTT`` is read up to its last object, which is counted and
reported (``fil_avkortet``) but not used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from arealkart.errors import SosiError
from arealkart.load.limits import current
from arealkart.load.planobjects import PlanObject, layer_of
from arealkart.load.sosi._curves import _Curves
from arealkart.load.sosi._objects import (
    _AREA_OBJECTS,
    _LAYER_OBJECTS,
    _LINE_KINDS,
    _OBJECT_HEAD,
    _POINT_KINDS,
    _SECTION_KINDS,
    _Object,
    _parse_object,
    _report,
)
from arealkart.load.sosi._stream import _Oversized
from arealkart.load.sosi._text import _clean
from arealkart.load.sosi.areas import _Areas
from arealkart.load.sosi.encoding import _decode, _decoder
from arealkart.load.sosi.header import _ReadContext

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader

OUTPUT_BATCH = 512
"""Objects that wait for their polygons to be built together before they are yielded."""


class _Parser:
    """Turns the objects of a :class:`~arealkart.load.sosi.SosiFile` into PlanObject records."""

    def __init__(self, sosi: _ReadContext) -> None:
        header = sosi.header
        self.path = sosi.path
        self.file = sosi.path.name
        self.header = header
        self.issues = sosi.issues
        self.areas_only = sosi.areas_only
        self.decode = _decoder(header.encoding)
        self.charset = header.tegnsett or header.encoding
        self.curves = _Curves(sosi)
        self.areas = _Areas(self.curves, self.file, sosi.issues, header.enhet / 2)
        self.last_komm: Any = None
        self.queue: list[PlanObject] = []
        self.count = 0
        self.shared: dict[str, PlanObject] = {}
        self.handlers: dict[str, Callable[[_Object], PlanObject | None]] = {
            "FLATE": self.areas.flate,
            **dict.fromkeys(_LINE_KINDS, self.curves.curve),
            **dict.fromkeys(_POINT_KINDS, self.curves.point),
        }

    def objects(self, pieces: Iterable[tuple[int, bytes]]) -> Iterator[PlanObject]:
        """Yield the objects after the head, in file order, a few hundred at a time.

        ``.FLATE`` objects whose curves come later in the file are yielded last.  Objects
        wait in a short queue so that their polygons can be built in bulk.
        """
        pending: tuple[int, bytes] | None = None
        ended = False
        for line, raw in pieces:
            if raw.startswith(b".SLUTT"):
                ended = True
                break
            if pending is not None and (obj := self._object(*pending)) is not None:
                self.queue.append(obj)
                if len(self.queue) >= OUTPUT_BATCH:
                    yield from self._drain()
            pending = (line, raw)
        if pending is not None:
            if ended:
                self._enqueue(self._object(*pending))
            else:
                self.curves.flush()
                self._enqueue(self._truncated(*pending))
        elif not ended:
            logger.warning("%s: the file ends without .SLUTT", self.file)
        self.curves.flush()
        self.queue += self.areas.finish()
        yield from self._drain()
        logger.info("%s: %d objects, %d curves", self.file, self.count, len(self.curves.store))

    def _enqueue(self, obj: PlanObject | None) -> None:
        if obj is not None:
            self.queue.append(obj)

    def _drain(self) -> list[PlanObject]:
        """Give the queued areas their polygons (in bulk) and hand out the queue."""
        self.areas.build_polygons()
        queue, self.queue = self.queue, []
        self.count += len(queue)
        return queue

    def _object(self, line: int, raw: bytes) -> PlanObject | None:
        if isinstance(raw, _Oversized):
            return self._unused(line, raw, "objekt_for_stort", _oversized_detail(raw))
        text = _clean(_decode(self.decode, raw, line, self.path, self.charset))
        obj = _parse_object(text, line, self.path, self.areas_only)
        if "KOMM" in obj.attrs:
            self.last_komm = obj.attrs["KOMM"]
        if obj.kind == "HODE":
            raise SosiError(self.path, "a second .HODE (two files joined into one?)", line=line)
        if obj.kind in _SECTION_KINDS:
            return None
        handler = self.handlers.get(obj.kind)
        if self.areas_only and obj.kind != "FLATE" and obj.objtype not in _LAYER_OBJECTS:
            if obj.kind in _LINE_KINDS and handler is not None:  # every line kind has one
                handler(obj)  # only to keep its coordinates
            return self._shared(obj.objtype)
        plan_object = handler(obj) if handler else PlanObject(obj.objtype, obj.feature, obj.attrs)
        if obj.too_long:
            self._report_too_long(obj)
        if obj.kind != "FLATE" and plan_object is not None and obj.objtype in _AREA_OBJECTS:
            _report(
                self.issues,
                self.file,
                obj.feature,
                obj.objtype,
                "geometri_feil",
                f"a {obj.objtype} must be a .FLATE, got a .{obj.kind}",
            )
            plan_object.geometry = None
        return plan_object

    def _report_too_long(self, obj: _Object) -> None:
        """One ``flagged`` row for an object whose values over the limit were left out."""
        limit = current().max_value_chars
        values = ", ".join(f"..{name} ({length} characters)" for name, length in obj.too_long)
        self.issues.add(
            self.file,
            obj.feature,
            layer_of(obj.objtype),
            "ugyldig_verdi",
            "flagged",
            f"values longer than {limit} characters (limit max_value_chars) left empty: {values}",
        )

    def _shared(self, objtype: str) -> PlanObject:
        """One PlanObject per OBJTYPE, yielded for every such object (``areas_only``)."""
        shared = self.shared.get(objtype)
        if shared is None:
            shared = self.shared[objtype] = PlanObject(objtype, f"(every {objtype})")
        return shared

    def _truncated(self, line: int, raw: bytes) -> PlanObject | None:
        """Count and report the last object of a file without ``.SLUTT``; use none of it."""
        logger.warning("%s: no .SLUTT; the last object (line %d) is not used", self.file, line)
        if isinstance(raw, _Oversized):
            return self._unused(line, raw, "objekt_for_stort", _oversized_detail(raw))
        detail = "the file ends without .SLUTT, so this last object may be cut off; it was not used"
        return self._unused(line, raw, "fil_avkortet", detail)

    def _unused(self, line: int, raw: bytes, rule: str, detail: str) -> PlanObject | None:
        """Count and report an object whose end is missing or was not read; use none of it.

        Its attributes are kept (so that it is counted in its layer, with its municipality;
        ``KOMM`` is taken from an earlier object when the cut fell before it), its geometry
        is not, and curves that need it are reported.
        """
        try:
            text = _clean(self.decode(raw))
        except UnicodeDecodeError:  # cut inside a multi-byte character
            text = _clean(raw.decode("latin-1"))
        if _OBJECT_HEAD.match(text) is None:
            where = "inside an unreadable line" if rule == "fil_avkortet" else "unreadable"
            self.issues.add(
                self.file, f"line {line}", "sosi", rule, "flagged", f"{detail}; {where}"
            )
            return None
        obj = _parse_object(text, line, self.path, self.areas_only)
        if obj.kind in _SECTION_KINDS or obj.kind == "HODE":
            return None
        if obj.serial is not None:
            self.curves.store.unreadable[obj.serial] = detail
        if "KOMM" not in obj.attrs and self.last_komm is not None:
            obj.attrs["KOMM"] = self.last_komm
        _report(self.issues, self.file, obj.feature, obj.objtype, rule, detail)
        return PlanObject(obj.objtype, obj.feature, obj.attrs)


def _oversized_detail(raw: _Oversized) -> str:
    limit = current().max_object_bytes
    return (
        f"the object is {raw.size} bytes long; at most {limit} are read (limit "
        "max_object_bytes); it was not used"
    )
