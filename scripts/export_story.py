"""Turns real conversations from the SQL tracker store into Rasa test stories.

  python -m scripts.export_story [--tracker-db URL] SENDER[=story name] ...  > tests/stories/x.yml

Maintainers use it to keep a reviewed conversation as a regression test (the
review pages use the same functions, with the maintainer's corrections of
intents and actions). Only `requested_slot` changes are kept among slot
events: the other slots do not influence the dialogue, and their values
(structure cards) would only be noise. User texts are cleaned as training
examples are (no control characters, no entity markup).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
from sqlalchemy.engine import make_url


from web.review_training import clean_text

ROOT = Path(__file__).resolve().parent.parent


def open_tracker_store(url: str, domain: Domain) -> SQLTrackerStore:
    parsed = make_url(url)
    return SQLTrackerStore(domain, dialect=parsed.drivername, host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username, password=parsed.password)


def kept_events(tracker: DialogueStateTracker) -> List[Event]:
    """The events a story is made of; the review page numbers its steps in this list."""
    return [event for event in tracker.events_after_latest_restart()
            if not isinstance(event, SlotSet) or event.key == "requested_slot"]


def corrected_events(events: List[Event], actions: Optional[Dict[int, str]] = None,
                     intents: Optional[Dict[int, str]] = None) -> List[Event]:
    """`events` with the maintainer's intents and actions in place of the predicted ones.

    A replaced action's own effects (its messages, slots, the fallback's revert)
    are dropped with it: they were what the wrong action did.
    """
    actions, intents = actions or {}, intents or {}
    result: List[Event] = []
    dropping = False
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            dropping = False
            intent = intents.get(index) or (event.intent or {}).get("name")
            result.append(UserUttered(clean_text(event.text or "") if not (event.text or "").startswith("/")
                                      else event.text, {"name": intent, "confidence": 1.0},
                                      timestamp=event.timestamp))
        elif isinstance(event, ActionExecuted):
            replaced = index in actions and actions[index] != event.action_name
            dropping = replaced
            result.append(ActionExecuted(actions[index], timestamp=event.timestamp) if replaced else event)
        elif not dropping:
            result.append(event)
    return result


def story_yaml(tracker: DialogueStateTracker, domain: Domain, name: str,
               actions: Optional[Dict[int, str]] = None, intents: Optional[Dict[int, str]] = None) -> str:
    events = corrected_events(kept_events(tracker), actions, intents)
    trimmed = DialogueStateTracker.from_events(name, events, domain.slots)
    story = trimmed.as_story()
    for step in story.story_steps:
        step.block_name = name
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracker-db", default=os.environ.get(
        "CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"))
    parser.add_argument("senders", nargs="+", help="SENDER or SENDER=story name")
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = open_tracker_store(args.tracker_db, domain)
    out = []
    for spec in args.senders:
        sender, _, name = spec.partition("=")
        tracker = asyncio.run(store.retrieve(sender))
        if tracker is None:
            sys.exit(f"conversation inconnue : {sender}")
        out.append(story_yaml(tracker, domain, clean_text(name or sender)))
    # The writer emits a header per story; keep the first and the stories of the others.
    first, *rest = out
    print(first + "".join(part.split("stories:\n", 1)[1] for part in rest))


if __name__ == "__main__":
    main()
