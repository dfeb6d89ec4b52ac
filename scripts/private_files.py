"""Files only the service account may read: the databases, the endpoints file, var/.

Every launcher calls `make_private()` first: umask 077 for whatever the process
creates (SQLite creates its -wal and -shm files with the database's mode), and
mode 0700 / 0600 on what already exists.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, Optional

from sqlalchemy.engine import make_url

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


def make_private(urls: Iterable[Optional[str]] = (), files: Iterable[Path] = ()) -> None:
    """umask 077, var/ 0700, and 0600 on the SQLite files of `urls` and on `files`."""
    os.umask(0o077)
    VAR.mkdir(mode=0o700, exist_ok=True)
    _restrict(VAR, 0o700)
    for path in filter(None, map(sqlite_path, urls)):
        for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            _restrict(companion, 0o600)
    for path in files:
        _restrict(Path(path), 0o600)
