"""The tree shows the architecture: imports go one way, outer layers → core.

- `claudia/` (the core) imports none of Rasa, the SDK, the web frameworks, nor
  any outer package;
- only `actions/` itself imports `actions` (Rasa loads it; nothing else may);
- `web/` and `channels/` do not import each other;
- modules stay small enough to read in one go.
"""
import ast
from pathlib import Path
from typing import Iterator, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["claudia", "actions", "channels", "components", "web", "scripts", "bench"]
CORE_FORBIDDEN = {"rasa", "rasa_sdk", "aiohttp", "aiohttp_jinja2", "sanic", "actions", "channels", "web", "scripts"}
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


@pytest.mark.parametrize("package", ["claudia", "actions", "channels", "components", "web"])
def test_modules_are_small(package):
    too_long = [f"{path.relative_to(ROOT)}: {n} lines" for path in modules(package)
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert too_long == []


def test_the_check_itself_sees_a_forbidden_import(tmp_path):
    """A layout test that could not fail would prove nothing."""
    sample = tmp_path / "bad.py"
    sample.write_text("import rasa_sdk\nfrom actions.context import x\nfrom .local import y\n")
    assert imported_roots(sample) == {("rasa_sdk", 1), ("actions", 2)}
