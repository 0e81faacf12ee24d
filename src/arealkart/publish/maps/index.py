"""Where map pages go, per language, and the index page that lists them."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from arealkart.model.vocabulary import BUILDING_CATEGORIES
from arealkart.registry.style import format_number, texts, translated

_INDEX_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;"
    "color:#222}h1{font-size:1.5em}h2{font-size:1.1em;margin-top:1.5em}"
    ".note{color:#8a2b06}table{border-collapse:collapse}th,td{padding:4px 10px;"
    "text-align:right;border-bottom:1px solid #ddd}th:first-child,td:first-child"
    "{text-align:left}tbody tr:first-child td{font-weight:600}"
    "td{font-variant-numeric:tabular-nums}.scroll{overflow-x:auto}"
    "nav a{margin-right:1em}"
    # phones: 44 px links, and a table that fits more of its columns
    "@media (max-width:600px){body{margin:1em auto}nav a,td a{display:inline-block;"
    "padding:12px 0}th,td{padding:4px 6px;font-size:14px}}"
)


MAPS = Path("kart")
"""The maps' folder in a build (its ``lib/`` holds the libraries of ``--assets local``)."""


def map_folder(lang: str, main: str) -> Path:
    """Folder of a language's map pages in a build.

    ``kart/`` for the region's ``main`` language, ``kart/<lang>/`` (``kart/en/``) for the
    others, with the same file names in each.
    """
    texts(lang)
    return MAPS if lang == main else MAPS / lang


def twin_links(twins: Mapping[str, str], t: Mapping[str, str]) -> str:
    """A ``nav`` of links to a page's twins in other languages (``{lang: href}``).

    Each link is named in its own language (``Nynorsk``, ``English``) and says so
    with ``lang`` and ``hreflang``, so a screen reader speaks it in that language.
    """
    if not twins:
        return ""
    anchors = "".join(
        f'<a href="{html.escape(href)}" lang="{lang}" hreflang="{lang}">'
        f"{html.escape(texts(lang)['sprak_namn'])}</a>"
        for lang, href in twins.items()
    )
    return f'<nav class="ak-languages" aria-label="{html.escape(t["sprak"])}">{anchors}</nav>'


def relative_link(target: Path, folder: Path) -> str:
    """``target`` relative to ``folder`` (both relative to the build), as a URL path."""
    return Path(os.path.relpath(target, folder)).as_posix()


def index_html(
    title: str,
    maps: Sequence[tuple[str, str, str]],
    summary: pd.DataFrame,
    lang: str,
    *,
    attribution: str | None = None,
    twins: Mapping[str, str] | None = None,
    reports: Mapping[str, str] | None = None,
) -> str:
    """The maps' index page: every map with its free daa per category and free plots.

    Parameters
    ----------
    title
        Page title.
    maps
        ``(file name, shown name, kommunenummer)`` of each map, the region first (its
        ``kommunenummer`` is that of the summary's total rows).
    summary
        :func:`arealkart.publish.summary.summarise` rows.
    lang
        Page language.
    attribution
        Data note (translated as :func:`translated` does).
    twins
        Links to the index in other languages, ``{lang: href}``.
    reports
        Links to the report of each map, ``{map file name: href}``: a column "Rapport".
    """
    t = texts(lang)
    head = "".join(f"<th>{html.escape(t[c])} ({t['daa']})</th>" for c in BUILDING_CATEGORIES)
    report_head = f"<th>{html.escape(t['rapport_lenke'])}</th>" if reports else ""
    head = (
        f"<tr><th>{html.escape(t['kart'])}</th>{head}"
        f"<th>{html.escape(t['ledige_tomter'])}</th>{report_head}</tr>"
    )
    rows = []
    for file, name, number in maps:
        part = summary[summary["kommunenummer"] == number].set_index("kategori")
        cells = "".join(
            f'<td data-kategori="{c}">{format_number(part["ledig_daa"].get(c, 0.0), lang)}</td>'
            for c in BUILDING_CATEGORIES
        )
        plots = format_number(part["ledige_tomter"].sum(), lang, 0)
        report = ""
        if reports and file in reports:
            label = html.escape(t["rapport_for"].format(namn=name))
            report = (
                f'<td><a href="{html.escape(reports[file])}" aria-label="{label}">'
                f"{html.escape(t['rapport_lenke'])}</a></td>"
            )
        rows.append(
            f'<tr><td><a href="{html.escape(file)}">{html.escape(name)}</a></td>{cells}'
            f"<td>{plots}</td>{report}</tr>"
        )
    note = translated(attribution, lang)
    note_html = f'<p class="note">{html.escape(note)}</p>' if note else ""
    switch = twin_links(twins or {}, t)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_INDEX_CSS}</style></head>"
        f"<body><header><h1>{html.escape(title)}</h1>{note_html}{switch}</header>"
        f"<main><h2>{html.escape(t['oversikt'])}</h2>"
        f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
        "</table></div></main>"
        "</body></html>\n"
    )
