"""Turn plan objects (as SOSI and plan GML carry them) into the canonical layers.

Both the SOSI reader and the plan GML reader produce :class:`PlanObject` records with
attributes under their **SOSI names** (``RPAREALFORMÅL``, ``FELTNAVN``, ``KOMM``,
``PLANID``, ``UTNTYP`` …; nested groups flattened).  :func:`plan_objects_to_data` then:

* collects plan metadata from the plan objects (``RpOmråde``, ``KpOmråde``, GML
  ``Arealplan``: ``PLANNAVN``, ``PLANTYPE``, ``PLANSTAT``, ``IKRAFT``) and carries it onto
  every zone of the same plan (joined by municipality and plan id);
* makes zones from ``RpArealformålOmråde``, ``KpArealformålOmråde``, ``RbFormålOmråde``
  and ``KpArealbrukOmråde``, and constraints from the hensynssone objects;
* reprojects to EPSG:25832, repairs invalid polygons (reported), and counts what it read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from arealkart.errors import InputError
from arealkart.load.geometry import repair_polygons, to_working_crs
from arealkart.model.issues import DROPPING_ACTIONS, IssueLog, source_feature
from arealkart.model.schema import ID_COLUMNS, conform, empty
from arealkart.registry.kommuner import kommunenummer as resolve_kommune

if TYPE_CHECKING:
    from arealkart.model.plandata import PlanData

resolve_kommune = cache(resolve_kommune)  # the registry is static: resolve each value once

ZONE_OBJECTS: dict[str, tuple[str, str]] = {
    "RpArealformålOmråde": ("RP", "RPAREALFORMÅL"),
    "KpArealformålOmråde": ("KP", "KPAREALFORMÅL"),
    "RbFormålOmråde": ("RB", "REGFORM"),
    "KpArealbrukOmråde": ("KP1985", "AREALBRUK"),
}
"""SOSI object type of a zone → (code list, attribute holding the code)."""

CONSTRAINT_OBJECTS: dict[str, str] = {
    f"{prefix}{kind}Sone": f"{prefix.upper()}{attr}"
    for prefix in ("Rp", "Kp")
    for kind, attr in (
        ("Fare", "FARE"),
        ("Sikring", "SIKRING"),
        ("Støy", "STØY"),
        ("Båndlegging", "BÅNDLEGGING"),
        ("AngittHensyn", "ANGITTHENSYN"),
        ("Infrastruktur", "INFRASTRUKTUR"),
        ("Gjennomføring", "GJENNOMFØRING"),
        ("Detaljering", "DETALJERING"),
    )
}
"""SOSI object type of a hensynssone → attribute holding its code (e.g. ``RPFARE``)."""


def layer_of(objtype: str) -> str:
    """The layer an object type feeds (``zones``, ``constraints``), or the type itself."""
    if objtype in ZONE_OBJECTS:
        return "zones"
    if objtype in CONSTRAINT_OBJECTS:
        return "constraints"
    return objtype


PLAN_OBJECTS = frozenset({"RpOmråde", "KpOmråde", "RbOmråde", "KpAvgrensning", "Arealplan"})
"""Objects that carry plan metadata (and the plan boundary)."""

_PLAN_FIELDS = {
    "PLANNAVN": "plan_navn",
    "PLANTYPE": "plantype",
    "PLANSTAT": "planstatus",
    "IKRAFT": "ikraft",
}


@dataclass
class PlanObject:
    """One object of a plan file.

    Attributes
    ----------
    objtype
        SOSI object type, e.g. ``"RpArealformålOmråde"``.
    feature
        Id within the file, e.g. ``"FLATE 140"`` or a ``gml:id``.
    attrs
        Attributes by SOSI name; nested groups flattened (``KOMM``, ``PLANID``,
        ``LOKALID``, ``UTNTYP``, ``UTNTALL``).  Values are strings or numbers.
    geometry
        A shapely geometry in the file's CRS, or ``None``.
    """

    objtype: str
    feature: str
    attrs: dict[str, Any] = field(default_factory=dict)
    geometry: Any = None


def plan_objects_to_data(
    objects: Iterable[PlanObject],
    *,
    path: str | Path,
    crs: Any,
    issues: IssueLog,
    kommune: str | int | None = None,
) -> PlanData:
    """Build :class:`arealkart.model.plandata.PlanData` from plan objects.

    Parameters
    ----------
    objects
        Plan objects from a SOSI or plan GML file.
    path
        The file they came from (for ``source`` and error messages).
    crs
        CRS of the objects' coordinates.
    issues
        Where to record per-object problems.
    kommune
        Municipality to use where objects carry none (any form the registry knows).
    """
    from arealkart.model.plandata import PlanData

    file = Path(path).name
    objects = list(objects)
    plans = _plan_metadata(objects)
    zone_rows, constraint_rows = [], []
    other: dict[str, int] = {}
    for obj in objects:
        if obj.objtype in ZONE_OBJECTS:
            zone_rows.append(_zone_row(obj, file, plans, path, kommune))
        elif obj.objtype in CONSTRAINT_OBJECTS:
            constraint_rows.append(_constraint_row(obj, file, path, kommune))
        else:
            other[obj.objtype] = other.get(obj.objtype, 0) + 1
    zones = _layer(zone_rows, "zones", crs, path, issues)
    constraints = _layer(constraint_rows, "constraints", crs, path, issues)
    counts = pd.DataFrame(
        [
            {"file": file, "layer": "zones", "features": len(zone_rows)},
            {"file": file, "layer": "constraints", "features": len(constraint_rows)},
            *(
                {"file": file, "layer": f"other:{k}", "features": v}
                for k, v in sorted(other.items())
            ),
        ]
    )
    return PlanData(zones=zones, constraints=constraints, issues=issues.frame(), counts=counts)


def _plan_metadata(objects: list[PlanObject]) -> dict[tuple[str | None, str | None], dict]:
    plans: dict[tuple[str | None, str | None], dict] = {}
    for obj in objects:
        if obj.objtype not in PLAN_OBJECTS:
            continue
        key = (_komm(obj.attrs), _text(obj.attrs.get("PLANID")))
        meta = plans.setdefault(key, {})
        for sosi, column in _PLAN_FIELDS.items():
            if obj.attrs.get(sosi) not in (None, "") and column not in meta:
                meta[column] = obj.attrs[sosi]
    return {key: _typed_plan(meta) for key, meta in plans.items()}


def _typed_plan(meta: dict) -> dict:
    """Plan metadata as the zone columns hold it (converted once per plan, not per zone)."""
    return {
        "plan_navn": meta.get("plan_navn"),
        "plantype": _int(meta.get("plantype")),
        "planstatus": _int(meta.get("planstatus")),
        "ikraft": _date(meta.get("ikraft")),
    }


def _plan_for(plans: dict, komm: str | None, plan_id: str | None) -> dict:
    if (komm, plan_id) in plans:
        return plans[(komm, plan_id)]
    same_plan = [v for (k, p), v in plans.items() if p == plan_id]
    if len(same_plan) == 1:
        return same_plan[0]
    return plans[next(iter(plans))] if len(plans) == 1 else {}


def _zone_row(
    obj: PlanObject, file: str, plans: dict, path: str | Path, kommune: str | int | None
) -> dict:
    objtype, code_attr = ZONE_OBJECTS[obj.objtype]
    a = obj.attrs
    plan_id = _text(a.get("PLANID"))
    komm = _komm(a)
    meta = _plan_for(plans, komm, plan_id)
    return {
        "zone_id": _text(a.get("LOKALID")) or f"{file}#{obj.feature}",
        "kommunenummer": _kommune_of(obj, path, kommune, komm),
        "source": f"{file}#{obj.feature}",
        "plan_id": plan_id or "",
        "plan_navn": meta.get("plan_navn"),
        "plantype": meta.get("plantype"),
        "planstatus": meta.get("planstatus"),
        "ikraft": meta.get("ikraft"),
        "objtype": objtype,
        "arealformal": _int(a.get(code_attr)),
        "arealst": _int(a.get("AREALST")),
        "feltnavn": _text(a.get("FELTNAVN")),
        "eierform": _int(a.get("EIERFORM")),
        "utnyttingstype": _int(_first(a.get("UTNTYP"))),
        "utnyttingstall": _float(_first(a.get("UTNTALL"))),
        "geometry": obj.geometry,
    }


def _constraint_row(
    obj: PlanObject, file: str, path: str | Path, kommune: str | int | None
) -> dict:
    a = obj.attrs
    return {
        "hensyn_id": _text(a.get("LOKALID")) or f"{file}#{obj.feature}",
        "kommunenummer": _kommune_of(obj, path, kommune),
        "source": f"{file}#{obj.feature}",
        "plan_id": _text(a.get("PLANID")),
        "hensyn_kode": _int(a.get(CONSTRAINT_OBJECTS[obj.objtype])),
        "hensyn_objtype": obj.objtype,
        "hensyn_navn": _text(a.get("HENSYNSONENAVN")),
        "geometry": obj.geometry,
    }


def _layer(
    rows: list[dict], kind: str, crs: Any, path: str | Path, issues: IssueLog
) -> gpd.GeoDataFrame:
    if not rows:
        return empty(kind)
    id_column = ID_COLUMNS[kind]
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    code_column = "arealformal" if kind == "zones" else "hensyn_kode"
    no_code = gdf[code_column].isna()
    reported = _dropped_features(issues)
    for row in gdf[no_code].itertuples():
        if _reported(row, id_column, reported):
            continue  # the reader already said why this object could not be read
        issues.add(
            Path(path).name,
            getattr(row, id_column),
            kind,
            "kode_mangler",
            "unreadable",
            f"the object has no readable {code_column} code",
        )
    gdf = gdf[~no_code]
    unreadable = gdf["geometry"].isna()
    for row in gdf[unreadable].itertuples():
        if _reported(row, id_column, reported):
            continue
        issues.add(
            Path(path).name,
            getattr(row, id_column),
            kind,
            "geometri_mangler",
            "unreadable",
            "the object's geometry could not be assembled",
        )
    gdf = to_working_crs(gdf[~unreadable], path=path)
    gdf = repair_polygons(gdf, layer=kind, issues=issues, id_column=id_column)
    return conform(gdf, kind)


def _dropped_features(issues: IssueLog) -> set[str]:
    """Features a reader has already reported as unreadable or excluded."""
    return {i.feature for i in issues.items if i.action in DROPPING_ACTIONS}


def _reported(row: Any, id_column: str, reported: set[str]) -> bool:
    return bool({str(getattr(row, id_column)), source_feature(row.source)} & reported)


def _kommune_of(
    obj: PlanObject, path: str | Path, kommune: str | int | None, komm: str | None = None
) -> str:
    if kommune is not None:
        return resolve_kommune(kommune)
    komm = komm or _komm(obj.attrs)
    if komm:
        return resolve_kommune(komm)
    match = re.search(r"/(\d{4})/", str(obj.attrs.get("NAVNEROM", "")))
    if match:
        return resolve_kommune(match.group(1))
    raise InputError(
        path,
        "no municipality number (KOMM) on the object and none given; pass kommune=…",
        feature=obj.feature,
    )


def _komm(attrs: dict) -> str | None:
    value = _text(attrs.get("KOMM"))
    return value if value and value.isdigit() else None


_SEQUENCES = (list, tuple)


def _first(value: Any) -> Any:
    return value[0] if type(value) in _SEQUENCES else value


def _text(value: Any) -> str | None:
    if type(value) in _SEQUENCES:
        value = value[0]
    if value is None:
        return None
    text = (value if type(value) is str else str(value)).strip().strip('"')
    return text or None


def _int(value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return None


def _float(value: Any) -> float | None:
    text = _text(value)
    try:
        return float(text.replace(",", ".")) if text is not None else None
    except ValueError:
        return None


def _date(value: Any) -> pd.Timestamp | None:
    text = _text(value)
    return _parse_date(text) if text else None


@cache
def _parse_date(text: str) -> pd.Timestamp | None:
    """``YYYYMMDD`` or ISO ``YYYY-MM-DD`` (once per distinct text: plans share dates)."""
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return pd.to_datetime(text[:10] if "-" in text else text[:8], format=fmt)
        except ValueError:
            continue
    return None
