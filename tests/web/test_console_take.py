"""Two operators take the same chat at once through the console's API: one wins, the user
is told once; the other is told who has it, and can take it over (confirmed, told once)."""
import asyncio
import threading

from aiohttp.test_utils import TestClient, TestServer

from claudia import services
from tests.web.test_console import TOKEN, accounts, csrf_of, fake_rasa, sign_in  # noqa: F401 (fixture)
from web.console import create_app

JOINED, TOOK_OVER = "a rejoint la conversation", "reprend la conversation à la suite de"


def told_to_user(conversation_id, words):
    return [m["text"] for m in services.handoffs().outbox_after(conversation_id) if words in m["text"]]


def two_consoles(test, events):
    """Two console servers on the same database (two workers, as behind a load balancer), each
    with a signed-in operator: Sophie Durand on the first, Karim Moreau on the second."""

    async def main():
        rasa = TestServer(fake_rasa(events))
        await rasa.start_server()
        async with TestClient(TestServer(create_app(str(rasa.make_url("")), TOKEN))) as durand, \
                TestClient(TestServer(create_app(str(rasa.make_url("")), TOKEN))) as moreau:
            await sign_in(durand, "agent.durand", "mot-de-passe-1")
            await sign_in(moreau, "agent.moreau", "mot-de-passe-2")
            operators = [(durand, await csrf_of(durand)), (moreau, await csrf_of(moreau))]
            await test(operators)
        await rasa.close()

    asyncio.run(main())


def test_two_operators_taking_at_once_one_wins_and_the_user_is_told_once(accounts):
    queue = services.handoffs()
    handoff = queue.request("conv-1", "marie.dupont", {})
    hid, events = handoff["id"], {}

    async def test(operators):
        async def take(client, csrf):
            response = await client.post(f"/console/api/chats/{hid}/take", headers={"X-CSRF-Token": csrf})
            return response.status, await response.json()

        answers = await asyncio.gather(*(take(client, csrf) for client, csrf in operators))
        assert sorted(status for status, _ in answers) == [200, 409]
        (winner,) = [body["handoff"]["operator"] for status, body in answers if status == 200]
        (refused,) = [body for status, body in answers if status == 409]
        names = {"agent.durand": "Sophie <b>Durand</b>", "agent.moreau": "Karim Moreau"}
        assert refused["erreur"].startswith(f"Cette discussion est déjà prise en charge par {names[winner]}.")
        assert refused["operateur"] == winner and refused["reprise_possible"] is True
        assert queue.get(hid)["operator"] == winner
        assert told_to_user("conv-1", JOINED) == [f"{names[winner]}, conseiller du support Chorus Pro, {JOINED}."]
        assert len([e for e in events["conv-1"] if JOINED in e.get("text", "")]) == 1
        # The one who lost takes over, once confirmed (the console sends whom it is taken from).
        loser, (client, csrf) = [(login, operators[n]) for n, login in enumerate(names) if login != winner][0]
        no_from = await client.post(f"/console/api/chats/{hid}/take-over", headers={"X-CSRF-Token": csrf})
        assert no_from.status == 400 and "conseiller" in (await no_from.json())["erreur"]
        over = await client.post(f"/console/api/chats/{hid}/take-over", json={"from": winner},
                                 headers={"X-CSRF-Token": csrf})
        assert over.status == 200 and queue.get(hid)["operator"] == loser
        again = await client.post(f"/console/api/chats/{hid}/take-over", json={"from": winner},
                                  headers={"X-CSRF-Token": csrf})
        assert again.status == 409
        assert told_to_user("conv-1", TOOK_OVER) == [
            f"{names[loser]}, conseiller du support Chorus Pro, {TOOK_OVER} {names[winner]}."]
        assert len(told_to_user("conv-1", JOINED)) == 1
        # The previous operator can no longer write in it.
        former, former_csrf = operators[list(names).index(winner)]
        sent = await former.post(f"/console/api/chats/{hid}/messages", json={"text": "Bonjour"},
                                 headers={"X-CSRF-Token": former_csrf})
        assert sent.status == 409

    two_consoles(test, events)


def test_operators_in_threads_take_the_same_chat_once(accounts):
    """Each operator in their own thread, with their own event loop and console server."""
    queue = services.handoffs()
    hid = queue.request("conv-2", "marie.dupont", {})["id"]
    start, statuses = threading.Barrier(2), {}

    def operator(login, password):
        async def main():
            rasa = TestServer(fake_rasa({}))
            await rasa.start_server()
            async with TestClient(TestServer(create_app(str(rasa.make_url("")), TOKEN))) as client:
                await sign_in(client, login, password)
                csrf = await csrf_of(client)
                await asyncio.get_running_loop().run_in_executor(None, start.wait)
                response = await client.post(f"/console/api/chats/{hid}/take", headers={"X-CSRF-Token": csrf})
                statuses[login] = response.status
            await rasa.close()

        asyncio.run(main())

    threads = [threading.Thread(target=operator, args=pair)
               for pair in (("agent.durand", "mot-de-passe-1"), ("agent.moreau", "mot-de-passe-2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses.values()) == [200, 409]
    assert len(told_to_user("conv-2", JOINED)) == 1
