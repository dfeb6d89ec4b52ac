"""The console's JSON API for one chat: its transcript, taking, writing, closing.

Every route needs a signed-in operator (and the CSRF token for POST); an operator
writes to or closes only a chat they have taken.
"""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from claudia import services
from claudia.accounts import ConsoleUser
from claudia.chat_history import readable
from claudia.handoff import HandoffError, TakenByAnother
from web.console_shared import ACCOUNTS, item_id, operator_required, with_presence
from web.console_wording import chat_state, describe
from web.rasa_api import RASA
from web.tracker_sync import flush, resume_later_if_needed, say_to_user

RASA_INJOIGNABLE = "L'assistant ne répond pas pour le moment : la transcription reviendra dès son retour."
MESSAGE_EN_ATTENTE = ("Message enregistré : l'utilisateur le reçoit ; il apparaîtra dans la transcription "
                      "dès le retour de l'assistant.")
REPRISE_EN_ATTENTE = "Discussion clôturée : l'assistant reprendra la conversation dès son retour."
A_REJOINT = "{name}, conseiller du support Chorus Pro, a rejoint la conversation."
A_REPRIS = "{name}, conseiller du support Chorus Pro, reprend la conversation à la suite de {previous}."
DEJA_PRISE = ("Cette discussion est déjà prise en charge par {name}. Vous pouvez la reprendre à sa place : "
              "l'utilisateur sera informé du changement de conseiller.")


@operator_required
async def api_chat(request: web.Request) -> web.Response:
    handoff = services.handoffs().get(item_id(request, "handoff_id"))
    if handoff is None:
        return web.json_response({"erreur": "discussion inconnue"}, status=404)
    try:
        await flush(request.app[RASA], handoff["conversation_id"])  # what waited for Rasa, first
        events = await request.app[RASA].events(handoff["conversation_id"])
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return web.json_response({"erreur": RASA_INJOIGNABLE}, status=503)
    lines = []
    for line in readable(events):
        shown = {"author": line["author"], "text": line["text"], "at": line["at"]}
        if line.get("operator_name"):
            shown["name"] = line["operator_name"]
        lines.append(shown)
    me = request["user"].login
    handoff = with_presence([handoff])[0]
    handoff.update(summary=describe(handoff["context"]), state=chat_state(handoff, me))
    if handoff["operator"]:
        handoff["operator_name"] = request.app[ACCOUNTS].name_of(handoff["operator"])
    return web.json_response({"handoff": handoff, "transcript": lines, "me": me,
                              "unanswered": services.tickets().counts()["open"]})


def _refuse(request: web.Request, error: HandoffError) -> web.Response:
    if isinstance(error, TakenByAnother):  # who has it, and the way to take it over explicitly
        name = request.app[ACCOUNTS].name_of(error.operator)
        return web.json_response({"erreur": DEJA_PRISE.format(name=name), "operateur": error.operator,
                                  "operateur_nom": name, "reprise_possible": True}, status=409)
    return web.json_response({"erreur": str(error)[:1].upper() + str(error)[1:] + "."}, status=409)


@operator_required
async def api_take(request: web.Request) -> web.Response:
    """Takes a waiting chat; the user is told once, by the operator whose take won."""
    user: ConsoleUser = request["user"]
    try:
        handoff = services.handoffs().take(item_id(request, "handoff_id"), user.login)
    except HandoffError as error:
        return _refuse(request, error)
    if handoff.pop("joined"):
        await say_to_user(request.app, handoff["conversation_id"], A_REJOINT.format(name=user.name), user)
    return web.json_response({"handoff": handoff})


@operator_required
async def api_take_over(request: web.Request) -> web.Response:
    """Takes over a chat another operator has, once the operator confirmed it: body
    {"from": the login they were told has it}. The user is told once of the change."""
    user: ConsoleUser = request["user"]
    try:
        body = await request.json()
    except ValueError:
        body = None
    previous = body.get("from") if isinstance(body, dict) else None
    if not isinstance(previous, str) or not previous:
        return web.json_response({"erreur": "Indiquez le conseiller à qui vous reprenez la discussion."}, status=400)
    try:
        handoff = services.handoffs().take_over(item_id(request, "handoff_id"), user.login, previous)
    except HandoffError as error:
        return _refuse(request, error)
    text = A_REPRIS.format(name=user.name, previous=request.app[ACCOUNTS].name_of(previous))
    await say_to_user(request.app, handoff["conversation_id"], text, user)
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
        handoff = services.handoffs().check_owner(item_id(request, "handoff_id"), user.login)
    except HandoffError as error:
        return _refuse(request, error)
    written = await say_to_user(request.app, handoff["conversation_id"], text, user)
    services.waiting_room().operator_answered(handoff["id"])
    # Stored either way: the user's chat shows it now, the transcript when the assistant is back.
    return web.json_response({"ok": True} if written else {"ok": True, "info": MESSAGE_EN_ATTENTE})


@operator_required
async def api_close(request: web.Request) -> web.Response:
    """Ends the live chat: the assistant resumes, says so and asks for an evaluation."""
    user: ConsoleUser = request["user"]
    try:
        handoff = services.handoffs().close(item_id(request, "handoff_id"), user.login)
    except HandoffError as error:
        return _refuse(request, error)
    if not await resume_later_if_needed(request.app, handoff["conversation_id"], "action_fin_conseiller"):
        return web.json_response({"handoff": handoff, "info": REPRISE_EN_ATTENTE})
    return web.json_response({"handoff": handoff})


@operator_required
async def api_archive(request: web.Request) -> web.Response:
    try:
        handoff = services.handoffs().archive_message(item_id(request, "handoff_id"),
                                                      request["user"].login)
    except HandoffError as error:
        return _refuse(request, error)
    return web.json_response({"handoff": handoff})


def add_console_api(app: web.Application) -> None:
    # Any path segment reaches the handlers, which answer a French 400 for what is not a number.
    app.router.add_get("/console/api/chats/{handoff_id}", api_chat)
    app.router.add_post("/console/api/chats/{handoff_id}/take", api_take)
    app.router.add_post("/console/api/chats/{handoff_id}/take-over", api_take_over)
    app.router.add_post("/console/api/chats/{handoff_id}/messages", api_message)
    app.router.add_post("/console/api/chats/{handoff_id}/close", api_close)
    app.router.add_post("/console/api/chats/{handoff_id}/archive", api_archive)
