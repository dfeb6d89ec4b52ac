"""The live chat with an operator, and messages left outside opening hours."""
from __future__ import annotations

# -- live chat ---------------------------------------------------------------------------
AGENT_VA_REJOINDRE = (
    "Je transmets votre demande : un conseiller du support Chorus Pro va vous rejoindre dans "
    "cette conversation. Vos messages lui seront transmis ; merci de patienter."
)
AGENT_DEJA_DEMANDE = "Votre demande est déjà transmise : un conseiller va vous rejoindre."
CHAT_FERME = (
    "Le chat avec un conseiller est fermé pour le moment (il est ouvert du lundi au vendredi, "
    "de 8 h 30 à 18 h 30). Vous pouvez laisser un message : un conseiller le lira dès la réouverture."
)
CHAT_FERME_BUTTONS = [
    {"title": "Laisser un message", "payload": "/laisser_message"},
    {"title": "Continuer notre conversation", "payload": "/continuer_conversation"},
]
QUESTION_MESSAGE = "Écrivez votre message pour le support Chorus Pro, puis validez."
MESSAGE_LAISSE = "Votre message a bien été enregistré : un conseiller le traitera dès la réouverture du chat."
MESSAGE_ANNULE = "D'accord, aucun message n'a été laissé."
FIN_CONSEILLER = "Le conseiller a terminé la discussion. ClaudIA reprend la conversation."
