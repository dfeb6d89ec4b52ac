"""Guessing passwords against the console and the portal stand-in, performed for real
(issue #26): a real aiohttp server, a real SQLite database, browsers on other machines
connecting from other loopback addresses (127.0.0.0/8 is all loopback on Linux).

Before, five wrong guesses from anywhere shut an account for 15 minutes (the right password
refused, renewable for ever), and twenty from one address shut everyone behind it."""
import asyncio
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from claudia import accounts as accounts_module
from claudia import services
from claudia.accounts import Accounts
from web.console import create_app
from web.console_shared import THROTTLE
from web.portal import THROTTLE as PORTAL_THROTTLE
from web.portal import add_portal

TOO_MANY = "Trop de tentatives de connexion"
ATTACKER, USER = "127.0.0.2", "127.0.0.1"


@pytest.fixture
def accounts(env):
    accounts = Accounts(services.handoffs().db)
    accounts.upsert("agent.durand", "Sophie Durand", "mot-de-passe-1")
    accounts.upsert("agent.moreau", "Karim Moreau", "mot-de-passe-2")
    services.registry().replace_all({"structures": [], "users": [{"login": "marie.dupont", "name": "Marie",
                                                                  "roles": []}]})
    return accounts


class Browser:
    """A browser on a machine of its own: its cookies, its address."""

    def __init__(self, server: TestServer, address: str):
        self.server = server
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             connector=aiohttp.TCPConnector(local_addr=(address, 0)))

    async def sign_in(self, login, password, portal=False):
        form, target = ("/", "/connexion") if portal else ("/console/login", "/console/login")
        async with self.session.get(self.server.make_url(form)) as page:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
        async with self.session.post(self.server.make_url(target), allow_redirects=False,
                                     data={"login": login, "password": password, "csrf": csrf}) as answer:
            answer.body = await answer.text()
            return answer

    def forget_session(self, name="claudia_console"):
        """Signed out, or the session expired: the trusted-device cookie stays."""
        self.session.cookie_jar.clear(lambda cookie: cookie.key == name)


def serve(test, clock=None):
    """Runs `test(server, now)` against the web front (console and portal), its clock set."""
    now = [1_000_000.0]

    async def main():
        app = create_app("http://127.0.0.1:9", "token")
        add_portal(app, "http://127.0.0.1:9", "demo-portail")
        for key in (THROTTLE, PORTAL_THROTTLE):
            app[key].clock = lambda: now[0]
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        browsers = []
        try:
            def browser(address):
                browsers.append(Browser(server, address))
                return browsers[-1]
            await test(browser, now)
        finally:
            for each in browsers:
                await each.session.close()
            await server.close()

    asyncio.run(main())


@pytest.fixture
def password_checks(monkeypatch):
    calls = []
    real = accounts_module.check_password
    monkeypatch.setattr(accounts_module, "check_password", lambda *a: calls.append(a[0]) or real(*a))
    return calls


def test_someone_elses_guesses_do_not_lock_the_user_out(accounts):
    async def test(browser, now):
        attacker, user = browser(ATTACKER), browser(USER)
        for _ in range(30):
            answer = await attacker.sign_in("agent.durand", "devine")
            assert answer.status in (200, 429)
            now[0] += 0.5
        held = await attacker.sign_in("agent.durand", "mot-de-passe-1")  # even the right one, from there
        assert held.status == 429 and TOO_MANY in held.body and int(held.headers["Retry-After"]) >= 1
        assert (await user.sign_in("agent.durand", "mot-de-passe-1")).status == 302  # before: 429, 15 minutes
        portal_attacker, portal_user = browser(ATTACKER), browser(USER)
        for _ in range(10):
            await portal_attacker.sign_in("marie.dupont", "devine", portal=True)
        assert (await portal_attacker.sign_in("marie.dupont", "demo-portail", portal=True)).status == 429
        assert (await portal_user.sign_in("marie.dupont", "demo-portail", portal=True)).status == 302

    serve(test)


def test_a_trusted_device_gets_in_behind_the_guessers_own_address(accounts):
    """Behind one proxy every visitor has the proxy's address: the user's browser, which
    signed in before, proves it with its trusted-device cookie."""
    async def test(browser, now):
        user = browser(USER)
        assert (await user.sign_in("agent.durand", "mot-de-passe-1")).status == 302
        user.forget_session()
        colleague = browser(USER)  # another browser, same address, guessing her password
        for _ in range(30):
            await colleague.sign_in("agent.durand", "devine")
            now[0] += 0.5
        assert (await colleague.sign_in("agent.durand", "mot-de-passe-1")).status == 429
        assert (await user.sign_in("agent.durand", "mot-de-passe-1")).status == 302  # before: 429
        # the cookie is for her account only: on another one it is any browser of that address
        for _ in range(6):
            await colleague.sign_in("agent.moreau", "devine")
        assert (await user.sign_in("agent.moreau", "mot-de-passe-2")).status == 429

    serve(test)


def test_one_addresss_guesses_lock_nobody_else_behind_it(accounts):
    async def test(browser, now):
        guesser = browser(USER)
        for n in range(40):  # before: twenty failures shut the address for everyone
            await guesser.sign_in(f"inconnu-{n % 20}", "devine")
            await guesser.sign_in("agent.durand", "devine")
            now[0] += 1
        assert (await guesser.sign_in("agent.durand", "mot-de-passe-1")).status == 429
        assert (await browser(USER).sign_in("agent.moreau", "mot-de-passe-2")).status == 302  # before: 429
        assert (await browser(USER).sign_in("marie.dupont", "demo-portail", portal=True)).status == 302

    serve(test)


def test_each_failure_past_the_free_ones_doubles_the_wait(accounts, password_checks):
    async def test(browser, now):
        guesser = browser(ATTACKER)
        for _ in range(5):
            assert (await guesser.sign_in("agent.durand", "devine")).status == 200
        waits = []
        for _ in range(12):
            early = await guesser.sign_in("agent.durand", "devine")
            assert early.status == 429 and TOO_MANY in early.body
            waits.append(int(early.headers["Retry-After"]))
            now[0] += waits[-1] - 0.01
            assert (await guesser.sign_in("agent.durand", "devine")).status == 429  # not yet
            now[0] += 0.01
            assert (await guesser.sign_in("agent.durand", "devine")).status == 200  # checked, wrong
        assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]  # then 15 minutes at most
        early = await guesser.sign_in("agent.durand", "mot-de-passe-1")
        assert "patientez 15 minutes" in early.body
        assert len(password_checks) == 5 + 12  # an early attempt is refused without checking
        now[0] += 900
        assert (await guesser.sign_in("agent.durand", "mot-de-passe-1")).status == 302
        for _ in range(5):  # the success forgot the failures
            assert (await guesser.sign_in("agent.durand", "devine")).status == 200

    serve(test)


def test_an_attackers_guessing_still_slows_down(accounts, password_checks):
    """An attacker trying again the very second the wait ends, for a day: about a hundred
    guesses (before: 5 every 15 minutes, 480 a day). Many at once get one check."""
    async def test(browser, now):
        attacker = browser(ATTACKER)
        start, first_hour = now[0], None
        while now[0] < start + 86400:
            answer = await attacker.sign_in("agent.durand", "devine")
            now[0] += int(answer.headers["Retry-After"]) if answer.status == 429 else 0.01
            if first_hour is None and now[0] >= start + 3600:
                first_hour = len(password_checks)
        assert first_hour <= 20 and len(password_checks) <= 5 + 10 + 86400 / 900
        now[0] += 900
        password_checks.clear()
        answers = await asyncio.gather(*(attacker.sign_in("agent.durand", "devine") for _ in range(20)))
        assert sorted(a.status for a in answers) == [200] + [429] * 19
        assert len(password_checks) == 1

    serve(test)
