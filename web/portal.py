"""A stand-in for the Chorus Pro portal: sign in as a demo manager, chat with ClaudIA.

The chat page talks only to this server (same origin). This server signs a
short-lived token for the session's user and forwards each message to the
assistant's authenticated channel with the session's conversation id: the
browser never sees the signing secret, and neither a conversation id nor
metadata it could send would be used.
"""
from __future__ import annotations

import html
import secrets
from pathlib import Path
from typing import Optional

import aiohttp
from aiohttp import web

from claudia import services
from claudia.identity import issue_token
from claudia.messages import TROP_DE_TENTATIVES
from claudia.throttle import LoginThrottle
from web.security import form_token_ok, throttled_sign_in
from web.portal_sessions import Manager, PortalSessions

STATIC = Path(__file__).parent / "static" / "portal"
SESSION_COOKIE = "claudia_portail"
LOGIN_CSRF_COOKIE = "claudia_portail_csrf"
SESSIONS = web.AppKey("portal_sessions", PortalSessions)
CHANNEL_URL = web.AppKey("channel_url", str)
DEMO_PASSWORD = web.AppKey("demo_password", str)
SECURE_COOKIES = web.AppKey("portal_secure_cookies", bool)
THROTTLE = web.AppKey("portal_login_throttle", LoginThrottle)
TOKEN_TTL_SECONDS = 300


def _page(title: str, body: str, manager: Optional[Manager] = None) -> web.Response:
    meta = f'<meta name="csrf" content="{html.escape(manager.csrf_token)}">' if manager else ""
    return web.Response(content_type="text/html", charset="utf-8", text=f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{meta}
<title>{html.escape(title)} — Chorus Pro</title>
<link rel="stylesheet" href="/static/portal.css"></head>
<body>{body}<script src="/static/chat.js"></script></body></html>""")


def _manager(request: web.Request) -> Optional[Manager]:
    return request.app[SESSIONS].manager_for(request.cookies.get(SESSION_COOKIE))


async def home(request: web.Request) -> web.Response:
    manager = _manager(request)
    if manager is None:
        return sign_in_page(request)
    name = html.escape(manager.name)
    return _page("Espace gestionnaire", f"""
<header class="portal"><span class="brand">Chorus Pro</span>
<form method="post" action="/deconnexion"><input type="hidden" name="csrf" value="{html.escape(manager.csrf_token)}">
<span class="who">{name}</span> <button type="submit" class="link">Se déconnecter</button></form></header>
<main class="portal">
  <h1>Bienvenue, {name}</h1>
  <p>Gérez vos structures et vos factures dans Chorus Pro.</p>
  <button id="open-chat" class="help" type="button" aria-controls="chat-panel" aria-expanded="false">
    Besoin d'aide ? Posez une question</button>
</main>
<section id="chat-panel" role="dialog" aria-modal="false" aria-labelledby="chat-title" hidden>
  <header><h2 id="chat-title">ClaudIA, votre assistante virtuelle</h2>
  <button id="new-chat" type="button" class="link" title="Nouvelle conversation">Nouvelle conversation</button>
  <button id="close-chat" type="button" aria-label="Fermer la discussion">×</button></header>
  <p id="live-status" role="status" hidden></p>
  <ol id="messages" aria-live="polite" aria-relevant="additions"></ol>
  <p id="typing" hidden aria-live="polite">ClaudIA écrit…</p>
  <form id="composer" autocomplete="off">
    <label for="chat-input" class="sr-only">Votre message</label>
    <input id="chat-input" maxlength="1000" placeholder="Écrivez votre message…">
    <button type="submit">Envoyer</button>
  </form>
</section>""", manager)


def sign_in_page(request: web.Request, error: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    options = "".join(
        f'<option value="{html.escape(login)}">{html.escape(name)} ({html.escape(login)})</option>'
        for login, name in request.app[SESSIONS].managers()
    )
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response = _page("Connexion", f"""
<header class="portal"><span class="brand">Chorus Pro</span></header>
<main class="portal"><h1>Connexion à l'espace gestionnaire</h1>
<p class="note">Portail de démonstration : choisissez un gestionnaire de démonstration.</p>{alert}
<form method="post" action="/connexion" class="sign-in">
  <input type="hidden" name="csrf" value="{token}">
  <label for="login">Compte</label><select id="login" name="login">{options}</select>
  <label for="password">Mot de passe</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Se connecter</button>
</form></main>""")
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

    token, throttled = await throttled_sign_in(request, request.app[THROTTLE], login, check)
    if token is None:
        refused = sign_in_page(request, TROP_DE_TENTATIVES if throttled else "Compte ou mot de passe incorrect.")
        refused.set_status(429 if throttled else 200)
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


async def chat_send(request: web.Request) -> web.Response:
    manager = _checked(request, request.headers.get("X-CSRF-Token"))
    try:
        body = await request.json()
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return web.json_response({"erreur": "message manquant"}, status=400)
    # Only the message is forwarded; the conversation and the identity are the session's.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async with http.post(f"{request.app[CHANNEL_URL]}/webhook", headers=_bearer(manager),
                             json={"sender": manager.conversation_id, "message": message}) as answer:
            return web.json_response(await answer.json(), status=answer.status)


async def chat_updates(request: web.Request) -> web.Response:
    manager = _checked(request, request.headers.get("X-CSRF-Token"))
    after = request.query.get("after", "0")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.get(f"{request.app[CHANNEL_URL]}/messages", headers=_bearer(manager),
                            params={"sender": manager.conversation_id,
                                    "after": after if after.isdigit() else "0"}) as answer:
            return web.json_response(await answer.json(), status=answer.status)


async def chat_new(request: web.Request) -> web.Response:
    _checked(request, request.headers.get("X-CSRF-Token"))
    request.app[SESSIONS].new_conversation(request.cookies.get(SESSION_COOKIE))
    return web.json_response({"ok": True})


def add_portal(app: web.Application, rasa_url: str, demo_password: str, secure_cookies: bool = False) -> None:
    app[SESSIONS] = PortalSessions(services.handoffs().db)
    app[SECURE_COOKIES] = secure_cookies
    app[CHANNEL_URL] = rasa_url.rstrip("/") + "/webhooks/connected"
    app[DEMO_PASSWORD] = demo_password
    app[THROTTLE] = LoginThrottle.for_settings(services.settings())
    app.router.add_get("/", home)
    app.router.add_post("/connexion", sign_in)
    app.router.add_post("/deconnexion", sign_out)
    app.router.add_post("/chat/messages", chat_send)
    app.router.add_get("/chat/updates", chat_updates)
    app.router.add_post("/chat/nouvelle", chat_new)
    app.router.add_static("/static", STATIC)
