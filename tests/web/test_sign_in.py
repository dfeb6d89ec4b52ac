"""Signing in to the console, served for real: hashing, timing, old hashes (issue #12, Low)."""
import asyncio
import hashlib
import re
import secrets
import time

import pytest

from claudia import accounts as accounts_module
from claudia import services
from claudia.accounts import Accounts
from claudia.models import Operator
from tests.web.test_console import sign_in, with_console


@pytest.fixture
def accounts(env):
    accounts = Accounts(services.handoffs().db)
    accounts.upsert("agent.durand", "Sophie Durand", "mot-de-passe-1")
    accounts.upsert("agent.moreau", "Karim Moreau", "mot-de-passe-2")
    return accounts


# Guessing passwords (issue #26: delays per account and address, not locks) is performed in
# tests/web/test_sign_in_throttle.py and tests/core/test_throttle.py.


def test_password_hashing_does_not_stall_other_pages(accounts):
    """8 sign-ins at once used to hold the event loop (scrypt) and slow every page to ~1 s."""

    async def test(client, events):
        page = await client.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)

        async def attempt(n):
            await client.post("/console/login", allow_redirects=False,
                              data={"login": f"agent-{n}", "password": "x" * 50, "csrf": csrf})

        async def other_page():
            await asyncio.sleep(0.01)  # once the sign-ins are under way
            started = time.perf_counter()
            assert (await client.get("/console/static/console.css")).status == 200
            return time.perf_counter() - started

        started = time.perf_counter()
        results = await asyncio.gather(*(attempt(n) for n in range(8)), other_page())
        total = time.perf_counter() - started
        assert results[-1] < max(0.5 * total, 0.05), (results[-1], total)

    with_console(test)


def test_unknown_accounts_cost_the_same_work(accounts, monkeypatch):
    calls = []
    for name in ("check_password", "hash_password"):
        real = getattr(accounts_module, name)
        monkeypatch.setattr(accounts_module, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    accounts.sign_in("agent.durand", "devine")
    known = list(calls)
    calls.clear()
    accounts.sign_in("personne", "devine")
    assert calls == known == ["check_password"]
    # and the hash checked for an unknown login is an Argon2id one, as for a real account
    assert accounts_module._hash_for_unknown_accounts().startswith("$argon2id$")


def test_old_scrypt_hashes_still_work_and_are_upgraded(accounts):
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(b"ancien-mot-de-passe", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with accounts.db.write() as session:
        session.get(Operator, "agent.moreau").password_hash = f"scrypt${salt.hex()}${digest.hex()}"
    assert accounts.sign_in("agent.moreau", "mauvais") is None
    assert accounts.sign_in("agent.moreau", "ancien-mot-de-passe") is not None
    with accounts.db.read() as session:
        upgraded = session.get(Operator, "agent.moreau").password_hash
    assert upgraded.startswith("$argon2id$")
    assert accounts.sign_in("agent.moreau", "ancien-mot-de-passe") is not None


def test_console_api_answers_400_to_a_body_that_is_not_json(accounts):
    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        page = await (await client.get("/console/")).text()
        csrf = re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)
        for body in (b"pas du json", b"[1, 2]", b""):
            response = await client.post("/console/api/chats/1/messages", data=body,
                                         headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
            assert response.status == 400, body

    with_console(test)
