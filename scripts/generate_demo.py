"""Generate arealkart's synthetic Vest-Telemark demo data into ``data/demo/``.

SYNTHETIC DEMO DATA. The plans, plots, buildings and constraint zones are invented; only
the municipality boundaries (© Kartverket, CC BY 4.0) and the places' positions are real.
Real plan data for the region is not public, so the demo shows what arealkart does on data
shaped like the real thing: reguleringsplaner with SOSI codes and feltnavn around the real
centres, large leisure-home fields where the region has them (Rauland, Vrådal, Treungen,
Dalen), business parks, combined-use zones, master-plan reserves, an old pbl 1985 plan, a
repealed plan, plots with register status, price and VA, buildings, and hensynssoner.

Deterministic: the same seed writes byte-identical files.  Run from the repository root::

    python scripts/generate_demo.py            # writes data/demo/
    python scripts/generate_demo.py --out DIR  # elsewhere (the tests compare the two)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from arealkart.registry.kommuner import Kommune, boundaries, resolve

SEED = 20261126
ATTRIBUTION = "Syntetiske demodata (arealkart) – ikkje ekte plandata"
LANGUAGES = ["nn", "nb", "en"]
"""The region writes nynorsk (all six municipalities do); its maps also in bokmål and English."""
CRS_URN = "urn:ogc:def:crs:EPSG::25832"
ROOT = Path(__file__).resolve().parents[1]

# Real places (WGS84 lat, lon) and the style of land around them.
PLACES = {
    "Tokke": [("Dalen", 59.44, 8.00, "fritid"), ("Høydalsmo", 59.50, 8.20, "fritid")],
    "Vinje": [("Åmot", 59.57, 7.99, "sentrum"), ("Rauland", 59.70, 8.05, "fritid")],
    "Seljord": [("Seljord", 59.49, 8.63, "sentrum")],
    "Kviteseid": [("Kviteseid", 59.40, 8.49, "sentrum"), ("Vrådal", 59.33, 8.43, "fritid")],
    "Nissedal": [("Treungen", 59.02, 8.52, "fritid")],
    "Fyresdal": [("Moland", 59.18, 8.09, "sentrum")],
}
# Services around each place, SYNTHETIC (steder.csv): kind, name, offset east and north (m)
# from the place.  A centre has them all; a village a shop and a school.  One næringshage per
# municipality, by its first place (the region has one in every centre, but no public
# source gives their positions).
SERVICES = {
    "sentrum": [
        ("skole", "skule", 700, 350),
        ("barnehage", "barnehage", -450, 600),
        ("butikk", "butikk", 150, -120),
    ],
    "fritid": [("butikk", "butikk", 250, 200), ("skole", "skule", -900, -400)],
}
NAERINGSHAGE = (1200, -800)
PLACE_SOURCE = "syntetisk demostad (scripts/generate_demo.py): ikkje ein verkeleg stad"
# Fyresdal's buildings come as points, as in Matrikkelen's bygningspunkt.
POINT_BUILDINGS = {"Fyresdal"}

# code, feltnavn prefix, object type short name
BOLIG = (1111, "BFS")
BOLIG_KONS = (1112, "BKS")
FRITID = (1121, "BFF")
UTLEIE = (1171, "BUH")
NAERING = (1300, "BN")
INDUSTRI = (1340, "BI")
KOMBINERT = (1800, "BKB")
SENTRUM = (1130, "BS")
LEK = (1610, "f_LEK")
FRIOMRADE = (3040, "o_FRI")
NATUR = (3020, "GN")
FRILUFT = (5130, "LF")
VEG = (2011, "o_SKV")
OBJTYPE = {"RP": "RpArealformålOmråde", "KP": "KpArealformålOmråde", "RB": "RbFormålOmråde"}


@dataclass
class Plan:
    """One plan being generated: its metadata and the features it makes."""

    plan_id: str
    navn: str
    plantype: int
    planstatus: int
    ikraft: str
    objtype: str
    zones: list[dict] = field(default_factory=list)


@dataclass
class Municipality:
    """Everything generated for one municipality."""

    kommune: Kommune
    boundary: object
    rng: np.random.Generator
    plans: list[Plan] = field(default_factory=list)
    taken: list[Polygon] = field(default_factory=list)
    plots: list[dict] = field(default_factory=list)
    buildings: list[dict] = field(default_factory=list)
    constraints: list[dict] = field(default_factory=list)
    serial: int = 0

    def next_id(self, prefix: str) -> str:
        """A deterministic id unique within the municipality."""
        self.serial += 1
        return f"{prefix}-{self.kommune.nummer}-{self.serial:05d}"


# --- geometry helpers ---------------------------------------------------------------------


def place(local: Polygon, origin: tuple[float, float], angle: float) -> Polygon:
    """Rotate a local-coordinate shape about (0, 0) and move it to ``origin``."""
    return affinity.translate(affinity.rotate(local, angle, origin=(0, 0)), *origin)


def rounded(geom) -> object:
    """Round to centimetres, as plan data is stored."""
    return shapely.set_precision(geom, 0.01)


def find_site(muni: Municipality, centre, size, spread, angle) -> tuple[float, float] | None:
    """A position near ``centre`` where a ``size`` rectangle fits inside the municipality
    and touches no plan placed before."""
    w, h = size
    for _ in range(200):
        dx, dy = muni.rng.normal(0, spread, 2)
        origin = (centre[0] + dx, centre[1] + dy)
        footprint = place(box(-w / 2, -h / 2, w / 2, h / 2), origin, angle)
        if footprint.within(muni.boundary) and not any(
            footprint.buffer(30).intersects(t) for t in muni.taken
        ):
            muni.taken.append(footprint)
            return origin
    return None


# --- plans --------------------------------------------------------------------------------


def grid_plan(
    muni: Municipality,
    plan: Plan,
    origin,
    angle: float,
    layout: list[list[tuple[int, str] | None]],
    block: tuple[float, float],
    road: float = 10.0,
) -> list[tuple[dict, Polygon]]:
    """Lay out a plan as a grid of blocks separated by roads; every block becomes a zone.

    Returns the zones of the blocks with their local-coordinate polygons.
    """
    rows, cols = len(layout), len(layout[0])
    bw, bh = block
    width, height = cols * bw + (cols + 1) * road, rows * bh + (rows + 1) * road
    x0, y0 = -width / 2, -height / 2
    plan_local = box(x0, y0, x0 + width, y0 + height)
    counters: dict[str, int] = {}
    blocks = []
    for r, row in enumerate(layout):
        for c, purpose in enumerate(row):
            if purpose is None:
                continue
            bx = x0 + road + c * (bw + road)
            by = y0 + road + r * (bh + road)
            local = box(bx, by, bx + bw, by + bh)
            code, prefix = purpose
            counters[prefix] = counters.get(prefix, 0) + 1
            zone = add_zone(
                muni, plan, place(local, origin, angle), code, f"{prefix}{counters[prefix]}"
            )
            blocks.append((zone, local))
    road_local = plan_local.difference(shapely.union_all([b for _, b in blocks]))
    add_zone(muni, plan, place(road_local, origin, angle), VEG[0], f"{VEG[1]}1")
    return blocks


def add_zone(muni: Municipality, plan: Plan, geom, code: int, feltnavn: str, **extra) -> dict:
    """Add one land-use zone to ``plan``."""
    zone = {
        "lokalid": muni.next_id("sone"),
        "feltnavn": feltnavn,
        "arealformal": code,
        "eierform": 1 if feltnavn.startswith("o_") else (2 if feltnavn.startswith("f_") else 3),
        "geometry": rounded(geom),
        **extra,
    }
    plan.zones.append(zone)
    return zone


def new_plan(
    muni: Municipality,
    navn: str,
    plantype: int,
    year: int,
    *,
    planstatus: int = 3,
    objtype: str = "RP",
) -> Plan:
    """Start a plan with an id in the municipality's usual form (year + serial)."""
    serial = sum(p.plan_id.startswith(str(year)) for p in muni.plans) + 1
    month, day = muni.rng.integers(1, 13), muni.rng.integers(1, 29)
    plan = Plan(
        f"{year}{serial:03d}", navn, plantype, planstatus, f"{year}-{month:02d}-{day:02d}", objtype
    )
    muni.plans.append(plan)
    return plan


def housing_plan(muni: Municipality, name: str, centre, year: int) -> None:
    """A detailed zoning plan for housing near a centre, with a playground and green."""
    angle = float(muni.rng.uniform(-40, 40))
    layout = [
        [BOLIG, BOLIG, BOLIG_KONS, LEK],
        [BOLIG, FRIOMRADE, BOLIG, BOLIG],
        [BOLIG, BOLIG, BOLIG, KOMBINERT],
    ]
    origin = find_site(muni, centre, (4 * 64 + 50, 3 * 60 + 40), 900, angle)
    if origin is None:
        return
    plan = new_plan(muni, f"Detaljregulering {name} boligfelt", 35, year)
    for zone, local in grid_plan(muni, plan, origin, angle, layout, (64, 60)):
        if zone["arealformal"] in (BOLIG[0], BOLIG_KONS[0]):
            zone.update(utnyttingstype=16, utnyttingstall=30.0)
            subdivide(muni, plan, zone, local, origin, angle, (2, 2), "bolig", year)
        elif zone["arealformal"] == KOMBINERT[0]:
            scatter_buildings(muni, zone["geometry"], 2, (14, 20))


def leisure_plan(muni: Municipality, name: str, centre, year: int, size: int = 4) -> None:
    """A large leisure-home plan (hyttefelt) with rental cabins and open land."""
    angle = float(muni.rng.uniform(-60, 60))
    layout = [[FRITID if (r + c) % 5 else FRILUFT for c in range(size)] for r in range(size - 1)]
    layout[0][-1] = UTLEIE
    origin = find_site(muni, centre, (size * 90 + 60, (size - 1) * 80 + 50), 2500, angle)
    if origin is None:
        return
    plan = new_plan(muni, f"Reguleringsplan {name} hyttefelt", 35, year)
    for zone, local in grid_plan(muni, plan, origin, angle, layout, (90, 80), road=8):
        if zone["arealformal"] == FRITID[0]:
            zone.update(utnyttingstype=16, utnyttingstall=15.0)
            subdivide(muni, plan, zone, local, origin, angle, (3, 2), "fritid", year)
        elif zone["arealformal"] == UTLEIE[0]:
            scatter_buildings(muni, zone["geometry"], 3, (8, 10))


def business_plan(muni: Municipality, name: str, centre, year: int) -> None:
    """A business park (næringspark) with partly built plots."""
    angle = float(muni.rng.uniform(-30, 30))
    layout = [[NAERING, NAERING, INDUSTRI], [NAERING, NATUR, NAERING]]
    origin = find_site(muni, centre, (3 * 120 + 40, 2 * 100 + 30), 1500, angle)
    if origin is None:
        return
    plan = new_plan(muni, f"Detaljregulering {name} næringsområde", 35, year)
    for zone, _ in grid_plan(muni, plan, origin, angle, layout, (120, 100), road=10):
        zone.update(utnyttingstype=16, utnyttingstall=60.0)
        if zone["arealformal"] in (NAERING[0], INDUSTRI[0]) and muni.rng.random() < 0.55:
            scatter_buildings(muni, zone["geometry"], int(muni.rng.integers(1, 3)), (25, 45))


def old_plan(muni: Municipality, name: str, centre) -> None:
    """A pbl 1985 regulation plan (RbFormålOmråde), almost fully built."""
    angle = float(muni.rng.uniform(-45, 45))
    layout = [[(111, "B"), (111, "B"), (140, "I")], [(111, "B"), (150, "F"), (111, "B")]]
    origin = find_site(muni, centre, (3 * 70 + 40, 2 * 60 + 30), 700, angle)
    if origin is None:
        return
    year = int(muni.rng.integers(1986, 1999))
    plan = new_plan(muni, f"Reguleringsplan for {name} sentrum", 30, year, objtype="RB")
    for zone, _ in grid_plan(muni, plan, origin, angle, layout, (70, 60), road=10):
        count = 6 if zone["arealformal"] == 111 else 2
        scatter_buildings(muni, zone["geometry"], count, (10, 12))
    for zone in plan.zones:
        if zone["arealformal"] == VEG[0]:
            zone["arealformal"] = 310  # pbl 1985 kjøreveg
            zone["feltnavn"] = "V1"


def master_plan_reserves(muni: Municipality, centres) -> None:
    """Kommuneplanens arealdel: future (framtidig) building land and LNFR spredt areas."""
    plan = new_plan(
        muni, f"Kommuneplanens arealdel {muni.kommune.navn} 2019–2031", 20, 2019, objtype="KP"
    )
    purposes = [(1110, "B"), (1120, "F"), (1300, "N"), (1800, "BKB"), (5200, "LSB")]
    for i, centre in enumerate(centres):
        for j, (code, prefix) in enumerate(purposes[i % 2 :] if i else purposes):
            angle = float(muni.rng.uniform(-80, 80))
            w, h = (float(v) for v in muni.rng.uniform(150, 320, 2))
            if code == 5200:
                w, h = w * 1.5, h * 1.3
            origin = find_site(muni, centre, (w, h), 3000, angle)
            if origin is None:
                continue
            local = shapely.Polygon(irregular_ring(muni.rng, w, h))
            zone = add_zone(
                muni,
                plan,
                place(local, origin, angle),
                code,
                f"{prefix}{i + 1}{j + 1}",
                arealbruksstatus=2,
            )
            if code in (5200, 1800):
                scatter_buildings(muni, zone["geometry"], 3, (10, 12))


def irregular_ring(rng: np.random.Generator, w: float, h: float) -> list[tuple[float, float]]:
    """A blob-like ring of about ``w`` × ``h`` metres, as hand-drawn master plan zones are."""
    angles = np.linspace(0, 2 * math.pi, 18, endpoint=False)
    radii = 1 + rng.uniform(-0.12, 0.12, len(angles))
    return [
        (w / 2 * r * math.cos(a), h / 2 * r * math.sin(a))
        for a, r in zip(angles, radii, strict=True)
    ]


def repealed_and_replacing(muni: Municipality, name: str, centre) -> None:
    """An old housing plan, repealed and partly replaced by a newer one that overlaps it."""
    angle = float(muni.rng.uniform(-20, 20))
    origin = find_site(muni, centre, (420, 260), 1500, angle)
    if origin is None:
        return
    old = new_plan(muni, f"Reguleringsplan {name} (opphevet)", 35, 2009, planstatus=4)
    add_zone(muni, old, place(box(-200, -120, 0, 120), origin, angle), BOLIG[0], "BFS1")
    add_zone(muni, old, place(box(0, -120, 200, 120), origin, angle), BOLIG[0], "BFS2")
    older = new_plan(muni, f"Reguleringsplan {name} vest", 35, 2012)
    add_zone(muni, older, place(box(-210, -130, -40, 130), origin, angle), BOLIG[0], "BFS1")
    newer = new_plan(muni, f"Detaljregulering {name} vest, endring", 35, 2023)
    zone = add_zone(
        muni, newer, place(box(-120, -130, 20, 130), origin, angle), KOMBINERT[0], "BKB1"
    )
    scatter_buildings(muni, zone["geometry"], 1, (12, 14))


# --- plots and buildings --------------------------------------------------------------------


def subdivide(muni, plan, zone, local, origin, angle, grid, category, year) -> None:
    """Split a field into plots, give them register values, and build on the sold ones."""
    minx, miny, maxx, maxy = local.bounds
    nx, ny = grid
    w, h = (maxx - minx) / nx, (maxy - miny) / ny
    recent = year >= 2018
    for i in range(nx):
        for j in range(ny):
            plot = place(
                box(minx + i * w, miny + j * h, minx + (i + 1) * w, miny + (j + 1) * h),
                origin,
                angle,
            )
            status = plot_status(muni.rng, recent, category)
            tomt_id = f"{muni.kommune.nummer}-{plan.plan_id}-{zone['feltnavn']}-{i * ny + j + 1}"
            muni.plots.append(
                {
                    "tomt_id": tomt_id,
                    "planid": plan.plan_id,
                    "felt": zone["feltnavn"],
                    "status": status,
                    "areal_m2": round(w * h),
                    "pris": plot_price(muni.rng, category, w * h),
                    "va": va_connected(muni.rng, category),
                    "geometry": rounded(plot),
                }
            )
            built = status == "solgt" and muni.rng.random() < 0.7
            squatter = status == "ledig" and muni.rng.random() < 0.03
            if built or squatter:
                size = (10, 12) if category == "bolig" else (8, 9)
                add_building(muni, plot.centroid, size, angle)


def plot_status(rng: np.random.Generator, recent: bool, category: str) -> str:
    """Register status: recent fields are mostly free, older ones mostly sold.  Some private
    leisure fields keep no status in the register."""
    if category == "fritid" and rng.random() < 0.12:
        return ""
    weights = [0.6, 0.1, 0.3] if recent else [0.25, 0.05, 0.7]
    return str(rng.choice(["ledig", "reservert", "solgt"], p=weights))


def plot_price(rng: np.random.Generator, category: str, area: float) -> int:
    """Asking price in NOK, rounded to 5 000."""
    per_m2 = rng.uniform(120, 450) if category == "bolig" else rng.uniform(250, 700)
    return int(round(per_m2 * area / 5000) * 5000)


def va_connected(rng: np.random.Generator, category: str) -> str:
    """Whether water and sewer are connected (``ja``/``nei``)."""
    return "ja" if rng.random() < (0.95 if category == "bolig" else 0.5) else "nei"


def scatter_buildings(muni: Municipality, zone_geom, count: int, size) -> None:
    """Put ``count`` buildings of about ``size`` metres at random places inside a zone."""
    minx, miny, maxx, maxy = zone_geom.bounds
    placed = 0
    for _ in range(count * 30):
        if placed == count:
            break
        p = Point(muni.rng.uniform(minx, maxx), muni.rng.uniform(miny, maxy))
        if zone_geom.buffer(-max(size)).contains(p):
            add_building(muni, p, size, float(muni.rng.uniform(0, 90)))
            placed += 1


def add_building(muni: Municipality, centre: Point, size, angle: float) -> None:
    """Add one building footprint (or point, for municipalities that give points)."""
    w, h = size
    footprint = place(box(-w / 2, -h / 2, w / 2, h / 2), (centre.x, centre.y), angle)
    bygningstype = 111 if max(size) <= 14 else 211
    if max(size) <= 10:
        bygningstype = 161  # fritidsbygning
    geom = centre if muni.kommune.navn in POINT_BUILDINGS else footprint
    muni.buildings.append(
        {
            "bygningsnummer": f"{muni.kommune.nummer}{len(muni.buildings) + 1:06d}",
            "bygningstype": bygningstype,
            "geometry": rounded(geom),
        }
    )


# --- constraints --------------------------------------------------------------------------------


def add_constraints(muni: Municipality) -> None:
    """Flood zones along a river through a field plan, a landslide zone on a slope, and
    (in Seljord) a cultural environment zone."""
    field_plans = [p for p in muni.plans if p.plantype == 35 and p.planstatus == 3]
    if not field_plans:
        return
    flood_plan = field_plans[0]
    hull = shapely.union_all([z["geometry"] for z in flood_plan.zones]).convex_hull
    c = hull.centroid
    length = math.sqrt(hull.area) * 1.6
    a = float(muni.rng.uniform(0, math.pi))
    river = LineString(
        [
            (c.x - length * math.cos(a), c.y - length * math.sin(a)),
            (c.x + length * math.cos(a), c.y + length * math.sin(a)),
        ]
    )
    add_constraint(
        muni,
        flood_plan,
        river.buffer(22, cap_style="flat").intersection(hull),
        320,
        "RpFareSone",
        "H320_1",
    )
    slope_plan = field_plans[-1]
    hull = shapely.union_all([z["geometry"] for z in slope_plan.zones]).convex_hull
    minx, miny, maxx, maxy = hull.bounds
    slope = box(minx, maxy - (maxy - miny) * 0.25, maxx, maxy).intersection(hull)
    add_constraint(muni, slope_plan, slope, 310, "RpFareSone", "H310_1")
    if muni.kommune.navn == "Seljord":
        centre_plan = field_plans[0]
        hull = shapely.union_all([z["geometry"] for z in centre_plan.zones]).convex_hull
        add_constraint(
            muni, centre_plan, hull.centroid.buffer(70), 570, "RpAngittHensynSone", "H570_1"
        )


def add_constraint(
    muni: Municipality, plan: Plan, geom, code: int, objtype: str, navn: str
) -> None:
    """Add one hensynssone of ``plan``."""
    muni.constraints.append(
        {
            "lokalid": muni.next_id("hensyn"),
            "kommunenummer": muni.kommune.nummer,
            "planid": plan.plan_id,
            "hensyn_kode": code,
            "hensyn_objtype": objtype,
            "hensynsonenavn": navn,
            "geometry": rounded(geom),
        }
    )


# --- one municipality -----------------------------------------------------------------------------


def generate(kommune: Kommune, boundary, seed: int) -> Municipality:
    """Generate all demo data of one municipality."""
    rng = np.random.default_rng([seed, int(kommune.nummer)])
    muni = Municipality(kommune, boundary, rng)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    centres = []
    for name, lat, lon, style in PLACES[kommune.navn]:
        centre = to_utm.transform(lon, lat)
        centres.append(centre)
        if style == "sentrum":
            housing_plan(muni, name, centre, int(rng.integers(2016, 2025)))
            housing_plan(muni, f"{name} nord", centre, int(rng.integers(2004, 2016)))
            business_plan(muni, name, centre, int(rng.integers(2010, 2024)))
            old_plan(muni, name, centre)
            leisure_plan(muni, f"{name} hyttegrend", centre, int(rng.integers(2008, 2024)))
        else:
            leisure_plan(muni, name, centre, int(rng.integers(2012, 2025)), size=5)
            leisure_plan(muni, f"{name} aust", centre, int(rng.integers(2005, 2020)))
            housing_plan(muni, name, centre, int(rng.integers(2010, 2025)))
    if kommune.navn in ("Seljord", "Kviteseid"):
        repealed_and_replacing(muni, PLACES[kommune.navn][0][0], centres[0])
    master_plan_reserves(muni, centres)
    add_constraints(muni)
    mix_homes(muni)
    return muni


def mix_homes(muni: Municipality) -> None:
    """Combined use as it stands, as the region assessed it: in every LNFR spredt zone
    (5200) and in the municipality's first detached-housing field, every third home is a
    leisure home (bygningstype 161), so the first are ``blandet`` and the second
    ``fritid_i_boligfelt``.  Only the types change: no random draw, no other data moves."""
    zones = [z for p in muni.plans for z in p.zones if z["arealformal"] == 5200]
    housing = [z for p in muni.plans for z in p.zones if z["arealformal"] == BOLIG[0]]
    for zone in zones + housing[:1]:
        inside = [
            b
            for b in muni.buildings
            if b["bygningstype"] in (111, 161)
            and zone["geometry"].contains(b["geometry"].representative_point())
        ]
        for b in inside[1::3]:
            b["bygningstype"] = 161


# --- writing --------------------------------------------------------------------------------------


def feature_collection(name: str, features: list[dict]) -> dict:
    """A GeoJSON FeatureCollection in EPSG:25832 as municipal GIS exports write it."""
    return {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": CRS_URN}},
        "description": ATTRIBUTION,
        "features": features,
    }


def feature(properties: dict) -> dict:
    """A GeoJSON feature from a dict whose ``geometry`` is a shapely geometry."""
    props = {k: v for k, v in properties.items() if k != "geometry"}
    geom = json.loads(shapely.to_geojson(properties["geometry"]))
    return {"type": "Feature", "properties": props, "geometry": geom}


def zone_features(muni: Municipality) -> list[dict]:
    """Every zone with its plan's metadata, as a flat attribute table."""
    out = []
    for plan in muni.plans:
        for zone in plan.zones:
            out.append(
                feature(
                    {
                        "lokalid": zone["lokalid"],
                        "kommunenummer": muni.kommune.nummer,
                        "planid": plan.plan_id,
                        "plannavn": plan.navn,
                        "plantype": plan.plantype,
                        "planstatus": plan.planstatus,
                        "ikrafttredelsesdato": plan.ikraft,
                        "objtype": OBJTYPE[plan.objtype],
                        "arealformal": zone["arealformal"],
                        "arealbruksstatus": zone.get("arealbruksstatus"),
                        "feltnavn": zone["feltnavn"],
                        "eierform": zone["eierform"],
                        "utnyttingstype": zone.get("utnyttingstype"),
                        "utnyttingstall": zone.get("utnyttingstall"),
                        "geometry": zone["geometry"],
                    }
                )
            )
    return out


def write_json(path: Path, data: dict) -> None:
    """Write JSON with a fixed layout, so that regeneration gives identical bytes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.write_text(
        text.replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n", encoding="utf-8"
    )


def write_register(path: Path, plots: list[dict]) -> None:
    """Write the plot register as a semicolon-separated CSV, as spreadsheets export it."""
    columns = ["tomt_id", "planid", "felt", "areal_m2", "pris", "va", "status"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, columns, delimiter=";", lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(plots)


def write_municipality(muni: Municipality, out: Path) -> dict:
    """Write one municipality's files; return its part of the region config."""
    folder = out / f"{muni.kommune.nummer}-{muni.kommune.slug}"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "planer.geojson", feature_collection("planer", zone_features(muni)))
    write_json(
        folder / "hensynssoner.geojson",
        feature_collection("hensynssoner", [feature(c) for c in muni.constraints]),
    )
    buildings_name = (
        "bygningspunkt.geojson" if muni.kommune.navn in POINT_BUILDINGS else "bygninger.geojson"
    )
    buildings = [feature({**b, "kommunenummer": muni.kommune.nummer}) for b in muni.buildings]
    write_json(folder / buildings_name, feature_collection("bygninger", buildings))
    write_json(
        folder / "tomter.geojson",
        feature_collection(
            "tomter",
            [feature({"tomt_id": p["tomt_id"], "geometry": p["geometry"]}) for p in muni.plots],
        ),
    )
    write_register(folder / "tomteregister.csv", muni.plots)
    rel = folder.name
    return {
        "kommune": muni.kommune.navn,
        "plans": [f"{rel}/planer.geojson"],
        "constraints": [f"{rel}/hensynssoner.geojson"],
        "buildings": [f"{rel}/{buildings_name}"],
        "plots": [{"register": f"{rel}/tomteregister.csv", "geometry": f"{rel}/tomter.geojson"}],
    }


def demo_places() -> list[dict]:
    """The demo's synthetic schools, kindergartens, shops and næringshager."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    rows = []
    for kommune_navn, places in PLACES.items():
        number = resolve(kommune_navn).nummer
        for i, (name, lat, lon, style) in enumerate(places):
            east, north = to_utm.transform(lon, lat)
            services = list(SERVICES[style])
            if i == 0:
                services.append(("naeringshage", "næringshage", *NAERINGSHAGE))
            for kind, word, de, dn in services:
                rows.append(
                    {
                        "navn": f"{name} {word} (demo)",
                        "kommunenummer": number,
                        "ost": round(east + de),
                        "nord": round(north + dn),
                        "type": kind,
                        "kilde": PLACE_SOURCE,
                    }
                )
    return rows


def write_places(out: Path) -> None:
    """Write ``steder.csv``, the demo's places file (EPSG:25832 ``ost``/``nord``)."""
    rows = demo_places()
    with (out / "steder.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_config(out: Path, entries: list[dict]) -> None:
    """Write the region config (TOML) that ``arealkart build`` reads by default."""
    lines = [
        "# Vest-Telemark demo region: SYNTHETIC data generated by scripts/generate_demo.py",
        "[region]",
        'navn = "Vest-Telemark"',
        'slug = "vest-telemark"',
        f'attribution = "{ATTRIBUTION}"',
        f"sprak = {json.dumps(LANGUAGES)}",
        "",
        "[steder]",
        'fil = "steder.csv"',
        "",
    ]
    for entry in entries:
        lines += ["[[kommune]]", f'kommune = "{entry["kommune"]}"']
        for key in ("plans", "constraints", "buildings"):
            lines.append(f"{key} = [{', '.join(json.dumps(v) for v in entry[key])}]")
        plots = ", ".join(
            f'{{ register = "{p["register"]}", geometry = "{p["geometry"]}" }}'
            for p in entry["plots"]
        )
        lines += [f"plots = [{plots}]", ""]
    (out / "vest-telemark.toml").write_text("\n".join(lines), encoding="utf-8")


README = """# Vest-Telemark demo data — SYNTHETIC

**These plans, plots, buildings and constraint zones are invented** ({attribution}).
Real plan data for the region is not public, so arealkart ships data shaped like the real
thing, generated by `scripts/generate_demo.py` (seed {seed}; regenerating gives
byte-identical files, which the tests check). Only the municipal borders
(© Kartverket, CC BY 4.0) and the positions of the places are real.

What each municipality folder holds, as a municipality's GIS would export it:

| file | what |
|---|---|
| `planer.geojson` | plan zones (EPSG:25832): reguleringsplaner (RpArealformålOmråde, SOSI codes, feltnavn such as BFS1, BFF3, BN1, BKB1), an old pbl 1985 plan (RbFormålOmråde), master plan reserves (KpArealformålOmråde, AREALST 2 framtidig), with plan id, name, type, status and date |
| `hensynssoner.geojson` | constraint zones: H320 flom along a river, H310 skred on a slope, H570 kulturmiljø in Seljord |
| `bygninger.geojson` / `bygningspunkt.geojson` | building footprints (Fyresdal: building points, as Matrikkelen gives them) |
| `tomter.geojson` + `tomteregister.csv` | plot polygons, and the plot register (status ledig/reservert/solgt or empty, price, VA) joined on `tomt_id` |

Seljord and Kviteseid also hold a repealed plan and a newer plan overlapping an older one.
`steder.csv` adds invented schools, kindergartens, shops and one næringshage per
municipality near the real centres (each row says so in `kilde`), for the distances and
scores of attractive land.
`vest-telemark.toml` is the region config `arealkart build` reads by default.

## Figures

| municipality | zones | plots | buildings | constraint zones |
|---|---:|---:|---:|---:|
{rows}
| **region** | **{zones}** | **{plots}** | **{buildings}** | **{constraints}** |
"""


def write_readme(out: Path, municipalities: list[Municipality], seed: int) -> None:
    """Describe the demo and its figures in ``README.md``."""
    rows = []
    for muni in municipalities:
        zones = sum(len(p.zones) for p in muni.plans)
        rows.append(
            f"| {muni.kommune.navn} ({muni.kommune.nummer}) | {zones} | "
            f"{len(muni.plots)} | {len(muni.buildings)} | {len(muni.constraints)} |"
        )
    text = README.format(
        attribution=ATTRIBUTION,
        seed=seed,
        rows="\n".join(rows),
        zones=sum(sum(len(p.zones) for p in m.plans) for m in municipalities),
        plots=sum(len(m.plots) for m in municipalities),
        buildings=sum(len(m.buildings) for m in municipalities),
        constraints=sum(len(m.constraints) for m in municipalities),
    )
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    entries, municipalities = [], []
    for row in boundaries().itertuples():
        kommune = resolve(row.kommunenummer)
        muni = generate(kommune, row.geometry, args.seed)
        entries.append(write_municipality(muni, args.out))
        municipalities.append(muni)
    write_places(args.out)
    write_config(args.out, entries)
    write_readme(args.out, municipalities, args.seed)


if __name__ == "__main__":
    main()
