"""Faults injected into a running assistant: the user sees a clear French message,
nothing is lost, and the conversation carries on where it was."""
import sqlite3
import uuid

import pytest

from tests.conftest import ECOLE, MAIRIE
from tests.e2e.stack import Chat, Stack


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A stack of its own, since these tests stop and restart its servers."""
    running = Stack(tmp_path_factory.mktemp("faults"), extra_env={"CLAUDIA_DB_BUSY_TIMEOUT_MS": "1000"}).start()
    yield running
    running.stop()


def chat(stack):
    return Chat(stack, f"faute-{uuid.uuid4().hex[:10]}", "marie.dupont")


def status_of(stack, siret):
    connection = sqlite3.connect(stack.env["CLAUDIA_DB_URL"].replace("sqlite:///", ""))
    try:
        return connection.execute("SELECT status FROM structures WHERE siret = ?", (siret,)).fetchone()[0]
    finally:
        connection.close()


def journal_of(stack, conversation_id):
    connection = sqlite3.connect(stack.env["CLAUDIA_DB_URL"].replace("sqlite:///", ""))
    try:
        return connection.execute("SELECT outcome, reason FROM journal WHERE conversation_id = ?",
                                  (conversation_id,)).fetchall()
    finally:
        connection.close()


def test_action_server_stopped_then_restarted(faulty):
    user = chat(faulty)
    user.say("activer une structure publique")
    assert "SIRET de la structure à activer" in user.text
    faulty.stop_server("actions")
    user.say(MAIRIE)
    assert user.status == 200 and "difficulté technique momentanée" in user.text
    faulty.start_server("actions")
    user.say(MAIRIE)  # the conversation is still at the SIRET step
    assert "Est-ce bien la structure que vous souhaitez activer" in user.text
    user.click("Oui")
    user.click("Confirmer")
    assert "est désormais active" in user.text
    assert status_of(faulty, MAIRIE) == "active"


def test_rasa_server_restarted_mid_procedure(faulty):
    user = chat(faulty)
    user.say(f"inactiver la structure publique {ECOLE}")
    assert "Est-ce bien la structure que vous souhaitez inactiver" in user.text
    faulty.stop_server("rasa")
    faulty.start_server("rasa")
    user.click("Oui")  # the tracker came back from the SQL store, and the offered buttons from the database
    assert "est désormais inactive" in user.text
    assert status_of(faulty, ECOLE) == "inactive"
    assert journal_of(faulty, user.sender) == [("effectuee", None)]


def test_database_locked_during_the_write(faulty):
    """Another writer holds the database when the user confirms: the confirmation cannot be
    spent nor the change written; ClaudIA says so politely and changes nothing; once the
    database is free, asking again goes through."""
    user = chat(faulty)
    connection = sqlite3.connect(faulty.env["CLAUDIA_DB_URL"].replace("sqlite:///", ""))
    connection.execute("UPDATE structures SET status = 'inactive' WHERE siret = ?", (MAIRIE,))
    connection.commit()
    user.say(f"activer la structure publique {MAIRIE}")
    user.click("Oui")
    assert "Confirmez-vous" in user.text
    connection.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        user.click("Confirmer")
    finally:
        connection.rollback()
        connection.close()
    assert "incident technique" in user.text and "rien n'a été modifié" in user.text
    assert status_of(faulty, MAIRIE) == "inactive"
    assert ("effectuee", None) not in journal_of(faulty, user.sender)  # no partial state, no false entry
    user.say(f"activer la structure publique {MAIRIE}")  # the database is free again
    user.click("Oui")
    user.click("Confirmer")
    assert "est désormais active" in user.text
    assert status_of(faulty, MAIRIE) == "active"
