"""The console's inbox: every waiting or ongoing chat and every message left, nothing dropped.

Three lists, each paged and counted: the chats (waiting and ongoing, oldest first),
the messages to answer (« À traiter », oldest first) and the messages answered
(« Répondus », latest answer first). The page's address says which page of each list
is shown (?page_discussions=…&page_a_traiter=…&page_repondus=…); its script asks
GET /console/api/chats with the same parameters every few seconds.
"""
from __future__ import annotations

from aiohttp import web

from claudia import services
from web.console_shared import operator_required, page_number, render, with_presence
from web.console_wording import describe, inbox_state

PAGE_SIZE = 50
PAGES = {"chats": "page_discussions", "open": "page_a_traiter", "answered": "page_repondus"}


def _pages(request: web.Request) -> dict:
    return {listing: page_number(request, parameter) for listing, parameter in PAGES.items()}


def _page_only(listing: dict) -> dict:
    return {key: listing[key] for key in ("page", "pages", "size", "total")}


@operator_required
async def inbox(request: web.Request) -> web.Response:
    _pages(request)  # refused here (400) rather than by the page's script
    return render(request, "console/inbox.html", title="Discussions")


@operator_required
async def api_chats(request: web.Request) -> web.Response:
    pages, me = _pages(request), request["user"].login
    chats = services.handoffs().live_page(pages["chats"], PAGE_SIZE)
    tickets = services.tickets()
    open_ = tickets.page(answered=False, page=pages["open"], size=PAGE_SIZE)
    answered = tickets.page(answered=True, page=pages["answered"], size=PAGE_SIZE)
    for chat in with_presence(chats["items"]):
        chat.update(summary=describe(chat["context"]), state=inbox_state(chat, me))
    for ticket in open_["items"] + answered["items"]:
        ticket["summary"] = describe(ticket["context"])
    return web.json_response({
        "chats": chats["items"],
        "tickets": {"open": open_["items"], "answered": answered["items"]},
        "counts": {"chats": chats["total"], "waiting": chats["waiting"], "ongoing": chats["ongoing"],
                   "open": open_["total"], "answered": answered["total"]},
        "pages": {"chats": _page_only(chats), "open": _page_only(open_), "answered": _page_only(answered)},
        "me": me,
    })


def add_inbox(app: web.Application) -> None:
    app.router.add_get("/console/", inbox)
    app.router.add_get("/console/api/chats", api_chats)
