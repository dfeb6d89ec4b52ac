"""Everything ClaudIA says from Python code, in French, with "vous".

Fixed prompts and greetings are Rasa responses in `domain.yml`; the texts
here depend on what the actions found (a structure, a refusal reason, a
term to explain), so they live next to the code that fills them in.
"""
from __future__ import annotations

from typing import Optional

from actions.siret import format_siret

DOC_RATTACHEMENT = (
    "https://communaute.chorus-pro.gouv.fr/documentation/"
    "se-connecter-pigp-gerer-compte-utilisateur/#1502981372042-c1160fb2-d947"
)
RIEN_MODIFIE = "Je n'ai rien modifié."

# -- channel ---------------------------------------------------------------
REQUETE_INVALIDE = (
    "Votre message n'a pas pu être lu. Merci de réessayer depuis la fenêtre de discussion."
)
MESSAGE_VIDE = "Votre message est vide. Que puis-je faire pour vous ?"
MESSAGE_TROP_LONG = (
    "Votre message est trop long (plus de {limite} caractères). "
    "Pourriez-vous le formuler plus brièvement ?"
)
CONVERSATION_D_UN_AUTRE = (
    "Cette conversation est rattachée à un autre compte. "
    "Merci d'ouvrir une nouvelle conversation depuis votre espace Chorus Pro."
)
INCIDENT_TECHNIQUE = (
    "Je rencontre une difficulté technique momentanée : votre message n'a pas pu être traité et "
    "rien n'a été modifié. Merci de le renvoyer dans quelques instants."
)
ENREGISTREMENT_IMPOSSIBLE = (
    "Un incident technique a empêché l'enregistrement : rien n'a été modifié. Merci de réessayer "
    "dans quelques instants."
)
COMMANDE_NON_ACCEPTEE = (
    "Je ne peux pas traiter cette commande. Merci d'utiliser les boutons proposés "
    "ou d'écrire votre demande en quelques mots."
)

# -- SIRET reading -----------------------------------------------------------
SIRET_ERREURS = {
    "absent": (
        "Je n'ai pas trouvé de numéro SIRET dans votre message. Un SIRET comporte "
        "14 chiffres, par exemple 219 300 019 00011."
    ),
    "siren": (
        "Le numéro {digits} comporte 9 chiffres : c'est un SIREN, qui identifie l'entité. "
        "Il me faut le SIRET de la structure, soit 14 chiffres (le SIREN suivi des "
        "5 chiffres du NIC)."
    ),
    "longueur": (
        "Un SIRET comporte 14 chiffres ; le numéro saisi ({digits}) en compte {count}. "
        "Vérifiez-le et saisissez-le à nouveau."
    ),
    "cle": (
        "Le numéro {digits} n'est pas un SIRET valide : sa clé de contrôle est incorrecte. "
        "Un chiffre a peut-être été oublié ou inversé ; vérifiez-le et saisissez-le à nouveau."
    ),
}


def siret_error(error: str, digits: str) -> str:
    return SIRET_ERREURS[error].format(digits=digits, count=len(digits))


# -- refusals ------------------------------------------------------------------
REFUS = {
    "non_connecte": (
        "Pour activer ou inactiver une structure, vous devez utiliser ClaudIA en mode "
        "connecté : connectez-vous à Chorus Pro avec le compte gestionnaire de la structure, "
        "puis cliquez sur « Besoin d'aide ? Posez une question ». " + RIEN_MODIFIE
    ),
    "siret_inconnu": (
        "Le SIRET {siret} ne correspond à aucune structure enregistrée dans Chorus Pro. "
        "Vérifiez le numéro et saisissez-le à nouveau."
    ),
    "structure_privee": (
        "La structure {name} ({siret}) est une structure privée : cette procédure concerne "
        "uniquement les structures publiques. " + RIEN_MODIFIE
    ),
    "droits_insuffisants": (
        "Vous n'êtes pas gestionnaire principal ou secondaire de la structure {name} ({siret}). "
        "Seul un gestionnaire de niveau structure peut l'activer ou l'inactiver ; un rôle de "
        "niveau service ou utilisateur ne suffit pas. Pour vous rattacher à la structure, "
        "consultez la documentation : " + DOC_RATTACHEMENT + " " + RIEN_MODIFIE
    ),
    "deja_active": "La structure {name} ({siret}) est déjà active dans Chorus Pro : il n'y a rien à faire.",
    "deja_inactive": "La structure {name} ({siret}) est déjà inactive dans Chorus Pro : il n'y a rien à faire.",
    "ferme_sirene": (
        "Le SIRET {siret} est fermé dans la base SIRENE : la structure {name} ne peut pas être "
        "activée. Si l'établissement a rouvert, sa situation doit d'abord être mise à jour "
        "auprès de l'INSEE. " + RIEN_MODIFIE
    ),
    "inconnu_sirene": (
        "Le SIRET {siret} est introuvable dans la base SIRENE : je ne peux pas vérifier la "
        "situation de la structure {name}. " + RIEN_MODIFIE + " Vous pouvez déposer une "
        "sollicitation auprès du support Chorus Pro."
    ),
    "sirene_indisponible": (
        "La base SIRENE ne répond pas pour le moment, je ne peux donc pas vérifier ce SIRET. "
        + RIEN_MODIFIE + " Réessayez dans quelques instants en saisissant à nouveau le SIRET."
    ),
    "successeur_identique": (
        "Le SIRET reprenant l'activité doit être différent de celui de la structure à "
        "inactiver. Indiquez un autre SIRET, ou écrivez « annuler »."
    ),
    "successeur_inconnu": (
        "Le SIRET {siret} ne correspond à aucune structure enregistrée dans Chorus Pro. "
        "Indiquez le SIRET d'une structure publique active, ou écrivez « annuler »."
    ),
    "successeur_prive": (
        "La structure {name} ({siret}) est une structure privée : la structure reprenant "
        "l'activité doit être publique. Indiquez un autre SIRET, ou écrivez « annuler »."
    ),
    "successeur_inactif": (
        "La structure {name} ({siret}) est inactive dans Chorus Pro : la structure reprenant "
        "l'activité doit être active. Indiquez un autre SIRET, ou écrivez « annuler »."
    ),
    "droits_successeur": (
        "Vous n'êtes pas gestionnaire de niveau structure de {name} ({siret}) : pour désigner "
        "une structure reprenant l'activité, il faut être gestionnaire des deux structures. "
        "Indiquez un autre SIRET, ou écrivez « annuler »."
    ),
    "successeur_cycle": (
        "La structure {name} ({siret}) a elle-même pour successeur la structure à inactiver : "
        "ce choix créerait une boucle. Indiquez un autre SIRET, ou écrivez « annuler »."
    ),
    "successeur_requis": (
        "Cette structure est toujours active dans la base SIRENE : pour l'inactiver, un SIRET "
        "reprenant l'activité est nécessaire. " + RIEN_MODIFIE
    ),
    "etapes_incompletes": (
        "Toutes les étapes de la procédure n'ont pas été confirmées. " + RIEN_MODIFIE
    ),
}


def refusal(reason: str, siret: Optional[str] = None, name: Optional[str] = None) -> str:
    return REFUS[reason].format(
        siret=format_siret(siret) if siret else "", name=name or "concernée"
    )


# -- the procedure: questions -------------------------------------------------------
QUESTION_TYPE = "Quel est le type de votre structure ?"
QUESTION_ACTION = "Quelle action souhaitez-vous réaliser ?"
QUESTION_SIRET = {
    "activer": "Saisissez le SIRET de la structure à activer (14 chiffres), puis validez.",
    "inactiver": "Saisissez le SIRET de la structure à inactiver (14 chiffres), puis validez.",
    None: "Saisissez le SIRET de la structure concernée (14 chiffres), puis validez.",
}
QUESTION_SUCCESSEUR_EXISTE = (
    "Cette structure est toujours active dans la base SIRENE. Existe-t-il un autre SIRET "
    "reprenant son activité ? Cliquez sur « Oui » si vous êtes en mesure de fournir ce SIRET."
)
QUESTION_SIRET_SUCCESSEUR = (
    "Saisissez le SIRET de la structure reprenant l'activité (14 chiffres), puis validez."
)

# -- the procedure: answers -----------------------------------------------------------
STRUCTURE_PRIVEE_CHOISIE = (
    "Cette procédure concerne uniquement les structures publiques. Pour une structure "
    "privée (entreprise, association...), l'activation ou l'inactivation se fait depuis "
    "l'espace « Gestion des structures » de Chorus Pro par son gestionnaire principal, "
    "ou par une sollicitation auprès du support si vous n'y avez pas accès. " + RIEN_MODIFIE
)
TYPE_NON_COMPRIS = "Je n'ai pas compris le type de structure."
ACTION_NON_COMPRISE = "Je n'ai pas compris l'action souhaitée."
REPONDRE_OUI_NON = "Merci de répondre par « Oui » ou par « Non »."
PAS_LA_BONNE_STRUCTURE = "D'accord, ce n'est pas la bonne structure."
SANS_SUCCESSEUR = (
    "Cette structure est toujours active dans la base SIRENE : les factures qu'elle reçoit "
    "doivent pouvoir être adressées à une autre structure, c'est pourquoi un SIRET reprenant "
    "l'activité est nécessaire pour l'inactiver. " + RIEN_MODIFIE + " Vous pouvez revenir "
    "vers moi quand vous connaîtrez ce SIRET, ou déposer une sollicitation auprès du support "
    "Chorus Pro si l'établissement doit être fermé dans SIRENE."
)
CONFIRMATION_REFUSEE = "Très bien, je n'ai rien modifié."
ANNULATION = "D'accord, j'ai annulé la procédure : rien n'a été modifié."
RIEN_A_ANNULER = "Il n'y a aucune procédure en cours : rien n'a été modifié."
RECOMMENCER = "Reprenons depuis le début."

STATUTS = {"active": "active", "inactive": "inactive"}
ACTIONS_INFINITIF = {"activer": "activer", "inactiver": "inactiver"}


def structure_card(fiche: dict, operation: str) -> str:
    sirene_state = "actif" if fiche.get("sirene_active") else "fermé"
    lines = [
        "Voici la structure trouvée :",
        f"• Nom : {fiche['name']}",
        f"• SIRET : {format_siret(fiche['siret'])}",
    ]
    if fiche.get("sirene_denomination"):
        lines.append(f"• Dénomination SIRENE : {fiche['sirene_denomination']}")
    if fiche.get("sirene_address"):
        lines.append(f"• Adresse (SIRENE) : {fiche['sirene_address']}")
    lines += [
        f"• État dans la base SIRENE : {sirene_state}",
        f"• Statut dans Chorus Pro : {STATUTS.get(fiche['status'], fiche['status'])}",
        f"Est-ce bien la structure que vous souhaitez {ACTIONS_INFINITIF[operation]} ?",
    ]
    return "\n".join(lines)


def confirm_action(operation: str, fiche: dict, successor: Optional[dict]) -> str:
    target = f"{fiche['name']} (SIRET {format_siret(fiche['siret'])})"
    if operation == "activer":
        return f"Vous allez activer la structure {target}. Confirmez-vous cette action ?"
    text = f"Vous allez inactiver la structure {target}."
    if successor:
        text += (
            f" Les factures qui lui étaient adressées seront reçues par "
            f"{successor['name']} (SIRET {format_siret(successor['siret'])})."
        )
    return text + " Confirmez-vous cette action ?"


def done(operation: str, structure: dict, successor: Optional[dict]) -> str:
    name, siret = structure["name"], format_siret(structure["siret"])
    state = "active" if operation == "activer" else "inactive"
    text = f"C'est fait : la structure {name} (SIRET {siret}) est désormais {state} dans Chorus Pro."
    if successor:
        text += (
            f" Les factures qui lui étaient adressées seront reçues par {successor['name']} "
            f"(SIRET {format_siret(successor['siret'])})."
        )
    return text


# -- explanations ---------------------------------------------------------------
DEFINITIONS = {
    "successeur": (
        "Le « SIRET reprenant l'activité » est celui de la structure qui recevra dans Chorus "
        "Pro les factures jusque-là adressées à la structure inactivée. Cette structure doit "
        "être publique et active dans Chorus Pro, différente de celle que vous inactivez, et "
        "vous devez en être gestionnaire de niveau structure."
    ),
    "siren": (
        "Le SIREN est le numéro à 9 chiffres qui identifie une entité (commune, établissement "
        "public, entreprise). Le SIRET ajoute au SIREN les 5 chiffres du NIC pour identifier "
        "un établissement précis."
    ),
    "sirene": (
        "La base SIRENE, tenue par l'INSEE, répertorie les entités et leurs établissements. "
        "Un établissement y est « actif » ou « fermé » : je la consulte pour savoir si le SIRET "
        "est encore ouvert, ce qui détermine les étapes de l'inactivation."
    ),
    "siret": (
        "Le SIRET est le numéro à 14 chiffres qui identifie un établissement : les 9 chiffres "
        "du SIREN suivis des 5 chiffres du NIC. Dans Chorus Pro, chaque structure est "
        "identifiée par son SIRET. Vous pouvez le saisir avec ou sans espaces."
    ),
    "gestionnaire": (
        "Le gestionnaire principal ou secondaire d'une structure (gestionnaire « de niveau "
        "structure ») administre la structure dans Chorus Pro. Lui seul peut l'activer ou "
        "l'inactiver ; les rôles de niveau service ou simple utilisateur ne suffisent pas. "
        "Pour vous rattacher à une structure : " + DOC_RATTACHEMENT
    ),
    "structure_publique": (
        "Une structure publique est une entité du secteur public (service de l'État, "
        "collectivité, établissement public) qui reçoit des factures dans Chorus Pro. Les "
        "entreprises et associations sont des structures privées."
    ),
    "inactiver": (
        "Inactiver une structure la retire des destinataires de factures dans Chorus Pro : "
        "elle ne peut plus en recevoir. Si son SIRET est encore actif dans la base SIRENE, "
        "une autre structure doit reprendre son activité."
    ),
    "activer": (
        "Activer une structure la rend à nouveau disponible dans Chorus Pro : elle peut de "
        "nouveau recevoir des factures. Son SIRET doit être actif dans la base SIRENE."
    ),
}
DEFINITION_GENERALE = (
    "Je peux vous expliquer ces termes : SIRET, SIREN, base SIRENE, structure publique, "
    "gestionnaire de niveau structure, SIRET reprenant l'activité, activer, inactiver. "
    "Lequel vous intéresse ?"
)

PREREQUIS_ACTIVATION = (
    "Pour activer une structure publique :\n"
    "• être gestionnaire de niveau structure (principal ou secondaire) de la structure à activer ;\n"
    "• être connecté à Chorus Pro avec ce compte gestionnaire ;\n"
    "• le SIRET doit être actif dans la base SIRENE.\n"
    "Pour vous rattacher à une structure publique : " + DOC_RATTACHEMENT
)
PREREQUIS_INACTIVATION = (
    "Pour inactiver une structure publique :\n"
    "• être gestionnaire de niveau structure (principal ou secondaire) de la structure à inactiver ;\n"
    "• être connecté à Chorus Pro avec ce compte gestionnaire ;\n"
    "• si le SIRET est encore actif dans la base SIRENE : indiquer un SIRET reprenant "
    "l'activité, celui d'une structure publique active dans Chorus Pro dont vous êtes "
    "aussi gestionnaire de niveau structure.\n"
    "Pour vous rattacher à une structure publique : " + DOC_RATTACHEMENT
)


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
