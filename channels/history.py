"""The chat's history and news, for the conversation's owner only.

- `POST /webhooks/connected/history`: opening the chat. A new conversation gets
  the assistant's greeting (its `utter_saluer`, never a message the user did not
  write); answers to messages the user left are delivered; then the whole
  conversation so far, from the tracker, with answered buttons marked.
- `GET /webhooks/connected/updates?after=<id>`: messages pushed since (operator's,
  assistant's), and the live-chat request with the place in the queue. Each call
  marks the user present; `POST /webhooks/connected/left` says they closed the page.
- `POST /webhooks/connected/end`: the chat's « Terminer la discussion » ends the live
  chat (channels/waiting.py); the assistant resumes and says so.

Same `Authorization: Bearer <portal token>` as the webhook; the conversation must be
the token's (403 otherwise).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Callable, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import ActionExecuted, BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from claudia import messages, params, services
from claudia.chat_history import readable
from claudia.conversations import valid_sender_id
from claudia.identity import bearer_token, verify_token
from claudia.tracker_pending import PendingTracker
from claudia.user_side import BUTTON
from channels import waiting

logger = logging.getLogger(__name__)
MAX_SENDER_LENGTH = 128


async def _in_thread(function: Callable, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def owner(request: Request, sender_id: str) -> Optional[tuple]:
    """(sender_id, login) when the token's identity owns the conversation, else None."""
    settings = services.settings()
    identity = verify_token(bearer_token(request.headers.get("Authorization")),
                            settings.jwt_secret, settings.jwt_audience)
    login = identity.login if identity else None
    # Only a connected user has a history to read: an anonymous caller must not be able
    # to create trackers or owner rows by polling made-up ids (docs/security.md).
    if login is None or not valid_sender_id(sender_id) or len(sender_id) > MAX_SENDER_LENGTH or \
            not await _in_thread(services.conversations().claim, sender_id, login):
        return None
    return sender_id, login


def _refused(sender_id: str) -> HTTPResponse:
    return response.json([{"recipient_id": sender_id, "text": messages.CONVERSATION_D_UN_AUTRE}], status=403)


def _sender(request: Request) -> str:
    if request.method == "GET":
        return request.args.get("sender") or ""
    body = request.json if isinstance(request.json, dict) else {}
    sender = body.get("sender")
    return sender if isinstance(sender, str) else ""


def _ticket_text(ticket: dict) -> str:
    day = datetime.fromisoformat(ticket["created_at"].rstrip("Z")).strftime("%d/%m/%Y")
    return messages.REPONSE_AU_MESSAGE.format(
        operateur=ticket["answer"]["operator_name"], date=day, message=ticket["message"],
        reponse=ticket["answer"]["text"])


async def _open(agent, sender_id: str, login: Optional[str]) -> List[dict]:
    """Greets a new conversation, delivers ticket answers, returns the readable history."""
    async with agent.lock_store.lock(sender_id):
        processor = agent.processor
        tracker = await processor.fetch_tracker_with_initial_session(sender_id)
        if not any(isinstance(event, BotUttered) for event in tracker.events):
            collector = CollectingOutputChannel()
            await agent.execute_action(sender_id, "utter_saluer", collector, None, None)
            tracker = await processor.get_tracker(sender_id)
            tracker.update(ActionExecuted("action_listen"))
            await processor.save_tracker(tracker)
            await _in_thread(services.conversations().remember_payloads, sender_id,
                             [b["payload"] for m in collector.messages for b in m.get("buttons") or []])
        answers = await _in_thread(services.tickets().deliver, login, sender_id)
        if answers:
            for ticket in answers:
                tracker.update(BotUttered(_ticket_text(ticket), metadata={
                    "operateur": ticket["answer"]["operator_name"], "ticket": ticket["id"]}))
            await processor.save_tracker(tracker)
        return readable([event.as_dict() for event in tracker.events])


def add_routes(blueprint: Blueprint) -> None:
    @blueprint.route("/history", methods=["POST"])
    async def history(request: Request) -> HTTPResponse:
        sender_id = _sender(request)
        found = await owner(request, sender_id)
        if found is None:
            return _refused(sender_id)
        lines = await _open(request.app.ctx.agent, *found)
        # An operator's messages sent while this server was away are in the tracker only once the
        # console has written them (web/tracker_sync.py); until then, shown from where they wait.
        lines += await _in_thread(PendingTracker(services.handoffs().db).operator_lines, sender_id)
        queue = services.handoffs()
        pushed = await _in_thread(queue.outbox_after, sender_id, 0)
        return response.json({
            "messages": lines,
            "last_pushed": max((m["id"] for m in pushed), default=0),
            "live_chat": await _in_thread(services.waiting_room().news_for_user, sender_id),
        })

    @blueprint.route("/updates", methods=["GET"])
    async def updates(request: Request) -> HTTPResponse:
        sender_id = _sender(request)
        try:
            after = params.whole_number(request.args.get("after"), "after", default=0)
        except params.BadParameter as error:
            return response.json([{"recipient_id": sender_id if valid_sender_id(sender_id) else "",
                                   "text": str(error)}], status=400)
        if await owner(request, sender_id) is None:
            return _refused(sender_id)
        return response.json({
            "messages": await _in_thread(services.handoffs().outbox_after, sender_id, after),
            "live_chat": await _in_thread(services.waiting_room().news_for_user, sender_id),
        })

    @blueprint.route("/end", methods=["POST"])
    async def end(request: Request) -> HTTPResponse:
        """The chat's « Terminer la discussion »: ends the live chat open in this conversation."""
        sender_id = _sender(request)
        if await owner(request, sender_id) is None:
            return _refused(sender_id)
        replies = await waiting.end_live_chat(request.app.ctx.agent, sender_id, BUTTON)
        return response.json({"ended": replies is not None, "messages": replies or []})

    @blueprint.route("/left", methods=["POST"])
    async def left(request: Request) -> HTTPResponse:
        sender_id = _sender(request)
        if await owner(request, sender_id) is None:
            return _refused(sender_id)
        await _in_thread(services.waiting_room().user_left, sender_id)
        return response.json({"ok": True})
