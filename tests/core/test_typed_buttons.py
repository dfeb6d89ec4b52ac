"""A button's title typed instead of clicked is read as the click (claudia/typed_buttons.py)."""
import pytest

from claudia.typed_buttons import button_for

SEND = {"Envoyer": "/affirmer", "Annuler": "/nier"}
AFTER = {"Contacter un agent": "/demander_agent", "Continuer notre conversation": "/continuer_conversation"}
TYPE = {"Structure publique": '/informer_type_structure{"type_structure": "publique"}',
        "Structure privée": '/informer_type_structure{"type_structure": "privee"}'}
ACTION = {"Activer une structure publique": "/activer_structure",
          "Inactiver une structure publique": "/inactiver_structure"}
VOTE = {"👍 Satisfait": "/evaluer_positif", "👎 Pas satisfait": "/evaluer_negatif"}
WAIT = {"Ne plus attendre": "/annuler"}


@pytest.mark.parametrize("text,offered,payload", [
    ("envoyer", SEND, "/affirmer"),
    ("envoie le commentaire", SEND, "/affirmer"),
    ("Envoyez svp", SEND, "/affirmer"),
    ("annuler", SEND, "/nier"),
    ("contacter un agent", AFTER, "/demander_agent"),
    ("continuer la conversation", AFTER, "/continuer_conversation"),
    ("publique", TYPE, TYPE["Structure publique"]),
    ("structure privee", TYPE, TYPE["Structure privée"]),
    ("activer la structure", ACTION, "/activer_structure"),
    ("satisfait", VOTE, "/evaluer_positif"),
    ("pas satisfait", VOTE, "/evaluer_negatif"),
    ("je ne veux plus attendre", WAIT, "/annuler"),
])
def test_a_title_or_a_close_form_is_the_click(text, offered, payload):
    assert button_for(text, offered) == payload


@pytest.mark.parametrize("text,offered", [
    ("je ne veux pas envoyer", SEND),        # the negation changes the meaning
    ("continuer", AFTER),                    # « cont… » could be either: the model decides
    ("219 300 019 00011", TYPE),             # a number is an answer the step reads itself
    ("structure publique 219 300 019 00011", TYPE),
    ("/affirmer", SEND),                     # a payload is checked by the channel as it is
    ("annulez tout c'est nul, vraiment nul", SEND),  # a sentence that only mentions a title
    ("envoyer", {}),                         # nothing offered
])
def test_other_messages_are_no_click(text, offered):
    assert button_for(text, offered) is None


@pytest.mark.parametrize("text,offered,payload", [
    ("la 1ère", TYPE, TYPE["Structure publique"]),
    ("la premiere", ACTION, "/activer_structure"),
    ("la deuxième", ACTION, "/inactiver_structure"),
    ("la 2e", ACTION, "/inactiver_structure"),
    ("euh la 2eme option svp", AFTER, "/continuer_conversation"),
    ("le premier bouton", AFTER, "/demander_agent"),
    ("option 2", SEND, "/nier"),
])
def test_a_button_named_by_its_place_is_the_click(text, offered, payload):
    assert button_for(text, offered) == payload


@pytest.mark.parametrize("text,offered", [
    ("2", ACTION),                  # a bare digit may answer something else
    ("la 3e", ACTION),              # there is no third button
    ("la deuxième fois que je demande", ACTION),
])
def test_a_place_that_names_no_button(text, offered):
    assert button_for(text, offered) is None


NEXT = {"Inactiver cette structure": "/inactiver_structure", "Activer cette structure": "/activer_structure",
        "👍 Satisfait": "/evaluer_positif", "👎 Pas satisfait": "/evaluer_negatif"}


@pytest.mark.parametrize("text,offered,payload", [
    ("on passe au syndicat maintenant", NEXT, "/inactiver_structure"),
    ("on enchaîne avec le CCAS", NEXT, "/inactiver_structure"),
    ("non on ne passe pas à l'autre", NEXT, None),        # negated
    ("super merci", NEXT, None),
    ("on passe à la suite", AFTER, None),                 # moving on needs a next structure offered
])
def test_moving_on_to_the_next_structure_offered(text, offered, payload):
    assert button_for(text, offered) == payload
