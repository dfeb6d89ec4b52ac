"""The form of a question, read from its words: what a term means, what a refusal means.

« ça veut dire quoi inactiver ? » holds the operation's word, and a bag-of-words model
reads it as the request to inactivate (measured on five independent writers' sets, each
predicted by a model trained without it: the most frequent error left, docs/repair.md).
What makes it a question about the word is its form: « veut dire », « signifie »,
« qu'entendez-vous par », « c'est pareil que », « = supprimer ? ». These readings say
only that; the intent classifier decides what to do with them (components/). Pure
functions: no Rasa, no web.
"""
from __future__ import annotations

import re
from typing import Optional

from claudia.vocabulary import normalize

_TERM = r"(?:in|des|de|re)?activ\w*|siret|siren|nic\b|successeur|reprenant|structure (?:publique|privee)"
_MEANING = re.compile(
    r"\b(?:ca|ce|cela|sa|que|qu'est-ce que ca) ?veu(?:t|x|lent) dire\b|\bvoulez[- ]vous dire\b|"
    r"\bvous voulez dire\b|\bsignifi|\bentendez[- ]vous par\b|\bdiff(?:erence)? entre\b|"
    r"\b(?:c'?est|c|ca fait) (?:la meme chose|pareil|comme)\b|"
    r"\bc'?est quoi\b(?: exactement| concretement| au juste)?\W*(?:un |une |le |la |l'|les )?(?:diff|" + _TERM + r")|"
    r"\b(?:" + _TERM + r")\W+(?:ca |c'|c )?(?:est|c) quoi\b|"
    r"\b(?:" + _TERM + r")\W+(?:c'?est|c|=|ca veut dire|equivaut a)\W+(?:supprim|ferm|effac|detrui|radi|clotur)|"
    r"\bexpliqu\w* (?:moi |nous )?(?:ce que (?:c'est|veut dire)|ce qu'est|le (?:terme|mot)|" + _TERM + r")")
_REFUSAL = re.compile(
    r"\brefus\w*|\brejet\w*|\bimpossible\b|\bpas (?:les|le) droits?\b|\bpas (?:eligible|autorise|habilite)\w*|"
    r"\bnon (?:eligible|autorise)\w*|\bechec\b|\bbloqu\w*")
_WHY_OR_WHO = re.compile(
    r"\bpourquoi\b|\bje fais quoi\b|\bque (?:dois-je|faire)\b|\bqui (?:dois|faut|contacter|peut)\b|"
    r"\binterlocuteur\b|\bcontacter qui\b|\bveut dire\b|\bsignifi|\bc'?est quoi\b")
_INVOICE = re.compile(r"\bfactur|\bpaiement|\bmandat|\bimpot")
_DID_NOT_WORK = re.compile(r"\bpourquoi\b.{0,40}\b(?:pas|plus) (?:marche|fonctionne|passe|abouti)")


def asks_definition(text: Optional[str]) -> bool:
    """« ça veut dire quoi inactiver ? », « inactiver = supprimer ? », « qu'entendez-vous par
    structure publique » : the meaning of a word is asked, not the thing done."""
    return bool(_MEANING.search(normalize(text)))


def asks_about_refusal(text: Optional[str]) -> bool:
    """« qu'est-ce que ce refus signifie », « ça veut dire quoi « vous n'avez pas les
    droits » ? », « pourquoi ça n'a pas marché » : what a refusal means, or what to do."""
    normalized = normalize(text)
    if _INVOICE.search(normalized):
        return False  # a rejected invoice is another matter (hors périmètre)
    if _DID_NOT_WORK.search(normalized):
        return True
    return bool(_REFUSAL.search(normalized) and _WHY_OR_WHO.search(normalized))


_REJECTED_NOW = re.compile(r"\b(?:sont|est|ont ete|a ete|se font|etaient|sont toutes?) (?:encore |toujours |deja )?rejete")


def asks_about_invoices_rejected(text: Optional[str]) -> bool:
    """« pourquoi les factures de nos fournisseurs sont rejetées ?? » : invoices rejected now,
    a matter for the portal's help and the support, not what an inactivation does to them."""
    normalized = normalize(text)
    return bool(_INVOICE.search(normalized) and _REJECTED_NOW.search(normalized))
