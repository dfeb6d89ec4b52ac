"""Which rows written in a signed-in user's name their own sealed messages vouch for.

Besides the registry writes (claudia/assertions.py, `spend_confirmation`), actions write
rows in a signed-in user's name: evaluations (`feedback`), live-chat requests and messages
left (`handoffs`), journal entries of attempts that changed nothing (`journal`). Each is
checked here, at the write, against the channel's seals on the conversation's messages:

1. the latest message carries a valid seal (the actions' `current_login`);
2. the message the row comes from has not vouched for a row of this kind before (table
   `spent_messages`, primary key (message_id, kind), deleted once the message could no
   longer vouch for anything);
3. what the row says follows from what the user said and saw, as sealed:

| kind | the message it comes from | what must follow |
|---|---|---|
| `vote` (feedback) | the latest message giving a vote (👍 / 👎 clicked, an evaluation in words, or the intent) the first sent since the user last answered a text asking « Cette réponse vous a-t-elle aidé ? » (a question of the user's may come in between) | the row's vote is that one; its reason was clicked, or typed in answer to the reason question, after it; its comment is the text of one of the user's messages after it |
| `conseiller` (live-chat request) | the latest message | sealed intent `demander_agent` (typed, or the button) |
| `message` (message left) | the latest message | the row's text is its text, or it said yes to « Votre message pour le support serait : « … » » showing that very text |
| `journal:<outcome>:<siret>` (attempt that changed nothing) | the latest message | the SIRET (and successor) are in what the user typed in this conversation or in a text the user was shown; never for `confirmation_non_verifiee` |

Earlier messages count as evidence for `EVIDENCE_SECONDS` after their seal expired (the
user may take a while over a comment); only the latest must be fresh. A row that fails
is still written (a user's words are never lost), and marked in `unverified_rows` with the
reason; the readers show the mark and leave such votes out of the satisfaction figures.
Rows without a login (not signed in) name nobody and are not checked.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, List, Optional, Set

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from claudia import messages
from claudia.assertions import PURGE_EVERY_SECONDS, MessageAssertions, digest
from claudia.models import SpentMessage, UnverifiedRow, utcnow
from claudia.rate_limits import NowAndThen
from claudia.vocabulary import evaluation_in_words

VOTE, HANDOFF, MESSAGE_LEFT = "vote", "conseiller", "message"
EVIDENCE_SECONDS = 3600
CLICKED_VOTES = {"/evaluer_positif": "positif", "/evaluer_negatif": "negatif"}
INTENT_VOTES = {"evaluer_positif": "positif", "evaluer_negatif": "negatif"}
REASON_CLICK = "/choisir_motif"
# Why a row is not vouched for (unverified_rows.reason).
NO_SEAL, SPENT = "sceau_invalide", "message_deja_utilise"
NO_VOTE, NO_REASON, NO_COMMENT = "vote_non_donne", "motif_non_donne", "commentaire_non_saisi"
NO_REQUEST, NOT_TYPED, NO_SIRET = "demande_non_faite", "texte_non_saisi", "siret_non_donne"
# A journal entry written because the confirmation was not the user's: never vouched for.
UNCONFIRMED = "confirmation_non_verifiee"


@dataclass(frozen=True)
class Sealed:
    """One user message as the tracker holds it: its id, its text, the channel's seal on it."""
    message_id: Optional[str]
    text: Optional[str]
    seal: Any


@dataclass(frozen=True)
class Transcript:
    """What an action read from the conversation: the user's messages (oldest first, the
    latest last) and the assistant's texts (candidates for what each message answered)."""
    conversation_id: str
    messages: List[Sealed]
    shown: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    verified: bool
    message_id: Optional[str]  # the latest message when the row was written
    reason: Optional[str] = None


@dataclass(frozen=True)
class _Read:
    """A message whose seal checks out: its text and what the seal says."""
    message_id: str
    text: str
    intent: Optional[str]
    prompt: Optional[str]
    expires: int


def _digits(text: Optional[str]) -> str:
    return re.sub(r"\D", "", text or "")


def _click(text: str) -> Optional[str]:
    return text.split("{", 1)[0] if text.startswith("/") else None


def vote_of(message: _Read) -> Optional[str]:
    """The vote a message gives: 👍 / 👎 clicked, an evaluation in words, or the sealed intent."""
    clicked = _click(message.text)
    if clicked is not None:
        return CLICKED_VOTES.get(clicked)
    in_words = evaluation_in_words(message.text)
    if in_words is not None:
        return "positif" if in_words else "negatif"
    return INTENT_VOTES.get(message.intent or "")


def _clicked_reason(text: str) -> Optional[str]:
    if _click(text) != REASON_CLICK:
        return None
    try:
        return (json.loads("{" + text.split("{", 1)[1]) or {}).get("motif")
    except (ValueError, AttributeError, IndexError):
        return None


class Provenance:
    _purges = NowAndThen(PURGE_EVERY_SECONDS)

    def __init__(self, assertions: MessageAssertions):
        self.assertions = assertions
        self.db = assertions.db

    # -- reading the seals ----------------------------------------------------------------------
    def _read(self, transcript: Transcript) -> List[_Read]:
        """The messages whose seal the channel made for them, in this conversation, for the
        latest message's user, expired at most EVIDENCE_SECONDS ago; the latest must be fresh."""
        if not transcript.messages:
            return []
        latest = transcript.messages[-1]
        fresh = self.assertions.claims(latest.seal, latest.message_id, transcript.conversation_id, latest.text)
        if fresh is None:
            return []
        read = []
        for message in transcript.messages:
            claims = self.assertions.claims(message.seal, message.message_id, transcript.conversation_id,
                                            message.text, EVIDENCE_SECONDS)
            if claims is not None and claims["login"] == fresh["login"]:
                read.append(_Read(message.message_id, message.text or "", claims["intent"], claims["prompt"],
                                  claims["expires"]))
        return read if read and read[-1].message_id == latest.message_id else []

    @staticmethod
    def _showing(transcript: Transcript, words: str, *known: str) -> Set[str]:
        """Digests of the texts the assistant may have shown that contain `words`."""
        return {digest(text) for text in (*known, *transcript.shown) if words in text}

    # -- the rules --------------------------------------------------------------------------------
    def vote(self, transcript: Transcript, vote: str, reason: Optional[str] = None,
             comment: Optional[str] = None) -> Verdict:
        read = self._read(transcript)
        latest_id = _latest_id(transcript)
        if not read:
            return Verdict(False, latest_id, NO_SEAL)
        asking = self._showing(transcript, messages.EVALUATION_QUESTION, messages.EVALUATION_QUESTION,
                               messages.EVALUATION_NON_COMPRISE)
        # The vote is the first one given since the user last answered the evaluation question: it
        # may follow a question of theirs in between (« c'est quoi un SIRET ? » then « super »), but
        # a later « merci » after it is no second vote.
        answered = next((i for i in range(len(read) - 1, -1, -1) if read[i].prompt in asking), None)
        position = None if answered is None else next(
            (i for i in range(answered, len(read)) if vote_of(read[i]) is not None), None)
        if position is None or vote_of(read[position]) != vote:
            return Verdict(False, latest_id, NO_VOTE)
        after = read[position + 1:]
        if reason and not self._reason_given(transcript, after, reason):
            return Verdict(False, latest_id, NO_REASON)
        if comment and not any(m.text.strip()[:1000] == comment and _click(m.text) is None for m in after):
            return Verdict(False, latest_id, NO_COMMENT)
        return self._spend(read[position], VOTE, latest_id)

    def _reason_given(self, transcript: Transcript, after: List[_Read], reason: str) -> bool:
        """Clicked, or typed in answer to « Pouvez-vous nous décrire ce qui ne va pas ? »."""
        asking = self._showing(transcript, messages.QUESTION_MOTIF, messages.QUESTION_MOTIF)
        return any(_clicked_reason(m.text) == reason or (_click(m.text) is None and m.prompt in asking)
                   for m in after)

    def handoff_request(self, transcript: Transcript) -> Verdict:
        read = self._read(transcript)
        if not read:
            return Verdict(False, _latest_id(transcript), NO_SEAL)
        if read[-1].intent != "demander_agent":
            return Verdict(False, read[-1].message_id, NO_REQUEST)
        return self._spend(read[-1], HANDOFF, read[-1].message_id)

    def message_left(self, transcript: Transcript, text: str) -> Verdict:
        read = self._read(transcript)
        if not read:
            return Verdict(False, _latest_id(transcript), NO_SEAL)
        latest = read[-1]
        typed = _click(latest.text) is None and latest.text.strip()[:2000] == text
        confirmed_draft = latest.prompt == digest(messages.MESSAGE_COURT.format(message=text))
        if not (typed or confirmed_draft):
            return Verdict(False, latest.message_id, NOT_TYPED)
        return self._spend(latest, MESSAGE_LEFT, latest.message_id)

    def journal(self, transcript: Transcript, outcome: str, siret: Optional[str],
                successor_siret: Optional[str] = None, reason: Optional[str] = None) -> Verdict:
        if reason == UNCONFIRMED:
            return Verdict(False, _latest_id(transcript), UNCONFIRMED)
        read = self._read(transcript)
        if not read:
            return Verdict(False, _latest_id(transcript), NO_SEAL)
        typed = "".join(_digits(m.text) for m in read)  # a SIREN then its NIC, in two messages, too
        prompts = {m.prompt for m in read}
        seen = [_digits(text) for text in transcript.shown if digest(text) in prompts]
        for number in (siret, successor_siret):
            if number and number not in typed and not any(number in digits for digits in seen):
                return Verdict(False, read[-1].message_id, NO_SIRET)
        return self._spend(read[-1], f"journal:{outcome}:{siret or ''}"[:64], read[-1].message_id)

    # -- spending ---------------------------------------------------------------------------------
    def _spend(self, message: _Read, kind: str, latest_id: Optional[str]) -> Verdict:
        expires = datetime.utcfromtimestamp(message.expires) + timedelta(seconds=EVIDENCE_SECONDS + 1)
        try:
            with self.db.write() as session:
                session.execute(insert(SpentMessage).values(message_id=message.message_id, kind=kind,
                                                            expires_at=expires))
        except IntegrityError:
            return Verdict(False, latest_id, SPENT)
        self._purge_now_and_then()
        return Verdict(True, latest_id)

    def purge_expired(self) -> int:
        with self.db.write() as session:
            return session.execute(delete(SpentMessage).where(SpentMessage.expires_at < utcnow())).rowcount

    def _purge_now_and_then(self) -> None:
        if self._purges.due():
            self.purge_expired()


def _latest_id(transcript: Transcript) -> Optional[str]:
    return transcript.messages[-1].message_id if transcript.messages else None


# -- the stores' side -------------------------------------------------------------------------------
def mark(session: Session, verdict: Optional[Verdict], **row: int) -> None:
    """In the row's own transaction: marks it when its verdict says it is not vouched for
    (`row`: journal_id=, feedback_id= or handoff_id=)."""
    if verdict is not None and not verdict.verified:
        session.add(UnverifiedRow(message_id=verdict.message_id, reason=verdict.reason, created_at=utcnow(), **row))


def unverified(session: Session, column: Any, ids: Iterable[int]) -> Set[int]:
    """Which of these row ids are marked (`column`: UnverifiedRow.feedback_id, …)."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return set()
    return set(session.execute(select(column).where(column.in_(ids))).scalars())
