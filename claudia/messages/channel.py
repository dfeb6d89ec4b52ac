"""What the channel says about a message it cannot pass on."""
from __future__ import annotations

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

TROP_DE_MESSAGES = (
    "Vous avez envoyé beaucoup de messages en peu de temps. Merci de patienter une minute "
    "avant de réessayer."
)
LIMITE_CONVERSATION_ANONYME = (
    "Cette conversation sans connexion a atteint sa limite de messages. Pour continuer, "
    "connectez-vous à Chorus Pro ou ouvrez une nouvelle conversation."
)
# {attente}: « 4 secondes », « 15 minutes » (claudia/throttle.py, wait_in_words).
TROP_DE_TENTATIVES = (
    "Trop de tentatives de connexion ont échoué pour ce compte depuis ce poste. Par sécurité, "
    "patientez {attente} avant de réessayer."
)
