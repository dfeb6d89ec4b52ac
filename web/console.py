"""The support operators' console: sign-in, the chat page, and the application's assembly.

Served under /console by the web front (`python -m web`). Pages are rendered on the
server with every value escaped; a small script refreshes the lists and transcripts.
Every state-changing route needs a signed-in operator and the session's CSRF token; an
operator acts only on a chat they have taken. The parts (inbox, chat API, messages left,
error pages) stand side by side on web/console_shared.py.
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Optional

import aiohttp_jinja2
import jinja2
from aiohttp import web

from claudia import services
from claudia.accounts import OPERATOR as OPERATOR_ROLE
from claudia.accounts import Accounts
from claudia.throttle import LoginThrottle
from web import bad_input
from web.canned_replies import load_canned_replies
from web.console_api import add_console_api
from web.console_errors import console_errors
from web.console_inbox import add_inbox
from web.console_shared import (ACCOUNTS, CANNED, LOGIN_CSRF_COOKIE, SECURE_COOKIES, SESSION_COOKIE, TEMPLATES,
                                THROTTLE, item_id, operator_required, read_form, render, role_required)
from web.console_tickets import add_tickets
from web.livechat_jobs import add_livechat_jobs
from web.rasa_api import RASA, RasaApi
from web.security import form_token_ok, security_headers, throttled_sign_in

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static" / "console"
# The review pages (web/review_web.py) take their sign-in check from here.
__all__ = ["create_app", "role_required", "operator_required"]


# -- sign in / out ---------------------------------------------------------------
async def login_form(request: web.Request, error: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "console/login.html", title="Connexion", error=error, csrf=token, user=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/console")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    if not form_token_ok(request, form, LOGIN_CSRF_COOKIE):
        return await login_form(request, "La page a expiré, merci de réessayer.")
    name, password = str(form.get("login", ""))[:128], str(form.get("password", ""))[:1024]
    token, too_early = await throttled_sign_in(request, request.app[THROTTLE], name,
                                               lambda: request.app[ACCOUNTS].sign_in(name, password))
    if token is None:
        refused = await login_form(request, too_early or "Identifiant ou mot de passe incorrect.")
        refused.set_status(429 if too_early else 200)
        return refused
    user = request.app[ACCOUNTS].user_for(token)
    response = web.HTTPFound("/console/revue/" if user and user.role != OPERATOR_ROLE else "/console/")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/console",
                        secure=request.app[SECURE_COOKIES])
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/console")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    user = request.app[ACCOUNTS].user_for(request.cookies.get(SESSION_COOKIE))
    form = await read_form(request)
    if user is None or not secrets.compare_digest(str(form.get("csrf", "")), user.csrf_token):
        raise web.HTTPFound("/console/login")
    request.app[ACCOUNTS].sign_out(request.cookies.get(SESSION_COOKIE))
    response = web.HTTPFound("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


# -- pages -------------------------------------------------------------------------
@operator_required
async def chat_page(request: web.Request) -> web.Response:
    handoff_id = item_id(request, "handoff_id")
    if services.handoffs().get(handoff_id) is None:
        raise web.HTTPNotFound()
    return render(request, "console/chat.html", title=f"Discussion {handoff_id}", handoff_id=handoff_id,
                  canned=request.app[CANNED])


async def _to_inbox(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


def create_app(rasa_url: str, rasa_token: str, secure_cookies: bool = False,
               canned_replies: Optional[Path] = None) -> web.Application:
    app = web.Application(middlewares=[security_headers, console_errors], client_max_size=64 * 1024)
    # One template environment for every page of the web front (portal, console, review).
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    app[CANNED] = load_canned_replies(canned_replies)
    app[ACCOUNTS] = Accounts(services.handoffs().db)
    app[RASA] = RasaApi(rasa_url, rasa_token)
    app[SECURE_COOKIES] = secure_cookies
    app[THROTTLE] = LoginThrottle.for_settings(services.settings())
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    # Any path segment reaches the handler, which answers a French 400 for what is not a number.
    app.router.add_get("/console/chats/{handoff_id}", chat_page)
    add_inbox(app)
    add_console_api(app)
    add_tickets(app)
    add_livechat_jobs(app)
    app.router.add_static("/console/static", STATIC)
    app.router.add_get("/console", _to_inbox)
    bad_input.install(app)  # unreadable form bodies: a French 400 before any handler (the portal's too)
    return app
