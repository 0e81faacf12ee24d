"""Shared fixtures: a demo build, once per session.

Shared constants and helpers (the repository's paths, the samples in ``../shared``) are in
``helpers.py``; builders of small test inputs in ``builders.py``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The built-in demo, built once per test session into a temporary folder."""
    from arealkart import build

    out = tmp_path_factory.mktemp("demo-output")
    return build(None, out, workers=1)


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
