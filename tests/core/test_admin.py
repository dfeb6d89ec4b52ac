"""The admin command, run as a maintainer runs it."""
import json
import os
import subprocess
import sys

from tests.conftest import DEMO_REGISTRY, MAIRIE, ROOT


def admin(env_dir, *args):
    env = dict(os.environ, CLAUDIA_DB_URL=f"sqlite:///{env_dir / 'admin.db'}", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "claudia.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_load_show_journal(tmp_path):
    loaded = admin(tmp_path, "load", str(DEMO_REGISTRY))
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == {"structures": 11, "users": 4, "roles": 14}
    shown = admin(tmp_path, "show", MAIRIE)
    structure = json.loads(shown.stdout)
    assert structure["siret"] == MAIRIE and structure["name"] == "Mairie de Valmont"
    assert structure["kind"] == "public" and structure["status"] == "inactive"
    assert structure["successor_siret"] is None
    assert admin(tmp_path, "journal").stdout == ""
    assert admin(tmp_path, "load", "--if-empty", str(DEMO_REGISTRY)).stdout.startswith('{"skipped"')


def test_show_unknown_and_bad_file(tmp_path):
    admin(tmp_path, "load", str(DEMO_REGISTRY))
    assert admin(tmp_path, "show", "21930002700014").returncode == 1
    bad = tmp_path / "bad.yml"
    bad.write_text("structures:\n  - {siret: '123', name: x}\n", encoding="utf-8")
    result = admin(tmp_path, "load", str(bad))
    assert result.returncode == 2 and "SIRET invalide" in result.stderr
    assert json.loads(admin(tmp_path, "show", MAIRIE).stdout)["siret"] == MAIRIE  # unchanged
