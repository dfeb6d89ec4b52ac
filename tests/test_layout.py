"""The tree shows the architecture: imports go one way, outer layers → core.

- `claudia/` (the core) imports none of Rasa, the SDK, the web frameworks, nor
  any outer package;
- only `actions/` itself imports `actions` (Rasa loads it; nothing else may);
- `web/` and `channels/` do not import each other;
- `rasa_extensions/` (Rasa's runtime extended: tracker store, lock store, speed fixes) knows
  nothing of the channel, the web, the serving layer nor the actions; `channels/` (the input
  channel and what it serves) does not import the serving layer;
- `serving/` (launchers, workers, supervisor, proxy) is the outermost layer: nothing imports
  it but itself, the benchmark and the tests; `scripts/` holds tools run by hand;
- the modules of a package do not import one another in a circle (the console's
  parts stand side by side on what they share, web/console_shared.py);
- modules stay small enough to read in one go.
"""
import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["claudia", "actions", "channels", "components", "web", "rasa_extensions", "serving", "scripts", "bench"]
CORE_FORBIDDEN = {"rasa", "rasa_sdk", "aiohttp", "aiohttp_jinja2", "sanic", "actions", "channels", "web", "scripts",
                  "serving", "rasa_extensions"}
MAX_LINES = 300


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported_roots(path: Path) -> Set[Tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def violations(package: str, forbidden: Set[str]):
    return [f"{path.relative_to(ROOT)}:{line} imports {name}"
            for path in modules(package)
            for name, line in sorted(imported_roots(path)) if name in forbidden]


def test_core_knows_nothing_of_rasa_or_the_web():
    assert violations("claudia", CORE_FORBIDDEN) == []


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "actions"])
def test_nothing_but_rasa_imports_actions(package):
    assert violations(package, {"actions"}) == []


def test_web_and_channels_are_independent():
    assert violations("web", {"channels"}) == []
    assert violations("channels", {"web"}) == []


def test_rasa_extensions_stand_under_the_channel():
    assert violations("rasa_extensions", {"channels", "web", "serving", "scripts", "actions"}) == []
    assert violations("channels", {"serving", "scripts"}) == []


@pytest.mark.parametrize("package", ["claudia", "actions", "channels", "components", "web", "rasa_extensions",
                                     "scripts"])
def test_only_the_outermost_layer_imports_the_serving_layer(package):
    assert violations(package, {"serving"}) == []


@pytest.mark.parametrize("package", ["claudia", "actions", "channels", "components", "web", "rasa_extensions",
                                     "serving"])
def test_modules_are_small(package):
    too_long = [f"{path.relative_to(ROOT)}: {n} lines" for path in modules(package)
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert too_long == []


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def import_graph(package: str) -> Dict[str, Set[str]]:
    """For each module of `package`, the modules of `package` it imports (anywhere in it,
    functions included: an import moved into a function is still a dependency)."""
    graph = {}
    for path in modules(package):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith(package + "."))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == package:
                found.update(f"{package}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package + "."):
                found.add(node.module)
        graph[module_name(path)] = found
    return graph


def import_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Each circle of imports found, as the modules along it (the first one repeated at the end)."""
    cycles, state = [], {}

    def visit(module: str, path: List[str]) -> None:
        state[module] = "on the path"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "on the path":
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in state:
                visit(imported, path + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_do_not_import_one_another_in_a_circle(package):
    assert import_cycles(import_graph(package)) == []


def test_the_tables_stand_side_by_side_on_their_base():
    """claudia.models and claudia.review_models used to import each other (issue #24): both take
    the declarative base from claudia.table_base, which imports neither; claudia.db imports all three."""
    graph = import_graph("claudia")
    assert "claudia.review_models" not in graph["claudia.models"]
    assert "claudia.models" not in graph["claudia.review_models"]
    assert graph["claudia.table_base"] == set()
    assert {"claudia.models", "claudia.review_models", "claudia.table_base"} <= graph["claudia.db"]


def test_the_check_itself_sees_a_circle():
    assert import_cycles({"web.a": {"web.b"}, "web.b": {"web.c"}, "web.c": {"web.a"}, "web.d": {"web.a"}}) == [
        ["web.a", "web.b", "web.c", "web.a"]]
    assert import_cycles({"web.a": {"web.b"}, "web.b": set(), "web.c": {"web.a", "web.b"}}) == []


def test_the_check_itself_sees_a_forbidden_import(tmp_path):
    """A layout test that could not fail would prove nothing."""
    sample = tmp_path / "bad.py"
    sample.write_text("import rasa_sdk\nfrom actions.context import x\nfrom .local import y\n")
    assert imported_roots(sample) == {("rasa_sdk", 1), ("actions", 2)}
