"""Finding and checking a SIRET in what a user typed.

Users write SIRETs with spaces, dots or dashes, sometimes inside a sentence
("inactiver la structure 212 345 678 00012 svp"). Validation (length, Luhn key,
La Poste exception) is python-stdnum's; this module only finds the candidate
digits and turns stdnum's verdict into a reason the assistant can explain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

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


def read_siret(text: Optional[str]) -> SiretReading:
    """Finds the SIRET in `text` and checks it with python-stdnum."""
    candidates = _candidates(text or "")
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
