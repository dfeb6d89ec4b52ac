"""Testers and the data's history on the real stack (action server, Rasa, web front) in Chromium.

A reviewer invites a tester in the review; the link opens the chat as a test identity whose
activation is written to the test registry, never the real one; an expired or forged link is
refused in French; the tester's conversation is labelled « test » and found by that label, and a
reviewer's own label too; a correction made in the browser is a git commit by the reviewer,
pushed to a local bare remote, shown on the history page with its diff (keyboard, axe-core).
"""
import re
from html import unescape
import sqlite3
import subprocess
import time

import jwt
import pytest
import requests

from claudia import testers
from tests.conftest import MAIRIE
from tests.e2e.browser_kit import assert_accessible, browser, click_choice, new_context, reviewer_page, shot, type_message  # noqa: F401,E501
from tests.e2e.stack import SECRET, Chat, Stack, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The stack with a data repository, a bare remote and its own test registry."""
    workdir = tmp_path_factory.mktemp("testeurs")
    remote = workdir / "distant.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    running = Stack(workdir, extra_env={"CLAUDIA_DATA_REPO": str(workdir / "data-repo"),
                                        "CLAUDIA_DATA_REMOTE": str(remote),
                                        "CLAUDIA_DATA_EMAIL_DOMAIN": "revue.exemple.fr"}).start()
    yield running
    running.stop()


@pytest.fixture
def reviewer(browser, stack):  # noqa: F811
    yield from reviewer_page(browser, stack)


def status_in(database, siret):
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT status FROM structures WHERE siret = ?", (siret,)).fetchone()[0]


def journal_in(database, login):
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT outcome, siret FROM journal WHERE login = ?", (login,)).fetchall()


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_an_invited_tester_writes_to_the_test_registry_only(reviewer, browser, stack):  # noqa: F811
    reviewer.goto("/console/revue/testeurs")
    assert_accessible(reviewer, "revue : testeurs")
    reviewer.fill("#t-name", "Camille Essai")
    reviewer.fill("#t-hours", "2")
    reviewer.click("text=Créer le lien d'invitation")
    link = reviewer.input_value("#lien")
    login = reviewer.locator("section.invitation code").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/essai/[\w.-]+", link) and login.startswith("testeur.camille-essai-")
    assert_accessible(reviewer, "revue : lien d'invitation créé")
    shot(reviewer, "revue-testeurs-lien")

    tester = new_context(browser, stack, bypass_csp=True).new_page()
    tester.set_default_timeout(20000)
    tester.goto(link)
    assert "Bienvenue, Camille Essai" in tester.inner_text("h1")
    assert_accessible(tester, "testeur : accueil de l'invitation")
    tester.click("text=Commencer la discussion")
    tester.wait_for_selector("text=Mode test")
    assert_accessible(tester, "testeur : portail en mode test")
    tester.click("#open-chat")
    tester.wait_for_selector(".message.assistant >> text=Que puis-je faire pour vous")
    type_message(tester, f"activer la structure publique {MAIRIE}")
    click_choice(tester, "Oui, c'est la bonne structure")
    click_choice(tester, "Confirmer")
    tester.wait_for_selector("text=est désormais active dans Chorus Pro")
    tester.context.close()

    test_db, real_db = stack.workdir / "registre-test.db", stack.workdir / "claudia.db"
    assert status_in(test_db, MAIRIE) == "active"
    assert status_in(real_db, MAIRIE) == "inactive"  # the real registry never saw it
    assert journal_in(test_db, login) == [("effectuee", MAIRIE)]
    assert journal_in(real_db, login) == []

    # found in the review by the « test » label, with the tester's login
    def listed():
        reviewer.goto("/console/revue/?tag=test")
        return login in reviewer.content()

    wait_for(listed, timeout=30)
    rows = reviewer.locator("table tbody tr")
    assert rows.count() == 1 and "test" in rows.first.inner_text()
    assert_accessible(reviewer, "revue : conversations des testeurs")
    # a reviewer's own label on it, then found by that label
    rows.first.locator("a").first.click()
    assert "ajoutée par invitation de testeur" in reviewer.inner_text("#etiquettes")
    reviewer.fill("#new-tag", "à rejouer")
    reviewer.press("#new-tag", "Enter")
    reviewer.wait_for_selector("[role=status]")
    reviewer.goto("/console/revue/?tag=" + requests.utils.quote("à rejouer"))
    assert login in reviewer.content()
    reviewer.goto("/console/revue/?tag=test&user=marie")
    assert login not in reviewer.content()


def test_expired_forged_and_damaged_links_are_refused_in_french(stack):
    base = f"http://127.0.0.1:{stack.console_port}/essai/"
    key = testers._key(SECRET)
    now = int(time.time())
    claims = {"sub": "testeur.eve-abcdef", "name": "Ève", "aud": testers.AUDIENCE}
    expired = jwt.encode({**claims, "exp": now - 60}, key, algorithm="HS256")
    forged = jwt.encode({**claims, "exp": now + 3600}, "une autre clé", algorithm="HS256")
    portal_token = stack.token("marie.dupont")  # a portal token is no invitation
    real_login = jwt.encode({**claims, "sub": "marie.dupont", "exp": now + 3600}, key, algorithm="HS256")
    good, _ = testers.issue_invitation(SECRET, "Ève", "relecteur.leroy", 1)
    damaged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token, said in ((expired, "a expiré"), (forged, "n'est pas valide"), (portal_token, "n'est pas valide"),
                        (real_login, "n'est pas valide"), (damaged, "n'est pas valide"), ("abc", "n'est pas valide")):
        answer = requests.get(base + token, timeout=10, allow_redirects=False)
        shown = unescape(answer.text)
        assert answer.status_code == 403 and said in shown and "Invitation refusée" in shown, token
        assert "claudia_portail" not in answer.headers.get("Set-Cookie", "")
    assert requests.get(base + good, timeout=10).status_code == 200


def test_a_correction_in_the_browser_is_a_pushed_commit_shown_in_the_history(reviewer, stack):
    word = "zorglubifier"
    # the message to correct, said by a demo manager through the channel
    Chat(stack, f"histo-{int(time.time())}", "marie.dupont").say(f"je voudrais {word} ma mairie")

    def found():
        reviewer.goto(f"/console/revue/messages?q={word}")
        return reviewer.locator("#messages tbody tr").count() == 1

    wait_for(found, timeout=30)
    row = reviewer.locator("#messages tbody tr").first
    row.locator("select").select_option("activer_structure")
    row.locator("button", has_text="Corriger").click()
    reviewer.wait_for_selector("[role=status]")
    assert "1 exemple(s) ajouté(s)" in reviewer.inner_text("[role=status]")

    repo, remote = stack.workdir / "data-repo", stack.workdir / "distant.git"
    assert git(repo, "log", "-1", "--format=%an <%ae>|%s") == \
        "Claire Leroy <relecteur.leroy@revue.exemple.fr>|Corrections d'intention : 1 exemple(s) ajouté(s)\n"
    assert f"+    - je voudrais {word} ma mairie" in git(repo, "show", "HEAD")
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")

    # the history, by keyboard from the top of the page
    reviewer.goto("/console/revue/")
    for _ in range(30):
        reviewer.keyboard.press("Tab")
        if reviewer.evaluate("document.activeElement.textContent") == "Historique des données":
            break
    reviewer.keyboard.press("Enter")
    reviewer.wait_for_url(re.compile(r"/console/revue/historique$"))
    first = reviewer.locator("#historique tbody tr").first
    assert "Claire Leroy" in first.inner_text() and "Corrections d'intention" in first.inner_text()
    assert "dernier envoi : réussi" in reviewer.inner_text("main")
    assert_accessible(reviewer, "revue : historique des données")
    shot(reviewer, "revue-historique-donnees")
    for _ in range(60):
        reviewer.keyboard.press("Tab")
        if reviewer.evaluate("document.activeElement.textContent").startswith("Voir les modifications"):
            break
    reviewer.keyboard.press("Enter")
    reviewer.wait_for_url(re.compile(r"/console/revue/historique/[0-9a-f]{40}$"))
    assert f"+    - je voudrais {word} ma mairie" in reviewer.inner_text("pre.diff")
    assert reviewer.locator("pre.diff span.add").count() >= 1
    assert_accessible(reviewer, "revue : modifications d'une version")
    shot(reviewer, "revue-version-donnees")
