"""The live chat with an operator, and messages left outside opening hours."""
from __future__ import annotations

from typing import Optional

# -- live chat ---------------------------------------------------------------------------
AGENT_VA_REJOINDRE = (
    "Je transmets votre demande : un conseiller du support Chorus Pro va vous rejoindre dans "
    "cette conversation. Vos messages lui seront transmis ; merci de patienter. Si vous ne "
    "souhaitez plus attendre, dites-le ou cliquez sur « Ne plus attendre »."
)
AGENT_DEJA_DEMANDE = "Votre demande est déjà transmise : un conseiller va vous rejoindre."
# "/annuler" is an intent the assistant knows; while a request waits, the channel reads it
# (clicked or said in words) as giving up the wait.
NE_PLUS_ATTENDRE_BUTTONS = [{"title": "Ne plus attendre", "payload": "/annuler"}]
ATTENTE_ANNULEE = (
    "C'est noté : vous ne patientez plus et votre demande de conseiller est annulée. "
    "Que puis-je faire pour vous ?"
)
ATTENTE_EXPIREE = (
    "Votre demande de conseiller a expiré car vous n'étiez plus connecté. Vous pouvez la "
    "renouveler à tout moment avec « Contacter un agent »."
)
CHAT_FERME = (
    "Le chat avec un conseiller est fermé pour le moment (il est ouvert du lundi au vendredi, "
    "de 8 h 30 à 18 h 30, hors jours fériés). Vous pouvez laisser un message : un conseiller "
    "le lira dès la réouverture."
)
CHAT_FERME_BUTTONS = [
    {"title": "Laisser un message", "payload": "/laisser_message"},
    {"title": "Continuer notre conversation", "payload": "/continuer_conversation"},
]
QUESTION_MESSAGE = "Écrivez votre message pour le support Chorus Pro, puis validez."
MESSAGE_LAISSE = (
    "Votre message a bien été enregistré : un conseiller y répondra dès la réouverture du chat. "
    "Sa réponse s'affichera ici la prochaine fois que vous ouvrirez la discussion."
)
MESSAGE_ANNULE = "D'accord, aucun message n'a été laissé."
FIN_CONSEILLER = "Le conseiller a terminé la discussion. ClaudIA reprend la conversation."
REPONSE_AU_MESSAGE = "Réponse de {operateur}, conseiller du support, à votre message du {date} « {message} » :\n{reponse}"


def chat_ferme(reopening: Optional[str], holiday: Optional[str] = None) -> str:
    """The closed message, with the holiday if today is one and when the chat reopens."""
    text = CHAT_FERME
    if holiday:
        text = text.replace("fermé pour le moment", f"fermé aujourd'hui ({holiday}, jour férié)", 1)
    if reopening:
        text += f" Réouverture le {reopening}."
    return text
