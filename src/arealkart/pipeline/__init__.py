"""The whole chain: load → check → classify → available land → account → write.

:func:`build` is what ``arealkart build`` runs.  Every input feature ends up in the outputs
or in the issues report, and the build checks that (see :mod:`arealkart.publish.accounting`)
before it writes anything; the outputs are written into a staging folder and moved into
place only when all are complete (see :mod:`arealkart.publish.outputs`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from arealkart.available.rule import AvailableLand
from arealkart.config import MunicipalityInput, RegionConfig, load_config
from arealkart.errors import InputError
from arealkart.executors import executor, run_tasks
from arealkart.load.places import read_places
from arealkart.model.issues import concat_issues
from arealkart.model.output_layers import output_parts
from arealkart.model.plandata import PlanData, combine
from arealkart.pipeline._municipality import (
    STAGES,
    MunicipalityResult,
    MunicipalityTask,
    read_municipality,
    run_municipality,
)
from arealkart.pipeline.cache import BuildCache, CacheReport, default_cache_dir
from arealkart.publish.accounting import balance, check_balance
from arealkart.publish.maps.assets import check_assets
from arealkart.publish.outputs import BuildResult, Render, map_languages, write_outputs
from arealkart.publish.pages import MunicipalPages, RenderedPages, render_pages
from arealkart.publish.postgis import DEFAULT_SCHEMA, check_postgis, stage_postgis
from arealkart.publish.site import preflight
from arealkart.publish.summary import summarise
from arealkart.registry.places import gazetteer, merge_places

__all__ = [
    "account",
    "build",
    "build_municipalities",
    "load_region",
    "merge_available",
    "page_renderer",
    "region_places",
]

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
        Show a progress bar over the municipalities.
    """
    munis = tqdm(config.municipalities, desc="les", unit="kommune", disable=not progress)
    return combine(read_municipality(config, m, keep_going=keep_going) for m in munis)


def build(
    config: str | os.PathLike[str] | RegionConfig | None = None,
    output: str | os.PathLike[str] = "output",
    *,
    workers: int | None = None,
    scheduler: Any = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
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

    Each municipality is read, checked, classified and given its free land as a task of
    its own, in parallel (see :mod:`arealkart.executors`); a municipality whose inputs did
    not change since the last build is taken from the cache (see
    :mod:`arealkart.pipeline.cache`).  The outputs are the same, byte for byte, either way.

    Parameters
    ----------
    config
        A region config file or :class:`RegionConfig`; ``None`` runs the built-in
        Vest-Telemark demo.
    output
        Folder to write into (created if missing).
    workers
        Local processes that build municipalities; default the number of cores (1 when
        the municipalities to build have under 32 MB of input, see :data:`SMALL_INPUT`).
    scheduler
        Build the municipalities on a dask.distributed cluster instead: a scheduler
        address (``"tcp://10.0.0.5:8786"``) or a ``dask.distributed.Client``.
    cache
        Reuse, and keep, municipalities' results in the cache; ``False`` builds every
        municipality anew and leaves the cache as it is.
    cache_dir
        The cache folder; default :func:`~arealkart.pipeline.cache.default_cache_dir`.
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
        With :attr:`~BuildResult.cache`, what was taken from the cache.

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
    cfg.boundaries()  # before the work: a municipality without a border stops the build
    store = BuildCache(cache_dir or default_cache_dir(), cfg) if cache else None
    with timed("municipalities"):
        built_parts = build_municipalities(
            cfg,
            workers=workers,
            scheduler=scheduler,
            keep_going=keep_going,
            cache=store,
            progress=progress,
        )
    with timed("account"):
        built = _merged(cfg, built_parts, store.report if store else None)
    render = page_renderer(workers=workers, scheduler=scheduler, cache=store, progress=progress)
    options = {"lang": languages, "parts": wanted, "force": force, "assets": assets}
    with timed("write"):
        return _publish(built, output, to_postgis, schema, render=render, **options)


def build_municipalities(
    config: RegionConfig,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    keep_going: bool = False,
    cache: BuildCache | None = None,
    progress: bool = False,
) -> list[MunicipalityResult]:
    """Each municipality of ``config`` built, in their order (see :func:`build`).

    Municipalities found in ``cache`` are taken from it; the others run as tasks on the
    executor of ``workers`` or ``scheduler``, the largest inputs first, and are added to
    ``cache``.
    """
    places = region_places(config)
    munis = config.municipalities
    keys = [cache.key(m, keep_going) if cache else None for m in munis]
    results: list[MunicipalityResult | None] = [
        cache.get(m, k) if cache else None for m, k in zip(munis, keys, strict=True)
    ]
    todo = sorted((i for i, r in enumerate(results) if r is None), key=lambda i: -_size(munis[i]))
    if cache and cache.report.reused:
        log.info("cache: %d of %d municipalities reused", len(cache.report.reused), len(munis))
    tasks = [MunicipalityTask(config, i, places, keep_going) for i in todo]
    wanted = workers or _default_workers([munis[i] for i in todo])
    pool_size = min(wanted, max(len(tasks), 1))
    with executor(pool_size, scheduler) as pool:
        done = run_tasks(
            pool, run_municipality, tasks, desc="kommuner", unit="kommune", progress=progress
        )
        for position, payload in done:
            index = todo[position]
            if cache:
                cache.put(munis[index], keys[index], payload)
            results[index] = pickle.loads(payload)
    _log_stages([results[i] for i in todo])
    return [r for r in results if r is not None]


def page_renderer(
    *,
    workers: int | None = None,
    scheduler: Any = None,
    cache: BuildCache | None = None,
    progress: bool = False,
) -> Render:
    """How a build makes its municipalities' pages: from ``cache``, else as tasks.

    The tasks run on the executor of ``workers`` or ``scheduler`` (see :func:`build`), the
    largest first; each one's pages are yielded as it ends, and added to ``cache``.
    """

    def render(tasks: Sequence[MunicipalPages]) -> Iterator[RenderedPages]:
        numbers = [t.scope.kommunenummer for t in tasks]
        keys = [cache.pages_key(t) if cache else "" for t in tasks]
        todo = []
        for i, key in enumerate(keys):
            found = cache.get_pages(numbers[i], key) if cache else None
            if found is None:
                todo.append(i)
            else:
                yield found
        if cache and cache.report.pages_reused:
            log.info("cache: pages of %d municipalities reused", len(cache.report.pages_reused))
        todo.sort(key=lambda i: -len(tasks[i].scope.result.zones))
        pages = sum(len(tasks[i].options.languages) for i in todo)
        count = workers or (1 if pages < SMALL_PAGES else os.cpu_count() or 1)
        with executor(min(count, max(len(todo), 1)), scheduler) as pool:
            done = run_tasks(
                pool,
                render_pages,
                [tasks[i] for i in todo],
                desc="sider",
                unit="kommune",
                progress=progress,
            )
            for position, made in done:
                index = todo[position]
                if cache:
                    payload = pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)
                    cache.put_pages(numbers[index], keys[index], payload)
                yield made

    return render


SMALL_PAGES = 24
"""Fewer municipality pages than this (municipalities × languages) are made in the build's
own process by default: a worker's start (it imports the geospatial and plotting stack)
costs more than it saves there."""


SMALL_INPUT = 32 * 1024**2
"""Inputs below this many bytes are built in the build's own process by default: starting
worker processes (each imports the geospatial stack) would cost more than they save."""


def _default_workers(munis: list[MunicipalityInput]) -> int:
    """The number of cores, or 1 for municipalities whose inputs are small."""
    if sum(_size(m) for m in munis) < SMALL_INPUT:
        return 1
    return os.cpu_count() or 1


def _size(muni: MunicipalityInput) -> int:
    """Bytes of a municipality's input files: the order tasks are started in."""
    return sum(s.path.stat().st_size for s in muni.sources if s.is_file and s.path.is_file())


def _merged(
    cfg: RegionConfig, parts: list[MunicipalityResult], report: CacheReport | None
) -> BuildResult:
    """The region's build from its municipalities': layers, summary, issues, accounting."""
    data = combine(p.data for p in parts)
    _require_zones(data, cfg)
    result = merge_available([p.result for p in parts if p.result is not None])
    summary = summarise(result, cfg.navn)
    issues = concat_issues([data.issues, *(p.classification for p in parts), result.issues])
    accounts = check_balance(account(data, result, issues))
    return BuildResult(cfg, data, result, summary, issues, accounts, cache=report)


def merge_available(parts: list[AvailableLand]) -> AvailableLand:
    """One :class:`AvailableLand` of the municipalities' (same parameters), in their order."""
    layers = {n: _concat([getattr(p, n) for p in parts]) for n in AvailableLand.LAYERS}
    issues = concat_issues(p.issues for p in parts)
    return AvailableLand(**layers, issues=issues, parameters=parts[0].parameters)


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry=frames[0].geometry.name, crs=frames[0].crs)


def _log_stages(parts: list[MunicipalityResult | None]) -> None:
    """Each stage's seconds, summed over the municipalities built now (not the cached)."""
    for stage in STAGES:
        total = sum(p.seconds.get(stage, 0.0) for p in parts if p is not None)
        log.info("stage %s: %.2f s", stage, total)


@contextlib.contextmanager
def timed(stage: str) -> Iterator[None]:
    """Log the wall time of a stage as ``stage <name>: <seconds> s``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        log.info("stage %s: %.2f s", stage, time.perf_counter() - start)


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
