"""HTML pieces of the report: escaped text, tables with captions, figures, sections.

Every text that may come from an input file (plan and field names, municipality names,
ids) goes through :func:`esc`; the builders here take plain text and escape it, so a
section never writes raw text into the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def esc(text: object) -> str:
    """``text`` as HTML text or attribute value (``<``, ``>``, ``&`` and quotes escaped)."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Cell:
    """One data cell: its shown text, and ``data-*`` attributes naming what it shows.

    ``data`` ties a figure to its source, e.g. ``{"felt": "ledig_daa", "kategori":
    "bolig", "kommunenummer": "4036"}`` for a cell of ``sammendrag.csv``.
    """

    text: str
    data: Mapping[str, str] = field(default_factory=dict)
    number: bool = True


@dataclass(frozen=True)
class Row:
    """A table row: its header (the first column) and its cells; ``total`` for a sum."""

    header: str
    cells: Sequence[Cell]
    total: bool = False


def table(ident: str, caption: str, columns: Sequence[str], rows: Sequence[Row]) -> str:
    """A table with a caption, column headers and row headers, in a scrolling region.

    The wrapper scrolls sideways on a narrow screen (the page itself never does) and is
    a named, focusable region, so a keyboard can scroll it too.
    """
    numeric = [i > 0 and all(r.cells[i - 1].number for r in rows) for i in range(len(columns))]
    head = "".join(
        f'<th scope="col"{_NUMBER if n else ""}>{esc(c)}</th>'
        for c, n in zip(columns, numeric, strict=True)
    )
    body = "".join(_row(row) for row in rows)
    return (
        f'<div class="scroll" role="region" aria-labelledby="{ident}" tabindex="0">'
        f'<table><caption id="{ident}">{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


_NUMBER = ' class="n"'


def _row(row: Row) -> str:
    cells = "".join(_cell(c) for c in row.cells)
    kind = ' class="total"' if row.total else ""
    return f'<tr{kind}><th scope="row">{esc(row.header)}</th>{cells}</tr>'


def _cell(cell: Cell) -> str:
    data = "".join(f' data-{key}="{esc(value)}"' for key, value in cell.data.items())
    kind = _NUMBER if cell.number else ""
    return f"<td{kind}{data}>{esc(cell.text)}</td>"


def figure(png_base64: str, size: tuple[int, int], alt: str, caption: str) -> str:
    """A chart as an image in the page (a ``data:`` URI), with its alt text and caption."""
    width, height = size
    return (
        f'<figure><img src="data:image/png;base64,{png_base64}" width="{width}" '
        f'height="{height}" alt="{esc(alt)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def paragraph(text: str, kind: str | None = None) -> str:
    """A paragraph of plain text (``kind``: its CSS class)."""
    attribute = f' class="{kind}"' if kind else ""
    return f"<p{attribute}>{esc(text)}</p>"


def section(ident: str, heading: str, *parts: str) -> str:
    """A section with an ``h2`` heading that names it (the parts are HTML already)."""
    return (
        f'<section aria-labelledby="{ident}"><h2 id="{ident}">{esc(heading)}</h2>'
        f"{''.join(parts)}</section>"
    )


def subsection(ident: str, heading: str, *parts: str) -> str:
    """A part of a section, with an ``h3`` heading."""
    return f'<h3 id="{ident}">{esc(heading)}</h3>{"".join(parts)}'


def link(href: str, text: str, *, current: bool = False) -> str:
    """A link; ``current`` marks the page the reader is on."""
    mark = ' aria-current="page"' if current else ""
    return f'<a href="{esc(href)}"{mark}>{esc(text)}</a>'
