"""What each change of the review says in the data repository's history (claudia.data_versions).

A commit's subject says what changed, its body why (the review's action), then each
example or step concerned, one per line.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from web.review_training import Outcome


def corrections_message(outcome: Outcome, intent: Optional[str]) -> Tuple[str, str, List[str]]:
    """(subject, why, lines) for intents confirmed or corrected into data/nlu/corrections.yml."""
    counts = []
    if outcome.added:
        counts.append(f"{len(outcome.added)} exemple(s) ajouté(s)")
    if outcome.moved:
        counts.append(f"{len(outcome.moved)} exemple(s) déplacé(s)")
    subject = "Corrections d'intention : " + ", ".join(counts or ["aucun changement"])
    if intent:
        why = (f"messages d'utilisateurs relus dans la revue : l'intention prédite était fausse, "
               f"ils sont corrigés vers « {intent} »")
    else:
        why = "messages d'utilisateurs relus dans la revue : l'intention prédite est confirmée comme juste"
    lines = [f"« {text} » ajouté sous {chosen}" for text, chosen in outcome.added]
    lines += [f"« {text} » déplacé de {old} vers {new}" for text, old, new in outcome.moved]
    return subject, why, lines


def story_message(cid: str, name: str, done: Optional[str], actions: Optional[Dict[int, str]],
                  intents: Optional[Dict[int, str]]) -> Tuple[str, str, List[str]]:
    """(subject, why, lines) for a conversation saved as a test story."""
    from web.review_story import KEEP_BOTH, REPLACE

    how = {REPLACE: " (remplace l'histoire du même nom)",
           KEEP_BOTH: " (ajoutée à côté de l'histoire du même nom)"}.get(done or "", "")
    subject = f"Histoire de test « {name} »{how}"
    why = (f"la conversation {cid}, relue dans la revue, devient un test de non-régression "
           f"que « rasa test » rejoue avec les autres histoires")
    lines = [f"étape {step} : intention corrigée en {chosen}" for step, chosen in sorted((intents or {}).items())]
    lines += [f"étape {step} : action corrigée en {chosen}" for step, chosen in sorted((actions or {}).items())]
    return subject, why, lines
