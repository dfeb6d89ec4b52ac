"""Giving up the wait for an operator, in a paused conversation.

While a live-chat request waits, Rasa keeps the conversation paused: the user's
messages are recorded but nothing answers them. Here, after such a silent turn,
« Ne plus attendre » (its button sends /annuler), « annuler », « au revoir » or
« je ne veux plus attendre » withdraw the request: the conversation resumes and
the assistant says so. Once an operator has taken the chat, everything goes to
them as before.
"""
from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import List

from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed

from claudia import messages, services
from claudia.waiting import WAITING

GIVING_UP_INTENTS = {"annuler", "au_revoir"}
MIN_CONFIDENCE = 0.6
_GIVING_UP_WORDS = re.compile(
    r"\b(plus attendre|attendre plus|attends plus|attend plus|arrete[rz]? d.?attendre|"
    r"laisse[rz]? tomber|tant pis|abandonne[rz]?|annule[rz]?|au revoir|bye)\b")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_KEEPS_WAITING = re.compile(r"\bn.?annule\w* (pas|plus)\b|\bne (pas|plus) annuler\b")


def gives_up(text: str, intent: str, confidence: float) -> bool:
    if text.strip() == "/annuler":
        return True
    plain = _plain(text)
    if _KEEPS_WAITING.search(plain):
        return False  # « je n'annule pas » : a negation, the user keeps waiting
    if intent in GIVING_UP_INTENTS and confidence >= MIN_CONFIDENCE:
        return True
    return bool(_GIVING_UP_WORDS.search(plain))


async def after_silent_turn(agent, sender_id: str, text: str) -> List[dict]:
    """The assistant's answer when the user gave up waiting; [] when they did not."""
    loop = asyncio.get_running_loop()
    handoff = await loop.run_in_executor(None, services.handoffs().open_for, sender_id)
    if handoff is None or handoff["status"] != WAITING:
        return []
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.processor.get_tracker(sender_id)
        intent = tracker.latest_message.intent or {}
        if not gives_up(text, intent.get("name") or "", float(intent.get("confidence") or 0)):
            return []
        if await loop.run_in_executor(None, services.waiting_room().cancel, sender_id) is None:
            return []  # an operator took it meanwhile: the user's words are theirs
        buttons = messages.MENU_BUTTONS
        tracker.update(ConversationResumed())
        tracker.update(BotUttered(messages.ATTENTE_ANNULEE, data={"buttons": buttons}))
        tracker.update(ActionExecuted("action_listen"))
        await agent.processor.save_tracker(tracker)
    return [{"recipient_id": sender_id, "text": messages.ATTENTE_ANNULEE, "buttons": buttons}]
