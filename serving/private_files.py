"""Files only the service account may read: the databases, the endpoints file, var/.

Every launcher calls `make_private()` first: umask 077 for whatever the process
creates (SQLite creates its -wal and -shm files with the database's mode), and
mode 0700 / 0600 on what already exists. Then a database directory, database or lock
file that another account owns or may still write stops the launcher with a message in
French and English (claudia/safe_paths.py): the process would otherwise share its data
or its locks with that account.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, List, Optional

import yaml
from sqlalchemy.engine import make_url

from claudia.safe_paths import UnsafeLocation, check_directory, check_sqlite_location, check_file

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def sqlite_path(url: Optional[str]) -> Optional[Path]:
    if not url:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _restrict(path: Path, mode: int) -> None:
    try:
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(mode)
    except PermissionError:  # not ours: say nothing, the owner decides
        pass


def make_private(urls: Iterable[Optional[str]] = (), files: Iterable[Path] = (),
                 lock_files: Iterable[Path] = ()) -> None:
    """umask 077, var/ 0700, and 0600 on the SQLite files of `urls` and on `files`; then
    `SystemExit` (French, then English) if a database's directory, a database or one of the
    `lock_files` (or its directory) is another account's or writable by others."""
    os.umask(0o077)
    VAR.mkdir(mode=0o700, exist_ok=True)
    _restrict(VAR, 0o700)
    databases = list(filter(None, map(sqlite_path, urls)))
    for path in databases:
        for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            _restrict(companion, 0o600)
    for path in files:
        _restrict(Path(path), 0o600)
    try:
        for path in databases:
            if path.parent.exists():
                check_sqlite_location(path)
        for lock in map(Path, lock_files):
            if lock.parent.exists():
                check_directory(lock.parent, "lock_dir")
                check_file(lock, "lock")
    except UnsafeLocation as refusal:
        raise SystemExit(str(refusal))


def endpoint_lock_files(endpoints: Optional[Path]) -> List[Path]:
    """The conversations' lock file an endpoints file names (serving/endpoints.py), if any."""
    try:
        config = yaml.safe_load(Path(endpoints).read_text(encoding="utf-8")) if endpoints else None
    except OSError:
        return []
    store = (config or {}).get("lock_store") or {}
    if not isinstance(store, dict) or not store.get("lock_dir"):
        return []
    return [Path(store["lock_dir"]) / "conversations.lock"]
