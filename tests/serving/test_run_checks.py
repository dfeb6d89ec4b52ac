"""`serving/run.sh` (`make run`) refuses an unsafe configuration on the terminal, in French and
English, before it starts supervisord: not a traceback in var/log while it seems to run.

run.sh is run for real, in a copy of the project whose scripts/ is copied (so its var/ is the
copy's) and whose .venv's `supervisord` only notes that it was started."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

STRONG = "kq3VbZ8wN1xP5tR7yL2mC9dF4hJ6sA0e"


def _venv_with_a_stub_supervisord(root: Path, started: Path) -> None:
    real, venv = ROOT / ".venv", root / ".venv"
    (venv / "bin").mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name != "bin":
            (venv / entry.name).symlink_to(entry)
    for entry in (real / "bin").iterdir():
        if entry.name != "supervisord":
            (venv / "bin" / entry.name).symlink_to(entry)
    stub = venv / "bin" / "supervisord"
    stub.write_text(f"#!/bin/sh\necho started > {started}\n")
    stub.chmod(0o700)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "claudia"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("var", ".venv", "serving", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "serving", root / "serving", ignore=shutil.ignore_patterns("__pycache__"))
    _venv_with_a_stub_supervisord(root, tmp_path / "supervisord-started")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return root, data, tmp_path / "supervisord-started"


def run_sh(root: Path, **env) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("CLAUDIA_", "INSEE_", "SIRENE_", "PYTHONPATH"))}
    environ.update(env)
    return subprocess.run(["bash", str(root / "serving" / "run.sh")], env=environ, capture_output=True,
                          text=True, timeout=120)


def _refused(result: subprocess.CompletedProcess, started: Path, *words: str) -> None:
    assert result.returncode != 0
    assert not started.exists(), "supervisord was started anyway"
    assert "Démarrage refusé" in result.stderr and "Start-up refused" in result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_production_with_a_development_secret_is_refused_on_the_terminal(project):
    root, data, started = project
    result = run_sh(root, CLAUDIA_ENV="production", CLAUDIA_JWT_SECRET="dev-secret",
                    CLAUDIA_DB_URL=f"sqlite:///{data / 'claudia.db'}",
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}")
    _refused(result, started, "CLAUDIA_JWT_SECRET")


def test_production_refuses_the_demo_portal_that_make_run_starts(project):
    root, data, started = project
    result = run_sh(root, CLAUDIA_ENV="production", CLAUDIA_JWT_SECRET=STRONG,
                    CLAUDIA_DB_URL=f"sqlite:///{data / 'claudia.db'}",
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}")
    _refused(result, started, "portail de démonstration", "demo portal")


def test_a_database_directory_others_may_write_is_refused_on_the_terminal(project, tmp_path):
    root, data, started = project
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = run_sh(root, CLAUDIA_DB_URL=f"sqlite:///{shared / 'claudia.db'}",
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}")
    _refused(result, started, str(shared), "chmod go-w")


def test_a_sound_configuration_reaches_supervisord(project):
    root, data, started = project
    result = run_sh(root, CLAUDIA_DB_URL=f"sqlite:///{data / 'claudia.db'}",
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}")
    assert result.returncode == 0, result.stderr
    assert started.exists() and not result.stderr.strip()
