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


@pytest.mark.parametrize("name", ["prod", "Production2", "staging", "dev"])
def test_unknown_environment_names_are_refused(monkeypatch, name):
    """`CLAUDIA_ENV=prod` used to run silently as development, defaults and all."""
    monkeypatch.setenv("CLAUDIA_ENV", name)
    with pytest.raises(InsecureConfiguration, match="CLAUDIA_ENV"):
        load_settings()


@pytest.mark.parametrize("secret,problem", [
    (DEV_JWT_SECRET + " ", "spaces"),
    (" " + DEV_JWT_SECRET, "spaces"),
    ("X" + DEV_JWT_SECRET.upper() + "X", "development secret"),
    ("a" * 32, "predictable"),
    ("a" * 200, "predictable"),
    ("ab" * 16, "predictable"),
    ("0123456789" * 4, "predictable"),
])
def test_weak_or_padded_secrets_are_refused(monkeypatch, secret, problem):
    with pytest.raises(InsecureConfiguration, match=problem):
        check_production(production(monkeypatch, CLAUDIA_JWT_SECRET=secret, CLAUDIA_DB_URL="postgresql://x"))


def test_random_secrets_are_accepted(monkeypatch):
    import secrets
    for value in (secrets.token_hex(16), secrets.token_urlsafe(32), STRONG):
        check_production(production(monkeypatch, CLAUDIA_JWT_SECRET=value, CLAUDIA_DB_URL="postgresql://x"))


def test_weak_service_tokens_are_refused_in_production(monkeypatch):
    settings = production(monkeypatch, CLAUDIA_JWT_SECRET=STRONG, CLAUDIA_DB_URL="postgresql://x",
                          CLAUDIA_ACTIONS_TOKEN="z" * 40)
    with pytest.raises(InsecureConfiguration, match="CLAUDIA_ACTIONS_TOKEN"):
        check_production(settings)


@pytest.mark.parametrize("launcher", ["serving.serve_rasa", "serving.serve_actions", "web"])
def test_servers_refuse_an_unknown_environment(launcher):
    env = {"CLAUDIA_ENV": "prod", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "CLAUDIA_ACTIONS_TOKEN": "t" * 40, "CLAUDIA_RASA_API_TOKEN": "t" * 40}
    result = subprocess.run([sys.executable, "-m", launcher, "--port", "1"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "CLAUDIA_ENV" in result.stderr
