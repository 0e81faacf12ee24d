"""Tests of the plan GML reader (:mod:`arealkart.load.gml`).

The DiBK rule-validator samples (MIT, Arkitektum) are read from ``../shared`` and the tests
that need them skip when it is absent; every other fixture is a small GML string built here.
Expected values are worked out independently of the reader: by a plain ElementTree parse of
the sample, a regex over its text, a shoelace area, or pyproj.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from arealkart.errors import ArealkartError, ConfigError, CRSError, GmlError
from arealkart.load.gml import read_gml, read_gml_objects
from arealkart.load.read import read_plan
from arealkart.model.issues import DROPPING_ACTIONS
from arealkart.publish.accounting import balance, check_balance
from helpers import REAL

SAMPLES = REAL / "gml-dibk-rulevalidator"
SAMPLE_FILES = sorted(SAMPLES.glob("*.gml")) if SAMPLES.is_dir() else []
PASS_FILES = [p for p in SAMPLE_FILES if "-pass" in p.name]
READABLE_FILES = [p for p in SAMPLE_FILES if p.name != "gml.epsg.1-fail.gml"]

needs_samples = pytest.mark.skipif(
    not SAMPLE_FILES, reason=f"DiBK plan GML samples not found in {SAMPLES}"
)


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not available (the ../shared folder is absent)")
    return path


def ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# --------------------------------------------------------------------------- independent reading


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


@cache
def features_of(path: Path) -> tuple[ET.Element, ...]:
    """Every feature of a sample, by a plain (non-streaming) ElementTree parse."""
    root = ET.parse(path).getroot()
    return tuple(f for member in root if local(member.tag) == "featureMember" for f in member)


def of_type(path: Path, objtype: str) -> list[ET.Element]:
    return [f for f in features_of(path) if local(f.tag) == objtype]


def gml_id(feature: ET.Element) -> str:
    return feature.get("{http://www.opengis.net/gml/3.2}id")


def shoelace(values: list[float]) -> float:
    x, y = np.array(values[0::2]), np.array(values[1::2])
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def dropped(data, layer: str) -> int:
    issues = data.issues
    return int((issues["layer"].eq(layer) & issues["action"].isin(DROPPING_ACTIONS)).sum())


def count_of(data, layer: str) -> int:
    counts = data.counts.set_index("layer")["features"]
    return int(counts.get(layer, 0))


# --------------------------------------------------------------------------- real samples


@needs_samples
@pytest.mark.parametrize("path", PASS_FILES, ids=ids(PASS_FILES))
def test_pass_file_loads_zones_as_in_the_file(path):
    data = read_gml(path)
    expected = of_type(path, "RpArealformålOmråde")
    zones = data.zones
    assert len(zones) == len(expected)
    assert sorted(zones["arealformal"].astype(int)) == sorted(
        int(f.findtext("{*}arealformål")) for f in expected
    )
    assert sorted(zones["feltnavn"]) == sorted(f.findtext("{*}feltnavn") for f in expected)
    assert zones.geometry.is_valid.all()
    assert set(zones.geom_type) <= {"Polygon", "MultiPolygon"}
    assert zones.crs.to_epsg() == 25832
    assert data.issues.empty


@needs_samples
@pytest.mark.parametrize("path", PASS_FILES, ids=ids(PASS_FILES))
def test_pass_file_carries_plan_metadata_onto_zones(path):
    data = read_gml(path)
    (plan,) = of_type(path, "Arealplan")
    for column, prop in (("plantype", "plantype"), ("planstatus", "planstatus")):
        assert (data.zones[column] == int(plan.findtext(f"{{*}}{prop}"))).all()
    assert (data.zones["plan_navn"] == plan.findtext("{*}plannavn")).all()
    assert (data.zones["plan_id"] == plan.findtext(".//{*}planidentifikasjon")).all()


@needs_samples
@pytest.mark.parametrize("path", READABLE_FILES, ids=ids(READABLE_FILES))
def test_every_feature_is_accounted_for(path):
    data = read_gml(path)
    by_type = {}
    for feature in features_of(path):
        by_type[local(feature.tag)] = by_type.get(local(feature.tag), 0) + 1
    assert int(data.counts["features"].sum()) == len(features_of(path))
    assert count_of(data, "zones") == by_type.pop("RpArealformålOmråde", 0)
    for objtype, n in by_type.items():
        assert count_of(data, f"other:{objtype}") == n
    for layer in ("zones", "constraints"):
        assert count_of(data, layer) == len(data.layer(layer)) + dropped(data, layer)


def complete_plans() -> list[Path]:
    return [
        p for p in READABLE_FILES if of_type(p, "RpOmråde") and of_type(p, "RpArealformålOmråde")
    ]


@needs_samples
@pytest.mark.parametrize("path", complete_plans(), ids=ids(complete_plans()))
def test_zones_tile_the_plan_area(path):
    objects = read_gml_objects(path).objects
    (area,) = [o for o in objects if o.objtype == "RpOmråde"]
    zones = [o.geometry for o in objects if o.objtype == "RpArealformålOmråde"]
    if (
        area.geometry is None
        or not area.geometry.is_valid
        or not all(z is not None and z.is_valid for z in zones)
    ):
        pytest.skip(f"{path.name} is deliberately broken: no complete plan to tile")
    union = shapely.union_all(zones)
    assert union.area == pytest.approx(area.geometry.area, rel=0.005)
    assert sum(z.area for z in zones) - union.area < 0.005 * area.geometry.area
    (element,) = of_type(path, "RpOmråde")
    pos_lists = element.findall(".//{*}posList")
    if len(pos_lists) == 1 and not element.findall(".//{*}Arc"):
        values = [float(v) for v in pos_lists[0].text.split()]
        assert area.geometry.area == pytest.approx(shoelace(values), rel=1e-9)


@needs_samples
def test_avgr_fail_flags_the_zone_whose_boundary_objects_disagree():
    failing = read_gml(sample("gml.avgr.1-fail.gml"))
    passing = read_gml(sample("gml.avgr.1-pass.gml"))
    (zone,) = [
        z
        for z in of_type(sample("gml.avgr.1-fail.gml"), "RpArealformålOmråde")
        if z.findall("{*}avgrensesAv")
    ]
    issues = failing.issues
    assert issues["rule"].tolist() == ["avgrensning_avvik"]
    assert issues["action"].tolist() == ["flagged"]
    assert issues["feature"].tolist() == [gml_id(zone)]
    assert "0.040" in issues["detail"].iloc[0]
    for ref in zone.findall("{*}avgrensesAv"):
        assert ref.get("{http://www.w3.org/1999/xlink}href") in issues["detail"].iloc[0]
    assert failing.zones.geometry.geom_equals(passing.zones.geometry).all()


@needs_samples
def test_flate_1_fail_reports_each_unreadable_feature_and_loads_the_rest():
    path = sample("gml.flate.1-fail.gml")
    broken = {
        gml_id(f)
        for f in features_of(path)
        if any(len(p.text.split()) % 2 for p in f.findall(".//{*}posList"))
    }
    data = read_gml(path)
    unreadable = data.issues[data.issues["rule"] == "geometri_feil"]
    assert set(unreadable["feature"]) == broken
    assert len(broken) == 3
    # the three are a plan boundary and two other non-zone objects: read, used for nothing
    # else, so flagged (a broken zone or constraint would be "unreadable")
    assert (unreadable["action"] == "flagged").all()
    assert set(unreadable["layer"]) == {"RpOmråde", "RpBestemmelseOmråde", "RpHandlingOmråde"}
    assert unreadable["detail"].str.contains("not a multiple of srsDimension 2").all()
    assert len(data.zones) == len(of_type(path, "RpArealformålOmråde")) == 3
    table = check_balance(balance(data.counts, {"zones": data.zones}, data.issues))
    assert (table["unaccounted"] == 0).all()
    assert (data.zones["plan_navn"] == "String").all()


@needs_samples
def test_flate_4_fail_repairs_the_zone_with_a_hole_outside_its_shell():
    path = sample("gml.flate.4-fail.gml")
    (raw,) = [o for o in read_gml_objects(path).objects if o.objtype == "RpArealformålOmråde"]
    assert not raw.geometry.is_valid
    data = read_gml(path)
    (issue,) = data.issues.itertuples()
    assert (issue.rule, issue.action) == ("geometri_reparert", "repaired")
    assert "Self-intersection" in issue.detail
    assert issue.feature == raw.attrs["LOKALID"]
    assert data.zones.geometry.is_valid.all()
    assert data.zones.area.iloc[0] < shapely.Polygon(raw.geometry.exterior).area


@needs_samples
def test_kurve_2_fail_flags_the_repeated_point():
    path = sample("gml.kurve.2-fail.gml")
    repeated = [
        f
        for f in features_of(path)
        for p in f.findall(".//{*}posList")
        if re.search(r"(\S+ \S+) \1(?:\s|$)", p.text)
    ]
    data = read_gml(path)
    (issue,) = data.issues.itertuples()
    assert (issue.rule, issue.action) == ("dobbeltpunkt", "flagged")
    assert issue.feature == gml_id(repeated[0])
    assert len(data.zones) == 3 and data.zones.geometry.is_valid.all()


@needs_samples
def test_bue_2_fail_flags_the_nearly_straight_arc():
    path = sample("gml.bue.2-fail.gml")
    (arc_owner,) = [f for f in features_of(path) if f.findall(".//{*}Arc")]
    data = read_gml(path)
    (issue,) = data.issues.itertuples()
    assert (issue.rule, issue.action) == ("bue_rett_linje", "flagged")
    assert issue.feature == gml_id(arc_owner)
    assert "0.010 m" in issue.detail


@needs_samples
def test_epsg_1_fail_raises_crs_error_naming_file_and_srs_name():
    path = sample("gml.epsg.1-fail.gml")
    with pytest.raises(CRSError, match=r"gml\.epsg\.1-fail\.gml.*EPSG/0/23095.*far from Norway"):
        read_gml(path)


@needs_samples
def test_read_plan_dispatches_plan_gml():
    data = read_plan(sample("gml.avgr.1-pass.gml"))
    assert len(data.zones) == 3


# --------------------------------------------------------------------------- building GML

GML_NS = "http://www.opengis.net/gml/3.2"
APP_NS = "http://skjema.geonorge.no/SOSI/produktspesifikasjon/Reguleringsplanforslag/5.0"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
X0, Y0 = 450_000.0, 6_620_000.0
_ids = itertools.count(1)


def collection(*members: str, srs: str | None = EPSG_25832) -> str:
    bounded = (
        f'<gml:boundedBy><gml:Envelope srsName="{srs}"><gml:lowerCorner>0 0</gml:lowerCorner>'
        "<gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></gml:boundedBy>"
        if srs
        else ""
    )
    body = "".join(f"<gml:featureMember>{m}</gml:featureMember>" for m in members)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<gml:FeatureCollection xmlns:gml="{GML_NS}" xmlns:app="{APP_NS}" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" gml:id="collection">'
        f"{bounded}{body}</gml:FeatureCollection>"
    )


def plan_id(komm: str, planid: str, prop: str = "nasjonalArealplanId") -> str:
    return (
        f"<app:{prop}><app:NasjonalArealplanId><app:administrativEnhet>"
        f"<app:AdministrativEnhetskode><app:kommunenummer>{komm}</app:kommunenummer>"
        "</app:AdministrativEnhetskode></app:administrativEnhet>"
        f"<app:planidentifikasjon>{planid}</app:planidentifikasjon>"
        f"</app:NasjonalArealplanId></app:{prop}>"
    )


def arealplan(
    gid="plan-1", *, komm="4036", planid="2021001", navn="Rauland sentrum", extra=""
) -> str:
    return (
        f'<app:Arealplan gml:id="{gid}">{plan_id(komm, planid)}<app:plantype>35</app:plantype>'
        f"<app:plannavn>{navn}</app:plannavn><app:planstatus>3</app:planstatus>"
        f"<app:ikrafttredelsesdato>2021-06-01</app:ikrafttredelsesdato>{extra}</app:Arealplan>"
    )


def feature(objtype: str, gid: str, geometry: str, props: str = "") -> str:
    return (
        f'<app:{objtype} gml:id="{gid}"><app:identifikasjon><app:Identifikasjon>'
        f"<app:lokalId>lok-{gid}</app:lokalId>"
        "<app:navnerom>http://data.geonorge.no/4036/Reguleringsplaner</app:navnerom>"
        f"</app:Identifikasjon></app:identifikasjon><app:område>{geometry}</app:område>"
        f"{props}</app:{objtype}>"
    )


def zone(gid: str, geometry: str, *, code="1110", feltnavn="BFS1", extra="") -> str:
    props = f"<app:arealformål>{code}</app:arealformål><app:feltnavn>{feltnavn}</app:feltnavn>"
    return feature("RpArealformålOmråde", gid, geometry, props + extra)


def coords(points, dim: int = 2) -> str:
    return " ".join(" ".join(f"{v:.3f}" for v in p[:dim]) for p in points)


def pos_list(points, dim: int = 2, attrs: str = "") -> str:
    return f"<gml:posList{attrs}>{coords(points, dim)}</gml:posList>"


def linear_ring(points, **kw) -> str:
    return f"<gml:LinearRing>{pos_list(points, **kw)}</gml:LinearRing>"


def polygon(exterior: str, *interiors: str, attrs: str = "") -> str:
    holes = "".join(f"<gml:interior>{i}</gml:interior>" for i in interiors)
    return (
        f'<gml:Polygon gml:id="g{next(_ids)}"{attrs}><gml:exterior>{exterior}</gml:exterior>'
        f"{holes}</gml:Polygon>"
    )


def multi_surface(*polygons: str) -> str:
    members = "".join(f"<gml:surfaceMember>{p}</gml:surfaceMember>" for p in polygons)
    return f'<gml:MultiSurface gml:id="g{next(_ids)}">{members}</gml:MultiSurface>'


def square(x: float, y: float, size: float) -> list[tuple[float, float]]:
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]


def segment(kind: str, points) -> str:
    return f"<gml:{kind}>{pos_list(points)}</gml:{kind}>"


def curve(*segments: str, gid: str | None = None) -> str:
    gid = gid or f"c{next(_ids)}"
    return f'<gml:Curve gml:id="{gid}"><gml:segments>{"".join(segments)}</gml:segments></gml:Curve>'


def ring(*members: str) -> str:
    body = "".join(
        m if m.startswith("<gml:curveMember") else f"<gml:curveMember>{m}</gml:curveMember>"
        for m in members
    )
    return f"<gml:Ring>{body}</gml:Ring>"


def write(tmp_path: Path, text: str, name: str = "plan.gml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def plan_file(tmp_path: Path, *members: str, srs: str | None = EPSG_25832) -> Path:
    return write(tmp_path, collection(arealplan(), *members, srs=srs))


SQUARE = polygon(linear_ring(square(X0, Y0, 100)))


# --------------------------------------------------------------------------- fixtures in code


def test_reprojects_epsg_25833_to_25832(tmp_path):
    corner = (170_000.0, 6_605_000.0)
    path = plan_file(
        tmp_path,
        zone("z1", polygon(linear_ring(square(*corner, 50)))),
        srs="http://www.opengis.net/def/crs/EPSG/0/25833",
    )
    data = read_gml(path)
    (geometry,) = data.zones.geometry
    assert data.zones.crs.to_epsg() == 25832
    xy = shapely.get_coordinates(geometry)
    # EPSG:25833 (170000, 6605000) is EPSG:25832 (509896.246, 6590546.219) (pyproj 3.7)
    nearest = xy[np.argmin(np.hypot(*(xy - (509_896.246, 6_590_546.219)).T))]
    assert nearest == pytest.approx((509_896.246, 6_590_546.219), abs=0.001)


@pytest.mark.parametrize(
    ("srs", "order"),
    [
        ("urn:ogc:def:crs:EPSG::4258", "lat-lon"),
        ("EPSG:4258", "lon-lat"),
        ("http://www.opengis.net/def/crs/EPSG/0/4258", "lat-lon"),
    ],
)
def test_axis_order_follows_the_srs_name_form(tmp_path, srs, order):
    lon, lat = 8.0, 59.44
    d = 0.001
    ring_lonlat = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat)]
    points = [(b, a) for a, b in ring_lonlat] if order == "lat-lon" else ring_lonlat
    data = read_gml(plan_file(tmp_path, zone("z1", polygon(linear_ring(points, dim=2))), srs=srs))
    expected = Transformer.from_crs(4258, 25832, always_xy=True).transform(lon, lat)
    xy = shapely.get_coordinates(data.zones.geometry.iloc[0])
    assert xy.min(axis=0) == pytest.approx(expected, abs=1.0)


def test_arc_in_a_hole_is_densified_within_tolerance(tmp_path):
    cx, cy, r = X0 + 50, Y0 + 50, 20.0
    hole = ring(
        curve(
            segment("LineStringSegment", [(cx - r, cy), (cx + r, cy)]),
            segment("Arc", [(cx + r, cy), (cx, cy + r), (cx - r, cy)]),
        )
    )
    path = plan_file(tmp_path, zone("z1", polygon(linear_ring(square(X0, Y0, 100)), hole)))
    data = read_gml(path, arc_tolerance=0.05)
    (geometry,) = data.zones.geometry
    assert geometry.is_valid and data.issues.empty
    # chords inside the arc make the hole smaller, by at most 2/3 * tolerance * arc length
    exact = 100 * 100 - math.pi * r * r / 2
    assert exact <= geometry.area <= exact + 2 / 3 * 0.05 * math.pi * r
    interior = shapely.get_coordinates(geometry.interiors[0])
    on_arc = interior[interior[:, 1] > cy + 1e-9]
    assert np.hypot(on_arc[:, 0] - cx, on_arc[:, 1] - cy) == pytest.approx(r, abs=1e-6)
    arc_side = np.vstack([[cx + r, cy], on_arc, [cx - r, cy]])
    chords = np.hypot(*np.diff(arc_side, axis=0).T)
    assert (r - np.sqrt(r * r - (chords / 2) ** 2)).max() <= 0.05 + 1e-9
    assert len(on_arc) > 10


def test_arc_string_makes_a_full_circle(tmp_path):
    r = 100.0
    cx, cy = X0, Y0
    points = [(cx + r, cy), (cx, cy + r), (cx - r, cy), (cx, cy - r), (cx + r, cy)]
    path = plan_file(tmp_path, zone("z1", polygon(ring(curve(segment("ArcString", points))))))
    (geometry,) = read_gml(path).zones.geometry
    assert geometry.is_valid
    assert geometry.area == pytest.approx(math.pi * r * r, rel=1e-3)


def test_circle_segment_makes_a_full_circle(tmp_path):
    r = 30.0
    points = [(X0 + r, Y0), (X0, Y0 + r), (X0 - r, Y0)]
    path = plan_file(tmp_path, zone("z1", polygon(ring(curve(segment("Circle", points))))))
    (geometry,) = read_gml(path, arc_tolerance=0.05).zones.geometry
    exact = math.pi * r * r
    assert exact - 2 / 3 * 0.05 * 2 * math.pi * r <= geometry.area <= exact
    assert np.hypot(*(shapely.get_coordinates(geometry) - (X0, Y0)).T) == pytest.approx(r)


def test_kommuneplan_zone_with_arealbruksstatus(tmp_path):
    props = (
        f"{plan_id('4036', 'KP2019')}<app:arealformål>1110</app:arealformål>"
        "<app:arealbruksstatus>2</app:arealbruksstatus><app:områdenavn>B3</app:områdenavn>"
        "<app:utnytting><app:Utnytting><app:utnyttingstype>12</app:utnyttingstype>"
        "<app:utnyttingstall>25</app:utnyttingstall></app:Utnytting></app:utnytting>"
    )
    kp_area = feature(
        "KpOmråde",
        "kp",
        SQUARE,
        plan_id("4036", "KP2019")
        + "<app:plannavn>Kommuneplan Vinje</app:plannavn>"
        + "<app:plantype>20</app:plantype>",
    )
    path = write(tmp_path, collection(kp_area, feature("KpArealformålOmråde", "z1", SQUARE, props)))
    (row,) = read_gml(path).zones.itertuples()
    assert (row.objtype, row.arealformal, row.arealst, row.feltnavn) == ("KP", 1110, 2, "B3")
    assert (row.utnyttingstype, row.utnyttingstall) == (12, 25.0)
    assert (row.plan_id, row.plan_navn, row.plantype) == ("KP2019", "Kommuneplan Vinje", 20)
    assert row.kommunenummer == "4036"


@pytest.mark.parametrize(
    ("objtype", "props"),
    [
        ("RpFareSone", "<app:fare>320</app:fare>"),
        ("KpFareSone", "<app:fare>320</app:fare>"),
        ("RpFareSone", "<app:hensynskategori>H320</app:hensynskategori>"),
    ],
)
def test_hensynssone_becomes_a_constraint(tmp_path, objtype, props):
    props += "<app:hensynSonenavn>H320_1</app:hensynSonenavn>"
    path = plan_file(tmp_path, feature(objtype, "h1", SQUARE, props))
    data = read_gml(path)
    (row,) = data.constraints.itertuples()
    assert (row.hensyn_kode, row.hensyn_objtype, row.hensyn_navn) == (320, objtype, "H320_1")
    assert row.plan_id == "2021001"
    assert count_of(data, "constraints") == 1


@pytest.mark.parametrize(
    "hensyn", ["Sikring", "Støy", "Båndlegging", "AngittHensyn", "Infrastruktur"]
)
def test_every_hensynssone_type_reads_its_code(tmp_path, hensyn):
    prop = hensyn[0].lower() + hensyn[1:]
    path = plan_file(
        tmp_path, feature(f"Rp{hensyn}Sone", "h1", SQUARE, f"<app:{prop}>570</app:{prop}>")
    )
    assert read_gml(path).constraints["hensyn_kode"].tolist() == [570]


def test_3d_pos_list_drops_z(tmp_path):
    points = [(x, y, 612.5) for x, y in square(X0, Y0, 10)]
    ring_3d = linear_ring(points, dim=3, attrs=' srsDimension="3"')
    path = plan_file(tmp_path, zone("z1", polygon(ring_3d)))
    (geometry,) = read_gml(path).zones.geometry
    assert not geometry.has_z
    assert geometry.area == pytest.approx(100.0)
    assert geometry.bounds == pytest.approx((X0, Y0, X0 + 10, Y0 + 10))


def test_compound_crs_reads_three_numbers_per_point(tmp_path):
    points = [(x, y, 612.5) for x, y in square(X0, Y0, 10)]
    path = plan_file(
        tmp_path, zone("z1", polygon(linear_ring(points, dim=3))), srs="urn:ogc:def:crs:EPSG::5972"
    )
    (geometry,) = read_gml(path).zones.geometry
    assert geometry.bounds == pytest.approx((X0, Y0, X0 + 10, Y0 + 10))


def test_surface_with_patches_and_pos_elements(tmp_path):
    pos = "".join(f"<gml:pos>{x} {y}</gml:pos>" for x, y in square(X0, Y0, 20))
    surface = (
        f'<gml:Surface gml:id="s1"><gml:patches><gml:PolygonPatch><gml:exterior>'
        f"<gml:LinearRing>{pos}</gml:LinearRing></gml:exterior></gml:PolygonPatch>"
        "</gml:patches></gml:Surface>"
    )
    (geometry,) = read_gml(plan_file(tmp_path, zone("z1", surface))).zones.geometry
    assert geometry.area == pytest.approx(400.0)


def test_multi_surface_with_two_polygons(tmp_path):
    geometry = multi_surface(SQUARE, polygon(linear_ring(square(X0 + 200, Y0, 10))))
    (read,) = read_gml(plan_file(tmp_path, zone("z1", geometry))).zones.geometry
    assert read.geom_type == "MultiPolygon"
    assert read.area == pytest.approx(10_000 + 100)


def test_zone_without_plan_id_takes_the_only_arealplan(tmp_path):
    data = read_gml(plan_file(tmp_path, zone("z1", SQUARE)))
    (row,) = data.zones.itertuples()
    assert (row.plan_id, row.plan_navn, row.plantype, row.planstatus) == (
        "2021001",
        "Rauland sentrum",
        35,
        3,
    )
    assert row.ikraft.year == 2021
    assert row.kommunenummer == "4036"
    assert row.source == "plan.gml#z1"


def test_zone_links_to_its_plan_through_xlink_when_there_are_two_plans(tmp_path):
    area = feature("RpOmråde", "area-2", SQUARE, '<app:arealplan xlink:href="#plan-2"/>')
    zone_2 = zone("z2", SQUARE, extra='<app:planområde xlink:href="#area-2"/>')
    zone_1 = zone("z1", SQUARE, extra='<app:arealplan xlink:href="#plan-1"/>')
    text = collection(
        arealplan(), arealplan("plan-2", planid="2022002", navn="Holtardalen"), area, zone_1, zone_2
    )
    zones = read_gml(write(tmp_path, text)).zones.set_index("source")
    assert zones.loc["plan.gml#z1", "plan_id"] == "2021001"
    assert zones.loc["plan.gml#z2", "plan_id"] == "2022002"
    assert zones.loc["plan.gml#z2", "plan_navn"] == "Holtardalen"


def test_geometry_references_are_resolved_in_a_second_pass(tmp_path):
    left = [(X0, Y0), (X0 + 50, Y0), (X0 + 50, Y0 + 50)]
    right = [(X0 + 50, Y0 + 50), (X0, Y0 + 50), (X0, Y0)]
    boundary = '<app:RpFormålGrense gml:id="b{0}"><app:grense>{1}</app:grense></app:RpFormålGrense>'
    shape = polygon(
        ring('<gml:curveMember xlink:href="#c-left"/>', '<gml:curveMember xlink:href="#c-right"/>')
    )
    text = collection(
        arealplan(),
        boundary.format(1, curve(segment("LineStringSegment", left), gid="c-left")),
        zone("z1", shape),
        boundary.format(2, curve(segment("LineStringSegment", right), gid="c-right")),
    )
    data = read_gml(write(tmp_path, text))
    (geometry,) = data.zones.geometry
    assert geometry.area == pytest.approx(2500.0)
    assert data.issues.empty


BAD_GEOMETRIES = {
    "unclosed ring": (
        polygon(linear_ring([*square(X0, Y0, 10)[:-1], (X0, Y0 + 1)])),
        r"is not closed",
    ),
    "odd number of coordinates": (
        polygon(
            f"<gml:LinearRing><gml:posList>{coords(square(X0, Y0, 10))} 7"
            "</gml:posList></gml:LinearRing>"
        ),
        r"11 numbers, not a multiple of srsDimension 2",
    ),
    "arc with two points": (
        polygon(
            ring(
                curve(
                    segment("LineStringSegment", [(X0, Y0), (X0 + 10, Y0)]),
                    segment("Arc", [(X0 + 10, Y0), (X0, Y0)]),
                )
            )
        ),
        r"gml:Arc has 2 points, expected 3",
    ),
    "arc with coincident points": (
        polygon(
            ring(
                curve(
                    segment("LineStringSegment", [(X0, Y0), (X0 + 10, Y0)]),
                    segment("Arc", [(X0 + 10, Y0), (X0 + 10, Y0), (X0, Y0)]),
                )
            )
        ),
        r"gml:Arc has coincident points",
    ),
    "arc whose middle is beyond its end": (
        polygon(
            ring(
                curve(
                    segment("LineStringSegment", [(X0, Y0), (X0 + 10, Y0)]),
                    segment("Arc", [(X0 + 10, Y0), (X0 - 5, Y0), (X0, Y0)]),
                )
            )
        ),
        r"middle point on the line through its ends but not between them",
    ),
    "segments that do not connect": (
        polygon(
            ring(
                curve(
                    segment("LineStringSegment", [(X0, Y0), (X0 + 10, Y0)]),
                    segment("LineStringSegment", [(X0 + 10, Y0 + 3), (X0 + 10, Y0 + 10), (X0, Y0)]),
                )
            )
        ),
        r"do not connect",
    ),
    "missing reference": (
        polygon(ring('<gml:curveMember xlink:href="#nowhere"/>')),
        r"refers to #nowhere, which is not a geometry in the file",
    ),
    "not a number": (
        polygon("<gml:LinearRing><gml:posList>1 2 3 x 5 6 7 8</gml:posList></gml:LinearRing>"),
        r"'x' is not a number",
    ),
    "a curve where a surface belongs": (
        curve(segment("LineStringSegment", [(X0, Y0), (X0 + 10, Y0)])),
        r"expected a surface",
    ),
    "too few points": (
        polygon(linear_ring([(X0, Y0), (X0 + 10, Y0), (X0, Y0)])),
        r"has 3 points; a ring needs 4 or more",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_GEOMETRIES))
def test_unbuildable_geometry_is_reported_and_the_rest_loads(tmp_path, case):
    geometry, reason = BAD_GEOMETRIES[case]
    path = plan_file(tmp_path, zone("good", SQUARE), zone("bad", geometry, feltnavn="BFS2"))
    data = read_gml(path)
    assert data.zones["feltnavn"].tolist() == ["BFS1"]
    (issue,) = data.issues.itertuples()
    assert (issue.feature, issue.layer, issue.rule, issue.action) == (
        "bad",
        "zones",
        "geometri_feil",
        "unreadable",
    )
    assert re.search(reason, issue.detail)
    assert count_of(data, "zones") == len(data.zones) + dropped(data, "zones") == 2


def test_zone_without_code_and_geometry_is_reported_once(tmp_path):
    bad = polygon(linear_ring(square(X0, Y0, 10)[:-1]))
    path = plan_file(tmp_path, zone("bad", bad, code=""))
    data = read_gml(path)
    assert len(data.issues) == 1
    assert dropped(data, "zones") == count_of(data, "zones") == 1


def test_invalid_polygon_is_repaired_and_reported(tmp_path):
    bowtie = [(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)]
    data = read_gml(plan_file(tmp_path, zone("z1", polygon(linear_ring(bowtie)))))
    (issue,) = data.issues.itertuples()
    assert (issue.rule, issue.action, issue.feature) == ("geometri_reparert", "repaired", "lok-z1")
    assert data.zones.geometry.is_valid.all()


def test_invalid_attribute_values_are_flagged_and_ignored(tmp_path):
    extra = "<app:eierform>offentlig</app:eierform>"
    data = read_gml(plan_file(tmp_path, zone("z1", SQUARE, extra=extra)))
    (issue,) = data.issues.itertuples()
    assert (issue.rule, issue.action) == ("verdi_ugyldig", "flagged")
    assert data.zones["eierform"].isna().all()


def test_duplicate_gml_id_is_flagged(tmp_path):
    data = read_gml(plan_file(tmp_path, zone("z1", SQUARE), zone("z1", SQUARE)))
    assert data.issues["rule"].tolist() == ["gmlid_duplikat"]
    assert len(data.zones) == 2


@pytest.mark.parametrize(
    ("srs", "match"),
    [
        ("http://www.opengis.net/def/crs/EPSG/0/999999", r"EPSG:999999, which is not in the EPSG"),
        ("http://www.opengis.net/def/crs/EPSG/0/23095", r"EPSG/0/23095.*far from Norway"),
        ("urn:ogc:def:crs:EPSG::2263", r"far from Norway"),
        ("EPSG:4978", r"not .*projected or geographic|expected a projected"),
        ("my-own-crs", r"'my-own-crs' is not an EPSG code"),
    ],
)
def test_unknown_or_implausible_crs_raises(tmp_path, srs, match):
    path = plan_file(tmp_path, zone("z1", SQUARE), srs=srs)
    with pytest.raises(CRSError, match=match) as info:
        read_gml(path)
    assert "plan.gml" in str(info.value)


def test_crs_on_a_geometry_is_checked_too(tmp_path):
    bad = polygon(
        linear_ring(square(X0, Y0, 10)),
        attrs=' srsName="http://www.opengis.net/def/crs/EPSG/0/23095"',
    )
    with pytest.raises(CRSError, match=r"23095") as info:
        read_gml(plan_file(tmp_path, zone("z1", bad)))
    assert info.value.feature == "z1"


def test_file_without_crs_needs_one_from_the_caller(tmp_path):
    path = plan_file(tmp_path, zone("z1", SQUARE), srs=None)
    with pytest.raises(CRSError, match=r"names no CRS"):
        read_gml(path)
    assert len(read_gml(path, crs="EPSG:25832").zones) == 1


def test_geometries_in_a_second_crs_are_transformed(tmp_path):
    corner = (170_000.0, 6_605_000.0)
    other = polygon(
        linear_ring(square(*corner, 50)),
        attrs=' srsName="http://www.opengis.net/def/crs/EPSG/0/25833"',
    )
    data = read_gml(plan_file(tmp_path, zone("z1", SQUARE), zone("z2", other)))
    xy = shapely.get_coordinates(data.zones.geometry.iloc[1])
    nearest = xy[np.argmin(np.hypot(*(xy - (509_896.246, 6_590_546.219)).T))]
    assert nearest == pytest.approx((509_896.246, 6_590_546.219), abs=0.001)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), "fine"])
def test_arc_tolerance_must_be_positive(tmp_path, value):
    with pytest.raises(ConfigError, match="arc_tolerance"):
        read_gml(plan_file(tmp_path, zone("z1", SQUARE)), arc_tolerance=value)


# --------------------------------------------------------------------------- malformed files


def test_truncated_file_raises_gml_error_with_line(tmp_path):
    text = collection(arealplan(), zone("z1", SQUARE)).replace("><", ">\n<")
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(GmlError, match=r"plan\.gml, line \d+: malformed XML") as info:
        read_gml(path)
    assert info.value.line is not None and info.value.line > 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<gml:FeatureCollection xmlns:gml='http://www.opengis.net/gml/3.2'>\x00junk",
        "not xml at all, opengis.net/gml",
        f"<gml:FeatureCollection xmlns:gml='{GML_NS}'><b></gml:FeatureCollection>",
    ],
)
def test_junk_raises_gml_error(tmp_path, text):
    with pytest.raises(GmlError, match=r"malformed XML"):
        read_gml(write(tmp_path, text))


def test_unknown_encoding_raises_gml_error(tmp_path):
    text = collection(zone("z1", SQUARE)).replace('encoding="utf-8"', 'encoding="utf-f-8"')
    with pytest.raises(GmlError, match=r"line 1: malformed XML \(unknown encoding"):
        read_gml(write(tmp_path, text))


def test_other_xml_raises_gml_error(tmp_path):
    path = write(tmp_path, f'<html xmlns:gml="{GML_NS}"><body/></html>')
    with pytest.raises(GmlError, match=r"root element is <html>, expected a gml:FeatureColl"):
        read_plan(path)


def test_missing_file_raises_an_input_error(tmp_path):
    with pytest.raises(GmlError, match="cannot be read"):
        read_gml(tmp_path / "nothing.gml")


# --------------------------------------------------------------------------- property-based


@cache
def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


REPLACEMENTS = [
    b"",
    b"-",
    b"x",
    b"1e400",
    b"nan",
    b"99999999999",
    b"<",
    b">",
    b"&",
    b'"',
    b"</gml:posList>",
    b"<gml:Arc>",
    b"EPSG/0/4326",
    b"#",
    b"\xff\xfe",
    b" 0 0 ",
]


@st.composite
def mutations(draw, size: int):
    kind = draw(st.sampled_from(["truncate", "delete", "replace", "duplicate", "number"]))
    start = draw(st.integers(0, size))
    end = draw(st.integers(start, min(size, start + 200)))
    return kind, start, end, draw(st.sampled_from(REPLACEMENTS))


def mutate(raw: bytes, mutation) -> bytes:
    kind, start, end, text = mutation
    if kind == "truncate":
        return raw[:start]
    if kind == "delete":
        return raw[:start] + raw[end:]
    if kind == "replace":
        return raw[:start] + text + raw[end:]
    if kind == "duplicate":
        return raw[:end] + raw[start:end] + raw[end:]
    numbers = list(re.finditer(rb"-?\d+(?:\.\d+)?", raw))
    if not numbers:
        return raw
    match = numbers[start % len(numbers)]
    return raw[: match.start()] + text + raw[match.end() :]


@needs_samples
@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_mutated_pass_file_raises_only_arealkart_errors(data):
    name = data.draw(st.sampled_from([p.name for p in PASS_FILES]))
    raw = sample_bytes(name)
    mutated = mutate(raw, data.draw(mutations(len(raw))))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(mutated)
        try:
            result = read_gml(path)
        except ArealkartError:
            return
    assert count_of(result, "zones") == len(result.zones) + dropped(result, "zones")
