"""Shared pieces of the browser tests: Chromium (Debian's), pages, sign-in, screenshots.

Test modules import the fixtures they use (`from tests.e2e.browser_kit import browser, page`).
"""
import os
import re
import shutil

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.stack import ROOT

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "results" / "screenshots"
PASSWORD = "demo-portail"
GREETING = "Que puis-je faire pour vous"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: install Debian's chromium package (.ci/run does)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


def new_context(browser, stack, **options):
    options.setdefault("viewport", {"width": 1100, "height": 800})
    return browser.new_context(base_url=f"http://127.0.0.1:{stack.console_port}", locale="fr-FR", **options)


@pytest.fixture
def page(browser, stack):
    context = new_context(browser, stack)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    yield opened
    context.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def sign_in(page, login="marie.dupont", fresh=True):
    """Signs in to the portal. The chat follows the account (a sign-in continues its recent
    conversation): with `fresh`, the test starts with a new conversation, as « Nouvelle
    conversation » does, so that one test's conversation is not the next one's."""
    page.goto("/")
    page.select_option("#login", login)
    page.fill("#password", PASSWORD)
    page.click("text=Se connecter")
    page.wait_for_selector("#open-chat")
    if fresh:
        status = page.evaluate("""async () => (await fetch("/chat/nouvelle", {method: "POST",
            headers: {"Content-Type": "application/json",
                      "X-CSRF-Token": document.querySelector('meta[name="csrf"]').content}})).status""")
        assert status == 200


def open_chat(page):
    page.click("#open-chat")
    page.wait_for_selector(f".message.assistant >> text={GREETING}")


def console_sign_in(page, login="agent.durand", password="conseil-demo-2026"):
    page.goto("/console/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("text=Se connecter")


def reviewer_page(browser, stack):
    """A reviewer signed in to the review section (a generator: the fixtures yield from it)."""
    context = new_context(browser, stack, bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    opened.goto("/console/login")
    opened.fill("input[name=login]", "relecteur.leroy")
    opened.fill("input[name=password]", "revue-demo-2026")
    opened.press("input[name=password]", "Enter")
    opened.wait_for_url(re.compile(r"/console/revue/$"))
    yield opened
    context.close()


def click_choice(page, title):
    """Clicks the newest enabled choice whose title starts with `title`."""
    pattern = re.compile("^" + re.escape(title))
    page.locator(".choices button:not([disabled])").filter(has_text=pattern).last.click()


def type_message(page, text):
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")


def user_lines(page):
    return page.locator(".message.user p").all_inner_texts()


__all__ = ["PASSWORD", "assert_accessible", "browser", "page", "shot", "sign_in", "open_chat", "click_choice",
           "type_message", "user_lines", "console_sign_in", "new_context", "GREETING"]
