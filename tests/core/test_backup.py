"""`python -m claudia.admin backup DIR` / `restore DIR` on real SQLite files, run as an operator runs
them, while other processes write (tests/core/backup_writers.py)."""
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_REGISTRY, ROOT
from tests.core.backup_writers import EVENTS_TABLE

WRITERS = ("registry", "feedback", "tracker")


def settings_for(directory: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_DB_URL=f"sqlite:///{directory / 'claudia.db'}",
                CLAUDIA_TRACKER_DB_URL=f"sqlite:///{directory / 'tracker.db'}")


def admin(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "claudia.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def rows(path: Path) -> dict:
    """Every row of every table, in order: what two copies must share."""
    with sqlite3.connect(path) as connection:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                  "AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%'")]
        found = {}
        for name in names:
            try:
                found[name] = connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # a WITHOUT ROWID table (a full-text index's own)
                found[name] = sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        return found


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path, timeout=30) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def live(tmp_path):
    directory = tmp_path / "live"
    directory.mkdir(mode=0o700)
    env = settings_for(directory)
    assert admin(env, "load", str(DEMO_REGISTRY)).returncode == 0
    assert admin(env, "operators", str(ROOT / "demo" / "operators.yml")).returncode == 0
    with sqlite3.connect(directory / "tracker.db") as tracker:
        tracker.execute(EVENTS_TABLE)
        tracker.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('c', 'user', 1, '{}')")
    return directory, env


def start_writers(env: dict, stop: Path):
    return [subprocess.Popen([sys.executable, "-m", "tests.core.backup_writers", kind, str(stop)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for kind in WRITERS]


def wait_until(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "writers did not get going"
        time.sleep(0.1)


def consistent(copy_db: Path, copy_tracker: Path) -> None:
    """What a torn copy would break: whole transactions only."""
    with sqlite3.connect(copy_db) as db:
        status = db.execute("SELECT status FROM structures WHERE siret = '21930001900011'").fetchone()[0]
        last = db.execute("SELECT operation FROM journal WHERE siret = '21930001900011' AND outcome = 'effectuee' "
                          "ORDER BY id DESC LIMIT 1").fetchone()
        assert status == {None: "inactive", "activer": "active", "inactiver": "inactive"}[last and last[0]]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with sqlite3.connect(copy_tracker) as tracker:
        sizes = {n for (n,) in tracker.execute("SELECT count(*) FROM events WHERE sender_id <> 'c' GROUP BY sender_id")}
        assert sizes == {4}  # every turn whole


def test_backup_while_processes_write_then_restore_into_a_fresh_directory(live, tmp_path):
    directory, env = live
    stop = tmp_path / "stop"
    writers = start_writers(env, stop)
    try:
        wait_until(lambda: count(directory / "tracker.db", "events") > 40
                   and count(directory / "claudia.db", "journal") > 6
                   and count(directory / "claudia.db", "handoffs") > 6)
        before = {"db": rows(directory / "claudia.db"), "tracker": rows(directory / "tracker.db")}
        backups = []
        for n in range(3):
            events_before = count(directory / "tracker.db", "events")
            journal_before = count(directory / "claudia.db", "journal")
            done = admin(env, "backup", str(tmp_path / f"backup-{n}"))
            assert done.returncode == 0, done.stderr
            backups.append((tmp_path / f"backup-{n}", json.loads(done.stdout)))
            # the copy did not stop the writers: each database gets new rows after it (waited for,
            # not timed: a writer may be between two transactions for the whole copy on a busy machine)
            wait_until(lambda: count(directory / "tracker.db", "events") > events_before
                       and count(directory / "claudia.db", "journal") > journal_before)
            assert all(writer.poll() is None for writer in writers)
    finally:
        stop.touch()
        for writer in writers:
            out, err = writer.communicate(timeout=60)
            assert writer.returncode == 0, err
    after = {"db": rows(directory / "claudia.db"), "tracker": rows(directory / "tracker.db")}

    for folder, manifest in backups:
        assert manifest["format"] == "claudia-backup/1" and manifest["started_at"] <= manifest["finished_at"]
        saved = {entry["name"]: entry for entry in manifest["databases"]}
        assert saved["claudia"]["settings"] == ["CLAUDIA_DB_URL"]
        assert saved["tracker"]["settings"] == ["CLAUDIA_TRACKER_DB_URL"]
        assert saved["claudia"]["taken_at"] <= saved["tracker"]["taken_at"]  # the review index never runs ahead
        for entry in saved.values():
            file = folder / entry["file"]
            assert entry["kind"] == "sqlite" and entry["integrity"] == "ok" and entry["bytes"] == file.stat().st_size
            copy = rows(file)
            assert entry["tables"] == {name: len(found) for name, found in copy.items()}
        consistent(folder / saved["claudia"]["file"], folder / saved["tracker"]["file"])
        copy = {"db": rows(folder / saved["claudia"]["file"]), "tracker": rows(folder / saved["tracker"]["file"])}
        for side in ("db", "tracker"):
            for table in ("journal", "feedback", "handoffs", "ticket_answers", "events", "structures", "operators"):
                if table in before[side]:
                    # every row written before the backup began is in it; none that never existed is
                    assert len(copy[side][table]) >= len(before[side][table])
                    if table in ("journal", "feedback", "events"):  # rows never changed once written
                        assert copy[side][table][:len(before[side][table])] == before[side][table]
                        assert copy[side][table] == after[side][table][:len(copy[side][table])]
        assert len(copy["tracker"]["events"]) < len(after["tracker"]["events"])

    folder, manifest = backups[-1]
    fresh = tmp_path / "fresh-checkout" / "var"
    restored_env = settings_for(fresh)
    done = admin(restored_env, "restore", str(folder))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["name"] for r in report["restored"]] == ["claudia", "tracker"]
    saved = {entry["name"]: entry for entry in manifest["databases"]}
    assert rows(fresh / "claudia.db") == rows(folder / saved["claudia"]["file"])
    assert rows(fresh / "tracker.db") == rows(folder / saved["tracker"]["file"])
    # the restored databases serve the project's own readers
    journal = [json.loads(line) for line in admin(restored_env, "journal").stdout.splitlines()]
    assert len(journal) == saved["claudia"]["tables"]["journal"] and journal[0]["login"] == "marie.dupont"
    feedback = [json.loads(line) for line in admin(restored_env, "feedback").stdout.splitlines()]
    assert len(feedback) == saved["claudia"]["tables"]["feedback"] and feedback[0]["comment"] == "avis 0"
    shown = json.loads(admin(restored_env, "show", "21930001900011").stdout)
    assert shown["status"] in ("active", "inactive")


def test_restore_refuses_a_database_in_use_unless_forced(live, tmp_path):
    directory, env = live
    assert admin(env, "backup", str(tmp_path / "saved")).returncode == 0
    with sqlite3.connect(directory / "claudia.db") as db:
        db.execute("DELETE FROM roles")
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
                               "c.execute('SELECT 1 FROM structures').fetchall(); print('ready', flush=True); "
                               "time.sleep(120)", str(directory / "claudia.db")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        refused = admin(env, "restore", str(tmp_path / "saved"))
        assert refused.returncode == 2
        assert "en service" in refused.stderr and str(holder.pid) in refused.stderr
        assert count(directory / "claudia.db", "roles") == 0  # nothing written
        forced = admin(env, "restore", "--force", str(tmp_path / "saved"))
        assert forced.returncode == 0, forced.stderr
        assert count(directory / "claudia.db", "roles") == 14
    finally:
        holder.kill()
        holder.wait()


def test_restore_checks_the_manifest_before_writing_anything(live, tmp_path):
    directory, env = live
    saved = tmp_path / "saved"
    assert admin(env, "backup", str(saved)).returncode == 0
    target = settings_for(tmp_path / "target")

    manifest = json.loads((saved / "manifest.json").read_text())
    tracker_copy = saved / manifest["databases"][1]["file"]
    original = tracker_copy.read_bytes()
    tracker_copy.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped
    refused = admin(target, "restore", str(saved))
    assert refused.returncode == 2 and "somme de contrôle" in refused.stderr
    assert not (tmp_path / "target").exists()  # checked before anything was written

    tracker_copy.unlink()
    refused = admin(target, "restore", str(saved))
    assert refused.returncode == 2 and "fichier manquant" in refused.stderr
    tracker_copy.write_bytes(original)

    (saved / "manifest.json").rename(saved / "manifest.json.old")
    refused = admin(target, "restore", str(saved))
    assert refused.returncode == 2 and "pas de manifest.json" in refused.stderr
    (saved / "manifest.json.old").rename(saved / "manifest.json")
    assert admin(target, "restore", str(saved)).returncode == 0


def test_backup_refuses_a_used_folder_and_a_missing_database(live, tmp_path):
    directory, env = live
    used = tmp_path / "used"
    used.mkdir()
    (used / "autre.txt").write_text("x")
    refused = admin(env, "backup", str(used))
    assert refused.returncode == 2 and "n'est pas vide" in refused.stderr
    missing = dict(env, CLAUDIA_TRACKER_DB_URL=f"sqlite:///{tmp_path / 'nulle-part.db'}")
    refused = admin(missing, "backup", str(tmp_path / "incomplete"))
    assert refused.returncode == 2 and "introuvable" in refused.stderr
    assert not (tmp_path / "incomplete" / "manifest.json").exists()  # no manifest: no backup
    assert not (tmp_path / "nulle-part.db").exists()  # looking did not create it


def test_one_database_for_both_settings_is_saved_once_and_privately(live, tmp_path):
    directory, env = live
    shared = dict(env, CLAUDIA_TRACKER_DB_URL=env["CLAUDIA_DB_URL"])
    done = admin(shared, "backup", str(tmp_path / "saved"))
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["databases"]
    assert entry["settings"] == ["CLAUDIA_DB_URL", "CLAUDIA_TRACKER_DB_URL"]
    assert oct((tmp_path / "saved").stat().st_mode & 0o777) == "0o700"
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in (tmp_path / "saved").iterdir())
