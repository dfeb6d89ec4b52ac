"""The console's inbox: nothing a person asks of the support is dropped. Every waiting
chat and every message left is listed, oldest first, page by page, with counts; the
count of unanswered messages is in the page title. Served for real (aiohttp on loopback)."""
import re

from claudia import services
from tests.web.test_console import accounts, csrf_of, sign_in, with_console  # noqa: F401

PAGE_PARAMETER = {"chats": "page_discussions", "open": "page_a_traiter", "answered": "page_repondus"}


async def inbox(client, **pages):
    response = await client.get("/console/api/chats", params={PAGE_PARAMETER[k]: v for k, v in pages.items()})
    assert response.status == 200
    return await response.json()


async def every_page(client, listing):
    """The ids of `listing` (chats, open, answered), walking its pages as the inbox's links do."""
    first = await inbox(client)
    pages = first["pages"][listing]["pages"]
    seen = []
    for number in range(1, pages + 1):
        page = await inbox(client, **{listing: number})
        assert page["pages"][listing]["page"] == number
        rows = page["chats"] if listing == "chats" else page["tickets"][listing]
        assert 0 < len(rows) <= page["pages"][listing]["size"]
        seen += [row["id"] for row in rows]
    return seen


def title_of(html):
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_a_thousand_messages_left_are_all_reachable_page_by_page_and_answered(accounts):
    queue = services.handoffs()
    left = [queue.leave_message(f"conv-{n}", "marie.dupont", {}, f"Message n° {n}")["id"] for n in range(1000)]

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = await csrf_of(client)
        assert (await inbox(client))["counts"]["open"] == 1000
        assert await every_page(client, "open") == left  # every one, once, oldest first
        page = await client.get("/console/", params={"page_a_traiter": (await inbox(client))["pages"]["open"]["pages"]})
        assert page.status == 200  # the last page's own address
        for ticket_id in left:
            answered = await client.post(f"/console/tickets/{ticket_id}", allow_redirects=False,
                                         data={"csrf": csrf, "answer": f"Réponse au message {ticket_id}"})
            assert answered.status == 303
        counts = (await inbox(client))["counts"]
        assert (counts["open"], counts["answered"]) == (0, 1000)
        assert sorted(await every_page(client, "answered")) == sorted(left)
        # A page beyond the last (its messages were just answered) shows the last one.
        beyond = await inbox(client, answered=999)
        assert beyond["pages"]["answered"]["page"] == beyond["pages"]["answered"]["pages"] == 20

    with_console(test)


def test_waiting_and_ongoing_chats_are_paged_oldest_first_with_counts(accounts):
    queue = services.handoffs()
    asked = [queue.request(f"conv-{n}", None, {})["id"] for n in range(120)]
    queue.take(asked[5], "agent.moreau")
    queue.leave_message("conv-left", None, {}, "Rappelez-moi")

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        listing = await inbox(client)
        counts = listing["counts"]
        assert (counts["chats"], counts["waiting"], counts["ongoing"], counts["open"]) == (120, 119, 1, 1)
        assert listing["pages"]["chats"]["pages"] == 3
        assert await every_page(client, "chats") == asked
        taken = next(c for c in listing["chats"] if c["id"] == asked[5])
        assert taken["state"] == "en cours (agent.moreau)"
        assert next(c for c in listing["chats"] if c["id"] == asked[0])["state"] == "en attente"

    with_console(test)


def test_the_title_counts_the_messages_waiting_for_an_answer(accounts):
    queue = services.handoffs()
    left = [queue.leave_message(f"conv-{n}", None, {}, "Bonjour ?")["id"] for n in range(3)]

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = await csrf_of(client)
        assert title_of(await (await client.get("/console/")).text()) == "(3) Discussions — Console ClaudIA"
        await client.post(f"/console/tickets/{left[0]}", data={"csrf": csrf, "answer": "Voici."})
        ticket_page = await (await client.get(f"/console/tickets/{left[1]}")).text()
        assert title_of(ticket_page) == f"(2) Message {left[1]} — Console ClaudIA"
        for ticket_id in left[1:]:
            await client.post(f"/console/tickets/{ticket_id}", data={"csrf": csrf, "answer": "Voici."})
        assert title_of(await (await client.get("/console/")).text()) == "Discussions — Console ClaudIA"

    with_console(test)
