"""The support operators' console: the live-chat queue, transcripts, replies.

Served under /console by its own process (`python -m console`). Pages are
rendered on the server with every value escaped; a small script refreshes
the lists and transcripts. Every state-changing route needs a signed-in
operator and the session's CSRF token; an operator acts only on a chat they
have taken.
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
from claudia.messages import TROP_DE_TENTATIVES
from claudia.throttle import LoginThrottle
from web.canned_replies import load_canned_replies
from web.rasa_api import RASA, RasaApi
from web.security import form_token_ok, security_headers, throttled_sign_in

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static" / "console"
TEMPLATES = Path(__file__).parent / "templates"
CANNED = web.AppKey("canned_replies", list)
ACCOUNTS = web.AppKey("accounts", Accounts)
SECURE_COOKIES = web.AppKey("secure_cookies", bool)
THROTTLE = web.AppKey("console_login_throttle", LoginThrottle)
SESSION_COOKIE = "claudia_console"
LOGIN_CSRF_COOKIE = "claudia_login_csrf"


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    """A page from web/templates (autoescaped), with the signed-in account if any."""
    context.setdefault("user", request.get("user"))
    response = aiohttp_jinja2.render_template(template, request, context)
    response.set_status(status)
    return response


def role_required(role: str):
    """Signed-in account with `role`; for POST, also the session's CSRF token (header or form)."""

    def decorate(handler):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            user = request.app[ACCOUNTS].user_for(request.cookies.get(SESSION_COOKIE))
            is_api = request.path.startswith("/console/api/")
            if user is None or user.role != role:
                if is_api:
                    return web.json_response({"erreur": "connexion requise"}, status=401 if user is None else 403)
                if user is not None:
                    return render(request, "console/message.html", status=403, user=user, title="Accès refusé",
                                  text="Cette page n'est pas accessible avec votre rôle.")
                raise web.HTTPFound("/console/login")
            if request.method == "POST":
                sent = request.headers.get("X-CSRF-Token")
                if sent is None:
                    sent = (await request.post()).get("csrf")
                if not sent or not secrets.compare_digest(str(sent), user.csrf_token):
                    return web.json_response({"erreur": "jeton CSRF invalide"}, status=403)
            request["user"] = user
            return await handler(request)

        return wrapped

    return decorate


operator_required = role_required(OPERATOR_ROLE)


# -- sign in / out ---------------------------------------------------------------
async def login_form(request: web.Request, error: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "console/login.html", title="Connexion", error=error, csrf=token, user=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/console")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not form_token_ok(request, form, LOGIN_CSRF_COOKIE):
        return await login_form(request, "La page a expiré, merci de réessayer.")
    name, password = str(form.get("login", ""))[:128], str(form.get("password", ""))[:1024]
    token, throttled = await throttled_sign_in(request, request.app[THROTTLE], name,
                                               lambda: request.app[ACCOUNTS].sign_in(name, password))
    if token is None:
        refused = await login_form(
            request, TROP_DE_TENTATIVES if throttled else "Identifiant ou mot de passe incorrect.")
        refused.set_status(429 if throttled else 200)
        return refused
    user = request.app[ACCOUNTS].user_for(token)
    response = web.HTTPFound("/console/revue/" if user and user.role != OPERATOR_ROLE else "/console/")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/console",
                        secure=request.app[SECURE_COOKIES])
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/console")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    user = request.app[ACCOUNTS].user_for(request.cookies.get(SESSION_COOKIE))
    form = await request.post()
    if user is None or not secrets.compare_digest(str(form.get("csrf", "")), user.csrf_token):
        raise web.HTTPFound("/console/login")
    request.app[ACCOUNTS].sign_out(request.cookies.get(SESSION_COOKIE))
    response = web.HTTPFound("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


# -- pages -------------------------------------------------------------------------
@operator_required
async def inbox(request: web.Request) -> web.Response:
    return render(request, "console/inbox.html", title="Discussions")


@operator_required
async def chat_page(request: web.Request) -> web.Response:
    handoff_id = int(request.match_info["handoff_id"])
    if services.handoffs().get(handoff_id) is None:
        raise web.HTTPNotFound()
    return render(request, "console/chat.html", title=f"Discussion {handoff_id}", handoff_id=handoff_id,
                  canned=request.app[CANNED])


async def _to_inbox(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


def create_app(rasa_url: str, rasa_token: str, secure_cookies: bool = False,
               canned_replies: Optional[Path] = None) -> web.Application:
    # The console's API and tickets use this module's role checks: imported here, not above.
    from web.console_api import add_console_api
    from web.console_tickets import add_tickets
    from web.livechat_jobs import add_livechat_jobs

    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
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
    app.router.add_get("/console/", inbox)
    app.router.add_get("/console/chats/{handoff_id:\\d+}", chat_page)
    add_console_api(app)
    add_tickets(app)
    add_livechat_jobs(app)
    app.router.add_static("/console/static", STATIC)
    app.router.add_get("/console", _to_inbox)
    return app
