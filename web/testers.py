"""Inviting testers (review section) and the link that opens the chat as a test identity.

A reviewer makes a link (/console/revue/testeurs: a name and a validity); whoever opens it
(/essai/<token>) gets a portal session as the invitation's test identity, whose registry is
the test one (claudia/testers.py), and a page that opens the chat. An expired, forged or
damaged link is refused in French, and no session is made. The test identity's conversations
are labelled « test » in the review; the page links to them.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timezone

import aiohttp_jinja2
from aiohttp import web

from claudia import params, services, testers
from claudia.models import PortalSession, utcnow
from web.portal import SECURE_COOKIES, SESSION_COOKIE, SESSIONS
from web.portal_sessions import SESSION_LIFETIME
from web.review_web import back_to, render, reviewer_required

DEFAULT_HOURS = 72


def _link(request: web.Request, token: str) -> str:
    """The link as the browser reached this page (behind HTTPS, CLAUDIA_SECURE_COOKIES=1: https)."""
    scheme = "https" if request.app.get(SECURE_COOKIES) else request.scheme
    return f"{scheme}://{request.host}/essai/{token}"


@reviewer_required
async def testers_page(request: web.Request) -> web.Response:
    return render(request, "testers.html", "Testeurs", active="/console/revue/testeurs", link="", invitation=None,
                  default_hours=DEFAULT_HOURS, longest=testers.LONGEST_VALIDITY_HOURS, tag=testers.TEST_TAG)


@reviewer_required
async def invite(request: web.Request) -> web.Response:
    form = await request.post()
    hours = params.whole_number(form.get("hours"), "validité en heures", lowest=1,
                                highest=testers.LONGEST_VALIDITY_HOURS, default=DEFAULT_HOURS)
    name = testers.clean_name(form.get("name"))
    if not name:
        raise back_to(request, "/console/revue/testeurs", "Donnez le nom du testeur invité.", error=True)
    token, invitation = testers.issue_invitation(services.settings().jwt_secret, name, request["user"].login, hours)
    expires = datetime.fromtimestamp(invitation.expires, tz=timezone.utc)
    return render(request, "testers.html", "Testeurs", active="/console/revue/testeurs", link=_link(request, token),
                  invitation=invitation, expires=expires, default_hours=DEFAULT_HOURS,
                  longest=testers.LONGEST_VALIDITY_HOURS, tag=testers.TEST_TAG)


@reviewer_required
async def reset_registry(request: web.Request) -> web.StreamResponse:
    await request.post()
    counts = await asyncio.to_thread(testers.reset_test_registry, services.test_registry())
    raise back_to(request, "/console/revue/testeurs",
                  f"Registre de test remis à l'état de démonstration ({counts['structures']} structures).")


def _refused(request: web.Request, why: str) -> web.Response:
    return aiohttp_jinja2.render_template("portal/tester.html", request, {
        "title": "Invitation refusée", "error": why, "invitation": None}, status=403)


async def open_invitation(request: web.Request) -> web.Response:
    """The tester's link: a session as the test identity, then the page that opens the chat."""
    try:
        invitation = testers.read_invitation(request.match_info["token"], services.settings().jwt_secret)
    except testers.InvitationRefused as refusal:
        return _refused(request, str(refusal))
    await asyncio.to_thread(testers.ensure_tester, services.test_registry(), invitation.login, invitation.name)
    token = await asyncio.to_thread(_tester_session, request.app[SESSIONS], invitation.login)
    response = aiohttp_jinja2.render_template("portal/tester.html", request, {
        "title": "Tester ClaudIA", "error": "", "invitation": invitation})
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SECURE_COOKIES])
    response.headers["Cache-Control"] = "no-store"
    return response


def _tester_session(sessions, login: str) -> str:
    """A portal session of the test identity, in a conversation of its own."""
    token = secrets.token_urlsafe(32)
    user_side = getattr(sessions, "user_side", None)
    conversation_id = user_side.start_new(login) if user_side else "portail-" + secrets.token_hex(12)
    with sessions.db.write() as session:
        session.add(PortalSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), login=login,
                                  conversation_id=conversation_id, csrf_token=secrets.token_urlsafe(24),
                                  expires_at=utcnow() + SESSION_LIFETIME))
    return token


def add_testers(app: web.Application) -> None:
    """Needs the portal (its sessions) and the review (its templates) on the same app."""
    app.router.add_get("/console/revue/testeurs", testers_page)
    app.router.add_post("/console/revue/testeurs", invite)
    app.router.add_post("/console/revue/testeurs/registre", reset_registry)
    app.router.add_get("/essai/{token}", open_invitation)
