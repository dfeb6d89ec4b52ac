"""Registry rules, rights and the write path, on a real SQLite database."""
import threading

import pytest
import yaml

from claudia import services
from claudia.registry import ACTIVATE, INACTIVATE, Attempt, Refusal
from claudia.sirene import CsvSirene, Etablissement
from tests.conftest import (
    BOULANGERIE, CCAS, COMMUNAUTE, CRECHE, DEMO_SIRENE, ECOLE, MAIRIE, MEDIATHEQUE,
    OFFICE_TOURISME, REGIE_EAUX, REGIE_TRANSPORTS, SYNDICAT, UNKNOWN,
)

SIRENE = CsvSirene(DEMO_SIRENE)


def refusal_of(registry, login, operation, siret):
    with pytest.raises(Refusal) as caught:
        registry.check(login, operation, siret, SIRENE.lookup(siret))
    return caught.value.reason


@pytest.mark.parametrize(
    "login,operation,siret,reason",
    [
        (None, ACTIVATE, MAIRIE, "non_connecte"),
        ("marie.dupont", ACTIVATE, UNKNOWN, "siret_inconnu"),
        ("marie.dupont", INACTIVATE, BOULANGERIE, "structure_privee"),
        ("luc.bernard", ACTIVATE, MAIRIE, "droits_insuffisants"),  # service role
        ("julie.petit", ACTIVATE, MAIRIE, "droits_insuffisants"),  # plain user
        ("inconnu", ACTIVATE, MAIRIE, "droits_insuffisants"),  # not in the registry
        ("paul.martin", ACTIVATE, CCAS, "droits_insuffisants"),  # no role at all there
        ("marie.dupont", ACTIVATE, CCAS, "deja_active"),
        ("marie.dupont", INACTIVATE, REGIE_TRANSPORTS, "deja_inactive"),
        ("marie.dupont", ACTIVATE, MEDIATHEQUE, "ferme_sirene"),
        ("marie.dupont", ACTIVATE, REGIE_EAUX, "inconnu_sirene"),
    ],
)
def test_refusals(registry, login, operation, siret, reason):
    assert refusal_of(registry, login, operation, siret) == reason


def test_allowed(registry):
    assert registry.check("marie.dupont", ACTIVATE, MAIRIE, SIRENE.lookup(MAIRIE))["status"] == "inactive"
    assert registry.check("paul.martin", ACTIVATE, MAIRIE, SIRENE.lookup(MAIRIE))["name"] == "Mairie de Valmont"
    assert registry.check("marie.dupont", INACTIVATE, ECOLE, SIRENE.lookup(ECOLE))["status"] == "active"


@pytest.mark.parametrize(
    "login,siret,successor,reason",
    [
        ("marie.dupont", SYNDICAT, SYNDICAT, "successeur_identique"),
        ("marie.dupont", SYNDICAT, UNKNOWN, "successeur_inconnu"),
        ("marie.dupont", SYNDICAT, BOULANGERIE, "successeur_prive"),
        ("marie.dupont", SYNDICAT, REGIE_TRANSPORTS, "successeur_inactif"),
        ("paul.martin", CRECHE, COMMUNAUTE, "droits_successeur"),
        ("marie.dupont", SYNDICAT, OFFICE_TOURISME, "successeur_cycle"),
    ],
)
def test_successor_refusals(registry, login, siret, successor, reason):
    with pytest.raises(Refusal) as caught:
        registry.check_successor(login, siret, successor)
    assert caught.value.reason == reason


def test_activation_writes_and_journals(registry):
    result = registry.apply(Attempt("marie.dupont", "c1", ACTIVATE, MAIRIE), SIRENE.lookup(MAIRIE))
    assert result["status"] == "active"
    assert registry.structure(MAIRIE)["status"] == "active"
    (entry,) = registry.journal()
    assert entry["login"] == "marie.dupont" and entry["conversation_id"] == "c1"
    assert entry["operation"] == ACTIVATE and entry["siret"] == MAIRIE
    assert entry["outcome"] == "effectuee" and entry["reason"] is None and entry["at"]


def test_inactivation_closed_in_sirene_needs_no_successor(registry):
    registry.apply(Attempt("marie.dupont", "c1", INACTIVATE, ECOLE), SIRENE.lookup(ECOLE))
    stored = registry.structure(ECOLE)
    assert stored["status"] == "inactive" and stored["successor_siret"] is None


def test_inactivation_open_in_sirene_records_the_successor(registry):
    attempt = Attempt("marie.dupont", "c1", INACTIVATE, SYNDICAT, successor_siret=COMMUNAUTE)
    registry.apply(attempt, SIRENE.lookup(SYNDICAT))
    stored = registry.structure(SYNDICAT)
    assert stored["status"] == "inactive" and stored["successor_siret"] == COMMUNAUTE
    assert registry.journal()[0]["successor_siret"] == COMMUNAUTE


def test_inactivation_open_in_sirene_without_successor_is_refused(registry):
    with pytest.raises(Refusal) as caught:
        registry.apply(Attempt("marie.dupont", "c1", INACTIVATE, SYNDICAT), SIRENE.lookup(SYNDICAT))
    assert caught.value.reason == "successeur_requis"
    assert registry.structure(SYNDICAT)["status"] == "active"
    assert registry.journal()[0]["outcome"] == "refusee"


def test_reactivation_clears_the_successor(registry):
    registry.apply(Attempt("marie.dupont", "c1", INACTIVATE, SYNDICAT, successor_siret=COMMUNAUTE),
                   SIRENE.lookup(SYNDICAT))
    registry.apply(Attempt("marie.dupont", "c2", ACTIVATE, SYNDICAT), SIRENE.lookup(SYNDICAT))
    assert registry.structure(SYNDICAT)["successor_siret"] is None


def test_rights_are_checked_again_at_write_time(registry):
    """A role removed between the question and the confirmation is honoured."""
    registry.check("paul.martin", ACTIVATE, MAIRIE, SIRENE.lookup(MAIRIE))
    data = yaml.safe_load(open("demo/registry.yml", encoding="utf-8"))
    for user in data["users"]:
        if user["login"] == "paul.martin":
            user["roles"] = [r for r in user["roles"] if r["siret"] != MAIRIE]
    registry.replace_all(data)
    with pytest.raises(Refusal) as caught:
        registry.apply(Attempt("paul.martin", "c1", ACTIVATE, MAIRIE), SIRENE.lookup(MAIRIE))
    assert caught.value.reason == "droits_insuffisants"
    assert registry.structure(MAIRIE)["status"] == "inactive"
    assert [(e["outcome"], e["reason"]) for e in registry.journal()] == [("refusee", "droits_insuffisants")]


def test_sirene_state_at_write_time_decides(registry):
    """Closed when asked, reopened since: the successor becomes required."""
    reopened = Etablissement(ECOLE, True, "ECOLE", "")
    with pytest.raises(Refusal) as caught:
        registry.apply(Attempt("marie.dupont", "c1", INACTIVATE, ECOLE), reopened)
    assert caught.value.reason == "successeur_requis"
    assert registry.structure(ECOLE)["status"] == "active"


def test_concurrent_activations_change_once(registry):
    outcomes, barrier = [], threading.Barrier(6)

    def activate(n):
        barrier.wait()
        try:
            registry.apply(Attempt("marie.dupont", f"c{n}", ACTIVATE, MAIRIE), SIRENE.lookup(MAIRIE))
            outcomes.append("done")
        except Refusal as refusal:
            outcomes.append(refusal.reason)

    threads = [threading.Thread(target=activate, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["deja_active"] * 5 + ["done"]
    journal = registry.journal()
    assert [e["outcome"] for e in journal].count("effectuee") == 1
    assert len(journal) == 6


def test_load_rejects_invalid_files(env):
    registry = services.registry()
    with pytest.raises(ValueError, match="SIRET invalide"):
        registry.replace_all({"structures": [{"siret": "12345678901234", "name": "x"}]})
    with pytest.raises(ValueError, match="rôle inconnu"):
        registry.replace_all({
            "structures": [{"siret": MAIRIE, "name": "x"}],
            "users": [{"login": "a", "roles": [{"siret": MAIRIE, "role": "chef"}]}],
        })
    assert registry.is_empty()
