"""The operators' console in Chromium: every message left reachable page by page with its
count, French error pages with the console's layout, an outage told in French and
recovered from by itself. axe-core checks every page and state shown."""
import re

from claudia.db import get_database
from claudia.handoff import HandoffError, HandoffQueue
from claudia.models import Handoff, utcnow
from claudia.tickets import Tickets
from claudia.waiting import WaitingRoom
from tests.e2e.browser_kit import (assert_accessible, browser, console_sign_in, new_context, page,  # noqa: F401
                                   shot)
from tests.e2e.stack import wait_for


def database(stack):
    """The stack's own database: what the assistant stores when people leave messages."""
    return get_database(stack.env["CLAUDIA_DB_URL"])


def put_away(stack, ticket_ids):
    """Leaves the shared stack as it was: the test's messages still open are archived."""
    queue = HandoffQueue(database(stack))
    for ticket_id in ticket_ids:
        try:
            queue.archive_message(ticket_id, "tests")
        except HandoffError:
            pass


def assert_error_page(page, status, response, title, back):
    assert response.status == status
    assert page.locator("html").get_attribute("lang") == "fr"
    assert re.fullmatch(rf"(\(\d+\) )?{title} — Console ClaudIA", page.title()), page.title()
    assert page.locator("h1").inner_text() == title
    assert page.locator("header a.brand").inner_text() == "Console ClaudIA"  # the site's layout
    assert page.locator(f'main a[href="{back}"]').count() == 1  # a way back
    body = page.inner_text("body")
    assert not [word for word in ("Not Found", "Internal Server Error", "Bad Request") if word in body]


def test_every_message_left_is_reachable_page_by_page_with_its_count(page, stack):
    queue, tickets = HandoffQueue(database(stack)), Tickets(database(stack))
    left = [queue.leave_message(f"console-pages-{n}", None, {}, f"Message laissé n° {n}")["id"] for n in range(120)]
    try:
        console_sign_in(page)
        total = tickets.counts()["open"]
        page.locator("#open-count", has_text=f"({total})").wait_for()
        wait_for(lambda: page.title() == f"({total}) Discussions — Console ClaudIA")
        seen, number = [], 1
        while True:
            page.locator("#open-pages [aria-current]", has_text=f"Page {number} sur").wait_for()
            hrefs = page.locator("#tickets-open tbody a").evaluate_all("links => links.map(a => a.pathname)")
            seen += [int(href.rsplit("/", 1)[1]) for href in hrefs]
            if page.locator("#open-pages a[rel=next]").count() == 0:
                break
            if number == 2:
                assert page.locator("#chats-pages").is_hidden()  # a list of one page has no page links
                assert_accessible(page, "console : messages à traiter, deuxième page")
                page.locator("#open-pages").scroll_into_view_if_needed()
                shot(page, "19-console-pages")
            page.click("#open-pages a[rel=next]")
            number += 1
        assert page.url.endswith(f"/console/?page_a_traiter={number}")
        assert number >= 3 and len(seen) == len(set(seen)) == total
        assert set(left) <= set(seen) and seen == sorted(seen)  # all of them, oldest first
        # The newest is answered from its page; the count in the title follows.
        page.click(f'#tickets-open a[href="/console/tickets/{left[-1]}"]')
        page.fill("#answer-text", "Bonjour, c'est noté.")
        page.click("text=Envoyer la réponse")
        page.wait_for_selector("text=Réponse envoyée")
        assert page.title() == f"({total - 1}) Message {left[-1]} — Console ClaudIA"
    finally:
        put_away(stack, left)


def test_console_error_pages_are_french_with_a_way_back_and_accessible(browser, stack, page):
    assert_error_page(page, 404, page.goto("/console/pas-de-page"), "Page introuvable", "/console/login")
    assert_accessible(page, "console : page introuvable, non connecté")
    page.click('main a[href="/console/login"]')
    page.wait_for_selector("input[name=login]")
    console_sign_in(page)
    page.wait_for_selector("#chats")
    for url, status, title in [("/console/pas-de-page", 404, "Page introuvable"),
                               ("/console/chats/2147483647", 404, "Page introuvable"),
                               ("/console/chats/²", 400, "Requête invalide"),
                               ("/console/tickets/99999999999999999999", 400, "Requête invalide"),
                               ("/console/?page_a_traiter=1e9", 400, "Requête invalide")]:
        assert_error_page(page, status, page.goto(url), title, "/console/")
        assert "nombre entier" in page.inner_text("main") or status == 404
        assert_accessible(page, f"console : erreur {status} ({url})")
    shot(page, "20-console-erreur-400")
    # A 500: a chat whose stored context cannot be read.
    with database(stack).write() as session:
        broken = Handoff(conversation_id="console-corrupt", status="close", created_at=utcnow(), context="{")
        session.add(broken)
        session.flush()
        broken_id = broken.id
    try:
        assert_error_page(page, 500, page.goto(f"/console/chats/{broken_id}"), "Erreur du serveur", "/console/")
        assert_accessible(page, "console : erreur du serveur")
        shot(page, "21-console-erreur-500")
        page.click('main a[href="/console/"]')
        page.wait_for_selector("#chats")
    finally:
        with database(stack).write() as session:
            session.delete(session.get(Handoff, broken_id))
    reviewer_context = new_context(browser, stack)
    reviewer = reviewer_context.new_page()
    console_sign_in(reviewer, "relecteur.leroy", "revue-demo-2026")
    reviewer.wait_for_url("**/console/revue/")
    assert_error_page(reviewer, 403, reviewer.goto("/console/"), "Accès refusé", "/console/revue/")
    assert_accessible(reviewer, "console : accès refusé")
    reviewer_context.close()


def test_an_outage_is_told_in_french_and_the_console_recovers_by_itself(page, stack):
    queue, tickets = HandoffQueue(database(stack)), Tickets(database(stack))
    left = None
    console_sign_in(page)
    page.locator("#open-count", has_text=re.compile(r"\(\d+\)")).wait_for()
    stack.stop_server("web")  # a restart of the web front, or the network gone
    try:
        lost = page.locator("#inbox-status", has_text="Le serveur de la console ne répond pas")
        lost.wait_for(timeout=15000)
        assert "La liste ci-dessous date de" in lost.inner_text()
        assert "Failed to fetch" not in page.inner_text("body")
        assert_accessible(page, "console : serveur injoignable")
        shot(page, "22-console-coupure")
        left = queue.leave_message("console-outage", None, {}, "Laissé pendant la coupure")
    finally:
        stack.start_server("web")
    try:
        page.locator("#inbox-status", has_text="Connexion rétablie").wait_for(timeout=20000)
        page.locator("#open-count", has_text=f"({tickets.counts()['open']})").wait_for()
    finally:
        put_away(stack, [left["id"]] if left else [])

    # The chat page, when the server answers with a bare error (a proxy, a crash) or not at all.
    handoff = queue.request("console-outage-chat", None, {})
    try:
        page.goto(f"/console/chats/{handoff['id']}")
        page.locator("#chat-state", has_text="En attente d'un conseiller").wait_for()
        page.route("**/console/api/chats/*", lambda route: route.fulfill(
            status=500, content_type="text/plain", body="500 Internal Server Error\n\nServer got itself in trouble"))
        page.locator("#chat-error", has_text="rencontre une difficulté").wait_for()
        assert "Internal Server Error" not in page.inner_text("body")
        assert_accessible(page, "console : discussion, erreur du serveur")
        page.unroute("**/console/api/chats/*")
        page.route("**/console/api/chats/*", lambda route: route.abort())
        page.locator("#chat-error", has_text="ne répond pas").wait_for()
        assert "Failed to fetch" not in page.inner_text("body")
        page.unroute("**/console/api/chats/*")
        wait_for(lambda: page.inner_text("#chat-error") == "", timeout=20)
    finally:
        WaitingRoom(database(stack)).cancel("console-outage-chat")
