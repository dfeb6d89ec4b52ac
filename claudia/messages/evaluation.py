"""The evaluation after a procedure (guide §3)."""
from __future__ import annotations

# -- evaluation (guide §3) -------------------------------------------------------
EVALUATION_QUESTION = "Cette réponse vous a-t-elle aidé ?"
EVALUATION_BUTTONS = [
    {"title": "👍 Satisfait", "payload": "/evaluer_positif"},
    {"title": "👎 Pas satisfait", "payload": "/evaluer_negatif"},
]
MERCI_AVIS_POSITIF = "Merci pour votre retour ! Puis-je vous aider pour autre chose ?"
QUESTION_MOTIF = "Pouvez-vous nous décrire ce qui ne va pas ?"
MOTIF_NON_COMPRIS = "Merci de choisir l'un des motifs proposés."
QUESTION_COMMENTAIRE = (
    "Saisissez votre commentaire, puis cliquez sur « Envoyer ». "
    "Vous pouvez aussi annuler : votre avis sera enregistré sans commentaire."
)
COMMENTAIRE_VIDE = "Votre commentaire est vide : écrivez-le en quelques mots, ou cliquez sur « Annuler »."
AVIS_ENVOYE = "Merci, votre avis et votre commentaire ont bien été envoyés."
AVIS_SANS_COMMENTAIRE = "C'est noté : votre avis a été enregistré, sans commentaire."
APRES_AVIS_BUTTONS = [
    {"title": "Contacter un agent", "payload": "/demander_agent"},
    {"title": "Continuer notre conversation", "payload": "/continuer_conversation"},
]
CONTINUER = "Je vous écoute : quelle est votre question ?"
MENU_BUTTONS = [{"title": "Je veux activer/inactiver ma structure", "payload": "/demander_changement_statut"}]


def comment_to_send(comment: str) -> str:
    return f"Votre commentaire : « {comment} »"


