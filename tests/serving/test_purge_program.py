"""The retention job as `make run` supervises it (serving/supervisor.py): a program of its own that
purges at start and again every CLAUDIA_PURGE_EVERY_SECONDS, and stops with supervisord."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from claudia.db import Database
from claudia.feedback import FeedbackStore
from serving import supervisor

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_and_run_scaled_supervise_one_purge_job(tmp_path):
    for servers in (None, 2):
        jobs = [p for p in supervisor.programs({}, servers, tmp_path) if p.name == "purge"]
        assert len(jobs) == 1
        assert jobs[0].command[1:] == ["-m", "claudia.admin", "purge", "--loop"]
    text = supervisor.config_text(supervisor.programs({}, None, tmp_path), tmp_path)
    assert "[program:purge]" in text.splitlines()


def old_evaluation(database: Database, db_path: Path, comment: str) -> None:
    row = FeedbackStore(database).record("conversation-ancienne", "marie.dupont", "positif", comment=comment)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE feedback SET at = datetime('now', '-400 days') WHERE id = ?", (row["id"],))


def evaluations(db_path: Path) -> list:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT comment FROM feedback ORDER BY id")]


def child_pids(pid: int) -> list:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*")
            for child in (task / "children").read_text().split()]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.2)


def test_the_supervised_job_purges_again_and_again_then_stops(tmp_path):
    db_path, var = tmp_path / "claudia.db", tmp_path / "var"
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_DB_URL=f"sqlite:///{db_path}",
               CLAUDIA_TRACKER_DB_URL=f"sqlite:///{tmp_path / 'tracker.db'}", CLAUDIA_PURGE_EVERY_SECONDS="1")
    database = Database(env["CLAUDIA_DB_URL"])
    old_evaluation(database, db_path, "ancienne 1")
    FeedbackStore(database).record("conversation-recente", "marie.dupont", "positif", comment="récente")
    job = [p for p in supervisor.programs(env, None, var) if p.name == "purge"]
    config = supervisor.write_config(job, var)
    process = subprocess.Popen([str(Path(sys.executable).parent / "supervisord"), "-n", "-c", str(config)],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = []
    try:
        wait_for(lambda: evaluations(db_path) == ["récente"])
        children = child_pids(process.pid)
        assert children  # the job runs as supervisord's child
        old_evaluation(database, db_path, "ancienne 2")  # the next pass finds it too
        wait_for(lambda: evaluations(db_path) == ["récente"])
        log = (var / "log" / "purge.log").read_text().splitlines()
        passes = [p for p in (json.loads(line) for line in log if line.startswith("{")) if "purged" in p]
        assert len(passes) >= 2 and sum(p["purged"]["evaluations"] for p in passes) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]  # the job stopped with it
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in children:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
