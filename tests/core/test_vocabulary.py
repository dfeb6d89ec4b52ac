"""Plain readings of typed French: operation with negations, structure type, yes/no."""
import pytest

from claudia.vocabulary import mentions_procedure, requested_operation, structure_type, yes_no


@pytest.mark.parametrize("text,expected", [
    ("pas activer, inactiver", "inactiver"),
    ("je ne veux pas activer mais inactiver ma structure", "inactiver"),
    ("non pas désactiver, réactiver ma structure", "activer"),
    ("plutôt activer que désactiver", "activer"),
    ("au lieu de l'inactiver je voudrais l'activer", "activer"),
    ("surtout pas l'activer, il faut la désactiver", "inactiver"),
    ("ce n'est pas une activation que je veux, c'est une inactivation", "inactiver"),
    ("ma structure est inactive, je veux l'activer", "activer"),
    ("notre structure a été désactivée par erreur, je veux la réactiver", "activer"),
    ("dés-activer", "inactiver"),
    ("please deactivate my structure", "inactiver"),
    ("enable ma structure", "activer"),
    ("REACTIVER LA MAIRIE", "activer"),
    ("activer ou désactiver", None),
    ("je ne veux pas activer", None),
    ("bonjour", None),
    ("suite à la cessation d'activité de notre régie, il faut la désactiver", "inactiver"),
    ("merci pour votre réactivité", None),
    ("nous avons repris notre activité, merci de réactiver la structure", "activer"),
])
def test_requested_operation_reads_negations(text, expected):
    assert requested_operation(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("structure publique", "publique"), ("Structure privée", "privee"), ("public", "publique"),
    ("pas privée, publique", "publique"), ("non pas publique, privée", "privee"),
    ("c'est une mairie", "publique"), ("la communauté de communes", "publique"), ("un CCAS", "publique"),
    ("un syndicat intercommunal", "publique"), ("un lycée", "publique"), ("c'est un EPIC", "publique"),
    ("c'est une SARL", "privee"), ("une SA", "privee"), ("association loi 1901", "privee"),
    ("je suis auto-entrepreneur", "privee"), ("école privée", "privee"),
    ("sa structure", None), ("changer l'état de ma structure", None), ("une société et une mairie", None),
])
def test_structure_type_from_words_or_the_kind_of_body(text, expected):
    assert structure_type(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("oui", True), ("Ouais", True), ("ouep", True), ("ok", True), ("oki", True), ("d'acc", True),
    ("euh oui", True), ("je confirme", True), ("yes", True), ("c'est bon", True),
    ("non", False), ("nan merci", False), ("nope", False), ("pas du tout", False), ("c'est pas ça", False),
    ("oui mais pas celle-là", None), ("bof", None), ("peut-être", None), ("", None),
])
def test_yes_no_in_any_form(text, expected):
    assert yes_no(text) is expected


@pytest.mark.parametrize("text,expected", [
    ("jveux fermer ma structure", True), ("désactiver", True), ("le statut de ma structure", True),
    ("please enable", True), ("quel temps fait-il", False), ("ma facture est bloquée", False),
])
def test_mentions_procedure(text, expected):
    assert mentions_procedure(text) is expected


@pytest.mark.parametrize("text,expected", [
    ("super", True), ("top merci", True), ("oui", True), ("👍", True), ("bof", False), ("nul", False),
    ("pas terrible", False), ("pas utile", False), ("non", False), ("quel temps fait-il", None),
])
def test_evaluation_in_words(text, expected):
    from claudia.vocabulary import evaluation_in_words

    assert evaluation_in_words(text) is expected


@pytest.mark.parametrize("text", [
    "oui je confirme",                                   # a confirmation sent twice
    "je suis pourtant bien connectée à mon compte",      # a protest
    "d'accord, je me connecte et je reviens",            # a long yes that evaluates nothing
    "merci, je reviendrai plus tard",                    # a goodbye
    "ok je vais voir ça, au revoir",
    "ah non pardon, la mairie c'est le 219 300 019 00011",  # a correction with a SIRET
    "alors je dois contacter qui ?",                     # a question
])
def test_words_that_do_not_evaluate_are_no_vote(text):
    from claudia.vocabulary import evaluation_in_words
    assert evaluation_in_words(text) is None


@pytest.mark.parametrize("text,vote", [("oui", True), ("super merci !", True), ("pouce en haut", True),
                                       ("oui c'est clair, merci", True), ("bof", False), ("pouce en bas", False),
                                       ("non pas du tout, ça m'a pas aidé", False)])
def test_words_that_evaluate(text, vote):
    from claudia.vocabulary import evaluation_in_words
    assert evaluation_in_words(text) is vote


@pytest.mark.parametrize("text,asked", [
    ("est-ce que ma structure est active ?", True),
    ("surtout ne changez rien, je veux juste savoir", True),
    ("la crèche est-elle toujours active ?", True),
    ("je veux activer la mairie", False),
    ("je veux savoir si je peux activer ma structure", False),
    ("statut de la structure ?", True),
    ("is our structure still active", True),
    ("notre ancien ccas a-t-il déjà été désactivé par quelqu'un ?", True),
    ("STATUT STRUCTURE", False),                       # the status named, no question: a change
    ("modif statut structure ?", False),
    ("ma facture est en statut suspendue ?", False),   # an invoice's status is another matter
    ("où en est le paiement de ma facture", False),
])
def test_a_status_question_in_words(text, asked):
    from claudia.vocabulary import asks_status
    assert asks_status(text) is asked
