"""The support operators' console: the live-chat queue, transcripts, replies.

Served under /console by its own process (`python -m console`). Pages are
rendered on the server with every value escaped; a small script refreshes
the lists and transcripts. Every state-changing route needs a signed-in
operator and the session's CSRF token; an operator acts only on a chat they
have taken.
"""
from __future__ import annotations

import html
import logging
import secrets
from pathlib import Path
from typing import Optional

from aiohttp import web

from claudia import services
from claudia.handoff import ASSISTANT, OPERATOR, HandoffError
from claudia.accounts import OPERATOR as OPERATOR_ROLE
from claudia.accounts import Accounts, ConsoleUser
from claudia.messages import TROP_DE_TENTATIVES
from claudia.throttle import LoginThrottle
from web.rasa_api import RasaApi
from web.security import form_token_ok, security_headers, throttled_sign_in

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static" / "console"
ACCOUNTS = web.AppKey("accounts", Accounts)
RASA = web.AppKey("rasa", RasaApi)
SECURE_COOKIES = web.AppKey("secure_cookies", bool)
THROTTLE = web.AppKey("console_login_throttle", LoginThrottle)
SESSION_COOKIE = "claudia_console"
LOGIN_CSRF_COOKIE = "claudia_login_csrf"


def _page(title: str, body: str, user: Optional[ConsoleUser] = None, status: int = 200) -> web.Response:
    header = ""
    if user:
        header = (
            f'<form method="post" action="/console/logout" class="who">'
            f'<input type="hidden" name="csrf" value="{html.escape(user.csrf_token)}">'
            f"{html.escape(user.name)} · <button type=\"submit\">Se déconnecter</button></form>"
        )
    csrf = f'<meta name="csrf" content="{html.escape(user.csrf_token)}">' if user else ""
    return web.Response(
        status=status,
        content_type="text/html",
        charset="utf-8",
        text=f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{csrf}
<title>{html.escape(title)} — Console ClaudIA</title>
<link rel="stylesheet" href="/console/static/console.css"></head>
<body><header><a href="/console/" class="brand">Console ClaudIA</a>{header}</header>
<main>{body}</main><script src="/console/static/console.js"></script></body></html>""",
    )


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
                    return _page("Accès refusé", "<p>Cette page n'est pas accessible avec votre rôle.</p>", user,
                                 status=403)
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
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response = _page("Connexion", f"""
<h1>Connexion des conseillers</h1>{message}
<form method="post" action="/console/login" class="login">
  <input type="hidden" name="csrf" value="{token}">
  <label>Identifiant <input name="login" autocomplete="username" required autofocus></label>
  <label>Mot de passe <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Se connecter</button>
</form>""")
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
    return _page("Discussions", """
<h1>Discussions</h1>
<section aria-labelledby="waiting-title"><h2 id="waiting-title">En attente et en cours</h2>
<table id="chats" data-live="/console/api/chats"><thead><tr><th>Demandée</th><th>Attente</th>
<th>Utilisateur</th><th>Contexte</th><th>État</th><th></th></tr></thead><tbody></tbody></table></section>
<section aria-labelledby="messages-title"><h2 id="messages-title">Messages laissés hors des heures d'ouverture</h2>
<table id="left-messages"><thead><tr><th>Reçu</th><th>Utilisateur</th><th>Message</th><th></th></tr></thead>
<tbody></tbody></table></section>""", request["user"])


@operator_required
async def chat_page(request: web.Request) -> web.Response:
    handoff_id = int(request.match_info["handoff_id"])
    if services.handoffs().get(handoff_id) is None:
        raise web.HTTPNotFound()
    return _page(f"Discussion {handoff_id}", f"""
<h1>Discussion n° {handoff_id}</h1>
<div id="chat" data-id="{handoff_id}">
  <aside id="context" aria-label="Contexte"></aside>
  <section aria-label="Transcription"><ol id="transcript" aria-live="polite"></ol></section>
  <p id="chat-state" role="status"></p>
  <div class="actions"><button id="take" type="button">Prendre en charge</button>
  <button id="close" type="button">Clôturer la discussion</button></div>
  <form id="reply"><label for="reply-text">Votre message</label>
  <textarea id="reply-text" rows="3" maxlength="2000" required></textarea>
  <button type="submit">Envoyer</button></form>
</div>""", request["user"])


# -- JSON API used by the pages ---------------------------------------------------------
@operator_required
async def api_chats(request: web.Request) -> web.Response:
    return web.json_response({"chats": services.handoffs().listing(), "me": request["user"].login})


def _transcript(events) -> list:
    lines = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind == "user" and text:
            lines.append({"author": "utilisateur", "text": text, "at": event.get("timestamp")})
        elif kind == "bot" and text:
            operator = (event.get("metadata") or {}).get("operateur")
            lines.append({"author": "operateur" if operator else "assistant", "name": operator,
                          "text": text, "at": event.get("timestamp")})
    return lines


@operator_required
async def api_chat(request: web.Request) -> web.Response:
    handoff = services.handoffs().get(int(request.match_info["handoff_id"]))
    if handoff is None:
        return web.json_response({"erreur": "discussion inconnue"}, status=404)
    events = await request.app[RASA].events(handoff["conversation_id"])
    return web.json_response({"handoff": handoff, "transcript": _transcript(events),
                              "me": request["user"].login})


async def _say_to_user(app: web.Application, conversation_id: str, text: str, user: ConsoleUser) -> None:
    """Shows an operator's words in the user's chat and keeps them in the transcript."""
    services.handoffs().post(conversation_id, OPERATOR, text, operator_name=user.name)
    await app[RASA].append(conversation_id, [
        {"event": "bot", "text": text, "metadata": {"operateur": user.name, "operateur_login": user.login}}
    ])


def _refuse(error: HandoffError) -> web.Response:
    return web.json_response({"erreur": str(error)}, status=409)


@operator_required
async def api_take(request: web.Request) -> web.Response:
    user: ConsoleUser = request["user"]
    try:
        handoff = services.handoffs().take(int(request.match_info["handoff_id"]), user.login)
    except HandoffError as error:
        return _refuse(error)
    await _say_to_user(request.app, handoff["conversation_id"],
                       f"{user.name}, conseiller du support Chorus Pro, a rejoint la conversation.", user)
    return web.json_response({"handoff": handoff})


@operator_required
async def api_message(request: web.Request) -> web.Response:
    user: ConsoleUser = request["user"]
    try:
        body = await request.json()
    except ValueError:  # not JSON: the client's error, not a server failure
        body = None
    if not isinstance(body, dict):
        return web.json_response({"erreur": "corps JSON attendu"}, status=400)
    text = str(body.get("text") or "").strip()[:2000]
    if not text:
        return web.json_response({"erreur": "message vide"}, status=400)
    try:
        handoff = services.handoffs().check_owner(int(request.match_info["handoff_id"]), user.login)
    except HandoffError as error:
        return _refuse(error)
    await _say_to_user(request.app, handoff["conversation_id"], text, user)
    return web.json_response({"ok": True})


@operator_required
async def api_close(request: web.Request) -> web.Response:
    """Ends the live chat: the assistant resumes, says so and asks for an evaluation."""
    user: ConsoleUser = request["user"]
    queue = services.handoffs()
    try:
        handoff = queue.close(int(request.match_info["handoff_id"]), user.login)
    except HandoffError as error:
        return _refuse(error)
    conversation_id = handoff["conversation_id"]
    rasa: RasaApi = request.app[RASA]
    await rasa.append(conversation_id, [{"event": "resume"}])
    replies = await rasa.execute(conversation_id, "action_fin_conseiller")
    # The assistant now waits for the user, as after any of its turns.
    await rasa.append(conversation_id, [{"event": "action", "name": "action_listen"}])
    for reply in replies:
        queue.post(conversation_id, ASSISTANT, reply.get("text") or "", buttons=reply.get("buttons") or [])
    payloads = [b["payload"] for reply in replies for b in reply.get("buttons") or []]
    services.conversations().remember_payloads(conversation_id, payloads)
    return web.json_response({"handoff": handoff})


@operator_required
async def api_archive(request: web.Request) -> web.Response:
    try:
        handoff = services.handoffs().archive_message(int(request.match_info["handoff_id"]),
                                                      request["user"].login)
    except HandoffError as error:
        return _refuse(error)
    return web.json_response({"handoff": handoff})


async def _to_inbox(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


def create_app(rasa_url: str, rasa_token: str, secure_cookies: bool = False) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app[ACCOUNTS] = Accounts(services.handoffs().db)
    app[RASA] = RasaApi(rasa_url, rasa_token)
    app[SECURE_COOKIES] = secure_cookies
    app[THROTTLE] = LoginThrottle.for_settings(services.settings())
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console/", inbox)
    app.router.add_get("/console/chats/{handoff_id:\\d+}", chat_page)
    app.router.add_get("/console/api/chats", api_chats)
    app.router.add_get("/console/api/chats/{handoff_id:\\d+}", api_chat)
    app.router.add_post("/console/api/chats/{handoff_id:\\d+}/take", api_take)
    app.router.add_post("/console/api/chats/{handoff_id:\\d+}/messages", api_message)
    app.router.add_post("/console/api/chats/{handoff_id:\\d+}/close", api_close)
    app.router.add_post("/console/api/chats/{handoff_id:\\d+}/archive", api_archive)
    app.router.add_static("/console/static", STATIC)
    app.router.add_get("/console", _to_inbox)
    return app
