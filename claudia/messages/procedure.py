"""The procedure's questions, refusals and answers (guide §1 and §2)."""
from __future__ import annotations

from typing import Optional

from claudia.messages.channel import RIEN_MODIFIE
from claudia.siret import format_siret
from claudia.messages.help import DOC_RATTACHEMENT

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
    "confirmation_non_verifiee": (
        "Je n'ai pas pu vérifier que vous avez confirmé exactement cette action. " + RIEN_MODIFIE
        + " Si vous le souhaitez, recommencez la procédure depuis le début."
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


# -- change of mind and whole requests ----------------------------------------------
CHANGEMENT_PROCEDURE = {
    "activer": "D'accord : vous souhaitez finalement activer la structure, et non l'inactiver.",
    "inactiver": "D'accord : vous souhaitez finalement inactiver la structure, et non l'activer.",
}
SIRET_CONSERVE = " Je reprends avec le SIRET {siret}."
SUCCESSEUR_ANNONCE_IGNORE = (
    "Cette structure est fermée dans la base SIRENE : aucun SIRET reprenant l'activité n'est "
    "nécessaire, je n'utilise donc pas le SIRET {siret} que vous avez indiqué."
)


def procedure_switched(operation: str, kept_siret: Optional[str]) -> str:
    text = CHANGEMENT_PROCEDURE[operation]
    return text + (SIRET_CONSERVE.format(siret=format_siret(kept_siret)) if kept_siret else "")
