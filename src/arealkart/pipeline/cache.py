"""The build cache: each municipality's result, kept for the next build to reuse.

An entry is keyed by everything its result depends on: the SHA-256 of each of the
municipality's input files and the options they are read with, the region's parameters
and override, places and road files, the code lists and rules shipped with arealkart and
arealkart's own code (see :func:`code_fingerprint`).  A rebuild after one municipality
changed its plan reads and computes that municipality alone.

An entry is one file, ``<kommunenummer>-<key>.pkl``: a header line with its key and the
SHA-256 of its payload, then the payload (the pickled result).  It is used only when both
match; a stale or corrupt entry is reported in the log, never used, and replaced.  A
municipality with a PostGIS source is always built anew (its rows cannot be checksummed
without reading them).

A municipality's pages (its maps, reports and GeoJSON) are kept the same way, in
``sider/<kommunenummer>-<key>.pkl``, keyed by the contents of their task (everything they
are made of, see :func:`content_digest`) and arealkart's code: a rebuild makes the pages
of the municipalities whose part of the build changed, and takes the others' from here.
The cache holds pickles: keep it in a folder only you can write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.config import MunicipalityInput, RegionConfig
from arealkart.pipeline._municipality import MunicipalityResult
from arealkart.publish.pages import MunicipalPages, RenderedPages
from arealkart.publish.site import input_checksum

__all__ = [
    "BuildCache",
    "CacheReport",
    "code_fingerprint",
    "content_digest",
    "default_cache_dir",
]

log = logging.getLogger(__name__)

FORMAT = 1
"""The entry format; part of every key."""

T = TypeVar("T")


def default_cache_dir() -> Path:
    """``$AREALKART_CACHE``, else ``$XDG_CACHE_HOME/arealkart``, else ``~/.cache/arealkart``."""
    if os.environ.get("AREALKART_CACHE"):
        return Path(os.environ["AREALKART_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "arealkart"


@dataclass
class CacheReport:
    """What a build took from its cache, per municipality number."""

    reused: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """Built anew because an entry for an older state of its inputs was there."""
    corrupt: list[str] = field(default_factory=list)
    """Built anew because its entry failed its checksum or could not be read."""
    uncached: list[str] = field(default_factory=list)
    """Built anew because a source (PostGIS) cannot be checksummed."""
    pages_reused: list[str] = field(default_factory=list)
    """Municipalities whose pages (maps, reports, GeoJSON) were taken from the cache."""
    pages_made: list[str] = field(default_factory=list)
    """Municipalities whose pages were made anew."""


class BuildCache:
    """The cache folder of a build (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str], config: RegionConfig) -> None:
        self.folder = Path(folder)
        self.config = config
        self.report = CacheReport()
        self._region = _region_key(config)
        self._kept = {p.name.split("-", 1)[0] for p in self.folder.glob("*.pkl")}
        """Municipalities with an entry when the build started."""
        self._config_digest: str | None = None
        """:func:`content_digest` of the config, made once for every page key."""

    def key(self, muni: MunicipalityInput, keep_going: bool) -> str | None:
        """The key of a municipality's entry, ``None`` if it cannot be cached."""
        if not all(source.is_file for source in muni.sources):
            return None
        parts: list[Any] = [FORMAT, code_fingerprint(), self._region, keep_going]
        parts.append(muni.kommune.nummer)
        for source in muni.sources:
            try:
                files = [[self.config.label(p), input_checksum(p)] for p in source.files]
            except OSError:  # unreadable: built anew, and the reader reports it
                return None
            parts.append([source.kind, _canonical(source.options), files])
        return _digest(parts)

    def get(self, muni: MunicipalityInput, key: str | None) -> MunicipalityResult | None:
        """The cached result for ``key``, or ``None`` (noting why in :attr:`report`)."""
        number = muni.kommune.nummer
        if key is None:
            self.report.uncached.append(number)
            return None
        path = self._path(number, key)
        if not path.exists():
            (self.report.stale if number in self._kept else self.report.built).append(number)
            return None
        try:
            result = _read_entry(path, key, MunicipalityResult)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            log.warning("cache entry %s is not usable (%s); building %s anew", path, exc, number)
            self.report.corrupt.append(number)
            return None
        self.report.reused.append(number)
        return result

    def put(self, muni: MunicipalityInput, key: str | None, payload: bytes) -> None:
        """Keep a municipality's pickled result, replacing its older entries."""
        if key is not None:
            _write_entry(self._path(muni.kommune.nummer, key), key, payload)

    def _path(self, number: str, key: str) -> Path:
        return self.folder / f"{number}-{key[:32]}.pkl"

    # --- a municipality's pages -------------------------------------------------------------

    def pages_key(self, task: MunicipalPages) -> str:
        """The key of a municipality's pages: the content of its task and arealkart's code.

        The task holds everything its pages are made of (see
        :class:`~arealkart.publish.pages.MunicipalPages`), so equal tasks make equal pages.
        """
        if self._config_digest is None:
            self._config_digest = content_digest(self.config)
        known = {id(self.config): self._config_digest}
        return _digest([FORMAT, code_fingerprint(), content_digest(task, known)])

    def get_pages(self, number: str, key: str) -> RenderedPages | None:
        """A municipality's cached pages for ``key``, or ``None`` (noted in :attr:`report`)."""
        path = self._pages_path(number, key)
        try:
            pages = _read_entry(path, key, RenderedPages) if path.exists() else None
        except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            log.warning("cache entry %s is not usable (%s); making its pages anew", path, exc)
            pages = None
        (self.report.pages_made if pages is None else self.report.pages_reused).append(number)
        return pages

    def put_pages(self, number: str, key: str, payload: bytes) -> None:
        """Keep a municipality's pickled pages, replacing its older ones."""
        _write_entry(self._pages_path(number, key), key, payload)

    def _pages_path(self, number: str, key: str) -> Path:
        return self.folder / PAGES / f"{number}-{key[:32]}.pkl"


PAGES = "sider"
"""The cache's folder of municipalities' pages."""


def _write_entry(path: Path, key: str, payload: bytes) -> None:
    """Write one entry (header line, payload) atomically; remove the number's older ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    with temporary.open("wb") as out:
        out.write(json.dumps(header).encode() + b"\n")
        out.write(payload)
    temporary.replace(path)
    number = path.name.split("-", 1)[0]
    for old in path.parent.glob(f"{number}-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)


def _read_entry(path: Path, key: str, kind: type[T]) -> T:
    with path.open("rb") as entry:
        header = json.loads(entry.readline())
        payload = entry.read()
    if not isinstance(header, dict) or header.get("key") != key:
        raise ValueError("its key does not match")
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        raise ValueError("its checksum does not match its contents")
    result = pickle.loads(payload)
    if not isinstance(result, kind):
        raise ValueError(f"it holds a {type(result).__name__}")
    return result


def _region_key(config: RegionConfig) -> str:
    """What every municipality's result depends on besides its own files.

    The parameters, and the region's own files (overrides, places, roads, borders).
    """
    own = {p for m in config.municipalities for s in m.sources for p in s.files}
    region_files = [p for p in config.files() if p not in own]
    checksums = [[config.label(p), input_checksum(p)] for p in region_files]
    roads = _canonical(config.roads.options) if config.roads else None
    borders = _canonical(config.borders.options) if config.borders else None
    return _digest([_canonical(config.parameters), checksums, roads, borders])


@cache
def code_fingerprint() -> str:
    """SHA-256 over arealkart's modules and package data (code lists, rules, texts).

    Part of every cache key, so a new release, or a changed code list, never reuses a
    result computed by another.
    """
    digest = hashlib.sha256()
    root = files("arealkart")
    for path in sorted(_package_files(Path(str(root)))):
        digest.update(path.relative_to(Path(str(root))).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _package_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def content_digest(value: Any, known: Mapping[int, str] | None = None) -> str:
    """SHA-256 of what ``value`` holds: equal for equal contents, whatever their memory.

    Frames are digested column by column (names, dtypes, values, index; geometries as
    WKB), so two frames with the same rows give the same digest however they were made
    (a pickle would not: it keeps how the values lie in memory).  Dataclasses, mappings
    and sequences are digested item by item; any other object by its pickle.  An object
    met twice is digested once; ``known`` gives the digests of objects already digested
    (by ``id``), such as a config every task shares.
    """
    return _Digest(dict(known or {})).of(value)


class _Digest:
    """One :func:`content_digest`: the digests of the frames and dataclasses met so far."""

    def __init__(self, known: dict[int, str]) -> None:
        self.known = known

    def of(self, value: Any) -> str:
        digest = hashlib.sha256()
        self.feed(digest, value)
        return digest.hexdigest()

    def feed(self, digest: Any, value: Any) -> None:
        if isinstance(value, pd.DataFrame | pd.Series) or (
            is_dataclass(value) and not isinstance(value, type)
        ):
            if id(value) not in self.known:
                inner = hashlib.sha256()
                self._whole(inner, value)
                self.known[id(value)] = inner.hexdigest()
            digest.update(self.known[id(value)].encode())
        elif isinstance(value, Mapping):
            digest.update(b"map%d" % len(value))
            for key in sorted(value, key=repr):
                self.feed(digest, key)
                self.feed(digest, value[key])
        elif isinstance(value, list | tuple):
            digest.update(b"seq%d" % len(value))
            for item in value:
                self.feed(digest, item)
        elif isinstance(value, set | frozenset):
            self.feed(digest, sorted(value, key=repr))
        elif isinstance(value, str | int | float | bool | Path | pd.Timestamp) or value is None:
            digest.update(f"{type(value).__name__}:{value!r};".encode())
        else:
            digest.update(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _whole(self, digest: Any, value: Any) -> None:
        """A frame, a series or a dataclass, item by item."""
        if isinstance(value, pd.DataFrame):
            digest.update(b"frame")
            self.feed(digest, [str(name) for name in value.columns])
            _feed_index(digest, value.index)
            for _, column in value.items():
                _feed_series(digest, column)
        elif isinstance(value, pd.Series):
            _feed_index(digest, value.index)
            _feed_series(digest, value)
        else:
            digest.update(type(value).__qualname__.encode())
            for item in fields(value):
                self.feed(digest, item.name)
                self.feed(digest, getattr(value, item.name))


def _feed_index(digest: Any, index: pd.Index) -> None:
    if isinstance(index, pd.RangeIndex):
        digest.update(f"range:{index.start}:{index.stop}:{index.step};".encode())
    else:
        _feed_series(digest, pd.Series(index, name="index"))


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def _feed_series(digest: Any, series: pd.Series) -> None:
    """A column: its name, dtype and values (geometries as WKB)."""
    digest.update(f"col:{series.name!r}:{series.dtype};{len(series)};".encode())
    if isinstance(series.dtype, gpd.array.GeometryDtype):
        for wkb in shapely.to_wkb(series.to_numpy()):
            digest.update(b"-" if wkb is None else b"%d:%b" % (len(wkb), wkb))
        return
    values = series.array
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biufcmM":
        digest.update(np.ascontiguousarray(series.to_numpy()).tobytes())  # -0.0 is not 0.0
        return
    if isinstance(values, _MASKED):  # Int64, Float64, boolean: mask and values
        digest.update(np.asarray(values.isna()).tobytes())
        kind = getattr(values.dtype, "numpy_dtype", None)
        digest.update(values.to_numpy(dtype=kind, na_value=0).tobytes())
        return
    cells = series.to_numpy(dtype=object).tolist()
    missing = series.isna().to_numpy().tolist()
    pairs = list(zip(cells, missing, strict=True))
    if all(m or type(c) is str for c, m in pairs):  # text: each as it is
        digest.update(b"".join(_TEXT_NA if m else _text(c) for c, m in pairs))
        return
    digest.update(pickle.dumps(cells, protocol=pickle.HIGHEST_PROTOCOL))


_TEXT_NA = b"-;"
"""A missing text in a column's digest (a text is its length, a colon and its bytes)."""


def _text(value: str) -> bytes:
    data = value.encode()
    return b"%d:%b" % (len(data), data)


def _canonical(value: Any) -> Any:
    """``value`` as JSON-ready data with sorted keys, for a stable key."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda i: str(i[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def _digest(parts: Any) -> str:
    text = json.dumps(_canonical(parts), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()
