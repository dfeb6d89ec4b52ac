"""Two Rasa servers and two action servers sharing PostgreSQL (tracker store and
registry) and Redis (lock store), on loopback. Many conversations run at once, each
sending its turns alternately to both servers; every one must complete, no turn may
be processed twice, and the registry and journal must be exactly right.

Needs CLAUDIA_TEST_PG_URL and CLAUDIA_TEST_REDIS_URL (scripts/test_services.sh,
run by `make test`, starts both and writes them to var/test-services.env).
"""
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import aiohttp
import pytest
import requests
import yaml
from sqlalchemy import create_engine, text
from stdnum import luhn

from claudia.identity import issue_token
from serving.endpoints import write_endpoints
from tests.e2e.stack import MODEL, ROOT, free_port

SECRET = "scaled-secret-0123456789-abcdefghijklmnopqrstuv"
CONVERSATIONS = 40


def _services() -> dict:
    values = {k: os.environ.get(k) for k in ("CLAUDIA_TEST_PG_URL", "CLAUDIA_TEST_REDIS_URL")}
    env_file = ROOT / "var" / "test-services.env"
    if not all(values.values()) and env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = values.get(key) or value
    return values


def sirets(count):
    out = []
    for n in range(count):
        siren = f"28{n:06d}"
        siren += luhn.calc_check_digit(siren)
        out.append(siren + "0001" + luhn.calc_check_digit(siren + "0001"))
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    services = _services()
    if not all(services.values()):
        pytest.skip("PostgreSQL/Redis not available: run scripts/test_services.sh as root (make test does)")
    work = tmp_path_factory.mktemp("scaled")
    pg = services["CLAUDIA_TEST_PG_URL"]
    engine = create_engine(pg)
    with engine.begin() as connection:  # a fresh schema for each run
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    structures = sirets(CONVERSATIONS + 1)  # the last one for the race test
    registry = {"structures": [{"siret": s, "name": f"Structure {i}", "kind": "public", "status": "inactive"}
                               for i, s in enumerate(structures)],
                "users": [{"login": "gestion.multi", "name": "Multi", "roles": [{"siret": s, "role": "principal"}
                                                                               for s in structures]}]}
    (work / "registry.yml").write_text(yaml.safe_dump(registry))
    (work / "sirene.csv").write_text("siret,etatAdministratifEtablissement\n" +
                                     "".join(f"{s},A\n" for s in structures))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false",
               CLAUDIA_DB_URL=pg, CLAUDIA_JWT_SECRET=SECRET, SIRENE_SOURCE=str(work / "sirene.csv"),
               CLAUDIA_TRACKER_DB_URL=pg, CLAUDIA_LOCK_STORE_URL=services["CLAUDIA_TEST_REDIS_URL"],
               CLAUDIA_ACTIONS_TOKEN="scaled-actions-token-" + uuid.uuid4().hex)
    subprocess.run([sys.executable, "-m", "claudia.admin", "load", str(work / "registry.yml")], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    processes, rasa_ports = [], []
    for n in range(2):
        actions_port, rasa_port = free_port(), free_port()
        endpoints = write_endpoints(work / f"endpoints{n}.yml", f"http://127.0.0.1:{actions_port}/webhook", pg,
                                    services["CLAUDIA_TEST_REDIS_URL"])
        # The same launchers as `make run-scaled` (serving/serve_actions.py, serving/serve_rasa.py).
        processes.append(subprocess.Popen([sys.executable, "-m", "serving.serve_actions", "--port",
                                           str(actions_port)], cwd=ROOT, env=env,
                                          stdout=open(work / f"actions{n}.log", "w"), stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen([sys.executable, "-m", "serving.serve_rasa", "--model", str(MODEL),
                                           "--endpoints", str(endpoints), "--credentials",
                                           str(ROOT / "credentials.yml"), "--interface", "127.0.0.1",
                                           "--port", str(rasa_port)], cwd=ROOT, env=env,
                                          stdout=open(work / f"rasa{n}.log", "w"), stderr=subprocess.STDOUT))
        rasa_ports.append(rasa_port)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if all(requests.get(f"http://127.0.0.1:{p}/webhooks/connected/", timeout=2).ok for p in rasa_ports):
                break
        except requests.RequestException:
            time.sleep(0.5)
    else:
        raise RuntimeError(f"servers not ready; see {work}")
    yield {"ports": rasa_ports, "sirets": structures[:CONVERSATIONS], "spare": structures[-1], "env": env,
           "engine": engine}
    for process in processes:
        process.terminate()
    for process in processes:
        try:  # Sanic drains keep-alive connections first; on a loaded machine that can take a while
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


async def _conversation(http, ports, n, siret):
    token = issue_token("gestion.multi", SECRET, 900)
    sender = f"multi-{n}"
    turns = [f"activer la structure publique {siret}", "oui", "je confirme"]
    answers = []
    for i, text_ in enumerate(turns):
        port = ports[(n + i) % 2]  # alternate servers turn by turn
        async with http.post(f"http://127.0.0.1:{port}/webhooks/connected/webhook",
                             json={"sender": sender, "message": text_},
                             headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            answers.append(" ".join(m.get("text", "") for m in await response.json()))
    return sender, answers


def test_conversations_spread_over_two_servers(cluster):
    async def run_all():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
            return await asyncio.gather(*(_conversation(http, cluster["ports"], n, s)
                                          for n, s in enumerate(cluster["sirets"])))

    results = asyncio.run(run_all())
    for sender, answers in results:
        assert "Est-ce bien la structure" in answers[0], (sender, answers)
        assert "Confirmez-vous" in answers[1], (sender, answers)
        assert "est désormais active" in answers[2], (sender, answers)
    with cluster["engine"].connect() as connection:
        statuses = dict(connection.execute(text("SELECT siret, status FROM structures")).all())
        journal = connection.execute(text(
            "SELECT conversation_id, siret, outcome FROM journal ORDER BY id")).all()
        user_turns = connection.execute(text(
            "SELECT sender_id, COUNT(*) FROM events WHERE type_name = 'user' AND sender_id LIKE 'multi-%' "
            "GROUP BY sender_id")).all()
        duplicates = connection.execute(text(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE 'multi-%'")).all()
    assert all(statuses[s] == "active" for s in cluster["sirets"])
    assert sorted((c, s, o) for c, s, o in journal) == sorted(
        (f"multi-{n}", s, "effectuee") for n, s in enumerate(cluster["sirets"]))
    assert dict(user_turns) == {f"multi-{n}": 3 for n in range(CONVERSATIONS)}  # no turn processed twice
    message_ids = [json.loads(data).get("message_id") for _, data in duplicates]
    assert len(message_ids) == len(set(message_ids))


def test_same_conversation_on_both_servers_at_once(cluster):
    """Two messages of one conversation arriving together at both servers are handled one after
    the other (Redis lock store): both recorded once, the procedure state stays consistent."""
    siret = cluster["sirets"][0]

    async def run():
        token = issue_token("gestion.multi", SECRET, 900)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            async def post(port, message):
                async with http.post(f"http://127.0.0.1:{port}/webhooks/connected/webhook", headers=headers,
                                     json={"sender": "multi-same", "message": message}) as response:
                    return response.status, await response.json()

            return await asyncio.gather(post(cluster["ports"][0], f"inactiver la structure publique {siret}"),
                                        post(cluster["ports"][1], "quels sont les prérequis ?"))

    answers = asyncio.run(run())
    assert [status for status, _ in answers] == [200, 200]
    with cluster["engine"].connect() as connection:
        count = connection.execute(text(
            "SELECT COUNT(*) FROM events WHERE type_name = 'user' AND sender_id = 'multi-same'")).scalar()
    assert count == 2


def test_same_structure_from_two_servers_at_once(cluster):
    """Two managers' conversations confirm the same activation at the same instant, on two
    servers, against PostgreSQL: exactly one change and one « effectuée » journal entry."""
    siret = cluster["spare"]
    token = issue_token("gestion.multi", SECRET, 900)
    headers = {"Authorization": f"Bearer {token}"}

    async def run():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            async def turn(port, sender, message):
                async with http.post(f"http://127.0.0.1:{port}/webhooks/connected/webhook", headers=headers,
                                     json={"sender": sender, "message": message}) as response:
                    return " ".join(m.get("text", "") for m in await response.json())

            for sender, port in (("course-a", cluster["ports"][0]), ("course-b", cluster["ports"][1])):
                await turn(port, sender, f"activer la structure publique {siret}")
                assert "Confirmez-vous" in await turn(port, sender, "oui")
            return await asyncio.gather(turn(cluster["ports"][0], "course-a", "je confirme"),
                                        turn(cluster["ports"][1], "course-b", "je confirme"))

    answers = asyncio.run(run())
    assert sum("est désormais active" in a for a in answers) == 1, answers
    assert sum("déjà active" in a for a in answers) == 1, answers
    with cluster["engine"].connect() as connection:
        outcomes = connection.execute(text(
            "SELECT outcome FROM journal WHERE siret = :s ORDER BY id"), {"s": siret}).scalars().all()
        status = connection.execute(text("SELECT status FROM structures WHERE siret = :s"), {"s": siret}).scalar()
    assert sorted(outcomes) == ["effectuee", "refusee"] and status == "active"
