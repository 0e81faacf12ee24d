"""Limits on the work one input feature may cause (``data/grenser.toml``).

A hostile or broken file can ask for unbounded work with a few bytes: a ``..REF`` that
lists one curve a hundred thousand times, a quoted value of hundreds of megabytes, a
polygon whose million edges all cross each other (its repair would run for days).  Every
reader checks these limits; a feature beyond one is one row in the issues report.

:data:`LIMITS` holds the shipped values; :func:`reading_limits` changes them for the
code inside a ``with`` block (a notebook reading one unusually large plan), and
:func:`current` is what the readers consult.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

from arealkart.errors import ConfigError
from arealkart.model.resources import package_data


@dataclass(frozen=True)
class Limits:
    """The reader limits; see ``data/grenser.toml`` for what each bounds."""

    max_ref_repeats: int
    max_refs: int
    max_value_chars: int
    max_object_bytes: int
    max_vertices: int
    repair_seconds: float
    check_in_process_vertices: int


def _load() -> tuple[Limits, dict[str, str]]:
    with package_data("grenser.toml").open("rb") as fh:
        table = tomllib.load(fh)
    limits = Limits(**{name: entry["value"] for name, entry in table.items()})
    return limits, {name: entry["text"] for name, entry in table.items()}


LIMITS, DESCRIPTIONS = _load()
"""The shipped limits, and a sentence on each."""

_current: ContextVar[Limits] = ContextVar("arealkart_limits", default=LIMITS)


def current() -> Limits:
    """The limits in force here: :data:`LIMITS`, or those set by :func:`reading_limits`."""
    return _current.get()


@contextmanager
def reading_limits(**changes: float) -> Iterator[Limits]:
    """Read with other limits inside the ``with`` block.

    Examples
    --------
    >>> from arealkart.load.limits import reading_limits
    >>> with reading_limits(max_vertices=5_000_000) as limits:
    ...     limits.max_vertices
    5000000

    Raises
    ------
    ConfigError
        For an unknown limit, or a value that is not a positive number.
    """
    known = {f.name: f.type for f in fields(Limits)}
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ConfigError(f"unknown limits {unknown}; known: {sorted(known)}")
    for name, value in changes.items():
        integral = known[name] == "int"
        if (
            isinstance(value, bool)
            or not isinstance(value, int if integral else (int, float))
            or not value > 0
            or value == float("inf")
        ):
            kind = "a positive whole number" if integral else "a positive number of seconds"
            raise ConfigError(f"limit {name} must be {kind}, got {value!r}")
    token = _current.set(replace(current(), **changes))  # type: ignore[arg-type]
    try:
        yield current()
    finally:
        _current.reset(token)
