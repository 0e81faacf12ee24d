"""The package type-checks: ``mypy`` with the settings in ``pyproject.toml`` finds nothing.

The settings (``[tool.mypy]``) are read from the repository's ``pyproject.toml``; the cache
goes to a temporary folder, so the check starts cold and writes nothing into the tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            str(ROOT / "src" / "arealkart"),
        ]
    )
    assert status == 0, f"mypy reports errors:\n{stdout}{stderr}"
