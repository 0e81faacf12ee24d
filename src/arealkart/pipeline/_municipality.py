"""One municipality's part of a build, as a task a worker runs on its own.

A :class:`MunicipalityTask` carries everything the task needs (the config, which
municipality, the region's places), so it runs the same in this process, in a process
started with ``spawn`` or on a dask worker; :func:`run_municipality` reads its files,
checks and classifies them and works out its free land, and returns the result pickled:
that is both what travels back to the build and what the cache keeps.
"""

from __future__ import annotations

import logging
import pickle
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from arealkart.available.attraction import RoadNetwork
from arealkart.available.rule import AvailableLand, available_land
from arealkart.classify import classification_issues, classify_zones
from arealkart.config import MunicipalityInput, RegionConfig, Source
from arealkart.errors import InputError, SchemaError
from arealkart.load.postgis import read_postgis
from arealkart.load.quality import check_quality
from arealkart.load.read import read_plan
from arealkart.load.roads import read_roads
from arealkart.model.issues import Issue, issues_frame
from arealkart.model.plandata import PlanData, combine, relabel

__all__ = ["MunicipalityResult", "MunicipalityTask", "read_municipality", "run_municipality"]

log = logging.getLogger(__name__)

STAGES = ("read", "check", "classify", "free_land")
"""The stages a municipality task times (see :attr:`MunicipalityResult.seconds`)."""


@dataclass(frozen=True)
class MunicipalityTask:
    """What a worker needs for one municipality of a region."""

    config: RegionConfig
    index: int
    """Position of the municipality in ``config.municipalities``."""
    places: pd.DataFrame
    keep_going: bool = False

    @property
    def municipality(self) -> MunicipalityInput:
        """The municipality this task builds."""
        return self.config.municipalities[self.index]


@dataclass(frozen=True)
class MunicipalityResult:
    """One municipality's read, checked and classified data and its free land."""

    data: PlanData
    """What was read and checked, with the zones classified (the reading and checking
    issues in ``data.issues``)."""
    classification: pd.DataFrame
    """The issues of classifying the zones."""
    result: AvailableLand | None
    """The free land; ``None`` when the municipality gave no zones at all."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Seconds per stage (:data:`STAGES`)."""


def run_municipality(task: MunicipalityTask) -> bytes:
    """Build one municipality, and return its :class:`MunicipalityResult` pickled."""
    result = build_municipality(task)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def build_municipality(task: MunicipalityTask) -> MunicipalityResult:
    """Read, check, classify one municipality and work out its free land."""
    cfg, seconds = task.config, {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    data = read_municipality(cfg, task.municipality, keep_going=task.keep_going)
    lap("read")
    data = check_quality(data, borders=cfg.boundaries())  # [region] borders or shipped
    lap("check")
    zones = classify_zones(data.zones, cfg.category_overrides, cfg.combination_overrides)
    data = replace(data, zones=zones)
    lap("classify")
    result = None
    if len(zones):
        result = available_land(
            zones,
            data.buildings,
            data.constraints,
            data.plots,
            places=task.places,
            roads=_roads(cfg.roads) if cfg.roads else None,
            workers=1,
            **cfg.parameters,
        )
    lap("free_land")
    return MunicipalityResult(data, classification_issues(zones), result, seconds)


def read_municipality(
    config: RegionConfig, municipality: MunicipalityInput, *, keep_going: bool = False
) -> PlanData:
    """Read every input of one municipality into one :class:`PlanData`.

    Files are labelled by their path relative to the config file (see
    :meth:`RegionConfig.label`); with ``keep_going`` a file that cannot be read at all is
    one ``unreadable`` row in the issues report instead of an error.
    """
    parts = []
    for source in municipality.sources:
        log.info("reading %s", source.path)  # a PostGIS source's path is its label
        try:
            parts.append(_read_source(source, municipality, config))
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
    return relabel(data, {path.name: config.label(path) for path in source.files})


def _unreadable(source: Source, config: RegionConfig, error: Exception) -> PlanData:
    """A file that could not be read at all: one issue for the whole file, counted as one."""
    label = config.label(source.path)
    layer = source.kind or "plans"
    detail = getattr(error, "detail", None) or str(error)
    issue = Issue(label, "*", layer, "fil_uleselig", "unreadable", detail)
    counts = pd.DataFrame([{"file": label, "layer": layer, "features": 1}])
    return PlanData(issues=issues_frame([issue]), counts=counts)


def _roads(source: Source) -> RoadNetwork:
    """The road network, read once per process while its file stays as it is."""
    info = source.path.stat()
    options = tuple(sorted(source.options.items()))
    return _network(source.path, options, info.st_size, info.st_mtime_ns)


@cache
def _network(path: Path, options: tuple[tuple[str, Any], ...], *_state: int) -> RoadNetwork:
    return RoadNetwork.from_lines(read_roads(path, **dict(options)))
