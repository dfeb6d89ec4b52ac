"""Full conversations through the real Rasa and action servers, then the registry and journal."""
import uuid

from tests.conftest import (
    BOULANGERIE, CCAS, COMMUNAUTE, CRECHE, ECOLE, MAIRIE, MEDIATHEQUE, OFFICE_TOURISME,
    REGIE_EAUX, SYNDICAT, UNKNOWN,
)
from tests.e2e.stack import Chat


def chat(stack, login="marie.dupont", **kwargs):
    return Chat(stack, f"e2e-{uuid.uuid4().hex[:12]}", login, **kwargs)


def test_activation_step_by_step_with_buttons(stack, structure, journal):
    """Guide §1: scenario, type, action, SIRET, structure, confirmation, done."""
    user = chat(stack)
    user.say("bonjour")
    assert "ClaudIA" in user.text
    user.click("Je veux activer/inactiver ma structure")
    assert "type de votre structure" in user.text
    user.click("Structure publique")
    assert "Quelle action" in user.text
    user.click("Activer une structure publique")
    assert "SIRET de la structure à activer" in user.text
    user.say("219 300 019 00011")
    assert "Mairie de Valmont" in user.text and "Statut dans Chorus Pro : inactive" in user.text
    assert "1 Place DE LA MAIRIE, 93460 VALMONT" in user.text
    user.click("Oui")
    assert "Confirmez-vous" in user.text
    assert structure(MAIRIE)["status"] == "inactive"  # nothing before the final confirmation
    user.click("Confirmer")
    assert "est désormais active" in user.text
    assert structure(MAIRIE)["status"] == "active"
    (entry,) = journal(user.sender)
    assert (entry["login"], entry["operation"], entry["siret"], entry["outcome"]) == (
        "marie.dupont", "activer", MAIRIE, "effectuee")


def test_inactivation_closed_in_sirene_in_free_text(stack, structure, journal):
    """Guide §2.1: after the structure confirmation the structure is inactive."""
    user = chat(stack)
    user.say("je veux désactiver notre ancienne structure")
    assert "type de votre structure" in user.text
    user.say("c'est une structure publique")
    user.say("le siret c'est le 219.300.019.00128")
    assert "École élémentaire Jules Ferry" in user.text and "base SIRENE : fermé" in user.text
    user.say("oui c'est bien ça")
    assert "est désormais inactive" in user.text
    assert structure(ECOLE)["status"] == "inactive"
    assert [e["outcome"] for e in journal(user.sender)] == ["effectuee"]


def test_inactivation_open_in_sirene_with_successor(stack, structure, journal):
    """Guide §2.2: successor asked, explained on demand, checked, confirmed, recorded."""
    user = chat(stack)
    user.say(f"inactiver ma structure publique {SYNDICAT}")
    assert "Syndicat intercommunal des eaux du Val" in user.text
    user.click("Oui")
    assert "Existe-t-il un autre SIRET reprenant son activité" in user.text
    user.click("Qu'est-ce qu'un SIRET reprenant l'activité")
    assert "recevra dans Chorus Pro les factures" in user.text
    assert "Existe-t-il un autre SIRET" in user.text  # and the question again
    user.click("Oui")
    user.say(OFFICE_TOURISME)
    assert "boucle" in user.text
    user.say("200 054 781 00014")
    assert "Communauté de communes du Val de Seine" in user.text and "Confirmez-vous" in user.text
    user.click("Confirmer")
    assert "est désormais inactive" in user.text
    stored = structure(SYNDICAT)
    assert stored["status"] == "inactive" and stored["successor_siret"] == COMMUNAUTE
    assert journal(user.sender)[-1]["successor_siret"] == COMMUNAUTE


def test_inactivation_open_in_sirene_without_successor_changes_nothing(stack, structure, journal):
    user = chat(stack)
    user.say("inactiver une structure publique")
    user.say(SYNDICAT)
    user.click("Oui")
    user.click("Non")
    assert "un SIRET reprenant l'activité est nécessaire" in user.text
    assert "sollicitation" in user.text
    assert structure(SYNDICAT)["status"] == "active"
    assert [(e["outcome"], e["reason"]) for e in journal(user.sender)] == [("abandonnee", "sans_successeur")]


def test_successor_needs_rights_on_both_structures(stack, structure):
    user = chat(stack, login="paul.martin")
    user.say("inactiver une structure publique")
    user.say(CRECHE)
    user.click("Oui")
    user.click("Oui")
    user.say(COMMUNAUTE)
    assert "gestionnaire des deux structures" in user.text
    user.say("annuler")
    assert "rien n'a été modifié" in user.text
    assert structure(CRECHE)["status"] == "active"


def test_not_connected(stack, structure, journal):
    user = chat(stack, login=None)
    user.say("réactiver la mairie svp")
    assert "mode connecté" in user.text
    user.say(MAIRIE)
    assert structure(MAIRIE)["status"] == "inactive"
    assert journal(user.sender)[0]["reason"] == "non_connecte"


def test_bad_tokens_are_not_connected(stack, structure):
    import time

    import jwt

    expired = jwt.encode({"sub": "marie.dupont", "exp": int(time.time()) - 10}, "e2e-secret-0123456789-abcdefghijklmnopqrstuv", algorithm="HS256")
    forged = jwt.encode({"sub": "marie.dupont", "exp": int(time.time()) + 600}, "not-the-secret-but-long-enough-xxxxxxx", algorithm="HS256")
    none_alg = jwt.encode({"sub": "marie.dupont", "exp": int(time.time()) + 600}, None, algorithm="none")
    for token in (expired, forged, none_alg, "garbage"):
        user = chat(stack, login=None, token=token)
        user.say("activer une structure publique")
        assert "mode connecté" in user.text, token
    assert structure(MAIRIE)["status"] == "inactive"


def test_metadata_cannot_name_the_user(stack, structure):
    user = chat(stack, login=None)
    user.say("activer une structure publique", metadata={"claudia_identity": stack.token("marie.dupont"),
                                                         "login": "marie.dupont"})
    assert "mode connecté" in user.text


def test_conversation_cannot_be_taken_over(stack):
    owner = chat(stack)
    owner.say("bonjour")
    intruder = Chat(stack, owner.sender, "paul.martin")
    intruder.say("inactiver une structure publique")
    assert intruder.status == 403 and "rattachée à un autre compte" in intruder.text
    anonymous = Chat(stack, owner.sender)
    anonymous.say("bonjour")
    assert anonymous.status == 403


def test_lack_of_rights(stack, structure, journal):
    for login in ("luc.bernard", "julie.petit"):
        user = chat(stack, login=login)
        user.say(f"activer la structure publique {MAIRIE}")
        assert "pas gestionnaire principal ou secondaire" in user.text
        assert journal(user.sender)[0]["reason"] == "droits_insuffisants"
    assert structure(MAIRIE)["status"] == "inactive"


def test_refusals_by_state(stack, structure, journal):
    cases = [
        ("activer", CCAS, "déjà active", "deja_active"),
        ("activer", MEDIATHEQUE, "fermé dans la base SIRENE", "ferme_sirene"),
        ("activer", REGIE_EAUX, "introuvable dans la base SIRENE", "inconnu_sirene"),
        ("inactiver", BOULANGERIE, "structure privée", "structure_privee"),
    ]
    for operation, siret, said, reason in cases:
        user = chat(stack)
        user.say(f"{operation} une structure publique")
        user.say(siret)
        assert said in user.text, (siret, user.text)
        assert journal(user.sender)[0]["reason"] == reason
    assert structure(CCAS)["status"] == "active"
    assert structure(MEDIATHEQUE)["status"] == "inactive"
    assert structure(BOULANGERIE)["status"] == "active"


def test_private_structure_type(stack):
    user = chat(stack)
    user.say("Je veux activer/inactiver ma structure")
    user.click("Structure privée")
    assert "uniquement les structures publiques" in user.text


def test_wrong_then_unknown_then_right_siret(stack, structure):
    user = chat(stack)
    user.say("activer une structure publique")
    user.say("21930001900012")
    assert "clé de contrôle est incorrecte" in user.text
    user.say("219300019")
    assert "c'est un SIREN" in user.text
    user.say(UNKNOWN)
    assert "ne correspond à aucune structure" in user.text
    user.say(MAIRIE)
    assert "Mairie de Valmont" in user.text
    user.click("Non")
    assert "pas la bonne structure" in user.text and "SIRET de la structure à activer" in user.text


def test_sirene_unavailable_then_retry(stack, structure):
    user = chat(stack)
    user.say("activer une structure publique")
    stack.insee.fail_next(500)
    user.say(MAIRIE)
    assert "SIRENE ne répond pas" in user.text
    user.say(MAIRIE)
    assert "Mairie de Valmont" in user.text
    user.click("Oui")
    stack.insee.fail_next(200, delay=3)  # slower than the client's timeout
    user.click("Confirmer")
    assert "SIRENE ne répond pas" in user.text
    assert structure(MAIRIE)["status"] == "inactive"


def test_typed_payloads(stack, structure):
    user = chat(stack)
    user.say('/activer_structure{"siret": "21930001900011"}')
    assert "boutons proposés" in user.text
    user.say("activer une structure publique")
    user.say(MAIRIE)
    user.say("/affirmer")  # offered as the "Oui" button: same as clicking it
    assert "Confirmez-vous" in user.text
    user.say('/affirmer{"confirmation_action": true}')
    assert "boutons proposés" in user.text
    user.say('/inform{"siret": "21930001900128"}')
    assert "boutons proposés" in user.text
    assert structure(MAIRIE)["status"] == "inactive"
    user.say("non")
    assert "rien modifié" in user.text
    assert structure(MAIRIE)["status"] == "inactive"


def test_questions_cancel_and_restart(stack, structure):
    user = chat(stack)
    user.say("inactiver une structure publique")
    user.say("quels sont les prérequis ?")
    assert "Pour inactiver une structure publique" in user.text
    assert "SIRET de la structure à inactiver" in user.text  # back to the step
    user.say("c'est quoi un siret ?")
    assert "14 chiffres" in user.text
    user.say("recommencer")
    assert "Reprenons depuis le début" in user.text and "type de votre structure" in user.text
    user.say("laisse tomber")
    assert "annulé" in user.text
    user.say("annuler")
    assert "aucune procédure en cours" in user.text


def test_garbage_and_limits(stack):
    user = chat(stack)
    user.say("")
    assert user.status == 200 and "vide" in user.text
    user.say("x" * 5000)
    assert "trop long" in user.text
    user.say("asdkjh qwpoeiru zmxncb")
    assert user.status == 200 and user.text
