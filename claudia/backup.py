"""Backups of every database of ClaudIA taken while it runs, and their restoration.

  python -m claudia.admin backup DIR     python -m claudia.admin restore DIR [--force]

What is saved: the project's database (`CLAUDIA_DB_URL`: registry, journal, evaluations,
live chats, accounts, review index) and Rasa's tracker store (`CLAUDIA_TRACKER_DB_URL`:
the conversations), one file each (one only when both settings name the same database),
the project's first: the review index then never points past the conversations saved.

- SQLite: SQLite's online backup API (`sqlite3.Connection.backup`) copies the whole file in
  one step, inside one read transaction: a consistent snapshot, while the servers go on
  writing (the databases are in WAL mode, where a reader holds up no writer). The copy is
  made self-contained (no -wal file), checked (`PRAGMA integrity_check`) and its tables
  counted.
- PostgreSQL: `pg_dump --format=custom` (claudia/backup_pg.py), consistent by itself.

`DIR/manifest.json`, written last (no manifest: no backup), says what was saved, from
where, when, each file's size and SHA-256, and for SQLite the rows of each table.

`restore` checks the manifest first (every file present, same size, same checksum) and
refuses a target in use — a SQLite file some process has open, a PostgreSQL database
with other sessions — unless `force`; only then does it write, with the same backup API
(a running server would see the restored content, not a file pulled from under it) or
`pg_restore`, and counts the restored rows against the manifest.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sqlalchemy.engine import make_url

from claudia import backup_pg
from claudia.backup_pg import BackupError
from claudia.config import Settings
from claudia.file_digest import file_sha256
from claudia.writer_turn import WriterTurn

FORMAT = "claudia-backup/1"
MANIFEST = "manifest.json"
BUSY_SECONDS = 30.0
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


@dataclass(frozen=True)
class Target:
    """One database: its name in the backup, the settings naming it, its URL."""
    name: str
    settings: Tuple[str, ...]
    url: str

    @property
    def kind(self) -> str:
        backend = make_url(self.url).get_backend_name()
        if backend not in SUFFIX:
            raise BackupError(f"{', '.join(self.settings)} : base {backend} non prise en charge "
                              "(SQLite ou PostgreSQL seulement)")
        return backend

    @property
    def location(self) -> str:
        """What tells two URLs of one database apart: the file, or the URL without password."""
        if self.kind == "sqlite":
            return str(sqlite_file(self.url))
        return make_url(self.url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url} : une base SQLite en mémoire ne se sauvegarde pas")
    return Path(database).resolve()


def targets(settings: Settings) -> List[Target]:
    """Every database of the assistant, the project's first; one per distinct database."""
    found: List[Target] = []
    for name, setting, url in (("claudia", "CLAUDIA_DB_URL", settings.db_url),
                               ("tracker", "CLAUDIA_TRACKER_DB_URL", settings.tracker_db_url)):
        target = Target(name, (setting,), url)
        same = [t for t in found if t.location == target.location]
        if same:
            found[found.index(same[0])] = Target(same[0].name, same[0].settings + (setting,), same[0].url)
        else:
            found.append(target)
    return found


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_counts(connection: sqlite3.Connection) -> Dict[str, int]:
    """Rows of each ordinary table (a full-text index's own tables included)."""
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
    return {name: connection.execute('SELECT count(*) FROM "{}"'.format(name.replace('"', '""'))).fetchone()[0]
            for name in names}


def _integrity(connection: sqlite3.Connection) -> str:
    return ", ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


# -- backing up -------------------------------------------------------------------------------
def _copy_sqlite(source: Path, copy: Path) -> dict:
    if not source.is_file():
        raise BackupError(f"base SQLite introuvable : {source}")
    with closing(sqlite3.connect(str(source), timeout=BUSY_SECONDS)) as live, \
            closing(sqlite3.connect(str(copy))) as out:
        taken_at = _now()
        live.backup(out)  # every page in one step: one read transaction, one moment
        out.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone, without a -wal file
        check = _integrity(out)
        tables = row_counts(out)
    if check != "ok":
        raise BackupError(f"copie de {source} incohérente : {check}")
    return {"taken_at": taken_at, "integrity": check, "tables": tables}


def backup(directory: Path, databases: List[Target]) -> dict:
    """Copies every database into `directory` (new or empty), then writes the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} n'est pas vide : choisissez un nouveau dossier de sauvegarde")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # personal data: the service account's only
    manifest = {"format": FORMAT, "started_at": _now(), "host": socket.gethostname(), "databases": []}
    old_umask = os.umask(0o077)
    try:
        for target in databases:
            path = directory / f"{target.name}{SUFFIX[target.kind]}"
            if target.kind == "sqlite":
                entry = {"source": str(sqlite_file(target.url)), **_copy_sqlite(sqlite_file(target.url), path)}
            else:
                entry = {"source": target.location, "taken_at": _now(), **backup_pg.dump(target.url, path)}
            manifest["databases"].append({"name": target.name, "settings": list(target.settings),
                                          "kind": target.kind, "file": path.name, "bytes": path.stat().st_size,
                                          "sha256": file_sha256(path), **entry})
        manifest["finished_at"] = _now()
        written = directory / (MANIFEST + ".partial")
        written.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.replace(directory / MANIFEST)
    finally:
        os.umask(old_umask)
    return manifest


# -- restoring ----------------------------------------------------------------------------------
def read_manifest(directory: Path) -> dict:
    """The manifest, once every file it lists is there with its size and checksum."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"pas de {MANIFEST} dans {directory} : sauvegarde absente ou inachevée") from None
    except ValueError as error:
        raise BackupError(f"{path} illisible : {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not manifest.get("databases"):
        raise BackupError(f"{path} n'est pas un manifeste de sauvegarde ClaudIA ({FORMAT})")
    for entry in manifest["databases"]:
        name = str(entry.get("file") or "")
        file = Path(directory) / name
        if not name or Path(name).name != name or entry.get("kind") not in SUFFIX:
            raise BackupError(f"{path} : entrée invalide {entry.get('name')!r}")
        if not file.is_file():
            raise BackupError(f"fichier manquant : {file}")
        if file.stat().st_size != entry.get("bytes"):
            raise BackupError(f"{file} : taille {file.stat().st_size} au lieu de {entry.get('bytes')}")
        if file_sha256(file) != entry.get("sha256"):
            raise BackupError(f"{file} : somme de contrôle SHA-256 différente du manifeste, fichier altéré")
    return manifest


def sqlite_users(path: Path) -> List[int]:
    """Processes (other than this one) that have the SQLite file, its -wal or -shm open."""
    watched = {str(path), f"{path}-wal", f"{path}-shm"}
    found = []
    for process in Path("/proc").iterdir():
        if not process.name.isdigit() or int(process.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in watched for fd in (process / "fd").iterdir()):
                found.append(int(process.name))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return sorted(found)


def in_use(target: Target) -> Optional[str]:
    """Why `target` counts as in use (a French sentence), or None."""
    if target.kind == "sqlite":
        users = sqlite_users(sqlite_file(target.url))
        return f"ouverte par les processus {', '.join(map(str, users))}" if users else None
    sessions = backup_pg.other_sessions(target.url)
    return f"{sessions} autre(s) session(s) PostgreSQL ouvertes sur la base" if sessions else None


def _restore_sqlite(copy: Path, target: Path) -> dict:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not target.exists():  # a -wal left without its database would be replayed into the new one
        for companion in ("-wal", "-shm", "-journal"):
            Path(f"{target}{companion}").unlink(missing_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
    # ClaudIA's writers wait for their turn (claudia/writer_turn.py) rather than meet SQLite's lock.
    with WriterTurn(str(target), BUSY_SECONDS), closing(sqlite3.connect(str(copy))) as saved, \
            closing(sqlite3.connect(str(target), timeout=BUSY_SECONDS)) as live:
        saved.backup(live)
        check = _integrity(live)
        tables = row_counts(live)
    if check != "ok":
        raise BackupError(f"{target} restaurée mais incohérente : {check}")
    return {"integrity": check, "tables": tables}


def restore(directory: Path, databases: List[Target], force: bool = False) -> dict:
    """Puts the saved databases back where `databases` (today's settings) say they are."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    plan = []
    for entry in manifest["databases"]:
        wanted = [t for t in databases if set(t.settings) & set(entry.get("settings") or ())]
        if not wanted:
            raise BackupError(f"aucune base configurée pour {', '.join(entry.get('settings') or [])}")
        for target in wanted:
            if target.kind != entry["kind"]:
                raise BackupError(f"{', '.join(target.settings)} est une base {target.kind}, "
                                  f"la sauvegarde {entry['name']} une base {entry['kind']}")
            plan.append((entry, target))
    places = [target.location for _, target in plan]
    if len(set(places)) != len(places):
        raise BackupError("la sauvegarde contient des bases distinctes que la configuration actuelle réunit "
                          "en une seule : donnez à CLAUDIA_DB_URL et CLAUDIA_TRACKER_DB_URL deux bases")
    if not force:
        busy = [f"{', '.join(t.settings)} ({t.location}) : {why}" for _, t in plan if (why := in_use(t))]
        if busy:
            raise BackupError("base(s) en service, rien n'a été restauré — arrêtez ClaudIA d'abord "
                              "(ou --force) : " + " ; ".join(busy))
    report = {"from": str(directory), "saved_at": manifest.get("finished_at"), "restored": []}
    for entry, target in plan:
        file = directory / entry["file"]
        if target.kind == "sqlite":
            done = _restore_sqlite(file, sqlite_file(target.url))
            missing = {name: count for name, count in (entry.get("tables") or {}).items()
                       if done["tables"].get(name) != count}
            if missing and not force:
                raise BackupError(f"{target.location} : lignes restaurées différentes du manifeste {missing}")
        else:
            done = backup_pg.restore(file, target.url)
        report["restored"].append({"name": entry["name"], "settings": list(target.settings),
                                   "target": target.location, **done})
    return report
