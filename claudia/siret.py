"""Finding and checking a SIRET in what a user typed.

Users write SIRETs with spaces, dots or dashes, sometimes inside a sentence
("inactiver la structure 212 345 678 00012 svp"). Validation (length, Luhn key,
La Poste exception) is python-stdnum's; this module only finds the candidate
digits and turns stdnum's verdict into a reason the assistant can explain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.fr import siret as stdnum_siret

SIRET_LENGTH = 14
SIREN_LENGTH = 9

# A run of digit groups joined by the separators people use when typing a SIRET.
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-\u00a0\u202f]+\d+)*")


@dataclass(frozen=True)
class SiretReading:
    """What was found in a message: a valid SIRET, or why there is none."""

    siret: Optional[str] = None
    # "absent" (no digits), "siren" (9 digits), "longueur" (wrong count), "cle" (bad key)
    error: Optional[str] = None
    digits: str = ""

    @property
    def is_valid(self) -> bool:
        return self.siret is not None


def _candidates(text: str) -> List[str]:
    """Digit strings that could be a SIRET, most plausible first.

    A run longer than 14 digits (a SIRET followed by another number) is split
    on its separators so that a 14-digit group sequence inside it is still found.
    """
    exact, others = [], []
    for run in _DIGIT_RUN.findall(text):
        groups = re.findall(r"\d+", run)
        joined = "".join(groups)
        if len(joined) == SIRET_LENGTH:
            exact.append(joined)
            continue
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) >= SIRET_LENGTH:
                    break
            if len(digits) == SIRET_LENGTH:
                exact.append(digits)
        others.append(joined)
    return exact + others


def _siren_then_nic(text: str) -> List[str]:
    """'siren 219300019 et nic 00011': a 9-digit SIREN followed, a few words later, by a 5-digit NIC."""
    runs = ["".join(re.findall(r"\d+", run)) for run in _DIGIT_RUN.findall(text)]
    return [siren + nic for siren, nic in zip(runs, runs[1:])
            if len(siren) == SIREN_LENGTH and len(nic) == SIRET_LENGTH - SIREN_LENGTH]


def read_siret(text: Optional[str]) -> SiretReading:
    """Finds the SIRET in `text` and checks it with python-stdnum."""
    candidates = _candidates(text or "")
    joined = _siren_then_nic(text or "")
    candidates = [c for c in candidates if len(c) == SIRET_LENGTH] + joined + [
        c for c in candidates if len(c) != SIRET_LENGTH]
    if not candidates:
        return SiretReading(error="absent")
    first_error: Optional[SiretReading] = None
    for digits in candidates:
        try:
            return SiretReading(siret=stdnum_siret.validate(digits), digits=digits)
        except ValidationError as exc:
            if first_error is None:
                first_error = SiretReading(error=_reason(digits, exc), digits=digits)
    return first_error


# Words that, just before a SIRET, say it is the structure taking over the activity
# ("reprise par", "successeur", "transférée à")...
_SUCCESSOR_FOLLOWS = re.compile(
    r"repris\w* par|remplac\w* par|absorb\w* par|successeu|transf[eé]r\w*|au profit|fusionn\w*|"
    r"iront|vers|nouvelle structure|\bpar\b", re.IGNORECASE)
# ... and, just after it, that it takes over ("200 054 781 00014 reprend le syndicat").
_SUCCESSOR_PRECEDES = re.compile(r"\breprend|\bva reprendre|\babsorbe|\bsucc[eè]de|\bremplace(?!\w* par)",
                                 re.IGNORECASE)


def attempts_a_number(text: Optional[str]) -> bool:
    """Does a message typed at a SIRET step try to give one? Its digits do when they could be a
    NIC or more (5 at least), or when the message is nothing but a number; « celle du 12 place
    de l'église » or « 2 secondes » does not."""
    digits = re.sub(r"\D", "", text or "")
    if not digits:
        return False
    return len(digits) >= 5 or not re.sub(r"[\d\s.\-]", "", text or "")


def valid_sirets(text: Optional[str]) -> List[Tuple[str, int, int]]:
    """Every distinct valid SIRET in the text, with where it starts and ends, in order."""
    found: List[Tuple[str, int, int]] = []
    for match in _DIGIT_RUN.finditer(text or ""):
        reading = read_siret(match.group())
        if reading.is_valid and reading.siret not in [siret for siret, _, _ in found]:
            found.append((reading.siret, match.start(), match.end()))
    return found


def target_and_successor(text: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """(SIRET of the structure, SIRET of the one taking over) when a message gives both.

    "inactiver 259 300 457 00019, l'activité est reprise par 200 054 781 00014": the SIRET
    with words of taking over just before it is the successor, the other the target.
    Without such words, or with a single SIRET, there is no successor.
    """
    sirets = valid_sirets(text)
    if len(sirets) > 2:
        return _among_several(text or "", sirets)
    if len(sirets) != 2:
        return (sirets[0][0] if sirets else None), None
    (first, start1, end1), (second, start2, _) = sirets
    between = (text or "")[end1:start2]
    if _SUCCESSOR_PRECEDES.search(between):
        return second, first
    if _SUCCESSOR_FOLLOWS.search(between):
        return first, second
    if _SUCCESSOR_FOLLOWS.search((text or "")[max(0, start1 - 40):start1]):
        return second, first
    return first, None


# Words shortly before a SIRET, among three or more, that make it the one taking over:
# « nous centralisons la réception des factures sur la communauté de communes (200 …) ».
_SUCCESSOR_CONTEXT = re.compile(
    r"repris\w* par|remplac\w* par|absorb\w* par|successeu|reprenant|transf[eé]r\w*|au profit|"
    r"centralis\w*|factures? (?:sur|vers|a|à)\b", re.IGNORECASE)


def _among_several(text: str, sirets: List[Tuple[str, int, int]]) -> Tuple[Optional[str], Optional[str]]:
    """Three SIRETs or more: the one with taking-over words just before it is the successor
    (if exactly one has them), the first of the others the structure; else no successor."""
    successors = [siret for siret, start, _ in sirets if _SUCCESSOR_CONTEXT.search(text[max(0, start - 60):start])]
    if len(successors) != 1:
        return sirets[0][0], None
    return next(siret for siret, _, _ in sirets if siret != successors[0]), successors[0]


def _reason(digits: str, exc: ValidationError) -> str:
    if isinstance(exc, InvalidLength) or len(digits) != SIRET_LENGTH:
        return "siren" if len(digits) == SIREN_LENGTH else "longueur"
    if isinstance(exc, (InvalidChecksum, InvalidComponent)):
        return "cle"
    return "longueur"


def format_siret(siret: str) -> str:
    """'21230001500011' -> '212 300 015 00011', the way SIRETs are usually shown."""
    if len(siret) != SIRET_LENGTH:
        return siret
    return f"{siret[0:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
