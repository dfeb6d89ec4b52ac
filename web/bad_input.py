"""A French 400, never a 500, for what a page cannot read (issue #26).

`bad_input` is a middleware of the web front (installed by the portal and the review
pages, once): before a handler runs, a form body (urlencoded or multipart) is read
and decoded, so invalid UTF-8, an unknown charset or a broken multipart body is a
400 even on routes that need no sign-in (`/connexion`) or whose checks read the form
first (the CSRF check of signed-in pages). A `claudia.params.BadParameter` raised by
a handler (a number or a date out of bounds, see claudia/params.py) is a 400 too:
JSON `{"erreur": …}` for the chat's and the console's APIs, a short French page
otherwise. The parsed form stays cached on the request: handlers read it as before.
"""
from __future__ import annotations

import html
import logging
from typing import Awaitable, Callable

from aiohttp import web

from claudia.params import UNREADABLE_FORM, BadParameter

logger = logging.getLogger(__name__)
FORM_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")
JSON_PREFIXES = ("/chat/", "/console/api/")
PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Requête invalide</title><link rel="stylesheet" href="{style}"></head>
<body><main><h1>Requête invalide</h1><p role="alert">{text}</p><p><a href="{back}">{back_label}</a></p></main></body>
</html>
"""


def refusal(request: web.Request, text: str) -> web.Response:
    """The 400 answer: JSON for the APIs, a page for the rest."""
    if request.path.startswith(JSON_PREFIXES):
        return web.json_response({"erreur": text}, status=400)
    style = "/console/static/console.css" if request.path.startswith("/console/") else "/static/portal.css"
    if request.path.startswith("/console/revue/"):
        back, label = "/console/revue/", "Revenir à la revue des conversations"
    elif request.path.startswith("/console/"):
        back, label = "/console/", "Revenir à la console"
    else:
        back, label = "/", "Revenir à l'accueil"
    page = PAGE.format(text=html.escape(text, quote=False), back=back, back_label=label, style=style)
    response = web.Response(text=page, status=400, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def bad_input(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            await request.post()  # cached: the handler's own post() returns this one
        except (ValueError, LookupError) as error:  # UnicodeDecodeError is a ValueError
            logger.info("unreadable form on %s refused (%s)", request.path, type(error).__name__)
            return refusal(request, UNREADABLE_FORM)
    try:
        return await handler(request)
    except BadParameter as error:
        return refusal(request, str(error))


def install(app: web.Application) -> None:
    """Adds the middleware once, innermost (the security headers still wrap its answers)."""
    if bad_input not in app.middlewares:
        app.middlewares.append(bad_input)
