"""The user's words in a paused conversation: waiting for an operator, or talking with one.

While a live-chat request waits or an operator has the chat, Rasa keeps the
conversation paused: the user's messages are recorded (the operator reads them) but
the assistant does not answer them. Here, after such a silent turn:

- while waiting, « Ne plus attendre » (its button sends /annuler), « annuler », « au
  revoir » or « je ne veux plus attendre » withdraw the request: the conversation
  resumes and the assistant says so; any other message gets a short acknowledgement
  (kept for the operator), with « Ne plus attendre » again;
- while an operator has the chat, « au revoir », « je veux terminer la discussion »
  (or the chat's « Terminer la discussion » button, `end_live_chat`) end it: the
  operator's console says so at once and the assistant resumes; anything else goes to
  the operator only.
"""
from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import List, Optional

from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed

from claudia import messages, services
from claudia.user_side import UserSide, WORDS
from claudia.waiting import ONGOING, WAITING

GIVING_UP_INTENTS = {"annuler", "au_revoir"}
MIN_CONFIDENCE = 0.6
ENDING_CONFIDENCE = 0.8
_GIVING_UP_WORDS = re.compile(
    r"\b(plus attendre|attendre plus|attends plus|attend plus|arrete[rz]? d.?attendre|"
    r"laisse[rz]? tomber|tant pis|abandonne[rz]?|annule[rz]?|au revoir|bye)\b")
_ENDING_WORDS = re.compile(
    r"\b(au revoir|bye|goodbye|a bientot|"
    r"(terminer|termine|terminez|finir|finis|finissons|cloturer|clore|arreter|arrete|quitter|fermer|stopper)"
    r" (la |cette |notre )?(discussion|conversation|chat|echange)|"
    r"mettre fin (a|au) (la |cette |notre )?(discussion|conversation|chat|echange)|"
    r"fin de (la |cette |notre )?(discussion|conversation|chat))\b")
_KEEPS_WAITING = re.compile(r"\bn.?annule\w* (pas|plus)\b|\bne (pas|plus) annuler\b")
_KEEPS_TALKING = re.compile(r"\b(ne|n.) ?(veux|voulons|souhaite|vais) (pas|plus) (terminer|finir|arreter|quitter|"
                            r"cloturer|clore|fermer)\b|\bne (pas|plus) (terminer|finir|arreter|quitter)\b|"
                            r"\bpas (encore )?(fini|termine)\b")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def gives_up(text: str, intent: str, confidence: float) -> bool:
    if text.strip() == "/annuler":
        return True
    plain = _plain(text)
    if _KEEPS_WAITING.search(plain):
        return False  # « je n'annule pas » : a negation, the user keeps waiting
    if intent in GIVING_UP_INTENTS and confidence >= MIN_CONFIDENCE:
        return True
    return bool(_GIVING_UP_WORDS.search(plain))


def ends_chat(text: str, intent: str, confidence: float) -> bool:
    """The user, talking with an operator, says they want to end the chat."""
    plain = _plain(text)
    if _KEEPS_TALKING.search(plain):
        return False  # « je ne veux pas terminer la discussion »
    if intent == "au_revoir" and confidence >= ENDING_CONFIDENCE:
        return True
    return bool(_ENDING_WORDS.search(plain))


async def _say(agent, tracker, sender_id: str, text: str, buttons: list, resume: bool) -> List[dict]:
    """Records the assistant's words in the (locked) tracker and returns them as the answer."""
    if resume:
        tracker.update(ConversationResumed())
    tracker.update(BotUttered(text, data={"buttons": buttons}))
    if resume:
        tracker.update(ActionExecuted("action_listen"))
    await agent.processor.save_tracker(tracker)
    return [{"recipient_id": sender_id, "text": text, "buttons": buttons}]


async def after_silent_turn(agent, sender_id: str, text: str) -> List[dict]:
    """The assistant's answer to a message of a paused conversation; [] when the operator alone reads it."""
    loop = asyncio.get_running_loop()
    handoff = await loop.run_in_executor(None, services.handoffs().open_for, sender_id)
    if handoff is None:
        return []
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.processor.get_tracker(sender_id)
        intent = tracker.latest_message.intent or {}
        name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0)
        if handoff["status"] == WAITING:
            if not gives_up(text, name, confidence):
                if text.startswith("/"):
                    return []
                return await _say(agent, tracker, sender_id, messages.MESSAGE_EN_ATTENTE,
                                  messages.NE_PLUS_ATTENDRE_BUTTONS, resume=False)
            if await loop.run_in_executor(None, services.waiting_room().cancel, sender_id) is None:
                return []  # an operator took it meanwhile: the user's words are theirs
            return await _say(agent, tracker, sender_id, messages.ATTENTE_ANNULEE, messages.MENU_BUTTONS,
                              resume=True)
        if handoff["status"] == ONGOING and text.strip() == "/annuler":  # « Ne plus attendre », too late
            return await _say(agent, tracker, sender_id, messages.CONSEILLER_DEJA_LA, [], resume=False)
        if handoff["status"] == ONGOING and ends_chat(text, name, confidence):
            if await loop.run_in_executor(None, UserSide(services.handoffs().db).end, sender_id, WORDS) is None:
                return []
            return await _say(agent, tracker, sender_id, messages.DISCUSSION_TERMINEE, messages.MENU_BUTTONS,
                              resume=True)
    return []


async def end_live_chat(agent, sender_id: str, how: str) -> Optional[List[dict]]:
    """The chat's « Terminer la discussion » / « Ne plus attendre »: ends the open live chat and
    resumes the assistant; None when no live chat was open."""
    loop = asyncio.get_running_loop()
    async with agent.lock_store.lock(sender_id):
        ended = await loop.run_in_executor(None, UserSide(services.handoffs().db).end, sender_id, how)
        if ended is None:
            return None
        tracker = await agent.processor.get_tracker(sender_id)
        text = messages.DISCUSSION_TERMINEE if ended["was"] == ONGOING else messages.ATTENTE_ANNULEE
        replies = await _say(agent, tracker, sender_id, text, messages.MENU_BUTTONS, resume=True)
    await loop.run_in_executor(None, services.conversations().remember_payloads, sender_id,
                               [b["payload"] for b in messages.MENU_BUTTONS])
    return replies
