"""The package's shape: no import cycle anywhere, commands that import only the library."""

from __future__ import annotations

import ast
from pathlib import Path

import octopus_cli

PACKAGE = Path(octopus_cli.__file__).parent
ROOT = PACKAGE.parent
# The folders installed inside the package (pyproject's package-dir).
MAPPED = {"octopus_cli.convert": ROOT / "convert", "octopus_cli.function_sets": ROOT / "functions"}


def _modules() -> dict[str, Path]:
    found = {}
    for base, folder in {"octopus_cli": PACKAGE, **MAPPED}.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((base, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports anywhere, in functions too (not for typing)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in modules and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_import_cycle_among_the_packages_modules() -> None:
    graph = _graph()
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycles.append([*stack[stack.index(node) :], node])
            return
        if node in done:
            return
        for target in sorted(graph[node]):
            visit(target, [*stack, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_command_module_imports_another() -> None:
    graph = _graph()
    commands = {n for n in graph if n.startswith("octopus_cli.commands.")}
    shared = {"octopus_cli.commands", "octopus_cli.commands.options"}
    crossing = {
        (name, target)
        for name in commands - shared
        for target in graph[name]
        if target in commands - shared
    }
    assert not crossing, sorted(crossing)
