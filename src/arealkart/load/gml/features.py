"""One feature as read: its record, its layer, and its properties as SOSI attributes.

:data:`ATTRIBUTES` lists the GML properties read and the SOSI names they get; the code of a
zone or hensynssone is read by object type.  Codes and numbers that are not one are
ignored and noted (``verdi_ugyldig``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arealkart.load.gml._xml import _is_gml, _local
from arealkart.load.planobjects import CONSTRAINT_OBJECTS, ZONE_OBJECTS, PlanObject

ATTRIBUTES: dict[str, str] = {
    "identifikasjon/lokalId": "LOKALID",
    "identifikasjon/navnerom": "NAVNEROM",
    "identifikasjon/versjonId": "VERSJONID",
    "nasjonalArealplanId/kommunenummer": "KOMM",
    "nasjonalArealplanId/planidentifikasjon": "PLANID",
    "arealplanId/kommunenummer": "KOMM",
    "arealplanId/planidentifikasjon": "PLANID",
    "plannavn": "PLANNAVN",
    "plantype": "PLANTYPE",
    "planstatus": "PLANSTAT",
    "ikrafttredelsesdato": "IKRAFT",
    "vedtakEndeligPlanDato": "VEDTAKENDELIGPLANDATO",
    "lovreferanse": "LOVREFERANSE",
    "feltnavn": "FELTNAVN",
    "feltbetegnelse": "FELTNAVN",
    "områdenavn": "OMRÅDENAVN",
    "eierform": "EIERFORM",
    "utnytting/utnyttingstype": "UTNTYP",
    "utnytting/utnyttingstall": "UTNTALL",
    "arealbruksstatus": "AREALST",
    "hensynSonenavn": "HENSYNSONENAVN",
    "beskrivelse": "BESKRIVELSE",
    "vertikalnivå": "VERTNIV",
}
"""GML property → SOSI attribute name.  ``a/b`` is the leaf ``b`` anywhere inside the
property ``a`` (``nasjonalArealplanId/NasjonalArealplanId/administrativEnhet/
AdministrativEnhetskode/kommunenummer`` is ``nasjonalArealplanId/kommunenummer``).  The
code of a zone or hensynssone (``arealformål``, ``fare`` …) is read by object type."""

_ZONE_CODE_PROPERTIES = {
    "RpArealformålOmråde": ("arealformål",),
    "KpArealformålOmråde": ("arealformål",),
    "RbFormålOmråde": ("reguleringsformål",),
    "KpArealbrukOmråde": ("arealbruk",),
}
_REPEATED = frozenset({"UTNTYP", "UTNTALL"})
_INTEGER_ATTRIBUTES = frozenset({"PLANTYPE", "PLANSTAT", "EIERFORM", "UTNTYP", "AREALST"})
_DECIMAL_ATTRIBUTES = frozenset({"UTNTALL"})
_INTEGER = re.compile(r"\s*[+-]?\d{1,9}(?:[.,]0*)?\s*")
_CODE = re.compile(r"\s*[Hh]?(\d{1,9})(?:[.,]0*)?\s*")
_DECIMAL = re.compile(r"\s*[+-]?(?:\d{1,15}(?:[.,]\d*)?|[.,]\d{1,15})\s*")
_REASON = "GEOMETRIFEIL"


@dataclass
class _Feature:
    objtype: str
    gml_id: str
    attrs: dict[str, Any] = field(default_factory=dict)
    refs: list[tuple[str, str]] = field(default_factory=list)
    geometry: Any = None
    srs: str | None = None
    error: str | None = None
    arcs: bool = False

    def plan_object(self) -> PlanObject:
        attrs = dict(self.attrs)
        if self.error:
            attrs[_REASON] = self.error
        return PlanObject(self.objtype, self.gml_id, attrs, self.geometry)

    def fail(self, reason: str) -> None:
        self.error, self.geometry = reason, None


def _collect_values(prop: ET.Element, values: dict[tuple[str, str], list[str]]) -> None:
    first = _local(prop).casefold()
    for leaf in prop.iter():
        if len(leaf) or _is_gml(leaf):
            continue
        text = (leaf.text or "").strip()
        if text:
            values.setdefault((first, _local(leaf).casefold()), []).append(text)


def _attribute_table() -> dict[tuple[str, str], str]:
    table = {}
    for path, sosi in ATTRIBUTES.items():
        first, _, last = path.partition("/")
        table[(first.casefold(), (last or first).casefold())] = sosi
    return table


_ATTRIBUTE_TABLE = _attribute_table()


def _code_properties(objtype: str) -> tuple[tuple[str, ...], str | None]:
    if objtype in _ZONE_CODE_PROPERTIES:
        return _ZONE_CODE_PROPERTIES[objtype], ZONE_OBJECTS[objtype][1]
    if objtype in CONSTRAINT_OBJECTS:
        kind = objtype[2 : -len("Sone")].casefold()
        return (kind, "hensynskategori"), CONSTRAINT_OBJECTS[objtype]
    return (), None


def _sosi_attributes(
    values: dict[tuple[str, str], list[str]], objtype: str, note: Callable[[str, str], None]
) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, texts in values.items():
        sosi = _ATTRIBUTE_TABLE.get(key)
        if sosi is not None and sosi not in attrs:
            attrs[sosi] = list(texts) if sosi in _REPEATED else texts[0]
    if "FELTNAVN" not in attrs and "OMRÅDENAVN" in attrs:
        attrs["FELTNAVN"] = attrs["OMRÅDENAVN"]
    properties, code_attr = _code_properties(objtype)
    for prop in properties:
        found = values.get((prop.casefold(), prop.casefold()))
        if found and code_attr:
            attrs[code_attr] = _code(found[0], code_attr, note)
            break
    for name in _INTEGER_ATTRIBUTES | _DECIMAL_ATTRIBUTES:
        if name in attrs:
            pattern = _DECIMAL if name in _DECIMAL_ATTRIBUTES else _INTEGER
            attrs[name] = _checked(attrs[name], name, pattern, note)
    return {k: v for k, v in attrs.items() if v is not None}


def _code(text: str, name: str, note: Callable[[str, str], None]) -> str | None:
    match = _CODE.fullmatch(text)
    if match:
        return match.group(1)
    note("verdi_ugyldig", f"{name} {text!r} is not a code; ignored")
    return None


def _checked(value: Any, name: str, pattern: re.Pattern, note: Callable[[str, str], None]) -> Any:
    if isinstance(value, list):
        return [_checked(v, name, pattern, note) for v in value]
    if pattern.fullmatch(value):
        return value.strip()
    note("verdi_ugyldig", f"{name} {value!r} is not a number; ignored")
    return None
