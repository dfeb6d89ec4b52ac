"""Fixtures shared by the unit tests: a real SQLite registry loaded with the demo
data, the demo SIRENE extract, and helpers that build the `Tracker` and
`CollectingDispatcher` the actions receive from Rasa."""
from __future__ import annotations

import contextlib

import secrets
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from claudia import services
from actions.context import PROCEDURE_SLOTS
from claudia.assertions import SEAL_KEY, digest

ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTRY = ROOT / "demo" / "registry.yml"
DEMO_SIRENE = ROOT / "demo" / "sirene.csv"
SECRET = "test-secret-0123456789-abcdefghijklmnop"

# Demo SIRETs, named for the branch of the guide they exercise.
MAIRIE = "21930001900011"  # public, inactive, open in SIRENE: activation
ECOLE = "21930001900128"  # public, active, closed in SIRENE: inactivation case 1
SYNDICAT = "25930045700019"  # public, active, open in SIRENE: inactivation case 2
COMMUNAUTE = "20005478100014"  # public, active: a valid successor
MEDIATHEQUE = "21930001900235"  # public, inactive, closed in SIRENE: activation refused
CCAS = "26930012500011"  # public, already active
REGIE_TRANSPORTS = "25930078800017"  # public, already inactive
BOULANGERIE = "44230612200015"  # private
OFFICE_TOURISME = "21930001900342"  # public, active, successor = SYNDICAT (cycle)
REGIE_EAUX = "25930099400011"  # public, inactive, unknown to SIRENE
CRECHE = "21930001900458"  # public, active, paul.martin is secondary manager
UNKNOWN = "21930002700014"  # valid SIRET, not in the registry


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDIA_DB_URL", f"sqlite:///{tmp_path / 'claudia.db'}")
    monkeypatch.setenv("CLAUDIA_JWT_SECRET", SECRET)
    monkeypatch.setenv("SIRENE_SOURCE", str(DEMO_SIRENE))
    monkeypatch.delenv("CLAUDIA_JWT_AUDIENCE", raising=False)
    services.reset()
    yield tmp_path
    services.reset()


@pytest.fixture
def registry(env):
    reg = services.registry()
    reg.replace_all(yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8")))
    return reg


@pytest.fixture
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def record_message(login: str, conversation: str, text: str, intent: Optional[str] = "affirmer",
                   prompt: Optional[str] = None, ttl: int = 600) -> Tuple[str, Dict[str, Any]]:
    """What the channel gives Rasa with a signed-in user's message: its id and its seal."""
    message_id = secrets.token_hex(16)
    seal = services.assertions().seal(message_id, conversation, login, text, intent,
                                      digest(prompt) if prompt is not None else None, int(time.time()) + ttl)
    return message_id, seal


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    intent: Optional[str] = None,
    text: str = "",
    login: Optional[str] = "marie.dupont",
    sender: str = "conversation-test",
    entities: Optional[List[dict]] = None,
    active_loop: Optional[str] = "formulaire_statut",
    recorded_for: Optional[str] = None,
    answered: Optional[str] = None,
) -> Tracker:
    """A tracker as Rasa sends it, after the channel recorded the latest message.

    The record is made for `recorded_for` (default: this conversation), as an answer
    to `answered` (default: the final question of the procedure these slots describe).
    """
    values = {name: None for name in PROCEDURE_SLOTS}
    values.update(slots or {})
    latest = {
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": entities or [],
        "text": text,
        "message_id": None,
        "metadata": {},
    }
    tracker = Tracker(
        sender, values, latest, [], False, None,
        {"name": active_loop} if active_loop else {}, "action_listen",
    )
    if login:
        if answered is None and values.get("fiche_structure") and values.get("action_statut"):
            from actions.procedure_actions import final_question
            answered = final_question(tracker)
        latest["message_id"], latest[SEAL_KEY] = record_message(
            login, recorded_for or sender, text, intent or "affirmer", answered)
    return tracker


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def services_pg_url() -> Optional[str]:
    """The PostgreSQL that scripts/test_services.sh started (make test does), if any."""
    env = Path(__file__).resolve().parents[1] / "var" / "test-services.env"
    values = dict(line.split("=", 1) for line in env.read_text().split() if "=" in line) if env.exists() else {}
    return values.get("CLAUDIA_TEST_PG_URL")


@contextlib.contextmanager
def fresh_pg_schema(schema: str):
    """A URL of the test PostgreSQL whose search path is a new, empty schema, dropped after."""
    from sqlalchemy import create_engine, text

    url = services_pg_url()
    if not url:
        pytest.skip("PostgreSQL not available: run scripts/test_services.sh as root (make test does)")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
