"""The repair table (docs/repair.md) as a matrix: every step × every kind of message.

Typed through the authenticated channel to the real Rasa and action servers. For each
step of the procedure and of the evaluation, a conversation is brought to that step,
then gets one kind of message: the answer must be of that kind, the same step must be
asked again (or left, for the kinds that leave), the step must then take its awaited
answer, and the registry and the stored votes must be what the user did, nothing more.
"""
import sqlite3
import uuid

import pytest

from tests.conftest import MAIRIE, SYNDICAT
from tests.e2e.typed_suite.runner import Player, plain

# How to reach each step (typed), the answer that moves it on, and what a leaving kind ends.
STEPS = {
    "type": (["je voudrais changer le statut de ma structure"], "structure publique"),
    "action": (["je voudrais changer le statut de ma structure", "structure publique"], "activer"),
    "siret": (["je veux activer une structure publique"], "219 300 019 00011"),
    "fiche": (["activer la structure publique 219 300 019 00011"], "oui c'est elle"),
    "confirmation": (["activer la structure publique 219 300 019 00011", "oui"], "oui je confirme"),
    "successeur_existe": (["inactiver la structure publique 259 300 457 00019", "oui"], "oui"),
    "siret_successeur": (["inactiver la structure publique 259 300 457 00019", "oui", "oui"],
                         "200 054 781 00014"),
    "motif": (["activer le CCAS 269 300 125 00011", "bof"], "c'était trop compliqué"),
    "commentaire": (["activer le CCAS 269 300 125 00011", "bof", "c'était trop compliqué"], "trop d'étapes"),
    "envoi": (["activer le CCAS 269 300 125 00011", "bof", "c'était trop compliqué", "trop d'étapes"],
              "envoyer"),
}
EVALUATION_STEPS = {"motif", "commentaire", "envoi"}

# Kinds that stay at the step: the message, and words one of the replies must hold.
STAYING = {
    "question": ("c'est quoi un SIRET ?", ["14 chiffres"]),
    "ou_trouver": ("je l'ai pas sous la main, il est où ?", ["annuaire-entreprises"]),
    "statut": ("est-ce que ma structure est active ?", ["actuellement"]),
    "hesitation": ("attendez je cherche", ["prenez votre temps"]),
    "repeter": ("vous pouvez répéter ?", ["je repete"]),
    "contact": ("alors je dois contacter qui ?", ["support"]),
}
# Kinds that leave the step: the message and words of the answer.
LEAVING = {
    "arret": ("laisse tomber", ["rien n'a ete modifie", "avis a ete enregistre"]),
    "conseiller": ("je veux parler à un conseiller", ["conseiller"]),
    "depart": ("bon je dois y aller, bonne journée", ["rien n'a ete modifie", "au revoir"]),
}
# At the comment step everything typed is the comment, questions included.
FREE_TEXT_STEPS = {"commentaire"}


def _reach(stack, step):
    player = Player(stack, {"id": f"matrix-{step}", "turns": []}, f"matrix-{step}-{uuid.uuid4().hex[:8]}")
    player.chat.__init__(stack, player.chat.sender, "marie.dupont")
    at = None
    for text in STEPS[step][0]:
        at = player.send(text)
    assert at == step, "\n".join(player.outcome.transcript)
    return player


def _typed_at(stack, step, kinds, kind):
    """Brings a conversation to `step`, types the message of `kind`, checks the answer's words."""
    player = _reach(stack, step)
    text, expected = kinds[kind]
    after = player.send(text)
    transcript = "\n".join(player.outcome.transcript)
    assert any(plain(word) in plain(player.chat.text) for word in expected), transcript
    assert _status(stack, MAIRIE) == "inactive" and _status(stack, SYNDICAT) == "active"
    return player, after, transcript


def _db(stack):
    return sqlite3.connect(stack.workdir / "claudia.db")


def _votes(stack, sender):
    with _db(stack) as db:
        return [v for (v,) in db.execute("SELECT vote FROM feedback WHERE conversation_id = ?", (sender,))]


def _status(stack, siret):
    with _db(stack) as db:
        return db.execute("SELECT status FROM structures WHERE siret = ?", (siret,)).fetchone()[0]


@pytest.mark.parametrize("kind", sorted(STAYING))
@pytest.mark.parametrize("step", sorted(set(STEPS) - FREE_TEXT_STEPS))
def test_a_message_beside_the_step_is_answered_and_the_same_step_resumes(stack, step, kind):
    player, after, transcript = _typed_at(stack, step, STAYING, kind)
    assert after == step, transcript
    assert player.send(STEPS[step][1]) != step, "\n".join(player.outcome.transcript)
    assert not player.outcome.failures, player.outcome.failures


@pytest.mark.parametrize("step", sorted(set(STEPS) - FREE_TEXT_STEPS))
def test_two_misses_bring_help_and_a_way_out_never_a_third_bare_question(stack, step):
    player = _reach(stack, step)
    player.send("allo ?")
    player.send("allo ??")
    payloads = [b["payload"] for r in player.chat.replies for b in r.get("buttons") or []]
    transcript = "\n".join(player.outcome.transcript)
    assert "/demander_agent" in payloads and ("/annuler" in payloads or "/nier" in payloads), transcript
    assert player.step() == step
    player.send("hein")
    assert not player.outcome.traps, transcript


@pytest.mark.parametrize("kind", sorted(LEAVING))
@pytest.mark.parametrize("step", sorted(STEPS))
def test_leaving_at_any_step_changes_nothing_and_stores_only_the_vote_given(stack, step, kind):
    player, after, transcript = _typed_at(stack, step, LEAVING, kind)
    assert after != step, transcript
    # the 👎 given before the reason or comment is kept; nothing else is a vote
    assert _votes(stack, player.chat.sender) == (["negatif"] if step in EVALUATION_STEPS else []), transcript
