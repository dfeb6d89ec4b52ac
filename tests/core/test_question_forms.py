"""The form of a question (claudia/question_forms.py) and how the classifier uses it."""
import pytest

from claudia.question_forms import asks_about_refusal, asks_definition
from components.intent_classifier import reread


@pytest.mark.parametrize("text,asked", [
    ("ça veut dire quoi inactiver ?", True),
    ("inactiver = supprimer ?", True),
    ("inactiver c pareil que supprimer ?", True),
    ("qu'entendez-vous par structure publique", True),
    ("c'est quoi la diff entre inactiver et supprimer", True),
    ("activer ca veut dire quoi concretement", True),
    ("je veux inactiver la mairie", False),
    ("c'est quoi la procédure pour activer", False),
    ("inactiver la structure svp", False),
])
def test_a_definition_asked(text, asked):
    assert asks_definition(text) is asked


@pytest.mark.parametrize("text,asked", [
    ("qu'est-ce que ce refus signifie", True),
    ("ça veut dire quoi « vous n'avez pas les droits » ?", True),
    ("pourquoi ça n'a pas marché", True),
    ("l'action est rejetée, je fais quoi ?", True),
    ("ma facture a été rejetée pourquoi", False),       # an invoice: another matter
    ("je veux inactiver la mairie", False),
])
def test_a_refusal_questioned(text, asked):
    assert asks_about_refusal(text) is asked


def ranking(*names):
    confidences = [0.8, 0.15, 0.05]
    return [{"name": name, "confidence": c} for name, c in zip(names, confidences)]


@pytest.mark.parametrize("text,first,then", [
    ("ça veut dire quoi inactiver exactement", ("inactiver_structure", "demander_definition"), "demander_definition"),
    ("structure publique ça veut dire quoi", ("informer_type_structure", "demander_definition"),
     "demander_definition"),
    ("qu'est-ce que ce refus signifie", ("demander_definition", "demander_contact"), "demander_contact"),
    ("statut de ma structure ?", ("demander_changement_statut", "demander_statut"), "demander_statut"),
    ("je veux inactiver la mairie", ("inactiver_structure", "demander_definition"), "inactiver_structure"),
    ("mes factures sont rejetées pourquoi", ("hors_perimetre", "demander_contact"), "hors_perimetre"),
    ("Si elle est déjà active, pourquoi les factures de nos fournisseurs sont rejetées ??",
     ("demander_consequences", "hors_perimetre"), "hors_perimetre"),
    ("les factures seront rejetées si j'inactive ?", ("demander_consequences", "hors_perimetre"),
     "demander_consequences"),
])
def test_the_classifier_rereads_the_form(text, first, then):
    reread_ranking = reread(text, ranking(*first, "saluer"))
    assert reread_ranking[0]["name"] == then
    assert reread_ranking[0]["confidence"] == 0.8  # the top confidence is kept, the two swap
