"""Who is talking: only a signed portal token says so.

The portal signs an HS256 JWT (claims `sub` = login, `exp`) with the secret in
CLAUDIA_JWT_SECRET. The connected channel verifies it on every message and
records, server-side, its word on that very message (claudia/assertions.py);
the action server reads the user from that record. Neither the message text
nor any metadata the browser sends can name the user, and nothing in the
tracker store proves an identity.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Identity:
    login: str


def verify_token(
    token: Optional[str], secret: str, audience: Optional[str] = None
) -> Optional[Identity]:
    """The identity a token proves, or None (missing, forged, expired, alg none...)."""
    if not token or not secret:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never "none", never an asymmetric confusion
            audience=audience,
            options={"require": ["sub", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    login = claims.get("sub")
    if not isinstance(login, str) or not login.strip():
        return None
    return Identity(login=login.strip())


def bearer_token(authorization_header: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def issue_token(
    login: str, secret: str, ttl_seconds: int = 900, audience: Optional[str] = None
) -> str:
    """A short-lived token, as the portal issues them (demo and tests)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": login, "iat": now, "exp": now + ttl_seconds}
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_expiry(token: str) -> int:
    """The `exp` of a token already verified."""
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])
