"""SIRETs inside whole requests: the structure and its successor, SIREN and NIC apart."""
import pytest

from claudia.siret import read_siret, target_and_successor

SYNDICAT, COMMUNAUTE, MAIRIE = "25930045700019", "20005478100014", "21930001900011"


@pytest.mark.parametrize("text", [
    "inactiver 259 300 457 00019, l'activité est reprise par 200 054 781 00014",
    "la communauté 200 054 781 00014 reprend l'activité du syndicat 259 300 457 00019, inactivez-le",
    "désactiver le syndicat 259 300 457 00019 et transférer à 200 054 781 00014",
    "inactiver 25930045700019 remplacée par 20005478100014",
    "successeur 200 054 781 00014 pour la structure 259 300 457 00019 à inactiver",
])
def test_which_siret_is_the_successor_from_the_words_around(text):
    assert target_and_successor(text) == (SYNDICAT, COMMUNAUTE)


def test_two_sirets_without_words_of_taking_over_give_no_successor():
    assert target_and_successor("259 300 457 00019 et 200 054 781 00014") == (SYNDICAT, None)


CCAS = "26930012500011"


@pytest.mark.parametrize("text,expected", [
    ("nous centralisons la réception des factures sur la communauté de communes (200 054 781 00014). Il faut "
     "inactiver le syndicat 259 300 457 00019 et le CCAS 269 300 125 00011", (SYNDICAT, COMMUNAUTE)),
    ("inactiver 259 300 457 00019 et 269 300 125 00011, tous deux repris par 200 054 781 00014",
     (SYNDICAT, COMMUNAUTE)),
    ("inactiver 259 300 457 00019, 269 300 125 00011 et 219 300 019 00011", (SYNDICAT, None)),
])
def test_three_sirets_the_successor_is_the_one_with_taking_over_words(text, expected):
    assert target_and_successor(text) == expected


def test_a_single_siret_is_the_target():
    assert target_and_successor("le 219 300 019 00011 svp") == (MAIRIE, None)


@pytest.mark.parametrize("text", ["siren 219300019 nic 00011", "le siren est 219 300 019 et le nic 00011"])
def test_siren_and_nic_given_apart(text):
    assert read_siret(text).siret == MAIRIE
