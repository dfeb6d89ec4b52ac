"""Logs you can follow and probes a load balancer can trust, on the real servers (docs/operations.md).

One message typed in the portal goes web front → channel (Rasa) → action server: the same
request id is in the JSON lines of the three servers, with the conversation id, and neither the
message's text, the portal's token, the password nor the session cookie is in any log.
`/health/live` and `/health/ready` answer on every server; readiness goes 503 when ClaudIA's
database file is gone or the SIRENE stand-in stops, and back to 200 when they return.
"""
from __future__ import annotations

import json
import os
import re
from typing import Dict, List
from urllib.parse import urlparse

import requests

from tests.e2e.stack import Stack, insee_from_demo_extract, wait_for

MESSAGE = "je veux activer ma structure 219 300 019 00011 s'il vous plaît"


def base_urls(stack: Stack) -> Dict[str, str]:
    return {"rasa": f"http://127.0.0.1:{stack.rasa_port}", "actions": f"http://127.0.0.1:{stack.actions_port}",
            "web": f"http://127.0.0.1:{stack.console_port}"}


def json_lines(stack: Stack, server: str) -> List[dict]:
    lines = []
    for line in (stack.workdir / f"{server}.log").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def portal_session(stack: Stack, login: str = "marie.dupont") -> requests.Session:
    web = base_urls(stack)["web"]
    http = requests.Session()
    page = http.get(f"{web}/", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    signed_in = http.post(f"{web}/connexion", data={"login": login, "password": "demo-portail", "csrf": csrf},
                          timeout=10, allow_redirects=False)
    assert signed_in.status_code == 302
    home = http.get(f"{web}/", timeout=10).text
    http.headers["X-CSRF-Token"] = re.search(r'<meta name="csrf" content="([^"]+)"', home).group(1)
    return http


def test_one_message_has_one_request_id_in_the_lines_of_every_server(stack):
    http = portal_session(stack)
    web = base_urls(stack)["web"]
    http.post(f"{web}/chat/ouvrir", timeout=30)
    answer = http.post(f"{web}/chat/messages", json={"message": MESSAGE}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() and all(reply.get("text") or reply.get("buttons") for reply in answer.json())
    request_id = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    def lines_of(server: str) -> List[dict]:
        return [line for line in json_lines(stack, server) if line.get("request_id") == request_id]

    found = {server: wait_for(lambda server=server: lines_of(server), timeout=10) for server in ("web", "rasa", "actions")}
    requests_logged = {server: [line for line in lines if line["message"] == "request"] for server, lines in found.items()}
    assert [(line["method"], line["path"]) for line in requests_logged["web"]] == [("POST", "/chat/messages")]
    assert ("POST", "/webhooks/connected/webhook") in [(line["method"], line["path"]) for line in requests_logged["rasa"]]
    assert {(line["method"], line["path"]) for line in requests_logged["actions"]} == {("POST", "/webhook")}
    conversation = {line["conversation"] for lines in found.values() for line in lines}
    assert len(conversation) == 1 and None not in conversation  # the portal's conversation, in every server
    for server, lines in found.items():
        for line in lines:
            assert {"ts", "level", "server", "pid", "logger", "message", "request_id", "conversation"} <= set(line)
            assert line["server"] == server
    # Nothing personal or secret in any line of any server.
    everything = "".join((stack.workdir / f"{server}.log").read_text(encoding="utf-8", errors="replace")
                         for server in ("web", "rasa", "actions"))
    session_cookie = http.cookies.get("claudia_portail")
    for secret in (MESSAGE, "demo-portail", session_cookie, "Bearer ", "eyJ"):
        assert secret not in everything


def test_a_sane_incoming_request_id_is_kept_and_an_insane_one_replaced(stack):
    http = portal_session(stack)
    web = base_urls(stack)["web"]
    kept = http.post(f"{web}/chat/ouvrir", headers={"X-Request-ID": "proxy-7f3a-0001"}, timeout=30)
    assert kept.headers["X-Request-ID"] == "proxy-7f3a-0001"
    wait_for(lambda: [line for line in json_lines(stack, "rasa") if line.get("request_id") == "proxy-7f3a-0001"])
    for insane in ("x" * 200, "short", "a b c d e f g h", '{"json": 1}'):
        replaced = http.post(f"{web}/chat/ouvrir", headers={"X-Request-ID": insane}, timeout=30)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def probe(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def test_every_server_answers_live_and_ready_without_a_secret(stack):
    expected_checks = {"rasa": {"model", "database", "tracker_store", "lock_store", "action_server"},
                       "actions": {"database", "sirene"}, "web": {"database", "tracker_store"}}
    for server, base in base_urls(stack).items():
        live = probe(f"{base}/health/live")
        assert live.status_code == 200 and live.json()["status"] == "alive" and live.json()["server"] == server
        ready = wait_for(lambda base=base: (lambda r: r if r.status_code == 200 else None)(probe(f"{base}/health/ready")),
                         timeout=30)
        body = ready.json()
        assert body["status"] == "ready" and body["server"] == server
        assert set(body["checks"]) == expected_checks[server]
        assert all(check["ok"] for check in body["checks"].values())


def readiness(url: str) -> tuple:
    answer = probe(url)
    return answer.status_code, {name for name, check in answer.json()["checks"].items() if not check["ok"]}


def test_ready_is_503_while_the_database_file_is_gone_and_200_when_it_is_back(stack):
    urls = {server: f"{base}/health/ready" for server, base in base_urls(stack).items()}
    database = stack.workdir / "claudia.db"
    away = stack.workdir / "claudia.db.away"
    os.rename(database, away)
    try:
        for server, url in urls.items():
            wait_for(lambda url=url: readiness(url) == (503, {"database"}), timeout=20)
        # Liveness says nothing of it: the supervisor must not restart a server for that.
        assert all(probe(f"{base}/health/live").status_code == 200 for base in base_urls(stack).values())
    finally:
        os.rename(away, database)
    for url in urls.values():
        wait_for(lambda url=url: readiness(url) == (200, set()), timeout=20)


def test_ready_is_503_while_sirene_is_unreachable_and_200_when_it_is_back(stack):
    actions = f"{base_urls(stack)['actions']}/health/ready"
    rasa = f"{base_urls(stack)['rasa']}/health/ready"
    port = urlparse(stack.insee.url).port
    wait_for(lambda: readiness(actions) == (200, set()), timeout=30)
    stack.insee.stop()
    try:
        wait_for(lambda: readiness(actions) == (503, {"sirene"}), timeout=40)
        # The Rasa server stays in the load balancer: the actions answer a SIRENE outage in French.
        assert readiness(rasa) == (200, set())
    finally:
        stack.insee = insee_from_demo_extract("e2e-key", port=port)
    wait_for(lambda: readiness(actions) == (200, set()), timeout=40)


def test_what_an_action_logs_in_its_thread_carries_the_request_id(stack):
    """An action runs in a thread of the action server (serving/action_threads.py): its own lines
    (here, SIRENE failing during the structure's check) still name the message's request id."""
    http = portal_session(stack)
    web = base_urls(stack)["web"]
    http.post(f"{web}/chat/nouvelle", timeout=30)
    http.post(f"{web}/chat/ouvrir", timeout=30)
    stack.insee.fail_next(status=500)
    answer = http.post(f"{web}/chat/messages", json={"message": "je veux activer la mairie 219 300 019 00011"},
                       timeout=60)
    assert answer.status_code == 200
    request_id = answer.headers["X-Request-ID"]
    warned = wait_for(lambda: [line for line in json_lines(stack, "actions")
                               if line.get("request_id") == request_id and line["level"] == "WARNING"], timeout=10)
    assert warned[0]["logger"] == "actions.procedure_form" and "SIRENE unavailable" in warned[0]["message"]
    assert warned[0]["conversation"] and warned[0]["conversation"].startswith("portail-")


def test_a_caller_cannot_put_another_conversation_in_the_channel_lines(stack):
    """The conversation logged is the one the request acts on, whatever header a caller adds."""
    answer = requests.post(stack.webhook, json={"sender": "logs-own-conversation", "message": "bonjour"},
                           headers={"X-Claudia-Conversation": "someone-else", "X-Request-ID": "forged-conv-0001"},
                           timeout=60)
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "forged-conv-0001"
    lines = wait_for(lambda: [line for line in json_lines(stack, "rasa") if line.get("request_id") == "forged-conv-0001"])
    assert {line["conversation"] for line in lines} == {"logs-own-conversation"}
