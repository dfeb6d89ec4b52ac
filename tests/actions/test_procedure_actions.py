"""Closing, cancelling, restarting and explaining, with the real registry."""
import asyncio

import pytest
import yaml

from claudia import messages
from actions.help_actions import Expliquer
from actions.procedure_actions import AnnulerProcedure, RecommencerProcedure, TerminerProcedure
from tests.conftest import COMMUNAUTE, DEMO_REGISTRY, ECOLE, MAIRIE, SYNDICAT, make_tracker, texts


def run(action, tracker, dispatcher, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def fiche(siret, sirene_active, status="active"):
    return {"siret": siret, "name": "X", "status": status, "kind": "public", "sirene_active": sirene_active}


ACTIVATION_CONFIRMED = {
    "type_structure": "publique", "action_statut": "activer", "siret": MAIRIE,
    "fiche_structure": fiche(MAIRIE, True, "inactive"),
    "confirmation_structure": True, "confirmation_action": True,
}
CASE_2_CONFIRMED = {
    "type_structure": "publique", "action_statut": "inactiver", "siret": SYNDICAT,
    "fiche_structure": fiche(SYNDICAT, True), "confirmation_structure": True,
    "successeur_existe": True, "siret_successeur": COMMUNAUTE,
    "fiche_successeur": {"siret": COMMUNAUTE, "name": "Communauté de communes du Val de Seine"},
    "confirmation_action": True,
}


def test_confirmed_activation_is_carried_out(registry, dispatcher, domain):
    events = run(TerminerProcedure(), make_tracker(ACTIVATION_CONFIRMED, active_loop=None), dispatcher, domain)
    assert registry.structure(MAIRIE)["status"] == "active"
    assert "est désormais active" in texts(dispatcher)
    assert registry.journal()[0]["outcome"] == "effectuee"
    # every slot of the procedure is cleared for the next one; a summary stays for the evaluation
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert all(slots[name] is None for name in ACTIVATION_CONFIRMED)
    assert slots["derniere_procedure"] == {"operation": "activer", "siret": MAIRIE, "name": "X",
                                           "outcome": "effectuee"}
    assert messages.EVALUATION_QUESTION in texts(dispatcher)


def test_confirmed_inactivation_with_successor(registry, dispatcher, domain):
    run(TerminerProcedure(), make_tracker(CASE_2_CONFIRMED, active_loop=None), dispatcher, domain)
    stored = registry.structure(SYNDICAT)
    assert stored["status"] == "inactive" and stored["successor_siret"] == COMMUNAUTE
    assert "seront reçues par Communauté de communes du Val de Seine" in texts(dispatcher)


@pytest.mark.parametrize(
    "missing",
    ["confirmation_structure", "confirmation_action", "fiche_structure"],
)
def test_missing_confirmation_changes_nothing(registry, dispatcher, domain, missing):
    slots = dict(ACTIVATION_CONFIRMED, **{missing: None})
    run(TerminerProcedure(), make_tracker(slots, active_loop=None), dispatcher, domain)
    assert registry.structure(MAIRIE)["status"] == "inactive"
    assert registry.journal()[0]["reason"] == "etapes_incompletes"


def test_case_2_without_successor_slots_changes_nothing(registry, dispatcher, domain):
    slots = dict(CASE_2_CONFIRMED, siret_successeur=None)
    run(TerminerProcedure(), make_tracker(slots, active_loop=None), dispatcher, domain)
    assert registry.structure(SYNDICAT)["status"] == "active"


def test_structure_swapped_after_confirmation_changes_nothing(registry, dispatcher, domain):
    slots = dict(ACTIVATION_CONFIRMED, siret=ECOLE)  # fiche shown was for MAIRIE
    run(TerminerProcedure(), make_tracker(slots, active_loop=None), dispatcher, domain)
    assert registry.structure(ECOLE)["status"] == "active"
    assert registry.structure(MAIRIE)["status"] == "inactive"


def test_expired_identity_at_write_time_changes_nothing(registry, dispatcher, domain):
    run(TerminerProcedure(), make_tracker(ACTIVATION_CONFIRMED, active_loop=None, login=None), dispatcher, domain)
    assert registry.structure(MAIRIE)["status"] == "inactive"
    assert "mode connecté" in texts(dispatcher)
    assert registry.journal()[0]["reason"] == "non_connecte"


def test_identity_of_another_conversation_is_not_accepted(registry, dispatcher, domain):
    tracker = make_tracker(ACTIVATION_CONFIRMED, active_loop=None, recorded_for="someone-elses-conversation")
    run(TerminerProcedure(), tracker, dispatcher, domain)
    assert registry.structure(MAIRIE)["status"] == "inactive"


def test_early_ending_is_journaled(registry, dispatcher, domain):
    slots = {"action_statut": "activer", "siret": MAIRIE, "issue_procedure": "droits_insuffisants"}
    run(TerminerProcedure(), make_tracker(slots, active_loop=None, login="luc.bernard"), dispatcher, domain)
    (entry,) = registry.journal()
    assert (entry["login"], entry["outcome"], entry["reason"]) == ("luc.bernard", "refusee", "droits_insuffisants")
    assert texts(dispatcher) == messages.EVALUATION_QUESTION


def test_user_ending_is_journaled_as_abandoned(registry, dispatcher, domain):
    slots = {"action_statut": "inactiver", "siret": SYNDICAT, "issue_procedure": "sans_successeur"}
    run(TerminerProcedure(), make_tracker(slots, active_loop=None), dispatcher, domain)
    assert registry.journal()[0]["outcome"] == "abandonnee"


def test_cancel_during_the_procedure(registry, dispatcher, domain):
    events = run(AnnulerProcedure(), make_tracker({"action_statut": "activer", "siret": MAIRIE}), dispatcher, domain)
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert messages.ANNULATION in texts(dispatcher)
    assert registry.journal()[0]["outcome"] == "abandonnee"
    assert registry.structure(MAIRIE)["status"] == "inactive"


def test_cancel_with_nothing_going_on(registry, dispatcher, domain):
    run(AnnulerProcedure(), make_tracker(active_loop=None), dispatcher, domain)
    assert texts(dispatcher) == messages.RIEN_A_ANNULER
    assert registry.journal() == []


def test_restart_clears_every_step(registry, dispatcher, domain):
    events = run(RecommencerProcedure(), make_tracker(ACTIVATION_CONFIRMED), dispatcher, domain)
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert set(ACTIVATION_CONFIRMED) <= cleared and "requested_slot" in cleared


@pytest.mark.parametrize(
    "text,entities,requested,expected",
    [
        ("c'est quoi un SIRET reprenant l'activité ?", [], None, "successeur"),
        ("qu'est-ce que la base SIRENE", [], None, "sirene"),
        ("et un SIREN ?", [], None, "siren"),
        ("c'est quoi ?", [], "siret", "siret"),
        ("/demander_definition", [{"entity": "terme", "value": "successeur"}], "successeur_existe", "successeur"),
        ("que veut dire gestionnaire", [], None, "gestionnaire"),
    ],
)
def test_definitions(env, dispatcher, domain, text, entities, requested, expected):
    tracker = make_tracker({"requested_slot": requested}, intent="demander_definition", text=text, entities=entities)
    run(Expliquer(), tracker, dispatcher, domain)
    assert texts(dispatcher) == messages.DEFINITIONS[expected]


def test_unknown_term_lists_what_can_be_explained(env, dispatcher, domain):
    run(Expliquer(), make_tracker(intent="demander_definition", text="qu'est-ce que ça veut dire ?"), dispatcher, domain)
    assert texts(dispatcher) == messages.DEFINITION_GENERALE


def test_prerequisites_follow_the_chosen_action(env, dispatcher, domain):
    run(Expliquer(), make_tracker({"action_statut": "inactiver"}, intent="demander_prerequis", text="prérequis ?"),
        dispatcher, domain)
    assert texts(dispatcher) == messages.PREREQUIS_INACTIVATION


@pytest.mark.parametrize("failing", ["claudia.assertions.MessageAssertions.spend_confirmation",
                                     "claudia.registry.Registry.apply"])
def test_database_failure_at_write_time_changes_nothing(registry, dispatcher, domain, monkeypatch, failing):
    """The database fails while checking the confirmation or writing: polite, nothing changed."""
    from sqlalchemy.exc import OperationalError

    def fail(*args, **kwargs):
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    tracker = make_tracker(ACTIVATION_CONFIRMED, active_loop=None)
    monkeypatch.setattr(failing, fail)
    run(TerminerProcedure(), tracker, dispatcher, domain)
    assert messages.ENREGISTREMENT_IMPOSSIBLE in texts(dispatcher)
    assert registry.structure(MAIRIE)["status"] == "inactive"
    assert all(entry["outcome"] != "effectuee" for entry in registry.journal())


def test_a_confirmation_is_spent_by_its_write(registry, dispatcher, domain):
    tracker = make_tracker(ACTIVATION_CONFIRMED, active_loop=None)
    run(TerminerProcedure(), tracker, dispatcher, domain)
    assert registry.structure(MAIRIE)["status"] == "active"
    registry.replace_all(yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8")))
    run(TerminerProcedure(), tracker, dispatcher, domain)  # the same message, replayed
    assert registry.structure(MAIRIE)["status"] == "inactive"
    assert "confirmation_non_verifiee" in [entry["reason"] for entry in registry.journal()]


def test_a_yes_to_another_question_does_not_confirm(registry, dispatcher, domain):
    tracker = make_tracker(CASE_2_CONFIRMED, active_loop=None, answered="Existe-t-il un autre SIRET ?")
    run(TerminerProcedure(), tracker, dispatcher, domain)
    assert registry.structure(SYNDICAT)["status"] == "active"
    assert "Je n'ai pas pu vérifier" in texts(dispatcher)
