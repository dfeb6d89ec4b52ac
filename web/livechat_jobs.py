"""Background work of the web front: expiring live-chat requests whose user left.

Every CHECK_EVERY seconds, waiting requests whose user's chat gave no news for
CLAUDIA_LIVECHAT_ABANDON_SECONDS expire (claudia/waiting.py). The assistant
resumes their conversation and tells them, so they read why when they come back.
If Rasa cannot be reached, the resumption is tried again at the next round.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from claudia import messages, services
from claudia.handoff import ASSISTANT
from web.rasa_api import RASA

logger = logging.getLogger(__name__)
CHECK_EVERY = 10.0
PENDING = web.AppKey("expired_to_resume", list)


async def _resume(app: web.Application, conversation_id: str) -> None:
    buttons = messages.MENU_BUTTONS
    await app[RASA].append(conversation_id, [
        {"event": "resume"},
        {"event": "bot", "text": messages.ATTENTE_EXPIREE, "data": {"buttons": buttons}},
        {"event": "action", "name": "action_listen"},
    ])
    services.handoffs().post(conversation_id, ASSISTANT, messages.ATTENTE_EXPIREE, buttons=buttons)
    services.conversations().remember_payloads(conversation_id, [b["payload"] for b in buttons])


async def expire_once(app: web.Application) -> None:
    loop = asyncio.get_running_loop()
    seconds = services.settings().livechat_abandon_seconds
    expired = await loop.run_in_executor(None, services.waiting_room().expire_abandoned, seconds)
    app[PENDING].extend(h["conversation_id"] for h in expired)
    for conversation_id in list(app[PENDING]):
        try:
            await _resume(app, conversation_id)
            app[PENDING].remove(conversation_id)
            logger.info("live-chat request of %s expired: its user left", conversation_id)
        except Exception:  # Rasa down or slow: try again next round
            logger.warning("could not resume %s after its request expired", conversation_id, exc_info=True)


async def _run(app: web.Application) -> None:
    while True:
        await asyncio.sleep(CHECK_EVERY)
        try:
            await expire_once(app)
        except Exception:
            logger.exception("live-chat housekeeping failed; next round in %ss", CHECK_EVERY)


async def _background(app: web.Application):
    task = asyncio.create_task(_run(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_livechat_jobs(app: web.Application) -> None:
    app[PENDING] = []
    app.cleanup_ctx.append(_background)
