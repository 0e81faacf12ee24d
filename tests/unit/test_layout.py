"""The package's shape: stages in layers, no import cycle, private modules as leaves.

The import contract itself is in ``pyproject.toml`` (``[tool.importlinter]``) and is
checked here by running ``lint-imports``, so the suite fails when a stage imports upward.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "arealkart"
HEAVY = ("geopandas", "shapely", "folium", "pandas", "pyogrio", "pygeoapi", "flask")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """Every arealkart module ``path`` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found |= {node.module, *names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    known = modules()
    return {m for m in found if m in known}


def import_graph() -> dict[str, set[str]]:
    return {name: imported(path) - {name} for name, path in modules().items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 50
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_private_modules_are_leaves_of_their_own_package():
    wrong = []
    for name, targets in import_graph().items():
        for target in targets:
            package, _, leaf = target.rpartition(".")
            if leaf.startswith("_") and not (name == package or name.startswith(package + ".")):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_every_package_declares_all_and_reexports_no_private_module():
    for path in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        assert "__all__" in names, f"{module_name(path)} has no __all__"
        private = [
            f"{node.module}"
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.rpartition(".")[2].startswith("_")
            and any(a.name in _all(tree) for a in node.names)
        ]
        assert private == [], f"{module_name(path)} re-exports names of {private}"


def _all(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    return set()


def test_the_import_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (bash scripts/install.sh --test)")
    done = subprocess.run(
        [str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["query", "--help"]])
def test_help_loads_no_geometry_or_map_library(args):
    code = (
        "import sys\n"
        "from arealkart.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {(*HEAVY, 'numpy', 'sqlite3')!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "Usage: arealkart" in done.stdout


def test_python_m_arealkart_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "arealkart", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "arealkart, version" in done.stdout


def test_the_top_level_names_are_imported_on_first_use():
    import arealkart

    for name in arealkart.__all__:
        assert getattr(arealkart, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = arealkart.nonsense
