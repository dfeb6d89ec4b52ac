"""ClaudIA's log lines (claudia/log_format.py): the fields, the two renderings, the request ids."""
from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from claudia import log_format


@pytest.fixture
def output():
    """The root logger writing to a buffer for the test, restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    log_format.request_id_var.set(None)
    log_format.conversation_var.set(None)


def lines(buffer: io.StringIO) -> list:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_json_line_has_every_field_and_the_extras(output):
    log_format.configure("actions", fmt="json", stream=output)
    log_format.start("req-0123456789", "conversation-1")
    logging.getLogger("claudia.test").info("pass %s", 2, extra={"purged": {"evaluations": 1}})
    [line] = lines(output)
    assert line["level"] == "INFO" and line["server"] == "actions" and line["logger"] == "claudia.test"
    assert line["message"] == "pass 2" and line["request_id"] == "req-0123456789"
    assert line["conversation"] == "conversation-1" and line["purged"] == {"evaluations": 1}
    assert line["ts"].endswith("Z") and len(line["ts"]) == len("2026-01-01T00:00:00.000Z")
    assert isinstance(line["pid"], int)


def test_an_exception_is_one_json_line_with_its_traceback(output):
    log_format.configure("rasa", fmt="json", stream=output)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("failed")
    [line] = lines(output)
    assert line["level"] == "ERROR" and "ValueError: boom" in line["exc"]


def test_the_text_rendering_is_one_readable_line(output):
    log_format.configure("web", fmt="text", stream=output)
    log_format.start("req-0123456789", "conversation-1")
    logging.getLogger("claudia.requests").info("request", extra={"status": 200})
    text = output.getvalue().strip()
    assert "INFO" in text and " web claudia.requests [req-0123456789 conversation-1] request status=200" in text
    assert not text.startswith("{")


def test_the_format_follows_the_setting_then_the_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert log_format.chosen_format({"CLAUDIA_LOG_FORMAT": "json"}, Terminal()) == "json"
    assert log_format.chosen_format({"CLAUDIA_LOG_FORMAT": "text"}, io.StringIO()) == "text"
    assert log_format.chosen_format({}, Terminal()) == "text"
    assert log_format.chosen_format({}, io.StringIO()) == "json"  # supervisord's log files


@pytest.mark.parametrize("sent", ["proxy-7f3a-0001", "0123456789abcdef0123456789abcdef", "a.b:c-d.e9"])
def test_a_sane_request_id_is_kept(sent):
    assert log_format.accept_request_id(sent) == sent


@pytest.mark.parametrize("sent", [None, "", "short", "x" * 65, "a b c d e f", '{"json":1}', "é" * 10,
                                  "-leading-dash", "line\nbreak-0000"])
def test_anything_else_gets_a_new_request_id(sent):
    made = log_format.accept_request_id(sent)
    assert made != sent and len(made) == 32 and int(made, 16) >= 0


def test_a_conversation_id_that_is_not_one_is_not_logged(output):
    log_format.start("req-0123456789", "a conversation\nwith a break")
    assert log_format.conversation_var.get() is None
    log_format.start("req-0123456789", "portail-abc:1@x")
    assert log_format.outgoing_headers() == {"X-Request-ID": "req-0123456789",
                                             "X-Claudia-Conversation": "portail-abc:1@x"}


def test_each_task_keeps_its_own_request_id(output):
    log_format.configure("rasa", fmt="json", stream=output)

    async def handle(request_id: str) -> None:
        log_format.start(request_id)
        await asyncio.sleep(0.01)
        logging.getLogger("t").info("done")

    async def both() -> None:
        await asyncio.gather(handle("request-aaaaaaaa"), handle("request-bbbbbbbb"))

    asyncio.run(both())
    assert sorted(line["request_id"] for line in lines(output)) == ["request-aaaaaaaa", "request-bbbbbbbb"]


def test_a_short_hash_tells_texts_apart_without_showing_them():
    assert log_format.short_hash("bonjour") == log_format.short_hash("bonjour")
    assert log_format.short_hash("bonjour") != log_format.short_hash("Bonjour")
    assert len(log_format.short_hash("x")) == 12 and "bonjour" not in log_format.short_hash("bonjour")


def test_a_root_logger_changed_by_numpy_distutils_is_given_back(output):
    root = logging.getLogger()

    class Bare(logging.RootLogger):
        def _log(self, level, msg, args, **kwargs):
            print(msg)

    root.__class__ = Bare
    try:
        log_format.configure("rasa", fmt="json", stream=output)
        root.info("through the handlers")
    finally:
        root.__class__ = logging.RootLogger
    assert lines(output)[0]["message"] == "through the handlers"


def test_json_lines_read_back_as_text(output):
    log_format.configure("rasa", fmt="json", stream=output)
    log_format.start("req-0123456789", "conversation-1")
    logging.getLogger("claudia.requests").info("request", extra={"status": 200})
    shown = log_format.as_text(output.getvalue().splitlines()[0])
    assert shown.endswith(" INFO    rasa claudia.requests [req-0123456789 conversation-1] request status=200")
    assert log_format.as_text("Starting worker\n") == "Starting worker"
