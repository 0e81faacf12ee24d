"""Map styling and texts from package data (``kart.toml``, ``kart_tekster.toml``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from arealkart.errors import ConfigError
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import LANGUAGES

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@cache
def style() -> dict[str, Any]:
    """The map style: colours, base maps, sizes (``kart.toml``)."""
    with package_data("kart.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def _all_texts() -> dict[str, dict[str, str]]:
    with package_data("kart_tekster.toml").open("rb") as fh:
        return tomllib.load(fh)


def texts(lang: str) -> dict[str, str]:
    """Every map text in ``lang`` (one of :data:`LANGUAGES`).

    Raises
    ------
    ConfigError
        For a language other than those in :data:`LANGUAGES`.
    """
    table = _all_texts()
    if lang not in LANGUAGES or lang not in table:
        raise ConfigError(f"unknown language {lang!r}; expected one of {list(LANGUAGES)}")
    return table[lang]


def translated(text: str | None, lang: str) -> str | None:
    """A config text in ``lang``: a text equal to a map text becomes its translation.

    Lets a region's attribution (e.g. the demo's "Syntetiske demodata …") show in each
    page's language; any other text is returned unchanged.
    """
    if text is None:
        return text
    for table in _all_texts().values():
        for key, value in table.items():
            if value == text:
                return texts(lang)[key]
    return text


def colours(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Category and layer colours, with a config's ``overrides`` on top.

    Raises
    ------
    ConfigError
        For an unknown key, or a value that is not ``#rgb`` or ``#rrggbb``.
    """
    defaults = style()["farger"]
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ConfigError(f"[farger]: unknown keys {unknown}; expected some of {sorted(defaults)}")
    bad = {k: v for k, v in overrides.items() if not _COLOUR.fullmatch(str(v))}
    if bad:
        raise ConfigError(
            f"[farger]: colours must be '#rrggbb' (e.g. bolig = \"#ffcc00\"), got {bad}"
        )
    return {**defaults, **overrides}


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _long_hex(colour: str) -> str:
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


def outline(colour: str) -> str:
    """``colour`` darkened just enough for 3:1 contrast with every reference base map.

    The steps scale the channels towards black, so the hue stays; ``[kontrast]`` in
    ``data/kart.toml`` names the backgrounds and the ratio.
    """
    rule = style()["kontrast"]
    colour = _long_hex(colour)
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    for step in range(101):
        scale = 1 - step / 100
        candidate = "#" + "".join(f"{round(c * scale):02x}" for c in channels)
        if all(contrast(candidate, bg) >= rule["minst"] for bg in rule["bakgrunner"]):
            return candidate
    return "#000000"  # pragma: no cover  (black has 3:1 with every light background)


def format_number(value: Any, lang: str, decimals: int = 1) -> str:
    """``value`` with ``decimals`` decimals, grouped and with the language's decimal mark.

    ``1372.83`` gives ``"1 372,8"`` in ``nb`` (no-break space) and ``"1,372.8"`` in ``en``;
    a missing value gives ``"–"``.  The maps' JavaScript formats the same way.
    """
    if value is None or pd.isna(value):
        return "–"
    t = texts(lang)
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\0").replace(".", t["desimaltegn"]).replace("\0", t["tusenskille"])
