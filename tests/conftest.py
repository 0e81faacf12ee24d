"""Shared fixtures: the repository's paths, the real samples in ../shared, a demo build."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test (with the reason) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the ../shared folder is absent)")
    return path


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The built-in demo, built once per test session into a temporary folder."""
    from arealkart import build

    out = tmp_path_factory.mktemp("demo-output")
    return build(None, out, workers=1)
