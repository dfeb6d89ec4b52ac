"""Each per-turn operation that grew with the conversation, timed alone, Rasa's way and ours.

  python -m bench.micro [--turns 300]

In one process, without servers (so other programs on the machine matter little): a
conversation of `--turns` help questions with the real domain, then, for a turn added at
the end, the time of each operation with Rasa's code and with rasa_extensions/speed_*.py.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, List

from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bench.servers import ROOT
from rasa_extensions import speed_rules, speed_states, speed_tracker
from rasa_extensions.speed_tracker_store import CachedSQLTrackerStore

REPEAT = 15


def turn_events(n: int) -> list:
    return [UserUttered(f"c'est quoi un siret {n}", {"name": "demander_definition", "confidence": 0.99},
                        metadata={"claudia_assertion": "x" * 200}),
            ActionExecuted("action_expliquer"), BotUttered("Le SIRET est un numéro de 14 chiffres…"),
            ActionExecuted("action_listen")]


def conversation(domain: Domain, turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker("micro", domain.slots)
    for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]:
        tracker.update(event)
    for n in range(turns):
        for event in turn_events(n):
            tracker.update(event)
    return tracker


def timed(step: Callable[[int], None]) -> float:
    """Median milliseconds of `step(n)`, n = 0..REPEAT-1."""
    samples = []
    for n in range(REPEAT):
        started = time.perf_counter()
        step(n)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def store_round_trip(store, sender: str) -> Callable[[int], None]:
    def step(n: int) -> None:
        tracker = asyncio.run(store.retrieve(sender))
        for event in turn_events(10_000 + n):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain.yml"))
    rows: List[tuple] = []
    for turns in (10, args.turns):
        work = Path(tempfile.mkdtemp(prefix="claudia-micro-"))
        plain = SQLTrackerStore(domain, dialect="sqlite", db=str(work / "plain.db"))
        cached = CachedSQLTrackerStore(domain, dialect="sqlite", db=str(work / "cached.db"))
        for store in (plain, cached):
            asyncio.run(store.save(conversation(domain, turns)))
            asyncio.run(store.save(asyncio.run(store.retrieve("micro"))))  # now known to the cache
        rows.append((turns, "tracker store: read, add a turn, save", timed(store_round_trip(plain, "micro")),
                     timed(store_round_trip(cached, "micro"))))

        base = conversation(domain, turns)
        memo = conversation(domain, turns)
        speed_states.states_for_tracker_history(domain, memo)

        def states_ours(n: int) -> None:
            for event in turn_events(20_000 + n):
                memo.update(event)
            DialogueStateTracker.applied_events = speed_tracker.applied_events  # as in the server
            try:
                speed_states.states_for_tracker_history(domain, memo)
            finally:
                DialogueStateTracker.applied_events = speed_tracker._original_applied_events

        rows.append((turns, "dialogue states (one policy call)",
                     timed(lambda n: speed_states.original(domain, base)), timed(states_ours)))
        speed_tracker.applied_events(memo)
        rows.append((turns, "applied events", timed(lambda n: speed_tracker._original_applied_events(base)),
                     timed(lambda n: (memo.update(ActionExecuted("action_listen")), speed_tracker.applied_events(memo)))))
        rows.append((turns, "tracker copy before an action", timed(lambda n: speed_tracker._original_copy(base)),
                     timed(lambda n: speed_tracker.copy_tracker(base))))
        action = RemoteAction("action_expliquer", EndpointConfig("http://127.0.0.1:1/webhook"))
        rows.append((turns, "action-server payload (build + JSON)",
                     timed(lambda n: json.dumps(speed_tracker._original_action_call_format(action, base, domain))),
                     timed(lambda n: json.dumps(speed_tracker._action_call_format(action, base, domain)))))
    print("| turns | operation | Rasa (ms) | ClaudIA (ms) |\n|---|---|---|---|")
    for turns, name, rasa_ms, ours_ms in rows:
        print(f"| {turns} | {name} | {rasa_ms:.2f} | {ours_ms:.2f} |")
    _ = speed_rules  # the rule lookup is measured end to end (bench.length): it needs a trained policy


if __name__ == "__main__":
    main()
