"""« (non vérifié) » where rows written in a user's name without their messages' word are read:
the review's conversation page, the console's ticket page and inbox (claudia/provenance.py).
Served for real (aiohttp on loopback) over real SQLite stores."""
from claudia import services
from claudia.provenance import SPENT, Verdict
from claudia.registry import REFUSED, Attempt
from tests.conftest import MAIRIE
from tests.web.test_console import accounts, sign_in as console_sign_in, with_console  # noqa: F401
from tests.web.test_review_pages import serve, sign_in, site  # noqa: F401

MARK = "(non vérifié)"
UNVERIFIED = Verdict(False, "m" * 32, SPENT)


def test_the_review_conversation_page_marks_unverified_rows(site):
    tracker = site[0]
    tracker.say("marques", "activer la mairie", "activer_structure", 0.9)
    services.feedback().record("marques", "marie.dupont", "positif", provenance=Verdict(True, "m" * 32))
    services.feedback().record("marques", "marie.dupont", "negatif", comment="Ce service est une honte",
                               provenance=UNVERIFIED)
    services.registry().record(Attempt("marie.dupont", "marques", "activer", MAIRIE), REFUSED, "droits_insuffisants",
                               provenance=UNVERIFIED)

    async def test(client):
        await sign_in(client)
        page = await (await client.get("/console/revue/conversations/marques")).text()
        evaluations = page.split("<h2>Évaluations</h2>")[1].split("</ul>")[0]
        assert [MARK in item for item in evaluations.split("<li>")[1:]] == [False, True]
        assert page.split("<h2>Journal</h2>")[1].split("</ul>")[0].count(MARK) == 1

    serve(site, test)


def test_the_console_ticket_page_and_inbox_say_which_messages_left_are_unverified(accounts):
    queue = services.handoffs()
    mine = queue.leave_message("c1", "marie.dupont", {}, "Merci de me rappeler", provenance=Verdict(True, "a" * 32))
    made_up = queue.leave_message("c2", "marie.dupont", {}, "Supprimez mon compte", provenance=UNVERIFIED)

    async def test(client, events):
        await console_sign_in(client, "agent.durand", "mot-de-passe-1")
        assert MARK not in await (await client.get(f"/console/tickets/{mine['id']}")).text()
        assert MARK in await (await client.get(f"/console/tickets/{made_up['id']}")).text()
        listed = (await (await client.get("/console/api/chats")).json())["tickets"]["open"]
        assert [(t["message"], t["verified"]) for t in listed] == [
            ("Merci de me rappeler", True), ("Supprimez mon compte", False)]

    with_console(test)
