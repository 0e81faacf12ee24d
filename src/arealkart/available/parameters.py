"""Parameters of the available-land rule, with their defaults from package data.

Every threshold of the rule is a field of :class:`Parameters`; the defaults and the
reasons for them are in ``arealkart/data/parametere.toml`` (blocking and flagging
hensyn codes in ``hensyn_regler.csv``).  A region config's ``[parameters]`` table or
keyword arguments to :func:`arealkart.available_land` override them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

import pandas as pd

from arealkart.errors import ConfigError
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import BUILDING_CATEGORIES

RULES = ("fotavtrykk", "ssb")
"""Rules that decide built land: footprints with setbacks, or Statistics Norway's."""


@dataclass(frozen=True)
class Parameters:
    """Thresholds of the available-land rule; defaults from ``parametere.toml``.

    See that file for the meaning and the reasons of each default.
    """

    regel: str
    ssb_dekning: float
    punkt_fotavtrykk: float
    ledig_maks_andel: float
    utbygd_min_andel: float
    min_bredde: float
    gjeldende_planstatus: tuple[int, ...]
    kp_arealst: tuple[int, ...]
    reguleringsplan_foran: bool
    avstand: Mapping[str, float] = field(default_factory=dict)
    min_areal: Mapping[str, float] = field(default_factory=dict)
    tomtestorrelse: Mapping[str, float] = field(default_factory=dict)
    blokkerende: frozenset[int] = frozenset()
    flaggende: frozenset[int] = frozenset()

    @classmethod
    def default(cls) -> Parameters:
        """The defaults from package data."""
        return _default_parameters()

    def updated(self, **changes: Any) -> Parameters:
        """Return a copy with ``changes``; mappings are merged into the defaults.

        Raises
        ------
        ConfigError
            For an unknown parameter, rule or category, or a negative threshold.
        """
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"unknown parameters {unknown}; known: {sorted(names)}")
        merged: dict[str, Any] = {}
        for key, value in changes.items():
            current = getattr(self, key)
            if isinstance(current, Mapping):
                merged[key] = {**current, **_category_map(key, value)}
            elif isinstance(current, frozenset):
                merged[key] = frozenset(int(v) for v in value)
            elif isinstance(current, tuple):
                merged[key] = tuple(int(v) for v in value)
            else:
                merged[key] = value
        return _checked(replace(self, **merged))


def _category_map(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"parameter {key!r} must be a table of category → number")
    bad = sorted(set(value) - set(BUILDING_CATEGORIES))
    if bad:
        raise ConfigError(
            f"parameter {key!r}: unknown categories {bad}; expected {list(BUILDING_CATEGORIES)}"
        )
    return {k: float(v) for k, v in value.items()}


def _checked(params: Parameters) -> Parameters:
    if params.regel not in RULES:
        raise ConfigError(f"regel must be one of {list(RULES)}, got {params.regel!r}")
    numbers = {
        "ssb_dekning": params.ssb_dekning,
        "punkt_fotavtrykk": params.punkt_fotavtrykk,
        "ledig_maks_andel": params.ledig_maks_andel,
        "utbygd_min_andel": params.utbygd_min_andel,
        "min_bredde": params.min_bredde,
        **{f"avstand.{k}": v for k, v in params.avstand.items()},
        **{f"min_areal.{k}": v for k, v in params.min_areal.items()},
        **{f"tomtestorrelse.{k}": v for k, v in params.tomtestorrelse.items()},
    }
    negative = [k for k, v in numbers.items() if not v >= 0]
    if negative:
        raise ConfigError(f"parameters must not be negative: {negative}")
    if any(v <= 0 for v in params.tomtestorrelse.values()):
        raise ConfigError("tomtestorrelse must be positive for every category")
    if params.ledig_maks_andel > params.utbygd_min_andel:
        raise ConfigError("ledig_maks_andel must not exceed utbygd_min_andel")
    return params


@cache
def _default_parameters() -> Parameters:
    with package_data("parametere.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    rules = pd.read_csv(package_data("hensyn_regler.csv"))
    return _checked(
        Parameters(
            regel=raw["regel"],
            ssb_dekning=raw["ssb_dekning"],
            punkt_fotavtrykk=raw["punkt_fotavtrykk"],
            ledig_maks_andel=raw["ledig_maks_andel"],
            utbygd_min_andel=raw["utbygd_min_andel"],
            min_bredde=raw["min_bredde"],
            gjeldende_planstatus=tuple(raw["gjeldende_planstatus"]),
            kp_arealst=tuple(raw["kp_arealst"]),
            reguleringsplan_foran=raw["reguleringsplan_foran"],
            avstand=dict(raw["avstand"]),
            min_areal=dict(raw["min_areal"]),
            tomtestorrelse=dict(raw["tomtestorrelse"]),
            blokkerende=frozenset(rules.loc[rules["effekt"] == "blokkerer", "kode"]),
            flaggende=frozenset(rules.loc[rules["effekt"] == "flagger", "kode"]),
        )
    )
