"""The action server keeps answering while one action waits for the database (serving/action_threads.py)."""
from __future__ import annotations

import fcntl
import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.stack import ACTIONS_HEADER, ACTIONS_TOKEN
from tests.e2e.test_attacks import MADE_UP_SLOTS, action_call


def _call(stack, name, latest_message, slots):
    body = action_call(f"threads-{name}", latest_message, slots)
    body["next_action"] = name
    started = time.monotonic()
    answer = requests.post(f"http://127.0.0.1:{stack.actions_port}/webhook", json=body,
                           headers={ACTIONS_HEADER: ACTIONS_TOKEN}, timeout=60)
    return answer, time.monotonic() - started


def test_an_action_waiting_for_the_writers_turn_does_not_hold_up_the_others(stack):
    database = stack.env["CLAUDIA_DB_URL"].replace("sqlite:///", "")
    lock = os.open(f"{os.path.realpath(database)}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    pool = ThreadPoolExecutor(1)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another ClaudIA process is writing, for a while
    try:
        # Not signed in: the closing action journals a refusal, so it must wait to write.
        writing = pool.submit(_call, stack, "action_terminer_procedure",
                              {"text": "oui", "intent": {"name": "affirmer"}}, MADE_UP_SLOTS)
        time.sleep(1.0)
        assert not writing.done()  # it is waiting for the writers' turn
        explained, took = _call(stack, "action_expliquer",
                                {"text": "c'est quoi un SIRET ?", "intent": {"name": "demander_definition"}}, {})
        assert explained.status_code == 200 and explained.json()["responses"]
        assert took < 1.0 and not writing.done()
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
    answer, _ = writing.result(timeout=30)  # the turn is free: the refusal is journaled
    pool.shutdown()
    assert answer.status_code == 200 and "mode connecté" in str(answer.json()["responses"])
