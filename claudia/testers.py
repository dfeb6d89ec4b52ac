"""Testers invited by the maintainers: a signed, expiring link, a test identity, a test registry.

An invitation is an HS256 token signed with a key derived from CLAUDIA_JWT_SECRET for this one
purpose (so it is never a portal token, nor the other way round), with the audience
`claudia-testeur`, the tester's login, the name the maintainer gave, who invited and an expiry.
Opening it gives a portal session to that test identity.

A test identity's login starts with `testeur.` (reserved: the registry refuses such a login in
its users, the portal stand-in cannot sign one in). Every registry read and write of a test
identity goes to the TEST registry, a database of its own (CLAUDIA_TEST_DB_URL; by default
`registre-test.db` beside the SQLite database), seeded from the demo registry
(CLAUDIA_TEST_REGISTRY_FILE, `demo/registry.yml`), where the tester gets the roles of a demo
manager (CLAUDIA_TEST_ROLES_FROM, `marie.dupont`). `RoutedRegistry` does the routing for the
actions: a test login never reaches the real registry, a real one never the test registry, and a
test registry configured on the real database is refused. Conversations of test identities are
labelled « test » in the review (claudia.review_tags).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import jwt
import yaml
from sqlalchemy import select
from sqlalchemy.engine import make_url

from claudia.models import Role, User

ROOT = Path(__file__).resolve().parents[1]
TEST_PREFIX = "testeur."
TEST_TAG = "test"
AUDIENCE = "claudia-testeur"
ALGORITHM = "HS256"
_KEY_PURPOSE = b"claudia/tester-invitation/v1"
LONGEST_VALIDITY_HOURS = 24 * 30
EXPIRED = ("Ce lien d'invitation a expiré. Demandez un nouveau lien à la personne qui vous a invité "
           "à tester ClaudIA.")
INVALID = ("Ce lien d'invitation n'est pas valide (il a pu être modifié ou mal copié). Vérifiez l'adresse, "
           "ou demandez un nouveau lien à la personne qui vous a invité.")
_seed_lock = threading.Lock()


def is_test_login(login: Optional[str]) -> bool:
    return isinstance(login, str) and login.startswith(TEST_PREFIX)


class InvitationRefused(Exception):
    """The link is expired, forged or damaged; the message says so in French."""


@dataclass(frozen=True)
class Invitation:
    login: str
    name: str
    invited_by: str
    expires: int


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()


def clean_name(raw: object, limit: int = 60) -> str:
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in str(raw or ""))
    return " ".join(text.split())[:limit]


def issue_invitation(secret: str, name: str, invited_by: str, hours: float) -> tuple:
    """(token, invitation) for a new test identity, valid `hours` hours."""
    shown = clean_name(name) or "Testeur"
    if not 0 < hours <= LONGEST_VALIDITY_HOURS:
        raise ValueError(f"La validité d'une invitation va de 1 heure à {LONGEST_VALIDITY_HOURS} heures.")
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", shown).encode("ascii", "ignore")
                  .decode().lower()).strip("-")[:24] or "testeur"
    login = f"{TEST_PREFIX}{slug}-{secrets.token_hex(3)}"
    expires = int(time.time() + hours * 3600)
    claims = {"sub": login, "name": shown, "by": clean_name(invited_by, 128), "exp": expires,
              "iat": int(time.time()), "aud": AUDIENCE}
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM), Invitation(login, shown, claims["by"], expires)


def read_invitation(token: str, secret: str) -> Invitation:
    """The invitation a link carries; InvitationRefused (French) if expired, forged or damaged."""
    try:
        claims = jwt.decode(token or "", _key(secret), algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "aud"]})
    except jwt.ExpiredSignatureError:
        raise InvitationRefused(EXPIRED)
    except jwt.PyJWTError:
        raise InvitationRefused(INVALID)
    login = claims.get("sub")
    if not is_test_login(login) or not re.fullmatch(r"testeur\.[a-z0-9-]{1,40}", login):
        raise InvitationRefused(INVALID)
    return Invitation(login, clean_name(claims.get("name")) or "Testeur", clean_name(claims.get("by"), 128),
                      int(claims["exp"]))


# -- the test registry ----------------------------------------------------------------------------
def test_db_url(real_url: str) -> str:
    """CLAUDIA_TEST_DB_URL, or `registre-test.db` beside the real SQLite database (under var/ else);
    never the real database's URL."""
    url = os.environ.get("CLAUDIA_TEST_DB_URL", "").strip()
    if not url:
        real = make_url(real_url)
        folder = Path(real.database).parent if real.get_backend_name() == "sqlite" and real.database \
            and real.database != ":memory:" else ROOT / "var"
        url = f"sqlite:///{folder / 'registre-test.db'}"
    if _same_database(url, real_url):
        raise ValueError("CLAUDIA_TEST_DB_URL désigne la base réelle : le registre de test doit être une base à part.")
    return url


def _same_database(first: str, second: str) -> bool:
    a, b = make_url(first), make_url(second)
    if a.get_backend_name() == "sqlite" and b.get_backend_name() == "sqlite":
        return bool(a.database) and bool(b.database) and a.database != ":memory:" \
            and Path(a.database).resolve() == Path(b.database).resolve()
    return (a.get_backend_name(), a.host, a.port, a.database) == (b.get_backend_name(), b.host, b.port, b.database)


def seed_data() -> Dict[str, Any]:
    path = Path(os.environ.get("CLAUDIA_TEST_REGISTRY_FILE", ROOT / "demo" / "registry.yml"))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def roles_template() -> str:
    return os.environ.get("CLAUDIA_TEST_ROLES_FROM", "marie.dupont")


def reset_test_registry(registry) -> Dict[str, int]:
    """The test registry as seeded (its testers' roles are given again when they next open a link)."""
    with _seed_lock:
        return registry.replace_all(seed_data())


def ensure_tester(registry, login: str, name: str) -> None:
    """The test identity in the test registry (seeded first if empty), with the template's roles."""
    if not is_test_login(login):
        raise ValueError("Seule une identité de test peut être ajoutée au registre de test.")
    with _seed_lock:
        if registry.is_empty():
            registry.replace_all(seed_data())
        with registry.db.write() as session:
            if session.get(User, login) is None:
                session.add(User(login=login, name=name))
                session.flush()
            granted = set(session.execute(select(Role.siret).where(Role.login == login)).scalars())
            template = session.execute(select(Role).where(Role.login == roles_template())).scalars().all()
            session.add_all([Role(login=login, siret=r.siret, role=r.role) for r in template if r.siret not in granted])


class RoutedRegistry:
    """The registry the actions use: a test identity's reads and writes go to the test registry,
    everyone else's to the real one. What names nobody (administration) is the real registry's."""

    def __init__(self, real, test_factory: Callable[[], Any]):
        self.real = real
        self._test_factory = test_factory

    def _for(self, login: Optional[str]):
        return self._test_factory() if is_test_login(login) else self.real

    def managed_structures(self, login: str) -> List[dict]:
        return self._for(login).managed_structures(login)

    def check(self, login, operation, siret, sirene) -> dict:
        return self._for(login).check(login, operation, siret, sirene)

    def check_successor(self, login, siret, successor_siret) -> dict:
        return self._for(login).check_successor(login, siret, successor_siret)

    def apply(self, attempt, sirene) -> dict:
        return self._for(attempt.login).apply(attempt, sirene)

    def record(self, attempt, outcome, reason, detail: str = "", provenance=None) -> None:
        return self._for(attempt.login).record(attempt, outcome, reason, detail, provenance)

    def replace_all(self, data: dict) -> Dict[str, int]:
        if any(is_test_login(str((user or {}).get("login") or "")) for user in data.get("users") or []):
            raise ValueError(f"Les identifiants commençant par « {TEST_PREFIX} » sont réservés aux testeurs.")
        return self.real.replace_all(data)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


class RoutedFeedback:
    """The evaluation store the actions use: a tester's votes go to the test database, so that
    the satisfaction figures the review and the operators read count real users only."""

    def __init__(self, real, test_factory: Callable[[], Any]):
        self.real = real
        self._test_factory = test_factory

    def record(self, conversation_id: str, login: Optional[str], *args: Any, **kwargs: Any) -> dict:
        store = self._test_factory() if is_test_login(login) else self.real
        return store.record(conversation_id, login, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # reading (for_conversation, all) is the real store's
        return getattr(self.real, name)
