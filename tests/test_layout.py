"""The house by concern: gio_core's folders import only the folders below them, no module imports itself back
through others, no engine module grows past ~800 lines, and the UI reaches the engine through the package faces.

Imports are read from the source (every ``import`` and ``from ... import``, inside functions too), not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "gio_core"

#: gio_core's layers, bottom first: a module may import its own layer and the layers before it.
LAYERS = (
    "_version",
    "_validation",
    "io",
    "scale",
    "gio",
    "methods",
    "plots",
    "evaluate",
    "pipeline",
    "cli",
    "spark_submit",
)
#: The only engine modules the app's code may import (the package faces).
FACES = {
    "gio_core",
    "gio_core.io",
    "gio_core.gio",
    "gio_core.scale",
    "gio_core.methods",
    "gio_core.evaluate",
    "gio_core.plots",
    "gio_core.pipeline",
}
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every gio_core module ``path`` imports (a ``from package import name`` counts the submodule when ``name``
    is one)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("gio_core")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("gio_core"):
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                as_file = ROOT.joinpath(*submodule.split("."))
                found.add(submodule if as_file.with_suffix(".py").exists() or as_file.is_dir() else target)
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # gio_core itself: the public face, above everything it re-exports
        return len(LAYERS)
    return LAYERS.index(parts[1])


ENGINE_FILES = sorted(ENGINE.rglob("*.py"))
ENGINE_IMPORTS = {_module_name(path): _imports(path) for path in ENGINE_FILES}


def test_every_engine_module_is_in_a_layer():
    assert all(module == "gio_core" or module.split(".")[1] in LAYERS for module in ENGINE_IMPORTS)


@pytest.mark.parametrize("module", sorted(ENGINE_IMPORTS), ids=sorted(ENGINE_IMPORTS))
def test_imports_run_downwards(module):
    upwards = sorted(
        target for target in ENGINE_IMPORTS[module] if target != "gio_core" and _layer(target) > _layer(module)
    )
    assert not upwards, f"{module} imports {upwards}, which stand above it in {LAYERS}"
    assert "gio_core" not in ENGINE_IMPORTS[module] or module == "gio_core.spark_submit", (
        f"{module} imports the package's face; import the module that defines the name"
    )


def test_no_import_circles():
    graph = {
        module: {target for target in targets if target in ENGINE_IMPORTS} for module, targets in ENGINE_IMPORTS.items()
    }
    # a subpackage's face re-exports its own modules; those edges are the package's, not a circle of modules
    for module in graph:
        graph[module] = {target for target in graph[module] if not target.startswith(module + ".")}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, module, target]))
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("path", ENGINE_FILES, ids=[str(path.relative_to(ROOT)) for path in ENGINE_FILES])
def test_no_engine_module_is_over_800_lines_without_saying_why(path):
    lines = path.read_text().splitlines()
    if len(lines) > MAX_LINES:
        assert "longer than" in " ".join(lines[:15]), f"{path.name} has {len(lines)} lines; split it by concern"


@pytest.mark.parametrize(
    "path",
    sorted([*ROOT.joinpath("ui").glob("*.py"), *ROOT.joinpath("pages").glob("*.py"), ROOT / "app.py"]),
    ids=lambda path: path.name,
)
def test_the_app_reaches_the_engine_through_the_package_faces(path):
    deep = sorted(target for target in _imports(path) if target not in FACES)
    assert not deep, f"{path.name} imports {deep}; use the package faces {sorted(FACES)}"


def test_a_deliberate_upward_import_is_caught(tmp_path, monkeypatch):
    """The check is not vacuous: an io module importing the pipeline is reported."""
    fake = ENGINE / "io" / "_layout_probe.py"
    assert not fake.exists()
    source = "from ..pipeline import SelectionPipeline\n"
    probe = tmp_path / "gio_core" / "io" / "_layout_probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    imports = _imports(probe)
    assert imports == {"gio_core.pipeline"} and _layer("gio_core.pipeline") > _layer("gio_core.io._layout_probe")
