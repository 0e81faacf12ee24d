"""Read SOSI plan GML (GML 3.2) into the canonical layers.

Scope
-----
Plan GML as Norwegian municipalities, DiBK and Geonorge exchange it: *Reguleringsplanforslag
5.0*, *Plan 4.5/5.0* and the *Reguleringsplan/Kommuneplan 20190401* GML, with application
namespaces under ``http://skjema.geonorge.no/SOSI/produktspesifikasjon/…``.  Every feature
becomes one :class:`~arealkart.load.planobjects.PlanObject` with its attributes under their SOSI
names, and :func:`~arealkart.load.planobjects.plan_objects_to_data` builds the layers from them:

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
    happens in :func:`~arealkart.load.planobjects.plan_objects_to_data`.
Plan id
    A feature's own ``nasjonalArealplanId``/``arealplanId`` first; otherwise that of an
    ``Arealplan`` or plan area (``RpOmråde``…) it links to, or that links to it, with
    ``xlink:href`` (e.g. ``planområde``, ``rpOmråde``); otherwise, when the file holds
    exactly one ``Arealplan``, that plan's KOMM and PLANID.
Arcs
    ``gml:Arc``, ``gml:ArcString`` and ``gml:Circle`` are densified with
    :func:`arealkart.load.geometry.arc_points` to within ``arc_tolerance`` metres.

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
as ``repaired`` by :func:`~arealkart.load.planobjects.plan_objects_to_data`.

Modules
-------
This module holds the public functions; the work is done in private modules, one step
each: ``_xml`` (the event stream and element helpers), ``_reader`` (features one at a
time), ``features`` (a feature's record and SOSI attributes), ``_positions``, ``_curves``
and ``_geometry`` (coordinates, then curves and arcs, then surfaces and points), ``_crs``
(``srsName`` checks and the file's CRS) and ``_links`` (checks and links between features).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyproj

from arealkart.errors import ConfigError
from arealkart.load.geometry import ARC_TOLERANCE
from arealkart.load.gml._crs import _check_working_crs, _file_crs, _to_file_crs
from arealkart.load.gml._links import (
    _check_boundaries,
    _check_layer_geometry,
    _index,
    _link_plans,
)
from arealkart.load.gml._reader import _Reader
from arealkart.load.gml.features import ATTRIBUTES
from arealkart.load.planobjects import PlanObject, layer_of, plan_objects_to_data
from arealkart.model.issues import IssueLog
from arealkart.model.plandata import PlanData

__all__ = ["ATTRIBUTES", "GmlObjects", "read_gml", "read_gml_objects"]


@dataclass(frozen=True)
class GmlObjects:
    """The plan objects of one GML file, before they become layers.

    Attributes
    ----------
    objects
        One :class:`~arealkart.load.planobjects.PlanObject` per feature, attributes under their
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
        Options of other readers passed on by :func:`arealkart.load.read.read_plan`.

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
    target = _file_crs(features, reader.collection_srs, reader.srs, reader.path, crs)
    _to_file_crs(features, target, reader.srs)
    _check_working_crs(features, target)
    by_id = _index(features, issues, path.name)
    _check_boundaries(features, by_id, issues, path.name, tolerance, target.unit)
    _link_plans(features, by_id)
    _check_layer_geometry(features)
    for feature in features:
        if feature.error:
            layer = layer_of(feature.objtype)
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


def _positive_tolerance(value: Any) -> float:
    try:
        tolerance = float(value)
    except (TypeError, ValueError):
        tolerance = math.nan
    if not math.isfinite(tolerance) or tolerance <= 0:
        raise ConfigError(f"arc_tolerance must be a positive number of metres, got {value!r}")
    return tolerance
