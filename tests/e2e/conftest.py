import json
import os
import subprocess
import sys

import pytest

from tests.e2e.stack import ROOT, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("e2e")).start()
    yield running
    running.stop()


@pytest.fixture
def admin(stack):
    """Runs `python -m claudia.admin` against the stack's registry."""

    def run(*args):
        result = subprocess.run([sys.executable, "-m", "claudia.admin", *args], cwd=ROOT,
                                env=stack.env, capture_output=True, text=True, check=True)
        return result.stdout

    return run


@pytest.fixture
def structure(admin):
    return lambda siret: json.loads(admin("show", siret))


@pytest.fixture
def journal(admin):
    def entries(conversation_id):
        out = admin("journal", "--conversation", conversation_id)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    return entries


@pytest.fixture(autouse=True)
def fresh_registry(admin):
    """Each test starts from the demo registry (conversations use their own ids)."""
    admin("load", os.path.join(ROOT, "demo", "registry.yml"))
