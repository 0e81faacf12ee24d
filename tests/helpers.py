"""What the tests share besides fixtures: the repository's paths, ``../shared``, small readers.

``tests/`` is on ``sys.path`` (``pythonpath`` in ``[tool.pytest.ini_options]``), so a test
anywhere below it imports these as ``from helpers import ROOT``.  The samples read from
``../shared`` are listed in ``tests/fixtures/README.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""
SHARED = ROOT.parent / "shared"
"""The read-only ``../shared`` folder beside the repository (absent elsewhere)."""
REAL = SHARED / "data" / "real"
"""The real sample files in ``../shared``."""
DEMO = ROOT / "data" / "demo"
"""The committed synthetic demo data."""
EXE = str(Path(sys.executable).parent / "arealkart")
"""The ``arealkart`` command of this Python's environment, to run as a user would."""


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test (with the reason) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the ../shared folder is absent)")
    return path


def read_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def signed_area(ring):
    xy = np.asarray(ring)
    return 0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])


def run_cli(argv, capsys):
    """Run the ``arealkart`` CLI in this process; return (exit code, stdout, stderr)."""
    from arealkart.cli.main import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
