"""Reference data shipped with the package: municipalities, code lists, map style and texts.

``kommuner`` (numbers and names of every municipality, Norway's borders), ``codes`` (the
SOSI plan code lists) and ``style`` (map colours, base maps and every page text, in each
language).
"""

from arealkart.registry.codes import code_list, code_names
from arealkart.registry.kommuner import (
    Kommune,
    boundaries,
    kommunenummer,
    resolve,
    shipped_boundaries,
)
from arealkart.registry.style import LANGUAGES, colours, format_number, texts

__all__ = [
    "LANGUAGES",
    "Kommune",
    "boundaries",
    "code_list",
    "code_names",
    "colours",
    "format_number",
    "kommunenummer",
    "resolve",
    "shipped_boundaries",
    "texts",
]
