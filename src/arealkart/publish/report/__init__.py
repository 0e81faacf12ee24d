"""The report (*rapport*): one self-contained HTML page per scope and language.

For the region and for each municipality, in each of the build's languages, a page with
the free land per category and municipality (charts and tables), the plots by status,
combined use as planned and as it is, the most attractive free areas of each category,
the issues report counted, the rule and parameters used, and the plans' dates.  Its
figures are those of the build's summary (``sammendrag.csv``).

The pages go where the maps go, under ``rapport/`` instead of ``kart/``: the region's
main language's to ``rapport/<scope>.html``, the others' to ``rapport/<lang>/<scope>.html``
(see :func:`report_folder`).  A page needs nothing but itself: its style is inline, its
charts are PNG images in the page, and it runs no script.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from arealkart.config import RegionConfig
from arealkart.model.vocabulary import LANGUAGES
from arealkart.publish.export import atomic_path
from arealkart.publish.maps.index import map_folder, relative_link, twin_links
from arealkart.publish.report._html import esc, link
from arealkart.publish.report._sections import SECTIONS, Context, sections
from arealkart.publish.report._texts import report_texts
from arealkart.publish.result import BuildResult
from arealkart.publish.scopes import Scope, build_scopes, find_scope
from arealkart.registry.style import texts, translated

__all__ = [
    "REPORTS",
    "map_path",
    "report_folder",
    "report_html",
    "report_page",
    "report_path",
    "report_twins",
    "write_reports",
]

REPORTS = Path("rapport")
"""The report pages' folder in a build."""

_CSS = (
    "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;"
    "max-width:76em;padding:1em;color:#222;background:#fff;overflow-wrap:break-word}"
    "main p,header p{max-width:50em}td[data-ledig_id]{white-space:nowrap}"
    "h1{font-size:1.6em;line-height:1.25;margin:.3em 0}"
    "h2{font-size:1.3em;margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}"
    "h3{font-size:1.1em;margin-top:1.5em}a{color:#0b57a4}.note{color:#8a2b06}"
    ".links ul{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:0 1.2em}"
    ".links a,.ak-languages a{display:inline-block;padding:.3em 0}.ak-languages a{margin-right:1em}"
    "figure{margin:1em 0}img{display:block;max-width:100%;height:auto}"
    "figcaption{font-size:.9em;color:#444}"
    ".scroll{overflow-x:auto;max-width:100%;margin:1em 0}"
    ".scroll:focus-visible{outline:2px solid #0b57a4;outline-offset:2px}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    # a caption and row headers stay in view while a wide table scrolls sideways
    "caption{text-align:left;font-weight:600;padding:.3em 0;position:sticky;left:0;"
    "max-width:calc(100vw - 2em)}tbody th,thead th:first-child{position:sticky;left:0;"
    "background:#fff}"
    "th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    "thead th{border-bottom:2px solid #888;vertical-align:bottom}"
    ".n{text-align:right;white-space:nowrap}thead th.n{white-space:normal}"
    "tr.total th,tr.total td{font-weight:600;border-top:2px solid #888}"
    "footer{margin-top:3em;padding-top:.5em;color:#444;font-size:.9em;border-top:1px solid #ddd}"
    # phones: 44 px links, and tables that fit more of their columns
    "@media (max-width:600px){body{padding:.75em}.links a,.ak-languages a,main nav a"
    "{padding:12px 0}th,td{padding:4px 6px;font-size:14px}}"
    "@media print{nav{display:none}.scroll{overflow:visible}body{max-width:none}"
    "h2,h3{break-after:avoid}figure,tr{break-inside:avoid}}"
)
_POLICY = (
    "default-src 'none'; img-src data:; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'"
)
"""The page's Content-Security-Policy: its own style and images, nothing else."""


def report_folder(lang: str, main: str) -> Path:
    """Folder of a language's report pages in a build.

    ``rapport/`` for the region's ``main`` language, ``rapport/<lang>/`` (``rapport/en/``)
    for the others, with the same file names in each, as the maps (``kart/``).

    Raises
    ------
    ConfigError
        For a language other than those of :data:`~arealkart.model.vocabulary.LANGUAGES`.
    """
    texts(lang)
    return REPORTS if lang == main else REPORTS / lang


def report_html(
    build: BuildResult,
    scope: str,
    lang: str,
    *,
    twins: Sequence[str] = (),
    map_link: bool = True,
    issues_link: bool = True,
) -> str:
    """The report page of one scope of a build, in one language.

    Parameters
    ----------
    build
        What the build computed (:func:`arealkart.build`).
    scope
        The region's or a municipality's slug (``vest-telemark``, ``vinje``), or a
        municipality's number.
    lang
        The page's language, one of :data:`~arealkart.model.vocabulary.LANGUAGES`.
    twins
        Other languages whose page of the same scope to link to.
    map_link, issues_link
        Link to the scope's map in the same language, and to ``issues.csv``.

    Links point where a build puts the pages (see :func:`report_folder`).

    Raises
    ------
    ConfigError
        For an unknown scope or language.
    """
    return report_page(
        build,
        find_scope(build_scopes(build), scope),
        lang,
        twins=twins,
        map_link=map_link,
        issues_link=issues_link,
    )


def write_reports(
    folder: str | os.PathLike[str],
    build: BuildResult,
    languages: Sequence[str] | None = None,
    *,
    scopes: Sequence[Scope] | None = None,
    present: Callable[[str], bool] | None = None,
) -> list[Path]:
    """Write the report of the region and of each municipality, in each language.

    Parameters
    ----------
    folder
        The build's folder: the pages go to its ``rapport/`` (see :func:`report_folder`).
    build
        What the build computed.
    languages
        Languages to write; default the config's.
    scopes
        The build's scopes, if cut already (:func:`~arealkart.publish.scopes.build_scopes`).
    present
        Whether a file of the build's folder (a ``/``-separated relative path) is there
        besides these pages: a page links to its map, to ``issues.csv`` and to its twins
        in languages not written now only when they are.  Default: none is.

    Returns
    -------
    list of Path
        The pages written.
    """
    cfg = build.config
    root = Path(folder)
    chosen = tuple(languages) if languages is not None else cfg.languages
    scopes = list(scopes) if scopes is not None else build_scopes(build)
    there = present or (lambda path: False)
    twins = report_twins(cfg, chosen, there)
    written = []
    for lang in chosen:
        for scope in scopes:
            html = report_page(
                build,
                scope,
                lang,
                twins=twins,
                map_link=there(map_path(cfg, lang, scope.slug)),
                issues_link=there("issues.csv"),
            )
            path = root / report_path(cfg, lang, scope.slug)
            with atomic_path(path) as tmp:  # a new file: never write into a carried-over link
                tmp.write_text(html, encoding="utf-8")
            written.append(path)
    return written


def report_path(cfg: RegionConfig, lang: str, slug: str) -> str:
    """The ``/``-separated path, in a build's folder, of a scope's report in ``lang``."""
    return (report_folder(lang, cfg.language) / f"{slug}.html").as_posix()


def map_path(cfg: RegionConfig, lang: str, slug: str) -> str:
    """The ``/``-separated path, in a build's folder, of a scope's map in ``lang``."""
    return (map_folder(lang, cfg.language) / f"{slug}.html").as_posix()


def report_twins(
    cfg: RegionConfig, languages: Sequence[str], present: Callable[[str], bool]
) -> list[str]:
    """The languages whose reports a build's tree holds: ``languages``, or ``present``."""
    return [
        lang for lang in LANGUAGES if lang in languages or present(report_path(cfg, lang, cfg.slug))
    ]


def report_page(
    build: BuildResult,
    scope: Scope,
    lang: str,
    *,
    twins: Sequence[str],
    map_link: bool,
    issues_link: bool,
) -> str:
    """The report page of one scope (see :func:`report_html`) as HTML text."""
    cfg = build.config
    t = report_texts(lang)
    main = cfg.language
    here = report_folder(lang, main)
    ctx = Context(build, scope, lang, t)
    title = t["rapport_tittel"].format(namn=ctx.name)
    languages = twin_links(
        {
            other: relative_link(report_folder(other, main) / f"{scope.slug}.html", here)
            for other in twins
            if other != lang
        },
        t,
    )
    note = translated(cfg.attribution, lang)
    note_html = f'<p class="note">{esc(note)}</p>' if note else ""
    map_href = relative_link(map_folder(lang, main) / f"{scope.slug}.html", here)
    issues_href = relative_link(Path("issues.csv"), here) if issues_link else None
    see_also = [link(map_href, t["kartet_over"].format(namn=ctx.name))] if map_link else []
    body = sections(ctx, issues_link=issues_href)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1>{note_html}{languages}</header>"
        f"{_links(t['se_ogsa'], see_also)}"
        f"{_links(t['rapporter'], _report_links(cfg, scope))}"
        f"<main><p>{esc(t['rapport_ingress'])}</p>{_contents(t)}{''.join(body)}</main>"
        f"<footer><p>{esc(t['laget_med'].format(versjon=_version()))}</p>{note_html}</footer>"
        "</body></html>\n"
    )


def _links(label: str, anchors: Sequence[str]) -> str:
    """A named ``nav`` of links, or nothing without any."""
    if not anchors:
        return ""
    items = "".join(f"<li>{a}</li>" for a in anchors)
    return f'<nav class="links" aria-label="{esc(label)}"><ul>{items}</ul></nav>'


def _report_links(cfg: RegionConfig, scope: Scope) -> list[str]:
    """Links to the report of every scope of the region (they are written side by side)."""
    scopes = [(cfg.slug, cfg.navn)] + [(m.kommune.slug, m.kommune.navn) for m in cfg.municipalities]
    return [link(f"{slug}.html", name, current=slug == scope.slug) for slug, name in scopes]


def _contents(t: Mapping[str, str]) -> str:
    items = "".join(
        f'<li><a href="#{name}">{esc(t[f"{name}_overskrift"])}</a></li>' for name in SECTIONS
    )
    return f'<nav aria-label="{esc(t["innhold"])}"><ol>{items}</ol></nav>'


def _version() -> str:
    return importlib.metadata.version("arealkart")
