"""Who is talking: only a signed portal token says so.

The portal signs an HS256 JWT (claims `sub` = login, `exp`) with the secret in
CLAUDIA_JWT_SECRET. The connected channel verifies it on every message and
passes an assertion to the action server in the message's metadata: a token
signed with the same secret, bound to the conversation id, expiring with the
portal token. The action server verifies it before reading or writing
anything. Neither the message text nor any metadata the browser sends can
name the user, and an assertion stored in the tracker cannot be replayed on
another conversation.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import jwt

ALGORITHM = "HS256"
# Key under which the channel hands its identity assertion to the action server.
TOKEN_METADATA_KEY = "claudia_identity"
# Audience of the channel's assertions: never accepted as a portal token, and back.
ASSERTION_AUDIENCE = "claudia-actions"


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


def issue_assertion(login: str, conversation_id: str, expires_at: int, secret: str) -> str:
    """The channel's word that `login` speaks in `conversation_id` until `expires_at`."""
    claims = {"sub": login, "conv": conversation_id, "exp": expires_at, "aud": ASSERTION_AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_assertion(token: Optional[str], conversation_id: str, secret: str) -> Optional[Identity]:
    """The identity the channel vouched for in this conversation, or None."""
    if not token or not secret:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=ASSERTION_AUDIENCE,
            options={"require": ["sub", "exp", "conv"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("conv") != conversation_id or not isinstance(claims.get("sub"), str):
        return None
    return Identity(login=claims["sub"])


def token_expiry(token: str) -> int:
    """The `exp` of a token already verified."""
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])


def token_from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    if not metadata:
        return None
    token = metadata.get(TOKEN_METADATA_KEY)
    return token if isinstance(token, str) else None
