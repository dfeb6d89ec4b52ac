"""Background work of the web front: expiring live-chat requests whose user left, and
writing into Rasa's trackers what waited for it.

Every CHECK_EVERY seconds, waiting requests whose user's chat gave no news for
CLAUDIA_LIVECHAT_ABANDON_SECONDS expire (claudia/waiting.py). The assistant
resumes their conversation and tells them, so they read why when they come back.
If Rasa cannot be reached, the resumption is kept in the database and done when it is back.
Every SYNC_EVERY seconds, operators' messages and resumptions that could not be
written while Rasa was away are written (web/tracker_sync.py). Every CHECK_EVERY
seconds, e-mails announcing answers to messages left that the SMTP server did not
take are sent again (claudia/ticket_mail.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from claudia import messages, services
from claudia.tracker_pending import PendingTracker
from claudia.ticket_mail import SmtpSettings, TicketMails
from web.tracker_sync import flush_all

logger = logging.getLogger(__name__)
CHECK_EVERY = 10.0
SYNC_EVERY = 2.0


def _resume(conversation_id: str) -> None:
    """The assistant takes the conversation back and says why: stored (the user's chat shows it at
    once), written into the tracker now or when Rasa is back (web/tracker_sync.py), even after a
    restart of this server."""
    buttons = messages.MENU_BUTTONS
    PendingTracker(services.handoffs().db).resume_saying(conversation_id, messages.ATTENTE_EXPIREE, buttons)
    services.conversations().remember_payloads(conversation_id, [b["payload"] for b in buttons])


async def expire_once(app: web.Application) -> None:
    loop = asyncio.get_running_loop()
    seconds = services.settings().livechat_abandon_seconds
    expired = await loop.run_in_executor(None, services.waiting_room().expire_abandoned, seconds)
    for handoff in expired:
        await loop.run_in_executor(None, _resume, handoff["conversation_id"])
        logger.info("live-chat request of %s expired: its user left", handoff["conversation_id"])
    if expired:
        await flush_all(app)


async def send_mails_once() -> int:
    """E-mails announcing answers to messages left that the SMTP server has not taken yet."""
    mails = TicketMails(services.tickets().db)
    return await asyncio.get_running_loop().run_in_executor(None, mails.send_pending, SmtpSettings.from_env())


async def _run(app: web.Application) -> None:
    rounds = 0
    while True:
        await asyncio.sleep(SYNC_EVERY)
        rounds += 1
        try:
            await flush_all(app)
            if rounds * SYNC_EVERY >= CHECK_EVERY:
                rounds = 0
                await expire_once(app)
                await send_mails_once()
        except Exception:
            logger.exception("live-chat housekeeping failed; next round in %ss", SYNC_EVERY)


async def _background(app: web.Application):
    task = asyncio.create_task(_run(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_livechat_jobs(app: web.Application) -> None:
    app.cleanup_ctx.append(_background)
