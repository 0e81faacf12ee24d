"""Checks and links between features: duplicate ids, ``avgrensesAv``, plan ids, surfaces.

These run once every feature of a file has been read: they flag problems to the issues
report (``gmlid_duplikat``, ``referanse_mangler``, ``avgrensning_avvik``), give features
without a plan id the id of the plan they link to, and fail zones and constraints that
are not surfaces.
"""

from __future__ import annotations

import shapely

from arealkart.load.gml.features import _Feature
from arealkart.load.planobjects import layer_of
from arealkart.model.issues import IssueLog

BOUNDARY_TOLERANCE = 0.01
"""Largest distance (m) between a feature's outline and the boundary objects it is
``avgrensesAv`` before it is flagged (plus ``arc_tolerance`` where arcs are involved)."""


def _index(features: list[_Feature], issues: IssueLog, file: str) -> dict[str, _Feature]:
    by_id: dict[str, _Feature] = {}
    for feature in features:
        if feature.gml_id in by_id:
            issues.add(
                file,
                feature.gml_id,
                layer_of(feature.objtype),
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
        layer = layer_of(feature.objtype)
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
        if feature.geometry is None or layer_of(feature.objtype) == feature.objtype:
            continue
        if shapely.get_type_id(feature.geometry) not in (3, 6):
            feature.fail(
                f"expected a surface (gml:Polygon, gml:Surface or gml:MultiSurface), "
                f"found a {feature.geometry.geom_type}"
            )
