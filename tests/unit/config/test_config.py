"""The region config: a small region written in code, built end to end, and every mistake."""

import textwrap

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from arealkart import build
from arealkart.config import FILE_OPTIONS, demo_config_path, load_config
from arealkart.errors import ConfigError

# A 200 × 150 m housing field south of Dalen (Tokke), in EPSG:25832.
X, Y = 442_000.0, 6_588_000.0


def write_region(folder):
    """Plans, constraints, buildings and a plot register (lat/lon) for Tokke."""
    data = folder / "tokke"
    data.mkdir()
    zones = gpd.GeoDataFrame(
        {
            "lokalid": ["z1", "z2", "z3"],
            "planid": ["2024001"] * 3,
            "plannavn": ["Testfelt"] * 3,
            "plantype": [35] * 3,
            "planstatus": [3] * 3,
            "ikrafttredelsesdato": ["2024-05-01"] * 3,
            "objtype": ["RpArealformålOmråde"] * 3,
            "arealformal": [1111, 1121, 2011],
            "feltnavn": ["BFS1", "BFF1", "o_SKV1"],
        },
        geometry=[
            shapely.box(X, Y, X + 100, Y + 150),
            shapely.box(X + 110, Y, X + 200, Y + 150),
            shapely.box(X + 100, Y, X + 110, Y + 150),
        ],
        crs="EPSG:25832",
    )
    zones.to_file(data / "planer.geojson")
    gpd.GeoDataFrame(
        {"lokalid": ["h1"], "hensyn_kode": [320], "planid": ["2024001"]},
        geometry=[shapely.box(X + 150, Y, X + 200, Y + 40)],
        crs="EPSG:25832",
    ).to_file(data / "hensyn.geojson")
    gpd.GeoDataFrame(
        {"bygningsnummer": ["b1"], "bygningstype": [111]},
        geometry=[shapely.box(X + 10, Y + 10, X + 22, Y + 20)],
        crs="EPSG:25832",
    ).to_file(data / "bygg.geojson")
    points = gpd.GeoSeries(
        [shapely.Point(X + 50, Y + 100), shapely.Point(X + 15, Y + 15)], crs="EPSG:25832"
    ).to_crs("EPSG:4326")
    pd.DataFrame(
        {
            "tomt_id": ["T1", "T2"],
            "felt": ["BFS1", "BFS1"],
            "pris": [250000, 300000],
            "va": ["ja", "nei"],
            "status": ["ledig", "ledig"],
            "lat": points.y.round(7),
            "lon": points.x.round(7),
        }
    ).to_csv(data / "tomter.csv", sep=";", index=False)
    config = folder / "region.toml"
    config.write_text(
        textwrap.dedent(
            """
            [region]
            navn = "Testregion"
            slug = "testregion"
            attribution = "Testdata"

            [parameters]
            min_bredde = 6
            min_areal = { bolig = 500 }

            [farger]
            bolig = "#ffcc00"

            [[kommune]]
            kommune = "0833"
            plans = ["tokke/planer.geojson"]
            constraints = [{ path = "tokke/hensyn.geojson", crs = "EPSG:25832" }]
            buildings = ["tokke/bygg.geojson"]
            plots = [{ register = "tokke/tomter.csv", crs = "EPSG:4326" }]
            """
        ),
        encoding="utf-8",
    )
    return config


@pytest.fixture
def region(tmp_path):
    return write_region(tmp_path)


def test_a_config_built_in_code_loads(region):
    cfg = load_config(region)
    assert (cfg.navn, cfg.slug, cfg.attribution) == ("Testregion", "testregion", "Testdata")
    (tokke,) = cfg.municipalities
    assert tokke.kommune.nummer == "4034" and tokke.kommune.navn == "Tokke"
    kinds = [(s.path.name, s.kind) for s in tokke.sources]
    assert kinds == [
        ("planer.geojson", None),
        ("hensyn.geojson", "constraints"),
        ("bygg.geojson", "buildings"),
        ("tomter.csv", "plots"),
    ]
    assert tokke.sources[1].options == {"crs": "EPSG:25832"}
    assert cfg.parameters == {"min_bredde": 6, "min_areal": {"bolig": 500}}
    assert cfg.colours == {"bolig": "#ffcc00"}
    assert all(p.is_file() for p in cfg.files())


def test_a_planner_builds_from_their_own_config(region, tmp_path):
    out = tmp_path / "ut"
    result = build(region, out, workers=1, parts=["tables", "geojson"])
    written = sorted(str(p.relative_to(out)) for p in result.files)
    assert written == [
        "arealkart.gpkg",
        "geojson/testregion-ledig.geojson",
        "geojson/testregion-tomter.geojson",
        "geojson/tokke-ledig.geojson",
        "geojson/tokke-tomter.geojson",
        "issues.csv",
        "regnskap.csv",
        "sammendrag.csv",
    ]
    zones = result.result.zones.set_index("feltnavn")
    assert zones.loc["BFS1", "kategori"] == "bolig" and zones.loc["BFS1", "bebygd_m2"] > 0
    assert zones.loc["BFF1", "blokkert_m2"] > 0, "the flood zone blocks part of the leisure field"
    plots = result.result.plots.set_index("tomt_id")
    assert plots.loc["T1", "status"] == "ledig" and plots.loc["T2", "status"] == "bebygd"
    assert result.result.parameters.min_bredde == 6


def test_a_planner_measures_to_their_own_places_along_their_own_roads(region, tmp_path):
    folder = region.parent
    # a school 2 km east of the field, a road from the field's corner east, then north
    (folder / "steder.csv").write_text(
        f"navn;type;kilde;ost;nord\nSkulen;skole;kommunen;{X + 2200:.0f};{Y + 1000:.0f}\n",
        encoding="utf-8",
    )
    road = shapely.LineString([(X + 200, Y), (X + 2200, Y), (X + 2200, Y + 1000)])
    gpd.GeoDataFrame(geometry=[road], crs="EPSG:25832").to_file(folder / "veg.gpkg")
    config = rewrite(
        region, "[farger]", '[steder]\nfil = "steder.csv"\nvegnett = "veg.gpkg"\n[farger]'
    )
    out = tmp_path / "ut"
    build(config, out, workers=1, parts=["tables"])
    free = gpd.read_file(out / "arealkart.gpkg", layer="ledige_arealer")
    assert set(free["avstand_grunnlag"]) == {"vegnett"}
    # the field's free land reaches the road at its corner (X + 200, Y): 2 000 + 1 000 m on
    east = free.geometry.bounds["maxx"].idxmax()
    corner = shapely.Point(X + 200, Y).distance(free.geometry[east])
    assert free.loc[east, "avstand_skole_m"] == pytest.approx(3000 + corner, abs=1)
    assert free["poeng"].notna().all() and free["rang"].min() == 1


def test_the_demo_config_is_complete():
    cfg = load_config(demo_config_path())
    assert cfg.languages == ("nn", "nb", "en") and cfg.language == "nn"
    assert len(cfg.municipalities) == 6
    assert all(p.is_file() for p in cfg.files())
    kinds = {s.kind for m in cfg.municipalities for s in m.sources}
    assert kinds == {None, "constraints", "buildings", "plots"}


def test_a_config_names_its_places_and_road_network(region):
    folder = region.parent
    (folder / "steder.csv").write_text("navn,type,kilde,lat,lon\n", encoding="utf-8")
    (folder / "veg.gpkg").write_bytes(b"")
    config = rewrite(
        region,
        "[farger]",
        "[steder]\n"
        'fil = "steder.csv"\n'
        'vegnett = { path = "veg.gpkg", layer = "veglenke" }\n'
        "[farger]",
    )
    cfg = load_config(config)
    assert cfg.places == folder / "steder.csv"
    assert cfg.roads is not None and cfg.roads.path == folder / "veg.gpkg"
    assert cfg.roads.options == {"layer": "veglenke"}
    assert {cfg.places, cfg.roads.path} <= set(cfg.files())  # their checksums are in the manifest
    (folder / "steder.csv").unlink()
    with pytest.raises(ConfigError, match=r"not found.*steder\.csv"):
        load_config(config)


def rewrite(config, old, new):
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[farger]", "[fargar]", r"unknown sections \['fargar'\]"),
        ('slug = "testregion"', 'slugg = "x"', r"\[region\]: unknown keys \['slugg'\]"),
        ('slug = "testregion"', 'slug = "Test Region"', "slug 'Test Region' must be lower-case"),
        ("plans = [", "plan = [", r"Tokke: unknown keys \['plan'\]"),
        ('kommune = "0833"', 'kommune = "Tokkee"', "unknown municipality 'Tokkee'.*Tokke"),
        (
            "min_bredde = 6",
            "min_breide = 6",
            r"\[parameters\].*unknown parameters \['min_breide'\]",
        ),
        ("min_bredde = 6", "min_bredde = -6", r"must not be negative: \['min_bredde'\]"),
        ("min_bredde = 6", 'min_bredde = "seks"', r"\[parameters\]: invalid value"),
        ("{ bolig = 500 }", "{ villa = 500 }", r"unknown categories \['villa'\]"),
        ('bolig = "#ffcc00"', 'bolig = "gul"', "colours must be '#rrggbb'"),
        ('bolig = "#ffcc00"', 'hytte = "#ffcc00"', r"\[farger\]: unknown keys \['hytte'\]"),
        ('crs = "EPSG:25832"', 'srs = "EPSG:25832"', r"unknown options \['srs'\]"),
        (
            'plans = ["tokke/planer.geojson"]',
            'plans = [{ path = "tokke/planer.geojson", geometry = "x.geojson" }]',
            "'geometry' is for plots only",
        ),
        ('plans = ["tokke/planer.geojson"]', 'plans = "tokke/planer.geojson"', "must be a list"),
        ("[[kommune]]", "[[kommune]]\nkommune = 4034\n[[kommune]]", "has two \\[\\[kommune\\]\\]"),
        ("[region]", "[region", "not valid TOML"),
        ('{ path = "tokke/hensyn.geojson"', '{ fil = "tokke/hensyn.geojson"', "needs 'path'"),
        ('attribution = "Testdata"', 'sprak = "no"', r"sprak must be one or more of \['nb'"),
        ('attribution = "Testdata"', "sprak = []", "sprak must be one or more"),
        ('attribution = "Testdata"', 'sprak = ["nn", "nn"]', "each once"),
        ('attribution = "Testdata"', "sprak = 1", r"sprak.*got 1"),
        ('attribution = "Testdata"', 'sprak = ["nn", 2]', r"got \['nn', 2\]"),
        (
            "[farger]",
            '[steder]\nfiler = "s.csv"\n[farger]',
            r"\[steder\]: unknown keys \['filer'\]",
        ),
        ("[farger]", "[steder]\nfil = 3\n[farger]", r"\[steder\] fil: a file path must be a text"),
        ("[farger]", '[steder]\nfil = "../s.csv"\n[farger]', "points outside the config's folder"),
        (
            "[farger]",
            '[steder]\nvegnett = { fil = "v.gpkg" }\n[farger]',
            r"\[steder\] vegnett: unknown keys \['fil'\]",
        ),
        ("[farger]", '[steder]\nvegnett = { layer = "v" }\n[farger]', "vegnett needs a path"),
    ],
)
def test_every_mistake_is_named(region, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_config(rewrite(region, old, new))


@pytest.mark.parametrize(
    ("value", "expected"), [(None, ("nb",)), ('"nn"', ("nn",)), ('["en", "nb"]', ("en", "nb"))]
)
def test_a_region_names_its_map_languages_main_first(region, value, expected):
    if value is not None:
        rewrite(region, 'attribution = "Testdata"', f"sprak = {value}")
    config = load_config(region)
    assert config.languages == expected and config.language == expected[0]


def test_all_missing_files_are_listed_at_once(region):
    for name in ("planer.geojson", "tomter.csv"):
        (region.parent / "tokke" / name).unlink()
    with pytest.raises(ConfigError, match=r"2 input file\(s\) not found.*planer.*tomter"):
        load_config(region)
    assert load_config(region, check_files=False).slug == "testregion"


def test_missing_or_empty_config(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    empty = tmp_path / "empty.toml"
    empty.write_text('[region]\nnavn = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no \[\[kommune\]\] entries"):
        load_config(empty)


def test_file_options_are_documented():
    assert all(len(v) > 10 for v in FILE_OPTIONS.values())
    from arealkart import config

    for option in FILE_OPTIONS:
        assert option in config.__doc__ or option in ("engine", "columns", "arc_tolerance")


NEXT_STEP = (
    'plans = ["tokke/planer.geojson"]\n'
    'kontakt = { navn = "Servicetorget", epost = "post@example.org", telefon = "+47 00 00 00 02",'
    ' nettside = "https://example.org/bu" }\n'
    'planinnsyn = "https://example.org/innsyn/{kommunenummer}/{plan_id}"'
)


def test_a_municipality_names_its_contact_and_plan_documents(region):
    assert load_config(region).next_steps() == {}  # nothing given, nothing shown
    config = load_config(rewrite(region, 'plans = ["tokke/planer.geojson"]', NEXT_STEP))
    (tokke,) = config.municipalities
    assert tokke.kontakt == {
        "navn": "Servicetorget",
        "epost": "post@example.org",
        "telefon": "+47 00 00 00 02",
        "nettside": "https://example.org/bu",
    }
    assert config.next_steps() == {
        "4034": {
            "kontakt": tokke.kontakt,
            "planinnsyn": "https://example.org/innsyn/{kommunenummer}/{plan_id}",
        }
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('epost = "post@example.org"', 'epost = "post"', "kontakt.epost must be an e-mail"),
        ('epost = "post@example.org"', "epost = 5", "kontakt.epost must be a text"),
        ('epost = "post@example.org"', 'fax = "1"', r"kontakt: unknown keys \['fax'\]"),
        ('"https://example.org/bu"', '"javascript:alert(1)"', "nettside must be an http"),
        ('"+47 00 00 00 02"', '"<b>"', "telefon must be a phone number"),
        ("/{kommunenummer}/{plan_id}", "/{id}", "planinnsyn must be an http"),
        ("/{kommunenummer}/{plan_id}", "/x", "with \\{plan_id\\}"),
        ('"https://example.org/innsyn', '"ftp://example.org/innsyn', "planinnsyn must be"),
    ],
)
def test_a_bad_contact_or_plan_link_is_named(region, old, new, message):
    text = NEXT_STEP.replace(old, new)
    with pytest.raises(ConfigError, match=message):
        load_config(rewrite(region, 'plans = ["tokke/planer.geojson"]', text))


def test_kontakt_must_be_a_table(region):
    with pytest.raises(ConfigError, match="kontakt must be a table"):
        load_config(
            rewrite(region, 'plans = ["tokke/planer.geojson"]', 'plans = []\nkontakt = "ring oss"')
        )
