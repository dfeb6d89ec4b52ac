"""The portal's structure registry and its rules.

Who may activate or inactivate which structure, and when: every rule of the
operating guide's prerequisites lives here, so that the conversation (early,
to explain) and the write (late, to enforce) check exactly the same things.
`Registry.apply` re-checks them inside the write transaction, with the rows
locked, and journals the outcome in that same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from claudia import metrics
from claudia.db import Database
from claudia.models import (
    KIND_PUBLIC,
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    STRUCTURE_MANAGER_ROLES,
    JournalEntry,
    Role,
    Structure,
    UnverifiedRow,
    User,
    utcnow,
)
from claudia.provenance import Verdict, mark
from claudia.registry_file import parse_structure, parse_users
from claudia.sirene import Etablissement

ACTIVATE, INACTIVATE = "activer", "inactiver"
DONE, REFUSED, ABANDONED = "effectuee", "refusee", "abandonnee"


class Refusal(Exception):
    """A rule says no. `reason` is a stable code; `details` feed the French message."""

    def __init__(self, reason: str, **details: Any):
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass
class Attempt:
    """Who wants to do what, in which conversation."""

    login: Optional[str]
    conversation_id: Optional[str]
    operation: Optional[str]
    siret: Optional[str]
    successor_siret: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


def structures_of(session: Session, login: str) -> List[dict]:
    query = select(Structure).join(Role, Role.siret == Structure.siret).where(Role.login == login)
    return [found.as_dict() for found in session.execute(query.order_by(Structure.name)).scalars()]


def is_structure_manager(session: Session, login: str, siret: str) -> bool:
    role = session.execute(
        select(Role.role).where(Role.login == login, Role.siret == siret)
    ).scalar_one_or_none()
    return role in STRUCTURE_MANAGER_ROLES


def _get(session: Session, siret: str, lock: bool = False) -> Optional[Structure]:
    query = select(Structure).where(Structure.siret == siret)
    if lock:
        query = query.with_for_update()  # a no-op on SQLite, whose writer lock is global
    return session.execute(query).scalar_one_or_none()


def check_target(
    session: Session,
    login: Optional[str],
    operation: str,
    siret: str,
    sirene: Optional[Etablissement],
    lock: bool = False,
) -> Structure:
    """The structure to change, or the Refusal that forbids it."""
    if not login:
        raise Refusal("non_connecte")
    structure = _get(session, siret, lock)
    if structure is None:
        raise Refusal("siret_inconnu", siret=siret)
    if structure.kind != KIND_PUBLIC:
        raise Refusal("structure_privee", siret=siret, name=structure.name)
    if not is_structure_manager(session, login, siret):
        raise Refusal("droits_insuffisants", siret=siret, name=structure.name)
    if operation == ACTIVATE:
        if structure.status == STATUS_ACTIVE:
            raise Refusal("deja_active", siret=siret, name=structure.name)
        if sirene is None:
            raise Refusal("inconnu_sirene", siret=siret, name=structure.name)
        if not sirene.active:
            raise Refusal("ferme_sirene", siret=siret, name=structure.name)
    elif operation == INACTIVATE:
        if structure.status == STATUS_INACTIVE:
            raise Refusal("deja_inactive", siret=siret, name=structure.name)
        if sirene is None:
            raise Refusal("inconnu_sirene", siret=siret, name=structure.name)
    else:
        raise ValueError(f"unknown operation {operation!r}")
    return structure


def check_successor(
    session: Session, login: str, siret: str, successor_siret: str, lock: bool = False
) -> Structure:
    """The structure taking over the activity of `siret`, or the Refusal."""
    if successor_siret == siret:
        raise Refusal("successeur_identique", siret=successor_siret)
    successor = _get(session, successor_siret, lock)
    if successor is None:
        raise Refusal("successeur_inconnu", siret=successor_siret)
    if successor.kind != KIND_PUBLIC:
        raise Refusal("successeur_prive", siret=successor_siret, name=successor.name)
    if successor.status != STATUS_ACTIVE:
        raise Refusal("successeur_inactif", siret=successor_siret, name=successor.name)
    if not is_structure_manager(session, login, successor_siret):
        raise Refusal("droits_successeur", siret=successor_siret, name=successor.name)
    if _leads_back_to(session, successor, siret):
        raise Refusal("successeur_cycle", siret=successor_siret, name=successor.name)
    return successor


def _leads_back_to(session: Session, start: Structure, siret: str) -> bool:
    """True when following successors from `start` reaches `siret` (a cycle)."""
    seen = set()
    current: Optional[Structure] = start
    while current is not None and current.successor_siret:
        if current.successor_siret == siret:
            return True
        if current.successor_siret in seen:
            return False  # an older loop that does not involve `siret`
        seen.add(current.successor_siret)
        current = _get(session, current.successor_siret)
    return False


class Registry:
    def __init__(self, database: Database):
        self.db = database

    # -- reading ---------------------------------------------------------
    def structure(self, siret: str) -> Optional[dict]:
        with self.db.read() as session:
            found = _get(session, siret)
            return found.as_dict() if found else None

    def managed_structures(self, login: str) -> List[dict]:
        """The structures `login` has any role on (read-only questions)."""
        with self.db.read() as session:
            return structures_of(session, login)

    def is_empty(self) -> bool:
        with self.db.read() as session:
            return session.execute(select(Structure.siret).limit(1)).first() is None

    def check(
        self, login: Optional[str], operation: str, siret: str, sirene: Optional[Etablissement]
    ) -> dict:
        """Early check while talking; raises Refusal. Nothing is written."""
        with self.db.read() as session:
            return check_target(session, login, operation, siret, sirene).as_dict()

    def check_successor(self, login: str, siret: str, successor_siret: str) -> dict:
        with self.db.read() as session:
            return check_successor(session, login, siret, successor_siret).as_dict()

    def journal(self, conversation_id: Optional[str] = None) -> List[dict]:
        """The journal, each entry with `verified`: False when it was written in a user's name
        without their sealed messages vouching for it (claudia/provenance.py)."""
        with self.db.read() as session:
            query = select(JournalEntry, UnverifiedRow.id).outerjoin(
                UnverifiedRow, UnverifiedRow.journal_id == JournalEntry.id).order_by(JournalEntry.id)
            if conversation_id:
                query = query.where(JournalEntry.conversation_id == conversation_id)
            return [{**entry.as_dict(), "verified": marked is None} for entry, marked in session.execute(query)]

    # -- writing ---------------------------------------------------------
    def apply(self, attempt: Attempt, sirene: Optional[Etablissement]) -> dict:
        """Re-checks every rule with the rows locked, changes the status, journals.

        Returns the structure as now stored; raises Refusal (journaled) otherwise.
        """
        try:
            with self.db.write() as session:
                self._lock_in_order(session, attempt)
                structure = check_target(
                    session, attempt.login, attempt.operation, attempt.siret, sirene, lock=True
                )
                if attempt.operation == ACTIVATE:
                    structure.status = STATUS_ACTIVE
                    structure.successor_siret = None  # invoices come back to it
                else:
                    successor = self._successor_for(session, attempt, sirene)
                    structure.status = STATUS_INACTIVE
                    structure.successor_siret = successor
                structure.updated_at = utcnow()
                session.add(_entry(attempt, DONE, None))
                session.flush()
                stored = structure.as_dict()
        except Refusal as refusal:
            metrics.REGISTRY_WRITES.labels("refused").inc()
            self.record(attempt, REFUSED, refusal.reason)
            raise
        except Exception:
            metrics.REGISTRY_WRITES.labels("error").inc()
            raise
        metrics.REGISTRY_WRITES.labels("done").inc()
        _count(attempt, DONE, None)
        return stored

    @staticmethod
    def _lock_in_order(session: Session, attempt: Attempt) -> None:
        """Locks the target and the successor rows in SIRET order, so that two
        transactions naming the same two structures wait instead of deadlocking."""
        sirets = sorted({s for s in (attempt.siret, attempt.successor_siret) if s})
        session.execute(select(Structure.siret).where(Structure.siret.in_(sirets))
                        .order_by(Structure.siret).with_for_update()).all()

    @staticmethod
    def _successor_for(
        session: Session, attempt: Attempt, sirene: Optional[Etablissement]
    ) -> Optional[str]:
        still_open = sirene is not None and sirene.active
        if not attempt.successor_siret:
            if still_open:
                raise Refusal("successeur_requis", siret=attempt.siret)
            return None
        check_successor(session, attempt.login, attempt.siret, attempt.successor_siret, lock=True)
        return attempt.successor_siret

    def record(self, attempt: Attempt, outcome: str, reason: Optional[str], detail: str = "",
               provenance: Optional[Verdict] = None) -> None:
        """Journals an attempt that changed nothing (refused, abandoned); marked when the
        user's sealed messages do not vouch for it (`provenance`, claudia/provenance.py)."""
        with self.db.write() as session:
            entry = _entry(attempt, outcome, reason, detail)
            session.add(entry)
            if provenance is not None and not provenance.verified:
                session.flush()
                mark(session, provenance, journal_id=entry.id)
        _count(attempt, outcome, reason)

    # -- administration --------------------------------------------------
    def replace_all(self, data: dict) -> Dict[str, int]:
        """Replaces structures, users and roles with `data` (the YAML format)."""
        structures = [parse_structure(item) for item in data.get("structures") or []]
        known = {s.siret for s in structures}
        users, roles = parse_users(data.get("users") or [], known)
        with self.db.write() as session:
            session.execute(delete(Role))
            session.execute(delete(User))
            session.execute(delete(Structure))
            session.add_all(structures)
            session.add_all(users)
            session.flush()
            session.add_all(roles)
        return {"structures": len(structures), "users": len(users), "roles": len(roles)}


def _count(attempt: Attempt, outcome: str, reason: Optional[str]) -> None:
    """A journaled outcome, in the metrics (codes only: never the SIRET nor the login)."""
    metrics.PROCEDURES.labels(metrics.code(attempt.operation, "operation"), metrics.code(outcome, "outcome"),
                              metrics.code(reason, "reason")).inc()


def _entry(attempt: Attempt, outcome: str, reason: Optional[str], detail: str = "") -> JournalEntry:
    return JournalEntry(
        at=utcnow(),
        login=attempt.login,
        conversation_id=attempt.conversation_id,
        operation=attempt.operation,
        siret=attempt.siret,
        successor_siret=attempt.successor_siret,
        outcome=outcome,
        reason=reason,
        detail=detail or None,
    )
