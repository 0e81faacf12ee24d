"""Stream the features of a plan GML file into records with attributes and geometry.

One feature is held in memory at a time and removed from the tree once read.  Geometries
that refer to others with ``xlink:href`` wait until the end of the file; a second pass then
builds the geometries they point at.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from arealkart.load.gml._crs import _Ctx, _SrsLookup
from arealkart.load.gml._geometry import _Geometries
from arealkart.load.gml._positions import _GeometryError
from arealkart.load.gml._xml import (
    _XLINK_HREF,
    _events,
    _gml_id,
    _href_id,
    _is_gml,
    _local,
    _namespace,
)
from arealkart.load.gml.features import _collect_values, _Feature, _sosi_attributes
from arealkart.load.planobjects import layer_of
from arealkart.model.issues import IssueLog

_OGC_PREFIX = "http://www.opengis.net/"
_MEMBER_CONTAINERS = frozenset({"featureMember", "featureMembers", "member", "members"})
_GEOMETRY_PROPERTIES = frozenset(
    {
        "område",
        "grense",
        "senterlinje",
        "posisjon",
        "geometri",
        "flate",
        "objektposisjon",
        "tekstplassering",
    }
)


class _Reader:
    """Stream the features of one file and build their attributes and geometries."""

    def __init__(self, path: Path, arc_tolerance: float, issues: IssueLog) -> None:
        self.path = path
        self.issues = issues
        self.srs = _SrsLookup(path)
        self.geometries = _Geometries(self.srs, arc_tolerance)
        self.collection_srs: str | None = None
        self.features: list[_Feature] = []
        self.pending: list[tuple[_Feature, ET.Element, _Ctx]] = []

    def read(self) -> list[_Feature]:
        parents: list[ET.Element] = []
        with closing(_events(self.path)) as events:
            for event, elem in events:
                if event == "start":
                    parents.append(elem)
                    continue
                parents.pop()
                if len(parents) == 1 and _is_gml(elem) and _local(elem) == "boundedBy":
                    self.collection_srs = self._envelope_srs(elem, None)
                if _is_feature(elem, parents):
                    self._add(elem)
                    parents[-1].remove(elem)
                elif len(parents) == 1:
                    parents[0].remove(elem)
        if self.pending:
            self._resolve_pending()
        return self.features

    def _envelope_srs(self, bounded_by: ET.Element, feature: str | None) -> str | None:
        for envelope in bounded_by:
            name = envelope.get("srsName")
            if name:
                self.srs(name, feature)
                return name
        return None

    def _add(self, elem: ET.Element) -> None:
        objtype = _local(elem)
        feature = _Feature(objtype, _gml_id(elem) or f"{objtype}#{len(self.features) + 1}")
        ctx = _Ctx(self.collection_srs)
        values: dict[tuple[str, str], list[str]] = {}
        geometry_props: list[ET.Element] = []
        for child in elem:
            if _is_gml(child):
                if _local(child) == "boundedBy":
                    ctx = _Ctx(self._envelope_srs(child, feature.gml_id) or ctx.srs)
                continue
            name = _local(child)
            href = child.get(_XLINK_HREF)
            if len(child) == 0 and href is not None:
                if name.casefold() in _GEOMETRY_PROPERTIES:
                    geometry_props.append(child)
                else:
                    feature.refs.append((name, _href_id(href)))
            elif len(child) and _is_gml(child[0]):
                geometry_props.append(child)
            else:
                _collect_values(child, values)
        feature.attrs = _sosi_attributes(values, objtype, self._noter(feature))
        if geometry_props:
            self._build(feature, _main_geometry(geometry_props), ctx)
        self.features.append(feature)

    def _noter(self, feature: _Feature) -> Callable[[str, str], None]:
        def note(rule: str, detail: str) -> None:
            self.issues.add(
                self.path.name,
                feature.gml_id,
                layer_of(feature.objtype),
                rule,
                "flagged",
                f"{feature.objtype}: {detail}",
            )

        return note

    def _build(self, feature: _Feature, prop: ET.Element, ctx: _Ctx) -> None:
        if any(e.get(_XLINK_HREF) is not None for e in prop.iter()):
            self.pending.append((feature, prop, ctx))
            return
        self._build_now(feature, prop, ctx)

    def _build_now(self, feature: _Feature, prop: ET.Element, ctx: _Ctx) -> None:
        self.geometries.start(feature.gml_id)
        try:
            feature.geometry, feature.srs = self.geometries.build(prop, ctx)
        except _GeometryError as exc:
            feature.fail(str(exc))
        feature.arcs = self.geometries.arcs
        note = self._noter(feature)
        for rule, detail in self.geometries.notes:
            note(rule, detail)

    def _resolve_pending(self) -> None:
        wanted = {
            _href_id(e.get(_XLINK_HREF) or "")
            for _, prop, _ in self.pending
            for e in prop.iter()
            if e.get(_XLINK_HREF) is not None
        }
        self.geometries.targets = self._targets(wanted)
        for feature, prop, ctx in self.pending:
            self._build_now(feature, prop, ctx)
        self.geometries.targets = None

    def _targets(self, wanted: set[str]) -> dict[str, Any]:
        """Second pass: build the geometries that ``xlink:href`` points at."""
        targets: dict[str, Any] = {}
        parents: list[ET.Element] = []
        contexts: list[_Ctx] = []
        with closing(_events(self.path)) as events:
            for event, elem in events:
                if event == "start":
                    outer = contexts[-1] if contexts else _Ctx(self.collection_srs)
                    parents.append(elem)
                    contexts.append(_Ctx(elem.get("srsName") or outer.srs, outer.dim))
                    continue
                parents.pop()
                contexts.pop()
                gml_id = _gml_id(elem)
                if gml_id in wanted and gml_id not in targets:
                    targets[gml_id] = self._target(elem, contexts)
                if _is_feature(elem, parents):
                    parents[-1].remove(elem)
                elif len(parents) == 1:
                    parents[0].remove(elem)
        return targets

    def _target(self, elem: ET.Element, contexts: list[_Ctx]) -> Any:
        ctx = contexts[-1] if contexts else _Ctx(self.collection_srs)
        self.geometries.start(_gml_id(elem))
        try:
            if _is_gml(elem):
                return self.geometries.geometry(elem, ctx), self.geometries.ctx(elem, ctx).srs
            props = [c for c in elem if len(c) and _is_gml(c[0]) and not _is_gml(c)]
            if not props:
                raise _GeometryError("it has no geometry")
            return self.geometries.build(_main_geometry(props), ctx)
        except _GeometryError as exc:
            return str(exc)


def _is_feature(elem: ET.Element, parents: list[ET.Element]) -> bool:
    if _namespace(elem).startswith(_OGC_PREFIX):
        return False
    if len(parents) == 2:
        return _local(parents[1]) in _MEMBER_CONTAINERS
    return len(parents) == 1


def _main_geometry(props: list[ET.Element]) -> ET.Element:
    named = [p for p in props if _local(p).casefold() == "område"]
    return (named or props)[0]
