"""XML plumbing for the GML reader: the event stream, tag names, ids, links and members.

:func:`_events` streams a file with :func:`xml.etree.ElementTree.iterparse` and turns
malformed XML into :class:`~arealkart.errors.GmlError` naming the line; the small helpers
below answer namespace-aware questions about one element.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Generator
from functools import lru_cache
from pathlib import Path

from arealkart.errors import ArealkartError, GmlError, open_input

_GML_NAMESPACES = frozenset({"http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml"})
_GML_IDS = tuple(f"{{{ns}}}id" for ns in sorted(_GML_NAMESPACES))
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _events(path: Path) -> Generator[tuple[str, ET.Element], None, None]:
    """Yield iterparse events; turn XML errors into :class:`GmlError` with the line."""
    with open_input(path, GmlError, expected="a GML file") as fh:
        try:
            first = True
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                if first:
                    _check_root(elem, path)
                    first = False
                yield event, elem
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            reason = re.sub(r":? ?line \d+, column \d+$", "", str(exc))
            raise GmlError(
                path,
                f"malformed XML ({reason}); the file is truncated or not plan GML",
                line=line,
            ) from None
        except ArealkartError:
            raise
        except (LookupError, UnicodeError, ValueError) as exc:
            raise GmlError(
                path,
                f"malformed XML ({exc}); check the encoding in the XML declaration",
                line=1,
            ) from None


def _check_root(root: ET.Element, path: Path) -> None:
    if not _local(root).endswith("Collection"):
        raise GmlError(
            path,
            f"the root element is <{_local(root)}>, expected a gml:FeatureCollection "
            "(SOSI plan GML 3.2)",
            line=1,
        )


@lru_cache(maxsize=4096)
def _split_tag(tag: str) -> tuple[str, str]:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, local


def _namespace(elem: ET.Element) -> str:
    return _split_tag(elem.tag)[0] if isinstance(elem.tag, str) else ""


def _local(elem: ET.Element) -> str:
    return _split_tag(elem.tag)[1] if isinstance(elem.tag, str) else ""


def _is_gml(elem: ET.Element) -> bool:
    return _namespace(elem) in _GML_NAMESPACES


def _gml_id(elem: ET.Element) -> str | None:
    return next((elem.get(a) for a in _GML_IDS if elem.get(a)), None)


def _href_id(href: str) -> str:
    href = href.strip()
    return href[1:] if href.startswith("#") else href


def _child(elem: ET.Element, local: str) -> ET.Element | None:
    return next((c for c in elem if _is_gml(c) and _local(c) == local), None)


def _children(elem: ET.Element, *locals_: str) -> list[ET.Element]:
    return [c for c in elem if _is_gml(c) and _local(c) in locals_]


def _member_point(member: ET.Element) -> ET.Element:
    if _local(member) == "Point" or not len(member):
        return member
    return member[0]


def _members(elem: ET.Element, singles: tuple[str, ...], plural: str) -> list[ET.Element]:
    """Member property elements; the children of a plural ``…Members`` count one each."""
    out: list[ET.Element] = []
    for child in elem:
        if not _is_gml(child):
            continue
        if _local(child) in singles:
            out.append(child)
        elif _local(child) == plural:
            out.extend(child)
    return out
