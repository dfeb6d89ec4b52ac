"""One log format for every ClaudIA process, and the request id that follows a message.

Each server (`rasa` with its workers, `actions`, `web`, `purge`) calls `configure(server)` once
at start-up. Every line then says: `ts` (UTC, ISO 8601, milliseconds), `level`, `server`, `pid`,
`logger`, `message`, and, when known, `request_id` and `conversation` (plus the `extra={...}`
fields a call gave, and `exc` for a traceback). Two renderings of the same fields:

- `json`: one JSON object per line, for var/log/ and any log collector;
- `text`: `HH:MM:SS LEVEL server logger [request conversation] message key=value`, for a person.

CLAUDIA_LOG_FORMAT=json|text chooses; unset, it is `text` when standard error is a terminal and
`json` otherwise (supervisord writes each server's output to var/log/<server>.log, so `make run`
logs JSON there while its terminal keeps supervisord's readable lines). CLAUDIA_LOG_LEVEL (INFO).

The request id: the first server a message reaches takes the caller's `X-Request-ID` when it is
a sane one (`accept_request_id`: 8 to 64 letters, digits or `._:-`) or makes one, binds it with
`bind()` (a context variable: it follows the message through `await` and into copied contexts)
and sends it on in the same header; the conversation id travels beside it in
`X-Claudia-Conversation` between our own servers. Nothing here logs a message's text, a token or
a password; where text that may hold personal data must be told apart, log `short_hash(text)`.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import re
import sys
import time
import uuid
from typing import Any, Dict, Optional

REQUEST_ID_HEADER = "X-Request-ID"
CONVERSATION_HEADER = "X-Claudia-Conversation"
FORMAT_ENV = "CLAUDIA_LOG_FORMAT"
LEVEL_ENV = "CLAUDIA_LOG_LEVEL"

request_id_var: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("claudia_request_id", default=None)
conversation_var: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("claudia_conversation",
                                                                                default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
_SANE_CONVERSATION = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
# The attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_OWN = ("server", "request_id", "conversation")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: Optional[str]) -> str:
    """The caller's request id if it is a sane one, else a new one (never an unbounded string)."""
    if isinstance(value, str) and _SANE_ID.fullmatch(value):
        return value
    return new_request_id()


def sane_conversation(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and _SANE_CONVERSATION.fullmatch(value) else None


def short_hash(text: str) -> str:
    """12 hex digits of SHA-256: tells two texts apart in the logs without showing them."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def bind(request_id: Optional[str] = None, conversation: Optional[str] = None) -> None:
    """Sets the request id and/or conversation of what the current task (or thread) does now."""
    if request_id is not None:
        request_id_var.set(request_id)
    if conversation is not None:
        conversation_var.set(sane_conversation(conversation))


def start(request_id: str, conversation: Optional[str] = None) -> None:
    """What a server does first with each request it handles: both values replaced (a task may
    handle several requests in turn, as Sanic does on a kept-alive connection)."""
    request_id_var.set(request_id)
    conversation_var.set(sane_conversation(conversation))


def outgoing_headers() -> Dict[str, str]:
    """Headers that carry the current request id and conversation to the next server."""
    headers = {}
    request_id, conversation = request_id_var.get(), conversation_var.get()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    if conversation:
        headers[CONVERSATION_HEADER] = conversation
    return headers


class _Fields(logging.Filter):
    """Puts the server's name and the current request id / conversation on every record."""

    def __init__(self, server: str):
        super().__init__()
        self.server = server

    def filter(self, record: logging.LogRecord) -> bool:
        record.server = self.server
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "conversation", None) is None:
            record.conversation = conversation_var.get()
        return True


def _extras(record: logging.LogRecord) -> Dict[str, Any]:
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and key not in _OWN and not key.startswith("_")}


def _utc(record: logging.LogRecord, fmt: str) -> str:
    return time.strftime(fmt, time.gmtime(record.created)) + f".{int(record.msecs):03d}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: Dict[str, Any] = {
            "ts": _utc(record, "%Y-%m-%dT%H:%M:%S") + "Z",
            "level": record.levelname,
            "server": getattr(record, "server", None),
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "conversation": getattr(record, "conversation", None),
        }
        for key, value in _extras(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["exc"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(value for value in (getattr(record, "request_id", None), getattr(record, "conversation", None))
                       if value)
        extras = " ".join(f"{key}={json.dumps(value, ensure_ascii=False, default=str)}"
                          for key, value in _extras(record).items())
        text = (f"{_utc(record, '%H:%M:%S')} {record.levelname:<7} {getattr(record, 'server', '-')}"
                f" {record.name}{f' [{ids}]' if ids else ''} {record.getMessage()}{' ' + extras if extras else ''}")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def chosen_format(environ=os.environ, stream=None) -> str:
    wanted = (environ.get(FORMAT_ENV) or "").strip().lower()
    if wanted in ("json", "text"):
        return wanted
    stream = stream or sys.stderr
    return "text" if getattr(stream, "isatty", lambda: False)() else "json"


# Libraries that install handlers of their own: their lines go through ours instead.
LIBRARY_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "aiohttp.access", "aiohttp.server",
                   "aiohttp.web", "rasa_sdk", "rasa")


def route_library_loggers() -> None:
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        for handler in list(library.handlers):
            library.removeHandler(handler)
        library.propagate = True


def configure(server: str, fmt: Optional[str] = None, level: Optional[str] = None, stream=None) -> logging.Handler:
    """Every record of this process, from any logger, goes out in ClaudIA's format on `stream`
    (standard error by default), with `server` as its server's name."""
    stream = stream or sys.stderr
    fmt = fmt or chosen_format(stream=stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Fields(server))
    root = logging.getLogger()
    if type(root) is not logging.RootLogger:
        # numpy.distutils.log (imported by some of Rasa's libraries) turns the root logger into a
        # logger of its own that prints bare messages, whatever the handlers: undone.
        root.__class__ = logging.RootLogger
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or os.environ.get(LEVEL_ENV) or "INFO").upper())
    route_library_loggers()
    logging.captureWarnings(True)
    return handler


def as_text(line: str) -> str:
    """One JSON log line read back as the `text` rendering (other lines are given back as they are)."""
    try:
        fields = json.loads(line)
    except ValueError:
        return line.rstrip("\n")
    if not isinstance(fields, dict) or "message" not in fields:
        return line.rstrip("\n")
    ids = " ".join(str(fields.pop(key)) for key in ("request_id", "conversation") if fields.get(key))
    head = [str(fields.pop(key, "") or "")[11:].rstrip("Z") if key == "ts" else str(fields.pop(key, "") or "")
            for key in ("ts", "level", "server", "logger")]
    message, exc = fields.pop("message"), fields.pop("exc", None)
    fields.pop("request_id", None), fields.pop("conversation", None), fields.pop("pid", None)
    extras = " ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())
    text = (f"{head[0]} {head[1]:<7} {head[2]} {head[3]}{f' [{ids}]' if ids else ''} {message}"
            f"{' ' + extras if extras else ''}")
    return text + ("\n" + exc if exc else "")


def main() -> None:
    """`tail -f var/log/rasa.log | python -m claudia.log_format`: JSON lines shown as text."""
    for line in sys.stdin:
        print(as_text(line), flush=True)


if __name__ == "__main__":
    main()
