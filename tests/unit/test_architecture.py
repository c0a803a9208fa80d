"""The structure the code promises (docs/architecture.md), checked on the source: no import
cycles (function-level imports count too), the domain package never imports the UI or a web
framework, and each room of components/ imports only the rooms below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGES = ("trial", "components", "security")
WEB = ("dash", "dash_bootstrap_components", "dash_ag_grid", "flask", "plotly", "werkzeug")
# room -> rooms of the project it must not import (by module-name prefix)
FORBIDDEN = {
    "trial": ("components", "security", "app", "bench"),
    "security": ("components", "app"),
    "components.figures": (
        "components.views",
        "components.shell",
        "components.export",
        "components.state",
        "components.context",
    ),
    "components.state": (
        "components.views",
        "components.shell",
        "components.export",
        "components.figures",
    ),
    "components.views": ("components.shell",),
    "components.export": ("components.views", "components.shell"),
}
NO_WEB = ("trial",)
NO_DASH = ("components.figures",)


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    files = [ROOT / "app.py"] + [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    if (ROOT / "security.py").exists():
        files.append(ROOT / "security.py")
    return {module_name(p): p for p in files if p.exists()}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules (and external top-level packages) `name` imports anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            # `from pkg import mod`: an import of the submodule when it is one
            out |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = project_modules()
    known = set(mods)
    return {name: imported(name, path, known) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def in_room(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


def test_there_is_no_import_cycle(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_domain_never_imports_a_web_framework(graph):
    bad = {
        m: sorted(i for i in imps if i.split(".")[0] in WEB)
        for m, imps in graph.items()
        if any(in_room(m, r) for r in NO_WEB)
    }
    assert {m: i for m, i in bad.items() if i} == {}


def test_figure_builders_are_pure_plotly(graph):
    bad = {
        m: sorted(i for i in imps if i.split(".")[0] in ("dash", "flask"))
        for m, imps in graph.items()
        if any(in_room(m, r) for r in NO_DASH)
    }
    assert {m: i for m, i in bad.items() if i} == {}


def test_each_room_imports_only_the_rooms_below_it(graph):
    bad = {}
    for module, imps in graph.items():
        for room, forbidden in FORBIDDEN.items():
            if in_room(module, room):
                hits = sorted(i for i in imps for f in forbidden if in_room(i, f))
                if hits:
                    bad[module] = hits
    assert bad == {}


def test_private_dash_internals_are_never_used():
    # Spelled in pieces so that a plain search of the code for these names finds none here.
    pattern = ("dash." + "_", "._callback" + "_list", "GLOBAL" + "_CALLBACK", "._wait" + "_for(")
    hits = [
        f"{p.relative_to(ROOT)}: {needle}"
        for p in ROOT.rglob("*.py")
        if ".git" not in p.parts and p.name != Path(__file__).name
        for needle in pattern
        if needle in p.read_text(encoding="utf-8")
    ]
    assert hits == []
