"""The form's validation action, run as Rasa runs it, on the demo registry."""
import asyncio

import pytest

from claudia import messages, services
from actions.procedure_form import ValidateFormulaireStatut
from tests.conftest import (
    COMMUNAUTE, CRECHE, ECOLE, MAIRIE, SYNDICAT, UNKNOWN, make_tracker, texts,
)
from tests.fake_insee import FakeInsee


def run_form(tracker, dispatcher, domain):
    events = asyncio.run(ValidateFormulaireStatut().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_not_connected_ends_the_procedure(registry, dispatcher, domain):
    tracker = make_tracker(intent="activer_structure", text="activer ma structure", login=None)
    slots = run_form(tracker, dispatcher, domain)
    assert slots["issue_procedure"] == "non_connecte"
    assert slots["requested_slot"] is None
    assert "mode connecté" in texts(dispatcher)


def test_everything_at_once_skips_the_answered_steps(registry, dispatcher, domain):
    tracker = make_tracker(intent="inactiver_structure", text="inactiver ma structure publique 219 300 019 00128")
    slots = run_form(tracker, dispatcher, domain)
    assert slots["type_structure"] == "publique"
    assert slots["action_statut"] == "inactiver"
    assert slots["siret"] == ECOLE
    assert slots["fiche_structure"]["sirene_active"] is False
    assert slots["requested_slot"] == "confirmation_structure"
    # the only message is the next step's question: the structure card, with Oui / Non
    (question,) = dispatcher.messages
    assert question["text"].startswith("Voici la structure trouvée") and "ECOLE JULES FERRY" in question["text"]
    assert [b["payload"] for b in question["buttons"]] == ["/affirmer", "/nier"]


def test_type_then_action_are_asked_in_order(registry, dispatcher, domain):
    tracker = make_tracker(intent="demander_changement_statut", text="je veux activer/inactiver ma structure")
    assert (run_form(tracker, dispatcher, domain))["requested_slot"] == "type_structure"
    tracker = make_tracker({"requested_slot": "type_structure"}, intent="informer_type_structure",
                           text='/informer_type_structure{"type_structure": "publique"}',
                           entities=[{"entity": "type_structure", "value": "publique"}])
    slots = run_form(tracker, dispatcher, domain)
    assert slots["type_structure"] == "publique" and slots["requested_slot"] == "action_statut"


def test_private_structure_is_explained(registry, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "type_structure"}, intent="informer_type_structure", text="privée")
    slots = run_form(tracker, dispatcher, domain)
    assert slots["issue_procedure"] == "structure_privee_choisie"
    assert slots["requested_slot"] is None
    assert "uniquement les structures publiques" in texts(dispatcher)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("21930001900012", "clé de contrôle est incorrecte"),
        ("219300019", "c'est un SIREN"),
        ("2193000190001", "en compte 13"),
        ("le numéro de la mairie", "pas trouvé de numéro SIRET"),
    ],
)
def test_wrong_siret_is_explained_and_asked_again(registry, dispatcher, domain, text, expected):
    tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "requested_slot": "siret"},
                           intent="informer_siret", text=text)
    slots = run_form(tracker, dispatcher, domain)
    assert slots.get("siret") is None and slots["requested_slot"] == "siret"
    assert expected in texts(dispatcher)


def test_unknown_siret_is_journaled_and_asked_again(registry, dispatcher, domain):
    tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "requested_slot": "siret"},
                           intent="informer_siret", text=UNKNOWN)
    slots = run_form(tracker, dispatcher, domain)
    assert slots["siret"] is None and slots["requested_slot"] == "siret"
    assert "ne correspond à aucune structure" in texts(dispatcher)
    assert [(e["outcome"], e["reason"]) for e in registry.journal()] == [("refusee", "siret_inconnu")]


def test_lack_of_rights_ends_the_procedure(registry, dispatcher, domain):
    tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "requested_slot": "siret"},
                           intent="informer_siret", text=MAIRIE, login="luc.bernard")
    slots = run_form(tracker, dispatcher, domain)
    assert slots["issue_procedure"] == "droits_insuffisants" and slots["requested_slot"] is None
    assert "pas gestionnaire principal ou secondaire" in texts(dispatcher)
    assert registry.structure(MAIRIE)["status"] == "inactive"


def test_typed_payload_cannot_carry_a_siret(registry, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "type_structure"}, intent="informer_siret",
                           text='/informer_siret{"siret": "21930001900011"}',
                           entities=[{"entity": "siret", "value": MAIRIE}])
    slots = run_form(tracker, dispatcher, domain)
    assert slots.get("siret") is None


def test_sirene_unavailable_changes_nothing_and_asks_again(registry, dispatcher, domain, monkeypatch):
    insee = FakeInsee(api_key="k").start()
    try:
        monkeypatch.setenv("SIRENE_SOURCE", "api")
        monkeypatch.setenv("SIRENE_API_URL", insee.url)
        monkeypatch.setenv("INSEE_API_KEY", "k")
        services.reset()
        insee.fail_next(503)
        tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "requested_slot": "siret"},
                               intent="informer_siret", text=MAIRIE)
        slots = run_form(tracker, dispatcher, domain)
    finally:
        insee.stop()
    assert slots["siret"] is None and slots["requested_slot"] == "siret"
    assert "SIRENE ne répond pas" in texts(dispatcher)
    assert registry.journal()[0]["reason"] == "sirene_indisponible"


def _confirmed_structure(siret, operation, sirene_active):
    return {
        "type_structure": "publique", "action_statut": operation, "siret": siret,
        "fiche_structure": {"siret": siret, "name": "X", "status": "active", "kind": "public",
                            "sirene_active": sirene_active},
    }


def test_no_means_another_siret(registry, dispatcher, domain):
    slots = _confirmed_structure(ECOLE, "inactiver", False) | {"requested_slot": "confirmation_structure"}
    result = run_form(make_tracker(slots, intent="nier", text="non"), dispatcher, domain)
    assert result["siret"] is None and result["fiche_structure"] is None
    assert result["requested_slot"] == "siret"


def test_yes_no_question_insists_politely(registry, dispatcher, domain):
    slots = _confirmed_structure(ECOLE, "inactiver", False) | {"requested_slot": "confirmation_structure"}
    result = run_form(make_tracker(slots, intent="saluer", text="bof"), dispatcher, domain)
    assert result.get("confirmation_structure") is None
    assert result["requested_slot"] == "confirmation_structure" and result["relances"] == 1
    assert messages.REPONDRE_OUI_NON in texts(dispatcher)


def test_a_question_is_answered_and_the_same_step_asked_again(registry, dispatcher, domain):
    slots = _confirmed_structure(ECOLE, "inactiver", False) | {"requested_slot": "confirmation_structure"}
    result = run_form(make_tracker(slots, intent="demander_definition", text="c'est quoi SIRENE ?"),
                            dispatcher, domain)
    assert "confirmation_structure" not in result and result["requested_slot"] == "confirmation_structure"
    said = texts(dispatcher)
    assert messages.DEFINITIONS["sirene"] in said and "Est-ce bien la structure" in said


def test_each_turn_asks_the_next_step(registry, dispatcher, domain):
    slots = _confirmed_structure(SYNDICAT, "inactiver", True) | {
        "confirmation_structure": True, "requested_slot": "successeur_existe"}
    run_form(make_tracker(slots, intent="affirmer", text="oui"), dispatcher, domain)
    assert dispatcher.messages[-1]["text"] == messages.QUESTION_SIRET_SUCCESSEUR


def test_case_1_ends_after_the_structure_confirmation(registry, dispatcher, domain):
    slots = _confirmed_structure(ECOLE, "inactiver", False) | {"requested_slot": "confirmation_structure"}
    result = run_form(make_tracker(slots, intent="affirmer", text="oui"), dispatcher, domain)
    assert result["confirmation_structure"] is True and result["requested_slot"] is None


def test_case_2_asks_for_a_successor(registry, dispatcher, domain):
    slots = _confirmed_structure(SYNDICAT, "inactiver", True) | {"requested_slot": "confirmation_structure"}
    result = run_form(make_tracker(slots, intent="affirmer", text="oui"), dispatcher, domain)
    assert result["requested_slot"] == "successeur_existe"


def test_case_2_without_successor_changes_nothing(registry, dispatcher, domain):
    slots = _confirmed_structure(SYNDICAT, "inactiver", True) | {
        "confirmation_structure": True, "requested_slot": "successeur_existe"}
    result = run_form(make_tracker(slots, intent="nier", text="non"), dispatcher, domain)
    assert result["issue_procedure"] == "sans_successeur" and result["requested_slot"] is None
    assert "un SIRET reprenant l'activité est nécessaire" in texts(dispatcher)
    assert registry.structure(SYNDICAT)["status"] == "active"


def test_successor_checked_and_shown(registry, dispatcher, domain):
    slots = _confirmed_structure(SYNDICAT, "inactiver", True) | {
        "confirmation_structure": True, "successeur_existe": True, "requested_slot": "siret_successeur"}
    result = run_form(make_tracker(slots, intent="informer_siret", text="200 054 781 00014"),
                            dispatcher, domain)
    assert result["siret_successeur"] == COMMUNAUTE
    assert result["fiche_successeur"]["name"] == "Communauté de communes du Val de Seine"
    assert result["requested_slot"] == "confirmation_action"


def test_successor_without_rights_is_asked_again(registry, dispatcher, domain):
    slots = _confirmed_structure(CRECHE, "inactiver", True) | {
        "confirmation_structure": True, "successeur_existe": True, "requested_slot": "siret_successeur"}
    result = run_form(make_tracker(slots, intent="informer_siret", text=COMMUNAUTE, login="paul.martin"),
                            dispatcher, domain)
    assert result["siret_successeur"] is None and result["requested_slot"] == "siret_successeur"
    assert "gestionnaire des deux structures" in texts(dispatcher)


def test_declining_the_final_confirmation(registry, dispatcher, domain):
    slots = _confirmed_structure(MAIRIE, "activer", True) | {
        "confirmation_structure": True, "requested_slot": "confirmation_action"}
    result = run_form(make_tracker(slots, intent="nier", text="non"), dispatcher, domain)
    assert result["issue_procedure"] == "confirmation_refusee" and result["requested_slot"] is None
    assert registry.structure(MAIRIE)["status"] == "inactive"
