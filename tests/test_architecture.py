"""The package's layers, read from the source: production code never reaches into the synthetic world or the
reference implementations, and no two modules import each other (directly or round a longer circle)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PRODUCTION = ("ingest", "validation", "indicators", "alerts", "pipeline", "orchestration", "dashboard")
# the CLI's `generate` and `demo` are the only doors from the product into the synthetic world
SYNTHETIC_DOORS = {"csc_monitor.cli", "csc_monitor.demo"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside a function, resolved to absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _is_production(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "csc_monitor" and len(parts) > 1 and parts[1] in PRODUCTION


def test_production_modules_import_nothing_synthetic_or_reference():
    graph = _graph()
    assert any(_is_production(m) for m in graph)
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items() if _is_production(module)
        for target in targets if target.startswith(("csc_monitor.synthetic", "csc_reference"))
    )
    assert offending == []


def test_only_the_cli_and_demo_open_the_synthetic_world():
    graph = _graph()
    doors = {m for m, targets in graph.items()
             if m.startswith("csc_monitor") and not m.startswith("csc_monitor.synthetic")
             and any(t.startswith("csc_monitor.synthetic") for t in targets)}
    assert doors == SYNTHETIC_DOORS


def test_no_import_circles():
    graph = {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in _graph().items()}  # a package's own __init__ is not a circle
    circles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
