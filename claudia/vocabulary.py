"""Words users type for the few things the assistant must recognise exactly.

The NLU model classifies intents; these keyword readings pick out, from the
same text, which structure type or which term a user means. They are plain
rules because the vocabulary is small and a wrong guess here would be costly.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional


def normalize(text: Optional[str]) -> str:
    """Lower case, without accents: 'Réactiver la Mairie' -> 'reactiver la mairie'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_STRUCTURE_TYPES = (
    ("privee", re.compile(r"\bprive|\bentreprise|\bsociete|\bassociation")),
    ("publique", re.compile(r"\bpubli|\bcollectivite|\bmairie|\bcommune\b|\betablissement public")),
)


def structure_type(text: Optional[str]) -> Optional[str]:
    """'publique', 'privee' or None, from what the user wrote."""
    normalized = normalize(text)
    for value, pattern in _STRUCTURE_TYPES:
        if pattern.search(normalized):
            return value
    return None


def canonical_structure_type(value: Optional[str]) -> Optional[str]:
    """Maps an entity value ('public', 'Privée'...) to 'publique' / 'privee'."""
    return structure_type(value) if value else None


# Most specific first: "SIRET reprenant l'activité" is about the successor, not the SIRET.
_TERMS = (
    ("successeur", re.compile(r"repren|reprise|successeur|reprend")),
    ("sirene", re.compile(r"\bsirene\b|\binsee\b")),
    ("siren", re.compile(r"\bsiren\b")),
    ("siret", re.compile(r"\bsiret\b")),
    ("gestionnaire", re.compile(r"gestionnaire|habilit|\bdroits?\b|\broles?\b|rattach")),
    ("structure_publique", re.compile(r"\bpubli|\bprive")),
    ("inactiver", re.compile(r"inactiv|desactiv")),
    ("activer", re.compile(r"activ")),
)


def term(text: Optional[str]) -> Optional[str]:
    """Which term of the guide the user asks about, if any."""
    normalized = normalize(text)
    for name, pattern in _TERMS:
        if pattern.search(normalized):
            return name
    return None
