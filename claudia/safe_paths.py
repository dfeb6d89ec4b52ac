"""Refusing database and lock locations that another account could tamper with.

The SQLite database's directory and file, the writers' lock file beside it
(claudia/writer_turn.py) and the conversations' lock directory and file
(rasa_extensions/file_lock_store.py) must belong to the account running ClaudIA (or to root, who
can do anything anyway) and be writable by nobody else. In a shared folder another account
could replace the database, hold a lock for ever, or put a link or a pipe where a lock
file is expected. Such a location stops the process at start-up (`UnsafeLocation`, with a
message in French, then in English); nothing is created or opened there first.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Tuple

KINDS = {
    "database_dir": ("le répertoire de la base de données", "the database directory"),
    "database": ("le fichier de base de données", "the database file"),
    "lock_dir": ("le répertoire des verrous", "the lock directory"),
    "lock": ("le fichier de verrou", "the lock file"),
    "socket_dir": ("le répertoire des sockets privées", "the private sockets' directory"),
    "socket": ("la socket privée", "the private socket"),
}


class UnsafeLocation(RuntimeError):
    """A database or lock location another account could tamper with (French, then English)."""


def _refusal(kind: str, path: Path, french: str, english: str) -> UnsafeLocation:
    name_fr, name_en = KINDS[kind]
    return UnsafeLocation(f"Démarrage refusé : {name_fr} {path} {french}\n"
                          f"Start-up refused: {name_en} {path} {english}")


def _owner_and_mode(kind: str, path: Path, status: os.stat_result) -> None:
    me = os.geteuid()
    if status.st_uid not in (me, 0):
        raise _refusal(
            kind, path,
            f"appartient à un autre compte (uid {status.st_uid}) que celui qui fait tourner ClaudIA "
            f"(uid {me}) : ce compte pourrait remplacer la base de données ou bloquer ses verrous. "
            f"Donnez-le au compte du service (chown) ou choisissez un emplacement qui lui est propre.",
            f"is owned by another account (uid {status.st_uid}) than the one running ClaudIA (uid {me}): "
            f"that account could replace the database or hold its locks. Give it to the service "
            f"account (chown) or choose a location of its own.")
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o022:
        raise _refusal(
            kind, path,
            f"est modifiable par d'autres comptes (droits {mode:04o}) : l'un d'eux pourrait remplacer "
            f"la base de données ou bloquer ses verrous. Retirez-leur l'écriture (chmod go-w) ou "
            f"choisissez un emplacement propre au compte du service.",
            f"is writable by other accounts (mode {mode:04o}): one of them could replace the database "
            f"or hold its locks. Remove their write permission (chmod go-w) or choose a location "
            f"of the service account's own.")


def check_directory(path: Path, kind: str) -> None:
    """`path` (followed if a link: the directory it names counts) is ours and writable by us only."""
    path = Path(path)
    status = os.stat(path)
    if not stat.S_ISDIR(status.st_mode):
        raise _refusal(kind, path, "n'est pas un répertoire.", "is not a directory.")
    _owner_and_mode(kind, path, status)


def _regular_file(kind: str, path: Path, status: os.stat_result) -> None:
    if stat.S_ISLNK(status.st_mode):
        raise _refusal(kind, path, "est un lien symbolique : il pourrait désigner le fichier d'un autre. "
                                   "Supprimez le lien.",
                       "is a symbolic link: it could name someone else's file. Remove the link.")
    if not stat.S_ISREG(status.st_mode):
        raise _refusal(kind, path, "n'est pas un fichier ordinaire : supprimez-le.",
                       "is not a regular file: remove it.")
    _owner_and_mode(kind, path, status)


def check_file(path: Path, kind: str, follow: bool = False) -> None:
    """If `path` exists: a regular file that is ours and writable by us only. A link is refused,
    or with `follow` the file it names is checked (a database moved elsewhere by its owner)."""
    path = Path(path)
    try:
        status = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return
    _regular_file(kind, path, status)


def open_lock_file(path: Path) -> int:
    """A descriptor on the lock file `path` (created 0600 if missing), refused as `check_file`
    would refuse it: a link is not followed, and what is checked is what was opened."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _refusal("lock", path, "est un lien symbolique : il pourrait désigner le fichier d'un autre. "
                                         "Supprimez le lien.",
                           "is a symbolic link: it could name someone else's file. Remove the link.") from None
        raise
    try:
        _regular_file("lock", path, os.fstat(descriptor))
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def sqlite_companions(database: Path) -> Tuple[Path, ...]:
    """The files SQLite and ClaudIA keep beside a database."""
    return tuple(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal"))


def check_sqlite_location(database: Path) -> None:
    """The database's directory, the database, its companions and its writers' lock file."""
    database = Path(database)
    check_directory(database.parent, "database_dir")
    for path in (database,) + sqlite_companions(database):
        check_file(path, "database", follow=True)
    check_file(Path(f"{database.resolve()}.writer-lock"), "lock")


def private_socket_directory(path: Path) -> Path:
    """The directory of the servers' private unix sockets (var/sockets/), made 0700 if missing;
    refused (`UnsafeLocation`) when another account owns it or may write to it: that account could
    put its own socket in a server's place, or remove one. Ours and open to others: closed (0700)."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_directory(path, "socket_dir")
    if stat.S_IMODE(os.stat(path).st_mode) & 0o077 and os.stat(path).st_uid == os.geteuid():
        path.chmod(0o700)
    return path


def _answers(path: Path) -> bool:
    """Whether a server still listens on the unix socket `path` (refused: a stale one)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
        except BlockingIOError:  # its backlog is full: alive
            return True
        except OSError:
            return False
    return True


def bind_private_socket(path: Path, backlog: int = 100):
    """A listening unix socket at `path`, mode 0600, in a private directory (`private_socket_directory`):
    only this account (and root) may connect. A stale socket of ours left there by a server that died
    is replaced; one a server still listens on is `OSError` EADDRINUSE, as a port in use; anything else
    at `path` is refused (`UnsafeLocation`)."""
    import socket

    path = Path(path)
    private_socket_directory(path.parent)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    if status is not None:
        if not stat.S_ISSOCK(status.st_mode):
            raise _refusal("socket", path, "existe et n'est pas une socket : supprimez-le.",
                           "exists and is not a socket: remove it.")
        _owner_and_mode("socket", path, status)
        if _answers(path):  # a running server's: as a port in use
            raise OSError(errno.EADDRINUSE, f"{path}: socket in use by a running server / socket utilisée par un serveur")
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)  # created 0600: no moment when another account could connect
    try:
        sock.bind(str(path))
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(previous)
    path.chmod(0o600)
    sock.listen(backlog)
    return sock
