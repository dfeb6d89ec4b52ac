"""What the review pages share: app keys, the Jinja2 environment, flashes, safe redirects."""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import quote, urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web

from claudia.accounts import REVIEWER
from claudia.review_fold import OUTCOMES
from web.console import role_required
from web.review import Review

TEMPLATES = Path(__file__).parent / "templates" / "review"
REVIEW = web.AppKey("review", Review)
INTENTS = web.AppKey("intents", list)
FLASHES = web.AppKey("review_flashes", OrderedDict)
# The review pages' own environment: works whether or not the console set one up too.
TEMPLATE_ENV = web.AppKey("review_templates", jinja2.Environment)
PREFIX = "/console/revue/"
reviewer_required = role_required(REVIEWER)

OUTCOME_LABELS = {"effectuee": "effectuée", "refusee": "refusée", "abandonnee": "abandonnée",
                  "transferee": "transférée à un conseiller", "sans_procedure": "sans procédure"}
OUTCOME_OPTIONS = [(o, OUTCOME_LABELS[o]) for o in OUTCOMES]


def _confidence(value: Optional[float]) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "—"


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(app, app_key=TEMPLATE_ENV, loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                               autoescape=True, undefined=jinja2.StrictUndefined, default_helpers=False)
    env.filters.update({
        "conf": _confidence,
        "path": lambda value: quote(str(value), safe=""),
        "pair": lambda value: (value, value),
        "confidence_pair": lambda item: (item["intent"], item["confidence"]),
    })


def render(request: web.Request, template: str, title: str, status: int = 200, **context: Any) -> web.Response:
    flash, failed = pop_flash(request)
    context.update(user=request["user"], title=title, flash="" if failed else flash,
                   error=flash if failed else context.get("error", ""), active=context.get("active", ""))
    response = aiohttp_jinja2.render_template(template, request, context, app_key=TEMPLATE_ENV, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def query_dict(request: web.Request, *drop: str) -> Dict[str, str]:
    return {k: v for k, v in request.query.items() if k not in drop and k not in ("flash",)}


def encode(query: Mapping[str, Any]) -> str:
    return urlencode({k: v for k, v in query.items() if v not in (None, "")})


# -- flashes: the outcome of a form, shown once on the page it returns to -----------------------------
def add_flash(request: web.Request, text: str, error: bool = False) -> str:
    flashes = request.app[FLASHES]
    token = secrets.token_urlsafe(8)
    flashes[token] = (time.monotonic(), request["user"].login, text, error)
    while len(flashes) > 500:
        flashes.popitem(last=False)
    return token


def pop_flash(request: web.Request) -> Tuple[str, bool]:
    """The flash's text, and whether it reports a refusal (shown as an alert)."""
    entry = request.app[FLASHES].pop(request.query.get("flash", ""), None)
    if entry and entry[1] == request["user"].login and time.monotonic() - entry[0] < 300:
        return entry[2], entry[3]
    return "", False


def back_to(request: web.Request, target: str, text: str = "", error: bool = False) -> web.HTTPFound:
    """Back where the form was (same filters, same page, same row), with the flash."""
    if not target.startswith(PREFIX) or "//" in target or "\\" in target or any(ord(c) < 32 for c in target):
        target = PREFIX
    path, _, anchor = target.partition("#")
    if text:
        path += ("&" if "?" in path else "?") + "flash=" + add_flash(request, text, error)
    return web.HTTPFound(path + (f"#{anchor}" if anchor else ""))


def conversation_path(cid: str) -> str:
    return f"/console/revue/conversations/{quote(cid, safe='')}"
