"""The pages and the chat in Chromium through the reverse proxy, as `make run` serves them:
every URL the browser calls (the portal, its static files, /chat/*, the console) goes through
HAProxy's public port, and the chat's messages reach Rasa through the proxy's queue."""
from __future__ import annotations

import pytest

from tests.e2e.browser_kit import browser, console_sign_in, open_chat, page, sign_in, type_message  # noqa: F401
from tests.e2e.proxy_stack import ProxyStack, needs_haproxy

pytestmark = needs_haproxy


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    server = ProxyStack(tmp_path_factory.mktemp("proxy-browser"))
    try:
        yield server.start()
    finally:
        server.stop()


def test_the_portal_and_its_chat_work_through_the_proxy(page, stack):  # noqa: F811
    handled = sum(int(row["stot"]) for row in stack.stats("rasa").values())
    sign_in(page)
    open_chat(page)
    type_message(page, "activer ma structure publique")
    page.wait_for_selector(".message.assistant >> text=SIRET")
    type_message(page, "219 300 019 00011")
    page.wait_for_selector(".message.assistant >> text=Mairie de Valmont")
    assert sum(int(row["stot"]) for row in stack.stats("rasa").values()) > handled  # through the proxy's queue
    # The stylesheet came through the proxy too (its rules are readable: same origin).
    assert page.evaluate("() => [...document.styleSheets].reduce((n, sheet) => n + sheet.cssRules.length, 0)") > 10


def test_the_console_works_through_the_proxy(page, stack):  # noqa: F811
    console_sign_in(page)
    page.wait_for_url("**/console/")
    assert page.locator("h1").first.inner_text()
