"""What ClaudIA says between the steps: answers to questions, hesitations, help when stuck."""
from __future__ import annotations

from claudia.messages.channel import RIEN_MODIFIE
from claudia.messages.evaluation import AGENT_BUTTON
from claudia.messages.help import DOC_RATTACHEMENT

AIDE_CHORUS = "https://communaute.chorus-pro.gouv.fr/"
ANNUAIRE_ENTREPRISES = "https://annuaire-entreprises.data.gouv.fr/"
AVIS_SITUATION = "https://avis-situation-sirene.insee.fr/"

OU_TROUVER_SIRET = (
    "Vous trouverez le SIRET de votre structure :\n"
    "• dans Chorus Pro, sur la fiche de la structure (menu « Structures ») ;\n"
    "• sur l'annuaire des entreprises et des administrations : " + ANNUAIRE_ENTREPRISES + " "
    "(recherchez le nom de la structure ou sa commune) ;\n"
    "• sur son avis de situation SIRENE, délivré par l'INSEE : " + AVIS_SITUATION + "\n"
    "Il comporte 14 chiffres : les 9 du SIREN suivis des 5 du NIC."
)
DEVENIR_GESTIONNAIRE = (
    "Pour devenir gestionnaire d'une structure publique, demandez votre rattachement à la "
    "structure depuis votre compte Chorus Pro : le gestionnaire principal de la structure le "
    "valide. La marche à suivre est décrite ici : " + DOC_RATTACHEMENT + "\nSi la structure n'a "
    "plus de gestionnaire, le support Chorus Pro peut vous aider."
)
CONTACT_SUPPORT = (
    "Si ma réponse ne vous convient pas, le support Chorus Pro peut examiner votre situation : "
    "cliquez sur « Parler à un conseiller » pour discuter avec un conseiller ou lui laisser "
    "un message. Pour une structure privée (entreprise, association), c'est son gestionnaire "
    "principal qui gère la structure depuis l'espace « Gestion des structures » de Chorus Pro ; "
    "pour un droit manquant, le gestionnaire principal de la structure peut vous rattacher."
)
CONSEQUENCES = (
    "Une fois la structure inactivée, elle ne peut plus recevoir de factures dans Chorus Pro. "
    "Si une structure reprend son activité, les factures qui lui étaient adressées sont "
    "reçues par cette structure. Les factures déjà reçues restent consultables. "
    "L'inactivation n'est pas définitive : un gestionnaire de la structure peut la réactiver "
    "ici, tant que son SIRET est actif dans la base SIRENE."
)
HORS_PERIMETRE_AIDE = (
    "Je ne peux pas vous aider sur ce point : je sais activer ou inactiver une structure "
    "publique dans Chorus Pro et répondre aux questions sur ces démarches. Pour les autres "
    "questions, la documentation de Chorus Pro est ici : " + AIDE_CHORUS + " ; un conseiller "
    "du support peut aussi vous répondre."
)
HESITATION = "Prenez votre temps : je garde la démarche en cours, rien n'est modifié."
REPETITION = "Je répète ma question :"
TOUJOURS_EN_COURS = "C'est bien la démarche en cours."
STATUT_UNE = "La structure {name} (SIRET {siret}) est actuellement {status} dans Chorus Pro."
STATUT_AUCUNE = (
    "Je ne trouve aucune structure dont vous êtes gestionnaire ou membre dans Chorus Pro : je "
    "ne peux donc pas vous indiquer de statut."
)
STATUT_PLUSIEURS = "Voici le statut de vos structures dans Chorus Pro :"
STATUT_NON_RATTACHE = (
    "Je ne peux vous indiquer que le statut des structures auxquelles vous êtes rattaché(e)."
)
STATUT_RIEN_CHANGE = "Je n'ai rien modifié."
STATUT_NON_CONNECTE = (
    "Pour connaître le statut d'une structure, connectez-vous à Chorus Pro puis ouvrez ClaudIA "
    "avec « Besoin d'aide ? Posez une question ». " + RIEN_MODIFIE
)
DEPART = "D'accord, je m'arrête là : rien n'a été modifié. Au revoir, et bonne journée !"
DEUX_STRUCTURES = (
    "Vous citez plusieurs structures : je vais les traiter l'une après l'autre. Je commence par "
    "le SIRET {premier} ; je vous proposerai ensuite le SIRET {second}."
)
SUIVANTES_SEPARATEUR = ", puis le SIRET "
STRUCTURE_SUIVANTE = "Vous aviez aussi cité le SIRET {siret} : voulez-vous le traiter maintenant ?"
NOUVEAU_SIRET = "C'est noté : j'utilise désormais le SIRET {siret}."
SIREN_PUIS_NIC = "J'ai assemblé le SIREN {siren} et le NIC {nic} : SIRET {siret}."

# Why each step asks what it asks, in other words than its question (after two misses).
AIDE_ETAPE = {
    "type_structure": (
        "Pour continuer, j'ai besoin de savoir si votre structure est publique (commune, école, "
        "syndicat, hôpital, service de l'État…) ou privée (entreprise, association)."
    ),
    "action_statut": (
        "Pour continuer, dites-moi si vous voulez activer la structure (qu'elle puisse recevoir "
        "des factures) ou l'inactiver (qu'elle n'en reçoive plus)."
    ),
    "siret": (
        "Pour continuer, il me faut le numéro SIRET de la structure : 14 chiffres, par exemple "
        "219 300 019 00011. Il figure sur la fiche de la structure dans Chorus Pro et sur "
        + ANNUAIRE_ENTREPRISES + "."
    ),
    "confirmation_structure": (
        "Pour continuer, dites-moi si la structure affichée est bien celle que vous voulez "
        "modifier : « oui », ou « non » pour saisir un autre SIRET."
    ),
    "successeur_existe": (
        "Pour continuer, dites-moi si une autre structure reçoit désormais les factures de "
        "celle-ci : « oui » (vous me donnerez son SIRET) ou « non »."
    ),
    "siret_successeur": (
        "Pour continuer, il me faut le SIRET (14 chiffres) de la structure qui recevra les "
        "factures ; s'il n'y en a pas, répondez « aucune »."
    ),
    "confirmation_action": (
        "Pour continuer, confirmez l'action (« je confirme ») ou annulez-la (« annuler ») : "
        "rien n'est modifié tant que vous n'avez pas confirmé."
    ),
    "motif_insatisfaction": (
        "Vous pouvez choisir un motif parmi les boutons, ou annuler : votre avis reste enregistré."
    ),
    "commentaire": "Écrivez votre commentaire en quelques mots, ou cliquez sur « Annuler ».",
    "envoi_commentaire": "Cliquez sur « Envoyer » pour transmettre votre commentaire, ou sur « Annuler ».",
    "message_conseiller": "Écrivez le message à transmettre au support, ou cliquez sur « Annuler ».",
}
SORTIE_BUTTONS = [AGENT_BUTTON, {"title": "Annuler", "payload": "/annuler"}]
DEMARCHE_TERMINEE = "C'est noté : la démarche est déjà terminée, il n'y a rien d'autre à confirmer."
CONNEXION_EXPLIQUEE = (
    "Vous êtes sans doute connecté(e) au portail, mais cette conversation a été ouverte sans votre "
    "identité : ouvrez ClaudIA depuis votre espace connecté de Chorus Pro, avec « Besoin d'aide ? "
    "Posez une question », puis refaites votre demande. Pour activer ou inactiver une structure, il "
    "faut en être gestionnaire et être connecté(e) à Chorus Pro avec ce compte gestionnaire. "
    "Je n'ai rien modifié. Si le problème persiste, un conseiller du support peut vous aider."
)
# A new SIRET typed just after a procedure ended (« ah non pardon, la mairie c'est le … »).
REPRISE_AUTRE_SIRET = "D'accord, je reprends la démarche pour {operation} la structure au SIRET {siret}."
