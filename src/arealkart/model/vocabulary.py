"""The words every stage shares: categories, statuses and the region-total number.

Each tuple is written once here; a new category or status is one line.
"""

from __future__ import annotations

__all__ = [
    "ATTRACTION_TYPES",
    "BUILDING_CATEGORIES",
    "CATEGORIES",
    "COUNTS_AS",
    "DISTANCE_BASES",
    "DISTANCE_COLUMNS",
    "PLACE_TYPES",
    "PLOT_STATUSES",
    "REGION_NUMBER",
    "REGISTER_STATUSES",
    "SETTLEMENT_TYPES",
    "ZONE_STATUSES",
]

CATEGORIES = ("bolig", "fritid", "kombinert", "naering", "annet")
"""Every category a zone can get."""

BUILDING_CATEGORIES = ("bolig", "fritid", "kombinert", "naering")
"""Categories that count as building land."""

REGISTER_STATUSES = ("ledig", "reservert", "solgt")
"""Statuses a plot register may give a plot."""

PLOT_STATUSES = (*REGISTER_STATUSES, "bebygd")
"""Statuses a judged plot can have: the register's, or ``bebygd`` when a building stands
on it."""

ZONE_STATUSES = ("ledig", "delvis_utbygd", "utbygd", "blokkert", "ikke_byggeland")
"""``ledig``: (almost) unbuilt; ``delvis_utbygd``: partly built; ``utbygd``: no usable free
land left or built beyond ``utbygd_min_andel``; ``blokkert``: no free land, mostly
because of constraints; ``ikke_byggeland``: not building land (other purposes, master
plan land that is not framtidig)."""

REGION_NUMBER = "0000"
"""``kommunenummer`` of the region-total rows of the summary."""

LANGUAGES = ("nb", "nn", "en")
"""Map languages: Norwegian bokmål, Norwegian nynorsk and English (ISO 639-1 codes); the
texts of each are in ``data/kart_tekster.toml``."""

COMBINATIONS = ("bolig_fritid", "bolig_naering", "sentrum", "annen")
"""What a zone's plan lets mix (``kombinasjon``; empty for single use): permanent and
leisure homes, housing and business, a centre (housing, shops, offices, services), or
another combination the provisions name.  Rules in ``data/kombinasjoner.csv``."""

SINGLE_USE = "ingen"
"""The ``kombinasjon`` an override file gives a zone to say it is single use after all."""

HOME_KINDS = ("helars", "fritid", "annet")
"""What a building is, from Matrikkelen's ``bygningstype`` (``data/bygningstyper.csv``):
a year-round home, a leisure home, or no home."""

ZONE_USES = (
    "ingen_boliger",
    "som_regulert",
    "blandet",
    "fritid_i_boligfelt",
    "helars_i_fritidsfelt",
)
"""How a zone of housing, leisure homes or combined use is used (``bruk``), from the homes
that stand in it (see :mod:`arealkart.available.use`)."""

MIXED_USES = ("blandet", "fritid_i_boligfelt", "helars_i_fritidsfelt")
"""The ``bruk`` of zones where year-round and leisure homes mix."""

ATTRACTION_TYPES = ("sentrum", "skole", "barnehage", "butikk", "naeringshage")
"""Kinds of place whose distance makes land attractive to settle on or run a business
from; each gives a column ``avstand_<type>_m`` (see :mod:`arealkart.available.attraction`)."""

DISTANCE_COLUMNS = {kind: f"avstand_{kind}_m" for kind in ATTRACTION_TYPES}
"""Kind of place → the column of the distance (m) to the nearest place of the kind."""

SETTLEMENT_TYPES = ("kommunesenter", "bygd")
"""Kinds of settlement in the gazetteer: a municipal centre, a village."""

PLACE_TYPES = (*SETTLEMENT_TYPES, *ATTRACTION_TYPES)
"""Every ``type`` a row of a places file may have (``data/steder.csv``)."""

COUNTS_AS = {"kommunesenter": "sentrum"}
"""A settlement kind that also counts as a kind of attraction: a municipal centre is a
centre."""

DISTANCE_BASES = ("luftlinje", "vegnett")
"""How distances were measured (``avstand_grunnlag``): in a straight line, or along the
road network the config gives."""
