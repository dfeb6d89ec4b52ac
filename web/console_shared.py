"""What the console's parts share: the sign-in check, page rendering, its app keys (canned
replies among them), and reading what a request carries (forms, numbers) strictly.

The console's modules (console.py, console_inbox.py, console_api.py, console_tickets.py,
console_errors.py) import this one and never one another's handlers: they stand side by
side. A request refused here raises an HTTP error whose French explanation the error
pages show (web/console_errors.py).
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Type
from urllib.parse import parse_qsl

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from claudia import params, services
from claudia.accounts import OPERATOR as OPERATOR_ROLE
from claudia.accounts import Accounts
from claudia.throttle import LoginThrottle
from claudia.user_side import UserSide

TEMPLATES = Path(__file__).parent / "templates"
CANNED = web.AppKey("canned_replies", list)
ACCOUNTS = web.AppKey("accounts", Accounts)
SECURE_COOKIES = web.AppKey("secure_cookies", bool)
THROTTLE = web.AppKey("console_login_throttle", LoginThrottle)
SESSION_COOKIE = "claudia_console"
LOGIN_CSRF_COOKIE = "claudia_login_csrf"
API_PREFIX = "/console/api/"
REFUSAL = "console_refusal"  # the request's key for the French title and reason of a refusal
FORM = "console_form"
MAX_ROW_ID = 2 ** 31 - 1  # the handoffs' ids are INTEGER columns (PostgreSQL's int4)
MAX_PAGE = 100_000


def refuse(request: web.Request, error: Type[web.HTTPException], text: str, title: str = "") -> web.HTTPException:
    """An HTTP error to raise, with the French sentence (and title) its page or JSON answer shows."""
    request[REFUSAL] = {"text": text, "title": title}
    return error()


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    """A page from web/templates (autoescaped), with the signed-in account if any and, for an
    operator, how many messages wait for an answer (shown in the title)."""
    context.setdefault("user", request.get("user"))
    user = context["user"]
    if user is not None and user.role == OPERATOR_ROLE:
        context.setdefault("unanswered", services.tickets().counts()["open"])
    response = aiohttp_jinja2.render_template(template, request, context)
    response.set_status(status)
    return response


def signed_in(request: web.Request):
    return request.app[ACCOUNTS].user_for(request.cookies.get(SESSION_COOKIE))


async def read_form(request: web.Request) -> MultiDictProxy:
    """The posted form (application/x-www-form-urlencoded), decoded as strict UTF-8: a byte or a
    %-escape that is not UTF-8 is refused (400) rather than stored as « � »; multipart forms as
    aiohttp reads them; other bodies (JSON): no form.
    (web/bad_input.py refuses raw bytes earlier too; aiohttp would read a %-escape as « � ».)"""
    if FORM not in request:
        fields: MultiDict = MultiDict()
        if request.method == "POST" and request.content_type in ("", "application/x-www-form-urlencoded"):
            body = await request.read()
            try:
                # The body's size is bounded by the application (client_max_size), not the fields' count:
                # the review's bulk forms post one field per message ticked.
                fields.extend(parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                                        errors="strict"))
            except ValueError:  # UnicodeDecodeError included
                raise refuse(request, web.HTTPBadRequest, params.UNREADABLE_FORM)
        elif request.method == "POST" and request.content_type == "multipart/form-data":
            try:  # aiohttp decodes each text field strictly
                fields.extend(await request.post())
            except (ValueError, LookupError):
                raise refuse(request, web.HTTPBadRequest, params.UNREADABLE_FORM)
        request[FORM] = MultiDictProxy(fields)
    return request[FORM]


def number(request: web.Request, raw: str, label: str, highest: int = MAX_ROW_ID) -> int:
    """A whole number from 1 to `highest` in ASCII digits (claudia/params.py); otherwise a French 400."""
    try:
        return params.whole_number(raw, label, lowest=1, highest=highest, required=True)
    except params.BadParameter as error:
        raise refuse(request, web.HTTPBadRequest, str(error))


def item_id(request: web.Request, key: str) -> int:
    """The chat's or the message's number in the path."""
    return number(request, request.match_info[key],
                  "numéro de discussion" if key == "handoff_id" else "numéro de message")


def page_number(request: web.Request, parameter: str) -> int:
    """A page number from the query string (1 when absent)."""
    raw = request.query.get(parameter)
    return 1 if raw is None else number(request, raw, "numéro de page", MAX_PAGE)


def role_required(role: str):
    """Signed-in account with `role`; for POST, also the session's CSRF token (header or form)."""

    def decorate(handler):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            user = signed_in(request)
            is_api = request.path.startswith(API_PREFIX)
            if user is None or user.role != role:
                if is_api:
                    return web.json_response({"erreur": "Connexion requise : reconnectez-vous à la console."},
                                             status=401 if user is None else 403)
                if user is not None:
                    request["user"] = user
                    raise refuse(request, web.HTTPForbidden, "Cette page n'est pas accessible avec votre rôle.")
                raise web.HTTPFound("/console/login")
            request["user"] = user
            if request.method == "POST":
                sent = request.headers.get("X-CSRF-Token")
                if sent is None:
                    sent = (await read_form(request)).get("csrf")
                if not sent or not secrets.compare_digest(str(sent), user.csrf_token):
                    if is_api:
                        return web.json_response({"erreur": "Jeton de sécurité invalide : rechargez la page."},
                                                 status=403)
                    raise refuse(request, web.HTTPForbidden, "Rien n'a été enregistré : rechargez la page, "
                                 "puis recommencez.", title="Page expirée")
            return await handler(request)

        return wrapped

    return decorate


operator_required = role_required(OPERATOR_ROLE)


def with_presence(chats: list) -> list:
    """Chats with whether their user is still there and how long the first answer took."""
    ids = [c["id"] for c in chats]
    presence = services.waiting_room().presence(ids)
    user_side = UserSide(services.handoffs().db).of(ids)  # signed out, ended by the user
    for chat in chats:
        chat.update(presence.get(chat["id"], {}))
        chat.update(user_side.get(chat["id"], {"user_signed_out": False, "user_ended": None}))
    return chats
