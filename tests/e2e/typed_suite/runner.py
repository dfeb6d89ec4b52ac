"""Plays the typed conversations written by people who never saw the code or the data.

Each conversation (tests/e2e/typed_suite/*.yml, format in docs/repair.md) is a list of
user turns. A turn may say at which step it is meant (`at: siret`): it is sent only
when ClaudIA is at that step, so a conversation still makes sense when ClaudIA infers
a step the writer expected to be asked; when ClaudIA asks a step the writer did not
script, the persona's `if_asked` answer is sent instead (counted as an extra question).

A conversation passes when, at the end, the registry, the stored votes and the
handoffs are what the writer expected, every turn tagged with an `expect:` got an answer
of that kind, and no question was asked three times in a row without help (a trap).
"""
from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import requests
import yaml

from tests.e2e.stack import API_TOKEN, Chat, Stack

SUITE = Path(__file__).resolve().parent

STEP_OF_SLOT = {
    "type_structure": "type", "action_statut": "action", "siret": "siret",
    "confirmation_structure": "fiche", "successeur_existe": "successeur_existe",
    "siret_successeur": "siret_successeur", "confirmation_action": "confirmation",
    "motif_insatisfaction": "motif", "commentaire": "commentaire", "envoi_commentaire": "envoi",
    "message_conseiller": "message",
}
QUESTION_STEPS = set(STEP_OF_SLOT.values()) | {"evaluation"}
# The evaluation and what follows it are optional: a message meant for them is still sent
# once ClaudIA has moved on (the user typed it anyway).
OPTIONAL_STEPS = {"evaluation", "suite"}
WAY_OUT = {"/demander_agent", "/annuler", "/nier"}


def plain(text: str) -> str:
    """Lower case without accents, for the checks' keywords."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _payloads(replies: List[dict]) -> List[str]:
    return [b.get("payload", "") for r in replies for b in r.get("buttons") or []]


def _has(*words: str) -> Callable[[str, List[dict]], bool]:
    return lambda text, replies: any(plain(w) in text for w in words)


def _agent_offered(text: str, replies: List[dict]) -> bool:
    return "/demander_agent" in _payloads(replies) or "conseiller" in text


# What an answer must do for each `expect:` tag (on the plain text of the turn's replies).
EXPECTATIONS: Dict[str, Callable[[str, List[dict]], bool]] = {
    "ou_trouver_siret": _has("annuaire-entreprises"),
    "definition": _has("14 chiffres", "identifi", "reprenant l'activite", "9 chiffres"),
    "prerequis": _has("gestionnaire"),
    "devenir_gestionnaire": _has("communaute.chorus-pro.gouv.fr", "rattacher"),
    "qui_contacter": lambda text, replies: "support" in text and _agent_offered(text, replies),
    "factures_apres": _has("facture"),
    "statut": _has("est active", "est inactive", "actuellement active", "actuellement inactive"),
    "hors_sujet": lambda text, replies: "chorus-pro.gouv.fr" in text and _agent_offered(text, replies),
    "conseiller": _has("conseiller", "message pour le support"),
    "aide_etape": lambda text, replies: "/demander_agent" in _payloads(replies) and bool(
        {"/annuler", "/nier"} & set(_payloads(replies))),
    "annule": _has("rien modifie", "rien n'a ete modifie", "n'ai rien modifie"),
    "reprise": lambda text, replies: any(ch.isdigit() for ch in text) or "finalement" in text,
    "deux_structures": _has("l'une apres l'autre", "une apres l'autre", "ensuite"),
    "repete": lambda text, replies: True,  # checked by the step asked again (below)
}


@dataclass
class Outcome:
    conversation: str
    failures: List[str] = field(default_factory=list)
    traps: int = 0
    unexpected_votes: int = 0
    extra_questions: int = 0
    skipped_turns: int = 0
    transcript: List[str] = field(default_factory=list)
    unverified: List[str] = field(default_factory=list)  # rows of the user's own marked unverified

    @property
    def passed(self) -> bool:
        return not self.failures


def load_conversations() -> List[dict]:
    conversations = []
    for path in sorted(SUITE.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for conversation in data["conversations"]:
            conversation["file"] = path.name
            conversations.append(conversation)
    return conversations


class Player:
    """Plays one conversation against a running stack and judges it."""

    def __init__(self, stack: Stack, conversation: dict, sender: str):
        self.stack, self.conversation = stack, conversation
        login = conversation.get("login")
        self.chat = Chat(stack, sender, None if login in (None, "anonymous") else login)
        self.outcome = Outcome(conversation["id"])
        self.history: List[tuple] = []  # (step after the turn, way out offered)
        self.person_offered = False

    # -- what ClaudIA is asking ------------------------------------------------------------
    def step(self) -> str:
        tracker = requests.get(
            f"http://127.0.0.1:{self.stack.rasa_port}/conversations/{self.chat.sender}/tracker",
            params={"token": API_TOKEN, "include_events": "NONE"}, timeout=30).json()
        loop = (tracker.get("active_loop") or {}).get("name")
        slot = (tracker.get("slots") or {}).get("requested_slot")
        if loop and slot in STEP_OF_SLOT:
            return STEP_OF_SLOT[slot]
        text = plain(self.chat.text)
        titles = [plain(b.get("title", "")) for r in self.chat.replies for b in r.get("buttons") or []]
        if "cette reponse vous a-t-elle aide" in text:
            return "evaluation"
        if "contacter un agent" in titles and "continuer notre conversation" in titles:
            return "suite"
        if "ne plus attendre" in titles:
            return "attente"
        return "accueil"

    def send(self, text: str) -> str:
        self.chat.say(text)
        after = self.step()
        replies = self.chat.replies
        self.outcome.transcript.append(f"> {text}")
        self.outcome.transcript += [f"< {r.get('text') or ''}"[:300] for r in replies]
        way_out = bool(WAY_OUT & set(_payloads(replies)))
        self.person_offered |= _agent_offered(plain(self.chat.text), replies)
        self.history.append((after, way_out))
        if self.chat.status != 200:
            self.outcome.failures.append(f"HTTP {self.chat.status} on {text!r}")
        last = self.history[-3:]
        if len(last) == 3 and after in QUESTION_STEPS and all(s == after for s, _ in last) and not way_out:
            self.outcome.traps += 1
            self.outcome.failures.append(f"trap: {after} asked three times in a row, no way out, after {text!r}")
        return after

    # -- the conversation ----------------------------------------------------------------------
    def play(self) -> Outcome:
        if_asked = self.conversation.get("if_asked") or {}
        step = "accueil"
        turns = self.conversation["turns"]
        for at, turn in enumerate(turns):
            wanted = turn.get("at")
            answered = 0
            if wanted and step != wanted and any(later.get("at") == step for later in turns[at + 1:]):
                # ClaudIA inferred this step (« activer la mairie » says the type and the
                # operation): the writer's own answer to the step asked comes later in the script.
                self.outcome.skipped_turns += 1
                self.outcome.transcript.append(f"(inferred before {step}: {turn['say']!r} meant for {wanted})")
                continue
            while wanted and step != wanted and step in if_asked and answered < 2:
                step = self.send(str(if_asked[step]))
                answered += 1
                self.outcome.extra_questions += 1
            if wanted and step != wanted and not (wanted in OPTIONAL_STEPS and step == "accueil"):
                self.outcome.skipped_turns += 1
                self.outcome.transcript.append(f"(skipped at {step}: {turn['say']!r} meant for {wanted})")
                continue
            before = step
            step = self.send(str(turn["say"]))
            self._check_expectation(turn.get("expect"), before, step)
        return self.outcome

    def _check_expectation(self, tag: Optional[str], before: str, after: str) -> None:
        if not tag:
            return
        check = EXPECTATIONS.get(tag)
        if check is None:
            self.outcome.failures.append(f"unknown expectation {tag!r}")
            return
        if not check(plain(self.chat.text), self.chat.replies):
            self.outcome.failures.append(f"expected {tag} after {self.outcome.transcript[-len(self.chat.replies) - 1]!r}")
        if tag in ("repete", "ou_trouver_siret", "definition", "prerequis", "hesite") and before in QUESTION_STEPS \
                and before not in OPTIONAL_STEPS and after != before:
            self.outcome.failures.append(f"{tag}: step {before} not asked again (now {after})")


def unverified_rows(db: sqlite3.Connection, sender: str) -> List[str]:
    """The conversation's journal, feedback and handoff rows marked unverified (claudia/provenance.py):
    every row here comes from the user's own messages, so none should be."""
    found = []
    for table, column in (("journal", "journal_id"), ("feedback", "feedback_id"), ("handoffs", "handoff_id")):
        found += [f"{table} {row_id}: {reason}" for row_id, reason in db.execute(
            f"SELECT t.id, u.reason FROM unverified_rows u JOIN {table} t ON t.id = u.{column} "
            "WHERE t.conversation_id = ?", (sender,))]
    return found


def judge_end(stack: Stack, player: Player) -> None:
    """The registry, the votes and the handoffs at the end, against the writer's expectations."""
    expected = player.conversation.get("expect") or {}
    outcome, sender = player.outcome, player.chat.sender
    with sqlite3.connect(stack.workdir / "claudia.db") as db:
        for siret, status in (expected.get("registry") or {}).items():
            row = db.execute("SELECT status FROM structures WHERE siret = ?", (str(siret),)).fetchone()
            if row is None or row[0] != status:
                outcome.failures.append(f"registry {siret}: {row and row[0]} instead of {status}")
        for siret, successor in (expected.get("successor") or {}).items():
            row = db.execute("SELECT successor_siret FROM structures WHERE siret = ?", (str(siret),)).fetchone()
            if row is None or row[0] != str(successor):
                outcome.failures.append(f"successor of {siret}: {row and row[0]} instead of {successor}")
        votes = [v for (v,) in db.execute(
            "SELECT vote FROM feedback WHERE conversation_id = ? ORDER BY id", (sender,))]
        handoffs = db.execute("SELECT COUNT(*) FROM handoffs WHERE conversation_id = ?", (sender,)).fetchone()[0]
        outcome.unverified = unverified_rows(db, sender)
    wanted_votes = [str(v) for v in expected.get("votes") or []]
    if votes != wanted_votes:
        outcome.unexpected_votes = max(0, len(votes) - len(wanted_votes))
        outcome.failures.append(f"votes {votes} instead of {wanted_votes}")
    if bool(expected.get("handoff")) and not handoffs and not player.person_offered:
        outcome.failures.append("a person was asked for and no handoff was made")
    if not expected.get("handoff") and handoffs:
        outcome.failures.append("a handoff nobody asked for")
