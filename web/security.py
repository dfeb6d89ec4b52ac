"""Security helpers shared by the web front's pages (portal stand-in and console)."""
from __future__ import annotations

import secrets
from typing import Awaitable, Callable

from aiohttp import web


def form_token_ok(request: web.Request, form, cookie_name: str) -> bool:
    """Double-submit check of a sign-in form: the hidden field must equal its cookie."""
    expected = request.cookies.get(cookie_name)
    return bool(expected) and secrets.compare_digest(str(form.get("csrf", "")), expected)


@web.middleware
async def security_headers(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """A strict Content-Security-Policy and friends on every page and answer."""
    response = await handler(request)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
