"""The authenticated chat channel: `POST /webhooks/connected/webhook`.

Request: JSON `{"sender": "<conversation id>", "message": "<text or /payload>"}`
with `Authorization: Bearer <portal JWT>`. Answer: like Rasa's REST channel,
a JSON list of messages (`recipient_id`, `text`, `buttons` [{title, payload}]).

What it guarantees, before Rasa sees anything:
- identity comes from the verified token only; any `metadata` in the body is
  dropped. Without a valid token the conversation is "not connected";
- a conversation id stays with the identity that started it (403 otherwise);
- a message starting with "/" is accepted only if it is exactly one of the
  buttons just offered in this conversation: typing it is then the same as
  clicking. Anything else gets a polite French answer and reaches nobody;
- for a signed-in user's message, the channel understands it (NLU) itself and
  seals who sent it, what it said, what it was understood as and which question
  of the assistant it answered (claudia/assertions.py: an HMAC under a key only
  the servers hold, bound to this message id, conversation and text, valid five
  minutes at most). Rasa gets the message with that id and parse, the seal
  included; a write needs that seal, and spends it;
- conversation ids are restricted to letters, digits and `._:@-`;
  not-connected visitors are limited (channels/guards.py) before anything is written:
  a refused message leaves no conversation row, count or tracker event behind;
- a text that cannot be stored (a lone surrogate sent as `"\\ud800"`, a NUL) gets a
  French 400 before anything is sealed or written; `after` of the polling routes is
  checked by claudia/params.py (a French 400, never a 500).
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from claudia import messages, params, services
from channels import guards, history, metrics_hooks, once, waiting
from rasa_extensions import speedups
from claudia.assertions import SEAL_KEY, digest, sealed_intent
from claudia.conversations import valid_sender_id
from claudia.identity import bearer_token, token_expiry, verify_token
from claudia.typed_buttons import button_for

logger = logging.getLogger(__name__)
speedups.apply()
metrics_hooks.install()  # times Rasa's stages of each turn (claudia/metrics.py)
# Set by serving/serve_rasa.py when the Rasa server runs several workers.
CLOSE_CONNECTIONS_ENV = "CLAUDIA_RASA_CLOSE_CONNECTIONS"


def _bot_reply(sender_id: str, text: str, status: int = 200) -> HTTPResponse:
    return response.json([{"recipient_id": sender_id, "text": text}], status=status)


async def _in_thread(function: Callable, *args: Any) -> Any:
    """Database calls are short but blocking: keep them off Sanic's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def _offered_buttons(replies: List[Dict[str, Any]]) -> List[List[str]]:
    """[payload, title] of every button of the answer: a payload typed is accepted only if
    offered, a title typed is read as the click (claudia/typed_buttons.py)."""
    return [
        [button["payload"], str(button.get("title") or "")]
        for reply in replies
        for button in reply.get("buttons") or []
        if isinstance(button.get("payload"), str)
    ]


def _prompt_hash(replies: List[Dict[str, Any]]) -> Optional[str]:
    """The question the user now sees: the last text the assistant said in this turn."""
    texts = [reply["text"] for reply in replies if isinstance(reply.get("text"), str)]
    return digest(texts[-1]) if texts else None


class ConnectedInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "connected"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("connected_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            meter, status = metrics_hooks.TurnMeter(), 500
            try:
                # A message sent again (same client_id, after a timeout) is answered once.
                answer = await once.answered_once(request, lambda: self._receive(request, on_new_message, meter))
                status = answer.status
                return answer
            except SQLAlchemyError:
                logger.exception("database unavailable")
                sender = (_json_body(request) or {}).get("sender")
                status = 503
                return _bot_reply(sender if isinstance(sender, str) else "", messages.INCIDENT_TECHNIQUE, status=503)
            finally:
                meter.finish(status)

        @webhook.route("/messages", methods=["GET"])
        async def pending(request: Request) -> HTTPResponse:
            return await self._pending(request)

        # With several Rasa workers (serving/worker_accept.py), a connection kept alive
        # would bring every message of this client to the worker that accepted it: closing
        # it sends the next one to whichever worker is free, as a proxy's new connection would.
        if os.environ.get(CLOSE_CONNECTIONS_ENV):
            @webhook.middleware("response")
            async def spread_the_next_message(request: Request, _response: HTTPResponse) -> None:
                if request.stream is not None:
                    request.stream.keep_alive = False

        history.add_routes(webhook)
        return webhook

    async def _pending(self, request: Request) -> HTTPResponse:
        """Messages that did not come as an answer (an operator's, the assistant's after a
        live chat), newer than `after`, for the owner of the conversation only."""
        sender_id = request.args.get("sender") or ""
        try:
            after = params.whole_number(request.args.get("after"), "after", default=0)
        except params.BadParameter as error:
            return _bot_reply(sender_id if valid_sender_id(sender_id) else "", str(error), status=400)
        settings = services.settings()
        identity = verify_token(
            bearer_token(request.headers.get("Authorization")), settings.jwt_secret, settings.jwt_audience
        )
        login = identity.login if identity else None
        if not valid_sender_id(sender_id):
            return _bot_reply("", messages.REQUETE_INVALIDE, status=400)
        # Polling never creates a conversation: an unknown id is not the caller's.
        if not await _in_thread(services.conversations().belongs_to, sender_id, login):
            return _bot_reply(sender_id, messages.CONVERSATION_D_UN_AUTRE, status=403)
        queue = services.handoffs()
        handoff = await _in_thread(queue.open_for, sender_id)
        return response.json({
            "messages": await _in_thread(queue.outbox_after, sender_id, after),
            "live_chat": {"status": handoff["status"], "operator": handoff["operator"]} if handoff else None,
        })

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]],
        meter: metrics_hooks.TurnMeter,
    ) -> HTTPResponse:
        body = _json_body(request)
        sender_id = body.get("sender") if body else None
        text = body.get("message") if body else None
        if not valid_sender_id(sender_id):
            return _bot_reply("", messages.REQUETE_INVALIDE, status=400)
        if not isinstance(text, str):
            return _bot_reply(sender_id, messages.REQUETE_INVALIDE, status=400)
        if params.unstorable(text):  # before any seal, database write or NLU: a lone surrogate, a NUL
            logger.info("message with unstorable characters refused (conversation %s)", sender_id)
            return _bot_reply(sender_id, params.UNSTORABLE_TEXT, status=400)
        text = text.strip()
        settings = services.settings()
        if not text:
            return _bot_reply(sender_id, messages.MESSAGE_VIDE)
        if len(text) > settings.max_message_length:
            return _bot_reply(
                sender_id, messages.MESSAGE_TROP_LONG.format(limite=settings.max_message_length)
            )

        token = bearer_token(request.headers.get("Authorization"))
        identity = verify_token(token, settings.jwt_secret, settings.jwt_audience)
        login = identity.login if identity else None
        meter.user = "connecte" if login else "anonyme"
        conversations = services.conversations()
        if login is None:  # the limits first: a refused message writes nothing, not even its conversation
            refusal = await _in_thread(guards.anonymous_refusal, request.remote_addr or request.ip,
                                       await _in_thread(conversations.anonymous_count, sender_id))
            if refusal:
                return _bot_reply(sender_id, refusal, status=429)
        turn = await _in_thread(conversations.claim_turn, sender_id, login)
        if turn is None:
            logger.warning("conversation %s refused to another identity", sender_id)
            return _bot_reply(sender_id, messages.CONVERSATION_D_UN_AUTRE, status=403)
        if login is None:
            guards.retention_now_and_then()

        if text.startswith("/") and text not in turn.offered:
            return _bot_reply(sender_id, messages.COMMANDE_NON_ACCEPTEE)

        message_id = secrets.token_hex(16)
        # Understood here (Rasa then reuses this parse, so NLU runs once) so that the
        # record says what the message meant, whatever a tracker may later claim.
        clicked = button_for(text, turn.titles)  # « envoyer » typed at « Envoyer / Annuler »
        meter.parse_started()
        parse_data = await request.app.ctx.agent.parse_message(clicked or text)
        meter.parsed(parse_data)
        if clicked:
            parse_data.update(text=text, bouton=clicked)
        if login is not None:  # parse_data is Rasa's, so the seal reaches the tracker's latest_message
            parse_data[SEAL_KEY] = services.assertions().seal(
                message_id, sender_id, login, text, sealed_intent((parse_data.get("intent") or {}).get("name"), text),
                turn.prompt_hash, token_expiry(token))
        collector = CollectingOutputChannel()
        await on_new_message(
            UserMessage(text, collector, sender_id, parse_data=parse_data, input_channel=self.name(),
                        message_id=message_id)
        )
        if not collector.messages:  # a paused conversation: maybe the user gives up waiting
            collector.messages.extend(await waiting.after_silent_turn(request.app.ctx.agent, sender_id, text))
        answered = bool(collector.messages)
        meter.silent = not answered
        try:  # silent turns count too (a live chat); only answers change the offered buttons
            await _in_thread(
                conversations.remember_turn, sender_id,
                _offered_buttons(collector.messages) if answered else None, _prompt_hash(collector.messages),
            )
        except SQLAlchemyError:
            # The answer matters more: the user can still type instead of clicking.
            logger.exception("could not remember the buttons offered to %s", sender_id)
        if not answered and not await _in_thread(services.handoffs().open_for, sender_id):
            # Silence is only expected during a live chat; otherwise something failed
            # (action server unreachable...): Rasa dropped that turn's actions, so say so.
            logger.warning("no answer for conversation %s", sender_id)
            return _bot_reply(sender_id, messages.INCIDENT_TECHNIQUE)
        return response.json(collector.messages)


def _json_body(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json
    except Exception:  # sanic raises on malformed JSON; treat it as no body
        return None
    return body if isinstance(body, dict) else None
