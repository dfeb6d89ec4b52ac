"""Security helpers shared by the web front's pages (portal stand-in and console)."""
from __future__ import annotations

import asyncio
import math
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable, Optional, Tuple

from aiohttp import web

from claudia.messages import TROP_DE_TENTATIVES
from claudia.throttle import DEVICE_COOKIE_DAYS, LoginThrottle, wait_in_words

# Password hashing is slow on purpose: two threads of its own, never the event loop.
PASSWORD_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hashing")
# The trusted-device cookie of each sign-in page (claudia/throttle.py), and where it is sent.
DEVICE_COOKIES = {"console": ("claudia_console_appareil", "/console"), "portail": ("claudia_portail_appareil", "/")}
SIGN_IN_ANSWER = "claudia_sign_in_answer"  # the request's key for what the answer must carry


def form_token_ok(request: web.Request, form, cookie_name: str) -> bool:
    """Double-submit check of a sign-in form: the hidden field must equal its cookie."""
    expected = request.cookies.get(cookie_name)
    return bool(expected) and secrets.compare_digest(str(form.get("csrf", "")), expected)


async def throttled_sign_in(request: web.Request, throttle: LoginThrottle, login: str,
                            sign_in: Callable[[], Optional[str]]) -> Tuple[Optional[str], Optional[str]]:
    """(session token or None, refusal or None). `sign_in` runs off the event loop, and not at
    all when this account failed too often lately from this address (or trusted device): the
    refusal then says in French how long to wait (the answer: 429 with `Retry-After`). After a
    success the answer gives the browser a trusted-device cookie for the account."""
    loop = asyncio.get_running_loop()
    name, path = DEVICE_COOKIES[throttle.scope]
    attempt, wait = await loop.run_in_executor(None, throttle.admit, login, request.remote or "?",
                                               request.cookies.get(name))
    if attempt is None:
        request[SIGN_IN_ANSWER] = {"retry_after": str(max(1, math.ceil(wait)))}
        return None, TROP_DE_TENTATIVES.format(attente=wait_in_words(wait))
    token = await loop.run_in_executor(PASSWORD_HASHING, sign_in)
    if token is not None:
        cookie = await loop.run_in_executor(None, throttle.succeeded, attempt)
        request[SIGN_IN_ANSWER] = {"device": (name, cookie, path)}
    return token, None


def _sign_in_answer(request: web.Request, response: web.StreamResponse) -> None:
    """What `throttled_sign_in` asked the answer to carry: the wait, or the device cookie."""
    answer = request.get(SIGN_IN_ANSWER)
    if not answer:
        return
    if "retry_after" in answer:
        response.headers["Retry-After"] = answer["retry_after"]
    if "device" in answer:
        name, value, path = answer["device"]
        response.set_cookie(name, value, max_age=DEVICE_COOKIE_DAYS * 86400, path=path, httponly=True,
                            samesite="Strict",
                            secure=request.secure or os.environ.get("CLAUDIA_SECURE_COOKIES") == "1")


@web.middleware
async def security_headers(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """A strict Content-Security-Policy and friends on every page and answer; and on a
    sign-in's answer (a page, or a redirection raised), what the throttle adds to it."""
    try:
        response = await handler(request)
    except web.HTTPException as raised:
        _sign_in_answer(request, raised)
        raise
    _sign_in_answer(request, response)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
