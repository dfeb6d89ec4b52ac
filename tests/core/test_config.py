import subprocess
import sys

import pytest

from claudia.config import DEV_JWT_SECRET, InsecureConfiguration, check_production, load_settings
from tests.conftest import ROOT

STRONG = "a-production-secret-of-more-than-32-characters"


def production(monkeypatch, **env):
    monkeypatch.setenv("CLAUDIA_ENV", "production")
    for key in ("CLAUDIA_JWT_SECRET", "CLAUDIA_DB_URL", "SIRENE_SOURCE", "INSEE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings()


def test_development_defaults_are_fine_in_development(monkeypatch):
    monkeypatch.delenv("CLAUDIA_ENV", raising=False)
    check_production(load_settings())


@pytest.mark.parametrize("env,problem", [
    ({}, "CLAUDIA_JWT_SECRET"),
    ({"CLAUDIA_JWT_SECRET": DEV_JWT_SECRET, "CLAUDIA_DB_URL": "postgresql://x"}, "development secret"),
    ({"CLAUDIA_JWT_SECRET": "short", "CLAUDIA_DB_URL": "postgresql://x"}, "32 characters"),
    ({"CLAUDIA_JWT_SECRET": STRONG}, "CLAUDIA_DB_URL"),
    ({"CLAUDIA_JWT_SECRET": STRONG, "CLAUDIA_DB_URL": "postgresql://x", "SIRENE_SOURCE": "api"}, "INSEE_API_KEY"),
])
def test_production_refuses_development_defaults(monkeypatch, env, problem):
    with pytest.raises(InsecureConfiguration, match=problem):
        check_production(production(monkeypatch, **env))


def test_production_with_real_settings(monkeypatch):
    check_production(production(monkeypatch, CLAUDIA_JWT_SECRET=STRONG, CLAUDIA_DB_URL="postgresql://x"))


def test_action_server_refuses_to_start(tmp_path):
    env = {"CLAUDIA_ENV": "production", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", "import actions"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "production mode refused" in result.stderr
