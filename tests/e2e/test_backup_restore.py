"""Backups of the running assistant (`python -m claudia.admin backup DIR`) while conversations are
being written through the real servers, restored (`restore DIR`) into a fresh directory where every
registry row, journal entry, evaluation, live chat and conversation is found again."""
import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from tests.conftest import MAIRIE
from tests.e2e.stack import ROOT, Chat, Operator, wait_for

HANDOFF_COLUMNS = "id, conversation_id, login, created_at, context"


def visit(stack, sender: str) -> None:
    """A refused procedure (journaled), an evaluation typed, then a request to talk to a person."""
    user = Chat(stack, sender, "luc.bernard")
    user.say(f"activer la structure publique {MAIRIE}")
    assert "Cette réponse vous a-t-elle aidé" in user.text, user.text
    user.say("parfait merci")
    user.say("je veux parler à un conseiller")
    assert "va vous rejoindre" in user.text, user.text


def read(path: Path, query: str, *args) -> list:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(query, args).fetchall()


def found(directory: Path, senders) -> dict:
    """What the databases in `directory` hold of these conversations."""
    marks = ",".join("?" * len(senders))
    db, tracker = directory / "claudia.db", directory / "tracker.db"
    return {
        "journal": read(db, f"SELECT * FROM journal WHERE conversation_id IN ({marks}) ORDER BY id", *senders),
        "feedback": read(db, f"SELECT * FROM feedback WHERE conversation_id IN ({marks}) ORDER BY id", *senders),
        "handoffs": read(db, f"SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE conversation_id IN ({marks}) "
                             "ORDER BY id", *senders),
        "outbox": read(db, f"SELECT * FROM outbox WHERE conversation_id IN ({marks}) ORDER BY id", *senders),
        "events": read(tracker, f"SELECT * FROM events WHERE sender_id IN ({marks}) ORDER BY id", *senders),
        "structures": read(db, "SELECT * FROM structures ORDER BY siret"),
    }


def admin(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "claudia.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_backup_during_conversations_restores_everything(stack, tmp_path):
    live = stack.workdir
    run = uuid.uuid4().hex[:6]
    # Before: finished conversations of every kind.
    manager = Chat(stack, f"sauvegarde-{run}-gestion", "marie.dupont")
    manager.say(f"activer la structure publique {MAIRIE}")
    manager.click("Oui")
    manager.click("Confirmer")
    manager.click("👍")
    before = [f"sauvegarde-{run}-avant-{n}" for n in range(3)]
    for sender in before:
        visit(stack, sender)
    sophie = Operator(stack, "agent.durand")
    chat_id = wait_for(lambda: [c["id"] for c in sophie.chats() if c["conversation_id"] == before[0]])[0]
    assert sophie.post(chat_id, "take").status_code == 200
    assert sophie.post(chat_id, "messages", {"text": "Bonjour, je regarde."}).status_code == 200
    assert sophie.post(chat_id, "close").status_code == 200
    finished = [manager.sender] + before
    expected = found(live, finished)
    assert all(expected[kind] for kind in expected)
    assert any(row[4] == "activer" and row[7] == "effectuee" for row in expected["journal"])

    # During: conversations go on while the backup is taken.
    stop, during, failures = threading.Event(), [], []

    def keep_talking(worker: int) -> None:
        n = 0
        while not stop.is_set():
            sender = f"sauvegarde-{run}-pendant-{worker}-{n}"
            during.append(sender)
            try:
                visit(stack, sender)
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append(repr(error))
            n += 1

    workers = [threading.Thread(target=keep_talking, args=(w,)) for w in range(3)]
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: len(during) >= 4, timeout=180)
        events_before = read(live / "tracker.db", "SELECT count(*) FROM events")[0][0]
        done = admin(stack.env, "backup", str(tmp_path / "sauvegarde"))
        assert done.returncode == 0, done.stderr
        events_after = read(live / "tracker.db", "SELECT count(*) FROM events")[0][0]
        wait_for(lambda: len(during) >= 10, timeout=180)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=180)
    assert not failures, failures
    assert events_after > events_before  # conversations were being written while the copy was taken
    manifest = json.loads(done.stdout)
    assert [(d["name"], d["kind"]) for d in manifest["databases"]] == [("claudia", "sqlite"), ("tracker", "sqlite")]

    # The running assistant's databases are in use: restoring over them is refused.
    refused = admin(stack.env, "restore", str(tmp_path / "sauvegarde"))
    assert refused.returncode == 2 and "en service" in refused.stderr

    # A fresh checkout's directory: everything comes back.
    fresh = tmp_path / "nouvelle-installation" / "var"
    env = dict(stack.env, CLAUDIA_DB_URL=f"sqlite:///{fresh / 'claudia.db'}",
               CLAUDIA_TRACKER_DB_URL=f"sqlite:///{fresh / 'tracker.db'}")
    done = admin(env, "restore", str(tmp_path / "sauvegarde"))
    assert done.returncode == 0, done.stderr
    assert read(fresh / "claudia.db", "SELECT * FROM structures ORDER BY siret") == expected["structures"]
    assert json.loads(admin(env, "show", MAIRIE).stdout)["status"] == "active"
    journal = [json.loads(line) for line in admin(env, "journal", "--conversation", manager.sender).stdout.splitlines()]
    assert [(e["operation"], e["outcome"]) for e in journal] == [("activer", "effectuee")]
    assert [e["vote"] for e in json.loads("[" + ",".join(admin(env, "feedback").stdout.splitlines()) + "]")
            if e["conversation_id"] in finished] == ["positif"] * len(finished)
    # Every row written before the backup began is there, as it was; conversations under way come
    # back as whole turns, each what the servers had written so far (a waiting live chat that
    # expires later gets more events: the backup holds what came before them).
    restored, now_live = found(fresh, finished + during), found(live, finished + during)
    for kind in ("journal", "feedback", "handoffs", "outbox", "events"):
        assert restored[kind] == now_live[kind][:len(restored[kind])], kind
        kept = {row for row in restored[kind]}
        assert all(row in kept for row in expected[kind]), kind
    assert len(restored["events"]) < len(now_live["events"])  # and the servers went on after it
    sizes = {entry["name"]: entry["tables"] for entry in manifest["databases"]}
    assert read(fresh / "tracker.db", "SELECT count(*) FROM events")[0][0] == sizes["tracker"]["events"]
    assert read(fresh / "claudia.db", "SELECT count(*) FROM handoffs")[0][0] == sizes["claudia"]["handoffs"]

    # Rasa reads the restored conversations.
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(fresh / "tracker.db"))
    tracker = asyncio.run(store.retrieve(before[1]))
    said = [event.text for event in tracker.events if getattr(event, "text", None) and event.type_name == "user"]
    assert said == [f"activer la structure publique {MAIRIE}", "parfait merci", "je veux parler à un conseiller"]
