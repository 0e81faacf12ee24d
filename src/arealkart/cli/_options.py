"""Shared pieces of the command line: exit codes, help layout, ``-q``/``-v`` on every command."""

from __future__ import annotations

import logging
import re
from typing import Any

import click

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    bad input data or configuration (message, no traceback)
  2    bad usage or query: unknown option, municipality, place, category
       or status; bad range; unreadable polygon file; no build yet
  3    internal error (a bug: traceback shown)
  130  interrupted"""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def keep_blocks(function: Any) -> Any:
    r"""Let a raw docstring's ``\b`` lines keep click from rewrapping the block after them.

    Click marks such blocks with a backspace character; raw docstrings (which ruff asks
    for) hold a backslash and a ``b`` instead.  Apply below ``@click.command``.
    """
    function.__doc__ = (function.__doc__ or "").replace("\\b\n", "\b\n")
    return function


def settings(ctx: click.Context) -> dict[str, bool]:
    """The run's ``quiet``/``verbose`` flags, kept on the root context."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {"quiet": False, "verbose": False}
    return root.obj


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        flags = settings(ctx)
        flags[str(param.name)] = True
        configure_logging(flags)


def configure_logging(flags: dict[str, bool]) -> None:
    """Log errors only (quiet), everything (verbose) or warnings (default)."""
    level = (
        logging.ERROR if flags["quiet"] else logging.DEBUG if flags["verbose"] else logging.WARNING
    )
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)


def verbosity(command: Any) -> Any:
    """Add ``-q/--quiet`` and ``-v/--verbose`` to a command (also accepted on the group)."""
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_set_flag,
        help="Print progress details.",
    )(command)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_flag,
        help="Only print errors; no progress bars.",
    )(command)


def is_quiet(ctx: click.Context) -> bool:
    """Whether ``-q/--quiet`` was given, before or after the command name."""
    return settings(ctx)["quiet"]


def echo_lines(lines: list[str]) -> None:
    """Echo lines of text to stdout, with no control character of the data in them."""
    for line in lines:
        click.echo(printable(line))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (escape sequences, bells, …) shown as ``?``.

    Plan names, ids and file names come from third-party files; an escape sequence in one
    must not move the cursor, recolour or retitle the user's terminal.
    """
    return _CONTROL.sub("?", text)
