"""The small hierarchy of errors arealkart raises.

Every error is a :class:`ValueError` subclass, so code that already catches bad values keeps
working, and every message names what was wrong, where, and what was expected.  The CLI
turns any :class:`ArealkartError` into a one-line message and a non-zero exit code; it never
shows a Python traceback for one of these.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


class ArealkartError(ValueError):
    """Base class of every error arealkart raises on purpose."""


class InputError(ArealkartError):
    """An input file that cannot be read as what it claims to be.

    Parameters
    ----------
    path
        The file (or folder) that was being read.
    message
        What was wrong and what was expected.
    line
        Line number in a text format (1-based), when known.
    feature
        Feature or object identifier (e.g. ``".FLATE 140"``), when known.
    """

    def __init__(
        self,
        path: str | Path | None,
        message: str,
        *,
        line: int | None = None,
        feature: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.feature = feature
        self.detail = message
        where = [] if self.path is None else [self.path]
        if line is not None:
            where.append(f"line {line}")
        if feature:
            where.append(feature)
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class FormatError(InputError):
    """A file whose format is unknown or unsupported."""


class SosiError(InputError):
    """A SOSI file that breaks the standard in a way the reader cannot recover from."""


class GmlError(InputError):
    """A plan GML file that cannot be read."""


class CRSError(InputError):
    """A missing, unknown or implausible coordinate reference system."""


class SchemaError(ArealkartError):
    """A layer that lacks canonical columns or holds invalid values in them."""


class CodeListError(ArealkartError):
    """An unknown code list, category or a malformed mapping file."""


class MunicipalityError(ArealkartError):
    """A municipality name or number that the registry does not know."""


class ConfigError(ArealkartError):
    """A configuration file or parameter that is missing or invalid."""


class QueryError(ArealkartError):
    """A query with an invalid filter, or one run before any build exists."""


class OutputError(ArealkartError):
    """An output that cannot be written: a full disk, a read-only or foreign folder, a lock.

    Parameters
    ----------
    path
        The file or folder that was being written.
    message
        What was wrong and what to do.
    """

    def __init__(self, path: str | os.PathLike[str] | None, message: str) -> None:
        self.path = None if path is None else str(path)
        self.detail = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class AccountingError(ArealkartError):
    """Input features that are neither in the output nor in the issues report."""


class ServiceError(ArealkartError):
    """The OGC API service cannot start: its optional extra is missing, the port is taken."""


def open_input(
    path: Path, error: type[InputError] = InputError, expected: str = "a file"
) -> BinaryIO:
    """Open an input file for reading bytes; an OS error becomes ``error`` naming the file."""
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise error(path, "cannot be read: file not found") from None
    except IsADirectoryError:
        raise error(path, f"is a folder, expected {expected}") from None
    except PermissionError:
        raise error(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise error(path, f"cannot be read: {exc.strerror or exc}") from None
