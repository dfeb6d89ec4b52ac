"""What serving/rasa_observability.py changes in Rasa: its structlog events keep no text, and its
calls to an endpoint (the action server) carry the request id and conversation."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import structlog
from rasa.utils.endpoints import EndpointConfig

from claudia import log_format
from serving import rasa_observability


def test_structlog_events_keep_their_name_and_numbers_not_their_texts():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    try:
        log_format.configure("rasa", fmt="json", stream=buffer)
        rasa_observability.configure_structlog()
        structlog.get_logger().warning("processor.message.received", text="mon mot de passe est hunter2",
                                       user_text="Marie Dupont", confidence=0.93, turns=4)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        structlog.reset_defaults()
    [line] = [json.loads(text) for text in buffer.getvalue().splitlines()]
    assert line["message"] == "processor.message.received" and line["level"] == "WARNING"
    assert line["rasa_confidence"] == 0.93 and line["rasa_turns"] == 4
    assert "hunter2" not in buffer.getvalue() and "Marie" not in buffer.getvalue()


def test_a_call_to_the_action_endpoint_carries_the_request_id_and_conversation():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append(dict(self.headers))
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"events": [], "responses": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    original = EndpointConfig.request
    try:
        EndpointConfig.request = rasa_observability._with_ids(original)
        endpoint = EndpointConfig(f"http://127.0.0.1:{server.server_address[1]}/webhook",
                                  headers={"X-Claudia-Actions-Token": "secret"})

        async def one_turn():
            log_format.start("request-0123456789", "conversation-7")
            return await endpoint.request(json={"next_action": "x"}, method="post")

        assert asyncio.run(one_turn()) == {"events": [], "responses": []}
        asyncio.run(endpoint.request(json={}, method="post"))  # outside any request: no ids
    finally:
        EndpointConfig.request = original
        server.shutdown()
        server.server_close()
    assert seen[0]["X-Request-ID"] == "request-0123456789"
    assert seen[0]["X-Claudia-Conversation"] == "conversation-7"
    assert seen[0]["X-Claudia-Actions-Token"] == "secret"
    assert "X-Request-ID" not in seen[1]
