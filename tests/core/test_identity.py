import time
from datetime import datetime, timedelta

import jwt

from claudia import services
from claudia.assertions import MessageAssertions, seal_key
from claudia.models import SpentConfirmation
from tests.conftest import record_message

from claudia.identity import (
    bearer_token,
    issue_token,
    verify_token,
)

SECRET = "a-very-long-test-secret-for-hs256-signatures"


def test_good_token_gives_the_login():
    assert verify_token(issue_token("marie.dupont", SECRET), SECRET).login == "marie.dupont"


def test_expired_token_is_refused():
    token = jwt.encode({"sub": "marie.dupont", "exp": int(time.time()) - 5}, SECRET, algorithm="HS256")
    assert verify_token(token, SECRET) is None


def test_forged_token_is_refused():
    token = issue_token("marie.dupont", "another-secret-of-sufficient-length-xx")
    assert verify_token(token, SECRET) is None
    tampered = issue_token("paul.martin", SECRET)
    header, payload, signature = tampered.split(".")
    other_payload = issue_token("marie.dupont", SECRET).split(".")[1]
    assert verify_token(f"{header}.{other_payload}.{signature}", SECRET) is None


def test_alg_none_is_refused():
    token = jwt.encode({"sub": "marie.dupont", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert verify_token(token, SECRET) is None


def test_missing_or_garbage_token_is_refused():
    assert verify_token(None, SECRET) is None
    assert verify_token("", SECRET) is None
    assert verify_token("not.a.jwt", SECRET) is None


def test_claims_are_required():
    no_exp = jwt.encode({"sub": "marie.dupont"}, SECRET, algorithm="HS256")
    no_sub = jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    blank_sub = jwt.encode({"sub": " ", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert verify_token(no_exp, SECRET) is None
    assert verify_token(no_sub, SECRET) is None
    assert verify_token(blank_sub, SECRET) is None


def test_audience_when_configured():
    good = issue_token("marie.dupont", SECRET, audience="claudia")
    assert verify_token(good, SECRET, audience="claudia").login == "marie.dupont"
    assert verify_token(issue_token("marie.dupont", SECRET, audience="other"), SECRET, "claudia") is None
    # a token meant for another audience is refused even when none is configured
    assert verify_token(good, SECRET) is None


def test_bearer_header():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_seal_is_bound_to_its_message_conversation_and_text(env):
    message, seal = record_message("marie.dupont", "conv-1", "oui", prompt="Confirmez-vous ?")
    records = services.assertions()
    assert records.login_for(seal, message, "conv-1", "oui") == "marie.dupont"
    assert records.login_for(seal, message, "conv-2", "oui") is None
    assert records.login_for(seal, message, "conv-1", "non") is None  # the text was replaced
    assert records.login_for(seal, "0" * 32, "conv-1", "oui") is None  # moved onto another message
    assert records.login_for(None, message, "conv-1", "oui") is None  # no seal: not connected
    assert records.login_for(seal, None, "conv-1", "oui") is None


def test_an_altered_seal_proves_nothing(env):
    message, seal = record_message("marie.dupont", "conv-1", "oui", prompt="Confirmez-vous ?")
    records = services.assertions()
    for name, value in (("login", "jean.martin"), ("intent", "nier"), ("prompt", None),
                        ("expires", seal["expires"] + 3600), ("mac", "0" * 64), ("mac", None)):
        altered = dict(seal, **{name: value})
        assert records.login_for(altered, message, "conv-1", "oui") is None, name
        assert records.spend_confirmation(altered, message, "conv-1", "oui", "Confirmez-vous ?") is None, name
    for junk in ("marie.dupont", ["marie.dupont"], {}, {"login": "marie.dupont"}):
        assert records.login_for(junk, message, "conv-1", "oui") is None


def test_a_seal_made_without_the_servers_secret_proves_nothing(env):
    """Whoever does not hold CLAUDIA_JWT_SECRET (a local process, a tracker reader) cannot seal."""
    forger = MessageAssertions(services.assertions().db, seal_key("a guess at the secret"))
    seal = forger.seal("m-1", "conv-1", "marie.dupont", "oui", "affirmer", None, int(time.time()) + 60)
    assert services.assertions().login_for(seal, "m-1", "conv-1", "oui") is None


def test_a_seal_lasts_five_minutes_at_most_and_never_beyond_the_token(env):
    now = time.time()
    _, seal = record_message("marie.dupont", "conv-1", "oui", ttl=3600)
    assert now + 299 <= seal["expires"] <= now + 301
    _, seal = record_message("marie.dupont", "conv-1", "oui", ttl=30)
    assert seal["expires"] <= now + 31


def test_confirmation_is_spent_once_and_only_for_its_question(env):
    message, seal = record_message("marie.dupont", "conv-1", "oui", prompt="Confirmez-vous A ?")
    records = services.assertions()
    assert records.spend_confirmation(seal, message, "conv-1", "oui", "Confirmez-vous B ?") is None
    assert records.spend_confirmation(seal, message, "conv-1", "oui", "Confirmez-vous A ?") == "marie.dupont"
    assert records.spend_confirmation(seal, message, "conv-1", "oui", "Confirmez-vous A ?") is None


def test_a_no_cannot_confirm(env):
    message, seal = record_message("marie.dupont", "conv-1", "non", intent="nier", prompt="Confirmez-vous ?")
    assert services.assertions().spend_confirmation(seal, message, "conv-1", "non", "Confirmez-vous ?") is None


def test_expired_seals_are_refused_and_their_spent_records_deleted(env):
    message, seal = record_message("marie.dupont", "conv-1", "oui", ttl=-1)
    records = services.assertions()
    assert records.login_for(seal, message, "conv-1", "oui") is None
    assert records.spend_confirmation(seal, message, "conv-1", "oui", "") is None
    spent, spent_seal = record_message("marie.dupont", "conv-1", "oui", prompt="Confirmez-vous ?")
    assert records.spend_confirmation(spent_seal, spent, "conv-1", "oui", "Confirmez-vous ?") == "marie.dupont"
    assert records.purge_expired() == 0  # its seal is still valid: the record must stay
    with records.db.write() as session:
        session.get(SpentConfirmation, spent).expires_at = datetime.utcnow() - timedelta(seconds=1)
    assert records.purge_expired() == 1
