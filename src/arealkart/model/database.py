"""How a PostGIS input or output is named, shown and checked, without connecting to it.

Light to import (no database driver, no pandas): the config checks its entries with it,
and the readers (:mod:`arealkart.load.postgis`) and writers
(:mod:`arealkart.publish.postgis`) label and show their databases with it.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from arealkart.errors import ConfigError

__all__ = ["database_label", "quoted_name", "redacted"]

_PASSWORD_WORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)([^/?#]*)(@)")
_NAME_PART = re.compile(r'^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$')


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit to print, log or write down.

    Works on URLs (``postgresql://user:secret@host/db``, ``…?password=secret``) and on
    libpq's ``key=value`` strings (``host=… password=secret``).
    """
    return _PASSWORD_WORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***\3", url))


def database_label(url: str, table: str | None = None, query: str | None = None) -> str:
    """How a PostGIS input is named in sources, issues and the accounting."""
    database = _database_name(url)
    if table is not None:
        return f"postgis:{database}.{table}"
    digest = hashlib.sha256((query or "").encode()).hexdigest()[:8]
    return f"postgis:{database}.query-{digest}"


def _database_name(url: str) -> str:
    if "://" in url:
        return urlsplit(url).path.lstrip("/") or "postgres"
    words = dict(w.split("=", 1) for w in url.split() if "=" in w)
    return words.get("dbname", "postgres")


def quoted_name(name: str, where: str) -> str:
    """A table name (``soner``, ``plan.soner``, ``"Plan"."Soner"``) checked for SQL use.

    Raises
    ------
    ConfigError
        For anything but one or two plain or double-quoted SQL names.
    """
    parts = _split_name(name)
    if not parts or len(parts) > 2 or not all(_NAME_PART.match(p) for p in parts):
        raise ConfigError(
            f"{where}: table {name!r} is not a table name; expected 'table' or 'schema.table'"
        )
    return ".".join(p if p.startswith('"') else f'"{p}"' for p in parts)


def _split_name(name: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in name:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]
