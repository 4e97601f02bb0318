"""The library keeps the shape docs/architecture.md describes.

One noun per module and no module that reaches back into the facade: these tests
read the source (imports, classes, sizes) and fail when a change breaks the rule,
naming the module that does.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import dpo_workbench

PACKAGE = Path(dpo_workbench.__file__).resolve().parent
ROOT = PACKAGE.parent
#: Modules that may exceed the size limit: the demo generator's data tables.
DATA_TABLES = {"dpo_workbench.demo.names"}
MAX_LINES = 450
#: The faces: they may use the Workbench; no step may.
FACES = ("dpo_workbench", "dpo_workbench.workbench", "dpo_workbench.cli", "dpo_workbench.ui",
         "dpo_workbench.serve")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _is_package(name: str) -> bool:
    return (ROOT / Path(*name.split(".")) / "__init__.py").is_file()


def _resolve(module: str, level: int, target: str | None) -> str:
    base = module.split(".")
    if level:
        base = base[:len(base) - level + (1 if _is_package(module) else 0)]
    return ".".join([*base, *([target] if target else [])])


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path) -> set[str]:
    """Library modules ``module`` imports when it runs (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
               for n in ast.walk(node)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, node.level, node.module)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if _is_package(sub) or (ROOT / f"{sub.replace('.', '/')}.py").is_file()
                        else target)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    # Importing a submodule runs its packages' __init__ first.
    for name in list(out):
        parts = name.split(".")
        out |= {".".join(parts[:i]) for i in range(1, len(parts))}
    ancestors = {".".join(module.split(".")[:i]) for i in range(1, len(module.split(".")) + 1)}
    return {m for m in out if m.startswith("dpo_workbench") and m not in ancestors}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_among_the_librarys_modules():
    graph = {name: _imports(name, path) for name, path in _modules()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_step_imports_the_workbench_facade():
    offenders = [name for name, path in _modules()
                 if not name.startswith(FACES[2:]) and name not in FACES[:2]
                 and "dpo_workbench.workbench" in _imports(name, path)]
    assert offenders == []


def test_no_step_takes_an_untyped_workbench():
    """A step takes an Installation (or the pieces it needs), never ``wb: Any``."""
    offenders = []
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                    if arg.arg in ("wb", "workbench", "inst", "installation") and \
                            annotation in ("", "Any", "object"):
                        offenders.append(f"{name}.{node.name}({arg.arg})")
    assert offenders == []


def test_every_exception_class_lives_in_errors():
    offenders = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="dpo_workbench."):
        module = importlib.import_module(info.name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, BaseException) \
                    and info.name != "dpo_workbench.errors":
                offenders.append(f"{info.name}.{cls_name}")
    assert offenders == []


def test_no_module_is_over_the_size_limit():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in _modules() if name not in DATA_TABLES}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_the_public_api_lists_what_it_exports():
    exported = set(dpo_workbench.__all__)
    assert exported == set(dpo_workbench._PUBLIC)
    for name in exported:
        assert getattr(dpo_workbench, name) is not None, name
