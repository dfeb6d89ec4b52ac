"""A local account without privileges attacking the running servers (issue #12, High).

Before the fix, both attacks changed the registry as the manager:
1. reading the manager's identity assertion from the (world-readable) tracker store and
   calling the action server directly with made-up slots;
2. reading Rasa's API token on the command line (`ps`), appending slot events to the
   manager's conversation and executing the closing action.
Each is performed here for real, against the servers started as `make run` starts them.
"""
import json
import os
import sqlite3
import stat
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import CCAS, COMMUNAUTE, ROOT, SYNDICAT
from tests.e2e.stack import ACTIONS_HEADER, ACTIONS_TOKEN, API_TOKEN, SECRET, Chat

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def fiche(siret, name, sirene_active=True):
    return {"siret": siret, "name": name, "status": "active", "kind": "public", "sirene_active": sirene_active,
            "sirene_denomination": None, "sirene_address": None}


# What the attacker wants written: the Syndicat inactivated, its invoices sent to the CCAS.
MADE_UP_SLOTS = {
    "type_structure": "publique", "action_statut": "inactiver", "siret": SYNDICAT,
    "fiche_structure": fiche(SYNDICAT, "Syndicat intercommunal des eaux du Val"),
    "confirmation_structure": True, "successeur_existe": True, "siret_successeur": CCAS,
    "fiche_successeur": fiche(CCAS, "CCAS de Valmont"), "confirmation_action": True,
    "issue_procedure": None, "requested_slot": None,
}


def manager_said_yes_to_the_card(stack):
    """marie.dupont, a real manager, starts inactivating the Syndicat and confirms the structure."""
    user = Chat(stack, f"victime-{uuid.uuid4().hex[:8]}", "marie.dupont")
    user.say(f"inactiver ma structure publique {SYNDICAT}")
    user.click("Oui")
    assert "Existe-t-il un autre SIRET reprenant son activité" in user.text
    return user


def user_events_in_tracker_store(stack, conversation):
    """What a local reader of tracker.db gets: the conversation's user messages, as stored."""
    with sqlite3.connect(stack.workdir / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
                          (conversation,)).fetchall()
    return [json.loads(row[0]) for row in rows]


def action_call(conversation, latest_message, slots):
    return {"next_action": "action_terminer_procedure", "sender_id": conversation, "version": "3.6.2",
            "domain": DOMAIN,
            "tracker": {"sender_id": conversation, "slots": slots, "latest_message": latest_message,
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}


def rasa_api(stack, conversation, path, body):
    url = f"http://127.0.0.1:{stack.rasa_port}/conversations/{conversation}/{path}"
    response = requests.post(url, params={"token": API_TOKEN}, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def assert_untouched(structure):
    stored = structure(SYNDICAT)
    assert stored["status"] == "active" and stored["successor_siret"] is None


def test_tracker_store_holds_no_token_and_only_short_lived_seals(stack):
    user = manager_said_yes_to_the_card(stack)
    stored = user_events_in_tracker_store(stack, user.sender)
    raw = json.dumps(stored)
    assert stored and "claudia_identity" not in raw and "eyJ" not in raw  # no JWT
    # Rasa's own bookkeeping only (which model answered); nothing from the channel
    assert all(set(event["metadata"] or {}) <= {"model_id", "assistant_id"} for event in stored)
    assert all(event["message_id"] for event in stored)
    # the channel's seal on each message: five minutes at most
    seals = [event["parse_data"]["claudia_seal"] for event in stored]
    assert all(seal["login"] == "marie.dupont" and seal["expires"] <= time.time() + 300 for seal in seals)


def test_action_server_refuses_callers_without_the_secret(stack, structure):
    user = manager_said_yes_to_the_card(stack)
    latest = user_events_in_tracker_store(stack, user.sender)[-1]["parse_data"]
    call = action_call(user.sender, latest, MADE_UP_SLOTS)
    base = f"http://127.0.0.1:{stack.actions_port}"
    for wrong in ({}, {ACTIONS_HEADER: "guess"}, {ACTIONS_HEADER: SECRET}, {ACTIONS_HEADER: API_TOKEN}):
        assert requests.post(f"{base}/webhook", json=call, headers=wrong, timeout=30).status_code == 403
        assert requests.get(f"{base}/actions", headers=wrong, timeout=30).status_code == 403
    assert_untouched(structure)


def test_replayed_message_with_made_up_slots_writes_nothing(stack, structure, journal):
    """Even holding the action server's secret, the manager's latest « oui » (to another
    question) cannot confirm an inactivation with a successor of the attacker's choice."""
    user = manager_said_yes_to_the_card(stack)
    latest = user_events_in_tracker_store(stack, user.sender)[-1]["parse_data"]
    answer = requests.post(f"http://127.0.0.1:{stack.actions_port}/webhook",
                           json=action_call(user.sender, latest, MADE_UP_SLOTS),
                           headers={ACTIONS_HEADER: ACTIONS_TOKEN}, timeout=60)
    assert answer.status_code == 200
    assert "Je n'ai pas pu vérifier que vous avez confirmé" in texts(answer.json()["responses"])
    assert_untouched(structure)
    assert journal(user.sender)[-1]["reason"] == "confirmation_non_verifiee"


def test_rasa_api_slot_events_cannot_stand_in_for_a_confirmation(stack, structure, journal):
    user = manager_said_yes_to_the_card(stack)
    events = [{"event": "active_loop", "name": None}] + [
        {"event": "slot", "name": name, "value": value} for name, value in MADE_UP_SLOTS.items()]
    rasa_api(stack, user.sender, "tracker/events", events)
    replies = rasa_api(stack, user.sender, "execute", {"name": "action_terminer_procedure"})["messages"]
    assert "Je n'ai pas pu vérifier" in texts(replies)
    assert_untouched(structure)
    assert journal(user.sender)[-1]["outcome"] == "refusee"


def test_rasa_api_replaying_a_spent_confirmation_writes_nothing(stack, structure, admin):
    """The manager's real final « Confirmer », replayed with its message id after its write."""
    user = manager_said_yes_to_the_card(stack)
    user.click("Oui")
    user.say(COMMUNAUTE)
    user.click("Confirmer")
    assert structure(SYNDICAT)["status"] == "inactive"
    confirmation = user_events_in_tracker_store(stack, user.sender)[-1]
    admin("load", os.path.join(ROOT, "demo", "registry.yml"))  # back to active, as before
    for successor, name in ((COMMUNAUTE, "Communauté de communes du Val de Seine"), (CCAS, "CCAS de Valmont")):
        slots = dict(MADE_UP_SLOTS, siret_successeur=successor, fiche_successeur=fiche(successor, name))
        replayed = {key: confirmation[key] for key in ("event", "text", "parse_data", "message_id", "metadata",
                                                       "input_channel")}
        events = [replayed] + [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
        rasa_api(stack, user.sender, "tracker/events", events)
        replies = rasa_api(stack, user.sender, "execute", {"name": "action_terminer_procedure"})["messages"]
        assert "Je n'ai pas pu vérifier" in texts(replies)
        assert_untouched(structure)


def test_slots_changed_before_the_managers_yes_write_nothing(stack, structure):
    """The attacker swaps the successor while the manager reads the confirmation question:
    her « Confirmer » answered the question she saw, not the swapped slots."""
    user = manager_said_yes_to_the_card(stack)
    user.click("Oui")
    user.say(COMMUNAUTE)
    assert "Communauté de communes du Val de Seine" in user.text and "Confirmez-vous" in user.text
    rasa_api(stack, user.sender, "tracker/events", [
        {"event": "slot", "name": "siret_successeur", "value": CCAS},
        {"event": "slot", "name": "fiche_successeur", "value": fiche(CCAS, "CCAS de Valmont")}])
    user.click("Confirmer")
    assert "Je n'ai pas pu vérifier" in user.text
    assert_untouched(structure)


def test_made_up_message_id_is_not_connected(stack, structure):
    """A made-up « /affirmer », even carrying the seal of the manager's real « Oui » read from
    the tracker store: the seal is bound to its own message, so it names nobody here."""
    user = manager_said_yes_to_the_card(stack)
    real_seal = user_events_in_tracker_store(stack, user.sender)[-1]["parse_data"]["claudia_seal"]
    for seal in ({}, {"claudia_seal": real_seal}):
        forged = {"event": "user", "text": "/affirmer", "message_id": uuid.uuid4().hex,
                  "parse_data": {"intent": {"name": "affirmer", "confidence": 1.0}, "entities": [],
                                 "text": "/affirmer", **seal}}
        events = [forged] + [{"event": "slot", "name": k, "value": v} for k, v in MADE_UP_SLOTS.items()]
        rasa_api(stack, user.sender, "tracker/events", events)
        replies = rasa_api(stack, user.sender, "execute", {"name": "action_terminer_procedure"})["messages"]
        assert "mode connecté" in texts(replies)
        assert_untouched(structure)


def _descendants(pid):
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            children += [int(child)] + _descendants(int(child))
    return children


def test_no_secret_on_any_server_command_line(stack):
    """What `ps` shows every local user: no token, no secret, in any of the servers' processes."""
    pids = [p.pid for p, _ in stack.named.values() if p.poll() is None]
    pids += [child for pid in pids for child in _descendants(pid)]
    assert len(pids) >= 3
    for pid in pids:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for secret in (SECRET, API_TOKEN, ACTIONS_TOKEN):
            assert secret not in command_line, command_line
        assert "--auth-token" not in command_line


def test_endpoints_file_and_databases_are_private(stack):
    endpoints = stack.workdir / "endpoints.yml"
    assert ACTIONS_TOKEN not in endpoints.read_text() and "${CLAUDIA_ACTIONS_TOKEN}" in endpoints.read_text()
    private = [endpoints] + [path for name in ("claudia.db", "tracker.db")
                             for path in stack.workdir.glob(f"{name}*")]
    assert len(private) >= 3
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((ROOT / "var").stat().st_mode) == 0o700


def test_launchers_refuse_secrets_on_the_command_line(stack):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "serving.serve_rasa", "--enable-api", "--auth-token", "x"],
                            cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "ligne de commande" in result.stderr
    env = {k: v for k, v in stack.env.items() if k != "CLAUDIA_ACTIONS_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "serving.serve_actions", "--port", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "CLAUDIA_ACTIONS_TOKEN" in result.stderr


@pytest.mark.parametrize("where", ["webhook", "api"])
def test_rasa_refuses_huge_bodies(stack, where):
    body = b'{"sender": "gros", "message": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    url = stack.webhook if where == "webhook" else \
        f"http://127.0.0.1:{stack.rasa_port}/conversations/gros/tracker/events?token={API_TOKEN}"
    response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413


def test_action_server_refuses_huge_bodies_even_from_rasa(stack):
    body = b'{"next_action": "action_listen", "x": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    response = requests.post(f"http://127.0.0.1:{stack.actions_port}/webhook", data=body, timeout=60,
                             headers={ACTIONS_HEADER: ACTIONS_TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 413
