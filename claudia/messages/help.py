"""Explanations of the guide's terms and prerequisites."""
from __future__ import annotations

DOC_RATTACHEMENT = (
    "https://communaute.chorus-pro.gouv.fr/documentation/"
    "se-connecter-pigp-gerer-compte-utilisateur/#1502981372042-c1160fb2-d947"
)

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


