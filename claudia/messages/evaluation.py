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


EVALUATION_NON_COMPRISE = (
    "Je n'ai pas bien compris votre réponse. Cette réponse vous a-t-elle aidé ? "
    "Cliquez sur 👍 ou 👎, ou écrivez « oui » ou « non »."
)
AVIS_ENREGISTRE_SANS_MOTIF = "C'est noté : votre avis a été enregistré."
PAS_D_EVALUATION = "D'accord, je n'enregistre pas d'avis. Puis-je vous aider pour autre chose ?"
MERCI_SANS_EVALUATION = "Merci à vous ! Puis-je vous aider pour autre chose ?"

# -- not understood: the most likely meanings as buttons, then a person --------------
INTERPRETATIONS = "Je ne suis pas sûre d'avoir compris. Vouliez-vous dire :"
INCOMPRIS = (
    "Je ne suis pas sûre d'avoir compris. Je peux vous aider à activer ou à inactiver une "
    "structure publique dans Chorus Pro : pouvez-vous reformuler votre demande ?"
)
INCOMPRIS_ENCORE = (
    "Je ne parviens toujours pas à comprendre votre demande, veuillez m'en excuser. "
    "Souhaitez-vous être mis en relation avec un conseiller du support ?"
)
HORS_PERIMETRE = (
    "Je suis là pour vous aider à activer ou à inactiver une structure publique dans Chorus Pro. "
    "Pour toute autre question, la documentation et le support de Chorus Pro restent à votre disposition."
)
NEUTRE = "D'accord. Que puis-je faire pour vous ?"
# What each intent offered as a choice means, in the user's words.
INTENT_TITLES = {
    "activer_structure": "Activer une structure publique",
    "inactiver_structure": "Inactiver une structure publique",
    "demander_changement_statut": "Je veux activer/inactiver ma structure",
    "demander_definition": "Une définition (SIRET, SIRENE, successeur…)",
    "demander_prerequis": "Les prérequis de la procédure",
    "annuler": "Annuler la procédure en cours",
    "recommencer": "Recommencer depuis le début",
    "laisser_message": "Laisser un message au support",
    "continuer_conversation": "Continuer notre conversation",
    "evaluer_positif": "👍 La réponse m'a aidé",
    "evaluer_negatif": "👎 La réponse ne m'a pas aidé",
}
AGENT_BUTTON = {"title": "Parler à un conseiller", "payload": "/demander_agent"}
