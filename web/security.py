"""Security helpers shared by the web front's pages (portal stand-in and console)."""
from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable, Optional, Tuple

from aiohttp import web

from claudia.throttle import LoginThrottle

# Password hashing is slow on purpose: two threads of its own, never the event loop.
PASSWORD_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hashing")


def form_token_ok(request: web.Request, form, cookie_name: str) -> bool:
    """Double-submit check of a sign-in form: the hidden field must equal its cookie."""
    expected = request.cookies.get(cookie_name)
    return bool(expected) and secrets.compare_digest(str(form.get("csrf", "")), expected)


async def throttled_sign_in(request: web.Request, throttle: LoginThrottle, login: str,
                            sign_in: Callable[[], Optional[str]]) -> Tuple[Optional[str], bool]:
    """(session token or None, throttled?): `sign_in` runs off the event loop, and not at
    all once the account or the address has failed too often."""
    address = request.remote or "?"
    if throttle.blocked(login, address):
        return None, True
    token = await asyncio.get_running_loop().run_in_executor(PASSWORD_HASHING, sign_in)
    if token is None:
        throttle.failed(login, address)
    else:
        throttle.succeeded(login)
    return token, False


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
