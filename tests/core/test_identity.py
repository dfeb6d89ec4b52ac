import time

import jwt

from claudia.identity import (
    bearer_token,
    issue_assertion,
    issue_token,
    verify_assertion,
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


def test_assertion_is_bound_to_its_conversation():
    exp = int(time.time()) + 60
    assertion = issue_assertion("marie.dupont", "conv-1", exp, SECRET)
    assert verify_assertion(assertion, "conv-1", SECRET).login == "marie.dupont"
    assert verify_assertion(assertion, "conv-2", SECRET) is None
    assert verify_assertion(assertion, "conv-1", "another-secret-of-sufficient-length-xx") is None


def test_portal_token_and_assertion_are_not_interchangeable():
    portal = issue_token("marie.dupont", SECRET)
    assert verify_assertion(portal, "conv-1", SECRET) is None
    assertion = issue_assertion("marie.dupont", "conv-1", int(time.time()) + 60, SECRET)
    assert verify_token(assertion, SECRET) is None


def test_expired_assertion_is_refused():
    assertion = issue_assertion("marie.dupont", "conv-1", int(time.time()) - 1, SECRET)
    assert verify_assertion(assertion, "conv-1", SECRET) is None
