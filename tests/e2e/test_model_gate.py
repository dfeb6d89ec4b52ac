"""A candidate trained on data that breaks a story is refused activation without a written reason.

The real web front (`python -m web`) on loopback, with a real SQLite database and the demo
reviewer, trains a candidate from a copy of data/ whose greeting rule was removed (so the story
tests that greet fail), with the real `rasa train`, `rasa test core` and held-out predictions.
No Rasa server is needed: nothing is served with the candidate. Takes about two minutes.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "claudia.tar.gz"
REVIEWER, PASSWORD = "relecteur.leroy", "revue-demo-2026"


@pytest.fixture(autouse=True)
def fresh_registry():
    """This module needs no Rasa server: the e2e stack (and its registry reset) is not started."""
    yield


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broken_data(target: Path) -> Path:
    """data/ with the « saluer » rule removed: the stories that greet no longer pass."""
    shutil.copytree(ROOT / "data", target)
    rules = target / "rules" / "conversation.yml"
    loaded = yaml.safe_load(rules.read_text(encoding="utf-8"))
    loaded["rules"] = [r for r in loaded["rules"] if r.get("rule") != "saluer"]
    rules.write_text(yaml.safe_dump(loaded, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def web_front(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("Aucun modèle entraîné : lancez d'abord `make train`.")
    work = tmp_path_factory.mktemp("garde-fou")
    models = work / "models"
    models.mkdir()
    shutil.copyfile(MODEL, models / "claudia.tar.gz")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_DB_URL=f"sqlite:///{work / 'claudia.db'}",
               CLAUDIA_TRACKER_DB_URL=f"sqlite:///{work / 'tracker.db'}", CLAUDIA_RASA_API_TOKEN="jeton-de-test",
               CLAUDIA_RASA_URL="http://127.0.0.1:9", CLAUDIA_WEB_PORT=str(port),
               CLAUDIA_MODELS_DIR=str(models), CLAUDIA_ACTIVE_MODEL=str(models / "claudia.tar.gz"),
               CLAUDIA_MODEL_WORK_DIR=str(work / "entrainements"),
               CLAUDIA_TRAINING_DATA_DIR=str(broken_data(work / "data")),
               CLAUDIA_CORRECTIONS_FILE=str(work / "corrections.yml"),
               CLAUDIA_REVIEW_STORIES_FILE=str(work / "test_revues.yml"),
               CLAUDIA_DATA_REPO=str(work / "data-repo"), CLAUDIA_METRICS_DIR=str(work / "metrics"),
               TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    subprocess.run([sys.executable, "-m", "claudia.admin", "operators", str(ROOT / "demo" / "operators.yml")],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    log = (work / "web.log").open("a")
    process = subprocess.Popen([sys.executable, "-m", "web"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/console"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/login", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def reviewer(web_front):
    http = requests.Session()
    http.get(f"{web_front}/login", timeout=10)
    http.post(f"{web_front}/login", timeout=10, data={"login": REVIEWER, "password": PASSWORD,
                                                      "csrf": http.cookies.get("claudia_login_csrf")})
    page = http.get(f"{web_front}/revue/modeles", timeout=30).text
    http.csrf = page.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]
    return http


def active_model(http, base) -> int:
    page = http.get(f"{base}/revue/modeles", timeout=30).text
    return int(re.search(r"Modèle n° (\d+) \(", page.split('id="actif"', 1)[1]).group(1))


def training(http, base):
    return http.get(f"{base}/revue/modeles/progression.json", timeout=30).json()["training"]


def running_commands(word: str):
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if word in text:
            found.append(text)
    return found


def test_a_training_can_be_cancelled_and_its_processes_stop(web_front, reviewer):
    reviewer.post(f"{web_front}/revue/modeles/entrainer", data={"csrf": reviewer.csrf}, timeout=30)
    started = training(reviewer, web_front)
    assert started and started["progress"] >= 1
    # a second training is refused while one runs
    again = reviewer.post(f"{web_front}/revue/modeles/entrainer", data={"csrf": reviewer.csrf}, timeout=30)
    assert "déjà en cours" in again.text
    deadline = time.monotonic() + 120
    while not running_commands(started["name"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running_commands(started["name"])  # rasa train runs on the copy of the data
    cancelled = reviewer.post(f"{web_front}/revue/modeles/{started['id']}/annuler", data={"csrf": reviewer.csrf},
                              timeout=30)
    assert "Annulation demandée" in cancelled.text
    deadline = time.monotonic() + 60
    while training(reviewer, web_front) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert training(reviewer, web_front) is None
    assert running_commands(started["name"]) == []
    page = reviewer.get(f"{web_front}/revue/modeles", timeout=30).text
    assert re.search(rf'<tr id="modele-{started["id"]}">.*?annulé', page, re.S)


def test_a_candidate_breaking_a_story_needs_a_written_reason(web_front, reviewer):
    initial = active_model(reviewer, web_front)
    reviewer.post(f"{web_front}/revue/modeles/entrainer", data={"csrf": reviewer.csrf}, timeout=30)
    deadline = time.monotonic() + 900
    while training(reviewer, web_front) is not None and time.monotonic() < deadline:
        time.sleep(2)
    page = reviewer.get(f"{web_front}/revue/modeles", timeout=30).text
    candidate = int(re.search(r'<tr id="modele-(\d+)">', page).group(1))
    assert candidate != initial
    judged = reviewer.get(f"{web_front}/revue/modeles/{candidate}", timeout=30).text
    assert "histoire(s) en échec" in judged, judged[:3000]
    assert "une salutation, puis une question hors périmètre" in judged  # the broken story is named
    assert 'id="bloquants"' in judged

    # without a reason: refused, and the active model stays
    refused = reviewer.post(f"{web_front}/revue/modeles/{candidate}/activer", timeout=30,
                            data={"csrf": reviewer.csrf, "raison": "   "})
    assert "Activation refusée" in refused.text
    assert active_model(reviewer, web_front) == initial
    # with one: activated, and the reason kept with the activation
    reason = "Essai de la règle de salutation retirée, en connaissance de cause."
    done = reviewer.post(f"{web_front}/revue/modeles/{candidate}/activer", timeout=30,
                         data={"csrf": reviewer.csrf, "raison": reason})
    assert "activé" in done.text
    assert active_model(reviewer, web_front) == candidate
    assert reason in reviewer.get(f"{web_front}/revue/modeles", timeout=30).text
