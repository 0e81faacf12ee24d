"""A region's configuration: which files hold each municipality's data, and parameters.

One TOML file describes a region, so a planner can point arealkart at their own data
without writing Python (``arealkart build --config region.toml``).  A relative path is
relative to the TOML file and must stay inside its folder (``../`` out of it is an error);
write an absolute path to read a file from elsewhere.  The region's ``slug`` names its
pages and files, so it may not be a municipality's (``vinje``) or ``index``.  Every
section but ``[[kommune]]`` is optional::

    [region]
    navn = "Vest-Telemark"            # shown in maps, tables and the GeoPackage
    slug = "vest-telemark"            # file names: geojson/vest-telemark-ledig.geojson, …
    attribution = "Plandata © kommunene"
    sprak = ["nn", "en"]              # map languages, the main one first (see below)
    borders = "kommunegrenser.gpkg"   # the municipalities' borders (see below); or
                                      # { path = "…", layer = "…", column = "kommunenr" }

    [parameters]                      # thresholds of the available-land rule; defaults and
    regel = "ssb"                     # their reasons in arealkart/data/parametere.toml
    min_bredde = 8
    min_areal = { bolig = 500 }       # per category: bolig, fritid, kombinert, naering
    avstand = { naering = 6 }

    [kategorier]                      # override files (see arealkart.classify)
    overstyring = "kategorier.csv"    # categories
    kombinasjon = "kombinasjoner.csv" # combined use (bolig_fritid, …)

    [farger]                          # map colours by category, "#rrggbb"
    bolig = "#ffcc00"

    [kart]                            # a region page with more areas than this draws
    fliser_over = 30000               # them from vector tiles (default: kart.toml [fliser])

    [steder]                          # attractive land (see arealkart.available.attraction)
    fil = "steder.csv"                # schools, shops, næringshager, … added to the built-in
                                      # gazetteer (a row of the same name and type replaces)
    vegnett = "veger.gpkg"            # measure along these lines instead of straight lines;
                                      # or { path = "nvdb.gpkg", layer = "veglenke" }

    [[kommune]]                       # one table per municipality
    kommune = "Vinje"                 # any name or number form (Vinje, 4036, 3825, 0834)
    plans = ["vinje/planer.sos", "vinje/kommuneplan.gml"]
    constraints = ["vinje/hensyn.gpkg"]
    buildings = ["vinje/bygg.fgb"]
    plots = [{ register = "vinje/tomter.csv", geometry = "vinje/tomter.geojson" }]

``sprak`` lists the languages a build writes its maps in (``nb`` bokmål, ``nn``
nynorsk, ``en`` English; a single text for one language).  The first is the region's main
language: its pages are ``kart/*.html``, the others' ``kart/<sprak>/*.html``, and every
page links to its twins.  Without it a region's maps are in bokmål only.

``borders`` are the region's own municipal borders: any polygon layer with a column of
municipality numbers (``kommunenummer``, ``kommunenr``, ``knr`` or ``kommune`` unless
``column`` names another; names work too), in any CRS the file declares.  Numbers of any
year are mapped to today's (3825 → 4036) and every municipality of the config must have
a border.  Without it a build uses the borders the package ships: all of Norway's of 2020
under today's numbers, which hold 1508 Ålesund and 1580 Haram (split in 2024) together,
so a region with either needs its own.  The borders decide which features lie outside
their municipality and frame the maps.

``plans`` may hold zones and constraint zones (SOSI and plan GML files hold both);
``constraints``, ``buildings`` and ``plots`` say what their GIS exports hold.  Each file
entry is a path, or a table with ``path`` (``register`` for a CSV plot register) and
reader options (:data:`FILE_OPTIONS`)::

    plans = [{ path = "kp.gpkg", layer = "arealformal", objtype = "KP", crs = "EPSG:25833" }]
    buildings = [{ path = "bygg.shp", encoding = "cp1252" }]
    plots = [{ register = "tomter.csv", crs = "EPSG:4326" }]   # lat/lon columns

:func:`load_config` checks everything it can before any data is read: unknown sections and
keys (a typo is an error, not a silent default), municipalities (closest names listed), the
same municipality twice, missing files (all listed at once), parameters (names, categories,
negative thresholds), colours and file options — each :class:`ConfigError` names the file,
the key and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from arealkart.errors import ConfigError, MunicipalityError
from arealkart.load.borders import read_borders
from arealkart.model.database import database_label, quoted_name, redacted
from arealkart.model.resources import shipped_data
from arealkart.model.vocabulary import LANGUAGES
from arealkart.registry.kommuner import Kommune, boundaries, resolve

DEMO_CONFIG = "demo/vest-telemark.toml"
LAYER_KEYS = {
    "plans": None,
    "constraints": "constraints",
    "buildings": "buildings",
    "plots": "plots",
}
"""Config key → the layer kind its files hold (``None``: whatever the file holds)."""

SECTIONS = ("region", "parameters", "kategorier", "farger", "kart", "steder", "kommune")
"""Top-level sections of a config file."""
REGION_KEYS = ("navn", "slug", "attribution", "sprak", "borders")
DEFAULT_LANGUAGES = ("nb",)
"""Map languages of a region whose config does not name them."""
FILE_OPTIONS = {
    "layer": "read only this layer of a multi-layer file",
    "crs": "CRS of a file that has none, e.g. 'EPSG:25833'",
    "encoding": "text encoding, e.g. 'cp1252' for a Shapefile without .cpg",
    "objtype": "code list of a zones layer whose columns do not tell: RP, KP, RB, KP1985",
    "engine": "'pyogrio' (default) or 'fiona'",
    "columns": "extra column names, { their_name = 'canonical_name' }",
    "geometry": "for a CSV plot register: the file with the plot polygons",
    "arc_tolerance": "SOSI/GML: largest gap (m) between a densified arc and the circle",
}
"""Reader options a file table may carry, and what they mean."""


DATABASE_OPTIONS = ("table", "query", "crs", "objtype", "columns")
"""Keys of a PostGIS source table besides ``postgis`` (the connection URL)."""


@dataclass(frozen=True)
class Source:
    """One input file, or one PostGIS table or query, and the options to read it with.

    A PostGIS source has its connection URL in ``database``, its ``table`` or ``query`` in
    ``options``, and ``path`` holds only its label (``postgis:<db>.<table>``): nothing is
    read from disk for it.
    """

    path: Path
    kind: str | None
    options: dict[str, Any] = field(default_factory=dict)
    database: str | None = None

    @property
    def is_file(self) -> bool:
        """Whether the source is a file (not a PostGIS table or query)."""
        return self.database is None

    @property
    def files(self) -> list[Path]:
        """The files it reads: its path and a register's geometry file (none for PostGIS)."""
        if not self.is_file:
            return []
        geometry = self.options.get("geometry")
        return [self.path, *([Path(geometry)] if geometry else [])]


CONTACT_KEYS = ("navn", "epost", "telefon", "nettside")
"""Keys of a municipality's ``kontakt`` table: whom a visitor of the maps may ask."""
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
_URL = re.compile(r"https?://[^\s<>\"']+")
_PHONE = re.compile(r"\+?[0-9 ]{5,20}")


@dataclass(frozen=True)
class MunicipalityInput:
    """The input files of one municipality, and the next step the maps offer a visitor.

    ``kontakt`` holds whom to ask (some of :data:`CONTACT_KEYS`); ``planinnsyn`` is the
    address of a plan's documents with ``{plan_id}`` (and optionally ``{kommunenummer}``)
    where the plan's id goes.
    """

    kommune: Kommune
    sources: tuple[Source, ...]
    kontakt: dict[str, str] = field(default_factory=dict)
    planinnsyn: str | None = None


@dataclass(frozen=True)
class RegionConfig:
    """A whole region's configuration."""

    navn: str
    slug: str
    attribution: str | None
    municipalities: tuple[MunicipalityInput, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    category_overrides: Path | None = None
    combination_overrides: Path | None = None
    colours: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    """Map languages, the main one (whose pages are ``kart/*.html``) first."""
    places: Path | None = None
    """A places file that adds to the built-in gazetteer (``[steder] fil``)."""
    roads: Source | None = None
    """A road network to measure distances along (``[steder] vegnett``)."""
    tile_threshold: int | None = None
    """Above this many areas a region page draws them from vector tiles (``[kart]
    fliser_over``); ``None``: the threshold of ``kart.toml``."""
    borders: Source | None = None
    """The municipalities' own borders (``[region] borders``); ``None``: the shipped ones."""

    @property
    def language(self) -> str:
        """The region's main map language."""
        return self.languages[0]

    def label(self, path: Path) -> str:
        """How an input file is named in sources, issues, accounting and the manifest.

        Its path relative to the config's folder (``4036-vinje/planer.geojson``), so two
        municipalities' ``planer.geojson`` stay apart; the bare name for a file elsewhere
        or a config built in Python.
        """
        if self.path is None:
            return path.name
        try:
            return path.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return path.name

    def next_steps(self) -> dict[str, dict[str, Any]]:
        """Kommunenummer → ``{"kontakt": {...}, "planinnsyn": template}``, where given."""
        return {
            m.kommune.nummer: {"kontakt": dict(m.kontakt), "planinnsyn": m.planinnsyn}
            for m in self.municipalities
            if m.kontakt or m.planinnsyn
        }

    def files(self) -> list[Path]:
        """Every input file the config names (plans, registers, plot geometry, overrides)."""
        paths = [p for m in self.municipalities for s in m.sources for p in s.files]
        paths += [p for p in (self.category_overrides, self.combination_overrides) if p]
        paths += [p for p in (self.places, self.roads.path if self.roads else None) if p]
        paths += [self.borders.path] if self.borders else []
        return paths

    def boundaries(self) -> gpd.GeoDataFrame:
        """The borders of the config's municipalities, in its order, in EPSG:25832.

        From ``[region] borders`` where given, else the shipped borders.

        Raises
        ------
        ConfigError
            For a municipality the shipped borders do not hold apart (1508, 1580), or a
            borders file that does not hold one.
        InputError
            For a borders file that cannot be used (see
            :func:`~arealkart.load.borders.read_borders`).
        """
        numbers = [m.kommune.nummer for m in self.municipalities]
        where = self.path or "config"
        if self.borders is None:
            try:
                return boundaries(numbers)
            except MunicipalityError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        return read_borders(self.borders.path, kommuner=numbers, **self.borders.options)


def demo_config_path() -> Path:
    """The built-in Vest-Telemark demo configuration."""
    return shipped_data(DEMO_CONFIG)


def load_config(
    path: str | os.PathLike[str] | None = None, *, check_files: bool = True
) -> RegionConfig:
    """Read and check a region configuration; ``None`` gives the built-in demo.

    Parameters
    ----------
    path
        The TOML file.
    check_files
        Also check that every file it names exists (all missing ones are listed).

    Raises
    ------
    ConfigError
        If the file is missing or malformed, naming the key and what was expected.
    """
    path = Path(path) if path is not None else demo_config_path()
    raw = _read_toml(path)
    _check_keys(raw, SECTIONS, f"{path}", "sections")
    region = _table(raw, "region", path)
    _check_keys(region, REGION_KEYS, f"{path}: [region]", "keys")
    for key, value in region.items():
        if key not in ("sprak", "borders") and not isinstance(value, str):
            raise ConfigError(f"{path}: [region] {key} must be a text, got {value!r}")
    base = path.parent
    entries = raw.get("kommune")
    if not entries or not isinstance(entries, list):
        raise ConfigError(
            f"{path}: no [[kommune]] entries; each names a municipality and "
            f"its files (plans, constraints, buildings, plots)"
        )
    municipalities = tuple(
        _municipality(entry, base, path, i) for i, entry in enumerate(entries, start=1)
    )
    _check_unique(municipalities, path)
    slug = _slug(region.get("slug", "region"), path)
    _check_slug_free(slug, municipalities, path)
    overrides = _table(raw, "kategorier", path)
    _check_keys(overrides, ("overstyring", "kombinasjon"), f"{path}: [kategorier]", "keys")
    places = _table(raw, "steder", path)
    _check_keys(places, ("fil", "vegnett"), f"{path}: [steder]", "keys")
    maps = _table(raw, "kart", path)
    _check_keys(maps, ("fliser_over",), f"{path}: [kart]", "keys")
    config = RegionConfig(
        navn=str(region.get("navn", "Region")),
        slug=slug,
        attribution=region.get("attribution"),
        municipalities=municipalities,
        parameters=_parameters(_table(raw, "parameters", path), path),
        category_overrides=_override_file(overrides, "overstyring", base, path),
        combination_overrides=_override_file(overrides, "kombinasjon", base, path),
        colours=_colours(_table(raw, "farger", path), path),
        path=path,
        languages=_languages(region.get("sprak", list(DEFAULT_LANGUAGES)), path),
        places=_inside(places["fil"], base, path, "[steder] fil") if "fil" in places else None,
        roads=_layer(places.get("vegnett"), base, path, "[steder] vegnett"),
        tile_threshold=_count(maps["fliser_over"], path, "[kart] fliser_over")
        if "fliser_over" in maps
        else None,
        borders=_layer(region.get("borders"), base, path, "[region] borders", ("layer", "column")),
    )
    if check_files:
        _check_files(config, path)
    return config


def _count(value: Any, path: Path, where: str) -> int:
    """A whole number of 0 or more (``true`` is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: {where} must be a whole number of 0 or more, got {value!r}")
    return value


def _override_file(table: dict[str, Any], key: str, base: Path, path: Path) -> Path | None:
    """A ``[kategorier]`` file, inside the config's folder; ``None`` if not given."""
    return _inside(table[key], base, path, f"[kategorier] {key}") if key in table else None


def _layer(
    entry: Any, base: Path, path: Path, where: str, keys: tuple[str, ...] = ("layer",)
) -> Source | None:
    """A vector layer: ``[steder] vegnett``, ``[region] borders``; ``None`` if not given.

    A path, or a table with ``path`` and some of ``keys`` (texts).
    """
    if entry is None:
        return None
    if isinstance(entry, dict):
        _check_keys(entry, ("path", *keys), f"{path}: {where}", "keys")
        if "path" not in entry:
            raise ConfigError(f"{path}: {where} needs a path")
        for key in keys:
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{path}: {where} {key} must be a text, got {value!r}")
        options = {key: entry[key] for key in keys if entry.get(key)}
        return Source(_inside(entry["path"], base, path, where), None, options)
    return Source(_inside(entry, base, path, where), None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a TOML config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _table(raw: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{key}] must be a table, got {value!r}")
    return value


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, what: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown {what} {unknown}; expected some of {list(allowed)}")


def _slug(value: Any, path: Path) -> str:
    slug = str(value)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise ConfigError(
            f"{path}: [region] slug {slug!r} must be lower-case letters, digits and '-' "
            f"(it names files), e.g. 'vest-telemark'"
        )
    return slug


def _languages(value: Any, path: Path) -> tuple[str, ...]:
    """``[region] sprak``: one language code or a list of them, the main language first."""
    codes = [value] if isinstance(value, str) else value
    if (
        not isinstance(codes, list)
        or not codes
        or any(code not in LANGUAGES for code in codes)
        or len(set(codes)) < len(codes)
    ):
        raise ConfigError(
            f"{path}: [region] sprak must be one or more of {list(LANGUAGES)}, each once, "
            f'the main language first (e.g. sprak = ["nn", "en"]), got {value!r}'
        )
    return tuple(codes)


RESERVED_SLUGS = ("index",)
"""Page names the maps use themselves (``kart/index.html``)."""


def _check_slug_free(slug: str, municipalities: tuple[MunicipalityInput, ...], path: Path) -> None:
    """The region's pages and files must not share a name with a municipality's or the index."""
    taken = {m.kommune.slug: m.kommune.navn for m in municipalities}
    if slug in taken:
        raise ConfigError(
            f"{path}: [region] slug {slug!r} is also {taken[slug]}'s page and file name "
            f"(kart/{slug}.html, geojson/{slug}-ledig.geojson); give the region another, "
            f'e.g. slug = "{slug}-region"'
        )
    if slug in RESERVED_SLUGS:
        raise ConfigError(
            f"{path}: [region] slug {slug!r} is the maps' own index page; choose another"
        )


def _inside(file: Any, base: Path, path: Path, where: str) -> Path:
    """A config path: relative ones must stay inside the config's folder."""
    if not isinstance(file, str) or not file.strip():
        raise ConfigError(f"{path}: {where}: a file path must be a text, got {file!r}")
    given = Path(file)
    if given.is_absolute():
        return given
    full = base / given
    try:
        full.resolve().relative_to(base.resolve())
    except ValueError:
        raise ConfigError(
            f"{path}: {where}: {file!r} points outside the config's folder {base}; "
            "relative paths must stay inside it (write an absolute path to read a file "
            "from elsewhere)"
        ) from None
    return full


def _parameters(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    from arealkart.available.parameters import Parameters

    try:
        Parameters.default().updated(**raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: [parameters]: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [parameters]: invalid value: {exc}") from None
    return dict(raw)


def _colours(raw: dict[str, Any], path: Path) -> dict[str, str]:
    """Check map colours with the maps' own rules (one place decides what is valid)."""
    from arealkart.registry.style import colours

    try:
        colours(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return dict(raw)


def _municipality(entry: Any, base: Path, path: Path, index: int) -> MunicipalityInput:
    if not isinstance(entry, dict) or "kommune" not in entry:
        raise ConfigError(f"{path}: [[kommune]] entry {index} has no 'kommune' key")
    try:
        kommune = resolve(entry["kommune"])
    except MunicipalityError as exc:
        raise ConfigError(f"{path}: [[kommune]] entry {index}: {exc}") from None
    where = f"{path}: [[kommune]] {kommune.navn}"
    _check_keys(entry, ("kommune", "kontakt", "planinnsyn", *LAYER_KEYS), where, "keys")
    sources = []
    for key, kind in LAYER_KEYS.items():
        items = entry.get(key, [])
        if not isinstance(items, list):
            raise ConfigError(
                f"{path}: {kommune.navn}: {key} must be a list of files, e.g. "
                f'{key} = ["{kommune.slug}/fil.gpkg"], got {items!r}'
            )
        sources += [_source(item, kind, base, path, kommune, key) for item in items]
    kontakt = _contact(entry.get("kontakt", {}), where)
    return MunicipalityInput(kommune, tuple(sources), kontakt, _plan_link(entry, where))


def _contact(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f'{where}: kontakt must be a table, e.g. kontakt = {{ navn = "Servicetorget", '
            f'epost = "post@kommune.no" }}, got {raw!r}'
        )
    _check_keys(raw, CONTACT_KEYS, f"{where}: kontakt", "keys")
    checks = {
        "epost": (_EMAIL, "an e-mail address"),
        "nettside": (_URL, "an http(s) address"),
        "telefon": (_PHONE, "a phone number (digits, spaces, a leading +)"),
    }
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: kontakt.{key} must be a text, got {value!r}")
        rule = checks.get(key)
        if rule is not None and not rule[0].fullmatch(value.strip()):
            raise ConfigError(f"{where}: kontakt.{key} must be {rule[1]}, got {value!r}")
    return {key: value.strip() for key, value in raw.items()}


def _plan_link(entry: dict[str, Any], where: str) -> str | None:
    template = entry.get("planinnsyn")
    if template is None:
        return None
    fields = re.findall(r"{([^{}]*)}", template) if isinstance(template, str) else []
    if (
        not isinstance(template, str)
        or not _URL.fullmatch(template.replace("{", "").replace("}", ""))
        or "plan_id" not in fields
        or set(fields) - {"plan_id", "kommunenummer"}
    ):
        raise ConfigError(
            f"{where}: planinnsyn must be an http(s) address with {{plan_id}} where the "
            f"plan's id goes (and optionally {{kommunenummer}}), e.g. "
            f'"https://kommune.no/planinnsyn/{{plan_id}}", got {template!r}'
        )
    return template


def _check_unique(municipalities: tuple[MunicipalityInput, ...], path: Path) -> None:
    seen: set[str] = set()
    for m in municipalities:
        if m.kommune.nummer in seen:
            raise ConfigError(
                f"{path}: {m.kommune.navn} ({m.kommune.nummer}) has two [[kommune]] entries; "
                f"list all its files in one"
            )
        seen.add(m.kommune.nummer)


def _source(
    item: Any, kind: str | None, base: Path, path: Path, kommune: Kommune, key: str
) -> Source:
    where = f"{kommune.navn}: {key}"
    if isinstance(item, str):
        return Source(_inside(item, base, path, where), kind)
    if not isinstance(item, dict):
        raise ConfigError(f"{path}: {kommune.navn}: expected a path or a table, got {item!r}")
    if "postgis" in item:
        return _database_source(item, kind, f"{path}: {kommune.navn}: {key}")
    options = dict(item)
    file = options.pop("path", None) or options.pop("register", None)
    if file is None:
        raise ConfigError(
            f"{path}: {kommune.navn}: a file table needs 'path' "
            f"(or 'register' for a plot register), got {item}"
        )
    _check_keys(options, tuple(FILE_OPTIONS), f"{path}: {kommune.navn}: {file}", "options")
    _check_option_types(options, f"{path}: {kommune.navn}: {file}")
    if "geometry" in options:
        if key != "plots":
            raise ConfigError(f"{path}: {kommune.navn}: {file}: 'geometry' is for plots only")
        options["geometry"] = _inside(options["geometry"], base, path, where)
    return Source(_inside(file, base, path, where), kind, options)


def _database_source(item: dict[str, Any], kind: str | None, where: str) -> Source:
    """A ``{ postgis = "URL", table = "…" }`` (or ``query = "…"``) entry."""
    options = dict(item)
    url = options.pop("postgis")
    if not isinstance(url, str) or not url.strip():
        shown = redacted(str(url))
        raise ConfigError(f"{where}: 'postgis' must be a connection URL, got {shown!r}")
    _check_keys(options, DATABASE_OPTIONS, f"{where}: {redacted(url)}", "keys")
    if ("table" in options) == ("query" in options):
        raise ConfigError(
            f"{where}: {redacted(url)}: give either table = 'schema.table' or query = 'SELECT …'"
        )
    _check_option_types(options, f"{where}: {redacted(url)}")
    if "table" in options:
        quoted_name(options["table"], where)
    label = database_label(url, options.get("table"), options.get("query"))
    return Source(Path(label), kind, options, database=url)


def _check_option_types(options: dict[str, Any], where: str) -> None:
    """Reader options of the types the readers take (see :data:`FILE_OPTIONS`)."""
    for key, value in options.items():
        if key == "columns":
            ok = isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            )
            expected = "a table of texts, { their_name = 'canonical_name' }"
        elif key == "arc_tolerance":
            ok = (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1_000
            )
            expected = "a positive number of metres (under 1000)"
        else:
            ok, expected = isinstance(value, str), "a text"
        if not ok:
            raise ConfigError(f"{where}: option {key!r} must be {expected}, got {value!r}")


def _check_files(config: RegionConfig, path: Path) -> None:
    folders = [str(p) for p in config.files() if p.is_dir()]
    missing = [str(p) for p in config.files() if not p.exists()]
    problems = []
    if missing:
        problems.append(f"{len(missing)} input file(s) not found: {missing}")
    if folders:
        problems.append(f"{len(folders)} input path(s) are folders, expected files: {folders}")
    if problems:
        raise ConfigError(f"{path}: {'; '.join(problems)} (paths are relative to the config file)")
