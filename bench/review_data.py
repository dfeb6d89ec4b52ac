"""Fills a tracker store and a project database with synthetic conversations, fast.

  python -m bench.review_data --conversations 100000 --tracker-db URL --db URL

Bulk inserts straight into Rasa's `events` table (same columns and index as
Rasa's SQLTrackerStore) and into the journal, evaluations, live-chat and
conversation-owner tables: a year of a national portal's conversations in
about a minute, without running Rasa. Events look like the real ones
(session start, user messages with intent, confidence and entities, actions,
slots, bot messages); about ten per conversation.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Tuple

from sqlalchemy import create_engine, insert, text

from claudia.db import Database
from claudia.models import Conversation, Feedback, Handoff, JournalEntry

WORDS = {
    "activer_structure": ["activer ma structure", "je veux activer la mairie", "reactiver notre structure publique",
                          "activation de la structure svp", "activer la structure publique 21930001900011"],
    "inactiver_structure": ["inactiver ma structure", "desactiver notre ancienne ecole", "fermer la structure",
                            "inactivation du syndicat des eaux", "je veux inactiver la creche"],
    "affirmer": ["oui", "oui c'est bien ça", "ok", "d'accord", "exact"],
    "nier": ["non", "pas du tout", "non merci"],
    "demander_agent": ["je veux parler a un conseiller", "un humain svp", "contacter le support"],
    "saluer": ["bonjour", "bonsoir", "salut"],
    "hors_perimetre": ["ma facture est bloquee", "comment deposer une facture", "mot de passe oublie"],
    "nlu_fallback": ["gnagna", "structur truc bidule", "???", "euh je sais pas"],
}
ACTIONS = {"activer_structure": "formulaire_statut", "inactiver_structure": "formulaire_statut",
           "affirmer": "action_confirmer", "nier": "utter_quoi_d_autre", "demander_agent": "action_demander_conseiller",
           "saluer": "utter_accueil", "hors_perimetre": "utter_hors_perimetre", "nlu_fallback": "action_default_fallback"}
REASONS = ["droits_insuffisants", "ferme_sirene", "deja_active", "structure_privee"]


def _events(rng: random.Random, start: float) -> Tuple[List[dict], str]:
    """One conversation's events and its outcome."""
    at = start
    events = [{"event": "action", "name": "action_session_start", "timestamp": at},
              {"event": "session_started", "timestamp": at},
              {"event": "action", "name": "action_listen", "timestamp": at}]
    flow = rng.choices(["done", "refused", "abandoned", "handoff", "chat"], [45, 15, 15, 10, 15])[0]
    intents = {"done": ["activer_structure", "affirmer", "affirmer"], "refused": ["inactiver_structure", "affirmer"],
               "abandoned": ["activer_structure", "nier"], "handoff": ["saluer", "demander_agent"],
               "chat": ["saluer", rng.choice(["hors_perimetre", "nlu_fallback"])]}[flow]
    for intent in intents:
        at += rng.uniform(2, 40)
        text_ = rng.choice(WORDS[intent])
        confidence = rng.uniform(0.2, 0.65) if intent == "nlu_fallback" else rng.uniform(0.45, 1.0)
        events.append({"event": "user", "timestamp": at, "text": text_, "parse_data": {
            "intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text_}})
        events.append({"event": "action", "name": ACTIONS[intent], "timestamp": at + 0.1})
        events.append({"event": "bot", "timestamp": at + 0.2, "text": "Réponse de ClaudIA"})
        if intent in ("activer_structure", "inactiver_structure"):
            events.append({"event": "slot", "name": "action_statut", "timestamp": at + 0.1,
                           "value": intent.split("_")[0]})
        events.append({"event": "action", "name": "action_listen", "timestamp": at + 0.3})
    return events, flow


def generate(tracker_url: str, db_url: str, conversations: int, seed: int = 7, days: int = 365) -> Dict[str, int]:
    rng = random.Random(seed)
    tracker = create_engine(tracker_url, future=True)
    key = "SERIAL PRIMARY KEY" if tracker.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with tracker.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS events (id {key}, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)")
        connection.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)")
    database = Database(db_url)
    first = datetime.now(timezone.utc) - timedelta(days=days)
    starts = sorted(first.timestamp() + rng.uniform(0, days * 86400) for _ in range(conversations))
    counts = {"conversations": 0, "events": 0}
    chunk = 2000
    for offset in range(0, conversations, chunk):
        rows, owners, journal, feedback, handoffs = [], [], [], [], []
        for n, start in enumerate(starts[offset:offset + chunk], start=offset):
            sender = f"bench-{n:07d}-{rng.getrandbits(24):06x}"
            events, flow = _events(rng, start)
            rows += [{"sender_id": sender, "type_name": e["event"], "timestamp": e["timestamp"],
                      "intent_name": (e.get("parse_data") or {}).get("intent", {}).get("name"),
                      "action_name": e.get("name") if e["event"] == "action" else None,
                      "data": json.dumps(e, ensure_ascii=False)} for e in events]
            login = f"gestionnaire.{rng.randrange(5000)}"
            when = datetime.fromtimestamp(start, tz=timezone.utc).replace(tzinfo=None)
            owners.append({"sender_id": sender, "login": login, "created_at": when, "offered_payloads": "[]"})
            outcome = {"done": "effectuee", "refused": "refusee", "abandoned": "abandonnee"}.get(flow)
            if outcome:
                journal.append({"at": when, "login": login, "conversation_id": sender, "operation": "activer",
                                "siret": "21930001900011", "outcome": outcome,
                                "reason": rng.choice(REASONS) if outcome == "refusee" else None})
                if rng.random() < 0.4:
                    feedback.append({"at": when, "conversation_id": sender, "login": login, "procedure": "activer",
                                     "vote": rng.choice(["positif", "positif", "negatif"]), "comment_cancelled": 0})
            if flow == "handoff":
                handoffs.append({"conversation_id": sender, "login": login, "status": "close",
                                 "created_at": when, "context": "{}"})
            counts["conversations"] += 1
        with tracker.begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
                                    "data) VALUES (:sender_id, :type_name, :timestamp, :intent_name, :action_name, "
                                    ":data)"), rows)
        with database.write() as session:
            for model, values in ((Conversation, owners), (JournalEntry, journal), (Feedback, feedback),
                                  (Handoff, handoffs)):
                if values:
                    session.execute(insert(model), values)
        counts["events"] += len(rows)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--tracker-db", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    began = time.monotonic()
    counts = generate(args.tracker_db, args.db, args.conversations)
    print(f"{counts['conversations']} conversations, {counts['events']} events in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
