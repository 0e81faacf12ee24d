"""Parameters of the available-land rule, with their defaults from package data.

Every threshold of the rule is a field of :class:`Parameters`; the defaults and the
reasons for them are in ``arealkart/data/parametere.toml`` (blocking and flagging
hensyn codes in ``hensyn_regler.csv``).  A region config's ``[parameters]`` table or
keyword arguments to :func:`arealkart.available_land` override them.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

import pandas as pd

from arealkart.errors import ConfigError
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import ATTRACTION_TYPES, BUILDING_CATEGORIES

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
    blandet_andel: float
    avstand: Mapping[str, float] = field(default_factory=dict)
    min_areal: Mapping[str, float] = field(default_factory=dict)
    tomtestorrelse: Mapping[str, float] = field(default_factory=dict)
    naer_m: Mapping[str, float] = field(default_factory=dict)
    fjern_m: Mapping[str, float] = field(default_factory=dict)
    vekt: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
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
            if key == "vekt":
                merged[key] = _weights(current, value)
            elif isinstance(current, Mapping):
                merged[key] = {**current, **_keyed_map(key, value)}
            elif isinstance(current, frozenset | tuple):
                merged[key] = type(current)(_codes(key, value))
            elif isinstance(current, bool):
                merged[key] = _flag(key, value)
            elif isinstance(current, float):
                merged[key] = _number(key, value)
            elif not isinstance(value, str):
                raise ConfigError(f"parameter {key!r} must be a text, got {value!r}")
            else:
                merged[key] = value
        return _checked(replace(self, **merged))


LIMITS = {
    "ssb_dekning": (0.0, 1.0),
    "ledig_maks_andel": (0.0, 1.0),
    "utbygd_min_andel": (0.0, 1.0),
    "blandet_andel": (0.0, 1.0),
    "punkt_fotavtrykk": (0.0, 1_000.0),
    "min_bredde": (0.0, 1_000.0),
    "avstand": (0.0, 1_000.0),
    "min_areal": (0.0, 10_000_000.0),
    "tomtestorrelse": (0.0, 10_000_000.0),
    "naer_m": (0.0, 1_000_000.0),
    "fjern_m": (0.0, 1_000_000.0),
    "vekt": (0.0, 1_000.0),
}
"""Sane bounds of each number (shares 0–1, lengths in m, areas in m²); a value outside
is a :class:`~arealkart.errors.ConfigError`, never a silent nonsense result."""


def _number(key: str, value: Any) -> float:
    """A finite number, at most its :data:`LIMITS` bound (``true`` is not a number here).

    A negative one is left to :func:`_checked`, which names every negative threshold.
    """
    name = key.split(".")[0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"invalid value for parameter {key!r}: {value!r} is not a number")
    high = LIMITS.get(name, (0.0, math.inf))[1]
    if not math.isfinite(value) or value > high:
        raise ConfigError(
            f"invalid value for parameter {key!r}: {value!r}; expected a number up to {high:g}"
        )
    return float(value)


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"parameter {key!r} must be true or false, got {value!r}")
    return value


def _codes(key: str, value: Any) -> list[int]:
    ok = isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100_000 for v in value
    )
    if not ok:
        raise ConfigError(f"parameter {key!r} must be a list of code numbers, got {value!r}")
    return [int(v) for v in value]


_PLACE_KEYED = ("naer_m", "fjern_m")
"""Mapping parameters keyed by kind of place; the others are keyed by category."""


def _keyed_map(key: str, value: Any) -> dict[str, float]:
    """A table of category (or, for distances and weights, kind of place) → number."""
    by_place = key in _PLACE_KEYED or key.startswith("vekt.")
    keys, what, plural = (
        (ATTRACTION_TYPES, "kind of place", "kinds of place")
        if by_place
        else (BUILDING_CATEGORIES, "category", "categories")
    )
    if not isinstance(value, Mapping):
        raise ConfigError(f"parameter {key!r} must be a table of {what} → number")
    bad = sorted(set(value) - set(keys))
    if bad:
        raise ConfigError(f"parameter {key!r}: unknown {plural} {bad}; expected {list(keys)}")
    return {k: _number(f"{key}.{k}", v) for k, v in value.items()}


def _weights(current: Mapping[str, Mapping[str, float]], value: Any) -> dict[str, Any]:
    """``vekt``: category → kind of place → weight, merged into the defaults."""
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ConfigError(
            "parameter 'vekt' must be a table per category of kind of place → weight, "
            "e.g. [parameters.vekt.bolig] skole = 3"
        )
    bad = sorted(set(value) - set(BUILDING_CATEGORIES))
    if bad:
        raise ConfigError(
            f"parameter 'vekt': unknown categories {bad}; expected {list(BUILDING_CATEGORIES)}"
        )
    merged = {category: dict(table) for category, table in current.items()}
    for category, table in value.items():
        merged[category] = {**merged.get(category, {}), **_keyed_map(f"vekt.{category}", table)}
    return merged


def _checked(params: Parameters) -> Parameters:
    if params.regel not in RULES:
        raise ConfigError(f"regel must be one of {list(RULES)}, got {params.regel!r}")
    numbers = {
        "ssb_dekning": params.ssb_dekning,
        "punkt_fotavtrykk": params.punkt_fotavtrykk,
        "ledig_maks_andel": params.ledig_maks_andel,
        "utbygd_min_andel": params.utbygd_min_andel,
        "blandet_andel": params.blandet_andel,
        "min_bredde": params.min_bredde,
        **{f"avstand.{k}": v for k, v in params.avstand.items()},
        **{f"min_areal.{k}": v for k, v in params.min_areal.items()},
        **{f"tomtestorrelse.{k}": v for k, v in params.tomtestorrelse.items()},
        **{f"naer_m.{k}": v for k, v in params.naer_m.items()},
        **{f"fjern_m.{k}": v for k, v in params.fjern_m.items()},
        **{f"vekt.{c}.{k}": v for c, table in params.vekt.items() for k, v in table.items()},
    }
    negative = [k for k, v in numbers.items() if not v >= 0]
    if negative:
        raise ConfigError(f"parameters must not be negative: {negative}")
    if any(v <= 0 for v in params.tomtestorrelse.values()):
        raise ConfigError("tomtestorrelse must be positive for every category")
    if params.ledig_maks_andel > params.utbygd_min_andel:
        raise ConfigError("ledig_maks_andel must not exceed utbygd_min_andel")
    closer = [k for k in ATTRACTION_TYPES if params.fjern_m[k] <= params.naer_m[k]]
    if closer:
        raise ConfigError(f"fjern_m must be greater than naer_m for {closer}")
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
            blandet_andel=raw["blandet_andel"],
            avstand=dict(raw["avstand"]),
            min_areal=dict(raw["min_areal"]),
            tomtestorrelse=dict(raw["tomtestorrelse"]),
            naer_m=dict(raw["naer_m"]),
            fjern_m=dict(raw["fjern_m"]),
            vekt={category: dict(table) for category, table in raw["vekt"].items()},
            blokkerende=frozenset(rules.loc[rules["effekt"] == "blokkerer", "kode"]),
            flaggende=frozenset(rules.loc[rules["effekt"] == "flagger", "kode"]),
        )
    )
