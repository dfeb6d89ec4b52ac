"""PostgreSQL's side of claudia/backup.py: `pg_dump` and `pg_restore`, run with the URL's settings.

The documented equivalent, by hand (what these functions run):

  PGPASSWORD=… pg_dump --format=custom --no-owner --no-privileges --file=claudia.pgdump \\
      --host=H --port=P --username=U [--schema=S] DATABASE
  PGPASSWORD=… pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \\
      --exit-on-error --host=H --port=P --username=U --dbname=DATABASE claudia.pgdump

`pg_dump` reads the database in one snapshot while the servers go on writing. The password
travels in the environment (PGPASSWORD), never on a command line (`ps` shows those to every
local user). A URL whose `options` set a `search_path` (`?options=-csearch_path%3Dclaudia`)
saves and restores that schema only.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """A backup or restoration refused or failed; the message is French, for the operator.
    (Defined here, used by claudia/backup.py too, so that neither module imports the other's
    importer.)"""


_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([A-Za-z_][A-Za-z0-9_]*)")


def _query(url: str, key: str) -> Optional[str]:
    value = make_url(url).query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value


def schema(url: str) -> Optional[str]:
    """The one schema the URL works in (its search_path option), or None for the whole database."""
    found = _SEARCH_PATH.search(_query(url, "options") or "")
    return found.group(1) if found else None


def connection_arguments(url: str) -> List[str]:
    parsed = make_url(url)
    arguments = [f"--{name}={value}" for name, value in (("host", parsed.host), ("port", parsed.port),
                                                           ("username", parsed.username)) if value]
    return arguments


def environment(url: str) -> Dict[str, str]:
    """The client's environment: the password, the session options, the TLS mode."""
    env = dict(os.environ)
    parsed = make_url(url)
    for name, value in (("PGPASSWORD", parsed.password), ("PGOPTIONS", _query(url, "options")),
                        ("PGSSLMODE", _query(url, "sslmode"))):
        if value:
            env[name] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} introuvable : installez le client PostgreSQL (paquet postgresql-client)")
    return found


def _run(command: List[str], url: str) -> None:
    result = subprocess.run(command, env=environment(url), capture_output=True, text=True,
                            timeout=TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué ({result.returncode}) : {result.stderr.strip()[-2000:]}")


def dump(url: str, path: Path) -> dict:
    """`pg_dump` of the URL's database (or schema) into `path`, custom format."""
    chosen = schema(url)
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={path}",
               *connection_arguments(url), *([f"--schema={chosen}"] if chosen else []),
               make_url(url).database or ""]
    _run(command, url)
    return {"tool": "pg_dump --format=custom", "schema": chosen}


def restore(path: Path, url: str) -> dict:
    """`pg_restore` of `path` into the URL's database, replacing what the dump holds, in one
    transaction (all or nothing); then the rows of each table, for the report."""
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", *connection_arguments(url),
               f"--dbname={make_url(url).database or ''}", str(path)]
    _run(command, url)
    return {"tool": "pg_restore", "schema": schema(url), "tables": row_counts(url)}


def _engine(url: str):
    return create_engine(url, future=True, pool_size=1, max_overflow=0)


def other_sessions(url: str) -> int:
    """Client sessions on the URL's database other than this check's own."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar_one()
    finally:
        engine.dispose()


def row_counts(url: str) -> Dict[str, int]:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            names = [row[0] for row in connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' ORDER BY table_name"))]
            return {name: connection.execute(text('SELECT count(*) FROM "{}"'.format(name.replace('"', '""'))))
                    .scalar_one() for name in names}
    finally:
        engine.dispose()
