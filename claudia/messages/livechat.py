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
# The closed message (chat_ferme below) is built from the configured hours; every one
# ends with this offer (then, when known, the reopening).
CHAT_FERME = "Vous pouvez laisser un message : un conseiller le lira dès la réouverture."
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
# A message left that says nothing an operator could answer (« ok »): sent only once confirmed.
MESSAGE_COURT = (
    "Votre message pour le support serait : « {message} ». Voulez-vous l'envoyer tel quel, ou "
    "préférez-vous écrire votre demande ?"
)
FIN_CONSEILLER = "Le conseiller a terminé la discussion. ClaudIA reprend la conversation."
# The user ends the live chat (the chat's « Terminer la discussion », or in words).
DISCUSSION_TERMINEE = (
    "C'est noté : vous avez mis fin à la discussion avec le conseiller. ClaudIA reprend la "
    "conversation. Que puis-je faire pour vous ?"
)
# « Ne plus attendre » clicked (an old button) once an operator has joined.
CONSEILLER_DEJA_LA = (
    "Un conseiller vous a déjà rejoint. Pour mettre fin à la discussion, cliquez sur « Terminer la "
    "discussion » ou dites « au revoir »."
)
# A message typed while the request waits: it is kept for the operator.
MESSAGE_EN_ATTENTE = (
    "Votre message est bien noté : le conseiller le lira en vous rejoignant. Merci de patienter."
)
REPONSE_AU_MESSAGE = "Réponse de {operateur}, conseiller du support, à votre message du {date} « {message} » :\n{reponse}"


_CONFIGURED = object()


def chat_ferme(reopening: Optional[str], holiday: Optional[str] = None, schedule=_CONFIGURED) -> str:
    """The closed message: today's holiday if any, when the chat is open (`schedule`, e.g.
    « du lundi au vendredi de 8 h 30 à 18 h 30 »; by default from CLAUDIA_LIVECHAT_HOURS;
    None to leave it out), the offer to leave a message, and when it reopens."""
    if schedule is _CONFIGURED:
        from claudia import services  # here: the messages import nothing of the project's at load

        schedule = services.opening_hours().describe()
    today = f"aujourd'hui ({holiday}, jour férié)" if holiday else "pour le moment"
    text = f"Le chat avec un conseiller est fermé {today}."
    if schedule:
        text += f" Il est ouvert {schedule}, hors jours fériés."
    text += " " + CHAT_FERME
    if reopening:
        text += f" Réouverture le {reopening}."
    return text
