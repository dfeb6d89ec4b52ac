"""The live chat's life from the user's side: ending it, signing out, which conversation is theirs.

- The user ends their chat (a button, in words, or by starting a new conversation): a
  waiting request is cancelled, an ongoing chat closed; how it ended is kept for the
  operator, whose console says so at its next refresh (every 2 s).
- The user signs out of the portal: the chat stays open (they find it when they sign in
  again), the operator is told; their next news clears it.
- The account's conversation: the chat follows the account, not the browser session.
  A sign-in continues the account's conversation when it has an open live chat or was
  active within `resume_within`; otherwise a new one starts.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from claudia.db import Database, row_of
from claudia.handoff import CLOSED, ONGOING, WAITING, HandoffQueue, _as_dict
from claudia.livechat_models import AccountConversation, HandoffUserSide
from claudia.models import ConversationActivity, Handoff, HandoffActivity, utcnow
from claudia.waiting import CANCELLED

BUTTON, WORDS, NEW_CONVERSATION = "bouton", "mots", "nouvelle_conversation"


def new_conversation_id() -> str:
    return "portail-" + secrets.token_hex(12)


class UserSide:
    def __init__(self, database: Database):
        self.db = database

    # -- the live chat ---------------------------------------------------------------
    def end(self, conversation_id: str, how: str) -> Optional[dict]:
        """Ends the conversation's open live chat on the user's behalf; None if there is none.
        The answer's `was` is the status it had (attente or en_cours)."""
        with self.db.write() as session:
            handoff = HandoffQueue._open(session, conversation_id)
            if handoff is None:
                return None
            was = handoff.status
            handoff.status, handoff.closed_at = (CLOSED if was == ONGOING else CANCELLED), utcnow()
            side = row_of(session, HandoffUserSide, handoff_id=handoff.id)
            side.ended_how, side.ended_at = how, utcnow()
            return {**_as_dict(handoff), "was": was}

    def signed_out(self, conversation_id: str) -> Optional[int]:
        """The user signed out of the portal: the operator of their open chat is told."""
        with self.db.write() as session:
            handoff = HandoffQueue._open(session, conversation_id)
            if handoff is None:
                return None
            row_of(session, HandoffUserSide, handoff_id=handoff.id).signed_out_at = utcnow()
            row_of(session, HandoffActivity, handoff_id=handoff.id).user_left_at = utcnow()
            return handoff.id

    def of(self, handoff_ids: List[int]) -> Dict[int, dict]:
        """For each chat: whether the user signed out, and how they ended it (if they did)."""
        if not handoff_ids:
            return {}
        with self.db.read() as session:
            rows = session.execute(select(HandoffUserSide).where(HandoffUserSide.handoff_id.in_(handoff_ids)))
            return {side.handoff_id: {"user_signed_out": side.signed_out_at is not None,
                                      "user_ended": side.ended_how}
                    for side in rows.scalars()}

    # -- the account's conversation ------------------------------------------------------
    def conversation_for_sign_in(self, login: str, resume_within: timedelta) -> str:
        """The conversation a new sign-in of `login` continues, or a new one."""
        try:
            return self._for_sign_in(login, resume_within)
        except IntegrityError:  # a sign-in of the same account at the same moment recorded it first
            return self._for_sign_in(login, resume_within)

    def _for_sign_in(self, login: str, resume_within: timedelta) -> str:
        with self.db.write() as session:
            current = session.get(AccountConversation, login)
            open_chat = session.execute(
                select(Handoff.conversation_id).where(Handoff.login == login,
                                                      Handoff.status.in_((WAITING, ONGOING)))
                .order_by(Handoff.created_at.desc())).scalars().first()
            if open_chat is not None:
                chosen = open_chat
            elif current is not None and self._recent(session, current, resume_within):
                chosen = current.conversation_id
            else:
                chosen = new_conversation_id()
            self._set(session, current, login, chosen)
            return chosen

    def current(self, login: str) -> Optional[str]:
        with self.db.read() as session:
            row = session.get(AccountConversation, login)
            return row.conversation_id if row else None

    def start_new(self, login: str) -> str:
        """« Nouvelle conversation »: the account's conversation is a new one, for every session."""
        conversation_id = new_conversation_id()
        with self.db.write() as session:
            self._set(session, session.get(AccountConversation, login), login, conversation_id)
        return conversation_id

    @staticmethod
    def _set(session, row: Optional[AccountConversation], login: str, conversation_id: str) -> None:
        if row is None:
            session.add(AccountConversation(login=login, conversation_id=conversation_id, started_at=utcnow()))
        elif row.conversation_id != conversation_id:
            row.conversation_id, row.started_at = conversation_id, utcnow()

    @staticmethod
    def _recent(session, row: AccountConversation, within: timedelta) -> bool:
        last = session.execute(select(ConversationActivity.last_message_at)
                               .where(ConversationActivity.sender_id == row.conversation_id)).scalar()
        return max(filter(None, (last, row.started_at))) > utcnow() - within
