"""Database directories and lock files another account could tamper with are refused at
start-up, in French and English (claudia/safe_paths.py, issue #26).

Performed for real: the tests run as root here, so "another account" is `nobody` (uid
65534), given the files with chown; a shared folder is a directory writable by everyone.
Before, every process opened such files without a look: another account could hold the
writers' lock or every conversation's lock for ever, or replace the database."""
import asyncio
import fcntl
import os
import subprocess
import sys

import pytest

from rasa_extensions.file_lock_store import FileLockStore
from claudia.db import Database
from claudia.safe_paths import UnsafeLocation
from claudia.writer_turn import WriterTurn
from tests.conftest import ROOT

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another account needs root")


def _refused(action, *words):
    with pytest.raises(UnsafeLocation) as refusal:
        action()
    message = str(refusal.value)
    assert message.startswith("Démarrage refusé : ") and "\nStart-up refused: " in message
    for word in words:
        assert word in message, message
    return message


def _shared(path, mode=0o1777):
    path.mkdir()
    path.chmod(mode)
    return path


def test_a_database_in_a_directory_of_another_account_is_refused(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, NOBODY, NOBODY)
    _refused(lambda: Database(f"sqlite:///{theirs / 'claudia.db'}"), "appartient à un autre compte (uid 65534)",
             "is owned by another account (uid 65534)", str(theirs))
    assert list(theirs.iterdir()) == []  # nothing created there


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770, 0o720], ids=lambda mode: f"{mode:04o}")
def test_a_database_in_a_directory_others_may_write_is_refused(tmp_path, mode):
    shared = _shared(tmp_path / "partage", mode)
    _refused(lambda: Database(f"sqlite:///{shared / 'claudia.db'}"), f"droits {mode:04o}", "chmod go-w",
             f"is writable by other accounts (mode {mode:04o})")
    assert list(shared.iterdir()) == []


def test_a_database_file_of_another_account_is_refused(tmp_path):
    database = tmp_path / "claudia.db"
    database.touch()
    os.chown(database, NOBODY, NOBODY)
    _refused(lambda: Database(f"sqlite:///{database}"), "le fichier de base de données", "the database file")


def test_a_writers_lock_held_by_another_account_is_refused(tmp_path):
    """`nobody` made the lock file first and holds it: every write would wait for ever."""
    lock = tmp_path / "claudia.db.writer-lock"
    lock.touch()
    os.chown(lock, NOBODY, NOBODY)
    holder = os.open(lock, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        _refused(lambda: Database(f"sqlite:///{tmp_path / 'claudia.db'}"), "le fichier de verrou", "the lock file")
        _refused(lambda: WriterTurn(str(tmp_path / "claudia.db")), "uid 65534")
    finally:
        os.close(holder)


def test_a_link_in_place_of_a_lock_file_is_not_followed(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("à garder")
    (tmp_path / "claudia.db.writer-lock").symlink_to(victim)
    _refused(lambda: WriterTurn(str(tmp_path / "claudia.db")), "lien symbolique", "symbolic link")
    turn = WriterTurn.__new__(WriterTurn)  # made before the link appeared: opening it still refuses
    turn.lock_path, turn.timeout = tmp_path / "claudia.db.writer-lock", 1.0
    turn._start_afresh()
    _refused(lambda: turn.__enter__(), "lien symbolique")
    assert victim.read_text() == "à garder"


def test_conversation_locks_in_a_shared_or_foreign_place_are_refused(tmp_path):
    _refused(lambda: FileLockStore(lock_dir=str(_shared(tmp_path / "partage"))), "le répertoire des verrous",
             "the lock directory")
    theirs = tmp_path / "verrous"
    theirs.mkdir(mode=0o700)
    (theirs / "conversations.lock").touch()
    os.chown(theirs / "conversations.lock", NOBODY, NOBODY)
    _refused(lambda: FileLockStore(lock_dir=str(theirs)), "le fichier de verrou", "uid 65534")
    fifo = tmp_path / "fifo"
    fifo.mkdir(mode=0o700)
    os.mkfifo(fifo / "conversations.lock")
    _refused(lambda: FileLockStore(lock_dir=str(fifo)), "n'est pas un fichier ordinaire")
    mine = FileLockStore(lock_dir=str(tmp_path / "mes-verrous"))  # a private place is fine

    async def lock():
        async with mine.lock("conversation-1"):
            return True
    assert asyncio.run(lock())


def _start(module, tmp_path, *args, **env):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_ACTIONS_TOKEN="t" * 40,
                       CLAUDIA_RASA_API_TOKEN="t" * 40, **env)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


def test_the_servers_stop_at_start_up_and_say_why(tmp_path):
    shared = _shared(tmp_path / "partage")
    database = f"sqlite:///{shared / 'claudia.db'}"
    for module in ("serving.serve_actions", "web"):
        started = _start(module, tmp_path, "--port", "1", CLAUDIA_DB_URL=database)
        assert started.returncode == 1, (module, started.stderr)
        assert "Démarrage refusé : le répertoire de la base de données" in started.stderr
        assert "Start-up refused: the database directory" in started.stderr
        assert "Traceback" not in started.stderr, started.stderr
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"lock_store:\n  type: rasa_extensions.file_lock_store.FileLockStore\n  lock_dir: {shared}\n")
    started = _start("serving.serve_rasa", tmp_path, "--endpoints", str(endpoints),
                     CLAUDIA_DB_URL=f"sqlite:///{tmp_path / 'claudia.db'}",
                     CLAUDIA_TRACKER_DB_URL=f"sqlite:///{tmp_path / 'tracker.db'}")
    assert started.returncode == 1 and "Traceback" not in started.stderr, started.stderr
    assert "le répertoire des verrous" in started.stderr and "the lock directory" in started.stderr
