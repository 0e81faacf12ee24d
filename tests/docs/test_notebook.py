"""The planner's notebook runs from top to bottom, so it never rots.

``notebooks/vest-telemark.ipynb`` is committed without outputs.  Here it is executed by
nbclient in a Jupyter kernel of this very Python (a kernel spec written for the test, so
no other installed kernel is picked), with its working folder and its output folder
(``AREALKART_NOTEBOOK_OUTPUT``) in a temporary folder, so it cannot write into the
repository.  The checks: no cell fails or writes to stderr, the three questions have
answers, and the exported files hold them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from helpers import ROOT

NOTEBOOK = ROOT / "notebooks" / "vest-telemark.ipynb"
KERNEL = "arealkart-test"
TIMEOUT = 300
"""Seconds one cell may take (the whole notebook takes well under a minute)."""


def _read_notebook():
    import nbformat

    return nbformat.read(NOTEBOOK, as_version=4)


def _kernel_spec(folder: Path) -> Path:
    """A Jupyter data folder with one kernel spec that runs this Python."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "arealkart (test)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook, executed; with the folder it wrote into and its working folder."""
    base = tmp_path_factory.mktemp("notebook")
    out, cwd, home = base / "out", base / "cwd", base / "ipython"
    cwd.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AREALKART_NOTEBOOK_OUTPUT", str(out))
        mp.setenv("JUPYTER_PATH", str(_kernel_spec(base / "jupyter")))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        mp.setenv("IPYTHONDIR", str(home))
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        from nbclient import NotebookClient

        nb = _read_notebook()
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=TIMEOUT,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.execute()
    return nb, out, cwd


def test_notebook_is_committed_without_outputs():
    nb = _read_notebook()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    dirty = [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count is not None]
    assert dirty == [], "clear the outputs before committing (JupyterLab: Edit → Clear Outputs)"
    assert "widgets" not in nb.metadata


@pytest.mark.slow
def test_notebook_runs_and_answers_its_three_questions(executed):
    # one test, so that pytest-xdist runs the notebook once
    nb, out, cwd = executed
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    stderr = [
        "".join(output.get("text", ""))
        for cell in code
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert stderr == []

    # nothing written but into the output folder
    assert list(cwd.iterdir()) == []
    assert {p.name for p in out.iterdir()} == {
        "vest-telemark.html",
        "naering-amot.geojson",
        "svar.gpkg",
        "fritidstomter-vinje.csv",
    }

    # 1. business land near Åmot
    business = json.loads((out / "naering-amot.geojson").read_text(encoding="utf-8"))
    assert business["features"]
    for feature in business["features"]:
        props = feature["properties"]
        assert props["kategori"] == "naering"
        assert props["areal_daa"] >= 5
        assert props["avstand_m"] <= 10_000

    # 2. free housing plots with VA in Seljord
    plots = pyogrio.read_dataframe(out / "svar.gpkg", layer="tomter_seljord")
    assert len(plots)
    assert (plots["status"] == "ledig").all()
    assert plots["va"].all()
    assert (plots["pris"] <= 250_000).all()
    assert (plots["kommunenummer"] == "4022").all()

    # 3. leisure-home land in Vinje
    leisure = pyogrio.read_dataframe(out / "svar.gpkg", layer="fritid_vinje")
    assert len(leisure)
    assert set(leisure["kategori"]) == {"fritid"}
    assert (leisure["kommunenummer"] == "4036").all()
    for_sale = pd.read_csv(out / "fritidstomter-vinje.csv", dtype={"kommunenummer": str})
    assert len(for_sale)
    assert {"lon", "lat"} <= set(for_sale.columns)
    assert (for_sale["status"] == "ledig").all()

    # the map page is complete
    assert "</html>" in (out / "vest-telemark.html").read_text(encoding="utf-8")
