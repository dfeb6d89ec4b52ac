"""The review pages in a real browser (Debian's Chromium via Playwright): the message inbox,
search, bulk correction, action correction before saving a story, and axe-core on every page.

axe-core comes from `node_modules/axe-core/axe.min.js` (`npm install axe-core`); without it the
accessibility test fails and says how to get it.
"""
import os
import re
import shutil
import uuid

import pytest

from tests.e2e.stack import ROOT, Chat, wait_for

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "results" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: install Debian's chromium package (.ci/run does)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def chats(stack):
    """Real conversations with a word to search for, and a misunderstood greeting."""
    word = f"zorglub{uuid.uuid4().hex[:4]}"
    ids = {"mots": f"navig-mots-{uuid.uuid4().hex[:6]}", "incompris": f"navig-incompris-{uuid.uuid4().hex[:6]}"}
    chat = Chat(stack, ids["mots"], "marie.dupont")
    for text in (f"{word} premier", f"{word} second", f"{word} troisième"):
        chat.say(text)
    Chat(stack, ids["incompris"], "marie.dupont").say("kikou")
    return {"word": word, **ids}


@pytest.fixture
def page(browser, stack):
    # axe is injected by the test runner: the pages' CSP (scripts from the site only) is bypassed for it alone
    context = browser.new_context(base_url=f"http://127.0.0.1:{stack.console_port}", locale="fr-FR",
                                  viewport={"width": 1200, "height": 800}, bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    opened.goto("/console/login")
    opened.fill("input[name=login]", "relecteur.leroy")
    opened.fill("input[name=password]", "revue-demo-2026")
    opened.press("input[name=password]", "Enter")  # the keyboard alone
    opened.wait_for_url(re.compile(r"/console/revue/$"))
    yield opened
    context.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def search(page, word):
    page.goto("/console/revue/messages")
    page.fill("input[name=q]", word)
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=" + word))


def test_search_and_bulk_correction_stay_in_place(page, chats):
    wait_for(lambda: (search(page, chats["word"]), page.locator("#messages tbody tr").count() == 3)[1], timeout=30)
    rows = page.locator("#messages tbody tr")
    assert "zorglub" in rows.first.inner_text()
    rows.nth(0).locator("input[name=ids]").check()
    rows.nth(1).locator("input[name=ids]").check()
    page.select_option("#f-bulk-intent", "demander_prerequis")
    page.click("text=Corriger la sélection")
    page.wait_for_selector("[role=status]")
    assert "2 exemple(s) ajouté(s)" in page.inner_text("[role=status]")
    assert f"q={chats['word']}" in page.url  # same filters, same page
    assert page.locator("#messages tbody tr >> text=déjà corrigé").count() == 2
    shot(page, "10-revue-messages-corriges")
    # one row, by its own button: back on that row
    third = rows.nth(2)
    row_id = third.get_attribute("id")
    third.locator("select").select_option("demander_prerequis")
    third.locator("button", has_text="Corriger").click()
    page.wait_for_url(re.compile("#" + row_id + "$"))
    assert "déjà corrigé" in page.locator(f"#{row_id}").inner_text()
    assert page.locator(f"#{row_id}").is_visible()
    page.goto("/console/revue/messages?corrected=1&q=" + chats["word"])
    assert page.locator("#messages tbody tr").count() == 3


def test_action_correction_before_saving_a_story(page, chats, stack):
    wait_for(lambda: (page.goto(f"/console/revue/conversations/{chats['incompris']}"), "kikou" in page.content())[1],
             timeout=30)
    page.click("text=Corriger les intentions et les actions avant d'enregistrer…")
    warning = page.locator("li.action", has_text="repli")
    assert warning.count() >= 1
    warning.first.locator("select").select_option("utter_saluer")
    page.locator("li.user select").first.select_option("saluer")
    page.fill("#story-name", "salutation incomprise (navigateur)")
    shot(page, "11-revue-histoire-actions")
    page.click("button:has-text('Enregistrer comme histoire de test')")
    page.wait_for_selector("[role=status]")
    assert "enregistrée comme test" in page.inner_text("[role=status]")
    stories = open(stack.env["CLAUDIA_REVIEW_STORIES_FILE"], encoding="utf-8").read()
    story = stories.split("salutation incomprise (navigateur)", 1)[1].split("- story:", 1)[0]
    assert "utter_saluer" in story and "action_message_incompris" not in story and "intent: saluer" in story


def test_every_review_page_passes_axe(page, chats):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm install axe-core` at the project's root")
    wait_for(lambda: (page.goto(f"/console/revue/conversations/{chats['mots']}"), "zorglub" in page.content())[1],
             timeout=30)
    for path in ("/console/revue/", "/console/revue/?outcome=refusee&low_confidence=1", "/console/revue/messages",
                 f"/console/revue/messages?q={chats['word']}", f"/console/revue/conversations/{chats['mots']}",
                 f"/console/revue/conversations/{chats['incompris']}/histoire", "/console/revue/tableau"):
        page.goto(path)
        page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = page.evaluate("async () => (await axe.run(document)).violations.map("
                                   "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
        assert violations == [], f"{path}: {violations}"
