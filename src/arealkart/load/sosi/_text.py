"""The text of a SOSI object: comments, ``..`` elements and quoted values.

Plain functions on decoded text, shared by the head and the objects: :func:`_clean` drops
carriage returns and ``!`` comments (outside quotes), :func:`_elements` splits a text at its
``..`` elements, :func:`_value` unquotes a value (``""`` is ``"``, ``&`` concatenates) and
:func:`_put` collects repeated elements into a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_ELEMENT_SPLIT = re.compile(r"\n(?=\.\.)")
_VALUE_TOKEN = re.compile(r'"((?:[^"]|"")*)"?|\'((?:[^\']|\'\')*)\'?|(&)|(\S+)')


def _clean(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r", "")
    if "!" in text:
        text = "\n".join(_strip_comment(s) if "!" in s else s for s in text.split("\n"))
    return text


def _strip_comment(line: str) -> str:
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "!":
            return line[:i]
    return line


def _elements(text: str, line: int) -> Iterator[tuple[str, str, str, int]]:
    """Yield ``(name, value, continuation lines, line number)`` of each ``..`` element."""
    parts = _ELEMENT_SPLIT.split(text)
    at = line + parts[0].count("\n") + 1
    for part in parts[1:]:
        newline = part.find("\n")
        first, body = (part, "") if newline < 0 else (part[:newline], part[newline + 1 :])
        bits = first.split(None, 1)
        name = bits[0].lstrip(".")
        if name:
            yield name, bits[1] if len(bits) > 1 else "", body, at
        at += part.count("\n") + 1


def _name_and_value(first: str) -> tuple[str, str]:
    bits = first.split(None, 1)
    return (bits[0], bits[1]) if len(bits) == 2 else (bits[0] if bits else "", "")


def _join(value: str, body: str) -> str:
    return value if not body or body.isspace() else f"{value} {' '.join(body.split())}"


def _value(raw: str) -> str:
    """Return a SOSI value as text: quotes removed (``""`` is ``"``), ``&`` concatenates."""
    raw = raw.strip()
    if '"' not in raw and "'" not in raw:
        return raw
    words: list[str] = []
    glue = False
    for double, single, amp, bare in _VALUE_TOKEN.findall(raw):
        if amp:
            glue = True
            continue
        if double:
            word = double.replace('""', '"')
        elif single:
            word = single.replace("''", "'")
        else:
            word = bare
        if glue and words:
            words[-1] += word
        else:
            words.append(word)
        glue = False
    return " ".join(words)


def _put(attrs: dict[str, Any], name: str, value: str) -> None:
    if name not in attrs:
        attrs[name] = value
    elif isinstance(attrs[name], list):
        attrs[name].append(value)
    else:
        attrs[name] = [attrs[name], value]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value
