"""The words operators read for the codes the assistant stores: one place for all of them.

A chat's or a message's context (the procedure under way, the last one and how it
ended, the evaluation), and a chat's state, are shown in these words in the console's
pages and through its API; the console never shows a code itself. A code missing
here still reads as words (« autre issue : nouveau code »).
"""
from __future__ import annotations

from typing import Mapping, Optional

from claudia.feedback import NEGATIVE, POSITIVE
from claudia.feedback import REASONS as REASONS_FOR_USERS
from claudia.handoff import CLOSED, MESSAGE, ONGOING, WAITING
from claudia.siret import format_siret
from claudia.tickets import ANSWERED
from claudia.waiting import CANCELLED, EXPIRED

OPERATIONS = {"activer": "activation", "inactiver": "inactivation"}

# How a procedure ended: done, stopped by the user, or refused (and why).
OUTCOMES = {
    "effectuee": "effectuée",
    "annulee_par_utilisateur": "annulée par l'utilisateur",
    "changement_procedure": "abandonnée pour l'autre procédure",
    "structure_privee_choisie": "arrêtée : l'utilisateur a indiqué une structure privée",
    "sans_successeur": "arrêtée : pas de SIRET reprenant l'activité",
    "confirmation_refusee": "arrêtée : l'utilisateur n'a pas confirmé",
    "non_connecte": "refusée : utilisateur non connecté",
    "siret_inconnu": "refusée : SIRET inconnu de Chorus Pro",
    "structure_privee": "refusée : structure privée",
    "droits_insuffisants": "refusée : l'utilisateur n'est pas gestionnaire de la structure",
    "deja_active": "refusée : structure déjà active",
    "deja_inactive": "refusée : structure déjà inactive",
    "ferme_sirene": "refusée : établissement fermé dans SIRENE",
    "inconnu_sirene": "refusée : SIRET introuvable dans SIRENE",
    "sirene_indisponible": "interrompue : base SIRENE indisponible",
    "successeur_identique": "refusée : SIRET reprenant l'activité identique à celui de la structure",
    "successeur_inconnu": "refusée : SIRET reprenant l'activité inconnu de Chorus Pro",
    "successeur_prive": "refusée : la structure reprenant l'activité est privée",
    "successeur_inactif": "refusée : la structure reprenant l'activité est inactive",
    "droits_successeur": "refusée : l'utilisateur n'est pas gestionnaire de la structure reprenant l'activité",
    "successeur_cycle": "refusée : la reprise d'activité formerait une boucle",
    "successeur_requis": "refusée : un SIRET reprenant l'activité est nécessaire",
    "etapes_incompletes": "refusée : étapes non confirmées",
    "confirmation_non_verifiee": "refusée : confirmation non vérifiée",
    "incident_technique": "interrompue : incident technique",
}

# Where the user stopped: the step (a form's slot) or the form itself.
STEPS = {
    "formulaire_statut": "procédure d'activation ou d'inactivation",
    "type_structure": "type de structure",
    "action_statut": "choix de l'action",
    "siret": "saisie du SIRET",
    "confirmation_structure": "confirmation de la structure",
    "confirmation_action": "confirmation de l'action",
    "successeur_existe": "question du SIRET reprenant l'activité",
    "siret_successeur": "saisie du SIRET reprenant l'activité",
    "formulaire_evaluation": "évaluation",
    "envoi_commentaire": "envoi du commentaire d'évaluation",
    "motif_insatisfaction": "motif d'insatisfaction",
    "commentaire": "commentaire d'évaluation",
    "formulaire_message": "message pour le support",
    "message_conseiller": "rédaction du message pour le support",
}

VOTES = {POSITIVE: "👍 positive", NEGATIVE: "👎 négative"}
REASONS = {code: text[0].lower() + text[1:] for code, text in REASONS_FOR_USERS.items()}

STATUSES = {
    WAITING: "en attente",
    ONGOING: "en cours",
    CLOSED: "clôturée",
    CANCELLED: "annulée par l'utilisateur",
    EXPIRED: "expirée : l'utilisateur était parti",
    MESSAGE: "message à traiter",
    ANSWERED: "message répondu",
}


def _words(mapping: Mapping[str, str], code: Optional[str], unknown: str) -> str:
    if not code:
        return ""
    return mapping.get(code) or f"{unknown} : {str(code).replace('_', ' ')}"


def outcome(code: Optional[str]) -> str:
    return _words(OUTCOMES, code, "autre issue")


def _procedure(operation: Optional[str], siret: Optional[str], name: Optional[str]) -> str:
    text = _words(OPERATIONS, operation, "procédure") or "procédure"
    shown_siret = format_siret(siret) if siret else ""
    if name and shown_siret:
        return f"{text} de {name} (SIRET {shown_siret})"
    if shown_siret:
        return f"{text} du SIRET {shown_siret}"
    return f"{text} de {name}" if name else text


def describe(context: Optional[Mapping]) -> str:
    """A chat's or a message's context, as operators read it."""
    context = context or {}
    parts = []
    if context.get("procedure_en_cours"):
        current = "en cours : " + _procedure(context["procedure_en_cours"], context.get("siret"),
                                             context.get("structure"))
        if context.get("etape"):
            current += ", étape : " + _words(STEPS, context["etape"], "étape")
        parts.append(current)
    last = context.get("derniere_procedure") or {}
    if last.get("operation") or last.get("outcome"):
        ended = "dernière procédure : " + _procedure(last.get("operation"), last.get("siret"), last.get("name"))
        parts.append(ended + (f" — {outcome(last['outcome'])}" if last.get("outcome") else ""))
    evaluation = context.get("evaluation") or {}
    if evaluation.get("vote"):
        said = "évaluation " + _words(VOTES, evaluation["vote"], "vote")
        if evaluation.get("reason"):
            said += " : " + _words(REASONS, evaluation["reason"], "motif")
        if evaluation.get("comment"):
            said += f", « {evaluation['comment']} »"
        parts.append(said)
    return " · ".join(parts) or "aucune procédure"


def inbox_state(chat: Mapping, me: str) -> str:
    """A chat's state in the inbox's list."""
    if chat.get("status") == ONGOING:
        return f"en cours ({'vous' if chat.get('operator') == me else chat.get('operator')})"
    return _words(STATUSES, chat.get("status"), "état")


# How the user ended their live chat (claudia/user_side.py).
USER_ENDINGS = {
    "bouton": "L'utilisateur a mis fin à la discussion (bouton « Terminer la discussion »).",
    "mots": "L'utilisateur a mis fin à la discussion en le disant dans ses messages.",
    "nouvelle_conversation": "L'utilisateur a commencé une nouvelle conversation : la discussion est terminée.",
}


def chat_state(chat: Mapping, me: str) -> str:
    """A chat's state, as a sentence, on its own page."""
    status = chat.get("status")
    if status in (CLOSED, CANCELLED) and chat.get("user_ended"):
        return USER_ENDINGS.get(chat["user_ended"]) or "L'utilisateur a mis fin à la discussion."
    if status == ONGOING:
        return ("Vous avez cette discussion en charge." if chat.get("operator") == me
                else f"Prise en charge par {chat.get('operator')}.")
    sentences = {WAITING: "En attente d'un conseiller.", CLOSED: "Discussion clôturée.",
                 CANCELLED: "L'utilisateur ne souhaitait plus attendre : demande annulée.",
                 EXPIRED: "Demande expirée : l'utilisateur était parti."}
    return sentences.get(status) or _words(STATUSES, status, "État").capitalize() + "."
