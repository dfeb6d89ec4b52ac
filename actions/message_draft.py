"""A message left for the support that says nothing (« ok », « merci », « oui »): confirmed first.

At the leave-a-message step, a text made only of acknowledgements or courtesies is not
taken as the message at once: the assistant asks whether to send it as it is (« Oui,
l'envoyer tel quel » / « Non, je l'écris »). The draft waiting for that answer is read
from the conversation's events (the user's message before the question), so no slot
of the domain is needed.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from rasa_sdk import Tracker

from claudia import messages

TRIVIAL_WORDS = {
    "ok", "okay", "oki", "okk", "dac", "daccord", "d", "accord", "oui", "ouais", "non", "merci", "beaucoup",
    "bonjour", "bonsoir", "salut", "super", "parfait", "entendu", "top", "bien", "tres", "cool", "test", "ca",
    "marche", "va", "voila", "bon", "ben", "euh", "hum", "hm", "mm", "a", "vous", "bye", "rien", "x", "ras",
}
SEND_AS_IS = [{"title": "Oui, l'envoyer tel quel", "payload": "/affirmer"},
              {"title": "Non, je l'écris", "payload": "/nier"}]


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def says_nothing(text: str) -> bool:
    """« ok », « d'accord merci », « oui » : nothing an operator could answer."""
    plain = _plain(text)
    words = plain.split()
    return len(plain) < 3 or (len(words) <= 4 and all(word in TRIVIAL_WORDS for word in words))


def question(draft: str) -> str:
    return messages.MESSAGE_COURT.format(message=draft)


def pending_draft(tracker: Tracker) -> Optional[str]:
    """The draft whose confirmation the assistant just asked for, if its last words were that question."""
    events = list(tracker.events or [])
    # The latest user event is the answer; before it, the assistant's question; before that, the draft.
    seen_answer, asked = False, False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user" and not seen_answer:
            seen_answer = True
        elif kind == "bot" and seen_answer and not asked:
            text = event.get("text") or ""
            if not text.startswith(messages.MESSAGE_COURT.split("«")[0]):
                return None
            asked = True
        elif kind == "user" and asked:
            return (event.get("text") or "").strip()
        elif kind == "bot" and asked:
            return None
    return None
