"""Writers that keep a database busy while a test backs it up (one process each, as the servers are).

  python -m tests.core.backup_writers registry|feedback|tracker STOP_FILE

- registry: activates then inactivates the Mairie again and again through `Registry.apply`
  (the structure's status and its journal entry in one transaction);
- feedback: an evaluation, a live-chat request taken and closed, a message left, through
  the project's stores;
- tracker: turns of four events for a new conversation each, in one transaction, into a
  table shaped as Rasa's SQL tracker store's `events`.

Each runs until STOP_FILE exists, then prints how many writes it made.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from pathlib import Path

from claudia import services
from claudia.registry import ACTIVATE, INACTIVATE, Attempt
from claudia.sirene import Etablissement

MAIRIE = "21930001900011"  # tests.conftest's (not imported: it loads Rasa's SDK)

EVENTS_TABLE = ("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)")
TURN = ("user", "action", "bot", "action")


def registry_writes(n: int) -> None:
    open_now, closed_now = Etablissement(MAIRIE, True, "MAIRIE", ""), Etablissement(MAIRIE, False, "MAIRIE", "")
    services.registry().apply(Attempt("marie.dupont", f"w-{n}-a", ACTIVATE, MAIRIE), open_now)
    services.registry().apply(Attempt("marie.dupont", f"w-{n}-i", INACTIVATE, MAIRIE), closed_now)


def feedback_writes(n: int) -> None:
    conversation = f"fb-{n}-{uuid.uuid4().hex[:6]}"
    services.feedback().record(conversation, "marie.dupont", "negatif" if n % 2 else "positif",
                               {"operation": "activer", "siret": MAIRIE}, reason="autre", comment=f"avis {n}")
    queue = services.handoffs()
    chat = queue.request(conversation, "marie.dupont", {"step": n})
    queue.take(chat["id"], "agent.durand")
    queue.post(conversation, "operateur", f"réponse {n}", "Sophie Durand")
    queue.close(chat["id"], "agent.durand")
    queue.leave_message(conversation, "marie.dupont", {}, f"message laissé {n}")


def tracker_writes(n: int, connection: sqlite3.Connection) -> None:
    sender, now = f"conv-{n}-{uuid.uuid4().hex[:6]}", time.time()
    with connection:
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            [(sender, kind, now + i / 1000, json.dumps({"event": kind, "n": n, "i": i}))
             for i, kind in enumerate(TURN)])


def main() -> None:
    kind, stop = sys.argv[1], Path(sys.argv[2])
    connection = None
    if kind == "tracker":
        path = services.settings().tracker_db_url.split("sqlite:///", 1)[1]
        connection = sqlite3.connect(path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(EVENTS_TABLE)
    writes = 0
    while not stop.exists():
        if kind == "registry":
            registry_writes(writes)
        elif kind == "feedback":
            feedback_writes(writes)
        else:
            tracker_writes(writes, connection)
        writes += 1
    print(writes, flush=True)


if __name__ == "__main__":
    main()
