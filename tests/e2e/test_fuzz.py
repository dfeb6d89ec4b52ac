"""A seeded fuzz run through the authenticated channel: no 5xx, no state change,
the servers stay healthy. FUZZ_COUNT sets the number of requests (300 in
`make test`, 1,500 in `make fuzz`); FUZZ_SEED the seed."""
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.stack import Chat
from tests.fuzz import requests_for

COUNT = int(os.environ.get("FUZZ_COUNT", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))


def registry_state(stack):
    connection = sqlite3.connect(stack.env["CLAUDIA_DB_URL"].replace("sqlite:///", ""))
    try:
        structures = connection.execute("SELECT siret, status, successor_siret FROM structures ORDER BY siret").fetchall()
        done = connection.execute("SELECT COUNT(*) FROM journal WHERE outcome = 'effectuee'").fetchone()[0]
        return structures, done
    finally:
        connection.close()


def test_fuzz_the_connected_channel(stack):
    before = registry_state(stack)
    tokens = {"anonyme": None, "marie": stack.token("marie.dupont"), "luc": stack.token("luc.bernard"),
              "faux": "e30.e30.e30"}
    statuses = []

    def send(item):
        headers, body, label = item
        try:
            response = requests.post(stack.webhook, data=body, headers=headers, timeout=60)
        except requests.RequestException as error:  # a dropped connection is a failure too
            return label, 599, str(error)
        return label, response.status_code, response.text[:200]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(send, requests_for(SEED, COUNT, tokens)))
    server_errors = [s for s in statuses if s[1] >= 500]
    assert not server_errors, server_errors[:5]
    assert len(statuses) == COUNT
    assert registry_state(stack) == before  # nothing changed
    # still healthy and still correct
    assert requests.get(stack.webhook.rsplit("/", 1)[0] + "/", timeout=10).status_code == 200
    user = Chat(stack, f"apres-fuzz-{SEED}", "marie.dupont")
    user.say("activer une structure publique")
    assert "SIRET de la structure à activer" in user.text
