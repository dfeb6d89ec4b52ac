"""Several Rasa servers, each with two worker processes, all switch to the activated model and
back (issue #24: « with several servers all switch »), and a conversation in progress goes on.

Two Rasa servers share the stack's database, tracker store and lock directory, as
`make run-scaled` servers share theirs. A candidate is trained here with `rasa train` from the
project's data plus three corrections (the same as tests/e2e/test_models_browser.py, so Rasa's
cache often serves it), then activated and rolled back through the review's service
(web/model_service.py, what « Activer » does). Every worker must report the new model and both
servers must answer with it.
"""
import os
import shutil
import subprocess
import sys
import threading
import uuid

import pytest
import requests

from claudia.db import Database
from claudia.file_digest import file_sha256
from claudia.model_registry import ModelRegistry
from tests.e2e.stack import MODEL, ROOT, Chat, Stack, free_port, wait_for
from web.model_service import ModelService
from web.model_settings import ModelSettings

WORD = "zorglub krampouz"
PREREQUISITES = "gestionnaire de niveau structure"
CORRECTIONS = """version: "3.1"
nlu:
- intent: demander_prerequis
  examples: |
    - zorglub krampouz
    - le zorglub krampouz svp
    - zorglub krampouz c'est quoi
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("deux-serveurs")
    models = work / "models"
    (models / "candidates").mkdir(parents=True)
    shutil.copyfile(MODEL, models / "claudia.tar.gz")
    running = Stack(work, extra_env={"CLAUDIA_MODELS_DIR": str(models),
                                     "CLAUDIA_ACTIVE_MODEL": str(models / "claudia.tar.gz"),
                                     "CLAUDIA_MODEL_POLL_SECONDS": "1", "CLAUDIA_RASA_WORKERS": "2"}).start()
    # a second Rasa server beside the first, on the same stores
    _, command = running.named["rasa"]
    running.second_port = free_port()
    second = list(command)
    second[second.index("--port") + 1] = str(running.second_port)
    running._spawn("rasa-2", second)
    running._wait_until_ready()
    yield running
    running.stop()


def candidate(work):
    data = work / "donnees"
    shutil.copytree(ROOT / "data", data)
    (data / "nlu" / "corrections.yml").write_text(CORRECTIONS, encoding="utf-8")
    out = work / "models" / "candidates"
    subprocess.run([sys.executable, "-m", "rasa", "train", "--config", str(ROOT / "config.yml"), "--domain",
                    str(ROOT / "domain.yml"), "--data", str(data), "--out", str(out),
                    "--fixed-model-name", "deux-serveurs"], cwd=ROOT, check=True, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2"))
    return out / "deux-serveurs.tar.gz"


def answer(stack, port, text=WORD):
    """A new conversation's answer to `text`, from the Rasa server on `port`."""
    response = requests.post(f"http://127.0.0.1:{port}/webhooks/connected/webhook", timeout=60,
                             json={"sender": f"serveurs-{uuid.uuid4().hex[:8]}", "message": text},
                             headers={"Authorization": f"Bearer {stack.token('marie.dupont')}"})
    assert response.status_code == 200
    return "\n".join(reply.get("text") or "" for reply in response.json())


def two_turns(stack, port) -> bool:
    """A procedure's first two steps (a form, its requested slot, a registry read) on one server."""
    sender = f"pendant-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {stack.token('marie.dupont')}"}
    url = f"http://127.0.0.1:{port}/webhooks/connected/webhook"
    said = []
    for text in ("je veux activer ma structure publique", "219 300 019 00011"):
        response = requests.post(url, json={"sender": sender, "message": text}, headers=headers, timeout=60)
        said.append(" ".join(r.get("text") or "" for r in response.json()) if response.status_code == 200 else "")
    return "SIRET" in said[0] and "Mairie de Valmont" in said[1]


def conversations_during(stack, ports, until: threading.Event, results: list) -> None:
    while not until.is_set():
        for port in ports:
            results.append(two_turns(stack, port))


def test_every_worker_of_every_server_switches_and_back(stack):
    service = ModelService(ModelRegistry(Database(stack.env["CLAUDIA_DB_URL"])),
                           ModelSettings.from_environment(stack.env))
    service.ensure_initial()
    initial = service.registry.active()["id"]
    path = candidate(stack.workdir)
    new = service.registry.register("deux-serveurs", str(path), file_sha256(path), "relecteur.leroy")
    ports = [stack.rasa_port, stack.second_port]

    def everyone_on(model_id):
        workers = service.registry.workers(seen_within=5)
        return len(workers) == 4 and all(w["model_id"] == model_id for w in workers)

    wait_for(lambda: everyone_on(initial), timeout=60)
    assert all(PREREQUISITES not in answer(stack, port) for port in ports)
    ongoing = Chat(stack, f"en-cours-{uuid.uuid4().hex[:6]}", "marie.dupont")
    ongoing.say("je veux activer ma structure publique")

    # conversations keep going on both servers while every worker loads the model and swaps it
    done, results = threading.Event(), []
    talkers = [threading.Thread(target=conversations_during, args=(stack, ports, done, results)) for _ in range(3)]
    for talker in talkers:
        talker.start()
    service.activate(new, "relecteur.leroy", "essai sur deux serveurs")
    try:
        wait_for(lambda: everyone_on(new), timeout=90)
    finally:
        done.set()
        for talker in talkers:
            talker.join()
    assert len(results) >= 6 and all(results), results
    for port in ports * 3:  # several conversations per server: both workers of each
        assert PREREQUISITES in answer(stack, port)
    ongoing.say("219 300 019 00011")
    assert "Mairie de Valmont" in ongoing.text
    assert file_sha256(stack.workdir / "models" / "claudia.tar.gz") == file_sha256(path)  # what a restart loads

    service.activate(initial, "relecteur.leroy", "retour")
    wait_for(lambda: everyone_on(initial), timeout=90)
    for port in ports * 3:
        assert PREREQUISITES not in answer(stack, port)
