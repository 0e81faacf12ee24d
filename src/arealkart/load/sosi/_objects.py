"""One SOSI object: its kind, serial number, attributes, coordinate blocks and ``..REF``.

:func:`_parse_object` splits the decoded text of an object at its ``..`` elements; the
coordinate blocks are kept as text, for :mod:`._curves` to parse in bulk.  :func:`_report`
is how a problem in one object reaches the issues report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arealkart.errors import SosiError
from arealkart.load.limits import current
from arealkart.load.planobjects import CONSTRAINT_OBJECTS, PLAN_OBJECTS, ZONE_OBJECTS, layer_of
from arealkart.load.sosi._text import _first, _name_and_value, _put, _value
from arealkart.model.issues import IssueLog

_OBJECT_HEAD = re.compile(r"\.([A-Za-zÆØÅæøå][\w-]*)(?:[ \t]+(-?\d+)[ \t]*:)?")

_COORD_DIMS = {"NØ": 2, "NØH": 3}
_LINE_KINDS = frozenset({"KURVE", "LINJE", "BUEP", "BUE", "KLOTOIDE", "SIRKELP", "SIRKEL"})
_STRAIGHTENED_KINDS = frozenset({"BUE", "KLOTOIDE", "SIRKEL"})
_POINT_KINDS = frozenset({"PUNKT", "SYMBOL", "TEKST"})
_SECTION_KINDS = frozenset({"DEF", "OBJDEF"})
_AREA_OBJECTS = frozenset(ZONE_OBJECTS) | frozenset(CONSTRAINT_OBJECTS)
_LAYER_OBJECTS = _AREA_OBJECTS | PLAN_OBJECTS


@dataclass
class _Object:
    kind: str
    serial: int | None
    line: int
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)
    coords: list[tuple[int, str, int]] = field(default_factory=list)
    ref: str | None = None
    objtype: str = ""
    too_long: list[tuple[str, int]] = field(default_factory=list)
    """Elements whose value is longer than ``max_value_chars``: (name, length), not read."""

    def line_at(self, offset: int) -> int:
        """Line number of the character at ``offset`` in the object's text."""
        return self.line + self.text.count("\n", 0, offset)

    @property
    def feature(self) -> str:
        return (
            f"{self.kind} {self.serial}"
            if self.serial is not None
            else f"{self.kind} (line {self.line})"
        )


def _parse_object(text: str, line: int, path: Path, areas_only: bool) -> _Object:
    """Split an object's text at each ``..`` element; collect attributes and geometry.

    This is the hot loop of the reader: plain string methods, no per-line work for
    coordinate lines (a coordinate block is parsed as a whole by numpy).  With
    ``areas_only``, an object that is not a ``.FLATE`` and whose ``OBJTYPE`` is no zone,
    constraint or plan object gets only its ``OBJTYPE`` and the coordinate blocks of curves.
    """
    match = _OBJECT_HEAD.match(text)
    if match is None:
        raise SosiError(
            path,
            "expected an object header such as '.KURVE 12:', "
            f"found {text.split(chr(10), 1)[0][:60]!r}",
            line=line,
        )
    serial = match.group(2)
    obj = _Object(match.group(1).upper(), None if serial is None else int(serial), line, text)
    if areas_only and obj.kind != "FLATE":
        _read_light(obj, text)
        obj.objtype = obj.attrs.get("OBJTYPE") or obj.kind
        if obj.objtype not in _LAYER_OBJECTS:
            return obj
        obj.attrs.clear()
        obj.coords.clear()
    _read_elements(obj, text.split("\n.."))
    obj.objtype = _first(obj.attrs.get("OBJTYPE")) or obj.kind
    return obj


def _read_elements(obj: _Object, parts: list[str]) -> None:
    attrs = obj.attrs
    offset = len(parts[0]) + 3
    longest = current().max_value_chars
    for part in parts[1:]:
        start, offset = offset, offset + len(part) + 3
        first, _, body = part.partition("\n")
        if "\t" in first:
            name, value = _name_and_value(first)
        else:
            name, _, value = first.partition(" ")
        name = name.lstrip(".")
        if name in _COORD_DIMS:
            obj.coords.append((_COORD_DIMS[name], f"{value}\n{body}", start))
            continue
        if name == "REF":
            obj.ref = f"{obj.ref or ''} {value} {body}"
            continue
        if len(part) > longest:
            obj.too_long.append((name, len(part) - len(name) - 1))
            continue
        if body and not body.isspace():
            value = f"{value} {' '.join(body.split())}"
        value = _value(value) if '"' in value or "'" in value else value.strip()
        if not value or not name:
            continue
        if name not in attrs:
            attrs[name] = value
        else:
            _put(attrs, name, value)


def _read_light(obj: _Object, text: str) -> None:
    """Only ``OBJTYPE`` and the coordinate blocks of curves (see ``areas_only``)."""
    at = text.find("\n..OBJTYPE")
    end = text.find("\n", at + 1)
    if at >= 0 and (end if end >= 0 else len(text)) - at <= current().max_value_chars:
        found, value = _name_and_value(text[at + 1 :] if end < 0 else text[at + 1 : end])
        if found == "..OBJTYPE" and (value := _value(value)):
            obj.attrs["OBJTYPE"] = value
    at = text.find("\n..NØ") if obj.kind in _LINE_KINDS else -1
    if at < 0:
        return
    offset = at + 3
    for part in text[offset:].split("\n.."):
        start, offset = offset, offset + len(part) + 3
        if part.startswith("NØ"):
            first, _, body = part.partition("\n")
            name, value = _name_and_value(first)
            if name in _COORD_DIMS:
                obj.coords.append((_COORD_DIMS[name], f"{value}\n{body}", start))


def _report(
    issues: IssueLog, file: str, feature: str, objtype: str, rule: str, detail: str
) -> None:
    """Report an object that cannot be used.

    A zone or constraint is ``unreadable`` (it is not in the outputs).  Any other object
    (curve, text, plan boundary) is counted as read and used, never output, so its problem
    is ``flagged``; the zones that need it are reported ``unreadable`` in their turn.
    """
    layer = layer_of(objtype)
    issues.add(file, feature, layer, rule, "flagged" if layer == objtype else "unreadable", detail)
