"""Request parameters and user text, checked once, the same way everywhere (issue #26).

Every number and date a page or an endpoint reads from a query string or a form
goes through here: written with the ASCII digits only (`²`, `٣`, ` 7`, `1e3` are not
numbers here), within bounds the databases can hold (SQLite's integers stop at
2**63 - 1; `date.max` has no next day), or `BadParameter` is raised with a French
sentence for the person who sent it. The web front and the channel turn it into a
400 (web/bad_input.py, channels/connected.py): never a 500.

`unstorable` tells text that cannot be stored or shown: lone surrogates (a JSON
`"\\ud800"` decodes to one; UTF-8 cannot encode it, so a seal, a database or a page
would fail on it) and NUL characters (PostgreSQL refuses them in text).
"""
from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Iterable, List, Optional, Tuple

MAX_ID = 2**63 - 1  # SQLite's (and PostgreSQL's bigint) largest integer
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2100, 12, 31)
LATEST_TIMESTAMP = 1e11  # seconds since 1970: well past LAST_DAY, far from a float's limits
_WHOLE = re.compile(r"[0-9]{1,19}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]{1,6}([.,][0-9]{1,12})?|[.,][0-9]{1,12}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

UNSTORABLE_TEXT = ("Votre message contient des caractères qui ne peuvent pas être enregistrés (caractères "
                   "invalides ou incomplets) : il n'a pas été transmis. Merci de le saisir à nouveau.")
UNREADABLE_FORM = ("Le formulaire envoyé n'a pas pu être lu : il contient des caractères invalides. "
                   "Merci de revenir à la page, de la recharger et de réessayer.")


class BadParameter(ValueError):
    """A parameter that is not what the page expects; the message is French, for the sender."""


def _given(value: object) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadParameter("Un paramètre de la requête n'est pas valide.")
    return value


def whole_number(value: object, label: str, lowest: int = 0, highest: int = MAX_ID,
                 default: Optional[int] = None, required: bool = False) -> Optional[int]:
    """A whole number from lowest to highest; `default` when the parameter is absent or empty
    (unless it is `required`)."""
    text = _given(value)
    if text is None and not required:
        return default
    number = int(text) if text and _WHOLE.fullmatch(text) else None
    if number is None or not lowest <= number <= highest:
        bounds = "positif ou nul" if (lowest, highest) == (0, MAX_ID) else f"de {lowest} à {highest}"
        raise BadParameter(f"La valeur de « {label} » n'est pas valide : un nombre entier {bounds} est attendu, "
                           "écrit avec les chiffres 0 à 9.")
    return number


def whole_numbers(values: Iterable[object], label: str, most: int = 500) -> List[int]:
    """Several identifiers (checked boxes): every one must be valid; at most `most` are kept."""
    return [whole_number(v, label, lowest=1, required=True) for v in values][:most]


def day(value: object, label: str) -> Optional[date]:
    """A date written AAAA-MM-JJ, between FIRST_DAY and LAST_DAY; None when absent or empty.
    `label` completes « La date … » (« de début »)."""
    text = _given(value)
    if text is None:
        return None
    try:
        found = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        found = None
    if found is None or not FIRST_DAY <= found <= LAST_DAY:
        raise BadParameter(f"La date {label} n'est pas valide : saisissez une date réelle au format AAAA-MM-JJ, "
                           f"entre le {FIRST_DAY:%d/%m/%Y} et le {LAST_DAY:%d/%m/%Y}.")
    return found


def decimal(value: object, label: str, lowest: float, highest: float) -> Optional[float]:
    """A decimal number (point or comma) with lowest < value <= highest; None when absent or empty."""
    text = _given(value)
    if text is None:
        return None
    number = float(text.replace(",", ".")) if _DECIMAL.fullmatch(text) else None
    if number is None or not lowest < number <= highest:
        raise BadParameter(f"La valeur de « {label} » n'est pas valide : un nombre décimal supérieur à "
                           f"{lowest:g} et au plus égal à {highest:g} est attendu (par exemple 0,5).")
    return number


def cursor(value: object, label: str = "page") -> Optional[Tuple[float, int]]:
    """A page cursor `<timestamp>:<id>` as the review pages write it; None when absent or empty."""
    text = _given(value)
    if text is None:
        return None
    moment, _, key = text.rpartition(":")
    stamp = float(moment) if _TIMESTAMP.fullmatch(moment) else math.nan
    if not 0 <= stamp <= LATEST_TIMESTAMP or not _WHOLE.fullmatch(key) or int(key) > MAX_ID:
        raise BadParameter(f"La valeur de « {label} » n'est pas valide : revenez à la première page "
                           "et utilisez les liens de la page.")
    return stamp, int(key)


def unstorable(text: str) -> bool:
    """True when the text holds a lone surrogate or a NUL character (see the module's docstring)."""
    return _UNSTORABLE.search(text) is not None


def printable(text: str) -> str:
    """The text with what cannot be shown (lone surrogates, NUL) replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def printable_in(value: Any) -> Any:
    """`printable` applied to every string of a decoded JSON value (keys included)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_in(k): printable_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_in(v) for v in value]
    return value
