"""Availability attacks performed through the reverse proxy, as `make run` starts it (issue #26).

Real HAProxy, supervisord, Rasa (two workers behind their accept gate) and the web front on their
private unix sockets, the action server on loopback (tests/e2e/proxy_stack.py). Attackers and users talk to the public ports from loopback
addresses of their own (127.0.0.0/8), so the proxy sees them as different clients. Limits are
lowered so that each attack is quick: 3 s for a request's headers and body, 20 connections and
40 requests per 10 s per address.
"""
from __future__ import annotations

import resource
import socket
import threading
import time
from typing import List

import pytest

from tests.e2e.proxy_stack import (ProxyStack, connect, connect_unix, needs_haproxy, open_descriptors, session_from)
from tests.e2e.stack import wait_for

pytestmark = needs_haproxy

REQUEST_SECONDS = 3
PER_ADDRESS = 20
RATE = 40
ANONYMOUS_RATE = 5  # not-connected messages per address and minute, counted by the channel


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    server = ProxyStack(tmp_path_factory.mktemp("proxy"))
    server.proxy_env = {"CLAUDIA_PROXY_REQUEST_SECONDS": str(REQUEST_SECONDS),
                        "CLAUDIA_PROXY_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
                        "CLAUDIA_PROXY_REQUESTS_PER_ADDRESS": str(RATE), "CLAUDIA_ANONYMOUS_RATE": str(ANONYMOUS_RATE)}
    try:
        yield server.start()
    finally:
        server.stop()


class User:
    """A signed-in manager's conversation through the public channel port, from `source`."""

    def __init__(self, stack: ProxyStack, source: str, sender: str, login: str = "marie.dupont") -> None:
        self.stack, self.sender, self.http = stack, sender, session_from(source)
        self.headers = {"Authorization": f"Bearer {stack.token(login)}"}
        self.slowest = 0.0

    def say(self, text: str) -> list:
        started = time.monotonic()
        answer = self.http.post(self.stack.webhook, json={"sender": self.sender, "message": text},
                                headers=self.headers, timeout=30)
        self.slowest = max(self.slowest, time.monotonic() - started)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def activation_start(self) -> None:
        """Three turns of a procedure, each answered with its question."""
        assert "ClaudIA" in self.say("bonjour")[0]["text"]
        assert any("SIRET" in (reply.get("text") or "") for reply in self.say("activer ma structure publique"))
        assert any("Mairie de Valmont" in (reply.get("text") or "") for reply in self.say("219 300 019 00011"))


class PortalUser:
    """A manager in the portal through the public web port, as the browser's pages call it."""

    def __init__(self, stack: ProxyStack, source: str, login: str = "marie.dupont") -> None:
        self.stack, self.http = stack, session_from(source)
        base = f"http://127.0.0.1:{stack.console_port}"
        self.base = base
        page = self.http.get(base + "/", timeout=10)
        assert page.status_code == 200
        form_csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = self.http.post(base + "/connexion", data={"login": login, "password": "demo-portail",
                                                            "csrf": form_csrf}, allow_redirects=False, timeout=10)
        assert signed.status_code == 302, signed.text
        home = self.http.get(base + "/", timeout=10).text
        self.csrf = home.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]
        self.slowest = 0.0

    def say(self, text: str) -> list:
        started = time.monotonic()
        answer = self.http.post(self.base + "/chat/messages", json={"message": text},
                                headers={"X-CSRF-Token": self.csrf}, timeout=30)
        self.slowest = max(self.slowest, time.monotonic() - started)
        assert answer.status_code == 200, answer.text
        return answer.json()


def trickle(port: int, sources: List[str], per_source: int, stop: threading.Event, outcome: dict) -> None:
    """Connections of which half send a request one byte every 0.2 s (a slowloris) and half
    send nothing; each is counted as cut when the proxy closes it."""
    request = (b"POST /webhooks/connected/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 60\r\n\r\n" + b"{" * 60)
    sockets = []
    for source in sources:
        for n in range(per_source):
            try:
                sockets.append({"sock": connect(port, source, timeout=0.5), "sent": 0, "trickles": n % 2 == 0})
            except OSError:
                outcome["refused"] += 1
    outcome["opened"] = len(sockets)
    while not stop.is_set() and sockets:
        for entry in list(sockets):
            sock = entry["sock"]
            try:
                if entry["trickles"] and entry["sent"] < len(request):
                    sock.sendall(request[entry["sent"]:entry["sent"] + 1])
                    entry["sent"] += 1
                sock.setblocking(False)
                try:
                    if sock.recv(4096) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:
                outcome["cut"] += 1
                outcome.setdefault("cut_after", []).append(time.monotonic())
                sock.close()
                sockets.remove(entry)
        time.sleep(0.2)
    for entry in sockets:
        entry["sock"].close()


def test_slow_and_idle_clients_do_not_stop_signed_in_users(stack):
    """300 connections from 15 addresses trickle their requests a byte at a time (or send
    nothing) at both public ports: the users' turns, through the channel and through the
    portal, are answered within seconds, and the proxy cuts every dawdler after its deadline."""
    stop = threading.Event()
    outcomes = [{"refused": 0, "cut": 0}, {"refused": 0, "cut": 0}]
    started = time.monotonic()
    floods = [threading.Thread(target=trickle, args=(port, [f"127.0.3.{n}" for n in range(1, 16)], 10, stop, out))
              for port, out in ((stack.rasa_port, outcomes[0]), (stack.console_port, outcomes[1]))]
    for flood in floods:
        flood.start()
    try:
        time.sleep(1)
        user = User(stack, "127.0.1.1", "proxy-trickle-1")
        user.activation_start()
        portal = PortalUser(stack, "127.0.1.2")
        assert "ClaudIA" in portal.say("bonjour")[0]["text"]
        assert any("SIRET" in (reply.get("text") or "") for reply in portal.say("activer ma structure publique"))
        assert user.slowest < 5 and portal.slowest < 5, (user.slowest, portal.slowest)
        # Every dawdler is cut once its deadline is past, although it kept sending.
        wait_for(lambda: all(out["cut"] == out["opened"] for out in outcomes), timeout=REQUEST_SECONDS + 20)
    finally:
        stop.set()
        for flood in floods:
            flood.join()
    for out in outcomes:
        assert out["opened"] == 150 and out["refused"] == 0
        assert max(out["cut_after"]) - started < REQUEST_SECONDS + 10
    # Nothing of it reached a Rasa worker: none is busy, nothing waits.
    assert all(row["scur"] == "0" and row["qcur"] == "0" for row in stack.stats("rasa").values())


def test_one_flooding_address_gets_429_and_others_do_not(stack):
    flooder = session_from("127.0.4.1")
    answers = [flooder.get(f"http://127.0.0.1:{stack.console_port}/console/login", timeout=10)
               for _ in range(RATE + 10)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:RATE] == [200] * RATE and set(statuses[RATE:]) == {429}
    refused = answers[-1]
    assert "Trop de requêtes depuis votre adresse" in refused.text and refused.headers["content-type"].startswith(
        "text/html")
    # Chat requests to the channel from that address are refused too, in JSON for the chat.
    channel = User(stack, "127.0.4.1", "proxy-rate-flooder")
    answer = channel.http.post(stack.webhook, json={"sender": channel.sender, "message": "bonjour"},
                               headers=channel.headers, timeout=10)
    for _ in range(RATE):
        if answer.status_code == 429:
            break
        answer = channel.http.post(stack.webhook, json={"sender": channel.sender, "message": "bonjour"},
                                   headers=channel.headers, timeout=10)
    assert answer.status_code == 429 and "Trop de requêtes" in answer.json()["erreur"]
    # Meanwhile another address is served as usual, on both ports.
    other = User(stack, "127.0.4.2", "proxy-rate-other")
    assert "ClaudIA" in other.say("bonjour")[0]["text"]
    assert session_from("127.0.4.2").get(f"http://127.0.0.1:{stack.console_port}/console/login",
                                         timeout=10).status_code == 200


def test_one_address_cannot_hold_more_than_its_share_of_connections(stack):
    held = [connect(stack.console_port, "127.0.5.1") for _ in range(PER_ADDRESS)]
    try:
        time.sleep(0.3)
        try:
            with connect(stack.console_port, "127.0.5.1") as extra:
                extra.sendall(b"GET /console/login HTTP/1.1\r\nHost: x\r\n\r\n")
                assert extra.recv(100) == b""  # closed at once, unanswered
        except ConnectionResetError:  # or reset
            pass
        # Under the limit, the same address is answered.
        held[0].sendall(b"GET /console/login HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held[0].recv(100).startswith(b"HTTP/1.1 200")
        answer = session_from("127.0.5.2").get(f"http://127.0.0.1:{stack.console_port}/console/login", timeout=10)
        assert answer.status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_bodies_over_the_cap_are_refused_before_any_server(stack):
    user = User(stack, "127.0.6.1", "proxy-body")
    before = handled(stack)
    big = {"sender": user.sender, "message": "x" * (17 * 1024)}
    answer = user.http.post(stack.webhook, json=big, headers=user.headers, timeout=10)
    assert answer.status_code == 413 and "trop volumineux" in answer.json()["erreur"]
    # A body of unknown length (chunked) is refused too.
    answer = user.http.post(stack.webhook, data=iter([b'{"sender": "a", ', b'"message": "bonjour"}']),
                            headers={**user.headers, "Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 413
    # The web front's cap: 64 KB.
    answer = user.http.post(f"http://127.0.0.1:{stack.console_port}/connexion", data={"x": "y" * (65 * 1024)},
                            timeout=10)
    assert answer.status_code == 413 and "trop volumineux" in answer.text
    assert handled(stack) == before
    # A message of ordinary size still goes through.
    assert "ClaudIA" in user.say("bonjour")[0]["text"]


def test_the_channel_port_serves_the_channel_only(stack):
    http = session_from("127.0.7.1")
    for path in ("/conversations/x/tracker", "/model", "/status", "/", "/metrics"):
        answer = http.get(f"http://127.0.0.1:{stack.rasa_port}{path}", timeout=10)
        assert answer.status_code == 404 and "n’existe pas" in answer.json()["erreur"]
    # The web port: the pages, and the channel under /webhooks/connected/ (one HTTPS port in production).
    assert http.get(f"http://127.0.0.1:{stack.console_port}/metrics", timeout=10).status_code == 404
    user = User(stack, "127.0.7.1", "proxy-web-port-channel")
    answer = user.http.post(f"http://127.0.0.1:{stack.console_port}/webhooks/connected/webhook",
                            json={"sender": user.sender, "message": "bonjour"}, headers=user.headers, timeout=30)
    assert answer.status_code == 200 and "ClaudIA" in answer.json()[0]["text"]


def handled(stack: ProxyStack) -> int:
    return sum(int(row["stot"]) for row in stack.stats("rasa").values())


def test_a_worker_out_of_descriptors_pauses_and_recovers_while_the_other_answers(stack):
    """`ulimit -n` lowered on one Rasa worker, their shared private socket flooded directly by the
    service account itself (past the proxy; no other account may connect to it) until that worker can accept nothing: it pauses instead of
    leaving its accept loop (serving/worker_accept.py); once the flood ends it accepts again, the
    service answers a signed-in user's procedure at once, and that worker answers turns again.
    (While such a flood lasts, the gate takes the flood's connections in turn with everyone's:
    turns wait; test_proxy_worker_ports.py shows the other layout, where the proxy sets the
    exhausted worker aside.)"""
    worker = stack.worker_pids()[0]
    limit = open_descriptors(worker) + 30
    saved = resource.prlimit(worker, resource.RLIMIT_NOFILE)
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (limit, saved[1]))
    log = stack.var / "log" / "rasa.log"
    flood: List[socket.socket] = []
    try:
        while len(flood) < 300:
            flood.append(connect_unix(stack.rasa_socket, timeout=2))
        wait_for(lambda: f"[worker {worker}] Accept paused" in log.read_text(), timeout=20)
        assert stack.worker_pids()[0] == worker  # alive, not gone
    finally:
        for sock in flood:
            sock.close()
        resource.prlimit(worker, resource.RLIMIT_NOFILE, saved)
    wait_for(lambda: f"[worker {worker}] Accepting again." in log.read_text(), timeout=30)
    assert stack.worker_pids()[0] == worker  # the same process, accepting again
    wait_for(lambda: stack.servers_up("rasa") == ["rasa0"], timeout=30)
    user = User(stack, "127.0.8.1", "proxy-emfile")
    user.activation_start()
    assert user.slowest < 5

    def answered_by_it() -> bool:
        users = [User(stack, "127.0.8.2", f"proxy-emfile-after-{time.monotonic()}-{n}") for n in range(6)]
        threads = [threading.Thread(target=user.say, args=("bonjour",)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        tail = log.read_text().split("Accepting again.", 1)[-1]
        return f'"pid": {worker}, "logger": "claudia.requests"' in tail

    wait_for(answered_by_it, timeout=60)


def test_the_channel_counts_not_connected_messages_per_client_address_behind_the_proxy(stack):
    """Behind the proxy every connection to Rasa comes from the proxy; the channel's limit on
    not-connected messages still counts each client's address (X-Forwarded-For, SANIC_PROXIES_COUNT=1),
    and a forged X-Forwarded-For changes nothing."""
    flooder = session_from("127.0.10.1")
    statuses = [flooder.post(stack.webhook, json={"sender": f"proxy-anon-{n}", "message": "bonjour"},
                             headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=30).status_code
                for n in range(ANONYMOUS_RATE + 2)]
    assert statuses[:ANONYMOUS_RATE] == [200] * ANONYMOUS_RATE and statuses[-1] == 429
    other = session_from("127.0.10.2").post(stack.webhook, json={"sender": "proxy-anon-other", "message": "bonjour"},
                                           timeout=30)
    assert other.status_code == 200 and "ClaudIA" in other.json()[0]["text"]


def test_sign_in_guesses_from_one_address_do_not_delay_the_user_at_another(stack):
    """Behind the proxy the web front sees each client's own address (web/proxy_address.py): an
    attacker's wrong guesses on marie.dupont delay that attacker, not her signing in elsewhere."""
    guesser, base = session_from("127.0.11.1"), f"http://127.0.0.1:{stack.console_port}"
    page, statuses = guesser.get(base + "/", timeout=10).text, []
    for _ in range(8):
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        answer = guesser.post(base + "/connexion", data={"login": "marie.dupont", "password": "mauvais", "csrf": csrf},
                              allow_redirects=False, timeout=10)
        statuses.append(answer.status_code)
        page = answer.text
    assert statuses[-1] == 429  # the guesser now waits
    PortalUser(stack, "127.0.11.2")  # she signs in at once (302), from her own address
