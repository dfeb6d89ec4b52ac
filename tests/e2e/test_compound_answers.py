"""Answers with more than was asked (issue #22), typed through the authenticated channel.

Yes and the SIRET in one message, a SIREN then its NIC, a new SIRET replacing the old one
(said aloud), two structures in one message (one after the other), « on n'en a pas
d'autre » at the successor's SIRET; then the registry and the journal.
"""
import uuid

from tests.conftest import COMMUNAUTE, ECOLE, MAIRIE, SYNDICAT
from tests.e2e.stack import Chat


def chat(stack):
    return Chat(stack, f"e2e-compound-{uuid.uuid4().hex[:10]}", "marie.dupont")


def test_yes_and_the_successor_in_one_answer(stack, structure):
    user = chat(stack)
    user.say("inactiver la structure publique 259 300 457 00019")
    user.say("oui")
    assert "Existe-t-il un autre SIRET" in user.text
    user.say("oui bien sûr, la comcom : 200 054 781 00014")
    assert "seront reçues par Communauté de communes du Val de Seine" in user.text and "Confirmez-vous" in user.text
    user.say("je confirme")
    assert (structure(SYNDICAT)["status"], structure(SYNDICAT)["successor_siret"]) == ("inactive", COMMUNAUTE)


def test_a_siren_then_its_nic_in_the_next_message(stack):
    user = chat(stack)
    user.say("je veux activer une structure publique")
    user.say("219 300 019")
    assert "c'est un SIREN" in user.text
    user.say("00011")
    assert "Mairie de Valmont" in user.text and "Est-ce bien la structure" in user.text


def test_a_new_siret_at_the_card_replaces_the_old_one(stack, structure, journal):
    user = chat(stack)
    user.say("inactiver la structure publique 259 300 457 00019")
    assert "Syndicat intercommunal" in user.text
    user.say("non, c'est le 219 300 019 00128")
    assert "j'utilise désormais le SIRET 219 300 019 00128" in user.text
    assert "École élémentaire Jules Ferry" in user.text and "Est-ce bien la structure" in user.text
    user.say("oui")
    assert structure(ECOLE)["status"] == "inactive" and structure(SYNDICAT)["status"] == "active"


def test_a_siret_given_at_the_type_question_is_kept(stack):
    user = chat(stack)
    user.say("je voudrais changer le statut de ma structure")
    assert "type de votre structure" in user.text
    user.say("c'est le 219 300 019 00011")
    user.say("publique")
    user.say("activer")
    assert "Mairie de Valmont" in user.text and "Est-ce bien la structure" in user.text


def test_two_structures_one_after_the_other(stack, structure):
    user = chat(stack)
    user.say("il faut activer la mairie 219 300 019 00011 et aussi la médiathèque 219 300 019 00235")
    assert "l'une après l'autre" in user.text and "Mairie de Valmont" in user.text
    user.say("oui")
    user.say("oui je confirme")
    assert "est désormais active" in user.text and structure(MAIRIE)["status"] == "active"
    assert "219 300 019 00235" in user.text  # the second one offered
    user.click("Activer cette structure")
    assert "Médiathèque municipale de Valmont" in user.text  # its own checks: closed in SIRENE


def test_no_other_successor_said_at_its_siret_ends_without_change(stack, structure, journal):
    user = chat(stack)
    user.say("inactiver la structure publique 259 300 457 00019")
    user.say("oui")
    user.say("oui")
    assert "SIRET de la structure reprenant l'activité" in user.text
    user.say("dans ce cas on n'en a pas d'autre")
    assert "Je n'ai rien modifié" in user.text
    assert structure(SYNDICAT)["status"] == "active"
    assert [e["reason"] for e in journal(user.sender)] == ["sans_successeur"]


def test_a_plain_yes_in_words_confirms_the_write(stack, structure):
    """« go » at « Confirmez-vous cette action ? »: the step reads a yes, and the seal vouches
    for it (it once reached the write as « confirmation non vérifiée »)."""
    user = chat(stack)
    user.say("inactiver le syndicat des eaux du val 259 300 457 00019")
    user.say("oui")
    user.say("oui c la comcom 200 054 781 00014")
    assert "Confirmez-vous" in user.text
    user.say("go")
    assert "C'est fait" in user.text
    assert (structure(SYNDICAT)["status"], structure(SYNDICAT)["successor_siret"]) == ("inactive", COMMUNAUTE)


def test_a_new_siret_typed_after_the_refusal_starts_again(stack, structure, journal):
    """« ah non pardon, la mairie c'est le … » once the procedure has ended: the same
    operation again with that SIRET, the card and the confirmation asked again."""
    user = chat(stack)
    user.say("activer une structure publique 219 300 019 00235")
    assert "fermé dans la base SIRENE" in user.text and "Cette réponse vous a-t-elle aidé" in user.text
    user.say("ah non pardon je me suis trompée de ligne, la mairie c'est le 219 300 019 00011")
    assert "je reprends la démarche pour activer la structure au SIRET 219 300 019 00011" in user.text
    assert "Mairie de Valmont" in user.text and "Est-ce bien la structure" in user.text
    assert structure(MAIRIE)["status"] == "inactive"  # nothing written before the confirmation
    user.say("oui")
    user.say("je confirme")
    assert structure(MAIRIE)["status"] == "active"


def test_the_other_operation_for_another_structure_keeps_no_siret(stack, structure):
    """« je me suis trompée, c'est l'école qu'il faut fermer, pas activer la mairie » at the
    card: the inactivation starts, and the mairie's SIRET is not kept for it."""
    user = chat(stack)
    user.say("activer la structure publique 219 300 019 00011")
    assert "Mairie de Valmont" in user.text
    user.say("ah non attendez je me suis trompée, c'est l'école Jules Ferry qu'il faut fermer, pas activer la mairie")
    assert "inactiver" in user.text and "219 300 019 00011" not in user.text
    assert "Saisissez le SIRET de la structure à inactiver" in user.text
    assert structure(MAIRIE)["status"] == "inactive"


def test_three_structures_and_their_successor_then_moving_on_in_words(stack, structure):
    """Two structures to inactivate and the one taking both over, in one message; the second
    is offered once the first is done, and « on enchaîne avec le CCAS » takes it."""
    user = chat(stack)
    user.say("Nous centralisons la réception des factures sur la communauté de communes (200 054 781 00014). "
             "Il faut inactiver le syndicat des eaux 259 300 457 00019 et le CCAS 269 300 125 00011.")
    assert "l'une après l'autre" in user.text and "269 300 125 00011" in user.text
    assert "Syndicat intercommunal" in user.text
    user.say("oui")  # the card; the announced successor answers the successor steps
    assert "Communauté de communes du Val de Seine" in user.text and "Confirmez-vous" in user.text
    user.say("je confirme")
    assert (structure(SYNDICAT)["status"], structure(SYNDICAT)["successor_siret"]) == ("inactive", COMMUNAUTE)
    assert "Vous aviez aussi cité le SIRET 269 300 125 00011" in user.text
    user.say("on enchaîne avec le CCAS maintenant")
    assert "CCAS de Valmont" in user.text and "Est-ce bien la structure que vous souhaitez inactiver" in user.text
