"""What the console must write into a conversation's tracker, kept until it is written.

An operator's message is stored (the user's chat reads it from the outbox) together with
the tracker event that keeps it in the transcript, in one transaction, before anything is
sent; so is the assistant's resumption when a chat is closed. The web front then writes
them into Rasa's tracker, in order; while Rasa is down they wait here and are written
when it is back (web/tracker_sync.py). A conversation's rows are claimed by one writer
at a time (`claimed_until`), so that two workers never write the same event twice.
"""
from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import List, Optional

from sqlalchemy import delete, select, update

from claudia.db import Database
from claudia.handoff import ASSISTANT, OPERATOR
from claudia.livechat_models import TrackerPending
from claudia.models import Outbox, utcnow

EVENT, RESUME, RESUME_SAYING = "evenement", "reprise", "reprise_dite"
CLAIM_SECONDS = 30


def _row(row: TrackerPending) -> dict:
    return {"id": row.id, "conversation_id": row.conversation_id, "outbox_id": row.outbox_id,
            "kind": row.kind, "payload": json.loads(row.payload), "created_at": row.created_at}


class PendingTracker:
    def __init__(self, database: Database):
        self.db = database

    def operator_message(self, conversation_id: str, text: str, operator_name: str, operator_login: str) -> int:
        """Stores an operator's message for the user's chat and, with it, its transcript event."""
        with self.db.write() as session:
            message = Outbox(conversation_id=conversation_id, at=utcnow(), author=OPERATOR,
                             operator_name=operator_name, text=text, buttons="[]")
            session.add(message)
            session.flush()
            event = {"event": "bot", "text": text, "timestamp": time.time(),
                     "metadata": {"operateur": operator_name, "operateur_login": operator_login,
                                  "outbox": message.id}}
            session.add(TrackerPending(conversation_id=conversation_id, outbox_id=message.id, kind=EVENT,
                                       payload=json.dumps(event, ensure_ascii=False), created_at=utcnow()))
            return message.id

    def resume_saying(self, conversation_id: str, text: str, buttons: list) -> int:
        """The assistant takes the conversation back saying `text` itself (a wait that expired):
        shown in the user's chat from the outbox at once, written into the tracker with the resumption."""
        with self.db.write() as session:
            message = Outbox(conversation_id=conversation_id, at=utcnow(), author=ASSISTANT, text=text,
                             buttons=json.dumps(buttons, ensure_ascii=False))
            session.add(message)
            session.flush()
            events = [{"event": "resume"},
                      {"event": "bot", "text": text, "data": {"buttons": buttons}, "metadata": {"outbox": message.id}},
                      {"event": "action", "name": "action_listen"}]
            session.add(TrackerPending(conversation_id=conversation_id, outbox_id=message.id, kind=RESUME_SAYING,
                                       payload=json.dumps(events, ensure_ascii=False), created_at=utcnow()))
            return message.id

    def resume(self, conversation_id: str, action: str) -> None:
        """The assistant takes the conversation back with `action` (after the chat was closed)."""
        with self.db.write() as session:
            session.add(TrackerPending(conversation_id=conversation_id, kind=RESUME,
                                       payload=json.dumps(action), created_at=utcnow()))

    def claim(self, conversation_id: str) -> List[dict]:
        """The conversation's rows, oldest first, for this writer alone for CLAIM_SECONDS;
        [] if there is none or another writer has them."""
        now = utcnow()
        with self.db.write() as session:
            rows = list(session.execute(select(TrackerPending).where(TrackerPending.conversation_id == conversation_id)
                                        .order_by(TrackerPending.id)).scalars())
            if not rows or any(r.claimed_until is not None and r.claimed_until > now for r in rows):
                return []
            for row in rows:
                row.claimed_until = now + timedelta(seconds=CLAIM_SECONDS)
            return [_row(r) for r in rows]

    def done(self, pending_id: int) -> None:
        with self.db.write() as session:
            session.execute(delete(TrackerPending).where(TrackerPending.id == pending_id))

    def release(self, ids: List[int]) -> None:
        if ids:
            with self.db.write() as session:
                session.execute(update(TrackerPending).where(TrackerPending.id.in_(ids))
                                .values(claimed_until=None).execution_options(synchronize_session=False))

    def conversations(self) -> List[str]:
        """Conversations with something still to write, the oldest first."""
        with self.db.read() as session:
            rows = session.execute(select(TrackerPending.conversation_id, TrackerPending.id)
                                   .order_by(TrackerPending.id)).all()
        return list(dict.fromkeys(conversation for conversation, _ in rows))

    def operator_lines(self, conversation_id: str) -> List[dict]:
        """What waits to be written (an operator's messages, an assistant's resumption), as the
        chat's history shows it."""
        with self.db.read() as session:
            rows = list(session.execute(select(TrackerPending).where(
                TrackerPending.conversation_id == conversation_id, TrackerPending.kind.in_((EVENT, RESUME_SAYING)))
                .order_by(TrackerPending.id)).scalars())
        lines = []
        for row in rows:
            payload = json.loads(row.payload)
            for event in payload if isinstance(payload, list) else [payload]:
                if event.get("event") != "bot":
                    continue
                operator = (event.get("metadata") or {}).get("operateur")
                buttons = (event.get("data") or {}).get("buttons") or []
                lines.append({"author": OPERATOR if operator else ASSISTANT, "operator_name": operator,
                              "text": event.get("text") or "", "at": event.get("timestamp"), "buttons": buttons,
                              "chosen": None, "active": bool(buttons)})
        return lines

    def count(self, conversation_id: Optional[str] = None) -> int:
        with self.db.read() as session:
            query = select(TrackerPending.id)
            if conversation_id:
                query = query.where(TrackerPending.conversation_id == conversation_id)
            return len(session.execute(query).all())
