"""The console's error pages: in French, with the console's layout, and a way back.

A middleware of the web front, for every address under /console: an HTTP error (404, 403,
400, 405, 413...) or an unexpected exception (500; 503 when the assistant cannot be
reached) becomes a French page with the console's header, a title and a link back, or,
for the console's script (/console/api/), a JSON `{"erreur": "..."}` in French. The
reason a handler gave with `refuse()` (web/console_shared.py) is the page's text.
"""
from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import Awaitable, Callable, Optional

import aiohttp
from aiohttp import web

from claudia.accounts import OPERATOR as OPERATOR_ROLE
from web.console_shared import API_PREFIX, REFUSAL, render, signed_in

logger = logging.getLogger(__name__)

PAGES = {
    400: ("Requête invalide", "La demande reçue n'est pas valide."),
    401: ("Connexion requise", "Connectez-vous pour accéder à cette page."),
    403: ("Accès refusé", "Cette page n'est pas accessible avec votre compte."),
    404: ("Page introuvable", "Cette page n'existe pas ou plus : vérifiez l'adresse, ou revenez à la console."),
    405: ("Action impossible", "Cette adresse ne permet pas cette action."),
    413: ("Envoi trop volumineux", "Le contenu envoyé dépasse la taille permise : raccourcissez-le."),
    429: ("Trop de demandes", "Trop de demandes en peu de temps : patientez un instant, puis réessayez."),
    500: ("Erreur du serveur", "Une erreur inattendue s'est produite de notre côté : réessayez dans un "
                               "instant. Si elle se répète, signalez-la à l'équipe technique."),
    503: ("Service indisponible", "L'assistant ne répond pas pour le moment : réessayez dans un instant."),
}
API_TEXTS = {500: "Le serveur a rencontré une erreur inattendue : réessayez dans un instant.",
             404: "Adresse introuvable dans la console."}
# Shown if even the error page cannot be rendered (the database is gone, say).
BARE_PAGE = ('<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" '
             'content="width=device-width, initial-scale=1"><title>{title} — Console ClaudIA</title>'
             '<link rel="stylesheet" href="/console/static/console.css"></head><body><header>'
             '<a href="/console/" class="brand">Console ClaudIA</a></header><main><h1>{title}</h1><p>{text}</p>'
             '<p><a href="{back}">{back_text}</a></p></main></body></html>')


def _words(status: int) -> tuple:
    if status in PAGES:
        return PAGES[status]
    return PAGES[500] if status >= 500 else PAGES[400]


def _way_back(user) -> tuple:
    if user is None:
        return "/console/login", "Aller à la page de connexion"
    if user.role != OPERATOR_ROLE:
        return "/console/revue/", "Retour à la revue des conversations"
    return "/console/", "Retour aux discussions"


def error_response(request: web.Request, status: int, allow: Optional[str] = None) -> web.Response:
    refusal = request.get(REFUSAL) or {}
    title, text = _words(status)
    title, text = refusal.get("title") or title, refusal.get("text") or text
    if request.path.startswith(API_PREFIX):
        response = web.json_response({"erreur": refusal.get("text") or API_TEXTS.get(status, text)}, status=status)
    else:
        try:
            user = request.get("user") or signed_in(request)
        except Exception:  # the accounts' database is what failed: a page without the account
            user = None
        back, back_text = _way_back(user)
        context = dict(title=title, text=text, back=back, back_text=back_text)
        try:
            response = render(request, "console/error.html", status=status, user=user, **context)
        except Exception:
            logger.exception("console: the error page itself failed; a bare one instead")
            response = web.Response(status=status, content_type="text/html",
                                    text=BARE_PAGE.format(**{k: escape(v) for k, v in context.items()}))
    response.headers["Cache-Control"] = "no-store"
    if allow is not None:
        response.headers["Allow"] = allow
    return response


@web.middleware
async def console_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    if not request.path.startswith("/console"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(request, error.status, error.headers.get("Allow"))
    except (aiohttp.ClientError, asyncio.TimeoutError):
        logger.warning("console: the assistant could not be reached for %s %s", request.method, request.path,
                       exc_info=True)
        return error_response(request, 503)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("console: unexpected error on %s %s", request.method, request.path)
        return error_response(request, 500)
