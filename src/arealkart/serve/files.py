"""A build's files over HTTP with byte ranges, so that pages drawn from vector tiles work.

A map page at country scale reads its areas from a PMTiles archive beside it by HTTP range
requests (``Range: bytes=a-b``, answered ``206 Partial Content``), which a browser cannot
make of a file on disk and which Python's own ``python -m http.server`` does not answer.
:func:`file_server` is a small static server that does; any ordinary web server (nginx,
Apache, a static host) does too.  It serves one folder, read-only, on 127.0.0.1 unless
told otherwise.
"""

from __future__ import annotations

import logging
import os
import re
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from arealkart.errors import ServiceError

__all__ = ["RangeRequestHandler", "file_server", "parse_range"]

log = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a ``Range`` header asks for, of a file of ``size`` bytes.

    ``None`` for a header this server does not answer with a part (several ranges, or
    another unit): the whole file is sent.  A range that starts past the end raises
    :class:`ValueError` (answered ``416``).
    """
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ValueError(f"range {header!r} is outside a file of {size} bytes")
    return start, end


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Python's static file handler, answering a single byte range with ``206``."""

    extensions_map = {  # noqa: RUF012 (the base's instance variable, extended)
        **SimpleHTTPRequestHandler.extensions_map,
        ".pmtiles": "application/vnd.pmtiles",
        ".js": "text/javascript",
    }
    _remaining: int | None = None

    def send_head(self) -> Any:
        """Send the headers of a file or part of one; return the open file, positioned."""
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if header is None or not path.is_file():
            return super().send_head()
        try:
            handle = path.open("rb")  # closed by the handler once copied
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        size = os.fstat(handle.fileno()).st_size
        try:
            wanted = parse_range(header, size)
        except ValueError:
            handle.close()
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if wanted is None:
            handle.close()
            return super().send_head()
        start, end = wanted
        handle.seek(start)
        self._remaining = end - start + 1
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(self._remaining))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        """Copy the part a range asked for (or, without one, the whole file)."""
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            super().copyfile(source, outputfile)
            return
        while remaining > 0:
            chunk = source.read(min(64 * 1024, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
        self._remaining = None

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the log (debug), not to standard error."""
        log.debug("%s %s", self.address_string(), format % args)


def file_server(
    folder: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 8000
) -> ThreadingHTTPServer:
    """A server of ``folder`` (a build's output) that answers range requests; not started.

    Call ``serve_forever()`` on it (and ``shutdown()``/``server_close()`` to stop); port
    ``0`` picks a free one (``server_address`` says which).

    Raises
    ------
    ServiceError
        If ``folder`` is no folder, or the address cannot be listened on.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ServiceError(f"{root}: no such folder to serve (build first: arealkart build)")
    handler = partial(RangeRequestHandler, directory=str(root))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ServiceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
