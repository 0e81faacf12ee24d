"""Read SOSI plan GML (GML 3.2) into the canonical layers.

Scope
-----
Plan GML as Norwegian municipalities, DiBK and Geonorge exchange it: *Reguleringsplanforslag
5.0*, *Plan 4.5/5.0* and the *Reguleringsplan/Kommuneplan 20190401* GML, with application
namespaces under ``http://skjema.geonorge.no/SOSI/produktspesifikasjon/…``.  Every feature
becomes one :class:`~arealkart.planobjects.PlanObject` with its attributes under their SOSI
names, and :func:`~arealkart.planobjects.plan_objects_to_data` builds the layers from them:

==================================  ========================================================
GML feature                         becomes
==================================  ========================================================
``Arealplan``, ``RpOmråde``,        plan metadata (PLANNAVN, PLANTYPE, PLANSTAT, IKRAFT),
``KpOmråde``                        carried onto every zone of the same plan
``RpArealformålOmråde``,            zones (RPAREALFORMÅL, KPAREALFORMÅL, REGFORM, AREALBRUK,
``KpArealformålOmråde``,            FELTNAVN, EIERFORM, UTNTYP, UTNTALL, AREALST)
``RbFormålOmråde``,
``KpArealbrukOmråde``
``RpFareSone``, ``KpStøySone`` …    constraints (RPFARE, KPSTØY …, HENSYNSONENAVN)
anything else                       counted as ``other:<type>``; used only for checks
==================================  ========================================================

Property names differ between the versions; :data:`ATTRIBUTES` lists the ones read
(``nasjonalArealplanId`` or ``arealplanId``, with or without ``administrativEnhet``;
``feltnavn`` or ``feltbetegnelse``; ``Utnytting`` or ``RpUtnytting``; a hensynssone's code
in ``fare``/``støy``/… or ``hensynskategori``, an ``H`` prefix dropped).  Names are matched
case-insensitively.

Choices
-------
Parser
    A namespace-aware streaming parser (:func:`xml.etree.ElementTree.iterparse`): one
    feature is held in memory at a time and removed from the tree once read.
GDAL
    The GDAL that pyogrio bundles *has* the GML driver (checked with
    ``pyogrio.list_drivers()``), but it is not used.  On the DiBK samples it flattens the
    nested properties to bare leaf names (``lokalId``, ``kommunenummer``,
    ``utnyttingstype``), losing which property a value belongs to; a geometry it
    cannot parse aborts the whole layer with an unspecific ``FeatureError`` (``Invalid
    surfaceMember``) unless ``GML_SKIP_CORRUPTED_FEATURES`` drops the feature without a
    record; it writes a ``.gfs`` file next to the input (impossible in read-only folders);
    it resolves no ``xlink:href`` between features; and it densifies arcs by its own
    angular step.  One namespace-aware parser for both the nested properties and the
    geometry is simpler and reports every problem with its ``gml:id``.
Axis order
    An ``srsName`` in OGC URL or URN form (``http://www.opengis.net/def/crs/EPSG/0/25832``,
    ``urn:ogc:def:crs:EPSG::25832``) is read in the axis order of the EPSG definition:
    easting-northing for EPSG:25832/25833/25835 (what the DiBK samples contain), but
    northing-easting for ETRS89 geographic (EPSG:4258) and NTM (EPSG:5105–5130), which are
    swapped to x/y.  The short forms ``EPSG:xxxx`` and ``…/epsg.xml#xxxx`` are read x/y
    (easting or longitude first), as GDAL does.
CRS
    Every ``srsName`` in the file is checked: it must name an EPSG CRS that pyproj knows,
    be projected or geographic (a compound CRS such as EPSG:5972 counts by its horizontal
    part; Z is dropped), and have an area of use that reaches Norway (mainland, Svalbard or
    Jan Mayen).  Anything else raises :class:`~arealkart.errors.CRSError` naming the file
    and the ``srsName`` (the DiBK sample ``gml.epsg.1-fail`` uses EPSG:23095, Dutch
    offshore).  Geometries in a second CRS are transformed to the file's CRS (that of the
    collection's ``gml:boundedBy``, else the most common one); reprojection to EPSG:25832
    happens in :func:`~arealkart.planobjects.plan_objects_to_data`.
Plan id
    A feature's own ``nasjonalArealplanId``/``arealplanId`` first; otherwise that of an
    ``Arealplan`` or plan area (``RpOmråde``…) it links to, or that links to it, with
    ``xlink:href`` (e.g. ``planområde``, ``rpOmråde``); otherwise, when the file holds
    exactly one ``Arealplan``, that plan's KOMM and PLANID.
Arcs
    ``gml:Arc``, ``gml:ArcString`` and ``gml:Circle`` are densified with
    :func:`arealkart._geometry.arc_points` to within ``arc_tolerance`` metres.

Problems
--------
Malformed XML raises :class:`~arealkart.errors.GmlError` with the line number.  Problems in
single features go to the issues report and the rest of the file loads:

=======================  ===========  =====================================================
rule                     action       when
=======================  ===========  =====================================================
``geometri_feil``        unreadable   the geometry cannot be built: unclosed ring, odd
                                      number of coordinates, bad arc, disconnected curve
                                      parts, a reference to a missing geometry, a zone that
                                      is not a surface … (the detail names the reason)
``dobbeltpunkt``         flagged      a curve repeats a point (DiBK ``gml.kurve.2``); the
                                      repeat is dropped
``bue_rett_linje``       flagged      an arc bulges less than 2 cm from its chord (DiBK
                                      ``gml.bue.2``); read as the line through its points
``avgrensning_avvik``    flagged      the boundary objects a feature is ``avgrensesAv``
                                      (bounded by) do not trace its outline (DiBK
                                      ``gml.avgr.1``); the feature's own geometry is kept
``referanse_mangler``    flagged      an ``avgrensesAv`` link points to no feature
``gmlid_duplikat``       flagged      a ``gml:id`` used by an earlier feature
``verdi_ugyldig``        flagged      a code or number that is not one; it is ignored
=======================  ===========  =====================================================

Invalid polygons (self-intersections, holes outside the shell) are repaired and reported
as ``repaired`` by :func:`~arealkart.planobjects.plan_objects_to_data`.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from pyproj import Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.errors import GEOSException

from ._geometry import ARC_TOLERANCE, arc_points
from .errors import ArealkartError, ConfigError, CRSError, GmlError
from .issues import IssueLog
from .planobjects import CONSTRAINT_OBJECTS, ZONE_OBJECTS, PlanObject, plan_objects_to_data
from .read import PlanData
from .schema import CRS as WORKING_CRS

__all__ = ["ATTRIBUTES", "GmlObjects", "read_gml", "read_gml_objects"]

_GML_NAMESPACES = frozenset({"http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml"})
_GML_IDS = tuple(f"{{{ns}}}id" for ns in sorted(_GML_NAMESPACES))
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_OGC_PREFIX = "http://www.opengis.net/"
_MEMBER_CONTAINERS = frozenset({"featureMember", "featureMembers", "member", "members"})

SNAP_TOLERANCE = 0.001
"""Largest gap (m) closed between the ends of a ring or of consecutive curve parts: 1 mm,
the finest coordinate resolution of SOSI plan data."""

MIN_ARC_HEIGHT = 0.02
"""Smallest distance (m) between an arc's middle point and its chord before the arc is
flagged as a straight line: 2 cm, DiBK's limit in rule ``gml.bue.2``."""

BOUNDARY_TOLERANCE = 0.01
"""Largest distance (m) between a feature's outline and the boundary objects it is
``avgrensesAv`` before it is flagged (plus ``arc_tolerance`` where arcs are involved)."""

ATTRIBUTES: dict[str, str] = {
    "identifikasjon/lokalId": "LOKALID",
    "identifikasjon/navnerom": "NAVNEROM",
    "identifikasjon/versjonId": "VERSJONID",
    "nasjonalArealplanId/kommunenummer": "KOMM",
    "nasjonalArealplanId/planidentifikasjon": "PLANID",
    "arealplanId/kommunenummer": "KOMM",
    "arealplanId/planidentifikasjon": "PLANID",
    "plannavn": "PLANNAVN",
    "plantype": "PLANTYPE",
    "planstatus": "PLANSTAT",
    "ikrafttredelsesdato": "IKRAFT",
    "vedtakEndeligPlanDato": "VEDTAKENDELIGPLANDATO",
    "lovreferanse": "LOVREFERANSE",
    "feltnavn": "FELTNAVN",
    "feltbetegnelse": "FELTNAVN",
    "områdenavn": "OMRÅDENAVN",
    "eierform": "EIERFORM",
    "utnytting/utnyttingstype": "UTNTYP",
    "utnytting/utnyttingstall": "UTNTALL",
    "arealbruksstatus": "AREALST",
    "hensynSonenavn": "HENSYNSONENAVN",
    "beskrivelse": "BESKRIVELSE",
    "vertikalnivå": "VERTNIV",
}
"""GML property → SOSI attribute name.  ``a/b`` is the leaf ``b`` anywhere inside the
property ``a`` (``nasjonalArealplanId/NasjonalArealplanId/administrativEnhet/
AdministrativEnhetskode/kommunenummer`` is ``nasjonalArealplanId/kommunenummer``).  The
code of a zone or hensynssone (``arealformål``, ``fare`` …) is read by object type."""

_ZONE_CODE_PROPERTIES = {
    "RpArealformålOmråde": ("arealformål",),
    "KpArealformålOmråde": ("arealformål",),
    "RbFormålOmråde": ("reguleringsformål",),
    "KpArealbrukOmråde": ("arealbruk",),
}
_REPEATED = frozenset({"UTNTYP", "UTNTALL"})
_INTEGER_ATTRIBUTES = frozenset({"PLANTYPE", "PLANSTAT", "EIERFORM", "UTNTYP", "AREALST"})
_DECIMAL_ATTRIBUTES = frozenset({"UTNTALL"})
_INTEGER = re.compile(r"\s*[+-]?\d{1,9}(?:[.,]0*)?\s*")
_CODE = re.compile(r"\s*[Hh]?(\d{1,9})(?:[.,]0*)?\s*")
_DECIMAL = re.compile(r"\s*[+-]?(?:\d{1,15}(?:[.,]\d*)?|[.,]\d{1,15})\s*")
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
_EPSG_SRS = re.compile(r"(?i)(?:^|[/:#])EPSG(?:/[\d.]+/|:[\d.]*:|:|\.xml#)(\d{1,9})")
_NORWAY = (
    (4.0, 57.5, 31.5, 71.5),  # mainland with coastal waters
    (10.0, 74.0, 35.0, 81.0),  # Svalbard
    (-9.1, 70.8, -7.9, 71.2),  # Jan Mayen
)
_DEGREES_PER_METRE = 1 / 111_320
_SURFACES = frozenset(
    {
        "Polygon",
        "PolygonPatch",
        "Surface",
        "MultiSurface",
        "CompositeSurface",
        "MultiPolygon",
        "OrientableSurface",
    }
)
_CURVES = frozenset(
    {"LineString", "LinearRing", "Curve", "CompositeCurve", "OrientableCurve", "Ring"}
)
_REASON = "GEOMETRIFEIL"


@dataclass(frozen=True)
class GmlObjects:
    """The plan objects of one GML file, before they become layers.

    Attributes
    ----------
    objects
        One :class:`~arealkart.planobjects.PlanObject` per feature, attributes under their
        SOSI names; a feature whose geometry could not be built has ``geometry=None`` and
        the reason in ``attrs["GEOMETRIFEIL"]``.
    crs
        CRS of the geometries (EPSG:25832 when the file has none).
    issues
        Problems met while reading (see the module documentation).
    """

    objects: list[PlanObject]
    crs: pyproj.CRS
    issues: IssueLog


def read_gml(
    path: str | Path,
    *,
    kommune: str | int | None = None,
    arc_tolerance: float = ARC_TOLERANCE,
    crs: Any = None,
    **_ignored: Any,
) -> PlanData:
    """Read a SOSI plan GML file into zones and constraints.

    Parameters
    ----------
    path
        A plan GML 3.2 file (Reguleringsplanforslag 5.0, Plan 4.5/5.0, 20190401).
    kommune
        Municipality for objects whose plan id names none (any form the registry knows).
    arc_tolerance
        Largest distance (m) between a densified arc and the true circle.
    crs
        CRS for a file whose geometries name none (``srsName``); ignored otherwise.
    **_ignored
        Options of other readers passed on by :func:`arealkart.read.read_plan`.

    Returns
    -------
    PlanData
        Zones and constraints in EPSG:25832, the issues met, and the features read per
        layer (``other:<type>`` for the rest).

    Raises
    ------
    GmlError
        If the file is not well-formed XML (naming the line) or not a GML feature
        collection.
    CRSError
        If an ``srsName`` is unknown or far from Norway, or the file names no CRS.
    ConfigError
        If ``arc_tolerance`` is not a positive number.
    InputError, MunicipalityError
        If a zone names no municipality (plan id, ``navnerom``) and ``kommune`` is not
        given, or names one the registry does not know.

    Examples
    --------
    >>> data = read_gml("plan.gml")  # doctest: +SKIP
    >>> data.zones[["feltnavn", "arealformal", "plan_navn"]]  # doctest: +SKIP
    """
    path = Path(path)
    raw = read_gml_objects(path, arc_tolerance=arc_tolerance, crs=crs)
    return plan_objects_to_data(
        raw.objects, path=path, crs=raw.crs, issues=raw.issues, kommune=kommune
    )


def read_gml_objects(
    path: str | Path, *, arc_tolerance: float = ARC_TOLERANCE, crs: Any = None
) -> GmlObjects:
    """Read the features of a plan GML file as plan objects, without building layers.

    Parameters
    ----------
    path
        A plan GML 3.2 file.
    arc_tolerance
        Largest distance (m) between a densified arc and the true circle.
    crs
        CRS for a file whose geometries name none; ignored otherwise.

    Returns
    -------
    GmlObjects
        The objects (plan areas such as ``RpOmråde`` included, with their geometry), their
        CRS, and the issues met.

    Raises
    ------
    GmlError, CRSError, ConfigError
        As :func:`read_gml`.
    """
    path = Path(path)
    tolerance = _positive_tolerance(arc_tolerance)
    issues = IssueLog()
    reader = _Reader(path, tolerance, issues)
    features = reader.read()
    target = _file_crs(features, reader, crs)
    _to_file_crs(features, target, reader.srs)
    _check_working_crs(features, target)
    by_id = _index(features, issues, path.name)
    _check_boundaries(features, by_id, issues, path.name, tolerance, target.unit)
    _link_plans(features, by_id)
    _check_layer_geometry(features)
    for feature in features:
        if feature.error:
            layer = _layer_of(feature.objtype)
            # a zone or constraint is lost: unreadable; another object (a plan boundary, a
            # line) is counted as read and used for nothing else, so it is only flagged
            action = "unreadable" if layer in ("zones", "constraints") else "flagged"
            issues.add(
                path.name,
                feature.gml_id,
                layer,
                "geometri_feil",
                action,
                f"{feature.objtype}: {feature.error}",
            )
    return GmlObjects([f.plan_object() for f in features], target.crs, issues)


# --------------------------------------------------------------------------- features


@dataclass
class _Feature:
    objtype: str
    gml_id: str
    attrs: dict[str, Any] = field(default_factory=dict)
    refs: list[tuple[str, str]] = field(default_factory=list)
    geometry: Any = None
    srs: str | None = None
    error: str | None = None
    arcs: bool = False

    def plan_object(self) -> PlanObject:
        attrs = dict(self.attrs)
        if self.error:
            attrs[_REASON] = self.error
        return PlanObject(self.objtype, self.gml_id, attrs, self.geometry)

    def fail(self, reason: str) -> None:
        self.error, self.geometry = reason, None


class _GeometryError(Exception):
    """A geometry that cannot be built; the message is the reason (never leaves this module)."""


@dataclass(frozen=True)
class _Ctx:
    """The srsName and srsDimension in force at an element."""

    srs: str | None = None
    dim: int | None = None


@dataclass(frozen=True)
class _Srs:
    name: str
    crs: pyproj.CRS
    swap: bool
    dimension: int
    unit: float  # CRS units per metre


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
                _layer_of(feature.objtype),
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


def _events(path: Path) -> Iterator[tuple[str, ET.Element]]:
    """Yield iterparse events; turn XML errors into :class:`GmlError` with the line."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise GmlError(path, f"cannot be read: {exc.strerror or exc}") from None
    with fh:
        try:
            first = True
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                if first:
                    _check_root(elem, path)
                    first = False
                yield event, elem
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            reason = re.sub(r":? ?line \d+, column \d+$", "", str(exc))
            raise GmlError(
                path,
                f"malformed XML ({reason}); the file is truncated or not plan GML",
                line=line,
            ) from None
        except ArealkartError:
            raise
        except (LookupError, UnicodeError, ValueError) as exc:
            raise GmlError(
                path,
                f"malformed XML ({exc}); check the encoding in the XML declaration",
                line=1,
            ) from None


def _check_root(root: ET.Element, path: Path) -> None:
    if not _local(root).endswith("Collection"):
        raise GmlError(
            path,
            f"the root element is <{_local(root)}>, expected a gml:FeatureCollection "
            "(SOSI plan GML 3.2)",
            line=1,
        )


def _is_feature(elem: ET.Element, parents: list[ET.Element]) -> bool:
    if _namespace(elem).startswith(_OGC_PREFIX):
        return False
    if len(parents) == 2:
        return _local(parents[1]) in _MEMBER_CONTAINERS
    return len(parents) == 1


def _main_geometry(props: list[ET.Element]) -> ET.Element:
    named = [p for p in props if _local(p).casefold() == "område"]
    return (named or props)[0]


def _collect_values(prop: ET.Element, values: dict[tuple[str, str], list[str]]) -> None:
    first = _local(prop).casefold()
    for leaf in prop.iter():
        if len(leaf) or _is_gml(leaf):
            continue
        text = (leaf.text or "").strip()
        if text:
            values.setdefault((first, _local(leaf).casefold()), []).append(text)


def _attribute_table() -> dict[tuple[str, str], str]:
    table = {}
    for path, sosi in ATTRIBUTES.items():
        first, _, last = path.partition("/")
        table[(first.casefold(), (last or first).casefold())] = sosi
    return table


_ATTRIBUTE_TABLE = _attribute_table()


def _code_properties(objtype: str) -> tuple[tuple[str, ...], str | None]:
    if objtype in _ZONE_CODE_PROPERTIES:
        return _ZONE_CODE_PROPERTIES[objtype], ZONE_OBJECTS[objtype][1]
    if objtype in CONSTRAINT_OBJECTS:
        kind = objtype[2 : -len("Sone")].casefold()
        return (kind, "hensynskategori"), CONSTRAINT_OBJECTS[objtype]
    return (), None


def _sosi_attributes(
    values: dict[tuple[str, str], list[str]], objtype: str, note: Callable[[str, str], None]
) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, texts in values.items():
        sosi = _ATTRIBUTE_TABLE.get(key)
        if sosi is not None and sosi not in attrs:
            attrs[sosi] = list(texts) if sosi in _REPEATED else texts[0]
    if "FELTNAVN" not in attrs and "OMRÅDENAVN" in attrs:
        attrs["FELTNAVN"] = attrs["OMRÅDENAVN"]
    properties, code_attr = _code_properties(objtype)
    for prop in properties:
        texts = values.get((prop.casefold(), prop.casefold()))
        if texts and code_attr:
            attrs[code_attr] = _code(texts[0], code_attr, note)
            break
    for name in _INTEGER_ATTRIBUTES | _DECIMAL_ATTRIBUTES:
        if name in attrs:
            pattern = _DECIMAL if name in _DECIMAL_ATTRIBUTES else _INTEGER
            attrs[name] = _checked(attrs[name], name, pattern, note)
    return {k: v for k, v in attrs.items() if v is not None}


def _code(text: str, name: str, note: Callable[[str, str], None]) -> str | None:
    match = _CODE.fullmatch(text)
    if match:
        return match.group(1)
    note("verdi_ugyldig", f"{name} {text!r} is not a code; ignored")
    return None


def _checked(value: Any, name: str, pattern: re.Pattern, note: Callable[[str, str], None]) -> Any:
    if isinstance(value, list):
        return [_checked(v, name, pattern, note) for v in value]
    if pattern.fullmatch(value):
        return value.strip()
    note("verdi_ugyldig", f"{name} {value!r} is not a number; ignored")
    return None


def _layer_of(objtype: str) -> str:
    if objtype in ZONE_OBJECTS:
        return "zones"
    if objtype in CONSTRAINT_OBJECTS:
        return "constraints"
    return objtype


# --------------------------------------------------------------------------- geometry


class _Geometries:
    """Build shapely geometries from GML geometry elements."""

    def __init__(self, srs: _SrsLookup, arc_tolerance: float) -> None:
        self.srs = srs
        self.arc_tolerance = arc_tolerance
        self.targets: dict[str, Any] | None = None
        self.notes: list[tuple[str, str]] = []
        self.arcs = False
        self.feature: str | None = None
        self._path_kinds: dict[str, Callable[[ET.Element, _Ctx], np.ndarray]] = {
            "LineString": self._line,
            "LinearRing": self._line,
            "Curve": self._curve,
            "CompositeCurve": self._composite,
            "Ring": self._composite,
            "OrientableCurve": self._orientable,
        }
        self._segment_kinds: dict[str, Callable[[ET.Element, _Ctx], np.ndarray]] = {
            "LineStringSegment": self._line,
            "Arc": self._arc_segment,
            "ArcString": self._arc_string,
            "Circle": self._circle,
        }

    def start(self, feature: str | None) -> None:
        self.feature, self.notes, self.arcs = feature, [], False

    def ctx(self, elem: ET.Element, outer: _Ctx) -> _Ctx:
        srs = elem.get("srsName") or None
        if srs:
            self.srs(srs, self.feature)
        dim = elem.get("srsDimension")
        if dim is not None and dim.strip() not in ("2", "3"):
            raise _GeometryError(f"srsDimension {dim!r} on gml:{_local(elem)}; expected 2 or 3")
        return _Ctx(srs or outer.srs, int(dim) if dim is not None else outer.dim)

    def build(self, prop: ET.Element, ctx: _Ctx) -> tuple[Any, str | None]:
        """Build the geometry held by a property element; return it and its srsName."""
        href = prop.get(_XLINK_HREF)
        if len(prop) == 0:
            if href is not None:
                geometry, srs = self._target(href)
                return geometry, srs or ctx.srs
            raise _GeometryError(f"the property {_local(prop)} holds no geometry")
        if len(prop) > 1:
            raise _GeometryError(f"the property {_local(prop)} holds {len(prop)} elements")
        elem = prop[0]
        srs = self.ctx(elem, ctx).srs
        return self.geometry(elem, ctx), srs

    def geometry(self, elem: ET.Element, ctx: _Ctx) -> Any:
        kind = _local(elem)
        if not _is_gml(elem):
            raise _GeometryError(f"<{kind}> is not a GML geometry")
        try:
            if kind in _SURFACES:
                return _polygonal(self._surfaces(elem, ctx))
            if kind in _CURVES:
                return shapely.LineString(self._path(elem, ctx))
            if kind in ("MultiCurve", "MultiLineString"):
                inner = self.ctx(elem, ctx)
                members = _members(elem, ("curveMember", "lineStringMember"), "curveMembers")
                return shapely.MultiLineString([self._member_path(m, inner) for m in members])
            if kind in ("Point", "MultiPoint"):
                return self._points_geometry(elem, ctx)
        except ArealkartError:
            raise
        except (ValueError, GEOSException) as exc:
            raise _GeometryError(f"gml:{kind}: {exc}") from None
        raise _GeometryError(f"gml:{kind} geometries are not supported")

    # -- surfaces

    def _surfaces(self, elem: ET.Element, ctx: _Ctx) -> list[Any]:
        ctx = self.ctx(elem, ctx)
        kind = _local(elem)
        if kind in ("Polygon", "PolygonPatch"):
            return [self._polygon(elem, ctx)]
        if kind == "Surface":
            patches = _child(elem, "patches")
            if patches is None or not len(patches):
                raise _GeometryError("gml:Surface without gml:patches")
            return [p for patch in patches for p in self._surfaces(patch, ctx)]
        if kind == "OrientableSurface":
            base = _child(elem, "baseSurface")
            if base is None:
                raise _GeometryError("gml:OrientableSurface without gml:baseSurface")
            return self._member_surfaces(base, ctx)
        members = _members(elem, ("surfaceMember", "polygonMember"), "surfaceMembers")
        polygons = [p for m in members for p in self._member_surfaces(m, ctx)]
        if not polygons:
            raise _GeometryError(f"gml:{kind} has no members")
        return polygons

    def _member_surfaces(self, member: ET.Element, ctx: _Ctx) -> list[Any]:
        if _is_gml(member) and _local(member) in _SURFACES:
            return self._surfaces(member, ctx)
        if len(member) == 0:
            geometry, _ = self._target(member.get(_XLINK_HREF))
            if shapely.get_type_id(geometry) not in (3, 6):
                raise _GeometryError(f"a surface member refers to a {geometry.geom_type}")
            return list(shapely.get_parts(geometry))
        return self._surfaces(member[0], ctx)

    def _polygon(self, elem: ET.Element, ctx: _Ctx) -> Any:
        ctx = self.ctx(elem, ctx)
        kind = _local(elem)
        exteriors = _children(elem, "exterior", "outerBoundaryIs")
        if len(exteriors) != 1:
            raise _GeometryError(f"gml:{kind} has {len(exteriors)} gml:exterior, expected 1")
        shell = self._ring(exteriors[0], ctx)
        holes = [self._ring(i, ctx) for i in _children(elem, "interior", "innerBoundaryIs")]
        return shapely.Polygon(shell, holes)

    def _ring(self, holder: ET.Element, ctx: _Ctx) -> np.ndarray:
        if len(holder) != 1:
            raise _GeometryError(f"gml:{_local(holder)} holds {len(holder)} rings, expected 1")
        ring = holder[0]
        kind = _local(ring)
        if kind not in ("LinearRing", "Ring"):
            raise _GeometryError(f"gml:{_local(holder)} holds gml:{kind}, expected a ring")
        points = self._path(ring, ctx)
        return self._closed(points, kind, self.ctx(ring, ctx))

    def _closed(self, points: np.ndarray, kind: str, ctx: _Ctx) -> np.ndarray:
        gap = float(np.hypot(*(points[-1] - points[0])))
        if gap > SNAP_TOLERANCE * self._unit(ctx):
            raise _GeometryError(
                f"gml:{kind} is not closed: it starts at {_fmt(points[0])} and ends at "
                f"{_fmt(points[-1])}"
            )
        if len(points) < 4:
            raise _GeometryError(f"gml:{kind} has {len(points)} points; a ring needs 4 or more")
        points = points.copy()
        points[-1] = points[0]
        return points

    # -- curves

    def _path(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        kind = _local(elem)
        handler = self._path_kinds.get(kind) if _is_gml(elem) else None
        if handler is None:
            raise _GeometryError(f"gml:{kind} is not a supported curve")
        return handler(elem, self.ctx(elem, ctx))

    def _member_path(self, member: ET.Element, ctx: _Ctx) -> np.ndarray:
        if _is_gml(member) and _local(member) in _CURVES:
            return self._path(member, ctx)
        if len(member) == 0:
            geometry, _ = self._target(member.get(_XLINK_HREF))
            if geometry.geom_type not in ("LineString", "LinearRing"):
                raise _GeometryError(f"a curve member refers to a {geometry.geom_type}")
            return shapely.get_coordinates(geometry)
        if len(member) > 1:
            raise _GeometryError(f"gml:{_local(member)} holds {len(member)} curves, expected 1")
        return self._path(member[0], ctx)

    def _line(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._dedupe(self._points(elem, ctx), _local(elem))
        if len(points) < 2:
            raise _GeometryError(f"gml:{_local(elem)} has fewer than 2 distinct points")
        return points

    def _curve(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        segments = _child(elem, "segments")
        if segments is None or not len(segments):
            raise _GeometryError("gml:Curve without gml:segments")
        parts = []
        for segment in segments:
            handler = self._segment_kinds.get(_local(segment))
            if handler is None:
                raise _GeometryError(f"gml:{_local(segment)} segments are not supported")
            parts.append(handler(segment, self.ctx(segment, ctx)))
        return self._join(parts, "gml:Curve", ctx)

    def _composite(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        members = _members(elem, ("curveMember",), "curveMembers")
        if not members:
            raise _GeometryError(f"gml:{_local(elem)} has no gml:curveMember")
        return self._join([self._member_path(m, ctx) for m in members], f"gml:{_local(elem)}", ctx)

    def _orientable(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        base = _child(elem, "baseCurve")
        if base is None:
            raise _GeometryError("gml:OrientableCurve without gml:baseCurve")
        path = self._member_path(base, ctx)
        return path[::-1] if elem.get("orientation", "+").strip() == "-" else path

    def _join(self, parts: list[np.ndarray], what: str, ctx: _Ctx) -> np.ndarray:
        joined = [parts[0]]
        for part in parts[1:]:
            end, start = joined[-1][-1], part[0]
            if float(np.hypot(*(start - end))) > SNAP_TOLERANCE * self._unit(ctx):
                raise _GeometryError(
                    f"the parts of {what} do not connect: one ends at {_fmt(end)}, the next "
                    f"starts at {_fmt(start)}"
                )
            joined.append(part[1:])
        return np.vstack(joined)

    def _dedupe(self, points: np.ndarray, kind: str) -> np.ndarray:
        repeats = np.all(points[1:] == points[:-1], axis=1)
        if not repeats.any():
            return points
        first = points[1:][repeats][0]
        self.notes.append(
            (
                "dobbeltpunkt",
                f"gml:{kind} repeats {int(repeats.sum())} point(s), first at {_fmt(first)}; "
                "the repeats were dropped",
            )
        )
        return points[np.concatenate([[True], ~repeats])]

    # -- arcs

    def _arc_segment(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) != 3:
            raise _GeometryError(f"gml:Arc has {len(points)} points, expected 3")
        return self._arc(points, ctx)

    def _arc_string(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) < 3 or len(points) % 2 == 0:
            raise _GeometryError(f"gml:ArcString has {len(points)} points, expected 3, 5, 7 …")
        arcs = [self._arc(points[i : i + 3], ctx) for i in range(0, len(points) - 1, 2)]
        return self._join(arcs, "gml:ArcString", ctx)

    def _arc(self, points: np.ndarray, ctx: _Ctx) -> np.ndarray:
        self.arcs = True
        unit = self._unit(ctx)
        start, middle, end = points
        self._distinct(points, "gml:Arc", unit)
        chord = end - start
        length = float(np.hypot(*chord))
        offset = middle - start
        height = abs(float(chord[0] * offset[1] - chord[1] * offset[0])) / length
        if height < MIN_ARC_HEIGHT * unit:
            along = float(offset @ chord) / length**2
            if not 0.0 < along < 1.0:
                raise _GeometryError(
                    f"gml:Arc from {_fmt(start)} to {_fmt(end)} has its middle point on the "
                    "line through its ends but not between them"
                )
            self.notes.append(
                (
                    "bue_rett_linje",
                    f"gml:Arc from {_fmt(start)} to {_fmt(end)} bulges only "
                    f"{height / unit:.3f} m from a straight line (less than {MIN_ARC_HEIGHT} m); "
                    "read as the line through its three points",
                )
            )
            return points.copy()
        return arc_points(start, middle, end, self.arc_tolerance * unit)

    def _circle(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) != 3:
            raise _GeometryError(f"gml:Circle has {len(points)} points, expected 3")
        self.arcs = True
        unit = self._unit(ctx)
        self._distinct(points, "gml:Circle", unit)
        centre = _circumcentre(*points)
        if centre is None:
            raise _GeometryError(f"the points of gml:Circle at {_fmt(points[0])} are collinear")
        start = points[0]
        radius = start - centre
        turn = 1.0 if _cross(points[1] - start, points[2] - start) > 0 else -1.0
        quarter = centre + turn * np.array([-radius[1], radius[0]])
        opposite = centre - radius
        tolerance = self.arc_tolerance * unit
        first = arc_points(start, quarter, opposite, tolerance)
        second = arc_points(opposite, 2 * centre - quarter, start, tolerance)
        return np.vstack([first, second[1:]])

    def _distinct(self, points: np.ndarray, kind: str, unit: float) -> None:
        for i, j in ((0, 1), (1, 2), (0, 2)):
            if float(np.hypot(*(points[i] - points[j]))) <= SNAP_TOLERANCE * unit:
                raise _GeometryError(f"{kind} has coincident points at {_fmt(points[i])}")

    # -- coordinates

    def _points(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._raw_points(elem, ctx)
        srs = self._srs(ctx)
        return points[:, ::-1].copy() if srs is not None and srs.swap else points

    def _raw_points(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        """Return the coordinates of an element in file order (before any axis swap)."""
        parts = []
        for child in elem:
            kind = _local(child) if _is_gml(child) else ""
            if kind == "posList":
                parts.append(self._pos_list(child, ctx))
            elif kind == "pos":
                parts.append(self._pos(child, ctx))
            elif kind == "coordinates":
                parts.append(_coordinates(child))
            elif kind in ("pointProperty", "pointRep") and len(child):
                parts.append(self._raw_points(child[0], self.ctx(child[0], ctx)))
        if not parts:
            raise _GeometryError(f"gml:{_local(elem)} has no coordinates")
        return np.vstack(parts)

    def _pos_list(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        ctx = self.ctx(elem, ctx)
        srs = self._srs(ctx)
        dim = ctx.dim or (srs.dimension if srs is not None else 2)
        values = _numbers(elem.text)
        if not values.size or values.size % dim:
            raise _GeometryError(
                f"gml:posList has {values.size} numbers, not a multiple of srsDimension {dim}"
            )
        return values.reshape(-1, dim)[:, :2]

    def _pos(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        ctx = self.ctx(elem, ctx)
        values = _numbers(elem.text)
        if values.size not in (2, 3) or (ctx.dim is not None and values.size != ctx.dim):
            raise _GeometryError(f"gml:pos has {values.size} numbers, expected 2 or 3")
        return values[:2].reshape(1, 2)

    def _points_geometry(self, elem: ET.Element, ctx: _Ctx) -> Any:
        ctx = self.ctx(elem, ctx)
        if _local(elem) == "Point":
            return shapely.Point(self._points(elem, ctx)[0])
        members = _members(elem, ("pointMember",), "pointMembers")
        points = [self._points(p, self.ctx(p, ctx))[0] for p in map(_member_point, members)]
        if not points:
            raise _GeometryError("gml:MultiPoint has no members")
        return shapely.MultiPoint(points)

    def _srs(self, ctx: _Ctx) -> _Srs | None:
        return self.srs(ctx.srs, self.feature) if ctx.srs else None

    def _unit(self, ctx: _Ctx) -> float:
        srs = self._srs(ctx)
        return srs.unit if srs is not None else 1.0

    def _target(self, href: str | None) -> tuple[Any, str | None]:
        ref = _href_id(href or "")
        if self.targets is None:
            raise _GeometryError(f"references inside a referenced geometry (#{ref})")
        if "#" in ref or ref not in self.targets:
            raise _GeometryError(f"refers to {href}, which is not a geometry in the file")
        target = self.targets[ref]
        if isinstance(target, str):
            raise _GeometryError(f"the referenced geometry #{ref} cannot be built: {target}")
        return target


def _numbers(text: str | None) -> np.ndarray:
    tokens = (text or "").split()
    try:
        values = np.array(tokens, dtype=float)
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise _GeometryError(f"{bad[:40]!r} is not a number") from None
    if not np.isfinite(values).all():
        raise _GeometryError("a coordinate is not a finite number")
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _coordinates(elem: ET.Element) -> np.ndarray:
    """Parse GML 2 ``gml:coordinates`` (``cs``, ``ts`` and ``decimal`` honoured)."""
    cs, ts, decimal = elem.get("cs", ","), elem.get("ts", " "), elem.get("decimal", ".")
    text = (elem.text or "").strip()
    tuples = text.split() if not ts.strip() else text.split(ts)
    rows = [_numbers(t.replace(cs, " ").replace(decimal, ".")) for t in tuples if t.strip()]
    if not rows or any(r.size not in (2, 3) for r in rows):
        raise _GeometryError("gml:coordinates are not pairs or triples of numbers")
    return np.array([r[:2] for r in rows])


def _circumcentre(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> np.ndarray | None:
    a, b = p1 - p0, p2 - p0
    d = 2.0 * _cross(a, b)
    scale = max(float(a @ a), float(b @ b))
    if abs(d) <= 1e-12 * scale:
        return None
    ux = (b[1] * (a @ a) - a[1] * (b @ b)) / d
    uy = (a[0] * (b @ b) - b[0] * (a @ a)) / d
    return p0 + np.array([ux, uy])


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _polygonal(polygons: list[Any]) -> Any:
    parts = [p for polygon in polygons for p in shapely.get_parts(polygon)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _fmt(point: np.ndarray) -> str:
    return f"({point[0]:.3f}, {point[1]:.3f})"


# --------------------------------------------------------------------------- CRS


class _SrsLookup:
    """Check and cache the CRS of every ``srsName`` met in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache: dict[str, _Srs] = {}

    def __call__(self, name: str, feature: str | None = None) -> _Srs:
        srs = self.cache.get(name)
        if srs is None:
            srs = self.cache[name] = _parse_srs(name, self.path, feature)
        return srs


def _parse_srs(name: str, path: Path, feature: str | None) -> _Srs:
    crs, authority_axes = _crs_of(name, path, feature)
    horizontal = crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs
    if not (horizontal.is_projected or horizontal.is_geographic):
        raise CRSError(
            path,
            f"srsName {name!r} names {crs.name}, a {crs.type_name}; expected a projected "
            "or geographic CRS such as EPSG:25832",
            feature=feature,
        )
    area = crs.area_of_use
    if area is not None and not any(_overlaps(area.bounds, box) for box in _NORWAY):
        raise CRSError(
            path,
            f"srsName {name!r} names {crs.name}, whose area of use ({area.name}) is far "
            "from Norway; Norwegian plan data uses EPSG:25832, 25833 or 25835, so the srsName "
            "is probably wrong",
            feature=feature,
        )
    axes = horizontal.axis_info
    swap = authority_axes and bool(axes) and axes[0].direction.lower() in ("north", "south")
    unit = 1 / axes[0].unit_conversion_factor if horizontal.is_projected and axes else 1.0
    if horizontal.is_geographic:
        unit = _DEGREES_PER_METRE
    return _Srs(name, horizontal, swap, max(2, min(3, len(crs.axis_info))), unit)


def _crs_of(name: str, path: Path, feature: str | None) -> tuple[pyproj.CRS, bool]:
    authority_axes = name.casefold().startswith("urn:") or "/def/crs/" in name.casefold()
    if name.rstrip().upper().endswith("CRS84"):
        return pyproj.CRS.from_user_input("OGC:CRS84"), False
    match = _EPSG_SRS.search(name.strip())
    if match is None or match.end() != len(name.strip()):
        raise CRSError(
            path,
            f"srsName {name!r} is not an EPSG code; expected e.g. "
            "'http://www.opengis.net/def/crs/EPSG/0/25832' or 'urn:ogc:def:crs:EPSG::25832'",
            feature=feature,
        )
    try:
        return pyproj.CRS.from_epsg(int(match.group(1))), authority_axes
    except (ProjCRSError, ValueError, OverflowError):
        raise CRSError(
            path,
            f"srsName {name!r} names EPSG:{match.group(1)}, which is not in the EPSG "
            "registry; Norwegian plan data uses EPSG:25832, 25833 or 25835",
            feature=feature,
        ) from None


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _file_crs(features: list[_Feature], reader: _Reader, crs: Any) -> _Srs:
    """Choose the CRS for all geometries: the collection's, else the most common."""
    name = reader.collection_srs
    if name is None:
        used = Counter(f.srs for f in features if f.geometry is not None and f.srs)
        name = used.most_common(1)[0][0] if used else None
    if name is not None:
        return reader.srs(name)
    has_geometry = any(f.geometry is not None for f in features)
    if crs is None and has_geometry:
        raise CRSError(
            reader.path,
            "the file names no CRS (no srsName on the collection's gml:boundedBy "
            "or on any geometry); pass crs='EPSG:25832' (or --crs on the CLI)",
        )
    try:
        user = pyproj.CRS.from_user_input(crs if crs is not None else WORKING_CRS)
    except (ProjCRSError, ValueError, TypeError) as exc:
        raise CRSError(reader.path, f"unknown CRS {crs!r}: {exc}") from None
    return _Srs(str(crs), user, False, 2, 1.0 if user.is_projected else _DEGREES_PER_METRE)


def _to_file_crs(features: list[_Feature], target: _Srs, lookup: _SrsLookup) -> None:
    transformers: dict[str, Transformer] = {}
    for feature in features:
        if feature.geometry is None or not feature.srs or feature.srs == target.name:
            continue
        source = lookup(feature.srs)
        if source.crs.equals(target.crs):
            continue
        if feature.srs not in transformers:
            transformers[feature.srs] = Transformer.from_crs(source.crs, target.crs, always_xy=True)
        moved = shapely.transform(feature.geometry, _transform_with(transformers[feature.srs]))
        if not np.isfinite(shapely.get_coordinates(moved)).all():
            feature.fail(
                f"its coordinates cannot be transformed from {feature.srs} to {target.crs.name}"
            )
        else:
            feature.geometry = moved


def _check_working_crs(features: list[_Feature], target: _Srs) -> None:
    """Mark zones and constraints whose coordinates cannot reach EPSG:25832."""
    if target.crs.equals(pyproj.CRS.from_user_input(WORKING_CRS)):
        return
    transform = _transform_with(Transformer.from_crs(target.crs, WORKING_CRS, always_xy=True))
    for feature in features:
        if feature.geometry is None or _layer_of(feature.objtype) == feature.objtype:
            continue
        if not np.isfinite(transform(shapely.get_coordinates(feature.geometry))).all():
            feature.fail(
                f"its coordinates lie outside the area where {target.crs.name} can "
                f"be transformed to {WORKING_CRS}"
            )


def _transform_with(transformer: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    def transform(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return transform


# --------------------------------------------------------------------------- checks and links


def _index(features: list[_Feature], issues: IssueLog, file: str) -> dict[str, _Feature]:
    by_id: dict[str, _Feature] = {}
    for feature in features:
        if feature.gml_id in by_id:
            issues.add(
                file,
                feature.gml_id,
                _layer_of(feature.objtype),
                "gmlid_duplikat",
                "flagged",
                f"{feature.objtype}: gml:id {feature.gml_id!r} is also used "
                f"by an earlier {by_id[feature.gml_id].objtype}",
            )
            continue
        by_id[feature.gml_id] = feature
    return by_id


def _check_boundaries(
    features: list[_Feature],
    by_id: dict[str, _Feature],
    issues: IssueLog,
    file: str,
    arc_tolerance: float,
    unit: float,
) -> None:
    """Flag features whose ``avgrensesAv`` boundary objects do not trace their outline."""
    for feature in features:
        refs = [t for p, t in feature.refs if p.casefold().startswith("avgrensesav")]
        if not refs or feature.geometry is None:
            continue
        if shapely.get_type_id(feature.geometry) not in (3, 6):
            continue
        layer = _layer_of(feature.objtype)
        missing = [t for t in refs if t not in by_id]
        if missing:
            issues.add(
                file,
                feature.gml_id,
                layer,
                "referanse_mangler",
                "flagged",
                f"{feature.objtype}: avgrensesAv refers to "
                f"{', '.join('#' + t for t in missing)}, not in the file",
            )
            continue
        bounds = [by_id[t] for t in refs]
        if any(b.geometry is None for b in bounds):
            continue
        tolerance = BOUNDARY_TOLERANCE
        if feature.arcs or any(b.arcs for b in bounds):
            tolerance += arc_tolerance
        lines = shapely.union_all([b.geometry for b in bounds])
        distance = shapely.hausdorff_distance(feature.geometry.boundary, lines) / unit
        if distance > tolerance:
            issues.add(
                file,
                feature.gml_id,
                layer,
                "avgrensning_avvik",
                "flagged",
                f"{feature.objtype}: its outline and the boundary objects it is "
                f"avgrensesAv ({', '.join('#' + t for t in refs)}) differ by up to "
                f"{distance:.3f} m (tolerance {tolerance:.3f} m); its own geometry is "
                "kept",
            )


_PLAN_AREAS = frozenset({"RpOmråde", "KpOmråde", "RbOmråde"})


def _link_plans(features: list[_Feature], by_id: dict[str, _Feature]) -> None:
    """Give features without a plan id the id of the plan they belong to."""
    linked_from: dict[str, list[_Feature]] = {}
    for feature in features:
        for _, target in feature.refs:
            linked_from.setdefault(target, []).append(feature)

    def neighbours(feature: _Feature) -> list[_Feature]:
        out = [by_id[t] for _, t in feature.refs if t in by_id]
        return out + linked_from.get(feature.gml_id, [])

    plans = [f for f in features if f.objtype == "Arealplan"]
    for kinds in ({"Arealplan"}, {"Arealplan"} | _PLAN_AREAS):
        for feature in features:
            if "PLANID" in feature.attrs or feature.objtype == "Arealplan":
                continue
            source = next(
                (n for n in neighbours(feature) if n.objtype in kinds and "PLANID" in n.attrs), None
            )
            if source is not None:
                _copy_plan_id(source, feature)
    if len(plans) == 1 and "PLANID" in plans[0].attrs:
        for feature in features:
            if "PLANID" not in feature.attrs:
                _copy_plan_id(plans[0], feature)


def _copy_plan_id(source: _Feature, feature: _Feature) -> None:
    for key in ("KOMM", "PLANID"):
        if key in source.attrs:
            feature.attrs.setdefault(key, source.attrs[key])


def _check_layer_geometry(features: list[_Feature]) -> None:
    for feature in features:
        if feature.geometry is None or _layer_of(feature.objtype) == feature.objtype:
            continue
        if shapely.get_type_id(feature.geometry) not in (3, 6):
            feature.fail(
                f"expected a surface (gml:Polygon, gml:Surface or gml:MultiSurface), "
                f"found a {feature.geometry.geom_type}"
            )


# --------------------------------------------------------------------------- XML helpers


@lru_cache(maxsize=4096)
def _split_tag(tag: str) -> tuple[str, str]:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, local


def _namespace(elem: ET.Element) -> str:
    return _split_tag(elem.tag)[0] if isinstance(elem.tag, str) else ""


def _local(elem: ET.Element) -> str:
    return _split_tag(elem.tag)[1] if isinstance(elem.tag, str) else ""


def _is_gml(elem: ET.Element) -> bool:
    return _namespace(elem) in _GML_NAMESPACES


def _gml_id(elem: ET.Element) -> str | None:
    return next((elem.get(a) for a in _GML_IDS if elem.get(a)), None)


def _href_id(href: str) -> str:
    href = href.strip()
    return href[1:] if href.startswith("#") else href


def _child(elem: ET.Element, local: str) -> ET.Element | None:
    return next((c for c in elem if _is_gml(c) and _local(c) == local), None)


def _children(elem: ET.Element, *locals_: str) -> list[ET.Element]:
    return [c for c in elem if _is_gml(c) and _local(c) in locals_]


def _member_point(member: ET.Element) -> ET.Element:
    if _local(member) == "Point" or not len(member):
        return member
    return member[0]


def _members(elem: ET.Element, singles: tuple[str, ...], plural: str) -> list[ET.Element]:
    """Member property elements; the children of a plural ``…Members`` count one each."""
    out: list[ET.Element] = []
    for child in elem:
        if not _is_gml(child):
            continue
        if _local(child) in singles:
            out.append(child)
        elif _local(child) == plural:
            out.extend(child)
    return out


def _positive_tolerance(value: Any) -> float:
    try:
        tolerance = float(value)
    except (TypeError, ValueError):
        tolerance = math.nan
    if not math.isfinite(tolerance) or tolerance <= 0:
        raise ConfigError(f"arc_tolerance must be a positive number of metres, got {value!r}")
    return tolerance
