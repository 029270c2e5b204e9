"""The shape of the code: import contracts, no import cycles, no borrowed privates.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are
checked by import-linter exactly as ``lint-imports`` would. The cycle check
counts every import, including those placed inside functions, so a cycle
cannot be hidden by deferring an import.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_in_pyproject_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_of_core_or_plugins_is_part_of_an_import_cycle():
    graph = grimp.build_graph("core", "plugins", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_through_an_import_inside_a_function(tmp_path, monkeypatch):
    package = tmp_path / "cyclepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclepkg import b\n")
    (package / "b.py").write_text("def later():\n    from cyclepkg import a\n")
    (package / "c.py").write_text("from cyclepkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", cache_dir=None)
    assert _cycles(graph) == [["cyclepkg.a", "cyclepkg.b"]]


def _feature_of(module: str) -> str:
    """``core.topics.service`` → ``core.topics``; ``plugins.ningbo.x`` → ``plugins.ningbo``."""
    return ".".join(module.split(".")[:2])


def _borrowed_privates(root: Path) -> list[str]:
    found = []
    for path in sorted(root.glob("*/**/*.py")):
        relative = path.relative_to(root).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        if relative.parts[0] not in ("core", "plugins"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in ("core", "plugins"):
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and _feature_of(node.module) != _feature_of(module):
                        found.append(f"{module}: from {node.module} import {alias.name}")
    return found


def test_no_feature_imports_another_features_private_names():
    assert _borrowed_privates(ROOT) == []


def test_the_private_name_check_sees_a_borrowed_private(tmp_path):
    (tmp_path / "core" / "notices").mkdir(parents=True)
    (tmp_path / "core" / "notices" / "service.py").write_text(
        "from core.topics.service import _snapshot, actor_name\nfrom core.notices.jobs import _own\n")
    assert _borrowed_privates(tmp_path) == ["core.notices.service: from core.topics.service import _snapshot"]
