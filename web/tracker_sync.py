"""Writing the console's part of a conversation into Rasa's tracker, once, even across restarts.

An operator's words and the assistant's resumption are first stored in the database
(claudia/tracker_pending.py): the user's chat shows an operator's message from there at
once. They are then written into the tracker (the transcript, the user's history, the
review) now if Rasa answers, otherwise by `flush_all`, which the web front's background
job runs every few seconds: nothing the operator sent is lost while Rasa restarts, and
nothing is written twice (an event already in the tracker is recognised by its outbox id).
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from claudia import services
from claudia.accounts import ConsoleUser
from claudia.handoff import ASSISTANT
from claudia.tracker_pending import EVENT, RESUME_SAYING, PendingTracker
from web.rasa_api import RASA, RasaApi

logger = logging.getLogger(__name__)


class ActionsAway(Exception):
    """Rasa answered but its action server did not: the action said nothing (Rasa drops its events)."""


UNREACHABLE = (aiohttp.ClientError, asyncio.TimeoutError, ActionsAway)


def pending() -> PendingTracker:
    return PendingTracker(services.handoffs().db)


async def resume_assistant(rasa: RasaApi, conversation_id: str, action: str) -> None:
    """The assistant takes the conversation back: it runs `action`, then waits for the user."""
    await rasa.append(conversation_id, [{"event": "resume"}])
    replies = await rasa.execute(conversation_id, action)
    if not replies:  # the actions it resumes with always speak: their server is away, try again later
        raise ActionsAway(action)
    await rasa.append(conversation_id, [{"event": "action", "name": "action_listen"}])
    queue = services.handoffs()
    for reply in replies:
        queue.post(conversation_id, ASSISTANT, reply.get("text") or "", buttons=reply.get("buttons") or [])
    payloads = [b["payload"] for reply in replies for b in reply.get("buttons") or []]
    services.conversations().remember_payloads(conversation_id, payloads)


async def flush(rasa: RasaApi, conversation_id: str) -> bool:
    """Writes what waits for this conversation; True when nothing is left to write."""
    store = pending()
    rows = store.claim(conversation_id)
    if not rows:
        return store.count(conversation_id) == 0
    left = [row["id"] for row in rows]
    try:
        written = None
        for row in rows:
            if row["kind"] in (EVENT, RESUME_SAYING):
                if written is None:  # outbox ids already in the tracker (a crash after writing, before forgetting)
                    written = {(e.get("metadata") or {}).get("outbox") for e in await rasa.events(conversation_id)
                               if e.get("event") == "bot"}
                if row["outbox_id"] not in written:
                    events = row["payload"] if row["kind"] == RESUME_SAYING else [row["payload"]]
                    await rasa.append(conversation_id, events)
            else:
                await resume_assistant(rasa, conversation_id, row["payload"])
            store.done(row["id"])
            left.remove(row["id"])
        return True
    except UNREACHABLE:
        logger.info("Rasa or its actions unreachable: %d event(s) of %s will be written when it is back",
                    len(left), conversation_id)
        return False
    finally:
        store.release(left)


async def say_to_user(app: web.Application, conversation_id: str, text: str, user: ConsoleUser) -> bool:
    """An operator's words: stored first (the user's chat shows them from the database), then
    written into the transcript. False when Rasa is away: they will be written at its return."""
    pending().operator_message(conversation_id, text, user.name, user.login)
    return await flush(app[RASA], conversation_id)


async def resume_later_if_needed(app: web.Application, conversation_id: str, action: str) -> bool:
    """The assistant's resumption after a closed chat, stored, then done now if Rasa answers."""
    pending().resume(conversation_id, action)
    return await flush(app[RASA], conversation_id)


async def flush_all(app: web.Application) -> None:
    """Every conversation with something left to write (the background job)."""
    for conversation_id in pending().conversations():
        if not await flush(app[RASA], conversation_id):
            return  # Rasa still away: next round
