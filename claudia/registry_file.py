"""The registry file (demo/registry.yml's format) read into rows, every value checked."""
from __future__ import annotations

from typing import Any, Iterable

from claudia.models import (
    ALL_ROLES, KIND_PRIVATE, KIND_PUBLIC, STATUS_ACTIVE, STATUS_INACTIVE, Role, Structure, User, utcnow,
)
from claudia.siret import read_siret


def _valid_siret(value: Any, where: str) -> str:
    reading = read_siret(str(value or ""))
    if not reading.is_valid or reading.digits != str(value).replace(" ", ""):
        raise ValueError(f"{where}: SIRET invalide {value!r}")
    return reading.siret


def parse_structure(item: dict) -> Structure:
    siret = _valid_siret(item.get("siret"), "structure")
    kind = item.get("kind", KIND_PUBLIC)
    status = item.get("status", STATUS_ACTIVE)
    if kind not in (KIND_PUBLIC, KIND_PRIVATE):
        raise ValueError(f"structure {siret}: kind doit être public ou private")
    if status not in (STATUS_ACTIVE, STATUS_INACTIVE):
        raise ValueError(f"structure {siret}: status doit être active ou inactive")
    successor = item.get("successor_siret")
    return Structure(
        siret=siret,
        name=str(item.get("name") or siret),
        kind=kind,
        status=status,
        successor_siret=_valid_siret(successor, f"successeur de {siret}") if successor else None,
        updated_at=utcnow(),
    )


def parse_users(items: Iterable[dict], known_sirets: set) -> tuple:
    users, roles = [], []
    for item in items:
        login = str(item.get("login") or "").strip()
        if not login:
            raise ValueError("utilisateur sans login")
        users.append(User(login=login, name=str(item.get("name") or login)))
        for grant in item.get("roles") or []:
            siret = _valid_siret(grant.get("siret"), f"rôle de {login}")
            if siret not in known_sirets:
                raise ValueError(f"rôle de {login}: structure {siret} absente du fichier")
            if grant.get("role") not in ALL_ROLES:
                raise ValueError(f"rôle de {login}: rôle inconnu {grant.get('role')!r}")
            roles.append(Role(login=login, siret=siret, role=grant["role"]))
    return users, roles
