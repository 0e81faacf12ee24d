"""The whole chain: load → check → classify → available land → account → write.

:func:`build` is what ``arealkart build`` runs.  Every input feature ends up in the outputs
or in the issues report, and the build checks that (see :mod:`arealkart.publish.accounting`)
before it writes anything; the outputs are written into a staging folder and moved into
place only when all are complete (see :mod:`arealkart.publish.outputs`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from arealkart.available.rule import AvailableLand, available_land
from arealkart.classify import classification_issues, classify_zones
from arealkart.config import MunicipalityInput, RegionConfig, Source, load_config
from arealkart.errors import InputError, SchemaError
from arealkart.load.places import read_places
from arealkart.load.postgis import read_postgis
from arealkart.load.quality import check_quality
from arealkart.load.read import read_plan
from arealkart.load.roads import read_roads
from arealkart.model.issues import Issue, concat_issues, issues_frame
from arealkart.model.output_layers import output_parts
from arealkart.model.plandata import PlanData, combine, relabel
from arealkart.publish.accounting import balance, check_balance
from arealkart.publish.maps.assets import check_assets
from arealkart.publish.outputs import BuildResult, map_languages, write_outputs
from arealkart.publish.postgis import DEFAULT_SCHEMA, check_postgis, stage_postgis
from arealkart.publish.site import preflight
from arealkart.publish.summary import summarise
from arealkart.registry.places import gazetteer, merge_places

__all__ = ["account", "build", "load_region", "region_places"]

log = logging.getLogger(__name__)


def load_region(
    config: RegionConfig, *, keep_going: bool = False, progress: bool = False
) -> PlanData:
    """Read every input file of a region into one :class:`PlanData`.

    Files are labelled by their path relative to the config file, so two municipalities'
    ``planer.geojson`` stay apart in ``source``, the issues report and the accounting.

    Parameters
    ----------
    config
        The region.
    keep_going
        Report a file that cannot be read at all as one ``unreadable`` row in the issues
        report and go on, instead of stopping with its error.
    progress
        Show a progress bar over the files.
    """
    sources = [(m, s) for m in config.municipalities for s in m.sources]
    parts = []
    for muni, source in tqdm(sources, desc="les", unit="fil", disable=not progress):
        log.info("reading %s", source.path)  # a PostGIS source's path is its label
        try:
            parts.append(_read_source(source, muni, config))
        except (InputError, SchemaError) as exc:
            if not keep_going:
                raise
            parts.append(_unreadable(source, config, exc))
    return combine(parts)


def _read_source(source: Source, muni: MunicipalityInput, config: RegionConfig) -> PlanData:
    options = {"kommune": muni.kommune.nummer, **source.options}
    if source.kind is not None:
        options.setdefault("kind", source.kind)
    if source.database is not None:
        return read_postgis(source.database, **options)
    data = read_plan(source.path, **options)
    files = [source.path] + ([Path(options["geometry"])] if options.get("geometry") else [])
    return relabel(data, {path.name: config.label(path) for path in files})


def _unreadable(source: Source, config: RegionConfig, error: Exception) -> PlanData:
    """A file that could not be read at all: one issue for the whole file, counted as one."""
    label = config.label(source.path)
    layer = source.kind or "plans"
    detail = getattr(error, "detail", None) or str(error)
    issue = Issue(label, "*", layer, "fil_uleselig", "unreadable", detail)
    counts = pd.DataFrame([{"file": label, "layer": layer, "features": 1}])
    return PlanData(issues=issues_frame([issue]), counts=counts)


def build(
    config: str | os.PathLike[str] | RegionConfig | None = None,
    output: str | os.PathLike[str] = "output",
    *,
    workers: int | None = None,
    lang: str | Sequence[str] | None = None,
    progress: bool = False,
    parts: Iterable[str] | None = None,
    keep_going: bool = False,
    force: bool = False,
    assets: str = "cdn",
    to_postgis: str | None = None,
    schema: str = DEFAULT_SCHEMA,
) -> BuildResult:
    """Run the whole chain on a region and write maps, GeoJSON, GeoPackage and tables.

    Parameters
    ----------
    config
        A region config file or :class:`RegionConfig`; ``None`` runs the built-in
        Vest-Telemark demo.
    output
        Folder to write into (created if missing).
    workers
        Processes for the available-land step; default the number of cores.
    lang
        Language or languages of the maps and the report, of ``"nb"``, ``"nn"``, ``"en"``;
        default those of the config (``[region] sprak``), whose first is the main language
        (``kart/``, ``rapport/``).
    progress
        Show progress bars.
    parts
        Which outputs to write (see :data:`OUTPUT_PARTS`): ``"tables"`` (GeoPackage and
        CSV), ``"geojson"``, ``"maps"``, ``"rapport"`` (the report); default all.
    keep_going
        Report unreadable files in the issues report instead of stopping (see
        :func:`load_region`).
    force
        Publish even into a folder that holds files arealkart did not write (they are kept;
        see :mod:`arealkart.publish.site`).
    assets
        ``"cdn"`` (default) or ``"local"``: where the maps load Leaflet from (see
        :func:`arealkart.publish.outputs.write_outputs`).
    to_postgis
        Also write the GeoPackage's layers and tables into this PostGIS database (a libpq
        URL), replacing the previous build's in one swap (see
        :mod:`arealkart.publish.postgis`); the files and the database are replaced only
        when both are written.
    schema
        The PostGIS schema to write into.

    Returns
    -------
    BuildResult

    Raises
    ------
    ArealkartError
        For bad configuration or input; :class:`~arealkart.errors.AccountingError` if any
        input feature would be lost.  Nothing is written then.
    """
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    languages = map_languages(cfg, lang)  # fail early on an unknown language or asset mode
    check_assets(assets)
    if to_postgis:
        check_postgis(to_postgis, schema)  # before the work, not after it
    wanted = output_parts(parts)
    preflight(output, force=force, expected_bytes=_expected_output_bytes(cfg))
    with _stage("read"):
        loaded = load_region(cfg, keep_going=keep_going, progress=progress)
    with _stage("check"):
        data = check_quality(loaded)
        _require_zones(data, cfg)
    with _stage("classify"):
        zones = classify_zones(data.zones, cfg.category_overrides, cfg.combination_overrides)
    with _stage("free_land"):
        result = available_land(
            zones,
            data.buildings,
            data.constraints,
            data.plots,
            places=region_places(cfg),
            roads=read_roads(cfg.roads.path, **cfg.roads.options) if cfg.roads else None,
            workers=workers or os.cpu_count() or 1,
            progress=progress,
            **cfg.parameters,
        )
    with _stage("account"):
        summary = summarise(result, cfg.navn)
        issues = concat_issues([data.issues, classification_issues(zones), result.issues])
        accounts = check_balance(account(data, result, issues))
    built = BuildResult(cfg, data, result, summary, issues, accounts)
    options = {"lang": languages, "parts": wanted, "force": force, "assets": assets}
    with _stage("write"):
        return _publish(built, output, to_postgis, schema, progress=progress, **options)


@contextmanager
def _stage(name: str) -> Iterator[None]:
    """Log a stage's wall time at INFO, as ``stage <name>: <seconds> s`` (see ``-v``)."""
    started = time.perf_counter()
    yield
    log.info("stage %s: %.2f s", name, time.perf_counter() - started)


def _publish(
    built: BuildResult,
    output: str | os.PathLike[str],
    to_postgis: str | None,
    schema: str,
    **options: Any,
) -> BuildResult:
    """Write the files and, if asked, PostGIS: both are replaced only when both are written."""
    if not to_postgis:
        return replace(built, files=write_outputs(built, output, **options))
    descriptions = built.layer_descriptions()
    staged = stage_postgis(built.layers(), to_postgis, schema=schema, descriptions=descriptions)
    try:
        files = write_outputs(built, output, **options)
    except BaseException:
        staged.discard()
        raise
    return replace(built, files=files, postgis=staged.swap())


def _expected_output_bytes(cfg: RegionConfig) -> int:
    """A rough size of a build's output: about six times its inputs (the demo: 5.6×)."""
    return 6 * sum(path.stat().st_size for path in cfg.files() if path.is_file())


def _require_zones(data: PlanData, cfg: RegionConfig) -> None:
    """Stop when no input gave a single plan zone: there is nothing to build."""
    if len(data.zones):
        return
    lost = data.issues[data.issues["rule"] == "fil_uleselig"]["file"].tolist()
    why = f"; unreadable: {lost}" if lost else ""
    raise InputError(cfg.path, f"nothing usable was read: no plan zones in any input{why}")


def region_places(config: RegionConfig) -> pd.DataFrame:
    """The places free land is measured to: the gazetteer and the config's places file."""
    return merge_places(gazetteer(), read_places(config.places) if config.places else None)


def account(data: PlanData, result: AvailableLand, issues: pd.DataFrame) -> pd.DataFrame:
    """The accounting of a build: every input feature written or reported."""
    outputs = {
        "zones": result.zones,
        "constraints": data.constraints,
        "plots": result.plots,
        "buildings": data.buildings,
    }
    return balance(data.counts, outputs, issues)
