"""A stand-in for the Chorus Pro portal: sign in as a demo manager, chat with ClaudIA.

The chat page talks only to this server (same origin). This server signs a
short-lived token for the session's user and forwards each message to the
assistant's authenticated channel with the session's conversation id: the
browser never sees the signing secret, and neither a conversation id nor
metadata it could send would be used.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from pathlib import Path
from typing import Optional

import aiohttp
import aiohttp_jinja2
from aiohttp import web

from claudia import log_format, params, services
from claudia.identity import issue_token
from claudia.throttle import LoginThrottle
from web import bad_input
from web.security import form_token_ok, throttled_sign_in
from web.portal_sessions import Manager, PortalSessions
from web.rasa_client import RasaAddress, rasa_address

STATIC = Path(__file__).parent / "static" / "portal"
SESSION_COOKIE = "claudia_portail"
LOGIN_CSRF_COOKIE = "claudia_portail_csrf"
SESSIONS = web.AppKey("portal_sessions", PortalSessions)
CHANNEL_URL = web.AppKey("channel_url", str)
RASA_ADDRESS = web.AppKey("rasa_address", RasaAddress)
DEMO_PASSWORD = web.AppKey("demo_password", str)
SECURE_COOKIES = web.AppKey("portal_secure_cookies", bool)
THROTTLE = web.AppKey("portal_login_throttle", LoginThrottle)
CHAT_TIMEOUT = web.AppKey("chat_timeout", float)
TOKEN_TTL_SECONDS = 300
ASSISTANT_INDISPONIBLE = ("ClaudIA est momentanément indisponible. Votre message n'a pas pu être traité : "
                          "réessayez dans quelques instants.")
# A timeout: the message reached the assistant, which is slow; it will be answered (the chat
# sends it again with its client id and gets that answer, never a second one): no « réessayez ».
ASSISTANT_LENT = ("ClaudIA met trop de temps à répondre : votre message est bien reçu, sa réponse "
                  "s'affichera ici dès qu'elle sera prête.")
logger = logging.getLogger(__name__)


def _render(request: web.Request, template: str, **context) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context)


def _manager(request: web.Request) -> Optional[Manager]:
    return request.app[SESSIONS].manager_for(request.cookies.get(SESSION_COOKIE))


async def home(request: web.Request) -> web.Response:
    manager = _manager(request)
    if manager is None:
        return sign_in_page(request)
    return _render(request, "portal/home.html", title="Espace gestionnaire", manager=manager)


def sign_in_page(request: web.Request, error: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    response = _render(request, "portal/sign_in.html", title="Connexion", error=error, csrf=token,
                       managers=request.app[SESSIONS].managers())
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/")
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not form_token_ok(request, form, LOGIN_CSRF_COOKIE):
        return sign_in_page(request, "La page a expiré, merci de réessayer.")
    login, password = str(form.get("login", ""))[:128], str(form.get("password", "")).encode()

    def check() -> Optional[str]:
        if not secrets.compare_digest(password, request.app[DEMO_PASSWORD].encode()):
            return None
        return request.app[SESSIONS].sign_in(login)

    token, too_early = await throttled_sign_in(request, request.app[THROTTLE], login, check)
    if token is None:
        refused = sign_in_page(request, too_early or "Compte ou mot de passe incorrect.")
        refused.set_status(429 if too_early else 200)
        return refused
    response = web.HTTPFound("/")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SECURE_COOKIES])
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


def _checked(request: web.Request, sent: Optional[str]) -> Manager:
    manager = _manager(request)
    if manager is None:
        raise web.HTTPUnauthorized(text='{"erreur": "session expirée"}', content_type="application/json")
    if not sent or not secrets.compare_digest(sent, manager.csrf_token):
        raise web.HTTPForbidden(text='{"erreur": "jeton CSRF invalide"}', content_type="application/json")
    return manager


async def sign_out(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    _checked(request, str(form.get("csrf", "")))
    request.app[SESSIONS].sign_out(request.cookies.get(SESSION_COOKIE))
    response = web.HTTPFound("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def _bearer(manager: Manager) -> dict:
    token = issue_token(manager.login, services.settings().jwt_secret, TOKEN_TTL_SECONDS,
                        services.settings().jwt_audience)
    return {"Authorization": f"Bearer {token}"}


async def _relay(request: web.Request, method: str, path: str, manager: Optional[Manager] = None,
                 **kwargs) -> web.Response:
    """Calls the assistant's channel for the session's user and conversation.

    Bounded by CHAT_TIMEOUT so a slow or stopped assistant gets a French answer well
    within the chat's 10 seconds; the portal itself keeps running either way."""
    manager = manager or _checked(request, request.headers.get("X-CSRF-Token"))
    log_format.bind(conversation=manager.conversation_id)  # in this request's log lines, and sent on
    timeout = aiohttp.ClientTimeout(total=request.app[CHAT_TIMEOUT])
    if method == "GET":
        kwargs.setdefault("params", {})["sender"] = manager.conversation_id
    else:
        kwargs["json"] = {**kwargs.get("json", {}), "sender": manager.conversation_id}
    try:
        async with request.app[RASA_ADDRESS].session(timeout) as http:
            headers = {**_bearer(manager), **log_format.outgoing_headers()}  # the request id goes on
            async with http.request(method, f"{request.app[CHANNEL_URL]}{path}", headers=headers,
                                    **kwargs) as answer:
                data = await answer.json()
                if isinstance(data, dict) and path in ("/history", "/updates"):
                    # Which conversation this is: the chat reloads when another browser started a new one.
                    data["conversation"] = hashlib.sha256(manager.conversation_id.encode()).hexdigest()[:16]
                return web.json_response(data, status=answer.status)
    except asyncio.TimeoutError:
        logger.warning("the assistant did not answer %s within %ss", path, request.app[CHAT_TIMEOUT])
        return web.json_response({"erreur": ASSISTANT_LENT}, status=504)
    except (aiohttp.ClientError, ValueError):
        logger.warning("the assistant is unreachable (%s)", path)
        return web.json_response({"erreur": ASSISTANT_INDISPONIBLE}, status=503)


async def chat_send(request: web.Request) -> web.Response:
    manager = _checked(request, request.headers.get("X-CSRF-Token"))
    try:
        body = await request.json()
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return web.json_response({"erreur": "message manquant"}, status=400)
    # Only the message (and the chat's id for it) is forwarded; the conversation and the identity
    # are the session's.
    forwarded = {"message": message}
    client_id = body.get("client_id")
    if isinstance(client_id, str) and len(client_id) <= 64:
        forwarded["client_id"] = client_id
    return await _relay(request, "POST", "/webhook", manager, json=forwarded)


async def chat_open(request: web.Request) -> web.Response:
    """The conversation so far (the assistant greets a new one)."""
    return await _relay(request, "POST", "/history")


async def chat_updates(request: web.Request) -> web.Response:
    after = params.whole_number(request.query.get("after"), "after", default=0)  # a French 400 otherwise
    return await _relay(request, "GET", "/updates", params={"after": str(after)})


async def chat_left(request: web.Request) -> web.Response:
    """The page is being closed: an operator waiting on this user is told."""
    return await _relay(request, "POST", "/left")


async def chat_end(request: web.Request) -> web.Response:
    """« Terminer la discussion »: the user ends their live chat; the operator is told."""
    return await _relay(request, "POST", "/end")


async def chat_new(request: web.Request) -> web.Response:
    """« Nouvelle conversation »: for every session of the account; a live chat still open ends."""
    _checked(request, request.headers.get("X-CSRF-Token"))
    ended = request.app[SESSIONS].new_conversation(request.cookies.get(SESSION_COOKIE))
    return web.json_response({"ok": True, "live_chat_ended": ended is not None})


def add_portal(app: web.Application, rasa_url: str, demo_password: str, secure_cookies: bool = False,
               chat_timeout: float = 8.0) -> None:
    bad_input.install(app)  # invalid UTF-8 in /connexion's form, bad numbers: a French 400
    app[SESSIONS] = PortalSessions(services.handoffs().db)
    app[SECURE_COOKIES] = secure_cookies
    app[RASA_ADDRESS] = rasa_address(rasa_url)  # a port, or the proxy's private socket (web/rasa_client.py)
    app[CHANNEL_URL] = app[RASA_ADDRESS].base_url + "/webhooks/connected"
    app[DEMO_PASSWORD] = demo_password
    app[THROTTLE] = LoginThrottle.for_settings(services.settings(), scope="portail")
    app.router.add_get("/", home)
    app.router.add_post("/connexion", sign_in)
    app.router.add_post("/deconnexion", sign_out)
    app[CHAT_TIMEOUT] = chat_timeout
    app.router.add_post("/chat/messages", chat_send)
    app.router.add_post("/chat/ouvrir", chat_open)
    app.router.add_post("/chat/quitter", chat_left)
    app.router.add_get("/chat/updates", chat_updates)
    app.router.add_post("/chat/nouvelle", chat_new)
    app.router.add_post("/chat/terminer", chat_end)
    app.router.add_static("/static", STATIC)
