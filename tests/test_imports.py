"""The integration's modules import each other without a cycle; providers/ knows no Home Assistant.

The modules are parsed with ``ast``, never imported. Imports inside ``if
TYPE_CHECKING:`` are left out: they never run, so they cannot make a cycle at
import time (and are how a type may name a module that imports this one).
"""

import ast
from pathlib import Path

PACKAGE = "custom_components.sms_gateway"
ROOT = Path(__file__).parent.parent / "custom_components" / "sms_gateway"


def module_name(path: Path) -> str:
    """Return the dotted name of a module file (a package is its __init__)."""
    parts = path.relative_to(ROOT.parent.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    """Return whether an ``if`` test is ``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Return the import statements of a module, except those under ``if TYPE_CHECKING``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def resolve(name: str) -> str | None:
    """Return the module of ours a dotted name stands for (a module, or a name in one)."""
    while name.startswith(PACKAGE):
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imported_names(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Return the absolute dotted modules an import statement runs in ``module``.

    ``from a import b`` is module a.b when b is a submodule, otherwise module a
    (a name defined in it).
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")
        if MODULES[module].name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    names = [f"{source}.{alias.name}" for alias in node.names]
    return [name if name in MODULES else source for name in names]


def dependencies(module: str) -> dict[str, set[str]]:
    """Return the modules of ours that a module imports at run time, with the names read."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for node in runtime_imports(tree):
        for name in imported_names(module, node):
            target = resolve(name)
            if target is not None and target != module:
                found.setdefault(target, set()).add(name)
    return found


def graph() -> dict[str, set[str]]:
    """Return each module's intra-package imports.

    ``from .outbox import Outbox`` depends on outbox/__init__; ``from .outbox import
    core`` on outbox/core too (and on outbox/__init__, which Python runs first).
    """
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        targets = set(dependencies(module))
        # Importing a.b.c runs a/__init__ and a/b/__init__ first.
        for target in list(targets):
            parent = target.rpartition(".")[0]
            while parent.startswith(PACKAGE) and parent != module:
                if not module.startswith(parent + "."):  # our own parents are already running
                    targets.add(parent)
                parent = parent.rpartition(".")[0]
        edges[module] = targets - {module}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the import cycles: each strongly connected component with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def describe(component: list[str], edges: dict[str, set[str]]) -> str:
    """Return a cycle's modules and the imports between them."""
    members = set(component)
    lines = [" <-> ".join(m.removeprefix(PACKAGE + ".") for m in component)]
    lines += [
        f"  {module} imports {target}"
        for module in component
        for target in sorted(edges[module] & members)
    ]
    return "\n".join(lines)


def test_finds_every_module() -> None:
    assert f"{PACKAGE}.providers.base" in MODULES
    assert f"{PACKAGE}.outbox.core" in MODULES
    assert PACKAGE in MODULES  # __init__.py


def test_relative_imports_resolve() -> None:
    """``from .x import`` in a module and in a package's __init__; ``from ..x``."""
    init = ast.parse("from .const import DOMAIN\nfrom . import outbox\n")
    assert [imported_names(PACKAGE, n) for n in runtime_imports(init)] == [
        [f"{PACKAGE}.const"],
        [f"{PACKAGE}.outbox"],
    ]
    core = ast.parse("from ..errors import X\nfrom . import build\nfrom .build import y, z\n")
    assert [imported_names(f"{PACKAGE}.outbox.core", n) for n in runtime_imports(core)] == [
        [f"{PACKAGE}.errors"],
        [f"{PACKAGE}.outbox.build"],
        [f"{PACKAGE}.outbox.build", f"{PACKAGE}.outbox.build"],
    ]


def test_type_checking_imports_are_left_out() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .runtime import Runtime\nelse:\n    from .const import X\n"
    )
    names = [n.module for n in runtime_imports(tree) if isinstance(n, ast.ImportFrom)]
    assert names == ["typing", "const"]


def test_cycles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(c, edges) for c in found)


def test_providers_import_nothing_from_home_assistant() -> None:
    """providers/ is a plain client library: no homeassistant, at run time or for typing."""
    offending = []
    for module, path in MODULES.items():
        if not module.startswith(f"{PACKAGE}.providers"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offending += [
                f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                for name in names
                if name == "homeassistant" or name.startswith("homeassistant.")
            ]
    assert not offending, "providers/ imports Home Assistant:\n" + "\n".join(offending)
    # Nor through a module of ours outside providers/ (they all use Home Assistant).
    providers = f"{PACKAGE}.providers"
    outside = {
        module: sorted(t for t in targets if not (t == providers or t.startswith(providers + ".")))
        for module, targets in graph().items()
        if module == providers or module.startswith(providers + ".")
    }
    assert not any(outside.values()), {m: t for m, t in outside.items() if t}
