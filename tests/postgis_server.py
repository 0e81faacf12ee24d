"""A throwaway PostgreSQL + PostGIS server for the tests, gone when they end.

The tests start their own cluster instead of touching the machine's: ``initdb`` into a fresh
temporary folder, ``pg_ctl start`` listening only on 127.0.0.1 on a free port (its socket in
that folder too), and ``pg_ctl stop`` plus removing the folder at the end.  As root the
server's programs run as the ``postgres`` user (PostgreSQL refuses to run as root); otherwise
as the current user.  Debian's packages ``postgresql`` and ``postgresql-<v>-postgis-3``
(installed by ``scripts/install.sh --test``) provide the programs and the extension.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
EXTENSIONS = Path("/usr/share/postgresql")


class NoServerError(RuntimeError):
    """The machine cannot run a PostGIS server here (the reason is the message)."""


@dataclass(frozen=True)
class Server:
    """A running cluster: its superuser URL and a way to make a fresh database."""

    port: int
    user: str
    folder: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new database with PostGIS; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        return self.url(name)


def bin_folder() -> Path:
    """The newest PostgreSQL whose PostGIS extension is installed."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin/initdb") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
        reverse=True,
    )
    for initdb in versions:
        if (EXTENSIONS / initdb.parent.parent.name / "extension" / "postgis.control").is_file():
            return initdb.parent
    if not versions:
        raise NoServerError(f"no PostgreSQL server programs under {PG_ROOT}")
    raise NoServerError(f"PostgreSQL is installed but not PostGIS ({EXTENSIONS}/*/extension)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> str:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise NoServerError("running as root and there is no 'postgres' user") from None
    return "postgres"


def _run(command: list[str], user: str) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        raise NoServerError(f"{' '.join(command)} failed: {done.stderr.strip()[-800:]}")


@contextlib.contextmanager
def postgis_server() -> Iterator[Server]:
    """Start a private cluster for the block; stop and remove it afterwards."""
    programs = bin_folder()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="arealkart-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, user)
        data, port = folder / "data", _free_port()
        _run(
            [
                str(programs / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                user,
                "-E",
                "UTF8",
                "--no-sync",
            ],
            user,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        _run(
            [
                str(programs / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-w",
                "-o",
                options,
                "start",
            ],
            user,
        )
        try:
            yield Server(port, user, folder)
        finally:
            _run([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
