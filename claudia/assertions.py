"""The channel's word on each user message, sealed, and spent by a write.

For every message of a signed-in user, the connected channel seals who sent it, the
intent it was understood as, a hash of the assistant's question it answered and an expiry
(five minutes at most, never after the portal token's), bound to the message's id, its
conversation and a hash of its text: an HMAC-SHA256 under a key derived from
CLAUDIA_JWT_SECRET, which only the servers hold. The seal travels with the message in
its parse data, so a turn costs no database write (bench/changes.md).

Actions read the user's identity from the seal of the tracker's latest message. A
registry write additionally needs that seal to say `affirmer` to the very confirmation
question the write's slots describe, and spends it: the message id goes into the
`spent_confirmations` table, where a second write with it fails on the primary key. So a
seal copied onto another message, conversation or text, or altered, or expired, proves
nothing; a replayed « oui » confirms nothing twice; events appended through Rasa's HTTP
API carry no seal the servers made for them.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any, Dict, Optional

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from claudia.db import Database
from claudia.models import SpentConfirmation, utcnow
from claudia.rate_limits import NowAndThen
from claudia.vocabulary import yes_no

CONFIRMING_INTENT = "affirmer"


def sealed_intent(intent: Optional[str], text: Optional[str]) -> Optional[str]:
    """The intent the seal vouches for: a plain yes in words (« go », « ok », « oui je
    confirme », `claudia.vocabulary.yes_no`) confirms, as the steps read it, whatever the
    model guessed. Otherwise a step would take the yes and the write then refuse it as
    unverified (seen: « go » at « Confirmez-vous cette action ? »)."""
    return CONFIRMING_INTENT if intent == CONFIRMING_INTENT or yes_no(text) is True else intent
# Where the seal travels: a key of the message's parse data (and so of the tracker's latest_message).
SEAL_KEY = "claudia_seal"
# Actions of one turn run within seconds; the seal outlives them only a little.
DEFAULT_TTL_SECONDS = 300
PURGE_EVERY_SECONDS = 60
_KEY_PURPOSE = b"claudia/message-seal/v1"


def digest(text: Optional[str]) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def seal_key(jwt_secret: str) -> bytes:
    """The sealing key, derived from the portal's secret for this one purpose (a seal is
    never a valid token signature, nor the other way round)."""
    return hmac.new(jwt_secret.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()


class MessageAssertions:
    _purges = NowAndThen(PURGE_EVERY_SECONDS)

    def __init__(self, database: Database, key: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS):
        self.db = database
        self._key = key
        self.ttl = ttl_seconds

    def seal(self, message_id: str, conversation_id: str, login: str, text: str,
             intent: Optional[str], prompt_hash: Optional[str], token_expires_at: int) -> Dict[str, Any]:
        """The channel's word on one message, before Rasa handles it (no I/O)."""
        expires = int(min(token_expires_at, time.time() + self.ttl))
        claims = {"login": login, "intent": intent, "prompt": prompt_hash, "expires": expires}
        return {**claims, "mac": self._mac(message_id, conversation_id, text, claims)}

    def _mac(self, message_id: str, conversation_id: str, text: Optional[str], claims: Dict[str, Any]) -> str:
        signed = json.dumps([message_id, conversation_id, digest(text), claims["login"], claims["intent"],
                             claims["prompt"], claims["expires"]], separators=(",", ":"))
        return hmac.new(self._key, signed.encode("utf-8"), hashlib.sha256).hexdigest()

    def _verified(self, seal: Any, message_id: Optional[str], conversation_id: str,
                  text: Optional[str]) -> Optional[Dict[str, Any]]:
        return self.claims(seal, message_id, conversation_id, text)

    def claims(self, seal: Any, message_id: Optional[str], conversation_id: str, text: Optional[str],
               grace_seconds: int = 0) -> Optional[Dict[str, Any]]:
        """What the seal says (login, intent, prompt, expires) if the channel made it for this
        message id, conversation and text, and it expired no more than `grace_seconds` ago
        (0: still valid). An earlier message of the conversation is evidence of what its user
        said and saw for a while after its seal stopped authorising anything (claudia/provenance.py)."""
        if not isinstance(seal, dict) or not isinstance(message_id, str) or not message_id:
            return None
        claims = {name: seal.get(name) for name in ("login", "intent", "prompt", "expires")}
        if not isinstance(claims["login"], str) or not isinstance(claims["expires"], int) \
                or not isinstance(seal.get("mac"), str):
            return None
        if not hmac.compare_digest(seal["mac"], self._mac(message_id, conversation_id, text, claims)):
            return None
        return claims if claims["expires"] > time.time() - grace_seconds else None

    def login_for(self, seal: Any, message_id: Optional[str], conversation_id: str,
                  text: Optional[str]) -> Optional[str]:
        """The user who sent this message in this conversation, if the channel sealed it so."""
        claims = self._verified(seal, message_id, conversation_id, text)
        return claims["login"] if claims else None

    def seen_prompt(self, seal: Any, message_id: Optional[str], conversation_id: str,
                    text: Optional[str]) -> Optional[str]:
        """The digest of the assistant's last message when the user sent this one; None when
        the message carries no valid seal (not signed in)."""
        claims = self._verified(seal, message_id, conversation_id, text)
        return None if claims is None else claims["prompt"]

    def spend_confirmation(self, seal: Any, message_id: Optional[str], conversation_id: str,
                           text: Optional[str], expected_prompt: str) -> Optional[str]:
        """The login who confirmed `expected_prompt` with this message, once; None otherwise."""
        claims = self._verified(seal, message_id, conversation_id, text)
        if claims is None or claims["intent"] != CONFIRMING_INTENT or claims["prompt"] != digest(expected_prompt):
            return None
        try:
            with self.db.write() as session:
                session.execute(insert(SpentConfirmation).values(
                    message_id=message_id, spent_at=utcnow(),
                    expires_at=datetime.utcfromtimestamp(claims["expires"]) + timedelta(seconds=1)))
        except IntegrityError:  # spent already
            return None
        self._purge_now_and_then()
        return claims["login"]

    def purge_expired(self) -> int:
        """Spent confirmations whose seal has expired: nothing could present them again."""
        with self.db.write() as session:
            return session.execute(
                delete(SpentConfirmation).where(SpentConfirmation.expires_at < utcnow())).rowcount

    def _purge_now_and_then(self) -> None:
        if self._purges.due():
            self.purge_expired()
