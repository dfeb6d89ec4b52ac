"""Issue #24's review defects and reviewers' labels, in a real browser over real conversations:
the pages reached from the keyboard at the top of the lists, an evaluation's comment kept out
of the intent inbox, the choice when a story name is taken, labels put and filtered on, the
user filter on part of a login. axe-core (tests/e2e/axe.py) on every new page and state.
"""
import re
import uuid

import pytest

from tests.conftest import MAIRIE
from tests.e2e.browser_kit import assert_accessible, browser, new_context, reviewer_page, shot  # noqa: F401
from tests.e2e.stack import Chat, wait_for

MESSAGES = 22  # more than a page of the inbox (20)


@pytest.fixture(scope="module")
def chats(stack):
    word = f"clavier{uuid.uuid4().hex[:5]}"
    many = Chat(stack, f"clavier-{uuid.uuid4().hex[:6]}", "marie.dupont")
    for n in range(MESSAGES):
        many.say(f"{word} {n}")
    return {"word": word, "many": many.sender}


@pytest.fixture
def reviewer(browser, stack):  # noqa: F811
    yield from reviewer_page(browser, stack)


def focused(page):
    return page.evaluate("document.activeElement.textContent.trim()")


def indexed(page, path, text):
    wait_for(lambda: (page.goto(path), text in page.content())[1], timeout=30)


def test_the_pages_of_the_messages_are_a_few_keys_away(reviewer, chats):
    """Issue #24: « Plus anciens » was 123 Tab presses away, at the bottom of the page."""
    page = reviewer
    indexed(page, f"/console/revue/messages?q={chats['word']}", f"{chats['word']} {MESSAGES - 1}")
    page.goto("/console/revue/messages")
    page.keyboard.press("Tab")
    assert focused(page) == "Aller au contenu"
    assert_accessible(page, "messages, lien d'évitement visible")
    shot(page, "12-revue-lien-evitement")
    page.keyboard.press("Tab")
    assert focused(page) == "Aller aux résultats et aux pages"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "Plus anciens"  # 3 Tab presses and Enter
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"before=\d+"))
    for key in ("Tab", "Tab", "Enter", "Tab"):
        page.keyboard.press(key)
    assert focused(page) == "Plus récents"
    assert_accessible(page, "messages, deuxième page")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/messages\??$"))
    # the conversation list has the same way to its pages
    page.goto("/console/revue/?user=MARIE")
    for key in ("Tab", "Tab", "Enter", "Tab"):
        page.keyboard.press(key)
    assert focused(page) == ("Plus anciennes" if page.locator("a[rel=next]").count() else "CSV")
    users = page.locator("#conversations tbody td:nth-child(3)").all_inner_texts()
    assert users and set(users) == {"marie.dupont"}


def test_an_evaluation_comment_is_kept_out_of_the_intent_inbox(reviewer, stack):
    """Issue #24: the 👎 comment showed in the intent inbox as « à revoir »."""
    word = f"commentaire{uuid.uuid4().hex[:5]}"
    user = Chat(stack, f"avis-{uuid.uuid4().hex[:6]}", "marie.dupont")
    user.say(f"activer la structure publique {MAIRIE}")
    user.click("Oui")
    user.click("Confirmer")
    user.click("👎")
    user.click("Autre")
    assert "Saisissez votre commentaire" in user.text
    user.say(f"le formulaire est bien trop long {word}")
    user.click("Envoyer")
    page = reviewer
    indexed(page, f"/console/revue/conversations/{user.sender}", word)
    assert page.locator("li.user", has_text=word).locator("text=commentaire d'évaluation").count() == 1
    assert page.locator("li.user", has_text=word).locator("form.correct").count() == 0
    assert page.locator("li.user", has_text="activer la structure publique").locator("form.correct").count() == 1
    page.goto(f"/console/revue/messages?q={word}")
    assert page.locator("#messages tbody tr").count() == 0
    page.goto("/console/revue/messages?q=activer+structure+publique")
    assert page.locator("#messages tbody tr").count() > 0


def test_labels_put_on_a_conversation_and_filtered_on(reviewer, chats):
    page = reviewer
    label = f"à rejouer {uuid.uuid4().hex[:4]}"
    indexed(page, f"/console/revue/conversations/{chats['many']}", chats["word"])
    page.fill("#new-tag", label)
    page.press("#new-tag", "Enter")
    page.wait_for_selector("[role=status]")
    assert f"Étiquette « {label} » ajoutée." in page.inner_text("[role=status]")
    assert page.url.endswith("#etiquettes")
    assert_accessible(page, "conversation, étiquette ajoutée")
    shot(page, "13-revue-etiquettes")
    page.goto("/console/revue/")
    page.select_option("#f-tag", label)
    page.click("button:has-text('Filtrer')")
    page.wait_for_url(re.compile(r"tag="))
    rows = page.locator("#conversations tbody tr")
    assert rows.count() == 1 and chats["many"] in rows.first.inner_text() and label in rows.first.inner_text()
    assert_accessible(page, "conversations filtrées par étiquette")
    rows.first.locator("a", has_text=chats["many"]).click()
    page.locator("section.tags li", has_text=label).locator("button", has_text="Retirer").click()
    page.wait_for_selector("text=Aucune étiquette sur cette conversation.")


def test_a_story_name_taken_asks_to_replace_or_keep_both(reviewer, chats, stack):
    """Issue #24: the same conversation saved twice made two stories of the same name, silently."""
    page = reviewer
    name = f"clavier relu {uuid.uuid4().hex[:4]}"
    indexed(page, f"/console/revue/conversations/{chats['many']}", chats["word"])
    for _ in range(2):
        page.fill("form.story input[name=name]", name)
        page.click("form.story button")
    page.wait_for_selector("text=Une histoire porte déjà ce nom")
    assert page.locator("#story-name").input_value() == name
    assert_accessible(page, "histoire : nom déjà pris")
    shot(page, "14-revue-histoire-nom-pris")
    page.click("button:has-text('Garder les deux')")
    page.wait_for_selector("[role=status]")
    assert f"« {name} (2) » ajoutée à côté" in page.inner_text("[role=status]")
    stories = open(stack.env["CLAUDIA_REVIEW_STORIES_FILE"], encoding="utf-8").read()
    assert stories.count(f"story: {name}\n") == 1 and stories.count(f"story: {name} (2)\n") == 1
