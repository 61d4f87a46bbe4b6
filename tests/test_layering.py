"""The layers of ``src/steward`` (docs/architecture.md), checked on every import statement.

Each module's imports are read with :mod:`ast` — at module level, inside functions and under
``if TYPE_CHECKING:`` alike, since a deferred import is still a dependency — and three
rules are checked:

1. no package imports one of a higher layer;
2. ``steward.cli`` and ``steward.server.routers`` import neither ``steward.store`` nor
   SQLAlchemy (they call :mod:`steward.app`), and outside ``store/`` SQLAlchemy is imported
   only for type annotations (``store/`` is the home of SQL);
3. no import cycle joins two top-level packages.

The allow-lists below named the exact (file, imported module) pairs that still broke a rule
while they were being moved; both are empty now and are never to be extended. A pair that no
longer occurs fails the test too, so a fixed one is removed from its list.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "steward"

#: Each top-level package or module of ``steward`` and its layer: a name may import its own
#: layer or lower ones. Floor 1 first; entry points last.
LAYERS: dict[str, int] = {
    # floor 1: what everything may use
    "errors": 0,
    "validation": 0,
    "cache": 0,
    "settings": 0,
    "text": 0,
    # the policy and what it decides
    "policy": 1,
    "rules": 2,
    "assessment": 2,
    "models": 3,
    "anonymize": 3,
    "detectors": 4,
    "guard": 5,
    # the one home of SQL
    "store": 6,
    # the bounded queue + batch thread behind the audit and review writers (the store says which
    # database errors are a refusal)
    "background": 6,
    # the domain packages (peers; the cycle rule keeps them apart)
    "audit": 7,
    "evaluate": 7,
    "explain": 7,
    "fairness": 7,
    "datascan": 7,
    "redteam": 7,
    "govern": 7,
    "review": 7,
    "monitor": 7,
    "provenance": 7,
    "proxy": 7,
    # the application core
    "app": 8,
    # entry points
    "server": 9,
    "console": 10,
    "cli": 11,
    # the served application: the API (server) with the console mounted, composed above both
    "asgi": 11,
}

#: Upward imports still to remove, as (file under src/, imported module): none now (an
#: assessment names its vault by the protocol assessment.Vault, and steward.asgi mounts the
#: console on the server's API); it stays empty.
UPWARD_ALLOWED: frozenset[tuple[str, str]] = frozenset()

#: Modules outside store/ that still run SQL themselves: none now (audit search's queries are in
#: store/audit_search.py, the governance register's in store/governance.py); it stays empty.
SQL_OUTSIDE_STORE_ALLOWED: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module, where it is imported, and whether only for type annotations."""

    file: str
    module: str
    line: int
    type_only: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative / "__init__.py").is_file()


def _type_only_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def imports_of(path: Path) -> Iterator[Import]:
    """Every module ``path`` imports (``from a import b`` is ``a.b`` when ``b`` is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    type_only = _type_only_nodes(tree)
    file = str(path.relative_to(SRC))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, alias.name, node.lineno, id(node) in type_only)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                target = full if _is_module(full) else module
                yield Import(file, target, node.lineno, id(node) in type_only)


def _top(module: str) -> str | None:
    """The top-level package of a ``steward`` module; None for others and the root facade."""
    parts = module.split(".")
    return parts[1] if parts[0] == "steward" and len(parts) > 1 else None


ALL_IMPORTS = [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports_of(path)]


def _upward(imports: list[Import]) -> set[tuple[str, str]]:
    found = set()
    for imp in imports:
        source, target = _top(_module_name(SRC / imp.file)), _top(imp.module)
        if source is not None and target is not None and LAYERS[target] > LAYERS[source]:
            found.add((imp.file, imp.module))
    return found


def _store_from_entry_points(imports: list[Import]) -> set[tuple[str, str]]:
    return {
        (imp.file, imp.module)
        for imp in imports
        if imp.file.startswith(("steward/cli/", "steward/server/routers/"))
        and (imp.module.startswith("steward.store") or imp.module.split(".")[0] == "sqlalchemy")
    }


def _sql_outside_store(imports: list[Import]) -> set[str]:
    return {
        imp.file
        for imp in imports
        if imp.module.split(".")[0] == "sqlalchemy"
        and not imp.type_only
        and not imp.file.startswith("steward/store/")
    }


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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
            visit(node)
    return found


def package_graph(imports: list[Import], allowed: frozenset[tuple[str, str]]) -> dict[str, set[str]]:
    """Which top-level package imports which, leaving out the allowed upward imports."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if (imp.file, imp.module) in allowed:
            continue
        source, target = _top(_module_name(SRC / imp.file)), _top(imp.module)
        if source is not None and target is not None and source != target:
            edges[source].add(target)
    return edges


def test_every_package_has_a_layer() -> None:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert sorted(names - LAYERS.keys()) == [], "give each new package a layer in LAYERS"


def test_no_package_imports_a_higher_layer() -> None:
    found = _upward(ALL_IMPORTS)
    assert sorted(found - UPWARD_ALLOWED) == [], "an import reaches up a layer (docs/architecture.md)"
    assert sorted(UPWARD_ALLOWED - found) == [], "fixed: remove these from UPWARD_ALLOWED"


def test_cli_and_routers_reach_storage_only_through_the_app() -> None:
    found = _store_from_entry_points(ALL_IMPORTS)
    assert sorted(found) == [], "call steward.app instead of steward.store"


def test_sql_stays_in_the_store() -> None:
    found = _sql_outside_store(ALL_IMPORTS)
    assert sorted(found - SQL_OUTSIDE_STORE_ALLOWED) == [], "put the query in steward.store"
    assert sorted(SQL_OUTSIDE_STORE_ALLOWED - found) == [], (
        "fixed: remove these from SQL_OUTSIDE_STORE_ALLOWED"
    )


def test_no_import_cycle_joins_two_packages() -> None:
    assert _cycles(package_graph(ALL_IMPORTS, UPWARD_ALLOWED)) == []


def test_each_rule_catches_a_planted_violation() -> None:
    """The checks are real: one bad import of each kind, added to the tree's, is caught."""
    planted = [
        Import("steward/server/routers/apply.py", "steward.store.db", 1, False),
        Import("steward/cli/keys.py", "sqlalchemy", 1, False),
        Import("steward/govern/inventory.py", "sqlalchemy.orm", 1, False),
        Import("steward/store/db.py", "steward.server.app", 1, False),
    ]
    imports = ALL_IMPORTS + planted
    assert ("steward/store/db.py", "steward.server.app") in _upward(imports) - UPWARD_ALLOWED
    assert _store_from_entry_points(imports) == {
        ("steward/server/routers/apply.py", "steward.store.db"),
        ("steward/cli/keys.py", "sqlalchemy"),
    }
    assert _sql_outside_store(imports) - SQL_OUTSIDE_STORE_ALLOWED == {
        "steward/cli/keys.py",
        "steward/govern/inventory.py",
    }
    assert any({"server", "store"} <= set(c) for c in _cycles(package_graph(imports, UPWARD_ALLOWED)))
    # A type-only SQLAlchemy import (an annotation) is not SQL.
    assert _sql_outside_store([Import("steward/app/x.py", "sqlalchemy", 1, True)]) == set()


@pytest.mark.parametrize(
    ("edges", "cycles"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}}, []),
    ],
)
def test_the_cycle_finder(edges: dict[str, set[str]], cycles: list[list[str]]) -> None:
    assert _cycles(edges) == cycles


def module_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Which ``steward`` module imports which (type-only imports left out: they run no code)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if imp.type_only or not imp.module.startswith("steward."):
            continue
        source = _module_name(SRC / imp.file)
        if imp.module != source and not source.startswith(imp.module + "."):  # a package's own __init__
            edges[source].add(imp.module)
    return edges


def test_no_import_cycle_among_the_modules_of_the_core_and_its_entry_points() -> None:
    """Inside app/, server/, store/, cli/ and settings: no module cycle (server/auth <-> server/state was one)."""
    ours = ("steward.app", "steward.server", "steward.store", "steward.cli", "steward.settings")
    graph = module_graph(ALL_IMPORTS)
    edges = {
        source: {t for t in targets if t.startswith(ours)}
        for source, targets in graph.items()
        if source.startswith(ours)
    }
    assert _cycles(edges) == []
