"""Databases and var/ are private to the service account, however they were created."""
import os
import stat
import subprocess
import sys

from serving.private_files import make_private
from tests.conftest import DEMO_REGISTRY, ROOT


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_database_created_under_a_loose_umask_is_private(tmp_path):
    """`make demo-data` runs before the run script's umask: its database must be private anyway."""
    database = tmp_path / "var" / "claudia.db"
    env = dict(os.environ, CLAUDIA_DB_URL=f"sqlite:///{database}", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "claudia.admin", "load", str(DEMO_REGISTRY)], cwd=ROOT, env=env,
                   check=True, capture_output=True, umask=0o022, timeout=120)
    assert mode(database) == 0o600 and mode(database.parent) == 0o700


def test_launchers_close_files_left_open_by_older_versions(tmp_path):
    database, endpoints = tmp_path / "tracker.db", tmp_path / "endpoints.yml"
    for path in (database, tmp_path / "tracker.db-wal", endpoints):
        path.write_text("")
        path.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        make_private([f"sqlite:///{database}", "postgresql://u:p@h/db", None], [endpoints])
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(old_umask)
    assert {mode(p) for p in (database, tmp_path / "tracker.db-wal", endpoints)} == {0o600}
    assert mode(ROOT / "var") == 0o700
