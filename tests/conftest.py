"""Shared fixtures: a demo build, once per session; a PostGIS server, once per worker.

Shared constants and helpers (the repository's paths, the samples in ``../shared``) are in
``helpers.py``; builders of small test inputs in ``builders.py``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory):
    """Builds keep their cache in a temporary folder, never in the user's ~/.cache.

    Set in the environment, so the CLI's subprocesses use it too; a test of the cache
    itself gives its own ``cache_dir``.
    """
    import os

    folder = tmp_path_factory.mktemp("build-cache")
    previous = os.environ.get("AREALKART_CACHE")
    os.environ["AREALKART_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("AREALKART_CACHE", None)
    else:
        os.environ["AREALKART_CACHE"] = previous


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The built-in demo, built once per test session into a temporary folder."""
    from arealkart import build

    out = tmp_path_factory.mktemp("demo-output")
    return build(None, out, workers=1)


@pytest.fixture(scope="session")
def postgis_server():
    """A private PostgreSQL + PostGIS cluster on 127.0.0.1 (see ``postgis_server.py``).

    Skips, with the reason, where the machine cannot run one (``scripts/install.sh --test``
    installs what it needs).
    """
    pytest.importorskip("psycopg", reason="psycopg is not installed (install.sh --test)")
    from contextlib import ExitStack

    from postgis_server import NoServerError, postgis_server

    with ExitStack() as stack:
        try:
            server = stack.enter_context(postgis_server())
        except NoServerError as exc:
            pytest.skip(f"no PostGIS server can start here: {exc}")
        yield server


@pytest.fixture
def postgis_db(postgis_server, request):
    """A fresh database with PostGIS for one test; its URL."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40]
    return postgis_server.create_database(f"{name}_{id(request) % 100000}")


DEVICES = ("/dev/null", "/dev/full")
"""Device files the suite must leave as they are (a test once replaced /dev/null)."""


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any test turned one of the machine's devices into a regular file."""
    import stat
    from pathlib import Path

    if hasattr(session.config, "workerinput"):  # only the controller, once, at the very end
        return
    broken = [d for d in DEVICES if Path(d).exists() and not stat.S_ISCHR(Path(d).stat().st_mode)]
    if broken:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the test run replaced device files: {broken}", red=True)
