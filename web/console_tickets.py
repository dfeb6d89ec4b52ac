"""Messages left outside opening hours, answered from the console (tickets).

GET /console/tickets/{id} shows the message and its context; POST (a form with the
session's CSRF token) stores the answer, which the user reads the next time they
open the chat, and by e-mail (claudia/ticket_mail.py). Plain HTML forms: this page works
without its script.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from aiohttp import web

from claudia import services
from claudia.handoff import HandoffError
from claudia.ticket_mail import SmtpSettings, TicketMails
from web.console_shared import CANNED, item_id, operator_required, read_form, render
from web.console_wording import describe


def _local(iso: str) -> str:
    moment = datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(services.settings().timezone)).strftime("%d/%m/%Y à %H:%M")


def _page(request: web.Request, ticket: dict, error: str = "", status: int = 200) -> web.Response:
    return render(request, "console/ticket.html", status=status, title=f"Message {ticket['id']}", ticket=ticket,
                  received=_local(ticket["created_at"]), context=describe(ticket.get("context")), error=error,
                  canned=request.app[CANNED])


@operator_required
async def ticket_page(request: web.Request) -> web.Response:
    ticket = services.tickets().get(item_id(request, "ticket_id"))
    if ticket is None:
        raise web.HTTPNotFound()
    return _page(request, ticket)


@operator_required
async def answer_ticket(request: web.Request) -> web.StreamResponse:
    ticket_id = item_id(request, "ticket_id")
    form = await read_form(request)
    user = request["user"]
    try:
        services.tickets().answer(ticket_id, user.login, user.name, str(form.get("answer", "")))
    except HandoffError as error:
        ticket = services.tickets().get(ticket_id)
        if ticket is None:
            raise web.HTTPNotFound()
        return _page(request, ticket, error=f"Réponse non enregistrée : {error}.", status=409)
    mails = TicketMails(services.tickets().db)
    if mails.queue(ticket_id):  # the user is told by e-mail too; sent in the background, retried if refused
        asyncio.get_running_loop().run_in_executor(None, mails.send_pending, SmtpSettings.from_env(), ticket_id)
    raise web.HTTPSeeOther(f"/console/tickets/{ticket_id}")


def add_tickets(app: web.Application) -> None:
    # Any path segment reaches the handlers, which answer a French 400 for what is not a number.
    app.router.add_get("/console/tickets/{ticket_id}", ticket_page)
    app.router.add_post("/console/tickets/{ticket_id}", answer_ticket)
