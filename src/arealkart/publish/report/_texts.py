"""The report's texts: its own (``rapport_tekster.toml``) on top of the maps' words."""

from __future__ import annotations

import tomllib
from functools import cache

from arealkart.model.resources import package_data
from arealkart.registry.style import texts as map_texts

REPORT_TEXTS = "rapport_tekster.toml"
"""The report's texts, in the package's ``data/``."""


@cache
def own_texts() -> dict[str, dict[str, str]]:
    """Language → the report's own texts (without the maps')."""
    with package_data(REPORT_TEXTS).open("rb") as fh:
        return tomllib.load(fh)


def report_texts(lang: str) -> dict[str, str]:
    """Every text a report page in ``lang`` shows: the maps' and the report's own.

    Raises
    ------
    ConfigError
        For a language other than those of :data:`~arealkart.model.vocabulary.LANGUAGES`.
    """
    return {**map_texts(lang), **own_texts()[lang]}
