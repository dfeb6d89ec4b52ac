import pytest

from claudia.siret import format_siret, read_siret


@pytest.mark.parametrize(
    "text",
    [
        "21930001900011",
        "219 300 019 00011",
        "219.300.019.00011",
        "219-300-019-00011",
        "219\u00a0300\u00a0019\u00a000011",
        "  le siret est le 219 300 019 00011, merci ",
        "réactiver la mairie 21930001900011 svp",
    ],
)
def test_finds_a_siret_in_any_usual_form(text):
    reading = read_siret(text)
    assert reading.is_valid and reading.siret == "21930001900011"


def test_finds_the_siret_followed_by_another_number():
    assert read_siret("structure 219 300 019 00011 2 fois").siret == "21930001900011"


def test_la_poste_exception_is_accepted():
    # La Poste establishments do not follow Luhn; stdnum knows the rule.
    assert read_siret("356 000 000 00048").is_valid
    assert read_siret("35600000012346").is_valid  # digit sum 30, a multiple of 5
    assert read_siret("35600000012345").error == "cle"  # digit sum 29


@pytest.mark.parametrize(
    "text,error,digits",
    [
        ("bonjour", "absent", ""),
        ("", "absent", ""),
        (None, "absent", ""),
        ("219300019", "siren", "219300019"),
        ("2193000190001", "longueur", "2193000190001"),
        ("219300019000111", "longueur", "219300019000111"),
        ("21930001900012", "cle", "21930001900012"),
        ("212 345 678 00012", "cle", "21234567800012"),
    ],
)
def test_explains_why_a_number_is_not_a_siret(text, error, digits):
    reading = read_siret(text)
    assert not reading.is_valid
    assert reading.error == error
    assert reading.digits == digits


def test_format():
    assert format_siret("21930001900011") == "219 300 019 00011"
