"""A signed-in user's message handled once, however many times their chat sends it.

The chat gives each message a `client_id` and sends it again, with the same id, when the
answer is slow (a timeout). The first arrival is handled in a task of its own, which runs
to its end even if the chat stops waiting (the connection closed); its answer is stored
(claudia/inbound.py). A later arrival gets that answer, or, while the first is still being
handled, `202 {"en_cours": true}` after a few seconds: the chat asks again later.

Only for a signed-in user in a conversation that is theirs: nothing is written before the
channel's own checks for anyone else (not-connected visitors are limited before any write).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from claudia import services
from claudia.conversations import valid_sender_id
from claudia.identity import bearer_token, verify_token
from claudia.inbound import InboundMessages, valid_client_id

logger = logging.getLogger(__name__)
REPLAY_WAIT_SECONDS = 5.0
STILL_HANDLED = {"en_cours": True}


async def _in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def _body(request: Request) -> dict:
    try:
        body = request.json
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _keep(store: InboundMessages, sender_id: str, client_id: str, task: asyncio.Future) -> None:
    loop = asyncio.get_running_loop()
    if task.cancelled() or task.exception() is not None:
        loop.run_in_executor(None, store.forget, sender_id, client_id)
        return
    answer: HTTPResponse = task.result()
    stored = json.dumps({"status": answer.status, "body": (answer.body or b"").decode("utf-8")})
    loop.run_in_executor(None, store.finish, sender_id, client_id, stored)


async def _replay(store: InboundMessages, sender_id: str, client_id: str, answer) -> HTTPResponse:
    waited = 0.0
    while answer is None and waited < REPLAY_WAIT_SECONDS:
        await asyncio.sleep(0.25)
        waited += 0.25
        answer = await _in_thread(store.answer_of, sender_id, client_id)
    if answer is None:
        return response.json(STILL_HANDLED, status=202)
    stored = json.loads(answer)
    logger.info("message %s of %s sent again: its answer is given again, not handled twice", client_id, sender_id)
    return response.raw(stored["body"].encode("utf-8"), status=stored["status"], content_type="application/json")


async def answered_once(request: Request, handle: Callable[[], Awaitable[HTTPResponse]]) -> HTTPResponse:
    body = _body(request)
    sender_id, client_id = body.get("sender"), body.get("client_id")
    if not valid_client_id(client_id) or not valid_sender_id(sender_id):
        return await handle()
    settings = services.settings()
    identity = verify_token(bearer_token(request.headers.get("Authorization")), settings.jwt_secret,
                            settings.jwt_audience)
    if identity is None or not await _in_thread(services.conversations().belongs_to, sender_id, identity.login):
        return await handle()
    store = InboundMessages(services.handoffs().db)
    seen = await _in_thread(store.begin, sender_id, client_id)
    if seen is not None:
        return await _replay(store, sender_id, client_id, seen["answer"])
    task = asyncio.ensure_future(handle())
    task.add_done_callback(lambda done: _keep(store, sender_id, client_id, done))
    return await asyncio.shield(task)
