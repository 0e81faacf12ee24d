"""The output folder as a published site: one build at a time, swapped in as a whole.

A build writes its files into a staging folder beside the output folder
(``.<name>.arealkart-stage-<id>``), with a ``manifest.json`` that lists every file and
its checksum, then exchanges the staging folder and the output folder in one atomic
rename (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, with the old tree
kept until the new one is in place).  A reader of the output folder sees the whole old
build or the whole new one, whenever a build dies.

Rules (see ``docs/guide.md``, "Publishing the output folder"):

- A lock file beside the output folder (``.<name>.arealkart.lock``, an advisory
  ``flock``) lets one build at a time write there; a second build stops with a message.
- The folder may hold only what arealkart wrote: files the previous build's manifest does
  not list are *foreign*, and a build refuses to publish over them (naming them) unless
  ``force=True``, which carries them into the new tree untouched.
- Files of the previous build that this build does not write again are removed, unless
  the previous build had the same fingerprint (the same arealkart version, config,
  parameters and input checksums): then they are the same build's other parts or
  languages, and are kept.
- ``serve/`` is the service's folder: ``arealkart serve`` writes its pygeoapi config and
  OpenAPI document there after a build.  Its files are not the build's (the manifest
  does not list them), not foreign either, and each next build carries them over as
  they are, so a service configured once keeps running across rebuilds.
- Staging folders left by builds that died (their process is gone) are removed by the
  next build; a staging folder is recognised by its marker file, never by name alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arealkart.errors import OutputError

log = logging.getLogger(__name__)

__all__ = [
    "MANIFEST",
    "PAUSE_AT",
    "SERVICE_FOLDER",
    "Manifest",
    "Site",
    "check_foreign",
    "check_output_path",
    "checksum",
    "fingerprint",
    "foreign_files",
    "preflight",
    "read_manifest",
    "remove_dead_stages",
    "service_files",
    "write_error",
]

MANIFEST = "manifest.json"
"""File name of a build's manifest in the output folder."""

SERVICE_FOLDER = "serve"
"""The folder of a published build that ``arealkart serve`` writes (its pygeoapi config):
kept across builds, listed by no manifest, never foreign."""

_OWNER = ".owner"
_STAGE = ".arealkart-stage-"
_OLD = ".arealkart-old-"
_LOCK = ".arealkart.lock"
_RENAME_EXCHANGE = 2


@dataclass(frozen=True)
class Manifest:
    """What one build wrote: every file with its checksum, and what it was built from.

    Attributes
    ----------
    version
        The arealkart version that wrote it.
    fingerprint
        Checksum of everything the build depends on (version, config, parameters,
        inputs); two builds with the same fingerprint write the same files.
    config
        The config file's label and checksum (``None`` for a build from Python objects).
    inputs
        Every input file's label, size and checksum.
    files
        Every file written (paths relative to the output folder, ``/``-separated) with
        its size and checksum.
    """

    version: str
    fingerprint: str
    config: dict[str, Any] | None = None
    inputs: tuple[dict[str, Any], ...] = ()
    files: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def paths(self) -> set[str]:
        """The relative paths of the files listed."""
        return {str(f["path"]) for f in self.files}

    def to_json(self) -> str:
        """The manifest as JSON text (keys in a fixed order: rebuilds are byte-identical)."""
        body = {
            "arealkart": self.version,
            "fingerprint": self.fingerprint,
            "config": self.config,
            "inputs": list(self.inputs),
            "files": list(self.files),
        }
        return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def checksum(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, as hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_checksum(path: str | os.PathLike[str]) -> str:
    """:func:`checksum` of an input file, read once while the file stays as it is.

    A build needs each input's SHA-256 twice (the cache's keys, the manifest); the file is
    read again only if its size, times or inode changed.
    """
    resolved = Path(path).resolve()
    info = resolved.stat()
    return _checksum_of(resolved, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@functools.lru_cache(maxsize=4096)
def _checksum_of(path: Path, size: int, mtime: int, ctime: int, inode: int) -> str:
    return checksum(path)


def read_manifest(folder: str | os.PathLike[str]) -> Manifest | None:
    """The manifest of the build in ``folder``, or ``None`` if it has none (or no folder)."""
    path = Path(folder) / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputError(path, f"cannot be read as a build manifest: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("files"), list):
        raise OutputError(path, "is not a build manifest (no 'files' list)")
    return Manifest(
        version=str(raw.get("arealkart", "")),
        fingerprint=str(raw.get("fingerprint", "")),
        config=raw.get("config"),
        inputs=tuple(raw.get("inputs") or ()),
        files=tuple(f for f in raw["files"] if isinstance(f, dict) and "path" in f),
    )


def write_error(path: str | os.PathLike[str], exc: Exception) -> OutputError:
    """An :class:`~arealkart.errors.OutputError` naming ``path`` and the cause of ``exc``.

    ``exc`` is an :class:`OSError`, or an error of GDAL or SQLite while writing (which
    carry no error number: a full disk is then told by the free space left).
    """
    if not isinstance(exc, OSError):
        if _nearly_full(Path(path)):
            exc = OSError(errno.ENOSPC, str(exc))
        else:
            return OutputError(path, f"cannot be written: {exc}")
    causes = {
        errno.ENOSPC: "the disk is full (no space left on the device)",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: "it is a folder",
        errno.ENAMETOOLONG: "the name is too long",
    }
    cause = causes.get(exc.errno or 0, exc.strerror or str(exc))
    where = exc.filename or path
    return OutputError(where, f"cannot be written: {cause}")


class Site:
    """One build's publication into ``output``: lock, stage, manifest, swap.

    Use it as a context manager; write the build's files under :attr:`stage`, then call
    :meth:`publish`.  Leaving the block without publishing removes the staging folder and
    leaves the output folder as it was.

    Parameters
    ----------
    output
        The output folder (created by the first build).
    fingerprint
        The build's fingerprint (see :class:`Manifest`).
    force
        Publish even over files arealkart did not write (they are kept).
    """

    def __init__(self, output: str | os.PathLike[str], fingerprint: str, *, force: bool = False):
        self.output = check_output_path(output)
        self.fingerprint = fingerprint
        self.force = force
        self.previous: Manifest | None = None
        self.foreign: list[str] = []
        """Files in the output folder that the previous build did not write (listed once)."""
        self.stage = Path()
        self._lock: Any = None

    def __enter__(self) -> Site:
        parent = self.output.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._lock = _acquire_lock(parent / f".{self.output.name}{_LOCK}", self.output)
            remove_dead_stages(self.output)
            self.previous = read_manifest(self.output) if self.output.is_dir() else None
            self.foreign = foreign_files(self.output, self.previous)
            check_foreign(self.output, self.foreign, force=self.force)
            self.stage = _claimed_folder(parent, f".{self.output.name}{_STAGE}")
            self.stage.chmod(_folder_mode(self.output))  # mkdtemp's 0700 would hide the site
        except OSError as exc:
            self.__exit__(None, None, None)
            raise write_error(self.output, exc) from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stage != Path():
            _discard(self.stage)
        if self._lock is not None:
            _release_lock(self._lock)
            self._lock = None

    # --- what the new tree starts from ----------------------------------------------------

    def carried_over(self) -> list[str]:
        """Files the new tree keeps from the old one.

        Foreign files (with ``force``), and the previous build's files when it had this
        build's fingerprint.
        """
        keep = set(self.foreign) if self.force else set()
        keep |= set(service_files(self.output))
        if self.previous is not None and self.previous.fingerprint == self.fingerprint:
            keep |= {p for p in self.previous.paths() if (self.output / p).is_file()}
        return sorted(keep)

    def carry_over(self, paths: Iterable[str]) -> list[Path]:
        """Link (or copy) files of the old tree into the stage; return their stage paths."""
        placed = []
        for rel in paths:
            source, target = self.output / rel, self.stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
            placed.append(target)
        return placed

    # --- the switch -----------------------------------------------------------------------

    def publish(self, manifest: Manifest) -> None:
        """Write the manifest into the stage and swap the stage in as the output folder."""
        try:
            _pause_at("staged")
            (self.stage / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            _pause_at("before-swap")
            _swap_in(self.stage, self.output)
        except OSError as exc:
            raise write_error(self.output, exc) from None
        _pause_at("after-swap")
        _discard(self.stage)  # after the swap the stage path holds the old tree, if any

    def manifest(self, *, config: Any, inputs: Any, version: str) -> Manifest:
        """The manifest of the stage's files (the carried-over foreign files excepted)."""
        foreign = set(self.foreign) if self.force else set()
        files = []
        kept = set(service_files(self.stage))
        for path in sorted(set(_relative_files(self.stage)) - {MANIFEST} - foreign - kept):
            full = self.stage / path
            files.append({"path": path, "bytes": full.stat().st_size, "sha256": checksum(full)})
        return Manifest(version, self.fingerprint, config, tuple(inputs), tuple(files))


def foreign_files(output: Path, previous: Manifest | None) -> list[str]:
    """Files in ``output`` that the build of manifest ``previous`` did not write."""
    if not output.is_dir():
        return []
    listed = previous.paths() | {MANIFEST} if previous else set()
    listed |= set(service_files(output))
    return sorted(p for p in _relative_files(output) if p not in listed)


def service_files(output: Path) -> list[str]:
    """The files of ``output``'s service folder (:data:`SERVICE_FOLDER`), relative paths."""
    folder = output / SERVICE_FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [f"{SERVICE_FOLDER}/{p}" for p in _relative_files(folder)]


def check_foreign(output: Path, foreign: list[str], *, force: bool) -> None:
    """:class:`OutputError` naming the ``foreign`` files of ``output``, unless ``force``."""
    if foreign and not force:
        more = f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        raise OutputError(
            output,
            f"holds {len(foreign)} file(s) that arealkart did not write: "
            f"{', '.join(foreign[:10])}{more}. Choose an empty or new folder, or pass "
            "--force (force=True) to publish beside them (they are kept as they are)",
        )


def preflight(
    output: str | os.PathLike[str], *, force: bool = False, expected_bytes: int = 0
) -> Path:
    """Check, before any data is read, that a build can publish into ``output``.

    The path must name a folder (or a new one) whose parent can be written, no other
    build may be writing there, and the folder may hold no foreign files (unless
    ``force``).  Less free space than ``expected_bytes`` is logged as a warning.

    Raises
    ------
    OutputError
        Naming the folder and what is wrong.
    """
    path = check_output_path(output)
    place = next(p for p in (path, *path.parents) if p.exists())
    if not os.access(place, os.W_OK) or _read_only(place):
        raise OutputError(path, f"cannot be written: {place} is read-only or not writable")
    lock = path.parent / f".{path.name}{_LOCK}"
    if lock.exists():
        _release_lock(_acquire_lock(lock, path))
    if path.is_dir():
        check_foreign(path, foreign_files(path, read_manifest(path)), force=force)
    free = shutil.disk_usage(place).free
    if expected_bytes and free < expected_bytes:
        log.warning(
            "%s: only %.1f MB free where the build needs about %.1f MB",
            path,
            free / 1e6,
            expected_bytes / 1e6,
        )
    return path


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def check_output_path(output: str | os.PathLike[str]) -> Path:
    """The output folder as an absolute path; :class:`OutputError` for one that cannot be."""
    text = os.fspath(output)
    if not str(text).strip():
        raise OutputError(None, "the output folder is an empty path; name a folder, e.g. 'output'")
    path = Path(text).resolve()
    if path.parent == path:
        raise OutputError(path, "is the root of the file system; name a folder below it")
    for above in (path, *path.parents):
        if above.exists() and not above.is_dir():
            raise OutputError(path, f"cannot be a folder: {above} is a file")
    return path


def remove_dead_stages(output: Path) -> list[Path]:
    """Remove staging folders of builds into ``output`` whose process is gone."""
    removed: list[Path] = []
    parent = output.parent
    if not parent.is_dir():
        return removed
    for prefix in (_OLD, _STAGE):
        for owner in sorted(parent.glob(f".{output.name}{prefix}*{_OWNER}")):
            if _alive(owner):
                continue
            folder = owner.with_name(owner.name[: -len(_OWNER)])
            old_tree = folder / "tree"
            if prefix == _OLD and old_tree.is_dir() and not output.exists():
                old_tree.replace(output)  # died between the two renames: put it back
            _discard(folder)
            removed.append(folder)
    return removed


PAUSE_AT = "AREALKART_PAUSE_AT"
"""Environment variable for crash tests: ``<point>:<file>`` makes a build touch ``file``
and wait at ``point`` (``staged``, ``before-swap``, ``after-swap``), so a test can kill it
exactly there.  Unset in normal use."""


def _pause_at(point: str) -> None:
    wanted, _, signal_file = os.environ.get(PAUSE_AT, "").partition(":")
    if wanted == point and signal_file:
        Path(signal_file).touch()
        time.sleep(120)


def _claimed_folder(parent: Path, prefix: str) -> Path:
    """A new folder ``parent/<prefix><random>``, marked as this process's before it exists.

    The owner mark (pid and start time) sits beside the folder, not in it, so it stays
    with the path whatever the folder holds after a swap, and it is written first, so a
    build killed at any moment leaves no folder without a mark; a folder is only ever
    removed by its mark.
    """
    while True:
        folder = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            with folder.with_name(folder.name + _OWNER).open("x", encoding="utf-8") as fh:
                fh.write(_marker_text())
        except FileExistsError:
            continue
        folder.mkdir(mode=0o700)
        return folder


def _discard(folder: Path) -> None:
    """Remove a staging folder and then its owner mark."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.with_name(folder.name + _OWNER).unlink(missing_ok=True)


def _nearly_full(path: Path) -> bool:
    """Whether the file system of ``path`` has (almost) no space left: under 1 MiB."""
    place = next((p for p in (path, *path.parents) if p.exists()), None)
    if place is None:
        return False
    return shutil.disk_usage(place).free < 1 << 20


def _folder_mode(output: Path) -> int:
    """The output folder's mode, or a new folder's (``0777`` less the umask)."""
    if output.is_dir():
        return output.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _marker_text() -> str:
    return json.dumps({"pid": os.getpid(), "start": _process_start(os.getpid())}) + "\n"


def _alive(marker: Path) -> bool:
    """Whether the build that wrote ``marker`` still runs (same pid and start time)."""
    try:
        owner = json.loads(marker.read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _process_start(pid) == owner.get("start")


def _process_start(pid: int) -> str | None:
    """The process's start time (Linux ``/proc``), so a reused pid is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _relative_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- the lock -------------------------------------------------------------------------------


def _acquire_lock(path: Path, output: Path) -> Any:
    handle = path.open("a+")
    try:
        _lock_file(handle)
    except OSError:
        handle.close()
        raise OutputError(
            output,
            "another arealkart build is writing into this folder; wait for it to finish "
            f"(lock file {path})",
        ) from None
    return handle


def _lock_file(handle: Any) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt  # only on Windows

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl  # not on Windows

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _release_lock(handle: Any) -> None:
    with contextlib.suppress(OSError):
        handle.close()


# --- the swap -------------------------------------------------------------------------------


def _swap_in(stage: Path, output: Path) -> None:
    """Make ``stage`` the output folder; the old output ends up at ``stage``'s path."""
    if not output.exists():
        stage.replace(output)
        return
    if _exchange(stage, output):
        return
    old = _claimed_folder(output.parent, f".{output.name}{_OLD}")
    output.replace(old / "tree")  # from here until the next line, the output is missing:
    stage.replace(output)  # a build killed between them is put back by the next build
    _discard(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step where the system can (Linux ``renameat2``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # not supported by this file system or kernel: two renames instead
    raise OSError(code, os.strerror(code), str(b))


def fingerprint(parts: Mapping[str, Any]) -> str:
    """A checksum of the JSON form of ``parts`` (sorted keys)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
