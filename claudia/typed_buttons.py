"""A button's title typed instead of clicked: « envoyer », « envoie le commentaire », « contacter un agent ».

The channel remembers the buttons it just offered (their titles and payloads); a typed
message that says one of those titles, or a close form of it, is that click, so the
step reads it as the button's intent whatever the model would have guessed. Pure
functions: no Rasa, no web.

Close form: the words of the title (their first four letters, so that « envoie » is
« envoyer »), give or take a few, with the same negation (« pas satisfait » is not
« satisfait »). A message with a number is never a click: a SIRET typed with words is
an answer the step reads itself. When two buttons could match, none does.

A button named by its place (« la 1ère », « la deuxième », « le 2e bouton », « option 2 »)
is that button too: people read the buttons as a numbered list.
"""
from __future__ import annotations

import re
from typing import Dict, Optional, Set

from claudia.vocabulary import normalize

_FILLER = {
    "le", "la", "les", "un", "une", "de", "du", "des", "a", "au", "aux", "et", "je", "j", "veux", "voudrais",
    "souhaite", "svp", "stp", "s", "il", "vous", "plait", "mon", "ma", "mes", "notre", "nos", "votre", "ce",
    "cette", "c", "est", "sur", "pour", "moi", "me", "m", "l", "d", "y", "on", "please", "ok", "alors", "bon",
}
_NEGATION = re.compile(r"\b(?:pas|ne|n|non|plus)\b")
_WORD = re.compile(r"[a-z]+")
STEM = 4


def _stems(text: str) -> Set[str]:
    return {word[:STEM] for word in _WORD.findall(normalize(text).replace("'", " ")) if word not in _FILLER}


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(normalize(text).replace("'", " ")))


def _says(text: str, title: str) -> bool:
    said, titled = _stems(text), _stems(title)
    if not said or not titled or _negated(text) != _negated(title):
        return False
    if titled <= said:
        return len(said - titled) <= max(1, len(titled))
    return said <= titled and 2 * len(said) >= len(titled)


_PLACES = (
    r"1|1(?:er|ere|re|e)|premier|premiere|prem's",
    r"2|2(?:e|eme|nd|nde)|deux|deuxieme|second|seconde",
    r"3|3(?:e|eme)|trois|troisieme",
    r"4|4(?:e|eme)|quatre|quatrieme",
)
_CHOICE = r"(?:option|bouton|choix|proposition|reponse|case|ligne)"
_BY_PLACE = [re.compile(
    r"^(?:(?:euh|bah|ben|alors|ok|bon|je prends|je choisis|je clique sur|plutot)\W+)*(?:(?:la|le|l')\W*)?"
    r"(?:(?:" + place + r")\W*(?:" + _CHOICE + r")?|" + _CHOICE + r"\W+(?:n\W*)?(?:" + place + r"))"
    r"(?:\W+(?:svp|stp|merci|s'il vous plait))?\W*$") for place in _PLACES]


def _by_place(text: str, offered: Dict[str, str]) -> Optional[str]:
    """« la deuxième » when buttons are offered: the payload of the button at that place.
    A bare digit is not enough (« 2 » may answer something else); a word or a suffix is."""
    normalized = " ".join(normalize(text).split())
    if re.fullmatch(r"\d", normalized):
        return None
    payloads = list(offered.values())
    for place, pattern in enumerate(_BY_PLACE):
        if place < len(payloads) and pattern.match(normalized):
            return payloads[place]
    return None


# « on passe au syndicat maintenant », « on enchaîne avec le CCAS » when the next structure
# named is offered (« Inactiver cette structure » first when an inactivation was just done).
_MOVING_ON = re.compile(
    r"\b(?:on |nous )?(?:passe|passons|enchaine|enchainons|continue|continuons|poursui\w*|attaque)\b|"
    r"\b(?:au|le|la) suivante?\b|\bl'autre\b|\bnext\b|\bgo on\b")
NEXT_STRUCTURE_TITLE = "cette structure"


def _moving_on(text: str, offered: Dict[str, str]) -> Optional[str]:
    """The first « … cette structure » button offered, when the text says to move on to it."""
    normalized = " ".join(normalize(text).split())
    if _negated(text) or not _MOVING_ON.search(normalized):
        return None
    return next((payload for title, payload in offered.items() if NEXT_STRUCTURE_TITLE in normalize(title)), None)


def button_for(text: str, offered: Dict[str, str]) -> Optional[str]:
    """The payload of the one offered button (title -> payload) the text says, else None."""
    if not text or text.startswith("/") or re.search(r"\d{3}", text):
        return None
    placed = _by_place(text, offered) or _moving_on(text, offered)
    if placed:
        return placed
    matches = {payload for title, payload in offered.items() if _says(text, title)}
    return matches.pop() if len(matches) == 1 else None
