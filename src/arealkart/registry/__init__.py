"""Reference data shipped with the package: municipalities, code lists, map style and texts.

``kommuner`` (numbers, names, borders), ``codes`` (the SOSI plan code lists) and
``style`` (map colours, base maps and every page text, in each language).
"""

from arealkart.registry.codes import code_list, code_names
from arealkart.registry.kommuner import Kommune, boundaries, kommunenummer, resolve
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
    "texts",
]
