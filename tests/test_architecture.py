"""The module map holds: imports flow one way, no module imports the CLI, no import cycle.

Every ``import`` counts, including those inside functions and under ``TYPE_CHECKING``: a
lazy import still ties two modules together. docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scanner", "signatures", "reports")
# lowest first: a module may import its own layer's package and any lower layer, never a higher one
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model", ("scanner.model", "scanner.diff_model", "scanner.errors", "scanner.serial", "scanner.atomic",
               "scanner.memory", "scanner.codecache",
               "scanner.version")),
    ("knowledge base", ("signatures",)),
    ("input", ("scanner.input",)),
    ("dex", ("scanner.dex",)),
    ("android", ("scanner.android",)),
    ("analysis", ("scanner.analysis", "scanner.privacy_policy")),
    ("reports", ("reports",)),
    ("gate", ("scanner.gate",)),
    ("fetch", ("scanner.fetch",)),
    ("batch", ("scanner.batch",)),
    ("cli", ("scanner.cli",)),
)
FACADES = {"scanner", "scanner.__main__"}  # the public API and ``python -m scanner``: entry points, not layers
MAX_TOP_LEVEL_MODULES = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (``from a import b`` counts as a.b when b is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known}
    found.discard(name)
    return found


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index): the most specific prefix decides
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return best[1] if best else None


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in all_modules() if m not in FACADES and layer_of(m) is None]
    assert not unplaced, f"modules outside every layer (add them to LAYERS and docs/architecture.md): {unplaced}"


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    """Every import that goes up the layers, leaves its module without a layer, or goes through a facade."""
    found = []
    for name, targets in sorted(edges.items()):
        if name in FACADES:
            continue
        mine = layer_of(name)
        if mine is None:
            found.append(f"{name} is in no layer")
            continue
        for target in sorted(targets):
            theirs = layer_of(target)
            if target in FACADES:
                found.append(f"{name} -> {target} (import the defining module, not the package facade)")
            elif theirs is not None and theirs > mine:
                found.append(f"{name} ({LAYERS[mine][0]}) -> {target} ({LAYERS[theirs][0]})")
    return found


def test_imports_flow_one_way() -> None:
    upward = layer_violations(graph())
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def test_layer_checker_sees_each_kind_of_violation() -> None:
    edges = {"scanner.dex.file": {"scanner.analysis.engine", "scanner.model"}, "scanner.gate.review": {"scanner"},
             "scanner.stray": set(), "scanner.analysis.engine": {"scanner.dex.file", "signatures.model"}}
    assert layer_violations(edges) == [
        "scanner.dex.file (dex) -> scanner.analysis.engine (analysis)",
        "scanner.gate.review -> scanner (import the defining module, not the package facade)",
        "scanner.stray is in no layer",
    ]


def test_nothing_imports_the_cli() -> None:
    offenders = [f"{n} -> {t}" for n, ts in graph().items() for t in ts
                 if t.startswith("scanner.cli") and not n.startswith("scanner.cli") and n not in FACADES]
    assert not offenders


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


@pytest.mark.parametrize("source, expected", [
    ("from scanner.dex import file\n", {"scanner.dex.file"}),
    ("def f():\n    from scanner.cli.main import main\n", {"scanner.cli.main"}),
    ("from . import targets\n", {"scanner.analysis.targets"}),
])
def test_imports_are_read_the_way_python_resolves_them(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source)
    known = {"scanner.dex", "scanner.dex.file", "scanner.cli.main", "scanner.analysis", "scanner.analysis.targets"}
    assert imports_of("scanner.analysis.probe", path, known) == expected


def test_top_level_of_scanner_stays_small() -> None:
    modules = sorted(p.name for p in (ROOT / "scanner").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_docs_name_every_package() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = {m for m in all_modules() if (ROOT / m.replace(".", "/") / "__init__.py").is_file()}
    missing = [p for p in sorted(packages) if f"`{p.replace('.', '/')}/`" not in doc]
    assert not missing, f"docs/architecture.md does not describe {missing}"


def private_imports(path: Path) -> list[str]:
    """``from other_module import _name``: another module's private name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


def test_no_module_imports_private_names() -> None:
    found = {name: bad for name, path in all_modules().items() if (bad := private_imports(path))}
    assert not found, f"private names imported across modules: {found}"


def test_private_import_finder(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text("from a.b import _hidden, public\nfrom c import __version__\n")
    assert private_imports(path) == ["a.b._hidden"]


def test_code_cites_only_files_in_the_repository() -> None:
    """A reader of the code must be able to open what it cites: no documents kept outside the repository."""
    outside = ("DESIGN.md", "../shared", "shared/reference")
    cited = [f"{name}: {word}" for name, path in all_modules().items()
             for word in outside if word in path.read_text(encoding="utf-8")]
    assert not cited
